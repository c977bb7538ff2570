//! Entity-tags per content-coding (RFC 9110 §8.8.3.3), and the negotiation of the coding from
//! `Accept-Encoding` (§12.5.3): the one place that knows how a coded tag is spelled and which
//! coding a request gets.
//!
//! A strong entity-tag vouches for the exact bytes of a representation, and a gzip-encoded
//! representation has other bytes than the identity one, so each content-coding needs its own
//! strong tag (§8.8.3.3). The coded tag of `"T"` for coding `c` is `"T~c"`: the handler's opaque
//! part, the marker `~`, and the coding's registered token (`"7~gzip"`, `"7~br"`, `"7~zstd"`,
//! `"7~deflate"`). `ETag::from_version` and `ETag::from_content` write digits and hex digits
//! only, so they never end in a marker; a tag built otherwise whose opaque part ends in one of
//! these four suffixes is reserved (see [`ETag::strong`](crate::ETag::strong)).
//!
//! # One coding per request, known before the body
//!
//! A service that compresses negotiates the coding of a request once, from `Accept-Encoding`
//! alone ([`negotiate`]), before its handler runs, and that coding names the representation
//! selected for the request: its tag is `"T~c"` whether or not the body turns out large enough
//! to be worth compressing (the body of one version is always the same, so the tag still names
//! exactly one sequence of bytes: a strong validator, §8.8.1). That is how a 304 answered before
//! the body exists carries the tag the 200 would have carried (§15.4.5), whichever condition
//! produced it. `compression::ConditionalCompressionLayer` negotiates, puts the result in the
//! request's extensions, and sends the body in that coding (or identity, when its predicate
//! declines); the evaluator reads the result through
//! [`Resource::with_coding`](crate::Resource::with_coding) and never reads `Accept-Encoding`.
//!
//! The conditions then read the coded tags this way:
//!
//! - `If-None-Match` on `GET`/`HEAD` (§13.1.2): a member matches when it is the tag of the
//!   selected representation (weak comparison): `"T~c"` for a request negotiated to `c`, `"T"`
//!   for identity. A client that switched encodings gets the full response, in its new coding.
//! - `If-None-Match` on other methods: any coding matches ("does it exist as this").
//! - `If-Match` (§13.1.1): a member is the current representation when it is the current tag or
//!   a coded tag of it, by the route's comparison (strong, or weak with
//!   [`Policy::weak_if_match`](crate::Policy::weak_if_match)). Every coding of the current
//!   version passes, every coding of an older one fails.
//! - `If-Range` (§13.1.5): exact strong comparison with the identity tag: partial responses are
//!   never compressed, so a coded tag never matches and the full representation is sent.

use std::fmt;

use crate::rfc::ETag;

/// The byte between a tag's opaque part and the coding token of its coded form.
pub(crate) const MARKER: u8 = b'~';

/// A content-coding that gets its own entity-tag (RFC 9110 §8.4.1): the four tower-http's
/// compression negotiates.
///
/// `compression::ConditionalCompressionLayer` inserts the coding it negotiated for a request
/// into the request's extensions (absent: identity); hand it to
/// [`Resource::with_coding`](crate::Resource::with_coding) when evaluating by hand behind it:
///
/// ```
/// use axum_conditional::{ContentCoding, ETag, Resource};
///
/// let request = http::Request::get("/").extension(ContentCoding::Gzip).body(()).unwrap();
/// let resource = Resource::existing(Some(ETag::from_version(7)), None)
///     .with_coding(ContentCoding::of(request.extensions()));
/// assert_eq!(resource.selected_etag().unwrap().to_string(), r#""7~gzip""#);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentCoding {
    /// `gzip` (RFC 9110 §8.4.1.3).
    Gzip,
    /// `br` (RFC 7932).
    Br,
    /// `zstd` (RFC 8878).
    Zstd,
    /// `deflate` (RFC 9110 §8.4.1.2).
    Deflate,
}

impl ContentCoding {
    /// Every coding.
    pub const ALL: [ContentCoding; 4] = [
        ContentCoding::Gzip,
        ContentCoding::Br,
        ContentCoding::Zstd,
        ContentCoding::Deflate,
    ];

