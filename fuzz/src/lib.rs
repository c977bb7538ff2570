//! The checks behind the fuzz targets in `fuzz_targets/`, and the structured input of the
//! `evaluator` target.
//!
//! Each target is one line that calls a `check_*` function here, so the same checks can replay
//! any input without libFuzzer (`examples/replay.rs`), and `examples/write_seeds.rs` can write
//! the seed corpus for the structured target with [`Encode`].

use std::ops::Range;

use arbitrary::Arbitrary;
use axum_conditional::answer::CacheHeaders;
use axum_conditional::list::{Member, Members};
use axum_conditional::{
    Codings, ContentCoding, ETag, LastModified, Outcome, Policy, Preconditions, Resource, evaluate,
    negotiate,
};
use axum_conditional_tests::model::{
    self, CurrentTag, DateLine, IfRangeLine, MAX_UNIX_SECS, MIN_UNIX_SECS, ModelMember, Request,
    State, Verdict,
};
use http::{HeaderName, HeaderValue, Method};

// ---------------------------------------------------------------------------------------------
// tag_list
// ---------------------------------------------------------------------------------------------

/// Where `part` lies within `whole`, or `None` if it is not a subslice of it.
fn span_in(whole: &[u8], part: &[u8]) -> Option<Range<usize>> {
    let whole_range = whole.as_ptr_range();
    let part_range = part.as_ptr_range();
    if whole_range.start <= part_range.start && part_range.end <= whole_range.end {
        let start = part_range.start as usize - whole_range.start as usize;
        Some(start..start + part.len())
    } else {
        None
    }
}

/// The `tag_list` invariants, on one field line of arbitrary bytes:
///
/// - the iterator terminates, with at most one member per input byte, and stays exhausted;
/// - every `Tag`'s opaque part is `etagc` only and lies in the input, after the previous member;
/// - every `Invalid` member is a non-empty subslice of the input, after the previous member,
///   without surrounding whitespace;
/// - the members agree with the reference model's naive splitter (`model::members`).
pub fn check_tag_list(line: &[u8]) {
    let mut members = Members::new(line);
    let mut seen = Vec::new();
    let mut end_of_previous = 0;
    for count in 1.. {
        let Some(member) = members.next() else {
            break;
        };
        assert!(
            count <= line.len(),
            "more members than bytes in {:?}",
            line.escape_ascii().to_string()
        );
        let bytes = match member {
            Member::Star => None,
            Member::Tag { opaque, .. } => {
                assert!(
                    opaque.iter().all(|&b| model::etagc(b)),
                    "a tag's opaque part holds a byte that is not etagc: {member:?}"
                );
                Some(opaque)
            }
            Member::Invalid(bytes) => {
                assert!(!bytes.is_empty(), "an empty member was yielded");
                assert_eq!(
                    model::trim_ows(bytes),
                    bytes,
                    "an invalid member keeps surrounding whitespace"
                );
                Some(bytes)
            }
        };
        if let Some(bytes) = bytes {
            let span = span_in(line, bytes)
                .unwrap_or_else(|| panic!("{member:?} is not a subslice of the input"));
            assert!(
                span.start >= end_of_previous,
                "{member:?} overlaps or precedes the previous member"
            );
            end_of_previous = span.end;
        }
        seen.push(match member {
            Member::Star => ModelMember::Star,
            Member::Tag { weak, opaque } => ModelMember::Tag { weak, opaque },
            Member::Invalid(_) => ModelMember::Invalid,
        });
    }
    assert!(members.next().is_none(), "not fused");
    assert_eq!(
        seen,
        model::members(line),
        "disagrees with the model on {:?}",
        line.escape_ascii().to_string()
    );
}

// ---------------------------------------------------------------------------------------------
// http_date
// ---------------------------------------------------------------------------------------------

