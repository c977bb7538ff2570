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
//! # Dates
//!
//! A `Last-Modified` has one-second resolution, so it is implicitly weak (RFC 9110 §8.8.2.2):
//! two versions written within one second share it. Unless the route declares the date strong
//! (`strong_last_modified = true`, or an expression the store computes per resource, such as
//! "the version before this one is from an earlier second"), a date naming the very second of
//! the last modification never vouches for the current version: `If-Unmodified-Since` equal
//! to it is a 412 (a write based on the version that second replaced would otherwise overwrite
//! the current one unseen, §13.1.4), and `If-Modified-Since` equal to it is the full 200, never
//! a 304 for a copy the client may not hold (§13.1.3). Dates before or after it compare as the
//! RFC says, and entity-tags are unaffected: send `If-Match` and `If-None-Match` where you can.
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
//! - `utoipa` (implies `axum`): a utoipa 6 `#[utoipa::path]` written below `#[conditional]`
//!   gets the conditional request headers and the 304, 412 and 428 responses in the OpenAPI
//!   document, with schemas of the problem bodies, whether the document is derived
//!   (`#[derive(OpenApi)]`) or collected by utoipa-axum 0.3's `routes!`; see the `openapi`
//!   module.
//! - `compression`: `compression::ConditionalCompressionLayer`, tower-http's compression (gzip,
//!   br, zstd, deflate) with a strong entity-tag per content-coding (RFC 9110 §8.8.3.3). The
//!   evaluator reads those coded tags with or without the feature.
//! - `metrics`: counters of the outcomes per route, through the `metrics` facade (the table
//!   is in [`observe`]).

// The layers, each importing only from the ones below it (`tests/tests/it/layers.rs` checks):
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
    Codings, ConditionHeader, ContentCoding, Decision, ETag, Failure, Generation, InvalidETag,
    InvalidGeneration, InvalidHttpDate, LastModified, Member, Outcome, Policy, Preconditions,
    RangeDecision, Reason, Requirement, Resource, evaluate, negotiate,
};

