//! Reliability of the `documents` service over real loopback HTTP: no lost update under 64
//! concurrent writers, nor while documents are deleted and re-created under them (and no tag
//! ever repeats for a URL), one winner per racing create-only write, refused writes that change no
//! byte of the database, hostile header
//! bytes sent over raw TCP, a panicking validator behind a real server, and private resources
//! whose 401/403/404 come before any precondition is looked at.
//!
//! The figures of `sixty_four_concurrent_writers_lose_no_update` are printed with
//! `cargo test -p axum-conditional-examples --test it reliability:: -- --nocapture`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_conditional::{ETag, conditional};
use axum_conditional_examples::documents::{app, store::Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Client, Method, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::support::server::{TempDb, serve};

/// Every wait in this file is bounded by this: a hang fails the test instead of stalling CI.
const HANG_GUARD: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// A server on an ephemeral loopback port.

/// A running server; its database file (if any) is removed on drop.
struct Server {
    addr: SocketAddr,
    db: Option<TempDb>,
    client: Client,
    task: JoinHandle<()>,
}

impl Server {
    /// The `documents` service on a temporary SQLite file.
    async fn documents() -> Server {
        let db = TempDb::new("reliability");
        let store = Store::open(db.path()).unwrap();
        let mut server = Server::start(app(store)).await;
        server.db = Some(db);
        server
    }

    async fn start(router: Router) -> Server {
        let (addr, task) = serve(router).await;
        Server {
            addr,
            db: None,
            client: Client::new(),
            task,
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
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .timeout(HANG_GUARD);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// Creates a document and returns its path.
    async fn create(&self, body: &Value) -> String {
        let created = self.send(Method::POST, "/documents", &[], Some(body)).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        created.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// The current `ETag` of a document, by a plain `GET`.
    async fn current_etag(&self, path: &str) -> String {
        let read = self.send(Method::GET, path, &[], None).await;
        assert_eq!(read.status(), StatusCode::OK);
        etag(&read).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The database file (if any) goes with `self.db`.
        self.task.abort();
    }
}

fn etag(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get(header::ETAG)?;
    Some(value.to_str().unwrap().to_owned())
}

/// The version number in a tag made by `ETag::from_version`.
fn version(tag: &str) -> u64 {
    tag.parse::<ETag>().unwrap().version().unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. No lost update under load.

const CLIENTS: u64 = 64;
const WRITES_PER_CLIENT: u64 = 8;
/// Per client, read-modify-write rounds before the test calls it starvation.
const MAX_ROUNDS_PER_CLIENT: u64 = 2_000;

/// A 412 one client received.
#[derive(Debug)]
struct Refusal {
    /// The version in the `If-Match` it sent.
    sent: u64,
    /// The highest version some response had shown to any client before this request was sent.
    floor: u64,
    /// The version in the 412's `ETag` header.
    got: u64,
    /// The problem body's `reason`.
    reason: String,
}

/// What one client saw.
#[derive(Debug, Default)]
struct Tally {
    /// The versions its 2xx writes answered with.
    written: Vec<u64>,
    refusals: Vec<Refusal>,
    reads: u64,
}

/// One client: read, add one to the counter, write it back with `If-Match`; on 412 start over.
async fn increment_client(server: Arc<Server>, path: String, seen: Arc<AtomicU64>) -> Tally {
    let mut tally = Tally::default();
    for _ in 0..MAX_ROUNDS_PER_CLIENT {
        let read = server.send(Method::GET, &path, &[], None).await;
        assert_eq!(read.status(), StatusCode::OK, "a read failed");
        tally.reads += 1;
        let tag = etag(&read).unwrap();
        let read_version = version(&tag);
        let counter = read.json::<Value>().await.unwrap()["counter"]
            .as_u64()
            .unwrap();
        // Every write adds one to both: a lost update, or a read that mixed two versions,
        // shows here first.
        assert_eq!(
            counter + 1,
            read_version,
            "counter {counter} at version {tag}: an update was lost"
        );
        seen.fetch_max(read_version, SeqCst);

        // Any version a client has been shown was committed before this request is sent.
        let floor = seen.load(SeqCst);
        let body = json!({ "counter": counter + 1 });
        let write = server
            .send(Method::PUT, &path, &[("if-match", &tag)], Some(&body))
            .await;
        match write.status() {
            StatusCode::OK => {
                let new = version(&etag(&write).unwrap());
                assert_eq!(new, read_version + 1, "a write skipped a version");
                assert_eq!(write.json::<Value>().await.unwrap(), body);
                seen.fetch_max(new, SeqCst);
                tally.written.push(new);
                if tally.written.len() as u64 == WRITES_PER_CLIENT {
                    return tally;
                }
            }
            StatusCode::PRECONDITION_FAILED => {
                let header_tag = etag(&write).expect("a 412 carries the current ETag");
                let problem: Value = write.json().await.unwrap();
                assert_eq!(problem["etag"], header_tag, "body and header disagree");
                let got = version(&header_tag);
                seen.fetch_max(got, SeqCst);
                tally.refusals.push(Refusal {
                    sent: read_version,
                    floor,
                    got,
                    reason: problem["reason"].as_str().unwrap().to_owned(),
                });
            }
            other => panic!("a write failed with {other}: {:?}", write.text().await),
        }
    }
    panic!("a client made no progress in {MAX_ROUNDS_PER_CLIENT} rounds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_writers_lose_no_update() {
    let server = Arc::new(Server::documents().await);
    let path = server.create(&json!({ "counter": 0 })).await;
    let seen = Arc::new(AtomicU64::new(1));

    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(increment_client(
                Arc::clone(&server),
                path.clone(),
                Arc::clone(&seen),
            ))
        })
        .collect();
    let mut tallies = Vec::new();
    for client in clients {
        let tally = tokio::time::timeout(HANG_GUARD, client).await;
        tallies.push(tally.expect("the clients hung").unwrap());
    }

    let last = server.send(Method::GET, &path, &[], None).await;
    let final_version = version(&etag(&last).unwrap());
    let final_counter = last.json::<Value>().await.unwrap()["counter"]
        .as_u64()
        .unwrap();

    let writes: u64 = tallies.iter().map(|t| t.written.len() as u64).sum();
    let reads: u64 = tallies.iter().map(|t| t.reads).sum();
    let refusals: Vec<&Refusal> = tallies.iter().flat_map(|t| &t.refusals).collect();
    assert_eq!(writes, CLIENTS * WRITES_PER_CLIENT);
    // No lost update: the counter counts every 2xx write, and nothing else wrote.
    assert_eq!(
        final_counter,
        writes,
        "lost updates: {}",
        writes - final_counter
    );
    assert_eq!(final_version, 1 + writes);
    // Every 2xx write made exactly one new version: 2, 3, …, final, each once.
    let mut written: Vec<u64> = tallies.iter().flat_map(|t| t.written.clone()).collect();
    written.sort_unstable();
    assert_eq!(written, (2..=final_version).collect::<Vec<_>>());

    // Every 412 carried a then-current tag: newer than the stale one the client sent, at least
    // as new as every version any client had been shown before the request left, and a version
    // that existed (versions are exactly 1..=final, checked above).
    let mut by_reason: HashMap<&str, u64> = HashMap::new();
    for refusal in &refusals {
        assert!(
            refusal.got > refusal.sent && refusal.got >= refusal.floor,
            "{refusal:?}"
        );
        assert!(refusal.got <= final_version, "{refusal:?}");
        assert!(
            matches!(
                refusal.reason.as_str(),
                "mismatch" | "changed-during-request"
            ),
            "{refusal:?}"
        );
        *by_reason.entry(refusal.reason.as_str()).or_default() += 1;
    }
    println!(
        "clients {CLIENTS}, 2xx writes {writes}, 412s {} ({} mismatch at the check, {} \
         changed-during-request at the atomic write), reads {reads}, final counter \
         {final_counter}, lost updates {}",
        refusals.len(),
        by_reason.get("mismatch").unwrap_or(&0),
        by_reason.get("changed-during-request").unwrap_or(&0),
        writes - final_counter,
    );
}

// Delete and re-create churn: a URL's tags never come back, and no update is lost.

const CHURN_IDS: u64 = 4;
/// Per id: clients that read, modify and `PUT If-Match`, and clients that delete and re-create.
const CHURN_INCREMENTERS: u64 = 14;
const CHURN_CHURNERS: u64 = 2;
const CHURN_WRITES_PER_INCREMENTER: u64 = 4;
/// Deletes each churner gets through (most attempts lose to an incrementer's write).
const CHURN_DELETES_PER_CHURNER: u64 = 3;

/// What the churn clients saw, shared by all of them.
#[derive(Default)]
struct ChurnLog {
    /// Per path, the body every tag was shown with (by a `GET` or a 2xx write): a tag shown
    /// with two bodies is a tag that came back.
    bodies: HashMap<String, HashMap<String, Value>>,
    /// Per path, the tags of its 2xx writes (`PUT` 200 and 201), in no particular order.
    written: HashMap<String, Vec<String>>,
    /// Per generation (one per created document), the increments applied to it.
    increments: HashMap<u64, u64>,
    /// The generations created, with their path.
    created: HashMap<u64, String>,
    /// The generations deleted, with the counter they had when deleted.
    deleted: HashMap<u64, u64>,
    /// Tags shown again for another document (checked at the end, so that the other
    /// checks run too).
    repeats: Vec<String>,
}

impl ChurnLog {
    /// Records that `path` showed `body` under `tag`, and whether it showed another body
    /// under it before.
    fn shown(&mut self, path: &str, tag: &str, body: &Value) {
        let tags = self.bodies.entry(path.to_owned()).or_default();
        if let Some(before) = tags.insert(tag.to_owned(), body.clone())
            && &before != body
        {
            let repeat = format!("{path} showed {tag} for {before} and then for {body}");
            self.repeats.push(repeat);
        }
    }

    fn wrote(&mut self, path: &str, tag: &str, body: &Value) {
        self.shown(path, tag, body);
        self.written
            .entry(path.to_owned())
            .or_default()
            .push(tag.to_owned());
    }
}

type SharedLog = Arc<std::sync::Mutex<ChurnLog>>;

fn log(log: &SharedLog) -> std::sync::MutexGuard<'_, ChurnLog> {
    // A panicking client fails the test by itself; the others' records stay usable.
    log.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A document body: which creation of its URL it belongs to, and how often it was incremented.
fn churn_body(generation: u64, counter: u64) -> Value {
    json!({ "generation": generation, "counter": counter })
}

fn generation_and_counter(body: &Value) -> (u64, u64) {
    let field = |name: &str| body[name].as_u64().unwrap();
    (field("generation"), field("counter"))
}

/// `GET path`: its tag and body if it exists, after recording them.
async fn churn_read(server: &Server, path: &str, shared: &SharedLog) -> Option<(String, Value)> {
    let read = server.send(Method::GET, path, &[], None).await;
    match read.status() {
        StatusCode::NOT_FOUND => None,
        StatusCode::OK => {
            let tag = etag(&read).unwrap();
            let body: Value = read.json().await.unwrap();
            log(shared).shown(path, &tag, &body);
            Some((tag, body))
        }
        other => panic!("{path}: a read failed with {other}"),
    }
}

/// Creates `path` with a new generation (`PUT If-None-Match: *`); `false` if it already
/// existed.
async fn churn_create(server: &Server, path: &str, shared: &SharedLog) -> bool {
    static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);
    let generation = NEXT_GENERATION.fetch_add(1, SeqCst);
    let body = churn_body(generation, 0);
    let put = server
        .send(Method::PUT, path, &[("if-none-match", "*")], Some(&body))
        .await;
    match put.status() {
        StatusCode::CREATED => {
            let tag = etag(&put).unwrap();
            let mut log = log(shared);
            log.wrote(path, &tag, &body);
            log.created.insert(generation, path.to_owned());
            true
        }
        StatusCode::PRECONDITION_FAILED => false,
        other => panic!("{path}: a create failed with {other}"),
    }
}

/// Read, add one to the counter, `PUT If-Match`; on 412 (or while the document is deleted)
/// start over.
async fn churn_incrementer(server: Arc<Server>, path: String, shared: SharedLog) {
    let mut done = 0;
    for _ in 0..MAX_ROUNDS_PER_CLIENT {
        let Some((tag, body)) = churn_read(&server, &path, &shared).await else {
            tokio::task::yield_now().await;
            continue;
        };
        let (generation, counter) = generation_and_counter(&body);
        let next = churn_body(generation, counter + 1);
        let write = server
            .send(Method::PUT, &path, &[("if-match", &tag)], Some(&next))
            .await;
        match write.status() {
            StatusCode::OK => {
                let new = etag(&write).unwrap();
                assert!(version(&new) > version(&tag), "{path}: {tag} then {new}");
                let mut log = log(&shared);
                log.wrote(&path, &new, &next);
                *log.increments.entry(generation).or_default() += 1;
                done += 1;
                if done == CHURN_WRITES_PER_INCREMENTER {
                    return;
                }
            }
            StatusCode::PRECONDITION_FAILED => {}
            other => panic!("{path}: a write failed with {other}"),
        }
    }
    panic!("{path}: an incrementer made no progress in {MAX_ROUNDS_PER_CLIENT} rounds");
}

/// Read, `DELETE If-Match`, and create the document again with a new generation; until it
/// has deleted `CHURN_DELETES_PER_CHURNER` times.
async fn churner(server: Arc<Server>, path: String, shared: SharedLog) {
    let mut deleted = 0;
    for _ in 0..MAX_ROUNDS_PER_CLIENT {
        if let Some((tag, body)) = churn_read(&server, &path, &shared).await {
            let delete = server
                .send(Method::DELETE, &path, &[("if-match", &tag)], None)
                .await;
            match delete.status() {
                StatusCode::NO_CONTENT => {
                    let (generation, counter) = generation_and_counter(&body);
                    log(&shared).deleted.insert(generation, counter);
                    deleted += 1;
                }
                // Changed by an incrementer, or deleted by the other churner (a DELETE of a
                // missing document is its 404, not a 412: RFC 9110 §13.2.1).
                StatusCode::PRECONDITION_FAILED | StatusCode::NOT_FOUND => continue,
                other => panic!("{path}: a delete failed with {other}"),
            }
        }
        // Refused only when the other churner re-created it first.
        churn_create(&server, &path, &shared).await;
        if deleted == CHURN_DELETES_PER_CHURNER {
            return;
        }
    }
    panic!("{path}: a churner made no progress in {MAX_ROUNDS_PER_CLIENT} rounds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_racing_deletes_and_re_creates_lose_no_update_and_never_reuse_a_tag() {
    let server = Arc::new(Server::documents().await);
    let shared = SharedLog::default();
    let paths: Vec<String> = (0..CHURN_IDS)
        .map(|id| format!("/documents/{}", 500 + id))
        .collect();
    for path in &paths {
        assert!(churn_create(&server, path, &shared).await);
    }

    let mut clients = Vec::new();
    for path in &paths {
        for _ in 0..CHURN_INCREMENTERS {
            let client = churn_incrementer(Arc::clone(&server), path.clone(), Arc::clone(&shared));
            clients.push(tokio::spawn(client));
        }
        for _ in 0..CHURN_CHURNERS {
            clients.push(tokio::spawn(churner(
                Arc::clone(&server),
                path.clone(),
                Arc::clone(&shared),
            )));
        }
    }
    for client in clients {
        let done = tokio::time::timeout(HANG_GUARD, client).await;
        done.expect("the clients hung").unwrap();
    }
    // Churners always re-create what they delete: every path ends with a document.
    let mut current = HashMap::new();
    for path in &paths {
        let (_, body) = churn_read(&server, path, &shared).await.unwrap();
        let (generation, counter) = generation_and_counter(&body);
        current.insert(generation, (path.clone(), counter));
    }

    let log = log(&shared);
    assert!(log.repeats.is_empty(), "tags came back: {:#?}", log.repeats);
    // Every 2xx write made a tag its URL never had.
    for (path, tags) in &log.written {
        let mut unique = tags.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), tags.len(), "{path} repeated a tag: {tags:?}");
    }
    // No lost update: each document, when deleted or now, counts every increment applied to it.
    let mut increments = 0;
    for (generation, path) in &log.created {
        let applied = log.increments.get(generation).copied().unwrap_or(0);
        let counted = match (log.deleted.get(generation), current.get(generation)) {
            (Some(counter), None) => *counter,
            (None, Some((now, counter))) if now == path => *counter,
            other => panic!("generation {generation} of {path}: {other:?}"),
        };
        assert_eq!(
            counted, applied,
            "{path} generation {generation}: lost updates"
        );
        increments += applied;
    }
    let expected = CHURN_IDS * CHURN_INCREMENTERS * CHURN_WRITES_PER_INCREMENTER;
    assert_eq!(increments, expected);
    let deletes = CHURN_IDS * CHURN_CHURNERS * CHURN_DELETES_PER_CHURNER;
    assert_eq!(log.deleted.len() as u64, deletes);
    assert_eq!(log.increments.values().sum::<u64>(), expected);
    println!(
        "ids {CHURN_IDS}, increments {increments}, documents created {}, deleted {}",
        log.created.len(),
        log.deleted.len()
    );
}

/// Create-only writers racing for each id: `PUT` with `If-None-Match: *` on a new document.
const CREATE_RACE_IDS: i64 = 8;
const CREATE_RACE_WRITERS: u64 = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_create_only_puts_make_one_document_and_every_412_shows_it() {
    let server = Arc::new(Server::documents().await);
    for id in 100..100 + CREATE_RACE_IDS {
        let path = format!("/documents/{id}");
        let writers: Vec<_> = (0..CREATE_RACE_WRITERS)
            .map(|writer| {
                let (server, path) = (Arc::clone(&server), path.clone());
                tokio::spawn(async move {
                    let body = json!({ "writer": writer });
                    let put = server
                        .send(Method::PUT, &path, &[("if-none-match", "*")], Some(&body))
                        .await;
                    let (status, tag) = (put.status(), etag(&put));
                    let text = put.text().await.unwrap();
                    (writer, status, tag, text)
                })
            })
            .collect();
        let mut answers = Vec::new();
        for writer in writers {
            let answer = tokio::time::timeout(HANG_GUARD, writer).await;
            answers.push(answer.expect("a writer hung").unwrap());
        }
        let winners: Vec<_> = answers
            .iter()
            .filter(|(_, status, _, _)| *status == StatusCode::CREATED)
            .map(|(writer, _, tag, _)| (*writer, tag.clone().unwrap()))
            .collect();
        assert_eq!(winners.len(), 1, "{path}: winners {winners:?}");
        let (winner, created) = &winners[0];
        for (_, status, tag, text) in &answers {
            match *status {
                StatusCode::CREATED => {}
                StatusCode::PRECONDITION_FAILED => {
                    let problem: Value = serde_json::from_str(text).unwrap();
                    assert_eq!(problem["condition"], "If-None-Match", "{text}");
                    // Nothing but the winner wrote: the then-current tag is the one it made.
                    assert_eq!(tag.as_ref(), Some(created), "{path}: {text}");
                    assert_eq!(problem["etag"], created.as_str(), "{path}: {text}");
                }
                other => panic!("{path}: a create failed with {other}: {text}"),
            }
        }
        let stored = server.send(Method::GET, &path, &[], None).await;
        assert_eq!(etag(&stored).as_ref(), Some(created));
        assert_eq!(
            stored.json::<Value>().await.unwrap(),
            json!({ "writer": winner })
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. A refused request changes nothing.

/// The database as bytes and as rows: the main file, the write-ahead log (readers never write
/// to either; the `-shm` index does change on reads, so it is left out), and a dump of both
/// tables.
#[derive(Clone, PartialEq, Eq)]
struct Snapshot {
    file: Vec<u8>,
    wal: Vec<u8>,
    rows: Vec<String>,
}

fn snapshot(db: &std::path::Path, reader: &rusqlite::Connection) -> Snapshot {
    let wal = std::fs::read(format!("{}-wal", db.display())).unwrap_or_default();
    let mut rows = Vec::new();
    for query in [
        "SELECT id, body, version, updated_at_ms FROM documents ORDER BY id",
        "SELECT id, '', version, updated_at_ms FROM collection ORDER BY id",
    ] {
        let mut statement = reader.prepare(query).unwrap();
        let found = statement
            .query_map([], |row| {
                Ok(format!(
                    "{}|{}|{}|{}",
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?
                ))
            })
            .unwrap();
        rows.extend(found.map(Result::unwrap));
    }
    Snapshot {
        file: std::fs::read(db).unwrap(),
        wal,
        rows,
    }
}

/// A write whose preconditions fail (or are missing), and what the service must answer.
#[derive(Clone, Debug)]
struct RefusedWrite {
    method: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    /// The status, and for a 412 the problem's `reason`.
    status: u16,
    reason: Option<&'static str>,
}

/// The seeded document: `/documents/1`, at this version, last modified "now".
const SEEDED_VERSION: u64 = 3;

/// An entity-tag that names no coding of the seeded document's current version, strong or
/// weak. The write routes compare `If-Match` weakly (a proxy that compresses weakens tags), so
/// `W/"3"` and `"3~gzip"` are current, not stale; `documents_http.rs` pins that they pass.
fn stale_tag() -> impl Strategy<Value = String> {
    let older = any::<u64>().prop_filter("not current", |n| *n != SEEDED_VERSION);
    let coding = prop::sample::select(vec!["", "~gzip", "~br", "~zstd", "~deflate"]);
    prop_oneof![
        (older.clone(), coding.clone()).prop_map(|(n, coding)| format!("\"{n}{coding}\"")),
        (older, coding).prop_map(|(n, coding)| format!("W/\"{n}{coding}\"")),
        "[a-zA-Z!#-~]{0,12}"
            .prop_filter("no quote", |s| !s.contains('"'))
            .prop_map(|s| format!("\"x{s}\"")),
    ]
}

/// An `If-Match` member that is not `*` and not an entity-tag.
fn malformed_member() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9/.:;=_-]{1,12}",
        "[0-9a-z]{0,8}".prop_map(|s| format!("\"{s}")),
        Just(format!("w/\"{SEEDED_VERSION}\"")),
        Just(format!("'{SEEDED_VERSION}'")),
        Just(format!("\"{SEEDED_VERSION}\"x")),
        Just(format!("\"{SEEDED_VERSION} \"")),
    ]
}

fn now_unix_seconds() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    i64::try_from(now.unwrap().as_secs()).unwrap()
}

const DAY: i64 = 86_400;

/// `secs` as an HTTP-date in one of the three forms of RFC 9110 §5.6.7: 0 IMF-fixdate,
/// 1 RFC 850, 2 asctime.
fn http_date(secs: i64, form: u8) -> String {
    // Not through `LastModified`, which clamps a future time to now: these dates may be ahead.
    let secs = u64::try_from(secs).expect("test dates are after 1970");
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    let imf = httpdate::fmt_http_date(time);
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let (weekday, day, month, year, time) = (
        &imf[0..3],
        &imf[5..7],
        &imf[8..11],
        &imf[12..16],
        &imf[17..25],
    );
    match form {
        0 => imf.clone(),
        1 => {
            let long = [
                ("Mon", "Monday"),
                ("Tue", "Tuesday"),
                ("Wed", "Wednesday"),
                ("Thu", "Thursday"),
                ("Fri", "Friday"),
                ("Sat", "Saturday"),
                ("Sun", "Sunday"),
            ]
            .into_iter()
            .find(|(short, _)| *short == weekday)
            .unwrap()
            .1;
            format!("{long}, {day}-{month}-{} {time} GMT", &year[2..])
        }
        _ => format!(
            "{weekday} {month} {:>2} {time} {year}",
            day.trim_start_matches('0')
        ),
    }
}

/// An HTTP-date one to forty years before now, in any of the three forms (a two-digit RFC 850
/// year names the past when it is within fifty years).
fn earlier_date() -> impl Strategy<Value = String> {
    let now = now_unix_seconds();
    ((now - 40 * 365 * DAY)..(now - 365 * DAY), 0..3_u8)
        .prop_map(|(secs, form)| http_date(secs, form))
}

fn random_body() -> impl Strategy<Value = (Option<&'static str>, Vec<u8>)> {
    let content_type = prop::sample::select(vec![
        Some("application/json"),
        Some("application/merge-patch+json"),
        Some("text/plain"),
        None,
    ]);
    let json_body = prop::collection::hash_map("[a-z]{1,6}", any::<i32>(), 0..4)
        .prop_map(|map| serde_json::to_vec(&map).unwrap());
    let body = prop_oneof![
        json_body,
        prop::collection::vec(any::<u8>(), 0..64),
        Just(b"{ not json".to_vec()),
        Just(Vec::new()),
    ];
    (content_type, body)
}

fn refused_write() -> impl Strategy<Value = RefusedWrite> {
    let write = prop::sample::select(vec!["PUT", "PATCH", "DELETE"]);
    let refusal = prop_oneof![
        // Stale tags, a list of them included.
        (write.clone(), prop::collection::vec(stale_tag(), 1..4)).prop_map(|(method, tags)| {
            (
                "/documents/1",
                method,
                vec![("if-match", tags.join(", "))],
                412,
                Some("mismatch"),
            )
        }),
        // Malformed, alone or beside stale tags.
        (
            write.clone(),
            malformed_member(),
            prop::option::of(stale_tag())
        )
            .prop_map(|(method, bad, stale)| {
                let value = match stale {
                    Some(stale) => format!("{stale}, {bad}"),
                    None => bad,
                };
                (
                    "/documents/1",
                    method,
                    vec![("if-match", value)],
                    412,
                    Some("malformed"),
                )
            }),
        // A create-only write against the existing document: 412 where `*` makes the request
        // create-only (PUT, which can create); the route's PATCH never creates and a DELETE
        // cannot, so there `*` does not satisfy `require` (`Policy::creates`).
        write.clone().prop_map(|method| {
            let (status, reason) = match method {
                "DELETE" | "PATCH" => (428, None),
                _ => (412, Some("matched")),
            };
            (
                "/documents/1",
                method,
                vec![("if-none-match", "*".to_owned())],
                status,
                reason,
            )
        }),
        // "Not this version", even naming the current one: entity-tags alone never satisfy
        // `require` (they would let an overwrite of any other version through).
        (
            write.clone(),
            prop::sample::select(vec![
                format!("\"{SEEDED_VERSION}\""),
                format!("W/\"{SEEDED_VERSION}\""),
                format!("\"0\", \"{SEEDED_VERSION}\""),
            ])
        )
            .prop_map(|(method, value)| {
                (
                    "/documents/1",
                    method,
                    vec![("if-none-match", value)],
                    428,
                    None,
                )
            }),
        // Modified since the client's date.
        (write.clone(), earlier_date()).prop_map(|(method, date)| {
            (
                "/documents/1",
                method,
                vec![("if-unmodified-since", date)],
                412,
                Some("modified"),
            )
        }),
        // Unconditional, or with conditions that protect nothing: 428.
        (
            write.clone(),
            prop::sample::select(vec![
                vec![],
                vec![("if-none-match", String::new())],
                vec![("if-none-match", "garbage".to_owned())],
                // Entity-tags only: they would let an overwrite of any other version through.
                vec![("if-none-match", "\"1\"".to_owned())],
                vec![("if-unmodified-since", "yesterday".to_owned())],
                vec![(
                    "if-modified-since",
                    "Sun, 06 Nov 1994 08:49:37 GMT".to_owned()
                )],
            ])
        )
            .prop_map(|(method, headers)| ("/documents/1", method, headers, 428, None)),
        // A replace or patch of a document that does not exist.
        (prop::sample::select(vec!["PUT", "PATCH"]), stale_tag()).prop_map(|(method, tag)| {
            let reason = Some("no-current-representation");
            (
                "/documents/999",
                method,
                vec![("if-match", tag)],
                412,
                reason,
            )
        }),
        // A DELETE of a document that does not exist, with a false If-Match: refused before
        // the handler runs (RFC 9110 §13.1.1), like any unsafe method.
        stale_tag().prop_map(|tag| {
            (
                "/documents/999",
                "DELETE",
                vec![("if-match", tag)],
                412,
                Some("no-current-representation"),
            )
        }),
        // POST compares the collection's weak tag weakly: only its version passes. Versions
        // are store-wide, so after the seeding the collection is at the document's version,
        // which stale_tag never names.
        stale_tag().prop_map(|tag| {
            (
                "/documents",
                "POST",
                vec![("if-match", tag)],
                412,
                Some("mismatch"),
            )
        }),
        Just((
            "/documents",
            "POST",
            vec![("if-none-match", "*".to_owned())],
            412,
            Some("matched")
        )),
    ];
    (refusal, random_body()).prop_map(
        |((path, method, headers, status, reason), (content_type, body))| RefusedWrite {
            method,
            path,
            headers,
            content_type,
            body,
            status,
            reason,
        },
    )
}

#[test]
fn a_refused_write_changes_no_byte_of_the_database() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(async {
        let server = Server::documents().await;
        let path = server.create(&json!({ "title": "seed" })).await;
        for n in 2..=SEEDED_VERSION {
            let tag = server.current_etag(&path).await;
            let body = json!({ "title": "seed", "n": n });
            let put = server
                .send(Method::PUT, &path, &[("if-match", &tag)], Some(&body))
                .await;
            assert_eq!(put.status(), StatusCode::OK);
        }
        assert_eq!(path, "/documents/1");
        assert_eq!(
            server.current_etag(&path).await,
            format!("\"{SEEDED_VERSION}\"")
        );
        assert_eq!(
            server.current_etag("/documents").await,
            format!("W/\"{SEEDED_VERSION}\"")
        );
        server
    });
    let db = server.db.as_ref().unwrap().path().to_owned();
    let reader =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let before = snapshot(&db, &reader);
    assert!(before.rows.iter().any(|row| row.starts_with("1|")));

    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&refused_write(), |write| {
            let (status, headers, body) = runtime.block_on(async {
                let method = reqwest::Method::from_bytes(write.method.as_bytes()).unwrap();
                let mut request = server
                    .client
                    .request(method, server.url(write.path))
                    .timeout(HANG_GUARD)
                    .body(write.body.clone());
                for (name, value) in &write.headers {
                    request = request.header(*name, value);
                }
                if let Some(content_type) = write.content_type {
                    request = request.header(header::CONTENT_TYPE, content_type);
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                (status, headers, response.text().await.unwrap())
            });
            prop_assert_eq!(status, write.status, "{}", body);
            if let Some(reason) = write.reason {
                let problem: Value = serde_json::from_str(&body).unwrap();
                prop_assert_eq!(&problem["reason"], reason);
                prop_assert_eq!(&headers[header::CONTENT_TYPE], "application/problem+json");
            }
            prop_assert_eq!(&snapshot(&db, &reader), &before);
            Ok(())
        })
        .unwrap();
    drop(reader);
    runtime.block_on(async { drop(server) });
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The rows tell what changed; the file bytes only how much.
        write!(
            f,
            "file {} bytes, wal {} bytes, rows {:?}",
            self.file.len(),
            self.wal.len(),
            self.rows
        )
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Hostile headers over raw TCP: what hyper lets through reaches the evaluator, and what it
// refuses has hyper's answer.

/// A response read off the wire.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    fn problem(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// The bytes of a request with `connection: close`, these header lines, and this body.
fn raw_request(method: &str, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n").into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() {
        request.extend_from_slice(b"content-type: application/json\r\n");
    }
    request.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    request.extend_from_slice(b"connection: close\r\n\r\n");
    request.extend_from_slice(body);
    request
}

