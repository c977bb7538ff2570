use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum_conditional::conditional;

#[derive(Clone)]
struct AppState;

// axum takes at most 16 extractors; `#[conditional]` says so before axum's `Handler` bound does.
#[conditional(etag = axum_conditional::ETag::from_version(1), state = AppState)]
async fn handler(
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
    _o: State<AppState>,
    _p: Method,
    body: String,
) -> String {
    body
}

fn main() {}
