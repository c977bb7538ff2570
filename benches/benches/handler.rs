//! Item 2 of `BENCHMARKS.md`: the same handler serving a 64 KiB JSON document, (a) plain axum,
//! (b) with `#[conditional]`, (c) plain axum behind a body-hashing `ETag` middleware (FNV-1a
//! and XXH3), on the 200 path and the 304 path, each request sent through a real `Router` with
//! `tower::ServiceExt::oneshot` and its body read to the end.
//!
//! `cargo bench -p axum-conditional-benches --bench handler -- --warm-up-time 1 --measurement-time 3`
//!
//! After criterion's lines it prints the allocations per request and a table of medians and
//! ratios, all from this run.

mod common;

use axum_conditional_benches::report::{self, Counting};
use axum_conditional_benches::scenario::{self, Scenario};
use common::Measured;

#[global_allocator]
static GLOBAL: Counting = Counting;

const GROUP: &str = "handler";

fn main() {
    let runtime = scenario::runtime();
    let scenarios = runtime.block_on(scenario::handler_scenarios());
    let measured = common::run(GROUP, &runtime, &scenarios);
    summary(&scenarios, &measured);
}

/// The table of BENCHMARKS.md's item 2, for the scenarios that ran.
fn summary(scenarios: &[Scenario], measured: &[(String, Measured)]) {
    let median = |name: &str| common::find(measured, name).map(|m| m.median);
    println!("\n{GROUP}: median per request (95% CI), heap allocations per request");
    for scenario in scenarios {
        if let Some(Measured {
            allocations,
            median: m,
        }) = common::find(measured, &scenario.name)
        {
            println!(
                "  {:<26} {:>12}  [{} .. {}]  {:>4} allocations  → {}",
                scenario.name,
                report::human(m.point),
                report::human(m.lower),
                report::human(m.upper),
                allocations,
                scenario.expected_status().as_u16(),
            );
        }
    }
    println!("\n{GROUP}: ratios of medians (same run)");
    let ratio = |label: &str, numerator: &str, denominator: &str| {
        if let (Some(n), Some(d)) = (median(numerator), median(denominator)) {
            println!(
                "  {label:<58} {:>7.3}   ({numerator} / {denominator})",
                n.point / d.point
            );
        }
    };
    ratio(
        "200: (b) conditional / (a) plain   [goal ≤ 1.05]",
        "200/conditional",
        "200/plain",
    );
    for hash in ["fnv1a", "xxh3"] {
        ratio(
            &format!("200: (c) body-hash-{hash} / (b) conditional"),
            &format!("200/body-hash-{hash}"),
            "200/conditional",
        );
    }
    for hash in ["fnv1a", "xxh3"] {
        ratio(
            &format!("304: (c) body-hash-{hash} / (b) conditional   [goal ≥ 5]"),
            &format!("304/body-hash-{hash}"),
            "304/conditional",
        );
    }
    ratio(
        "revalidation: (a) plain, answers 200 / (b) conditional, 304",
        "304/plain",
        "304/conditional",
    );
}
