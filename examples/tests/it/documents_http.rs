//! End-to-end: the `documents` service on an ephemeral loopback port with a temporary SQLite
//! file, driven over real HTTP.

use std::net::SocketAddr;

use axum_conditional_examples::documents::{app, store::Store};
use reqwest::{Client, Method, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::support::server::{TempDb, serve};

/// A running server on its own database file, removed on drop.
struct Server {
    addr: SocketAddr,
    _db: TempDb,
    client: Client,
}

impl Server {
    async fn start() -> Server {
        let db = TempDb::new("test");
        let store = Store::open(db.path()).unwrap();
        let (addr, _) = serve(app(store)).await;
        Server {
            addr,
            _db: db,
            client: Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }
}

fn etag(response: &Response) -> String {
    response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_readme_walkthrough_holds_over_real_http() {
    let server = Server::start().await;

    // POST creates: 201 with Location and ETag.
    let created = server
        .send(
            Method::POST,
            "/documents",
            &[],
            Some(&json!({"title": "draft"})),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(location, "/documents/1");
    let v1 = etag(&created);
    assert_eq!(v1, r#""1""#);

    // GET: 200 with the ETag, Last-Modified and the declared Cache-Control.
    let read = server.send(Method::GET, &location, &[], None).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(etag(&read), v1);
    assert!(read.headers().contains_key(header::LAST_MODIFIED));
    assert_eq!(read.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(
        read.json::<Value>().await.unwrap(),
        json!({"title": "draft"})
    );

    // GET with If-None-Match: 304, no body, ETag and Cache-Control kept.
    let revalidated = server
        .send(Method::GET, &location, &[("if-none-match", &v1)], None)
        .await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(etag(&revalidated), v1);
    assert_eq!(revalidated.headers()[header::CACHE_CONTROL], "no-cache");
    assert!(revalidated.bytes().await.unwrap().is_empty());

    // PUT without If-Match: 428 with a problem body, not stored.
    let unconditional = server
        .send(Method::PUT, &location, &[], Some(&json!({"title": "x"})))
        .await;
    assert_eq!(unconditional.status(), StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(unconditional.headers()[header::CACHE_CONTROL], "no-store");
    let problem: Value = unconditional.json().await.unwrap();
    assert_eq!(problem["status"], 428);
    assert_eq!(problem["accepted"][0], "If-Match");

    // PUT with the current ETag: 200 with the new ETag.
    let headers = [("if-match", v1.as_str())];
    let replaced = server
        .send(
            Method::PUT,
            &location,
            &headers,
            Some(&json!({"title": "final"})),
        )
        .await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let v2 = etag(&replaced);
    assert_eq!(v2, r#""2""#);

    // PUT with the stale ETag: 412 with the current validators, nothing changed.
    let stale = server
        .send(
            Method::PUT,
            &location,
            &headers,
            Some(&json!({"title": "lost"})),
        )
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(etag(&stale), v2);
    assert_eq!(
        stale.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(problem["condition"], "If-Match");
    assert_eq!(problem["reason"], "mismatch");
    assert_eq!(problem["etag"], v2);
    let read = server.send(Method::GET, &location, &[], None).await;
    assert_eq!(
        read.json::<Value>().await.unwrap(),
        json!({"title": "final"})
    );

    // A stale PUT whose body is not even JSON still gets 412: the body was never parsed.
    let garbage = server
        .client
        .put(server.url(&location))
        .header("if-match", &v1)
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::PRECONDITION_FAILED);

    // Create-only PUT: 201, then 412 for the same request.
    let create_only = [("if-none-match", "*")];
    let first = server
        .send(
            Method::PUT,
            "/documents/42",
            &create_only,
            Some(&json!({"n": 1})),
        )
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    // Versions are store-wide: this is the store's third write.
    assert_eq!(etag(&first), r#""3""#);
    let second = server
        .send(
            Method::PUT,
            "/documents/42",
            &create_only,
            Some(&json!({"n": 2})),
        )
        .await;
    assert_eq!(second.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        second.json::<Value>().await.unwrap()["condition"],
        "If-None-Match"
    );
}

#[tokio::test]
async fn patch_merges_and_delete_needs_the_current_version() {
    let server = Server::start().await;
    let created = server
        .send(
            Method::POST,
            "/documents",
            &[],
            Some(&json!({"a": 1, "b": {"c": 2}})),
        )
        .await;
    let v1 = etag(&created);

    let patched = server
        .client
        .patch(server.url("/documents/1"))
        .header("if-match", &v1)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"a": null, "b": {"d": 3}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let v2 = etag(&patched);
    assert_eq!(
        patched.json::<Value>().await.unwrap(),
        json!({"b": {"c": 2, "d": 3}})
    );

    let stale_delete = server
        .send(Method::DELETE, "/documents/1", &[("if-match", &v1)], None)
        .await;
    assert_eq!(stale_delete.status(), StatusCode::PRECONDITION_FAILED);
    let delete = server
        .send(Method::DELETE, "/documents/1", &[("if-match", &v2)], None)
        .await;
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    let gone = server.send(Method::GET, "/documents/1", &[], None).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    // A missing document answers 404 to a conditional GET, not 412 (RFC 9110 §13.2.1).
    let gone = server
        .send(Method::GET, "/documents/1", &[("if-match", &v2)], None)
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_collection_validator_changes_on_insert_update_and_delete() {
    let server = Server::start().await;
    let mut seen = vec![etag(
        &server.send(Method::GET, "/documents", &[], None).await,
    )];
    let created = server
        .send(Method::POST, "/documents", &[], Some(&json!({})))
        .await;
    let v1 = etag(&created);
    seen.push(etag(
        &server.send(Method::GET, "/documents", &[], None).await,
    ));
    let replaced = server
        .send(
            Method::PUT,
            "/documents/1",
            &[("if-match", &v1)],
            Some(&json!({"x": 1})),
        )
        .await;
    let v2 = etag(&replaced);
    seen.push(etag(
        &server.send(Method::GET, "/documents", &[], None).await,
    ));
    server
        .send(Method::DELETE, "/documents/1", &[("if-match", &v2)], None)
        .await;
    let last = server.send(Method::GET, "/documents", &[], None).await;
    seen.push(etag(&last));
    let mut distinct = seen.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "collection tags {seen:?}");
    // Its Last-Modified is the time of the last change. Several changes can share its second,
    // and the store does not say which, so the date itself is weak (RFC 9110 §8.8.2.2) and gets
    // the full response; a date after it revalidates.
    let modified = last.headers()[header::LAST_MODIFIED]
        .to_str()
        .unwrap()
        .to_owned();
    let by_date = server
        .send(
            Method::GET,
            "/documents",
            &[("if-modified-since", &modified)],
            None,
        )
        .await;
    assert_eq!(by_date.status(), StatusCode::OK);
    let after = httpdate::fmt_http_date(
        httpdate::parse_http_date(&modified).unwrap() + std::time::Duration::from_secs(1),
    );
    let by_date = server
        .send(
            Method::GET,
            "/documents",
            &[("if-modified-since", &after)],
            None,
        )
        .await;
    assert_eq!(by_date.status(), StatusCode::NOT_MODIFIED);
    // And it revalidates.
    let current = seen.last().unwrap();
    let revalidated = server
        .send(
            Method::GET,
            "/documents",
            &[("if-none-match", current)],
            None,
        )
        .await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn cors_and_compression_keep_304_and_412_correct() {
    let server = Server::start().await;
    let created = server
        .send(Method::POST, "/documents", &[], Some(&json!({"k": "v"})))
        .await;
    let v1 = etag(&created);
    let origin = ("origin", "https://app.example");

    let revalidated = server
        .send(
            Method::GET,
            "/documents/1",
            &[origin, ("if-none-match", &v1)],
            None,
        )
        .await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(revalidated.headers()["access-control-allow-origin"], "*");
    let exposed = revalidated.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("last-modified"),
        "{exposed}"
    );

    let refused = server
        .send(
            Method::PUT,
            "/documents/1",
            &[origin, ("if-match", r#""0""#)],
            Some(&json!({})),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(refused.headers()["access-control-allow-origin"], "*");
    assert_eq!(etag(&refused), v1);

    // Preflight allows the conditional headers.
    let preflight = server
        .send(
            Method::OPTIONS,
            "/documents/1",
            &[
                origin,
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "if-match"),
            ],
            None,
        )
        .await;
    assert!(preflight.status().is_success());
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("if-match"), "{allowed}");

    // The compressed listing carries a weak tag, and revalidates to a 304 without a body.
    let gzip = ("accept-encoding", "gzip");
    let listing = server.send(Method::GET, "/documents", &[gzip], None).await;
    assert_eq!(listing.headers()[header::CONTENT_ENCODING], "gzip");
    let tag = etag(&listing);
    assert!(tag.starts_with("W/"), "{tag}");
    let revalidated = server
        .send(
            Method::GET,
            "/documents",
            &[gzip, ("if-none-match", &tag)],
            None,
        )
        .await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert!(!revalidated.headers().contains_key(header::CONTENT_ENCODING));

    // A document too small to compress is sent as it is, under the tag of the coding the
    // request negotiated (the tag is known before the body is: `axum_conditional::compression`),
    // and revalidates with it.
    let single = server
        .send(Method::GET, "/documents/1", &[gzip], None)
        .await;
    assert!(!single.headers().contains_key(header::CONTENT_ENCODING));
    let coded = format!("{}~gzip\"", v1.trim_end_matches('"'));
    assert_eq!(etag(&single), coded);
    let revalidated = server
        .send(
            Method::GET,
            "/documents/1",
            &[gzip, ("if-none-match", &coded)],
            None,
        )
        .await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(etag(&revalidated), coded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_writes_with_the_same_etag_give_one_success_and_one_412() {
    let server = Server::start().await;
    for round in 0..20 {
        let created = server
            .send(
                Method::POST,
                "/documents",
                &[],
                Some(&json!({"round": round})),
            )
            .await;
        let path = created.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let tag = etag(&created);
        let put = |n: i32| {
            let headers = [("if-match", tag.as_str())];
            let body = json!({"writer": n});
            let path = path.clone();
            let server = &server;
            async move {
                server
                    .send(Method::PUT, &path, &headers, Some(&body))
                    .await
                    .status()
            }
        };
        let (a, b) = tokio::join!(put(1), put(2));
        let mut statuses = [a.as_u16(), b.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 412], "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_with_a_large_unread_body_still_gets_its_412() {
    let server = Server::start().await;
    let created = server
        .send(Method::POST, "/documents", &[], Some(&json!({"n": 0})))
        .await;
    let stale = etag(&created);
    let updated = server
        .send(
            Method::PUT,
            "/documents/1",
            &[("if-match", &stale)],
            Some(&json!({"n": 1})),
        )
        .await;
    assert_eq!(updated.status(), StatusCode::OK);
    // The body is never parsed; without swallowing it after the 412, the server would close the
    // connection with unread bytes and the resulting reset could destroy the 412.
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(512 * 1024));
    for attempt in 0..40 {
        let response = server
            .client
            .put(server.url("/documents/1"))
            .header("if-match", &stale)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("attempt {attempt}: the 412 was lost: {e:?}"));
        assert_eq!(
            response.status(),
            StatusCode::PRECONDITION_FAILED,
            "attempt {attempt}"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["reason"], "mismatch");
    }
}

// ---------------------------------------------------------------------------------------------
// A URL's tags never come back: not after a delete, not whichever way the document is re-created.

/// The path in a 201's `Location`.
fn location(response: &Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Every tag `path` ever had is dead: a write based on one is refused (and changes nothing), and
/// a cache revalidating one gets the current document, not a 304.
async fn assert_tags_are_dead(server: &Server, path: &str, old: &[String], current: &Value) {
    for tag in old {
        let write = server
            .send(
                Method::PUT,
                path,
                &[("if-match", tag)],
                Some(&json!({"lost": "update"})),
            )
            .await;
        assert_eq!(
            write.status(),
            StatusCode::PRECONDITION_FAILED,
            "{path} {tag}"
        );
        let read = server
            .send(Method::GET, path, &[("if-none-match", tag)], None)
            .await;
        assert_eq!(read.status(), StatusCode::OK, "{path} {tag}");
        assert_eq!(
            &read.json::<Value>().await.unwrap(),
            current,
            "{path} {tag}"
        );
    }
}

#[tokio::test]
async fn a_re_created_document_never_shows_a_tag_its_url_had_before() {
    let server = Server::start().await;

    // Created at a client-chosen id, changed, deleted, and created again there by PUT.
    let create_only = [("if-none-match", "*")];
    let first = server
        .send(
            Method::PUT,
            "/documents/7",
            &create_only,
            Some(&json!({"life": 1})),
        )
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let mut old = vec![etag(&first)];
    let changed = server
        .send(
            Method::PUT,
            "/documents/7",
            &[("if-match", &old[0])],
            Some(&json!({"life": 1, "edited": true})),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    old.push(etag(&changed));
    let deleted = server
        .send(
            Method::DELETE,
            "/documents/7",
            &[("if-match", &old[1])],
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let again = server
        .send(
            Method::PUT,
            "/documents/7",
            &create_only,
            Some(&json!({"life": 2})),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let tag = etag(&again);
    assert!(!old.contains(&tag), "{tag} was already in {old:?}");
    assert_tags_are_dead(&server, "/documents/7", &old, &json!({"life": 2})).await;

    // Created by POST and deleted: the next POST gets another id, and a PUT that re-creates
    // the deleted one's URL gets a tag that URL never had.
    let posted = server
        .send(Method::POST, "/documents", &[], Some(&json!({"life": 1})))
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let path = location(&posted);
    let old = vec![etag(&posted)];
    let deleted = server
        .send(Method::DELETE, &path, &[("if-match", &old[0])], None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let next = server
        .send(
            Method::POST,
            "/documents",
            &[],
            Some(&json!({"other": true})),
        )
        .await;
    assert_eq!(next.status(), StatusCode::CREATED);
    assert_ne!(
        location(&next),
        path,
        "POST handed out a deleted document's id"
    );
    let again = server
        .send(Method::PUT, &path, &create_only, Some(&json!({"life": 2})))
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let tag = etag(&again);
    assert!(!old.contains(&tag), "{tag} was already in {old:?}");
    assert_tags_are_dead(&server, &path, &old, &json!({"life": 2})).await;
}

// ---------------------------------------------------------------------------------------------
// The collection: conditional POST, compression, Vary, CORS preflight.

async fn collection_tag(server: &Server) -> String {
    let listing = server.send(Method::GET, "/documents", &[], None).await;
    assert_eq!(listing.status(), StatusCode::OK);
    etag(&listing)
}

#[tokio::test]
async fn post_with_the_collections_tag_creates_and_with_a_stale_one_gets_412() {
    let server = Server::start().await;
    let listed = collection_tag(&server).await;
    assert!(listed.starts_with("W/"), "{listed}");

    let created = server
        .send(
            Method::POST,
            "/documents",
            &[("if-match", &listed)],
            Some(&json!({"n": 1})),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);

    // The POST changed the collection: the same tag is stale now.
    let stale = server
        .send(
            Method::POST,
            "/documents",
            &[("if-match", &listed)],
            Some(&json!({"n": 2})),
        )
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let current = collection_tag(&server).await;
    assert_eq!(etag(&stale), current);
    let listing: Value = server
        .send(Method::GET, "/documents", &[], None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listing.as_array().unwrap().len(), 1, "{listing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_with_the_same_collection_tag_create_one_document() {
    const POSTS: usize = 16;
    let server = Server::start().await;
    for round in 0..5 {
        let listed = collection_tag(&server).await;
        let mut posts = tokio::task::JoinSet::new();
        for n in 0..POSTS {
            let post = server
                .client
                .post(server.url("/documents"))
                .header("if-match", &listed)
                .json(&json!({"round": round, "n": n}));
            posts.spawn(async move { post.send().await.unwrap().status() });
        }
        let statuses = posts.join_all().await;
        let created = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "round {round}: {statuses:?}");
        assert!(
            statuses
                .iter()
                .all(|s| matches!(*s, StatusCode::CREATED | StatusCode::PRECONDITION_FAILED)),
            "round {round}: {statuses:?}"
        );
    }
}

/// The `Vary` field values of a response, as lowercase members in order.
fn vary(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::VARY)
        .iter()
        .flat_map(|value| value.to_str().unwrap().split(','))
        .map(|member| member.trim().to_ascii_lowercase())
        .filter(|member| !member.is_empty())
        .collect()
}

#[tokio::test]
async fn the_collections_304_varies_like_its_200() {
    let server = Server::start().await;
    let gzip = ("accept-encoding", "gzip");
    // An empty listing is too small to compress; a long one is compressed: both vary.
    let empty = server.send(Method::GET, "/documents", &[gzip], None).await;
    assert_eq!(vary(&empty), ["accept-encoding"]);
    let body = json!({"text": "compressible ".repeat(64)});
    server
        .send(Method::POST, "/documents", &[], Some(&body))
        .await;

    for accept in [Some(gzip), None] {
        let headers: Vec<(&str, &str)> = accept.into_iter().collect();
        let full = server.send(Method::GET, "/documents", &headers, None).await;
        assert_eq!(full.status(), StatusCode::OK);
        assert_eq!(vary(&full), ["accept-encoding"], "{accept:?}");
        let tag = etag(&full);
        let mut conditional = headers.clone();
        conditional.push(("if-none-match", &tag));
        let revalidated = server
            .send(Method::GET, "/documents", &conditional, None)
            .await;
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(vary(&revalidated), vary(&full), "{accept:?}");
    }
}

#[tokio::test]
async fn every_response_is_compressed_with_a_strong_tag_per_coding() {
    let server = Server::start().await;
    let gzip = ("accept-encoding", "gzip");
    let br = ("accept-encoding", "br");
    // Large enough for the compression layer.
    let body = json!({"text": "compressible ".repeat(64)});

    // The 201 of POST is compressed, with a strong tag of its own coding.
    let created = server
        .send(Method::POST, "/documents", &[gzip], Some(&body))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()[header::CONTENT_ENCODING], "gzip");
    let created_tag = etag(&created);

    // Identity keeps the handler's tag; each coding gets another strong one.
    let identity = server.send(Method::GET, "/documents/1", &[], None).await;
    assert!(!identity.headers().contains_key(header::CONTENT_ENCODING));
    let plain = etag(&identity);
    assert_eq!(identity.json::<Value>().await.unwrap(), body);
    let gzipped = server
        .send(Method::GET, "/documents/1", &[gzip], None)
        .await;
    assert_eq!(gzipped.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(vary(&gzipped), ["accept-encoding"]);
    let gzip_tag = etag(&gzipped);
    assert_eq!(gzip_tag, created_tag);
    let brotli = server.send(Method::GET, "/documents/1", &[br], None).await;
    assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
    let br_tag = etag(&brotli);
    let tags = [&plain, &gzip_tag, &br_tag];
    assert!(tags.iter().all(|tag| !tag.starts_with("W/")), "{tags:?}");
    assert!(
        plain != gzip_tag && gzip_tag != br_tag && plain != br_tag,
        "{tags:?}"
    );

    // The gzip variant revalidates with its own tag, and varies like its 200; a client that
    // switched to br gets the full response.
    let revalidated = server
        .send(
            Method::GET,
            "/documents/1",
            &[gzip, ("if-none-match", &gzip_tag)],
            None,
        )
        .await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(etag(&revalidated), gzip_tag);
    assert_eq!(vary(&revalidated), ["accept-encoding"]);
    let switched = server
        .send(
            Method::GET,
            "/documents/1",
            &[br, ("if-none-match", &gzip_tag)],
            None,
        )
        .await;
    assert_eq!(switched.status(), StatusCode::OK);
    assert_eq!(etag(&switched), br_tag);

    // A write based on the gzip variant passes; the same tag, now stale, gets 412.
    let written = server
        .send(
            Method::PUT,
            "/documents/1",
            &[("if-match", &gzip_tag)],
            Some(&json!({"v": 2})),
        )
        .await;
    assert_eq!(written.status(), StatusCode::OK);
    let stale = server
        .send(
            Method::PUT,
            "/documents/1",
            &[("if-match", &gzip_tag)],
            Some(&json!({"v": 3})),
        )
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);

    // The listing is compressed too; its weak tag is shared by every coding.
    let listing = server.send(Method::GET, "/documents", &[gzip], None).await;
    assert_eq!(listing.headers()[header::CONTENT_ENCODING], "gzip");
    let listed = server.send(Method::GET, "/documents", &[], None).await;
    assert!(etag(&listing).starts_with("W/"));
    assert_eq!(etag(&listing), etag(&listed));
}

#[tokio::test]
async fn a_write_with_the_current_tag_weakened_by_a_proxy_passes_and_a_stale_one_gets_412() {
    let server = Server::start().await;
    let created = server
        .send(Method::POST, "/documents", &[], Some(&json!({"v": 1})))
        .await;
    // What a compressing proxy (nginx `gzip on`) hands the client instead of the strong tag.
    let weakened = format!("W/{}", etag(&created));
    let mut current = weakened.clone();
    for (method, body) in [
        (Method::PUT, Some(json!({"v": 2}))),
        (Method::PATCH, Some(json!({"v": 3}))),
        (Method::DELETE, None),
    ] {
        let passed = server
            .send(
                method.clone(),
                "/documents/1",
                &[("if-match", &current)],
                body.as_ref(),
            )
            .await;
        assert!(
            passed.status().is_success(),
            "{method} {current}: {passed:?}"
        );
        // The version the client based its write on is gone: the same weak tag is stale.
        let stale = server
            .send(
                method.clone(),
                "/documents/1",
                &[("if-match", &weakened)],
                body.as_ref(),
            )
            .await;
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED, "{method}");
        if method != Method::DELETE {
            current = format!("W/{}", etag(&passed));
        }
    }
}

#[tokio::test]
async fn a_preflight_may_be_cached_for_ten_minutes() {
    let server = Server::start().await;
    for path in ["/documents", "/documents/1"] {
        let preflight = server
            .send(
                Method::OPTIONS,
                path,
                &[
                    ("origin", "https://app.example"),
                    ("access-control-request-method", "PUT"),
                    ("access-control-request-headers", "if-match, content-type"),
                ],
                None,
            )
            .await;
        assert!(preflight.status().is_success(), "{path}");
        assert_eq!(
            preflight.headers()["access-control-max-age"],
            "600",
            "{path}"
        );
    }
}