/// The `http_date` invariants, on arbitrary bytes:
///
/// - `LastModified::parse` and `FromStr` (when the bytes are UTF-8) never panic and agree;
/// - they accept exactly what the model's independent parser (`model::http_date`) accepts, and
///   the value is the model's;
/// - an accepted date formats as a 29-byte IMF-fixdate that the model reads back as the same
///   instant, that `parse` and `FromStr` give back unchanged, and that the model's formatter
///   writes identically; its header value is that of the date as sent, clamped to the clock as
///   `LastModified::as_sent` documents.
pub fn check_http_date(bytes: &[u8]) {
    let before = model::now_unix_secs();
    let parsed = LastModified::parse(bytes);
    let after = model::now_unix_secs();
    if let Ok(text) = std::str::from_utf8(bytes) {
        assert_eq!(
            text.parse::<LastModified>().ok(),
            parsed,
            "FromStr disagrees"
        );
    }

    // The runtime read the clock between `before` and `after`; only an RFC 850 date exactly at
    // the 50-year boundary could read differently at the two ends.
    let expected = model::http_date(bytes, before).or_else(|| model::http_date(bytes, after));
    let shown = || bytes.escape_ascii().to_string();
    match (parsed, expected) {
        (None, None) => {}
        (Some(lm), Some(secs)) => {
            // `LastModified` clamps to the years an HTTP-date can spell (a leap second at the
            // end of 9999 is one past them).
            let got = lm.unix_seconds();
            let secs = secs.clamp(MIN_UNIX_SECS, MAX_UNIX_SECS);
            assert_eq!(got, secs, "{:?}: runtime {got}, model {secs}", shown());
        }
        (parsed, expected) => {
            panic!("{:?}: runtime {parsed:?}, model {expected:?}", shown())
        }
    }

    let Some(lm) = parsed else {
        return;
    };
    let secs = lm.unix_seconds();
    assert!((MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&secs));
    let text = lm.to_string();
    assert_eq!(text.len(), 29, "{text:?} is not IMF-fixdate's length");
    assert_eq!(
        model::http_date(text.as_bytes(), before),
        Some(secs),
        "{text:?} is not a valid IMF-fixdate of {secs}"
    );
    assert_eq!(text, model::imf_fixdate(secs), "formatters disagree");
    assert_eq!(LastModified::parse(text.as_bytes()), Some(lm), "{text:?}");
    assert_eq!(text.parse::<LastModified>(), Ok(lm), "{text:?}");
    // Sent, a future date is "now" (RFC 9110 §8.8.2.1).
    let sent = lm.to_header_value();
    let sent_secs = model::http_date(sent.as_bytes(), before);
    let sent_agrees = if secs <= before {
        sent == text.as_str()
    } else {
        sent_secs.is_some_and(|sent| (before..=model::now_unix_secs()).contains(&sent))
    };
    assert!(sent_agrees, "{text:?} sent as {sent:?}");
    assert_eq!(LastModified::from_unix_seconds(secs), lm);
    assert_eq!(LastModified::from(lm.to_system_time()), lm);
}

// ---------------------------------------------------------------------------------------------
// evaluator: the structured input
// ---------------------------------------------------------------------------------------------

/// `Sun, 21 Oct 2007 23:21:47 GMT`, the conformance fixture's favourite modification date.
pub const LM_2007: i64 = 1_193_008_907;

/// The latest modification date a generated resource gets: in the past, so that
/// `LastModified` does not clamp it to the clock (November 2023).
const LATEST_MODIFICATION: i64 = 1_700_000_000;

/// How far outside years 0000..=9999 a generated header date may go (about 400 years), so that
/// some dates have 5-digit or negative years.
const DATE_SLACK: i64 = 400 * 366 * 86_400;

/// Lines per field, pieces per line and bytes per raw piece are capped at these, to keep every
/// execution fast.
const MAX_LINES: usize = 4;
const MAX_PIECES: usize = 16;
const MAX_BYTES: usize = 128;

/// A request, a resource state and a policy, for the `evaluator` target.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct EvaluatorInput {
    /// The request method.
    pub method: MethodChoice,
    /// The resource's current state.
    pub state: StateChoice,
    /// `If-Match` field lines: none means absent.
    pub if_match: Vec<ListLine>,
    /// `If-None-Match` field lines.
    pub if_none_match: Vec<ListLine>,
    /// `If-Modified-Since` field lines.
    pub if_modified_since: Vec<DateText>,
    /// `If-Unmodified-Since` field lines.
    pub if_unmodified_since: Vec<DateText>,
    /// `If-Range` field lines.
    pub if_range: Vec<IfRangeText>,
    /// Whether a `Range` field is sent.
    pub range: bool,
    /// `Policy::require_precondition`.
    pub require_precondition: bool,
    /// `Policy::weak_if_match`.
    pub weak_if_match: bool,
    /// How many unrelated header fields to add (modulo 32): past 24 names the evaluator finds
    /// its fields by lookup instead of by one scan, and the outcome must not change.
    pub other_fields: u8,
}

