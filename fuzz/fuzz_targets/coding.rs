//! Arbitrary bytes as an `If-None-Match` line and an `Accept-Encoding` line, negotiated and
//! evaluated together (the pair that once cost quadratic work). The invariants are on
//! `axum_conditional_fuzz::check_coding`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    axum_conditional_fuzz::check_coding(bytes);
});
