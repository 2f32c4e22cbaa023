//! Gob values whose Go type is known only at run time: JSON in, gob out, and back.
//!
//! A command-line client wants to call a Go method with an argument typed on the command line
//! and print the reply, with no Rust type for either:
//!
//! - **Reply to JSON**: every gob value decodes into a [`Value`], which keeps all the wire
//!   says (interface values' type names, marshaler values, strings that are not UTF-8, arrays
//!   apart from slices) and prints as Go's `encoding/json` prints the Go value ([`GoJson`]: a
//!   `time.Time` in RFC 3339, a `*big.Int` with every digit, `[]byte` in base64). Sent back, a
//!   [`Value`] is the same Go value. Decoding into [`serde_json::Value`] works too (the wire
//!   describes the value), losing what JSON has no place for.
//! - **JSON to gob**: [`Typed`] serializes a JSON value as a value of a [`GoType`], parsed from
//!   Go syntax with [`GoType::parse`] or inferred from the JSON with [`infer`]. It goes through
//!   the ordinary `Serialize` path, so it can be handed to any encoder (`&Typed { .. }` is a
//!   `&dyn erased_serde::Serialize`). [`parse_json`] reads JSON text without losing the digits
//!   of integers beyond 64 bits.
//!
//! ```
//! use rpc_codec::gob::{self, dynamic::{GoType, Typed, infer}};
//! use serde_json::json;
//!
//! let ty = GoType::parse("struct { Name string; Tags []string; Limit *int32 }").unwrap();
//! let value = json!({"Name": "x", "Limit": 10});
//! let bytes = gob::to_vec(&Typed::new(&value, &ty)).unwrap();
//! let back: serde_json::Value = gob::from_slice(&bytes).unwrap();
//! assert_eq!(back, json!({"Name": "x", "Limit": 10})); // Tags is empty: not sent, as in Go
//!
//! assert_eq!(infer(&json!([1, 2.5])).unwrap().to_string(), "[]float64");
//! ```
//!
//! # How a Go struct is serialized
//!
//! serde wants struct and field names as `&'static str`, which run-time names are not. A
//! [`Typed`] struct is therefore serialized as a map from field name to value wrapped in a
//! newtype struct with a reserved name; the gob serializer recognizes the name and encodes the
//! map as an (anonymous) Go struct, while any other serializer sees a plain map (a JSON object).
//! Likewise an empty slice, array or map of a [`Typed`] value tells the gob serializer its
//! element type (which an empty container cannot show), so Go receives `[]int{}` as a `[]int`,
//! not as the `[]string` an untyped empty sequence falls back to.

mod exact;
mod go_json;
mod infer;
mod parse;
mod typed;
mod value;

use std::fmt;

pub use self::exact::parse_json;
pub use self::go_json::GoJson;
pub use self::infer::infer;
pub use self::typed::Typed;
pub use self::value::Value;
pub(crate) use self::value::{DYNAMIC, hand_over};

/// A Go type, as far as gob carries it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GoType {
    /// `bool`
    Bool,
    /// `int` (64 bits, as on every platform Go runs RPC on)
    Int,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32` (and `rune`)
    Int32,
    /// `int64`
    Int64,
    /// `uint` (and `uintptr`)
    Uint,
    /// `uint8` (and `byte`)
    Uint8,
    /// `uint16`
    Uint16,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
    /// `float32`
    Float32,
    /// `float64`
    Float64,
    /// `string`
    String,
    /// `[]byte` (and `[]uint8`)
    Bytes,
    /// `[]T`
    Slice(Box<GoType>),
    /// `[N]T`
    Array(usize, Box<GoType>),
    /// `map[K]V`
    Map(Box<GoType>, Box<GoType>),
    /// `struct { ... }`, fields in order
    Struct(Vec<Field>),
    /// `*T`: JSON `null` is a nil pointer (left out of a struct, as Go does)
    Pointer(Box<GoType>),
    /// `interface{}` (`any`): a value of a type registered with Go's `gob.Register` (see
    /// [`Typed`] for how the JSON names it)
    Interface,
    /// `time.Time` ([`rpc_gotypes::Time`])
    Time,
    /// `time.Duration` (an `int64` of nanoseconds)
    Duration,
    /// `big.Int` ([`rpc_gotypes::BigInt`]); `*big.Int` is `Pointer(BigInt)`
    BigInt,
    /// `big.Rat` ([`rpc_gotypes::BigRat`])
    BigRat,
    /// `big.Float` ([`rpc_gotypes::BigFloat`])
    BigFloat,
}

/// A field of a [`GoType::Struct`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field's name. Go receives only exported fields (upper-case first letter).
    pub name: String,
    /// The field's type.
    pub ty: GoType,
}

impl Field {
    /// A field.
    pub fn new(name: impl Into<String>, ty: GoType) -> Self {
        Self {
            name: name.into(),
            ty,
        }
    }
}

impl fmt::Display for GoType {
    /// Go syntax, as Go's `reflect` prints types (`struct { A int; B []string }`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GoType::Bool => f.write_str("bool"),
            GoType::Int => f.write_str("int"),
            GoType::Int8 => f.write_str("int8"),
            GoType::Int16 => f.write_str("int16"),
            GoType::Int32 => f.write_str("int32"),
            GoType::Int64 => f.write_str("int64"),
            GoType::Uint => f.write_str("uint"),
            GoType::Uint8 => f.write_str("uint8"),
            GoType::Uint16 => f.write_str("uint16"),
            GoType::Uint32 => f.write_str("uint32"),
            GoType::Uint64 => f.write_str("uint64"),
            GoType::Float32 => f.write_str("float32"),
            GoType::Float64 => f.write_str("float64"),
            GoType::String => f.write_str("string"),
            GoType::Bytes => f.write_str("[]uint8"),
            GoType::Slice(elem) => write!(f, "[]{elem}"),
            GoType::Array(len, elem) => write!(f, "[{len}]{elem}"),
            GoType::Map(key, elem) => write!(f, "map[{key}]{elem}"),
            GoType::Struct(fields) if fields.is_empty() => f.write_str("struct {}"),
            GoType::Struct(fields) => {
                f.write_str("struct {")?;
                for (i, field) in fields.iter().enumerate() {
                    let sep = if i == 0 { " " } else { "; " };
                    write!(f, "{sep}{} {}", field.name, field.ty)?;
                }
                f.write_str(" }")
            }
            GoType::Pointer(elem) => write!(f, "*{elem}"),
            GoType::Interface => f.write_str("interface {}"),
            GoType::Time => f.write_str("time.Time"),
            GoType::Duration => f.write_str("time.Duration"),
            GoType::BigInt => f.write_str("big.Int"),
            GoType::BigRat => f.write_str("big.Rat"),
            GoType::BigFloat => f.write_str("big.Float"),
        }
    }
}

impl std::str::FromStr for GoType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        GoType::parse(s)
    }
}
