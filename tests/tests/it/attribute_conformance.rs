//! The conformance table of `tests/fixtures/cases.json`, run through real `#[conditional]`
//! handlers on a real `Router` (not only through the evaluator).
//!
//! Each case gets its own router, whose state is the case's resource. A case's `handler_status`
//! other than 2xx is played by an extractor that answers it before the preconditions (the
//! normal request checks of RFC 9110 §13.2.1); `expected_status` 200 means the request reached
//! the handler (or that extractor), which answers 404 to `GET`, `HEAD` and `DELETE` of a missing
//! resource and 200 otherwise. `expected_range` is read from the bound `Evaluation`.
//!
//! The cases that send `Range` run again over loopback HTTP, through routes with
//! `ranges = true` that serve a fixed content: `partial` must be a 206 with the range, `full`
//! the whole 200, and a 304 or 412 stays one.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum_conditional::{ETag, LastModified, RangeDecision, conditional};
use serde_json::Value;
use tower::ServiceExt;

/// The resource of one case, as the handlers' validators load it.
struct Case {
    etag: Option<ETag>,
    last_modified: Option<std::time::SystemTime>,
    /// The status the handler would answer; non-2xx is answered by `Gate` first.
    handler_status: StatusCode,
    /// Whether the resource has no current representation: the handler then answers 404 to
    /// `GET`, `HEAD` and `DELETE`, as a real one would.
    missing: bool,
}

type Shared = Arc<Case>;

/// The request checks that run before the preconditions; here they answer the case's
/// non-2xx `handler_status`.
struct Gate;

impl FromRequestParts<Shared> for Gate {
    type Rejection = StatusCode;

    async fn from_request_parts(_: &mut Parts, case: &Shared) -> Result<Self, StatusCode> {
        if case.handler_status.is_success() {
            Ok(Gate)
        } else {
            Err(case.handler_status)
        }
    }
}

fn answer(case: &Case, method: &Method, range: RangeDecision) -> Response {
    let range = match range {
        RangeDecision::Honour => "partial",
        _ => "full",
    };
    let status = handler_status(case, method);
    (status, [("x-handler", "ran"), ("x-range", range)]).into_response()
}

/// The status the handler answers when it runs.
fn handler_status(case: &Case, method: &Method) -> StatusCode {
    let reads_or_deletes = matches!(*method, Method::GET | Method::HEAD | Method::DELETE);
    if case.missing && reads_or_deletes {
        StatusCode::NOT_FOUND
    } else {
        case.handler_status
    }
}

#[conditional(
    etag = case.etag.clone(),
    last_modified = case.last_modified,
    exists = !case.missing,
    bind = ev
)]
async fn optional(
    _gate: Gate,
    method: Method,
    State(case): State<Shared>,
    _body: Bytes,
) -> Response {
    answer(&case, &method, ev.range())
}

#[conditional(
    etag = case.etag.clone(),
    last_modified = case.last_modified,
    exists = !case.missing,
    require = true,
    bind = ev
)]
async fn required(
    _gate: Gate,
    method: Method,
    State(case): State<Shared>,
    _body: Bytes,
) -> Response {
    answer(&case, &method, ev.range())
}

/// The tag of a case whose current tag is invalid (`"Foo, Bar"` holds a space): a server using
/// this crate can never send it, so it runs as a tag that no request of the table mentions
/// (checked below). A resource that exists without any validator runs as it is, declared with
/// `exists = …`.
const PLACEHOLDER: &str = "conformance-placeholder";

