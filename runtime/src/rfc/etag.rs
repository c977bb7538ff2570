//! Entity-tags (RFC 9110 §8.8.3): a type that is valid by construction, and comparison.

use std::fmt;
use std::str::FromStr;

use http::HeaderValue;

/// An entity-tag (RFC 9110 §8.8.3): an opaque validator of a representation, strong or weak.
///
/// An `ETag` that exists is valid: its opaque part holds only `etagc` bytes (`!`, `#`–`~` and
/// the obs-text bytes 0x80–0xFF; no space, no control, no `"`), so it always formats to a
/// valid header value and converting it into a [`HeaderValue`] cannot fail.
///
/// ```
/// use axum_conditional::ETag;
///
/// let v7 = ETag::from_version(7);
/// assert_eq!(v7.to_string(), r#""7""#);
///
/// let parsed: ETag = r#"W/"7""#.parse()?;
/// assert!(parsed.is_weak());
/// assert!(v7.weak_eq(&parsed));
/// assert!(!v7.strong_eq(&parsed));
/// # Ok::<(), axum_conditional::InvalidETag>(())
/// ```
///
/// `==` is identity of the whole tag (`W/"1" == W/"1"`), for use in maps and tests; the RFC's
/// comparisons are [`ETag::strong_eq`] (under which `W/"1"` matches nothing) and
/// [`ETag::weak_eq`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ETag {
    /// The whole tag as sent: `W/"opaque"` or `"opaque"`. Whether it is weak is read off its
    /// first byte, so the two can never disagree.
    value: HeaderValue,
}

