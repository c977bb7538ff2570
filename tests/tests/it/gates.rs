//! The route's own gates answer before any precondition, wherever the handler puts them.
//!
//! Every argument whose type can be extracted from the request head (`FromRequestParts`) runs
//! before the validators, whatever its name and position, so an authentication or tenant
//! extractor in last position answers 401 before a 304, 412 or 428 could tell anything about the
//! resource. Only an argument that reads the body (`FromRequest` alone) waits for the
//! preconditions, so a refused write never runs it. The type system decides, not the name.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{
    FromRef, FromRequest, FromRequestParts, OptionalFromRequestParts, Request, State,
};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use axum_conditional::{ETag, conditional};
use tower::ServiceExt;

/// The application: one resource at version 3, and counters of what ran.
#[derive(Clone, Default)]
struct App {
    /// Validator runs.
    validators: Arc<AtomicUsize>,
    /// Handler bodies run.
    handlers: Arc<AtomicUsize>,
    /// Custom body extractor runs.
    body_reads: Arc<AtomicUsize>,
    /// Whether a `Guard` is alive.
    held: Arc<std::sync::atomic::AtomicBool>,
}

impl App {
    fn version(&self) -> ETag {
        self.validators.fetch_add(1, Ordering::SeqCst);
        ETag::from_version(3)
    }

    fn ran(&self) -> &'static str {
        self.handlers.fetch_add(1, Ordering::SeqCst);
        "ran"
    }

    fn counts(&self) -> [usize; 3] {
        [
            self.validators.load(Ordering::SeqCst),
            self.handlers.load(Ordering::SeqCst),
            self.body_reads.load(Ordering::SeqCst),
        ]
    }
}

/// An application state that is not the validators' store: a tenant extractor needs it.
#[derive(Clone, Default)]
struct AppState {
    app: App,
    tenants: Arc<Vec<&'static str>>,
}

impl FromRef<AppState> for App {
    fn from_ref(state: &AppState) -> App {
        state.app.clone()
    }
}

/// A user's own authentication extractor, generic over the state, with no familiar name.
struct RequireAuth;

impl<S: Send + Sync> FromRequestParts<S> for RequireAuth {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        match parts.headers.get(header::AUTHORIZATION) {
            Some(value) if value == "Bearer good" => Ok(RequireAuth),
            Some(_) => Err(StatusCode::FORBIDDEN),
            None => Err(StatusCode::UNAUTHORIZED),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for RequireAuth {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, StatusCode> {
        match parts.headers.get(header::AUTHORIZATION) {
            Some(value) if value == "Bearer good" => Ok(Some(RequireAuth)),
            // Present and wrong is still refused; absent is `None`.
            Some(_) => Err(StatusCode::FORBIDDEN),
            None => Ok(None),
        }
    }
}

/// A tenant extractor that needs the application's state: 404 for an unknown tenant.
struct Tenant;

impl FromRequestParts<AppState> for Tenant {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, StatusCode> {
        let name = parts.headers.get("x-tenant").and_then(|v| v.to_str().ok());
        match name {
            Some(name) if state.tenants.contains(&name) => Ok(Tenant),
            _ => Err(StatusCode::NOT_FOUND),
        }
    }
}

/// A user's own body extractor, with no familiar name: it counts its runs.
struct Upload(Bytes);

impl FromRequest<App> for Upload {
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<Self, Response> {
        app.body_reads.fetch_add(1, Ordering::SeqCst);
        let bytes = Bytes::from_request(request, app)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Upload(bytes))
    }
}

#[conditional(etag = app.version())]
async fn auth_last(State(app): State<App>, _user: RequireAuth) -> &'static str {
    app.ran()
}

#[conditional(etag = app.version())]
async fn optional_auth_last(State(app): State<App>, user: Option<RequireAuth>) -> String {
    format!("{} {}", app.ran(), user.is_some())
}

