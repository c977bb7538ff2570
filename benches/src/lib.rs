//! Benchmarks of axum-conditional: `cargo bench -p axum-conditional-benches`. The figures and
//! how to reproduce them are in `BENCHMARKS.md`.
