//! The evaluator against the same RFC 9110 evaluation written on the `headers` crate's typed
//! headers, with heap allocations counted per call. The cases and the baseline are in the
//! library (`axum_conditional_benches::evaluator`), where a unit test checks under `cargo test`
//! that both sides reach the status each case states; the bench checks it again before timing.

use std::hint::black_box;

use axum_conditional::{Policy, evaluate};
use axum_conditional_benches::evaluator::{Subject, cases, disagreements, headers_crate};
use axum_conditional_benches::report::{self, Counting};
use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many heap allocations `f` makes.
fn allocations(f: impl FnOnce()) -> usize {
    report::allocations(f).0
}

fn bench(c: &mut Criterion) {
    let subject = Subject::new();
    let cases = cases(&subject);
    // "The same evaluation" is checked, not claimed: a case on which either side answers
    // another status than the one RFC 9110 gives it stops the bench before anything is timed.
    let failures = disagreements(&cases, &subject);
    assert!(
        failures.is_empty(),
        "the two evaluations disagree:\n{}",
        failures.join("\n")
    );

    let mut group = c.benchmark_group("evaluate");
    for case in &cases {
        let (name, method, headers) = (case.name, &case.method, &case.headers);
        let ours_allocs = allocations(|| {
            let _ = black_box(evaluate(
                method,
                headers,
                subject.ours.clone(),
                Policy::new(),
            ));
        });
        let theirs_allocs = allocations(|| {
            black_box(headers_crate(
                method,
                headers,
                &subject.etag,
                subject.modified,
            ));
        });
        println!(
            "{name}: heap allocations per evaluation: axum-conditional {ours_allocs}, headers {theirs_allocs}"
        );
        group.bench_function(format!("axum-conditional/{name}"), |b| {
            b.iter(|| {
                evaluate(
                    black_box(method),
                    black_box(headers),
                    black_box(subject.ours.clone()),
                    Policy::new(),
                )
            })
        });
        group.bench_function(format!("headers/{name}"), |b| {
            b.iter(|| {
                headers_crate(
                    black_box(method),
                    black_box(headers),
                    black_box(&subject.etag),
                    subject.modified,
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
