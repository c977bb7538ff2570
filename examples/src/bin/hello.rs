//! `cargo run -p axum-conditional-examples --bin hello`, then `curl -i localhost:3000/`.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use axum::{Router, extract::State, routing::get};
use axum_conditional::{ETag, Failure, conditional, problem::PreconditionFailed};

#[derive(Clone, Default)]
struct Version(Arc<AtomicU64>);

/// Answers `If-None-Match: "<version>"` with 304, without running this body.
#[conditional(etag = ETag::from_version(v.0.load(SeqCst)), cache_control = "no-cache")]
async fn read(State(v): State<Version>) -> String {
    format!("Hello! This text is at version {}.\n", v.0.load(SeqCst))
}

/// Needs `If-Match: "<version>"` (428 without, 412 when stale); answers with the new tag.
#[conditional(etag = ETag::from_version(v.0.load(SeqCst)), require = true, bind = ev)]
async fn bump(State(v): State<Version>) -> Result<ETag, PreconditionFailed> {
    let seen = ev
        .resource()
        .etag()
        .and_then(ETag::version)
        .unwrap_or_default();
    match v.0.compare_exchange(seen, seen + 1, SeqCst, SeqCst) {
        Ok(_) => Ok(ETag::from_version(seen + 1)),
        Err(_) => Err(PreconditionFailed::new(Failure::changed_during_request())),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route("/", get(read).post(bump))
        .with_state(Version::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await
}
