//! Hostile request headers, each class with its defined answer, at two levels: the evaluator
//! (`evaluate` on a `HeaderMap` built from raw bytes with `HeaderValue::from_bytes`) and
//! `#[conditional]` handlers on a real `Router` through `oneshot`. None panics, hangs or
//! answers 500. What hyper refuses before the service sees it (control characters, more than
//! 100 field lines) is pinned over raw TCP in `examples/tests/it/reliability.rs`; how evaluation
//! time grows with the number of tags and field lines is in `benches/benches/scaling.rs`.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::routing::get;
use axum_conditional::list::{Member, Members};
use axum_conditional::{
    ConditionHeader, ETag, Failure, LastModified, Outcome, Policy, Preconditions, RangeDecision,
    Reason, Resource, conditional, evaluate,
};
use proptest::prelude::*;

use crate::support::http::{Reply, call};

// ---------------------------------------------------------------------------------------------
// The resource, and a router serving it.

const VERSION: u64 = 7;
/// Sun, 06 Nov 1994 08:49:37 GMT.
const MODIFIED: i64 = 784_111_777;
const MODIFIED_IMF: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

fn resource() -> Resource {
    Resource::existing(
        Some(ETag::from_version(VERSION)),
        Some(LastModified::from_unix_seconds(MODIFIED)),
    )
}

/// The policy of a write route that must be conditional.
fn required() -> Policy {
    Policy::new().require_precondition(true)
}

#[conditional(
    etag = ETag::from_version(VERSION),
    last_modified = LastModified::from_unix_seconds(MODIFIED),
    cache_control = "no-cache"
)]
async fn read() -> &'static str {
    "current"
}

#[conditional(
    etag = ETag::from_version(VERSION),
    last_modified = LastModified::from_unix_seconds(MODIFIED),
    require = true
)]
async fn write(body: Bytes) -> (StatusCode, String) {
    (StatusCode::OK, format!("stored {} bytes", body.len()))
}

/// A resource whose tag is not UTF-8 (`"caf\xe9"`, Latin-1 bytes are obs-text).
#[conditional(etag = ETag::strong(b"caf\xe9").ok())]
async fn latin1(body: Bytes) -> String {
    format!("stored {} bytes", body.len())
}

fn app() -> Router {
    Router::new()
        .route("/doc", get(read).put(write).patch(write).delete(write))
        .route("/latin1", axum::routing::put(latin1))
}

/// What `oneshot` answered.
async fn send(method: &Method, uri: &str, lines: &[(&str, &[u8])]) -> Reply {
    let mut request = Request::builder().method(method.clone()).uri(uri);
    for (name, value) in lines {
        request = request.header(*name, raw(value));
    }
    let request = request
        .body(Body::from("{}"))
        .unwrap_or_else(|e| panic!("bad test request: {e}"));
    let reply = call(app(), request).await;
    assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    reply
}

/// A header value from raw bytes, as a server would build it from the wire.
fn raw(bytes: &[u8]) -> HeaderValue {
    HeaderValue::from_bytes(bytes)
        .unwrap_or_else(|e| panic!("{:?} is not a header value: {e}", bytes.escape_ascii()))
}

fn headers(lines: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in lines {
        map.append(
            header::HeaderName::from_bytes(name.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
            raw(value),
        );
    }
    map
}

/// The evaluator's outcome, checked against the `Preconditions` extractor's for the same input.
fn outcome(method: &Method, lines: &[(&str, &[u8])], policy: Policy) -> Outcome {
    outcome_for(method, lines, &resource(), policy)
}

fn outcome_for(
    method: &Method,
    lines: &[(&str, &[u8])],
    resource: &Resource,
    policy: Policy,
) -> Outcome {
    let map = headers(lines);
    let direct = evaluate(method, &map, resource.clone(), policy);
    let kept = Preconditions::new(method, &map).evaluate(resource.clone(), policy);
    assert_eq!(direct, kept, "evaluate and Preconditions disagree");
    direct.outcome()
}

fn failed(condition: ConditionHeader, reason: Reason) -> Outcome {
    Outcome::PreconditionFailed(Failure::new(condition, reason))
}

const PROCEED: Outcome = Outcome::Proceed {
    range: RangeDecision::NotRequested,
};

fn is_required(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::PreconditionRequired(_))
}

