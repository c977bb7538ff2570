//! End-to-end behind a real nginx: the `documents` example (in-memory SQLite) on a loopback
//! port, nginx in front of it with `examples/deploy/nginx.conf` (gzip and a revalidating
//! cache), driven with real curl as a client would: `--compressed`, `--etag-save`,
//! `--etag-compare`, and writes with `If-Match` set to the tags nginx handed out.
//!
//! nginx comes from Debian (`scripts/test.sh` installs it). Without it these tests say so loudly on
//! stderr ("SKIPPED: nginx not installed") and pass, so a machine without nginx can still run
//! the rest of the suite, and fail under `REQUIRE_E2E=1` (see `support::e2e`).

use std::fs;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::nginx::{Nginx, PATIENCE, start_example};

/// How one request went: curl's view of the response, and nginx's access-log line for it.
#[derive(Debug)]
struct Exchange {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    log: String,
}

impl Exchange {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn etag(&self) -> &str {
        self.header("etag")
            .unwrap_or_else(|| panic!("no ETag in {self:#?}"))
    }

    /// What nginx's cache did: MISS, HIT, EXPIRED, REVALIDATED, or empty when it was not asked (`escape=json` logs an unset variable as nothing).
    fn cache(&self) -> &str {
        self.logged("cache")
    }

    /// A `name=value` field of the access-log line.
    fn logged(&self, name: &str) -> &str {
        let prefix = format!("{name}=");
        self.log
            .split(' ')
            .find_map(|field| field.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no {name} in the log line {:?}", self.log))
    }
}

impl Nginx {
    /// A file of the scratch directory, for curl's `--etag-save` and `--etag-compare`.
    fn file(&self, name: &str) -> String {
        self.dir.0.join(name).display().to_string()
    }