impl ETag {
    /// A strong tag for a version number, such as a row's version column: `7` gives `"7"`.
    ///
    /// A version that changes on every write of the resource is the cheapest sound validator:
    /// the tag can be computed without loading or rendering the representation.
    pub fn from_version(version: u64) -> Self {
        // The digits are written right to left into a stack buffer and copied once into a
        // vector of exactly their length, instead of `format!`: no formatting machinery, and
        // one allocation instead of two, since `Bytes` takes over a vector whose length is its
        // capacity without allocating a shared header for it. Measured over HTTP
        // (`scripts/instructions-304.sh`, BENCHMARKS.md item 6): 669 instructions per tag
        // before, 226 after.
        const QUOTED_MAX: usize = 22; // `"`, the 20 digits of `u64::MAX`, `"`
        let mut buf = [b'"'; QUOTED_MAX];
        let mut start = QUOTED_MAX - 1;
        let mut rest = version;
        loop {
            start -= 1;
            buf[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        Self::from_checked(buf[start - 1..].to_vec())
    }

    /// A strong tag for the content bytes of a representation: the 64-bit FNV-1a hash of the
    /// bytes, as 16 lowercase hex digits (`"cbf29ce484222325"` for empty content).
    ///
    /// FNV-1a is fully specified by its offset basis and prime, so every process, machine and
    /// release of this crate computes the same tag for the same bytes, and several instances of a
    /// service agree.
    ///
    /// # Stability
    ///
    /// The tag for given bytes is part of this crate's API: it does not depend on the platform,
    /// the endianness, the build or the Rust version, and no release will change it (that would
    /// be a breaking change, since instances of different releases behind one load balancer, or
    /// a cache holding a tag across an upgrade, must keep agreeing). Known-answer tests pin it.
    ///
    /// It is not a cryptographic hash: use it to detect change, not to resist
    /// someone crafting collisions. Hashing needs the whole representation, so prefer
    /// [`ETag::from_version`] when a version is at hand.
    ///
    /// ```
    /// use axum_conditional::ETag;
    /// assert_eq!(ETag::from_content(b"").to_string(), r#""cbf29ce484222325""#);
    /// assert_eq!(ETag::from_content(b"a"), ETag::from_content(b"a"));
    /// ```
    pub fn from_content(content: &[u8]) -> Self {
        const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let hash = content.iter().fold(OFFSET_BASIS, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(PRIME)
        });
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [b'"'; 18];
        for (i, slot) in buf[1..17].iter_mut().enumerate() {
            *slot = HEX[((hash >> (60 - 4 * i)) & 0xf) as usize];
        }
        Self::from_checked(buf.to_vec())
    }

    /// A strong tag whose opaque part is `opaque` (without quotes): `strong("v7")` gives `"v7"`.
    ///
    /// # Reserved suffixes
    ///
    /// An opaque part ending in `~gzip`, `~br`, `~zstd` or `~deflate` is the coded tag of a
    /// compressed representation (RFC 9110 §8.8.3.3; see the `compression` feature): the
    /// evaluator reads `"v7~gzip"` as the gzip variant of `"v7"`, so `If-Match: "v7~gzip"`
    /// passes while the current tag is `"v7"`. Do not end your own tags so (the crate's
    /// [`ETag::from_version`] and [`ETag::from_content`] never do), or a client holding such a
    /// tag of one version could pass `If-Match` against the version tagged with its prefix. A
    /// tag that still ends so is compared as it is first, so it matches itself, and
    /// `ConditionalCompressionLayer` leaves its response uncompressed rather than stack a
    /// second coding onto it.
    ///
    /// # Errors
    ///
    /// [`InvalidETag`] naming the first byte that is not allowed in an entity-tag (a space, a
    /// control character or `"`).
    pub fn strong(opaque: impl AsRef<[u8]>) -> Result<Self, InvalidETag> {
        Self::from_opaque(opaque.as_ref(), false)
    }

    /// A weak tag whose opaque part is `opaque` (without quotes): `weak("v7")` gives `W/"v7"`.
    ///
    /// Use a weak tag when the representation is semantically, but not byte-for-byte, the same
    /// across the tag's lifetime (RFC 9110 §8.8.1), for instance when a compression layer may
    /// change the bytes sent.
    ///
    /// # Errors
    ///
    /// [`InvalidETag`] naming the first byte that is not allowed in an entity-tag.
    pub fn weak(opaque: impl AsRef<[u8]>) -> Result<Self, InvalidETag> {
        Self::from_opaque(opaque.as_ref(), true)
    }

    /// Parses a whole entity-tag as sent in a header: `"v7"` or `W/"v7"`.
    ///
    /// # Errors
    ///
    /// [`InvalidETag`] when the bytes are not exactly one entity-tag.
    pub fn parse(bytes: &[u8]) -> Result<Self, InvalidETag> {
        parse_entity_tag(bytes)
            .map_err(|(position, problem)| InvalidETag::new(bytes, position, problem))?;
        Ok(Self::from_checked(bytes.to_vec()))
    }

    fn from_opaque(opaque: &[u8], weak: bool) -> Result<Self, InvalidETag> {
        if let Some(at) = opaque.iter().position(|&b| !is_etagc(b)) {
            return Err(InvalidETag::new(opaque, at, Problem::ByteNotAllowed));
        }
        let prefix: &[u8] = if weak { b"W/\"" } else { b"\"" };
        let mut whole = Vec::with_capacity(prefix.len() + opaque.len() + 1);
        whole.extend_from_slice(prefix);
        whole.extend_from_slice(opaque);
        whole.push(b'"');
        Ok(Self::from_checked(whole))
    }

    /// `bytes` is a whole, valid entity-tag (for the coded tags of [`crate::rfc::coding`]).
    pub(crate) fn from_valid(bytes: Vec<u8>) -> Self {
        Self::from_checked(bytes)
    }

    /// `bytes` is a whole, already validated entity-tag.
    fn from_checked(bytes: Vec<u8>) -> Self {
        // Every byte of a valid entity-tag is visible ASCII or obs-text, which is exactly what a
        // header value allows besides SP and HTAB, so this conversion cannot fail.
        let value = HeaderValue::try_from(bytes)
            .expect("a validated entity-tag is always a valid header value");
        Self { value }
    }

    /// The version number of a tag made by [`ETag::from_version`]: `Some(7)` for `"7"`; `None`
    /// for a weak tag or an opaque part that is not a decimal `u64` as `from_version` writes
    /// it (no sign, no leading zero), so that `from_version(v).version() == Some(v)` and back.
    ///
    /// A write handler uses it to make its write atomic with the version the client sent:
    /// `UPDATE … WHERE id = ? AND version = ?`.
    ///
    /// ```
    /// use axum_conditional::ETag;
    /// assert_eq!(ETag::from_version(7).version(), Some(7));
    /// assert_eq!(ETag::strong("v7")?.version(), None);
    /// assert_eq!(ETag::strong("007")?.version(), None);
    /// # Ok::<(), axum_conditional::InvalidETag>(())
    /// ```
    pub fn version(&self) -> Option<u64> {
        let opaque = self.opaque();
        let canonical = opaque == b"0" || opaque.first().is_some_and(|&b| b != b'0');
        if self.is_weak() || !canonical || !opaque.iter().all(u8::is_ascii_digit) {
            return None;
        }
        opaque.iter().try_fold(0u64, |n, &digit| {
            n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        })
    }

    /// Whether this is a weak tag (`W/"…"`).
    pub fn is_weak(&self) -> bool {
        // A valid entity-tag starts with `W/` or with its opening quote.
        self.value.as_bytes().first() == Some(&b'W')
    }

    /// The opaque part, without `W/` and quotes: `b"v7"` for `W/"v7"`.
    pub fn opaque(&self) -> &[u8] {
        let bytes = self.value.as_bytes();
        let start = if self.is_weak() { 3 } else { 1 };
        bytes
            .get(start..bytes.len().saturating_sub(1))
            .unwrap_or_default()
    }

    /// The same tag made weak: `"v7"` becomes `W/"v7"`.
    ///
    /// A layer that changes the bytes of a representation (compression, for one) must weaken
    /// strong tags, or `If-Match` and `If-Range` would vouch for bytes that were never sent.
    #[must_use]
    pub fn into_weak(self) -> Self {
        if self.is_weak() {
            return self;
        }
        let mut whole = Vec::with_capacity(self.value.len() + 2);
        whole.extend_from_slice(b"W/");
        whole.extend_from_slice(self.value.as_bytes());
        Self::from_checked(whole)
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both tags are strong and their opaque parts are
    /// equal octet for octet. This is what `If-Match` and `If-Range` use.
    pub fn strong_eq(&self, other: &ETag) -> bool {
        tag_eq(self, other.is_weak(), other.opaque(), Comparison::Strong)
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): the opaque parts are equal octet for octet, whether
    /// or not either tag is weak. This is what `If-None-Match` uses.
    pub fn weak_eq(&self, other: &ETag) -> bool {
        tag_eq(self, other.is_weak(), other.opaque(), Comparison::Weak)
    }

    /// The whole tag as a `str`, exactly as sent (`"v7"`, `W/"v7"`), or `None` when its
    /// opaque part has obs-text bytes that are not UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(self.value.as_bytes()).ok()
    }

    /// The tag as a header value, as sent in `ETag`.
    pub fn as_header_value(&self) -> &HeaderValue {
        &self.value
    }
}

/// Reads `bytes` as exactly one entity-tag: its weakness and opaque part, or the position and
/// kind of the first problem. Allocates nothing.
pub(crate) fn parse_entity_tag(bytes: &[u8]) -> Result<(bool, &[u8]), (usize, Problem)> {
    let (weak, quoted) = match bytes.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let offset = usize::from(weak) * 2;
    let Some(inner) = quoted.strip_prefix(b"\"") else {
        return Err((offset, Problem::NotQuoted));
    };
    let Some(opaque) = inner.strip_suffix(b"\"") else {
        return Err((bytes.len(), Problem::NotQuoted));
    };
    if let Some(at) = opaque.iter().position(|&b| !is_etagc(b)) {
        return Err((offset + 1 + at, Problem::ByteNotAllowed));
    }
    Ok((weak, opaque))
}

/// Which comparison function of RFC 9110 §8.8.3.2 applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comparison {
    Strong,
    Weak,
}

