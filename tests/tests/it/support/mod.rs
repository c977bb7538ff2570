//! What the test modules share: requests through `oneshot`, answers read whole, a server on a
//! loopback port, and the one `tracing` subscriber that hands each test its own events.

pub mod events;
pub mod http;
pub mod server;
