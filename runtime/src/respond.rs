//! The response wrapper of handlers rewritten by `#[conditional]`.

/// Placeholder until the attribute lands.
#[derive(Debug)]
pub struct Conditional<R>(pub R);
