//! The refusals: 412 and 428, with their RFC 9457 problem details. The 304 and the choice of
//! the answer for an outcome are in [`answer`](crate::rfc::answer).
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
//!   its exact bytes);
//! - `sent`: what the client sent in the failed field, its lines joined by `", "`, at most
//!   [`SENT_LIMIT`] bytes (a longer value is cut and ends with `…`), bytes that are not UTF-8
//!   replaced by U+FFFD (see [`PreconditionFailed::with_sent`]). The evaluator's 412s carry it
//!   unless the policy hides the validators; a handler's own 412 carries it if it says so.
//!
//! One body per `reason` (`type` and `detail` left out):
//!
//! ```text
//! mismatch                  PUT, If-Match: "6", current "7"
//!   {"condition":"If-Match","reason":"mismatch","etag":"\"7\"","last_modified":"…","sent":"\"6\""}
//! malformed                 PUT, If-Match: 7
//!   {"condition":"If-Match","reason":"malformed","etag":"\"7\"","sent":"7"}
//! no-current-representation PUT, If-Match: *, no resource
//!   {"condition":"If-Match","reason":"no-current-representation","sent":"*"}
//! modified                  DELETE, If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT
//!   {"condition":"If-Unmodified-Since","reason":"modified","last_modified":"Sun, 06 Nov 1994 08:49:37 GMT","sent":"Sun, 06 Nov 1994 08:49:36 GMT"}
//! matched                   PUT, If-None-Match: *, resource exists
//!   {"condition":"If-None-Match","reason":"matched","etag":"\"1\"","sent":"*"}
//! changed-during-request    built by the handler when its atomic write changed nothing
//!   {"condition":"If-Match","reason":"changed-during-request","etag":"\"8\""}
//! ```
//!
//! ## precondition-required
//!
//! `https://docs.rs/axum-conditional/latest/axum_conditional/problem/index.html#precondition-required`,
//! status 428. Member `accepted`: the headers that would make the request acceptable, most
//! useful first.

use std::fmt::Write as _;

use http::{HeaderValue, Response, StatusCode, header};

use crate::rfc::outcome::{Failure, Requirement};
use crate::rfc::{ETag, LastModified, Resource};

macro_rules! problem_type {
    ($anchor:literal) => {
        concat!(
            "https://docs.rs/axum-conditional/latest/axum_conditional/problem/index.html#",
            $anchor
        )
    };
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
/// let now = Resource::existing(Some(ETag::from_version(8)), None);
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
    sent: Option<String>,
}

impl PreconditionFailed {
    /// A 412 for `failure` that shows no validators.
    pub fn new(failure: Failure) -> Self {
        Self {
            failure,
            etag: None,
            last_modified: None,
            sent: None,
        }
    }

    /// Shows, in the body's `sent` member, what the client sent in the failed field: pass the field
    /// lines of the [`ConditionHeader::header_name`](crate::ConditionHeader::header_name) of the
    /// failure, `headers.get_all(…)`. `#[conditional]` does so for the evaluator's 412s unless the
    /// route hides its validators (`expose_validators = false`).
    ///
    /// The lines are joined by `", "`, as a recipient may combine field lines (RFC 9110 §5.3).
    /// Bytes that are not UTF-8 (obs-text, §5.5) each become U+FFFD, so the member is always a
    /// valid JSON string but then not an exact copy. A value longer than [`SENT_LIMIT`] bytes is
    /// cut at a character boundary and ends with `…` (U+2026), within the limit. Without lines,
    /// or with only empty ones, there is no `sent` member.
    ///
    /// ```
    /// use axum_conditional::problem::PreconditionFailed;
    /// use axum_conditional::{ConditionHeader, Failure};
    /// use http::{HeaderMap, HeaderValue, header};
    ///
    /// let mut request = HeaderMap::new();
    /// request.append(header::IF_MATCH, HeaderValue::from_static(r#""5""#));
    /// request.append(header::IF_MATCH, HeaderValue::from_static(r#""6""#));
    ///
    /// let failure = Failure::changed_during_request();
    /// assert_eq!(failure.condition(), ConditionHeader::IfMatch);
    /// let refusal = PreconditionFailed::new(failure)
    ///     .with_sent(request.get_all(failure.condition().header_name()));
    /// let body: serde_json::Value = serde_json::from_str(&refusal.body()).unwrap();
    /// assert_eq!(body["sent"], r#""5", "6""#);
    /// ```
    #[must_use]
    pub fn with_sent<'a>(mut self, lines: impl IntoIterator<Item = &'a HeaderValue>) -> Self {
        self.sent = bounded_sent(lines, false);
        self
    }

    /// [`PreconditionFailed::with_sent`], for the first lines of a field that had `more`: the
    /// text then ends with the `…` marker.
    pub(crate) fn with_sent_lines<'a>(
        mut self,
        lines: impl IntoIterator<Item = &'a HeaderValue>,
        more: bool,
    ) -> Self {
        self.sent = bounded_sent(lines, more);
        self
    }

    /// Shows `resource`'s current validators, in the `ETag` and `Last-Modified` headers and in
    /// the body, so the client can re-read and re-apply its change: the tag of the selected
    /// representation (in the coding declared with
    /// [`Resource::with_coding`](crate::Resource::with_coding)), the one a `GET` with the same
    /// `Accept-Encoding` gets.
    #[must_use]
    pub fn with_current(mut self, resource: &Resource) -> Self {
        self.etag = resource.selected_etag();
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
            member(&mut body, "last_modified", &date.as_sent().to_string());
        }
        if let Some(sent) = &self.sent {
            member(&mut body, "sent", sent);
        }
        body.push('}');
        body
    }

    /// The response.
    pub fn into_http_response<B: From<String>>(self) -> Response<B> {
        let mut response = Response::new(B::from(self.body()));
        *response.status_mut() = StatusCode::PRECONDITION_FAILED;
        // What failed, for whoever records the answer the client got (the outcome events):
        // a handler's own 412 (a compare-and-swap that lost) is a refusal too.
        response.extensions_mut().insert(self.failure);
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

/// The most bytes of UTF-8 the `sent` member of a 412 body holds, its `…` marker included
/// (see [`PreconditionFailed::with_sent`]): enough for a few entity-tags or one date, and a
/// bound on how much of a request a refusal repeats.
pub const SENT_LIMIT: usize = 256;

/// The `sent` text of [`PreconditionFailed::with_sent`].
fn bounded_sent<'a>(
    lines: impl IntoIterator<Item = &'a HeaderValue>,
    more: bool,
) -> Option<String> {
    const MARKER: &str = "\u{2026}";
    let mut sent = String::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if !sent.is_empty() {
            sent.push_str(", ");
        }
        // Past the limit it is cut anyway: never convert more of a long line than that. A
        // sequence split here becomes a U+FFFD at the very end, which the cut then removes.
        let bytes = line.as_bytes();
        sent.push_str(&String::from_utf8_lossy(
            &bytes[..bytes.len().min(SENT_LIMIT + 1)],
        ));
        if sent.len() > SENT_LIMIT {
            break;
        }
    }
    if more && !sent.is_empty() && sent.len() <= SENT_LIMIT {
        // Lines left out: say so, within the limit.
        sent.push_str(", ");
        sent.push_str(MARKER);
    }
    if sent.len() > SENT_LIMIT {
        let mut end = SENT_LIMIT - MARKER.len();
        while !sent.is_char_boundary(end) {
            end -= 1;
        }
        sent.truncate(end);
        sent.push_str(MARKER);
    }
    (!sent.is_empty()).then_some(sent)
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
