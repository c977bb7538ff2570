//! What a cache and a client read in the headers of the answers: no `Content-Length` on a 304
//! or a `HEAD` answer unless it is the real one (RFC 9110 §8.6), the same `Vary` on a 304 as on
//! the 200 it stands for (§15.4.5), also behind tower-http's `CompressionLayer`, and a warning
//! when a handler's own `ETag` can never be matched by the validator's.
//!
//! The `Content-Length` cases run over real HTTP/1.1 (a server on a loopback port and a raw TCP
//! client, so that nothing between the two adds or removes a header) and through `oneshot`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use axum::routing::get;
use axum_conditional::{ETag, conditional};
use http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tower::ServiceExt as _;
use tower_http::compression::CompressionLayer;

use crate::support::events::{Observer, observe};

/// The body of [`document`]'s 200: 19 bytes.
const DOCUMENT: &str = "nineteen bytes long";

/// A resource at version 7.
#[conditional(etag = ETag::from_version(7), cache_control = "no-cache")]
async fn document() -> &'static str {
    DOCUMENT
}

/// A listing long enough for `CompressionLayer` to compress, under a weak tag (a compressed
/// representation has other bytes than the identity one, RFC 9110 §8.8.3).
#[conditional(etag = ETag::from_version(7).into_weak(), vary = "accept-encoding")]
async fn listing() -> String {
    "a listing of documents, long enough to be worth compressing. ".repeat(8)
}

