//! Compression that keeps strong entity-tags right: a strong tag per content-coding
//! (RFC 9110 §8.8.3.3), in one layer.
//!
//! [`ConditionalCompressionLayer`] is tower-http's [`CompressionLayer`] (gzip, br, zstd and
//! deflate, as it negotiates them from `Accept-Encoding`), with what a service with strong tags
//! needs around it:
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
//!   already ends in a coding suffix (see [`ETag::strong`](crate::ETag::strong)). These never
//!   reach tower-http: a 304 costs no compression work at all, not even the negotiation.
//!   Everything else is tower-http's to decide, with the predicate, codings and quality it was
//!   configured with, including its 406 when a request accepts no coding at all.
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
//! skips what this layer compressed but compresses what this layer left alone on purpose (a 206
//! without `Content-Range`, a 304, a reserved tag), and with another predicate any identity
//! response, under its identity tag. A proxy that compresses (nginx `gzip on`) only touches
//! identity responses and weakens their tags; see
//! [`Policy::weak_if_match`](crate::Policy::weak_if_match) for the writes it sends back.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body::Body;
use pin_project_lite::pin_project;
use tower_http::compression::{CompressionBody, CompressionLayer, DefaultPredicate, Predicate};
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
            inner,
            compression: Arc::new(self.compression.clone()),
        }
    }
}

/// The service of [`ConditionalCompressionLayer`].
///
/// tower-http's compression only sees the responses it may encode: a 304, a partial response,
/// a response with its own `Content-Encoding` or a reserved tag never reaches it, so that the
/// 304 answered before the handler costs no compression work at all (not even tower-http's
/// `Accept-Encoding` parsing and its 6 KB body wrapper).
#[derive(Clone)]
pub struct ConditionalCompression<S, P = DefaultPredicate> {
    inner: S,
    /// Shared: axum clones a route's service for every request, and the response future
    /// needs it too.
    compression: Arc<CompressionLayer<P>>,
}

impl<S, P> std::fmt::Debug for ConditionalCompression<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConditionalCompression")
            .finish_non_exhaustive()
    }
}

impl<ReqBody, S, P> Service<Request<ReqBody>> for ConditionalCompression<S, P>
where
    S: Service<Request<ReqBody>, Response = Response<axum_core::body::Body>>,
    P: Predicate,
{
    /// axum's body: an identity response keeps the wrapped service's body as it is, and only an
    /// encoded one is boxed, around tower-http's encoder (about 6 KB, with room for every
    /// encoder, that every move would copy).
    type Response = Response<axum_core::body::Body>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, P>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The request's `Accept-Encoding`, kept for tower-http to negotiate with once the
        // response is known: a clone of a value hyper parsed shares its buffer.
        let mut lines = request.headers().get_all(header::ACCEPT_ENCODING).iter();
        let accept = AcceptEncoding {
            first: lines.next().cloned(),
            more: lines.cloned().collect(),
        };
        ResponseFuture {
            inner: self.inner.call(request),
            negotiation: Some((accept, Arc::clone(&self.compression))),
        }
    }
}

/// The `Accept-Encoding` field lines of a request (nearly always zero or one: the first is
/// kept inline, the rest allocate only when a client sends several).
#[derive(Debug)]
struct AcceptEncoding {
    first: Option<HeaderValue>,
    more: Vec<HeaderValue>,
}

pin_project! {
    /// The response future of [`ConditionalCompression`].
    pub struct ResponseFuture<F, P> {
        #[pin]
        inner: F,
        negotiation: Option<(AcceptEncoding, Arc<CompressionLayer<P>>)>,
    }
}

impl<F, E, P> Future for ResponseFuture<F, P>
where
    F: Future<Output = Result<Response<axum_core::body::Body>, E>>,
    P: Predicate,
{
    type Output = Result<Response<axum_core::body::Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        let negotiation = this.negotiation.take();
        vary_on_accept_encoding(response.headers_mut());
        let Some((accept, compression)) = negotiation.filter(|_| may_encode(&response)) else {
            return Poll::Ready(Ok(response));
        };
        let mut response = compress(response, accept, &compression);
        let encoded = response.headers().contains_key(header::CONTENT_ENCODING);
        if encoded && response.status().is_success() {
            let coding = response
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|value| Coding::from_token(value.as_bytes()));
            code_etag(response.headers_mut(), coding);
        }
        Poll::Ready(Ok(response.map(|body| {
            if encoded {
                axum_core::body::Body::new(body)
            } else {
                // Not encoded: tower-http's identity body is the wrapped one, unboxed.
                body.into_inner()
            }
        })))
    }
}

