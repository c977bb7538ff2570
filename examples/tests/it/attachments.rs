//! Attachments over real HTTP: the `documents` service on a loopback port, driven by the real
//! `curl` (ranges, an interrupted download resumed with `-C -`) and compared with Go's
//! `http.ServeContent` serving the same bytes with the same validators.
//!
//! # What curl sends when it resumes
//!
//! `curl -C - -o file URL` (curl 7.88) sends `Range: bytes=<size of file>-` and nothing else:
//! no `If-Range`, so by itself it would append whatever the server now holds to the old half,
//! if the server answered 206 whatever the version. The two options that look like they help
//! do not: `-z file` sends `If-Modified-Since: <the file's mtime>` and `--etag-compare f` sends
//! `If-None-Match: <tag>`; with an unchanged attachment either one makes the answer a 304, so
//! nothing is resumed, and with a changed one the answer is the full 200, which curl refuses
//! to append ("HTTP server doesn't seem to support byte ranges", exit 33). A safe resume with
//! curl is therefore `--etag-save tag` on the first request and `-C - -H "If-Range: $(cat tag)"`
//! on the resume: 206 with the rest when nothing changed, the full 200 of the new version
//! otherwise (`resuming_sends_what_the_module_documentation_says` pins this).
//!
//! # Go's `http.ServeContent` as the reference
//!
//! `go/servecontent.go` serves the same content with the same `ETag` and `Last-Modified`; the
//! same requests are sent to both and the answers compared (status, `Content-Range`,
//! `Content-Length` against the body, the body or, for `multipart/byteranges`, the parts but
//! not the boundary). Where they differ, the case says why, and both sides are asserted, so that
//! the list below stays true (Go 1.19, Debian's `golang-go`):
//!
//! - `bytes=-0` (a suffix of zero bytes): unsatisfiable by RFC 9110 §14.1.2 ("a suffix-length
//!   of zero is unsatisfiable"), so 416; Go answers 206 with `Content-Range: bytes
//!   1000-999/1000`, a range whose last position is before its first (§14.4 forbids it).
//! - A syntactically invalid range (`bytes=5-1`) and an unknown unit (`items=0-1`): ignored, a
//!   200 (RFC 9110 §14.2: a server MUST ignore a range unit it does not understand, and may
//!   ignore an invalid ranges-specifier); Go answers 416 to both, without `Content-Range` for
//!   the unit.
//! - Overlapping or nearly adjacent ranges (`bytes=0-99,50-149`): served as one range 0-149 here
//!   (§14.6 allows coalescing; the runtime coalesces ranges at most 80 bytes apart, so a 206
//!   never sends a byte twice), as two parts by Go. Both are RFC-correct; the bytes agree.
//!
//! Go is skipped, loudly, only where `go` is not installed (`scripts/test.sh` installs
//! `golang-go`), and never under `REQUIRE_E2E=1`, where a missing `go` fails the test.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum_conditional_examples::documents::app;
use axum_conditional_examples::documents::store::{Clock, Store};
use reqwest::{Client, Method, Response, StatusCode, header};

use crate::support;

use crate::support::server::serve;

/// A fresh directory for one test's files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("attachments-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The documents service on its own database file, in `scratch`.
struct Server {
    addr: SocketAddr,
    client: Client,
}

/// A clock for the store that moves only when told, so a test of a write one second later does
/// not wait a second. It starts an hour ago, on a whole second: `Last-Modified` is never in the
/// future (which the runtime would clamp to now), and one second later is another second.
#[derive(Clone)]
struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    fn new() -> ManualClock {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let start = UNIX_EPOCH + Duration::from_secs(now.as_secs() - 3600);
        ManualClock(Arc::new(Mutex::new(start)))
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }

    fn clock(&self) -> Clock {
        let now = self.0.clone();
        Clock::new(move || *now.lock().unwrap())
    }
}

impl Server {
    async fn start(scratch: &Scratch) -> Server {
        Server::start_with(scratch, Clock::system()).await
    }

