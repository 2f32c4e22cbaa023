//! The crate's error type.
//!
//! Where Go fails on the same input, the message is Go's own text (for example
//! `Time.UnmarshalBinary: unsupported version`), so a log line reads the same on both sides.

use thiserror::Error;

/// Why a Go value could not be decoded, encoded, parsed or converted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// Go's `Time.UnmarshalBinary` was given no bytes.
    #[error("Time.UnmarshalBinary: no data")]
    TimeNoData,
    /// The first byte of a marshaled time is not version 1 or 2.
    #[error("Time.UnmarshalBinary: unsupported version")]
    TimeVersion,
    /// A marshaled time is not 15 bytes (version 1) or 16 bytes (version 2) long.
    #[error("Time.UnmarshalBinary: invalid length")]
    TimeLength,
    /// The zone offset cannot be marshaled: its whole minutes are -1 or do not fit 16 bits.
    #[error("Time.MarshalBinary: unexpected zone offset")]
    TimeZoneOffset,
    /// A time cannot be written as RFC 3339.
    #[error("{method}: {reason}")]
    TimeText {
        /// Go's method that reports it, such as `Time.MarshalJSON`.
        method: &'static str,
        /// Go's reason, such as `year outside of range [0,9999]`.
        reason: &'static str,
    },
    /// Text that is not an RFC 3339 time: Go's `time.ParseError` message.
    #[error("{0}")]
    TimeParse(String),
    /// Text that is not a Go duration: `time.ParseDuration`'s message.
    #[error("{0}")]
    DurationParse(String),
    /// A value outside the range of the type it is converted to or from.
    #[error("{0} out of range")]
    OutOfRange(&'static str),
    /// A marshaled `*big.Int` of a version other than 1.
    #[error("Int.GobDecode: encoding version {0} not supported")]
    IntVersion(u8),
    /// Text that is not an integer as Go's `Int.UnmarshalText` reads it.
    #[error("math/big: cannot unmarshal {0:?} into a *big.Int")]
    IntText(String),
    /// A marshaled `*big.Float` of a version other than 1.
    #[error("Float.GobDecode: encoding version {0} not supported")]
    FloatVersion(u8),
    /// A marshaled `*big.Float` that is too short or not a valid float.
    #[error("Float.GobDecode: {0}")]
    FloatDecode(String),
    /// Text that is not a number as Go's `Float.UnmarshalText` reads it.
    #[error("math/big: cannot unmarshal {text:?} into a *big.Float ({reason})")]
    FloatText {
        /// The text.
        text: String,
        /// Why, in Go's words where Go has them.
        reason: String,
    },
    /// NaN has no `*big.Float` (Go's `big.NewFloat` panics with `ErrNaN`).
    #[error("big.Float: NaN")]
    FloatNaN,
    /// A marshaled `*big.Rat` of a version other than 1.
    #[error("Rat.GobDecode: encoding version {0} not supported")]
    RatVersion(u8),
    /// A marshaled `*big.Rat` that is too short.
    #[error("Rat.GobDecode: {0}")]
    RatDecode(&'static str),
    /// A numerator too long for the 32-bit length of Go's format.
    #[error("Rat.GobEncode: numerator too large")]
    RatTooLarge,
    /// Text that is not a rational number as Go's `Rat.SetString` reads it.
    #[error("math/big: cannot unmarshal {0:?} into a *big.Rat")]
    RatText(String),
    /// A fraction with denominator 0.
    #[error("division by zero")]
    DivisionByZero,
    /// A marshaler kind other than 0, 1 or 2.
    #[error("unknown marshaler kind {0}")]
    MarshalerKind(u8),
    /// A marshaler kind name other than Go's interface names.
    #[error("unknown marshaler kind {0:?}")]
    MarshalerKindName(String),
}
