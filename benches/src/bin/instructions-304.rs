//! Instructions a server process executes per request over HTTP/1.1 keep-alive, on the 304
//! path and the 200 path, for `#[conditional]` beside the same route written by hand (the
//! issue's "The 304 path at the limit"; BENCHMARKS.md item 6).
//!
//! ```text
//! cargo build --release -p axum-conditional-benches --bin instructions-304
//! target/release/instructions-304             # every handler under callgrind, then the ratios
//! target/release/instructions-304 500         # N = 500 (the default is 2000)
//! target/release/instructions-304 serve typed # one server alone (prints its address)
//! INSTRUCTIONS_304_ONLY=conditional,compressed,tower-http target/release/instructions-304
//! ```
//!
//! The server is axum on `127.0.0.1`, on a current-thread tokio runtime (one thread, so that the
//! count does not depend on how work is spread over threads), with one handler at `/r` and
//! `/quit`: the same router and the same request bytes whichever handler is measured, since
//! routing and parsing cost more for a longer path or a route further down the table. For each
//! handler this program starts the server under `valgrind --tool=callgrind` twice, sends on one
//! keep-alive connection `N` requests to the first and `2N` to the second, then `GET /quit`
//! (with `Connection: close`), which shuts the server down. The two processes do the same
//! start-up, the same connection and the same shutdown, so the difference of their totals,
//! divided by `N`, is what one more request costs the server: parsing it, routing, the handler,
//! writing the response. The client is this program, outside valgrind; every response is
//! checked (status, `ETag`, body) before it counts.
//!
//! The handlers, each answering with a 5-byte body `hello` when it answers 200:
//!
//! - `limit`: a hand-written 304 that checks nothing: the status and the tag, `"7"`, as a
//!   static header value. Nothing that computes or checks a tag can cost less.
//! - `bare`: a bare handler with no extractor, returning the body (the 200 path's floor).
//! - `limit-tag` and `bare-tag`: the same two with the tag built by `ETag::from_version`
//!   instead of static bytes: `(StatusCode::NOT_MODIFIED, tag)` and `(tag, body)`. A dynamic
//!   tag costs an allocation and a header value check that a static one does not, on every
//!   route whose tag comes from a version; these rows show how much, and what `#[conditional]`
//!   costs beyond it.
//! - `typed`: the check by hand with axum-extra's `TypedHeader<IfNoneMatch>`: the tag parsed
//!   into a `headers::ETag` from the version, `precondition_passes`, then a 304 with the tag or
//!   the body with the tag.
//! - `conditional`: `#[conditional(etag = ETag::from_version(n))]` on the bare handler.
//! - `compressed`: the same route behind `ConditionalCompressionLayer` (tower-http's
//!   compression with a tag per content-coding), revalidated as a gzip variant
//!   (`If-None-Match: "7~gzip"`, answered with that tag) and as the identity one (a request
//!   negotiating identity, `Accept-Encoding: identity`). The rows `(c')` and `(d)` both send
//!   `Accept-Encoding: gzip`, so the request bytes differ only by the tag; `(d) / (c')` is what
//!   the compressed route's 304 costs beyond the uncompressed one (goal: within 3%).
//!
//! The version `n` is 7, read from an atomic on every request, as a validator would read it.
//! The callgrind output files are kept under `target/instructions-304/` for
//! `callgrind_annotate --inclusive=yes`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_conditional::compression::ConditionalCompressionLayer;
use axum_conditional::{ETag, conditional};
use axum_extra::TypedHeader;
use axum_extra::headers::{self, IfNoneMatch};

/// The resource's version: what every route's tag is made from.
static VERSION: AtomicU64 = AtomicU64::new(7);

/// `VERSION`'s tag, as sent.
const TAG: &str = "\"7\"";

/// What every route answers with on the 200 path.
const BODY: &str = "hello";

/// Requests in the first run of each route; the second sends twice as many.
const DEFAULT_REQUESTS: u64 = 2000;

fn version() -> u64 {
    VERSION.load(Ordering::Relaxed)
}

async fn limit() -> Response {
    (
        StatusCode::NOT_MODIFIED,
        [(header::ETAG, HeaderValue::from_static(TAG))],
    )
        .into_response()
}

async fn bare() -> &'static str {
    BODY
}

async fn limit_with_tag() -> Response {
    (StatusCode::NOT_MODIFIED, ETag::from_version(version())).into_response()
}

async fn bare_with_tag() -> Response {
    (ETag::from_version(version()), BODY).into_response()
}

