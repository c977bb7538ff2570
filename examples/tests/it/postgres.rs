//! Many instances, one store: three `documents` processes on one throwaway PostgreSQL cluster,
//! 64 concurrent clients spreading read → modify → `PUT If-Match` across them, with delete and
//! re-create churn, and one instance killed in the middle of a second run. Nothing may be lost.
//!
//! The cluster is made by `initdb` in a temporary directory and listens on a free loopback port;
//! PostgreSQL refuses to run as root, so under root (as in CI) it runs as the `postgres` user
//! (`setpriv`, which execs, so the pid the test holds is the server's own). Without the
//! PostgreSQL binaries under `/usr/lib/postgresql/*/bin` the test says so loudly and passes;
//! `scripts/test.sh` installs them.
//!
//! Lost updates are counted exactly: every increment appends its own token to the document's
//! `log`, and each write is based on the body it read, so the final log is the document's whole
//! history. A confirmed write (a 2xx) whose token is missing from it, or present twice, was lost.
//! A write whose connection died with its instance has an unknown outcome: its token may be
//! there or not, but never twice.

use std::collections::{BTreeMap, HashSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::support;

/// What a test says, or fails with under `REQUIRE_E2E=1`, without PostgreSQL.
const NO_POSTGRES: &str = "PostgreSQL not installed (no /usr/lib/postgresql/*/bin/postgres; \
                           apt-get install postgresql, as scripts/test.sh does)";

/// Documents the counting clients increment; several clients share each one.
const COUNTERS: i64 = 8;
/// Clients in all, of which `CHURNERS` delete and re-create documents.
const CLIENTS: usize = 64;
const CHURNERS: usize = 8;
/// Ids the churning clients delete and create again, two clients on each.
const CHURN_IDS: [i64; 4] = [101, 102, 103, 104];
/// Confirmed increments each counting client makes.
const INCREMENTS: usize = 8;
/// Delete-or-create operations each churning client makes.
const CHURN_OPS: usize = 12;

/// A throwaway PostgreSQL cluster, stopped by its pid and removed on drop.
struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    server: Child,
}

