//! HTTP-date (RFC 9110 §5.6.7) parsing and formatting, and the public
//! [`LastModified`] validator built on them.
//!
//! Everything here is total: no input makes it panic or overflow, in debug or
//! release, and nothing allocates. Header values come from untrusted clients,
//! so the parser matches fixed-length slice patterns (a wrong length simply
//! fails to match) and only does arithmetic on values already bounded by
//! their digit count.
//!
//! Times are Unix seconds (`i64`) in the proleptic Gregorian calendar, limited
//! to the years an HTTP-date can spell: 0000 through 9999.

use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;

const SECS_PER_DAY: i64 = 86_400;

/// `Sat, 01 Jan 0000 00:00:00 GMT`: the earliest instant with a 4-digit year.
const MIN_UNIX_SECS: i64 = -62_167_219_200;

/// `Fri, 31 Dec 9999 23:59:59 GMT`: the latest instant with a 4-digit year.
const MAX_UNIX_SECS: i64 = 253_402_300_799;

/// Indexed by days since Sunday, matching [`weekday_of`].
const SHORT_DAY_NAMES: [[u8; 3]; 7] = [
    *b"Sun", *b"Mon", *b"Tue", *b"Wed", *b"Thu", *b"Fri", *b"Sat",
];

/// Same order as [`SHORT_DAY_NAMES`]; only the obsolete RFC 850 format uses these.
const LONG_DAY_NAMES: [&[u8]; 7] = [
    b"Sunday",
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
];

const MONTH_NAMES: [[u8; 3]; 12] = [
    *b"Jan", *b"Feb", *b"Mar", *b"Apr", *b"May", *b"Jun", *b"Jul", *b"Aug", *b"Sep", *b"Oct",
    *b"Nov", *b"Dec",
];

// ---------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian), after Howard Hinnant's
// "chrono-Compatible Low-Level Date Algorithms". Years are shifted to start
// on 1 March so the leap day is the last day of the shifted year, which makes
// the day-of-year a closed-form function of the month.
// ---------------------------------------------------------------------------

/// Days from 1970-01-01 to `year-month-day`.
///
/// Callers pass `0 <= year <= 9999`, `1 <= month <= 12`, `1 <= day <= 31`, so
/// every intermediate value is small; `div_euclid` keeps the era correct for
/// year 0, whose shifted year is -1.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400; // [0, 399]
    let shifted_month = (month + 9) % 12; // March = 0, ..., February = 11
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1; // [0, 365]
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 days separate 0000-03-01 (the start of era 0) from 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// Inverse of [`days_from_civil`]: `(year, month, day)` of a day count.
///
/// Callers pass day counts within years 0000..=9999, so nothing overflows.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097; // [0, 146_096]
    // Undo the 4/100/400-year leap corrections to find the year within the era.
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Day of the week (0 = Sunday) of a day count; 1970-01-01 was a Thursday.
fn weekday_of(days: i64) -> usize {
    // rem_euclid before adding, so this is total for any i64.
    ((days.rem_euclid(7) + 4) % 7) as usize
}

/// Floor of `t` in Unix seconds, saturating at the ends of `i64`.
fn floor_unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(err) => {
            let before = err.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            // Floor, not truncation toward zero: 0.5 s before the epoch lies
            // in second -1, so it must not format as the epoch itself.
            let whole = if before.subsec_nanos() == 0 {
                whole
            } else {
                whole.saturating_add(1)
            };
            -whole
        }
    }
}

