//! The outcome of every evaluated request, as a `tracing` event and (feature `metrics`) as
//! counters: exact counts after a scripted request sequence, captured with a real subscriber
//! layer and a real recorder (`metrics-util`'s `DebuggingRecorder`), and no request field
//! value that can carry a credential in any event.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use axum_conditional::problem::PreconditionFailed;
use axum_conditional::{ETag, LastModified, Resource, conditional};
use http::{Request, StatusCode};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tower::ServiceExt as _;
use tracing::field::{Field, Visit};

use crate::support::events::{Observer, observe};

/// One event's fields, as text.
type Fields = BTreeMap<String, String>;

/// Keeps the fields of every event with target `axum_conditional` of its test, as the binary's
/// one global subscriber hands them over (`support::events` says why there is only one).
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Fields>>>);

impl Collect {
    fn events(&self) -> Vec<Fields> {
        self.0.lock().expect("not poisoned").clone()
    }
}

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Observer for Collect {
    fn event(&self, event: &tracing::Event<'_>) {
        if event.metadata().target() != "axum_conditional" {
            return;
        }
        let mut fields = Fields::new();
        fields.insert("level".to_owned(), event.metadata().level().to_string());
        event.record(&mut Visitor(&mut fields));
        self.0.lock().expect("not poisoned").push(fields);
    }
}

#[conditional(etag = ETag::from_version(7))]
async fn read() -> &'static str {
    "doc"
}

#[conditional(etag = ETag::from_version(7), require = true)]
async fn write(body: String) -> String {
    body
}

#[conditional(etag = ETag::from_version(7), require = true, expose_validators = false)]
async fn hidden(body: String) -> String {
    body
}

#[conditional(last_modified = LastModified::from_unix_seconds(1_000_000_000))]
async fn dated(body: String) -> String {
    body
}

/// A write whose atomic step lost to a concurrent one: the 412 the client gets is recorded as
/// such, not as the pass the preconditions gave.
#[conditional(etag = ETag::from_version(7), require = true, bind = ev)]
async fn lost(body: String) -> Result<String, PreconditionFailed> {
    let _ = body;
    Err(ev.changed_during_request(Resource::existing(Some(ETag::from_version(8)), None)))
}

/// Not behind a router: no `MatchedPath`.
#[conditional(etag = ETag::from_version(7))]
async fn unrouted() -> &'static str {
    "doc"
}

fn app() -> Router {
    Router::new()
        .route("/docs/{id}", get(read).put(write))
        .route("/hidden/{id}", get(read).put(hidden))
        .route("/dated", axum::routing::put(dated))
        .route("/lost/{id}", axum::routing::put(lost))
}

/// A request with `headers` and a body of `body` bytes (of known length).
fn request(method: &str, uri: &str, headers: &[(&str, &str)], body: usize) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Body::from(vec![b'x'; body]))
        .expect("a valid request")
}