/// A handler that varies on `Accept` itself, on a route that declares `Accept-Encoding`.
#[conditional(etag = ETag::from_version(7), vary = "accept-encoding")]
async fn negotiated() -> ([(header::HeaderName, &'static str); 1], &'static str) {
    ([(header::VARY, "Accept")], DOCUMENT)
}

/// A handler that varies on everything.
#[conditional(etag = ETag::from_version(7), vary = "accept-encoding")]
async fn uncacheable() -> ([(header::HeaderName, &'static str); 1], &'static str) {
    ([(header::VARY, "*")], DOCUMENT)
}

/// A handler that repeats the declared members in other case, on two field lines, one of them
/// twice.
#[conditional(etag = ETag::from_version(7), vary = "accept-encoding, Accept")]
async fn repeated() -> (HeaderMap, &'static str) {
    let mut headers = HeaderMap::new();
    headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.append(header::VARY, HeaderValue::from_static("accept, ACCEPT"));
    (headers, DOCUMENT)
}

fn app() -> Router {
    Router::new()
        .route("/doc", get(document))
        .route("/negotiated", get(negotiated))
        .route("/uncacheable", get(uncacheable))
        .route("/repeated", get(repeated))
        .route(
            "/listing",
            get(listing).route_layer(CompressionLayer::new()),
        )
}

// ---------------------------------------------------------------------------------------------
// Real HTTP: a server on a free loopback port, and a raw client.

struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(router: Router) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let addr = listener.local_addr().expect("bound");
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serves");
        });
        Server { addr, task }
    }

    /// Sends `method path` with `fields` on a new connection, and reads the whole answer.
    async fn send(&self, method: &str, path: &str, fields: &[(&str, &str)]) -> Wire {
        let mut request = format!("{method} {path} HTTP/1.1\r\nhost: test\r\n");
        for (name, value) in fields {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("connection: close\r\n\r\n");
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await.expect("connects");
            stream
                .write_all(request.as_bytes())
                .await
                .expect("request sent");
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).await.expect("answer read");
            bytes
        };
        // A guard against a hang, not a measurement.
        let bytes = tokio::time::timeout(std::time::Duration::from_secs(30), exchange)
            .await
            .expect("the server answered");
        Wire::parse(&bytes)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An answer as it was on the wire.
#[derive(Debug)]
struct Wire {
    status: u16,
    /// Lower-case names, in order, one entry per field line.
    fields: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn parse(bytes: &[u8]) -> Wire {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no complete head in {:?}", String::from_utf8_lossy(bytes)));
        let head = std::str::from_utf8(&bytes[..end]).expect("an ASCII head");
        let mut lines = head.split("\r\n");
        let status = lines.next().expect("a status line")[9..12]
            .parse()
            .expect("a status code");
        let fields = lines
            .map(|line| {
                let (name, value) = line.split_once(':').expect("a field line");
                (name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        Wire {
            status,
            fields,
            body: bytes[end + 4..].to_vec(),
        }
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Content-Length (RFC 9110 §8.6).

#[tokio::test]
async fn not_modified_over_the_wire_has_no_content_length_for_get_and_head() {
    let server = Server::start(app()).await;
    let ok = server.send("GET", "/doc", &[]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.all("content-length"), [DOCUMENT.len().to_string()]);

    for method in ["GET", "HEAD"] {
        let revalidated = server
            .send(method, "/doc", &[("if-none-match", r#""7""#)])
            .await;
        assert_eq!(revalidated.status, 304, "{method}");
        // A 304 may only carry the 200's own length, which a 304 answered before the handler
        // ran does not know: so none at all.
        assert_eq!(
            revalidated.all("content-length"),
            Vec::<&str>::new(),
            "{method}: {revalidated:?}"
        );
        assert_eq!(revalidated.all("etag"), [r#""7""#], "{method}");
        assert_eq!(revalidated.all("cache-control"), ["no-cache"], "{method}");
        assert!(revalidated.body.is_empty(), "{method}");
    }
}

#[tokio::test]
async fn head_of_a_200_says_the_length_of_the_get() {
    let server = Server::start(app()).await;
    let head = server.send("HEAD", "/doc", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.all("content-length"), [DOCUMENT.len().to_string()]);
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn head_412_says_the_length_of_the_get_412() {
    let server = Server::start(app()).await;
    let stale = [("if-match", r#""6""#)];
    let get = server.send("GET", "/doc", &stale).await;
    let head = server.send("HEAD", "/doc", &stale).await;
    assert_eq!((get.status, head.status), (412, 412));
    assert_eq!(get.all("content-length"), [get.body.len().to_string()]);
    assert_eq!(head.all("content-length"), [get.body.len().to_string()]);
    assert!(head.body.is_empty());
}

async fn oneshot(router: Router, request: Request<Body>) -> (Response, Vec<u8>) {
    let response = router.oneshot(request).await.unwrap_or_else(|e| match e {});
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("a readable body").to_bytes();
    (Response::from_parts(parts, Body::empty()), bytes.to_vec())
}

fn request(method: &str, path: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in fields {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).expect("a valid request")
}

#[tokio::test]
async fn head_not_modified_through_the_router_has_no_content_length() {
    let (response, body) = oneshot(
        app(),
        request("HEAD", "/doc", &[("if-none-match", r#""7""#)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert!(
        !response.headers().contains_key(header::CONTENT_LENGTH),
        "{:?}",
        response.headers()
    );
    assert!(body.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Vary (RFC 9110 §12.5.5, §15.4.5).

/// The members of every `Vary` line, in order, as written.
fn vary_members(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::VARY)
        .iter()
        .flat_map(|line| line.to_str().expect("ASCII").split(','))
        .map(|member| member.trim().to_owned())
        .filter(|member| !member.is_empty())
        .collect()
}

fn wire_vary_members(wire: &Wire) -> Vec<String> {
    wire.all("vary")
        .iter()
        .flat_map(|line| line.split(','))
        .map(|member| member.trim().to_owned())
        .filter(|member| !member.is_empty())
        .collect()
}

#[tokio::test]
async fn compressed_200_and_its_304_carry_the_same_vary_once() {
    let server = Server::start(app()).await;
    let gzip = ("accept-encoding", "gzip");
    let ok = server.send("GET", "/listing", &[gzip]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.all("content-encoding"), ["gzip"]);
    assert_eq!(wire_vary_members(&ok), ["accept-encoding"]);

    let tag = ok.all("etag")[0].to_owned();
    for fields in [
        vec![gzip, ("if-none-match", &tag)],
        vec![("if-none-match", &tag)],
    ] {
        let revalidated = server.send("GET", "/listing", &fields).await;
        assert_eq!(revalidated.status, 304, "{fields:?}");
        assert_eq!(
            wire_vary_members(&revalidated),
            ["accept-encoding"],
            "{fields:?}"
        );
        // A 304 describes no bytes of its own: an encoding on it would be written over the
        // cache's stored response (RFC 9111 §4.3.4).
        assert_eq!(
            revalidated.all("content-encoding"),
            Vec::<&str>::new(),
            "{fields:?}"
        );
        assert_eq!(
            revalidated.all("content-length"),
            Vec::<&str>::new(),
            "{fields:?}"
        );
    }
}

#[tokio::test]
async fn declared_vary_is_merged_with_the_handlers_own() {
    let (ok, _) = oneshot(app(), request("GET", "/negotiated", &[])).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(vary_members(ok.headers()), ["Accept", "accept-encoding"]);
}

#[tokio::test]
async fn merged_vary_lists_each_member_once_whatever_its_case() {
    let (ok, _) = oneshot(app(), request("GET", "/repeated", &[])).await;
    assert_eq!(vary_members(ok.headers()), ["Accept-Encoding", "accept"]);
    let (not_modified, _) = oneshot(
        app(),
        request("GET", "/repeated", &[("if-none-match", r#""7""#)]),
    )
    .await;
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        vary_members(not_modified.headers()),
        ["accept-encoding", "Accept"]
    );
}

#[tokio::test]
async fn vary_star_absorbs_every_declared_member() {
    let (ok, _) = oneshot(app(), request("GET", "/uncacheable", &[])).await;
    assert_eq!(vary_members(ok.headers()), ["*"]);
}

// ---------------------------------------------------------------------------------------------
// A handler's own ETag (RFC 9110 §8.8.3, §13.1.2).

/// The events a test saw: level and `name=value` fields.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(tracing::Level, String)>>>);

impl Recorder {
    fn events(&self) -> Vec<(tracing::Level, String)> {
        self.0.lock().expect("not poisoned").clone()
    }
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!("{}={value} ", field.name()));
    }
}

impl Observer for Recorder {
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0
            .lock()
            .expect("not poisoned")
            .push((*event.metadata().level(), fields.0));
    }
}

/// The handler formats its tag differently from the validator: `"v7"` for version 7.
#[conditional(etag = ETag::from_version(7))]
async fn own_format() -> (ETag, &'static str) {
    (ETag::strong("v7").expect("a valid tag"), DOCUMENT)
}

/// The handler sends the validator's tag, weak: `If-None-Match` compares weakly, so it matches.
#[conditional(etag = ETag::from_version(7))]
async fn same_tag_weak() -> (ETag, &'static str) {
    (ETag::from_version(7).into_weak(), DOCUMENT)
}

/// The handler read version 8, written after the validator read version 7.
#[conditional(etag = ETag::from_version(7))]
async fn newer_version() -> (ETag, &'static str) {
    (ETag::from_version(8), DOCUMENT)
}

/// Runs one `GET` of `router` with a recording subscriber, and returns its events.
async fn events_of(router: Router) -> (StatusCode, HeaderMap, Vec<(tracing::Level, String)>) {
    let recorder = Recorder::default();
    let _observing = observe(Arc::new(recorder.clone()));
    let (response, _) = oneshot(router, request("GET", "/", &[])).await;
    (
        response.status(),
        response.headers().clone(),
        recorder.events(),
    )
}

fn mismatch_events(events: &[(tracing::Level, String)]) -> Vec<&(tracing::Level, String)> {
    events
        .iter()
        .filter(|(_, fields)| fields.contains("handler_etag"))
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_handler_etag_in_another_format_is_warned_about_naming_both_tags() {
    let (status, headers, events) = events_of(Router::new().route("/", get(own_format))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::ETAG],
        r#""v7""#,
        "the handler's tag is sent"
    );
    let found = mismatch_events(&events);
    assert_eq!(found.len(), 1, "{events:?}");
    let (level, fields) = found[0];
    assert_eq!(*level, tracing::Level::WARN, "{fields}");
    assert!(fields.contains(r#"handler_etag="v7""#), "{fields}");
    assert!(fields.contains(r#"validator_etag="7""#), "{fields}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_handler_etag_that_matches_weakly_is_not_warned_about() {
    let (status, headers, events) = events_of(Router::new().route("/", get(same_tag_weak))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ETAG], r#"W/"7""#);
    assert_eq!(
        mismatch_events(&events),
        Vec::<&(tracing::Level, String)>::new()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_newer_version_read_by_the_handler_is_only_a_debug_event() {
    let (status, headers, events) = events_of(Router::new().route("/", get(newer_version))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ETAG], r#""8""#);
    let found = mismatch_events(&events);
    assert_eq!(found.len(), 1, "{events:?}");
    assert_eq!(found[0].0, tracing::Level::DEBUG, "{found:?}");
}
