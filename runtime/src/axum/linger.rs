//! A refusal that reaches the client even when the request body was never read.
//!
//! The point of answering 412 or 428 before the body extractor runs is not to read a body that
//! will be thrown away. But when a handler's response is complete while the client is still
//! sending its body, hyper closes the connection with unread bytes in the socket, the kernel
//! answers them with a TCP reset, and the reset can destroy the refusal before the client has
//! read it (measured over loopback with 64 KiB bodies: 11 to 14 % of the 412s were lost).
//!
//! So a refusal (or a validator's error) answering a request that has a body keeps that body:
//! the response's own bytes go out first, and only then is the rest of the request body
//! swallowed, unparsed, before the response ends. The connection then closes cleanly, or stays
//! open for the next request. This is the "lingering close" of RFC 9112 §9.6 ("Tear-down"),
//! done in the response body because hyper reads the request body only while someone polls it.
//!
//! The swallowing is bounded twice, by [`Linger`]: in bytes ([`Linger::DEFAULT_MAX_BYTES`] by default) and
//! in time ([`Linger::DEFAULT_MAX_DURATION`] by default), so that a client that stops sending after reading
//! the refusal's head cannot hold a connection and a task open for ever.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum_core::body::Body;
use axum_core::response::Response;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, StatusCode, Version, header};
use http_body::{Body as _, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// How much of an unread request body, and for how long, a 412 or 428 (or a validator's error)
/// answered before the body was read swallows after its own bytes, before it ends: the
/// "lingering close" of RFC 9112 §9.6, which keeps a reset over the unread body from destroying
/// the answer (see the README section "A refusal reaches the client").
///
/// The defaults are [`Linger::DEFAULT_MAX_BYTES`] (1 MiB) and [`Linger::DEFAULT_MAX_DURATION`] (5
/// s). The response ends when the body does, or when either bound is reached; in that last case the
/// rest of the body is unread, so hyper closes the connection (it cannot carry another request),
/// and the task that served it is freed.
///
/// To change them, put a `Linger` in the request's extensions, for example with axum's
/// `Extension` layer on the router or on a route; the refusals of `#[conditional]` handlers
/// read it from there:
///
/// ```
/// use std::time::Duration;
///
/// use axum::{Extension, Router, routing::put};
/// use axum_conditional::Linger;
///
/// # async fn handler() {}
/// let app: Router = Router::new()
///     .route("/docs/{id}", put(handler))
///     .layer(Extension(
///         Linger::new()
///             .max_bytes(256 * 1024)
///             .max_duration(Duration::from_secs(2)),
///     ));
/// ```
///
/// A zero byte limit or a zero duration turns lingering off: a refusal is then answered as
/// it is, with its `Content-Length` and `Connection: close` (HTTP/1.x), and the connection is
/// closed over the unread body, which may reset it before the client has read the refusal.
///
/// The deadline is a Tokio timer, so a refusal that has to wait for its request body must be polled
/// inside a Tokio runtime with the time driver enabled, or Tokio panics (`#[tokio::main]` enables
/// it; a hand-built runtime needs `enable_time`). It counts from the moment the refusal's own bytes
/// have been handed to the server, and bounds the whole swallowing, not each read: a client
/// trickling a byte at a time cannot stretch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub struct Linger {
    max_bytes: usize,
    max_duration: Duration,
}

impl Linger {
    /// How many bytes of an unread request body a refusal swallows after itself, unless a
    /// [`Linger`] says otherwise. A larger body is cut off, and the connection closed, once this
    /// much has been read; a client that sends more than this after a refusal is sending it to
    /// nobody.
    pub const DEFAULT_MAX_BYTES: usize = 1 << 20;

    /// How long a refusal waits for the rest of an unread request body, unless a [`Linger`] says
    /// otherwise: 5 seconds.
    ///
    /// Long enough for [`Linger::DEFAULT_MAX_BYTES`] to arrive over a slow uplink (1 MiB in 5 s is
    /// about 1.7 Mbit/s), and for a client that writes its whole body before it reads to find the
    /// refusal waiting; short enough that a client that stops sending holds a connection and a task
    /// for seconds, not for ever. nginx, lingering after an early response, also gives up after 5
    /// seconds without data (`lingering_timeout`); this deadline is stricter, as it bounds the
    /// whole swallowing rather than each wait.
    pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(5);

    /// The defaults: [`Linger::DEFAULT_MAX_BYTES`] bytes within [`Linger::DEFAULT_MAX_DURATION`].
    pub const fn new() -> Self {
        Linger {
            max_bytes: Linger::DEFAULT_MAX_BYTES,
            max_duration: Linger::DEFAULT_MAX_DURATION,
        }
    }