/// Writes `request` on a new connection and reads until the server closes it. Empty bytes
/// (no status line) come back as status 0.
async fn send_raw(addr: SocketAddr, request: &[u8]) -> Raw {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut bytes = Vec::new();
        // A reset after a partial read is still "what the server sent".
        let _ = stream.read_to_end(&mut bytes).await;
        bytes
    };
    let bytes = tokio::time::timeout(HANG_GUARD, exchange)
        .await
        .expect("the server hung");
    parse_raw(&bytes)
}

fn parse_raw(bytes: &[u8]) -> Raw {
    if bytes.is_empty() {
        return Raw {
            status: 0,
            headers: Vec::new(),
            body: Vec::new(),
        };
    }
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = std::str::from_utf8(&bytes[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers: Vec<(String, Vec<u8>)> = lines
        .map(|line| {
            let (name, value) = line.split_once(": ").unwrap();
            (name.to_ascii_lowercase(), value.as_bytes().to_vec())
        })
        .collect();
    let raw_body = &bytes[end + 4..];
    // Refusals of requests with a body are sent chunked (see `axum_conditional::Linger::DEFAULT_MAX_BYTES`).
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.as_slice() == b"chunked");
    let body = if chunked {
        dechunk(raw_body)
    } else {
        raw_body.to_vec()
    };
    Raw {
        status,
        headers,
        body,
    }
}

/// The payload of a chunked body (RFC 9112 §7.1), without extensions or trailers.
fn dechunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = bytes
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size = std::str::from_utf8(&bytes[..line_end]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&bytes[..size]);
        bytes = &bytes[size + 2..];
    }
}