/// The request method.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodChoice {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `PUT`.
    Put,
    /// `POST`.
    Post,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`.
    Options,
    /// `TRACE`.
    Trace,
    /// `CONNECT`.
    Connect,
    /// An extension method, `PROPPATCH`.
    Extension,
}

impl MethodChoice {
    /// The method.
    pub fn method(self) -> Method {
        match self {
            MethodChoice::Get => Method::GET,
            MethodChoice::Head => Method::HEAD,
            MethodChoice::Put => Method::PUT,
            MethodChoice::Post => Method::POST,
            MethodChoice::Patch => Method::PATCH,
            MethodChoice::Delete => Method::DELETE,
            MethodChoice::Options => Method::OPTIONS,
            MethodChoice::Trace => Method::TRACE,
            MethodChoice::Connect => Method::CONNECT,
            MethodChoice::Extension => {
                Method::from_bytes(b"PROPPATCH").expect("a valid extension method")
            }
        }
    }
}

/// The resource's current state.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct StateChoice {
    /// Whether it exists; a missing resource has no validators, whatever follows.
    pub exists: bool,
    /// Its entity-tag.
    pub etag: TagChoice,
    /// Its modification date, clamped to years 0000 to 2023.
    pub last_modified: Option<Instant>,
    /// Whether the modification date is strong.
    pub strong_last_modified: bool,
}

/// The resource's entity-tag.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum TagChoice {
    /// None.
    None,
    /// Strong.
    Strong(Opaque),
    /// Weak.
    Weak(Opaque),
}

/// An opaque part.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Opaque {
    /// `v1`.
    V1,
    /// `v2`.
    V2,
    /// `V1`: differs from `v1` only by case.
    UpperV1,
    /// The empty opaque part.
    Empty,
    /// `*`, which quoted is a tag, not a wildcard.
    Star,
    /// `a,b`, with a comma inside.
    Comma,
    /// Any bytes. For the resource's own tag, the bytes that are not `etagc` are dropped.
    Bytes(Vec<u8>),
}

impl Opaque {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Opaque::V1 => b"v1".to_vec(),
            Opaque::V2 => b"v2".to_vec(),
            Opaque::UpperV1 => b"V1".to_vec(),
            Opaque::Empty => Vec::new(),
            Opaque::Star => b"*".to_vec(),
            Opaque::Comma => b"a,b".to_vec(),
            Opaque::Bytes(bytes) => bytes.iter().copied().take(MAX_BYTES).collect(),
        }
    }
}

/// An instant: a base and an offset from it.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct Instant {
    /// Where it starts.
    pub base: Base,
    /// How far from there.
    pub offset: Offset,
}

/// Where an [`Instant`] starts.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// The resource's modification date (`Sun, 21 Oct 2007 23:21:47 GMT` for the resource's
    /// own, or when it has none).
    Resource,
    /// `Sun, 21 Oct 2007 23:21:47 GMT`.
    Lm2007,
    /// The Unix epoch.
    Epoch,
    /// `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's example.
    Rfc9110,
    /// `Tue, 29 Feb 2000 00:00:00 GMT`.
    LeapDay2000,
    /// `Sat, 01 Jan 0000 00:00:00 GMT`.
    First,
    /// `Fri, 31 Dec 9999 23:59:59 GMT`.
    Last,
    /// Any Unix seconds.
    Unix(i64),
}

/// How far an [`Instant`] lies from its base.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Offset {
    /// None.
    Zero,
    /// One second later.
    PlusSecond,
    /// One second earlier.
    MinusSecond,
    /// A minute later.
    PlusMinute,
    /// A day earlier.
    MinusDay,
    /// A day later.
    PlusDay,
    /// 365 days earlier.
    MinusYear,
    /// 365 days later.
    PlusYear,
    /// 50 years (of 365.2425 days) earlier.
    MinusFiftyYears,
    /// 50 years later.
    PlusFiftyYears,
    /// Any number of seconds.
    Seconds(i32),
}

impl Instant {
    /// Unix seconds; `resource` is the resource's modification date, if any.
    fn secs(&self, resource: Option<i64>) -> i64 {
        let base = match self.base {
            Base::Resource => resource.unwrap_or(LM_2007),
            Base::Lm2007 => LM_2007,
            Base::Epoch => 0,
            Base::Rfc9110 => 784_111_777,
            Base::LeapDay2000 => 951_782_400,
            Base::First => MIN_UNIX_SECS,
            Base::Last => MAX_UNIX_SECS,
            Base::Unix(secs) => secs,
        };
        let fifty_years = 50 * 31_556_952;
        let offset = match self.offset {
            Offset::Zero => 0,
            Offset::PlusSecond => 1,
            Offset::MinusSecond => -1,
            Offset::PlusMinute => 60,
            Offset::MinusDay => -86_400,
            Offset::PlusDay => 86_400,
            Offset::MinusYear => -365 * 86_400,
            Offset::PlusYear => 365 * 86_400,
            Offset::MinusFiftyYears => -fifty_years,
            Offset::PlusFiftyYears => fifty_years,
            Offset::Seconds(secs) => i64::from(secs),
        };
        base.saturating_add(offset)
    }
}

/// One list field line (`If-Match`, `If-None-Match`), as pieces of syntax.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct ListLine(pub Vec<Piece>);

/// A piece of list syntax.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// The resource's current opaque part (`v1` when it has no tag), quoted, maybe `W/`.
    Current {
        /// With `W/`.
        weak: bool,
    },
    /// Another quoted tag.
    Tag {
        /// With `W/`.
        weak: bool,
        /// Its opaque part.
        opaque: Opaque,
    },
    /// `*`.
    Star,
    /// `,`.
    Comma,
    /// `, ` (the usual separator).
    Separator,
    /// A space.
    Space,
    /// A tab.
    Tab,
    /// `"`.
    Quote,
    /// `W/`.
    WeakPrefix,
    /// `w/`, which is not a weak prefix.
    LowercaseWeakPrefix,
    /// One byte (dropped if a field value cannot hold it).
    Byte(u8),
    /// Some bytes (those a field value cannot hold are dropped).
    Bytes(Vec<u8>),
}

