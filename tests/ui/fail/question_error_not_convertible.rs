use axum::http::StatusCode;
use axum_conditional::{ETag, conditional};

async fn load_etag() -> Result<ETag, std::io::Error> {
    Ok(ETag::from_version(1))
}

// The validator's error must convert into the handler's error type, as for `?` in the body.
#[conditional(etag = load_etag().await?)]
async fn handler() -> Result<String, StatusCode> {
    Ok("io error".to_owned())
}

fn main() {}