/// The `documents` service with `/documents/1` created; its current tag.
async fn documents_with_one() -> (Server, String) {
    let server = Server::documents().await;
    let path = server.create(&json!({ "title": "target" })).await;
    let tag = server.current_etag(&path).await;
    (server, tag)
}

/// One row of a hostile-header table: a method, the hostile field lines, and the answer.
struct Hostile {
    name: &'static str,
    method: &'static str,
    headers: Vec<(&'static str, Vec<u8>)>,
    status: u16,
    reason: Option<&'static str>,
}

impl Hostile {
    fn new(name: &'static str, method: &'static str, status: u16) -> Self {
        Self {
            name,
            method,
            headers: Vec::new(),
            status,
            reason: None,
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }
}

/// Sends each row to `/documents/1` of a fresh service and checks its answer, that no 500
/// came, and that the service still answers a plain read afterwards.
async fn check_hostile(rows: Vec<Hostile>) {
    let (server, _) = documents_with_one().await;
    for row in rows {
        let headers: Vec<(&str, &[u8])> = row
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_slice()))
            .collect();
        let body: &[u8] = if row.method == "GET" {
            b""
        } else {
            b"{\"x\":1}"
        };
        let request = raw_request(row.method, "/documents/1", &headers, body);
        let reply = send_raw(server.addr, &request).await;
        assert_eq!(
            reply.status,
            row.status,
            "{}: {}",
            row.name,
            String::from_utf8_lossy(&reply.body)
        );
        if let Some(reason) = row.reason {
            assert_eq!(reply.problem()["reason"], reason, "{}", row.name);
        }
        let alive = server.send(Method::GET, "/documents/1", &[], None).await;
        assert_eq!(alive.status(), StatusCode::OK, "after {}", row.name);
    }
}

