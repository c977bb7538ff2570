//! Entity-tags per content-coding (RFC 9110 §8.8.3.3): the one place that knows how a coded
//! tag is spelled, and how a request's `Accept-Encoding` (§12.5.3) is read.
//!
//! A strong entity-tag vouches for the exact bytes of a representation, and a gzip-encoded
//! representation has other bytes than the identity one, so each content-coding needs its own
//! strong tag (§8.8.3.3). The coded tag of `"T"` for coding `c` is `"T~c"`: the handler's opaque
//! part, the marker `~`, and the coding's registered token (`"7~gzip"`, `"7~br"`, `"7~zstd"`,
//! `"7~deflate"`). `ETag::from_version` and `ETag::from_content` write digits and hex digits
//! only, so they never end in a marker; a tag built otherwise whose opaque part ends in one of
//! these four suffixes is reserved (see [`ETag::strong`](crate::ETag::strong)).
//!
//! The evaluator reads every member of a condition through [`split`], whether or not the
//! service compresses (a service that never compresses never hands out a coded tag, so reading
//! them costs nothing there), which makes the rules hold without the attribute as well:
//!
//! - `If-Match` (§13.1.1): a member is the current representation when it is the current tag or
//!   a coded tag of it, by the route's comparison (strong, or weak with
//!   [`Policy::weak_if_match`](crate::Policy::weak_if_match)). Every coding of the current
//!   version passes, every coding of an older one fails.
//! - `If-None-Match` on `GET`/`HEAD` (§13.1.2): the current strong tag matches when identity is
//!   acceptable to the request (always, unless `Accept-Encoding` excludes it, §12.5.3); its
//!   coded tag matches only while the request still accepts that coding (q > 0). A client that
//!   switched encodings gets the full response, in its new coding.
//! - `If-None-Match` on other methods: any coding matches ("does it exist as this").
//! - `If-Range` (§13.1.5): exact strong comparison, unchanged: the tag of the representation
//!   that would be sent. Partial responses are never compressed, so a coded tag never matches
//!   and the full representation is sent.

use http::{HeaderMap, header};

use crate::ETag;

/// The byte between a tag's opaque part and the coding token of its coded form.
pub(crate) const MARKER: u8 = b'~';

/// A content-coding that gets its own entity-tag: the four tower-http's compression negotiates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Coding {
    Gzip,
    Br,
    Zstd,
    Deflate,
}

impl Coding {
    pub(crate) const ALL: [Coding; 4] = [Coding::Gzip, Coding::Br, Coding::Zstd, Coding::Deflate];

    /// The registered token (RFC 9110 §18.6, RFC 7932, RFC 8878), as written in tags.
    pub(crate) const fn token(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Br => "br",
            Coding::Zstd => "zstd",
            Coding::Deflate => "deflate",
        }
    }

    /// The coding a `Content-Encoding` value names when it names exactly one of these, case
    /// insensitively (`x-gzip` is `gzip`, §8.4.1.3).
    pub(crate) fn from_token(token: &[u8]) -> Option<Coding> {
        if token.eq_ignore_ascii_case(b"x-gzip") {
            return Some(Coding::Gzip);
        }
        Coding::ALL
            .into_iter()
            .find(|coding| token.eq_ignore_ascii_case(coding.token().as_bytes()))
    }
}

/// Splits an opaque part into the handler's opaque part and the coding of a coded tag:
/// `7~gzip` gives `(7, Some(Gzip))`, `7` gives `(7, None)`. Only the exact lowercase suffixes
/// the layer writes count.
pub(crate) fn split(opaque: &[u8]) -> (&[u8], Option<Coding>) {
    for coding in Coding::ALL {
        let token = coding.token().as_bytes();
        if let Some(base) = opaque.strip_suffix(token)
            && let Some(base) = base.strip_suffix(&[MARKER])
        {
            return (base, Some(coding));
        }
    }
    (opaque, None)
}

/// The strong tag `tag` becomes when its representation is sent in `coding`, built once into
/// a value of exactly its length: `"T"` gives `"T~c"`.
pub(crate) fn coded(tag: &ETag, coding: Coding) -> ETag {
    let opaque = tag.opaque();
    let token = coding.token().as_bytes();
    let mut whole = Vec::with_capacity(opaque.len() + token.len() + 3);
    whole.push(b'"');
    whole.extend_from_slice(opaque);
    whole.push(MARKER);
    whole.extend_from_slice(token);
    whole.push(b'"');
    ETag::from_valid(whole)
}

