//! Instructions per request of the scenarios of `benches/handler.rs` and
//! `benches/refused_write.rs`, counted by `valgrind --tool=callgrind`: unlike time, the count
//! does not depend on what else the machine is doing, so small differences (the 5% goal of
//! item 2) can be told apart on a shared, noisy machine.
//!
//! ```text
//! cargo build --release -p axum-conditional-benches --bin instructions
//! target/release/instructions                 # every scenario under callgrind, then the ratios
//! target/release/instructions 200/plain 300   # one scenario, 300 requests (what callgrind runs)
//! target/release/instructions --list
//! ```
//!
//! Each scenario runs in its own process under callgrind with collection off, except inside
//! [`measured`], which sends the request `n` times after a few warm-up requests; the count is
//! divided by `n`. It includes building the request, routing, the handler, the response and
//! reading its body, as the criterion benches time.

use std::process::{Command, ExitCode};

use axum_conditional_benches::scenario::{self, Scenario};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = scenario::runtime();
    let mut scenarios = runtime.block_on(scenario::handler_scenarios());
    scenarios.extend(scenario::refused_write_scenarios());
    match args.as_slice() {
        [flag] if flag == "--list" => {
            for scenario in &scenarios {
                println!("{}", scenario.name);
            }
            ExitCode::SUCCESS
        }
        [name, count] => {
            let Some(scenario) = scenarios.iter().find(|s| s.name == *name) else {
                eprintln!("no scenario {name:?}; see --list");
                return ExitCode::from(2);
            };
            let Ok(count) = count.parse::<u64>() else {
                eprintln!("not a request count: {count:?}");
                return ExitCode::from(2);
            };
            for _ in 0..3 {
                runtime.block_on(scenario.run());
            }
            measured(&runtime, scenario, count);
            ExitCode::SUCCESS
        }
        [] => under_callgrind(&scenarios),
        _ => {
            eprintln!("usage: instructions [--list | SCENARIO COUNT]");
            ExitCode::from(2)
        }
    }
}

/// The only function callgrind collects in (`--toggle-collect`).
#[inline(never)]
fn measured(runtime: &tokio::runtime::Runtime, scenario: &Scenario, count: u64) {
    runtime.block_on(async {
        for _ in 0..count {
            std::hint::black_box(scenario.run().await);
        }
    });
}

/// How many requests each scenario sends under callgrind: enough that the per-request count is
/// stable to well under 0.1%, few enough that the slow (1 MiB parse) ones take seconds.
fn count_for(scenario: &Scenario) -> u64 {
    if scenario.name.starts_with("412/parsed-first") {
        10
    } else if scenario.name.starts_with("304/conditional") || scenario.name == "412/deferred" {
        2000
    } else {
        100
    }
}

fn under_callgrind(scenarios: &[Scenario]) -> ExitCode {
    let Ok(me) = std::env::current_exe() else {
        eprintln!("cannot find this program's path");
        return ExitCode::FAILURE;
    };
    let mut counts = Vec::new();
    println!("instructions per request (valgrind --tool=callgrind, collected in `measured` only)");
    for scenario in scenarios {
        let n = count_for(scenario);
        let output = Command::new("valgrind")
            .args([
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                "--collect-atstart=no",
                "--toggle-collect=*instructions*measured*",
            ])
            .arg(&me)
            .args([scenario.name.as_str(), &n.to_string()])
            .output();
        let output = match output {
            Ok(output) if output.status.success() => output,
            Ok(output) => {
                eprintln!("{}", String::from_utf8_lossy(&output.stderr));
                return ExitCode::FAILURE;
            }
            Err(error) => {
                eprintln!("cannot run valgrind ({error}); install it: apt-get install -y valgrind");
                return ExitCode::FAILURE;
            }
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        let Some(total) = stderr
            .lines()
            .find_map(|line| line.split_once("Collected :").map(|(_, n)| n.trim()))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            eprintln!("no `Collected :` line from callgrind:\n{stderr}");
            return ExitCode::FAILURE;
        };
        let per_request = total as f64 / n as f64;
        println!(
            "  {:<26} {:>14.0}   ({total} over {n} requests)",
            scenario.name, per_request
        );
        counts.push((scenario.name.clone(), per_request));
    }
    let of = |name: &str| counts.iter().find(|(n, _)| n == name).map(|(_, c)| *c);
    println!("\nratios of instruction counts");
    for (label, numerator, denominator) in [
        (
            "200: (b) conditional / (a) plain   [goal ≤ 1.05]",
            "200/conditional",
            "200/plain",
        ),
        (
            "200: (c) body-hash-fnv1a / (b) conditional",
            "200/body-hash-fnv1a",
            "200/conditional",
        ),
        (
            "200: (c) body-hash-xxh3 / (b) conditional",
            "200/body-hash-xxh3",
            "200/conditional",
        ),
        (
            "304: (c) body-hash-fnv1a / (b) conditional   [goal ≥ 5]",
            "304/body-hash-fnv1a",
            "304/conditional",
        ),
        (
            "304: (c) body-hash-xxh3 / (b) conditional   [goal ≥ 5]",
            "304/body-hash-xxh3",
            "304/conditional",
        ),
        (
            "revalidation: (a) plain, answers 200 / (b) conditional, 304",
            "304/plain",
            "304/conditional",
        ),
        (
            "412: parsed-first / deferred",
            "412/parsed-first",
            "412/deferred",
        ),
    ] {
        if let (Some(n), Some(d)) = (of(numerator), of(denominator)) {
            println!("  {label:<62} {:>9.3}", n / d);
        }
    }
    ExitCode::SUCCESS
}
