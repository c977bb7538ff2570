//! Arbitrary bytes as one `If-Match` / `If-None-Match` field line, through `list::Members`.
//! The invariants are on `axum_conditional_fuzz::check_tag_list`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    axum_conditional_fuzz::check_tag_list(line);
});
