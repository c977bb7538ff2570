//! Byte ranges (RFC 9110 §14): the `Range` field's parser, and the policy that decides what a
//! range request is answered with.
//!
//! [`select`] reads a `Range` field value against the representation's length and says whether
//! to send the whole representation (the field is ignored), a 416, or a 206 with which byte
//! ranges, in which order. It allocates nothing for a single range, never panics, and reads
//! positions as 64-bit numbers (a number too large for 64 bits is read as exactly as large as
//! it is: it is beyond any length).
//!
//! # The policy against abusive range sets
//!
//! A `Range` field can ask for the same bytes many times over (`bytes=0-,0-,0-,…`), or for
//! thousands of tiny ranges, each costing a part header (the 2011 "Apache killer",
//! CVE-2011-3192). RFC 9110 §14.2 lets a server ignore such fields, and §14.6 lets it coalesce
//! ranges. Here:
//!
//! 1. A field with more than [`MAX_RANGE_SPECS`] range-specs is ignored (full 200), whatever
//!    they hold: no legitimate client needs more, and counting stops there, so a long field
//!    costs no more than that many specs.
//! 2. Satisfiable ranges that overlap, touch, or are separated by a gap of at most
//!    [`COALESCE_GAP`] bytes (less than a part's headers would cost) are served as one range
//!    (§14.6 allows it "regardless of the order"). What is left is therefore disjoint: it never
//!    covers a byte twice, so a 206 never reads or sends more content than the 200 would.
//! 3. The parts keep the order of the range-specs they came from (§14.6 SHOULD); a coalesced
//!    part takes the place of its earliest range-spec.
//! 4. A multipart answer that would be larger than the full representation is replaced by the
//!    full 200 (decided where the parts are framed, see `Ranged`): with rule 2, a 206 never
//!    sends more bytes than the 200 would, whatever the field.

use std::cmp::Ordering;
use std::fmt;

/// The most range-specs a `Range` field may hold before it is ignored (rule 1 of the
/// [module's policy](self)).
pub const MAX_RANGE_SPECS: usize = 32;

/// Ranges separated by at most this many bytes are served as one (rule 2 of the
/// [module's policy](self)): sending the gap costs less than the headers of another part.
pub const COALESCE_GAP: u64 = 80;

/// A satisfiable byte range of a representation: `first` to `last`, both included, as in
/// `Content-Range: bytes first-last/length` (RFC 9110 §14.4). Never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ByteRange {
    first: u64,
    last: u64,
}

impl ByteRange {
    /// The range `first..=last`, or `None` when `last < first`.
    pub const fn new(first: u64, last: u64) -> Option<Self> {
        if last < first {
            None
        } else {
            Some(Self { first, last })
        }
    }

    /// The offset of the first byte.
    pub const fn first(&self) -> u64 {
        self.first
    }

    /// The offset of the last byte (included).
    pub const fn last(&self) -> u64 {
        self.last
    }

    /// How many bytes the range holds (at least one). Saturates at `u64::MAX` for the one range
    /// `0..=u64::MAX`, which no representation can be asked for (its length would not fit).
    #[allow(clippy::len_without_is_empty, reason = "a byte range is never empty")]
    pub const fn len(&self) -> u64 {
        (self.last - self.first).saturating_add(1)
    }
}

impl fmt::Display for ByteRange {
    /// `first-last`, as in `Content-Range`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// The ranges of a 206: at least one, disjoint, in the order they are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranges(Repr);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    // The common case, a single range, needs no allocation.
    One(ByteRange),
    Many(Box<[ByteRange]>),
}

impl Ranges {
    /// The ranges, in the order they are sent.
    pub fn as_slice(&self) -> &[ByteRange] {
        match &self.0 {
            Repr::One(range) => std::slice::from_ref(range),
            Repr::Many(ranges) => ranges,
        }
    }

    /// The one range, when there is only one (a single-part 206).
    pub fn single(&self) -> Option<ByteRange> {
        match self.0 {
            Repr::One(range) => Some(range),
            Repr::Many(_) => None,
        }
    }

    /// How many content bytes the ranges hold together (never more than the representation).
    pub fn content_len(&self) -> u64 {
        self.as_slice()
            .iter()
            .fold(0u64, |total, range| total.saturating_add(range.len()))
    }
}

/// Why a `Range` field is ignored, so that the full representation is sent (200).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ignored {
    /// Not a valid `ranges-specifier` of the `bytes` unit (RFC 9110 §14.1.1): a server MAY
    /// ignore it (§14.2), and does. This includes a field sent as several field lines: `Range`
    /// is not a list, so they cannot be combined into one valid value.
    Invalid,
    /// A range unit other than `bytes`, which this server does not understand: an origin
    /// server MUST ignore it (§14.2).
    OtherUnit,
    /// More than [`MAX_RANGE_SPECS`] range-specs (§14.2 lets a server ignore such a field).
    TooManyRanges,
    /// The representation is empty, and a range-spec is satisfiable all the same: RFC 9110
    /// §14.1.1 says that "when a selected representation has zero length, the only satisfiable
    /// form of range-spec is a suffix-range with a non-zero suffix-length" (`bytes=-5`). Such
    /// a range selects no byte, and a 206 cannot say so (`Content-Range: bytes first-last/0`,
    /// §14.4, has no first byte to name), while a 416 would refuse a satisfiable request. The
    /// whole representation, empty, is then the answer (200), as §14.2 allows ("a server MAY
    /// ignore the Range header field"): it is exactly what the client asked for.
    EmptyRepresentation,
}

