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
use axum_conditional::answer::CacheHeaders;
use axum_conditional::compression::ConditionalCompressionLayer;
use axum_conditional::{
    ETag, Failure, LastModified, Policy, Preconditions, Resource, conditional,
    problem::PreconditionFailed,
};
use tower_http::compression::CompressionLayer;

use crate::support::server;

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

/// A handler tag in the reserved coded form, which the layer codes like any other.
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
        .layer(ConditionalCompressionLayer::new().compress_when(counting));
    let addr = server::serve(router).await;
    (app, format!("http://{addr}"))
}

/// The identity bytes of a body sent in `coding`.
fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut decoded = Vec::new();
    let read = match coding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut decoded),
        // The HTTP `deflate` coding is the zlib format (RFC 9110 §8.4.1.2).
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut decoded),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut decoded),
        "zstd" => {
            zstd::stream::read::Decoder::new(body).and_then(|mut d| d.read_to_end(&mut decoded))
        }
        other => panic!("no decoder for {other}"),
    };
    read.unwrap_or_else(|e| panic!("{coding}: {e}"));
    decoded
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
        assert_eq!(decode(coding, &reply.body), BODY.as_bytes(), "{coding}");
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
/// older version it is a 412 whose `ETag` is the tag a `GET` with the same `Accept-Encoding`
/// gets (so the client re-reads the variant it would read anyway), and whose own body is never
/// compressed.
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
        assert_eq!(stale.etag(), Some(next.as_str()));
        assert_eq!(stale.header(header::CONTENT_ENCODING), None);
        assert!(stale.varies_once_on_accept_encoding(), "{:?}", stale.vary());
        assert_eq!(app.version(), version + 1);
        let read = send("GET", &url, &[("accept-encoding", coding)]).await;
        assert_eq!(read.etag(), stale.etag(), "the 412 names what a GET gets");

        let identity = format!("\"{}\"", version + 1);

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
/// `Content-Range`. A handler tag in the reserved coded form is coded like any other (the
/// evaluator names the same tag), a weak tag is compressed and kept, and a `Vary` naming
/// `Accept-Encoding` already is not repeated.
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
        assert_eq!(reserved.header(header::CONTENT_ENCODING), Some(coding));
        let coded = format!("\"x~gzip~{coding}\"");
        assert_eq!(reserved.etag(), Some(coded.as_str()));
        assert!(reserved.varies_once_on_accept_encoding());

        let weak = send("GET", &format!("{base}/weak"), &accept).await;
        assert_eq!(weak.header(header::CONTENT_ENCODING), Some(coding));
        assert_eq!(weak.etag(), Some("W/\"w1\""));
        assert!(weak.varies_once_on_accept_encoding(), "{:?}", weak.vary());
    }
}

/// What tower-http 0.7's own `CompressionLayer` spares, read in its source
/// (`compression/future.rs`: it skips a response with `Content-Encoding` or `Content-Range`,
/// whatever the status): a 206 with `Content-Range` stays identity, a 206 without one (a
/// `multipart/byteranges` one) is compressed. The second is why this crate's layer refuses
/// every 206 itself; this test notices if a tower-http release changes either.
#[tokio::test]
async fn tower_http_alone_spares_content_range_only() {
    async fn single_range() -> Response {
        let range = format!("bytes 0-9/{}", BODY.len());
        (
            StatusCode::PARTIAL_CONTENT,
            [(header::CONTENT_RANGE, range)],
            &BODY[..10],
        )
            .into_response()
    }
    let router = Router::new()
        .route("/single", get(single_range))
        .route("/multipart", get(multipart_range))
        .layer(
            CompressionLayer::new().compress_when(|_: StatusCode, _, _: &HeaderMap, _: &_| true),
        );
    let addr = server::serve(router).await;
    for coding in CODINGS {
        let accept = [("accept-encoding", coding)];
        let single = send("GET", &format!("http://{addr}/single"), &accept).await;
        assert_eq!(single.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(single.header(header::CONTENT_ENCODING), None, "{coding}");
        let multipart = send("GET", &format!("http://{addr}/multipart"), &accept).await;
        assert_eq!(multipart.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(multipart.header(header::CONTENT_ENCODING), Some(coding));
    }
}

/// The last modification of `/page` and `/by-hand`.
const MODIFIED: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
/// A second after [`MODIFIED`].
const AFTER_MODIFIED: &str = "Sun, 06 Nov 1994 08:49:38 GMT";

fn modified() -> LastModified {
    LastModified::parse(MODIFIED.as_bytes()).unwrap_or_else(|| panic!("a valid date"))
}

/// `/page` (long) and `/small` (under tower-http's 32-byte threshold, never compressed) through
/// the macro, with a date and the cache headers a 304 must repeat.
#[conditional(
    etag = ETag::from_version(app.version()),
    last_modified = modified(),
    cache_control = "no-cache",
    vary = "origin"
)]
async fn page(State(app): State<App>) -> &'static str {
    app.handler_runs.fetch_add(1, SeqCst);
    BODY
}

