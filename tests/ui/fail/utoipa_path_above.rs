//! `#[utoipa::path]` above `#[conditional]` is read before the conditional parts are added.

use axum_conditional::{ETag, conditional};

#[utoipa::path(get, path = "/", responses((status = 200, description = "ok")))]
#[conditional(etag = ETag::from_version(1))]
async fn read() -> &'static str {
    "hello"
}

fn main() {}
