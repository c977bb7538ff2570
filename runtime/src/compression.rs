//! Compression that keeps strong entity-tags right: a strong tag per content-coding
//! (RFC 9110 §8.8.3.3), in one layer.
//!
//! [`ConditionalCompressionLayer`] is tower-http's
//! [`CompressionLayer`](tower_http::compression::CompressionLayer) (gzip, br, zstd and deflate,
//! as it negotiates them from `Accept-Encoding`), with what a service with strong tags needs
//! around it:
//!
//! - **A strong tag per coding** (§8.8.3.3). A strong `ETag` vouches for the exact bytes sent,
//!   and a gzip body is other bytes than the identity one. When the layer compresses a 2xx
//!   response whose `ETag` is strong, `"T"` becomes `"T~c"` for coding `c` (`"7~gzip"`,
//!   `"7~br"`, `"7~zstd"`, `"7~deflate"`); an identity response keeps `"T"`. A weak tag is left
//!   as it is: a weak tag may be shared by codings that are semantically the same (§8.8.1). The
//!   `ETag` of any other response (a 412's, which names the current representation, not the
//!   problem body) is left as it is.
//! - **`Vary: accept-encoding`** on every response of the layer (§12.5.5), merged into the
//!   response's own `Vary` (never twice), including 304 and 412, so that a cache keys every
//!   answer by the encoding it was chosen for.
//! - **Nothing compressed that must not be**: a 304 (it has no content, and carries the tag it
//!   matched), a 206 or any response with `Content-Range` (a range of the identity bytes; tower-
//!   http leaves only responses with `Content-Range` alone, and a `multipart/byteranges` 206 has
//!   none), a response that already has a `Content-Encoding`, and a response whose strong tag
//!   already ends in a coding suffix (see [`ETag::strong`](crate::ETag::strong)).
//!
//! The request side needs no layer: the evaluator (`#[conditional]`, [`evaluate`](crate::evaluate),
//! [`Preconditions`](crate::Preconditions)) reads coded tags in every condition, so:
//!
//! - `If-None-Match` on `GET`/`HEAD` (§13.1.2) with `"T~gzip"` is a 304 while the request still
//!   accepts gzip (§12.5.3), before the handler runs and with no compression work; the 304
//!   carries `"T~gzip"`, the tag of the response the cache stored, so that the cache updates
//!   that one (RFC 9111 §4.3.4). A client that switched encodings gets a 200.
//! - `If-Match` (§13.1.1) with the tag of any coding of the current representation is true, with
//!   any coding of an older one false (412). The 412 shows the identity tag, which every coding
//!   matches.
//! - `If-Range` (§13.1.5) compares exactly with the representation that would be sent, and a
//!   partial response is never compressed, so a coded tag there never matches: the full
//!   representation is sent, never a range of one encoding spliced onto another.
//!
//! # Where it goes
//!
//! It replaces tower-http's `CompressionLayer`: put it where that layer would be, on the whole
//! router (or on the routes that compress), and do not keep tower-http's layer as well.
//!
//! ```
//! use axum::{Router, routing::get};
//! use axum_conditional::compression::ConditionalCompressionLayer;
//!
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .layer(ConditionalCompressionLayer::new());
//! ```
//!
//! Layers that do not change the body (CORS, tracing, timeouts) may sit outside it or inside
//! it. Keeping tower-http's `CompressionLayer` too would undo the guarantee: *inside* this layer
//! it compresses before the tags are made per coding, so this layer sees an already encoded
//! response and leaves its tag shared by every coding (§8.8.3.3 broken again); *outside* it, it
//! skips what this layer compressed but compresses what this layer left alone on purpose, a 206
//! without `Content-Range` or a 304. A proxy that compresses (nginx `gzip on`) only touches
//! identity responses and weakens their tags; see
//! [`Policy::weak_if_match`](crate::Policy::weak_if_match) for the writes it sends back.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_http::compression::{
    Compression, CompressionBody, CompressionLayer, DefaultPredicate, Predicate,
};
use tower_layer::Layer;
use tower_service::Service;

use crate::ETag;
use crate::coding::{self, Coding};

/// tower-http's compression with a strong entity-tag per content-coding; see the
/// [module documentation](self) for what it does and where it goes.
///
/// ```
/// use axum_conditional::compression::ConditionalCompressionLayer;
/// use tower_http::compression::{CompressionLayer, CompressionLevel};
///
/// // tower-http's defaults: gzip, br, zstd and deflate, above 32 bytes, not for images.
/// let default = ConditionalCompressionLayer::new();
///
/// // Configured as tower-http's own layer is: codings, quality, predicate.
/// let gzip_only = ConditionalCompressionLayer::from_layer(
///     CompressionLayer::new().no_br().no_zstd().no_deflate().quality(CompressionLevel::Fastest),
/// );
/// # let _ = (default, gzip_only);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ConditionalCompressionLayer<P = DefaultPredicate> {
    compression: CompressionLayer<P>,
}

impl ConditionalCompressionLayer {
    /// tower-http's `CompressionLayer::new()`: every coding it supports (gzip, br, zstd,
    /// deflate), its default quality and predicate.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<P> ConditionalCompressionLayer<P> {
    /// Wraps a configured tower-http `CompressionLayer` (codings, quality, predicate). Its
    /// predicate decides as before; this layer only adds the refusals listed in the
    /// [module documentation](self).
    pub fn from_layer(compression: CompressionLayer<P>) -> Self {
        Self { compression }
    }
}