    /// The registered token (RFC 9110 §18.6, RFC 7932, RFC 8878), as written in tags.
    pub const fn token(self) -> &'static str {
        match self {
            ContentCoding::Gzip => "gzip",
            ContentCoding::Br => "br",
            ContentCoding::Zstd => "zstd",
            ContentCoding::Deflate => "deflate",
        }
    }

    /// The coding a token names, case insensitively (`x-gzip` is `gzip`, §8.4.1.3).
    pub fn from_token(token: &[u8]) -> Option<ContentCoding> {
        if token.eq_ignore_ascii_case(b"x-gzip") {
            return Some(ContentCoding::Gzip);
        }
        ContentCoding::ALL
            .into_iter()
            .find(|coding| token.eq_ignore_ascii_case(coding.token().as_bytes()))
    }

    /// The coding a compressing layer negotiated for a request, from its extensions; `None`
    /// (identity) when no layer did.
    pub fn of(extensions: &http::Extensions) -> Option<ContentCoding> {
        extensions.get::<ContentCoding>().copied()
    }
}

impl fmt::Display for ContentCoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// Splits an opaque part into the handler's opaque part and the coding of a coded tag:
/// `7~gzip` gives `(7, Some(Gzip))`, `7` gives `(7, None)`. Only the exact lowercase suffixes
/// written here count.
pub(crate) fn split(opaque: &[u8]) -> (&[u8], Option<ContentCoding>) {
    for coding in ContentCoding::ALL {
        let token = coding.token().as_bytes();
        if let Some(base) = opaque.strip_suffix(token)
            && let Some(base) = base.strip_suffix(&[MARKER])
        {
            return (base, Some(coding));
        }
    }
    (opaque, None)
}

/// The tag of `tag`'s representation sent in `coding`: `"T"` gives `"T~c"` when `tag` is
/// strong, built once into a value of exactly its length; a weak tag is shared by every coding
/// that is semantically the same (§8.8.1), so it is returned as it is.
pub(crate) fn coded(tag: &ETag, coding: ContentCoding) -> ETag {
    if tag.is_weak() {
        return tag.clone();
    }
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

/// Whether the member `(weak, opaque)` names the strong `tag` in `coding` (identity for
/// `None`), by weak comparison (§8.8.3.2), without building the coded tag.
pub(crate) fn names_selected(tag: &ETag, coding: Option<ContentCoding>, opaque: &[u8]) -> bool {
    match coding {
        None => opaque == tag.opaque(),
        Some(coding) => {
            let token = coding.token().as_bytes();
            opaque
                .strip_suffix(token)
                .and_then(|base| base.strip_suffix(&[MARKER]))
                .is_some_and(|base| base == tag.opaque())
        }
    }
}

/// The codings a compressing service may choose from, as a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Codings(u8);

impl Codings {
    /// Every coding there is a tag form for: gzip, br, zstd and deflate.
    pub const ALL: Codings = Codings(0b1111);
    /// None: every request negotiates identity.
    pub const NONE: Codings = Codings(0);

    /// This set with `coding` in it, or out of it.
    #[must_use]
    pub const fn with(self, coding: ContentCoding, on: bool) -> Self {
        let bit = 1 << coding as u8;
        Codings(if on { self.0 | bit } else { self.0 & !bit })
    }

    /// Whether `coding` is in the set.
    pub const fn contains(self, coding: ContentCoding) -> bool {
        self.0 & 1 << coding as u8 != 0
    }
}

/// The content-coding a compressing service sends for a request with these `Accept-Encoding`
/// field lines, among `enabled`; `None` for identity. One pass over the field, linear in its
/// length, allocation-free.
///
/// RFC 9110 §12.5.3: a coding is acceptable when listed with a q-value above 0 (`x-gzip` is
/// `gzip`), or when not listed and `*` is. The highest q-value wins; between equal ones, the
/// order is zstd, br, gzip, deflate (tower-http's order). A request without `Accept-Encoding`
/// states no preference, and gets identity, which every client can decode.
///
/// When nothing enabled is acceptable, the answer is identity even if the request excluded it
/// (`identity;q=0`): §12.5.3 lets a server disregard the field rather than answer 406, and this
/// crate never lets a request header replace the status of a response (a write already applied
/// answered 406 would be retried, and applied twice).
///
/// A member that does not parse (an invalid q-value, say) is skipped.
pub fn negotiate<'a>(
    lines: impl Iterator<Item = &'a [u8]>,
    enabled: Codings,
) -> Option<ContentCoding> {
    // Per coding, the highest weight it was listed with (in thousandths); `None` when unlisted.
    let mut listed: [Option<u16>; 4] = [None; 4];
    let mut wildcard: Option<u16> = None;
    for line in lines {
        for member in line.split(|&b| b == b',') {
            let Some((name, weight)) = weighted(member) else {
                continue;
            };
            let slot = if name == b"*" {
                &mut wildcard
            } else if let Some(coding) = ContentCoding::from_token(name) {
                &mut listed[coding as usize]
            } else {
                continue;
            };
            // A coding listed twice: its highest weight counts.
            *slot = Some(slot.map_or(weight, |seen| seen.max(weight)));
        }
    }
    // Ties: the later in `PREFERENCE` wins, as `max_by_key` keeps the last maximum.
    PREFERENCE
        .into_iter()
        .filter(|&coding| enabled.contains(coding))
        .filter_map(|coding| {
            let weight = listed[coding as usize].or(wildcard)?;
            (weight > 0).then_some((weight, coding))
        })
        .max_by_key(|&(weight, _)| weight)
        .map(|(_, coding)| coding)
}

