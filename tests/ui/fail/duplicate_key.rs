use axum_conditional::conditional;

#[conditional(etag = axum_conditional::ETag::from_version(1), etag = axum_conditional::ETag::from_version(2))]
async fn handler() -> &'static str {
    "twice"
}

fn main() {}
