//! The responses the evaluator answers with: 304, and RFC 9457 problem details for 412 and
//! 428.
//!
//! # Problem types
//!
//! Refusals carry an `application/problem+json` body (RFC 9457) whose `type` is one of the
//! stable URIs below, so that clients can branch on it. Every body also has `title`, `status`
//! and a `detail` sentence for people.
//!
//! ## precondition-failed
//!
//! `https://docs.rs/axum-conditional/latest/axum_conditional/problem/index.html#precondition-failed`,
//! status 412. Members:
//!
//! - `condition`: the header whose condition was false, such as `"If-Match"`;
//! - `reason`: why, one of the names of [`Reason::as_str`](crate::Reason::as_str);
//! - `etag` and `last_modified`: the resource's current validators, so the client can re-read
//!   and re-apply its change, unless [`Policy::expose_validators`](crate::Policy::expose_validators)
//!   is off. `etag` is left out when the tag is not UTF-8 (the `ETag` header still carries
//!   its exact bytes).
//!
//! ## precondition-required
//!
//! `https://docs.rs/axum-conditional/latest/axum_conditional/problem/index.html#precondition-required`,
//! status 428. Member `accepted`: the headers that would make the request acceptable, most
//! useful first.

use std::fmt::Write as _;

use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use crate::outcome::{Failure, Outcome, Requirement};
use crate::{ETag, LastModified, Policy, Resource};

macro_rules! problem_type {
    ($anchor:literal) => {
        concat!(
            "https://docs.rs/axum-conditional/latest/axum_conditional/problem/index.html#",
            $anchor
        )
    };
}

/// The headers a 304 must repeat from the 200 it stands for (RFC 9110 §15.4.5): `Cache-Control`,
/// `Vary`, `Expires` and `Content-Location`.
///
/// A 304 answered before the handler runs cannot see what the handler would have set, so the
/// route declares them here; `#[conditional]` fills this from its `cache_control` and `vary`
/// arguments and also sets them on 2xx `GET`/`HEAD` responses that lack them.
///
/// ```
/// use axum_conditional::problem::CacheHeaders;
/// use http::HeaderValue;
///
/// let cache = CacheHeaders::new()
///     .cache_control(HeaderValue::from_static("private, max-age=0, must-revalidate"))
///     .vary(HeaderValue::from_static("accept-encoding"));
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("vary", HeaderValue::from_static("accept"));
/// cache.fill_missing(&mut headers);
/// assert_eq!(headers["cache-control"], "private, max-age=0, must-revalidate");
/// assert_eq!(headers["vary"], "accept", "the handler's own value is kept");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheHeaders {
    cache_control: Option<HeaderValue>,
    vary: Option<HeaderValue>,
    expires: Option<HeaderValue>,
    content_location: Option<HeaderValue>,
}

impl CacheHeaders {
    /// No headers.
    pub const fn new() -> Self {
        Self {
            cache_control: None,
            vary: None,
            expires: None,
            content_location: None,
        }
    }

    /// Sets `Cache-Control`.
    #[must_use]
    pub fn cache_control(mut self, value: HeaderValue) -> Self {
        self.cache_control = Some(value);
        self
    }

    /// Sets `Vary`.
    #[must_use]
    pub fn vary(mut self, value: HeaderValue) -> Self {
        self.vary = Some(value);
        self
    }

    /// Sets `Expires`.
    #[must_use]
    pub fn expires(mut self, value: HeaderValue) -> Self {
        self.expires = Some(value);
        self
    }

    /// Sets `Content-Location`.
    #[must_use]
    pub fn content_location(mut self, value: HeaderValue) -> Self {
        self.content_location = Some(value);
        self
    }

    fn entries(&self) -> impl Iterator<Item = (header::HeaderName, &HeaderValue)> {
        [
            (header::CACHE_CONTROL, &self.cache_control),
            (header::VARY, &self.vary),
            (header::EXPIRES, &self.expires),
            (header::CONTENT_LOCATION, &self.content_location),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.as_ref()?)))
    }

    /// Adds each declared header that `headers` does not have yet, leaving the handler's own
    /// values alone.
    pub fn fill_missing(&self, headers: &mut HeaderMap) {
        for (name, value) in self.entries() {
            headers.entry(name).or_insert_with(|| value.clone());
        }
    }
}