    /// Runs curl against nginx with `args` (before the URL) and returns the response with its
    /// access-log line, found by the request's `X-Request-Id`.
    fn curl(&self, method: &str, path: &str, args: &[&str]) -> Exchange {
        let id = self.next_request.fetch_add(1, Ordering::Relaxed);
        let output = Command::new("curl")
            .args(["--silent", "--show-error", "--include", "--request", method])
            .args(["--header", &format!("X-Request-Id: {id}")])
            .args(args)
            .arg(format!("http://{}{path}", self.listen))
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(
            output.status.success(),
            "curl {args:?} {path} failed: {}{text}",
            String::from_utf8_lossy(&output.stderr)
        );
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap();
        let headers = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.trim().to_owned(), value.trim().to_owned())
            })
            .collect();
        Exchange {
            status: status.parse().unwrap(),
            headers,
            body: body.to_owned(),
            log: self.log_line(id),
        }
    }

    /// The access-log line of request `id`. nginx writes it after the response is sent, so
    /// it may come a moment after curl has returned.
    fn log_line(&self, id: u32) -> String {
        let suffix = format!(" request_id={id}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let log = fs::read_to_string(self.dir.0.join("access.log")).unwrap_or_default();
            if let Some(line) = log.lines().find(|line| line.ends_with(&suffix)) {
                return line.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no access-log line for request {id} within {PATIENCE:?}:\n{log}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// `GET` with curl's `--compressed`, as a browser asks.
    fn get(&self, path: &str, args: &[&str]) -> Exchange {
        let mut all = vec!["--compressed"];
        all.extend_from_slice(args);
        self.curl("GET", path, &all)
    }

    /// A JSON write with `If-Match: tag`.
    fn write(&self, method: &str, path: &str, tag: &str, body: &str) -> Exchange {
        let if_match = format!("If-Match: {tag}");
        let args = [
            "--compressed",
            "--header",
            "Content-Type: application/json",
            "--header",
            &if_match,
            "--data-binary",
            body,
        ];
        self.curl(method, path, &args)
    }

    /// `POST /documents` with `body`; returns the new document's path.
    fn create(&self, body: &str) -> String {
        let args = [
            "--compressed",
            "--header",
            "Content-Type: application/json",
            "--data-binary",
            body,
        ];
        let created = self.curl("POST", "/documents", &args);
        assert_eq!(created.status, 201, "{created:#?}");
        created.header("location").unwrap().to_owned()
    }
}

/// Starts the example and nginx in front of it; `None` (and the test passes) only when nginx
/// is not installed.
fn deployed() -> Option<Nginx> {
    Nginx::start(start_example())
}

/// Large enough for the example's compression layer: the example encodes it itself, and nginx
/// passes it through with the example's per-coding strong tag.
const LARGE: &str = r#"{"text":"compressible, compressible, compressible, compressible"}"#;

/// 24 bytes as the example sends it: below the example's compression threshold, above
/// nginx's `gzip_min_length` (20), so nginx gzips it and weakens the tag.
const SMALL: &str = r#"{"title":"a small note"}"#;

#[test]
fn nginx_revalidates_an_expired_entry_with_a_304_from_the_example() {
    let Some(nginx) = deployed() else { return };
    let path = nginx.create(LARGE);
    let saved = nginx.file("etag");

    let first = nginx.get(&path, &["--etag-save", &saved]);
    assert_eq!(first.status, 200, "{first:#?}");
    assert_eq!(first.cache(), "MISS", "{first:#?}");
    assert_eq!(first.body, LARGE);
    assert_eq!(fs::read_to_string(&saved).unwrap().trim(), first.etag());

    // The entry lives one second; once it expires nginx asks the example with the stored tag,
    // and the example's 304 refreshes it. Until then nginx answers from its copy (HIT). Either
    // way the client, which holds the current tag, gets a 304.
    let deadline = Instant::now() + PATIENCE;
    let revalidated = loop {
        let again = nginx.get(&path, &["--etag-compare", &saved]);
        assert_eq!(again.status, 304, "{again:#?}");
        assert!(again.body.is_empty(), "{again:#?}");
        if again.cache() == "REVALIDATED" {
            break again;
        }
        assert_eq!(again.cache(), "HIT", "{again:#?}");
        assert!(Instant::now() < deadline, "no revalidation in {PATIENCE:?}");
        thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(revalidated.logged("upstream"), "304", "{revalidated:#?}");
    println!("revalidation: {}", revalidated.log);

    // The refreshed copy still serves the body, encoded as before.
    let body = nginx.get(&path, &[]);
    assert_eq!((body.status, body.body.as_str()), (200, LARGE), "{body:#?}");
    assert_eq!(body.etag(), first.etag());
}

/// Reads `path` through nginx with `--etag-save`, writes with the saved tag (passes), then
/// with the same, now stale tag (412); returns the read and the successful write.
fn write_with_the_tag_nginx_handed_out(nginx: &Nginx, path: &str) -> (Exchange, Exchange) {
    let saved = nginx.file("etag");
    let read = nginx.get(path, &["--etag-save", &saved]);
    assert_eq!(read.status, 200, "{read:#?}");
    let tag = fs::read_to_string(&saved).unwrap().trim().to_owned();
    assert_eq!(tag, read.etag());

    let written = nginx.write("PUT", path, &tag, LARGE);
    assert_eq!(written.status, 200, "a current tag must pass: {written:#?}");
    assert_ne!(written.etag(), tag);

    let stale = nginx.write("PUT", path, &tag, r#"{"lost":"update"}"#);
    assert_eq!(stale.status, 412, "a stale tag must fail: {stale:#?}");
    assert!(stale.body.contains("If-Match"), "{stale:#?}");
    (read, written)
}

#[test]
fn a_tag_nginx_weakened_writes_when_current_and_gets_412_when_stale() {
    let Some(nginx) = deployed() else { return };
    let path = nginx.create(SMALL);
    let (read, written) = write_with_the_tag_nginx_handed_out(&nginx, &path);
    // nginx compressed the identity response itself, and weakened the tag doing so.
    assert_eq!(read.logged("upstream_encoding"), "", "{read:#?}");
    assert_eq!(read.logged("encoding"), "gzip", "{read:#?}");
    assert!(read.etag().starts_with("W/"), "{read:#?}");
    println!("read through gzip: {}", read.log);
    println!("write through gzip: {}", written.log);

    // The tag the write answered with (the example's own, encoded by the example) is as good
    // for the next write, and a stale one is refused for DELETE too.
    let next = nginx.write("PATCH", &path, written.etag(), r#"{"more":"text"}"#);
    assert_eq!(next.status, 200, "{next:#?}");
    let stale = nginx.write("DELETE", &path, written.etag(), "");
    assert_eq!(stale.status, 412, "{stale:#?}");
    let deleted = nginx.write("DELETE", &path, next.etag(), "");
    assert_eq!(deleted.status, 204, "{deleted:#?}");
}

#[test]
fn a_tag_the_example_encoded_writes_when_current_and_gets_412_when_stale() {
    let Some(nginx) = deployed() else { return };
    let path = nginx.create(LARGE);
    let (read, written) = write_with_the_tag_nginx_handed_out(&nginx, &path);
    // The example encoded the body; nginx passed it and its strong per-coding tag through.
    let coding = read.logged("upstream_encoding");
    assert_ne!(coding, "", "{read:#?}");
    assert_eq!(read.logged("encoding"), coding, "{read:#?}");
    assert!(!read.etag().starts_with("W/"), "{read:#?}");
    println!("write with an encoded tag: {}", written.log);
}

#[test]
fn no_stale_body_is_served_after_a_write_once_the_cache_entry_expires() {
    let Some(nginx) = deployed() else { return };
    let path = nginx.create(SMALL);
    // Two clients, so two cache entries (Vary: accept-encoding): each must expire.
    let clients: [&[&str]; 2] = [&["--compressed"], &[]];
    for client in clients {
        let cached = nginx.curl("GET", &path, client);
        assert_eq!(cached.body, SMALL, "{cached:#?}");
    }
    let tag = nginx.get(&path, &[]).etag().to_owned();
    let written = nginx.write("PUT", &path, &tag, LARGE);
    assert_eq!(written.status, 200, "{written:#?}");

    for client in clients {
        // Until the entry expires nginx may serve the old body (HIT): that is the lifetime
        // the configuration grants. The first answer that was not a HIT, and every one after
        // it, is the new body with the new version's tag.
        let deadline = Instant::now() + PATIENCE;
        let fresh = loop {
            let read = nginx.curl("GET", &path, client);
            assert_eq!(read.status, 200, "{read:#?}");
            if read.cache() != "HIT" {
                break read;
            }
            assert!(Instant::now() < deadline, "the entry never expired");
            thread::sleep(Duration::from_millis(200));
        };
        assert_eq!(fresh.body, LARGE, "{fresh:#?}");
        let after = nginx.curl("GET", &path, client);
        assert_eq!(after.body, LARGE, "{after:#?}");
        assert_eq!(after.etag(), fresh.etag());
    }
}
