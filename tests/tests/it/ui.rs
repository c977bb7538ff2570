//! Compile-time behaviour of `#[conditional]`: pass cases and the error messages of misuse.
//!
//! The pass cases run on every compiler. The `.stderr` snapshots of the failures depend on
//! rustc's wording, so they are pinned to one stable release; after a toolchain bump,
//! regenerate them with `TRYBUILD=overwrite cargo test -p axum-conditional-tests --test it ui::`
//! and review the diff. trybuild builds each case as its own crate, so it needs no test binary
//! of its own: these two tests run in the crate's one binary.

#[test]
fn ui_pass() {
    trybuild::TestCases::new().pass("ui/pass/*.rs");
}

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the compile-fail snapshots are pinned to Rust 1.95's wording"
)]
#[test]
fn ui_fail() {
    trybuild::TestCases::new().compile_fail("ui/fail/*.rs");
}
