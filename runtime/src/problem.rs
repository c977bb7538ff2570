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
/// arguments and also adds them to its 2xx `GET`/`HEAD` responses with
/// [`fill_missing`](Self::fill_missing): a `Cache-Control`, `Expires` or `Content-Location` the
/// handler set wins, while `Vary` is merged, so that every declared member is on the 200 as on
/// the 304. Declare every member the handler's 200 varies on, the ones a layer adds included
/// (tower-http's `CompressionLayer` adds `accept-encoding` to what it compresses, and leaves a
/// `Vary` alone that already lists it); the 304 cannot carry a member it was not told about.
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
/// headers.insert("cache-control", HeaderValue::from_static("no-store"));
/// headers.insert("vary", HeaderValue::from_static("Accept"));
/// cache.fill_missing(&mut headers);
/// assert_eq!(headers["cache-control"], "no-store", "the handler's own value is kept");
/// assert_eq!(headers["vary"], "Accept, accept-encoding", "the members are merged");
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

    /// Whether no header is declared.
    fn is_empty(&self) -> bool {
        self.cache_control.is_none()
            && self.vary.is_none()
            && self.expires.is_none()
            && self.content_location.is_none()
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

    /// Adds what `headers` is missing: each declared header it does not have, and each
    /// declared `Vary` member it does not list.
    ///
    /// `Cache-Control`, `Expires` and `Content-Location` already in `headers` are kept as they
    /// are. `Vary` becomes one field line listing the members already there, then the declared
    /// ones, each once (field names are case-insensitive, RFC 9110 §5.1); a `*` on either side
    /// is all of `Vary`, since it already says that anything may vary (§12.5.5). A `Vary` that
    /// already lists every declared member is left untouched.
    pub fn fill_missing(&self, headers: &mut HeaderMap) {
        for (name, value) in self.entries() {
            if name == header::VARY {
                merge_vary(headers, value);
            } else {
                headers.entry(name).or_insert_with(|| value.clone());
            }
        }
    }
}

/// Adds `declared`'s members to the `Vary` of `headers` (see [`CacheHeaders::fill_missing`]).
fn merge_vary(headers: &mut HeaderMap, declared: &HeaderValue) {
    if !headers.contains_key(header::VARY) && is_plain_member_list(declared.as_bytes()) {
        // Nothing to merge with, and nothing to change in the declared value: what the general
        // case below gives, without its two vectors (every 304 that declares `vary`, and most
        // 200s; `tests/alloc.rs` pins a 304's allocations).
        headers.insert(header::VARY, declared.clone());
        return;
    }
    let present: Vec<&[u8]> = headers
        .get_all(header::VARY)
        .iter()
        .flat_map(|line| vary_members(line.as_bytes()))
        .collect();
    let wanted: Vec<&[u8]> = vary_members(declared.as_bytes()).collect();
    if wanted.is_empty() {
        return;
    }
    let star = |members: &[&[u8]]| members.iter().any(|member| *member == b"*");
    let merged = if star(&present) || star(&wanted) {
        if present.len() == 1 && present[0] == b"*" {
            return;
        }
        HeaderValue::from_static("*")
    } else {
        let mut members: Vec<&[u8]> = Vec::with_capacity(present.len() + wanted.len());
        for member in present.iter().chain(&wanted) {
            if !members.iter().any(|seen| seen.eq_ignore_ascii_case(member)) {
                members.push(member);
            }
        }
        if members.len() == present.len() && headers.get_all(header::VARY).iter().count() == 1 {
            // Nothing to add, and nothing repeated: the handler's own line stays as it is.
            return;
        }
        if present.is_empty() && members.len() == wanted.len() {
            // The common case, the declared value alone: a clone of a static value is free.
            declared.clone()
        } else {
            match HeaderValue::from_bytes(&members.join(&b", "[..])) {
                Ok(value) => value,
                // Members of valid values joined by ", " are valid: unreachable, and harmless.
                Err(_) => return,
            }
        }
    };
    headers.insert(header::VARY, merged);
}

