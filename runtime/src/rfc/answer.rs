//! The responses given in place of the handler: [`Answer`], which
//! [`Decision::into_answer`](crate::Decision::into_answer) builds, the 304 ([`NotModified`]) and the cache headers a 304 repeats
//! ([`CacheHeaders`]). The 412 and 428, with their RFC 9457 bodies, are in
//! [`problem`](crate::rfc::problem).

use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use crate::rfc::problem::{PreconditionFailed, PreconditionRequired};
use crate::rfc::{ETag, LastModified, Resource};

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
/// use axum_conditional::answer::CacheHeaders;
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
        // 200s; `tests/tests/it/alloc.rs` pins a 304's allocations).
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
/// (it then helps a cache update its stored response). [`Decision::into_answer`] builds it for
/// the evaluator's 304s; build one yourself only to answer a 304 decided elsewhere.
///
/// [`Decision::into_answer`]: crate::Decision::into_answer
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotModified {
    etag: Option<ETag>,
    last_modified: Option<LastModified>,
    cache: CacheHeaders,
    /// An answer to `HEAD`: with axum, its body states no length (see `crate::axum`).
    head: bool,
}

impl NotModified {
    /// The 304 for `resource`'s selected representation (its tag in the coding declared with
    /// [`Resource::with_coding`]), to a `GET`.
    pub fn new(resource: &Resource) -> Self {
        Self::from_parts(
            resource.selected_etag(),
            resource.last_modified(),
            CacheHeaders::new(),
            false,
        )
    }

    pub(crate) fn from_parts(
        etag: Option<ETag>,
        last_modified: Option<LastModified>,
        cache: CacheHeaders,
        head: bool,
    ) -> Self {
        Self {
            etag,
            last_modified,
            cache,
            head,
        }
    }

    /// Repeats these headers of the 200.
    #[must_use]
    pub fn with_cache_headers(mut self, cache: CacheHeaders) -> Self {
        self.cache = cache;
        self
    }

    /// Whether it answers a `HEAD` request: a server should then send it without a
    /// `Content-Length` (RFC 9110 §8.6 allows only the length of the 200 it stands for, which an
    /// answer given before the handler cannot know). The axum response does so by itself.
    pub fn answers_head(&self) -> bool {
        self.head
    }

    /// The response, with an empty body of any type.
    pub fn into_http_response<B: Default>(self) -> Response<B> {
        let validator = match (self.etag, self.last_modified) {
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
        if !self.cache.is_empty() {
            self.cache.fill_missing(headers);
        }
        response
    }
}

/// The response that answers a [`Decision`](crate::Decision) in place of the handler: see
/// [`Decision::into_answer`](crate::Decision::into_answer).
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
    /// The status code: 304, 412 or 428.
    pub fn status(&self) -> StatusCode {
        match self {
            Answer::NotModified(_) => StatusCode::NOT_MODIFIED,
            Answer::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Answer::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
        }
    }

    /// The failure a 412 answers.
    pub fn failure(&self) -> Option<crate::rfc::Failure> {
        match self {
            Answer::PreconditionFailed(refusal) => Some(refusal.failure()),
            _ => None,
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
