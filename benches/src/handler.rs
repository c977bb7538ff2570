//! Item 2 of `BENCHMARKS.md`: one handler serving a 64 KiB JSON document, three ways.
//!
//! - (a) [`plain_app`]: plain axum, no validators.
//! - (b) [`conditional_app`]: the same handler under `#[conditional]`, whose validator is a
//!   version lookup.
//! - (c) [`body_hash_app`]: plain axum behind [`etag_by_body_hash`](crate::etag_middleware),
//!   the common alternative, which runs the handler and hashes the body to answer 304.
//!
//! The handler's work is what a real one does with a document already in memory: look it up
//! and serialize it to JSON (about 64 KiB). It does not simulate a database read, so the part of
//! a request that `#[conditional]` saves on a 304 is as small as it can be.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use axum_conditional::{ETag, conditional};
use serde::{Serialize, Serializer};

use crate::document::{self, Document};
use crate::etag_middleware::{self, ContentHash};

/// The id of the one document every app serves.
pub const DOCUMENT_ID: u64 = 1;

/// The path the apps serve it on.
pub const DOCUMENT_PATH: &str = "/documents/1";

/// Documents in memory, each with a version that every write increments.
#[derive(Clone)]
pub struct Store {
    documents: Arc<HashMap<u64, Entry>>,
}

struct Entry {
    version: AtomicU64,
    document: Arc<Document>,
}

impl Store {
    /// A store holding document [`DOCUMENT_ID`] of `bytes` serialized bytes, at version 7.
    pub fn with_document(bytes: usize) -> Self {
        let entry = Entry {
            version: AtomicU64::new(7),
            document: Arc::new(document::sample(DOCUMENT_ID, bytes)),
        };
        Self {
            documents: Arc::new(HashMap::from([(DOCUMENT_ID, entry)])),
        }
    }

    /// The validator: one hash-map lookup and one atomic load.
    pub fn version(&self, id: u64) -> Option<u64> {
        let entry = self.documents.get(&id)?;
        Some(entry.version.load(Ordering::Acquire))
    }

    /// The document, shared: loading it costs a reference-count increment.
    pub fn load(&self, id: u64) -> Option<Shared> {
        let entry = self.documents.get(&id)?;
        Some(Shared(Arc::clone(&entry.document)))
    }
}

/// A document shared with the store, serialized as the document itself.
pub struct Shared(Arc<Document>);

impl Serialize for Shared {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// (a) The handler as a user writes it without validators.
pub async fn read_plain(
    State(store): State<Store>,
    Path(id): Path<u64>,
) -> Result<Json<Shared>, StatusCode> {
    store.load(id).map(Json).ok_or(StatusCode::NOT_FOUND)
}

/// (b) The same handler, with its version as the `ETag`.
#[conditional(etag = store.version(id).map(ETag::from_version))]
pub async fn read_conditional(
    State(store): State<Store>,
    Path(id): Path<u64>,
) -> Result<Json<Shared>, StatusCode> {
    store.load(id).map(Json).ok_or(StatusCode::NOT_FOUND)
}

/// (a) `GET /documents/{id}` with [`read_plain`].
pub fn plain_app(store: Store) -> Router {
    Router::new()
        .route("/documents/{id}", get(read_plain))
        .with_state(store)
}

/// (b) `GET /documents/{id}` with [`read_conditional`].
pub fn conditional_app(store: Store) -> Router {
    Router::new()
        .route("/documents/{id}", get(read_conditional))
        .with_state(store)
}

/// (c) `GET /documents/{id}` with [`read_plain`], behind the body-hashing ETag middleware.
pub fn body_hash_app(store: Store, hash: ContentHash) -> Router {
    plain_app(store).layer(axum::middleware::from_fn_with_state(
        hash,
        etag_middleware::etag_by_body_hash,
    ))
}