/// A date field line (`If-Modified-Since`, `If-Unmodified-Since`, or an `If-Range` date).
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum DateText {
    /// An instant in one of the three formats, maybe with whitespace around it.
    Formatted {
        /// The format.
        form: DateForm,
        /// The instant.
        instant: Instant,
        /// Whitespace around it.
        padding: Padding,
    },
    /// A formatted instant with one byte replaced.
    Edited {
        /// The format.
        form: DateForm,
        /// The instant.
        instant: Instant,
        /// Which byte (modulo the length).
        at: u8,
        /// Its replacement.
        byte: u8,
    },
    /// A formatted instant cut short, or with bytes appended.
    Resized {
        /// The format.
        form: DateForm,
        /// The instant.
        instant: Instant,
        /// Bytes to cut (modulo the length), when `append` is empty.
        cut: u8,
        /// Bytes to append.
        append: Vec<u8>,
    },
    /// Two dates joined by a comma, as a proxy would join two field lines.
    Joined(DateForm, Instant, DateForm, Instant),
    /// Any bytes.
    Bytes(Vec<u8>),
}

/// One of the three HTTP-date formats (RFC 9110 §5.6.7).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateForm {
    /// `Sun, 06 Nov 1994 08:49:37 GMT`.
    ImfFixdate,
    /// `Sunday, 06-Nov-94 08:49:37 GMT`.
    Rfc850,
    /// `Sun Nov  6 08:49:37 1994`.
    Asctime,
}

/// Optional whitespace around a field value.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// None.
    None,
    /// A space before.
    Space,
    /// A tab after.
    Tab,
    /// Both.
    Both,
}

/// An `If-Range` field line.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum IfRangeText {
    /// List-like syntax, usually one tag.
    Tag(ListLine),
    /// A date.
    Date(DateText),
}

/// Whether a field value may hold `b` (`http::HeaderValue`: visible ASCII, SP, HTAB, obs-text).
fn field_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

fn format_date(form: DateForm, secs: i64) -> Vec<u8> {
    let secs = secs.clamp(MIN_UNIX_SECS - DATE_SLACK, MAX_UNIX_SECS + DATE_SLACK);
    match form {
        DateForm::ImfFixdate => model::imf_fixdate(secs),
        DateForm::Rfc850 => model::rfc850(secs),
        DateForm::Asctime => model::asctime(secs),
    }
    .into_bytes()
}

/// What the generator needs to know about the resource while it writes header lines.
struct Context {
    current_opaque: Vec<u8>,
    last_modified: Option<i64>,
}

impl ListLine {
    fn text(&self, cx: &Context) -> Vec<u8> {
        let mut text = Vec::new();
        for piece in self.0.iter().take(MAX_PIECES) {
            match piece {
                Piece::Current { weak } => {
                    if *weak {
                        text.extend_from_slice(b"W/");
                    }
                    text.push(b'"');
                    text.extend_from_slice(&cx.current_opaque);
                    text.push(b'"');
                }
                Piece::Tag { weak, opaque } => {
                    if *weak {
                        text.extend_from_slice(b"W/");
                    }
                    text.push(b'"');
                    text.extend(opaque.bytes());
                    text.push(b'"');
                }
                Piece::Star => text.push(b'*'),
                Piece::Comma => text.push(b','),
                Piece::Separator => text.extend_from_slice(b", "),
                Piece::Space => text.push(b' '),
                Piece::Tab => text.push(b'\t'),
                Piece::Quote => text.push(b'"'),
                Piece::WeakPrefix => text.extend_from_slice(b"W/"),
                Piece::LowercaseWeakPrefix => text.extend_from_slice(b"w/"),
                Piece::Byte(b) => text.push(*b),
                Piece::Bytes(bytes) => text.extend(bytes.iter().take(MAX_BYTES)),
            }
        }
        text.retain(|&b| field_value_byte(b));
        text
    }
}

