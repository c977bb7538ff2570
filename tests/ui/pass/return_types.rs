//! Return types kept as written: `impl IntoResponse`, `Result<impl IntoResponse, E>`, tuples,
//! none at all; `return` and `?` in the body.

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum_conditional::{ETag, conditional};

#[conditional(etag = ETag::from_version(1))]
async fn opaque() -> impl IntoResponse {
    "opaque"
}

#[conditional(etag = ETag::from_version(id))]
async fn opaque_in_result(Path(id): Path<u64>) -> Result<impl IntoResponse, StatusCode> {
    if id == 0 {
        return Err(StatusCode::NOT_FOUND);
    }
    let parsed: u64 = "7".parse().map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok((StatusCode::OK, [("x-id", format!("{id}"))], format!("{parsed}")))
}

async fn load(id: u64) -> Result<ETag, StatusCode> {
    Ok(ETag::from_version(id))
}

// `?` in a validator with an opaque `Ok` type: the error type is still `StatusCode`.
#[conditional(etag = load(id).await?)]
async fn question_and_opaque(Path(id): Path<u64>) -> Result<impl IntoResponse, StatusCode> {
    Ok(format!("{id}"))
}

#[conditional(etag = ETag::from_version(1))]
async fn tuple() -> (StatusCode, ETag, &'static str) {
    (StatusCode::CREATED, ETag::from_version(2), "created")
}

#[conditional(etag = ETag::from_version(1))]
async fn unit() {}

fn main() {
    let _: Router = Router::new()
        .route("/a", get(opaque))
        .route("/b/{id}", get(opaque_in_result))
        .route("/c", get(tuple))
        .route("/e/{id}", get(question_and_opaque))
        .route("/d", get(unit));
}