// The attribute's reference lives here, where users find it and where its doctests can use
// this crate (in the macro crate they made it dev-depend on this one). rustdoc appends the
// macro crate's own short doc, which says where the attribute is defined, under "Crates".
/// Answers RFC 9110 conditional requests for an async axum handler: `ETag` and
/// `Last-Modified` on its responses, 304 Not Modified, and lost-update protection with 412
/// Precondition Failed and 428 Precondition Required, decided *before* the handler body runs
/// and before the request body is read.
///
/// ```rust
/// use axum::Json;
/// use axum::extract::{Path, State};
/// use axum_conditional::{ETag, conditional};
/// # use std::sync::Arc;
/// # use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
/// # use std::time::SystemTime;
/// # use axum::body::Body;
/// # use axum::http::{Request, StatusCode};
/// # use axum::response::{IntoResponse, Response};
/// # use axum::{Router, routing::get};
/// # use serde::{Deserialize, Serialize};
/// # use tower::ServiceExt as _;
/// #
/// # #[derive(Serialize, Deserialize)]
/// # struct Doc { version: u64 }
/// # struct ApiError;
/// # impl IntoResponse for ApiError {
/// #     fn into_response(self) -> Response { StatusCode::INTERNAL_SERVER_ERROR.into_response() }
/// # }
/// # /// Version 7 of every document; counts the loads and saves.
/// # #[derive(Clone, Default)]
/// # struct Store { loads: Arc<AtomicUsize>, saves: Arc<AtomicUsize> }
/// # impl Store {
/// #     async fn version(&self, _id: u64) -> Result<u64, ApiError> { Ok(7) }
/// #     async fn etag(&self, id: u64) -> Result<Option<ETag>, ApiError> {
/// #         Ok(Some(ETag::from_version(self.version(id).await?)))
/// #     }
/// #     async fn modified(&self, _id: u64) -> Result<Option<SystemTime>, ApiError> {
/// #         Ok(Some(SystemTime::UNIX_EPOCH))
/// #     }
/// #     async fn load(&self, _id: u64) -> Result<Doc, ApiError> {
/// #         self.loads.fetch_add(1, SeqCst);
/// #         Ok(Doc { version: 7 })
/// #     }
/// #     async fn save(&self, _id: u64, doc: Doc) -> Result<Doc, ApiError> {
/// #         self.saves.fetch_add(1, SeqCst);
/// #         Ok(Doc { version: doc.version + 1 })
/// #     }
/// # }
///
/// #[conditional(etag = ETag::from_version(store.version(id).await?))]
/// async fn get_doc(State(store): State<Store>, Path(id): Path<u64>) -> Result<Json<Doc>, ApiError> {
///     Ok(Json(store.load(id).await?))
/// }
///
/// #[conditional(etag = store.etag(id).await?, last_modified = store.modified(id).await?, require = true)]
/// async fn put_doc(State(store): State<Store>, Path(id): Path<u64>, Json(doc): Json<Doc>)
///     -> Result<(ETag, Json<Doc>), ApiError>
/// {
///     let doc = store.save(id, doc).await?;
///     Ok((ETag::from_version(doc.version), Json(doc)))
/// }
/// #
/// # /// The status and `ETag` of one request to `app`.
/// # async fn send(app: &Router, method: &str, field: Option<(&str, &str)>, body: &str)
/// #     -> (StatusCode, Option<String>)
/// # {
/// #     let mut request = Request::builder().method(method).uri("/docs/1")
/// #         .header("content-type", "application/json");
/// #     if let Some((name, value)) = field {
/// #         request = request.header(name, value);
/// #     }
/// #     let request = request.body(Body::from(body.to_owned())).unwrap();
/// #     let response = app.clone().oneshot(request).await.unwrap();
/// #     let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
/// #     (response.status(), etag)
/// # }
/// #
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let store = Store::default();
/// # let app = Router::new()
/// #     .route("/docs/{id}", get(get_doc).put(put_doc))
/// #     .with_state(store.clone());
/// # let current = Some(("if-none-match", r#""7""#));
/// # assert_eq!(send(&app, "GET", current, "").await, (StatusCode::NOT_MODIFIED, Some(r#""7""#.into())));
/// # assert_eq!(store.loads.load(SeqCst), 0, "the 304 is answered without `load`");
/// # assert_eq!(send(&app, "GET", None, "").await, (StatusCode::OK, Some(r#""7""#.into())));
/// # // Not JSON: a 412 rather than a 400 or 422 shows that the body was not parsed.
/// # let stale = Some(("if-match", r#""6""#));
/// # assert_eq!(send(&app, "PUT", stale, "not json").await.0, StatusCode::PRECONDITION_FAILED);
/// # assert_eq!(send(&app, "PUT", None, r#"{"version":7}"#).await.0, StatusCode::PRECONDITION_REQUIRED);
/// # assert_eq!(store.saves.load(SeqCst), 0);
/// # let current = Some(("if-match", r#""7""#));
/// # assert_eq!(send(&app, "PUT", current, r#"{"version":7}"#).await, (StatusCode::OK, Some(r#""8""#.into())));
/// # }
/// ```
///
/// A `GET` whose `If-None-Match` lists the current tag gets a 304 without `load` running; a `PUT`
/// whose `If-Match` is stale gets a 412 without its JSON being read; a `PUT` with no
/// precondition at all gets a 428.
///
/// The examples on this page are doctests, written as an application uses the crate: they
/// compile, and each sends the requests its text describes.
///
/// # Arguments
///
/// At least one of `etag` and `last_modified` is required; the rest are optional.
///
/// | argument | value | meaning |
/// |---|---|---|
/// | `etag = EXPR` | `ETag` or `Option<ETag>` | the current entity-tag |
/// | `last_modified = EXPR` | `SystemTime`, `HttpDate`, `LastModified`, or an `Option` of one | the current modification date (whole seconds) |
/// | `exists = EXPR` | `bool` | whether the resource exists, for one that may have no validator |
/// | `require = true` | `true` or `false` | an unsafe method without a usable precondition gets 428 |
/// | `creates = true` | `true` or `false` | a `PUT` or `PATCH` can create the resource, so `If-None-Match: *` is offered (default: `PUT` yes, `PATCH` no) |
/// | `weak_if_match = true` | `true` or `false` | `If-Match` uses weak comparison instead of strong |
/// | `expose_validators = false` | `true` or `false` | 412s do not show the current `ETag` and `Last-Modified` (shown by default) |
/// | `cache_control = "…"` | a string literal | `Cache-Control` of 304s and 2xx `GET`/`HEAD` responses |
/// | `vary = "…"` | a string literal | `Vary` of 304s and 2xx `GET`/`HEAD` responses |
/// | `ranges = true` | `true` or `false` | `Range` requests are answered 206 or 416 from the handler's 200 (see [Ranges](#ranges)) |
/// | `strong_last_modified = true` | `true` or `false`, or an expression giving a `bool` per request | the `Last-Modified` is a strong validator: an `If-Range` date can match it (see [Ranges](#ranges)), and an `If-Modified-Since` or `If-Unmodified-Since` naming its very second vouches for the current version (see [Dates](#dates)) |
/// | `already_applied = CHECK` | a closure from the request content (`Bytes`) to a future of `bool`, or an `Option` of one | evaluated only after a false `If-Match` or `If-Unmodified-Since`; unless it is `None`, the content is then read within the [`Linger`] bounds and the closure says whether the request was already applied (a lost response resent): then 204 with the current validators instead of 412 (RFC 9110 §13.1.1) |
/// | `state = Type` | a type | the state the last argument is extracted with (see below) |
/// | `bind = name` | an identifier | makes `name: &Evaluation` available in the body |
///
/// The validator expressions may use any binding of the handler's arguments (except the body's,
/// which is not read yet), `.await`, and `?`. They run in the order written. A validator is an
/// expression: `return` in it is an error. It may bind names of its own, even one the body
/// extractor also binds; only a free use of the body's binding is refused. A validator that
/// awaits must be `Send` (axum runs handlers on several threads), so it holds no `Rc`,
/// `RefCell` borrow or `MutexGuard` across an `.await`; the error says so at the validator.
///
/// - **`None` means "does not exist".** When every validator given is `None`, the resource has
///   no current representation, unless `exists = …` says otherwise: a resource that exists
///   without an entity-tag or a date (so that `If-None-Match: *` on a `PUT` refuses to overwrite
///   it, and `If-Match: *` lets the write through) declares it with `exists = EXPR`, a `bool`
///   over the handler's arguments like the validators. With `exists`, it alone decides. This is what makes `If-Match: *` fail and a create-only
///   `If-None-Match: *` pass (see [Missing resources](#missing-resources)).
/// - **`?` works as in the body.** The error converts into the handler's error type (by `From`,
///   as `?` always does) and is answered through it, exactly as a `?` in the body would be; the
///   handler body does not run. The handler must then return a `Result` (it may be
///   `Result<impl IntoResponse, E>`).
/// - **`require = true`** applies RFC 6585 §3 to unsafe methods (anything but `GET`, `HEAD`,
///   `OPTIONS` and `TRACE`): a request gets 428, with a problem body telling the client what to
///   send, unless it carries `If-Match`, an `If-Unmodified-Since` that would be evaluated, or
///   (on a `PUT`, or on a `PATCH` with `creates = true`: see below) an `If-None-Match` holding
///   `*`. An `If-None-Match` of entity-tags only does not count (it would let an overwrite of
///   any other version through), nor does `If-Modified-Since`. The rule is [`Requirement`].
/// - **`creates`** says whether a `PUT` or `PATCH` to the route can create the resource, which
///   the attribute cannot see. Where it can, `If-None-Match: *` makes a request create-only, so
///   it satisfies `require`, the 428 offers it and the OpenAPI document lists it. Unset, a
///   `PUT` creates (RFC 9110 §9.3.4, "create or replace") and a `PATCH` does not (RFC 5789 §2
///   lets it, but most `PATCH` routes change what exists): write `creates = true` on a `PATCH`
///   that creates, `creates = false` on a `PUT` that only replaces. See [`Policy::creates`].
/// - **`weak_if_match = true`** lets `W/"7"` in `If-Match` match `"7"` (or `W/"7"`), for APIs
///   whose clients echo weak tags. RFC 9110 §13.1.1 prescribes strong comparison, the default.
/// - **`expose_validators = false`** keeps a 412 from telling the client the current `ETag`
///   and `Last-Modified` (in headers and body), for resources whose version is not every
///   client's business. Put authorization in an extractor before the validators: it answers
///   401/403 before any precondition is looked at.
/// - **`cache_control` and `vary`** are checked at compile time (visible ASCII, spaces and
///   tabs). A 304 is answered before the body runs, so it can only carry what is declared here,
///   and RFC 9110 §15.4.5 wants it to repeat the 200's `Cache-Control` and `Vary`.
///
/// # What the rewritten handler does
///
/// 1. Every argument that reads only the request head runs first, in the order written,
///    whatever its name and position: routing, authentication, tenant, path and query
///    rejections answer before anything about the resource is looked at (RFC 9110 §13.2.1:
///    preconditions come after the normal request checks). Put authorization in an extractor
///    and a caller who may not see the resource gets its 401, 403 or 404, never a 304 or a
///    412 that shows the current version. Which arguments read only the head is decided by
///    the type system: an argument whose type implements `FromRequestParts` is one.
/// 2. The validator expressions run.
/// 3. The preconditions are evaluated (RFC 9110 §13.2.2, [`evaluate`]), and
///    the runtime answers in place of the handler when it must:
///    - **304 Not Modified**: a `GET` or `HEAD` whose `If-None-Match` (or, without it,
///      `If-Modified-Since`) finds the client's copy current. It carries the `ETag` (or
///      `Last-Modified` when there is no tag) and the declared `cache_control` and `vary`.
///    - **412 Precondition Failed**: `If-Match` or `If-Unmodified-Since` failed, or
///      `If-None-Match` matched on a method other than `GET`/`HEAD`. It carries an RFC 9457
///      problem body naming the condition and the reason, and the current `ETag` and
///      `Last-Modified` so the client can re-read and retry.
///    - **428 Precondition Required**: with `require = true`, see above.
/// 4. Only then does an argument that reads the body run: the last one, when its type can be
///    extracted only through `FromRequest` (`Json`, `Bytes`, `String`, `Form`, `Request`, or
///    your own body extractor). A `PUT` with a stale `If-Match` gets its 412 without its body
///    being read or parsed. A validator cannot use such an argument (a compile error says so).
/// 5. The body runs. To a 2xx response to `GET` or `HEAD`, the macro adds `ETag` and
///    `Last-Modified` (unless the handler set them) and the declared `cache_control` and `vary`
///    (unless the handler set them). To other methods it adds nothing: validators loaded before
///    a change must not describe its result (RFC 9110 §9.3.4), so a write handler returns the
///    new ones itself, for instance as `(ETag, Json<Doc>)`. Non-2xx responses are left alone.
///
/// # Missing resources
///
/// RFC 9110 §13.2.1 says preconditions do not apply when the response without them would not
/// be 2xx, typically a 404. The runtime's rules, when every validator is `None`:
///
/// - `GET` or `HEAD` with a failing `If-Match`: the handler runs. Its non-2xx answer (the
///   404) is kept; a 2xx answer is replaced by the 412. A read changes nothing, so running it
///   first is harmless.
/// - Unsafe methods are evaluated, and a false condition is answered 412 before the handler
///   runs: `PUT` or `DELETE` with `If-Match: *` or `If-Match: "v1"` gets 412 (there is nothing
///   to match; RFC 9110 §13.1.1 says the method MUST NOT be performed), and `PUT` with
///   `If-None-Match: *` proceeds, to create the resource. `require = true` does not apply to a
///   `DELETE` without conditions of a missing resource: its answer is the handler's 404.
///
/// # Atomic writes: `bind`
///
/// The check runs before the write, so another client can still write in between. With
/// `bind = ev`, the body gets `ev: &Evaluation`: the resource as loaded (`ev.resource()`), the
/// tag the preconditions were checked against (`ev.checked_etag()`, whichever condition
/// passed), and the `Range` decision (`ev.range()`). Make the write conditional on that version
/// (a create on `None`) and answer the same 412 when no row changed:
///
/// ```rust
/// use axum_conditional::problem::PreconditionFailed;
/// use axum_conditional::{ETag, Failure, Resource, conditional};
/// # use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
/// # use std::sync::{Arc, Mutex};
/// # use axum::body::Body;
/// # use axum::extract::{Path, State};
/// # use axum::http::{Request, StatusCode};
/// # use axum::response::{IntoResponse, Response};
/// # use axum::{Json, Router, routing::put};
/// # use tower::ServiceExt as _;
/// #
/// # #[derive(Debug)]
/// # struct DbError;
/// # impl IntoResponse for DbError {
/// #     fn into_response(self) -> Response { StatusCode::SERVICE_UNAVAILABLE.into_response() }
/// # }
/// # /// One row, `(version, body)`; `interfere` makes another client write it just before the
/// # /// next `update`, between the precondition check and the write.
/// # #[derive(Clone, Default)]
/// # struct Db { row: Arc<Mutex<Option<(u64, String)>>>, interfere: Arc<AtomicBool> }
/// # impl Db {
/// #     async fn version(&self, _id: u64) -> Result<Option<u64>, DbError> {
/// #         Ok(self.row.lock().map_err(|_| DbError)?.as_ref().map(|(version, _)| *version))
/// #     }
/// #     async fn update(&self, _id: u64, expected: Option<u64>, body: String) -> Result<u64, DbError> {
/// #         let mut row = self.row.lock().map_err(|_| DbError)?;
/// #         if self.interfere.swap(false, SeqCst) {
/// #             if let Some((version, _)) = row.as_mut() { *version += 1 }
/// #         }
/// #         match (row.as_mut(), expected) {
/// #             (Some((version, stored)), Some(expected)) if *version == expected => {
/// #                 *version += 1;
/// #                 *stored = body;
/// #                 Ok(1)
/// #             }
/// #             _ => Ok(0),
/// #         }
/// #     }
/// # }
///
/// #[conditional(etag = db.version(id).await?.map(ETag::from_version), require = true, bind = ev)]
/// async fn put_doc(State(db): State<Db>, Path(id): Path<u64>, Json(body): Json<String>)
///     -> Result<Response, DbError>
/// {
///     // UPDATE docs SET body = ?, version = version + 1 WHERE id = ? AND version = ?
///     let expected = ev.checked_etag().and_then(ETag::version);
///     if db.update(id, expected, body).await? == 0 {
///         let now = Resource::existing(db.version(id).await?.map(ETag::from_version), None);
///         return Ok(PreconditionFailed::new(Failure::changed_during_request())
///             .with_current(&now)
///             .into_response());
///     }
///     let version = db.version(id).await?.unwrap_or_default();
///     Ok((ETag::from_version(version), "stored").into_response())
/// }
/// #
/// # /// The status and `ETag` of a `PUT` with `If-Match: if_match`.
/// # async fn send(app: &Router, if_match: &str) -> (StatusCode, Option<String>) {
/// #     let request = Request::put("/docs/1")
/// #         .header("content-type", "application/json")
/// #         .header("if-match", if_match)
/// #         .body(Body::from(r#""text""#))
/// #         .unwrap();
/// #     let response = app.clone().oneshot(request).await.unwrap();
/// #     let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
/// #     (response.status(), etag)
/// # }
/// #
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let db = Db::default();
/// # *db.row.lock().unwrap() = Some((1, String::new()));
/// # let app = Router::new().route("/docs/{id}", put(put_doc)).with_state(db.clone());
/// # assert_eq!(send(&app, r#""1""#).await, (StatusCode::OK, Some(r#""2""#.into())));
/// # // Stale: the early check answers.
/// # assert_eq!(send(&app, r#""1""#).await, (StatusCode::PRECONDITION_FAILED, Some(r#""2""#.into())));
/// # // Current at the check, changed before the write: the body answers the same 412.
/// # db.interfere.store(true, SeqCst);
/// # assert_eq!(send(&app, r#""2""#).await, (StatusCode::PRECONDITION_FAILED, Some(r#""3""#.into())));
/// # assert_eq!(db.row.lock().unwrap().as_ref().map(|(v, _)| *v), Some(3));
/// # }
/// ```
///
/// # Ranges
///
/// With `ranges = true`, the route serves byte ranges (RFC 9110 §14) of its handler's 200
/// responses, for `GET` and `HEAD`: a `Range: bytes=…` whose preconditions pass and whose
/// `If-Range` (if any) matches is answered 206 Partial Content with `Content-Range`, or
/// `multipart/byteranges` for several ranges; a range that selects nothing is answered 416 with
/// `Content-Range: bytes */length`; an invalid `Range`, or one in another unit, is ignored (the
/// full 200). The 200s and 206s carry `Accept-Ranges: bytes`. Only a response of known length
/// can be sliced: `Bytes`, `Vec<u8>`, `String`, `&'static str`, `Json`, any body with an exact
/// size hint, or [`Ranged`],
/// which reads only the requested bytes from a `RangeSource` (a file, a blob). The policy
/// against abusive range sets is in the [`range`] module.
///
/// `If-Range` with an entity-tag matches only by strong comparison. With a date, it matches
/// only a `Last-Modified` the route declares strong with `strong_last_modified = true`
/// (RFC 9110 §8.8.2.2): declare it only when the representation cannot change twice within
/// the same second (writes are serialised and at least a second apart, or the date is read
/// from a version that changes with every write and never goes back), and the date is at least
/// a second before the response's `Date`. Otherwise a client holding the old content and a date
/// equal to the new one would splice two versions; an `If-Range` date then never enables a
/// range, and the full 200 is sent, which is always safe.
///
/// A range is of the identity bytes, the ones the strong `ETag` and `If-Range` name, and a 206
/// is never content-coded, so `Accept-Encoding` does not change what a range request gets (and
/// no `Vary` is added for it). `compression::ConditionalCompressionLayer` (feature
/// `compression`) compresses no 206. tower-http's own `CompressionLayer` spares a response with
/// `Content-Range`, so a single range, but compresses a `multipart/byteranges` 206, whose parts
/// a client or cache would then read as ranges of the gzip-coded representation (RFC 9110
/// §14.6, §8.8.3.3): do not put it around a `ranges = true` route, or give it a predicate that
/// spares that type, `DefaultPredicate::new().and(NotForContentType::const_new(
/// "multipart/byteranges"))` (see the `compression` module).
///
/// # The last argument and `state`
///
/// `#[conditional]` extracts the last argument itself, with a state: the type named by
/// `state = T`; or else, when the last argument is a `State<U>`, that `U`; or else the `T` of
/// the handler's `State<T>` arguments (when they agree); or else `()`, which every extractor
/// that needs no state accepts. The last argument lives until the handler returns, as an
/// argument does, even when its pattern is `_` (a guard extractor holds its guard). An extractor that needs the
/// application state and is not the `T` of a `State<T>` argument (a `FromRequestParts<AppState>`
/// tenant extractor, a `FromRequest<AppState>` body extractor) needs `state = AppState`; any
/// type the router's state converts to by `FromRef` works.
///
/// # With `#[axum::debug_handler]`
///
/// Both orders work for every handler with at least one argument. Put `#[axum::debug_handler]`
/// first to have it check the function as written (the rewritten handler takes as many
/// arguments, so it can call it). After `#[conditional]`, it checks the rewritten function; if
/// no `State<T>` argument tells it the state, give it `state = …` as well. A handler with no
/// argument at all gets one (the request), so for it `#[axum::debug_handler]` must come after.
///
/// # With `#[tracing::instrument]`
///
/// Put `#[tracing::instrument]` *after* `#[conditional]` to get a span for every request: it
/// then wraps the rewritten handler, so a 304, 412 or 428 answered in place of the handler, a
/// validator's error and an extractor's rejection are all inside the span. The request the
/// rewritten handler takes is recorded as `Incoming(..)`, never with its headers (no
/// `Authorization` or cookie reaches a trace). The last argument is no longer a parameter
/// there: it is not recorded, a `skip` that names it is dropped, and `fields` cannot use it.
/// With `err`, the rewritten handler returns `Result<ConditionalResponse<T>, E>` for a handler
/// returning `Result<T, E>` (or an alias of one without `impl Trait` inside), so that the
/// handler's errors and the validators' `?` errors are recorded (a validator's error then
/// reaches the client without the lingering read of an unread body).
///
/// Placed *before* `#[conditional]`, `instrument` wraps the handler body only: a request
/// answered in place of the handler gets no span.
///
/// # The rewritten signature
///
/// Routing does not notice, but a unit test that calls the handler directly does: the last
/// argument is replaced by the rest of the request (added, when there is none), and the return
/// type `R` becomes `ConditionalResponse<R>`, whose `into_inner()` gives `Ok(R)` when the body ran and
/// `Err(response)` with the 304, 412, 428 or rejection otherwise. The last argument is then
/// extracted from that request, so build it as a router would (a `Path` needs the route's
/// parameters: prefer `Router::oneshot` for such handlers):
///
/// ```rust
/// # use axum::body::Body;
/// # use axum::extract::State;
/// # use axum::http::Request;
/// # use axum_conditional::{ETag, conditional};
/// # #[derive(Clone)]
/// # struct Store { version: u64 }
/// #[conditional(etag = ETag::from_version(store.version))]
/// async fn get_doc(State(store): State<Store>) -> String {
///     format!("version {}", store.version)
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), axum::http::Error> {
/// # let store = Store { version: 7 };
/// // The state comes with the request.
/// let request = Request::builder().header("if-none-match", r#""7""#).body(Body::empty())?;
/// let answer = get_doc((request, store.clone()).into()).await.into_inner();
/// assert_eq!(answer.unwrap_err().status(), 304);
///
/// let request = Request::builder().body(Body::empty())?;
/// let answer = get_doc((request, store).into()).await.into_inner();
/// assert_eq!(answer.unwrap(), "version 7");
/// # Ok(())
/// # }
/// ```
///
/// Attributes, visibility, argument patterns, generics, inner attributes, `return` and `?` in
/// the body are kept as written. Handlers take at most 16 arguments.
///
/// # Errors
///
/// Mistakes are reported at once, at the tokens that are wrong, and the function is otherwise
/// kept as written. For example:
///
/// ```text
/// error: unknown argument `etags` (did you mean `etag`?); the arguments are `etag`, `last_modified`, …
///  --> src/main.rs:3:15
///   |
/// 3 | #[conditional(etags = ETag::from_version(1))]
///   |               ^^^^^
///
/// error[E0277]: `etag = …` needs an `ETag` or an `Option<ETag>`, not `u64`
///  --> src/main.rs:4:22
///   |
/// 4 | #[conditional(etag = version)]
///   |                      ^^^^^^^ this expression has type `u64`
///   |
///   = note: build the tag with `ETag::from_version(n)`, `ETag::from_content(&bytes)`, `ETag::strong(s)?` or `s.parse::<ETag>()?`; …
///   = note: if this is a future, did you forget `.await`?
///
/// error[E0277]: `?` in a `#[conditional]` validator needs the handler to return a `Result`, and this one returns `String`
///  --> src/main.rs:8:39
///   |
/// 8 | #[conditional(etag = load_etag().await?)]
///   |                                       ^ `?` used here
///
/// error: validators run before the request body is read, so they cannot use `doc`, which the `Json` body extractor binds; …
///  --> src/main.rs:5:41
///   |
/// 5 | #[conditional(etag = ETag::from_version(doc))]
///   |                                         ^^^
///
/// error[E0277]: `#[conditional]` cannot extract `NeedsState` with the state `()`
///   --> src/main.rs:19:25
///    |
/// 19 | async fn handler(_body: NeedsState) -> &'static str {
///    |                         ^^^^^^^^^^ the last argument is extracted by `#[conditional]`, with state `()`
///    |
///    = note: if this extractor needs your application state, name its type in the attribute: `#[conditional(state = AppState, …)]` (…)
/// ```
///
/// Also reported: a function that is not `async`, an item that is not a function, a `self`
/// argument, no validator, a duplicate key, a key without a value or with the wrong kind of
/// value, a `last_modified` of the wrong type, a body extractor that is not the last argument,
/// a validator that uses an argument whose type reads the body, `return` in a validator, a
/// validator that is not `Send`, and more arguments than axum
/// accepts.
///
/// # Debugging
///
/// With the environment variable `AXUM_CONDITIONAL_DEBUG=1` set when the crate is compiled, the
/// macro prints each expansion to standard error (touch the file to make cargo recompile it).
///
/// # Crates
///
#[cfg(feature = "axum")]
pub use axum_conditional_macros::conditional;
