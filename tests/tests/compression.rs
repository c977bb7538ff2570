//! `ConditionalCompressionLayer` over real HTTP (`axum::serve` on a free loopback port, a client
//! that sends exactly the `Accept-Encoding` it is given and never decodes): a strong entity-tag
//! per content-coding (RFC 9110 §8.8.3.3) for every coding tower-http offers, revalidation of
//! every variant without the handler or the compressor, writes based on any variant, `If-Range`
//! never crossing encodings, and `Vary` on every answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_conditional::compression::ConditionalCompressionLayer;
use axum_conditional::{ETag, Failure, conditional, problem::PreconditionFailed};
use tower_http::compression::CompressionLayer;

const CODINGS: [&str; 4] = ["gzip", "br", "zstd", "deflate"];

/// The identity body of `/doc`: long and repetitive, so every coding really shrinks it.
const BODY: &str = "The minutes of the meeting, which every coding compresses well. \
                    The minutes of the meeting, which every coding compresses well.";

#[derive(Clone, Default)]
struct App {
    version: Arc<AtomicU64>,
    handler_runs: Arc<AtomicUsize>,
    predicate_calls: Arc<AtomicUsize>,
}

impl App {
    fn version(&self) -> u64 {
        self.version.load(SeqCst)
    }

    fn counts(&self) -> (usize, usize) {
        (
            self.handler_runs.load(SeqCst),
            self.predicate_calls.load(SeqCst),
        )
    }
}

/// The document, or its first ten bytes when a range may be served (`If-Range` matched).
#[conditional(etag = ETag::from_version(app.version()), cache_control = "no-cache", bind = ev)]
async fn read(State(app): State<App>) -> Response {
    app.handler_runs.fetch_add(1, SeqCst);
    if ev.range().may_send_partial() {
        let range = format!("bytes 0-9/{}", BODY.len());
        return (
            StatusCode::PARTIAL_CONTENT,
            [(header::CONTENT_RANGE, range)],
            &BODY[..10],
        )
            .into_response();
    }
    BODY.into_response()
}

/// Replaces the document when `If-Match` names its current version (428 without).
#[conditional(etag = ETag::from_version(app.version()), require = true, bind = ev)]
async fn write(State(app): State<App>) -> Result<(ETag, &'static str), PreconditionFailed> {
    let seen = ev
        .checked_etag()
        .and_then(ETag::version)
        .unwrap_or_default();
    match app.version.compare_exchange(seen, seen + 1, SeqCst, SeqCst) {
        Ok(_) => Ok((ETag::from_version(seen + 1), BODY)),
        Err(_) => Err(PreconditionFailed::new(Failure::changed_during_request())),
    }
}

/// The same write, comparing `If-Match` weakly (the route option for proxies that weaken tags).
#[conditional(
    etag = ETag::from_version(app.version()),
    require = true,
    weak_if_match = true,
    bind = ev
)]
async fn write_weak(State(app): State<App>) -> Result<ETag, PreconditionFailed> {
    let seen = ev
        .checked_etag()
        .and_then(ETag::version)
        .unwrap_or_default();
    match app.version.compare_exchange(seen, seen + 1, SeqCst, SeqCst) {
        Ok(_) => Ok(ETag::from_version(seen + 1)),
        Err(_) => Err(PreconditionFailed::new(Failure::changed_during_request())),
    }
}

/// A 206 without `Content-Range` (as a `multipart/byteranges` one is): tower-http alone
/// would compress it.
async fn multipart_range() -> Response {
    (
        StatusCode::PARTIAL_CONTENT,
        [(header::CONTENT_TYPE, "multipart/byteranges; boundary=x")],
        BODY,
    )
        .into_response()
}

/// A handler tag in the reserved coded form.
async fn reserved_tag() -> Response {
    let tag = ETag::strong("x~gzip").unwrap_or_else(|e| panic!("{e}"));
    (tag, BODY).into_response()
}

