//! A refusal that reaches the client even when the request body was never read.
//!
//! The point of answering 412 or 428 before the body extractor runs is not to read a body that
//! will be thrown away. But when a handler's response is complete while the client is still
//! sending its body, hyper closes the connection with unread bytes in the socket, the kernel
//! answers them with a TCP reset, and the reset can destroy the refusal before the client has
//! read it (measured over loopback with 64 KiB bodies: 11 to 14 % of the 412s were lost).
//!
//! So a refusal (or a validator's error) answering a request that has a body keeps that body: the response's own bytes go out
//! first, and only then is the rest of the request body swallowed, unparsed, up to
//! [`LINGER_LIMIT`] bytes, before the response ends. The connection then closes cleanly, or
//! stays open for the next request. This is the "lingering close" that web servers do, done in
//! the response body because hyper reads the request body only while someone polls it.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum_core::body::Body;
use axum_core::extract::Request;
use axum_core::response::Response;
use bytes::Bytes;
use http::{StatusCode, header};
use http_body::{Body as _, Frame, SizeHint};

/// How many bytes of an unread request body a refusal swallows after itself. A larger body is
/// cut off, and the connection closed, once this much has been read; a client that sends more
/// than this after a refusal is sending it to nobody.
pub const LINGER_LIMIT: usize = 1 << 20;

/// `response`, extended to swallow `request`'s unread body once its own bytes are sent. A
/// 304 is answered as it is (it has no body to hold the connection open with; and a request
/// that may get one, a `GET` or `HEAD`, rarely has a body).
///
/// A request without a body, or one that sent `Expect: 100-continue` (its client waits for a
/// go-ahead that a refusal never gives, so no body is coming), is answered as it is.
pub(crate) fn refusal(request: Request, response: Response) -> Response {
    let expects_continue = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let body = request.into_body();
    // A 304 has no body of its own to hold the connection open with.
    if expects_continue || body.is_end_stream() || response.status() == StatusCode::NOT_MODIFIED {
        return response;
    }
    let (mut parts, response_body) = response.into_parts();
    // With a known length, hyper stops polling the body once that many bytes are written and
    // closes over the unread request; with an unknown one it sends the refusal chunked and
    // polls until the swallowing is done.
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = ThenSwallow {
        response: response_body,
        request: Some(body),
        budget: LINGER_LIMIT,
    };
    Response::from_parts(parts, Body::new(body))
}

/// The response's frames, then nothing but the end, after reading the request body.
struct ThenSwallow {
    response: Body,
    request: Option<Body>,
    budget: usize,
}

impl http_body::Body for ThenSwallow {
    type Data = Bytes;
    type Error = axum_core::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum_core::Error>>> {
        let this = self.get_mut();
        if let Some(frame) = ready!(Pin::new(&mut this.response).poll_frame(cx)) {
            return Poll::Ready(Some(frame));
        }
        while let Some(request) = this.request.as_mut() {
            match ready!(Pin::new(request).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    let read = frame.data_ref().map_or(0, Bytes::len);
                    this.budget = this.budget.saturating_sub(read);
                    if this.budget == 0 {
                        this.request = None;
                    }
                }
                // The client stopped or the body ended: nothing more to swallow.
                Some(Err(_)) | None => this.request = None,
            }
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.request.is_none() && self.response.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // Unknown on purpose: see `refusal`.
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use http_body::Body as _;

    use super::*;

    async fn collect(body: Body) -> Vec<u8> {
        let mut body = body;
        let mut out = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            if let Ok(data) = frame.expect("frame").into_data() {
                out.extend_from_slice(&data);
            }
        }
        out
    }

    fn refused() -> Response {
        Response::new(Body::from("refused"))
    }

    #[tokio::test]
    async fn a_refusal_keeps_its_bytes_and_swallows_the_request_body() {
        let request = Request::new(Body::from(vec![b'x'; 3 * LINGER_LIMIT]));
        let mut answer = refused();
        answer
            .headers_mut()
            .insert(header::CONTENT_LENGTH, http::HeaderValue::from_static("7"));
        let response = refusal(request, answer);
        assert_eq!(response.body().size_hint().exact(), None, "sent chunked");
        assert!(!response.headers().contains_key(header::CONTENT_LENGTH));
        assert_eq!(collect(response.into_body()).await, b"refused");
    }

    #[tokio::test]
    async fn a_request_without_body_or_expecting_continue_is_answered_as_it_is() {
        // Left as it is, the response keeps its known length; a wrapped one would not.
        let response = refusal(Request::new(Body::empty()), refused());
        assert_eq!(response.body().size_hint().exact(), Some(7));
        assert_eq!(collect(response.into_body()).await, b"refused");

        let mut request = Request::new(Body::from("never sent"));
        request.headers_mut().insert(
            header::EXPECT,
            http::HeaderValue::from_static("100-continue"),
        );
        let response = refusal(request, refused());
        assert_eq!(response.body().size_hint().exact(), Some(7));
        assert_eq!(collect(response.into_body()).await, b"refused");
    }

    #[tokio::test]
    async fn a_304_is_answered_as_it_is_even_for_a_request_with_a_body() {
        let mut not_modified = refused();
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        let response = refusal(Request::new(Body::from("body")), not_modified);
        assert_eq!(response.body().size_hint().exact(), Some(7));
    }

    /// A request body that sends `LINGER_LIMIT` bytes and fails the test if read any further.
    struct LimitThenPanic(Option<Bytes>);

    impl http_body::Body for LimitThenPanic {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let data = self.0.take().expect("the body was read past LINGER_LIMIT");
            Poll::Ready(Some(Ok(Frame::data(data))))
        }
    }

    #[tokio::test]
    async fn swallowing_stops_at_the_limit() {
        let request = Request::new(Body::new(LimitThenPanic(Some(Bytes::from(vec![
            b'x';
            LINGER_LIMIT
        ])))));
        let response = refusal(request, refused());
        assert_eq!(collect(response.into_body()).await, b"refused");
    }
}
