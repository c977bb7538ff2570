use axum::Json;
use axum::extract::Path;
use axum_conditional::conditional;

#[conditional(etag = axum_conditional::ETag::from_version(doc))]
async fn handler(Path(id): Path<u64>, Json(doc): Json<u64>) -> String {
    format!("{id} {doc}")
}

#[conditional(etag = axum_conditional::ETag::strong(format!("v{doc}")).ok())]
async fn in_a_format_string(Json(doc): Json<u64>) -> String {
    format!("{doc}")
}

fn main() {}
