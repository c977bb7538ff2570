//! Range requests served by `#[conditional(…, ranges = true)]` (RFC 9110 §14, §13.1.5): 206
//! with `Content-Range`, `multipart/byteranges`, 416, `If-Range`, `HEAD`, every body of known
//! length and `Ranged` sources, the cap against abusive range sets, and compression. Through
//! `oneshot` on a real `Router`, and over loopback HTTP with curl.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use axum_conditional::range::{Selection, select};
use axum_conditional::{ETag, FileSource, RangeSource, Ranged, conditional};
use proptest::prelude::*;

use crate::support::http::{Reply, call, request};
use crate::support::server::serve;

// ---------------------------------------------------------------------------------------------
// The application under test.

/// The representation: 1000 printable bytes that never repeat a 3-byte window of digits.
fn content() -> Bytes {
    (0..1000u32)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 % 36) as usize])
        .collect::<Vec<u8>>()
        .into()
}

fn text() -> String {
    String::from_utf8(content().to_vec()).expect("ASCII")
}

static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(text);

const MODIFIED: u64 = 1_700_000_000;
const MODIFIED_DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

fn modified() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(MODIFIED)
}

/// A source that counts the bytes read through it.
struct Counting<S> {
    inner: S,
    read: Arc<AtomicU64>,
}

impl<S: RangeSource> RangeSource for Counting<S> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    async fn read_at(&mut self, offset: u64, max: usize) -> std::io::Result<Bytes> {
        let bytes = self.inner.read_at(offset, max).await?;
        self.read.fetch_add(bytes.len() as u64, Ordering::SeqCst);
        Ok(bytes)
    }
}

/// A body of known length that is not ready at the first poll (a stream from elsewhere).
struct Later {
    data: Option<Bytes>,
    waited: bool,
}

impl http_body::Body for Later {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if !self.waited {
            self.waited = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(
            self.data
                .take()
                .map(|data| Ok(http_body::Frame::data(data))),
        )
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}

/// A body of unknown length.
struct Unsized(Option<Bytes>);

impl http_body::Body for Unsized {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.0.take().map(|data| Ok(http_body::Frame::data(data))))
    }
}

#[derive(Clone, Default)]
struct App {
    /// Bytes read through the `Ranged` routes' sources.
    read: Arc<AtomicU64>,
    /// The representation of `/big`, in bytes.
    big: u64,
    /// The file of `/file`.
    file: Option<Arc<std::path::PathBuf>>,
}

