//! `#[conditional]` composes with `#[axum::debug_handler]` in either order, for every shape of
//! handler: with a body extractor, without one, with a last argument that reads only the head,
//! and with `state = …`. Before `#[conditional]`, debug_handler checks the function as written
//! (the rewritten handler has as many arguments); after it, the rewritten function (the rest of
//! the request last, `ConditionalResponse<…>` returned).
//!
//! The one exception is a handler with no argument at all: the rewritten one takes the request,
//! so debug_handler must come after `#[conditional]` (`no_argument` below).

use axum::Json;
use axum::Router;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, put};
use axum_conditional::{ETag, conditional};

#[derive(Clone)]
struct AppState {
    version: u64,
}

#[derive(Clone)]
struct Version(u64);

impl FromRef<AppState> for Version {
    fn from_ref(state: &AppState) -> Version {
        Version(state.version)
    }
}

/// An extractor that needs the application state.
struct Tenant;

impl FromRequestParts<AppState> for Tenant {
    type Rejection = StatusCode;

    async fn from_request_parts(_: &mut Parts, _: &AppState) -> Result<Self, StatusCode> {
        Ok(Tenant)
    }
}

#[axum::debug_handler]
#[conditional(etag = ETag::from_version(id))]
async fn body_first(State(_s): State<AppState>, Path(id): Path<u64>, Json(v): Json<u32>) -> String {
    format!("{id} {v}")
}

#[conditional(etag = ETag::from_version(id))]
#[axum::debug_handler]
async fn body_after(State(_s): State<AppState>, Path(id): Path<u64>, Json(v): Json<u32>) -> String {
    format!("{id} {v}")
}

#[axum::debug_handler]
#[conditional(etag = ETag::from_version(id))]
async fn no_body_first(State(_s): State<AppState>, Path(id): Path<u64>) -> String {
    format!("{id}")
}

#[conditional(etag = ETag::from_version(id))]
#[axum::debug_handler]
async fn no_body_after(State(_s): State<AppState>, Path(id): Path<u64>) -> String {
    format!("{id}")
}

#[axum::debug_handler]
#[conditional(etag = ETag::from_version(v.0))]
async fn state_only_first(State(v): State<Version>) -> String {
    format!("{}", v.0)
}

#[conditional(etag = ETag::from_version(v.0))]
#[axum::debug_handler(state = AppState)]
async fn state_only_after(State(v): State<Version>) -> String {
    format!("{}", v.0)
}

#[axum::debug_handler]
#[conditional(etag = ETag::from_version(id), state = AppState)]
async fn with_state_first(State(_s): State<AppState>, Path(id): Path<u64>, _tenant: Tenant) -> String {
    format!("{id}")
}

#[conditional(etag = ETag::from_version(id), state = AppState)]
#[axum::debug_handler]
async fn with_state_after(State(_s): State<AppState>, Path(id): Path<u64>, _tenant: Tenant) -> String {
    format!("{id}")
}

#[conditional(etag = ETag::from_version(1))]
#[axum::debug_handler]
async fn no_argument() -> &'static str {
    "one"
}

fn main() {
    let _: Router = Router::new()
        .route("/a/{id}", put(body_first))
        .route("/b/{id}", put(body_after))
        .route("/c/{id}", get(no_body_first))
        .route("/d/{id}", get(no_body_after))
        .route("/e", get(state_only_first))
        .route("/f", get(state_only_after))
        .route("/g/{id}", get(with_state_first))
        .route("/h/{id}", get(with_state_after))
        .route("/i", get(no_argument))
        .with_state(AppState { version: 1 });
}
