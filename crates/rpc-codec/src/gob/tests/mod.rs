//! The gob format and codec end to end: round trips, Go's rules, hostile input, Go's own bytes
//! (testdata/gob) and Go reading ours.

mod corpus;
mod format;
mod go;
mod hint;
mod marker;
mod rpc;
