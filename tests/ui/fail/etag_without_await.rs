use axum_conditional::{ETag, conditional};

async fn load_etag() -> ETag {
    ETag::from_version(1)
}

#[conditional(etag = load_etag())]
async fn handler() -> &'static str {
    "future"
}

fn main() {}
