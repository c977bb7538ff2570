//! Item 3 of `BENCHMARKS.md`: a `PUT` with a stale `If-Match` and a 1 MiB JSON body, refused
//! with the same 412 by `#[conditional]` before the body extractor runs (`412/deferred`) and by
//! the same check in a handler whose `Json` extractor parsed the body first
//! (`412/parsed-first`), each request sent through a real `Router` with
//! `tower::ServiceExt::oneshot`.
//!
//! `cargo bench -p axum-conditional-benches --bench refused_write -- --warm-up-time 1 --measurement-time 3`
//!
//! After criterion's lines it prints the allocations per request and the ratio, from this run.

mod common;

use axum_conditional_benches::report::{self, Counting};
use axum_conditional_benches::scenario;

#[global_allocator]
static GLOBAL: Counting = Counting;

const GROUP: &str = "refused_write";

fn main() {
    let runtime = scenario::runtime();
    let scenarios = scenario::refused_write_scenarios();
    let measured = common::run(GROUP, &runtime, &scenarios);
    let median = |name: &str| common::find(&measured, name).map(|m| m.median);
    println!("\n{GROUP}: median per request (95% CI), heap allocations per request");
    for (name, m) in &measured {
        println!(
            "  {name:<20} {:>12}  [{} .. {}]  {:>6} allocations",
            report::human(m.median.point),
            report::human(m.median.lower),
            report::human(m.median.upper),
            m.allocations,
        );
    }
    if let (Some(parsed), Some(deferred)) = (median("412/parsed-first"), median("412/deferred")) {
        println!(
            "\n{GROUP}: parsed-first / deferred = {:.0}× (ratio of medians, same run)",
            parsed.point / deferred.point
        );
    }
}
