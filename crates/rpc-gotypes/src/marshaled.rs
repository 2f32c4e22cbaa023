//! [`Marshaled`]: any other Go marshaler value, passed through untouched.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::MarshalerKind;
use crate::marshal::{self, ByteBuf, Bytes};

/// The serde name of the JSON form.
const JSON_STRUCT: &str = "Marshaled";
/// The fields of the JSON form.
const JSON_FIELDS: &[&str] = &["Type", "Kind", "Data"];

/// A value of a Go type that marshals itself (`*url.URL`, `uuid.UUID`, `netip.Addr`, ...)
/// with no Rust type here: its marshaler kind, its Go type name as gob carries it, and its
/// bytes, kept as they came so that they go back unchanged.
///
/// ```
/// use rpc_gotypes::{Marshaled, MarshalerKind};
///
/// let url = Marshaled::new(MarshalerKind::BinaryMarshaler, "URL", "https://go.dev/");
/// assert_eq!(url.name(), "URL");
/// assert_eq!(url.as_text(), Some("https://go.dev/"));
/// let json = serde_json::to_string(&url).unwrap();
/// assert!(json.starts_with(r#"{"Type":"URL","Kind":"BinaryMarshaler","Data":"#));
/// assert_eq!(serde_json::from_str::<Marshaled>(&json).unwrap(), url);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Marshaled {
    kind: MarshalerKind,
    name: String,
    data: Vec<u8>,
}

impl Marshaled {
    /// A value of Go type `name` whose `kind` marshaler produced `data`.
    pub fn new(kind: MarshalerKind, name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Marshaled {
            kind,
            name: name.into(),
            data: data.into(),
        }
    }

    /// Which Go interface produced the bytes.
    pub fn kind(&self) -> MarshalerKind {
        self.kind
    }

    /// The Go type's name as gob carries it (such as `URL`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The marshaled bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The bytes as text, when they are UTF-8 (as a `TextMarshaler`'s are meant to be).
    pub fn as_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }

    /// The marshaled bytes.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }
}

impl Serialize for Marshaled {
    /// Human-readable formats: `{"Type": name, "Kind": "BinaryMarshaler", "Data": bytes}`
    /// (the bytes with `serialize_bytes`: netrpc's jsonrpc codec writes base64, plain
    /// serde_json an array of numbers). Others: the marker form with this kind, name and data.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let mut s = serializer.serialize_struct(JSON_STRUCT, 3)?;
            s.serialize_field(JSON_FIELDS[0], &self.name)?;
            s.serialize_field(JSON_FIELDS[1], self.kind.go_name())?;
            s.serialize_field(JSON_FIELDS[2], &Bytes(&self.data))?;
            s.end()
        } else {
            marshal::serialize(serializer, self.kind, &self.name, &self.data)
        }
    }
}

impl<'de> Deserialize<'de> for Marshaled {
    /// Human-readable formats: the object written above, any field missing (`Kind` by name or
    /// number). Others: the marker form, any field missing.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Marshaled, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_struct(JSON_STRUCT, JSON_FIELDS, JsonVisitor)
        } else {
            let parts = marshal::deserialize(deserializer)?;
            Ok(Marshaled {
                kind: parts.kind,
                name: parts.name,
                data: parts.data,
            })
        }
    }
}

/// The JSON object.
struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Marshaled;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Go marshaler value (Type, Kind, Data)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Marshaled, A::Error> {
        let mut m = Marshaled::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Type" => m.name = map.next_value()?,
                "Kind" => m.kind = map.next_value::<KindText>()?.0,
                "Data" => m.data = map.next_value::<ByteBuf>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(m)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Marshaled, E> {
        Ok(Marshaled::default())
    }
}

/// A kind by name (`""` is the default) or by number.
struct KindText(MarshalerKind);

impl<'de> Deserialize<'de> for KindText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor).map(KindText)
    }
}

struct KindVisitor;

impl Visitor<'_> for KindVisitor {
    type Value = MarshalerKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GobEncoder, BinaryMarshaler or TextMarshaler")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<MarshalerKind, E> {
        if v.is_empty() {
            return Ok(MarshalerKind::default());
        }
        v.parse().map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<MarshalerKind, E> {
        u8::try_from(v)
            .ok()
            .and_then(|n| MarshalerKind::try_from(n).ok())
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<MarshalerKind, E> {
        u64::try_from(v)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            .and_then(|v| self.visit_u64(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<MarshalerKind, E> {
        Ok(MarshalerKind::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Marshaled {
        Marshaled::new(
            MarshalerKind::TextMarshaler,
            "UUID",
            b"\x00\xffuuid".to_vec(),
        )
    }

    #[test]
    fn json_form() {
        let json = serde_json::to_string(&sample()).unwrap();
        assert_eq!(
            json,
            r#"{"Type":"UUID","Kind":"TextMarshaler","Data":[0,255,117,117,105,100]}"#
        );
        assert_eq!(serde_json::from_str::<Marshaled>(&json).unwrap(), sample());
        let by_number = r#"{"Kind":2,"Data":[1],"Extra":{"a":[]}}"#;
        assert_eq!(
            serde_json::from_str::<Marshaled>(by_number).unwrap(),
            Marshaled::new(MarshalerKind::TextMarshaler, "", vec![1])
        );
        assert_eq!(
            serde_json::from_str::<Marshaled>("{}").unwrap(),
            Marshaled::default()
        );
        assert!(serde_json::from_str::<Marshaled>(r#"{"Kind":"Stringer"}"#).is_err());
        assert!(serde_json::from_str::<Marshaled>(r#"{"Kind":9}"#).is_err());
        assert!(serde_json::from_str::<Marshaled>(r#"{"Kind":-1}"#).is_err());
        assert!(serde_json::from_str::<Marshaled>("[]").is_err());
    }

    #[test]
    fn marker_form() {
        let m = sample();
        let bytes = postcard::to_allocvec(&m).unwrap();
        assert_eq!(bytes, b"\x02\x04UUID\x06\x00\xffuuid");
        assert_eq!(postcard::from_bytes::<Marshaled>(&bytes).unwrap(), m);
        assert_eq!(m.clone().into_data(), b"\x00\xffuuid");
        assert_eq!(m.as_text(), None);
        assert_eq!(m.kind(), MarshalerKind::TextMarshaler);
        assert_eq!(m.data(), b"\x00\xffuuid");
        assert!(postcard::from_bytes::<Marshaled>(b"\x05\x00\x00").is_err());
    }
}
