#![deny(missing_docs)]
//! Rust types for the Go standard library values that real Go programs pass over `net/rpc`,
//! usable in any serde struct and with every netrpc codec.
//!
//! Go's gob sends a type that implements `GobEncoder` or `BinaryMarshaler` as a named opaque
//! type whose values are the marshaled bytes; Go's `encoding/json` writes the same types in
//! their own JSON forms. The types here speak both, byte for byte as Go does:
//!
//! | Go | Rust | gob (and other binary codecs) | JSON (jsonrpc) |
//! | --- | --- | --- | --- |
//! | `time.Time` | [`Time`] | `GobEncoder` `Time`: `MarshalBinary` version 1, or 2 when the offset has seconds | RFC 3339 with nanoseconds (`MarshalJSON`) |
//! | `time.Duration` | [`Duration`] | `int` (nanoseconds) | a number (nanoseconds) |
//! | `*big.Int` | [`BigInt`] | `GobEncoder` `Int` | a bare number, every digit |
//! | `*big.Float` | [`BigFloat`] | `GobEncoder` `Float`, bytes kept as they came | a string, `Text('g', -1)` |
//! | `*big.Rat` | [`BigRat`] | `GobEncoder` `Rat` | a string (`"1/3"`, `"5"`) |
//! | any other marshaler (`*url.URL`, `uuid.UUID`, ...) | [`Marshaled`] | kept as it came | `{"Type": ..., "Kind": ..., "Data": ...}` |
//! | `string` holding any bytes | [`ByteString`] | `string`, bytes kept | a string (each invalid UTF-8 byte as U+FFFD) |
//!
//! Decoding follows Go's decoders and fails with Go's error texts (see [`Error`]); nothing
//! decoded is trusted, and no input panics. Go's zero values come through as [`Default`]:
//! no marshaled bytes (a nil pointer, or a field Go left out) and, in JSON, `null` or `""`.
//!
//! ```
//! use rpc_gotypes::{BigInt, ByteString, Duration, Time};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Job {
//!     #[serde(rename = "Start")]
//!     start: Time,
//!     #[serde(rename = "Timeout")]
//!     timeout: Duration,
//!     #[serde(rename = "Budget")]
//!     budget: BigInt,
//!     #[serde(rename = "Label")]
//!     label: ByteString,
//! }
//!
//! let job = Job {
//!     start: "2024-03-15T12:30:45.5Z".parse()?,
//!     timeout: "1m30s".parse()?,
//!     budget: "1267650600228229401496703205376".parse()?,
//!     label: ByteString::from(b"caf\xe9".to_vec()),
//! };
//! // As Go's encoding/json writes it.
//! let json = serde_json::to_string(&job).unwrap();
//! assert_eq!(
//!     json,
//!     r#"{"Start":"2024-03-15T12:30:45.5Z","Timeout":90000000000,"Budget":1267650600228229401496703205376,"Label":"caf�"}"#
//! );
//! // Binary codecs get Go's marshaled bytes, and every byte of the label.
//! let bytes = postcard::to_allocvec(&job).unwrap();
//! assert_eq!(postcard::from_bytes::<Job>(&bytes).unwrap(), job);
//! # Ok::<(), rpc_gotypes::Error>(())
//! ```
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
//! codec can hand over a marshaler value's name, kind and bytes; the struct may come as a map
//! or a sequence, with fields missing, and `Data` as bytes, a string or a sequence of `u8`.
//! Empty `Data` is the type's Go zero value. [`Time`], [`BigInt`], [`BigFloat`] and
//! [`BigRat`] read the bytes whatever kind and name came with them.
//!
//! A [`ByteString`] is a newtype struct named [`marker::STRING`] wrapping its bytes
//! (`serialize_bytes`): gob writes a Go `string` with exactly those bytes.
//!
//! Human-readable serializers (JSON) see each type's JSON form instead. A [`BigInt`] beyond
//! 64 bits is written through serde_json's raw-value protocol (serde_json's `raw_value`
//! feature, which the netrpc workspace enables), so that the number keeps every digit without
//! this crate depending on serde_json; see [`BigInt`]'s `Serialize` for what other
//! serializers see.
//!
//! # Features
//!
//! - `chrono`: conversions between [`Time`] and chrono's `DateTime<FixedOffset>` and
//!   `DateTime<Utc>`. Without it, times still format and parse (the calendar math is here).

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
mod big_rat;
mod byte_string;
mod civil;
mod duration;
mod error;
mod float_text;
mod go_scan;
mod kind;
mod marshal;
mod marshaled;
mod raw_json;
mod rfc3339;
mod time;

pub use big_float::{Accuracy, BigFloat, FloatForm, RoundingMode};
pub use big_int::BigInt;
pub use big_rat::BigRat;
pub use byte_string::ByteString;
pub use duration::Duration;
pub use error::Error;
pub use kind::MarshalerKind;
pub use marshaled::Marshaled;
pub use time::Time;
