//! The end-to-end tests of the examples, as one test binary: a module per concern, over real
//! HTTP (and behind nginx, on PostgreSQL, in Chromium), and [`support`] for what several of them
//! start. `tests/metrics.rs` is a binary of its own: it reads the process's global metrics
//! recorder, which the tests here would add to.
//!
//! Run one concern with its module path: `cargo test -p axum-conditional-examples --test it
//! reliability::`.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any setup error")]

mod support;

mod attachments;
mod dates;
mod documents_http;
mod editor;
mod generations;
mod hostile;
mod nginx;
mod openapi;
mod postgres;
mod reliability;
mod retries;
