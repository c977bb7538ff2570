//! A route's settings, as `#[conditional]` declares them: its policy, the cache headers its 304s
//! and 2xx reads repeat, and whether it serves ranges.

use crate::rfc::Policy;
use crate::rfc::answer::CacheHeaders;

/// The per-route configuration `#[conditional]` declares: its policy and the cache headers of
/// 304s and 2xx `GET`/`HEAD` responses.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub(crate) policy: Policy,
    cache_control: Option<&'static str>,
    vary: Option<&'static str>,
    /// `ranges = true`: 206 and 416 answers to `Range` on 200 responses of known length.
    pub(crate) ranges: bool,
    /// `strong_last_modified = true`: the `Last-Modified` is a strong validator for `If-Range`.
    pub(crate) strong_last_modified: bool,
}

impl Route {
    /// A route configuration. Panics (at compile time, in a `const` block) on a header value
    /// that is not visible ASCII, spaces and tabs; the macro rejects those first.
    pub const fn new(
        require: bool,
        weak_if_match: bool,
        expose_validators: bool,
        cache_control: Option<&'static str>,
        vary: Option<&'static str>,
        ranges: bool,
        strong_last_modified: bool,
    ) -> Self {
        if let Some(value) = cache_control {
            assert!(is_header_value(value), "invalid `cache_control` value");
        }
        if let Some(value) = vary {
            assert!(is_header_value(value), "invalid `vary` value");
        }
        Self {
            policy: Policy::new()
                .require_precondition(require)
                .weak_if_match(weak_if_match)
                .expose_validators(expose_validators),
            cache_control,
            vary,
            ranges,
            strong_last_modified,
        }
    }

    /// The route with `creates = yes` written (see [`Policy::creates`]); unwritten, each method
    /// has its default.
    pub const fn creates(mut self, yes: bool) -> Self {
        self.policy = self.policy.creates(yes);
        self
    }

    pub(crate) fn declares_cache_headers(&self) -> bool {
        self.cache_control.is_some() || self.vary.is_some()
    }

    pub(crate) fn cache(&self) -> CacheHeaders {
        // `from_static` borrows the bytes: no allocation, and cloning them into a 304 is free.
        let mut cache = CacheHeaders::new();
        if let Some(value) = self.cache_control {
            cache = cache.cache_control(http::HeaderValue::from_static(value));
        }
        if let Some(value) = self.vary {
            cache = cache.vary(http::HeaderValue::from_static(value));
        }
        cache
    }
}

/// What `HeaderValue::from_static` accepts: visible ASCII, space and tab.
const fn is_header_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b == b'\t' || (b >= 0x20 && b < 0x7f)) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_value_check_matches_from_static() {
        assert!(is_header_value("private, max-age=0\t"));
        assert!(!is_header_value("a\nb"));
        assert!(!is_header_value("é"));
    }
}