fn now_unix_secs() -> i64 {
    floor_unix_secs(SystemTime::now())
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// Calendar fields as written, not yet validated against each other.
struct Fields {
    weekday: usize,
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

impl Fields {
    /// Validates the fields and converts them to Unix seconds.
    fn to_unix_secs(&self) -> Option<i64> {
        let valid = (0..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && self.hour <= 23
            && self.minute <= 59
            // RFC 9110 §5.6.7 defines IMF-fixdate as a fixed-length subset of
            // RFC 5322 §3.3 date-time, which allows second 60 for a leap
            // second. Unix time has no leap seconds, so 23:59:60 is counted
            // as +60 s and lands on the same second as the next minute's :00.
            && self.second <= 60;
        if !valid {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        // RFC 5322 §3.3: a day-of-week, when present, MUST be the day implied
        // by the date. A mismatch means the sender's date is garbled, and
        // guessing which half is right could turn a 412 into a 200.
        if weekday_of(days) != self.weekday {
            return None;
        }
        Some(days * SECS_PER_DAY + self.hour * 3_600 + self.minute * 60 + self.second)
    }
}

fn digit(b: u8) -> Option<i64> {
    b.is_ascii_digit().then(|| i64::from(b - b'0'))
}

fn two_digits(tens: u8, ones: u8) -> Option<i64> {
    Some(digit(tens)? * 10 + digit(ones)?)
}

fn four_digits(a: u8, b: u8, c: u8, d: u8) -> Option<i64> {
    Some(two_digits(a, b)? * 100 + two_digits(c, d)?)
}

fn short_weekday(name: [u8; 3]) -> Option<usize> {
    SHORT_DAY_NAMES.iter().position(|&n| n == name)
}

fn month_number(name: [u8; 3]) -> Option<i64> {
    let index = MONTH_NAMES.iter().position(|&n| n == name)?;
    i64::try_from(index).ok().map(|i| i + 1)
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7 IMF-fixdate).
fn parse_imf_fixdate(bytes: &[u8]) -> Option<Fields> {
    #[rustfmt::skip]
    let &[
        w0, w1, w2, b',', b' ',
        d0, d1, b' ',
        m0, m1, m2, b' ',
        y0, y1, y2, y3, b' ',
        h0, h1, b':', n0, n1, b':', s0, s1,
        b' ', b'G', b'M', b'T',
    ] = bytes
    else {
        return None;
    };
    Some(Fields {
        weekday: short_weekday([w0, w1, w2])?,
        year: four_digits(y0, y1, y2, y3)?,
        month: month_number([m0, m1, m2])?,
        day: two_digits(d0, d1)?,
        hour: two_digits(h0, h1)?,
        minute: two_digits(n0, n1)?,
        second: two_digits(s0, s1)?,
    })
}

/// `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 9110 §5.6.7 rfc850-date, obsolete).
fn parse_rfc850_date(bytes: &[u8], now_unix_secs: i64) -> Option<Fields> {
    // No long day name is a prefix of another, so at most one matches.
    let (weekday, rest) = LONG_DAY_NAMES
        .iter()
        .enumerate()
        .find_map(|(i, name)| bytes.strip_prefix(*name).map(|rest| (i, rest)))?;
    #[rustfmt::skip]
    let &[
        b',', b' ',
        d0, d1, b'-', m0, m1, m2, b'-', y0, y1, b' ',
        h0, h1, b':', n0, n1, b':', s0, s1,
        b' ', b'G', b'M', b'T',
    ] = rest
    else {
        return None;
    };
    let fields = Fields {
        weekday,
        year: two_digits(y0, y1)?,
        month: month_number([m0, m1, m2])?,
        day: two_digits(d0, d1)?,
        hour: two_digits(h0, h1)?,
        minute: two_digits(n0, n1)?,
        second: two_digits(s0, s1)?,
    };
    Some(expand_two_digit_year(fields, now_unix_secs))
}

/// RFC 9110 §5.6.7: a two-digit year that "appears to be more than 50 years
/// in the future" means the most recent past year with those last two digits.
///
/// The year is taken in `now`'s century, and moved back a century only if the
/// whole date is then more than 50 years after `now` (compared as instants, not
/// as years: in November 2026, `31-Dec-76` is 1976 but `01-Jan-76` is 2076). A
/// year is never moved *forward* into the next century (with `now` in 2080, `05`
/// is 2005), which the RFC does not ask for.
fn expand_two_digit_year(fields: Fields, now_unix_secs: i64) -> Fields {
    // Clamping keeps the calendar arithmetic in range for any clock value; a
    // clock outside years 0000..=9999 is broken anyway.
    let now = now_unix_secs.clamp(MIN_UNIX_SECS, MAX_UNIX_SECS);
    let (now_year, now_month, now_day) = civil_from_days(now.div_euclid(SECS_PER_DAY));
    let now_second_of_day = now.rem_euclid(SECS_PER_DAY);
    let year = now_year - now_year % 100 + fields.year;
    let second_of_day = fields.hour * 3_600 + fields.minute * 60 + fields.second;
    let date = (year, fields.month, fields.day, second_of_day);
    let fifty_years_on = (now_year + 50, now_month, now_day, now_second_of_day);
    // May produce a negative year in the first century; validation rejects it.
    let year = if date > fifty_years_on {
        year - 100
    } else {
        year
    };
    Fields { year, ..fields }
}

/// `Sun Nov  6 08:49:37 1994` (RFC 9110 §5.6.7 asctime-date, obsolete).
fn parse_asctime_date(bytes: &[u8]) -> Option<Fields> {
    #[rustfmt::skip]
    let &[
        w0, w1, w2, b' ',
        m0, m1, m2, b' ',
        d0, d1, b' ',
        h0, h1, b':', n0, n1, b':', s0, s1, b' ',
        y0, y1, y2, y3,
    ] = bytes
    else {
        return None;
    };
    // day-month-asctime = month SP ( 2DIGIT / ( SP DIGIT ) )
    let day = if d0 == b' ' {
        digit(d1)?
    } else {
        two_digits(d0, d1)?
    };
    Some(Fields {
        weekday: short_weekday([w0, w1, w2])?,
        year: four_digits(y0, y1, y2, y3)?,
        month: month_number([m0, m1, m2])?,
        day,
        hour: two_digits(h0, h1)?,
        minute: two_digits(n0, n1)?,
        second: two_digits(s0, s1)?,
    })
}

/// Unix seconds of an HTTP-date (RFC 9110 §5.6.7), or `None` if `bytes` is
/// not exactly one.
///
/// The clock is read only to interpret two-digit RFC 850 years; see
/// [`parse_http_date_at`] for the rules. The caller trims optional whitespace.
pub(crate) fn parse_http_date(bytes: &[u8]) -> Option<i64> {
    parse_http_date_with(bytes, now_unix_secs)
}

/// [`parse_http_date`] with an explicit "now", so it is a pure function.
///
/// Accepts exactly IMF-fixdate, rfc850-date and asctime-date, case-sensitively
/// and with no surrounding whitespace, in years 0000..=9999. The day name must
/// match the date and the day must exist in its month. A leap second
/// (`23:59:60`) is accepted and yields the same value as the following
/// `00:00:00`, so the result may exceed 9999-12-31T23:59:59Z by one second.
#[cfg(test)]
pub(crate) fn parse_http_date_at(bytes: &[u8], now_unix_secs: i64) -> Option<i64> {
    parse_http_date_with(bytes, || now_unix_secs)
}

/// Reads the clock only for the obsolete RFC 850 format, the one that needs it.
fn parse_http_date_with(bytes: &[u8], now_unix_secs: impl FnOnce() -> i64) -> Option<i64> {
    // Lengths are disjoint (29, 30..=33, 24), so at most one parser matches;
    // the most common format goes first.
    parse_imf_fixdate(bytes)
        .or_else(|| parse_rfc850_date(bytes, now_unix_secs()))
        .or_else(|| parse_asctime_date(bytes))?
        .to_unix_secs()
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

fn ascii_digit(n: i64) -> u8 {
    // rem_euclid bounds the value to 0..=9, so the cast is lossless.
    b'0' + n.rem_euclid(10) as u8
}

/// IMF-fixdate bytes (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// `secs` is clamped to years 0000..=9999, the only years the format can
/// spell, so every `i64` gives well-formed output.
pub(crate) fn format_imf_fixdate(secs: i64) -> [u8; 29] {
    let secs = secs.clamp(MIN_UNIX_SECS, MAX_UNIX_SECS);
    let days = secs.div_euclid(SECS_PER_DAY);
    let second_of_day = secs.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3_600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    let [w0, w1, w2] = SHORT_DAY_NAMES[weekday_of(days)];
    // civil_from_days yields 1..=12; rem_euclid makes the index obviously in bounds.
    let [m0, m1, m2] = MONTH_NAMES[(month - 1).rem_euclid(12) as usize];
    let d = ascii_digit;
    #[rustfmt::skip]
    let imf_fixdate = [
        w0, w1, w2, b',', b' ',
        d(day / 10), d(day), b' ',
        m0, m1, m2, b' ',
        d(year / 1000), d(year / 100), d(year / 10), d(year), b' ',
        d(hour / 10), d(hour), b':', d(minute / 10), d(minute), b':', d(second / 10), d(second),
        b' ', b'G', b'M', b'T',
    ];
    imf_fixdate
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// A `Last-Modified` validator (RFC 9110 §8.8.2) at whole-second precision.
///
/// HTTP-dates carry whole seconds, so the value is truncated (floored) once,
/// when it is created. The header you send and every `If-Modified-Since` /
/// `If-Unmodified-Since` comparison then use the same value; comparing a
/// file's sub-second mtime against a client's whole-second echo of it would
/// otherwise always look "modified".
///
/// Every constructor clamps to years 0000..=9999, the only years an
/// HTTP-date can spell, and to nothing else: a `LastModified` is the value it
/// was given, so it compares, formats and parses the same whenever it is used.
///
/// The clock applies where the response is built: an origin server MUST NOT
/// send a `Last-Modified` later than its `Date` and replaces a future
/// modification time with the current time (RFC 9110 §8.8.2.1), so
/// [`LastModified::to_header_value`] (every header this crate sends) and
/// [`LastModified::as_sent`] give a future date as "now". A file touched with a
/// future mtime therefore shows a date that moves with the clock until the
/// clock passes it, and revalidation against it gives full responses until
/// then, which is the safe side.
///
/// Ordering is chronological, which is what the `If-Modified-Since` and
/// `If-Unmodified-Since` evaluations (RFC 9110 §13.1.3, §13.1.4) need.
///
/// # Example
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use axum_conditional::LastModified;
///
/// let lm = LastModified::from_system_time(UNIX_EPOCH + Duration::from_millis(1_500));
/// assert_eq!(lm.to_string(), "Thu, 01 Jan 1970 00:00:01 GMT");
/// assert_eq!(lm, "Thu, 01 Jan 1970 00:00:01 GMT".parse()?);
/// # Ok::<(), axum_conditional::InvalidHttpDate>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LastModified {
    /// Invariant: within years 0000..=9999.
    secs: i64,
}

impl LastModified {
    /// A validator from a modification time, floored to whole seconds and
    /// clamped as described on [`LastModified`].
    ///
    /// Flooring applies before the epoch too: half a second before
    /// 1970-01-01T00:00:00Z is second -1.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use axum_conditional::LastModified;
    ///
    /// let lm = LastModified::from_system_time(UNIX_EPOCH + Duration::from_millis(1_999));
    /// assert_eq!(lm.unix_seconds(), 1);
    ///
    /// let lm = LastModified::from_system_time(UNIX_EPOCH - Duration::from_millis(500));
    /// assert_eq!(lm.unix_seconds(), -1);
    ///
    /// // A modification time in the future is kept; it is sent as "now".
    /// let tomorrow = SystemTime::now() + Duration::from_secs(86_400);
    /// let lm = LastModified::from_system_time(tomorrow);
    /// assert!(lm.to_system_time() > SystemTime::now());
    /// assert!(lm.as_sent().to_system_time() <= SystemTime::now());
    /// ```
    #[must_use]
    pub fn from_system_time(t: SystemTime) -> Self {
        Self::from_unix_seconds(floor_unix_secs(t))
    }

    /// A validator from seconds since the Unix epoch, clamped as described on
    /// [`LastModified`].
    ///
    /// ```
    /// use axum_conditional::LastModified;
    ///
    /// assert_eq!(LastModified::from_unix_seconds(784_111_777).to_string(),
    ///            "Sun, 06 Nov 1994 08:49:37 GMT");
    /// // Clamped to the earliest HTTP-date.
    /// assert_eq!(LastModified::from_unix_seconds(i64::MIN).to_string(),
    ///            "Sat, 01 Jan 0000 00:00:00 GMT");
    /// ```
    #[must_use]
    pub fn from_unix_seconds(secs: i64) -> Self {
        Self {
            secs: secs.clamp(MIN_UNIX_SECS, MAX_UNIX_SECS),
        }
    }

    /// The date as a response may send it: never later than the current time
    /// (RFC 9110 §8.8.2.1), so a future modification time is sent as "now".
    /// [`LastModified::to_header_value`] applies it; a response built by hand
    /// that writes the date some other way should too.
    ///
    /// ```
    /// use axum_conditional::LastModified;
    ///
    /// let past = LastModified::from_unix_seconds(784_111_777);
    /// assert_eq!(past.as_sent(), past);
    /// let far = LastModified::from_unix_seconds(i64::MAX);
    /// assert!(far.as_sent() < far);
    /// ```
    #[must_use]
    pub fn as_sent(self) -> Self {
        // Clamping to the range last keeps the invariant even if the system
        // clock itself is outside years 0000..=9999.
        Self::from_unix_seconds(self.secs.min(now_unix_secs()))
    }

    /// Parses an HTTP-date in any of the three formats of RFC 9110 §5.6.7
    /// (IMF-fixdate, and the obsolete RFC 850 and asctime formats), then
    /// clamps as described on [`LastModified`].
    ///
    /// Parsing is exact: no surrounding whitespace, case-sensitive names, a
    /// day name that matches the date, and only `GMT`. A leap second
    /// (`23:59:60`) is read as the following minute's `:00`, since Unix time
    /// has no leap seconds.
    ///
    /// ```
    /// use axum_conditional::LastModified;
    ///
    /// let imf = LastModified::parse(b"Sun, 06 Nov 1994 08:49:37 GMT");
    /// assert!(imf.is_some());
    /// assert_eq!(LastModified::parse(b"Sunday, 06-Nov-94 08:49:37 GMT"), imf);
    /// assert_eq!(LastModified::parse(b"Sun Nov  6 08:49:37 1994"), imf);
    ///
    /// assert_eq!(LastModified::parse(b" Sun, 06 Nov 1994 08:49:37 GMT"), None);
    /// assert_eq!(LastModified::parse(b"Mon, 06 Nov 1994 08:49:37 GMT"), None);
    /// ```
    #[must_use]
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        parse_http_date(bytes).map(Self::from_unix_seconds)
    }

    /// Seconds since the Unix epoch; negative before 1970.
    ///
    /// ```
    /// use axum_conditional::LastModified;
    ///
    /// let lm: LastModified = "Thu, 01 Jan 1970 00:01:00 GMT".parse()?;
    /// assert_eq!(lm.unix_seconds(), 60);
    /// # Ok::<(), axum_conditional::InvalidHttpDate>(())
    /// ```
    #[must_use]
    pub fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// The validator as a [`SystemTime`] (a whole second).
    ///
    /// On a platform whose `SystemTime` cannot represent the instant (Windows
    /// cannot go before 1601), this saturates to the nearest representable
    /// whole second instead of panicking.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use axum_conditional::LastModified;
    ///
    /// let lm = LastModified::from_unix_seconds(86_400);
    /// assert_eq!(lm.to_system_time(), UNIX_EPOCH + Duration::from_secs(86_400));
    /// ```
    #[must_use]
    pub fn to_system_time(self) -> SystemTime {
        if let Some(t) = system_time_from_secs(self.secs) {
            return t;
        }
        // Representable instants form one interval containing the epoch, so
        // bisect between the epoch (representable) and `secs` (not).
        let (mut ok, mut bad) = (0_i64, self.secs);
        while ok.abs_diff(bad) > 1 {
            // Both ends lie within years 0000..=9999: no overflow.
            let mid = ok + (bad - ok) / 2;
            if system_time_from_secs(mid).is_some() {
                ok = mid;
            } else {
                bad = mid;
            }
        }
        system_time_from_secs(ok).unwrap_or(UNIX_EPOCH)
    }

    /// The IMF-fixdate header value (RFC 9110 §5.6.7, §8.8.2), e.g.
    /// `Sun, 06 Nov 1994 08:49:37 GMT`, of the date [as sent](LastModified::as_sent):
    /// a future date is sent as the current time (§8.8.2.1).
    ///
    /// ```
    /// use axum_conditional::LastModified;
    ///
    /// let value = LastModified::from_unix_seconds(0).to_header_value();
    /// assert_eq!(value, "Thu, 01 Jan 1970 00:00:00 GMT");
    /// ```
    ///
    /// # Panics
    ///
    /// Never: the 29 bytes are always visible ASCII, which `HeaderValue`
    /// accepts.
    #[must_use]
    pub fn to_header_value(self) -> HeaderValue {
        // `http` offers no infallible constructor from runtime bytes.
        HeaderValue::from_bytes(&format_imf_fixdate(self.as_sent().secs)).expect(
            "an IMF-fixdate is 29 visible ASCII bytes, which is always a valid header value",
        )
    }
}

fn system_time_from_secs(secs: i64) -> Option<SystemTime> {
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

/// Same as [`LastModified::from_system_time`].
///
/// ```
/// use std::time::UNIX_EPOCH;
/// use axum_conditional::LastModified;
///
/// assert_eq!(LastModified::from(UNIX_EPOCH).unix_seconds(), 0);
/// ```
impl From<SystemTime> for LastModified {
    fn from(t: SystemTime) -> Self {
        Self::from_system_time(t)
    }
}

/// Converts via [`SystemTime`], with the same clamps.
///
/// ```
/// use axum_conditional::LastModified;
///
/// let date: httpdate::HttpDate = "Sun, 06 Nov 1994 08:49:37 GMT".parse()?;
/// assert_eq!(LastModified::from(date).unix_seconds(), 784_111_777);
/// # Ok::<(), httpdate::Error>(())
/// ```
impl From<httpdate::HttpDate> for LastModified {
    fn from(date: httpdate::HttpDate) -> Self {
        Self::from_system_time(SystemTime::from(date))
    }
}

/// Same as [`LastModified::to_system_time`].
///
/// ```
/// use std::time::{SystemTime, UNIX_EPOCH};
/// use axum_conditional::LastModified;
///
/// assert_eq!(SystemTime::from(LastModified::from_unix_seconds(0)), UNIX_EPOCH);
/// ```
impl From<LastModified> for SystemTime {
    fn from(lm: LastModified) -> Self {
        lm.to_system_time()
    }
}

/// Same as [`LastModified::to_header_value`].
///
/// ```
/// use axum_conditional::LastModified;
/// use http::HeaderValue;
///
/// let value = HeaderValue::from(LastModified::from_unix_seconds(784_111_777));
/// assert_eq!(value, "Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
impl From<LastModified> for HeaderValue {
    fn from(lm: LastModified) -> Self {
        lm.to_header_value()
    }
}

/// Formats as IMF-fixdate (RFC 9110 §5.6.7), the form sent in headers.
///
/// ```
/// use axum_conditional::LastModified;
///
/// assert_eq!(LastModified::from_unix_seconds(784_111_777).to_string(),
///            "Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
impl fmt::Display for LastModified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Byte-by-byte instead of via `str::from_utf8`, which would need an
        // error path that can never run.
        format_imf_fixdate(self.secs)
            .iter()
            .try_for_each(|&b| f.write_char(char::from(b)))
    }
}

/// Parses like [`LastModified::parse`]; trims nothing.
///
/// ```
/// use axum_conditional::{InvalidHttpDate, LastModified};
///
/// let lm: LastModified = "Sun, 06 Nov 1994 08:49:37 GMT".parse()?;
/// assert_eq!(lm.unix_seconds(), 784_111_777);
/// assert!("yesterday".parse::<LastModified>().is_err());
/// # Ok::<(), InvalidHttpDate>(())
/// ```
impl FromStr for LastModified {
    type Err = InvalidHttpDate;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s.as_bytes()).ok_or(InvalidHttpDate)
    }
}

/// The error from parsing a [`LastModified`] out of a string that is not an
/// HTTP-date (RFC 9110 §5.6.7).
///
/// ```
/// use axum_conditional::{InvalidHttpDate, LastModified};
///
/// let err: InvalidHttpDate = "2024-01-01T00:00:00Z".parse::<LastModified>().unwrap_err();
/// assert!(err.to_string().starts_with("not a valid HTTP-date"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct InvalidHttpDate;

impl fmt::Display for InvalidHttpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a valid HTTP-date (expected e.g. `Sun, 06 Nov 1994 08:49:37 GMT`)")
    }
}

