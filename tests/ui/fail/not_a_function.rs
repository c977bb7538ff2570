use axum_conditional::conditional;

#[conditional(etag = axum_conditional::ETag::from_version(1))]
struct Handler;

fn main() {}