/// The codings from least to most preferred at equal q-values.
const PREFERENCE: [ContentCoding; 4] = [
    ContentCoding::Deflate,
    ContentCoding::Gzip,
    ContentCoding::Br,
    ContentCoding::Zstd,
];

/// One `Accept-Encoding` member: its coding name and its weight in thousandths (1000 without a
/// weight), or `None` when it is empty or malformed.
fn weighted(member: &[u8]) -> Option<(&[u8], u16)> {
    let mut parts = member.split(|&b| b == b';');
    let name = parts.next()?.trim_ascii();
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return None;
    }
    let weight = match (parts.next(), parts.next()) {
        (None, _) => 1000,
        (Some(weight), None) => qvalue(weight.trim_ascii())?,
        (Some(_), Some(_)) => return None,
    };
    Some((name, weight))
}

/// `weight = OWS ";" OWS "q=" qvalue`, `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`
/// (RFC 9110 §12.4.2), in thousandths, or `None` when malformed.
fn qvalue(weight: &[u8]) -> Option<u16> {
    let value = weight
        .strip_prefix(b"q=")
        .or_else(|| weight.strip_prefix(b"Q="))?;
    let (&first, rest) = value.split_first()?;
    let decimals = match rest {
        [] => &[][..],
        [b'.', decimals @ ..] if decimals.len() <= 3 => decimals,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, &digit) in decimals.iter().enumerate() {
        if !digit.is_ascii_digit() {
            return None;
        }
        thousandths += u16::from(digit - b'0') * [100, 10, 1][i];
    }
    match first {
        b'0' => Some(thousandths),
        b'1' if thousandths == 0 => Some(1000),
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

    fn negotiate_str(lines: &[&str], enabled: Codings) -> Option<ContentCoding> {
        negotiate(lines.iter().map(|line| line.as_bytes()), enabled)
    }

    #[test]
    fn split_reads_exactly_the_four_suffixes_coded_writes() {
        for coding in ContentCoding::ALL {
            let tag = coded(&ETag::from_version(7), coding);
            assert_eq!(tag.to_string(), format!("\"7~{coding}\""));
            assert!(!tag.is_weak());
            assert_eq!(split(tag.opaque()), (&b"7"[..], Some(coding)), "{tag}");
            assert!(names_selected(
                &ETag::from_version(7),
                Some(coding),
                tag.opaque()
            ));
            assert!(!names_selected(&ETag::from_version(7), None, tag.opaque()));
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
        assert_eq!(
            split(b"a~br~gzip"),
            (&b"a~br"[..], Some(ContentCoding::Gzip))
        );
        assert_eq!(split(b"~br"), (&b""[..], Some(ContentCoding::Br)));
        // A weak tag is every coding's.
        let weak = ETag::weak("7").unwrap();
        assert_eq!(coded(&weak, ContentCoding::Gzip), weak);
    }

    #[test]
    fn names_selected_is_exact() {
        let tag = ETag::from_version(12);
        let gzip = Some(ContentCoding::Gzip);
        for (opaque, coding, expected) in [
            ("12~gzip", gzip, true),
            ("12", None, true),
            ("12", gzip, false),
            ("12~gzip", None, false),
            ("1~gzip", gzip, false),
            ("12~br", gzip, false),
            ("12~gzi", gzip, false),
            ("112~gzip", gzip, false),
        ] {
            assert_eq!(
                names_selected(&tag, coding, opaque.as_bytes()),
                expected,
                "{opaque} {coding:?}"
            );
        }
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
    fn content_encoding_tokens() {
        for coding in ContentCoding::ALL {
            assert_eq!(
                ContentCoding::from_token(coding.token().as_bytes()),
                Some(coding)
            );
            let upper = coding.token().to_ascii_uppercase();
            assert_eq!(ContentCoding::from_token(upper.as_bytes()), Some(coding));
        }
        assert_eq!(
            ContentCoding::from_token(b"x-gzip"),
            Some(ContentCoding::Gzip)
        );
        for other in [&b"identity"[..], b"compress", b"gzip, br", b""] {
            assert_eq!(ContentCoding::from_token(other), None);
        }
    }

    /// RFC 9110 §12.5.3, with tower-http's order between equal q-values, and identity when
    /// nothing enabled is acceptable (never a 406).
    #[test]
    fn negotiation_table() {
        use ContentCoding::{Br, Deflate, Gzip, Zstd};
        let all = Codings::ALL;
        let gzip_only = Codings::NONE.with(Gzip, true);
        let table: &[(&[&str], Codings, Option<ContentCoding>)] = &[
            (&[], all, None),
            (&[""], all, None),
            (&["identity"], all, None),
            (&["gzip"], all, Some(Gzip)),
            (&["x-gzip"], all, Some(Gzip)),
            (&["GZIP"], all, Some(Gzip)),
            (&["gzip, deflate, br, zstd"], all, Some(Zstd)),
            (&["gzip, deflate, br"], all, Some(Br)),
            (&["deflate, gzip"], all, Some(Gzip)),
            (&["gzip;q=0.5, br;q=0.4"], all, Some(Gzip)),
            (&["gzip;q=0.5, br;q=0.501"], all, Some(Br)),
            (&["*"], all, Some(Zstd)),
            (&["*;q=0.5, gzip"], all, Some(Gzip)),
            (&["*;q=0, gzip;q=0.1"], all, Some(Gzip)),
            (&["gzip;q=0"], all, None),
            (&["gzip;q=0.000"], all, None),
            (&["gzip;q=0, *"], all, Some(Zstd)),
            (&["gzip;q=0, gzip"], all, Some(Gzip)),
            (&["identity;q=0"], all, None),
            (&["*;q=0"], all, None),
            (&["identity;q=0, br"], gzip_only, None),
            (&["br, zstd"], gzip_only, None),
            (&["br, gzip;q=0.1"], gzip_only, Some(Gzip)),
            (
                &["gzip;q=bad, br;q=2, zstd;q=0.0001, deflate;q=1.000"],
                all,
                Some(Deflate),
            ),
            (&["gzip", "br"], all, Some(Br)),
            (&["gzip;q=0.9", "br;q=0.1"], all, Some(Gzip)),
            (&["unknown"], all, None),
            (&["gzip"], Codings::NONE, None),
        ];
        for (lines, enabled, expected) in table {
            assert_eq!(
                negotiate_str(lines, *enabled),
                *expected,
                "{lines:?} {enabled:?}"
            );
        }
    }
}
