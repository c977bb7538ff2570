//! Faults in a `#[conditional]` validator, through `oneshot` on a real `Router` and tower
//! layers:
//!
//! - an error (`?`) is the handler's own error response, and nothing of the conditional
//!   machinery is added to it;
//! - a panic is what axum does with any panicking handler: it unwinds out of the service's
//!   future, so no response exists (a server drops that connection; see
//!   `examples/tests/it/reliability.rs`), and under tower-http's `CatchPanicLayer` it is the same
//!   plain 500 a panicking handler body gets;
//! - a validator that never finishes is cut off by tower-http's `TimeoutLayer`, which drops
//!   the handler future: the body extractor and the handler body never run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_conditional::{ETag, LastModified, conditional};
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use crate::support;
use crate::support::http::call as send;

// ---------------------------------------------------------------------------------------------
// A store whose lookups can fail, panic or hang, and counts of what ran.

#[derive(Clone, Default)]
struct Probe {
    /// Validator expressions started.
    validators: Arc<AtomicUsize>,
    /// Validator futures dropped before they finished.
    cancelled: Arc<AtomicUsize>,
    /// Handler bodies run.
    bodies: Arc<AtomicUsize>,
    /// Request bodies read by the deferred extractor.
    body_reads: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct StoreDown;

/// The handlers' error type.
#[derive(Debug)]
enum ApiError {
    Unavailable,
}

impl From<StoreDown> for ApiError {
    fn from(_: StoreDown) -> Self {
        ApiError::Unavailable
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "1")],
                "the store is unavailable",
            )
                .into_response(),
        }
    }
}

/// Counts when a validator future is dropped before it finished.
struct CancelGuard<'a> {
    probe: &'a Probe,
    finished: bool,
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.probe.cancelled.fetch_add(1, SeqCst);
        }
    }
}

impl Probe {
    fn enter(&self) -> CancelGuard<'_> {
        self.validators.fetch_add(1, SeqCst);
        CancelGuard {
            probe: self,
            finished: false,
        }
    }

    async fn version(&self) -> Result<u64, StoreDown> {
        let mut guard = self.enter();
        tokio::task::yield_now().await;
        guard.finished = true;
        Ok(7)
    }

    async fn failing(&self) -> Result<u64, StoreDown> {
        let mut guard = self.enter();
        tokio::task::yield_now().await;
        guard.finished = true;
        Err(StoreDown)
    }

    async fn panicking(&self) -> u64 {
        let _guard = self.enter();
        tokio::task::yield_now().await;
        panic!("the version lookup has a bug")
    }

    /// A lookup stuck on a lock or a dead connection: it never finishes.
    async fn hanging(&self) -> u64 {
        let _guard = self.enter();
        std::future::pending::<()>().await;
        unreachable!("a pending future never completes")
    }
}

/// A body extractor that counts its runs.
struct Counted(Bytes);

impl axum::extract::FromRequest<Probe> for Counted {
    type Rejection = Response;

    async fn from_request(request: Request, probe: &Probe) -> Result<Self, Response> {
        probe.body_reads.fetch_add(1, SeqCst);
        let bytes = Bytes::from_request(request, probe)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Counted(bytes))
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers.

#[conditional(
    etag = ETag::from_version(probe.version().await?),
    last_modified = LastModified::from_unix_seconds(784_111_777),
    cache_control = "no-cache",
    vary = "accept"
)]
async fn healthy(State(probe): State<Probe>) -> Result<&'static str, ApiError> {
    probe.bodies.fetch_add(1, SeqCst);
    Ok("current")
}

/// The first validator succeeds, the second fails.
#[conditional(
    etag = ETag::from_version(probe.version().await?),
    last_modified = LastModified::from_unix_seconds(i64::try_from(probe.failing().await?).unwrap_or(0)),
    cache_control = "no-cache",
    require = true,
    state = Probe
)]
async fn failing(State(probe): State<Probe>, Counted(body): Counted) -> Result<String, ApiError> {
    probe.bodies.fetch_add(1, SeqCst);
    Ok(format!("{} bytes", body.len()))
}

#[conditional(
    etag = ETag::from_version(probe.panicking().await),
    cache_control = "no-cache",
    require = true,
    state = Probe
)]
async fn panicking(State(probe): State<Probe>, Counted(body): Counted) -> String {
    probe.bodies.fetch_add(1, SeqCst);
    format!("{} bytes", body.len())
}

#[conditional(
    etag = ETag::from_version(probe.hanging().await),
    cache_control = "no-cache",
    require = true,
    state = Probe
)]
async fn hanging(State(probe): State<Probe>, Counted(body): Counted) -> String {
    probe.bodies.fetch_add(1, SeqCst);
    format!("{} bytes", body.len())
}

/// A `#[conditional]` handler whose body panics, after its validators passed.
#[conditional(etag = ETag::from_version(probe.version().await.unwrap_or(0)), cache_control = "no-cache")]
async fn body_panics(State(probe): State<Probe>) -> &'static str {
    probe.bodies.fetch_add(1, SeqCst);
    panic!("the handler body has a bug")
}

/// An ordinary axum handler that panics: the reference for what a panic becomes.
async fn plain_panics() -> &'static str {
    panic!("an ordinary handler has a bug")
}