#[conditional(etag = app.version(), state = AppState)]
async fn tenant_last(State(app): State<App>, _tenant: Tenant) -> &'static str {
    app.ran()
}

#[conditional(etag = app.version(), require = true)]
async fn upload_last(State(app): State<App>, _user: RequireAuth, upload: Upload) -> String {
    format!("{} {}", app.ran(), upload.0.len())
}

#[conditional(etag = app.version(), require = true)]
async fn request_last(State(app): State<App>, request: Request) -> String {
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20).await;
    format!("{} {}", app.ran(), bytes.map_or(0, |b| b.len()))
}

#[conditional(etag = app.version(), require = true)]
async fn bytes_last(State(app): State<App>, body: Bytes) -> String {
    format!("{} {}", app.ran(), body.len())
}

#[conditional(etag = app.version(), require = true)]
async fn json_last(State(app): State<App>, Json(doc): Json<serde_json::Value>) -> String {
    format!("{} {doc}", app.ran())
}

/// A guard extractor: it holds something (a permit, a lock) for as long as it lives.
struct Guard(Arc<std::sync::atomic::AtomicBool>);

impl FromRequestParts<App> for Guard {
    type Rejection = StatusCode;

    async fn from_request_parts(_: &mut Parts, app: &App) -> Result<Self, StatusCode> {
        app.held.store(true, Ordering::SeqCst);
        Ok(Guard(app.held.clone()))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// `_` in last position: the guard must still live while the body runs, as an argument does.
#[conditional(etag = app.version())]
async fn guarded(State(app): State<App>, _: Guard) -> String {
    format!("held={}", app.held.load(Ordering::SeqCst))
}

/// A part of the state, extracted last beside the whole: its own `State<Part>` says the state.
#[derive(Clone)]
struct Part(u64);

impl FromRef<App> for Part {
    fn from_ref(_: &App) -> Part {
        Part(3)
    }
}

#[conditional(etag = ETag::from_version(part.0))]
async fn state_part_last(State(app): State<App>, State(part): State<Part>) -> String {
    format!("{} {}", app.ran(), part.0)
}

fn router(app: &App) -> Router {
    let state = AppState {
        app: app.clone(),
        tenants: Arc::new(vec!["acme"]),
    };
    let tenant = Router::new()
        .route("/tenant", get(tenant_last).delete(tenant_last))
        .with_state(state);
    Router::new()
        .route("/auth", get(auth_last).delete(auth_last))
        .route("/optional", get(optional_auth_last))
        .route("/upload", axum::routing::put(upload_last))
        .route("/request", axum::routing::put(request_last))
        .route("/bytes", axum::routing::put(bytes_last))
        .route("/json", axum::routing::put(json_last))
        .route("/guarded", get(guarded))
        .route("/part", get(state_part_last))
        .with_state(app.clone())
        .merge(tenant)
}

async fn send(
    app: &App,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap_or_else(|e| panic!("bad test request: {e}"));
    let response = router(app)
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&body).into_owned())
}

const CURRENT: (&str, &str) = ("if-none-match", r#""3""#);
const STALE: (&str, &str) = ("if-match", r#""2""#);
const AUTH: (&str, &str) = ("authorization", "Bearer good");

#[tokio::test]
async fn an_auth_extractor_last_answers_401_before_any_precondition() {
    let app = App::default();
    // Without the attribute all three are 401; with it, nothing about the resource leaks.
    for (method, headers) in [
        ("GET", vec![CURRENT]),
        ("DELETE", vec![STALE]),
        ("DELETE", vec![]),
    ] {
        let (status, body) = send(&app, method, "/auth", &headers, "").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {headers:?}: {body}"
        );
    }
    let (status, _) = send(
        &app,
        "GET",
        "/auth",
        &[CURRENT, ("authorization", "Bearer bad")],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.counts(), [0, 0, 0], "no validator or handler may run");

    // Authenticated, the preconditions apply.
    let (status, _) = send(&app, "GET", "/auth", &[CURRENT, AUTH], "").await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, _) = send(&app, "DELETE", "/auth", &[STALE, AUTH], "").await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, body) = send(&app, "GET", "/auth", &[AUTH], "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ran"));
    assert_eq!(app.counts(), [3, 1, 0]);
}

