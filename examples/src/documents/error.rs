//! The API's error responses: RFC 9457 problem details, like the library's own refusals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_conditional::problem::PreconditionFailed;
use serde_json::json;

use super::store::{MAX_CHOSEN_ID, MAX_PAGE, StoreError};

/// Everything a handler of the documents API can answer besides success.
#[derive(Debug)]
pub enum ApiError {
    /// No document with that id.
    NotFound,
    /// The document has no attachment.
    NoAttachment,
    /// An upload past [`MAX_ATTACHMENT`](super::attachments::MAX_ATTACHMENT).
    TooLarge,
    /// An upload's body failed before its end (the client went away or stalled).
    BrokenUpload,
    /// A page of the collection asked with a query it does not take.
    BadPage,
    /// The path's id is not an integer a document can have.
    BadId,
    /// A create at an id a client may not choose (see [`MAX_CHOSEN_ID`]).
    IdNotChoosable,
    /// A conditional write lost a race after its early check passed.
    PreconditionFailed(PreconditionFailed),
    /// The database failed; details go to the log, not to the client.
    Store(StoreError),
}

/// The detail of [`ApiError::IdNotChoosable`], with the range spelled out.
const CHOOSABLE: &str = "A client may create a document at an id from 1 to 9007199254740991 \
    (2^53 - 1) only; POST /documents allocates one.";
// The texts spell the numbers out: they must stay the constants'.
const _: () = assert!(MAX_CHOSEN_ID == 9_007_199_254_740_991);
const _: () = assert!(MAX_PAGE == 1000);
const _: () = assert!(super::attachments::MAX_ATTACHMENT == 134_217_728);

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Store(e)
    }
}

impl From<PreconditionFailed> for ApiError {
    fn from(refusal: PreconditionFailed) -> Self {
        ApiError::PreconditionFailed(refusal)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = match self {
            ApiError::NotFound => (StatusCode::NOT_FOUND, "There is no document with this id."),
            ApiError::IdNotChoosable => (StatusCode::BAD_REQUEST, CHOOSABLE),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "An attachment is at most 134217728 bytes (128 MiB).",
            ),
            ApiError::BrokenUpload => (
                StatusCode::BAD_REQUEST,
                "The upload ended before its body did; nothing was stored.",
            ),
            ApiError::BadPage => (
                StatusCode::BAD_REQUEST,
                "A page takes `after` (the last id of the page before) and `limit` (1 to \
                 1000), each at most once.",
            ),
            ApiError::BadId => (
                StatusCode::BAD_REQUEST,
                "A document's id is a decimal integer from -9223372036854775808 to \
                 9223372036854775807.",
            ),
            ApiError::NoAttachment => (StatusCode::NOT_FOUND, "This document has no attachment."),
            ApiError::PreconditionFailed(refusal) => return refusal.into_response(),
            ApiError::Store(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "store unavailable");
                let mut response = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The document store is unavailable; try again shortly.",
                );
                // One second: a database restart or a failover takes about that; a client
                // retrying sooner only adds load while it comes back.
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return response;
            }
            ApiError::Store(e) => {
                tracing::error!(error = %e, "store failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The document store failed; try again.",
                )
            }
        };
        problem(status, detail)
    }
}

/// An RFC 9457 problem with `status` and `detail`.
fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or_default(),
        "status": status.as_u16(),
        "detail": detail,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}
