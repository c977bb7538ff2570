//! Integration tests of axum-conditional live in `tests/`. The library holds what they share
//! with the fuzz targets in `fuzz/`: the reference model of RFC 9110 §13.2.2.

pub mod model;

/// The conformance cases (`"unsure": true` in the fixture) where the library departs from the
/// fixture's recommendation for safety, with the status it answers instead. RFC 9110 leaves
/// both open; each is documented in `evaluate`'s rustdoc.
///
/// - `own-inm-star-in-list`: a `*` inside an `If-None-Match` list is invalid; a `GET` skips
///   it and gets the full 200, never a 304 for a copy the client may not hold (rule 6).
/// - `own-ifmatch-missing-delete`: a `DELETE` with a false `If-Match` is refused before its
///   handler runs, even for a missing resource (rule 2; §13.1.1: MUST NOT perform the method).
pub const SAFETY_DEPARTURES: [(&str, u16); 2] = [
    ("own-inm-star-in-list", 200),
    ("own-ifmatch-missing-delete", 412),
];

/// The conformance cases whose answer changes because a `Last-Modified` is weak unless the
/// origin declares it strong (RFC 9110 §8.8.2.2), with the status the library answers instead.
/// Each sends `If-Modified-Since` or `If-Unmodified-Since` naming the very second of the
/// resource's `Last-Modified`, which the fixture's answer treats as identifying the current
/// version; with one-second resolution the date may also be that of a version written earlier
/// in the same second, so it cannot vouch for the current one:
///
/// - `If-Unmodified-Since` is false, 412 (a write based on the replaced version would otherwise
///   overwrite the current one unseen: a lost update; on a `GET` a range of another version
///   could be spliced in). `evaluate` rule 5, `Reason::AmbiguousDate`.
/// - `If-Modified-Since` is true, the full 200 (a 304 would confirm a copy the client may not
///   hold). `evaluate` rule 7.
///
/// With the date declared strong (`Resource::with_strong_last_modified`,
/// `strong_last_modified = …`), every one of them gets the fixture's answer.
pub const WEAK_DATE_DEPARTURES: [(&str, u16); 15] = [
    ("dj-ius-equal-get", 412),
    ("dj-ims-lm-only-view", 200),
    ("dj-ius-equal-lm-only-view", 412),
    ("dj-ims-head", 200),
    ("go-not-modified-modtime", 200),
    ("go-not-modified-modtime-head", 200),
    ("go-ius-true", 412),
    ("sp-ims-equal", 200),
    ("wm-ims-equal", 200),
    ("own-ims-rfc850", 200),
    ("own-ims-rfc850-94", 200),
    ("own-ims-surrounding-ows", 200),
    ("own-ius-subsecond-lm", 412),
    ("own-lm-epoch", 200),
    ("own-range-ius-pass-ifrange-match", 412),
];

/// The status the library answers to a conformance case when it departs from the fixture's
/// (a safety departure or a weak date), or `None` when it gives the fixture's answer.
pub fn departure(id: &str) -> Option<u16> {
    SAFETY_DEPARTURES
        .iter()
        .chain(WEAK_DATE_DEPARTURES.iter())
        .find(|&&(departing, _)| departing == id)
        .map(|&(_, status)| status)
}
