//! How evaluation time grows with hostile sizes: the number of entity-tags in one list
//! (10 to 10,000) and the number of field lines (10 to 1,000). Every case makes the evaluator
//! read the whole input (no member matches), so time per tag or per line should stay flat:
//! linear growth. After criterion's own report, a table of the time per tag and per line is
//! printed from a separate quick measurement, so the slope is visible at a glance.
//!
//! `cargo bench -p axum-conditional-benches --bench scaling -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum_conditional::{ETag, LastModified, Outcome, Policy, Resource, evaluate};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method, header};

const TAG_COUNTS: [usize; 4] = [10, 100, 1_000, 10_000];
const LINE_COUNTS: [usize; 3] = [10, 100, 1_000];

fn resource() -> Resource {
    Resource::existing(
        Some(ETag::from_version(42)),
        Some(LastModified::from_unix_seconds(1_700_000_000)),
    )
}

/// `"stale-0", "stale-1", …`: valid tags, none of them the current one.
fn tag_list(count: usize) -> HeaderValue {
    let list = (0..count)
        .map(|n| format!("\"stale-{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    HeaderValue::from_str(&list).expect("a valid header value")
}

/// One scaling case: a request whose evaluation reads `elements` tags or lines, all of them.
struct Case {
    group: &'static str,
    name: &'static str,
    method: Method,
    headers: HeaderMap,
    elements: usize,
    expected: fn(&Outcome) -> bool,
}

fn proceeds(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Proceed { .. })
}

fn refused(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::PreconditionFailed(_))
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for count in TAG_COUNTS {
        let list = tag_list(count);
        let mut none_match = HeaderMap::new();
        none_match.insert(header::IF_NONE_MATCH, list.clone());
        cases.push(Case {
            group: "tags",
            name: "if-none-match/GET",
            method: Method::GET,
            headers: none_match,
            elements: count,
            expected: proceeds,
        });
        let mut if_match = HeaderMap::new();
        if_match.insert(header::IF_MATCH, list);
        cases.push(Case {
            group: "tags",
            name: "if-match/PUT",
            method: Method::PUT,
            headers: if_match,
            elements: count,
            expected: refused,
        });
    }
    for count in LINE_COUNTS {
        let (mut none_match, mut if_match) = (HeaderMap::new(), HeaderMap::new());
        for n in 0..count {
            let tag = HeaderValue::from_str(&format!("\"stale-{n}\"")).expect("a header value");
            none_match.append(header::IF_NONE_MATCH, tag.clone());
            if_match.append(header::IF_MATCH, tag);
        }
        cases.push(Case {
            group: "field-lines",
            name: "if-none-match/GET",
            method: Method::GET,
            headers: none_match,
            elements: count,
            expected: proceeds,
        });
        cases.push(Case {
            group: "field-lines",
            name: "if-match/PUT",
            method: Method::PUT,
            headers: if_match,
            elements: count,
            expected: refused,
        });
    }
    cases
}

fn run(case: &Case, resource: &Resource) -> Outcome {
    evaluate(
        black_box(&case.method),
        black_box(&case.headers),
        black_box(resource.clone()),
        Policy::new().require_precondition(true),
    )
    .outcome()
}

fn bench(c: &mut Criterion) {
    let resource = resource();
    let cases = cases();
    for case in &cases {
        let outcome = run(case, &resource);
        assert!(
            (case.expected)(&outcome),
            "{} {}: {outcome:?}",
            case.group,
            case.name
        );
    }
    for group_name in ["tags", "field-lines"] {
        let mut group = c.benchmark_group(format!("scaling/{group_name}"));
        for case in cases.iter().filter(|case| case.group == group_name) {
            group.throughput(Throughput::Elements(case.elements as u64));
            group.bench_with_input(
                BenchmarkId::new(case.name, case.elements),
                case,
                |b, case| b.iter(|| run(case, &resource)),
            );
        }
        group.finish();
    }
    // Not when criterion only lists or smoke-tests the benchmarks (`--list`, `--test`).
    let measuring = !std::env::args().any(|arg| arg == "--list" || arg == "--test");
    if measuring {
        print_linearity(&cases, &resource);
    }
}

/// Nanoseconds per evaluation: the best of five batches of about 50 ms each.
fn nanos_per_evaluation(case: &Case, resource: &Resource) -> f64 {
    let start = Instant::now();
    let mut calibration = 0u64;
    while start.elapsed() < Duration::from_millis(10) {
        let _ = black_box(run(case, resource));
        calibration += 1;
    }
    let per_batch = (calibration * 5).max(1);
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_batch {
                let _ = black_box(run(case, resource));
            }
            start.elapsed().as_nanos() as f64 / per_batch as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn print_linearity(cases: &[Case], resource: &Resource) {
    println!();
    println!(
        "time per element (flat = linear growth; best of 5 batches, separate from criterion):"
    );
    println!(
        "{:<12} {:<20} {:>8} {:>14} {:>14}",
        "group", "case", "n", "ns/evaluation", "ns/element"
    );
    for case in cases {
        let nanos = nanos_per_evaluation(case, resource);
        println!(
            "{:<12} {:<20} {:>8} {:>14.0} {:>14.2}",
            case.group,
            case.name,
            case.elements,
            nanos,
            nanos / case.elements as f64
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