impl std::error::Error for InvalidHttpDate {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2026-06-15T12:00:00Z, a Monday.
    const NOW_2026: i64 = 1_781_524_800;

    fn secs_of(date: &str) -> Option<i64> {
        parse_http_date_at(date.as_bytes(), NOW_2026)
    }

    fn imf(secs: i64) -> String {
        String::from_utf8(format_imf_fixdate(secs).to_vec()).expect("IMF-fixdate is ASCII")
    }

    /// asctime-date for `secs`, day SP-padded, built independently of the parser.
    fn asctime(secs: i64) -> String {
        let days = secs.div_euclid(SECS_PER_DAY);
        let sod = secs.rem_euclid(SECS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{} {} {:>2} {:02}:{:02}:{:02} {:04}",
            String::from_utf8_lossy(&SHORT_DAY_NAMES[weekday_of(days)]),
            String::from_utf8_lossy(&MONTH_NAMES[(m - 1) as usize]),
            d,
            sod / 3600,
            sod / 60 % 60,
            sod % 60,
            y
        )
    }

    /// rfc850-date for `secs` (two-digit year).
    fn rfc850(secs: i64) -> String {
        let days = secs.div_euclid(SECS_PER_DAY);
        let sod = secs.rem_euclid(SECS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{}, {:02}-{}-{:02} {:02}:{:02}:{:02} GMT",
            String::from_utf8_lossy(LONG_DAY_NAMES[weekday_of(days)]),
            d,
            String::from_utf8_lossy(&MONTH_NAMES[(m - 1) as usize]),
            y % 100,
            sod / 3600,
            sod / 60 % 60,
            sod % 60,
        )
    }