#[tokio::test]
async fn control_characters_in_a_conditional_field_get_hypers_400_before_the_service() {
    let mut rows = Vec::new();
    for (name, value) in [
        ("NUL", &b"\"1\x00\""[..]),
        ("SOH", b"\"1\x01\""),
        ("ESC sequence", b"\"\x1b[31m1\""),
        ("DEL", b"\"1\x7f\""),
        ("bare CR", b"\"1\"\r\"2\""),
        ("vertical tab", b"\"1\"\x0b"),
    ] {
        for field in ["if-match", "if-none-match", "if-unmodified-since"] {
            rows.push(Hostile::new(name, "PUT", 400).header(field, value));
        }
        rows.push(Hostile::new(name, "GET", 400).header("if-modified-since", value));
    }
    // Horizontal tab is whitespace, not a control character, in a field value.
    rows.push(Hostile::new("HTAB around the tag", "GET", 304).header("if-none-match", "\t\"1\"\t"));
    check_hostile(rows).await;
}

#[tokio::test]
async fn obs_text_and_non_utf8_tags_are_tags_that_match_nothing() {
    let mut rows = Vec::new();
    for (name, value) in [
        ("obs-text", &b"\"\xff\xfe\""[..]),
        ("invalid UTF-8", b"\"\xc3\x28\""),
        ("UTF-8 text", "\"caf\u{e9}\"".as_bytes()),
        ("weak obs-text", b"W/\"\x80\""),
    ] {
        rows.push(
            Hostile::new(name, "PUT", 412)
                .header("if-match", value)
                .reason("mismatch"),
        );
        rows.push(Hostile::new(name, "GET", 200).header("if-none-match", value));
    }
    // Beside the current tag, they do not stop it from matching.
    rows.push(
        Hostile::new("obs-text then current", "GET", 304)
            .header("if-none-match", b"\"\xff\", \"1\"".to_vec()),
    );
    check_hostile(rows).await;
}

