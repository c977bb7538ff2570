//! Item 3 of `BENCHMARKS.md`: a `PUT` whose `If-Match` is stale, with a 1 MiB JSON body,
//! refused with the same 412 by the same runtime, two ways:
//!
//! - [`deferred_app`]: `#[conditional]`, which evaluates the preconditions before the body
//!   extractor runs, so the body is never read nor parsed;
//! - [`parsed_first_app`]: the same handler written by hand with the [`Preconditions`] extractor,
//!   where axum runs `Json` (the last argument) before the body can check anything, as every
//!   handler or middleware does that checks after extraction.
//!
//! The body is parsed as a `serde_json::Value`, as the `documents` example does.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum_conditional::answer::CacheHeaders;
use axum_conditional::{ETag, Policy, Preconditions, Resource, conditional};
use serde_json::Value;

/// One document and its version, replaced by `PUT` when `If-Match` names the current version.
#[derive(Clone)]
pub struct Store {
    document: Arc<Mutex<(u64, Value)>>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    /// Document 1 at version 7, empty.
    pub fn new() -> Self {
        Self {
            document: Arc::new(Mutex::new((7, Value::Null))),
        }
    }

    /// The validator: document 1's version, `None` for any other id.
    pub fn version(&self, id: u64) -> Option<u64> {
        (id == 1).then(|| self.lock().0)
    }

    /// Replaces document 1 and returns its new version.
    pub fn replace(&self, document: Value) -> u64 {
        let mut slot = self.lock();
        *slot = (slot.0 + 1, document);
        slot.0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Value)> {
        self.document.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `#[conditional]`: the body is extracted only once `If-Match` passed.
#[conditional(etag = store.version(id).map(ETag::from_version), require = true)]
pub async fn put_deferred(
    State(store): State<Store>,
    Path(id): Path<u64>,
    Json(document): Json<Value>,
) -> Result<ETag, StatusCode> {
    let _ = id;
    Ok(ETag::from_version(store.replace(document)))
}

/// By hand: the same policy and the same 412, checked in the body, after `Json` parsed.
pub async fn put_parsed_first(
    State(store): State<Store>,
    Path(id): Path<u64>,
    conditions: Preconditions,
    Json(document): Json<Value>,
) -> Response {
    let resource = match store.version(id) {
        Some(version) => Resource::existing(Some(ETag::from_version(version)), None),
        None => Resource::missing(),
    };
    let policy = Policy::new().require_precondition(true);
    if let Ok(answer) = conditions
        .evaluate(resource, policy)
        .into_answer(CacheHeaders::new())
    {
        return answer.into_response();
    }
    ETag::from_version(store.replace(document)).into_response()
}

/// `PUT /documents/{id}` with [`put_deferred`].
pub fn deferred_app(store: Store) -> Router {
    Router::new()
        .route("/documents/{id}", put(put_deferred))
        .with_state(store)
}

/// `PUT /documents/{id}` with [`put_parsed_first`].
pub fn parsed_first_app(store: Store) -> Router {
    Router::new()
        .route("/documents/{id}", put(put_parsed_first))
        .with_state(store)
}
