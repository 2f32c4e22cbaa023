//! [`GoJson`]: a [`Value`] as Go's `encoding/json` writes the Go value it stands for.

use rpc_gotypes::{BigFloat, BigInt, BigRat, ByteString, Marshaled, MarshalerKind, Time};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::Value;
use crate::base64::Base64;

/// A [`Value`] serialized as Go's `encoding/json` writes the Go value (from
/// [`Value::go_json`]).
#[derive(Clone, Copy, Debug)]
pub struct GoJson<'a>(&'a Value);

impl Value {
    /// The value as Go's `encoding/json` writes it, for any serializer:
    ///
    /// | Go value | JSON |
    /// | --- | --- |
    /// | a string | its text, each invalid UTF-8 byte as U+FFFD |
    /// | `[]byte` | a base64 string |
    /// | an array, a slice | an array |
    /// | a map | an object (keys as text: integers in decimal) |
    /// | a struct | an object of the fields that came (Go leaves zero fields out of gob) |
    /// | NaN, ±Inf | `null` (Go's `encoding/json` refuses them) |
    /// | an interface value | its concrete value; nil is `null` |
    /// | `time.Time` | RFC 3339 with nanoseconds |
    /// | `*big.Int` | a number with every digit |
    /// | `*big.Rat`, `*big.Float` | a string (`"1/3"`, Go's `Text('g', -1)`) |
    /// | a `TextMarshaler` | its text |
    /// | any other marshaler | `{"Type": name, "Kind": ..., "Data": base64}` |
    ///
    /// Go's gob names a marshaler type by the Go type's own name: `Time`, `Int`, `Rat`,
    /// `Float` for values, but nothing for pointers (`*big.Int`, `*time.Time`). Unnamed
    /// `GobEncoder` values are recognized by their encoding: 15 bytes of version 1 are a
    /// `time.Time`, other version-1 bytes a `*big.Float`, and version-2 bytes a `*big.Int`
    /// (whose magnitude has no leading zero byte) or else a `*big.Rat`.
    pub fn go_json(&self) -> GoJson<'_> {
        GoJson(self)
    }
}

/// A marshaler value whose Go type is known here.
enum Known {
    Time(Time),
    Int(BigInt),
    Rat(BigRat),
    Float(BigFloat),
}

/// The Go type of a `GobEncoder` value, from its name or, unnamed, from its encoding.
fn recognize(m: &Marshaled) -> Option<Known> {
    if m.kind() != MarshalerKind::GobEncoder {
        return None;
    }
    let data = m.data();
    let time = || Time::gob_decode(data).ok().map(Known::Time);
    let int = || BigInt::gob_decode(data).ok().map(Known::Int);
    let rat = || BigRat::gob_decode(data).ok().map(Known::Rat);
    let float = || BigFloat::gob_decode(data).ok().map(Known::Float);
    match (m.name(), data) {
        ("Time", _) => time(),
        ("Int", _) => int(),
        ("Rat", _) => rat(),
        ("Float", _) => float(),
        ("", [1, ..]) if data.len() == 15 => time(),
        ("", [1, ..]) => float(),
        ("", [2 | 3]) => int(),
        ("", [2 | 3, first, ..]) if *first != 0 => int(),
        ("", [2 | 3, ..]) => rat(),
        _ => None,
    }
}

impl Serialize for GoJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Uint(u) => s.serialize_u64(*u),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(_) => s.serialize_unit(),
            Value::Complex(re, im) => {
                // Go's encoding/json refuses complex numbers; the parts are more use than that.
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element(&GoJson(&Value::Float(*re)))?;
                seq.serialize_element(&GoJson(&Value::Float(*im)))?;
                seq.end()
            }
            Value::String(text) => s.collect_str(&text.to_string_lossy()),
            Value::Bytes(bytes) => Base64Str(bytes).serialize(s),
            Value::Array(items) | Value::Slice(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&GoJson(item))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(&Key(k), &GoJson(v))?;
                }
                map.end()
            }
            Value::Struct(_, fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (name, v) in fields {
                    map.serialize_entry(name, &GoJson(v))?;
                }
                map.end()
            }
            Value::Marshaled(m) => match recognize(m) {
                Some(Known::Time(t)) => t.serialize(s),
                Some(Known::Int(n)) => n.serialize(s),
                Some(Known::Rat(r)) => r.serialize(s),
                Some(Known::Float(f)) => f.serialize(s),
                None if m.kind() == MarshalerKind::TextMarshaler => {
                    ByteString::from(m.data()).serialize(s)
                }
                None => {
                    let mut map = s.serialize_map(Some(3))?;
                    map.serialize_entry("Type", m.name())?;
                    map.serialize_entry("Kind", m.kind().go_name())?;
                    map.serialize_entry("Data", &Base64Str(m.data()))?;
                    map.end()
                }
            },
            Value::Interface(_, value) => GoJson(value).serialize(s),
        }
    }
}

/// Bytes as a base64 string.
struct Base64Str<'a>(&'a [u8]);

impl Serialize for Base64Str<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&Base64(self.0))
    }
}

/// A map key as the text Go's `encoding/json` makes of it.
struct Key<'a>(&'a Value);

impl Serialize for Key<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::String(text) => s.collect_str(&text.to_string_lossy()),
            Value::Int(i) => s.collect_str(i),
            Value::Uint(u) => s.collect_str(u),
            Value::Interface(_, value) => Key(value).serialize(s),
            // Go's encoding/json refuses other key types; their JSON text keeps them apart.
            other => {
                let text =
                    serde_json::to_string(&GoJson(other)).map_err(serde::ser::Error::custom)?;
                s.serialize_str(&text)
            }
        }
    }
}
