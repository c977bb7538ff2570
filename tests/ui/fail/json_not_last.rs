use axum::Json;
use axum::extract::Path;
use axum_conditional::conditional;

#[conditional(etag = axum_conditional::ETag::from_version(id))]
async fn handler(Json(v): Json<u32>, Path(id): Path<u64>) -> String {
    format!("{id} {v}")
}

fn main() {}
