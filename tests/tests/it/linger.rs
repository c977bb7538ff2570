//! The lingering refusal of a `#[conditional]` handler: after a 412 answered before the request
//! body was read, the body is swallowed within the bounds of a `Linger` put in the request
//! extensions by axum's `Extension` layer (or the defaults), and a client that stops sending
//! is cut off at the deadline without holding up anyone else.
//!
//! Through `oneshot` with bodies that count what is read out of them, and over real loopback
//! HTTP (`axum::serve` on a free port, raw TCP clients).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use axum::routing::{get, put};
use axum::{Extension, Router};
use axum_conditional::{ETag, Linger, conditional};
use http_body::Frame;
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tower::ServiceExt;

use crate::support::server::serve;

/// The stored document is at version 2; a write must say which version it replaces.
#[conditional(etag = ETag::from_version(2), require = true)]
async fn put_doc(body: Bytes) -> String {
    format!("stored {} bytes", body.len())
}

fn app(linger: Option<Linger>) -> Router {
    let router = Router::new()
        .route("/doc", put(put_doc))
        .route("/ping", get(|| async { "pong" }));
    match linger {
        Some(linger) => router.layer(Extension(linger)),
        None => router,
    }
}

/// A stale write: the 412 is answered before `body` is read.
fn stale_put(body: Body) -> Request<Body> {
    Request::put("/doc")
        .header("if-match", r#""1""#)
        .body(body)
        .unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------------------------------------
// Through `oneshot`: what is read of the request body, and when the refusal ends.

/// `len` bytes in 1000-byte frames (then, if `stall`, no end, ever), counting what is read.
struct Counted {
    left: usize,
    stall: bool,
    read: Arc<AtomicUsize>,
}

impl Counted {
    fn body(len: usize, stall: bool) -> (Body, Arc<AtomicUsize>) {
        let read = Arc::new(AtomicUsize::new(0));
        let body = Counted {
            left: len,
            stall,
            read: Arc::clone(&read),
        };
        (Body::new(body), read)
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.left.min(1000) {
            // A stalled client: nothing will ever wake this body again.
            0 if self.stall => Poll::Pending,
            0 => Poll::Ready(None),
            n => {
                self.left -= n;
                self.read.fetch_add(n, SeqCst);
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'x'; n])))))
            }
        }
    }
}

/// Sends `request` to `app` and reads the whole response; returns the status and the body.
async fn refused(app: Router, request: Request<Body>) -> (StatusCode, Bytes) {
    let response = app.oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_bytes();
    (status, body)
}

#[tokio::test]
async fn a_refusal_reads_the_whole_body_under_the_default_limit() {
    let (body, read) = Counted::body(100_000, false);
    let (status, _) = refused(app(None), stale_put(body)).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(read.load(SeqCst), 100_000);
}

#[tokio::test]
async fn a_linger_extension_sets_the_byte_limit() {
    let (body, read) = Counted::body(100_000, false);
    let linger = Linger::new().max_bytes(10_000);
    let (status, _) = refused(app(Some(linger)), stale_put(body)).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(read.load(SeqCst), 10_000);
}

/// On tokio's paused clock the runtime jumps to the next timer when idle, so the time a
/// stalled refusal takes to end is exact.
async fn time_to_give_up(linger: Option<Linger>) -> Duration {
    let (body, read) = Counted::body(5000, true);
    let start = Instant::now();
    let (status, problem) = timeout(
        Duration::from_secs(3600),
        refused(app(linger), stale_put(body)),
    )
    .await
    .expect("the refusal of a stalled upload never ended");
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(!problem.is_empty(), "the 412 keeps its body");
    assert_eq!(read.load(SeqCst), 5000, "what was sent was swallowed");
    start.elapsed()
}

#[tokio::test(start_paused = true)]
async fn a_stalled_upload_is_given_up_at_the_default_deadline() {
    assert_eq!(time_to_give_up(None).await, Linger::DEFAULT_MAX_DURATION);
}

#[tokio::test(start_paused = true)]
async fn a_linger_extension_sets_the_deadline() {
    let linger = Linger::new().max_duration(Duration::from_millis(300));
    assert_eq!(
        time_to_give_up(Some(linger)).await,
        Duration::from_millis(300)
    );
}

// ---------------------------------------------------------------------------------------------
// Over loopback HTTP, on the real clock.