    // Expected values come from GNU `date -u -d ... +%s`, not from this code.
    #[test]
    fn parses_valid_dates() {
        let cases: &[(&str, i64)] = &[
            ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
            ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
            ("Sun Nov  6 08:49:37 1994", 784_111_777),
            ("Sun Nov 06 08:49:37 1994", 784_111_777),
            ("Wed Nov 16 08:49:37 1994", 784_975_777),
            ("Wed, 16 Nov 1994 08:49:37 GMT", 784_975_777),
            ("Sun, 21 Oct 2007 23:21:47 GMT", 1_193_008_907),
            ("Mon, 22 Oct 2007 23:21:47 GMT", 1_193_095_307),
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            ("Thu Jan  1 00:00:00 1970", 0),
            ("Wed, 31 Dec 1969 23:59:59 GMT", -1),
            ("Sat, 01 Jan 0000 00:00:00 GMT", MIN_UNIX_SECS),
            ("Sat Jan  1 00:00:00 0000", MIN_UNIX_SECS),
            ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_UNIX_SECS),
            ("Fri Dec 31 23:59:59 9999", MAX_UNIX_SECS),
            ("Thu, 29 Feb 2024 12:00:00 GMT", 1_709_208_000),
            ("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400),
            ("Tue, 29 Feb 1600 00:00:00 GMT", -11_670_998_400),
            ("Wed, 28 Feb 1900 00:00:00 GMT", -2_203_977_600),
            // Leap second: the same Unix second as the next minute's :00.
            ("Sat, 31 Dec 2016 23:59:60 GMT", 1_483_228_800),
            ("Sun, 01 Jan 2017 00:00:00 GMT", 1_483_228_800),
            ("Saturday, 31-Dec-16 23:59:60 GMT", 1_483_228_800),
            ("Sat Dec 31 23:59:60 2016", 1_483_228_800),
        ];
        for &(input, expected) in cases {
            assert_eq!(secs_of(input), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn rfc850_two_digit_years_follow_the_50_year_rule() {
        let cases: &[(&str, i64, Option<i64>)] = &[
            // now = 2026
            (
                "Sunday, 06-Nov-94 08:49:37 GMT",
                NOW_2026,
                Some(784_111_777),
            ),
            (
                "Sunday, 21-Oct-07 23:21:47 GMT",
                NOW_2026,
                Some(1_193_008_907),
            ),
            (
                "Wednesday, 01-Jan-70 00:00:00 GMT",
                NOW_2026,
                Some(3_155_760_000),
            ),
            // 1970-01-01 was a Thursday, but 70 means 2070 here.
            ("Thursday, 01-Jan-70 00:00:00 GMT", NOW_2026, None),
            // Now is 2026-06-15: 2076-11-06 is more than 50 years on, so 76 is 1976 here...
            (
                "Saturday, 06-Nov-76 08:49:37 GMT",
                NOW_2026,
                Some(216_118_177),
            ),
            ("Friday, 06-Nov-76 08:49:37 GMT", NOW_2026, None),
            // ...but 2076-06-01 is not.
            (
                "Monday, 01-Jun-76 00:00:00 GMT",
                NOW_2026,
                Some(3_358_195_200),
            ),
            (
                "Sunday, 06-Nov-77 08:49:37 GMT",
                NOW_2026,
                Some(247_654_177),
            ),
            // 2077-11-06 would be a Saturday; 77 must not mean 2077.
            ("Saturday, 06-Nov-77 08:49:37 GMT", NOW_2026, None),
            // now = 1994: 94 is this year.
            (
                "Sunday, 06-Nov-94 08:49:37 GMT",
                784_111_777,
                Some(784_111_777),
            ),
            // now = 2049: 49 is this year.
            (
                "Tuesday, 01-Jun-49 00:00:00 GMT",
                2_506_118_400,
                Some(2_506_118_400),
            ),
            // now = 2050: 50 is 2050 itself.
            (
                "Wednesday, 01-Jun-50 00:00:00 GMT",
                2_537_654_400,
                Some(2_537_654_400),
            ),
            // now = 2094: 94 is 2094.
            (
                "Saturday, 06-Nov-94 08:49:37 GMT",
                3_939_871_777,
                Some(3_939_871_777),
            ),
        ];
        for &(input, now, expected) in cases {
            assert_eq!(
                parse_http_date_at(input.as_bytes(), now),
                expected,
                "{input:?} at {now}"
            );
        }
        for (yy, now_year_secs, expected) in [
            (94, NOW_2026, 1994),
            (7, NOW_2026, 2007),
            (70, NOW_2026, 2070),
            (76, NOW_2026, 2076),
            (77, NOW_2026, 1977),
            // now = 1994: the current century only ever moves back.
            (44, 784_111_777, 1944),
            (45, 784_111_777, 1945),
            (0, 784_111_777, 1900),
            // now = 2049: 99 is exactly 50 ahead, so it stays.
            (99, 2_506_118_400, 2099),
            (0, 2_506_118_400, 2000),
            // now = 2050: 0 is this century, not 2100.
            (0, 2_537_654_400, 2000),
            // Any clock value is fine, even absurd ones.
            (0, i64::MIN, 0),
            (51, i64::MIN, -49),
            (99, i64::MAX, 9999),
        ] {
            assert_eq!(
                year_on(yy, 1, 1, now_year_secs),
                expected,
                "{yy} at {now_year_secs}"
            );
        }
    }

    /// The year a two-digit RFC 850 year on `month`/`day` at midnight means at `now`.
    fn year_on(yy: i64, month: i64, day: i64, now: i64) -> i64 {
        let fields = Fields {
            weekday: 0,
            year: yy,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
        };
        expand_two_digit_year(fields, now).year
    }

    #[test]
    fn rfc850_fifty_year_rule_compares_instants_not_years() {
        // 2026-11-22T00:00:00Z.
        let now = days_from_civil(2026, 11, 22) * SECS_PER_DAY;
        assert_eq!(
            year_on(76, 11, 22, now),
            2076,
            "exactly 50 years on is not more"
        );
        assert_eq!(
            year_on(76, 11, 23, now),
            1976,
            "a day more than 50 years on"
        );
        assert_eq!(year_on(76, 12, 31, now), 1976);
        assert_eq!(year_on(76, 1, 1, now), 2076);
        // 31 Dec 1976 was a Friday: read as 2076 (a Thursday) it would wrongly pass.
        assert!(parse_http_date_at(b"Thursday, 31-Dec-76 23:59:59 GMT", now).is_none());
        assert!(parse_http_date_at(b"Friday, 31-Dec-76 23:59:59 GMT", now).is_some());
    }

    #[test]
    fn rejects_invalid_dates() {
        let cases: &[&str] = &[
            "",
            "GMT",
            // 21 Oct 2007 was a Sunday.
            "Mon, 21 Oct 2007 23:21:47 GMT",
            "Monday, 21-Oct-07 23:21:47 GMT",
            "Mon Oct 21 23:21:47 2007",
            // Case.
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 NOV 1994 08:49:37 GMT",
            "SUN, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 gmt",
            "sunday, 06-Nov-94 08:49:37 GMT",
            "Sun nov  6 08:49:37 1994",
            // Zones other than GMT.
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 UT ",
            "Sun, 06 Nov 1994 08:49:37 Z",
            "Sun Nov  6 08:49:37 1994 GMT",
            // Whitespace.
            " Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "\tSun, 06 Nov 1994 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun,06 Nov 1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov   6 08:49:37 1994",
            " Sun Nov  6 08:49:37 1994",
            "Sunday,  06-Nov-94 08:49:37 GMT",
            // Trailing garbage and lists.
            "Sun, 06 Nov 1994 08:49:37 GMTx",
            "Sun, 06 Nov 1994 08:49:37 GMT,",
            "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT,Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT\0",
            // Field ranges.
            "Thu, 29 Feb 2023 00:00:00 GMT",
            "Wed, 29 Feb 1900 00:00:00 GMT",
            "Thu, 29 Feb 1900 00:00:00 GMT",
            "Mon, 31 Apr 2024 00:00:00 GMT",
            "Wed, 00 Jan 2025 00:00:00 GMT",
            "Sat, 32 Jan 2025 00:00:00 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 06 Nov 1994 08:49:99 GMT",
            "Sun, 06 Nov 1994 -8:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:3a GMT",
            "Sun, 06 Nov +994 08:49:37 GMT",
            "Sun, 06 Nov 19940 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Xyz 1994 08:49:37 GMT",
            "Sun Nov  0 08:49:37 1994",
            // Mixed formats.
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sund, 06-Nov-94 08:49:37 GMT",
            // Non-ASCII bytes that look like a digit or space.
            "Sun, 06 Nov 1994 08:49:3\u{0667} GMT",
            "Sun, 06\u{a0}Nov 1994 08:49:37 GMT",
            "Sun, ０6 Nov 1994 08:49:37 GMT",
            // Other date formats.
            "1994-11-06T08:49:37Z",
            "784111777",
        ];
        for input in cases {
            assert_eq!(secs_of(input), None, "{input:?}");
        }
        assert_eq!(
            parse_http_date_at(b"Sun, 06 Nov 1994 08:49:37 GMT\xff", NOW_2026),
            None
        );
        assert_eq!(parse_http_date_at(b"\xff\xfe\xfd", NOW_2026), None);
    }

    #[test]
    fn rfc850_year_before_0000_is_rejected() {
        // With "now" in year 0026, "77" means year -23, which no HTTP-date has.
        let now_year_26 = days_from_civil(26, 7, 1) * SECS_PER_DAY;
        assert_eq!(year_on(77, 1, 1, now_year_26), -23);
        for weekday in LONG_DAY_NAMES {
            let mut input = weekday.to_vec();
            input.extend_from_slice(b", 01-Jan-77 00:00:00 GMT");
            assert_eq!(parse_http_date_at(&input, now_year_26), None);
        }
    }

    #[test]
    fn leap_second_at_the_end_of_9999_overflows_by_one() {
        assert_eq!(
            secs_of("Fri, 31 Dec 9999 23:59:60 GMT"),
            Some(MAX_UNIX_SECS + 1)
        );
        // The public type clamps it like any other out-of-range value.
        let lm = LastModified::parse(b"Fri, 31 Dec 9999 23:59:60 GMT").expect("valid HTTP-date");
        assert!(lm.unix_seconds() <= MAX_UNIX_SECS);
    }

    #[test]
    fn formats_known_dates() {
        let cases: &[(i64, &str)] = &[
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_709_208_000, "Thu, 29 Feb 2024 12:00:00 GMT"),
            (-11_670_998_400, "Tue, 29 Feb 1600 00:00:00 GMT"),
            (MIN_UNIX_SECS, "Sat, 01 Jan 0000 00:00:00 GMT"),
            (MAX_UNIX_SECS, "Fri, 31 Dec 9999 23:59:59 GMT"),
            // Out of range: clamped, never panics.
            (MIN_UNIX_SECS - 1, "Sat, 01 Jan 0000 00:00:00 GMT"),
            (MAX_UNIX_SECS + 1, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (i64::MIN, "Sat, 01 Jan 0000 00:00:00 GMT"),
            (i64::MAX, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ];
        for &(secs, expected) in cases {
            assert_eq!(imf(secs), expected, "{secs}");
        }
    }

    #[test]
    fn round_trips_boundaries_in_every_format() {
        for secs in [
            MIN_UNIX_SECS,
            MIN_UNIX_SECS + 1,
            -62_162_035_200, // 0000-03-01, just after the year-0 leap day
            -1,
            0,
            1,
            784_111_777,
            951_868_799, // 2000-02-29T23:59:59
            MAX_UNIX_SECS - 1,
            MAX_UNIX_SECS,
        ] {
            assert_eq!(
                parse_http_date_at(&format_imf_fixdate(secs), NOW_2026),
                Some(secs)
            );
            assert_eq!(secs_of(&asctime(secs)), Some(secs), "{}", asctime(secs));
        }
    }

    /// Every day from 0000-01-01 to 9999-12-31: the calendar conversions are
    /// mutually inverse, consecutive, and weekdays cycle.
    #[test]
    fn calendar_is_consistent_for_every_day() {
        let first = MIN_UNIX_SECS / SECS_PER_DAY;
        let last = MAX_UNIX_SECS.div_euclid(SECS_PER_DAY);
        assert_eq!(civil_from_days(first), (0, 1, 1));
        assert_eq!(civil_from_days(last), (9999, 12, 31));
        assert_eq!(weekday_of(first), 6); // Saturday
        let mut prev = civil_from_days(first - 1);
        assert_eq!(prev, (-1, 12, 31));
        for days in first..=last {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            let (py, pm, pd) = prev;
            let expected_next = if pd < days_in_month(py, pm) {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((y, m, d), expected_next, "day {days}");
            assert_eq!(weekday_of(days), (weekday_of(days - 1) + 1) % 7);
            prev = (y, m, d);
        }
    }

    #[test]
    fn from_system_time_floors_once() {
        let at = |millis: i64| {
            let d = Duration::from_millis(millis.unsigned_abs());
            let t = if millis >= 0 {
                UNIX_EPOCH + d
            } else {
                UNIX_EPOCH - d
            };
            LastModified::from_system_time(t).unix_seconds()
        };
        assert_eq!(at(0), 0);
        assert_eq!(at(999), 0);
        assert_eq!(at(1_000), 1);
        assert_eq!(at(1_500), 1);
        assert_eq!(at(-1), -1);
        assert_eq!(at(-500), -1);
        assert_eq!(at(-1_000), -1);
        assert_eq!(at(-1_001), -2);
        assert_eq!(
            LastModified::from_system_time(UNIX_EPOCH + Duration::from_millis(1_500)).to_string(),
            "Thu, 01 Jan 1970 00:00:01 GMT"
        );
        let t = UNIX_EPOCH + Duration::new(784_111_777, 999_999_999);
        assert_eq!(
            LastModified::from(t),
            LastModified::from_unix_seconds(784_111_777)
        );
    }

    #[test]
    fn clamps_to_range_and_sends_a_future_date_as_now() {
        // The value is what it was given, whenever it is made.
        assert_eq!(
            LastModified::from_unix_seconds(i64::MAX).unix_seconds(),
            MAX_UNIX_SECS
        );
        let tomorrow = SystemTime::now() + Duration::from_secs(SECS_PER_DAY as u64);
        let lm = LastModified::from_system_time(tomorrow);
        assert_eq!(lm.unix_seconds(), floor_unix_secs(tomorrow));
        // As sent, it is never later than the clock.
        let before = now_unix_secs();
        let sent = lm.as_sent().unix_seconds();
        let header = lm.to_header_value();
        let after = now_unix_secs();
        assert!(
            (before..=after).contains(&sent),
            "{before} <= {sent} <= {after}"
        );
        let header_secs = parse_http_date(header.as_bytes());
        assert!(
            header_secs.is_some_and(|secs| (before..=after).contains(&secs)),
            "{header:?}"
        );

        assert_eq!(
            LastModified::from_unix_seconds(i64::MIN).unix_seconds(),
            MIN_UNIX_SECS
        );
        assert_eq!(
            LastModified::from_unix_seconds(MIN_UNIX_SECS - 1).unix_seconds(),
            MIN_UNIX_SECS
        );
        assert_eq!(LastModified::from_unix_seconds(-1).unix_seconds(), -1);
    }

    #[test]
    fn system_time_round_trip() {
        for secs in [-86_400, -1, 0, 1, 784_111_777] {
            let lm = LastModified::from_unix_seconds(secs);
            assert_eq!(LastModified::from(SystemTime::from(lm)), lm);
        }
        let lm = LastModified::from_unix_seconds(-1);
        assert_eq!(lm.to_system_time(), UNIX_EPOCH - Duration::from_secs(1));
        // Years 0000..=9999 are representable on Unix, and never panic anywhere.
        let _ = LastModified::from_unix_seconds(MIN_UNIX_SECS).to_system_time();
        #[cfg(unix)]
        assert_eq!(
            LastModified::from_unix_seconds(MIN_UNIX_SECS).to_system_time(),
            UNIX_EPOCH - Duration::from_secs(MIN_UNIX_SECS.unsigned_abs())
        );
    }

    #[test]
    fn header_value_matches_display_of_the_date_as_sent() {
        for secs in [MIN_UNIX_SECS, -1, 0, 784_111_777, i64::MAX] {
            let lm = LastModified::from_unix_seconds(secs);
            let value = lm.to_header_value();
            assert_eq!(value.to_str().ok(), Some(lm.as_sent().to_string().as_str()));
            assert_eq!(HeaderValue::from(lm), value);
        }
    }

    #[test]
    fn from_str_and_error() {
        assert_eq!(
            "Sun, 06 Nov 1994 08:49:37 GMT".parse::<LastModified>(),
            Ok(LastModified::from_unix_seconds(784_111_777))
        );
        let err = " Sun, 06 Nov 1994 08:49:37 GMT"
            .parse::<LastModified>()
            .err();
        assert_eq!(err, Some(InvalidHttpDate));
        assert_eq!(
            InvalidHttpDate.to_string(),
            "not a valid HTTP-date (expected e.g. `Sun, 06 Nov 1994 08:49:37 GMT`)"
        );
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(InvalidHttpDate);
        assert!(boxed.source().is_none());
    }

    #[test]
    fn from_httpdate() {
        let date: httpdate::HttpDate = "Sun, 06 Nov 1994 08:49:37 GMT".parse().expect("valid date");
        assert_eq!(LastModified::from(date).unix_seconds(), 784_111_777);
    }

    #[test]
    fn ordering_is_chronological() {
        let a = LastModified::from_unix_seconds(-5);
        let b = LastModified::from_unix_seconds(0);
        let c = LastModified::from_unix_seconds(784_111_777);
        assert!(a < b && b < c);
    }

    fn any_in_range() -> impl Strategy<Value = i64> {
        MIN_UNIX_SECS..=MAX_UNIX_SECS
    }

    /// Strings shaped like one of the three formats, with every field drawn
    /// from a slightly-too-wide set so most of them are almost valid.
    fn date_like() -> impl Strategy<Value = String> {
        let day = "(Sun|Mon|Tue|Wed|Thu|Fri|Sat|Xyz|sun)";
        let long_day = "(Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sun)";
        let month = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|jan|Foo)";
        let time = "[0-9 ]{1,3}:[0-9:]{1,3}:[0-9 ]{1,3}";
        let regex =
            |pattern: String| proptest::string::string_regex(&pattern).expect("valid regex");
        prop_oneof![
            regex(format!(
                "{day},? ?[0-9 ]{{1,3}} {month} [0-9]{{1,5}} {time}( GMT| UTC| \\+0000)?"
            )),
            regex(format!(
                "{long_day},? ?[0-9]{{1,3}}-{month}-[0-9]{{1,4}} {time}( GMT)?"
            )),
            regex(format!("{day} {month} ?[0-9 ]{{1,3}} {time} [0-9]{{1,5}}")),
        ]
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64), now in any::<i64>()) {
            let _ = parse_http_date_at(&bytes, now);
        }

        #[test]
        fn parse_never_panics_on_date_charset(s in "[A-Za-z0-9 ,:+\\-]{0,40}", now in any::<i64>()) {
            let _ = parse_http_date_at(s.as_bytes(), now);
        }

        #[test]
        fn parse_never_panics_on_near_dates(s in date_like(), now in any::<i64>()) {
            if let Some(secs) = parse_http_date_at(s.as_bytes(), now) {
                prop_assert!((MIN_UNIX_SECS..=MAX_UNIX_SECS + 1).contains(&secs));
            }
        }

        #[test]
        fn imf_round_trip(secs in any_in_range(), now in any::<i64>()) {
            prop_assert_eq!(parse_http_date_at(&format_imf_fixdate(secs), now), Some(secs));
        }

        #[test]
        fn asctime_round_trip(secs in any_in_range(), now in any::<i64>()) {
            prop_assert_eq!(parse_http_date_at(asctime(secs).as_bytes(), now), Some(secs));
        }

        /// The expanded year ends in the given digits, is never more than 50
        /// years ahead, and is the latest such year that is not.
        #[test]
        fn two_digit_year_expansion(two_digit_year in 0_i64..100, now in any::<i64>()) {
            let clamped = now.clamp(MIN_UNIX_SECS, MAX_UNIX_SECS);
            let (now_year, _, _) = civil_from_days(clamped.div_euclid(SECS_PER_DAY));
            let year = year_on(two_digit_year, 1, 1, now);
            prop_assert_eq!(year.rem_euclid(100), two_digit_year);
            prop_assert!(year - now_year <= 50);
            let century = now_year - now_year % 100;
            prop_assert!(year >= century || year + 100 - now_year > 50);
            prop_assert!(year < century + 100);
        }

        /// Any date from 49 years before `now`'s year up to 49 after, but not
        /// past the end of `now`'s century, round-trips through a two-digit year.
        #[test]
        fn rfc850_round_trip(now in 1_000_i64..=9_899, offset in -49_i64..50, day in 0_i64..365, sod in 0_i64..SECS_PER_DAY) {
            let target = (now + offset).min(now - now % 100 + 99);
            let now_secs = days_from_civil(now, 7, 1) * SECS_PER_DAY;
            let secs = days_from_civil(target, 1, 1) * SECS_PER_DAY + day * SECS_PER_DAY + sod;
            let (year, _, _) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
            prop_assert_eq!(year, target);
            prop_assert_eq!(parse_http_date_at(rfc850(secs).as_bytes(), now_secs), Some(secs));
        }

        #[test]
        fn from_unix_seconds_is_clamped_and_idempotent(secs in prop_oneof![any::<i64>(), any_in_range()]) {
            let lm = LastModified::from_unix_seconds(secs);
            let s = lm.unix_seconds();
            prop_assert!((MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&s));
            prop_assert!(lm.as_sent().unix_seconds() <= now_unix_secs());
            prop_assert_eq!(LastModified::from_unix_seconds(s), lm);
            if (MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&secs) {
                prop_assert_eq!(s, secs);
            }
            prop_assert_eq!(LastModified::parse(lm.to_string().as_bytes()), Some(lm));
        }

        #[test]
        fn agrees_with_httpdate_on_formatted_dates(secs in 0_i64..=MAX_UNIX_SECS) {
            let ours = imf(secs);
            let t = UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs());
            prop_assert_eq!(&ours, &httpdate::fmt_http_date(t));
            let theirs = httpdate::parse_http_date(&ours).ok().map(floor_unix_secs);
            prop_assert_eq!(secs_of(&ours), theirs);
            let theirs = httpdate::parse_http_date(&asctime(secs)).ok().map(floor_unix_secs);
            prop_assert_eq!(secs_of(&asctime(secs)), theirs);
        }

        /// On IMF-fixdate-shaped input within httpdate's domain (1970..=9999,
        /// no leap second, no surrounding whitespace), both accept and reject
        /// the same strings.
        #[test]
        fn agrees_with_httpdate_on_imf_candidates(
            weekday in 0_usize..7,
            fix_weekday in any::<bool>(),
            day in 0_i64..=32,
            month in 0_usize..12,
            year in 1970_i64..=9999,
            hour in 0_i64..=25,
            minute in 0_i64..=61,
            second in 0_i64..=59,
        ) {
            // Mostly-right weekdays, so that many candidates are valid dates.
            let month_number = i64::try_from(month).expect("small") + 1;
            let weekday = if fix_weekday && (1..=days_in_month(year, month_number)).contains(&day) {
                weekday_of(days_from_civil(year, month_number, day))
            } else {
                weekday
            };
            let s = format!(
                "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                String::from_utf8_lossy(&SHORT_DAY_NAMES[weekday]),
                day,
                String::from_utf8_lossy(&MONTH_NAMES[month]),
                year, hour, minute, second,
            );
            let theirs = httpdate::parse_http_date(&s).ok().map(floor_unix_secs);
            prop_assert_eq!(secs_of(&s), theirs, "{}", s);
        }
    }
}
