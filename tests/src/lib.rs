//! Integration tests of axum-conditional live in `tests/`. The library holds what they share
//! with the fuzz targets in `fuzz/`: the reference model of RFC 9110 §13.2.2.

pub mod model;
