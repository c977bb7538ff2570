use axum_conditional::conditional;

struct Service;

impl Service {
    #[conditional(etag = axum_conditional::ETag::from_version(1))]
    async fn handler(&self) -> &'static str {
        "method"
    }
}

fn main() {}
