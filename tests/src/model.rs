//! A reference model of RFC 9110 §13.2.1–2 (and RFC 6585 §3), written straight from the RFC's
//! precedence list, shared by the property test (`tests/it/model.rs`) and the `evaluator` fuzz
//! target (`fuzz/`), so both check the runtime against one model.
//!
//! The model shares no code with the runtime: it splits lists with its own naive quote-aware
//! splitter ([`members`]), reads entity-tags with its own reader ([`entity_tag`]) and dates with
//! its own naive HTTP-date parser ([`http_date`]) on its own calendar, which adds up year and
//! month lengths ([`days_from_civil`], [`civil`]). It implements the same documented
//! rules as `evaluate`, including the choices the RFC leaves open (listed on `evaluate`'s
//! rustdoc).
//!
//! A date field line carries the instant it denotes ([`DateLine::meaning`]): a generator that
//! made the date from an instant knows it, and [`DateLine::parse`] reads it from arbitrary text
//! with [`http_date`].

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use axum_conditional::{
    ConditionHeader, ETag, LastModified, Outcome, Policy, RangeDecision, Resource,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

/// `Sat, 01 Jan 0000 00:00:00 GMT`: the earliest instant an HTTP-date can spell.
pub const MIN_UNIX_SECS: i64 = -62_167_219_200;

/// `Fri, 31 Dec 9999 23:59:59 GMT`: the latest instant an HTTP-date can spell.
pub const MAX_UNIX_SECS: i64 = 253_402_300_799;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// A date field line: its text, and the instant it denotes (`None` when it is not one valid
/// HTTP-date).
#[derive(Clone, Debug)]
pub struct DateLine {
    /// The field line as sent, optional whitespace included.
    pub text: Vec<u8>,
    /// What it means: Unix seconds, or `None` for anything that is not one valid HTTP-date.
    pub meaning: Option<i64>,
}

impl DateLine {
    /// A line whose meaning is read by the model's own parser, [`http_date`], after trimming
    /// optional whitespace (RFC 9110 §5.5), with the clock's "now" for RFC 850 years.
    pub fn parse(text: Vec<u8>) -> Self {
        let meaning = http_date(trim_ows(&text), now_unix_secs());
        DateLine { text, meaning }
    }
}

/// An `If-Range` field line.
#[derive(Clone, Debug)]
pub enum IfRangeLine {
    /// Text that starts like an entity-tag.
    Tag(Vec<u8>),
    /// Anything else, read as a date.
    Date(DateLine),
}

impl IfRangeLine {
    /// The field line as sent.
    pub fn text(&self) -> &[u8] {
        match self {
            IfRangeLine::Tag(text) => text,
            IfRangeLine::Date(date) => &date.text,
        }
    }

    /// Classifies arbitrary text: an entity-tag (once trimmed) is a [`IfRangeLine::Tag`],
    /// anything else a [`IfRangeLine::Date`] whose meaning [`DateLine::parse`] reads. No text is
    /// both an entity-tag and an HTTP-date, and text that is neither means "not this validator"
    /// either way, so the classification loses nothing.
    pub fn parse(text: Vec<u8>) -> Self {
        if entity_tag(trim_ows(&text)).is_some() {
            IfRangeLine::Tag(text)
        } else {
            IfRangeLine::Date(DateLine::parse(text))
        }
    }
}

/// The resource's current entity-tag.
#[derive(Clone, Debug)]
pub enum CurrentTag {
    /// No entity-tag.
    None,
    /// A strong tag with this opaque part (`etagc` bytes only).
    Strong(Vec<u8>),
    /// A weak tag with this opaque part (`etagc` bytes only).
    Weak(Vec<u8>),
}

/// The resource's current state.
///
/// A resource that does not exist has no validators: give it `etag: CurrentTag::None`,
/// `last_modified: None` and `strong_last_modified: false` (as [`State::missing`] does).
#[derive(Clone, Debug)]
pub struct State {
    /// Whether it has a current representation.
    pub exists: bool,
    /// Its entity-tag.
    pub etag: CurrentTag,
    /// Its modification date, in Unix seconds. Keep it within years 0000..=9999 and in the
    /// past: `LastModified` clamps anything else, and the model does not.
    pub last_modified: Option<i64>,
    /// Whether the modification date is declared strong: `If-Range` may match it, and a date
    /// naming its second vouches for the current version (RFC 9110 §8.8.2.2).
    pub strong_last_modified: bool,
}

impl State {
    /// A resource with no current representation.
    pub fn missing() -> Self {
        State {
            exists: false,
            etag: CurrentTag::None,
            last_modified: None,
            strong_last_modified: false,
        }
    }

    /// The runtime's view of this state.
    ///
    /// # Panics
    ///
    /// If an opaque part holds a byte that is not `etagc`.
    pub fn resource(&self) -> Resource {
        if !self.exists {
            return Resource::missing();
        }
        let etag = match &self.etag {
            CurrentTag::None => None,
            CurrentTag::Strong(opaque) => Some(ETag::strong(opaque).expect("valid opaque")),
            CurrentTag::Weak(opaque) => Some(ETag::weak(opaque).expect("valid opaque")),
        };
        let last_modified = self.last_modified.map(LastModified::from_unix_seconds);
        let resource = Resource::existing(etag, last_modified);
        if self.strong_last_modified {
            resource.with_strong_last_modified()
        } else {
            resource
        }
    }
}

/// One request: every field is absent (`None`) or one or more field lines.
#[derive(Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// `If-Match` field lines.
    pub if_match: Option<Vec<Vec<u8>>>,
    /// `If-None-Match` field lines.
    pub if_none_match: Option<Vec<Vec<u8>>>,
    /// `If-Modified-Since` field lines.
    pub if_modified_since: Option<Vec<DateLine>>,
    /// `If-Unmodified-Since` field lines.
    pub if_unmodified_since: Option<Vec<DateLine>>,
    /// Whether it carries `Range: bytes=0-4`.
    pub range: bool,
    /// `If-Range` field lines.
    pub if_range: Option<Vec<IfRangeLine>>,
}