fn app(probe: Probe) -> Router {
    Router::new()
        .route("/healthy", get(healthy))
        .route("/failing", get(failing).put(failing))
        .route("/panicking", get(panicking).put(panicking))
        .route("/hanging", get(hanging).put(hanging))
        .route("/body-panics", get(body_panics))
        .route("/plain-panics", get(plain_panics))
        .with_state(probe)
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A request with a small JSON body.
fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request {
    support::http::request(method, uri, headers, "{\"x\":1}")
}

/// Preconditions that would give a 304, a 412 or a 428 if they were evaluated.
const CONDITIONS: [&[(&str, &str)]; 4] = [
    &[],
    &[("if-none-match", "\"7\"")],
    &[("if-match", "\"1\"")],
    &[("if-match", "\"7\"")],
];

// ---------------------------------------------------------------------------------------------
// An error.

#[tokio::test]
async fn a_validator_error_is_the_handlers_error_response_and_nothing_else() {
    let probe = Probe::default();
    for method in ["GET", "PUT", "HEAD"] {
        for conditions in CONDITIONS {
            let reply = send(app(probe.clone()), request(method, "/failing", conditions)).await;
            // Not a 304, 412 or 428: the validators run before any condition is evaluated.
            assert_eq!(
                reply.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{method} {conditions:?}"
            );
            assert_eq!(reply.headers[header::RETRY_AFTER], "1");
            for added in [header::ETAG, header::LAST_MODIFIED, header::CACHE_CONTROL] {
                assert!(!reply.headers.contains_key(&added), "{added} on {method}");
            }
            if method != "HEAD" {
                assert_eq!(reply.body, &b"the store is unavailable"[..]);
            }
        }
    }
    assert_eq!(probe.bodies.load(SeqCst), 0, "the handler body never ran");
    assert_eq!(
        probe.body_reads.load(SeqCst),
        0,
        "the request body was never read"
    );
    assert_eq!(probe.cancelled.load(SeqCst), 0);
}

// ---------------------------------------------------------------------------------------------
// A panic.

#[tokio::test]
async fn a_panicking_validator_unwinds_out_of_the_service_like_any_panicking_handler() {
    let probe = Probe::default();
    let router = app(probe.clone());
    for uri in ["/panicking", "/plain-panics"] {
        let call = router.clone().oneshot(request("GET", uri, &[]));
        let outcome = tokio::spawn(call).await;
        let error = outcome.expect_err("the service future panics");
        assert!(error.is_panic(), "{uri}: {error}");
    }
    assert_eq!(probe.validators.load(SeqCst), 1);
    assert_eq!(probe.body_reads.load(SeqCst), 0);
    assert_eq!(probe.bodies.load(SeqCst), 0);
    // The router is not poisoned: the next request is served.
    let reply = send(router, request("GET", "/healthy", &[])).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn behind_catch_panic_a_panicking_validator_is_the_same_500_as_any_panicking_handler() {
    let probe = Probe::default();
    let router = app(probe.clone()).layer(CatchPanicLayer::new());
    let reference = send(router.clone(), request("GET", "/plain-panics", &[])).await;
    assert_eq!(reference.status, StatusCode::INTERNAL_SERVER_ERROR);

    for (method, uri, conditions) in [
        ("GET", "/panicking", CONDITIONS[1]),
        ("PUT", "/panicking", CONDITIONS[2]),
        ("PUT", "/panicking", CONDITIONS[0]),
        ("GET", "/body-panics", CONDITIONS[0]),
    ] {
        let reply = send(router.clone(), request(method, uri, conditions)).await;
        assert_eq!(
            (reply.status, &reply.headers, &reply.body),
            (reference.status, &reference.headers, &reference.body),
            "{method} {uri} {conditions:?}"
        );
        assert!(!reply.headers.contains_key(header::ETAG));
        assert!(!reply.headers.contains_key(header::CACHE_CONTROL));
    }
    assert_eq!(probe.body_reads.load(SeqCst), 0, "no request body was read");
    assert_eq!(
        probe.bodies.load(SeqCst),
        1,
        "only the body that panics ran"
    );
    let reply = send(router, request("GET", "/healthy", &[])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers[header::ETAG], "\"7\"");
}

// ---------------------------------------------------------------------------------------------
// A validator that never finishes.

/// On tokio's paused clock, which moves only when every task waits: the hanging validator is
/// cut off when the runtime has nothing else to do and jumps to the deadline, and the healthy
/// request below finishes with no time passing at all. Neither depends on how fast the machine
/// is, so the deadline can be a realistic one.
const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(start_paused = true)]
async fn a_hanging_validator_is_cut_off_by_a_timeout_layer_before_anything_runs() {
    let probe = Probe::default();
    // 503 rather than the layer's default 408: the server, not the client, was too slow.
    let router = app(probe.clone()).layer(TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        TIMEOUT,
    ));
    for (method, conditions) in [
        ("GET", CONDITIONS[1]),
        ("PUT", CONDITIONS[2]),
        ("PUT", CONDITIONS[3]),
    ] {
        let reply = send(router.clone(), request(method, "/hanging", conditions)).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{method}");
        assert!(reply.body.is_empty());
        assert!(!reply.headers.contains_key(header::ETAG));
        assert!(!reply.headers.contains_key(header::CACHE_CONTROL));
    }
    assert_eq!(probe.validators.load(SeqCst), 3);
    assert_eq!(
        probe.cancelled.load(SeqCst),
        3,
        "each validator future was dropped"
    );
    assert_eq!(probe.body_reads.load(SeqCst), 0);
    assert_eq!(probe.bodies.load(SeqCst), 0);

    // Under the same layer, a route whose validator finishes is unaffected.
    let reply = send(
        router,
        request("GET", "/healthy", &[("if-none-match", "\"7\"")]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-cache");
}