#[tokio::test]
async fn unterminated_quotes_and_near_miss_tags_in_if_match_get_412_malformed() {
    let mut rows = Vec::new();
    for value in [
        "\"1",
        "\"",
        "w/\"1\"",
        "W/1",
        "W\"1\"",
        "W /\"1\"",
        "1",
        "'1'",
        "\"1\"x",
        "\"1\" \"2\"",
        "\"1 \"",
        "**",
        "*, \"0\"",
        "\"0\", w/\"1\"",
    ] {
        rows.push(
            Hostile::new(value, "PUT", 412)
                .header("if-match", value)
                .reason("malformed"),
        );
    }
    check_hostile(rows).await;
}

#[tokio::test]
async fn near_miss_tags_in_if_none_match_are_skipped_and_protect_no_write() {
    let mut rows = Vec::new();
    for value in ["\"1", "w/\"1\"", "W/1", "1", "'1'", "\"1\"x"] {
        // On a read they are ignored: a full 200, never a wrong 304.
        rows.push(Hostile::new(value, "GET", 200).header("if-none-match", value));
        // On a write they are no precondition at all: 428, not a silent overwrite.
        rows.push(Hostile::new(value, "PUT", 428).header("if-none-match", value));
    }
    rows.push(
        Hostile::new("near miss then current", "GET", 304)
            .header("if-none-match", "w/\"1\", \"1\""),
    );
    check_hostile(rows).await;
}

