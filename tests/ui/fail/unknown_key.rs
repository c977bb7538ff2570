use axum_conditional::conditional;

#[conditional(etags = axum_conditional::ETag::from_version(1))]
async fn handler() -> &'static str {
    "typo"
}

#[conditional(etag = axum_conditional::ETag::from_version(1), max_age = 60)]
async fn far_from_any_key() -> &'static str {
    "unknown"
}

fn main() {}
