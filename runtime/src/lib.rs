//! RFC 9110 conditional requests for axum.

mod date;

pub use date::LastModified;
