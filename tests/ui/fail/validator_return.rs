use axum::extract::Path;
use axum_conditional::{ETag, conditional};

#[derive(Debug)]
struct DbError;

impl axum::response::IntoResponse for DbError {
    fn into_response(self) -> axum::response::Response {
        axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
    }
}

async fn version(id: u64) -> Result<u64, DbError> {
    Ok(id)
}

#[conditional(etag = { if id == 0 { return ETag::from_version(0); } ETag::from_version(id) })]
async fn without_question(Path(id): Path<u64>) -> String {
    format!("{id}")
}

#[conditional(etag = { if id == 0 { return None; } Some(ETag::from_version(version(id).await?)) })]
async fn with_question(Path(id): Path<u64>) -> Result<String, DbError> {
    Ok(format!("{id}"))
}

/// `return` inside a closure, an `async` block or a nested `fn` leaves only that: allowed.
#[conditional(etag = {
    fn zero() -> u64 { return 0; }
    let n = Some(id).map(|n| { return n + zero(); }).unwrap_or(0);
    let m = async { return n; }.await;
    ETag::from_version(m)
})]
async fn nested(Path(id): Path<u64>) -> String {
    format!("{id}")
}

fn main() {}
