//! The tools the end-to-end tests run besides Rust: nginx, PostgreSQL, Go, Chromium and
//! chromedriver, `prlimit`, the OpenAPI validator. `scripts/test.sh` installs them. On a
//! machine without one, its tests say `SKIPPED` on stderr and pass, so the rest can still be
//! run; under `REQUIRE_E2E=1` (as `.ci/run` sets it) they fail instead, because in CI a missing
//! tool is an install step that failed, not a test that may be left out.

/// The environment variable that turns a missing tool into a failure when it is `1`.
pub const REQUIRE_E2E: &str = "REQUIRE_E2E";

/// A test cannot run because a tool is missing; `why` says which, and how to install it. Fails
/// the test under `REQUIRE_E2E=1`; otherwise says `SKIPPED: {why}` on stderr and returns, and
/// the caller returns too.
#[track_caller]
pub fn missing(why: &str) {
    skip_or_fail(required(std::env::var(REQUIRE_E2E).ok().as_deref()), why);
}

/// Whether the variable's value asks for every tool: exactly `1`, as `.ci/run` sets it.
fn required(value: Option<&str>) -> bool {
    value == Some("1")
}

#[track_caller]
fn skip_or_fail(required: bool, why: &str) {
    assert!(!required, "{REQUIRE_E2E}=1, and {why}");
    eprintln!("SKIPPED: {why}");
}

#[test]
fn only_require_e2e_1_requires_every_tool() {
    assert!(required(Some("1")));
    for value in [None, Some(""), Some("0"), Some("true"), Some(" 1")] {
        assert!(!required(value), "{value:?}");
    }
}

#[test]
#[should_panic(expected = "REQUIRE_E2E=1, and nginx not installed")]
fn a_missing_tool_fails_the_test_when_required() {
    skip_or_fail(true, "nginx not installed");
}

#[test]
fn a_missing_tool_skips_the_test_when_not_required() {
    skip_or_fail(false, "nginx not installed");
}