impl DateText {
    fn text(&self, cx: &Context) -> Vec<u8> {
        let mut text = match self {
            DateText::Formatted {
                form,
                instant,
                padding,
            } => {
                let date = format_date(*form, instant.secs(cx.last_modified));
                let (before, after): (&[u8], &[u8]) = match padding {
                    Padding::None => (b"", b""),
                    Padding::Space => (b" ", b""),
                    Padding::Tab => (b"", b"\t"),
                    Padding::Both => (b" \t", b"\t "),
                };
                [before, &date, after].concat()
            }
            DateText::Edited {
                form,
                instant,
                at,
                byte,
            } => {
                let mut date = format_date(*form, instant.secs(cx.last_modified));
                let at = usize::from(*at) % date.len();
                date[at] = *byte;
                date
            }
            DateText::Resized {
                form,
                instant,
                cut,
                append,
            } => {
                let mut date = format_date(*form, instant.secs(cx.last_modified));
                if append.is_empty() {
                    let cut = usize::from(*cut) % date.len();
                    date.truncate(date.len() - cut);
                } else {
                    date.extend(append.iter().take(MAX_BYTES));
                }
                date
            }
            DateText::Joined(form_a, a, form_b, b) => [
                format_date(*form_a, a.secs(cx.last_modified)),
                b", ".to_vec(),
                format_date(*form_b, b.secs(cx.last_modified)),
            ]
            .concat(),
            DateText::Bytes(bytes) => bytes.iter().copied().take(MAX_BYTES).collect(),
        };
        text.retain(|&b| field_value_byte(b));
        text
    }
}

impl IfRangeText {
    fn text(&self, cx: &Context) -> Vec<u8> {
        match self {
            IfRangeText::Tag(line) => line.text(cx),
            IfRangeText::Date(date) => date.text(cx),
        }
    }
}

/// A field's lines, or `None` when it has none (absent).
fn lines<T, U>(choices: &[T], text: impl Fn(&T) -> U) -> Option<Vec<U>> {
    (!choices.is_empty()).then(|| choices.iter().take(MAX_LINES).map(text).collect())
}

impl EvaluatorInput {
    /// The model's view of this input: the request, the state and the policy, plus the number
    /// of unrelated fields to add to the header block.
    pub fn to_model(&self) -> (Request, State, Policy, usize) {
        let state = self.state.state();
        let cx = Context {
            current_opaque: match &state.etag {
                CurrentTag::None => b"v1".to_vec(),
                CurrentTag::Strong(opaque) | CurrentTag::Weak(opaque) => opaque.clone(),
            },
            last_modified: state.last_modified,
        };
        let request = Request {
            method: self.method.method(),
            if_match: lines(&self.if_match, |line| line.text(&cx)),
            if_none_match: lines(&self.if_none_match, |line| line.text(&cx)),
            if_modified_since: lines(&self.if_modified_since, |date| {
                DateLine::parse(date.text(&cx))
            }),
            if_unmodified_since: lines(&self.if_unmodified_since, |date| {
                DateLine::parse(date.text(&cx))
            }),
            range: self.range,
            if_range: lines(&self.if_range, |line| IfRangeLine::parse(line.text(&cx))),
        };
        let policy = Policy::new()
            .require_precondition(self.require_precondition)
            .weak_if_match(self.weak_if_match);
        (request, state, policy, usize::from(self.other_fields % 32))
    }
}

impl StateChoice {
    /// The model's state: a missing resource has no validators, the resource's own tag keeps
    /// only `etagc` bytes, and its modification date lies between years 0000 and 2023.
    fn state(&self) -> State {
        if !self.exists {
            return State::missing();
        }
        let etag = match &self.etag {
            TagChoice::None => CurrentTag::None,
            TagChoice::Strong(opaque) => CurrentTag::Strong(etagc_only(opaque.bytes())),
            TagChoice::Weak(opaque) => CurrentTag::Weak(etagc_only(opaque.bytes())),
        };
        let last_modified = self
            .last_modified
            .as_ref()
            .map(|instant| instant.secs(None).clamp(MIN_UNIX_SECS, LATEST_MODIFICATION));
        State {
            exists: true,
            etag,
            last_modified,
            strong_last_modified: self.strong_last_modified,
        }
    }
}

fn etagc_only(mut opaque: Vec<u8>) -> Vec<u8> {
    opaque.retain(|&b| model::etagc(b));
    opaque
}

/// The model reads every well-formed IMF-fixdate and asctime date the generator writes as the
/// instant it was written from (RFC 850's two-digit years depend on the clock, so they are
/// left out): a check of the oracle itself, so that a wrong model parser cannot hide a runtime
/// bug behind an agreeing wrong answer.
fn check_model_reads_generated_dates(input: &EvaluatorInput, state: &State) {
    let fields = [&input.if_modified_since, &input.if_unmodified_since];
    let if_range_dates = input.if_range.iter().filter_map(|line| match line {
        IfRangeText::Date(date) => Some(date),
        IfRangeText::Tag(_) => None,
    });
    let dates = fields
        .into_iter()
        .flat_map(|lines| lines.iter().take(MAX_LINES))
        .chain(if_range_dates.take(MAX_LINES));
    for date in dates {
        let DateText::Formatted { form, instant, .. } = date else {
            continue;
        };
        let secs = instant.secs(state.last_modified);
        if *form == DateForm::Rfc850 || !(MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&secs) {
            continue;
        }
        let text = format_date(*form, secs);
        assert_eq!(
            model::http_date(&text, model::now_unix_secs()),
            Some(secs),
            "the model misreads {:?}",
            text.escape_ascii().to_string()
        );
    }
}

