use axum::extract::Path;
use axum_conditional::{ETag, conditional};

#[conditional(etag = ETag::from_version(idd))]
async fn handler(Path(id): Path<u64>) -> String {
    format!("{id}")
}

fn main() {}