#[tokio::test]
async fn a_64_kib_if_none_match_and_10_000_tags_are_read_to_the_end() {
    let (server, current) = documents_with_one().await;
    let mut big = Vec::new();
    while big.len() < 64 * 1024 {
        big.extend_from_slice(b"\"not-the-current-tag-padding-padding\", ");
    }
    let mut big_then_current = big.clone();
    big_then_current.extend_from_slice(current.as_bytes());
    let ten_thousand: Vec<u8> = (0..10_000)
        .map(|n| format!("\"t{n}\""))
        .collect::<Vec<_>>()
        .join(",")
        .into_bytes();
    let mut ten_thousand_then_current = ten_thousand.clone();
    ten_thousand_then_current.extend_from_slice(format!(",{current}").as_bytes());

    let cases: [(&str, &str, &str, &[u8], u16); 6] = [
        ("64 KiB, no match", "GET", "if-none-match", &big, 200),
        (
            "64 KiB, current last",
            "GET",
            "if-none-match",
            &big_then_current,
            304,
        ),
        (
            "10,000 tags, no match",
            "GET",
            "if-none-match",
            &ten_thousand,
            200,
        ),
        (
            "10,000 tags, current last",
            "GET",
            "if-none-match",
            &ten_thousand_then_current,
            304,
        ),
        ("10,000 stale tags", "PUT", "if-match", &ten_thousand, 412),
        // Last, as it changes the document.
        (
            "10,000 tags, current last",
            "PUT",
            "if-match",
            &ten_thousand_then_current,
            200,
        ),
    ];
    for (name, method, field, value, status) in cases {
        let body: &[u8] = if method == "GET" { b"" } else { b"{}" };
        let request = raw_request(method, "/documents/1", &[(field, value)], body);
        let reply = send_raw(server.addr, &request).await;
        assert_eq!(reply.status, status, "{method} {field}: {name}");
    }
}

#[tokio::test]
async fn field_lines_past_hypers_limit_get_431_and_fewer_are_one_list() {
    let (server, current) = documents_with_one().await;
    // hyper reads at most 100 field lines per request by default (`max_headers`).
    let many: Vec<(&str, &[u8])> = (0..1_000)
        .map(|_| ("if-none-match", &b"\"0\""[..]))
        .collect();
    let reply = send_raw(server.addr, &raw_request("GET", "/documents/1", &many, b"")).await;
    assert_eq!(reply.status, 431, "1,000 field lines");

    // 90 lines fit: they form one list (RFC 9110 §5.3), the current tag in the last line.
    let mut lines: Vec<(&str, &[u8])> = (0..89).map(|_| ("if-none-match", &b"\"0\""[..])).collect();
    lines.push(("if-none-match", current.as_bytes()));
    let reply = send_raw(
        server.addr,
        &raw_request("GET", "/documents/1", &lines, b""),
    )
    .await;
    assert_eq!(reply.status, 304, "90 field lines, current last");
    let mut lines: Vec<(&str, &[u8])> = (0..89).map(|_| ("if-match", &b"\"0\""[..])).collect();
    lines.push(("if-match", current.as_bytes()));
    let reply = send_raw(
        server.addr,
        &raw_request("PUT", "/documents/1", &lines, b"{}"),
    )
    .await;
    assert_eq!(reply.status, 200, "90 If-Match lines, current last");
}