    /// With the store's writes dated by `clock`.
    async fn start_with(scratch: &Scratch, clock: Clock) -> Server {
        let store = Store::open_with_clock(&scratch.path("documents.db"), clock).unwrap();
        let (addr, _) = serve(app(store)).await;
        Server {
            addr,
            client: Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    async fn put(&self, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
        let mut request = self.client.put(self.url(path)).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// A new document; its attachment's path.
    async fn document(&self) -> String {
        let created = self
            .client
            .post(self.url("/documents"))
            .json(&serde_json::json!({"title": "with an attachment"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        format!("{}/attachment", header_text(&created, header::LOCATION))
    }

    /// A new document with `bytes` attached; the attachment's path and tag.
    async fn attachment(&self, bytes: Vec<u8>) -> (String, String) {
        let path = self.document().await;
        let stored = self.put(&path, &[("if-none-match", "*")], bytes).await;
        assert_eq!(stored.status(), StatusCode::CREATED);
        let tag = header_text(&stored, header::ETAG);
        (path, tag)
    }
}

fn header_text(response: &Response, name: header::HeaderName) -> String {
    let value = response.headers().get(&name);
    let value = value.unwrap_or_else(|| panic!("no {name} in {:?}", response.headers()));
    value.to_str().unwrap().to_owned()
}

/// `len` bytes that differ from one position to the next (a splice or shift shows), varied by
/// `seed`.
fn content(len: usize, seed: u8) -> Vec<u8> {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// Runs the real curl; its output whatever its exit status. On a blocking thread: the server
/// it talks to runs on this test's runtime.
async fn curl(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    let output = tokio::task::spawn_blocking(move || Command::new("curl").args(args).output());
    let output = output.await.unwrap();
    output.unwrap_or_else(|e| panic!("curl could not be run ({e}): install curl"))
}

/// The request header lines curl's `-v` output shows it sent.
fn sent_headers(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| line.strip_prefix("> "))
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The status line and header lines of a `-D` dump, without `date`.
fn dumped(path: &Path) -> (u16, Vec<(String, String)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .filter(|(name, _)| name != "date")
        .collect();
    (status.parse().unwrap(), headers)
}

fn field<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The parts of a `multipart/byteranges` body: each part's `Content-Range` and bytes, in
/// order. Panics on anything RFC 9110 §14.6 and RFC 2046 §5.1.1 do not allow.
fn parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("not multipart/byteranges: {content_type}"));
    let delimiter = format!("--{boundary}").into_bytes();
    let mut found = Vec::new();
    let mut rest = body;
    let at = find(rest, &delimiter).expect("no first delimiter");
    rest = &rest[at + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return found;
        }
        rest = rest.strip_prefix(b"\r\n").expect("CRLF after a delimiter");
        let end_of_headers = find(rest, b"\r\n\r\n").expect("a part without headers");
        let headers = std::str::from_utf8(&rest[..end_of_headers]).unwrap();
        let range = headers
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-range"))
            .map(|(_, value)| value.trim().to_owned())
            .expect("a part without Content-Range");
        rest = &rest[end_of_headers + 4..];
        let mut next = b"\r\n".to_vec();
        next.extend_from_slice(&delimiter);
        let end = find(rest, &next).expect("a part without a delimiter after it");
        found.push((range, rest[..end].to_vec()));
        rest = &rest[end + next.len()..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[tokio::test]
async fn a_put_needs_a_precondition_and_changes_only_the_attachments_tag() {
    let scratch = Scratch::new("put");
    let server = Server::start(&scratch).await;
    let path = server.document().await;
    let document = path.trim_end_matches("/attachment").to_owned();
    let document_tag = header_text(
        &server.send(Method::GET, &document, &[]).await,
        header::ETAG,
    );

    let missing = server.send(Method::GET, &path, &[]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let unconditional = server.put(&path, &[], b"one".to_vec()).await;
    assert_eq!(unconditional.status(), StatusCode::PRECONDITION_REQUIRED);

    let created = server
        .put(&path, &[("if-none-match", "*")], b"one".to_vec())
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let first = header_text(&created, header::ETAG);
    let again = server
        .put(&path, &[("if-none-match", "*")], b"two".to_vec())
        .await;
    assert_eq!(again.status(), StatusCode::PRECONDITION_FAILED);

    let replaced = server
        .put(&path, &[("if-match", &first)], b"two".to_vec())
        .await;
    assert_eq!(replaced.status(), StatusCode::NO_CONTENT);
    let second = header_text(&replaced, header::ETAG);
    assert_ne!(second, first);
    let stale = server
        .put(&path, &[("if-match", &first)], b"three".to_vec())
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(header_text(&stale, header::ETAG), second);

    let read = server.send(Method::GET, &path, &[]).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(header_text(&read, header::ETAG), second);
    assert_eq!(read.bytes().await.unwrap().as_ref(), b"two");
    // The document's JSON did not change, so neither did its tag.
    let document_now = server.send(Method::GET, &document, &[]).await;
    assert_eq!(header_text(&document_now, header::ETAG), document_tag);

    let orphan = server
        .put(
            "/documents/999/attachment",
            &[("if-none-match", "*")],
            b"x".to_vec(),
        )
        .await;
    assert_eq!(orphan.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn curl_r_gets_one_range_and_several_as_multipart() {
    let scratch = Scratch::new("curl-r");
    let server = Server::start(&scratch).await;
    let bytes = content(10_000, 1);
    let (path, tag) = server.attachment(bytes.clone()).await;
    let (dump, out) = (scratch.path("headers"), scratch.path("out"));
    let (dump_arg, out_arg) = (dump.to_str().unwrap(), out.to_str().unwrap());
    let url = server.url(&path);

    let single = curl(&[
        "-sS",
        "-r",
        "1000-1999",
        "-D",
        dump_arg,
        "-o",
        out_arg,
        &url,
    ])
    .await;
    assert!(single.status.success(), "{single:?}");
    let (status, headers) = dumped(&dump);
    assert_eq!(status, 206);
    assert_eq!(
        field(&headers, "content-range"),
        Some("bytes 1000-1999/10000")
    );
    assert_eq!(field(&headers, "content-length"), Some("1000"));
    assert_eq!(field(&headers, "etag"), Some(tag.as_str()));
    assert_eq!(std::fs::read(&out).unwrap(), &bytes[1000..2000]);

    let several = curl(&[
        "-sS",
        "-r",
        "0-99,5000-5099,-10",
        "-D",
        dump_arg,
        "-o",
        out_arg,
        &url,
    ])
    .await;
    assert!(several.status.success(), "{several:?}");
    let (status, headers) = dumped(&dump);
    assert_eq!(status, 206);
    assert_eq!(field(&headers, "content-range"), None);
    let body = std::fs::read(&out).unwrap();
    let length: usize = field(&headers, "content-length").unwrap().parse().unwrap();
    assert_eq!(length, body.len());
    let got = parts(field(&headers, "content-type").unwrap(), &body);
    let expected = [
        ("bytes 0-99/10000", &bytes[..100]),
        ("bytes 5000-5099/10000", &bytes[5000..5100]),
        ("bytes 9990-9999/10000", &bytes[9990..]),
    ];
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for ((range, part), (want_range, want)) in got.iter().zip(expected) {
        assert_eq!(range, want_range);
        assert_eq!(part, want);
    }
}

/// Downloads the first `half` bytes of `url` into `file` with `curl -r`, saving the tag.
async fn first_half(url: &str, file: &Path, tag_file: &Path, half: usize) {
    let range = format!("0-{}", half - 1);
    let output = curl(&[
        "-sS",
        "-r",
        &range,
        "--etag-save",
        tag_file.to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
        url,
    ])
    .await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(std::fs::metadata(file).unwrap().len(), half as u64);
}

#[tokio::test]
async fn curl_c_resumes_an_interrupted_download_with_if_range() {
    let scratch = Scratch::new("resume");
    let server = Server::start(&scratch).await;
    let bytes = content(300_000, 2);
    let (path, tag) = server.attachment(bytes.clone()).await;
    let url = server.url(&path);
    let (file, tag_file, dump) = (scratch.path("file"), scratch.path("tag"), scratch.path("h"));

    // The download is cut off halfway.
    first_half(&url, &file, &tag_file, 150_000).await;
    let saved = std::fs::read_to_string(&tag_file).unwrap();
    assert_eq!(saved.trim(), tag);

    let if_range = format!("If-Range: {}", saved.trim());
    let resumed = curl(&[
        "-sSv",
        "-C",
        "-",
        "-H",
        &if_range,
        "-D",
        dump.to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
        &url,
    ])
    .await;
    assert!(resumed.status.success(), "{resumed:?}");
    let sent = sent_headers(&resumed);
    assert!(
        sent.contains(&"Range: bytes=150000-".to_owned()),
        "{sent:?}"
    );
    assert!(sent.contains(&if_range), "{sent:?}");
    let (status, headers) = dumped(&dump);
    assert_eq!(status, 206);
    assert_eq!(
        field(&headers, "content-range"),
        Some("bytes 150000-299999/300000")
    );
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
}

#[tokio::test]
async fn a_resume_after_the_attachment_changed_gets_the_new_version_whole_never_a_splice() {
    let scratch = Scratch::new("changed");
    let server = Server::start(&scratch).await;
    let old = content(300_000, 3);
    let (path, tag) = server.attachment(old.clone()).await;
    let url = server.url(&path);
    let (file, tag_file, dump) = (scratch.path("file"), scratch.path("tag"), scratch.path("h"));
    first_half(&url, &file, &tag_file, 150_000).await;

    // The same length, so that only the bytes tell the versions apart.
    let new = content(300_000, 4);
    let changed = server.put(&path, &[("if-match", &tag)], new.clone()).await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);

    let if_range = format!("If-Range: {tag}");
    let resumed = curl(&[
        "-sS",
        "-C",
        "-",
        "-H",
        &if_range,
        "-D",
        dump.to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
        &url,
    ])
    .await;
    // The server restarts from 0: a full 200 of the new version. curl will not append a 200
    // to a partial file (exit 33, CURLE_RANGE_ERROR), so the old half is left as it was.
    let (status, headers) = dumped(&dump);
    assert_eq!(status, 200);
    assert_eq!(field(&headers, "content-range"), None);
    assert_eq!(resumed.status.code(), Some(33), "{resumed:?}");
    assert_eq!(std::fs::read(&file).unwrap(), &old[..150_000]);

    // What that 200 holds: the new version, whole, from byte 0.
    let restart = scratch.path("restart");
    let range = "Range: bytes=150000-";
    let whole = curl(&[
        "-sS",
        "-H",
        range,
        "-H",
        &if_range,
        "-o",
        restart.to_str().unwrap(),
        &url,
    ])
    .await;
    assert!(whole.status.success(), "{whole:?}");
    assert_eq!(std::fs::read(&restart).unwrap(), new);
}

#[tokio::test]
async fn resuming_sends_what_the_module_documentation_says() {
    let scratch = Scratch::new("what-curl-sends");
    let server = Server::start(&scratch).await;
    let (path, tag) = server.attachment(content(20_000, 5)).await;
    let url = server.url(&path);
    let (file, tag_file) = (scratch.path("file"), scratch.path("tag"));
    first_half(&url, &file, &tag_file, 10_000).await;

    // -C - alone: a Range from the file's size, and no condition at all.
    let copy = scratch.path("copy");
    std::fs::copy(&file, &copy).unwrap();
    let plain = curl(&["-sSv", "-C", "-", "-o", copy.to_str().unwrap(), &url]).await;
    let sent = sent_headers(&plain);
    assert!(sent.contains(&"Range: bytes=10000-".to_owned()), "{sent:?}");
    assert!(
        !sent
            .iter()
            .any(|line| line.to_ascii_lowercase().starts_with("if-")),
        "{sent:?}"
    );

    // -z and --etag-compare: If-Modified-Since and If-None-Match, never If-Range; with an
    // unchanged attachment the answer is a 304, so nothing is resumed.
    let conditional = curl(&[
        "-sSv",
        "-C",
        "-",
        "-z",
        file.to_str().unwrap(),
        "--etag-compare",
        tag_file.to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
        &url,
    ])
    .await;
    let sent = sent_headers(&conditional);
    let names: Vec<String> = sent
        .iter()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect();
    assert!(names.contains(&"range".to_owned()), "{sent:?}");
    assert!(names.contains(&"if-modified-since".to_owned()), "{sent:?}");
    assert!(names.contains(&"if-none-match".to_owned()), "{sent:?}");
    assert!(!names.contains(&"if-range".to_owned()), "{sent:?}");
    assert!(
        String::from_utf8_lossy(&conditional.stderr).contains("< HTTP/1.1 304"),
        "{conditional:?}"
    );
    assert!(sent.contains(&format!("If-None-Match: {tag}")), "{sent:?}");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 10_000);
}

#[tokio::test]
async fn if_range_honours_the_current_strong_tag_and_date_only() {
    let scratch = Scratch::new("if-range");
    let clock = ManualClock::new();
    let server = Server::start_with(&scratch, clock.clock()).await;
    let bytes = content(1000, 6);
    let (path, old_tag) = server.attachment(bytes.clone()).await;
    let old = server.send(Method::GET, &path, &[]).await;
    let old_date = header_text(&old, header::LAST_MODIFIED);
    // A write one second later, so that the new date is strong and differs.
    clock.advance(Duration::from_secs(1));
    let new = content(1000, 7);
    let changed = server
        .put(&path, &[("if-match", &old_tag)], new.clone())
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let tag = header_text(&changed, header::ETAG);
    let date = header_text(&changed, header::LAST_MODIFIED);
    assert_ne!(date, old_date);
    let weak = format!("W/{tag}");

    for (if_range, partial) in [
        (tag.as_str(), true),
        (date.as_str(), true),
        (old_tag.as_str(), false),
        (old_date.as_str(), false),
        (weak.as_str(), false),
    ] {
        let headers = [("range", "bytes=10-19"), ("if-range", if_range)];
        let response = server.send(Method::GET, &path, &headers).await;
        if partial {
            assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{if_range}");
            assert_eq!(
                header_text(&response, header::CONTENT_RANGE),
                "bytes 10-19/1000"
            );
            assert_eq!(response.bytes().await.unwrap().as_ref(), &new[10..20]);
        } else {
            assert_eq!(response.status(), StatusCode::OK, "{if_range}");
            assert_eq!(response.bytes().await.unwrap().as_ref(), new.as_slice());
        }
    }
}

#[tokio::test]
async fn an_unsatisfiable_range_is_a_416_with_the_length_and_head_has_no_body() {
    let scratch = Scratch::new("416");
    let server = Server::start(&scratch).await;
    let (path, tag) = server.attachment(content(1000, 8)).await;

    for range in ["bytes=1000-", "bytes=5000-6000", "bytes=-0"] {
        let response = server.send(Method::GET, &path, &[("range", range)]).await;
        assert_eq!(
            response.status(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{range}"
        );
        assert_eq!(
            header_text(&response, header::CONTENT_RANGE),
            "bytes */1000"
        );
    }

    let head = server.send(Method::HEAD, &path, &[]).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header_text(&head, header::CONTENT_LENGTH), "1000");
    assert_eq!(header_text(&head, header::ACCEPT_RANGES), "bytes");
    assert_eq!(header_text(&head, header::ETAG), tag);
    assert!(head.bytes().await.unwrap().is_empty());

    let ranged_head = server
        .send(Method::HEAD, &path, &[("range", "bytes=0-9")])
        .await;
    assert!(ranged_head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_64_mib_attachment_is_stored_and_served_by_range_and_whole() {
    let scratch = Scratch::new("64mib");
    let server = Server::start(&scratch).await;
    let bytes = content(64 * 1024 * 1024, 9);
    let (path, _) = server.attachment(bytes.clone()).await;
    let url = server.url(&path);

    let end = scratch.path("end");
    let range = curl(&["-sS", "-r", "-4096", "-o", end.to_str().unwrap(), &url]).await;
    assert!(range.status.success(), "{range:?}");
    assert_eq!(std::fs::read(&end).unwrap(), &bytes[bytes.len() - 4096..]);

    let whole = scratch.path("whole");
    let all = curl(&["-sS", "-o", whole.to_str().unwrap(), &url]).await;
    assert!(all.status.success(), "{all:?}");
    assert!(
        std::fs::read(&whole).unwrap() == bytes,
        "the 200 differs from what was stored"
    );
}

/// Go's `http.ServeContent` started on `content`, answering until dropped.
struct GoServer {
    child: Child,
    addr: String,
    _scratch: Scratch,
}

impl GoServer {
    /// `None`, after saying so loudly, when `go` is not installed.
    fn start(content: &[u8], etag: &str, modified: SystemTime) -> Option<GoServer> {
        if Command::new("go").arg("version").output().is_err() {
            support::e2e::missing(
                "the comparison with Go's http.ServeContent needs `go` (apt-get install \
                 golang-go; scripts/test.sh installs it)",
            );
            return None;
        }
        let scratch = Scratch::new("go");
        std::fs::write(scratch.path("content"), content).unwrap();
        let seconds = modified.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go/servecontent.go");
        // Nothing is downloaded: the standard library only, this machine's toolchain.
        let mut child = Command::new("go")
            .arg("run")
            .arg(&program)
            .arg(scratch.path("content"))
            .arg(etag)
            .arg(seconds.to_string())
            .env("GOCACHE", scratch.path("cache"))
            .env("GOPATH", scratch.path("gopath"))
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("servecontent.go said {line:?}"))
            .to_owned();
        Some(GoServer {
            child,
            addr,
            _scratch: scratch,
        })
    }
}

impl Drop for GoServer {
    fn drop(&mut self) {
        // Closing its standard input ends it; wait so that no process outlives the test.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// What is compared of an answer: status, `Content-Range`, and the content (the body, or a
/// multipart body's parts); `Content-Length` is checked against the body on each side.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    content_range: Option<String>,
    content: Content,
}

#[derive(Debug, PartialEq)]
enum Content {
    Whole(Vec<u8>),
    Parts(Vec<(String, Vec<u8>)>),
}

async fn answer(client: &Client, url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let content_range = text(header::CONTENT_RANGE);
    let content_type = text(header::CONTENT_TYPE).unwrap_or_default();
    let length = text(header::CONTENT_LENGTH);
    let body = response.bytes().await.unwrap().to_vec();
    if let Some(length) = length {
        assert_eq!(
            length.parse::<usize>().unwrap(),
            body.len(),
            "{url} {headers:?}"
        );
    }
    let content = if status == 416 {
        // The 416's body is free text on both sides.
        Content::Whole(Vec::new())
    } else if content_type.starts_with("multipart/byteranges") {
        Content::Parts(parts(&content_type, &body))
    } else {
        Content::Whole(body)
    };
    Answer {
        status,
        content_range,
        content,
    }
}

/// How this service's answer relates to Go's for a request.
enum Expect {
    /// The same answer.
    Same,
    /// A different status from Go's, for the reason the module documentation lists; the status
    /// here and Go's, both asserted.
    Differs { ours: u16, go: u16 },
    /// The same bytes, as one range here and as parts there (coalescing).
    Coalesced,
}

#[tokio::test]
async fn ranges_and_if_range_answer_like_gos_serve_content() {
    let scratch = Scratch::new("vs-go");
    let clock = ManualClock::new();
    let server = Server::start_with(&scratch, clock.clock()).await;
    let bytes = content(1000, 10);
    let (path, old_tag) = server.attachment(bytes.clone()).await;
    let old_date = header_text(
        &server.send(Method::GET, &path, &[]).await,
        header::LAST_MODIFIED,
    );
    // One second later: the current version's date is strong (see the module documentation).
    clock.advance(Duration::from_secs(1));
    let changed = server
        .put(&path, &[("if-match", &old_tag)], bytes.clone())
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let tag = header_text(&changed, header::ETAG);
    let date = header_text(&changed, header::LAST_MODIFIED);
    let modified = httpdate::parse_http_date(&date).unwrap();
    let Some(go) = GoServer::start(&bytes, &tag, modified) else {
        return;
    };
    let ours = server.url(&path);
    let theirs = format!("http://{}/", go.addr);
    let weak = format!("W/{tag}");

    use Expect::{Coalesced, Differs, Same};
    let cases: Vec<(Vec<(&str, &str)>, Expect)> = vec![
        (vec![("range", "bytes=0-99")], Same),
        (vec![("range", "bytes=900-")], Same),
        (vec![("range", "bytes=-100")], Same),
        (vec![("range", "bytes=0-0")], Same),
        (vec![("range", "bytes=999-999")], Same),
        (vec![("range", "bytes=990-5000")], Same),
        (vec![("range", "bytes=-5000")], Same),
        (vec![("range", "bytes=0-9,500-509,-10")], Same),
        (vec![("range", "bytes=500-509,0-9")], Same),
        (vec![("range", "bytes=0-9,5000-6000")], Same),
        (vec![("range", "bytes=1000-")], Same),
        (vec![("range", "bytes=5000-6000,7000-")], Same),
        (vec![("range", "bytes=-0")], Differs { ours: 416, go: 206 }),
        (vec![("range", "bytes=5-1")], Differs { ours: 200, go: 416 }),
        (vec![("range", "items=0-1")], Differs { ours: 200, go: 416 }),
        (vec![("range", "bytes=0-99,50-149")], Coalesced),
        (vec![("range", "bytes=0-9"), ("if-range", &tag)], Same),
        (vec![("range", "bytes=0-9"), ("if-range", &old_tag)], Same),
        (vec![("range", "bytes=0-9"), ("if-range", &weak)], Same),
        (vec![("range", "bytes=0-9"), ("if-range", &date)], Same),
        (vec![("range", "bytes=0-9"), ("if-range", &old_date)], Same),
        (
            vec![("range", "bytes=0-9,200-209"), ("if-range", &tag)],
            Same,
        ),
        (
            vec![("range", "bytes=0-9,200-209"), ("if-range", &old_tag)],
            Same,
        ),
    ];
    let client = Client::new();
    for (headers, expect) in cases {
        let here = answer(&client, &ours, &headers).await;
        let there = answer(&client, &theirs, &headers).await;
        match expect {
            Same => assert_eq!(here, there, "{headers:?}"),
            Differs { ours, go } => {
                assert_eq!((here.status, there.status), (ours, go), "{headers:?}");
            }
            Coalesced => {
                let Content::Parts(parts) = there.content else {
                    panic!("Go sent no parts for {headers:?}: {there:?}");
                };
                let Content::Whole(one) = here.content else {
                    panic!("not one range for {headers:?}: {here:?}");
                };
                assert_eq!(here.status, 206);
                assert_eq!(here.content_range.as_deref(), Some("bytes 0-149/1000"));
                assert_eq!(one, &bytes[..150]);
                let covered: Vec<u8> = parts.iter().flat_map(|(_, b)| b.clone()).collect();
                assert_eq!(covered, [&bytes[..100], &bytes[50..150]].concat());
            }
        }
    }
}

#[tokio::test]
async fn a_write_during_a_download_cuts_it_short_and_never_mixes_versions() {
    let scratch = Scratch::new("cut");
    let server = Server::start(&scratch).await;
    // Far more than the loopback socket buffers hold, so most of it is read after the write.
    let old = content(32 * 1024 * 1024, 11);
    let (path, tag) = server.attachment(old.clone()).await;
    let mut download = server.send(Method::GET, &path, &[]).await;
    assert_eq!(download.status(), StatusCode::OK);
    let mut got = download.chunk().await.unwrap().unwrap().to_vec();

    let changed = server
        .put(&path, &[("if-match", &tag)], content(old.len(), 12))
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let ended = loop {
        match download.chunk().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => break "complete",
            Err(_) => break "cut short",
        }
    };
    assert_eq!(ended, "cut short");
    assert!(got.len() < old.len());
    assert!(
        got == old[..got.len()],
        "the download holds bytes of the new version"
    );
}

/// The attachment route sits outside the compression layer: a client that accepts gzip still
/// gets the identity bytes under the identity tag, so the tag it later sends in `If-Range`
/// names the bytes a range is cut from, and a resumed download resumes.
#[tokio::test]
async fn an_attachment_is_never_compressed_so_if_range_can_resume_it() {
    let scratch = Scratch::new("identity");
    let server = Server::start(&scratch).await;
    let bytes = content(4000, 9);
    let (path, tag) = server.attachment(bytes.clone()).await;

    let whole = server
        .send(Method::GET, &path, &[("accept-encoding", "gzip, br, zstd")])
        .await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert!(whole.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(header_text(&whole, header::ETAG), tag);
    assert_eq!(whole.bytes().await.unwrap(), bytes);

    let rest = server
        .send(
            Method::GET,
            &path,
            &[
                ("accept-encoding", "gzip"),
                ("range", "bytes=1000-"),
                ("if-range", &tag),
            ],
        )
        .await;
    assert_eq!(rest.status(), StatusCode::PARTIAL_CONTENT);
    assert!(rest.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(rest.bytes().await.unwrap(), bytes[1000..]);
}