/// Compares `current` against a tag given by parts, so that list members can be matched
/// without building an `ETag` for each.
pub(crate) fn tag_eq(current: &ETag, weak: bool, opaque: &[u8], comparison: Comparison) -> bool {
    let strength_ok = match comparison {
        Comparison::Strong => !weak && !current.is_weak(),
        Comparison::Weak => true,
    };
    strength_ok && current.opaque() == opaque
}

/// `etagc = %x21 / %x23-7E / obs-text` (RFC 9110 §8.8.3).
pub(crate) fn is_etagc(byte: u8) -> bool {
    byte == 0x21 || (0x23..=0x7e).contains(&byte) || byte >= 0x80
}

impl fmt::Debug for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ETag({self})")
    }
}

impl fmt::Display for ETag {
    /// Writes the tag as sent in a header. Obs-text bytes that are not UTF-8 are written as
    /// `\xNN` escapes, since `Display` must produce a `str`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.value.as_bytes().utf8_chunks() {
            f.write_str(chunk.valid())?;
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02X}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for ETag {
    type Err = InvalidETag;

    /// Parses a whole entity-tag: `"v7"` or `W/"v7"`. See [`ETag::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s.as_bytes())
    }
}

impl TryFrom<&HeaderValue> for ETag {
    type Error = InvalidETag;

