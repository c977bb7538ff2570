use axum_conditional::{ETag, conditional};

#[conditional(etag = ETag::from_version(1), ranges = 1)]
async fn handler() -> &'static str {
    "ranges"
}

fn main() {}
