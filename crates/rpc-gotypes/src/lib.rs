#![deny(missing_docs)]
//! Rust types for the Go standard library values that real Go programs pass over `net/rpc`,
//! usable in any serde struct and with every netrpc codec.
//!
//! Go's gob sends a type that implements `GobEncoder` or `BinaryMarshaler` as a named opaque
//! type whose values are the marshaled bytes; Go's `encoding/json` writes the same types in
//! their own JSON forms. The types here speak both:
//!
//! | Go | Rust | gob (and other binary codecs) | JSON (jsonrpc) |
//! | --- | --- | --- | --- |
//! | `time.Time` | [`Time`] | `GobEncoder` `Time`, `MarshalBinary` format 1 or 2 | RFC 3339 with nanoseconds |
//! | `time.Duration` | [`Duration`] | `int` (nanoseconds) | a number (nanoseconds) |
//! | `*big.Int` | [`BigInt`] | `GobEncoder` `Int` | a bare number |
//! | `*big.Float` | [`BigFloat`] | `GobEncoder` `Float` | a string |
//! | `*big.Rat` | [`BigRat`] | `GobEncoder` `Rat` | a string (`"1/3"`) |
//! | any other marshaler (`*url.URL`, `uuid.UUID`, ...) | [`Marshaled`] | kept as it came | `{"Type": ..., "Data": ...}` |
//! | `string` holding any bytes | [`ByteString`] | `string`, bytes kept | a string (invalid UTF-8 as U+FFFD) |
//!
//! # How a codec sees them (the marker protocol)
//!
//! A serializer that is not human-readable (gob, postcard, protobuf) sees a marshaler value as
//! a newtype struct named [`marker::MARSHALER`] wrapping a struct named
//! [`marker::MARSHALED_STRUCT`] with the fields `Kind` (`u8`: 0 `GobEncoder`, 1
//! `BinaryMarshaler`, 2 `TextMarshaler`, see [`MarshalerKind`]), `Name` (the Go type's name as
//! gob carries it, such as `Time`) and `Data` (the marshaled bytes, `serialize_bytes`). The gob
//! codec recognizes the newtype's name and writes Go's marshaler wire type; every other binary
//! codec stores the struct as it is. Deserializers are asked for the same newtype, so the gob
//! codec can hand over a marshaler value's name, kind and bytes.
//!
//! A [`ByteString`] is a newtype struct named [`marker::STRING`] wrapping its bytes
//! (`serialize_bytes`): gob writes a Go `string` with exactly those bytes.
//!
//! Human-readable serializers (JSON) see each type's JSON form instead.

pub mod marker {
    //! The serde names by which codecs recognize these types (see the [crate docs](crate)).

    /// The newtype struct wrapping a marshaler value ([`MARSHALED_STRUCT`]).
    pub const MARSHALER: &str = "\0go::marshaler";
    /// The struct of a marshaler value: `Kind` (`u8`), `Name` (string), `Data` (bytes).
    pub const MARSHALED_STRUCT: &str = "\0go::Marshaled";
    /// The fields of [`MARSHALED_STRUCT`], in order.
    pub const MARSHALED_FIELDS: &[&str] = &["Kind", "Name", "Data"];
    /// The newtype struct wrapping the bytes of a Go `string` that may not be UTF-8.
    pub const STRING: &str = "\0go::string";
}

mod big_float;
mod big_int;
mod civil;
mod duration;
mod error;
mod float_text;
mod go_scan;
mod kind;
mod marshal;
mod raw_json;
mod rfc3339;
mod time;

pub use big_float::{Accuracy, BigFloat, FloatForm, RoundingMode};
pub use big_int::BigInt;
pub use duration::Duration;
pub use error::Error;
pub use kind::MarshalerKind;
pub use time::Time;