#[tokio::test]
async fn an_optional_auth_extractor_last_runs_before_the_validators() {
    let app = App::default();
    let (status, _) = send(
        &app,
        "GET",
        "/optional",
        &[CURRENT, ("authorization", "Bearer bad")],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.counts(), [0, 0, 0]);
    let (status, _) = send(&app, "GET", "/optional", &[CURRENT], "").await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, body) = send(&app, "GET", "/optional", &[], "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ran false"));
    let (status, body) = send(&app, "GET", "/optional", &[AUTH], "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ran true"));
}

#[tokio::test]
async fn a_tenant_extractor_last_that_needs_the_state_answers_first() {
    let app = App::default();
    for (method, headers) in [("GET", vec![CURRENT]), ("DELETE", vec![STALE])] {
        let mut unknown = headers.clone();
        unknown.push(("x-tenant", "initech"));
        let (status, _) = send(&app, method, "/tenant", &unknown, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {unknown:?}");
    }
    assert_eq!(app.counts(), [0, 0, 0]);
    let (status, _) = send(&app, "GET", "/tenant", &[CURRENT, ("x-tenant", "acme")], "").await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, _) = send(
        &app,
        "DELETE",
        "/tenant",
        &[STALE, ("x-tenant", "acme")],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.counts(), [2, 0, 0]);
}

#[tokio::test]
async fn a_custom_body_extractor_last_never_runs_on_a_refused_write() {
    let app = App::default();
    // The auth before it still answers first.
    let (status, _) = send(&app, "PUT", "/upload", &[STALE], "abc").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.counts(), [0, 0, 0]);
    let (status, _) = send(&app, "PUT", "/upload", &[STALE, AUTH], "abc").await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _) = send(&app, "PUT", "/upload", &[AUTH], "abc").await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(
        app.counts(),
        [2, 0, 0],
        "the body extractor ran on a refusal"
    );
    let (status, body) = send(
        &app,
        "PUT",
        "/upload",
        &[("if-match", r#""3""#), AUTH],
        "abc",
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ran 3"));
    assert_eq!(app.counts(), [3, 1, 1]);
}

#[tokio::test]
async fn request_bytes_and_json_last_wait_for_the_preconditions() {
    for uri in ["/request", "/bytes", "/json"] {
        let app = App::default();
        // Not even valid JSON: a 412 or 428 must come before the body is looked at.
        let (status, _) = send(&app, "PUT", uri, &[STALE], "{not json").await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{uri}");
        let (status, _) = send(&app, "PUT", uri, &[], "{not json").await;
        assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{uri}");
        assert_eq!(app.counts(), [2, 0, 0], "{uri}");
        let (status, body) = send(&app, "PUT", uri, &[("if-match", r#""3""#)], "[1]").await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert!(body.starts_with("ran "), "{uri}: {body}");
        assert_eq!(app.counts(), [3, 1, 0], "{uri}");
    }
}

#[tokio::test]
async fn a_last_argument_bound_to_underscore_lives_while_the_body_runs() {
    let app = App::default();
    let (status, body) = send(&app, "GET", "/guarded", &[], "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "held=true"));
    assert!(
        !app.held.load(Ordering::SeqCst),
        "dropped once the handler is done"
    );
}

#[tokio::test]
async fn a_last_state_of_a_part_of_the_state_is_extracted_with_its_own_type() {
    let app = App::default();
    let (status, _) = send(&app, "GET", "/part", &[CURRENT], "").await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, body) = send(&app, "GET", "/part", &[], "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ran 3"));
}
