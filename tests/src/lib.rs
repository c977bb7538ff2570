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