    /// Reads an `ETag` header value, as a client or a proxy would.
    fn try_from(value: &HeaderValue) -> Result<Self, Self::Error> {
        Self::parse(value.as_bytes())
    }
}

impl From<ETag> for HeaderValue {
    fn from(tag: ETag) -> Self {
        tag.value
    }
}

impl From<&ETag> for HeaderValue {
    fn from(tag: &ETag) -> Self {
        tag.value.clone()
    }
}

/// The error of building an [`ETag`] from bytes that are not a valid entity-tag.
///
/// Its message names the offending byte and its position, so that the mistake is found
/// without a debugger:
///
/// ```
/// use axum_conditional::ETag;
/// let err = ETag::strong("v 7").unwrap_err();
/// assert_eq!(err.position(), 1);
/// assert_eq!(err.byte(), Some(b' '));
/// assert!(err.to_string().contains("0x20"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidETag {
    position: usize,
    byte: Option<u8>,
    problem: Problem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    NotQuoted,
    ByteNotAllowed,
}

impl InvalidETag {
    fn new(input: &[u8], position: usize, problem: Problem) -> Self {
        Self {
            position,
            byte: input.get(position).copied(),
            problem,
        }
    }

    /// The byte offset of the problem in the input.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The offending byte, or `None` when the input ended too early.
    pub fn byte(&self) -> Option<u8> {
        self.byte
    }
}

impl fmt::Display for InvalidETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.problem, self.byte) {
            (Problem::NotQuoted, _) => write!(
                f,
                "invalid entity-tag: expected a quoted tag such as \"v7\" or W/\"v7\" \
                 (problem at byte {})",
                self.position
            ),
            (Problem::ByteNotAllowed, Some(byte)) => write!(
                f,
                "invalid entity-tag: byte 0x{byte:02X} at position {} is not allowed \
                 (an entity-tag holds no spaces, control characters or '\"')",
                self.position
            ),
            (Problem::ByteNotAllowed, None) => {
                write!(
                    f,
                    "invalid entity-tag: input ended at position {}",
                    self.position
                )
            }
        }
    }
}

