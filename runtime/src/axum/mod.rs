//! The axum integration: what a handler rewritten by `#[conditional]` runs, on the RFC core.
//!
//! [`private`] is what the macro's code names: it extracts, evaluates through [`respond`] (the
//! one place that decides, for a request, whether to answer early or run the handler, and that
//! finishes the handler's response, where the outcome is recorded), with the route's settings
//! ([`route`]), swallows the unread body of a refusal ([`linger`]), and serves ranges
//! ([`ranged`]). [`extract`] holds the extractor and response-part impls of the
//! core's types. Outcomes are recorded through `crate::observe`.

pub(crate) mod applied;
pub(crate) mod extract;
#[cfg(test)]
mod generation_tests;
pub(crate) mod linger;
pub mod private;
pub(crate) mod ranged;
pub(crate) mod respond;
pub(crate) mod route;

pub use linger::Linger;
pub use ranged::{FileSource, READ_CHUNK, RangeSource, Ranged};
pub use respond::{ConditionalResponse, Evaluation};
