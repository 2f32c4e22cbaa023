//! Fuzz targets for netrpc: bytes in, and the code under test must answer, reject or close —
//! never panic, hang or allocate without bound.
//!
//! Each [`Target`] takes arbitrary bytes. Decoder targets feed them to one codec's decoder (in
//! chunks whose size the first byte picks, so message boundaries fall everywhere) and decode every
//! body they yield into several types (`gob_values`: into Go's time, math/big, marshaler,
//! byte-string and interface types from [`netrpc::go`], and into JSON); engine targets feed them
//! to a real [`netrpc::Server`] connection and wait until it closes; the yamux target feeds them
//! to rpc-yamux's I/O-free session core under a clock it moves.
//!
//! Both drivers also hold each target to an allocation bound ([`Target::alloc_bound`]), counted
//! by [`alloc::Counting`] as their global allocator: a decoder that reserves memory for a count
//! it has not checked fails the run even when the machine has the memory.
//!
//! Two drivers run them: the `netrpc-fuzz` binary (stable Rust, a mutation fuzzer over the
//! seeds in [`seeds`] and `fuzz/corpus/<target>/`, for as long as you like) and this crate's test
//! (a fixed number of deterministic mutations per target, run by CI). Inputs that once crashed a
//! target live in `fuzz/regressions/<target>/` and are replayed by the test.
#![deny(missing_docs)]

pub mod alloc;
mod mutate;
mod seeds;
mod targets;
mod yamux;

pub use mutate::Mutator;
pub use seeds::seeds;
pub use targets::Target;
