//! The most arguments axum accepts: 16; the last one is extracted by the rewritten handler, and the
//! rest of the request takes its place.

use axum::Router;
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::post;
use axum_conditional::{ETag, conditional};

#[conditional(etag = ETag::from_version(1))]
#[allow(clippy::too_many_arguments)]
async fn many(
    _a: Method,
    _b: Uri,
    _c: HeaderMap,
    _d: Method,
    _e: Uri,
    _f: HeaderMap,
    _g: Method,
    _h: Uri,
    _i: HeaderMap,
    _j: Method,
    _k: Uri,
    _l: HeaderMap,
    _m: Method,
    _n: Uri,
    _o: HeaderMap,
    body: String,
) -> String {
    body
}

fn main() {
    let _: Router = Router::new().route("/", post(many));
}