/// The `evaluator` invariants, on one structured input:
///
/// - `evaluate` never panics, and its outcome agrees with the reference model
///   (`axum_conditional_tests::model::model`);
/// - `Preconditions::new(..).evaluate(..)` gives the same outcome as `evaluate`;
/// - unrelated header fields (up to 31, so that both of the evaluator's ways of finding its
///   fields run) change nothing.
pub fn check_evaluator(input: &EvaluatorInput) {
    let (request, state, policy, other_fields) = input.to_model();
    check_model_reads_generated_dates(input, &state);
    let resource = state.resource();
    assert_eq!(
        resource.last_modified().map(LastModified::unix_seconds),
        state.last_modified,
        "the generator gave the resource a date LastModified clamps"
    );
    let expected = model::model(&request, &state, policy);

    let mut headers = request.headers();
    for i in 0..other_fields {
        let name = HeaderName::try_from(format!("x-other-{i}")).expect("a valid field name");
        headers.append(name, HeaderValue::from_static("1"));
    }
    let outcome = evaluate(&request.method, &headers, resource.clone(), policy).outcome();
    assert_eq!(
        Verdict::of(outcome),
        expected,
        "\nrequest:\n{request:?}state: {state:?}\npolicy: {policy:?}\noutcome: {outcome:?}"
    );
    let via_conditions = Preconditions::new(&request.method, &headers)
        .evaluate(resource, policy)
        .outcome();
    assert_eq!(
        via_conditions, outcome,
        "\nConditions disagrees with evaluate on\n{request:?}state: {state:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The coding pair: If-None-Match x Accept-Encoding
// ---------------------------------------------------------------------------------------------

/// The `coding` invariants, on raw bytes: `[enabled codings, version, If-None-Match line, 0x00,
/// Accept-Encoding line]` (a NUL is never part of a field value, so it separates the two).
///
/// - `negotiate` never panics, names a coding that is enabled, and agrees with a reference
///   written here independently (RFC 9110 §12.5.3 with tower-http's order between equal
///   q-values, identity when nothing enabled is acceptable);
/// - on a `GET` of version `v` negotiated so, the evaluator answers 304 exactly when a member of
///   `If-None-Match` is the selected representation's tag (`"v"` or `"v~c"`, weakly) or the
///   field is `*` alone, and the 304 carries the tag the 200 would carry: the selected one.
pub fn check_coding(bytes: &[u8]) {
    let [enabled, version, rest @ ..] = bytes else {
        return;
    };
    let enabled_set = ContentCoding::ALL
        .into_iter()
        .enumerate()
        .fold(Codings::NONE, |set, (i, coding)| {
            set.with(coding, enabled & (1 << i) != 0)
        });
    let (inm, accept) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let negotiated = negotiate(accept.into_iter(), enabled_set);
    assert_eq!(
        negotiated,
        reference_negotiate(accept, *enabled),
        "negotiate disagrees with the reference on {:?}, enabled {enabled:#06b}",
        accept.map(|a| a.escape_ascii().to_string())
    );
    if let Some(coding) = negotiated {
        assert!(enabled_set.contains(coding), "{coding} is not enabled");
    }

    let mut headers = http::HeaderMap::new();
    let Ok(value) = HeaderValue::from_bytes(inm) else {
        return;
    };
    headers.insert(http::header::IF_NONE_MATCH, value);
    let version = u64::from(*version);
    let resource =
        Resource::existing(Some(ETag::from_version(version)), None).with_coding(negotiated);
    let selected = match negotiated {
        Some(coding) => format!("{version}~{}", coding.token()),
        None => version.to_string(),
    };
    let members: Vec<Member<'_>> = Members::new(inm).collect();
    let star_alone = members.len() == 1 && members[0] == Member::Star;
    let expected = star_alone
        || members.iter().any(
            |member| matches!(member, Member::Tag { opaque, .. } if *opaque == selected.as_bytes()),
        );
    let decision = evaluate(&Method::GET, &headers, resource, Policy::new());
    assert_eq!(
        decision == Outcome::NotModified,
        expected,
        "If-None-Match {:?} against the selected tag {selected:?}: {decision:?}",
        inm.escape_ascii().to_string()
    );
    if let Ok(answer) = decision.into_answer(CacheHeaders::new()) {
        let response: http::Response<String> = answer.into_http_response();
        assert_eq!(
            response.headers()[http::header::ETAG],
            format!("\"{selected}\"").as_str(),
            "the 304 carries the selected tag"
        );
    }
}

/// RFC 9110 §12.5.3, written for the check: the weight of every member, in thousandths, by
/// coding name; the highest weight among the enabled codings wins, zstd before br before gzip
/// before deflate when equal; identity when none is above 0.
fn reference_negotiate(accept: Option<&[u8]>, enabled: u8) -> Option<ContentCoding> {
    let accept = accept?;
    let mut weights: Vec<(Vec<u8>, u16)> = Vec::new();
    for member in accept.split(|&b| b == b',') {
        let mut pieces = member.split(|&b| b == b';');
        let name = pieces
            .next()
            .unwrap_or_default()
            .trim_ascii()
            .to_ascii_lowercase();
        let tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
        if name.is_empty() || !name.iter().all(tchar) {
            continue;
        }
        let weight = match (pieces.next(), pieces.next()) {
            (None, _) => Some(1000),
            (Some(param), None) => reference_qvalue(param.trim_ascii()),
            _ => None,
        };
        let Some(weight) = weight else {
            continue;
        };
        let name = if name == b"x-gzip" {
            b"gzip".to_vec()
        } else {
            name
        };
        weights.push((name, weight));
    }
    let weight_of = |token: &str| {
        let listed = weights
            .iter()
            .filter(|(name, _)| name == token.as_bytes())
            .map(|(_, weight)| *weight)
            .max();
        listed.or_else(|| {
            weights
                .iter()
                .filter(|(name, _)| name == b"*")
                .map(|(_, weight)| *weight)
                .max()
        })
    };
    let mut best: Option<(u16, ContentCoding)> = None;
    for coding in [
        ContentCoding::Deflate,
        ContentCoding::Gzip,
        ContentCoding::Br,
        ContentCoding::Zstd,
    ] {
        let bit = ContentCoding::ALL
            .iter()
            .position(|c| *c == coding)
            .unwrap_or_default();
        if enabled & (1 << bit) == 0 {
            continue;
        }
        if let Some(weight) = weight_of(coding.token()).filter(|w| *w > 0)
            && best.is_none_or(|(seen, _)| weight >= seen)
        {
            best = Some((weight, coding));
        }
    }
    best.map(|(_, coding)| coding)
}

/// `q=` and a qvalue (`0`, `0.5`, `0.125`, `1`, `1.000`), case-insensitive `q`, in thousandths.
fn reference_qvalue(param: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(param).ok()?;
    let value = text
        .strip_prefix("q=")
        .or_else(|| text.strip_prefix("Q="))?;
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if value.contains('.') && fraction.is_empty() && whole.len() != 1 {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding, for seeds
// ---------------------------------------------------------------------------------------------

/// Writes a value as the bytes that `arbitrary` 1.x decodes back into it: integers little-endian,
/// `bool` as one byte, `Option` as a `bool` then the value, a `Vec` as each element preceded by
/// a `true` byte and closed by a `false` byte, and an enum as a `u32` that the derive's
/// multiply-and-shift maps to the variant's index. `examples/write_seeds.rs` checks every seed
/// it writes by decoding it again, so a change in `arbitrary`'s format fails loudly there.
pub trait Encode {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);
}

/// The derive's enum tag for variant `index` of `count`.
fn variant(out: &mut Vec<u8>, index: u64, count: u64) {
    let tag = u32::try_from((index << 32).div_ceil(count)).expect("index < count");
    out.extend(tag.to_le_bytes());
}

impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Encode for i32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend(self.to_le_bytes());
    }
}

impl Encode for i64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend(self.to_le_bytes());
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        for element in self {
            out.push(1);
            element.encode(out);
        }
        out.push(0);
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.encode(out);
            }
        }
    }
}

