//! What more than one test binary of this crate starts: each uses part of it.

#![allow(dead_code, reason = "each test binary uses a part of the harness")]

pub mod browser;
pub mod nginx;
