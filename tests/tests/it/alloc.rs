//! `evaluate` allocates nothing, on every path and whatever the headers hold (its rustdoc
//! promises it): a conditional request must not cost a heap allocation per request.
//!
//! `allocation_counter` installs a counting `#[global_allocator]` in the test binary (every module
//! of it allocates through it), and counts per thread, so tests running concurrently on other
//! threads never pollute a measurement.
//! (It is a dev-dependency rather than an allocator written here because this crate forbids
//! `unsafe_code`, and `GlobalAlloc` can only be implemented with `unsafe impl`.) Building the
//! headers and the resource happens outside the measured closure.
//!
//! Run with `--nocapture` to see the counts.

use std::hint::black_box;

use allocation_counter::measure;
use axum_conditional::list::{Member, Members};
use axum_conditional::{
    ContentCoding, ETag, LastModified, Outcome, Policy, Preconditions, RangeDecision, Resource,
    evaluate,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

/// `Sun, 21 Oct 2007 23:21:47 GMT`.
const LM: i64 = 1_193_008_907;

struct Scenario {
    name: &'static str,
    method: Method,
    headers: HeaderMap,
    resource: Resource,
    policy: Policy,
    expect: fn(&Outcome) -> bool,
}

/// The fields as hyper hands them to a service: each value a slice of the one buffer the head
/// was read into, so that a clone of one is a reference count, never a copy.
fn headers(fields: &[(HeaderName, &[u8])]) -> HeaderMap {
    let wire = bytes::Bytes::from(fields.concat_values());
    let mut headers = HeaderMap::new();
    let mut start = 0;
    for (name, value) in fields {
        let slice = wire.slice(start..start + value.len());
        start += value.len();
        headers.append(
            name.clone(),
            HeaderValue::from_maybe_shared(slice).expect("valid field value"),
        );
    }
    headers
}

trait ConcatValues {
    fn concat_values(&self) -> Vec<u8>;
}

impl ConcatValues for [(HeaderName, &[u8])] {
    fn concat_values(&self) -> Vec<u8> {
        self.iter()
            .flat_map(|(_, value)| value.iter().copied())
            .collect()
    }
}

/// 25 tags that never match the current one, alternating strong and weak, on one line.
fn tag_line(first: usize) -> Vec<u8> {
    let tags: Vec<String> = (first..first + 25)
        .map(|i| {
            if i % 2 == 0 {
                format!("\"other-{i}\"")
            } else {
                format!("W/\"other-{i}\"")
            }
        })
        .collect();
    tags.join(", ").into_bytes()
}

/// 50 tags over two field lines; the 50th is `last`.
fn fifty_tags(last: &str) -> [Vec<u8>; 2] {
    let mut second = tag_line(25);
    second.extend_from_slice(b", ");
    second.extend_from_slice(last.as_bytes());
    [tag_line(0), second]
}

fn current() -> Resource {
    Resource::existing(
        Some(ETag::strong("current").expect("valid")),
        Some(LastModified::from_unix_seconds(LM)),
    )
}

fn scenarios() -> Vec<Scenario> {
    let [inm_a, inm_b] = fifty_tags("\"still-other\"");
    let [hit_a, hit_b] = fifty_tags("W/\"current\"");
    let [im_hit_a, im_hit_b] = fifty_tags("\"current\"");
    let malformed: &[u8] =
        b"v1, w/\"x\", \"spaced tag\", \"caf\xc3\xa9, \"a\x80\xff\", *, \"unterminated";
    vec![
        Scenario {
            name: "proceed: 50 If-None-Match misses, If-Range strong match honours Range",
            method: Method::GET,
            headers: headers(&[
                (header::IF_NONE_MATCH, &inm_a),
                (header::IF_NONE_MATCH, &inm_b),
                (header::IF_MODIFIED_SINCE, b"Sun, 21 Oct 2007 23:21:47 GMT"),
                (header::RANGE, b"bytes=0-99"),
                (header::IF_RANGE, b"\"current\""),
            ]),
            resource: current(),
            policy: Policy::new(),
            expect: |outcome| {
                *outcome
                    == Outcome::Proceed {
                        range: RangeDecision::Honour,
                    }
            },
        },
        Scenario {
            name: "proceed: If-Match matches its 50th tag, If-Unmodified-Since ignored",
            method: Method::PUT,
            headers: headers(&[
                (header::IF_MATCH, &im_hit_a),
                (header::IF_MATCH, &im_hit_b),
                (
                    header::IF_UNMODIFIED_SINCE,
                    b"Thu, 01 Jan 1970 00:00:00 GMT",
                ),
            ]),
            resource: current(),
            policy: Policy::new().require_precondition(true),
            expect: |outcome| matches!(outcome, Outcome::Proceed { .. }),
        },
        Scenario {
            name: "proceed: invalid and repeated dates ignored, If-Range date on weak LM",
            method: Method::GET,
            headers: headers(&[
                (header::IF_MODIFIED_SINCE, b"Sun, 21 Oct 2007 23:21:47 GMT"),
                (header::IF_MODIFIED_SINCE, b"Sun, 21 Oct 2007 23:21:47 GMT"),
                (header::IF_UNMODIFIED_SINCE, b"\x80\xfe garbage \xff"),
                (header::RANGE, b"bytes=0-99"),
                (header::IF_RANGE, b"Sun, 21 Oct 2007 23:21:47 GMT"),
            ]),
            resource: current(),
            policy: Policy::new(),
            expect: |outcome| {
                *outcome
                    == Outcome::Proceed {
                        range: RangeDecision::Ignore,
                    }
            },
        },
        Scenario {
            name: "304: If-None-Match matches its 50th tag weakly",
            method: Method::GET,
            headers: headers(&[
                (header::IF_NONE_MATCH, &hit_a),
                (header::IF_NONE_MATCH, &hit_b),
            ]),
            resource: current(),
            policy: Policy::new(),
            expect: |outcome| *outcome == Outcome::NotModified,
        },
        Scenario {
            name: "304: If-Modified-Since in RFC 850 form",
            method: Method::HEAD,
            headers: headers(&[(header::IF_MODIFIED_SINCE, b"Sunday, 21-Oct-07 23:21:47 GMT")]),
            // The date names the second of the last modification: a 304 only when it is strong.
            resource: current().with_strong_last_modified(),
            policy: Policy::new(),
            expect: |outcome| *outcome == Outcome::NotModified,
        },
        Scenario {
            name: "412: 50 If-Match misses plus malformed members",
            method: Method::PUT,
            headers: headers(&[
                (header::IF_MATCH, &inm_a),
                (header::IF_MATCH, &inm_b),
                (header::IF_MATCH, malformed),
            ]),
            resource: current(),
            policy: Policy::new(),
            expect: |outcome| matches!(outcome, Outcome::PreconditionFailed(_)),
        },
        Scenario {
            name: "412: If-Match entirely malformed",
            method: Method::PATCH,
            headers: headers(&[(header::IF_MATCH, malformed)]),
            resource: current(),
            policy: Policy::new().weak_if_match(true),
            expect: |outcome| matches!(outcome, Outcome::PreconditionFailed(_)),
        },
        Scenario {
            name: "412: If-Unmodified-Since in asctime form, earlier than LM",
            method: Method::DELETE,
            headers: headers(&[(header::IF_UNMODIFIED_SINCE, b"Sun Oct 21 23:21:46 2007")]),
            resource: current(),
            policy: Policy::new(),
            expect: |outcome| matches!(outcome, Outcome::PreconditionFailed(_)),
        },
        Scenario {
            name: "412: If-None-Match * on POST",
            method: Method::POST,
            headers: headers(&[(header::IF_NONE_MATCH, b" * ")]),
            resource: current(),
            policy: Policy::new(),
            expect: |outcome| matches!(outcome, Outcome::PreconditionFailed(_)),
        },
        Scenario {
            name: "428: only an ignored If-Modified-Since and an invalid If-Unmodified-Since",
            method: Method::PUT,
            headers: headers(&[
                (header::IF_MODIFIED_SINCE, b"Sun, 21 Oct 2007 23:21:47 GMT"),
                (
                    header::IF_UNMODIFIED_SINCE,
                    b"sun, 21 oct 2007 23:21:47 gmt",
                ),
            ]),
            resource: current(),
            policy: Policy::new().require_precondition(true),
            expect: |outcome| matches!(outcome, Outcome::PreconditionRequired(_)),
        },
        Scenario {
            name: "428: create without If-None-Match",
            method: Method::PUT,
            headers: HeaderMap::new(),
            resource: Resource::missing(),
            policy: Policy::new().require_precondition(true),
            expect: |outcome| matches!(outcome, Outcome::PreconditionRequired(_)),
        },
        Scenario {
            name: "deferred: 50 If-Match tags on a GET of a missing resource",
            method: Method::GET,
            headers: headers(&[(header::IF_MATCH, &im_hit_a), (header::IF_MATCH, &im_hit_b)]),
            resource: Resource::missing(),
            policy: Policy::new(),
            expect: |outcome| matches!(outcome, Outcome::Deferred(_)),
        },
    ]
}

#[test]
fn counter_sees_allocations_on_this_thread() {
    // Without this, a broken counter would make every zero below pass vacuously.
    let info = measure(|| {
        black_box(Box::new(black_box(7_u64)));
        black_box(String::from("allocated"));
    });
    assert!(
        info.count_total >= 2,
        "the counting allocator is not active: {info:?}"
    );
}

#[test]
fn evaluate_allocates_nothing_on_any_path() {
    let mut failures = Vec::new();
    for scenario in scenarios() {
        let mut outcome = None;
        // Cloned outside the measurement: the decision takes the resource it describes.
        let mut resource = Some(scenario.resource.clone());
        let info = measure(|| {
            outcome = Some(black_box(evaluate(
                black_box(&scenario.method),
                black_box(&scenario.headers),
                black_box(resource.take().expect("one evaluation")),
                black_box(scenario.policy),
            )));
        });
        let outcome = outcome.expect("evaluate ran").outcome();
        println!(
            "evaluate, {}: {} allocations ({outcome:?})",
            scenario.name, info.count_total
        );
        assert!(
            (scenario.expect)(&outcome),
            "{}: unexpected {outcome:?}",
            scenario.name
        );
        if info.count_total != 0 {
            failures.push(format!(
                "{}: {} allocations",
                scenario.name, info.count_total
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "evaluate allocated:\n{}",
        failures.join("\n")
    );
}

#[test]
fn conditions_evaluate_allocates_nothing_on_any_path() {
    // Building `Preconditions` clones the field values (outside the measurement); evaluating the
    // kept fields must be as free as `evaluate` itself.
    let mut failures = Vec::new();
    for scenario in scenarios() {
        let conditions = Preconditions::new(&scenario.method, &scenario.headers);
        let mut outcome = None;
        let mut resource = Some(scenario.resource.clone());
        let info = measure(|| {
            outcome = Some(black_box(black_box(&conditions).evaluate(
                black_box(resource.take().expect("one evaluation")),
                scenario.policy,
            )));
        });
        let outcome = outcome.expect("evaluate ran").outcome();
        println!(
            "Preconditions, {}: {} allocations",
            scenario.name, info.count_total
        );
        assert!(
            (scenario.expect)(&outcome),
            "{}: unexpected {outcome:?}",
            scenario.name
        );
        if info.count_total != 0 {
            failures.push(format!(
                "{}: {} allocations",
                scenario.name, info.count_total
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "Preconditions::evaluate allocated:\n{}",
        failures.join("\n")
    );
}

#[test]
fn iterating_list_members_allocates_nothing() {
    let [line, _] = fifty_tags("\"last\"");
    let mut line = line;
    line.extend_from_slice(b", v1, w/\"x\", \"spaced tag\", *, ,, \"a,b\", \"unterminated");
    let (mut tags, mut stars, mut invalid) = (0, 0, 0);
    let info = measure(|| {
        for member in Members::new(black_box(&line)) {
            match black_box(member) {
                Member::Tag { .. } => tags += 1,
                Member::Star => stars += 1,
                Member::Invalid(_) => invalid += 1,
            }
        }
    });
    println!(
        "Members over {} bytes: {} allocations",
        line.len(),
        info.count_total
    );
    assert_eq!(
        (tags, stars, invalid),
        (26, 1, 4),
        "the iteration really ran"
    );
    assert_eq!(info.count_total, 0, "{info:?}");
}

/// `ETag::from_version` allocates the tag's bytes once: no formatting buffer, and a vector
/// `Bytes` takes over without allocating a shared header for it.
#[test]
fn from_version_allocates_once() {
    for version in [0, 7, 1_234, u64::MAX] {
        let info = measure(|| {
            black_box(ETag::from_version(black_box(version)));
        });
        assert_eq!(info.count_total, 1, "from_version({version}): {info:?}");
    }
}

/// The 304 a `#[conditional]` route answers moves the validator's tag into its `ETag` header:
/// the only allocations are the header map's two tables (a clone of a tag whose bytes are
/// uniquely owned would allocate a third time).
#[test]
fn early_304_allocates_only_its_header_map() {
    use axum_conditional::__private::{Route, evaluate as early};
    let (parts, ()) = http::Request::builder()
        .header(header::IF_NONE_MATCH, r#""7""#)
        .body(())
        .expect("a valid request")
        .into_parts();
    for route in [
        Route::new(false, false, true, None, None, false, false),
        Route::new(
            false,
            false,
            true,
            Some("no-cache"),
            Some("accept-encoding"),
            false,
            false,
        ),
    ] {
        let resource = Resource::existing(Some(ETag::from_version(7)), None);
        let mut response = None;
        let info = measure(|| {
            let answer = black_box(early(&parts, black_box(resource), &route));
            response = answer.err().map(|answer| answer.into_response());
        });
        let status = response.map(|response| response.status());
        assert_eq!(status, Some(http::StatusCode::NOT_MODIFIED), "{route:?}");
        assert_eq!(info.count_total, 2, "{route:?}: {info:?}");
    }
}

/// A request head whose `If-None-Match` value shares one read buffer with the rest of the
/// request, as hyper parses it (a clone of it is a reference count, not a copy), negotiated to
/// `coding` by a compressing layer.
fn parsed_head(if_none_match: &str, coding: Option<ContentCoding>) -> http::request::Parts {
    let wire = bytes::Bytes::from(if_none_match.as_bytes().to_vec());
    let value = HeaderValue::from_maybe_shared(wire).expect("a valid field value");
    let mut request = http::Request::builder().header(header::IF_NONE_MATCH, value);
    if let Some(coding) = coding {
        request = request.extension(coding);
    }
    let (parts, ()) = request.body(()).expect("a valid request").into_parts();
    parts
}

/// The allocations of a `#[conditional]` route's early 304 for `parts`, with the tag it carries.
fn early_304(parts: &http::request::Parts) -> (u64, String) {
    use axum_conditional::__private::{Route, evaluate as early};
    let route = Route::new(false, false, true, Some("no-cache"), None, false, false);
    let resource = Resource::existing(Some(ETag::from_version(7)), None);
    let mut response = None;
    let info = measure(|| {
        let answer = black_box(early(parts, black_box(resource), &route));
        response = answer.err().map(|answer| answer.into_response());
    });
    let response = response.expect("an early answer");
    assert_eq!(response.status(), http::StatusCode::NOT_MODIFIED);
    let etag = response.headers()[header::ETAG]
        .to_str()
        .expect("ASCII")
        .to_owned();
    (info.count_total, etag)
}

/// The 304 of a compressed variant (`If-None-Match: "7~gzip"` on a request negotiated to gzip)
/// allocates what the identity 304 does, and the coded tag once: one allocation of exactly its
/// length, never the identity value first. Where the matched tag sits in the list changes
/// nothing.
#[test]
fn a_304_for_a_compressed_variant_allocates_the_coded_tag_once() {
    let (identity, tag) = early_304(&parsed_head(r#""7""#, None));
    assert_eq!(tag, r#""7""#);
    for coding in ContentCoding::ALL {
        let sent = format!("\"7~{coding}\"");
        let (coded, tag) = early_304(&parsed_head(&sent, Some(coding)));
        assert_eq!(tag, sent);
        assert_eq!(
            coded,
            identity + 1,
            "{coding}: identity {identity}, coded {coded}"
        );

        let list = format!("\"6~{coding}\", \"7~{coding}\"");
        let (in_list, tag) = early_304(&parsed_head(&list, Some(coding)));
        assert_eq!(tag, sent);
        assert_eq!(in_list, coded, "{coding}");
    }
}
