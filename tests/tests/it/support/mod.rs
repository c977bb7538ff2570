//! What the test modules share: requests through `oneshot`, answers read whole, and a server on
//! a loopback port.

pub mod http;
pub mod server;
