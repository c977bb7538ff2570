use axum_conditional::conditional;

#[conditional(etag = axum_conditional::ETag::from_version(1))]
fn handler() -> &'static str {
    "not async"
}

fn main() {}
