use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_conditional::{ETag, conditional};

async fn load_etag() -> Result<ETag, StatusCode> {
    Ok(ETag::from_version(1))
}

#[conditional(etag = load_etag().await?)]
async fn handler() -> impl IntoResponse {
    "opaque"
}

fn main() {}
