//! Runnable examples of axum-conditional live in `examples/`.
