//! `#[conditional]` composes with `#[axum::debug_handler]` in either order.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::put;
use axum_conditional::{ETag, conditional};

#[derive(Clone)]
struct AppState;

// debug_handler checks the function as written.
#[axum::debug_handler]
#[conditional(etag = ETag::from_version(id))]
async fn checked_first(State(_s): State<AppState>, Path(id): Path<u64>, Json(v): Json<u32>) -> String {
    format!("{id} {v}")
}

// debug_handler checks the rewritten function (the request last, `Conditional<String>`).
#[conditional(etag = ETag::from_version(id))]
#[axum::debug_handler]
async fn checked_after(State(_s): State<AppState>, Path(id): Path<u64>, Json(v): Json<u32>) -> String {
    format!("{id} {v}")
}

fn main() {
    let _: Router = Router::new()
        .route("/a/{id}", put(checked_first))
        .route("/b/{id}", put(checked_after))
        .with_state(AppState);
}
