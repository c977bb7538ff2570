use axum_conditional::conditional;

#[conditional(etag = axum_conditional::ETag::from_version(1), require)]
async fn handler() -> &'static str {
    "flag without value"
}

fn main() {}
