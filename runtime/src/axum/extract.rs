//! axum integration: extractors and response parts.

use std::convert::Infallible;

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};
use http::header;
use http::request::Parts;

use crate::rfc::answer::{Answer, NotModified};
use crate::rfc::problem::{PreconditionFailed, PreconditionRequired};
use crate::rfc::{ContentCoding, ETag, LastModified, Preconditions};

impl<S: Send + Sync> FromRequestParts<S> for Preconditions {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Preconditions::new(&parts.method, &parts.headers)
            .with_coding(ContentCoding::of(&parts.extensions)))
    }
}

/// Sets the `ETag` header, so a write handler can return `(new_etag, Json(doc))`.
impl IntoResponseParts for ETag {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Infallible> {
        res.headers_mut().insert(header::ETAG, self.into());
        Ok(res)
    }
}

/// Sets the `ETag` header.
impl IntoResponse for ETag {
    fn into_response(self) -> Response {
        (self, ()).into_response()
    }
}

/// Sets the `Last-Modified` header.
impl IntoResponseParts for LastModified {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Infallible> {
        res.headers_mut().insert(header::LAST_MODIFIED, self.into());
        Ok(res)
    }
}

/// Sets the `Last-Modified` header.
impl IntoResponse for LastModified {
    fn into_response(self) -> Response {
        (self, ()).into_response()
    }
}

/// A 304 to `GET` keeps its body of known length 0: hyper drops the `content-length: 0` from
/// a 304 itself. A 304 to `HEAD` gets a body of no stated length: axum's router turns a body of
/// known length into `Content-Length`, and hyper sends a `HEAD` answer's `Content-Length` as it
/// is, where RFC 9110 §8.6 allows only the length of the 200 that the 304 stands for, which an
/// answer given before the handler cannot know.
impl IntoResponse for NotModified {
    fn into_response(self) -> Response {
        let head = self.answers_head();
        let response: Response = self.into_http_response();
        if head {
            return response.map(|_| axum_core::body::Body::new(NoLength));
        }
        response
    }
}

/// An empty body that states no length (see the `IntoResponse` of [`NotModified`]).
struct NoLength;

impl http_body::Body for NoLength {
    type Data = bytes::Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        std::task::Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        true
    }

    fn size_hint(&self) -> http_body::SizeHint {
        // Unknown, on purpose: an exact 0 becomes `Content-Length: 0`.
        http_body::SizeHint::default()
    }
}

impl IntoResponse for PreconditionFailed {
    fn into_response(self) -> Response {
        self.into_http_response()
    }
}

impl IntoResponse for PreconditionRequired {
    fn into_response(self) -> Response {
        self.into_http_response()
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::NotModified(answer) => answer.into_response(),
            answer => answer.into_http_response(),
        }
    }
}
