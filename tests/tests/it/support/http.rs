//! Requests to a `Router` through `tower::ServiceExt::oneshot`, and answers read to their end.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::Response;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

/// An answer, read to its end.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The first line of a header field, if it is visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, for a problem details document (RFC 9457).
    pub fn problem(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("problem body is not JSON ({e}): {:?}", self.body))
    }
}

/// A request with the given header field lines, in order, and body.
pub fn request(
    method: &str,
    uri: &str,
    fields: &[(&str, &str)],
    body: impl Into<Body>,
) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in fields {
        request = request.header(*name, *value);
    }
    request
        .body(body.into())
        .unwrap_or_else(|e| panic!("bad test request: {e}"))
}

/// Reads a response to its end.
pub async fn read(response: Response) -> Reply {
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .unwrap_or_else(|e| panic!("body: {e}"))
        .to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// Sends one request to `router` and reads the answer to its end.
pub async fn call(router: Router, request: Request<Body>) -> Reply {
    let response = router.oneshot(request).await.unwrap_or_else(|e| match e {});
    read(response).await
}