    /// Swallow about `bytes` of the request body at most: reading stops after the frame that
    /// reaches the limit, so the bytes read past it are fewer than one frame's.
    pub const fn max_bytes(self, bytes: usize) -> Self {
        Linger {
            max_bytes: bytes,
            ..self
        }
    }

    /// Wait at most `duration` for the rest of the request body.
    pub const fn max_duration(self, duration: Duration) -> Self {
        Linger {
            max_duration: duration,
            ..self
        }
    }

    /// The byte bound.
    pub(crate) const fn byte_limit(&self) -> usize {
        self.max_bytes
    }

    /// The time bound.
    pub(crate) const fn time_limit(&self) -> Duration {
        self.max_duration
    }

    /// Whether these bounds let a refusal swallow anything at all.
    pub(crate) const fn lingers(&self) -> bool {
        self.max_bytes > 0 && !self.max_duration.is_zero()
    }
}

impl Default for Linger {
    fn default() -> Self {
        Linger::new()
    }
}

/// `response`, extended to swallow the request's unread `body` once its own bytes are sent, within
/// the [`Linger`] found in the request's extensions (the defaults otherwise). A 304 is answered as
/// it is (it has no body to hold the connection open with; and a request that may get one, a `GET`
/// or `HEAD`, rarely has a body).
///
/// A request without a body is answered as it is. So is one whose body will not be read: its
/// client sent `Expect: 100-continue` (it waits for a go-ahead that a refusal never gives), or
/// lingering is turned off; that answer says `Connection: close` (see [`closing`]).
///
/// The request comes taken apart, as a rewritten handler holds it. The cheap exits come
/// first: a 304 and a request without a body (nearly every `GET`) are answered without a look
/// at the extensions or the headers (BENCHMARKS.md item 6: 1,220 instructions
/// per 304 before, 1,078 after, most of it no longer rebuilding and dropping a request).
pub(crate) fn refusal(parts: &Parts, body: Body, response: Response) -> Response {
    // A 304 has no body of its own to hold the connection open with.
    if response.status() == StatusCode::NOT_MODIFIED || body.is_end_stream() {
        return response;
    }
    let linger = linger_of(parts);
    if !linger.lingers() || expects_continue(parts) {
        return closing(parts, response);
    }
    let (mut parts, response_body) = response.into_parts();
    // With a known length, hyper stops polling the body once that many bytes are written and
    // closes over the unread request; with an unknown one it sends the refusal chunked and
    // polls until the swallowing is done.
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = ThenSwallow {
        response: response_body,
        request: Some(body),
        budget: linger.max_bytes,
        max_duration: linger.max_duration,
        started: None,
        deadline: None,
    };
    Response::from_parts(parts, Body::new(body))
}