impl std::error::Error for InvalidETag {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weakness_is_read_off_the_tag_itself() {
        let cases = [
            (ETag::parse(br#"W/"a""#), true),
            (ETag::parse(br#""a""#), false),
            (ETag::strong("W/a"), false),
            (ETag::weak("W/a"), true),
            (ETag::strong("W"), false),
        ];
        for (tag, weak) in cases {
            let tag = tag.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(tag.is_weak(), weak, "{tag}");
            assert!(tag.clone().into_weak().is_weak(), "{tag}");
            assert_eq!(ETag::parse(tag.to_string().as_bytes()).ok(), Some(tag));
        }
    }

    #[test]
    fn from_version_writes_every_digit_count_as_format_does() {
        let mut edges = vec![0, 1, 9, u64::MAX - 1, u64::MAX];
        let mut power = 1u64;
        while let Some(next) = power.checked_mul(10) {
            edges.extend([next - 1, next, next + 1]);
            power = next;
        }
        for version in edges {
            let tag = ETag::from_version(version);
            assert_eq!(
                tag.as_header_value(),
                &format!("\"{version}\""),
                "{version}"
            );
            assert_eq!(tag.version(), Some(version));
            assert!(!tag.is_weak());
        }
    }

    #[test]
    fn from_version_formats_decimal_strong_tags() {
        assert_eq!(ETag::from_version(0).to_string(), r#""0""#);
        assert_eq!(ETag::from_version(42).to_string(), r#""42""#);
        assert_eq!(
            ETag::from_version(u64::MAX).to_string(),
            format!("\"{}\"", u64::MAX)
        );
        assert!(!ETag::from_version(1).is_weak());
    }

    #[test]
    fn from_content_is_fnv1a_64() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(ETag::from_content(b"").opaque(), b"cbf29ce484222325");
        assert_eq!(ETag::from_content(b"a").opaque(), b"af63dc4c8601ec8c");
        assert_eq!(ETag::from_content(b"foobar").opaque(), b"85944171f73967e8");
    }

    /// The stability promise of `from_content`: these header values are what every release,
    /// on every platform, sends for these bytes. They were computed outside this crate, and a
    /// change to any of them breaks instances of different releases serving one resource.
    #[test]
    fn from_content_known_answers_are_stable_across_releases() {
        let all_bytes: Vec<u8> = (0..=255).collect();
        let vectors: [(&[u8], &str); 8] = [
            (b"fo", "\"08985907b541d342\""),
            (b"foob", "\"dd120e790c2512af\""),
            (b"\x00", "\"af63bd4c8601b7df\""),
            (b"\xff", "\"af64724c8602eb6e\""),
            (&all_bytes, "\"4242dc5249c33625\""),
            (br#"{"title":"draft","n":1}"#, "\"3c658cb5f53f919f\""),
            ("é".as_bytes(), "\"0ac21707b7181e01\""),
            (&[b'a'; 1000], "\"3c835852fbac676d\""),
        ];
        for (content, header) in vectors {
            let tag = ETag::from_content(content);
            assert_eq!(tag.as_header_value(), header, "{content:?}");
            assert!(!tag.is_weak());
        }
    }

    #[test]
    fn strong_and_weak_constructors_quote_the_opaque_part() {
        assert_eq!(ETag::strong("v7").unwrap().to_string(), r#""v7""#);
        assert_eq!(ETag::weak("v7").unwrap().to_string(), r#"W/"v7""#);
        assert_eq!(ETag::strong("").unwrap().opaque(), b"");
        assert_eq!(ETag::weak("").unwrap().opaque(), b"");
    }

    #[test]
    fn opaque_strings_with_forbidden_bytes_are_rejected_with_their_position() {
        for (input, position, byte) in [
            ("a b", 1, b' '),
            ("\"", 0, b'"'),
            ("ab\tc", 2, b'\t'),
            ("x\u{7f}", 1, 0x7f),
        ] {
            let err = ETag::strong(input).unwrap_err();
            assert_eq!(
                (err.position(), err.byte()),
                (position, Some(byte)),
                "{input:?}"
            );
        }
    }

    #[test]
    fn parse_accepts_exactly_one_entity_tag() {
        assert_eq!("\"a\"".parse::<ETag>().unwrap(), ETag::strong("a").unwrap());
        assert_eq!("W/\"a\"".parse::<ETag>().unwrap(), ETag::weak("a").unwrap());
        for bad in [
            "a", "w/\"a\"", "\"a", "a\"", "\"a b\"", " \"a\"", "\"a\" ", "W/a", "",
        ] {
            assert!(bad.parse::<ETag>().is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn comparison_follows_rfc_9110_table() {
        let weak1 = ETag::weak("1").unwrap();
        let strong1 = ETag::strong("1").unwrap();
        let strong2 = ETag::strong("2").unwrap();
        assert!(!weak1.strong_eq(&weak1) && weak1.weak_eq(&weak1));
        assert!(!weak1.strong_eq(&strong1) && weak1.weak_eq(&strong1));
        assert!(strong1.strong_eq(&strong1) && strong1.weak_eq(&strong1));
        assert!(!strong1.strong_eq(&strong2) && !strong1.weak_eq(&strong2));
    }

    #[test]
    fn obs_text_is_kept_as_bytes() {
        let tag = ETag::strong([b'c', 0xe9]).unwrap();
        assert_eq!(tag.opaque(), &[b'c', 0xe9]);
        assert_eq!(tag.to_string(), "\"c\\xE9\"");
        assert_eq!(HeaderValue::from(tag).as_bytes(), b"\"c\xe9\"");
    }

    #[test]
    fn reads_an_etag_header_value_and_shows_it_as_str_when_utf8() {
        let tag = ETag::try_from(&HeaderValue::from_static("W/\"v7\"")).unwrap();
        assert_eq!(tag, ETag::weak("v7").unwrap());
        assert_eq!(tag.to_str(), Some("W/\"v7\""));
        assert!(ETag::try_from(&HeaderValue::from_static("v7")).is_err());
        let latin1 = ETag::strong([b'c', 0xe9]).unwrap();
        assert_eq!(latin1.to_str(), None);
        assert_eq!(ETag::try_from(&HeaderValue::from(&latin1)).unwrap(), latin1);
    }

    #[test]
    fn into_weak_keeps_the_opaque_part() {
        let tag = ETag::from_version(3).into_weak();
        assert!(tag.is_weak());
        assert_eq!(tag.to_string(), r#"W/"3""#);
        assert_eq!(tag.clone().into_weak(), tag);
    }
}
