//! What more than one test module of this crate starts: the service on a loopback port, the
//! example behind nginx, and a browser.

pub mod browser;
pub mod nginx;
pub mod server;