impl Encode for EvaluatorInput {
    fn encode(&self, out: &mut Vec<u8>) {
        self.method.encode(out);
        self.state.encode(out);
        self.if_match.encode(out);
        self.if_none_match.encode(out);
        self.if_modified_since.encode(out);
        self.if_unmodified_since.encode(out);
        self.if_range.encode(out);
        self.range.encode(out);
        self.require_precondition.encode(out);
        self.weak_if_match.encode(out);
        self.other_fields.encode(out);
    }
}

impl Encode for MethodChoice {
    fn encode(&self, out: &mut Vec<u8>) {
        variant(out, *self as u64, 10);
    }
}

impl Encode for StateChoice {
    fn encode(&self, out: &mut Vec<u8>) {
        self.exists.encode(out);
        self.etag.encode(out);
        self.last_modified.encode(out);
        self.strong_last_modified.encode(out);
    }
}

impl Encode for TagChoice {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TagChoice::None => variant(out, 0, 3),
            TagChoice::Strong(opaque) => {
                variant(out, 1, 3);
                opaque.encode(out);
            }
            TagChoice::Weak(opaque) => {
                variant(out, 2, 3);
                opaque.encode(out);
            }
        }
    }
}

impl Encode for Opaque {
    fn encode(&self, out: &mut Vec<u8>) {
        let index = match self {
            Opaque::V1 => 0,
            Opaque::V2 => 1,
            Opaque::UpperV1 => 2,
            Opaque::Empty => 3,
            Opaque::Star => 4,
            Opaque::Comma => 5,
            Opaque::Bytes(_) => 6,
        };
        variant(out, index, 7);
        if let Opaque::Bytes(bytes) = self {
            bytes.encode(out);
        }
    }
}

