//! A representation generation is part of every validator sent, over real HTTP on SQLite: two
//! releases of the `documents` app share one database file, each on its own loopback port, with
//! the store's clock given by the test.
//!
//! After a change of generation, a read based on an old tag or date gets a 200 and a write
//! based on one a 412 (its body may lack what the new representation carries); within one
//! generation, every instance answers exactly as before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use axum_conditional_examples::documents::app;
use axum_conditional_examples::documents::store::{Clock, Store};
use reqwest::{Client, Method, Response, StatusCode, header};
use serde_json::{Value, json};

/// A whole second, in the past (a `Last-Modified` in the future would be clamped to now).
const T0_MS: u64 = 1_700_000_000_000;

/// One instance of one release: the app with its generation, on the shared database file.
struct Instance {
    addr: SocketAddr,
    client: Client,
}

impl Instance {
    async fn start(db: &Path, generation: &str, now_ms: &Arc<AtomicU64>) -> Instance {
        let clock = {
            let now_ms = Arc::clone(now_ms);
            Clock::new(move || UNIX_EPOCH + Duration::from_millis(now_ms.load(Ordering::SeqCst)))
        };
        let store = Store::open_with_clock(db, clock).unwrap();
        let generation = store.generation(generation).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = app(store).layer(axum::Extension(generation));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Instance {
            addr,
            client: Client::new(),
        }
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
}

/// A database file, removed on drop.
struct Db(PathBuf);

impl Db {
    fn new() -> Db {
        Db(std::env::temp_dir().join(format!(
            "documents-generations-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )))
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
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

#[tokio::test]
async fn within_a_generation_every_instance_answers_as_before() {
    let db = Db::new();
    let now_ms = Arc::new(AtomicU64::new(T0_MS));
    let first = Instance::start(&db.0, "r1", &now_ms).await;
    now_ms.store(T0_MS + 2_000, Ordering::SeqCst);
    let created = first
        .send(
            Method::POST,
            "/documents",
            &[],
            Some(&json!({"text": "v1"})),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let path = created.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    // Every validator sent carries the generation, the write's own included.
    assert!(etag(&created).ends_with(".r1\""), "{}", etag(&created));
    let read = first.send(Method::GET, &path, &[], None).await;
    let (tag, modified) = (etag(&read), date(&read));
    assert_eq!(tag, etag(&created));

    // Another instance of the same release, on the same database.
    let second = Instance::start(&db.0, "r1", &now_ms).await;
    let by_tag = second
        .send(Method::GET, &path, &[("if-none-match", &tag)], None)
        .await;
    assert_eq!(by_tag.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(etag(&by_tag), tag);
    let by_date = second
        .send(
            Method::GET,
            &path,
            &[("if-modified-since", &modified)],
            None,
        )
        .await;
    assert_eq!(by_date.status(), StatusCode::NOT_MODIFIED);
    now_ms.store(T0_MS + 3_000, Ordering::SeqCst);
    let write = second
        .send(
            Method::PUT,
            &path,
            &[("if-match", &tag)],
            Some(&json!({"text": "v2"})),
        )
        .await;
    assert_eq!(write.status(), StatusCode::OK);
    assert!(etag(&write).ends_with(".r1\""));
}

#[tokio::test]
async fn after_a_change_of_generation_an_old_validator_gets_200_on_reads_and_412_on_writes() {
    let db = Db::new();
    let now_ms = Arc::new(AtomicU64::new(T0_MS));
    let old = Instance::start(&db.0, "r1", &now_ms).await;
    now_ms.store(T0_MS + 2_000, Ordering::SeqCst);
    let created = old
        .send(
            Method::POST,
            "/documents",
            &[],
            Some(&json!({"text": "v1"})),
        )
        .await;
    let path = created.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let read = old.send(Method::GET, &path, &[], None).await;
    let (old_tag, old_date) = (etag(&read), date(&read));

    // The next release renders documents otherwise; the data did not change.
    now_ms.store(T0_MS + 60_000, Ordering::SeqCst);
    let new = Instance::start(&db.0, "r2", &now_ms).await;
    let by_tag = new
        .send(Method::GET, &path, &[("if-none-match", &old_tag)], None)
        .await;
    assert_eq!(by_tag.status(), StatusCode::OK);
    let new_tag = etag(&by_tag);
    assert_ne!(new_tag, old_tag);
    let by_date = new
        .send(
            Method::GET,
            &path,
            &[("if-modified-since", &old_date)],
            None,
        )
        .await;
    assert_eq!(by_date.status(), StatusCode::OK);
    let body = json!({"text": "old rendering"});
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let stale = new
            .send(
                method.clone(),
                &path,
                &[("if-match", &old_tag)],
                (method != Method::DELETE).then_some(&body),
            )
            .await;
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED, "{method}");
        assert_eq!(
            etag(&stale),
            new_tag,
            "{method}: the 412 shows the tag to use"
        );
    }
    let by_old_date = new
        .send(
            Method::PUT,
            &path,
            &[("if-unmodified-since", &old_date)],
            Some(&body),
        )
        .await;
    assert_eq!(by_old_date.status(), StatusCode::PRECONDITION_FAILED);
    // The old release, still running during the rolling deploy, never confirms the new body.
    let across = old
        .send(Method::GET, &path, &[("if-none-match", &new_tag)], None)
        .await;
    assert_eq!(across.status(), StatusCode::OK);
    // The new tag works: the store is handed the version, not the generation.
    let fresh = new
        .send(
            Method::PUT,
            &path,
            &[("if-match", &new_tag)],
            Some(&json!({"text": "v2"})),
        )
        .await;
    assert_eq!(fresh.status(), StatusCode::OK);
    assert_eq!(
        new.send(Method::GET, &path, &[], None)
            .await
            .json::<Value>()
            .await
            .unwrap()["text"],
        "v2"
    );
}