#[conditional(
    etag = ETag::from_version(app.version()),
    last_modified = modified(),
    cache_control = "no-cache",
    vary = "origin"
)]
async fn small(State(app): State<App>) -> &'static str {
    app.handler_runs.fetch_add(1, SeqCst);
    "tiny"
}

/// The same resource as `/page`, answered by hand: `Preconditions`, `Decision::into_answer`.
async fn by_hand(State(app): State<App>, conditions: Preconditions) -> Response {
    let resource = Resource::existing(Some(ETag::from_version(app.version())), Some(modified()));
    let cache = CacheHeaders::new()
        .cache_control(HeaderValue::from_static("no-cache"))
        .vary(HeaderValue::from_static("origin"));
    match conditions
        .evaluate(resource, Policy::new())
        .into_answer(cache.clone())
    {
        Ok(answer) => answer.into_response(),
        Err(_proceed) => {
            app.handler_runs.fetch_add(1, SeqCst);
            let mut response =
                (ETag::from_version(app.version()), modified(), BODY).into_response();
            cache.fill_missing(response.headers_mut());
            response
        }
    }
}

/// Writes of every kind and a missing resource, for the statuses no `Accept-Encoding` changes.
#[conditional(etag = ETag::from_version(app.version()), require = true)]
async fn remove(State(app): State<App>) -> StatusCode {
    app.version.fetch_add(1, SeqCst);
    StatusCode::NO_CONTENT
}

async fn create(State(app): State<App>) -> Response {
    app.version.fetch_add(1, SeqCst);
    (StatusCode::CREATED, [(header::LOCATION, "/doc")], BODY).into_response()
}

#[conditional(etag = None::<ETag>)]
async fn missing() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// The app behind the layer with tower-http's default predicate (above 32 bytes).
async fn serve_default() -> (App, String) {
    let app = App {
        version: Arc::new(AtomicU64::new(2)),
        ..App::default()
    };
    let router = Router::new()
        .route("/doc", get(read).put(write).delete(remove))
        .route("/page", get(page))
        .route("/small", get(small))
        .route("/by-hand", get(by_hand))
        .route("/items", axum::routing::post(create))
        .route("/missing", get(missing))
        .with_state(app.clone())
        .layer(ConditionalCompressionLayer::new());
    let addr = server::serve(router).await;
    (app, format!("http://{addr}"))
}

