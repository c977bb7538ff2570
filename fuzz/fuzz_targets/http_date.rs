//! Arbitrary bytes through `LastModified::parse` and `FromStr` (the HTTP-date parser) and back
//! through the formatter. The invariants are on `axum_conditional_fuzz::check_http_date`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    axum_conditional_fuzz::check_http_date(bytes);
});