/// Whether `value` is exactly the coded tag of the strong `tag` in `coding`, without building
/// it: a request's own field value can then be answered back as it is.
pub(crate) fn is_coded_value(value: &[u8], tag: &ETag, coding: Coding) -> bool {
    let opaque = tag.opaque();
    let token = coding.token().as_bytes();
    value.len() == opaque.len() + token.len() + 3
        && value.first() == Some(&b'"')
        && value.last() == Some(&b'"')
        && value[1..=opaque.len()] == *opaque
        && value[opaque.len() + 1] == MARKER
        && value[opaque.len() + 2..value.len() - 1] == *token
}

/// The tag a 304 carries when the request's `If-None-Match` matched the coded tag of `tag` in
/// `coding`: the request's own field value when it is exactly that tag (the usual single-tag
/// `If-None-Match` of a browser or a cache; a clone of a value hyper parsed shares the
/// request's buffer, so this allocates nothing), built once otherwise (one allocation of
/// exactly its length, never the identity value and then the coded one).
pub(crate) fn select(tag: &ETag, coding: Coding, request: &HeaderMap) -> ETag {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .find(|value| is_coded_value(value.as_bytes(), tag, coding))
        .map(|value| ETag::from_valid_value(value.clone()))
        .unwrap_or_else(|| coded(tag, coding))
}

/// Whether a request with these `Accept-Encoding` field lines accepts a representation in
/// `coding` (`None` for identity), by RFC 9110 §12.5.3:
///
/// - no `Accept-Encoding` at all: every coding is acceptable;
/// - a coding is acceptable when listed with a q-value above 0 (`gzip` and `x-gzip` are one),
///   or, when not listed, when `*` is, with a q-value above 0;
/// - identity is acceptable unless `identity;q=0`, or `*;q=0` without an `identity` entry;
///   so an empty field accepts identity only.
///
/// A member that does not parse (an invalid q-value, say) is skipped: it can only make a
/// coding unacceptable, and then the full response is sent, which is always safe.
pub(crate) fn accepts<'a>(lines: impl Iterator<Item = &'a [u8]>, coding: Option<Coding>) -> bool {
    let mut any_line = false;
    let mut named = None;
    let mut wildcard = None;
    for line in lines {
        any_line = true;
        for member in line.split(|&b| b == b',') {
            let Some((name, positive)) = weighted(member) else {
                continue;
            };
            if name == b"*" {
                wildcard = Some(positive);
            } else if names(name, coding) {
                // A coding listed twice: any positive weight accepts it.
                named = Some(named.unwrap_or(false) | positive);
            }
        }
    }
    if !any_line {
        return true;
    }
    match (coding, named, wildcard) {
        (_, Some(positive), _) => positive,
        (_, None, Some(positive)) => positive,
        (None, None, None) => true,
        (Some(_), None, None) => false,
    }
}

/// Whether an `Accept-Encoding` member's name is `coding` (`identity` for `None`).
fn names(name: &[u8], coding: Option<Coding>) -> bool {
    match coding {
        None => name.eq_ignore_ascii_case(b"identity"),
        Some(coding) => Coding::from_token(name) == Some(coding),
    }
}

/// One `Accept-Encoding` member: its coding name and whether its weight is above 0, or `None`
/// when it is empty or malformed.
fn weighted(member: &[u8]) -> Option<(&[u8], bool)> {
    let mut parts = member.split(|&b| b == b';');
    let name = parts.next()?.trim_ascii();
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return None;
    }
    let positive = match (parts.next(), parts.next()) {
        (None, _) => true,
        (Some(weight), None) => positive_qvalue(weight.trim_ascii())?,
        (Some(_), Some(_)) => return None,
    };
    Some((name, positive))
}

/// `weight = OWS ";" OWS "q=" qvalue`, `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`
/// (RFC 9110 §12.4.2): whether it is above 0, or `None` when malformed.
fn positive_qvalue(weight: &[u8]) -> Option<bool> {
    let value = weight
        .strip_prefix(b"q=")
        .or_else(|| weight.strip_prefix(b"Q="))?;
    let (&first, rest) = value.split_first()?;
    let decimals = match rest {
        [] => &[][..],
        [b'.', decimals @ ..] if decimals.len() <= 3 => decimals,
        _ => return None,
    };
    if !decimals.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match first {
        b'0' => Some(decimals.iter().any(|&d| d != b'0')),
        b'1' if decimals.iter().all(|&d| d == b'0') => Some(true),
        _ => None,
    }
}

