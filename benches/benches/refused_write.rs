//! Item 3 of `BENCHMARKS.md`: a `PUT` with a stale `If-Match` and a 1 MiB JSON body, refused
//! with the same 412 by `#[conditional]` before the body extractor runs (`412/deferred`) and by
//! the same check in a handler whose `Json` extractor parsed the body first
//! (`412/parsed-first`), each request sent through a real `Router` with
//! `tower::ServiceExt::oneshot`.
//!
//! `cargo bench -p axum-conditional-benches --bench refused_write -- --warm-up-time 1 --measurement-time 3`
//!
//! After criterion's lines it prints the allocations per request and the ratio, from this run.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Instant;

use axum_conditional_benches::report::{self, Counting};
use axum_conditional_benches::scenario;
use criterion::Criterion;

#[global_allocator]
static GLOBAL: Counting = Counting;

const GROUP: &str = "refused_write";

fn main() {
    let runtime = scenario::runtime();
    let scenarios = scenario::refused_write_scenarios();
    let mut criterion = Criterion::default().configure_from_args();
    let ran = RefCell::new(Vec::new());
    let mut allocations = Vec::new();
    {
        let mut group = criterion.benchmark_group(GROUP);
        for scenario in &scenarios {
            runtime.block_on(scenario.run());
            let (count, _) = report::allocations(|| runtime.block_on(scenario.run()));
            allocations.push((scenario.name.clone(), count));
            group.bench_function(scenario.name.as_str(), |b| {
                ran.borrow_mut().push(scenario.name.clone());
                b.iter_custom(|iters| {
                    runtime.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            black_box(scenario.run().await);
                        }
                        start.elapsed()
                    })
                })
            });
        }
        group.finish();
    }
    criterion.final_summary();

    let ran = ran.borrow();
    let median = |name: &str| {
        ran.iter()
            .any(|r| r == name)
            .then(|| report::median(GROUP, name))
            .flatten()
    };
    println!("\n{GROUP}: median per request (95% CI), heap allocations per request");
    for (name, count) in &allocations {
        if let Some(m) = median(name) {
            println!(
                "  {name:<20} {:>12}  [{} .. {}]  {count:>6} allocations",
                report::human(m.point),
                report::human(m.lower),
                report::human(m.upper),
            );
        }
    }
    if let (Some(parsed), Some(deferred)) = (median("412/parsed-first"), median("412/deferred")) {
        println!(
            "\n{GROUP}: parsed-first / deferred = {:.0}× (ratio of medians, same run)",
            parsed.point / deferred.point
        );
    }
}
