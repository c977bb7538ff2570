//! With the `utoipa` feature on, a `#[conditional]` route that utoipa does not document, and
//! one that it documents in the right order, compile in the same module.

use axum::Router;
use axum::routing::get;
use axum_conditional::{ETag, conditional};

#[conditional(etag = ETag::from_version(1))]
async fn undocumented() -> &'static str {
    "hello"
}

#[conditional(etag = ETag::from_version(1))]
#[utoipa::path(get, path = "/documented", responses((status = 200, description = "ok")))]
async fn documented() -> &'static str {
    "hello"
}

fn main() {
    let _: Router = Router::new()
        .route("/", get(undocumented))
        .route("/documented", get(documented));
}