/// `tchar` (RFC 9110 §5.6.2), plus `*`, which is a tchar already.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts_str(lines: &[&str], coding: Option<Coding>) -> bool {
        accepts(lines.iter().map(|line| line.as_bytes()), coding)
    }

    #[test]
    fn split_reads_exactly_the_four_suffixes_the_layer_writes() {
        for coding in Coding::ALL {
            let tag = coded(&ETag::from_version(7), coding);
            assert_eq!(tag.to_string(), format!("\"7~{}\"", coding.token()));
            assert!(!tag.is_weak());
            assert_eq!(split(tag.opaque()), (&b"7"[..], Some(coding)), "{tag}");
            assert!(is_coded_value(
                tag.as_header_value().as_bytes(),
                &ETag::from_version(7),
                coding
            ));
        }
        for plain in [
            "7",
            "7~",
            "~gzip7",
            "7-gzip",
            "7~GZIP",
            "7~compress",
            "gzip",
            "7~gzip~",
        ] {
            assert_eq!(split(plain.as_bytes()), (plain.as_bytes(), None), "{plain}");
        }
        // Only the last marker is the coding's.
        assert_eq!(split(b"a~br~gzip"), (&b"a~br"[..], Some(Coding::Gzip)));
        assert_eq!(split(b"~br"), (&b""[..], Some(Coding::Br)));
    }

    #[test]
    fn the_crates_own_constructors_never_write_a_reserved_suffix() {
        for version in [0, 7, 1_234, u64::MAX] {
            assert_eq!(split(ETag::from_version(version).opaque()).1, None);
        }
        for content in [&b""[..], b"a", b"gzip", b"~gzip"] {
            assert_eq!(split(ETag::from_content(content).opaque()).1, None);
        }
    }

    #[test]
    fn is_coded_value_is_exact() {
        let tag = ETag::from_version(12);
        for (value, expected) in [
            ("\"12~gzip\"", true),
            ("W/\"12~gzip\"", false),
            ("\"12~gzip\" ", false),
            ("\"1~gzip\"", false),
            ("\"12~br\"", false),
            ("\"12~gzi\"", false),
            ("\"12\"", false),
            ("12~gzip", false),
        ] {
            assert_eq!(
                is_coded_value(value.as_bytes(), &tag, Coding::Gzip),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn content_encoding_tokens() {
        for coding in Coding::ALL {
            assert_eq!(Coding::from_token(coding.token().as_bytes()), Some(coding));
            let upper = coding.token().to_ascii_uppercase();
            assert_eq!(Coding::from_token(upper.as_bytes()), Some(coding));
        }
        assert_eq!(Coding::from_token(b"x-gzip"), Some(Coding::Gzip));
        for other in [&b"identity"[..], b"compress", b"gzip, br", b""] {
            assert_eq!(Coding::from_token(other), None);
        }
    }

    /// RFC 9110 §12.5.3, for identity (`None`) and every coding.
    #[test]
    fn accept_encoding_table() {
        let all = || std::iter::once(None).chain(Coding::ALL.map(Some));
        // (lines, identity accepted, codings accepted)
        let uniform: &[(&[&str], bool, bool)] = &[
            (&[], true, true),
            (&[""], true, false),
            (&["*"], true, true),
            (&["*;q=0"], false, false),
            (&["*;q=0, identity"], true, false),
            (&["*;q=0.001"], true, true),
            (&["identity;q=0"], false, false),
            (&["identity;q=0, *"], false, true),
            (&["*, identity;q=0"], false, true),
            (&["gzip;q=bad, br;q=2, zstd;q=0.0001"], true, false),
            (&["unknown"], true, false),
        ];
        for (lines, identity, codings) in uniform {
            for coding in all() {
                let expected = if coding.is_none() {
                    *identity
                } else {
                    *codings
                };
                assert_eq!(accepts_str(lines, coding), expected, "{lines:?} {coding:?}");
            }
        }
        for coding in Coding::ALL {
            let token = coding.token();
            let cases = [
                (format!("{token}"), true),
                (format!("{}", token.to_ascii_uppercase()), true),
                (format!("{token};q=0"), false),
                (format!("{token} ; q=0.5"), true),
                (format!("{token};Q=1.000"), true),
                (format!("{token};q=0.000"), false),
                (format!("{token};q=0, *"), false),
                (format!("*;q=0, {token};q=0.1"), true),
                (format!("{token};q=0, {token}"), true),
                (format!("identity"), false),
            ];
            for (line, expected) in cases {
                assert_eq!(accepts_str(&[&line], Some(coding)), expected, "{line}");
                // The same members across two field lines form one list (§5.3).
                let (a, b) = line.split_once(", ").unwrap_or((&line, ""));
                assert_eq!(accepts_str(&[a, b], Some(coding)), expected, "{line} split");
            }
        }
        assert!(accepts_str(&["x-gzip"], Some(Coding::Gzip)));
        assert!(!accepts_str(&["gzip"], Some(Coding::Br)));
    }
}
