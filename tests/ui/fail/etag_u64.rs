use axum::extract::Path;
use axum_conditional::conditional;

#[conditional(etag = version)]
async fn handler(Path(version): Path<u64>) -> &'static str {
    "number"
}

fn main() {}