impl fmt::Debug for Request {
    /// As the header block would read, so a failure is easy to replay by hand.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.method)?;
        for (name, value) in self.headers().iter() {
            writeln!(f, "{name}: {}", value.as_bytes().escape_ascii())?;
        }
        Ok(())
    }
}

impl Request {
    /// The request's header block.
    ///
    /// # Panics
    ///
    /// If a line holds a byte a field value cannot (a control character other than HTAB, or
    /// DEL).
    pub fn headers(&self) -> HeaderMap {
        fn append<'a>(
            headers: &mut HeaderMap,
            name: HeaderName,
            lines: impl Iterator<Item = &'a [u8]>,
        ) {
            for line in lines {
                headers.append(
                    name.clone(),
                    HeaderValue::from_bytes(line).expect("a valid field value"),
                );
            }
        }
        let mut headers = HeaderMap::new();
        let texts = self.if_match.iter().flatten().map(Vec::as_slice);
        append(&mut headers, header::IF_MATCH, texts);
        let texts = self.if_none_match.iter().flatten().map(Vec::as_slice);
        append(&mut headers, header::IF_NONE_MATCH, texts);
        let dates = self
            .if_modified_since
            .iter()
            .flatten()
            .map(|line| line.text.as_slice());
        append(&mut headers, header::IF_MODIFIED_SINCE, dates);
        let dates = self
            .if_unmodified_since
            .iter()
            .flatten()
            .map(|line| line.text.as_slice());
        append(&mut headers, header::IF_UNMODIFIED_SINCE, dates);
        append(
            &mut headers,
            header::RANGE,
            self.range.then_some(&b"bytes=0-4"[..]).into_iter(),
        );
        let lines = self.if_range.iter().flatten().map(IfRangeLine::text);
        append(&mut headers, header::IF_RANGE, lines);
        headers
    }
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

/// The model's view of one list member.
#[derive(Debug, PartialEq, Eq)]
pub enum ModelMember<'a> {
    /// `*`.
    Star,
    /// A valid entity-tag.
    Tag {
        /// Whether it has the `W/` prefix.
        weak: bool,
        /// The opaque part, without quotes.
        opaque: &'a [u8],
    },
    /// Anything else.
    Invalid,
}

/// `etagc = %x21 / %x23-7E / obs-text` (RFC 9110 §8.8.3).
pub fn etagc(b: u8) -> bool {
    b == b'!' || (b'#'..=b'~').contains(&b) || b >= 0x80
}