/// Whether a `Vary` line has at least one member, no `*` and no member twice (ignoring case):
/// then merging it into no `Vary` at all gives the line itself.
fn is_plain_member_list(line: &[u8]) -> bool {
    let mut members = vary_members(line).enumerate();
    let mut any = false;
    let plain = members.all(|(i, member)| {
        any = true;
        member != b"*"
            && !vary_members(line)
                .take(i)
                .any(|earlier| earlier.eq_ignore_ascii_case(member))
    });
    any && plain
}

/// The members of one `Vary` field line: comma-separated, optional whitespace around each,
/// empty members skipped (RFC 9110 §5.6.1).
fn vary_members(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|member| !member.is_empty())
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
        not_modified(self.etag, self.last_modified, Some(&self.cache))
    }
}

/// The 304 of [`NotModified::into_http_response`], from validators it owns: `#[conditional]`
/// answers through this with the tag its validator made, moved rather than cloned, and without
/// building a [`CacheHeaders`] when the route declares none (`cache` is `None`).
///
/// Measured over HTTP (`scripts/instructions-304.sh`, BENCHMARKS.md item 6): with the clone
/// and the empty `CacheHeaders` built, cloned, applied and dropped, the evaluation and its 304
/// cost 1,324 instructions; through this, 1,023. (A clone of a tag whose bytes are uniquely
/// owned, as `ETag::from_version` now makes them, would also allocate: `Bytes` moves them to a
/// shared buffer.)
pub(crate) fn not_modified<B: Default>(
    etag: Option<ETag>,
    last_modified: Option<LastModified>,
    cache: Option<&CacheHeaders>,
) -> Response<B> {
    let validator = match (etag, last_modified) {
        (Some(etag), _) => Some((header::ETAG, HeaderValue::from(etag))),
        (None, Some(date)) => Some((header::LAST_MODIFIED, HeaderValue::from(date))),
        (None, None) => None,
    };
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    // Not sized to what the 304 carries: axum adds `content-length: 0` (which hyper then
    // leaves out of a 304) and a map sized to one header would grow for it, a reallocation.
    let headers = response.headers_mut();
    if let Some((name, value)) = validator {
        headers.insert(name, value);
    }
    if let Some(cache) = cache.filter(|cache| !cache.is_empty()) {
        cache.fill_missing(headers);
    }
    response
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

    /// Shows, in the body's `sent` member, what the client sent in the failed field: pass the
    /// field lines of the [`ConditionHeader::header_name`](crate::ConditionHeader::header_name) of the
    /// failure, `headers.get_all(…)`. `#[conditional]` does so for the evaluator's 412s unless
    /// the route hides its validators (`expose_validators = false`).
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
        self.sent = bounded_sent(lines);
        self
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
fn bounded_sent<'a>(lines: impl IntoIterator<Item = &'a HeaderValue>) -> Option<String> {
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
    /// let resource = Resource::existing(Some(ETag::from_version(2)), None);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A declared `Vary` on a response that has none: as declared when its members are plain,
    /// merged by the general rule otherwise (each member once, `*` absorbing all, nothing for
    /// no member).
    #[test]
    fn declared_vary_on_a_response_without_one() {
        for (declared, expected) in [
            ("accept-encoding", Some("accept-encoding")),
            ("accept, origin", Some("accept, origin")),
            (" accept ,origin ", Some(" accept ,origin ")),
            ("accept, Accept", Some("accept")),
            ("accept, origin, ACCEPT", Some("accept, origin")),
            ("*", Some("*")),
            ("accept, *", Some("*")),
            (" , ", None),
        ] {
            let mut headers = HeaderMap::new();
            CacheHeaders::new()
                .vary(HeaderValue::from_static(declared))
                .fill_missing(&mut headers);
            let vary = headers.get_all(header::VARY).iter().collect::<Vec<_>>();
            assert_eq!(
                vary,
                expected.into_iter().collect::<Vec<_>>(),
                "{declared:?}"
            );
        }
    }
}
