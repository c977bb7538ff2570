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

/// `doc` is shadowed in the inner block only; the second `doc` is the body's.
#[conditional(etag = axum_conditional::ETag::from_version({ let n = { let doc = 1; doc }; n + doc }))]
async fn after_a_shadowing_block(Json(doc): Json<u64>) -> String {
    format!("{doc}")
}

/// The closure binds `x`, not `doc`: its body uses the body's `doc`.
#[conditional(etag = Some(1).map(|x| axum_conditional::ETag::from_version(x + doc)))]
async fn inside_a_closure(Json(doc): Json<u64>) -> String {
    format!("{doc}")
}

fn main() {}