/// What to answer a `Range` field with, for a representation of a given length.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selection {
    /// Send the full representation (200), as if the field had not been sent.
    Ignored(Ignored),
    /// No range-spec is satisfiable (RFC 9110 §14.1.1): 416 Range Not Satisfiable, with
    /// `Content-Range: bytes */length` (§15.5.17).
    Unsatisfiable,
    /// Send these ranges (206 Partial Content).
    Partial(Ranges),
}

/// A range-spec of the `bytes` unit, as written (§14.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spec<'a> {
    /// `first-last` or `first-`; the numbers are their digits.
    Int {
        first: &'a [u8],
        last: Option<&'a [u8]>,
    },
    /// `-length`.
    Suffix { length: &'a [u8] },
}

impl Spec<'_> {
    /// Whether the spec is satisfiable in a representation of no bytes: a suffix-range with a
    /// non-zero suffix-length, and nothing else (§14.1.1).
    fn satisfiable_when_empty(self) -> bool {
        match self {
            Spec::Int { .. } => false,
            Spec::Suffix { length } => length.iter().any(|&d| d != b'0'),
        }
    }

    /// The bytes the spec selects in a representation of `length` bytes, if any (§14.1.1:
    /// "satisfiable").
    fn resolve(self, length: u64) -> Option<ByteRange> {
        let end = length.checked_sub(1)?;
        match self {
            Spec::Int { first, last } => {
                let first = saturating_decimal(first);
                if first > end {
                    return None;
                }
                let last = last.map_or(end, |last| saturating_decimal(last).min(end));
                ByteRange::new(first, last)
            }
            Spec::Suffix { length: suffix } => {
                // `-0` selects nothing; a suffix longer than the representation selects all of it.
                let suffix = saturating_decimal(suffix);
                if suffix == 0 {
                    return None;
                }
                ByteRange::new(length - suffix.min(length), end)
            }
        }
    }
}

/// Reads a `Range` field value (RFC 9110 §14.2) against a representation of `length` bytes.
///
/// `lines` are the field's lines as received; more than one is [`Ignored::Invalid`]. The unit is
/// matched case-insensitively (§14.1); whitespace is allowed only around the commas of the
/// list and around the whole value (§5.6.1); a range-spec `first-last` with `last < first` makes
/// the whole field invalid (§14.1.1). A representation of length 0 has no byte to select: a
/// valid field is [`Ignored::EmptyRepresentation`] (200) when it holds a suffix-range with a
/// non-zero length, the one kind of range-spec §14.1.1 makes satisfiable then, and
/// [`Selection::Unsatisfiable`] otherwise.
///
/// ```
/// use axum_conditional::range::{ByteRange, Ignored, Selection, select};
///
/// let one = select([&b"bytes=0-99"[..]], 1000);
/// let Selection::Partial(ranges) = one else { panic!() };
/// assert_eq!(ranges.single(), ByteRange::new(0, 99));
///
/// assert_eq!(select([&b"bytes=-0"[..]], 1000), Selection::Unsatisfiable);
/// assert_eq!(select([&b"bytes=1000-"[..]], 1000), Selection::Unsatisfiable);
/// assert_eq!(select([&b"items=0-9"[..]], 1000), Selection::Ignored(Ignored::OtherUnit));
/// assert_eq!(select([&b"bytes=9-0"[..]], 1000), Selection::Ignored(Ignored::Invalid));
///
/// // An empty representation: `-5` is satisfiable (RFC 9110 §14.1.1), and is answered whole.
/// assert_eq!(select([&b"bytes=-5"[..]], 0), Selection::Ignored(Ignored::EmptyRepresentation));
/// assert_eq!(select([&b"bytes=0-"[..]], 0), Selection::Unsatisfiable);
/// ```
pub fn select<'a, I>(lines: I, length: u64) -> Selection
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut lines = lines.into_iter();
    let (Some(value), None) = (lines.next(), lines.next()) else {
        return Selection::Ignored(Ignored::Invalid);
    };
    let set = match range_set(value) {
        Ok(set) => set,
        Err(ignored) => return Selection::Ignored(ignored),
    };
    // First pass: validate every spec, count them and the satisfiable ones, without allocating.
    let mut specs = 0usize;
    let mut satisfiable = 0usize;
    let mut first_satisfiable = None;
    let mut satisfiable_when_empty = false;
    for spec in Specs::new(set) {
        specs += 1;
        if specs > MAX_RANGE_SPECS {
            return Selection::Ignored(Ignored::TooManyRanges);
        }
        let Ok(spec) = spec else {
            return Selection::Ignored(Ignored::Invalid);
        };
        satisfiable_when_empty |= spec.satisfiable_when_empty();
        if let Some(range) = spec.resolve(length) {
            satisfiable += 1;
            first_satisfiable.get_or_insert(range);
        }
    }
    if specs == 0 {
        // `1#range-spec`: at least one.
        return Selection::Ignored(Ignored::Invalid);
    }
    if length == 0 && satisfiable_when_empty {
        return Selection::Ignored(Ignored::EmptyRepresentation);
    }
    match (satisfiable, first_satisfiable) {
        (0, _) | (_, None) => Selection::Unsatisfiable,
        (1, Some(range)) => Selection::Partial(Ranges(Repr::One(range))),
        _ => {
            let ranges = Specs::new(set)
                .filter_map(|spec| spec.ok().and_then(|spec| spec.resolve(length)))
                .collect();
            Selection::Partial(coalesce(ranges))
        }
    }
}

