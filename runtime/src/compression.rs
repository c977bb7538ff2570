//! Compression that keeps strong entity-tags right: one content-coding negotiated per request,
//! and a strong tag per content-coding (RFC 9110 §8.8.3.3), in one layer.
//!
//! [`ConditionalCompressionLayer`] is tower-http's compression (gzip, br, zstd and deflate, its
//! encoders, quality and predicates), composed through its public API with what a service with
//! strong tags needs around it:
//!
//! - **One coding per request, negotiated before the handler runs**, from `Accept-Encoding`
//!   alone, in one pass ([`negotiate`](crate::negotiate)): the layer puts the result in the
//!   request's extensions ([`ContentCoding`]), where the evaluator finds it, and hands
//!   tower-http a request that names exactly that coding (or none), so that both agree. A
//!   request that accepts nothing the layer offers (`identity;q=0`, `*;q=0`) gets identity:
//!   RFC 9110 §12.5.3 lets a server disregard the field, and a 406 in place of the handler's
//!   status would hide what happened to a write (a `POST` that created a row answered 406 is
//!   retried, and creates it twice). The handler behind the layer sees the rewritten field.
//! - **A strong tag per coding** (§8.8.3.3). The strong `ETag` of a 2xx response (other than a
//!   206) to a request negotiated to coding `c` becomes `"T~c"` (`"7~gzip"`, `"7~br"`,
//!   `"7~zstd"`, `"7~deflate"`); identity keeps `"T"`. The tag names the coding negotiated, not
//!   whether this body was worth compressing: the body of one version is always the same, so
//!   `"7~gzip"` still names one sequence of bytes, and that is what lets a 304 or 412 answered
//!   before the body exists carry the tag the 200 would carry (§15.4.5). A weak tag is left as
//!   it is (§8.8.1).
//! - **`Vary: accept-encoding`** on every response of the layer (§12.5.5), merged into the
//!   response's own `Vary` (never twice), 304 and 412 included, so that a cache keys every
//!   answer by the encoding it was chosen for.
//! - **Nothing changed but the body's coding, and only of a success**: tower-http compresses
//!   only a 2xx that is not partial (no 206, no `Content-Range`: a range is of the identity
//!   bytes, §14.2) and that its predicate accepts. A 304 has no content, a 412 or 428 may be
//!   followed by the swallowing of an unread request body, and an error is best read as it is.
//!   No status is ever replaced.
//!
//! The request side needs no layer of its own: the evaluator (`#[conditional]`,
//! [`evaluate`](crate::rfc::evaluate), [`Preconditions`](crate::Preconditions)) reads the negotiated
//! coding, so that:
//!
//! - `If-None-Match` on `GET`/`HEAD` (§13.1.2) matches the tag of the selected representation
//!   only: `"T~gzip"` while the request negotiates gzip. The 304 carries that tag, the tag of
//!   the response the cache stored, so that the cache updates that one (RFC 9111 §4.3.4),
//!   whichever condition produced it (`If-Modified-Since` alone too). A client that switched
//!   encodings gets a 200.
//! - `If-Match` (§13.1.1) with the tag of any coding of the current representation is true,
//!   with any coding of an older one false (412). The 412 shows the tag a `GET` with the same
//!   `Accept-Encoding` gets, so that the client can re-read and retry.
//! - `If-Range` (§13.1.5) compares exactly with the identity tag, and a partial response is
//!   never compressed, so a coded tag there never matches: the full representation is sent,
//!   never a range of one encoding spliced onto another.
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
//! it compresses before the tags are made per coding, with a coding of its own choosing;
//! *outside* it, it compresses what this layer left alone on purpose, under the tag the
//! evaluator gave it. A proxy that compresses (nginx `gzip on`) only touches identity responses
//! and weakens their tags; see [`Policy::weak_if_match`](crate::Policy::weak_if_match) for the
//! writes it sends back.
//!
//! # Ranges
//!
//! A partial response is never compressed (above), so `#[conditional(…, ranges = true)]`
//! routes may sit behind this layer: their 206s, single or `multipart/byteranges`, go out as
//! they are, and `Accept-Encoding` changes nothing about a range request. tower-http's own
//! `CompressionLayer` spares only a response with `Content-Range`; a `multipart/byteranges` 206
//! has none (RFC 9110 §14.6 puts one in each part), so that layer would compress it, and a
//! client or cache would read its parts as ranges of the compressed representation. Where
//! that layer must stay around a `ranges = true` route, give it a predicate that spares them:
//!
//! ```
//! use tower_http::compression::predicate::{NotForContentType, Predicate as _};
//! use tower_http::compression::{CompressionLayer, DefaultPredicate};
//!
//! let spares_multipart_ranges = CompressionLayer::new().compress_when(
//!     DefaultPredicate::new().and(NotForContentType::const_new("multipart/byteranges")),
//! );
//! # let _ = spares_multipart_ranges;
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_http::compression::{
    Compression, CompressionBody, CompressionLayer, CompressionLevel, DefaultPredicate, Predicate,
};
use tower_layer::Layer;
use tower_service::Service;

