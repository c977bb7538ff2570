//! End-to-end behind a real nginx: the `documents` example (in-memory SQLite) on a loopback
//! port, nginx in front of it with `examples/deploy/nginx.conf` (gzip and a revalidating
//! cache), driven with real curl as a client would: `--compressed`, `--etag-save`,
//! `--etag-compare`, and writes with `If-Match` set to the tags nginx handed out.
//!
//! nginx comes from Debian (`scripts/test.sh` installs it). Without it these tests say so loudly on
//! stderr ("SKIPPED: nginx not installed") and pass, so a machine without nginx can still run
//! the rest of the suite.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any setup error")]

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use axum_conditional_examples::documents::{app, store::Store};

/// The deployment the README shows; the harness replaces only the addresses and the paths.
const DEPLOYMENT: &str = include_str!("../deploy/nginx.conf");

/// A deadline for what nginx does on its own clock (writing a log line, letting a one-second
/// cache entry expire). It bounds a wait, it measures nothing: generous on a busy machine.
const PATIENCE: Duration = Duration::from_secs(30);

/// Starts the example on a free loopback port, on its own thread and runtime (the tests drive
/// curl and nginx with blocking calls), and returns its address. It lives until the test
/// process exits.
fn start_example() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let store = Store::in_memory().unwrap();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app(store)).await.unwrap();
        });
    });
    addr
}

/// The nginx binary: on `PATH`, or where Debian puts it (`/usr/sbin`, often not on a user's
/// `PATH`).
fn nginx_binary() -> Option<PathBuf> {
    let on_path = Command::new("which")
        .arg("nginx")
        .output()
        .ok()
        .filter(|found| found.status.success())
        .map(|found| PathBuf::from(String::from_utf8_lossy(&found.stdout).trim()));
    on_path.or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|path| path.exists()))
}

/// A directory of its own for one nginx (configuration, logs, cache, pid), removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "documents-nginx-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Whether files made here belong to root: then nginx's master runs as root, and its
    /// workers would switch to `nobody`, who may not reach this directory (a `TMPDIR` under
    /// `/root`, say).
    fn made_by_root(&self) -> bool {
        fs::metadata(&self.0).unwrap().uid() == 0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The deployment file with this run's addresses and paths: each placeholder value must be
/// there exactly once, so a change to the file that the harness would silently not follow
/// fails here instead.
fn deployment(listen: SocketAddr, example: SocketAddr, dir: &Path) -> String {
    let replacements = [
        ("listen 127.0.0.1:8080;", format!("listen {listen};")),
        (
            "proxy_pass http://127.0.0.1:3000;",
            format!("proxy_pass http://{example};"),
        ),
        (
            "/var/cache/nginx/documents",
            dir.join("cache").display().to_string(),
        ),
        (
            "/var/log/nginx/documents.access.log",
            dir.join("access.log").display().to_string(),
        ),
    ];
    let mut text = DEPLOYMENT.to_owned();
    for (from, to) in replacements {
        assert_eq!(
            text.matches(from).count(),
            1,
            "examples/deploy/nginx.conf should contain {from:?} exactly once"
        );
        text = text.replace(from, &to);
    }
    text
}

/// The main configuration around the deployment: what a system's /etc/nginx/nginx.conf
/// provides, pointed into the scratch directory so nothing needs root or touches /var.
fn main_config(dir: &Scratch, deployment: &Path) -> String {
    // nginx ignores `user` unless its master runs as root; when it does, the workers stay root
    // too, so that they reach the cache in the scratch directory wherever that is.
    let user = if dir.made_by_root() { "user root;" } else { "" };
    let dir = dir.0.display();
    // The temporary paths are compiled into nginx under /var/lib/nginx; nginx creates them at
    // startup even when unused, which fails for a user who cannot write there.
    format!(
        "{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{}}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {deployment};
}}
",
        deployment = deployment.display()
    )
}

/// A free loopback port for nginx: the kernel's pick, released for nginx to bind. Another
/// process could take it in between; [`Nginx::start`] then tries another.
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A running nginx in front of the example, stopped by its process id on drop (also when an
/// assertion fails), with the curl client the tests use.
struct Nginx {
    listen: SocketAddr,
    child: Child,
    dir: Scratch,
    next_request: AtomicU32,
}

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
    /// nginx in front of `example`, or `None` when nginx is not installed.
    fn start(example: SocketAddr) -> Option<Nginx> {
        let Some(binary) = nginx_binary() else {
            eprintln!(
                "SKIPPED: nginx not installed (neither on PATH nor /usr/sbin/nginx); \
                 `apt-get install nginx` to run this test, as scripts/test.sh does"
            );
            return None;
        };
        // A port taken between free_port and nginx's bind only costs another try.
        for _ in 0..5 {
            let dir = Scratch::new();
            let listen = free_port();
            let deployment_file = dir.0.join("documents.conf");
            fs::write(&deployment_file, deployment(listen, example, &dir.0)).unwrap();
            let config = dir.0.join("nginx.conf");
            fs::write(&config, main_config(&dir, &deployment_file)).unwrap();
            let child = Command::new(&binary)
                .arg("-p")
                .arg(&dir.0)
                .arg("-e")
                .arg(dir.0.join("error.log"))
                .arg("-c")
                .arg(&config)
                .args(["-g", "daemon off;"])
                // Its own process group, so that stopping it reaches the workers too.
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut nginx = Nginx {
                listen,
                child,
                dir,
                next_request: AtomicU32::new(1),
            };
            if nginx.ready() {
                return Some(nginx);
            }
            let errors = fs::read_to_string(nginx.dir.0.join("error.log")).unwrap_or_default();
            assert!(
                errors.contains("Address already in use"),
                "nginx did not start:\n{errors}"
            );
        }
        panic!("nginx found no free port in five tries");
    }

    /// Waits until nginx accepts connections; false when it exited first.
    fn ready(&mut self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if std::net::TcpStream::connect(self.listen).is_ok() {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "nginx did not listen on {} within {PATIENCE:?}",
            self.listen
        );
    }

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

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the group: the master stops its workers and exits. SIGKILL if it has
        // not within the deadline (a killed master would leave its workers running).
        let group = self.child.id();
        for signal in ["TERM", "KILL"] {
            let _ = Command::new("sh")
                .args(["-c", &format!("kill -{signal} -{group}")])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
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
