//! The plain-axum counterpart of the `documents` example, for `scripts/load.sh`: the same
//! SQLite store (`documents::store::Store`, in memory), the same CORS and trace layers, the
//! same multi-threaded runtime, and routes without `#[conditional]`:
//!
//! - `GET /documents/{id}`: one `SELECT` of the document, answered 200 with its JSON, whatever
//!   the conditional headers say;
//! - `POST /documents`: creates a document (to seed it the way `documents` is seeded);
//! - `PUT /documents/{id}`: parses the JSON body and replaces the document, whatever its
//!   version (last writer wins), since a plain route has no precondition to check;
//! - `PUT /checked/documents/{id}`: the lost-update check a plain axum user writes by hand, in
//!   the handler's body, so after `Json` has read and parsed the request body: 428 without
//!   `If-Match`, 412 (with the current `ETag`) when no member of it is the current version's
//!   tag, otherwise the same guarded replace as `documents`. It is the baseline of the
//!   `documents` example's 412, which is answered before the body is read or parsed.
//!
//! `plain-documents [--addr 127.0.0.1:PORT]` (default `127.0.0.1:3001`). Loopback only.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use axum_conditional_examples::documents::cors;
use axum_conditional_examples::documents::store::{Store, Write};
use serde_json::Value;
use tower_http::trace::TraceLayer;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 3001));
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(|value| value.parse())) {
            ("--addr", Some(Ok(value))) => addr = value,
            _ => {
                eprintln!("usage: plain-documents [--addr 127.0.0.1:PORT]");
                return ExitCode::from(2);
            }
        }
    }
    if !addr.ip().is_loopback() {
        eprintln!("plain-documents listens on loopback addresses only, not {addr}");
        return ExitCode::from(2);
    }
    match run(addr).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("plain-documents: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn run(addr: SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::in_memory()?;
    let app = Router::new()
        .route("/documents", post(create))
        .route("/documents/{id}", get(read).put(replace))
        .route("/checked/documents/{id}", put(replace_checked))
        .layer(cors())
        .layer(TraceLayer::new_for_http())
        .with_state(store);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("plain-documents listening on {}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn failed(error: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
}

async fn read(State(store): State<Store>, Path(id): Path<i64>) -> Response {
    match store.get(id).await {
        Ok(Some(document)) => Json(document.body).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => failed(error),
    }
}

async fn create(State(store): State<Store>, Json(body): Json<Value>) -> Response {
    // An unguarded insert: `None` expects no collection version.
    match store.insert(body, None).await {
        Ok(Write::Conflict) => StatusCode::CONFLICT.into_response(),
        Ok(Write::Applied(document)) => {
            let location = format!("/documents/{}", document.id);
            (
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(document.body),
            )
                .into_response()
        }
        Err(error) => failed(error),
    }
}

async fn replace(
    State(store): State<Store>,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Response {
    // Last writer wins: a plain route has no version to check, so a write that raced another
    // one (the store's writes are guarded by version) is simply retried.
    for _ in 0..100 {
        let version = match store.meta(id).await {
            Ok(Some(meta)) => meta.version,
            Ok(None) => return StatusCode::NOT_FOUND.into_response(),
            Err(error) => return failed(error),
        };
        match store.replace(id, version, body.clone()).await {
            Ok(Write::Applied(document)) => return Json(document.body).into_response(),
            Ok(Write::Conflict) => continue,
            Err(error) => return failed(error),
        }
    }
    StatusCode::CONFLICT.into_response()
}

/// `"<version>"`: the `documents` example's strong entity-tag for a version.
fn tag_of(version: u64) -> String {
    format!("\"{version}\"")
}

/// Whether an `If-Match` field names `current`, read as a hand-written check would: each
/// comma-separated member, trimmed, compared as text (`*` matches any existing document).
fn if_match_names(headers: &HeaderMap, current: &str) -> Option<bool> {
    let mut values = headers.get_all(header::IF_MATCH).iter().peekable();
    values.peek()?;
    Some(values.any(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',')
                .map(str::trim)
                .any(|member| member == "*" || member == current)
        })
    }))
}

async fn replace_checked(
    State(store): State<Store>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let version = match store.meta(id).await {
        Ok(Some(meta)) => meta.version,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(error) => return failed(error),
    };
    let current = tag_of(version);
    match if_match_names(&headers, &current) {
        None => return StatusCode::PRECONDITION_REQUIRED.into_response(),
        Some(false) => {
            return (
                StatusCode::PRECONDITION_FAILED,
                [(header::ETAG, current)],
                "stale If-Match: read the document again\n",
            )
                .into_response();
        }
        Some(true) => {}
    }
    match store.replace(id, version, body).await {
        Ok(Write::Applied(document)) => (
            [(header::ETAG, tag_of(document.meta.version))],
            Json(document.body),
        )
            .into_response(),
        // Another write came between the check and this one.
        Ok(Write::Conflict) => StatusCode::PRECONDITION_FAILED.into_response(),
        Err(error) => failed(error),
    }
}
