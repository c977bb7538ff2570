//! Integration tests of axum-conditional live in `tests/`.
