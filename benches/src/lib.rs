//! Benchmarks of axum-conditional: `cargo bench -p axum-conditional-benches`. The figures and
//! how to reproduce them are in `BENCHMARKS.md`.
//!
//! This library holds what the benches share with the instruction-count driver
//! (`src/bin/instructions.rs`, run under `valgrind --tool=callgrind`) and with the plain-axum
//! HTTP target of `scripts/load.sh` (`src/bin/plain-documents.rs`): the 64 KiB document, the
//! three ways of serving it, and the two ways of refusing a stale write.

pub mod document;
pub mod etag_middleware;
pub mod evaluator;
pub mod handler;
pub mod refused_write;
pub mod report;
pub mod scenario;