async fn typed(if_none_match: Option<TypedHeader<IfNoneMatch>>) -> Response {
    let Ok(etag) = format!("\"{}\"", version()).parse::<headers::ETag>() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Some(TypedHeader(if_none_match)) = if_none_match
        && !if_none_match.precondition_passes(&etag)
    {
        return (StatusCode::NOT_MODIFIED, TypedHeader(etag)).into_response();
    }
    (TypedHeader(etag), BODY).into_response()
}

#[conditional(etag = ETag::from_version(version()))]
async fn conditional() -> &'static str {
    BODY
}

/// The router of one server: the handler named `handler` at `/r`, and `/quit`. Every server
/// has a router of the same shape and every request the same path, so that routing costs the
/// same whichever handler is measured.
fn app(handler: &str, quit: Arc<tokio::sync::Notify>) -> Option<Router> {
    let route = match handler {
        "limit" => get(limit),
        "limit-tag" => get(limit_with_tag),
        "bare" => get(bare),
        "bare-tag" => get(bare_with_tag),
        "typed" => get(typed),
        "conditional" | "compressed" | "tower-http" => get(conditional),
        _ => return None,
    };
    let quit = get(move || async move {
        quit.notify_one();
        "bye"
    });
    let router = Router::new().route("/r", route).route("/quit", quit);
    if handler == "compressed" {
        return Some(router.layer(ConditionalCompressionLayer::new()));
    }
    if handler == "tower-http" {
        return Some(router.layer(tower_http::compression::CompressionLayer::new()));
    }
    Some(router)
}