/// The scripted sequence: each request and the status it must get.
fn script() -> Vec<(Request<Body>, StatusCode)> {
    let ok = StatusCode::OK;
    let not_modified = StatusCode::NOT_MODIFIED;
    let failed = StatusCode::PRECONDITION_FAILED;
    let required = StatusCode::PRECONDITION_REQUIRED;
    vec![
        (request("GET", "/docs/1", &[], 0), ok),
        (
            request("GET", "/docs/2", &[("if-none-match", r#""7""#)], 0),
            not_modified,
        ),
        (
            request("GET", "/docs/3", &[("if-none-match", r#""6", "7""#)], 0),
            not_modified,
        ),
        (
            request("GET", "/docs/1", &[("if-none-match", r#""6""#)], 0),
            ok,
        ),
        (
            request("PUT", "/docs/1", &[("if-match", r#""6""#)], 10),
            failed,
        ),
        (
            request("PUT", "/docs/1", &[("if-match", r#"W/"7""#)], 5),
            failed,
        ),
        (request("PUT", "/docs/1", &[("if-match", "7")], 0), failed),
        (
            request("PUT", "/docs/1", &[("if-none-match", "*")], 3),
            failed,
        ),
        (request("PUT", "/docs/1", &[], 20), required),
        (request("PUT", "/docs/1", &[("if-match", r#""7""#)], 4), ok),
        (
            request("PUT", "/hidden/1", &[("if-match", r#""6""#)], 8),
            failed,
        ),
        (
            request(
                "PUT",
                "/dated",
                &[("if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT")],
                2,
            ),
            failed,
        ),
        (
            request("PUT", "/lost/1", &[("if-match", r#""7""#)], 6),
            failed,
        ),
        // A body that will never come (the client waits for `100 Continue`) is not counted,
        // whatever length it declares.
        (huge_unsent_body(&[("if-match", r#""6""#)]), failed),
    ]
}

/// A `PUT /docs/1` declaring a body of 9·10¹⁸ bytes and waiting for `100 Continue` to send it.
fn huge_unsent_body(headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder()
        .method("PUT")
        .uri("/docs/1")
        .header("expect", "100-continue");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let never = http_body_util::StreamBody::new(futures_util::stream::pending::<
        Result<http_body::Frame<bytes::Bytes>, std::io::Error>,
    >());
    let sized = Sized(never, 9_000_000_000_000_000_000);
    builder.body(Body::new(sized)).expect("a valid request")
}

/// A body that states an exact length it never delivers.
struct Sized<B>(B, u64);

impl<B: http_body::Body + Unpin> http_body::Body for Sized<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        std::pin::Pin::new(&mut self.0).poll_frame(cx)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.1)
    }
}

async fn run_script() {
    let app = app();
    for (request, status) in script() {
        let what = format!("{} {}", request.method(), request.uri());
        let response = app.clone().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), status, "{what}");
        // Read the response to its end, as a server does: a refusal swallows the body then.
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
    }
}

fn event(fields: &[(&str, &str)]) -> Fields {
    let mut event: Fields = fields
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    event.insert("level".to_owned(), "DEBUG".to_owned());
    event
}

fn passed(method: &str, route: &str) -> Fields {
    event(&[
        ("message", "preconditions passed: the handler answered"),
        ("method", method),
        ("route", route),
        ("outcome", "pass"),
    ])
}

fn answered(method: &str, route: &str, outcome: &str, more: &[(&str, &str)]) -> Fields {
    let mut fields = event(&[
        ("message", "precondition answered in place of the handler"),
        ("method", method),
        ("route", route),
        ("outcome", outcome),
    ]);
    for (name, value) in more {
        fields.insert((*name).to_owned(), (*value).to_owned());
    }
    fields
}

#[tokio::test]
async fn every_evaluated_request_gives_one_debug_event_with_its_outcome() {
    let collect = Collect::default();
    let _observing = observe(Arc::new(collect.clone()));
    run_script().await;

    let no_body = [("body_unread", "false")];
    let etag = ("etag", r#""7""#);
    let expected = vec![
        passed("GET", "/docs/{id}"),
        answered("GET", "/docs/{id}", "304", &[etag, no_body[0]]),
        answered("GET", "/docs/{id}", "304", &[etag, no_body[0]]),
        passed("GET", "/docs/{id}"),
        answered(
            "PUT",
            "/docs/{id}",
            "412",
            &[
                ("condition", "If-Match"),
                ("reason", "mismatch"),
                etag,
                ("body_unread", "true"),
                ("body_length", "10"),
            ],
        ),
        answered(
            "PUT",
            "/docs/{id}",
            "412",
            &[
                ("condition", "If-Match"),
                ("reason", "weak-tag"),
                etag,
                ("body_unread", "true"),
                ("body_length", "5"),
            ],
        ),
        answered(
            "PUT",
            "/docs/{id}",
            "412",
            &[
                ("condition", "If-Match"),
                ("reason", "malformed"),
                etag,
                no_body[0],
            ],
        ),
        answered(
            "PUT",
            "/docs/{id}",
            "412",
            &[
                ("condition", "If-None-Match"),
                ("reason", "matched"),
                etag,
                ("body_unread", "true"),
                ("body_length", "3"),
            ],
        ),
        answered(
            "PUT",
            "/docs/{id}",
            "428",
            &[("body_unread", "true"), ("body_length", "20")],
        ),
        passed("PUT", "/docs/{id}"),
        // `expose_validators = false`: no tag.
        answered(
            "PUT",
            "/hidden/{id}",
            "412",
            &[
                ("condition", "If-Match"),
                ("reason", "mismatch"),
                ("body_unread", "true"),
                ("body_length", "8"),
            ],
        ),
        answered(
            "PUT",
            "/dated",
            "412",
            &[
                ("condition", "If-Unmodified-Since"),
                ("reason", "modified"),
                ("body_unread", "true"),
                ("body_length", "2"),
            ],
        ),
        event(&[
            (
                "message",
                "the handler answered 412: the precondition failed as it ran",
            ),
            ("method", "PUT"),
            ("route", "/lost/{id}"),
            ("outcome", "412"),
            ("condition", "If-Match"),
            ("reason", "changed-during-request"),
            ("etag", r#""8""#),
        ]),
        answered(
            "PUT",
            "/docs/{id}",
            "412",
            &[
                ("condition", "If-Match"),
                ("reason", "mismatch"),
                etag,
                ("body_unread", "true"),
            ],
        ),
    ];
    assert_eq!(collect.events(), expected);
}

#[tokio::test]
async fn a_handler_outside_a_router_has_no_route_field() {
    let collect = Collect::default();
    let _observing = observe(Arc::new(collect.clone()));
    let request = request("GET", "/anywhere", &[("if-none-match", r#""7""#)], 0);
    let response = axum::response::IntoResponse::into_response(unrouted(request.into()).await);
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    let expected = vec![event(&[
        ("message", "precondition answered in place of the handler"),
        ("method", "GET"),
        ("outcome", "304"),
        ("etag", r#""7""#),
        ("body_unread", "false"),
    ])];
    assert_eq!(collect.events(), expected);
}

/// Values a client may put in the request, none of which may reach an event.
const SECRETS: [&str; 4] = [
    "tok-if-match-4f1c",
    "tok-if-none-match-9a7e",
    "tok-bearer-77d0",
    "tok-cookie-31b2",
];

#[tokio::test]
async fn no_request_field_value_appears_in_any_event() {
    let collect = Collect::default();
    let _observing = observe(Arc::new(collect.clone()));
    let if_match = format!(r#""{}""#, SECRETS[0]);
    let if_none_match = format!(r#""{}""#, SECRETS[1]);
    let authorization = format!("Bearer {}", SECRETS[2]);
    let cookie = format!("session={}", SECRETS[3]);
    let credentials = [
        ("authorization", authorization.as_str()),
        ("cookie", cookie.as_str()),
    ];
    for (method, uri, condition, status) in [
        ("PUT", "/docs/1", ("if-match", if_match.as_str()), 412),
        (
            "GET",
            "/docs/1",
            ("if-none-match", if_none_match.as_str()),
            200,
        ),
        // Only `If-None-Match: *` gets a write past the 428.
        (
            "PUT",
            "/docs/1",
            ("if-none-match", if_none_match.as_str()),
            428,
        ),
        ("PUT", "/hidden/1", ("if-match", if_match.as_str()), 412),
        ("PUT", "/docs/1", ("if-match", "*"), 200),
    ] {
        let mut headers = vec![condition];
        headers.extend(credentials);
        let response = app()
            .oneshot(request(method, uri, &headers, 4))
            .await
            .expect("infallible");
        assert_eq!(response.status(), status, "{method} {uri} {condition:?}");
    }
    let events = collect.events();
    assert_eq!(events.len(), 5, "{events:#?}");
    for event in &events {
        for (name, value) in event {
            for secret in SECRETS {
                assert!(!value.contains(secret), "{name} = {value} in {event:?}");
            }
        }
    }
}

/// The counters after the script: `(name, labels, value)`, sorted.
type Counts = Vec<(String, Vec<(String, String)>, u64)>;

fn counts(recorder: &DebuggingRecorder) -> Counts {
    let mut counts: Counts = recorder
        .snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| {
            let DebugValue::Counter(value) = value else {
                return None;
            };
            let (_, key) = key.into_parts();
            let labels = key
                .labels()
                .map(|label| (label.key().to_owned(), label.value().to_owned()))
                .collect();
            Some((key.name().to_owned(), labels, value))
        })
        .collect();
    counts.sort();
    counts
}

fn count(name: &str, labels: &[(&str, &str)], value: u64) -> (String, Vec<(String, String)>, u64) {
    let labels = labels
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    (name.to_owned(), labels, value)
}

#[tokio::test]
async fn counters_count_each_outcome_per_route_and_each_412_by_reason() {
    let recorder = DebuggingRecorder::new();
    let _guard = metrics::set_default_local_recorder(&recorder);
    run_script().await;
    // Twice: the counters registered the first time are found again, not registered anew.
    run_script().await;

    let requests = "axum_conditional_requests_total";
    let failed = "axum_conditional_precondition_failed_total";
    let unread = "axum_conditional_unread_body_bytes_total";
    let docs = ("route", "/docs/{id}");
    let mut expected = vec![
        count(requests, &[docs, ("outcome", "pass")], 2 * 3),
        count(requests, &[docs, ("outcome", "304")], 2 * 2),
        count(requests, &[docs, ("outcome", "412")], 2 * 5),
        count(requests, &[docs, ("outcome", "428")], 2),
        count(
            requests,
            &[("route", "/hidden/{id}"), ("outcome", "412")],
            2,
        ),
        count(requests, &[("route", "/dated"), ("outcome", "412")], 2),
        count(requests, &[("route", "/lost/{id}"), ("outcome", "412")], 2),
        count(
            failed,
            &[
                ("route", "/lost/{id}"),
                ("condition", "If-Match"),
                ("reason", "changed-during-request"),
            ],
            2,
        ),
        count(
            failed,
            &[docs, ("condition", "If-Match"), ("reason", "mismatch")],
            2 * 2,
        ),
        count(
            failed,
            &[docs, ("condition", "If-Match"), ("reason", "weak-tag")],
            2,
        ),
        count(
            failed,
            &[docs, ("condition", "If-Match"), ("reason", "malformed")],
            2,
        ),
        count(
            failed,
            &[docs, ("condition", "If-None-Match"), ("reason", "matched")],
            2,
        ),
        count(
            failed,
            &[
                ("route", "/hidden/{id}"),
                ("condition", "If-Match"),
                ("reason", "mismatch"),
            ],
            2,
        ),
        count(
            failed,
            &[
                ("route", "/dated"),
                ("condition", "If-Unmodified-Since"),
                ("reason", "modified"),
            ],
            2,
        ),
        // 10 + 5 + 3 (412s) + 20 (428), twice; the malformed If-Match sent no body, and the
        // body waiting for `100 Continue` was never sent.
        count(unread, &[docs], 2 * 38),
        count(unread, &[("route", "/hidden/{id}")], 2 * 8),
        count(unread, &[("route", "/dated")], 2 * 2),
    ];
    expected.sort();
    assert_eq!(counts(&recorder), expected);
}

#[tokio::test]
async fn a_recorder_installed_later_gets_the_counts_from_then_on() {
    let app = app();
    let get = || request("GET", "/docs/1", &[("if-none-match", r#""7""#)], 0);
    // No recorder: nothing to see, and the route is remembered with no-op counters.
    app.clone().oneshot(get()).await.expect("infallible");
    let recorder = DebuggingRecorder::new();
    let _guard = metrics::set_default_local_recorder(&recorder);
    app.clone().oneshot(get()).await.expect("infallible");
    let expected = vec![count(
        "axum_conditional_requests_total",
        &[("route", "/docs/{id}"), ("outcome", "304")],
        1,
    )];
    assert_eq!(counts(&recorder), expected);
}