// ---------------------------------------------------------------------------------------------
// Control characters.

#[test]
fn control_characters_cannot_reach_the_evaluator_and_the_parsers_refuse_them() {
    let controls = (0x00..0x20u8).filter(|&b| b != b'\t').chain([0x7f]);
    for byte in controls {
        let value = [b'"', b'7', byte, b'"'];
        // The `http` crate refuses to build such a value, so no `HeaderMap` (and no request
        // hyper parsed: it answers 400) can carry one to `evaluate`.
        assert!(HeaderValue::from_bytes(&value).is_err(), "{byte:#04x}");
        // The parsers, which take any bytes, read it as an invalid member and go on.
        let line = [&value[..], b", \"7\""].concat();
        let members: Vec<Member<'_>> = Members::new(&line).collect();
        assert_eq!(
            members,
            [
                Member::Invalid(&value),
                Member::Tag {
                    weak: false,
                    opaque: b"7"
                }
            ],
            "{byte:#04x}"
        );
        let mut date = MODIFIED_IMF.as_bytes().to_vec();
        date[4] = byte;
        assert_eq!(LastModified::parse(&date), None, "{byte:#04x}");
    }
}

// ---------------------------------------------------------------------------------------------
// obs-text and non-UTF-8.

#[tokio::test]
async fn obs_text_and_non_utf8_tags_are_valid_tags_that_match_only_themselves() {
    let put = Method::PUT;
    for value in [
        &b"\"\xff\xfe\""[..],
        b"\"\xc3\x28\"",
        "\"caf\u{e9}\"".as_bytes(),
        b"W/\"\x80\"",
    ] {
        let lines = [("if-match", value)];
        assert_eq!(
            outcome(&put, &lines, required()),
            failed(ConditionHeader::IfMatch, Reason::Mismatch),
            "{:?}",
            value.escape_ascii()
        );
        let lines = [("if-none-match", value)];
        assert_eq!(outcome(&Method::GET, &lines, Policy::new()), PROCEED);
        let reply = send(&put, "/doc", &[("if-match", value)]).await;
        assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(reply.problem()["reason"], "mismatch");
    }
    // A tag of obs-text bytes matches itself.
    let latin1 = Resource::existing(ETag::strong(b"caf\xe9").ok(), None);
    let lines = [("if-match", &b"\"caf\xe9\""[..])];
    assert_eq!(outcome_for(&put, &lines, &latin1, required()), PROCEED);
    let lines = [("if-none-match", &b"W/\"caf\xe9\""[..])];
    assert_eq!(
        outcome_for(&Method::GET, &lines, &latin1, Policy::new()),
        Outcome::NotModified
    );
}