/// RFC 9110 §15.4.5: every 304 carries the `ETag`, `Cache-Control` and `Vary` the 200 to the
/// same request carries, whichever condition produced it (`If-None-Match` with each variant's
/// tag, `If-Modified-Since` alone, both), whatever the `Accept-Encoding`, above and below the
/// compression threshold, through the macro and by hand, to `GET` and `HEAD`.
#[tokio::test]
async fn every_304_carries_what_its_200_carries() {
    let (_, base) = serve_default().await;
    let browser = "gzip, deflate, br, zstd";
    let mut not_modified = 0;
    for path in ["/page", "/small", "/by-hand"] {
        let url = format!("{base}{path}");
        for accept in [None, Some("gzip"), Some(browser), Some("identity;q=0")] {
            for method in ["GET", "HEAD"] {
                let accept_header: Vec<_> =
                    accept.map(|a| ("accept-encoding", a)).into_iter().collect();
                let full = send(method, &url, &accept_header).await;
                assert_eq!(full.status, StatusCode::OK, "{method} {path} {accept:?}");
                let tag = full.etag().unwrap_or_else(|| panic!("a tag")).to_owned();
                let case = format!("{method} {path} {accept:?} (200: {tag})");
                let mut conditions: Vec<Vec<(&str, String)>> = std::iter::once("\"2\"".to_owned())
                    .chain(CODINGS.map(|c| format!("\"2~{c}\"")))
                    .map(|member| vec![("if-none-match", member)])
                    .collect();
                // A second after the (weak) date: the date itself may stand for an older
                // version written in that second, and gets the full response (RFC 9110
                // §8.8.2.2).
                conditions.push(vec![("if-modified-since", AFTER_MODIFIED.to_owned())]);
                conditions.push(vec![
                    ("if-none-match", tag.clone()),
                    ("if-modified-since", MODIFIED.to_owned()),
                ]);
                for condition in conditions {
                    let mut headers: Vec<(&str, &str)> =
                        condition.iter().map(|(n, v)| (*n, v.as_str())).collect();
                    headers.extend(accept_header.iter().copied());
                    let reply = send(method, &url, &headers).await;
                    let matches = condition
                        .iter()
                        .all(|(name, value)| *name != "if-none-match" || *value == tag);
                    let expected = if matches {
                        StatusCode::NOT_MODIFIED
                    } else {
                        StatusCode::OK
                    };
                    assert_eq!(reply.status, expected, "{case} {condition:?}");
                    if reply.status == StatusCode::NOT_MODIFIED {
                        not_modified += 1;
                        for name in [
                            header::ETAG,
                            header::CACHE_CONTROL,
                            header::EXPIRES,
                            header::CONTENT_LOCATION,
                        ] {
                            assert_eq!(
                                reply.header(name.clone()),
                                full.header(name.clone()),
                                "{case} {condition:?}: {name}"
                            );
                        }
                        assert_eq!(reply.vary(), full.vary(), "{case} {condition:?}");
                        assert_eq!(reply.header(header::CONTENT_ENCODING), None);
                    }
                }
            }
        }
    }
    // Each case has two 304s: its own tag and the date alone (and the two together).
    assert_eq!(not_modified, 3 * 4 * 2 * 3);
}

/// A request header never replaces the status the handler answered: a request that accepts no
/// coding at all gets identity, not 406, for a create, a replace, a delete, a 412, a 428 and a
/// 404 alike (RFC 9110 §12.5.3 lets a server disregard `Accept-Encoding`).
#[tokio::test]
async fn no_accept_encoding_replaces_a_status() {
    let (app, base) = serve_default().await;
    for accept in ["identity;q=0", "*;q=0", "gzip;q=0", "identity;q=0, *;q=0"] {
        let ae = ("accept-encoding", accept);
        let created = send("POST", &format!("{base}/items"), &[ae]).await;
        assert_eq!(created.status, StatusCode::CREATED, "{accept}");
        assert_eq!(created.header(header::CONTENT_ENCODING), None, "{accept}");
        assert_eq!(created.body, BODY.as_bytes());

        let version = app.version();
        let current = format!("\"{version}\"");
        let replaced = send("PUT", &format!("{base}/doc"), &[ae, ("if-match", &current)]).await;
        assert_eq!(replaced.status, StatusCode::OK, "{accept}");
        assert_eq!(app.version(), version + 1);

        let stale = send("PUT", &format!("{base}/doc"), &[ae, ("if-match", &current)]).await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{accept}");
        let required = send("PUT", &format!("{base}/doc"), &[ae]).await;
        assert_eq!(
            required.status,
            StatusCode::PRECONDITION_REQUIRED,
            "{accept}"
        );

        let current = format!("\"{}\"", app.version());
        let deleted = send(
            "DELETE",
            &format!("{base}/doc"),
            &[ae, ("if-match", &current)],
        )
        .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{accept}");

        let absent = send("GET", &format!("{base}/missing"), &[ae]).await;
        assert_eq!(absent.status, StatusCode::NOT_FOUND, "{accept}");
        let read = send("GET", &format!("{base}/doc"), &[ae]).await;
        assert_eq!(read.status, StatusCode::OK, "{accept}");
        assert_eq!(read.header(header::CONTENT_ENCODING), None, "{accept}");
    }
}
