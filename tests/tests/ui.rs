//! Compile-time behaviour of `#[conditional]`: pass cases and the error messages of misuse.
//!
//! The `.stderr` snapshots depend on rustc's wording, so they are pinned to one stable release.
//! After a toolchain bump, regenerate them with `TRYBUILD=overwrite cargo test --test ui` and
//! review the diff.

#[rustversion::attr(not(stable(1.95)), ignore = "ui snapshots are pinned to Rust 1.95")]
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
