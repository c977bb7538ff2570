//! A request already applied (RFC 9110 §13.1.1): a `PUT` whose response was lost, resent with
//! the same `If-Match` (and `Idempotency-Key`), gets a 2xx and changes nothing; the same tag
//! with another body gets its 412, and so does another client's equal body; a body over the
//! lingering bound gets its 412 without being read past the bound. Over real HTTP, on the
//! `documents` app and a temporary SQLite file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use axum::Extension;
use axum_conditional::Linger;
use axum_conditional_examples::documents::{app, store::Store};
use reqwest::{Client, Method, Response, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The byte bound of the lingering, and so of the content an "already applied" check reads.
const LIMIT: usize = 1024;

struct Server {
    addr: SocketAddr,
    db: PathBuf,
    client: Client,
}

impl Server {
    async fn start() -> Server {
        let db = std::env::temp_dir().join(format!(
            "documents-retries-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let store = Store::open(&db).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A long time bound: a check that waited for a body it must not read would be seen.
        let linger = Linger::new()
            .max_bytes(LIMIT)
            .max_duration(Duration::from_secs(600));
        let app = app(store).layer(Extension(linger));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server {
            addr,
            db,
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
            .request(method, format!("http://{}{path}", self.addr));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// A created document's path and tag.
    async fn create(&self, body: &Value) -> (String, String) {
        let created = self.send(Method::POST, "/documents", &[], Some(body)).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let path = created.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        (path, etag(&created))
    }

    /// The status line of a `PUT` sent raw: its head, and `sent` of a body that may go on.
    async fn raw_put(&self, path: &str, head: &str, sent: &[u8]) -> String {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        let request = format!(
            "PUT {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{head}\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.write_all(sent).await.unwrap();
        // The rest of the body never comes: an answer that waited for it would not come
        // either (the time bound is ten minutes).
        let mut reply = Vec::new();
        let mut buf = [0; 1024];
        while !reply.windows(2).any(|w| w == b"\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
                .await
                .expect("the answer came without the rest of the body")
                .unwrap();
            assert!(n > 0, "connection closed without an answer");
            reply.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&reply);
        text.lines().next().unwrap().to_owned()
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

#[tokio::test]
async fn a_lost_response_resent_gets_a_2xx_and_changes_nothing() {
    let server = Server::start().await;
    let (path, v1) = server.create(&json!({"text": "v1"})).await;
    let mine = json!({"text": "mine"});
    let request = [("if-match", v1.as_str()), ("idempotency-key", "k-1")];
    let first = server.send(Method::PUT, &path, &request, Some(&mine)).await;
    assert_eq!(first.status(), StatusCode::OK);
    let v2 = etag(&first);
    // The response is lost; the client sends the same request again.
    let again = server.send(Method::PUT, &path, &request, Some(&mine)).await;
    assert!(again.status().is_success(), "{}", again.status());
    assert_eq!(etag(&again), v2, "the current validators, unchanged");
    let read = server.send(Method::GET, &path, &[], None).await;
    assert_eq!(etag(&read), v2, "nothing was written again");
    assert_eq!(read.json::<Value>().await.unwrap(), mine);
}

#[tokio::test]
async fn the_same_tag_with_another_body_or_from_another_client_gets_412() {
    let server = Server::start().await;
    let (path, v1) = server.create(&json!({"text": "v1"})).await;
    let alice = json!({"text": "alice"});
    let first = server
        .send(
            Method::PUT,
            &path,
            &[("if-match", &v1), ("idempotency-key", "alice-1")],
            Some(&alice),
        )
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    // The same request otherwise, with another body: not what was applied.
    let other_body = server
        .send(
            Method::PUT,
            &path,
            &[("if-match", &v1), ("idempotency-key", "alice-1")],
            Some(&json!({"text": "bob"})),
        )
        .await;
    assert_eq!(other_body.status(), StatusCode::PRECONDITION_FAILED);
    // Another client's equal body, based on the same stale tag (two clients that read a
    // counter and both write it plus one): "done" would lose its update, so 412.
    for key in [None, Some("bob-1")] {
        let mut headers = vec![("if-match", v1.as_str())];
        headers.extend(key.map(|key| ("idempotency-key", key)));
        let equal = server
            .send(Method::PUT, &path, &headers, Some(&alice))
            .await;
        assert_eq!(equal.status(), StatusCode::PRECONDITION_FAILED, "{key:?}");
    }
    let read = server.send(Method::GET, &path, &[], None).await;
    assert_eq!(read.json::<Value>().await.unwrap()["text"], "alice");
}

#[tokio::test]
async fn a_body_over_the_limit_gets_412_without_being_read_past_it() {
    let server = Server::start().await;
    let (path, v1) = server.create(&json!({"text": "v1"})).await;
    let first = server
        .send(
            Method::PUT,
            &path,
            &[("if-match", &v1)],
            Some(&json!({"text": "mine"})),
        )
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    // Declared longer than the bound: the check never reads it, and the 412 comes at once.
    let declared = server
        .raw_put(
            &path,
            &format!(
                "if-match: {v1}\r\nidempotency-key: k\r\ncontent-length: {}\r\n",
                LIMIT + 1
            ),
            b"{\"text\"",
        )
        .await;
    assert!(declared.contains(" 412 "), "{declared}");
    // Of unknown length, and longer than the bound: read up to it, then the 412, although
    // the body has not ended.
    let mut chunk = format!("{:x}\r\n", LIMIT + 100).into_bytes();
    chunk.extend(std::iter::repeat_n(b' ', LIMIT + 100));
    chunk.extend_from_slice(b"\r\n");
    let chunked = server
        .raw_put(
            &path,
            &format!("if-match: {v1}\r\nidempotency-key: k\r\ntransfer-encoding: chunked\r\n"),
            &chunk,
        )
        .await;
    assert!(chunked.contains(" 412 "), "{chunked}");
}

#[tokio::test]
async fn a_route_without_the_check_still_refuses_a_resent_write() {
    // `PATCH` does not declare `already_applied`: the resent request gets its 412.
    let server = Server::start().await;
    let (path, v1) = server.create(&json!({"text": "v1"})).await;
    let patch = |tag: String| {
        server
            .client
            .patch(format!("http://{}{path}", server.addr))
            .header("if-match", tag)
            .header("content-type", "application/merge-patch+json")
            .body(r#"{"text":"mine"}"#)
            .send()
    };
    assert_eq!(patch(v1.clone()).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        patch(v1).await.unwrap().status(),
        StatusCode::PRECONDITION_FAILED
    );
}