impl Encode for Instant {
    fn encode(&self, out: &mut Vec<u8>) {
        self.base.encode(out);
        self.offset.encode(out);
    }
}

impl Encode for Base {
    fn encode(&self, out: &mut Vec<u8>) {
        let index = match self {
            Base::Resource => 0,
            Base::Lm2007 => 1,
            Base::Epoch => 2,
            Base::Rfc9110 => 3,
            Base::LeapDay2000 => 4,
            Base::First => 5,
            Base::Last => 6,
            Base::Unix(_) => 7,
        };
        variant(out, index, 8);
        if let Base::Unix(secs) = self {
            secs.encode(out);
        }
    }
}

impl Encode for Offset {
    fn encode(&self, out: &mut Vec<u8>) {
        let index = match self {
            Offset::Zero => 0,
            Offset::PlusSecond => 1,
            Offset::MinusSecond => 2,
            Offset::PlusMinute => 3,
            Offset::MinusDay => 4,
            Offset::PlusDay => 5,
            Offset::MinusYear => 6,
            Offset::PlusYear => 7,
            Offset::MinusFiftyYears => 8,
            Offset::PlusFiftyYears => 9,
            Offset::Seconds(_) => 10,
        };
        variant(out, index, 11);
        if let Offset::Seconds(secs) = self {
            secs.encode(out);
        }
    }
}

impl Encode for ListLine {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Encode for Piece {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u64 = 12;
        match self {
            Piece::Current { weak } => {
                variant(out, 0, COUNT);
                weak.encode(out);
            }
            Piece::Tag { weak, opaque } => {
                variant(out, 1, COUNT);
                weak.encode(out);
                opaque.encode(out);
            }
            Piece::Star => variant(out, 2, COUNT),
            Piece::Comma => variant(out, 3, COUNT),
            Piece::Separator => variant(out, 4, COUNT),
            Piece::Space => variant(out, 5, COUNT),
            Piece::Tab => variant(out, 6, COUNT),
            Piece::Quote => variant(out, 7, COUNT),
            Piece::WeakPrefix => variant(out, 8, COUNT),
            Piece::LowercaseWeakPrefix => variant(out, 9, COUNT),
            Piece::Byte(b) => {
                variant(out, 10, COUNT);
                b.encode(out);
            }
            Piece::Bytes(bytes) => {
                variant(out, 11, COUNT);
                bytes.encode(out);
            }
        }
    }
}

impl Encode for DateText {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u64 = 5;
        match self {
            DateText::Formatted {
                form,
                instant,
                padding,
            } => {
                variant(out, 0, COUNT);
                form.encode(out);
                instant.encode(out);
                padding.encode(out);
            }
            DateText::Edited {
                form,
                instant,
                at,
                byte,
            } => {
                variant(out, 1, COUNT);
                form.encode(out);
                instant.encode(out);
                at.encode(out);
                byte.encode(out);
            }
            DateText::Resized {
                form,
                instant,
                cut,
                append,
            } => {
                variant(out, 2, COUNT);
                form.encode(out);
                instant.encode(out);
                cut.encode(out);
                append.encode(out);
            }
            DateText::Joined(form_a, a, form_b, b) => {
                variant(out, 3, COUNT);
                form_a.encode(out);
                a.encode(out);
                form_b.encode(out);
                b.encode(out);
            }
            DateText::Bytes(bytes) => {
                variant(out, 4, COUNT);
                bytes.encode(out);
            }
        }
    }
}

impl Encode for DateForm {
    fn encode(&self, out: &mut Vec<u8>) {
        variant(out, *self as u64, 3);
    }
}

impl Encode for Padding {
    fn encode(&self, out: &mut Vec<u8>) {
        variant(out, *self as u64, 4);
    }
}

impl Encode for IfRangeText {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            IfRangeText::Tag(line) => {
                variant(out, 0, 2);
                line.encode(out);
            }
            IfRangeText::Date(date) => {
                variant(out, 1, 2);
                date.encode(out);
            }
        }
    }
}

/// Decodes an `evaluator` input exactly as the fuzz target does.
pub fn decode_evaluator(data: &[u8]) -> arbitrary::Result<EvaluatorInput> {
    EvaluatorInput::arbitrary_take_rest(arbitrary::Unstructured::new(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_tags_decode_to_their_variant() {
        for count in 1..=16_u64 {
            for index in 0..count {
                let mut out = Vec::new();
                variant(&mut out, index, count);
                let tag = u32::from_le_bytes(out.try_into().expect("4 bytes"));
                assert_eq!((u64::from(tag) * count) >> 32, index);
            }
        }
    }
}
