//! Instructions per evaluation of the `evaluator` bench's cases (`benches/evaluator.rs`), for
//! this crate's `evaluate` and for the same evaluation on the `headers` crate, counted by
//! `valgrind --tool=callgrind`: a count, unlike a time, does not depend on what else the machine
//! is doing, so the ratio is the same on a loaded CI machine as on an idle one.
//!
//! ```text
//! cargo build --release -p axum-conditional-benches --bin evaluator-instructions
//! target/release/evaluator-instructions                 # every case, both sides, then ratios
//! target/release/evaluator-instructions ours 304/one-tag 1000   # what callgrind runs
//! ```
//!
//! Each (side, case) runs in its own process under callgrind with collection off except inside
//! `measured`, which evaluates the case `n` times; the count is divided by `n`. Our side is
//! handed the resource by value, as `evaluate` takes it: a clone of the bench's resource per
//! evaluation (a reference count: its tag's bytes are shared), counted with it.

use std::hint::black_box;
use std::process::{Command, ExitCode};

use axum_conditional::{Policy, evaluate};
use axum_conditional_benches::evaluator::{Case, Subject, cases, headers_crate, status_of};

/// Evaluations per process: the per-evaluation count is then stable to well under 0.1%.
const N: u64 = 20_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let subject = Subject::new();
    let cases = cases(&subject);
    match args.as_slice() {
        [side, name, count] => {
            let Some(case) = cases.iter().find(|case| case.name == name) else {
                eprintln!("no case {name:?}");
                return ExitCode::from(2);
            };
            let Ok(count) = count.parse::<u64>() else {
                eprintln!("not a count: {count:?}");
                return ExitCode::from(2);
            };
            let ours = match side.as_str() {
                "ours" => true,
                "headers" => false,
                other => {
                    eprintln!("no side {other:?}: ours or headers");
                    return ExitCode::from(2);
                }
            };
            // Warm: the first clone of a tag makes its bytes shared, once.
            run(ours, case, &subject, 3);
            measured(ours, case, &subject, count);
            ExitCode::SUCCESS
        }
        [] => match counts(&cases) {
            Ok(counts) => {
                report(&counts);
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("{error}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: evaluator-instructions [ours|headers CASE COUNT]");
            ExitCode::from(2)
        }
    }
}

fn run(ours: bool, case: &Case, subject: &Subject, count: u64) -> u16 {
    let mut last = 0;
    for _ in 0..count {
        last = if ours {
            status_of(
                evaluate(
                    black_box(&case.method),
                    black_box(&case.headers),
                    black_box(subject.ours.clone()),
                    Policy::new(),
                )
                .outcome(),
            )
        } else {
            headers_crate(
                black_box(&case.method),
                black_box(&case.headers),
                black_box(&subject.etag),
                subject.modified,
            )
        };
        black_box(last);
    }
    last
}

/// The only function callgrind collects in (`--toggle-collect`).
#[inline(never)]
fn measured(ours: bool, case: &Case, subject: &Subject, count: u64) {
    let status = run(ours, case, subject, count);
    assert_eq!(status, case.status, "{}", case.name);
}

/// Per case: (name, ours, headers), instructions per evaluation.
pub type Counts = Vec<(&'static str, f64, f64)>;

/// Every case on both sides, under callgrind.
fn counts(cases: &[Case]) -> Result<Counts, String> {
    let me = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    let mut counts = Vec::new();
    for case in cases {
        let mut pair = [0.0; 2];
        for (slot, side) in pair.iter_mut().zip(["ours", "headers"]) {
            let output = Command::new("valgrind")
                .args([
                    "--tool=callgrind",
                    "--callgrind-out-file=/dev/null",
                    "--collect-atstart=no",
                    "--toggle-collect=*evaluator_instructions*measured*",
                ])
                .arg(&me)
                .args([side, case.name, &N.to_string()])
                .output()
                .map_err(|e| format!("cannot run valgrind ({e}); apt-get install -y valgrind"))?;
            let stderr = String::from_utf8_lossy(&output.stderr);
            if !output.status.success() {
                return Err(format!("{side} {}: {stderr}", case.name));
            }
            let total = stderr
                .lines()
                .find_map(|line| line.split_once("Collected :").map(|(_, n)| n.trim()))
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| format!("no `Collected :` line from callgrind:\n{stderr}"))?;
            *slot = total as f64 / N as f64;
        }
        counts.push((case.name, pair[0], pair[1]));
    }
    Ok(counts)
}

fn report(counts: &Counts) {
    println!(
        "instructions per evaluation (valgrind --tool=callgrind, {N} evaluations per process)"
    );
    println!(
        "  {:<24} {:>16} {:>10} {:>20}",
        "case", "axum-conditional", "headers", "headers / ours"
    );
    for (name, ours, theirs) in counts {
        println!(
            "  {name:<24} {ours:>16.1} {theirs:>10.1} {:>20.2}",
            theirs / ours
        );
    }
    // The lines `scripts/budgets.sh` reads: `budget <name> <ratio>`, our count over the
    // baseline's from the same run (a ratio holds across machines whose libc picks another
    // `memcmp`, where an absolute count would not).
    for (name, ours, theirs) in counts {
        println!("budget evaluate/{name} {:.4}", ours / theirs);
    }
}