/// Trims optional whitespace (SP and HTAB, RFC 9110 §5.6.3) from both ends.
/// (Not `<[u8]>::trim_ascii`, which would also take CR, LF and FF.)
pub fn trim_ows(text: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| matches!(b, b' ' | b'\t');
    let start = text.iter().position(|b| !is_ows(b)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &text[start..end]
}

/// Reads `text` as exactly one entity-tag: `(weak, opaque)`.
pub fn entity_tag(text: &[u8]) -> Option<(bool, &[u8])> {
    let (weak, quoted) = match text.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let opaque = quoted.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    opaque.iter().all(|&b| etagc(b)).then_some((weak, opaque))
}

/// Splits one field line at the commas outside quotes, trims optional whitespace and drops empty
/// elements (RFC 9110 §5.6.1.2). Each field line is read on its own, as the runtime documents.
pub fn members(line: &[u8]) -> Vec<ModelMember<'_>> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                parts.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&line[start..]);
    parts
        .into_iter()
        .map(trim_ows)
        .filter(|part| !part.is_empty())
        .map(|part| match part {
            b"*" => ModelMember::Star,
            _ => match entity_tag(part) {
                Some((weak, opaque)) => ModelMember::Tag { weak, opaque },
                None => ModelMember::Invalid,
            },
        })
        .collect()
}

fn all_members(lines: &[Vec<u8>]) -> Vec<ModelMember<'_>> {
    lines.iter().flat_map(|line| members(line)).collect()
}

/// The date of a field that holds exactly one valid HTTP-date (RFC 9110 §13.1.3–4).
fn single_date(lines: Option<&Vec<DateLine>>) -> Option<i64> {
    match lines.map(Vec::as_slice) {
        Some([line]) => line.meaning,
        _ => None,
    }
}

/// The current tag as (weak, opaque).
fn current(state: &State) -> Option<(bool, &[u8])> {
    match &state.etag {
        CurrentTag::None => None,
        CurrentTag::Strong(opaque) => Some((false, opaque)),
        CurrentTag::Weak(opaque) => Some((true, opaque)),
    }
}

/// RFC 9110 §8.8.3.2.
fn strong_match(state: &State, weak: bool, opaque: &[u8]) -> bool {
    current(state)
        .is_some_and(|(current_weak, current)| !weak && !current_weak && current == opaque)
}

fn weak_match(state: &State, opaque: &[u8]) -> bool {
    current(state).is_some_and(|(_, current)| current == opaque)
}

/// What the client gets, as the model and the runtime both describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The handler runs, with this range decision.
    Proceed(RangeDecision),
    /// The handler runs; a 2xx answer becomes a 412 for this condition.
    Deferred(ConditionHeader),
    /// 304.
    NotModified,
    /// 412, for this condition.
    Failed(ConditionHeader),
    /// 428, with the conditions that would be accepted.
    Required(Vec<ConditionHeader>),
}

impl Verdict {
    /// The runtime's outcome, as a verdict.
    ///
    /// # Panics
    ///
    /// On an outcome the model does not know.
    pub fn of(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Proceed { range } => Verdict::Proceed(range),
            Outcome::Deferred(failure) => Verdict::Deferred(failure.condition()),
            Outcome::NotModified => Verdict::NotModified,
            Outcome::PreconditionFailed(failure) => Verdict::Failed(failure.condition()),
            Outcome::PreconditionRequired(requirement) => {
                Verdict::Required(requirement.accepted().collect())
            }
            other => panic!("an outcome the model does not know: {other:?}"),
        }
    }
}

