//! The row a request path names, with its validators as stored now: one indexed query, made
//! before any precondition is evaluated. The document routes and the attachment routes read
//! their targets the same way; only the row differs.

use std::future::Future;

use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::store::{AttachmentMeta, Meta, Store, StoreError};

/// A row's validators, as one indexed lookup in the store loads them.
pub trait Row: Sized + Send {
    /// The validators of row `id`, or `None` when there is no such row.
    fn load(
        store: &Store,
        id: i64,
    ) -> impl Future<Output = Result<Option<Self>, StoreError>> + Send;
}

impl Row for Meta {
    fn load(
        store: &Store,
        id: i64,
    ) -> impl Future<Output = Result<Option<Self>, StoreError>> + Send {
        store.meta(id)
    }
}

impl Row for AttachmentMeta {
    fn load(
        store: &Store,
        id: i64,
    ) -> impl Future<Output = Result<Option<Self>, StoreError>> + Send {
        store.attachment_meta(id)
    }
}

/// The row `M` named by the request path's id, and its validators as stored now.
pub struct Target<M> {
    pub(super) id: i64,
    pub(super) meta: Option<M>,
}

impl<S, M> FromRequestParts<S> for Target<M>
where
    Store: FromRef<S>,
    S: Send + Sync,
    M: Row,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        // axum's own rejection echoes the path segment (a NUL byte, markup) in a text/plain
        // body; the client knows what it sent, so the answer only says what was wrong.
        let Path(id) = Path::<i64>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::BadId.into_response())?;
        let meta = M::load(&Store::from_ref(state), id)
            .await
            .map_err(|e| ApiError::from(e).into_response())?;
        Ok(Target { id, meta })
    }
}
