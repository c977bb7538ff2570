//! The integration tests of axum-conditional, as one test binary (one link, one `cargo test`
//! target): a module per concern, and [`support`] for what several of them share.
//!
//! Run one concern with its module path: `cargo test -p axum-conditional-tests --test it
//! ranges::`.

mod support;

mod alloc;
mod attribute;
mod attribute_conformance;
mod compression;
mod conformance;
mod existence;
mod faults;
mod gates;
mod hostile;
mod instrument;
mod layers;
mod linger;
mod model;
mod observe;
mod openapi;
mod parsers;
mod ranges;
mod ranges_parser;
mod responses;
mod responses_cache;
mod ui;