#[conditional(etag = ETag::from_version(7), last_modified = modified(), ranges = true)]
async fn bytes() -> Bytes {
    content()
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn vec() -> Vec<u8> {
    content().to_vec()
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn string() -> String {
    text()
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn static_str() -> &'static str {
    TEXT.as_str()
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn json() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "text": text() }))
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn later() -> Body {
    Body::new(Later {
        data: Some(content()),
        waited: false,
    })
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn unsized_body() -> Body {
    Body::new(Unsized(Some(content())))
}

#[conditional(etag = ETag::from_version(7), last_modified = modified(), ranges = true)]
async fn ranged(State(app): State<App>) -> impl IntoResponse {
    let source = Counting {
        inner: content(),
        read: app.read.clone(),
    };
    ([(header::CONTENT_TYPE, "text/plain")], Ranged::new(source))
}

/// A large representation never held in memory: byte `i` is `i % 251`.
struct Pattern(u64);

impl RangeSource for Pattern {
    fn len(&self) -> u64 {
        self.0
    }

    async fn read_at(&mut self, offset: u64, max: usize) -> std::io::Result<Bytes> {
        let n = (self.0 - offset).min(max as u64);
        Ok((offset..offset + n).map(|i| (i % 251) as u8).collect())
    }
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn big(State(app): State<App>) -> Ranged<Counting<Pattern>> {
    Ranged::new(Counting {
        inner: Pattern(app.big),
        read: app.read.clone(),
    })
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn file(State(app): State<App>) -> Result<Ranged<Counting<FileSource>>, StatusCode> {
    let path = app.file.clone().ok_or(StatusCode::NOT_FOUND)?;
    let file = FileSource::open(path.as_path())
        .await
        .map_err(|_| StatusCode::NOT_FOUND)?;
    Ok(Ranged::new(Counting {
        inner: file,
        read: app.read.clone(),
    }))
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn created() -> (StatusCode, Bytes) {
    (StatusCode::CREATED, content())
}

#[conditional(etag = ETag::from_version(7), ranges = true)]
async fn failing() -> (StatusCode, Bytes) {
    (StatusCode::INTERNAL_SERVER_ERROR, content())
}

#[conditional(etag = ETag::from_version(7))]
async fn plain() -> Bytes {
    content()
}

#[conditional(
    etag = ETag::from_version(7),
    last_modified = modified(),
    strong_last_modified = true,
    ranges = true
)]
async fn strong() -> Bytes {
    content()
}

#[conditional(last_modified = modified(), strong_last_modified = true, ranges = true)]
async fn strong_date_only() -> Bytes {
    content()
}

#[conditional(last_modified = modified(), ranges = true)]
async fn weak_date_only() -> Bytes {
    content()
}

#[conditional(etag = ETag::from_version(7).into_weak(), ranges = true)]
async fn weak_tag() -> Bytes {
    content()
}

fn app_with(app: App) -> Router {
    Router::new()
        .route("/bytes", get(bytes))
        .route("/vec", get(vec))
        .route("/string", get(string))
        .route("/static", get(static_str))
        .route("/json", get(json))
        .route("/later", get(later))
        .route("/unsized", get(unsized_body))
        .route("/ranged", get(ranged))
        .route("/big", get(big))
        .route("/file", get(file))
        .route("/created", get(created))
        .route("/failing", get(failing))
        .route("/plain", get(plain))
        .route("/strong", get(strong))
        .route("/strong-date-only", get(strong_date_only))
        .route("/weak-date-only", get(weak_date_only))
        .route("/weak-tag", get(weak_tag))
        .with_state(app)
}

fn app() -> Router {
    app_with(App::default())
}

/// Every route whose body has a known length, so that a range of it is served.
const SLICED: [&str; 8] = [
    "/bytes", "/vec", "/string", "/static", "/json", "/later", "/ranged", "/strong",
];

async fn send_to(app: &Router, method: Method, path: &str, fields: &[(&str, &str)]) -> Reply {
    call(
        app.clone(),
        request(method.as_str(), path, fields, Body::empty()),
    )
    .await
}

async fn get_with(path: &str, fields: &[(&str, &str)]) -> Reply {
    send_to(&app(), Method::GET, path, fields).await
}

// ---------------------------------------------------------------------------------------------
// One range, every body.

#[tokio::test]
async fn every_body_of_known_length_serves_first_last_open_ended_and_suffix_ranges() {
    for path in SLICED {
        let full = get_with(path, &[]).await;
        assert_eq!(full.status, StatusCode::OK, "{path}");
        assert_eq!(full.header("accept-ranges"), Some("bytes"), "{path}");
        let length = full.body.len();
        let content_type = full.header("content-type").map(str::to_owned);
        for (range, first, last) in [
            ("bytes=0-9", 0, 9),
            ("bytes=10-", 10, length - 1),
            ("bytes=-7", length - 7, length - 1),
            ("bytes=5-5", 5, 5),
            ("bytes=0-", 0, length - 1),
            ("bytes=3-100000", 3, length - 1),
        ] {
            let reply = get_with(path, &[("range", range)]).await;
            assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{path} {range}");
            assert_eq!(
                reply.header("content-range"),
                Some(format!("bytes {first}-{last}/{length}").as_str()),
                "{path} {range}"
            );
            assert_eq!(reply.body, full.body.slice(first..=last), "{path} {range}");
            assert_eq!(
                reply.header("content-length"),
                Some((last - first + 1).to_string().as_str()),
                "{path} {range}"
            );
            assert_eq!(reply.header("accept-ranges"), Some("bytes"), "{path}");
            assert_eq!(reply.header("etag"), Some("\"7\""), "{path}");
            assert_eq!(
                reply.header("content-type"),
                content_type.as_deref(),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn a_body_of_unknown_length_is_served_whole_without_accept_ranges() {
    let reply = get_with("/unsized", &[("range", "bytes=0-9")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, content());
    assert_eq!(reply.header("accept-ranges"), None);
    assert_eq!(reply.header("content-range"), None);
}

#[tokio::test]
async fn only_a_200_is_sliced() {
    for (path, status) in [
        ("/created", StatusCode::CREATED),
        ("/failing", StatusCode::INTERNAL_SERVER_ERROR),
    ] {
        let reply = get_with(path, &[("range", "bytes=0-9")]).await;
        assert_eq!(reply.status, status, "{path}");
        assert_eq!(reply.body, content(), "{path}");
        assert_eq!(reply.header("content-range"), None, "{path}");
        assert_eq!(reply.header("accept-ranges"), None, "{path}");
    }
}

#[tokio::test]
async fn a_route_without_ranges_ignores_range_and_does_not_advertise_it() {
    let reply = get_with("/plain", &[("range", "bytes=0-9")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, content());
    assert_eq!(reply.header("accept-ranges"), None);
}

// ---------------------------------------------------------------------------------------------
// 416, and what is ignored.

#[tokio::test]
async fn an_unsatisfiable_range_is_416_with_the_length() {
    for path in SLICED {
        let length = get_with(path, &[]).await.body.len();
        for range in [
            format!("bytes={length}-"),
            "bytes=-0".to_owned(),
            format!("bytes={}-{}", length + 5, length + 9),
        ] {
            let reply = get_with(path, &[("range", &range)]).await;
            assert_eq!(
                reply.status,
                StatusCode::RANGE_NOT_SATISFIABLE,
                "{path} {range}"
            );
            assert_eq!(
                reply.header("content-range"),
                Some(format!("bytes */{length}").as_str()),
                "{path} {range}"
            );
            assert!(reply.body.is_empty(), "{path} {range}");
            assert_eq!(reply.header("content-type"), None, "{path} {range}");
        }
    }
}

#[tokio::test]
async fn an_invalid_range_or_another_unit_is_ignored() {
    for range in [
        "bytes=5-1",
        "bytes=abc",
        "bytes=",
        "items=0-9",
        "bytes 0-9",
        "bytes=0-9;x",
    ] {
        let reply = get_with("/bytes", &[("range", range)]).await;
        assert_eq!(reply.status, StatusCode::OK, "{range}");
        assert_eq!(reply.body, content(), "{range}");
        assert_eq!(reply.header("accept-ranges"), Some("bytes"), "{range}");
    }
}

#[tokio::test]
async fn preconditions_come_before_the_range() {
    let reply = get_with(
        "/bytes",
        &[("range", "bytes=0-9"), ("if-none-match", "\"7\"")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    let reply = get_with("/bytes", &[("range", "bytes=0-9"), ("if-match", "\"6\"")]).await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    // An unsatisfiable range behind a failed precondition is still the 412.
    let reply = get_with("/bytes", &[("range", "bytes=5000-"), ("if-match", "\"6\"")]).await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
}

// ---------------------------------------------------------------------------------------------
// If-Range (RFC 9110 §13.1.5).

#[tokio::test]
async fn if_range_with_the_current_strong_tag_serves_the_range_and_any_other_the_whole() {
    let cases = [
        ("/bytes", "\"7\"", StatusCode::PARTIAL_CONTENT),
        ("/bytes", "\"6\"", StatusCode::OK),
        ("/bytes", "W/\"7\"", StatusCode::OK),
        ("/bytes", "\"7\", \"6\"", StatusCode::OK),
        ("/bytes", "garbage", StatusCode::OK),
        // The route's own tag is weak: a weak tag never matches (strong comparison).
        ("/weak-tag", "W/\"7\"", StatusCode::OK),
        ("/weak-tag", "\"7\"", StatusCode::OK),
        ("/ranged", "\"7\"", StatusCode::PARTIAL_CONTENT),
        ("/ranged", "\"8\"", StatusCode::OK),
    ];
    for (path, if_range, status) in cases {
        let reply = get_with(path, &[("range", "bytes=0-9"), ("if-range", if_range)]).await;
        assert_eq!(reply.status, status, "{path} If-Range: {if_range}");
        let expected = if status == StatusCode::OK {
            content()
        } else {
            content().slice(0..10)
        };
        assert_eq!(reply.body, expected, "{path} If-Range: {if_range}");
    }
}

#[tokio::test]
async fn if_range_with_a_date_matches_only_a_last_modified_declared_strong_and_equal() {
    let older = "Tue, 14 Nov 2023 22:13:19 GMT";
    let cases = [
        ("/strong", MODIFIED_DATE, StatusCode::PARTIAL_CONTENT),
        (
            "/strong-date-only",
            MODIFIED_DATE,
            StatusCode::PARTIAL_CONTENT,
        ),
        // Equality, not "not modified since": an older or later date is a mismatch.
        ("/strong", older, StatusCode::OK),
        ("/strong", "Tue, 14 Nov 2023 22:13:21 GMT", StatusCode::OK),
        // A weak Last-Modified (the default) never matches.
        ("/weak-date-only", MODIFIED_DATE, StatusCode::OK),
        ("/bytes", MODIFIED_DATE, StatusCode::OK),
    ];
    for (path, date, status) in cases {
        let reply = get_with(path, &[("range", "bytes=0-9"), ("if-range", date)]).await;
        assert_eq!(reply.status, status, "{path} If-Range: {date}");
    }
}

// ---------------------------------------------------------------------------------------------
// HEAD.

#[tokio::test]
async fn head_gets_the_headers_of_the_206_and_416_without_a_body() {
    let state = App::default();
    let app = app_with(state.clone());
    for path in SLICED {
        let get = send_to(&app, Method::GET, path, &[("range", "bytes=0-9")]).await;
        let head = send_to(&app, Method::HEAD, path, &[("range", "bytes=0-9")]).await;
        assert_eq!(head.status, StatusCode::PARTIAL_CONTENT, "{path}");
        assert!(head.body.is_empty(), "{path}");
        for name in [
            "content-range",
            "content-length",
            "content-type",
            "accept-ranges",
        ] {
            assert_eq!(head.header(name), get.header(name), "{path} {name}");
        }
        let head = send_to(&app, Method::HEAD, path, &[("range", "bytes=9999-")]).await;
        assert_eq!(head.status, StatusCode::RANGE_NOT_SATISFIABLE, "{path}");
    }
    // A HEAD reads nothing from a source.
    let before = state.read.load(Ordering::SeqCst);
    send_to(
        &app,
        Method::HEAD,
        "/ranged",
        &[("range", "bytes=0-9,500-509")],
    )
    .await;
    send_to(&app, Method::HEAD, "/ranged", &[]).await;
    assert_eq!(state.read.load(Ordering::SeqCst), before);
}

// ---------------------------------------------------------------------------------------------
// Several ranges: multipart/byteranges (RFC 9110 §14.6).

/// The parts of a `multipart/byteranges` reply, parsed by `multer`: (Content-Type,
/// Content-Range, data).
async fn parts_of(reply: &Reply) -> Vec<(Option<String>, String, Bytes)> {
    let content_type = reply.header("content-type").expect("a content-type");
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("not multipart/byteranges: {content_type}"))
        .to_owned();
    let delimiter = format!("--{boundary}");
    let occurrences = reply
        .body
        .windows(delimiter.len())
        .filter(|w| *w == delimiter.as_bytes())
        .count();
    let body = reply.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .expect("a well-formed multipart body")
    {
        let headers = field.headers().clone();
        let data = field.bytes().await.expect("the part's data");
        let text = |name| {
            headers
                .get(name)
                .map(|v: &axum::http::HeaderValue| v.to_str().expect("ASCII").to_owned())
        };
        parts.push((
            text("content-type"),
            text("content-range").expect("every part has a Content-Range"),
            data,
        ));
    }
    // The boundary occurs only as the delimiters: before each part, and at the end.
    assert_eq!(
        occurrences,
        parts.len() + 1,
        "the boundary occurs in the content"
    );
    parts
}

#[tokio::test]
async fn several_ranges_are_served_as_multipart_byteranges_in_the_order_asked() {
    for path in SLICED {
        let full = get_with(path, &[]).await;
        let length = full.body.len();
        let reply = get_with(path, &[("range", "bytes=500-509,0-9,-5")]).await;
        assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{path}");
        assert_eq!(reply.header("content-range"), None, "{path}");
        assert_eq!(
            reply.header("content-length"),
            Some(reply.body.len().to_string().as_str()),
            "{path}"
        );
        let parts = parts_of(&reply).await;
        let expected = [(500, 509), (0, 9), (length - 5, length - 1)];
        assert_eq!(parts.len(), expected.len(), "{path}");
        for ((content_type, range, data), (first, last)) in parts.into_iter().zip(expected) {
            assert_eq!(
                content_type.as_deref(),
                full.header("content-type"),
                "{path}"
            );
            assert_eq!(range, format!("bytes {first}-{last}/{length}"), "{path}");
            assert_eq!(data, full.body.slice(first..=last), "{path}");
        }
    }
}

#[tokio::test]
async fn overlapping_ranges_are_coalesced_into_one_part() {
    let reply = get_with("/bytes", &[("range", "bytes=0-99,50-149,150-199")]).await;
    assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(reply.header("content-range"), Some("bytes 0-199/1000"));
    assert_eq!(reply.body, content().slice(0..200));
}

#[tokio::test]
async fn several_ranges_of_a_body_that_is_not_ready_at_once_are_served_too() {
    let reply = get_with("/later", &[("range", "bytes=900-909,0-9")]).await;
    assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
    let parts = parts_of(&reply).await;
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].2, content().slice(900..910));
    assert_eq!(parts[1].2, content().slice(0..10));
}

// ---------------------------------------------------------------------------------------------
// The cap against abusive range sets (the 2011 "Apache killer").

#[tokio::test]
async fn hundreds_of_tiny_or_overlapping_ranges_cost_no_more_than_the_full_response() {
    let length: u64 = 64 * 1024;
    let state = App {
        big: length,
        ..App::default()
    };
    let app = app_with(state.clone());
    let full = send_to(&app, Method::GET, "/big", &[]).await;
    assert_eq!(full.body.len() as u64, length);
    let tiny_spread: Vec<String> = (0..32).map(|i| format!("{0}-{0}", i * 2000)).collect();
    let tiny_dense: Vec<String> = (0..32).map(|i| format!("{0}-{0}", i * 2)).collect();
    let hostile = [
        // Hundreds of overlapping whole-representation ranges.
        vec!["0-"; 400].join(","),
        // Hundreds of one-byte ranges.
        (0..400)
            .map(|i| format!("{i}-{i}"))
            .collect::<Vec<_>>()
            .join(","),
        // At the cap: overlapping ranges, each nearly the whole representation.
        (0..32)
            .map(|i| format!("{i}-"))
            .collect::<Vec<_>>()
            .join(","),
        // At the cap, tiny and out of order.
        (0..32)
            .rev()
            .map(|i| format!("-{}", i + 1))
            .collect::<Vec<_>>()
            .join(","),
        tiny_spread.join(","),
        tiny_dense.join(","),
    ];
    for ranges in hostile {
        let before = state.read.load(Ordering::SeqCst);
        let reply = send_to(
            &app,
            Method::GET,
            "/big",
            &[("range", &format!("bytes={ranges}"))],
        )
        .await;
        let read = state.read.load(Ordering::SeqCst) - before;
        let sent = reply.body.len() as u64;
        let shown: String = ranges.chars().take(40).collect();
        assert!(read <= length, "{shown}…: read {read} of {length}");
        assert!(sent <= length, "{shown}…: sent {sent} for {length}");
        assert!(
            matches!(reply.status, StatusCode::OK | StatusCode::PARTIAL_CONTENT),
            "{shown}…: {}",
            reply.status
        );
    }
    // Tiny ranges far apart are served as parts, reading only their bytes.
    let before = state.read.load(Ordering::SeqCst);
    let reply = send_to(
        &app,
        Method::GET,
        "/big",
        &[("range", &format!("bytes={}", tiny_spread.join(",")))],
    )
    .await;
    assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(state.read.load(Ordering::SeqCst) - before, 32);
    assert_eq!(parts_of(&reply).await.len(), 32);
}

#[tokio::test]
async fn several_ranges_that_would_outweigh_the_whole_are_served_whole() {
    // Two 1-byte ranges of a 100-byte representation: the multipart framing alone is larger.
    let app = app_with(App {
        big: 100,
        ..App::default()
    });
    let reply = send_to(&app, Method::GET, "/big", &[("range", "bytes=0-0,99-99")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body.len(), 100);
}

#[tokio::test]
async fn a_small_range_of_a_large_source_reads_only_that_range() {
    let state = App {
        big: 1 << 30,
        ..App::default()
    };
    let app = app_with(state.clone());
    let reply = send_to(
        &app,
        Method::GET,
        "/big",
        &[("range", "bytes=536870912-536875007")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(reply.body.len(), 4096);
    assert_eq!(reply.body[0], (536_870_912u64 % 251) as u8);
    assert_eq!(state.read.load(Ordering::SeqCst), 4096);
}

#[tokio::test]
async fn a_4_kib_range_of_a_1_gib_file_reads_4_kib() {
    let dir = std::env::temp_dir().join(format!("axum-conditional-ranges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("sparse.bin");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = std::fs::File::create(&path).expect("a file");
        file.set_len(1 << 30).expect("a sparse 1 GiB file");
        file.seek(SeekFrom::Start(1 << 29)).expect("seek");
        file.write_all(b"middle").expect("write");
    }
    let state = App {
        file: Some(Arc::new(path.clone())),
        ..App::default()
    };
    let app = app_with(state.clone());
    let reply = send_to(
        &app,
        Method::GET,
        "/file",
        &[("range", "bytes=536870910-536875005")],
    )
    .await;
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        reply.header("content-range"),
        Some("bytes 536870910-536875005/1073741824")
    );
    assert_eq!(reply.body.len(), 4096);
    assert_eq!(&reply.body[..8], b"\0\0middle");
    assert_eq!(state.read.load(Ordering::SeqCst), 4096);
}

// ---------------------------------------------------------------------------------------------
// Compression.

/// The paths of [`app`] whose bodies the tests below slice, one of each kind of body.
const COMPRESSED_PATHS: [&str; 3] = ["/bytes", "/ranged", "/string"];

/// On each of [`COMPRESSED_PATHS`], with `accept` as `Accept-Encoding`: a single range and
/// several ranges are both served as 206, not content-coded.
async fn assert_ranges_left_alone(app: &Router, accept: Option<&str>) {
    for path in COMPRESSED_PATHS {
        let mut fields = vec![("range", "bytes=0-99")];
        fields.extend(accept.map(|accept| ("accept-encoding", accept)));
        let reply = send_to(app, Method::GET, path, &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::PARTIAL_CONTENT,
            "{path} {accept:?}"
        );
        assert_eq!(reply.header("content-encoding"), None, "{path} {accept:?}");
        assert_eq!(reply.body, content().slice(0..100), "{path} {accept:?}");
        fields[0] = ("range", "bytes=0-9,500-509");
        let reply = send_to(app, Method::GET, path, &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::PARTIAL_CONTENT,
            "{path} {accept:?}"
        );
        assert_eq!(reply.header("content-encoding"), None, "{path} {accept:?}");
        let parts = parts_of(&reply).await;
        assert_eq!(parts.len(), 2, "{path} {accept:?}");
        assert_eq!(parts[1].2, content().slice(500..510), "{path} {accept:?}");
    }
}

#[tokio::test]
async fn several_ranges_are_multipart_whatever_accept_encoding_says() {
    // A range is of the identity bytes and a 206 is never coded (RFC 9110 §14.2, §8.8.3.3), so
    // `Accept-Encoding` changes nothing about it: no fallback to a 200, and no `Vary` added for
    // it (only a compression layer, which chooses a coding, varies on the field).
    let app = app();
    for accept in [
        None,
        Some("gzip"),
        Some("br, zstd"),
        Some("*"),
        Some("identity"),
    ] {
        assert_ranges_left_alone(&app, accept).await;
        for range in ["bytes=0-99", "bytes=0-9,500-509"] {
            let mut fields = vec![("range", range)];
            fields.extend(accept.map(|accept| ("accept-encoding", accept)));
            let reply = send_to(&app, Method::GET, "/bytes", &fields).await;
            assert_eq!(reply.header("vary"), None, "{range} {accept:?}");
        }
    }
}

#[tokio::test]
async fn the_conditional_compression_layer_leaves_every_206_alone() {
    let app = app().layer(axum_conditional::compression::ConditionalCompressionLayer::new());
    for accept in [None, Some("gzip"), Some("gzip, br, zstd, deflate")] {
        assert_ranges_left_alone(&app, accept).await;
    }
    // It compresses the 200, which then no longer says it accepts ranges.
    for path in COMPRESSED_PATHS {
        let reply = send_to(&app, Method::GET, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(reply.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(reply.header("accept-ranges"), None, "{path}");
    }
}

#[tokio::test]
async fn tower_http_compression_leaves_a_206_alone_with_the_documented_predicate() {
    // tower-http's own layer spares a response with `Content-Range` (a single range) only; a
    // `multipart/byteranges` 206 has none, so a `ranges = true` route behind it needs the
    // predicate the attribute's documentation gives.
    use tower_http::compression::predicate::{NotForContentType, Predicate as _};
    use tower_http::compression::{CompressionLayer, DefaultPredicate};
    let predicate =
        DefaultPredicate::new().and(NotForContentType::const_new("multipart/byteranges"));
    let app = app().layer(CompressionLayer::new().compress_when(predicate));
    for accept in [None, Some("gzip")] {
        assert_ranges_left_alone(&app, accept).await;
    }
    for path in COMPRESSED_PATHS {
        let reply = send_to(&app, Method::GET, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(reply.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(reply.header("accept-ranges"), None, "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Properties: any content, any valid range set.

#[conditional(etag = ETag::from_version(1), ranges = true)]
async fn any_bytes(State(content): State<Bytes>) -> Bytes {
    content
}

#[conditional(etag = ETag::from_version(1), ranges = true)]
async fn any_ranged(State(content): State<Bytes>) -> Ranged<Bytes> {
    Ranged::new(content)
}

fn range_spec(length: usize) -> impl Strategy<Value = String> {
    let bound = length + 3;
    prop_oneof![
        (0..bound, 0..bound).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
        (0..bound).prop_map(|a| format!("{a}-")),
        (0..bound).prop_map(|n| format!("-{n}")),
    ]
}

fn content_and_ranges() -> impl Strategy<Value = (Vec<u8>, String)> {
    prop::collection::vec(any::<u8>(), 0..1500).prop_flat_map(|content| {
        let length = content.len();
        (
            Just(content),
            prop::collection::vec(range_spec(length), 1..6).prop_map(|specs| specs.join(",")),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_206_body_is_the_slices_of_the_full_body((content, ranges) in content_and_ranges()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let content = Bytes::from(content);
        let field = format!("bytes={ranges}");
        let app = Router::new()
            .route("/bytes", get(any_bytes))
            .route("/ranged", get(any_ranged))
            .with_state(content.clone());
        for path in ["/bytes", "/ranged"] {
            let reply = runtime.block_on(send_to(&app, Method::GET, path, &[("range", &field)]));
            let length = content.len() as u64;
            match select([field.as_bytes()], length) {
                Selection::Unsatisfiable => {
                    prop_assert_eq!(reply.status, StatusCode::RANGE_NOT_SATISFIABLE);
                }
                Selection::Partial(ranges) if reply.status == StatusCode::PARTIAL_CONTENT => {
                    if let Some(range) = ranges.single() {
                        let (first, last) = (range.first() as usize, range.last() as usize);
                        prop_assert_eq!(&reply.body, &content.slice(first..=last));
                        let expected = format!("bytes {first}-{last}/{length}");
                        prop_assert_eq!(reply.header("content-range"), Some(expected.as_str()));
                    } else {
                        let parts = runtime.block_on(parts_of(&reply));
                        prop_assert_eq!(parts.len(), ranges.as_slice().len());
                        for ((_, range_field, data), range) in parts.iter().zip(ranges.as_slice()) {
                            let (first, last) = (range.first() as usize, range.last() as usize);
                            prop_assert_eq!(data, &content.slice(first..=last));
                            prop_assert_eq!(range_field, &format!("bytes {first}-{last}/{length}"));
                        }
                    }
                }
                Selection::Partial(_) => {
                    // Served whole: only when the multipart answer would outweigh it.
                    prop_assert_eq!(reply.status, StatusCode::OK);
                    prop_assert_eq!(&reply.body, &content);
                }
                Selection::Ignored(_) => {
                    // A valid field is ignored only for an empty content that a suffix-range
                    // selects (RFC 9110 §14.1.1): the whole of it, nothing.
                    prop_assert_eq!(reply.status, StatusCode::OK);
                    prop_assert!(reply.body.is_empty());
                }
                other => prop_assert!(false, "{field}: {other:?}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Over loopback HTTP, with curl.

/// curl's output (`-i`: the head, then the body) for `args`.
async fn curl(args: Vec<String>) -> Vec<u8> {
    let output = tokio::process::Command::new("curl")
        .arg("-sS")
        .args(args)
        .output()
        .await
        .expect("curl runs (install it: apt-get install curl)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The head and body of a curl `-i` output.
fn split_head(output: &[u8]) -> (String, &[u8]) {
    let end = output
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    (
        String::from_utf8_lossy(&output[..end]).to_ascii_lowercase(),
        &output[end + 4..],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_ranges_over_http() {
    let addr = serve(app()).await;
    let url = |path: &str| format!("http://{addr}{path}");
    let all = content();
    for path in ["/bytes", "/ranged"] {
        // Single, open-ended and suffix ranges: curl -r prints the 206's body.
        for (range, expected) in [
            ("0-9", all.slice(0..10)),
            ("990-", all.slice(990..)),
            ("-5", all.slice(995..)),
        ] {
            let body = curl(vec!["-r".into(), range.into(), url(path)]).await;
            assert_eq!(body, expected, "{path} -r {range}");
        }
        // Several ranges.
        let output = curl(vec![
            "-i".into(),
            "-r".into(),
            "0-9,500-509".into(),
            url(path),
        ])
        .await;
        let (head, body) = split_head(&output);
        assert!(head.starts_with("http/1.1 206"), "{head}");
        assert!(
            head.contains("content-type: multipart/byteranges; boundary="),
            "{head}"
        );
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let reply = Reply {
            status: StatusCode::PARTIAL_CONTENT,
            headers: head
                .lines()
                .skip(1)
                .filter_map(|line| line.split_once(": "))
                .map(|(name, value)| {
                    (
                        header::HeaderName::try_from(name).expect("a name"),
                        value.parse().expect("a value"),
                    )
                })
                .collect(),
            body: Bytes::copy_from_slice(body),
        };
        let parts = parts_of(&reply).await;
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].2, all.slice(0..10));
        assert_eq!(parts[1].2, all.slice(500..510));
        // 416.
        let output = curl(vec!["-i".into(), "-r".into(), "5000-".into(), url(path)]).await;
        let (head, body) = split_head(&output);
        assert!(head.starts_with("http/1.1 416"), "{head}");
        assert!(head.contains("content-range: bytes */1000"), "{head}");
        assert!(body.is_empty());
        // HEAD.
        let output = curl(vec!["-I".into(), "-r".into(), "0-9".into(), url(path)]).await;
        let (head, body) = split_head(&output);
        assert!(head.starts_with("http/1.1 206"), "{head}");
        assert!(head.contains("content-range: bytes 0-9/1000"), "{head}");
        assert!(head.contains("content-length: 10"), "{head}");
        assert!(body.is_empty());
        // If-Range: the current tag resumes, an old one restarts from the whole.
        let resumed = curl(vec![
            "-r".into(),
            "10-".into(),
            "-H".into(),
            "If-Range: \"7\"".into(),
            url(path),
        ])
        .await;
        assert_eq!(resumed, all.slice(10..), "{path}");
        let restarted = curl(vec![
            "-r".into(),
            "10-".into(),
            "-H".into(),
            "If-Range: \"6\"".into(),
            url(path),
        ])
        .await;
        assert_eq!(restarted, all, "{path}");
    }
    // If-Range by date, on a route whose Last-Modified is strong, and on one whose is not.
    for (path, expected) in [("/strong", all.slice(10..)), ("/bytes", all.clone())] {
        let body = curl(vec![
            "-r".into(),
            "10-".into(),
            "-H".into(),
            format!("If-Range: {MODIFIED_DATE}"),
            url(path),
        ])
        .await;
        assert_eq!(body, expected, "{path}");
    }
}
