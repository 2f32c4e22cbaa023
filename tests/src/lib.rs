//! Harness for netrpc's end-to-end suite: the codecs and transports of the matrix, a server
//! started on a fresh address for each test, and services whose calls the test controls (they
//! block until released, hang until cancelled, and report when they are dropped).
//!
//! The scenarios live in `tests/engine.rs`; each runs once for every codec × transport pair.
#![deny(missing_docs)]

mod harness;
mod services;

pub use harness::{CodecKind, Harness, TransportKind, raw_requests};
pub use services::{Gates, Probe, TestService, Tracked, Whoami};