use crate::rfc::coding::{self, Codings};
use crate::rfc::{ContentCoding, ETag};

/// tower-http's compression with one coding negotiated per request and a strong entity-tag per
/// coding; see the [module documentation](self) for what it does and where it goes.
///
/// Configured as tower-http's `CompressionLayer` is: which codings, the quality, the predicate.
///
/// ```
/// use axum_conditional::compression::ConditionalCompressionLayer;
/// use tower_http::compression::CompressionLevel;
/// use tower_http::compression::predicate::{Predicate, SizeAbove};
///
/// // tower-http's defaults: gzip, br, zstd and deflate, above 32 bytes, not for images.
/// let default = ConditionalCompressionLayer::new();
///
/// let gzip_only = ConditionalCompressionLayer::new()
///     .br(false)
///     .zstd(false)
///     .deflate(false)
///     .quality(CompressionLevel::Fastest)
///     .compress_when(SizeAbove::new(1024));
/// # let _ = (default, gzip_only);
/// ```
#[derive(Clone, Debug)]
pub struct ConditionalCompressionLayer<P = DefaultPredicate> {
    codings: Codings,
    quality: CompressionLevel,
    predicate: P,
}

impl ConditionalCompressionLayer {
    /// tower-http's defaults: every coding it supports (gzip, br, zstd, deflate), its default
    /// quality and predicate.
    pub fn new() -> Self {
        Self {
            codings: Codings::ALL,
            quality: CompressionLevel::default(),
            predicate: DefaultPredicate::new(),
        }
    }
}

impl Default for ConditionalCompressionLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> ConditionalCompressionLayer<P> {
    /// Offers gzip, or not.
    #[must_use]
    pub fn gzip(self, on: bool) -> Self {
        self.coding(ContentCoding::Gzip, on)
    }

    /// Offers br, or not.
    #[must_use]
    pub fn br(self, on: bool) -> Self {
        self.coding(ContentCoding::Br, on)
    }

    /// Offers zstd, or not.
    #[must_use]
    pub fn zstd(self, on: bool) -> Self {
        self.coding(ContentCoding::Zstd, on)
    }

    /// Offers deflate, or not.
    #[must_use]
    pub fn deflate(self, on: bool) -> Self {
        self.coding(ContentCoding::Deflate, on)
    }

    fn coding(mut self, coding: ContentCoding, on: bool) -> Self {
        self.codings = self.codings.with(coding, on);
        self
    }

    /// The compression quality, as tower-http's.
    #[must_use]
    pub fn quality(mut self, quality: CompressionLevel) -> Self {
        self.quality = quality;
        self
    }

    /// Which successful responses are worth compressing, as tower-http's predicates decide
    /// (`SizeAbove`, `NotForContentType`, and their combinations). Whatever it says, only a 2xx
    /// that is not partial is ever compressed.
    pub fn compress_when<C: Predicate>(self, predicate: C) -> ConditionalCompressionLayer<C> {
        ConditionalCompressionLayer {
            codings: self.codings,
            quality: self.quality,
            predicate,
        }
    }
}

impl<S, P: Predicate> Layer<S> for ConditionalCompressionLayer<P> {
    type Service = ConditionalCompression<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        let offered = |coding| self.codings.contains(coding);
        let compression = CompressionLayer::new()
            .gzip(offered(ContentCoding::Gzip))
            .br(offered(ContentCoding::Br))
            .zstd(offered(ContentCoding::Zstd))
            .deflate(offered(ContentCoding::Deflate))
            .quality(self.quality)
            .compress_when(Allowed(self.predicate.clone()));
        ConditionalCompression {
            inner: compression.layer(inner),
            codings: self.codings,
        }
    }
}

/// The service of [`ConditionalCompressionLayer`]: tower-http's `Compression` around the
/// wrapped service, with the negotiation before it and the tag after it.
#[derive(Clone)]
pub struct ConditionalCompression<S, P = DefaultPredicate> {
    inner: Compression<S, Allowed<P>>,
    codings: Codings,
}

impl<S, P> std::fmt::Debug for ConditionalCompression<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConditionalCompression")
            .field("codings", &self.codings)
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
    type Future = ResponseFuture<<Compression<S, Allowed<P>> as Service<Request<ReqBody>>>::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let headers = request.headers_mut();
        let coding = coding::negotiate(
            headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .map(HeaderValue::as_bytes),
            self.codings,
        );
        // tower-http negotiates again from the field: give it the answer, so that the body's
        // coding is the one the tags name, and a request that accepts nothing offered gets
        // identity (tower-http would answer 406 in place of the handler's status).
        // `insert` replaces every line of the field at once: one lookup, not a removal first.
        match coding {
            Some(coding) => {
                headers.insert(
                    header::ACCEPT_ENCODING,
                    HeaderValue::from_static(coding.token()),
                );
                request.extensions_mut().insert(coding);
            }
            None => {
                headers.remove(header::ACCEPT_ENCODING);
            }
        }
        ResponseFuture {
            inner: self.inner.call(request),
            coding,
        }
    }
}