/// tower-http's compression of `response`, negotiated with the request's `Accept-Encoding`:
/// its service around one that answers with this response, called once. Its future is ready
/// at once (it only waits for its inner future, here a ready one), so it is polled in place.
fn compress<B, P>(
    response: Response<B>,
    accept: AcceptEncoding,
    compression: &CompressionLayer<P>,
) -> Response<CompressionBody<B>>
where
    B: Body,
    P: Predicate,
{
    let mut request = Request::new(());
    let headers = request.headers_mut();
    for value in accept.first.into_iter().chain(accept.more) {
        headers.append(header::ACCEPT_ENCODING, value);
    }
    let mut service = compression.layer(Answer(Some(response)));
    let future = std::pin::pin!(service.call(request));
    let mut cx = Context::from_waker(std::task::Waker::noop());
    match future.poll(&mut cx) {
        Poll::Ready(Ok(response)) => response,
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => unreachable!("tower-http's compression waits only for its inner future"),
    }
}

/// A service that answers its one request with a response it already has.
struct Answer<B>(Option<Response<B>>);

impl<B> Service<Request<()>> for Answer<B> {
    type Response = Response<B>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Response<B>, std::convert::Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        let response = self.0.take().expect("`compress` calls this service once");
        std::future::ready(Ok(response))
    }
}

/// Whether tower-http may encode `response`: not when it already has a `Content-Encoding`
/// (the service's own coding, and its own tags), nor a 304 (no content; its tag is the one its
/// request matched), a partial response (a range of the identity bytes, RFC 9110 §14.2; tower-
/// http itself only spares responses with `Content-Range`, and a `multipart/byteranges` 206
/// has none), or a strong tag in the reserved coded form (see [`ETag::strong`]).
fn may_encode<B>(response: &Response<B>) -> bool {
    let status = response.status();
    let headers = response.headers();
    !(status == StatusCode::NOT_MODIFIED
        || status == StatusCode::PARTIAL_CONTENT
        || headers.contains_key(header::CONTENT_ENCODING)
        || headers.contains_key(header::CONTENT_RANGE)
        || headers
            .get(header::ETAG)
            .and_then(|value| ETag::try_from(value).ok())
            .is_some_and(|tag| !tag.is_weak() && coding::split(tag.opaque()).1.is_some()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_names_accept_encoding_once() {
        for (lines, expected) in [
            (&[][..], &["accept-encoding"][..]),
            (&["accept"], &["accept", "accept-encoding"]),
            (&["Accept-Encoding"], &["Accept-Encoding"]),
            (&["origin, ACCEPT-ENCODING "], &["origin, ACCEPT-ENCODING "]),
            (
                &["origin", "accept-encoding"],
                &["origin", "accept-encoding"],
            ),
            (&["*"], &["*"]),
            (
                &["accept-encodings"],
                &["accept-encodings", "accept-encoding"],
            ),
        ] {
            let mut headers = HeaderMap::new();
            for line in lines {
                headers.append(header::VARY, HeaderValue::from_static(line));
            }
            vary_on_accept_encoding(&mut headers);
            let vary: Vec<_> = headers.get_all(header::VARY).iter().collect();
            assert_eq!(vary, expected.to_vec(), "{lines:?}");
        }
    }

    #[test]
    fn what_tower_http_never_sees() {
        let response = |status: u16, headers: &[(header::HeaderName, &'static str)]| {
            let mut response = Response::new(());
            *response.status_mut() = StatusCode::from_u16(status).expect("a status");
            for (name, value) in headers {
                response
                    .headers_mut()
                    .insert(name.clone(), HeaderValue::from_static(value));
            }
            response
        };
        for (status, headers, expected) in [
            (200, &[][..], true),
            (201, &[(header::ETAG, "\"7\"")][..], true),
            (412, &[(header::ETAG, "\"7\"")][..], true),
            (200, &[(header::ETAG, "W/\"7~gzip\"")][..], true),
            (200, &[(header::ETAG, "\"7~gzip\"")][..], false),
            (200, &[(header::ETAG, "\"7~br\"")][..], false),
            (304, &[(header::ETAG, "\"7\"")][..], false),
            (206, &[][..], false),
            (200, &[(header::CONTENT_RANGE, "bytes 0-1/2")][..], false),
            (200, &[(header::CONTENT_ENCODING, "gzip")][..], false),
        ] {
            assert_eq!(
                may_encode(&response(status, headers)),
                expected,
                "{status} {headers:?}"
            );
        }
    }
}