fn case_of(resource: &Value) -> Result<Case, String> {
    let text = |key: &str| resource.get(key).and_then(Value::as_str);
    // An invalid current tag (`"Foo, Bar"` holds a space) cannot be an `ETag`: a server using
    // this crate can never send it. It runs as the placeholder, which nothing matches either.
    let etag = text("etag").map(|tag| ETag::parse(tag.as_bytes()).ok());
    let etag = match etag {
        Some(Some(tag)) => Some(tag),
        Some(None) => Some(ETag::strong(PLACEHOLDER).map_err(|e| e.to_string())?),
        None => None,
    };
    let mut last_modified = text("last_modified")
        .map(|date| {
            LastModified::parse(date.as_bytes())
                .map(LastModified::to_system_time)
                .ok_or(format!("last_modified {date}"))
        })
        .transpose()?;
    // `last_modified_exact` carries the sub-second part that the HTTP-date drops.
    if let (Some(exact), Some(date)) = (text("last_modified_exact"), &mut last_modified) {
        let millis: u64 = exact
            .split_once('.')
            .and_then(|(_, fraction)| fraction.trim_end_matches('Z').parse().ok())
            .ok_or(format!("last_modified_exact {exact}"))?;
        *date += Duration::from_millis(millis);
    }
    let exists = resource.get("exists").and_then(Value::as_bool) == Some(true);
    let handler_status = resource
        .get("handler_status")
        .and_then(Value::as_u64)
        .map(|code| u16::try_from(code).map_err(|e| e.to_string()))
        .transpose()?
        .map(|code| StatusCode::from_u16(code).map_err(|e| e.to_string()))
        .transpose()?
        .unwrap_or(StatusCode::OK);
    Ok(Case {
        etag,
        last_modified,
        handler_status,
        missing: !exists,
    })
}

fn request_of(case: &Value) -> Result<Request, String> {
    let method = case["method"].as_str().ok_or("method")?;
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut request = Request::builder().method(method).uri("/");
    let headers = case["request_headers"]
        .as_object()
        .ok_or("request_headers")?;
    for (name, value) in headers {
        let lines = match value {
            Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
            Value::String(line) => vec![line.as_str()],
            other => return Err(format!("header {name}: {other}")),
        };
        for line in lines {
            if line.contains(PLACEHOLDER) {
                return Err(format!("header {name} names the placeholder tag"));
            }
            request = request.header(name.as_str(), line);
        }
    }
    request
        .body(Body::from("request content"))
        .map_err(|e| e.to_string())
}