#[tokio::test]
async fn a_412_for_a_non_utf8_tag_carries_it_in_the_header_and_leaves_it_out_of_the_json() {
    let reply = send(&Method::PUT, "/latin1", &[("if-match", b"\"cafe\"")]).await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(reply.headers[header::ETAG].as_bytes(), b"\"caf\xe9\"");
    let problem = reply.problem();
    assert_eq!(problem["reason"], "mismatch");
    assert!(problem.get("etag").is_none(), "{problem}");
    let reply = send(&Method::PUT, "/latin1", &[("if-match", b"\"caf\xe9\"")]).await;
    assert_eq!(reply.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Unterminated quotes and near-misses.

/// Values that are neither `*` nor an entity-tag: an unterminated quote, near-misses of the
/// `W/` prefix and of quoting, and a doubled star.
const NEAR_MISSES: [&str; 12] = [
    "\"7",
    "\"",
    "w/\"7\"",
    "W/7",
    "W\"7\"",
    "W /\"7\"",
    "7",
    "'7'",
    "\"7\"x",
    "\"7\" \"7\"",
    "\"7 \"",
    "**",
];

#[tokio::test]
async fn unterminated_quotes_and_near_misses_in_if_match_fail_as_malformed() {
    // Also inside a list with a valid tag that does not match, and a `*` inside a list.
    let lists = ["*, \"0\"", "\"0\", w/\"7\""];
    for value in NEAR_MISSES.into_iter().chain(lists) {
        let lines = [("if-match", value.as_bytes())];
        for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::GET] {
            assert_eq!(
                outcome(&method, &lines, required()),
                failed(ConditionHeader::IfMatch, Reason::Malformed),
                "{method} If-Match: {value}"
            );
        }
        let reply = send(&Method::PUT, "/doc", &lines).await;
        assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED, "{value}");
        let problem = reply.problem();
        assert_eq!(problem["condition"], "If-Match", "{value}");
        assert_eq!(problem["reason"], "malformed", "{value}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("malformed"), "{detail}");
    }
}

#[tokio::test]
async fn near_misses_in_if_none_match_are_skipped_never_a_304_and_never_a_write_guard() {
    for value in NEAR_MISSES {
        let lines = [("if-none-match", value.as_bytes())];
        // On a read they are skipped: a full 200, never a wrong 304.
        assert_eq!(
            outcome(&Method::GET, &lines, Policy::new()),
            PROCEED,
            "GET If-None-Match: {value}"
        );
        assert_eq!(
            send(&Method::GET, "/doc", &lines).await.status,
            StatusCode::OK
        );
        // On a write they protect nothing: 428, not a silent overwrite.
        let put = outcome(&Method::PUT, &lines, required());
        assert!(is_required(put), "PUT If-None-Match: {value}: {put:?}");
        let reply = send(&Method::PUT, "/doc", &lines).await;
        assert_eq!(reply.status, StatusCode::PRECONDITION_REQUIRED, "{value}");
    }
    // Beside a valid member, only that member counts; entity-tags alone never satisfy
    // `require` (they would let an overwrite of any other version through); a `*` in a list is
    // skipped by a read and read as `*` by a write.
    let beside_stale = [("if-none-match", &b"w/\"7\", \"0\""[..])];
    assert_eq!(outcome(&Method::GET, &beside_stale, Policy::new()), PROCEED);
    assert_eq!(outcome(&Method::PUT, &beside_stale, Policy::new()), PROCEED);
    assert!(is_required(outcome(
        &Method::PUT,
        &beside_stale,
        required()
    )));
    let beside_current = [("if-none-match", &b"w/\"7\", \"7\""[..])];
    assert_eq!(
        outcome(&Method::GET, &beside_current, Policy::new()),
        Outcome::NotModified
    );
    let star_in_list = [("if-none-match", &b"\"0\", *"[..])];
    assert_eq!(outcome(&Method::GET, &star_in_list, Policy::new()), PROCEED);
    assert_eq!(
        outcome(&Method::PUT, &star_in_list, required()),
        failed(ConditionHeader::IfNoneMatch, Reason::Matched)
    );
}

#[test]
fn near_misses_in_if_range_ignore_the_range() {
    for value in [
        "w/\"7\"",
        "\"7",
        "W/\"7\"",
        "\"7\", \"7\"",
        "7",
        "Sun, 06 Nov 1994",
    ] {
        let lines = [("range", &b"bytes=0-1"[..]), ("if-range", value.as_bytes())];
        let strong = resource().with_strong_last_modified();
        assert_eq!(
            outcome_for(&Method::GET, &lines, &strong, Policy::new()),
            Outcome::Proceed {
                range: RangeDecision::Ignore
            },
            "If-Range: {value}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Size: a 64 KiB field, 10,000 tags in one list, 1,000 field lines.

fn stale_tags(count: usize) -> Vec<u8> {
    (0..count)
        .map(|n| format!("\"stale-{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
        .into_bytes()
}

fn then_current(list: &[u8]) -> Vec<u8> {
    [list, b", \"7\""].concat()
}

#[tokio::test]
async fn a_64_kib_if_none_match_is_read_to_its_end() {
    let mut big = stale_tags(6_000);
    big.truncate(64 * 1024);
    // Cut mid-tag: the last member is an unterminated quote.
    assert_eq!(Members::new(&big).last(), Some(Member::Invalid(b"\"stale")));
    let complete = stale_tags(4_800);
    assert!(complete.len() > 64 * 1024);
    let get = Method::GET;

    // No member matches: a full answer.
    for list in [&big, &complete] {
        let lines = [("if-none-match", &list[..])];
        assert_eq!(outcome(&get, &lines, Policy::new()), PROCEED);
        assert_eq!(send(&get, "/doc", &lines).await.status, StatusCode::OK);
    }
    // The current tag at the very end is found.
    let complete_then_current = then_current(&complete);
    let lines = [("if-none-match", &complete_then_current[..])];
    assert_eq!(outcome(&get, &lines, Policy::new()), Outcome::NotModified);
    assert_eq!(
        send(&get, "/doc", &lines).await.status,
        StatusCode::NOT_MODIFIED
    );
    // An unterminated quote runs to the end of its field line, so a tag after it on the same
    // line is part of the invalid member (the safe side: a 200, a 412); on the next line it
    // counts.
    let swallowed = then_current(&big);
    let lines = [("if-none-match", &swallowed[..])];
    assert_eq!(outcome(&get, &lines, Policy::new()), PROCEED);
    let lines = [("if-none-match", &big[..]), ("if-none-match", b"\"7\"")];
    assert_eq!(outcome(&get, &lines, Policy::new()), Outcome::NotModified);
    assert_eq!(
        send(&get, "/doc", &lines).await.status,
        StatusCode::NOT_MODIFIED
    );

    // As If-Match the same: malformed unless a member matches.
    let put = Method::PUT;
    assert_eq!(
        outcome(&put, &[("if-match", &big)], required()),
        failed(ConditionHeader::IfMatch, Reason::Malformed)
    );
    assert_eq!(
        outcome(&put, &[("if-match", &swallowed)], required()),
        failed(ConditionHeader::IfMatch, Reason::Malformed)
    );
    assert_eq!(
        outcome(
            &put,
            &[("if-match", &big), ("if-match", b"\"7\"")],
            required()
        ),
        PROCEED
    );
    assert_eq!(
        outcome(&put, &[("if-match", &complete)], required()),
        failed(ConditionHeader::IfMatch, Reason::Mismatch)
    );
}

#[tokio::test]
async fn ten_thousand_tags_in_one_list_are_each_compared() {
    let stale = stale_tags(10_000);
    let with_current = then_current(&stale);
    let (get, put) = (Method::GET, Method::PUT);

    assert_eq!(
        outcome(&put, &[("if-match", &stale)], required()),
        failed(ConditionHeader::IfMatch, Reason::Mismatch)
    );
    assert_eq!(
        outcome(&put, &[("if-match", &with_current)], required()),
        PROCEED
    );
    assert_eq!(
        outcome(&get, &[("if-none-match", &stale)], Policy::new()),
        PROCEED
    );
    assert_eq!(
        outcome(&get, &[("if-none-match", &with_current)], Policy::new()),
        Outcome::NotModified
    );

    let reply = send(&put, "/doc", &[("if-match", &stale)]).await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(reply.problem()["reason"], "mismatch");
    let reply = send(&put, "/doc", &[("if-match", &with_current)]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = send(&get, "/doc", &[("if-none-match", &with_current)]).await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn a_thousand_field_lines_form_one_list_and_make_a_date_field_invalid() {
    let stale: Vec<String> = (0..1_000).map(|n| format!("\"stale-{n}\"")).collect();
    let lines = |name: &'static str, last: Option<&'static str>| {
        let mut lines: Vec<(&str, &[u8])> =
            stale.iter().map(|tag| (name, tag.as_bytes())).collect();
        if let Some(last) = last {
            lines.pop();
            lines.push((name, last.as_bytes()));
        }
        lines
    };
    let (get, put) = (Method::GET, Method::PUT);

    let none_match = lines("if-none-match", None);
    assert_eq!(outcome(&get, &none_match, Policy::new()), PROCEED);
    let none_match_current = lines("if-none-match", Some("\"7\""));
    assert_eq!(
        outcome(&get, &none_match_current, Policy::new()),
        Outcome::NotModified
    );
    let matching = lines("if-match", Some("\"7\""));
    assert_eq!(outcome(&put, &matching, required()), PROCEED);
    let stale_match = lines("if-match", None);
    assert_eq!(
        outcome(&put, &stale_match, required()),
        failed(ConditionHeader::IfMatch, Reason::Mismatch)
    );

    // A date field holds one date: a thousand lines of the same valid date are not one.
    let dates: Vec<(&str, &[u8])> = (0..1_000)
        .map(|_| ("if-modified-since", MODIFIED_IMF.as_bytes()))
        .collect();
    assert_eq!(outcome(&get, &dates, Policy::new()), PROCEED);

    // Through a router (no hyper in between to cap the count at 100).
    assert_eq!(
        send(&get, "/doc", &none_match_current).await.status,
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(send(&put, "/doc", &matching).await.status, StatusCode::OK);
    assert_eq!(
        send(&put, "/doc", &stale_match).await.status,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(send(&get, "/doc", &dates).await.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Dates.

/// Dates that are invalid: out of the 0000–9999 range, negative, huge, impossible, wrong
/// weekday, wrong case, wrong zone, or not a date.
const INVALID_DATES: [&str; 14] = [
    "Sun, 06 Nov 99999 08:49:37 GMT",
    "Sun, 06 Nov -001 08:49:37 GMT",
    "Sat, 01 Jan 10000 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:61 GMT",
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Tue, 31 Feb 2026 00:00:00 GMT",
    "Mon, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "sun, 06 nov 1994 08:49:37 gmt",
    "Sun, 06 Nov 1994 08:49:37 GMT+1",
    "784111777",
    "-1",
    "18446744073709551616",
    "",
];

#[tokio::test]
async fn out_of_range_negative_huge_and_impossible_dates_are_ignored() {
    for value in INVALID_DATES {
        assert_eq!(LastModified::parse(value.as_bytes()), None, "{value}");
        let since = [("if-unmodified-since", value.as_bytes())];
        // Ignored: no precondition at all on a write …
        assert!(
            is_required(outcome(&Method::PUT, &since, required())),
            "{value}"
        );
        assert_eq!(
            outcome(&Method::PUT, &since, Policy::new()),
            PROCEED,
            "{value}"
        );
        // … and a full answer to a read.
        let since = [("if-modified-since", value.as_bytes())];
        assert_eq!(
            outcome(&Method::GET, &since, Policy::new()),
            PROCEED,
            "{value}"
        );
        assert_eq!(
            send(&Method::GET, "/doc", &since).await.status,
            StatusCode::OK
        );
        let until = [("if-unmodified-since", value.as_bytes())];
        let reply = send(&Method::PUT, "/doc", &until).await;
        assert_eq!(reply.status, StatusCode::PRECONDITION_REQUIRED, "{value}");
    }
}

#[test]
fn the_extreme_valid_dates_are_compared_like_any_other() {
    let year_0 = b"Sat, 01 Jan 0000 00:00:00 GMT";
    let year_9999 = b"Fri, 31 Dec 9999 23:59:59 GMT";
    assert_eq!(
        outcome(&Method::PUT, &[("if-unmodified-since", year_0)], required()),
        failed(ConditionHeader::IfUnmodifiedSince, Reason::Modified)
    );
    assert_eq!(
        outcome(
            &Method::PUT,
            &[("if-unmodified-since", year_9999)],
            required()
        ),
        PROCEED
    );
    assert_eq!(
        outcome(
            &Method::GET,
            &[("if-modified-since", year_9999)],
            Policy::new()
        ),
        Outcome::NotModified
    );
    assert_eq!(
        outcome(
            &Method::GET,
            &[("if-modified-since", year_0)],
            Policy::new()
        ),
        PROCEED
    );
    // A resource modified at either end of the range.
    for secs in [i64::MIN, i64::MAX] {
        let extreme = Resource::existing(None, Some(LastModified::from_unix_seconds(secs)));
        let lines = [("if-modified-since", &year_9999[..])];
        let _ = outcome_for(&Method::GET, &lines, &extreme, Policy::new());
        let lines = [("if-unmodified-since", &year_0[..])];
        let _ = outcome_for(&Method::PUT, &lines, &extreme, required());
    }
}

#[tokio::test]
async fn obsolete_date_forms_are_the_same_instant_as_imf_fixdate() {
    let forms = [
        MODIFIED_IMF,
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ];
    let one_second_earlier = [
        "Sun, 06 Nov 1994 08:49:36 GMT",
        "Sunday, 06-Nov-94 08:49:36 GMT",
        "Sun Nov  6 08:49:36 1994",
    ];
    for (same, earlier) in forms.into_iter().zip(one_second_earlier) {
        // Declared strong, the date identifies the version (RFC 9110 §8.8.2.2); the route's
        // own date is weak, so over HTTP the same second vouches for nothing.
        let strong = resource().with_strong_last_modified();
        let lines = [("if-modified-since", same.as_bytes())];
        assert_eq!(
            outcome_for(&Method::GET, &lines, &strong, Policy::new()),
            Outcome::NotModified,
            "{same}"
        );
        assert_eq!(
            send(&Method::GET, "/doc", &lines).await.status,
            StatusCode::OK
        );
        let lines = [("if-unmodified-since", same.as_bytes())];
        assert_eq!(
            outcome_for(&Method::PUT, &lines, &strong, required()),
            PROCEED,
            "{same}"
        );
        assert_eq!(
            outcome(&Method::PUT, &lines, required()),
            failed(ConditionHeader::IfUnmodifiedSince, Reason::AmbiguousDate),
            "{same}"
        );
        let lines = [("if-unmodified-since", earlier.as_bytes())];
        assert_eq!(
            outcome(&Method::PUT, &lines, required()),
            failed(ConditionHeader::IfUnmodifiedSince, Reason::Modified),
            "{earlier}"
        );
        let reply = send(&Method::PUT, "/doc", &lines).await;
        assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(reply.problem()["condition"], "If-Unmodified-Since");
    }
}

// ---------------------------------------------------------------------------------------------
// The same field repeated with conflicting values.

/// A named request (method, field lines) and its outcome.
type Row<'a> = (&'a str, &'a Method, Vec<(&'a str, &'a [u8])>, Outcome);

#[tokio::test]
async fn a_repeated_list_field_is_one_list_and_a_repeated_date_field_is_ignored() {
    let (get, put) = (Method::GET, Method::PUT);
    let earlier = &b"Sat, 05 Nov 1994 08:49:37 GMT"[..];
    let later = &b"Mon, 07 Nov 1994 08:49:37 GMT"[..];
    let table: [Row<'_>; 10] = [
        (
            "If-Match stale then current",
            &put,
            vec![("if-match", b"\"1\""), ("if-match", b"\"7\"")],
            PROCEED,
        ),
        (
            "If-Match * twice is not *",
            &put,
            vec![("if-match", b"*"), ("if-match", b"*")],
            failed(ConditionHeader::IfMatch, Reason::Malformed),
        ),
        (
            "If-Match * and a current tag",
            &put,
            vec![("if-match", b"*"), ("if-match", b"\"7\"")],
            PROCEED,
        ),
        (
            "If-None-Match stale then current",
            &get,
            vec![("if-none-match", b"\"1\""), ("if-none-match", b"\"7\"")],
            Outcome::NotModified,
        ),
        (
            "If-None-Match * inside a list",
            &put,
            vec![("if-none-match", b"\"1\""), ("if-none-match", b"*")],
            failed(ConditionHeader::IfNoneMatch, Reason::Matched),
        ),
        (
            "If-Modified-Since earlier and later",
            &get,
            vec![("if-modified-since", earlier), ("if-modified-since", later)],
            PROCEED,
        ),
        (
            "If-Modified-Since later twice",
            &get,
            vec![("if-modified-since", later), ("if-modified-since", later)],
            PROCEED,
        ),
        (
            "If-Unmodified-Since earlier and later, with If-Match",
            &put,
            vec![
                ("if-match", b"\"7\""),
                ("if-unmodified-since", earlier),
                ("if-unmodified-since", later),
            ],
            PROCEED,
        ),
        (
            "If-Match fails before a matching If-None-Match",
            &put,
            vec![("if-match", b"\"1\""), ("if-none-match", b"\"7\"")],
            failed(ConditionHeader::IfMatch, Reason::Mismatch),
        ),
        (
            "If-Range twice",
            &get,
            vec![
                ("range", b"bytes=0-1"),
                ("if-range", b"\"7\""),
                ("if-range", b"\"7\""),
            ],
            Outcome::Proceed {
                range: RangeDecision::Ignore,
            },
        ),
    ];
    for (name, method, lines, expected) in table {
        assert_eq!(outcome(method, &lines, required()), expected, "{name}");
        let reply = send(method, "/doc", &lines).await;
        let status = match expected {
            Outcome::NotModified => StatusCode::NOT_MODIFIED,
            Outcome::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            _ => StatusCode::OK,
        };
        assert_eq!(reply.status, status, "{name}");
    }
    // Two If-Unmodified-Since lines without If-Match: not a precondition, so 428.
    let lines = [
        ("if-unmodified-since", later),
        ("if-unmodified-since", later),
    ];
    assert!(is_required(outcome(&put, &lines, required())));
    assert_eq!(
        send(&put, "/doc", &lines).await.status,
        StatusCode::PRECONDITION_REQUIRED
    );
}

// ---------------------------------------------------------------------------------------------
// Any bytes a header value can hold.

/// Bytes a `HeaderValue` accepts (visible ASCII, SP, HTAB and obs-text), biased towards the
/// ones the list and date grammars care about.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => prop::sample::select(b"\"W/w,* \t:-0123456789GMTSunNov7".to_vec()),
        1 => (0x20u8..=0xff).prop_filter("not DEL", |b| *b != 0x7f),
    ];
    prop::collection::vec(byte, 0..40)
}

fn field_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "if-range",
        "range",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_header_value_gets_a_defined_answer_and_never_a_500(
        lines in prop::collection::vec((field_name(), header_bytes()), 0..6),
        method in prop::sample::select(vec![Method::GET, Method::HEAD, Method::PUT, Method::PATCH, Method::DELETE]),
    ) {
        let lines: Vec<(&str, &[u8])> =
            lines.iter().map(|(name, value)| (*name, value.as_slice())).collect();
        let expected = outcome(&method, &lines, if method == Method::GET || method == Method::HEAD {
            Policy::new()
        } else {
            required()
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let reply = runtime.block_on(send(&method, "/doc", &lines));
        let status = match expected {
            Outcome::Proceed { .. } => StatusCode::OK,
            Outcome::NotModified => StatusCode::NOT_MODIFIED,
            Outcome::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Outcome::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            other => panic!("the resource exists, so nothing is deferred: {other:?}"),
        };
        prop_assert_eq!(reply.status, status);
        // A response to HEAD has no body.
        let refused = status == StatusCode::PRECONDITION_FAILED
            || status == StatusCode::PRECONDITION_REQUIRED;
        if refused && method != Method::HEAD {
            let _ = reply.problem();
        }
    }
}