impl<S, P: Predicate> Layer<S> for ConditionalCompressionLayer<P> {
    type Service = ConditionalCompression<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        ConditionalCompression {
            inner: self.compression.layer(Guard { inner }),
        }
    }
}

/// The service of [`ConditionalCompressionLayer`].
#[derive(Clone)]
pub struct ConditionalCompression<S, P = DefaultPredicate> {
    inner: Compression<Guard<S>, P>,
}

impl<S, P> std::fmt::Debug for ConditionalCompression<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConditionalCompression")
            .finish_non_exhaustive()
    }
}

impl<ReqBody, ResBody, S, P> Service<Request<ReqBody>> for ConditionalCompression<S, P>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: http_body::Body,
    P: Predicate,
{
    type Response = Response<CompressionBody<ResBody>>;
    type Error = S::Error;
    type Future =
        ResponseFuture<tower_http::compression::ResponseFuture<GuardFuture<S::Future>, P>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        ResponseFuture {
            inner: self.inner.call(request),
        }
    }
}

pin_project! {
    /// The response future of [`ConditionalCompression`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut response = ready!(self.project().inner.poll(cx))?;
        settle(&mut response);
        Poll::Ready(Ok(response))
    }
}

/// The service between tower-http's compression and the wrapped one: it keeps tower-http from
/// compressing what must not be.
#[derive(Clone, Debug)]
pub struct Guard<S> {
    inner: S,
}

impl<ReqBody, ResBody, S> Service<Request<ReqBody>> for Guard<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        GuardFuture {
            inner: self.inner.call(request),
        }
    }
}

pin_project! {
    /// The response future of [`Guard`].
    pub struct GuardFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F, B, E> Future for GuardFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut response = ready!(self.project().inner.poll(cx))?;
        guard(&mut response);
        Poll::Ready(Ok(response))
    }
}

/// Marks a response the wrapped service sent with its own `Content-Encoding`: its tag is the
/// service's business, and this layer leaves it alone.
#[derive(Clone, Copy, Debug)]
struct EncodedByService;

/// The `Content-Encoding` that keeps tower-http from compressing a response (it never
/// re-encodes one that has a `Content-Encoding`), removed again by [`settle`]. `identity` is
/// not a content-coding a response is sent with (RFC 9110 §8.4.1), so it cannot be confused
/// with a coding the service chose; and a service's own one is marked [`EncodedByService`].
const HOLD: HeaderValue = HeaderValue::from_static("identity");

/// On the wrapped service's response, before tower-http sees it.
fn guard<B>(response: &mut Response<B>) {
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        response.extensions_mut().insert(EncodedByService);
        return;
    }
    if must_stay_identity(response.status(), response.headers()) {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HOLD);
    }
}

/// A 304 (no content; its tag is the one its request matched), a partial response (a range of
/// the identity bytes, RFC 9110 §14.2), or a strong tag in the reserved coded form.
fn must_stay_identity(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::NOT_MODIFIED
        || status == StatusCode::PARTIAL_CONTENT
        || headers.contains_key(header::CONTENT_RANGE)
        || headers
            .get(header::ETAG)
            .and_then(|value| ETag::try_from(value).ok())
            .is_some_and(|tag| !tag.is_weak() && coding::split(tag.opaque()).1.is_some())
}

/// On tower-http's response: the hold removed, the coded tag, and `Vary`.
fn settle<B>(response: &mut Response<B>) {
    let by_service = response.extensions().get::<EncodedByService>().is_some();
    let success = response.status().is_success();
    let headers = response.headers_mut();
    if !by_service {
        let encoding = headers
            .get(header::CONTENT_ENCODING)
            .map(|value| (*value == HOLD, Coding::from_token(value.as_bytes())));
        match encoding {
            Some((true, _)) => {
                headers.remove(header::CONTENT_ENCODING);
            }
            Some((false, coding)) if success => code_etag(headers, coding),
            _ => {}
        }
    }
    vary_on_accept_encoding(headers);
}

/// Makes the strong `ETag` of a response tower-http encoded the coded tag of its coding; a
/// coding without a tag form (none that tower-http writes today) weakens it instead, which is
/// always true (§8.8.1).
fn code_etag(headers: &mut HeaderMap, coding: Option<Coding>) {
    let Some(tag) = headers
        .get(header::ETAG)
        .and_then(|value| ETag::try_from(value).ok())
        .filter(|tag| !tag.is_weak())
    else {
        return;
    };
    let coded = match coding {
        Some(coding) => coding::coded(&tag, coding),
        None => tag.into_weak(),
    };
    headers.insert(header::ETAG, coded.into());
}

/// Adds `accept-encoding` to `Vary` unless a member already names it or is `*`.
fn vary_on_accept_encoding(headers: &mut HeaderMap) {
    let covered = headers.get_all(header::VARY).iter().any(|line| {
        line.as_bytes()
            .split(|&b| b == b',')
            .map(<[u8]>::trim_ascii)
            .any(|member| member == b"*" || member.eq_ignore_ascii_case(b"accept-encoding"))
    });
    if !covered {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}
