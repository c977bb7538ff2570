//! The runner the `handler` and `refused_write` benches share.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Instant;

use axum_conditional_benches::report::{self, Estimate};
use axum_conditional_benches::scenario::Scenario;
use criterion::Criterion;
use tokio::runtime::Runtime;

/// What one scenario measured in this run.
pub struct Measured {
    /// Heap allocations of one request, counted after a warm-up request.
    pub allocations: usize,
    /// Criterion's median time per request.
    pub median: Estimate,
}

/// Runs every scenario as a criterion benchmark of `group`, each request through
/// `Scenario::run`, and returns what each scenario that ran measured (a criterion filter on
/// the command line may skip some), by scenario name.
pub fn run(group: &str, runtime: &Runtime, scenarios: &[Scenario]) -> Vec<(String, Measured)> {
    let mut criterion = Criterion::default().configure_from_args();
    let ran = RefCell::new(Vec::new());
    let mut allocations = Vec::new();
    {
        let mut benchmarks = criterion.benchmark_group(group);
        for scenario in scenarios {
            // Once to warm up (lazy statics, first-use allocations), once to count.
            runtime.block_on(scenario.run());
            let (count, _) = report::allocations(|| runtime.block_on(scenario.run()));
            allocations.push((scenario.name.clone(), count));
            benchmarks.bench_function(scenario.name.as_str(), |b| {
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
        benchmarks.finish();
    }
    criterion.final_summary();
    let ran = ran.into_inner();
    allocations
        .into_iter()
        .filter(|(name, _)| ran.contains(name))
        .filter_map(|(name, allocations)| {
            let median = report::median(group, &name)?;
            Some((
                name,
                Measured {
                    allocations,
                    median,
                },
            ))
        })
        .collect()
}

/// The measurement of scenario `name`, if it ran.
pub fn find<'a>(measured: &'a [(String, Measured)], name: &str) -> Option<&'a Measured> {
    measured.iter().find(|(n, _)| n == name).map(|(_, m)| m)
}
