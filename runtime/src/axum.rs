//! axum integration: extractors and response parts.

use std::convert::Infallible;

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};
use http::header;
use http::request::Parts;

use crate::answer::{Answer, NotModified};
use crate::problem::{PreconditionFailed, PreconditionRequired};
use crate::{ETag, LastModified, Preconditions};

impl<S: Send + Sync> FromRequestParts<S> for Preconditions {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Preconditions::new(&parts.method, &parts.headers))
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

impl IntoResponse for NotModified {
    fn into_response(self) -> Response {
        self.into_http_response()
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
        self.into_http_response()
    }
}