#[tokio::test]
async fn out_of_range_and_invalid_dates_are_ignored() {
    let mut rows = Vec::new();
    for value in [
        "Sun, 06 Nov 99999 08:49:37 GMT",
        "Sun, 06 Nov -001 08:49:37 GMT",
        "Sat, 01 Jan 10000 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:61 GMT",
        "Sun, 31 Feb 2026 00:00:00 GMT",
        "Mon, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "sun, 06 nov 1994 08:49:37 gmt",
        "1700000000",
        "-1",
        "18446744073709551616",
        "",
    ] {
        // Ignored: a write that has no other condition gets 428 …
        rows.push(Hostile::new(value, "PUT", 428).header("if-unmodified-since", value));
        // … and a read is a full 200.
        rows.push(Hostile::new(value, "GET", 200).header("if-modified-since", value));
    }
    // In range even if absurd: year 0000 is before any modification, year 9999 after.
    rows.push(
        Hostile::new("year 0000", "PUT", 412)
            .header("if-unmodified-since", "Sat, 01 Jan 0000 00:00:00 GMT")
            .reason("modified"),
    );
    rows.push(
        Hostile::new("year 9999", "GET", 304)
            .header("if-modified-since", "Fri, 31 Dec 9999 23:59:59 GMT"),
    );
    check_hostile(rows).await;
}

#[tokio::test]
async fn obsolete_date_forms_are_evaluated_like_imf_fixdate() {
    // A two-digit year names a year within fifty years of now.
    let next_year = now_unix_seconds() + 365 * DAY;
    let rows = vec![
        Hostile::new("RFC 850, past", "PUT", 412)
            .header("if-unmodified-since", "Sunday, 06-Nov-94 08:49:37 GMT")
            .reason("modified"),
        Hostile::new("asctime, past", "PUT", 412)
            .header("if-unmodified-since", "Sun Nov  6 08:49:37 1994")
            .reason("modified"),
        Hostile::new("RFC 850, future", "GET", 304)
            .header("if-modified-since", http_date(next_year, 1)),
        Hostile::new("asctime, future", "GET", 304)
            .header("if-modified-since", "Fri Dec 31 23:59:59 9999"),
        Hostile::new("asctime, past", "GET", 200)
            .header("if-modified-since", "Sun Nov  6 08:49:37 1994"),
        Hostile::new("RFC 850, past", "GET", 200)
            .header("if-modified-since", "Sunday, 06-Nov-94 08:49:37 GMT"),
        // A wrong weekday makes the date invalid in every form.
        Hostile::new("RFC 850, wrong weekday", "GET", 200)
            .header("if-modified-since", "Monday, 06-Nov-94 08:49:37 GMT"),
        Hostile::new("asctime, wrong weekday", "PUT", 428)
            .header("if-unmodified-since", "Mon Nov  6 08:49:37 1994"),
    ];
    check_hostile(rows).await;
}

/// A named request (method, field lines) and its status.
type Row<'a> = (&'a str, &'a str, Vec<(&'a str, &'a [u8])>, u16);

#[tokio::test]
async fn a_field_repeated_with_conflicting_values_is_one_list_or_ignored() {
    let (server, current) = documents_with_one().await;
    let current = current.as_bytes();
    let past = &b"Sun, 06 Nov 1994 08:49:37 GMT"[..];
    let future = &b"Fri, 31 Dec 9999 23:59:59 GMT"[..];
    let cases: [Row<'_>; 6] = [
        // Lists: any line may match.
        (
            "If-None-Match stale and current",
            "GET",
            vec![("if-none-match", b"\"0\""), ("if-none-match", current)],
            304,
        ),
        (
            "If-Match stale, stale",
            "PUT",
            vec![("if-match", b"\"0\""), ("if-match", b"\"9\"")],
            412,
        ),
        // Dates are single values: two lines make the field invalid, so it is ignored.
        (
            "If-Modified-Since future and past",
            "GET",
            vec![("if-modified-since", future), ("if-modified-since", past)],
            200,
        ),
        (
            "If-Unmodified-Since past and future",
            "PUT",
            vec![
                ("if-unmodified-since", past),
                ("if-unmodified-since", future),
            ],
            428,
        ),
        (
            "If-Unmodified-Since twice the same",
            "PUT",
            vec![("if-unmodified-since", past), ("if-unmodified-since", past)],
            428,
        ),
        // Last, as it changes the document.
        (
            "If-Match stale and current",
            "PUT",
            vec![("if-match", b"\"0\""), ("if-match", current)],
            200,
        ),
    ];
    for (name, method, lines, status) in cases {
        let body: &[u8] = if method == "GET" { b"" } else { b"{}" };
        let reply = send_raw(
            server.addr,
            &raw_request(method, "/documents/1", &lines, body),
        )
        .await;
        assert_eq!(reply.status, status, "{name}");
    }
}

#[tokio::test]
async fn malformed_if_match_gets_a_412_whose_body_says_malformed() {
    let (server, current) = documents_with_one().await;
    let request = raw_request("PUT", "/documents/1", &[("if-match", b"w/\"1\"")], b"{}");
    let reply = send_raw(server.addr, &request).await;
    assert_eq!(reply.status, 412);
    assert_eq!(
        reply.header("content-type"),
        Some(&b"application/problem+json"[..])
    );
    assert_eq!(reply.header("etag"), Some(current.as_bytes()));
    let problem = reply.problem();
    assert_eq!(problem["condition"], "If-Match");
    assert_eq!(problem["reason"], "malformed");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("If-Match") && detail.contains("malformed"),
        "{detail}"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. A panicking validator behind a real server.

/// A validator that panics: a bug in the application's lookup.
fn panicking_version() -> u64 {
    panic!("the version lookup has a bug")
}

#[conditional(etag = ETag::from_version(panicking_version()), cache_control = "no-cache")]
async fn panics_in_validator() -> &'static str {
    "never"
}

#[conditional(etag = ETag::from_version(1))]
async fn healthy() -> &'static str {
    "fine"
}

fn panicking_app() -> Router {
    Router::new()
        .route("/panics", axum::routing::get(panics_in_validator))
        .route("/healthy", axum::routing::get(healthy))
}

#[tokio::test]
async fn a_panicking_validator_drops_its_connection_and_the_server_keeps_serving() {
    let server = Server::start(panicking_app()).await;
    // axum does not catch panics: the connection's task unwinds, the socket closes, and not
    // a byte of a response was written.
    let request = raw_request("GET", "/panics", &[("if-none-match", b"\"1\"")], b"");
    let reply = send_raw(server.addr, &request).await;
    assert_eq!(reply.status, 0, "no response at all: {reply:?}");
    let again = send_raw(server.addr, &request).await;
    assert_eq!(again.status, 0);
    let healthy = server.send(Method::GET, "/healthy", &[], None).await;
    assert_eq!(healthy.status(), StatusCode::OK);
    assert_eq!(healthy.text().await.unwrap(), "fine");
}