async fn run(case: &Value) -> Result<(), String> {
    let resource = &case["resource"];
    let state = Arc::new(case_of(resource)?);
    let require = resource
        .get("require_precondition")
        .and_then(Value::as_bool)
        == Some(true);
    let handler = if require {
        any(required)
    } else {
        any(optional)
    };
    let app = Router::new().route("/", handler).with_state(state.clone());
    let response = app
        .oneshot(request_of(case)?)
        .await
        .unwrap_or_else(|e| match e {});

    let id = case["id"].as_str().unwrap_or("");
    let departure = axum_conditional_tests::departure(id).map(u64::from);
    let expected = match departure {
        Some(status) => status,
        None => case["expected_status"].as_u64().ok_or("expected_status")?,
    };
    let status = response.status();
    let ran = response.headers().contains_key("x-handler");
    if expected == 200 {
        // Proceed: the handler ran, or the earlier request check answered its status.
        let method = Method::from_bytes(case["method"].as_str().unwrap_or("").as_bytes())
            .map_err(|e| e.to_string())?;
        let proceeded = if state.handler_status.is_success() {
            ran && status == handler_status(&state, &method)
        } else {
            !ran && status == state.handler_status
        };
        if !proceeded {
            return Err(format!(
                "status {status} (handler ran: {ran}), expected to proceed"
            ));
        }
    } else if u64::from(status.as_u16()) != expected || ran {
        return Err(format!(
            "status {status} (handler ran: {ran}), expected {expected}"
        ));
    }

    if let Some(range) = case.get("expected_range").and_then(Value::as_str)
        && departure.is_none()
    {
        // RFC 9110 leaves `Last-Modified` weak unless the origin declares it strong, and the
        // runtime does not assume it; an `If-Range` date then never enables a partial response.
        let range = match case["id"].as_str() {
            Some("go-range-ifrange-date-match") => "full",
            _ => range,
        };
        let got = response
            .headers()
            .get("x-range")
            .and_then(|v| v.to_str().ok());
        if got != Some(range) {
            return Err(format!("range {got:?}, expected {range}"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The cases that send `Range`, served by `ranges = true` routes over loopback HTTP.

const CONTENT: &[u8] = b"0123456789abcdef";

#[conditional(
    etag = case.etag.clone(),
    last_modified = case.last_modified,
    exists = !case.missing,
    ranges = true
)]
async fn ranged(State(case): State<Shared>) -> Bytes {
    Bytes::from_static(CONTENT)
}

/// The same, with the `Last-Modified` declared strong: an `If-Range` date can then match.
#[conditional(
    etag = case.etag.clone(),
    last_modified = case.last_modified,
    exists = !case.missing,
    ranges = true,
    strong_last_modified = true
)]
async fn ranged_strong(State(case): State<Shared>) -> Bytes {
    Bytes::from_static(CONTENT)
}

/// The status line's code, the header section (lowercase) and the content of one request
/// sent as the case writes it, on a connection of its own.
async fn send_raw(addr: std::net::SocketAddr, path: &str, case: &Value) -> (u16, String, Vec<u8>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let method = case["method"].as_str().unwrap_or("GET");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: 0\r\n"
    );
    for (name, value) in case["request_headers"].as_object().into_iter().flatten() {
        let lines = match value {
            Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
            other => vec![other.as_str().unwrap_or_default()],
        };
        for line in lines {
            request.push_str(&format!("{name}: {line}\r\n"));
        }
    }
    request.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(reply.len());
    let head = String::from_utf8_lossy(&reply[..end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let content = reply.get(end + 4..).unwrap_or_default().to_vec();
    (status, head, content)
}

/// Checks one reply against the case: `(expected status, expected range)`.
fn check_ranged(
    (status, head, content): (u16, String, Vec<u8>),
    expected: u64,
    range: Option<&str>,
    head_only: bool,
) -> Result<(), String> {
    let has_range = head.contains("\r\ncontent-range: bytes 0-4/16");
    let ok = match (expected, range) {
        (200, Some("partial")) => {
            status == 206 && has_range && (head_only || content == CONTENT[..5])
        }
        (200, _) => status == 200 && !has_range && (head_only || content == CONTENT),
        (other, _) => u64::from(status) == other,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "got {status} ({head:?}), expected {expected} {range:?}"
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_range_cases_over_http_through_ranges_routes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cases.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let table: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases: Vec<&Value> = table["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no `cases` array"))
        .iter()
        .filter(|case| {
            case["request_headers"]
                .as_object()
                .is_some_and(|fields| fields.keys().any(|name| name.eq_ignore_ascii_case("range")))
        })
        .collect();
    assert!(cases.len() >= 15, "{} range cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        let state = match case_of(&case["resource"]) {
            Ok(state) => Arc::new(state),
            Err(e) => {
                failures.push(format!("{id}: {e}"));
                continue;
            }
        };
        let app = Router::new()
            .route("/weak", any(ranged))
            .route("/strong", any(ranged_strong))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let expected = case["expected_status"].as_u64().unwrap_or_default();
        let range = case.get("expected_range").and_then(Value::as_str);
        let head_only = case["method"].as_str() == Some("HEAD");
        // A Last-Modified is weak unless declared strong: an If-Range date matches only on the
        // strong route (the table's `partial` for it assumes a strong date, as Go does).
        let weak_range = match id {
            "go-range-ifrange-date-match" => Some("full"),
            _ => range,
        };
        // A date naming the second of a weak Last-Modified vouches for nothing (RFC 9110
        // §8.8.2.2): the weak route gives the departure's status, without a range.
        let weak = match axum_conditional_tests::departure(id) {
            Some(status) => (u64::from(status), None),
            None => (expected, weak_range),
        };
        for (route, expected, range) in [("/strong", expected, range), ("/weak", weak.0, weak.1)] {
            let reply = send_raw(addr, route, case).await;
            if let Err(failure) = check_ranged(reply, expected, range, head_only) {
                failures.push(format!("{id} {route}: {failure}"));
            }
        }
        server.abort();
    }
    assert!(
        failures.is_empty(),
        "{} of {} range cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_case_of_the_conformance_table_through_conditional_handlers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cases.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let table: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases = table["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no `cases` array"));
    assert!(cases.len() >= 100, "the table has {} cases", cases.len());

    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        if let Err(failure) = run(case).await {
            failures.push(format!("{id}: {failure}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