/// RFC 9110 §13.2.1–2, step by step, with the choices `evaluate` documents.
pub fn model(request: &Request, state: &State, policy: Policy) -> Verdict {
    let method = &request.method;
    let get_or_head = *method == Method::GET || *method == Method::HEAD;
    // §13.2.1: methods that neither select nor modify a representation ignore the conditions.
    if matches!(*method, Method::CONNECT | Method::OPTIONS | Method::TRACE) {
        return Verdict::Proceed(RangeDecision::NotRequested);
    }
    // §13.2.1: for GET and HEAD of a missing resource the response without conditions is the
    // handler's (404): a failure is deferred to its status. Unsafe methods are never deferred
    // (§13.1.1: a false condition means the method is not performed).
    let handlers_answer = !state.exists && get_or_head;

    // If-Unmodified-Since is evaluated only without If-Match, as one valid date, for a resource
    // with a modification date (§13.1.4).
    let ius = match (&request.if_match, state.last_modified) {
        (None, Some(_)) => single_date(request.if_unmodified_since.as_ref()),
        _ => None,
    };

    // RFC 6585 §3. A request is conditional enough when it sends If-Match (any value), an
    // If-Unmodified-Since that is evaluated, or (on a PUT or PATCH that can create its target:
    // a PUT unless the policy says otherwise, a PATCH only when it says so) an If-None-Match
    // holding `*`. A DELETE of a missing resource is the handler's 404.
    let can_create = match policy.declared_creates() {
        Some(creates) => creates && (*method == Method::PUT || *method == Method::PATCH),
        None => *method == Method::PUT,
    };
    let star_sent = request
        .if_none_match
        .as_ref()
        .is_some_and(|lines| all_members(lines).contains(&ModelMember::Star));
    let delete_of_missing = !state.exists && *method == Method::DELETE;
    if policy.requires_precondition()
        && !get_or_head
        && !delete_of_missing
        && request.if_match.is_none()
        && ius.is_none()
        && !(can_create && star_sent)
    {
        let mut accepted = Vec::new();
        if !state.exists && can_create {
            accepted.push(ConditionHeader::IfNoneMatch);
        }
        accepted.push(ConditionHeader::IfMatch);
        if state.last_modified.is_some() {
            accepted.push(ConditionHeader::IfUnmodifiedSince);
        }
        if state.exists && can_create {
            accepted.push(ConditionHeader::IfNoneMatch);
        }
        return Verdict::Required(accepted);
    }

    // Step 1: If-Match. Step 2: otherwise If-Unmodified-Since.
    let failed = if let Some(lines) = &request.if_match {
        let members = all_members(lines);
        let passes = if members == [ModelMember::Star] {
            state.exists
        } else {
            members.iter().any(|member| match *member {
                // Strong comparison (§13.1.1), or weak where the policy opts in.
                ModelMember::Tag { weak, opaque } => {
                    if policy.uses_weak_if_match() {
                        weak_match(state, opaque)
                    } else {
                        strong_match(state, weak, opaque)
                    }
                }
                ModelMember::Star | ModelMember::Invalid => false,
            })
        };
        (!passes).then_some(ConditionHeader::IfMatch)
    } else {
        match (ius, state.last_modified) {
            (Some(since), Some(modified)) if modified > since => {
                Some(ConditionHeader::IfUnmodifiedSince)
            }
            // A weak date (RFC 9110 §8.8.2.2) may name a version its second replaced: it never
            // vouches for the current one.
            (Some(since), Some(modified)) if modified == since && !state.strong_last_modified => {
                Some(ConditionHeader::IfUnmodifiedSince)
            }
            _ => None,
        }
    };
    if let Some(condition) = failed {
        return if handlers_answer {
            Verdict::Deferred(condition)
        } else {
            Verdict::Failed(condition)
        };
    }

    // Step 3: If-None-Match. Step 4: otherwise If-Modified-Since, on GET and HEAD.
    if let Some(lines) = &request.if_none_match {
        let members = all_members(lines);
        // A `*` inside a list is invalid: skipped by a read (no 304 for a copy the client may
        // not hold), read as `*` by a write (no overwrite).
        let star_counts = members.len() == 1 || !get_or_head;
        let matches = members.iter().any(|member| match *member {
            ModelMember::Star => star_counts && state.exists,
            ModelMember::Tag { opaque, .. } => weak_match(state, opaque),
            ModelMember::Invalid => false,
        });
        if matches {
            return if get_or_head {
                Verdict::NotModified
            } else {
                Verdict::Failed(ConditionHeader::IfNoneMatch)
            };
        }
    } else if get_or_head
        && let (Some(since), Some(modified)) = (
            single_date(request.if_modified_since.as_ref()),
            state.last_modified,
        )
        && (modified < since || (modified == since && state.strong_last_modified))
    {
        return Verdict::NotModified;
    }

    // Step 5: Range and If-Range, on GET, and on HEAD, which has GET's header fields.
    if !get_or_head || !request.range {
        return Verdict::Proceed(RangeDecision::NotRequested);
    }
    let honour = match request.if_range.as_deref() {
        None => true,
        Some([IfRangeLine::Tag(text)]) => entity_tag(trim_ows(text))
            .is_some_and(|(weak, opaque)| strong_match(state, weak, opaque)),
        Some([IfRangeLine::Date(date)]) => {
            date.meaning.is_some()
                && date.meaning == state.last_modified
                && state.strong_last_modified
        }
        Some(_) => false,
    };
    Verdict::Proceed(if honour {
        RangeDecision::Honour
    } else {
        RangeDecision::Ignore
    })
}

