//! Load for `scripts/pg-scaling.sh`: concurrent clients doing read → modify → `PUT If-Match`
//! against one or more `documents` instances, each request to the next instance, for a fixed
//! time; prints confirmed writes per second and 412s per second.
//!
//! ```text
//! cargo run --release -p axum-conditional-examples --example pg_scaling -- \
//!     BASES CLIENTS SECONDS DOCUMENTS
//! ```
//!
//! `BASES` is a comma-separated list of `http://127.0.0.1:PORT`; `DOCUMENTS` is how many
//! documents the clients spread over (1: every client on one hot document). The documents are
//! created (ids from 1_000_000 up, `If-None-Match: *`) through the first instance, or reused.

#![allow(clippy::unwrap_used, reason = "a load generator stops on any error")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};

const FIRST_ID: u64 = 1_000_000;

#[derive(Default)]
struct Counts {
    written: AtomicU64,
    refused: AtomicU64,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bases, clients, seconds, documents] = args.as_slice() else {
        eprintln!("usage: pg_scaling BASES CLIENTS SECONDS DOCUMENTS");
        std::process::exit(2);
    };
    let bases: Arc<Vec<String>> = Arc::new(bases.split(',').map(str::to_owned).collect());
    let clients: usize = clients.parse().unwrap();
    let duration = Duration::from_secs(seconds.parse().unwrap());
    let documents: u64 = documents.parse().unwrap();
    let client = Client::new();
    for id in FIRST_ID..FIRST_ID + documents {
        let status = client
            .put(format!("{}/documents/{id}", bases[0]))
            .header(header::IF_NONE_MATCH, "*")
            .json(&json!({ "n": 0 }))
            .send()
            .await
            .unwrap()
            .status();
        assert!(matches!(status.as_u16(), 201 | 412), "create: {status}");
    }
    let counts = Arc::new(Counts::default());
    let end = Instant::now() + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|who| {
            let (client, bases, counts) = (client.clone(), Arc::clone(&bases), Arc::clone(&counts));
            let id = FIRST_ID + who as u64 % documents;
            tokio::spawn(increment(client, bases, counts, id, who, end))
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let secs = duration.as_secs_f64();
    let written = counts.written.load(Ordering::Relaxed) as f64;
    let refused = counts.refused.load(Ordering::Relaxed) as f64;
    println!(
        "instances={} clients={clients} documents={documents} writes/s={:.0} 412/s={:.0}",
        bases.len(),
        written / secs,
        refused / secs
    );
}

async fn increment(
    client: Client,
    bases: Arc<Vec<String>>,
    counts: Arc<Counts>,
    id: u64,
    who: usize,
    end: Instant,
) {
    let mut at = who;
    while Instant::now() < end {
        at = (at + 1) % bases.len();
        let read = client
            .get(format!("{}/documents/{id}", bases[at]))
            .send()
            .await
            .unwrap();
        let tag = read.headers()[header::ETAG].clone();
        let mut body: Value = read.json().await.unwrap();
        body["n"] = json!(body["n"].as_u64().unwrap() + 1);
        at = (at + 1) % bases.len();
        let status = client
            .put(format!("{}/documents/{id}", bases[at]))
            .header(header::IF_MATCH, tag)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        match status {
            StatusCode::OK => counts.written.fetch_add(1, Ordering::Relaxed),
            StatusCode::PRECONDITION_FAILED => counts.refused.fetch_add(1, Ordering::Relaxed),
            other => panic!("PUT: {other}"),
        };
    }
}