/// A 304 Not Modified response (RFC 9110 §15.4.5).
///
/// No content and no content headers (`Content-Type`, `Content-Length`, `Content-Encoding`);
/// the `ETag`, the declared [`CacheHeaders`], and `Last-Modified` only when there is no `ETag`
/// (it then helps a cache update its stored response).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotModified {
    etag: Option<ETag>,
    last_modified: Option<LastModified>,
    cache: CacheHeaders,
}

impl NotModified {
    /// The 304 for `resource`'s current validators.
    pub fn new(resource: &Resource) -> Self {
        Self {
            etag: resource.etag().cloned(),
            last_modified: resource.last_modified(),
            cache: CacheHeaders::new(),
        }
    }

    /// Repeats these headers of the 200.
    #[must_use]
    pub fn with_cache_headers(mut self, cache: CacheHeaders) -> Self {
        self.cache = cache;
        self
    }

    /// The response, with an empty body of any type.
    pub fn into_http_response<B: Default>(self) -> Response<B> {
        let mut response = Response::new(B::default());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        let headers = response.headers_mut();
        match (self.etag, self.last_modified) {
            (Some(etag), _) => {
                headers.insert(header::ETAG, etag.into());
            }
            (None, Some(date)) => {
                headers.insert(header::LAST_MODIFIED, date.into());
            }
            (None, None) => {}
        }
        self.cache.fill_missing(headers);
        response
    }
}

/// A 412 Precondition Failed response with an RFC 9457 problem body.
///
/// The evaluator's 412s are built from its [`Failure`]. A handler builds the same response
/// when its atomic write finds that the version changed after the early check passed:
///
/// ```
/// use axum_conditional::problem::PreconditionFailed;
/// use axum_conditional::{ETag, Failure, Resource};
///
/// // `UPDATE documents SET … WHERE id = ? AND version = ?` changed zero rows.
/// let now = Resource::new(Some(ETag::from_version(8)), None);
/// let refusal = PreconditionFailed::new(Failure::changed_during_request()).with_current(&now);
/// let response: http::Response<String> = refusal.into_http_response();
/// assert_eq!(response.status(), 412);
/// assert_eq!(response.headers()["etag"], r#""8""#);
/// assert!(response.body().contains(r#""reason":"changed-during-request""#));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreconditionFailed {
    failure: Failure,
    etag: Option<ETag>,
    last_modified: Option<LastModified>,
}

impl PreconditionFailed {
    /// A 412 for `failure` that shows no validators.
    pub fn new(failure: Failure) -> Self {
        Self {
            failure,
            etag: None,
            last_modified: None,
        }
    }

    /// Shows `resource`'s current validators, in the `ETag` and `Last-Modified` headers and in
    /// the body, so the client can re-read and re-apply its change.
    #[must_use]
    pub fn with_current(mut self, resource: &Resource) -> Self {
        self.etag = resource.etag().cloned();
        self.last_modified = resource.last_modified();
        self
    }

    /// What failed.
    pub fn failure(&self) -> Failure {
        self.failure
    }

    /// The `application/problem+json` body.
    pub fn body(&self) -> String {
        let mut body = problem(
            problem_type!("precondition-failed"),
            StatusCode::PRECONDITION_FAILED,
            &self.failure.to_string(),
        );
        member(&mut body, "condition", self.failure.condition().as_str());
        member(&mut body, "reason", self.failure.reason().as_str());
        // `Display` cannot show non-UTF-8 bytes exactly; a client must not copy a lossy tag.
        if let Some(etag) = self.etag.as_ref().filter(|etag| etag.to_str().is_some()) {
            member(&mut body, "etag", &etag.to_string());
        }
        if let Some(date) = self.last_modified {
            member(&mut body, "last_modified", &date.to_string());
        }
        body.push('}');
        body
    }

    /// The response.
    pub fn into_http_response<B: From<String>>(self) -> Response<B> {
        let mut response = Response::new(B::from(self.body()));
        *response.status_mut() = StatusCode::PRECONDITION_FAILED;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, problem_json());
        if let Some(etag) = self.etag {
            headers.insert(header::ETAG, etag.into());
        }
        if let Some(date) = self.last_modified {
            headers.insert(header::LAST_MODIFIED, date.into());
        }
        response
    }
}

/// A 428 Precondition Required response (RFC 6585 §3) with an RFC 9457 problem body that says
/// how to resubmit, and `Cache-Control: no-store` (a 428 must not be stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreconditionRequired {
    requirement: Requirement,
}

impl PreconditionRequired {
    /// The 428 for `requirement`.
    pub fn new(requirement: Requirement) -> Self {
        Self { requirement }
    }