// ---------------------------------------------------------------------------------------------
// The model's calendar
// ---------------------------------------------------------------------------------------------
//
// Obviously right, on purpose: it adds up year and month lengths, and
// shares nothing with the runtime's closed-form arithmetic (`runtime/src/date.rs`), so that a
// slip there cannot hide behind the same slip here. The tests below pin it to well-known
// instants and to the `httpdate` crate.

/// RFC 9110 §5.6.7 dates are in the proleptic Gregorian calendar: every fourth year is a leap
/// year, except the centuries not divisible by 400.
const fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn year_length(year: i64) -> i64 {
    if is_leap(year) { 366 } else { 365 }
}

/// The length of `month` (0 = January) of `year`.
fn month_length(year: i64, month: usize) -> i64 {
    [
        31,
        if is_leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month]
}

/// The first year of the 400-year cycles the calendar counts in. The leap-year rule repeats
/// every 400 years, so every cycle has the same years, in the same order.
const CYCLE_START: i64 = 1970;

/// Days from the first of January of a cycle's first year to the first of January of each of
/// its years, and (last) of the next cycle's first year: year lengths added up one by one, at
/// compile time.
const YEAR_STARTS: [i64; 401] = {
    let mut starts = [0; 401];
    let mut i = 0;
    while i < 400 {
        starts[i + 1] = starts[i] + year_length(CYCLE_START + i as i64);
        i += 1;
    }
    starts
};

/// The days in any 400 consecutive years.
const DAYS_PER_400_YEARS: i64 = YEAR_STARTS[400];

/// Days from 1970-01-01 to `year-month-day` (negative before it), counted: whole 400-year
/// cycles, the years before `year` in its cycle (`YEAR_STARTS`), then month by month.
/// `month` is 0-based (0 = January) and `day` 1-based, as in [`Civil`]; a day past the month's
/// end counts on into the next.
pub fn days_from_civil(year: i64, month: usize, day: i64) -> i64 {
    let (cycles, year_in_cycle) = cycle_of(year);
    let months: i64 = (0..month).map(|m| month_length(year, m)).sum();
    cycles * DAYS_PER_400_YEARS + YEAR_STARTS[year_in_cycle] + months + day - 1
}

/// `year` as whole cycles since [`CYCLE_START`] and its index within its cycle.
fn cycle_of(year: i64) -> (i64, usize) {
    let since = year - CYCLE_START;
    let year_in_cycle = usize::try_from(since.rem_euclid(400)).expect("0..400");
    (since.div_euclid(400), year_in_cycle)
}

/// A proleptic Gregorian date and time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// The year (may be outside 0000..=9999 for instants an HTTP-date cannot spell).
    pub year: i64,
    /// 0 = January.
    pub month: usize,
    /// 1-based.
    pub day: i64,
    /// 0 = Thursday (the epoch's weekday), 1 = Friday, and so on.
    pub weekday: usize,
    /// 0..=23.
    pub hour: i64,
    /// 0..=59.
    pub minute: i64,
    /// 0..=59.
    pub second: i64,
}

/// Breaks Unix seconds into a proleptic Gregorian date, by counting from 1970-01-01: whole
/// 400-year cycles, the last year start within the cycle that is not after the day
/// (`YEAR_STARTS`), then month by month.
pub fn civil(secs: i64) -> Civil {
    let (days, time) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let cycles = days.div_euclid(DAYS_PER_400_YEARS);
    let mut left = days - cycles * DAYS_PER_400_YEARS;
    // YEAR_STARTS[0] is 0 and `left` is at least 0, so at least one start is not after it.
    let year_in_cycle = YEAR_STARTS.partition_point(|&start| start <= left) - 1;
    left -= YEAR_STARTS[year_in_cycle];
    let year = CYCLE_START + 400 * cycles + i64::try_from(year_in_cycle).expect("0..400");
    let mut month = 0;
    while left >= month_length(year, month) {
        left -= month_length(year, month);
        month += 1;
    }
    Civil {
        year,
        month,
        day: left + 1,
        weekday: usize::try_from(days.rem_euclid(7)).expect("weekday in 0..7"),
        hour: time / 3_600,
        minute: time % 3_600 / 60,
        second: time % 60,
    }
}

