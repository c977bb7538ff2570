//! RFC 9110 conditional requests for axum: `ETag`s, 304 Not Modified, and lost-update
//! protection with 412 Precondition Failed and 428 Precondition Required, decided before the
//! handler's body runs and before the request body is read.
//!
//! # With the attribute
//!
//! [`conditional`] rewrites an async axum handler. Its arguments load the resource's
//! validators, using the handler's extracted arguments, `.await` and `?`; the rewritten handler
//! then evaluates `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since` and
//! `If-Range`, and answers 304, 412 or 428 itself when it must:
//!
#![cfg_attr(feature = "axum", doc = "```")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::extract::{Path, State};
//! use axum::routing::get;
//! use axum::{Json, Router};
//! use axum_conditional::{ETag, conditional};
//! use serde_json::{Value, json};
//! use tower::ServiceExt as _;
//!
//! #[derive(Clone)]
//! struct Store;
//! impl Store {
//!     async fn version(&self, _id: u64) -> Option<u64> { Some(7) }
//!     async fn load(&self, id: u64) -> Value { json!({ "id": id }) }
//! }
//!
//! // A 304 for a current `If-None-Match`, without `load` running.
//! #[conditional(etag = store.version(id).await.map(ETag::from_version), cache_control = "no-cache")]
//! async fn get_doc(State(store): State<Store>, Path(id): Path<u64>) -> Json<Value> {
//!     Json(store.load(id).await)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new().route("/docs/{id}", get(get_doc)).with_state(Store);
//! let request = http::Request::get("/docs/1")
//!     .header("if-none-match", r#""7""#)
//!     .body(axum::body::Body::empty())
//!     .unwrap();
//! let response = app.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 304);
//! assert_eq!(response.headers()["etag"], r#""7""#);
//! assert_eq!(response.headers()["cache-control"], "no-cache");
//! # }
//! ```
//!
//! The attribute's reference (every argument, the missing-resource rules, atomic writes with
//! `bind`, the compile errors) is on [`conditional`].
//!
//! # Without it
//!
//! The decisions are ordinary functions, usable from a hand-written handler, a tower layer or
//! any server on the `http` crate. [`evaluate`] is a pure function of the request method, the
//! request headers and the resource's current state ([`Resource`]) that returns one
//! [`Decision`]: the [`Outcome`] by the rules of RFC 9110 §13.2.2, with everything its response
//! needs; it never panics, and allocates nothing but what a 412 shows of the field that failed.
//! [`Decision::into_answer`] builds that response, the same way `#[conditional]` does: the 304
//! of the [`answer`] module, or the 412 and 428 of the [`problem`] module, with RFC 9457 bodies.
//! With the default `axum` feature, [`Preconditions`] is an extractor and [`ETag`] and
//! [`LastModified`] are response parts.
//!
//! ```
//! use axum_conditional::answer::CacheHeaders;
//! use axum_conditional::{evaluate, ETag, Outcome, Policy, Resource};
//! use http::{HeaderMap, HeaderValue, Method, header};
//!
//! // A client holding version 6 tries to overwrite version 7.
//! let current = Resource::existing(Some(ETag::from_version(7)), None);
//! let mut headers = HeaderMap::new();
//! headers.insert(header::IF_MATCH, HeaderValue::from_static(r#""6""#));
//!
//! let decision = evaluate(&Method::PUT, &headers, current, Policy::new());
//! assert!(matches!(decision.outcome(), Outcome::PreconditionFailed(_)));
//!
//! let answer = decision.into_answer(CacheHeaders::new()).expect("a 412, not the handler");
//! let response: http::Response<String> = answer.into_http_response();
//! assert_eq!(response.status(), 412);
//! assert_eq!(response.headers()["etag"], r#""7""#);
//! ```
//!
//! # Ranges
//!
//! `#[conditional(…, ranges = true)]` serves byte ranges (RFC 9110 §14) of the handler's 200
//! responses to `GET` and `HEAD`, after the preconditions: a satisfiable `Range: bytes=…` is
//! answered 206 with `Content-Range` (first-last, open-ended and suffix forms), several ranges
//! as `multipart/byteranges`, an unsatisfiable one 416 with `Content-Range: bytes */length`;
//! an invalid field or another unit is ignored. `If-Range` matches a strong entity-tag, or a
//! date equal to a `Last-Modified` the route declares strong (`strong_last_modified = true`);
//! otherwise the whole 200 is sent, so a resumed download never splices two versions.
//!
//! Any body of known length is sliced (`Bytes`, `String`, `Json`, a body with an exact size
//! hint). For large content, return [`Ranged`] over a [`RangeSource`] (a [`FileSource`], a
//! blob read at an offset): only the requested bytes are read. The [`range`] module holds the
//! parser and the policy against abusive range sets.
//!
#![cfg_attr(feature = "axum", doc = "```")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::routing::get;
//! use axum::Router;
//! use axum_conditional::{ETag, conditional};
//! use tower::ServiceExt as _;
//!
//! #[conditional(etag = ETag::from_version(3), ranges = true)]
//! async fn text() -> &'static str {
//!     "0123456789"
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new().route("/text", get(text));
//! let request = http::Request::get("/text")
//!     .header("range", "bytes=-4")
//!     .header("if-range", r#""3""#)
//!     .body(axum::body::Body::empty())
//!     .unwrap();
//! let response = app.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 206);
//! assert_eq!(response.headers()["content-range"], "bytes 6-9/10");
//! assert_eq!(response.headers()["accept-ranges"], "bytes");
//! # }
//! ```
//!
//! # Features
//!
//! - `axum` (default): the attribute, the extractor, and `IntoResponse`/`IntoResponseParts`
//!   impls, on `axum-core`, with tokio's timer (the deadline of a refusal's lingering read,
//!   [`Linger`]), its file system ([`FileSource`]) and `tracing` (a warning about a handler
//!   `ETag` that can never match). Every request a `#[conditional]` handler evaluates gives a
//!   `DEBUG` event with its outcome ([`observe`]). It turns on axum's `matched-path` feature
//!   (on by default in axum), for the route of those events.
//!   Without it the crate depends on `http` and `httpdate` only.
//! - `utoipa` (implies `axum`): a `#[utoipa::path]` written below `#[conditional]` gets the
//!   conditional request headers and the 304, 412 and 428 responses in the OpenAPI document,
//!   with schemas of the problem bodies; see the `openapi` module.
//! - `compression`: `compression::ConditionalCompressionLayer`, tower-http's compression (gzip,
//!   br, zstd, deflate) with a strong entity-tag per content-coding (RFC 9110 §8.8.3.3). The
//!   evaluator reads those coded tags with or without the feature.
//! - `metrics`: counters of the outcomes per route, through the `metrics` facade (the table
//!   is in [`observe`]).