/// A weak tag, with the handler's own `Vary` naming `Accept-Encoding` in capitals.
async fn weak_tag() -> Response {
    let tag = ETag::weak("w1").unwrap_or_else(|e| panic!("{e}"));
    (tag, [(header::VARY, "Accept-Encoding")], BODY).into_response()
}

/// The app behind the layer, wrapping a tower-http layer whose predicate counts its calls (and
/// compresses everything, even what tower-http's default would find too small).
async fn serve() -> (App, String) {
    let app = App {
        version: Arc::new(AtomicU64::new(2)),
        ..App::default()
    };
    let calls = app.predicate_calls.clone();
    let counting = move |_: StatusCode, _: axum::http::Version, _: &HeaderMap, _: &_| {
        calls.fetch_add(1, SeqCst);
        true
    };
    let router = Router::new()
        .route("/doc", get(read).put(write))
        .route("/weak-writes", axum::routing::put(write_weak))
        .route("/multipart", get(multipart_range))
        .route("/reserved", get(reserved_tag))
        .route("/weak", get(weak_tag))
        .with_state(app.clone())
        .layer(ConditionalCompressionLayer::from_layer(
            CompressionLayer::new().compress_when(counting),
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (app, format!("http://{addr}"))
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn etag(&self) -> Option<&str> {
        self.header(header::ETAG)
    }

    /// The `Vary` members, lowercased, across every field line.
    fn vary(&self) -> Vec<String> {
        self.headers
            .get_all(header::VARY)
            .iter()
            .flat_map(|line| line.to_str().unwrap_or_default().split(','))
            .map(|member| member.trim().to_ascii_lowercase())
            .filter(|member| !member.is_empty())
            .collect()
    }

    /// `Vary` names `accept-encoding` exactly once.
    fn varies_once_on_accept_encoding(&self) -> bool {
        self.vary()
            .iter()
            .filter(|m| *m == "accept-encoding")
            .count()
            == 1
    }
}

async fn send(method: &str, url: &str, headers: &[(&str, &str)]) -> Reply {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut request = client.request(method, url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap_or_else(|e| panic!("{e}"));
    let mut reply_headers = HeaderMap::new();
    for (name, value) in response.headers() {
        reply_headers.append(
            header::HeaderName::from_bytes(name.as_str().as_bytes())
                .unwrap_or_else(|e| panic!("{e}")),
            HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_vec();
    Reply {
        status,
        headers: reply_headers,
        body,
    }
}

/// A 200 in coding `c` carries `"2~c"`; an identity 200 keeps `"2"`; both vary on
/// `Accept-Encoding`.
#[tokio::test]
async fn every_coding_gets_its_own_strong_tag() {
    let (_, base) = serve().await;
    let url = format!("{base}/doc");
    for coding in CODINGS {
        let reply = send("GET", &url, &[("accept-encoding", coding)]).await;
        assert_eq!(reply.status, StatusCode::OK, "{coding}");
        assert_eq!(reply.header(header::CONTENT_ENCODING), Some(coding));
        assert_eq!(reply.etag(), Some(format!("\"2~{coding}\"").as_str()));
        assert!(reply.varies_once_on_accept_encoding(), "{:?}", reply.vary());
        assert!(
            !reply.body.is_empty() && reply.body != BODY.as_bytes(),
            "{coding}"
        );
    }
    for accept in [None, Some("identity"), Some("")] {
        let headers: Vec<_> = accept.map(|a| ("accept-encoding", a)).into_iter().collect();
        let reply = send("GET", &url, &headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept:?}");
        assert_eq!(reply.header(header::CONTENT_ENCODING), None, "{accept:?}");
        assert_eq!(reply.etag(), Some("\"2\""), "{accept:?}");
        assert!(reply.varies_once_on_accept_encoding(), "{:?}", reply.vary());
        assert_eq!(reply.body, BODY.as_bytes());
    }
}

/// `If-None-Match` with a variant's tag: a 304 carrying that variant's tag and `Vary`, and
/// neither the handler nor the compressor's predicate ran for it.
#[tokio::test]
async fn every_variant_revalidates_without_the_handler_or_the_compressor() {
    let (app, base) = serve().await;
    let url = format!("{base}/doc");
    let cases = CODINGS
        .map(|c| (format!("\"2~{c}\""), Some(c)))
        .into_iter()
        .chain([("\"2\"".to_owned(), None)]);
    for (tag, coding) in cases {
        for method in ["GET", "HEAD"] {
            let before = app.counts();
            let mut headers = vec![("if-none-match", tag.as_str())];
            headers.extend(coding.map(|c| ("accept-encoding", c)));
            let reply = send(method, &url, &headers).await;
            assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{method} {tag}");
            assert_eq!(reply.etag(), Some(tag.as_str()), "{method}");
            assert_eq!(
                reply.header(header::CONTENT_ENCODING),
                None,
                "{method} {tag}"
            );
            assert_eq!(reply.header(header::CACHE_CONTROL), Some("no-cache"));
            assert!(reply.varies_once_on_accept_encoding(), "{:?}", reply.vary());
            assert!(reply.body.is_empty());
            assert_eq!(
                app.counts(),
                before,
                "{method} {tag}: handler or predicate ran"
            );
        }
    }
    // The counters do count: a 200 runs both.
    let before = app.counts();
    let reply = send("GET", &url, &[("accept-encoding", "gzip")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(app.counts(), (before.0 + 1, before.1 + 1));
}

/// A client whose stored variant's coding it no longer accepts gets the full response in the
/// coding it accepts now; a stale variant gets a 200 too.
#[tokio::test]
async fn a_client_that_switched_encodings_gets_a_200() {
    let (app, base) = serve().await;
    let url = format!("{base}/doc");
    for stored in CODINGS {
        for now in CODINGS.into_iter().filter(|now| *now != stored) {
            let runs = app.counts().0;
            let tag = format!("\"2~{stored}\"");
            let headers = [("if-none-match", tag.as_str()), ("accept-encoding", now)];
            let reply = send("GET", &url, &headers).await;
            assert_eq!(reply.status, StatusCode::OK, "{stored} -> {now}");
            assert_eq!(reply.header(header::CONTENT_ENCODING), Some(now));
            assert_eq!(reply.etag(), Some(format!("\"2~{now}\"").as_str()));
            assert_eq!(app.counts().0, runs + 1);
        }
        let tag = format!("\"1~{stored}\"");
        let headers = [("if-none-match", tag.as_str()), ("accept-encoding", stored)];
        assert_eq!(send("GET", &url, &headers).await.status, StatusCode::OK);
    }
}

/// `If-Match` with any variant's tag of the current version passes; with any variant of an
/// older version it is a 412 whose `ETag` is the identity tag (every coding of it passes), even
/// when the 412's own body is compressed.
#[tokio::test]
async fn writes_based_on_any_variant_of_the_current_version_pass_stale_ones_fail() {
    let (app, base) = serve().await;
    let url = format!("{base}/doc");
    for coding in CODINGS {
        let version = app.version();
        let current = format!("\"{version}~{coding}\"");
        let headers = [("if-match", current.as_str()), ("accept-encoding", coding)];
        let reply = send("PUT", &url, &headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{current}");
        // The new version's tag, for the coding its body was sent in.
        let next = format!("\"{}~{coding}\"", version + 1);
        assert_eq!(reply.etag(), Some(next.as_str()));
        assert_eq!(app.version(), version + 1);

        let stale = send("PUT", &url, &headers).await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{current}");
        let identity = format!("\"{}\"", version + 1);
        assert_eq!(stale.etag(), Some(identity.as_str()));
        assert_eq!(stale.header(header::CONTENT_ENCODING), Some(coding));
        assert!(stale.varies_once_on_accept_encoding(), "{:?}", stale.vary());
        assert_eq!(app.version(), version + 1);

        // The 412 body, uncompressed, names the identity tag.
        let stale = send("PUT", &url, &[("if-match", current.as_str())]).await;
        let body: serde_json::Value =
            serde_json::from_slice(&stale.body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(body["etag"], identity.as_str());
        assert_eq!(body["reason"], "mismatch");
    }
}

/// Behind a proxy that weakens tags (`W/"2~gzip"`): a route comparing `If-Match` weakly takes
/// the current one and refuses a stale one; a strict route refuses it with `weak-tag`.
#[tokio::test]
async fn proxy_weakened_variant_tags_under_weak_if_match() {
    let (app, base) = serve().await;
    for coding in CODINGS {
        let version = app.version();
        let current = format!("W/\"{version}~{coding}\"");
        let reply = send(
            "PUT",
            &format!("{base}/weak-writes"),
            &[("if-match", &current)],
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{current}");
        let stale = send(
            "PUT",
            &format!("{base}/weak-writes"),
            &[("if-match", &current)],
        )
        .await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{current}");

        let current = format!("W/\"{}~{coding}\"", version + 1);
        let strict = send("PUT", &format!("{base}/doc"), &[("if-match", &current)]).await;
        assert_eq!(strict.status, StatusCode::PRECONDITION_FAILED, "{current}");
        let body: serde_json::Value =
            serde_json::from_slice(&strict.body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(body["reason"], "weak-tag", "{body}");
        assert_eq!(app.version(), version + 1);
    }
}

/// `If-Range` compares exactly with what would be sent: a variant's tag never gets a range (the
/// full, compressed 200), the identity tag gets an uncompressed 206 of the identity bytes.
#[tokio::test]
async fn if_range_never_crosses_encodings() {
    let (_, base) = serve().await;
    let url = format!("{base}/doc");
    for coding in CODINGS {
        let tag = format!("\"2~{coding}\"");
        let headers = [
            ("range", "bytes=0-9"),
            ("if-range", tag.as_str()),
            ("accept-encoding", coding),
        ];
        let reply = send("GET", &url, &headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{tag}");
        assert_eq!(reply.header(header::CONTENT_ENCODING), Some(coding));
        assert_eq!(reply.etag(), Some(tag.as_str()));

        let headers = [
            ("range", "bytes=0-9"),
            ("if-range", "\"2\""),
            ("accept-encoding", coding),
        ];
        let reply = send("GET", &url, &headers).await;
        assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{coding}");
        assert_eq!(reply.header(header::CONTENT_ENCODING), None);
        assert_eq!(reply.etag(), Some("\"2\""));
        assert_eq!(reply.body, BODY.as_bytes()[..10]);
        assert!(reply.varies_once_on_accept_encoding(), "{:?}", reply.vary());
    }
}

/// What the layer never compresses although its predicate says yes: a 206 without
/// `Content-Range`, and a response whose strong tag is in the reserved coded form. A weak tag
/// is compressed and kept, and a `Vary` naming `Accept-Encoding` already is not repeated.
#[tokio::test]
async fn what_stays_identity_and_what_keeps_its_tag() {
    let (_, base) = serve().await;
    for coding in CODINGS {
        let accept = [("accept-encoding", coding)];
        let multipart = send("GET", &format!("{base}/multipart"), &accept).await;
        assert_eq!(multipart.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(multipart.header(header::CONTENT_ENCODING), None);
        assert_eq!(multipart.body, BODY.as_bytes());

        let reserved = send("GET", &format!("{base}/reserved"), &accept).await;
        assert_eq!(reserved.header(header::CONTENT_ENCODING), None);
        assert_eq!(reserved.etag(), Some("\"x~gzip\""));
        assert!(reserved.varies_once_on_accept_encoding());

        let weak = send("GET", &format!("{base}/weak"), &accept).await;
        assert_eq!(weak.header(header::CONTENT_ENCODING), Some(coding));
        assert_eq!(weak.etag(), Some("W/\"w1\""));
        assert!(weak.varies_once_on_accept_encoding(), "{:?}", weak.vary());
    }
}
