//! A structured request (method, field lines of the six fields, biased towards their syntax), a
//! resource state and a policy, through `evaluate` and `Preconditions::evaluate`, against the
//! reference model. The invariants are on `axum_conditional_fuzz::check_evaluator`.
#![no_main]

use axum_conditional_fuzz::EvaluatorInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: EvaluatorInput| {
    axum_conditional_fuzz::check_evaluator(&input);
});