/// The server: prints `listening on ADDR` and serves `handler` until `GET /quit`.
fn serve(handler: &str) -> ExitCode {
    let quit = Arc::new(tokio::sync::Notify::new());
    let Some(app) = app(handler, Arc::clone(&quit)) else {
        eprintln!("no handler {handler:?}");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on {}", listener.local_addr()?);
        std::io::stdout().flush()?;
        let shutdown = async move { quit.notified().await };
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One measured route and path.
struct Case {
    path: &'static str,
    label: &'static str,
    handler: &'static str,
    /// Header lines the request adds (each ending in CRLF).
    headers: &'static str,
    /// The `ETag` the response carries.
    tag: &'static str,
    expect: Expect,
}

const INM: &str = "if-none-match: \"7\"\r\n";
const INM_GZIP: &str = "if-none-match: \"7\"\r\naccept-encoding: gzip\r\n";

/// What a response to a case must be.
#[derive(Clone, Copy)]
enum Expect {
    /// 304 with the tag, no body.
    NotModified,
    /// 200 with the body and the tag.
    Tagged,
    /// 200 with the body and no tag.
    Untagged,
}

const CASES: &[Case] = &[
    Case {
        path: "304",
        label: "(a) limit: hand-written 304, checks nothing",
        handler: "limit",
        headers: INM,
        tag: TAG,
        expect: Expect::NotModified,
    },
    Case {
        path: "304",
        label: "(a') the limit, tag from ETag::from_version",
        handler: "limit-tag",
        headers: INM,
        tag: TAG,
        expect: Expect::NotModified,
    },
    Case {
        path: "304",
        label: "(b) by hand, TypedHeader<IfNoneMatch>",
        handler: "typed",
        headers: INM,
        tag: TAG,
        expect: Expect::NotModified,
    },
    Case {
        path: "304",
        label: "(c) #[conditional]",
        handler: "conditional",
        headers: INM,
        tag: TAG,
        expect: Expect::NotModified,
    },
    Case {
        path: "304",
        label: "(c') #[conditional], Accept-Encoding: gzip",
        handler: "conditional",
        headers: INM_GZIP,
        tag: TAG,
        expect: Expect::NotModified,
    },
    Case {
        path: "304",
        label: "(d) compressed, gzip variant \"7~gzip\"",
        handler: "compressed",
        headers: "if-none-match: \"7~gzip\"\r\naccept-encoding: gzip\r\n",
        tag: "\"7~gzip\"",
        expect: Expect::NotModified,
    },
    Case {
        path: "304",
        label: "(d') compressed, identity variant \"7\"",
        handler: "compressed",
        headers: "if-none-match: \"7\"\r\naccept-encoding: identity\r\n",
        tag: TAG,
        expect: Expect::NotModified,
    },
    Case {
        path: "304",
        label: "(e) tower-http's CompressionLayer alone, \"7\"",
        handler: "tower-http",
        headers: INM_GZIP,
        tag: TAG,
        expect: Expect::NotModified,
    },
    Case {
        path: "200",
        label: "(a) bare handler, no extractor",
        handler: "bare",
        headers: "",
        tag: TAG,
        expect: Expect::Untagged,
    },
    Case {
        path: "200",
        label: "(a') bare, plus ETag::from_version",
        handler: "bare-tag",
        headers: "",
        tag: TAG,
        expect: Expect::Tagged,
    },
    Case {
        path: "200",
        label: "(b) by hand, TypedHeader<IfNoneMatch>",
        handler: "typed",
        headers: "",
        tag: TAG,
        expect: Expect::Tagged,
    },
    Case {
        path: "200",
        label: "(c) #[conditional]",
        handler: "conditional",
        headers: "",
        tag: TAG,
        expect: Expect::Tagged,
    },
];

/// The goals of the issue: (path, bound on (c)/(a)).
const GOALS: &[(&str, f64)] = &[("304", 1.03), ("200", 1.05)];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [mode, handler] if mode == "serve" => serve(handler),
        [] => measure_all(DEFAULT_REQUESTS),
        [count] => match count.parse::<u64>() {
            Ok(n) if n > 0 => measure_all(n),
            _ => usage(),
        },
        _ => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: instructions-304 [N | serve HANDLER]");
    ExitCode::from(2)
}

fn measure_all(n: u64) -> ExitCode {
    let Ok(me) = std::env::current_exe() else {
        eprintln!("cannot find this program's path");
        return ExitCode::FAILURE;
    };
    let out_dir = out_dir(&me);
    if let Err(error) = std::fs::create_dir_all(&out_dir) {
        eprintln!("cannot create {}: {error}", out_dir.display());
        return ExitCode::FAILURE;
    }
    println!(
        "instructions executed by the server per request (valgrind --tool=callgrind; \
         ({n2} requests - {n} requests) / {n}, one keep-alive connection)",
        n2 = 2 * n
    );
    // `INSTRUCTIONS_304_ONLY=compressed,conditional`: only these handlers' rows.
    let only = std::env::var("INSTRUCTIONS_304_ONLY").ok();
    let selected = |case: &&Case| {
        only.as_deref()
            .is_none_or(|only| only.split(',').any(|handler| handler == case.handler))
    };
    let mut figures = Vec::new();
    for case in CASES.iter().filter(selected) {
        let mut totals = [0u64; 2];
        for (total, count) in totals.iter_mut().zip([n, 2 * n]) {
            let file = out_dir.join(format!("{}-{}-{count}.out", case.path, case.handler));
            match run_server(&me, &file, case, count) {
                Ok(instructions) => *total = instructions,
                Err(error) => {
                    eprintln!("{} {}: {error}", case.path, case.handler);
                    return ExitCode::FAILURE;
                }
            }
        }
        let per_request = totals[1].saturating_sub(totals[0]) as f64 / n as f64;
        figures.push((case, per_request));
    }
    report(&figures, &out_dir);
    ExitCode::SUCCESS
}

fn out_dir(me: &Path) -> PathBuf {
    // `target/release/instructions-304` → `target/instructions-304/`.
    me.parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        .join("instructions-304")
}

fn report(figures: &[(&Case, f64)], out_dir: &Path) {
    let mut budgets: Vec<(String, f64)> = Vec::new();
    for (path, goal) in GOALS {
        println!("\n{path} path");
        let of = |prefix: &str| {
            figures
                .iter()
                .find(|(case, _)| case.path == *path && case.label.starts_with(prefix))
                .map(|(_, count)| *count)
        };
        for (case, count) in figures.iter().filter(|(case, _)| case.path == *path) {
            println!("  {:<46} {:>9.0}", case.label, count);
        }
        // Each ratio whose two rows ran (`INSTRUCTIONS_304_ONLY` may leave some out).
        let met = |ok: bool| if ok { "met" } else { "NOT met" };
        if let (Some(a), Some(c)) = (of("(a)"), of("(c)")) {
            println!(
                "  (c) / (a) {:>8.3}   goal <= {goal}: {}",
                c / a,
                met(c / a <= *goal)
            );
            budgets.push((format!("http/{path}/conditional-over-floor"), c / a));
        }
        if let (Some(a), Some(b), Some(c)) = (of("(a)"), of("(b)"), of("(c)")) {
            let below = if *path == "304" {
                format!(
                    "   goal < 1 (below the hand-written version): {}",
                    met(c < b)
                )
            } else {
                String::new()
            };
            println!("  (c) / (b) {:>8.3}{below}", c / b);
            println!("  (b) / (a) {:>8.3}", b / a);
        }
        if let (Some(a_tag), Some(c)) = (of("(a')"), of("(c)")) {
            println!(
                "  (c) / (a') {:>7.3}   (the tag's cost left out)",
                c / a_tag
            );
        }
        if let (Some(c_gzip), Some(d), Some(d_identity)) = (of("(c')"), of("(d)"), of("(d')")) {
            println!(
                "  (d) / (c') {:>7.3}   goal <= 1.03 (compressed route, gzip variant): {}",
                d / c_gzip,
                met(d / c_gzip <= 1.03)
            );
            budgets.push((
                "http/304/compressed-over-uncompressed".to_owned(),
                d / c_gzip,
            ));
            println!(
                "  (d') / (c') {:>6.3}   (compressed route, identity variant)",
                d_identity / c_gzip
            );
            if let Some(e) = of("(e)") {
                println!(
                    "  (e) / (c') {:>7.3}   (tower-http's layer alone)",
                    e / c_gzip
                );
                println!(
                    "  (d) / (e) {:>8.3}   (this crate's layer against tower-http's alone)",
                    d / e
                );
            }
        }
    }
    // The lines `scripts/budgets.sh` reads: `budget <name> <ratio>`.
    for (name, ratio) in &budgets {
        println!("budget {name} {ratio:.4}");
    }
    println!("\ncallgrind files: {}", out_dir.display());
}

/// Runs the server under callgrind, sends `count` requests of `case` and `GET /quit`, and
/// gives the instructions the whole process executed.
fn run_server(me: &Path, file: &Path, case: &Case, count: u64) -> Result<u64, String> {
    let mut child = Command::new("valgrind")
        .args(["--tool=callgrind", "-q"])
        .arg(format!("--callgrind-out-file={}", file.display()))
        .arg(me)
        .args(["serve", case.handler])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| {
            format!("cannot run valgrind ({error}); install it: apt-get install -y valgrind")
        })?;
    let result = drive(&mut child, case, count);
    if result.is_err() {
        // Our own child: stopped by its handle, never by name.
        let _ = child.kill();
    }
    let status = child.wait().map_err(|error| error.to_string())?;
    result?;
    if !status.success() {
        return Err(format!("the server exited with {status}"));
    }
    total_instructions(file)
}