    /// What would be accepted.
    pub fn requirement(&self) -> Requirement {
        self.requirement
    }

    /// The `application/problem+json` body.
    pub fn body(&self) -> String {
        let mut body = problem(
            problem_type!("precondition-required"),
            StatusCode::PRECONDITION_REQUIRED,
            self.requirement.advice(),
        );
        body.push_str(",\"accepted\":[");
        for (i, condition) in self.requirement.accepted().enumerate() {
            if i > 0 {
                body.push(',');
            }
            string(&mut body, condition.as_str());
        }
        body.push_str("]}");
        body
    }

    /// The response.
    pub fn into_http_response<B: From<String>>(self) -> Response<B> {
        let mut response = Response::new(B::from(self.body()));
        *response.status_mut() = StatusCode::PRECONDITION_REQUIRED;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, problem_json());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// The response that answers an [`Outcome`] in place of the handler.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// 304.
    NotModified(NotModified),
    /// 412.
    PreconditionFailed(PreconditionFailed),
    /// 428.
    PreconditionRequired(PreconditionRequired),
}

impl Answer {
    /// The answer to `outcome`, or `None` when the handler must run (`Proceed`, `Deferred`).
    ///
    /// ```
    /// use axum_conditional::problem::{Answer, CacheHeaders};
    /// use axum_conditional::{evaluate, ETag, Policy, Resource};
    /// use http::{HeaderMap, HeaderValue, Method, header};
    ///
    /// let resource = Resource::new(Some(ETag::from_version(2)), None);
    /// let mut headers = HeaderMap::new();
    /// headers.insert(header::IF_MATCH, HeaderValue::from_static(r#""1""#));
    /// let outcome = evaluate(&Method::PUT, &headers, &resource, Policy::new());
    ///
    /// let answer = Answer::for_outcome(outcome, &resource, Policy::new(), &CacheHeaders::new());
    /// let response: http::Response<String> = answer.unwrap().into_http_response();
    /// assert_eq!(response.status(), 412);
    /// ```
    pub fn for_outcome(
        outcome: Outcome,
        resource: &Resource,
        policy: Policy,
        cache: &CacheHeaders,
    ) -> Option<Self> {
        match outcome {
            Outcome::Proceed { .. } | Outcome::Deferred(_) => None,
            Outcome::NotModified => Some(Answer::NotModified(
                NotModified::new(resource).with_cache_headers(cache.clone()),
            )),
            Outcome::PreconditionFailed(failure) => Some(Answer::PreconditionFailed(
                precondition_failed(failure, resource, policy),
            )),
            Outcome::PreconditionRequired(requirement) => Some(Answer::PreconditionRequired(
                PreconditionRequired::new(requirement),
            )),
        }
    }

    /// The status code: 304, 412 or 428.
    pub fn status(&self) -> StatusCode {
        match self {
            Answer::NotModified(_) => StatusCode::NOT_MODIFIED,
            Answer::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Answer::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
        }
    }

    /// The response.
    pub fn into_http_response<B: From<String> + Default>(self) -> Response<B> {
        match self {
            Answer::NotModified(answer) => answer.into_http_response(),
            Answer::PreconditionFailed(answer) => answer.into_http_response(),
            Answer::PreconditionRequired(answer) => answer.into_http_response(),
        }
    }
}

/// The 412 for `failure`, showing the current validators if the policy allows.
pub(crate) fn precondition_failed(
    failure: Failure,
    resource: &Resource,
    policy: Policy,
) -> PreconditionFailed {
    let answer = PreconditionFailed::new(failure);
    if policy.exposes_validators() {
        answer.with_current(resource)
    } else {
        answer
    }
}

fn problem_json() -> HeaderValue {
    HeaderValue::from_static("application/problem+json")
}

/// The opening of a problem details object, up to and including `detail`; the caller adds its
/// members and the closing brace.
fn problem(kind: &str, status: StatusCode, detail: &str) -> String {
    let mut body = String::with_capacity(512);
    body.push('{');
    string(&mut body, "type");
    body.push(':');
    string(&mut body, kind);
    member(
        &mut body,
        "title",
        status.canonical_reason().unwrap_or_default(),
    );
    let _ = write!(body, ",\"status\":{}", status.as_u16());
    member(&mut body, "detail", detail);
    body
}

/// Writes `,"name":"value"`.
fn member(out: &mut String, name: &str, value: &str) {
    out.push(',');
    string(out, name);
    out.push(':');
    string(out, value);
}

/// Writes `value` as a JSON string.
fn string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