pin_project! {
    /// The response future of [`ConditionalCompression`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        coding: Option<ContentCoding>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        vary_on_accept_encoding(response.headers_mut());
        code_etag(&mut response, *this.coding);
        Poll::Ready(Ok(response))
    }
}

/// tower-http's predicate, for successes only: a 2xx that is not partial (a 206, or anything
/// with `Content-Range`: a range of the identity bytes, RFC 9110 §14.2; tower-http itself only
/// spares `Content-Range`, and a `multipart/byteranges` 206 has none).
#[derive(Clone, Copy, Debug)]
pub struct Allowed<P>(P);

impl<P: Predicate> Predicate for Allowed<P> {
    fn should_compress<B: http_body::Body>(&self, response: &Response<B>) -> bool {
        let status = response.status();
        status.is_success()
            && status != StatusCode::PARTIAL_CONTENT
            && !response.headers().contains_key(header::CONTENT_RANGE)
            && self.0.should_compress(response)
    }
}

/// Makes the strong `ETag` of a 2xx response (not a 206) to a request negotiated to `coding`
/// the coded tag of that coding: the tag of the representation selected for the request, as
/// the evaluator names it (`crate::rfc::coding`). A 304 or 412 already carries the evaluator's.
fn code_etag<B>(response: &mut Response<B>, coding: Option<ContentCoding>) {
    let status = response.status();
    let Some(coding) = coding else {
        return;
    };
    if !status.is_success() || status == StatusCode::PARTIAL_CONTENT {
        return;
    }
    let headers = response.headers_mut();
    let Some(tag) = headers
        .get(header::ETAG)
        .and_then(|value| ETag::try_from(value).ok())
        .filter(|tag| !tag.is_weak())
    else {
        return;
    };
    headers.insert(header::ETAG, coding::coded(&tag, coding).into());
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
    fn tower_http_compresses_2xx_only_and_never_a_range() {
        let response = |status: u16, headers: &[(header::HeaderName, &'static str)]| {
            let mut response = Response::new("x".repeat(1000));
            *response.status_mut() = StatusCode::from_u16(status).expect("a status");
            for (name, value) in headers {
                response
                    .headers_mut()
                    .insert(name.clone(), HeaderValue::from_static(value));
            }
            response
        };
        let allowed = Allowed(DefaultPredicate::new());
        for (status, headers, expected) in [
            (200, &[][..], true),
            (201, &[(header::ETAG, "\"7\"")][..], true),
            (200, &[(header::ETAG, "\"7~gzip\"")][..], true),
            (412, &[(header::ETAG, "\"7\"")][..], false),
            (404, &[][..], false),
            (304, &[(header::ETAG, "\"7\"")][..], false),
            (206, &[][..], false),
            (200, &[(header::CONTENT_RANGE, "bytes 0-1/2")][..], false),
            (200, &[(header::CONTENT_TYPE, "image/png")][..], false),
        ] {
            assert_eq!(
                allowed.should_compress(&response(status, headers)),
                expected,
                "{status} {headers:?}"
            );
        }
    }

    #[test]
    fn the_tag_of_a_2xx_is_coded_once_and_only_a_strong_one() {
        for (status, tag, coding, expected) in [
            (200, "\"7\"", Some(ContentCoding::Gzip), "\"7~gzip\""),
            (201, "\"7\"", Some(ContentCoding::Br), "\"7~br\""),
            (200, "W/\"7\"", Some(ContentCoding::Gzip), "W/\"7\""),
            (200, "\"7\"", None, "\"7\""),
            (206, "\"7\"", Some(ContentCoding::Gzip), "\"7\""),
            (304, "\"7~gzip\"", Some(ContentCoding::Gzip), "\"7~gzip\""),
            (412, "\"7~gzip\"", Some(ContentCoding::Gzip), "\"7~gzip\""),
            (200, "garbage", Some(ContentCoding::Gzip), "garbage"),
        ] {
            let mut response = Response::new(());
            *response.status_mut() = StatusCode::from_u16(status).expect("a status");
            response
                .headers_mut()
                .insert(header::ETAG, HeaderValue::from_static(tag));
            code_etag(&mut response, coding);
            assert_eq!(
                response.headers()[header::ETAG],
                expected,
                "{status} {tag} {coding:?}"
            );
        }
    }
}