fn drive(child: &mut Child, case: &Case, count: u64) -> Result<(), String> {
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|error| error.to_string())?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| format!("unexpected first line from the server: {line:?}"))?;
    let stream = TcpStream::connect(addr).map_err(|error| error.to_string())?;
    stream
        .set_nodelay(true)
        .map_err(|error| error.to_string())?;
    let mut reader = BufReader::new(stream.try_clone().map_err(|error| error.to_string())?);
    let mut writer = stream;
    let request = format!("GET /r HTTP/1.1\r\nhost: localhost\r\n{}\r\n", case.headers);
    for _ in 0..count {
        writer
            .write_all(request.as_bytes())
            .map_err(|error| error.to_string())?;
        check(&read_response(&mut reader)?, case)?;
    }
    let quit = "GET /quit HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n";
    writer
        .write_all(quit.as_bytes())
        .map_err(|error| error.to_string())?;
    read_response(&mut reader)?;
    Ok(())
}

struct Reply {
    status: u16,
    etag: Option<String>,
    body: Vec<u8>,
}

/// Reads one response of known length (or none, for a 304).
fn read_response(reader: &mut impl BufRead) -> Result<Reply, String> {
    let mut line = String::new();
    let mut reply = Reply {
        status: 0,
        etag: None,
        body: Vec::new(),
    };
    let mut length = 0usize;
    let mut first = true;
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("connection closed before a response".into());
        }
        let text = line.trim_end();
        if first {
            first = false;
            reply.status = text
                .split(' ')
                .nth(1)
                .and_then(|status| status.parse().ok())
                .ok_or_else(|| format!("bad status line {text:?}"))?;
            continue;
        }
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            return Err(format!("bad header line {text:?}"));
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().map_err(|_| "bad content-length")?,
            "transfer-encoding" => return Err("unexpected transfer-encoding".into()),
            "etag" => reply.etag = Some(value.to_owned()),
            _ => {}
        }
    }
    reply.body.resize(length, 0);
    reader
        .read_exact(&mut reply.body)
        .map_err(|error| error.to_string())?;
    Ok(reply)
}

fn check(reply: &Reply, case: &Case) -> Result<(), String> {
    let (status, etag, body) = match case.expect {
        Expect::NotModified => (304, Some(case.tag), ""),
        Expect::Tagged => (200, Some(case.tag), BODY),
        Expect::Untagged => (200, None, BODY),
    };
    if reply.status != status || reply.etag.as_deref() != etag || reply.body != body.as_bytes() {
        return Err(format!(
            "expected {status} with ETag {etag:?} and body {body:?}, got {} with {:?} and {:?}",
            reply.status,
            reply.etag,
            String::from_utf8_lossy(&reply.body)
        ));
    }
    Ok(())
}

/// The `summary:` (or `totals:`) line of a callgrind output file: the instructions executed.
fn total_instructions(file: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("summary:")
                .or_else(|| line.strip_prefix("totals:"))
        })
        .and_then(|count| count.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no summary line in {}", file.display()))
}
