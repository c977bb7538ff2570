use axum::extract::Path;
use axum_conditional::conditional;

#[conditional(etag = axum_conditional::ETag::from_version(id), bind = id)]
async fn handler(Path(id): Path<u64>) -> String {
    format!("{id}")
}

fn main() {}