/// The range-set of a `bytes` ranges-specifier, or why the field is ignored.
fn range_set(value: &[u8]) -> Result<&[u8], Ignored> {
    let value = crate::rfc::list::trim_ows(value);
    let equals = value
        .iter()
        .position(|&b| b == b'=')
        .ok_or(Ignored::Invalid)?;
    let (unit, set) = (&value[..equals], &value[equals + 1..]);
    if unit.is_empty() || !unit.iter().all(|&b| is_tchar(b)) {
        return Err(Ignored::Invalid);
    }
    if !unit.eq_ignore_ascii_case(b"bytes") {
        return Err(Ignored::OtherUnit);
    }
    Ok(set)
}

/// The range-specs of a range-set, lazily: empty list elements and the whitespace around
/// commas are skipped (§5.6.1.2).
struct Specs<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Specs<'a> {
    fn new(set: &'a [u8]) -> Self {
        Self { rest: Some(set) }
    }
}

impl<'a> Iterator for Specs<'a> {
    type Item = Result<Spec<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.rest?;
            let (element, rest) = match rest.iter().position(|&b| b == b',') {
                Some(comma) => (&rest[..comma], Some(&rest[comma + 1..])),
                None => (rest, None),
            };
            self.rest = rest;
            let element = crate::rfc::list::trim_ows(element);
            if !element.is_empty() {
                return Some(spec(element));
            }
        }
    }
}

/// One range-spec of the `bytes` unit: `int-range` or `suffix-range` (§14.1.2). Anything else
/// (an `other-range`) is invalid for this unit.
fn spec(element: &[u8]) -> Result<Spec<'_>, ()> {
    let dash = element.iter().position(|&b| b == b'-').ok_or(())?;
    let (before, after) = (&element[..dash], &element[dash + 1..]);
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    match (before.is_empty(), after.is_empty()) {
        (true, _) if digits(after) => Ok(Spec::Suffix { length: after }),
        (false, true) if digits(before) => Ok(Spec::Int {
            first: before,
            last: None,
        }),
        (false, false) if digits(before) && digits(after) => {
            // §14.1.1: `last-pos < first-pos` is invalid; compared exactly, whatever the size.
            if compare_decimal(after, before) == Ordering::Less {
                return Err(());
            }
            Ok(Spec::Int {
                first: before,
                last: Some(after),
            })
        }
        _ => Err(()),
    }
}

/// A string of ASCII digits as a number, `u64::MAX` when it is larger: every such number is
/// beyond any representation's length, so the result compares with a length exactly.
fn saturating_decimal(digits: &[u8]) -> u64 {
    digits
        .iter()
        .try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .unwrap_or(u64::MAX)
}

/// Compares two strings of ASCII digits as numbers, whatever their length.
fn compare_decimal(a: &[u8], b: &[u8]) -> Ordering {
    let (a, b) = (significant(a), significant(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The digits without their leading zeros.
fn significant(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    &digits[zeros..]
}

/// `tchar` (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Rules 2 and 3 of the [module's policy](self): merges ranges that overlap, touch or are at
/// most [`COALESCE_GAP`] apart, then orders the parts by their earliest range-spec.
fn coalesce(ranges: Vec<ByteRange>) -> Ranges {
    // (range, index of its earliest spec), sorted by position.
    let mut by_position: Vec<(ByteRange, usize)> = ranges.into_iter().zip(0..).collect();
    by_position.sort_unstable_by_key(|(range, _)| range.first);
    let mut merged: Vec<(ByteRange, usize)> = Vec::with_capacity(by_position.len());
    for (range, index) in by_position {
        match merged.last_mut() {
            Some((last, earliest))
                if range.first <= last.last.saturating_add(COALESCE_GAP).saturating_add(1) =>
            {
                last.last = last.last.max(range.last);
                *earliest = (*earliest).min(index);
            }
            _ => merged.push((range, index)),
        }
    }
    merged.sort_unstable_by_key(|&(_, earliest)| earliest);
    match merged[..] {
        [(range, _)] => Ranges(Repr::One(range)),
        _ => Ranges(Repr::Many(merged.into_iter().map(|(r, _)| r).collect())),
    }
}
