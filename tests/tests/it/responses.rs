//! What the answers carry (RFC 9110 §15.4.5 for 304, §15.5.13 and RFC 9457 for 412, RFC 6585 §3
//! for 428), and the axum integration driven through a real `Router` with
//! `tower::ServiceExt::oneshot`.

use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum_conditional::answer::CacheHeaders;
use axum_conditional::problem::PreconditionFailed;
use axum_conditional::{
    ETag, Failure, LastModified, Outcome, Policy, Preconditions, RangeDecision, Resource, evaluate,
};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
const LM_SECS: i64 = 784_111_777;
const LM_TEXT: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
const PROBLEM_BASE: &str =
    "https://docs.rs/axum-conditional/latest/axum_conditional/problem/index.html";

fn last_modified() -> LastModified {
    LastModified::from_unix_seconds(LM_SECS)
}

/// Version 7 of a document, with both validators.
fn document() -> Resource {
    Resource::existing(Some(ETag::from_version(7)), Some(last_modified()))
}

fn request_headers(fields: &[(header::HeaderName, &'static str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in fields {
        headers.append(name.clone(), HeaderValue::from_static(value));
    }
    headers
}

/// Evaluates a request and renders the answer the library gives in place of the handler.
fn answer(
    method: Method,
    fields: &[(header::HeaderName, &'static str)],
    resource: &Resource,
    policy: Policy,
    cache: &CacheHeaders,
) -> http::Response<String> {
    let decision = evaluate(&method, &request_headers(fields), resource.clone(), policy);
    decision
        .into_answer(cache.clone())
        .unwrap_or_else(|decision| panic!("{method} {fields:?} must be answered, got {decision:?}"))
        .into_http_response()
}

fn problem(response: &http::Response<String>) -> Value {
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    serde_json::from_str(response.body()).expect("the problem body is JSON")
}

fn cache_headers() -> CacheHeaders {
    CacheHeaders::new()
        .cache_control(HeaderValue::from_static(
            "private, max-age=0, must-revalidate",
        ))
        .vary(HeaderValue::from_static("accept-encoding"))
        .expires(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
        .content_location(HeaderValue::from_static("/documents/1"))
}

// ---------------------------------------------------------------------------------------------
// 304
// ---------------------------------------------------------------------------------------------

#[test]
fn not_modified_has_no_content_and_repeats_etag_and_declared_cache_headers() {
    let response = answer(
        Method::GET,
        &[(header::IF_NONE_MATCH, r#""6", W/"7""#)],
        &document(),
        Policy::new(),
        &cache_headers(),
    );
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(response.body(), "");
    let headers = response.headers();
    for content_header in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
    ] {
        assert!(
            !headers.contains_key(&content_header),
            "a 304 has no {content_header}"
        );
    }
    assert_eq!(headers[header::ETAG], r#""7""#);
    // With an ETag, Last-Modified would not help a cache update its stored response.
    assert!(!headers.contains_key(header::LAST_MODIFIED));
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "private, max-age=0, must-revalidate"
    );
    assert_eq!(headers[header::VARY], "accept-encoding");
    assert_eq!(headers[header::EXPIRES], "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(headers[header::CONTENT_LOCATION], "/documents/1");
}

#[test]
fn not_modified_sends_last_modified_only_when_there_is_no_etag() {
    // Declared strong: the date itself then identifies the version (RFC 9110 §8.8.2.2).
    let dated = Resource::existing(None, Some(last_modified())).with_strong_last_modified();
    let response = answer(
        Method::HEAD,
        &[(header::IF_MODIFIED_SINCE, LM_TEXT)],
        &dated,
        Policy::new(),
        &CacheHeaders::new(),
    );
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(response.headers()[header::LAST_MODIFIED], LM_TEXT);
    assert!(!response.headers().contains_key(header::ETAG));
    assert!(
        !response.headers().contains_key(header::CACHE_CONTROL),
        "nothing declared"
    );
    assert_eq!(response.body(), "");
}

// ---------------------------------------------------------------------------------------------
// 412
// ---------------------------------------------------------------------------------------------

#[test]
fn precondition_failed_is_a_problem_naming_the_header_with_current_validators() {
    let response = answer(
        Method::PUT,
        &[(header::IF_MATCH, r#""6""#)],
        &document(),
        Policy::new(),
        &CacheHeaders::new(),
    );
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(response.headers()[header::ETAG], r#""7""#);
    assert_eq!(response.headers()[header::LAST_MODIFIED], LM_TEXT);
    let body = problem(&response);
    assert_eq!(body["type"], format!("{PROBLEM_BASE}#precondition-failed"));
    assert_eq!(body["title"], "Precondition Failed");
    assert_eq!(body["status"], 412);
    let detail = body["detail"].as_str().expect("detail is a string");
    assert!(
        detail.contains("If-Match"),
        "detail names the header: {detail}"
    );
    assert_eq!(body["condition"], "If-Match");
    assert_eq!(body["reason"], "mismatch");
    assert_eq!(body["etag"], r#""7""#);
    assert_eq!(body["last_modified"], LM_TEXT);
}

#[test]
fn precondition_failed_names_each_condition_and_reason() {
    let table: &[(Method, (header::HeaderName, &'static str), &str, &str)] = &[
        (
            Method::DELETE,
            (header::IF_UNMODIFIED_SINCE, "Sun, 06 Nov 1994 08:49:36 GMT"),
            "If-Unmodified-Since",
            "modified",
        ),
        (
            Method::PUT,
            (header::IF_NONE_MATCH, "*"),
            "If-None-Match",
            "matched",
        ),
        (
            Method::PATCH,
            (header::IF_NONE_MATCH, r#"W/"7""#),
            "If-None-Match",
            "matched",
        ),
        (
            Method::PUT,
            (header::IF_MATCH, r#"W/"7""#),
            "If-Match",
            "weak-tag",
        ),
        (
            Method::GET,
            (header::IF_MATCH, r#""6""#),
            "If-Match",
            "mismatch",
        ),
    ];
    for (method, field, condition, reason) in table {
        let response = answer(
            method.clone(),
            std::slice::from_ref(field),
            &document(),
            Policy::new(),
            &CacheHeaders::new(),
        );
        assert_eq!(
            response.status(),
            StatusCode::PRECONDITION_FAILED,
            "{method} {field:?}"
        );
        let body = problem(&response);
        assert_eq!(body["condition"], *condition, "{method} {field:?}");
        assert_eq!(body["reason"], *reason, "{method} {field:?}");
        let detail = body["detail"].as_str().expect("detail is a string");
        assert!(detail.contains(condition), "{method} {field:?}: {detail}");
    }
}

#[test]
fn precondition_failed_for_a_missing_resource_says_so() {
    let response = answer(
        Method::PUT,
        &[(header::IF_MATCH, "*")],
        &Resource::missing(),
        Policy::new(),
        &CacheHeaders::new(),
    );
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    let body = problem(&response);
    assert_eq!(body["reason"], "no-current-representation");
    assert!(body.get("etag").is_none() && body.get("last_modified").is_none());
    assert!(!response.headers().contains_key(header::ETAG));
}

#[test]
fn malformed_if_match_gets_412_with_reason_malformed() {
    for value in ["7", r#"w/"7""#, r#""7"#, "", " ", ",", " , ,"] {
        let response = answer(
            Method::PUT,
            &[(header::IF_MATCH, value)],
            &document(),
            Policy::new(),
            &CacheHeaders::new(),
        );
        let body = problem(&response);
        // An empty If-Match names no version at all, so it cannot be a stale one: the field
        // is what to fix (see `Reason::Malformed`).
        assert_eq!(
            (response.status(), &body["reason"]),
            (StatusCode::PRECONDITION_FAILED, &Value::from("malformed")),
            "If-Match: {value}"
        );
    }
}

#[test]
fn expose_validators_off_hides_them_from_headers_and_body() {
    let response = answer(
        Method::PUT,
        &[(header::IF_MATCH, r#""6""#)],
        &document(),
        Policy::new().expose_validators(false),
        &CacheHeaders::new(),
    );
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    assert!(!response.headers().contains_key(header::ETAG));
    assert!(!response.headers().contains_key(header::LAST_MODIFIED));
    let body = problem(&response);
    assert!(body.get("etag").is_none(), "{body}");
    assert!(body.get("last_modified").is_none(), "{body}");
    assert_eq!(
        body["condition"], "If-Match",
        "the failure itself is still explained"
    );
}

#[test]
fn changed_during_request_412_is_built_by_handler_code_with_the_new_validators() {
    // `UPDATE … WHERE version = 7` changed nothing: someone wrote version 8 meanwhile.
    let now = Resource::existing(Some(ETag::from_version(8)), Some(last_modified()));
    let refusal = PreconditionFailed::new(Failure::changed_during_request()).with_current(&now);
    assert_eq!(refusal.failure(), Failure::changed_during_request());
    let response: http::Response<String> = refusal.into_http_response();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(response.headers()[header::ETAG], r#""8""#);
    assert_eq!(response.headers()[header::LAST_MODIFIED], LM_TEXT);
    let body = problem(&response);
    assert_eq!(body["condition"], "If-Match");
    assert_eq!(body["reason"], "changed-during-request");
    assert_eq!(body["status"], 412);
    assert_eq!(body["etag"], r#""8""#);
}

#[test]
fn precondition_failed_without_current_shows_no_validators() {
    let response: http::Response<String> =
        PreconditionFailed::new(Failure::changed_during_request()).into_http_response();
    assert!(!response.headers().contains_key(header::ETAG));
    let body = problem(&response);
    assert!(body.get("etag").is_none() && body.get("last_modified").is_none());
}

// ---------------------------------------------------------------------------------------------
// 428
// ---------------------------------------------------------------------------------------------

#[test]
fn precondition_required_is_a_problem_that_must_not_be_stored() {
    let required = Policy::new().require_precondition(true);
    let response = answer(
        Method::PUT,
        &[],
        &document(),
        required,
        &CacheHeaders::new(),
    );
    assert_eq!(response.status(), StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let body = problem(&response);
    assert_eq!(
        body["type"],
        format!("{PROBLEM_BASE}#precondition-required")
    );
    assert_eq!(body["title"], "Precondition Required");
    assert_eq!(body["status"], 428);
    let detail = body["detail"].as_str().expect("detail is a string");
    assert!(
        detail.contains("If-Match"),
        "says how to resubmit: {detail}"
    );
}

#[test]
fn precondition_required_accepts_what_fits_the_resource() {
    let required = Policy::new().require_precondition(true);
    let etag_only = Resource::existing(Some(ETag::from_version(7)), None);
    // What the 428 lists is exactly what gets past it (`Requirement`); `If-None-Match` (as
    // `*`) only on the methods that can create their target.
    let table: &[(Method, &str, Resource, &[&str])] = &[
        (
            Method::PUT,
            "existing, dated",
            document(),
            &["If-Match", "If-Unmodified-Since", "If-None-Match"],
        ),
        (
            Method::POST,
            "existing, dated",
            document(),
            &["If-Match", "If-Unmodified-Since"],
        ),
        (
            Method::PUT,
            "existing, undated",
            etag_only.clone(),
            &["If-Match", "If-None-Match"],
        ),
        (
            Method::DELETE,
            "existing, undated",
            etag_only,
            &["If-Match"],
        ),
        (
            Method::PUT,
            "missing: create only first",
            Resource::missing(),
            &["If-None-Match", "If-Match"],
        ),
        (Method::POST, "missing", Resource::missing(), &["If-Match"]),
        // A `PATCH` creates only where the route says so (`Policy::creates`).
        (
            Method::PATCH,
            "existing, dated",
            document(),
            &["If-Match", "If-Unmodified-Since"],
        ),
        (Method::PATCH, "missing", Resource::missing(), &["If-Match"]),
    ];
    for (method, name, resource, accepted) in table {
        let name = format!("{method} {name}");
        let response = answer(
            method.clone(),
            &[],
            resource,
            required,
            &CacheHeaders::new(),
        );
        assert_eq!(
            response.status(),
            StatusCode::PRECONDITION_REQUIRED,
            "{name}"
        );
        let body = problem(&response);
        let expected: Vec<Value> = accepted.iter().map(|&name| Value::from(name)).collect();
        assert_eq!(body["accepted"], Value::Array(expected), "{name}");
    }
    let create = answer(
        Method::PUT,
        &[],
        &Resource::missing(),
        required,
        &CacheHeaders::new(),
    );
    let detail = problem(&create)["detail"]
        .as_str()
        .expect("detail")
        .to_owned();
    assert!(
        detail.contains("If-None-Match: *"),
        "tells how to create: {detail}"
    );
}

// ---------------------------------------------------------------------------------------------
// Answer
// ---------------------------------------------------------------------------------------------

#[test]
fn answer_is_none_when_the_handler_must_run() {
    let cache = CacheHeaders::new();
    let proceed = evaluate(
        &Method::GET,
        &request_headers(&[]),
        document(),
        Policy::new(),
    );
    assert_eq!(
        proceed,
        Outcome::Proceed {
            range: RangeDecision::NotRequested,
        }
    );
    assert!(proceed.into_answer(cache.clone()).is_err());
    let deferred = evaluate(
        &Method::GET,
        &request_headers(&[(header::IF_MATCH, "*")]),
        Resource::missing(),
        Policy::new(),
    );
    assert!(
        matches!(deferred.outcome(), Outcome::Deferred(_)),
        "{deferred:?}"
    );
    assert!(deferred.runs_handler());
    let deferred = deferred.into_answer(cache).expect_err("the handler runs");
    // Once the handler answered: its 404 stands, a 2xx becomes the 412.
    assert!(deferred.settle(StatusCode::NOT_FOUND).is_none());
    assert!(deferred.settle(StatusCode::OK).is_some());
}

#[test]
fn answer_status_is_the_status_of_its_response() {
    let required = Policy::new().require_precondition(true);
    for (method, fields, policy, status) in [
        (
            Method::GET,
            vec![(header::IF_NONE_MATCH, "*")],
            Policy::new(),
            304,
        ),
        (
            Method::PUT,
            vec![(header::IF_MATCH, r#""1""#)],
            Policy::new(),
            412,
        ),
        (Method::PUT, vec![], required, 428),
    ] {
        let decision = evaluate(&method, &request_headers(&fields), document(), policy);
        let answer = decision.into_answer(CacheHeaders::new()).expect("answered");
        assert_eq!(answer.status(), status);
        let response: http::Response<String> = answer.into_http_response();
        assert_eq!(response.status(), status);
    }
}

// ---------------------------------------------------------------------------------------------
// axum
// ---------------------------------------------------------------------------------------------

async fn send(router: Router, request: Request<Body>) -> (Response, String) {
    let response = router
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let (parts, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .expect("the body is readable")
        .to_bytes();
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 body");
    (Response::from_parts(parts, Body::empty()), text)
}

fn request(method: Method, fields: &[(header::HeaderName, &'static str)]) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri("/doc");
    for (name, value) in fields {
        // `header` appends: repeated names become several field lines.
        builder = builder.header(name.clone(), *value);
    }
    builder.body(Body::empty()).expect("valid request")
}

#[tokio::test]
async fn etag_as_a_response_part_sets_the_etag_header() {
    let router = Router::new().route("/doc", get(|| async { (ETag::from_version(2), "body") }));
    let (response, body) = send(router, request(Method::GET, &[])).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::ETAG], r#""2""#);
    assert_eq!(body, "body");
}

#[tokio::test]
async fn etag_alone_is_a_response() {
    let router = Router::new().route("/doc", get(|| async { ETag::weak("v3").expect("valid") }));
    let (response, body) = send(router, request(Method::GET, &[])).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::ETAG], r#"W/"v3""#);
    assert_eq!(body, "");
}

#[tokio::test]
async fn last_modified_as_a_response_part_sets_the_last_modified_header() {
    let router = Router::new().route(
        "/doc",
        get(|| async { (last_modified(), ETag::from_version(1), "dated body") }),
    );
    let (response, body) = send(router, request(Method::GET, &[])).await;
    assert_eq!(response.headers()[header::LAST_MODIFIED], LM_TEXT);
    assert_eq!(response.headers()[header::ETAG], r#""1""#);
    assert_eq!(body, "dated body");
}

/// Reports, in a response header (kept on HEAD, unlike a body), how the extracted `Preconditions`
/// evaluate against [`document`].
async fn report_outcome(conditions: Preconditions) -> impl IntoResponse {
    let outcome = conditions
        .evaluate(document(), Policy::new().require_precondition(true))
        .outcome();
    let value = HeaderValue::from_str(&format!("{outcome:?}")).expect("Debug is printable");
    ([("x-outcome", value)], ())
}

#[tokio::test]
async fn conditions_extractor_evaluates_like_evaluate_on_the_raw_headers() {
    let router = Router::new().route("/doc", any(report_outcome));
    let table: &[(Method, &[(header::HeaderName, &'static str)])] = &[
        (Method::GET, &[]),
        (
            Method::GET,
            &[
                (header::IF_NONE_MATCH, r#""1""#),
                (header::IF_NONE_MATCH, r#""7""#),
            ],
        ),
        (Method::HEAD, &[(header::IF_MODIFIED_SINCE, LM_TEXT)]),
        (
            Method::GET,
            &[
                (header::IF_MATCH, r#""7""#),
                (header::IF_NONE_MATCH, r#"W/"7""#),
            ],
        ),
        (
            Method::GET,
            &[(header::RANGE, "bytes=0-1"), (header::IF_RANGE, r#""7""#)],
        ),
        (
            Method::GET,
            &[(header::RANGE, "bytes=0-1"), (header::IF_RANGE, r#"W/"7""#)],
        ),
        (Method::PUT, &[]),
        (
            Method::PUT,
            &[(header::IF_MATCH, r#""1""#), (header::IF_MATCH, r#""7""#)],
        ),
        (Method::PUT, &[(header::IF_MATCH, "v7")]),
        (
            Method::PATCH,
            &[(header::IF_UNMODIFIED_SINCE, "Sun, 06 Nov 1994 08:49:36 GMT")],
        ),
        (
            Method::DELETE,
            &[
                (header::IF_UNMODIFIED_SINCE, LM_TEXT),
                (header::IF_UNMODIFIED_SINCE, LM_TEXT),
            ],
        ),
        (Method::POST, &[(header::IF_NONE_MATCH, "*")]),
        (Method::OPTIONS, &[(header::IF_MATCH, r#""1""#)]),
    ];
    for (method, fields) in table {
        let direct = evaluate(
            method,
            &request_headers(fields),
            document(),
            Policy::new().require_precondition(true),
        )
        .outcome();
        let (response, _) = send(router.clone(), request(method.clone(), fields)).await;
        assert_eq!(
            response.headers()["x-outcome"],
            format!("{direct:?}").as_str(),
            "{method} {fields:?}"
        );
    }
}

/// A hand-written conditional handler: evaluate, answer in place of the handler when told to,
/// otherwise serve the document with its validators.
async fn conditional_document(conditions: Preconditions) -> Response {
    let resource = document();
    let policy = Policy::new();
    match conditions
        .evaluate(resource, policy)
        .into_answer(cache_headers())
    {
        Ok(answer) => answer.into_response(),
        Err(_proceed) => (ETag::from_version(7), last_modified(), "document v7").into_response(),
    }
}

#[tokio::test]
async fn answer_is_an_axum_response() {
    let router = Router::new().route("/doc", any(conditional_document));

    let (response, body) = send(router.clone(), request(Method::GET, &[])).await;
    assert_eq!(
        (response.status(), body.as_str()),
        (StatusCode::OK, "document v7")
    );

    let (response, body) = send(
        router.clone(),
        request(Method::GET, &[(header::IF_NONE_MATCH, r#""7""#)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(body, "");
    assert_eq!(response.headers()[header::ETAG], r#""7""#);
    assert_eq!(response.headers()[header::VARY], "accept-encoding");
    assert!(!response.headers().contains_key(header::CONTENT_TYPE));

    let (response, body) = send(
        router.clone(),
        request(Method::PUT, &[(header::IF_MATCH, r#""6""#)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let problem: Value = serde_json::from_str(&body).expect("JSON body");
    assert_eq!(problem["condition"], "If-Match");
    assert_eq!(problem["etag"], r#""7""#);
}

// ---------------------------------------------------------------------------------------------
// Problem bodies for any validator
// ---------------------------------------------------------------------------------------------

mod any_validator {
    use super::*;
    use proptest::prelude::{Strategy, any, prop, prop_assert_eq, proptest};

    fn etagc() -> impl Strategy<Value = u8> {
        any::<u8>().prop_filter("etagc", |&b| {
            b == b'!' || (b'#'..=b'~').contains(&b) || b >= 0x80
        })
    }

    proptest! {
        /// Backslashes, obs-text and non-UTF-8 bytes in a tag must still give valid JSON whose
        /// `etag` member reads as the tag's `Display`, and the header the exact tag bytes.
        #[test]
        fn precondition_failed_body_is_valid_json_for_any_current_tag(
            opaque in prop::collection::vec(etagc(), 0..24),
            weak in any::<bool>(),
            secs in -62_167_219_200_i64..1_700_000_000,
        ) {
            let tag = if weak { ETag::weak(&opaque) } else { ETag::strong(&opaque) }.expect("etagc");
            let resource = Resource::existing(Some(tag.clone()), Some(LastModified::from_unix_seconds(secs)));
            let response = answer(
                Method::PUT,
                &[(header::IF_MATCH, r#""never-current""#)],
                &resource,
                Policy::new(),
                &CacheHeaders::new(),
            );
            prop_assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
            prop_assert_eq!(response.headers()[header::ETAG].as_bytes(), tag.as_header_value().as_bytes());
            let body = problem(&response);
            // A tag that is not UTF-8 cannot be shown exactly in JSON, so it is left out.
            match tag.to_str() {
                Some(exact) => prop_assert_eq!(&body["etag"], &Value::from(exact)),
                None => proptest::prop_assert!(body.get("etag").is_none()),
            }
            let date = LastModified::from_unix_seconds(secs).to_string();
            prop_assert_eq!(&body["last_modified"], &Value::from(date));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the client sent, in the 412 body
// ---------------------------------------------------------------------------------------------

mod sent {
    use super::*;
    use axum_conditional::conditional;
    use axum_conditional::problem::SENT_LIMIT;
    use proptest::prelude::{Strategy, any, prop, prop_assert, prop_assert_eq, proptest};

    #[conditional(etag = ETag::from_version(7), last_modified = super::last_modified())]
    async fn exposed() -> &'static str {
        "document v7"
    }

    #[conditional(etag = ETag::from_version(7), expose_validators = false)]
    async fn hidden() -> &'static str {
        "document v7"
    }

    fn routes() -> Router {
        Router::new()
            .route("/doc", axum::routing::put(exposed))
            .route("/hidden", axum::routing::put(hidden))
    }

    async fn refusal(path: &str, fields: &[(header::HeaderName, &'static str)]) -> Value {
        let mut builder = Request::builder().method(Method::PUT).uri(path);
        for (name, value) in fields {
            builder = builder.header(name.clone(), *value);
        }
        let request = builder.body(Body::empty()).expect("valid request");
        let (response, body) = send(routes(), request).await;
        assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED, "{body}");
        serde_json::from_str(&body).expect("the problem body is JSON")
    }

    #[tokio::test]
    async fn a_412_shows_the_if_match_lines_as_received() {
        let body = refusal(
            "/doc",
            &[
                (header::IF_MATCH, r#""5",  "6""#),
                (header::IF_MATCH, r#"W/"7""#),
            ],
        )
        .await;
        // The current tag, sent weak: told apart from a stale one.
        assert_eq!(body["reason"], "weak-tag");
        assert_eq!(body["sent"], r#""5",  "6", W/"7""#);
    }

    /// A field split over more than two lines: the first two as received, and `…` for the rest
    /// (the evaluator keeps two lines without allocating).
    #[tokio::test]
    async fn a_412_marks_the_lines_it_leaves_out() {
        let body = refusal(
            "/doc",
            &[
                (header::IF_MATCH, r#""4""#),
                (header::IF_MATCH, r#""5""#),
                (header::IF_MATCH, r#""6""#),
            ],
        )
        .await;
        assert_eq!(body["reason"], "mismatch");
        assert_eq!(body["sent"], "\"4\", \"5\", \u{2026}");
    }

    #[tokio::test]
    async fn a_412_shows_each_failed_field_as_received() {
        let table: &[(header::HeaderName, &str, &str)] = &[
            (header::IF_MATCH, "v7", "malformed"),
            (
                header::IF_UNMODIFIED_SINCE,
                "Sunday, 06-Nov-94 08:49:36 GMT",
                "modified",
            ),
            (header::IF_NONE_MATCH, r#"W/"7""#, "matched"),
        ];
        for (name, value, reason) in table {
            let body = refusal("/doc", &[(name.clone(), value)]).await;
            assert_eq!(body["reason"], *reason, "{name}: {value}");
            assert_eq!(body["sent"], *value, "{name}: {value}");
        }
    }

    #[tokio::test]
    async fn a_route_that_hides_its_validators_does_not_echo_the_request() {
        let body = refusal("/hidden", &[(header::IF_MATCH, r#""6""#)]).await;
        assert_eq!(body["condition"], "If-Match");
        assert!(body.get("sent").is_none(), "{body}");
        assert!(body.get("etag").is_none(), "{body}");
    }

    fn failed_with(lines: &[HeaderValue]) -> Value {
        let refusal = PreconditionFailed::new(Failure::changed_during_request()).with_sent(lines);
        serde_json::from_str(&refusal.body()).expect("the problem body is JSON")
    }

    #[test]
    fn a_long_value_is_cut_at_a_char_boundary_with_a_marker() {
        // 2-byte characters, so that the limit falls inside one.
        let long = HeaderValue::from_str(&format!("\"{}\"", "é".repeat(300))).expect("valid");
        let body = failed_with(&[long]);
        let sent = body["sent"].as_str().expect("a string");
        assert!(sent.len() <= SENT_LIMIT, "{} bytes", sent.len());
        assert!(
            sent.len() > SENT_LIMIT - 8,
            "{} bytes: cut no shorter than needed",
            sent.len()
        );
        assert!(sent.starts_with("\"éé"), "{sent}");
        assert!(sent.ends_with("é\u{2026}"), "{sent}");
    }

    #[test]
    fn a_value_at_the_limit_is_whole() {
        let exact = HeaderValue::from_str(&"x".repeat(SENT_LIMIT)).expect("valid");
        assert_eq!(failed_with(&[exact])["sent"], "x".repeat(SENT_LIMIT));
    }

    #[test]
    fn non_utf8_bytes_become_replacement_characters() {
        let obs_text = HeaderValue::from_bytes(b"\"\xff\xfe\" , \"\xc3\xa9\"\t").expect("obs-text");
        assert_eq!(
            failed_with(&[obs_text])["sent"],
            "\"\u{fffd}\u{fffd}\" , \"é\"\t"
        );
    }

    #[test]
    fn no_lines_or_empty_ones_give_no_sent_member() {
        assert!(failed_with(&[]).get("sent").is_none());
        assert!(
            failed_with(&[HeaderValue::from_static("")])
                .get("sent")
                .is_none()
        );
    }

    proptest! {
        /// Any bytes a header value can hold, on any number of lines, give a body that parses
        /// as JSON, with a `sent` member within the limit.
        #[test]
        fn the_body_is_valid_json_for_any_field_bytes(
            lines in prop::collection::vec(
                prop::collection::vec(
                    any::<u8>().prop_filter("field-content", |&b| b == b'\t' || (b >= 0x20 && b != 0x7f)),
                    0..400,
                ),
                0..4,
            ),
        ) {
            let values: Vec<HeaderValue> = lines
                .iter()
                .map(|line| HeaderValue::from_bytes(line).expect("valid field bytes"))
                .collect();
            let body = failed_with(&values);
            prop_assert_eq!(&body["reason"], "changed-during-request");
            match body.get("sent") {
                Some(sent) => {
                    let sent = sent.as_str().expect("a string");
                    prop_assert!(sent.len() <= SENT_LIMIT, "{} bytes", sent.len());
                }
                None => prop_assert!(lines.iter().all(Vec::is_empty)),
            }
        }
    }
}