#[tokio::test]
async fn behind_catch_panic_a_panicking_validator_is_a_500_without_validators() {
    let router = panicking_app().layer(tower_http::catch_panic::CatchPanicLayer::new());
    let server = Server::start(router).await;
    let request = raw_request("GET", "/panics", &[("if-none-match", b"\"1\"")], b"");
    let reply = send_raw(server.addr, &request).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.header("etag"), None);
    assert_eq!(reply.header("cache-control"), None);
    assert_eq!(reply.body, b"Service panicked");
    let healthy = server.send(Method::GET, "/healthy", &[], None).await;
    assert_eq!(healthy.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// 6. Private resources: authorization answers first, and a 412 shows no validators.

/// A note: whose it is, its version, its text.
struct Note {
    owner: &'static str,
    version: u64,
    text: String,
}

/// Notes with an owner; the version of a note is its owner's business only.
#[derive(Clone, Default)]
struct Notes {
    rows: Arc<std::sync::Mutex<HashMap<u64, Note>>>,
    /// How many times a `#[conditional]` validator looked a note up.
    validator_runs: Arc<AtomicUsize>,
    /// How many times a handler body ran.
    bodies: Arc<AtomicUsize>,
}

impl Notes {
    fn version(&self, note: &OwnNote) -> u64 {
        self.validator_runs.fetch_add(1, SeqCst);
        note.version
    }
}

/// The caller, from `Authorization: Bearer <name>`: 401 without a known one.
struct Caller {
    name: &'static str,
    may_write: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        match token {
            Some("alice") => Ok(Caller {
                name: "alice",
                may_write: true,
            }),
            Some("bob") => Ok(Caller {
                name: "bob",
                may_write: true,
            }),
            Some("reader") => Ok(Caller {
                name: "reader",
                may_write: false,
            }),
            _ => Err((
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "sign in first",
            )
                .into_response()),
        }
    }
}

/// A caller allowed to write: 403 for a read-only one.
struct Writer(Caller);

impl<S: Send + Sync> FromRequestParts<S> for Writer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.may_write {
            Ok(Writer(caller))
        } else {
            Err((StatusCode::FORBIDDEN, "read-only account").into_response())
        }
    }
}

/// A note of the writer's own. Another user's note is answered exactly like a missing one, so
/// neither its existence nor its version leaks.
struct OwnNote {
    id: u64,
    version: u64,
}

impl<S> FromRequestParts<S> for OwnNote
where
    Notes: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Writer(caller) = Writer::from_request_parts(parts, state).await?;
        let Path(id) = Path::<u64>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let notes = Notes::from_ref(state);
        let rows = notes.rows.lock().unwrap();
        match rows.get(&id) {
            Some(note) if note.owner == caller.name => Ok(OwnNote {
                id,
                version: note.version,
            }),
            _ => Err((StatusCode::NOT_FOUND, "no such note").into_response()),
        }
    }
}

/// Authorization is in the extractors, which run before the validators: 401, 403 and 404 are
/// answered before any precondition is looked at. `expose_validators = false` keeps the
/// current version out of the 412 the owner gets for a stale write.
#[conditional(
    etag = ETag::from_version(notes.version(&note)),
    require = true,
    expose_validators = false
)]
async fn put_note(State(notes): State<Notes>, note: OwnNote, body: String) -> Response {
    notes.bodies.fetch_add(1, SeqCst);
    let mut rows = notes.rows.lock().unwrap();
    let stored = rows.get_mut(&note.id).unwrap();
    if stored.version != note.version {
        return StatusCode::CONFLICT.into_response();
    }
    stored.version += 1;
    stored.text = body;
    ETag::from_version(stored.version).into_response()
}

fn notes_app(notes: Notes) -> Router {
    Router::new()
        .route("/notes/{id}", axum::routing::put(put_note))
        .with_state(notes)
}

async fn notes_server() -> (Server, Notes) {
    let notes = Notes::default();
    let note = Note {
        owner: "alice",
        version: 5,
        text: "alice's note".to_owned(),
    };
    notes.rows.lock().unwrap().insert(1, note);
    (Server::start(notes_app(notes.clone())).await, notes)
}

/// Preconditions that would each give a 412 or a 428 if they were looked at.
const PRECONDITIONS: [&[(&str, &str)]; 5] = [
    &[],
    &[("if-match", "\"4\"")],
    &[("if-match", "*")],
    &[("if-none-match", "*")],
    &[("if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT")],
];

async fn put_text(
    server: &Server,
    path: &str,
    auth: Option<&str>,
    conditions: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut request = server
        .client
        .put(server.url(path))
        .timeout(HANG_GUARD)
        .body("overwrite");
    if let Some(token) = auth {
        request = request.bearer_auth(token);
    }
    for (name, value) in conditions {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn without_credentials_a_write_gets_401_before_any_precondition_is_looked_at() {
    let (server, notes) = notes_server().await;
    for conditions in PRECONDITIONS {
        for token in [None, Some("mallory")] {
            let (status, headers, _) = put_text(&server, "/notes/1", token, conditions).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{conditions:?}");
            assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
            assert!(!headers.contains_key(header::ETAG));
        }
    }
    assert_eq!(notes.validator_runs.load(SeqCst), 0);
    assert_eq!(notes.bodies.load(SeqCst), 0);
}

#[tokio::test]
async fn a_read_only_caller_gets_403_before_any_precondition_is_looked_at() {
    let (server, notes) = notes_server().await;
    for conditions in PRECONDITIONS {
        let (status, headers, _) = put_text(&server, "/notes/1", Some("reader"), conditions).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{conditions:?}");
        assert!(!headers.contains_key(header::ETAG));
    }
    assert_eq!(notes.validator_runs.load(SeqCst), 0);
    assert_eq!(notes.bodies.load(SeqCst), 0);
}

#[tokio::test]
async fn another_users_note_is_answered_exactly_like_a_missing_one() {
    let (server, notes) = notes_server().await;
    for conditions in PRECONDITIONS {
        let theirs = put_text(&server, "/notes/1", Some("bob"), conditions).await;
        let missing = put_text(&server, "/notes/2", Some("bob"), conditions).await;
        assert_eq!(theirs.0, StatusCode::NOT_FOUND, "{conditions:?}");
        assert_eq!((theirs.0, &theirs.2), (missing.0, &missing.2));
        // Every header but `Date`, names and values.
        let fields = |headers: &reqwest::header::HeaderMap| {
            let mut fields: Vec<(String, Vec<u8>)> = headers
                .iter()
                .filter(|(name, _)| *name != header::DATE)
                .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
                .collect();
            fields.sort();
            fields
        };
        assert_eq!(fields(&theirs.1), fields(&missing.1));
    }
    assert_eq!(notes.validator_runs.load(SeqCst), 0);
}

#[tokio::test]
async fn the_owners_stale_write_gets_a_412_that_shows_no_validators() {
    let (server, notes) = notes_server().await;
    let (status, headers, body) =
        put_text(&server, "/notes/1", Some("alice"), &[("if-match", "\"4\"")]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(!headers.contains_key(header::ETAG));
    assert!(!headers.contains_key(header::LAST_MODIFIED));
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["condition"], "If-Match");
    assert_eq!(problem["reason"], "mismatch");
    assert!(problem.get("etag").is_none(), "{problem}");
    assert!(
        !body.contains("\"5\""),
        "the version must not appear: {body}"
    );
    assert_eq!(notes.validator_runs.load(SeqCst), 1);
    assert_eq!(notes.bodies.load(SeqCst), 0);

    // The owner's own current write still works and gets the new tag.
    let (status, headers, _) =
        put_text(&server, "/notes/1", Some("alice"), &[("if-match", "\"5\"")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ETAG], "\"6\"");
}
