//! What more than one test module of this crate starts: the service on a loopback port, the
//! example behind nginx, and a browser; and what a test does when a tool it runs is missing.

pub mod browser;
pub mod e2e;
pub mod nginx;
pub mod server;