// ---------------------------------------------------------------------------------------------
// The model's HTTP-date parser
// ---------------------------------------------------------------------------------------------

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const LONG_DAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The clock, in whole Unix seconds (floored).
pub fn now_unix_secs() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let d = before.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            -whole - i64::from(d.subsec_nanos() != 0)
        }
    }
}

/// Exactly `n` ASCII digits, as a number.
fn digits(text: &str, n: usize) -> Option<i64> {
    (text.len() == n && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `hour ":" minute ":" second`, two digits each.
fn time_of_day(text: &str) -> Option<(i64, i64, i64)> {
    let mut parts = text.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((digits(h, 2)?, digits(m, 2)?, digits(s, 2)?))
}

fn month_of(name: &str) -> Option<usize> {
    MONTHS.iter().position(|&m| m == name)
}

/// Unix seconds of a validated calendar date and time; the weekday index is into [`DAYS`].
fn instant(
    weekday: usize,
    year: i64,
    month: usize,
    day: i64,
    (hour, minute, second): (i64, i64, i64),
) -> Option<i64> {
    if !(0..=9999).contains(&year)
        || !(1..=month_length(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        // A leap second, as RFC 5322 §3.3 allows: it counts as the next minute's :00.
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // DAYS starts on Thursday, 1970-01-01.
    if usize::try_from(days.rem_euclid(7)).ok()? != weekday {
        return None;
    }
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn imf_fixdate_of(text: &str) -> Option<i64> {
    let (weekday, rest) = text.split_once(", ")?;
    let weekday = DAYS.iter().position(|&d| d == weekday)?;
    let rest = rest.strip_suffix(" GMT")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time] = parts.as_slice() else {
        return None;
    };
    instant(
        weekday,
        digits(year, 4)?,
        month_of(month)?,
        digits(day, 2)?,
        time_of_day(time)?,
    )
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`, with the two-digit year read as `evaluate` documents: in
/// the century of `now`, or the one before when that puts the date more than 50 years after
/// `now` (RFC 9110 §5.6.7).
fn rfc850_of(text: &str, now: i64) -> Option<i64> {
    let (weekday, rest) = text.split_once(", ")?;
    let weekday = LONG_DAYS.iter().position(|&d| d == weekday)?;
    let rest = rest.strip_suffix(" GMT")?;
    let (date, time) = rest.split_once(' ')?;
    let parts: Vec<&str> = date.split('-').collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    let (day, month, year) = (digits(day, 2)?, month_of(month)?, digits(year, 2)?);
    let time = time_of_day(time)?;
    let now = civil(now.clamp(MIN_UNIX_SECS, MAX_UNIX_SECS));
    let year = now.year - now.year.rem_euclid(100) + year;
    let second_of_day = time.0 * 3_600 + time.1 * 60 + time.2;
    let now_second_of_day = now.hour * 3_600 + now.minute * 60 + now.second;
    let more_than_fifty_years_on =
        (year, month, day, second_of_day) > (now.year + 50, now.month, now.day, now_second_of_day);
    let year = if more_than_fifty_years_on {
        year - 100
    } else {
        year
    };
    instant(weekday, year, month, day, time)
}

/// `Sun Nov  6 08:49:37 1994`.
fn asctime_of(text: &str) -> Option<i64> {
    let (weekday, rest) = text.split_once(' ')?;
    let weekday = DAYS.iter().position(|&d| d == weekday)?;
    let (month, rest) = rest.split_once(' ')?;
    // `2DIGIT / ( SP DIGIT )`.
    let (day, rest) = match rest.strip_prefix(' ') {
        Some(rest) => (digits(rest.get(..1)?, 1)?, rest.get(1..)?),
        None => (digits(rest.get(..2)?, 2)?, rest.get(2..)?),
    };
    let (time, year) = rest.strip_prefix(' ')?.split_once(' ')?;
    instant(
        weekday,
        digits(year, 4)?,
        month_of(month)?,
        day,
        time_of_day(time)?,
    )
}

/// The model's HTTP-date parser (RFC 9110 §5.6.7): exactly an IMF-fixdate, an RFC 850 date or an
/// asctime date, case-sensitive, with no surrounding whitespace, a weekday that matches and a
/// day that exists, in years 0000..=9999; `23:59:60` is the next minute's `:00`. `now` (Unix
/// seconds) places an RFC 850 two-digit year.
pub fn http_date(text: &[u8], now: i64) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?;
    imf_fixdate_of(text)
        .or_else(|| rfc850_of(text, now))
        .or_else(|| asctime_of(text))
}

// ---------------------------------------------------------------------------------------------
// Date formatting, for generators
// ---------------------------------------------------------------------------------------------

/// `secs` as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn imf_fixdate(secs: i64) -> String {
    let c = civil(secs);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday], c.day, MONTHS[c.month], c.year, c.hour, c.minute, c.second
    )
}

/// `secs` as an RFC 850 date, e.g. `Sunday, 06-Nov-94 08:49:37 GMT`.
pub fn rfc850(secs: i64) -> String {
    let c = civil(secs);
    format!(
        "{}, {:02}-{}-{:02} {:02}:{:02}:{:02} GMT",
        LONG_DAYS[c.weekday],
        c.day,
        MONTHS[c.month],
        c.year % 100,
        c.hour,
        c.minute,
        c.second
    )
}

/// `secs` as an asctime date, e.g. `Sun Nov  6 08:49:37 1994`.
pub fn asctime(secs: i64) -> String {
    let c = civil(secs);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {:04}",
        DAYS[c.weekday], MONTHS[c.month], c.day, c.hour, c.minute, c.second, c.year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-06-15T12:00:00Z.
    const NOW_2026: i64 = 1_781_524_800;

    fn date(text: &str) -> Option<i64> {
        http_date(text.as_bytes(), NOW_2026)
    }

    #[test]
    fn reads_the_three_formats() {
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(date(text), Some(784_111_777), "{text}");
        }
        assert_eq!(date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(date("Sat, 01 Jan 0000 00:00:00 GMT"), Some(MIN_UNIX_SECS));
        assert_eq!(date("Fri, 31 Dec 9999 23:59:59 GMT"), Some(MAX_UNIX_SECS));
        assert_eq!(
            date("Fri, 31 Dec 9999 23:59:60 GMT"),
            Some(MAX_UNIX_SECS + 1)
        );
        assert_eq!(date("Tue, 29 Feb 2000 00:00:00 GMT"), Some(951_782_400));
        assert_eq!(
            date("Wed Nov 16 08:49:37 1994"),
            Some(784_111_777 + 10 * 86_400)
        );
    }

    #[test]
    fn rejects_near_misses() {
        for text in [
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "sun, 06 Nov 1994 08:49:37 GMT",
            " Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06  Nov 1994 08:49:37 GMT",
            "Wed, 29 Feb 1900 00:00:00 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  06 08:49:37 1994",
            "Sun Nov 06 08:49:37 94",
            "Sun, 06 Nov 1994 08:49:3\u{0667} GMT",
            "",
        ] {
            assert_eq!(date(text), None, "{text:?}");
        }
        assert_eq!(
            http_date(b"Sun, 06 Nov 1994 08:49:37 GMT\xff", NOW_2026),
            None
        );
    }

    #[test]
    fn rfc850_years_fall_within_fifty_years_of_now() {
        // In June 2026, "76" is 2076 up to 2076-06-15T12:00:00Z, and 1976 after it.
        assert_eq!(
            date("Monday, 15-Jun-76 12:00:00 GMT"),
            Some(NOW_2026 + 18_263 * 86_400)
        );
        assert_eq!(date("Tuesday, 15-Jun-76 12:00:01 GMT"), Some(203_688_001));
        assert_eq!(
            date("Wednesday, 31-Dec-25 00:00:00 GMT"),
            Some(1_767_139_200)
        );
    }

    #[test]
    fn agrees_with_the_formatters_across_the_calendar() {
        // Every 997_777th second from year 0000 to 9999 (not a divisor of a day or a year).
        let mut secs = MIN_UNIX_SECS;
        while secs <= MAX_UNIX_SECS {
            for text in [imf_fixdate(secs), asctime(secs)] {
                assert_eq!(date(&text), Some(secs), "{text}");
            }
            secs += 997_777;
        }
    }

    #[test]
    fn the_calendar_lands_on_well_known_instants() {
        // Constants from outside this code: the Gregorian reform (the UUID v1 epoch), the NTP
        // epoch, the first day of year 1 (the .NET and Go epochs), and the ends of HTTP-dates.
        for (year, month, day, secs) in [
            (1582, 9, 15, -12_219_292_800),
            (1900, 0, 1, -2_208_988_800),
            (1, 0, 1, -62_135_596_800),
            (0, 0, 1, MIN_UNIX_SECS),
            (1970, 0, 1, 0),
            (2000, 2, 1, 951_868_800),
            (10_000, 0, 1, MAX_UNIX_SECS + 1),
        ] {
            assert_eq!(
                days_from_civil(year, month, day) * 86_400,
                secs,
                "{year}-{month}-{day}"
            );
            let c = civil(secs);
            assert_eq!((c.year, c.month, c.day), (year, month, day), "{secs}");
        }
        assert_eq!(DAYS_PER_400_YEARS, 146_097);
        // 1582-10-15 was a Friday; 0000-01-01 a Saturday.
        assert_eq!(DAYS[civil(-12_219_292_800).weekday], "Fri");
        assert_eq!(DAYS[civil(MIN_UNIX_SECS).weekday], "Sat");
    }

    /// Every day of `years`: `civil` and `days_from_civil` are each other's inverse, and
    /// consecutive days are consecutive dates on consecutive weekdays.
    fn check_every_day(years: std::ops::RangeInclusive<i64>) {
        let first = days_from_civil(*years.start(), 0, 1);
        let last = days_from_civil(*years.end(), 11, 31);
        let mut previous = civil((first - 1) * 86_400);
        assert_eq!(
            (previous.year, previous.month, previous.day),
            (years.start() - 1, 11, 31)
        );
        for days in first..=last {
            let c = civil(days * 86_400 + 86_399);
            assert_eq!(days_from_civil(c.year, c.month, c.day), days);
            let next_day =
                (c.year, c.month, c.day) == (previous.year, previous.month, previous.day + 1);
            let next_month = c.day == 1
                && ((c.year, c.month) == (previous.year, previous.month + 1)
                    || (c.year, c.month, previous.month) == (previous.year + 1, 0, 11));
            assert!(next_day || next_month, "{previous:?} then {c:?}");
            assert_eq!(c.weekday, (previous.weekday + 1) % 7);
            assert_eq!((c.hour, c.minute, c.second), (23, 59, 59));
            previous = c;
        }
    }

    #[test]
    fn the_calendar_counts_every_day_once() {
        // A whole 400-year cycle and the cycle boundaries around it (1970 + 400 k), the ends of
        // HTTP-dates, and the years just outside them that the fuzz target's generator formats.
        check_every_day(1_569..=2_371);
        check_every_day(-402..=2);
        check_every_day(9_997..=10_402);
    }

    #[test]
    fn the_calendar_agrees_with_the_httpdate_crate() {
        // httpdate spells 1970 to 9999: every 9_999_991st second (about 116 days, and a prime,
        // so the day of the month and the time of day move too) is formatted and parsed by both.
        let mut secs = 0;
        while secs <= MAX_UNIX_SECS {
            let time = UNIX_EPOCH + std::time::Duration::from_secs(secs.unsigned_abs());
            let theirs = httpdate::fmt_http_date(time);
            assert_eq!(imf_fixdate(secs), theirs);
            assert_eq!(date(&theirs), Some(secs), "{theirs}");
            let asctime_text = asctime(secs);
            assert_eq!(
                httpdate::parse_http_date(&asctime_text).ok(),
                Some(time),
                "{asctime_text}"
            );
            secs += 9_999_991;
        }
    }

    #[test]
    fn members_and_entity_tags() {
        assert_eq!(
            members(b" \"a\" ,, W/\"\", *, x ,\"b c\""),
            [
                ModelMember::Tag {
                    weak: false,
                    opaque: b"a"
                },
                ModelMember::Tag {
                    weak: true,
                    opaque: b""
                },
                ModelMember::Star,
                ModelMember::Invalid,
                ModelMember::Invalid,
            ]
        );
        assert_eq!(
            entity_tag(b"\"caf\xc3\xa9\""),
            Some((false, &b"caf\xc3\xa9"[..]))
        );
        assert_eq!(entity_tag(b"w/\"a\""), None);
        assert_eq!(entity_tag(b"\""), None);
        assert_eq!(trim_ows(b" \t a \t"), b"a");
        assert_eq!(trim_ows(b" \r "), b"\r");
    }
}