// The layers, each importing only from the ones below it (`tests/tests/layers.rs` checks):
//
// - `rfc`: RFC 9110 §13 and the responses it defines, on `http` and `httpdate` alone;
// - `observe`, `compression`, `openapi`: what operators and deployments add, on `rfc`;
// - `axum`: the integration the macro's code calls, on all of the above.
#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "compression")]
pub mod compression;
#[cfg(feature = "axum")]
pub mod observe;
#[cfg(feature = "utoipa")]
pub mod openapi;
mod rfc;

pub use rfc::{answer, problem, range};
// The list parser: not a public API (its members are, as `Member`). Reachable for the project's
// own parser tests and fuzz targets only.
#[doc(hidden)]
pub use rfc::list;

#[doc(hidden)]
#[cfg(feature = "axum")]
pub use axum::private as __private;

#[cfg(feature = "axum")]
pub use axum::{
    ConditionalResponse, Evaluation, FileSource, Linger, READ_CHUNK, RangeSource, Ranged,
};
pub use rfc::{
    Codings, ConditionHeader, ContentCoding, Decision, ETag, Failure, InvalidETag, InvalidHttpDate,
    LastModified, Member, Outcome, Policy, Preconditions, RangeDecision, Reason, Requirement,
    Resource, evaluate, negotiate,
};

/// Rewrites an async axum handler to answer conditional requests before its body runs; see the
/// [crate documentation](crate).
#[cfg(feature = "axum")]
pub use axum_conditional_macros::conditional;
