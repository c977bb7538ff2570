//! A date never stands for a version it cannot identify (RFC 9110 §8.8.2.2), over real HTTP on
//! SQLite: the `documents` app on an ephemeral loopback port, with the store's clock given by
//! the test, so "within one second" and "a second later" are stated, never waited for.
//!
//! Two versions written within one second share their `Last-Modified`. A client holding the
//! first must not overwrite the second with `If-Unmodified-Since` (a lost update, §13.1.4), nor
//! get a 304 for it with `If-Modified-Since` (a stale copy confirmed, §13.1.3). A date the store
//! knows to name one version only still gets its 2xx and its 304.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use axum_conditional_examples::documents::app;
use axum_conditional_examples::documents::store::{Clock, Store};
use reqwest::{Client, Method, Response, StatusCode, header};
use serde_json::{Value, json};

/// A whole second, in the past (a `Last-Modified` in the future would be clamped to now).
const T0_MS: u64 = 1_700_000_000_000;

/// The `documents` app on its own database file and a clock the test sets.
struct Server {
    addr: SocketAddr,
    db: PathBuf,
    client: Client,
    now_ms: Arc<AtomicU64>,
}

impl Server {
    async fn start() -> Server {
        let db = std::env::temp_dir().join(format!(
            "documents-dates-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let now_ms = Arc::new(AtomicU64::new(T0_MS));
        let clock = {
            let now_ms = Arc::clone(&now_ms);
            Clock::new(move || UNIX_EPOCH + Duration::from_millis(now_ms.load(Ordering::SeqCst)))
        };
        let store = Store::open_with_clock(&db, clock).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app(store)).await.unwrap() });
        Server {
            addr,
            db,
            client: Client::new(),
            now_ms,
        }
    }

    /// Sets the store's clock to `ms` after `T0_MS`.
    fn at(&self, ms: u64) {
        self.now_ms.store(T0_MS + ms, Ordering::SeqCst);
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method.clone(), format!("http://{}{path}", self.addr));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = if method == Method::PATCH {
                request
                    .header("content-type", "application/merge-patch+json")
                    .body(body.to_string())
            } else {
                request.json(body)
            };
        }
        request.send().await.unwrap()
    }

    /// Creates a document; its path, tag and date.
    async fn create(&self, body: Value) -> (String, String, String) {
        let created = self
            .send(Method::POST, "/documents", &[], Some(&body))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let path = created.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        (path, etag(&created), date(&created))
    }

    async fn body(&self, path: &str) -> Value {
        let read = self.send(Method::GET, path, &[], None).await;
        assert_eq!(read.status(), StatusCode::OK);
        read.json().await.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db.display()));
        }
    }
}

fn etag(response: &Response) -> String {
    response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned()
}

fn date(response: &Response) -> String {
    response.headers()[header::LAST_MODIFIED]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Bob's write, based on the first version, by method.
fn bobs_write(method: &Method) -> Option<Value> {
    match *method {
        Method::DELETE => None,
        _ => Some(json!({"title": "a", "text": "bob"})),
    }
}

#[tokio::test]
async fn a_date_from_before_a_write_in_the_same_second_never_overwrites_it() {
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let server = Server::start().await;
        server.at(100);
        let (path, v1, t) = server.create(json!({"title": "a", "text": "v1"})).await;
        // Alice and Bob both hold version 1, dated T. Alice writes within the same second.
        server.at(500);
        let alice = server
            .send(
                Method::PUT,
                &path,
                &[("if-match", &v1)],
                Some(&json!({"title": "a", "text": "alice"})),
            )
            .await;
        assert_eq!(alice.status(), StatusCode::OK);
        assert_eq!(date(&alice), t, "both versions are dated T");
        // Bob's write, based on version 1, with the date he holds: it cannot tell his version
        // from Alice's, so it is refused, however late he sends it.
        server.at(5_000);
        let bob = server
            .send(
                method.clone(),
                &path,
                &[("if-unmodified-since", &t)],
                bobs_write(&method).as_ref(),
            )
            .await;
        assert_eq!(bob.status(), StatusCode::PRECONDITION_FAILED, "{method}");
        let problem: Value = bob.json().await.unwrap();
        assert_eq!(problem["reason"], "ambiguous-date", "{method}");
        assert_eq!(server.body(&path).await["text"], "alice", "{method}");
    }
}

#[tokio::test]
async fn a_date_from_before_a_write_in_the_same_second_gets_the_new_body_not_a_304() {
    let server = Server::start().await;
    server.at(100);
    let (path, v1, _) = server.create(json!({"title": "a", "text": "v1"})).await;
    // A cache that keeps only the date (or a CDN that strips ETag) reads version 1.
    let read = server.send(Method::GET, &path, &[], None).await;
    let t = date(&read);
    server.at(900);
    let write = server
        .send(
            Method::PUT,
            &path,
            &[("if-match", &v1)],
            Some(&json!({"title": "a", "text": "v2"})),
        )
        .await;
    assert_eq!(write.status(), StatusCode::OK);
    server.at(60_000);
    let revalidated = server
        .send(Method::GET, &path, &[("if-modified-since", &t)], None)
        .await;
    assert_eq!(revalidated.status(), StatusCode::OK);
    let body: Value = revalidated.json().await.unwrap();
    assert_eq!(body["text"], "v2");
}

#[tokio::test]
async fn a_date_that_names_one_version_still_gets_its_304_and_its_2xx() {
    let server = Server::start().await;
    server.at(100);
    let (path, _, t0) = server.create(json!({"title": "a", "text": "v1"})).await;
    // The only version there ever was: its date names it.
    let not_modified = server
        .send(Method::GET, &path, &[("if-modified-since", &t0)], None)
        .await;
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    // Each write a second after the one before, with the date of the current version.
    let mut held = t0;
    for (second, method) in [(1, Method::PUT), (2, Method::PATCH), (3, Method::DELETE)] {
        server.at(second * 1_000 + 100);
        let written = server
            .send(
                method.clone(),
                &path,
                &[("if-unmodified-since", &held)],
                bobs_write(&method).as_ref(),
            )
            .await;
        assert!(
            written.status().is_success(),
            "{method}: {}",
            written.status()
        );
        if method == Method::DELETE {
            break;
        }
        held = date(&written);
        // The date names the version just written.
        server.at(second * 1_000 + 700);
        let not_modified = server
            .send(Method::GET, &path, &[("if-modified-since", &held)], None)
            .await;
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED, "{method}");
    }
}
