//! The marker form of a marshaler value (see [`crate::marker`]), and byte buffers.
//!
//! Serializing writes `newtype(MARSHALER, struct(MARSHALED_STRUCT) { Kind, Name, Data })`.
//! Deserializing asks for the same newtype and accepts the struct as a map (by field name) or
//! as a sequence (postcard), with any field missing: netrpc fills a field that Go left out
//! with its zero value, and empty `Data` means the Go zero value of the type.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::MarshalerKind;
use crate::marker::{MARSHALED_FIELDS, MARSHALED_STRUCT, MARSHALER};

/// A marshaler value as the marker protocol carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Parts {
    /// Which interface produced `data`.
    pub(crate) kind: MarshalerKind,
    /// The Go type's name as gob carries it.
    pub(crate) name: String,
    /// The marshaled bytes; empty for the zero value.
    pub(crate) data: Vec<u8>,
}

/// Writes the marker form.
pub(crate) fn serialize<S: Serializer>(
    serializer: S,
    kind: MarshalerKind,
    name: &str,
    data: &[u8],
) -> Result<S::Ok, S::Error> {
    serializer.serialize_newtype_struct(MARSHALER, &Wire { kind, name, data })
}

/// Reads the marker form.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Parts, D::Error> {
    deserializer.deserialize_newtype_struct(MARSHALER, OuterVisitor)
}

/// The inner struct of the marker form.
struct Wire<'a> {
    kind: MarshalerKind,
    name: &'a str,
    data: &'a [u8],
}

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct(MARSHALED_STRUCT, 3)?;
        s.serialize_field(MARSHALED_FIELDS[0], &self.kind.as_u8())?;
        s.serialize_field(MARSHALED_FIELDS[1], self.name)?;
        s.serialize_field(MARSHALED_FIELDS[2], &Bytes(self.data))?;
        s.end()
    }
}

/// Bytes written with `serialize_bytes`.
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// Bytes read with `deserialize_byte_buf`, also accepted as a string, a sequence of `u8` or
/// unit (no bytes).
#[derive(Debug, Default)]
pub(crate) struct ByteBuf(pub(crate) Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_byte_buf(ByteBufVisitor)
            .map(ByteBuf)
    }
}

/// Accepts bytes in each of the forms serde's formats hand them over.
pub(crate) struct ByteBufVisitor;

impl<'de> Visitor<'de> for ByteBufVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        Ok(v.as_bytes().to_vec())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Vec<u8>, E> {
        Ok(v.into_bytes())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<u8>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Vec<u8>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        // The hint comes from the input: cap it, the bytes themselves are counted as they come.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}

/// The newtype around the struct; also takes the struct directly, or unit for the zero value.
struct OuterVisitor;

impl<'de> Visitor<'de> for OuterVisitor {
    type Value = Parts;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Go marshaler value (Kind, Name, Data)")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Parts, D::Error> {
        d.deserialize_struct(MARSHALED_STRUCT, MARSHALED_FIELDS, PartsVisitor)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Parts, A::Error> {
        PartsVisitor.visit_map(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Parts, A::Error> {
        PartsVisitor.visit_seq(seq)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Parts, E> {
        Ok(Parts::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<Parts, E> {
        Ok(Parts::default())
    }
}

/// The struct `Kind`, `Name`, `Data`.
struct PartsVisitor;

/// A `Kind` number checked against [`MarshalerKind`].
struct Kind(MarshalerKind);

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u8::deserialize(d)?;
        MarshalerKind::try_from(n)
            .map(Kind)
            .map_err(de::Error::custom)
    }
}

impl<'de> Visitor<'de> for PartsVisitor {
    type Value = Parts;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Go marshaler value (Kind, Name, Data)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Parts, A::Error> {
        let mut parts = Parts::default();
        if let Some(Kind(kind)) = seq.next_element()? {
            parts.kind = kind;
            if let Some(name) = seq.next_element()? {
                parts.name = name;
                if let Some(ByteBuf(data)) = seq.next_element()? {
                    parts.data = data;
                }
            }
        }
        Ok(parts)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parts, A::Error> {
        let mut parts = Parts::default();
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Kind => parts.kind = map.next_value::<Kind>()?.0,
                Field::Name => parts.name = map.next_value()?,
                Field::Data => parts.data = map.next_value::<ByteBuf>()?.0,
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(parts)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Parts, E> {
        Ok(Parts::default())
    }
}

/// A field of the struct, by name or by index.
enum Field {
    Kind,
    Name,
    Data,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kind, Name or Data")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Field, E> {
        Ok(match v {
            0 => Field::Kind,
            1 => Field::Name,
            2 => Field::Data,
            _ => Field::Other,
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
        Ok(match v {
            "Kind" => Field::Kind,
            "Name" => Field::Name,
            "Data" => Field::Data,
            _ => Field::Other,
        })
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Field, E> {
        match std::str::from_utf8(v) {
            Ok(s) => self.visit_str(s),
            Err(_) => Ok(Field::Other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value that uses the marker form in both directions.
    #[derive(Debug, PartialEq)]
    struct P(Parts);

    impl Serialize for P {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(s, self.0.kind, &self.0.name, &self.0.data)
        }
    }

    impl<'de> Deserialize<'de> for P {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize(d).map(P)
        }
    }

    fn sample() -> P {
        P(Parts {
            kind: MarshalerKind::BinaryMarshaler,
            name: "URL".into(),
            data: b"http://x/\xff".to_vec(),
        })
    }

    #[test]
    fn postcard_round_trip_is_the_plain_struct() {
        let bytes = postcard::to_allocvec(&sample()).unwrap();
        // Kind, then Name and Data, each with a varint length.
        assert_eq!(bytes, b"\x01\x03URL\x0ahttp://x/\xff");
        assert_eq!(postcard::from_bytes::<P>(&bytes).unwrap(), sample());
    }

    #[test]
    fn json_round_trip_and_missing_fields() {
        let text = serde_json::to_string(&sample()).unwrap();
        assert_eq!(
            text,
            r#"{"Kind":1,"Name":"URL","Data":[104,116,116,112,58,47,47,120,47,255]}"#
        );
        assert_eq!(serde_json::from_str::<P>(&text).unwrap(), sample());
        assert_eq!(
            serde_json::from_str::<P>("{}").unwrap(),
            P(Parts::default())
        );
        assert_eq!(
            serde_json::from_str::<P>(r#"{"Other":[1],"Data":"ab"}"#).unwrap(),
            P(Parts {
                data: b"ab".to_vec(),
                ..Parts::default()
            })
        );
        assert!(serde_json::from_str::<P>(r#"{"Kind":7}"#).is_err());
        assert!(serde_json::from_str::<P>(r#"{"Data":[256]}"#).is_err());
    }

    #[test]
    fn truncated_postcard_is_an_error() {
        // postcard data that ends early is an error, not a panic.
        assert!(postcard::from_bytes::<P>(b"\x01\x05UR").is_err());
        assert!(postcard::from_bytes::<P>(b"\x09").is_err());
    }
}
