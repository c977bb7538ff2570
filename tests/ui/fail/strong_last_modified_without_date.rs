use axum_conditional::{ETag, conditional};

#[conditional(etag = ETag::from_version(1), ranges = true, strong_last_modified = true)]
async fn handler() -> &'static str {
    "ranges"
}

fn main() {}
