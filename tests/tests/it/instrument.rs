//! `#[conditional]` with `#[tracing::instrument]`, in both orders.
//!
//! After `#[conditional]`, `instrument` wraps the rewritten handler: every request gets a span,
//! 304s, 412s and 428s included, and the request the rewritten handler takes is recorded as an
//! opaque `Incoming(..)`, never with its headers. With `err`, the handler's and the validators'
//! errors are recorded. Before `#[conditional]`, `instrument` wraps only the body: a request
//! answered in place of the handler gets no span.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_conditional::{ETag, conditional};
use tower::ServiceExt;

use crate::support::events::{Observer, observe};

#[derive(Debug)]
struct ApiError;

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the store failed")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    }
}

/// Version 3 exists; 0 is a store failure.
async fn version(id: u64) -> Result<u64, ApiError> {
    if id == 0 { Err(ApiError) } else { Ok(3) }
}

#[conditional(etag = ETag::from_version(version(id).await?))]
#[tracing::instrument(err)]
async fn spanned_for_every_request(Path(id): Path<u64>) -> Result<String, ApiError> {
    if id == 7 {
        return Err(ApiError);
    }
    Ok(format!("document {id}"))
}

#[conditional(etag = version(id).await.ok().map(ETag::from_version))]
#[tracing::instrument(skip(body), ret)]
async fn skips_the_body(Path(id): Path<u64>, body: String) -> String {
    format!("{id} {}", body.len())
}

#[tracing::instrument(err)]
#[conditional(etag = ETag::from_version(version(id).await?))]
async fn spanned_around_the_body(Path(id): Path<u64>) -> Result<String, ApiError> {
    Ok(format!("document {id}"))
}

fn app() -> Router {
    Router::new()
        .route("/after/{id}", get(spanned_for_every_request))
        .route("/skip/{id}", axum::routing::put(skips_the_body))
        .route("/before/{id}", get(spanned_around_the_body))
}

/// What a subscriber saw: spans by name with their fields, and events with their fields.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn seen(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn push(&self, line: String) {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }
}

struct Text(String);

impl tracing::field::Visit for Text {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Observer for Recorder {
    fn new_span(&self, span: &tracing::span::Attributes<'_>) {
        let mut text = Text(format!("span {}", span.metadata().name()));
        span.record(&mut text);
        self.push(text.0);
    }

    fn record(&self, values: &tracing::span::Record<'_>) {
        let mut text = Text("record".to_owned());
        values.record(&mut text);
        self.push(text.0);
    }

    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = Text(format!("event {}", event.metadata().level()));
        event.record(&mut text);
        self.push(text.0);
    }
}

async fn traced(method: &str, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, Vec<String>) {
    let recorder = Recorder::default();
    let _observing = observe(Arc::new(recorder.clone()));
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Body::from("a body"))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app().oneshot(request).await.unwrap_or_else(|e| match e {});
    (response.status(), recorder.seen())
}

const SECRET: (&str, &str) = ("authorization", "Bearer s3cret-token");

fn spans(seen: &[String], name: &str) -> Vec<String> {
    let prefix = format!("span {name}");
    seen.iter()
        .filter(|line| line.starts_with(&prefix))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn after_conditional_every_request_gets_a_span_without_the_request_headers() {
    for (headers, status) in [
        (
            vec![SECRET, ("if-none-match", r#""3""#)],
            StatusCode::NOT_MODIFIED,
        ),
        (vec![SECRET], StatusCode::OK),
    ] {
        let (got, seen) = traced("GET", "/after/5", &headers).await;
        assert_eq!(got, status);
        let spans = spans(&seen, "spanned_for_every_request");
        assert_eq!(spans.len(), 1, "{status}: one span per request: {seen:?}");
        assert!(spans[0].contains("Incoming(..)"), "{spans:?}");
        for line in &seen {
            assert!(
                !line.contains("s3cret"),
                "a header reached the trace: {line}"
            );
            assert!(
                !line.to_ascii_lowercase().contains("authorization"),
                "{line}"
            );
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn after_conditional_err_records_the_validators_and_the_handlers_errors() {
    for uri in ["/after/0", "/after/7"] {
        let (status, seen) = traced("GET", uri, &[]).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert!(
            seen.iter()
                .any(|line| line.starts_with("event ERROR") && line.contains("the store failed")),
            "{uri}: no error event in {seen:?}"
        );
    }
    // A 304 is not an error.
    let (status, seen) = traced("GET", "/after/5", &[("if-none-match", r#""3""#)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(
        !seen.iter().any(|line| line.starts_with("event ERROR")),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn after_conditional_skip_may_name_the_body_and_a_refusal_is_spanned() {
    let (status, seen) = traced("PUT", "/skip/5", &[("if-match", r#""2""#)]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(spans(&seen, "skips_the_body").len(), 1, "{seen:?}");
    let (status, seen) = traced("PUT", "/skip/5", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        seen.iter().any(|line| line.contains("5 6")),
        "`ret` records the output: {seen:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn before_conditional_only_a_request_that_reaches_the_body_gets_a_span() {
    let (status, seen) = traced("GET", "/before/5", &[("if-none-match", r#""3""#)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(
        spans(&seen, "spanned_around_the_body").is_empty(),
        "{seen:?}"
    );
    let (status, seen) = traced("GET", "/before/5", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(spans(&seen, "spanned_around_the_body").len(), 1, "{seen:?}");
}