impl Cluster {
    /// `None` when PostgreSQL is not installed.
    fn start() -> Option<Cluster> {
        let bin = postgres_bin()?;
        let dir = std::env::temp_dir().join(format!(
            "documents-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            run(Command::new("chown").arg("postgres:").arg(&dir));
        }
        let data = dir.join("data");
        run(unprivileged(&bin.join("initdb"), &dir)
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]));
        let port = free_port();
        let server = postgres(&bin, &dir, port);
        let cluster = Cluster {
            dir,
            bin,
            port,
            server,
        };
        cluster.wait_ready();
        Some(cluster)
    }

    /// Stops the server (SIGINT, PostgreSQL's fast shutdown) and waits until it has exited.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.server.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.server.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("PostgreSQL did not stop");
    }

    /// Starts the server again on the same data and port, and waits until it is ready.
    fn restart(&mut self) {
        self.server = postgres(&self.bin, &self.dir, self.port);
        self.wait_ready();
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success();
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "PostgreSQL did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One value of `sql`, through `psql`: the database's own view, not the service's.
    fn query(&self, sql: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-d", "postgres", "-tAc", sql])
            .output()
            .unwrap();
        assert!(output.status.success(), "psql {sql}: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // SIGINT is PostgreSQL's fast shutdown: its backends end with it.
        let _ = Command::new("kill")
            .args(["-INT", &self.server.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.server.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
        if std::thread::panicking() {
            print_tail(&self.dir.join("postgres.log"));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One `documents` process, killed by its pid on drop.
struct Instance {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Instance {
    fn spawn(cluster: &Cluster, index: usize) -> Instance {
        let port = free_port();
        let log = cluster.dir.join(format!("instance-{index}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_documents"))
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &cluster.url()])
            .env("RUST_LOG", "warn")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        Instance { child, port, log }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until it answers HTTP; fails with its log if it exits first.
    async fn wait_ready(&mut self, client: &Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "instance on port {} exited with {status}:\n{}",
                    self.port,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            let url = format!("{}/documents/0", self.base());
            if let Ok(response) = client.get(url).send().await {
                assert_eq!(response.status(), StatusCode::NOT_FOUND);
                return;
            }
            assert!(Instant::now() < deadline, "instance did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            print_tail(&self.log);
        }
    }
}

/// The cluster's server in `dir`, on `port`, logging to `postgres.log` there (appended to).
fn postgres(bin: &Path, dir: &Path, port: u16) -> Child {
    let path = dir.join("postgres.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    if is_root() {
        run(Command::new("chown").arg("postgres:").arg(&path));
    }
    // Durability is not what these tests are about: no fsync keeps them fast on a busy disk.
    unprivileged(&bin.join("postgres"), dir)
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-p", &port.to_string(), "-k"])
        .arg(dir)
        .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
        .args(["-c", "max_connections=200"])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn print_tail(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(30);
    eprintln!("--- {} (last lines)", path.display());
    for line in &lines[start..] {
        eprintln!("{line}");
    }
}

/// The newest PostgreSQL under Debian's `/usr/lib/postgresql/<major>/bin`.
fn postgres_bin() -> Option<PathBuf> {
    let entries = std::fs::read_dir("/usr/lib/postgresql").ok()?;
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            let complete = ["initdb", "postgres", "pg_isready", "psql"]
                .iter()
                .all(|tool| bin.join(tool).is_file());
            complete.then_some((major, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// `program`, run as the unprivileged `postgres` user when this test runs as root (PostgreSQL
/// refuses root). `setpriv` execs the program, so the child's pid is the program's.
fn unprivileged(program: &Path, dir: &Path) -> Command {
    let mut command = if is_root() {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(program);
        command
    } else {
        Command::new(program)
    };
    command.current_dir(dir);
    command
}

fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{command:?}: {output:?}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The version in a strong tag the service made (`"17"`).
fn version(tag: &str) -> u64 {
    // `"7.ID"`: version 7 as the binary's representation generation renders it.
    let opaque = tag.trim_matches('"');
    opaque
        .split_once('.')
        .map_or(opaque, |(version, _generation)| version)
        .parse()
        .unwrap_or_else(|_| panic!("not a version tag: {tag}"))
}

fn etag_of(response: &reqwest::Response) -> Option<String> {
    let tag = response.headers().get(header::ETAG)?;
    Some(tag.to_str().unwrap().to_owned())
}

/// What the clients saw, shared by all of them.
#[derive(Default)]
struct Observed {
    /// Every version a 2xx write's `ETag` carried, with the document it was for.
    written: Vec<(u64, i64)>,
    /// The token of every confirmed increment, by document.
    confirmed: BTreeMap<i64, Vec<(u64, String)>>,
    /// Increments whose connection failed: applied or not, nobody can tell.
    unknown: HashSet<String>,
    refused: usize,
    churn: usize,
}

/// The instances a client may use, and which of them are gone.
struct Fleet {
    bases: Vec<String>,
    dead: Vec<AtomicBool>,
}

impl Fleet {
    /// The next live instance after `last`: never the same one twice in a row while another
    /// is up.
    fn next(&self, last: &mut usize) -> usize {
        for _ in 0..self.bases.len() {
            *last = (*last + 1) % self.bases.len();
            if !self.dead[*last].load(Ordering::SeqCst) {
                return *last;
            }
        }
        panic!("every instance is gone");
    }
}

/// A counting client: `INCREMENTS` confirmed read → modify → `PUT If-Match` on document `id`,
/// each request to another instance than the one before, retrying on 412.
async fn count(client: Client, fleet: Arc<Fleet>, seen: Arc<Mutex<Observed>>, id: i64, who: usize) {
    let mut last = who % fleet.bases.len();
    let (mut done, mut attempt) = (0, 0);
    while done < INCREMENTS {
        attempt += 1;
        let at = fleet.next(&mut last);
        let url = format!("{}/documents/{id}", fleet.bases[at]);
        let Ok(read) = client.get(&url).send().await else {
            continue;
        };
        assert_eq!(read.status(), StatusCode::OK, "GET {url}");
        let tag = etag_of(&read).unwrap();
        let Ok(mut body) = read.json::<Value>().await else {
            continue;
        };
        // Unique per attempt: a retry after an unknown outcome must not reuse it.
        let token = format!("c{who}-{attempt}");
        body["n"] = json!(body["n"].as_u64().unwrap() + 1);
        body["log"].as_array_mut().unwrap().push(json!(token));

        let at = fleet.next(&mut last);
        let url = format!("{}/documents/{id}", fleet.bases[at]);
        let sent = client
            .put(&url)
            .header(header::IF_MATCH, &tag)
            .json(&body)
            .send()
            .await;
        let Ok(response) = sent else {
            seen.lock().await.unknown.insert(token);
            continue;
        };
        match response.status() {
            StatusCode::OK => {
                let new = version(&etag_of(&response).unwrap());
                assert!(new > version(&tag), "a write went back: {tag} -> {new}");
                let mut seen = seen.lock().await;
                seen.written.push((new, id));
                seen.confirmed.entry(id).or_default().push((new, token));
                done += 1;
            }
            StatusCode::PRECONDITION_FAILED => {
                // The 412 shows the current tag, never one older than the stale one sent.
                let current = etag_of(&response).expect("a 412 on a document that exists");
                assert!(
                    version(&current) >= version(&tag),
                    "412 with {current}, older than the {tag} sent"
                );
                seen.lock().await.refused += 1;
            }
            other => panic!("PUT {url}: {other}"),
        }
    }
}

/// A churning client: deletes document `id` when it exists, creates it when it does not.
async fn churn(client: Client, fleet: Arc<Fleet>, seen: Arc<Mutex<Observed>>, id: i64, who: usize) {
    let mut last = who % fleet.bases.len();
    let mut done = 0;
    while done < CHURN_OPS {
        let at = fleet.next(&mut last);
        let url = format!("{}/documents/{id}", fleet.bases[at]);
        let Ok(read) = client.get(&url).send().await else {
            continue;
        };
        let at = fleet.next(&mut last);
        let url = format!("{}/documents/{id}", fleet.bases[at]);
        let write = match read.status() {
            StatusCode::OK => {
                let tag = etag_of(&read).unwrap();
                client
                    .delete(&url)
                    .header(header::IF_MATCH, tag)
                    .send()
                    .await
            }
            StatusCode::NOT_FOUND => {
                let body = json!({ "churn": who, "op": done });
                client
                    .put(&url)
                    .header(header::IF_NONE_MATCH, "*")
                    .json(&body)
                    .send()
                    .await
            }
            other => panic!("GET {url}: {other}"),
        };
        let Ok(response) = write else {
            continue;
        };
        let mut seen = seen.lock().await;
        match response.status() {
            StatusCode::CREATED => {
                seen.written
                    .push((version(&etag_of(&response).unwrap()), id));
            }
            StatusCode::NO_CONTENT => {}
            StatusCode::PRECONDITION_FAILED => {
                seen.refused += 1;
                continue;
            }
            other => panic!("write {url}: {other}"),
        }
        seen.churn += 1;
        done += 1;
    }
}

/// Creates the counting documents `ids` through the first instance.
async fn create_counters(client: &Client, base: &str, ids: &[i64]) {
    for id in ids {
        let response = client
            .put(format!("{base}/documents/{id}"))
            .header(header::IF_NONE_MATCH, "*")
            .json(&json!({ "n": 0, "log": [] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

/// Runs the 64 clients on the counting documents `ids` and the churn ids; `kill`, when given,
/// runs once a third of the increments are confirmed.
async fn workload(
    client: &Client,
    fleet: &Arc<Fleet>,
    ids: &[i64],
    kill: Option<Box<dyn FnOnce() + Send>>,
) -> Observed {
    let seen = Arc::new(Mutex::new(Observed::default()));
    let mut tasks = Vec::new();
    for who in 0..CLIENTS {
        let (client, fleet, seen) = (client.clone(), Arc::clone(fleet), Arc::clone(&seen));
        if who < CHURNERS {
            let id = CHURN_IDS[who % CHURN_IDS.len()];
            tasks.push(tokio::spawn(churn(client, fleet, seen, id, who)));
        } else {
            let id = ids[who % ids.len()];
            tasks.push(tokio::spawn(count(client, fleet, seen, id, who)));
        }
    }
    if let Some(kill) = kill {
        let target = (CLIENTS - CHURNERS) * INCREMENTS / 3;
        while seen
            .lock()
            .await
            .confirmed
            .values()
            .map(Vec::len)
            .sum::<usize>()
            < target
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        kill();
    }
    for task in tasks {
        task.await.unwrap();
    }
    Arc::try_unwrap(seen).ok().unwrap().into_inner()
}

/// Nothing lost: every confirmed increment is in its document's history exactly once, in the
/// order of its versions, and the count is the history's length.
async fn assert_nothing_lost(client: &Client, base: &str, seen: &Observed, ids: &[i64]) {
    for id in ids {
        let body: Value = client
            .get(format!("{base}/documents/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let log: Vec<&str> = body["log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|token| token.as_str().unwrap())
            .collect();
        assert_eq!(
            body["n"].as_u64().unwrap() as usize,
            log.len(),
            "document {id}"
        );
        let unique: HashSet<&str> = log.iter().copied().collect();
        assert_eq!(
            unique.len(),
            log.len(),
            "document {id}: a write applied twice"
        );
        let mut confirmed = seen.confirmed.get(id).cloned().unwrap_or_default();
        confirmed.sort();
        let in_log: Vec<&str> = log
            .iter()
            .copied()
            .filter(|token| !seen.unknown.contains(*token))
            .collect();
        let by_version: Vec<&str> = confirmed.iter().map(|(_, token)| token.as_str()).collect();
        assert_eq!(
            in_log, by_version,
            "document {id}: the history is not the confirmed writes in version order"
        );
        for token in &log {
            assert!(
                by_version.contains(token) || seen.unknown.contains(*token),
                "document {id}: {token} was never sent"
            );
        }
    }
    let mut versions: Vec<u64> = seen.written.iter().map(|(version, _)| *version).collect();
    versions.sort_unstable();
    let before = versions.len();
    versions.dedup();
    assert_eq!(versions.len(), before, "a version was given to two writes");
}

/// Every instance sends the same bytes of `ETag` and `Last-Modified` (and body) for `path`.
async fn assert_instances_agree(client: &Client, bases: &[&str], path: &str) -> (String, String) {
    let mut answers = Vec::new();
    for base in bases {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        let headers = response.headers().clone();
        let get = |name| headers.get(name).unwrap().as_bytes().to_vec();
        let (tag, date) = (get(header::ETAG), get(header::LAST_MODIFIED));
        answers.push((tag, date, response.bytes().await.unwrap()));
    }
    for answer in &answers[1..] {
        assert_eq!(answer, &answers[0], "{path}: the instances disagree");
    }
    let (tag, date, _) = &answers[0];
    (
        String::from_utf8(tag.clone()).unwrap(),
        String::from_utf8(date.clone()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_postgres_lose_no_update() {
    let Some(cluster) = Cluster::start() else {
        support::e2e::missing(NO_POSTGRES);
        return;
    };
    let client = Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    // All three at once on an empty database: their schema creations must not collide.
    let mut instances: Vec<Instance> = (0..3).map(|i| Instance::spawn(&cluster, i)).collect();
    for instance in &mut instances {
        instance.wait_ready(&client).await;
    }
    let bases: Vec<String> = instances.iter().map(Instance::base).collect();
    let fleet = Arc::new(Fleet {
        bases: bases.clone(),
        dead: (0..3).map(|_| AtomicBool::new(false)).collect(),
    });

    // Run 1: all three up.
    let ids: Vec<i64> = (1..=COUNTERS).collect();
    create_counters(&client, &bases[0], &ids).await;
    let first = workload(&client, &fleet, &ids, None).await;
    assert!(first.unknown.is_empty(), "no instance was stopped");
    assert_nothing_lost(&client, &bases[1], &first, &ids).await;
    let confirmed: usize = first.confirmed.values().map(Vec::len).sum();
    assert_eq!(confirmed, (CLIENTS - CHURNERS) * INCREMENTS);
    assert!(
        first.refused > 0,
        "64 clients on 8 documents never collided"
    );

    // The same state gives the same validators on every instance, from the database's row.
    let all: Vec<&str> = bases.iter().map(String::as_str).collect();
    for id in &ids {
        let (tag, date) = assert_instances_agree(&client, &all, &format!("/documents/{id}")).await;
        let sql = format!("SELECT version || ' ' || updated_at_ms FROM documents WHERE id = {id}");
        let row = cluster.query(&sql);
        let (stored_version, stored_ms) = row.split_once(' ').unwrap();
        // `"7.ID"`: the version, as the binary's representation generation renders it.
        assert_eq!(version(&tag).to_string(), stored_version);
        let stored = std::time::UNIX_EPOCH + Duration::from_millis(stored_ms.parse().unwrap());
        assert_eq!(date, httpdate::fmt_http_date(stored));
    }
    assert_instances_agree(&client, &all, "/documents").await;

    // A refused write changes no row: a stale tag, through each instance, leaves it as it is.
    let stale = first.confirmed[&1]
        .iter()
        .map(|(version, _)| *version)
        .min()
        .unwrap();
    let before = cluster.query("SELECT version || ' ' || body FROM documents WHERE id = 1");
    for base in &bases {
        let response = client
            .put(format!("{base}/documents/1"))
            .header(header::IF_MATCH, format!("\"{stale}\""))
            .json(&json!({ "n": 0, "log": ["stale"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    }
    assert_eq!(
        cluster.query("SELECT version || ' ' || body FROM documents WHERE id = 1"),
        before
    );

    // Run 2: instance 1 is killed once a third of the increments are in.
    let ids: Vec<i64> = (11..=10 + COUNTERS).collect();
    create_counters(&client, &bases[0], &ids).await;
    let victim = Arc::new(std::sync::Mutex::new(instances.remove(1)));
    let killed = Arc::new(AtomicUsize::new(0));
    let kill = {
        let (victim, fleet, killed) =
            (Arc::clone(&victim), Arc::clone(&fleet), Arc::clone(&killed));
        Box::new(move || {
            let mut victim = victim.lock().unwrap();
            victim.child.kill().unwrap();
            victim.child.wait().unwrap();
            fleet.dead[1].store(true, Ordering::SeqCst);
            killed.store(1, Ordering::SeqCst);
        }) as Box<dyn FnOnce() + Send>
    };
    let second = workload(&client, &fleet, &ids, Some(kill)).await;
    assert_eq!(killed.load(Ordering::SeqCst), 1);
    assert_nothing_lost(&client, &bases[0], &second, &ids).await;
    let confirmed: usize = second.confirmed.values().map(Vec::len).sum();
    assert_eq!(confirmed, (CLIENTS - CHURNERS) * INCREMENTS);
    let live = [bases[0].as_str(), bases[2].as_str()];
    for id in &ids {
        assert_instances_agree(&client, &live, &format!("/documents/{id}")).await;
    }

    // The closing figures (`cargo test … -- --nocapture` shows them).
    for (run, seen) in [("run 1", &first), ("run 2, instance killed", &second)] {
        let increments: usize = seen.confirmed.values().map(Vec::len).sum();
        println!(
            "{run}: {CLIENTS} clients, {} confirmed writes ({increments} increments), \
             {} refused with 412, {} churn operations, {} writes of unknown outcome, \
             0 lost updates",
            seen.written.len(),
            seen.refused,
            seen.churn,
            seen.unknown.len()
        );
    }
}

/// `POST` on one instance; the `Location` it answers with.
async fn post(client: &Client, base: &str) -> String {
    let response = client
        .post(format!("{base}/documents"))
        .json(&json!({ "posted": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_a_client_chooses_are_bounded_and_post_allocates_above_them() {
    let Some(cluster) = Cluster::start() else {
        support::e2e::missing(NO_POSTGRES);
        return;
    };
    let client = Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut first = Instance::spawn(&cluster, 0);
    first.wait_ready(&client).await;
    let base = first.base();

    // Past 2^53 - 1 a client may not choose, as on SQLite.
    for id in ["9223372036854775807", "9007199254740992", "0"] {
        let response = client
            .put(format!("{base}/documents/{id}"))
            .header(header::IF_NONE_MATCH, "*")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "id {id}");
    }
    assert_eq!(cluster.query("SELECT count(*) FROM documents"), "0");

    // A chosen id moves the allocator past it: `POST` never walks over the ids clients took
    // (it used to try each in turn, one conflict per id, in one transaction).
    create_counters(&client, &base, &[1000]).await;
    assert_eq!(post(&client, &base).await, "/documents/1001");
    create_counters(&client, &base, &[10]).await;
    assert_eq!(post(&client, &base).await, "/documents/1002");

    // A database written before this rule, with ids the sequence is behind: an instance
    // starting on it moves the sequence past them.
    cluster.query(
        "INSERT INTO documents (id, body, version, updated_at_ms) \
         VALUES (5000, '{}', nextval('versions'), 0) RETURNING id",
    );
    let mut second = Instance::spawn(&cluster, 1);
    second.wait_ready(&client).await;
    assert_eq!(post(&client, &second.base()).await, "/documents/5001");

    // The largest id a client may choose is created, and `POST` still has ids above it.
    create_counters(&client, &base, &[9_007_199_254_740_991]).await;
    assert_eq!(post(&client, &base).await, "/documents/9007199254740992");
}

/// A process's peak resident memory so far (`VmHWM`), in MiB.
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_reach_postgres_without_sitting_whole_in_memory() {
    let Some(cluster) = Cluster::start() else {
        support::e2e::missing(NO_POSTGRES);
        return;
    };
    let client = Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    let mut instance = Instance::spawn(&cluster, 0);
    instance.wait_ready(&client).await;
    let base = instance.base();
    const LENGTH: usize = 128 * 1024 * 1024;
    let bytes = axum::body::Bytes::from((0..LENGTH).map(|i| (i % 251) as u8).collect::<Vec<u8>>());

    // 4 concurrent 128 MiB uploads, stored: 512 MiB through the instance.
    let mut uploads = Vec::new();
    for _ in 0..4 {
        let document = post(&client, &base).await;
        let request = client
            .put(format!("{base}{document}/attachment"))
            .header(header::IF_NONE_MATCH, "*")
            .body(bytes.clone());
        uploads.push((document, tokio::spawn(request.send())));
    }
    for (document, upload) in uploads {
        let response = upload.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{document}");
        let tail = client
            .get(format!("{base}{document}/attachment"))
            .header(header::RANGE, format!("bytes={}-", LENGTH - 8))
            .send()
            .await
            .unwrap();
        assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(tail.bytes().await.unwrap(), bytes.slice(LENGTH - 8..));
    }
    // The large objects the uploads were staged in are gone.
    assert_eq!(
        cluster.query("SELECT count(*) FROM pg_largeobject_metadata"),
        "0"
    );
    let peak = peak_mib(instance.child.id());
    println!(
        "peak resident memory (VmHWM) of the instance: {peak} MiB after 4 concurrent 128 MiB uploads"
    );
    assert!(peak < 256, "{peak} MiB");
}

/// Confirmed increments each client of the outage test makes.
const OUTAGE_INCREMENTS: usize = 12;

/// A counting client that goes on through a database outage: every answer is a 2xx, a 412, or
/// a 503 with `Retry-After` (counted in `unavailable`); a write answered 503 has an unknown
/// outcome. Anything else fails the test.
async fn count_through_outage(
    client: Client,
    base: String,
    seen: Arc<Mutex<Observed>>,
    unavailable: Arc<AtomicUsize>,
    id: i64,
    who: usize,
) {
    let (mut done, mut attempt) = (0, 0);
    let url = format!("{base}/documents/{id}");
    let is_503 = |response: &reqwest::Response| {
        if response.status() != StatusCode::SERVICE_UNAVAILABLE {
            return false;
        }
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        unavailable.fetch_add(1, Ordering::SeqCst);
        true
    };
    while done < OUTAGE_INCREMENTS {
        attempt += 1;
        let read = client
            .get(&url)
            .send()
            .await
            .expect("the instance hung or went away");
        if is_503(&read) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        assert_eq!(read.status(), StatusCode::OK, "GET {url}");
        let tag = etag_of(&read).unwrap();
        let mut body: Value = read.json().await.unwrap();
        let token = format!("o{who}-{attempt}");
        body["n"] = json!(body["n"].as_u64().unwrap() + 1);
        body["log"].as_array_mut().unwrap().push(json!(token));
        let response = client
            .put(&url)
            .header(header::IF_MATCH, &tag)
            .json(&body)
            .send()
            .await
            .expect("the instance hung or went away");
        if is_503(&response) {
            seen.lock().await.unknown.insert(token);
            continue;
        }
        match response.status() {
            StatusCode::OK => {
                let new = version(&etag_of(&response).unwrap());
                let mut seen = seen.lock().await;
                seen.written.push((new, id));
                seen.confirmed.entry(id).or_default().push((new, token));
                done += 1;
            }
            StatusCode::PRECONDITION_FAILED => seen.lock().await.refused += 1,
            other => panic!("PUT {url}: {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_gets_503_meanwhile_and_loses_no_confirmed_write() {
    let Some(mut cluster) = Cluster::start() else {
        support::e2e::missing(NO_POSTGRES);
        return;
    };
    // A deadline per request: a hang while the database is down fails the test.
    let client = Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut instance = Instance::spawn(&cluster, 0);
    instance.wait_ready(&client).await;
    let base = instance.base();
    let ids: Vec<i64> = (1..=4).collect();
    create_counters(&client, &base, &ids).await;

    let seen = Arc::new(Mutex::new(Observed::default()));
    let unavailable = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..16)
        .map(|who| {
            let id = ids[who % ids.len()];
            let (client, base) = (client.clone(), base.clone());
            let (seen, unavailable) = (Arc::clone(&seen), Arc::clone(&unavailable));
            tokio::spawn(count_through_outage(
                client,
                base,
                seen,
                unavailable,
                id,
                who,
            ))
        })
        .collect();
    let confirmed = |seen: &Observed| seen.confirmed.values().map(Vec::len).sum::<usize>();
    let deadline = Instant::now() + Duration::from_secs(120);
    while confirmed(&*seen.lock().await) < 16 * OUTAGE_INCREMENTS / 4 {
        assert!(Instant::now() < deadline, "no progress before the outage");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The database goes away in the middle of the load, and comes back once the clients
    // have been told 503 a few dozen times.
    cluster.stop();
    let before = confirmed(&*seen.lock().await);
    while unavailable.load(Ordering::SeqCst) < 32 {
        assert!(
            Instant::now() < deadline,
            "no 503 while the database was down"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        confirmed(&*seen.lock().await),
        before,
        "a write was confirmed while the database was down"
    );
    cluster.restart();
    // The instance was not restarted: it reconnects by itself, and the clients finish.
    for task in clients {
        task.await.unwrap();
    }
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner();
    assert_nothing_lost(&client, &base, &seen, &ids).await;
    println!(
        "database restarted under 16 clients: {} confirmed writes, {} answers 503 with \
         Retry-After while it was down, {} writes of unknown outcome, 0 lost, 0 applied twice",
        confirmed(&seen),
        unavailable.load(Ordering::SeqCst),
        seen.unknown.len()
    );
}
