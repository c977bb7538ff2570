//! The evaluator against the same RFC 9110 evaluation written on the `headers` crate's typed
//! headers, with heap allocations counted per call.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum_conditional::{ETag, LastModified, Policy, Resource, evaluate};
use axum_conditional_benches::report::{self, Counting};
use criterion::{Criterion, criterion_group, criterion_main};
use headers::HeaderMapExt;
use http::{HeaderMap, HeaderValue, Method, header};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many heap allocations `f` makes.
fn allocations(f: impl FnOnce()) -> usize {
    report::allocations(f).0
}

/// RFC 9110 §13.2.2 written with `headers`' typed headers: what a user of that crate would
/// write. Returns the status: 200 proceed, 304 or 412.
fn headers_crate(
    method: &Method,
    headers: &HeaderMap,
    etag: &headers::ETag,
    modified: SystemTime,
) -> u16 {
    let get_or_head = method == Method::GET || method == Method::HEAD;
    if let Some(if_match) = headers.typed_get::<headers::IfMatch>() {
        if !if_match.precondition_passes(etag) {
            return 412;
        }
    } else if let Some(since) = headers.typed_get::<headers::IfUnmodifiedSince>()
        && !since.precondition_passes(modified)
    {
        return 412;
    }
    if let Some(if_none_match) = headers.typed_get::<headers::IfNoneMatch>() {
        if !if_none_match.precondition_passes(etag) {
            return if get_or_head { 304 } else { 412 };
        }
    } else if get_or_head
        && let Some(since) = headers.typed_get::<headers::IfModifiedSince>()
        && !since.is_modified(modified)
    {
        return 304;
    }
    200
}

/// A request's headers: what a browser sends anyway, plus the case's conditional fields.
fn headers_of(pairs: &[(header::HeaderName, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(header::HOST, HeaderValue::from_static("api.example"));
    map.insert(
        header::USER_AGENT,
        HeaderValue::from_static("Mozilla/5.0 (X11; Linux x86_64)"),
    );
    map.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    map.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("gzip, deflate, br"),
    );
    map.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    for (name, value) in pairs {
        map.append(name, HeaderValue::from_str(value).expect("bench header"));
    }
    map
}

/// A named request, its conditional fields, and the status RFC 9110 gives it.
type Case = (&'static str, Method, Vec<(header::HeaderName, String)>, u16);

fn bench(c: &mut Criterion) {
    let modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let ours = Resource::existing(
        Some(ETag::from_version(42)),
        Some(LastModified::from_system_time(modified)),
    );
    let theirs: headers::ETag = "\"42\"".parse().expect("etag");
    let date = httpdate_of(modified);
    let list: Vec<String> = (0..50).map(|i| format!("\"{}\"", 1000 + i)).collect();
    let list_hit = format!("{}, \"42\"", list[..49].join(", "));

    let cases: Vec<Case> = vec![
        ("proceed/unconditional", Method::GET, vec![], 200),
        (
            "proceed/one-tag",
            Method::GET,
            vec![(header::IF_NONE_MATCH, "\"41\"".into())],
            200,
        ),
        (
            "304/one-tag",
            Method::GET,
            vec![(header::IF_NONE_MATCH, "\"42\"".into())],
            304,
        ),
        (
            "304/50-tags",
            Method::GET,
            vec![(header::IF_NONE_MATCH, list_hit.clone())],
            304,
        ),
        (
            "proceed/50-tags",
            Method::GET,
            vec![(header::IF_NONE_MATCH, list.join(", "))],
            200,
        ),
        (
            "304/date",
            Method::GET,
            vec![(header::IF_MODIFIED_SINCE, date.clone())],
            304,
        ),
        (
            "412/if-match",
            Method::PUT,
            vec![(header::IF_MATCH, "\"41\"".into())],
            412,
        ),
        (
            "proceed/if-match",
            Method::PUT,
            vec![(header::IF_MATCH, "\"42\"".into())],
            200,
        ),
        (
            "412/date",
            Method::PUT,
            vec![(
                header::IF_UNMODIFIED_SINCE,
                "Sun, 06 Nov 1994 08:49:37 GMT".into(),
            )],
            412,
        ),
        (
            "412/malformed-if-match",
            Method::PUT,
            vec![(header::IF_MATCH, "42, w/\"42".into())],
            412,
        ),
    ];

    let mut group = c.benchmark_group("evaluate");
    for (name, method, pairs, status) in &cases {
        let headers = headers_of(pairs);
        let our_status = |outcome: axum_conditional::Outcome| match outcome {
            axum_conditional::Outcome::NotModified => 304,
            axum_conditional::Outcome::PreconditionFailed(_) => 412,
            _ => 200,
        };
        assert_eq!(
            our_status(evaluate(method, &headers, &ours, Policy::new())),
            *status,
            "{name}"
        );
        let ours_allocs = allocations(|| {
            let _ = black_box(evaluate(method, &headers, &ours, Policy::new()));
        });
        let theirs_allocs = allocations(|| {
            black_box(headers_crate(method, &headers, &theirs, modified));
        });
        println!(
            "{name}: heap allocations per evaluation: axum-conditional {ours_allocs}, headers {theirs_allocs}"
        );
        group.bench_function(format!("axum-conditional/{name}"), |b| {
            b.iter(|| {
                evaluate(
                    black_box(method),
                    black_box(&headers),
                    black_box(&ours),
                    Policy::new(),
                )
            })
        });
        group.bench_function(format!("headers/{name}"), |b| {
            b.iter(|| {
                headers_crate(
                    black_box(method),
                    black_box(&headers),
                    black_box(&theirs),
                    modified,
                )
            })
        });
    }
    group.finish();
}

fn httpdate_of(time: SystemTime) -> String {
    LastModified::from_system_time(time).to_string()
}

criterion_group!(benches, bench);
criterion_main!(benches);