/// Sends a stale `PUT` announcing a megabyte but sending 4 KiB of it, then reads the 412's
/// head and stops sending. Returns the connection, the bytes read after the head, and when
/// the request was sent.
async fn stall_after_the_412_head(addr: std::net::SocketAddr) -> (TcpStream, Vec<u8>, Instant) {
    let mut stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sent = Instant::now();
    let head = "PUT /doc HTTP/1.1\r\nhost: test\r\nif-match: \"1\"\r\n\
                content-length: 1048576\r\n\r\n";
    stream
        .write_all(head.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(&[b'x'; 4096])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut received = Vec::new();
    let end_of_head = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let mut buf = [0; 4096];
        let n = timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("no 412 within 20 s")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(n, 0, "closed before the 412's head");
        received.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&received[..end_of_head]).to_lowercase();
    assert!(head.starts_with("http/1.1 412"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let rest = received.split_off(end_of_head);
    (stream, rest, sent)
}

/// Reads until the server closes `stream` (an end of file, or a reset), within `limit`.
async fn read_until_closed(stream: &mut TcpStream, received: &mut Vec<u8>, limit: Duration) {
    timeout(limit, async {
        let mut buf = [0; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            received.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the server still holds the connection after {limit:?}"));
}

/// A whole `GET /ping` on a new connection.
async fn ping(addr: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(b"GET /ping HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut reply = Vec::new();
    read_until_closed(&mut stream, &mut reply, Duration::from_secs(20)).await;
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn a_stalled_upload_is_cut_off_at_the_deadline_over_http() {
    let deadline = Duration::from_millis(300);
    let addr = serve(app(Some(Linger::new().max_duration(deadline)))).await;
    let (mut stalled, mut rest, sent) = stall_after_the_412_head(addr).await;

    // Meanwhile, the server answers others.
    assert!(ping(addr).await.ends_with("pong"));

    read_until_closed(&mut stalled, &mut rest, Duration::from_secs(20)).await;
    // The deadline counts from after the 412's bytes, which come after the request was sent.
    assert!(sent.elapsed() >= deadline, "{:?}", sent.elapsed());
    // The 412 ended as a whole chunked body, its last chunk included, and was not aborted.
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "{}",
        String::from_utf8_lossy(&rest)
    );
}

#[tokio::test]
async fn a_lingering_refusal_does_not_hold_up_other_requests() {
    // A deadline far beyond the test: the stalled connection is still lingering while the
    // others are served, on the same single-threaded runtime.
    let addr = serve(app(Some(
        Linger::new().max_duration(Duration::from_secs(600)),
    )))
    .await;
    let (mut stalled, mut rest, _) = stall_after_the_412_head(addr).await;

    for _ in 0..3 {
        assert!(ping(addr).await.ends_with("pong"));
    }

    // Still lingering: nothing more than the 412's own body comes, and no end of file.
    let quiet = Duration::from_millis(200);
    let mut buf = [0; 4096];
    while let Ok(read) = timeout(quiet, stalled.read(&mut buf)).await {
        let n = read.unwrap_or_else(|e| panic!("reset while lingering: {e}"));
        assert_ne!(n, 0, "closed while lingering");
        rest.extend_from_slice(&buf[..n]);
    }
    assert!(!rest.ends_with(b"0\r\n\r\n"), "the 412 ended early");
}

/// Sends `head` (a request with a body it does not send), reads the response's head, then
/// reads until the server closes the connection. Returns the head, lower-cased.
async fn refused_before_the_body(addr: std::net::SocketAddr, head: &str) -> String {
    let mut stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(head.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut received = Vec::new();
    read_until_closed(&mut stream, &mut received, Duration::from_secs(20)).await;
    let received = String::from_utf8_lossy(&received).to_lowercase();
    let end = received.find("\r\n\r\n").unwrap_or(received.len());
    received[..end].to_owned()
}

#[tokio::test]
async fn a_refusal_to_a_request_expecting_100_continue_says_connection_close() {
    // The client waits for `100 Continue`, which a refusal never sends, but it may send its
    // body anyway (RFC 9110 §10.1.1); the server does not read it, so it closes the connection
    // after the 412 and says so (RFC 9110 §10.1.1 SHOULD, RFC 9112 §9.6).
    let addr = serve(app(None)).await;
    let head = refused_before_the_body(
        addr,
        "PUT /doc HTTP/1.1\r\nhost: test\r\nif-match: \"1\"\r\ncontent-length: 10\r\n\
         expect: 100-continue\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("http/1.1 412"), "{head}");
    assert!(head.contains("\r\nconnection: close"), "{head}");
}

#[tokio::test]
async fn a_refusal_that_does_not_linger_says_connection_close() {
    // Lingering turned off: the body is left unread, and the connection closed over it.
    let addr = serve(app(Some(Linger::new().max_bytes(0)))).await;
    let head = refused_before_the_body(
        addr,
        "PUT /doc HTTP/1.1\r\nhost: test\r\nif-match: \"1\"\r\ncontent-length: 100000\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("http/1.1 412"), "{head}");
    assert!(head.contains("\r\nconnection: close"), "{head}");
}

#[tokio::test]
async fn a_lingering_refusal_keeps_the_connection() {
    // The body is swallowed, so the connection can carry the next request: no `close`.
    let addr = serve(app(None)).await;
    let mut stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let request = "PUT /doc HTTP/1.1\r\nhost: test\r\nif-match: \"1\"\r\ncontent-length: 4\r\n\r\n\
                   abcdGET /ping HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n";
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut received = Vec::new();
    read_until_closed(&mut stream, &mut received, Duration::from_secs(20)).await;
    let received = String::from_utf8_lossy(&received).to_lowercase();
    assert!(received.starts_with("http/1.1 412"), "{received}");
    let first = &received[..received.find("\r\n\r\n").unwrap_or(received.len())];
    assert!(!first.contains("connection: close"), "{first}");
    assert!(received.ends_with("pong"), "{received}");
}
