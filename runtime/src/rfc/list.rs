//! The `If-Match` / `If-None-Match` field syntax: `"*" / #entity-tag` (RFC 9110 §13.1.1–2),
//! read lazily and without allocation.

use crate::rfc::etag::is_etagc;

/// One member of an `If-Match` or `If-None-Match` field line.
///
/// Empty members (`, ,`) are not yielded: RFC 9110 §5.6.1.2 asks recipients to tolerate them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member<'a> {
    /// `*`. Only meaningful as the whole field value (RFC 9110 §13.1.1); inside a list it is
    /// invalid syntax, and the evaluator documents what it does with it.
    Star,
    /// A syntactically valid entity-tag.
    Tag {
        /// Whether it carries the `W/` prefix.
        weak: bool,
        /// The opaque part, without quotes.
        opaque: &'a [u8],
    },
    /// Anything else, such as an unquoted tag, a lowercase `w/` or an unterminated quote. Holds
    /// the member's bytes without surrounding whitespace. Invalid members never match, and the
    /// members after them are still read.
    Invalid(&'a [u8]),
}

/// An iterator over the members of one field line of `If-Match` or `If-None-Match`.
///
/// Splitting respects quotes: a comma inside a quoted tag belongs to the tag. Each field line is
/// read on its own, which is the comma-joined list of RFC 9110 §5.3 except that an unterminated
/// quote cannot swallow the next line.
///
/// ```
/// use axum_conditional::list::{Member, Members};
///
/// let members: Vec<_> = Members::new(br#" "a,b" , W/"c",, x"#).collect();
/// assert_eq!(
///     members,
///     [
///         Member::Tag { weak: false, opaque: b"a,b" },
///         Member::Tag { weak: true, opaque: b"c" },
///         Member::Invalid(b"x"),
///     ]
/// );
/// ```
#[derive(Clone, Debug)]
pub struct Members<'a> {
    rest: &'a [u8],
}

impl<'a> Members<'a> {
    /// Reads the members of one field line.
    pub fn new(line: &'a [u8]) -> Self {
        Self { rest: line }
    }
}

impl std::iter::FusedIterator for Members<'_> {}

impl<'a> Iterator for Members<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        let start = self
            .rest
            .iter()
            .position(|&b| !matches!(b, b' ' | b'\t' | b','))?;
        let input = &self.rest[start..];
        let (member, rest) = member(input);
        self.rest = rest;
        Some(member)
    }
}

/// Reads one member from `input`, which starts at a non-OWS, non-comma byte. Returns the member
/// and what follows its terminating comma.
fn member(input: &[u8]) -> (Member<'_>, &[u8]) {
    let parsed = match input {
        [b'*', after @ ..] => Some((Member::Star, after)),
        [b'W', b'/', b'"', after @ ..] => quoted(after, true),
        [b'"', after @ ..] => quoted(after, false),
        _ => None,
    };
    if let Some((member, after)) = parsed {
        let after = trim_ows_start(after);
        match after {
            [] => return (member, after),
            [b',', rest @ ..] => return (member, rest),
            _ => {}
        }
    }
    invalid(input)
}

/// Reads an opaque tag up to its closing quote; `None` if a byte is not `etagc` or the quote is
/// not closed.
fn quoted(after_quote: &[u8], weak: bool) -> Option<(Member<'_>, &[u8])> {
    let end = after_quote.iter().position(|&b| !is_etagc(b))?;
    let (opaque, rest) = after_quote.split_at(end);
    let rest = rest.strip_prefix(b"\"")?;
    Some((Member::Tag { weak, opaque }, rest))
}

/// Skips an invalid member up to the next comma outside quotes.
fn invalid(input: &[u8]) -> (Member<'_>, &[u8]) {
    let mut in_quotes = false;
    let end = input
        .iter()
        .position(|&b| {
            if b == b'"' {
                in_quotes = !in_quotes;
            }
            b == b',' && !in_quotes
        })
        .unwrap_or(input.len());
    let (bytes, rest) = input.split_at(end);
    let rest = rest.strip_prefix(b",").unwrap_or(rest);
    (Member::Invalid(trim_ows_end(bytes)), rest)
}

fn trim_ows_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn trim_ows_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

/// Trims optional whitespace (SP and HTAB) from both ends of a field value.
pub(crate) fn trim_ows(bytes: &[u8]) -> &[u8] {
    trim_ows_end(trim_ows_start(bytes))
}

#[cfg(test)]
mod tests {
    use super::Member::{Invalid, Star, Tag};
    use super::*;

    fn members(line: &[u8]) -> Vec<Member<'_>> {
        Members::new(line).collect()
    }

    fn tag(opaque: &[u8]) -> Member<'_> {
        Tag {
            weak: false,
            opaque,
        }
    }

    #[test]
    fn reads_each_syntactic_form() {
        let table: &[(&[u8], &[Member<'_>])] = &[
            (b"", &[]),
            (b"  ,, ,\t", &[]),
            (b"*", &[Star]),
            (b" * ", &[Star]),
            (b"\"a\"", &[tag(b"a")]),
            (
                b"W/\"a\"",
                &[Tag {
                    weak: true,
                    opaque: b"a",
                }],
            ),
            (b"\"\"", &[tag(b"")]),
            (b", \"a\" ,, \"b\",", &[tag(b"a"), tag(b"b")]),
            (b"\"a,b\", \"c\"", &[tag(b"a,b"), tag(b"c")]),
            (b"\"x\", *", &[tag(b"x"), Star]),
            (b"\"\\\"", &[tag(b"\\")]),
            (b"\"caf\xc3\xa9\"", &[tag(b"caf\xc3\xa9")]),
        ];
        for (line, expected) in table {
            assert_eq!(
                members(line),
                *expected,
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn invalid_members_are_skipped_and_later_members_still_read() {
        let table: &[(&[u8], &[Member<'_>])] = &[
            (b"v1", &[Invalid(b"v1")]),
            (b"w/\"a\", \"b\"", &[Invalid(b"w/\"a\""), tag(b"b")]),
            (
                b"\"spaced etag\", \"v1\"",
                &[Invalid(b"\"spaced etag\""), tag(b"v1")],
            ),
            (b"\"unterminated", &[Invalid(b"\"unterminated")]),
            (b"\"a\"b, \"c\"", &[Invalid(b"\"a\"b"), tag(b"c")]),
            (b"*x, \"c\"", &[Invalid(b"*x"), tag(b"c")]),
            (b"\"a\x01\", \"b\"", &[Invalid(b"\"a\x01\""), tag(b"b")]),
            (b"\"Foo, Bar\"", &[Invalid(b"\"Foo, Bar\"")]),
        ];
        for (line, expected) in table {
            assert_eq!(
                members(line),
                *expected,
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn trim_ows_strips_only_spaces_and_tabs() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b"\r"), b"\r");
    }
}
