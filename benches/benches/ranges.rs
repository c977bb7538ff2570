//! A 4 KiB range of a 64 MiB attachment (the `documents` example, on a SQLite file): served by
//! the example's `ranges = true` route, which reads the range at its offset in the blob
//! (`ranged-read`), against a `ranges = true` route that loads the whole blob and lets the
//! runtime slice the range out of it (`whole-then-slice`). Each request goes through a real
//! `Router` with `tower::ServiceExt::oneshot`; the ranges move across the blob, so no request
//! finds its pages cached by the one before.
//!
//! `cargo bench -p axum-conditional-benches --bench ranges -- --warm-up-time 1 --measurement-time 5`
//!
//! After criterion's lines it prints, from this run, the median time per request and the bytes
//! the process read from the database files per request (`rchar` of `/proc/self/io`: every
//! `read`/`pread` SQLite makes, whether the OS had the file cached or not), and both ratios.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use axum_conditional::{ETag, conditional};
use axum_conditional_benches::report;
use axum_conditional_examples::documents::{
    app,
    store::{AttachmentWrite, Pinned, Store, Write},
};
use criterion::Criterion;
use tower::ServiceExt as _;

const GROUP: &str = "ranges";
const SIZE: usize = 64 * 1024 * 1024;
const RANGE: usize = 4096;

#[derive(Clone)]
struct Whole {
    store: Store,
    pinned: Pinned,
}

/// The baseline: the same validators and `ranges = true`, but the whole blob is loaded and the
/// runtime slices the range out of it.
#[conditional(etag = Some(ETag::from_version(whole.pinned.version)), ranges = true)]
async fn whole_then_slice(State(whole): State<Whole>) -> Result<Bytes, StatusCode> {
    match whole.store.read_attachment(whole.pinned).await {
        Ok(Some(bytes)) => Ok(Bytes::from(bytes)),
        _ => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// The database file, removed on drop.
struct Database(PathBuf);

impl Drop for Database {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn must<T, E: std::fmt::Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what}: {error:?}"),
    }
}

/// A store on a new file with one document whose attachment is `SIZE` varied bytes.
async fn setup(path: &std::path::Path) -> (Store, Pinned) {
    let store = must(Store::open(path), "open the store");
    let Write::Applied(document) =
        must(store.insert(serde_json::Value::Null, None).await, "insert")
    else {
        panic!("the insert was refused");
    };
    let bytes: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let kind = "application/octet-stream".to_owned();
    let stored = must(
        store.put_attachment(document.id, None, kind, bytes).await,
        "put",
    );
    let AttachmentWrite::Applied(meta) = stored else {
        panic!("the attachment was refused: {stored:?}");
    };
    let pinned = Pinned {
        id: document.id,
        version: meta.version,
    };
    (store, pinned)
}

/// The `n`th request's range: spread over the whole blob, never twice the same pages in a row.
fn range(n: u64) -> (usize, String) {
    let slots = (SIZE / RANGE) as u64;
    let first = ((n.wrapping_mul(7_919) % slots) as usize) * RANGE;
    (first, format!("bytes={first}-{}", first + RANGE - 1))
}

/// Sends the `n`th range request to `router`; checks it is the 206 of exactly those bytes.
async fn request(router: &Router, uri: &str, n: u64) -> Bytes {
    let (first, value) = range(n);
    let request = Request::get(uri)
        .header(header::RANGE, value)
        .body(Body::empty());
    let response = must(
        router.clone().oneshot(must(request, "request")).await,
        "respond",
    );
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    let body = must(
        axum::body::to_bytes(response.into_body(), RANGE).await,
        "body",
    );
    assert_eq!(body.len(), RANGE);
    assert_eq!(
        usize::from(body[0]),
        first % 251,
        "the range starts at the wrong offset"
    );
    body
}

/// Bytes the process has read with `read`-like system calls so far (`rchar`).
fn bytes_read() -> u64 {
    let io = must(
        std::fs::read_to_string("/proc/self/io"),
        "read /proc/self/io",
    );
    io.lines()
        .find_map(|line| line.strip_prefix("rchar: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rchar in /proc/self/io"))
}

fn main() {
    let runtime = axum_conditional_benches::scenario::runtime();
    let path = std::env::temp_dir().join(format!("ranges-bench-{}.db", std::process::id()));
    let _database = Database(path.clone());
    let (store, pinned) = runtime.block_on(setup(&path));
    let uri = format!("/documents/{}/attachment", pinned.id);
    let paths = [
        ("ranged-read", app(store.clone()), uri.as_str()),
        (
            "whole-then-slice",
            Router::new()
                .route("/whole", get(whole_then_slice))
                .with_state(Whole { store, pinned }),
            "/whole",
        ),
    ];

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group(GROUP);
    group.sample_size(10);
    group.sampling_mode(criterion::SamplingMode::Flat);
    let mut read_per_request = Vec::new();
    for (name, router, uri) in &paths {
        // The bytes read, over requests that each ask for other pages.
        const COUNTED: u64 = 20;
        runtime.block_on(request(router, uri, 0));
        let before = bytes_read();
        for n in 1..=COUNTED {
            black_box(runtime.block_on(request(router, uri, n)));
        }
        read_per_request.push((*name, (bytes_read() - before) / COUNTED));
        let mut n = COUNTED;
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        n += 1;
                        black_box(request(router, uri, n).await);
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();
    criterion.final_summary();

    println!("\n{GROUP}: a 4 KiB range of a 64 MiB attachment, per request (this run)");
    let mut medians = Vec::new();
    for (name, read) in &read_per_request {
        let median = report::median(GROUP, name);
        let time = median
            .as_ref()
            .map_or("-".to_owned(), |m| report::human(m.point));
        println!("  {name:<18} {time:>12}  {read:>12} bytes read");
        medians.push(median.map(|m| m.point));
    }
    if let ([(_, ranged), (_, whole)], [Some(fast), Some(slow)]) =
        (read_per_request.as_slice(), medians.as_slice())
    {
        println!(
            "\n{GROUP}: whole-then-slice / ranged-read = {:.0}× the bytes read, {:.0}× the time",
            *whole as f64 / (*ranged).max(1) as f64,
            slow / fast
        );
    }
}
