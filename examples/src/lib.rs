//! Runnable examples of axum-conditional, and the pieces their tests start in-process.

pub mod documents;