/// `response`, answering before a request body that will not be read, with `Connection: close`
/// on HTTP/1.x.
///
/// RFC 9110 §10.1.1: "A server that responds with a final status code before reading the
/// entire request content SHOULD indicate whether it intends to close the connection (e.g., see
/// Section 9.6 of [HTTP/1.1]) or continue reading and discarding the request content." This one
/// closes: a client that expects `100 Continue` "MAY proceed to send the content even if it has
/// not yet received a response" (§10.1.1), and without lingering nothing reads a body that
/// follows, so the connection cannot carry another request (hyper reads what has already
/// arrived, and closes when the body is not complete). Saying `close` (RFC 9112 §9.6) tells
/// the client not to send its body, nor another request, on this connection, instead of
/// learning it from a reset. HTTP/2 and later forbid the field (RFC 9113 §8.2.2), and abandon a
/// stream's body without closing the connection.
fn closing(parts: &Parts, mut response: Response) -> Response {
    if parts.version <= Version::HTTP_11 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// How many bytes of the unread request `body` a refusal could read: its declared length, at
/// most the [`Linger`] byte bound (the default one when lingering is off: the connection is
/// then closed over the rest), and 0 when the client waits for `100 Continue`, which a refusal
/// never sends; `None` for a body of unknown length, or none. What the outcome counters count,
/// so that a declared length of 2⁶³ cannot wrap them.
pub(crate) fn readable(parts: &Parts, body: &Body) -> Option<u64> {
    if body.is_end_stream() {
        return None;
    }
    if expects_continue(parts) {
        return Some(0);
    }
    let declared = body.size_hint().exact()?;
    let linger = linger_of(parts);
    let bound = if linger.lingers() {
        linger.max_bytes
    } else {
        Linger::DEFAULT_MAX_BYTES
    };
    Some(declared.min(u64::try_from(bound).unwrap_or(u64::MAX)))
}

pub(crate) fn linger_of(parts: &Parts) -> Linger {
    parts
        .extensions
        .get::<Linger>()
        .copied()
        .unwrap_or_default()
}

/// Whether the client waits for `100 Continue` before it sends its body: `Expect:
/// 100-continue` (case-insensitive, RFC 9110 §10.1.1) on HTTP/1.1 or later. RFC 9110 §10.1.1:
/// "A server that receives a 100-continue expectation in an HTTP/1.0 request MUST ignore that
/// expectation": such a client sends its body anyway (and hyper does not wait for it either),
/// so a refusal lingers on it as on any other.
pub(crate) fn expects_continue(parts: &Parts) -> bool {
    parts.version >= Version::HTTP_11
        && parts
            .headers
            .get(header::EXPECT)
            .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// The response's frames, then nothing but the end, after reading the request body.
struct ThenSwallow {
    response: Body,
    /// The request body still to swallow; `None` once done, cut off, or given up on.
    request: Option<Body>,
    /// Bytes still to swallow before giving up.
    budget: usize,
    max_duration: Duration,
    /// When the swallowing started: the deadline counts from here.
    started: Option<Instant>,
    /// The timer, armed only when the request body first makes us wait: a body that has
    /// already arrived is swallowed without one.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl ThenSwallow {
    /// Reads and drops request frames until the body ends, the budget is spent, the client
    /// fails, or the deadline passes; pending while waiting for the client within the bounds.
    fn poll_swallow(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let started = *self.started.get_or_insert_with(Instant::now);
        while let Some(request) = self.request.as_mut() {
            match Pin::new(request).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let read = frame.data_ref().map_or(0, Bytes::len);
                    self.budget = self.budget.saturating_sub(read);
                    if self.budget == 0 {
                        self.stop();
                    }
                }
                // The client stopped or the body ended: nothing more to swallow.
                Poll::Ready(Some(Err(_)) | None) => self.stop(),
                Poll::Pending => {
                    // A duration too long to add to an instant never ends the wait.
                    let Some(deadline) = started.checked_add(self.max_duration) else {
                        return Poll::Pending;
                    };
                    let timer = self
                        .deadline
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                    ready!(timer.as_mut().poll(cx));
                    // The deadline passed with the body still unfinished: drop it, so that the
                    // response ends and hyper closes the connection (RFC 9112 §9.6).
                    self.stop();
                }
            }
        }
        Poll::Ready(())
    }

    /// Lets go of the request body and of the timer.
    fn stop(&mut self) {
        self.request = None;
        self.deadline = None;
    }
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
        ready!(this.poll_swallow(cx));
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
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

    use http_body::Body as _;

    use axum_core::extract::Request;

    use super::*;

    /// `refusal` of a whole request.
    fn refusal(request: Request, response: Response) -> Response {
        let (parts, body) = request.into_parts();
        super::refusal(&parts, body, response)
    }

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
        let request = Request::new(Body::from(vec![b'x'; 3 * Linger::DEFAULT_MAX_BYTES]));
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
        assert_eq!(response.headers()[header::CONNECTION], "close");
        assert_eq!(collect(response.into_body()).await, b"refused");
    }

    #[test]
    fn connection_close_is_said_on_http_1_only() {
        for (version, close) in [
            (Version::HTTP_10, true),
            (Version::HTTP_11, true),
            (Version::HTTP_2, false),
            (Version::HTTP_3, false),
        ] {
            let mut request = Request::new(Body::from("never read"));
            *request.version_mut() = version;
            request.extensions_mut().insert(Linger::new().max_bytes(0));
            let response = refusal(request, refused());
            assert_eq!(
                response.headers().contains_key(header::CONNECTION),
                close,
                "{version:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_http_1_0_request_expecting_continue_is_lingered_on_as_any_other() {
        // RFC 9110 §10.1.1: a server MUST ignore a 100-continue expectation in an HTTP/1.0
        // request; its client sends the body anyway, so the refusal swallows it, as it would
        // without the field, and says nothing about closing.
        let http_1_0 = |body| {
            let mut request = Request::new(body);
            *request.version_mut() = Version::HTTP_10;
            request_expecting_continue(request).into_parts()
        };
        // What the counters count as unread: the declared length, not the nothing of a client
        // that waits.
        let (parts, body) = http_1_0(Body::from(vec![b'x'; 1000]));
        assert_eq!(super::readable(&parts, &body), Some(1000));
        let tally = Tally::default();
        let (parts, body) = http_1_0(Counted::body(1000, 100, &tally));
        let response = super::refusal(&parts, body, refused());
        assert!(!response.headers().contains_key(header::CONNECTION));
        assert_eq!(collect(response.into_body()).await, b"refused");
        assert_eq!(tally.read(), 1000);
    }

    fn request_expecting_continue(mut request: Request) -> Request {
        request.headers_mut().insert(
            header::EXPECT,
            http::HeaderValue::from_static("100-continue"),
        );
        request
    }

    #[tokio::test]
    async fn a_304_is_answered_as_it_is_even_for_a_request_with_a_body() {
        let mut not_modified = refused();
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        let response = refusal(Request::new(Body::from("body")), not_modified);
        assert_eq!(response.body().size_hint().exact(), Some(7));
    }

    /// A request body that sends `Linger::DEFAULT_MAX_BYTES` bytes and fails the test if read any
    /// further.
    struct LimitThenPanic(Option<Bytes>);

    impl http_body::Body for LimitThenPanic {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let data = self
                .0
                .take()
                .expect("the body was read past Linger::DEFAULT_MAX_BYTES");
            Poll::Ready(Some(Ok(Frame::data(data))))
        }
    }

    #[tokio::test]
    async fn swallowing_stops_at_the_limit() {
        let request = Request::new(Body::new(LimitThenPanic(Some(Bytes::from(vec![
            b'x';
            Linger::DEFAULT_MAX_BYTES
        ])))));
        let response = refusal(request, refused());
        assert_eq!(collect(response.into_body()).await, b"refused");
    }

    // -----------------------------------------------------------------------------------------
    // What is read from the request body, counted as it is polled out.

    /// What a test request body saw: bytes polled out of it, whether its end was reached, and
    /// whether it was dropped (the refusal let go of it).
    #[derive(Clone, Default)]
    struct Tally {
        read: Arc<AtomicUsize>,
        ended: Arc<AtomicBool>,
        dropped: Arc<AtomicBool>,
    }

    impl Tally {
        fn read(&self) -> usize {
            self.read.load(SeqCst)
        }
    }

    /// `len` bytes in frames of `chunk`, all available at once, counted as they are read.
    struct Counted {
        left: usize,
        chunk: usize,
        tally: Tally,
    }

    impl Counted {
        fn body(len: usize, chunk: usize, tally: &Tally) -> Body {
            Body::new(Counted {
                left: len,
                chunk,
                tally: tally.clone(),
            })
        }
    }

    impl http_body::Body for Counted {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.left == 0 {
                self.tally.ended.store(true, SeqCst);
                return Poll::Ready(None);
            }
            let n = self.chunk.min(self.left);
            self.left -= n;
            self.tally.read.fetch_add(n, SeqCst);
            Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'x'; n])))))
        }
    }

    fn refusal_of(body: Body, linger: Option<Linger>) -> Response {
        let mut request = Request::new(body);
        if let Some(linger) = linger {
            request.extensions_mut().insert(linger);
        }
        refusal(request, refused())
    }

    #[tokio::test]
    async fn the_whole_body_under_the_limit_is_read_to_its_end() {
        let tally = Tally::default();
        let len = Linger::DEFAULT_MAX_BYTES - 1;
        let response = refusal_of(Counted::body(len, 4096, &tally), None);
        assert_eq!(
            tally.read(),
            0,
            "nothing is read before the refusal is sent"
        );
        assert_eq!(collect(response.into_body()).await, b"refused");
        assert_eq!(tally.read(), len);
        assert!(tally.ended.load(SeqCst), "read to its end");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_read_up_to_the_limit_and_no_further() {
        // Frames that divide the limit: exactly the limit is read.
        let tally = Tally::default();
        let response = refusal_of(
            Counted::body(3 * Linger::DEFAULT_MAX_BYTES, 4096, &tally),
            None,
        );
        assert_eq!(collect(response.into_body()).await, b"refused");
        assert_eq!(tally.read(), Linger::DEFAULT_MAX_BYTES);
        assert!(!tally.ended.load(SeqCst));

        // Frames that straddle it: the frame that reaches the limit is the last one read.
        let tally = Tally::default();
        let response = refusal_of(
            Counted::body(3 * Linger::DEFAULT_MAX_BYTES, 1000, &tally),
            None,
        );
        assert_eq!(collect(response.into_body()).await, b"refused");
        assert!(
            (Linger::DEFAULT_MAX_BYTES..Linger::DEFAULT_MAX_BYTES + 1000).contains(&tally.read()),
            "{}",
            tally.read()
        );
    }

    #[tokio::test]
    async fn a_linger_in_the_extensions_sets_the_byte_limit() {
        let tally = Tally::default();
        let linger = Linger::new().max_bytes(10_000);
        let response = refusal_of(
            Counted::body(Linger::DEFAULT_MAX_BYTES, 1000, &tally),
            Some(linger),
        );
        assert_eq!(collect(response.into_body()).await, b"refused");
        assert_eq!(tally.read(), 10_000);
    }

    #[tokio::test]
    async fn a_zero_linger_answers_as_it_is_and_reads_nothing() {
        for linger in [
            Linger::new().max_bytes(0),
            Linger::new().max_duration(Duration::ZERO),
        ] {
            let tally = Tally::default();
            let response = refusal_of(Counted::body(1000, 100, &tally), Some(linger));
            assert_eq!(response.body().size_hint().exact(), Some(7), "{linger:?}");
            assert_eq!(response.headers()[header::CONNECTION], "close");
            assert_eq!(collect(response.into_body()).await, b"refused");
            assert_eq!(tally.read(), 0, "{linger:?}");
        }
    }

    #[test]
    fn the_defaults_are_the_documented_constants() {
        let documented = Linger::new()
            .max_bytes(Linger::DEFAULT_MAX_BYTES)
            .max_duration(Linger::DEFAULT_MAX_DURATION);
        assert_eq!(Linger::default(), documented);
        assert_eq!(Linger::new(), documented);
        assert_eq!(Linger::DEFAULT_MAX_BYTES, 1 << 20);
        assert_eq!(Linger::DEFAULT_MAX_DURATION, Duration::from_secs(5));
    }

    // -----------------------------------------------------------------------------------------
    // The deadline, on tokio's paused clock: the runtime jumps to the next timer when idle, so
    // these measure virtual time, exactly.

    /// Sends `first` bytes, then one byte every `every` (never if `None`), and never ends.
    struct Stalling {
        first: usize,
        every: Option<Duration>,
        next: Option<Pin<Box<Sleep>>>,
        tally: Tally,
    }

    impl Stalling {
        fn body(first: usize, every: Option<Duration>, tally: &Tally) -> Body {
            Body::new(Stalling {
                first,
                every,
                next: None,
                tally: tally.clone(),
            })
        }
    }

    impl Drop for Stalling {
        fn drop(&mut self) {
            self.tally.dropped.store(true, SeqCst);
        }
    }

    impl http_body::Body for Stalling {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let n = std::mem::take(&mut self.first);
            if n == 0 {
                // Without `every`, nothing will wake this body: the client went quiet.
                let Some(every) = self.every else {
                    return Poll::Pending;
                };
                let next = self
                    .next
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
                ready!(next.as_mut().poll(cx));
                self.next = None;
            }
            let n = n.max(1);
            self.tally.read.fetch_add(n, SeqCst);
            Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'x'; n])))))
        }
    }

    /// Collects `response`'s body, failing the test if it is still going after an hour.
    async fn collect_within_an_hour(response: Response) -> (Vec<u8>, Duration) {
        let start = Instant::now();
        let body = tokio::time::timeout(Duration::from_secs(3600), collect(response.into_body()))
            .await
            .expect("the refusal never ended");
        (body, start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_is_given_up_at_the_default_deadline() {
        let tally = Tally::default();
        let response = refusal_of(Stalling::body(1000, None, &tally), None);
        let (body, elapsed) = collect_within_an_hour(response).await;
        assert_eq!(body, b"refused");
        assert_eq!(elapsed, Linger::DEFAULT_MAX_DURATION);
        assert_eq!(tally.read(), 1000);
        assert!(tally.dropped.load(SeqCst), "the request body was let go of");
    }

    #[tokio::test(start_paused = true)]
    async fn a_linger_in_the_extensions_sets_the_deadline() {
        let tally = Tally::default();
        let linger = Linger::new().max_duration(Duration::from_millis(300));
        let response = refusal_of(Stalling::body(1000, None, &tally), Some(linger));
        let (_, elapsed) = collect_within_an_hour(response).await;
        assert_eq!(elapsed, Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickling_body_cannot_stretch_the_deadline() {
        // A byte a second, under a 1 MiB limit it would take 12 days to reach.
        let tally = Tally::default();
        let every = Some(Duration::from_secs(1));
        let response = refusal_of(Stalling::body(1, every, &tally), None);
        let (_, elapsed) = collect_within_an_hour(response).await;
        assert_eq!(elapsed, Linger::DEFAULT_MAX_DURATION);
        assert!(tally.read() > 1, "the trickle was read while it lasted");
    }
}
