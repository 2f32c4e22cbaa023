//! Go's types that serde does not have, through the gob format: marshaler values (the
//! `rpc_gotypes` marker), Go strings of any bytes, and interface values (Rust enums whose
//! newtype variants are named as Go registers the concrete types).

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::gob::{from_slice, to_vec};
use rpc_gotypes::marker;

/// A marshaler value as the marker protocol carries it (a stand-in for the rpc-gotypes types).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Opaque {
    kind: u8,
    name: String,
    data: Vec<u8>,
}

impl Serialize for Opaque {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Inner<'a>(&'a Opaque);
        impl Serialize for Inner<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut s = serializer.serialize_struct(marker::MARSHALED_STRUCT, 3)?;
                s.serialize_field("Kind", &self.0.kind)?;
                s.serialize_field("Name", &self.0.name)?;
                s.serialize_field("Data", &Bytes(&self.0.data))?;
                s.end()
            }
        }
        serializer.serialize_newtype_struct(marker::MARSHALER, &Inner(self))
    }
}

struct Bytes<'a>(&'a [u8]);
impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}
impl<'de> Deserialize<'de> for Opaque {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Outer;
        impl<'de> Visitor<'de> for Outer {
            type Value = Opaque;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a marshaler value")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Opaque, D::Error> {
                d.deserialize_struct(marker::MARSHALED_STRUCT, marker::MARSHALED_FIELDS, Fields)
            }
        }
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Opaque;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("Kind, Name, Data")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Opaque, A::Error> {
                let mut out = Opaque::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "Kind" => out.kind = map.next_value()?,
                        "Name" => out.name = map.next_value()?,
                        _ => out.data = map.next_value::<ByteBuf>()?.0,
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_newtype_struct(marker::MARSHALER, Outer)
    }
}

/// Bytes from `visit_bytes` or a sequence of `u8`.
struct ByteBuf(Vec<u8>);
impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ByteBuf, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element()? {
                    out.push(b);
                }
                Ok(ByteBuf(out))
            }
        }
        deserializer.deserialize_byte_buf(V)
    }
}

/// A Go string of any bytes (a stand-in for `rpc_gotypes::ByteString`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct GoString(Vec<u8>);

impl Serialize for GoString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(marker::STRING, &Bytes(&self.0))
    }
}

impl<'de> Deserialize<'de> for GoString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GoString;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a Go string")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<GoString, D::Error> {
                Ok(GoString(ByteBuf::deserialize(d)?.0))
            }
        }
        deserializer.deserialize_newtype_struct(marker::STRING, V)
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Point {
    x: i64,
    y: i64,
}

/// A Go `interface{}` field that may hold these registered types.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Any {
    #[serde(rename = "int")]
    Int(i64),
    #[serde(rename = "string")]
    Str(String),
    #[serde(rename = "main.Point")]
    Point(Point),
    #[serde(rename = "[]interface {}")]
    List(Vec<Any>),
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Event {
    name: String,
    when: Opaque,
    payload: Option<Any>,
    items: Vec<Any>,
    attrs: BTreeMap<String, Any>,
    note: GoString,
}

fn event() -> Event {
    Event {
        name: "deposit".into(),
        when: Opaque {
            kind: 0,
            name: "Time".into(),
            data: vec![1, 0, 0, 0, 14, 221, 114, 104, 192, 0, 0, 0, 0, 255, 255],
        },
        payload: Some(Any::Point(Point { x: 3, y: 4 })),
        items: vec![
            Any::Int(7),
            Any::Str("two".into()),
            Any::List(vec![Any::Point(Point { x: 5, y: 6 }), Any::Int(-1)]),
        ],
        attrs: [("n".to_string(), Any::Int(8))].into_iter().collect(),
        note: GoString(b"a\xff\xfeb".to_vec()),
    }
}

#[test]
fn marshalers_interfaces_and_byte_strings_round_trip() {
    let wire = to_vec(&event()).unwrap();
    assert_eq!(from_slice::<Event>(&wire).unwrap(), event());
    // A nil interface field is left out and comes back as None.
    let mut nil = event();
    nil.payload = None;
    assert_eq!(from_slice::<Event>(&to_vec(&nil).unwrap()).unwrap(), nil);
    // Self-describing: interface values as their concrete values, a marshaler as its parts.
    let value: serde_json::Value = from_slice(&wire).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value["Payload"], json!({"X": 3, "Y": 4}));
    assert_eq!(value["Items"][2][0], json!({"X": 5, "Y": 6}));
    assert_eq!(value["When"]["Name"], json!("Time"));
}

#[test]
fn interface_values_at_the_top_level() {
    let wire = to_vec(&Any::Point(Point { x: 1, y: 2 })).unwrap();
    assert_eq!(
        from_slice::<Any>(&wire).unwrap(),
        Any::Point(Point { x: 1, y: 2 })
    );
    // A concrete value where an interface is expected, and an unregistered name.
    let err = from_slice::<Any>(&to_vec(&Point { x: 1, y: 2 }).unwrap()).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "gob: local interface type Any can only be decoded from remote interface type"
        ),
        "{err}"
    );
    #[derive(Serialize)]
    enum Other {
        #[serde(rename = "main.Square")]
        Square(i64),
    }
    let err = from_slice::<Any>(&to_vec(&Other::Square(2)).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gob: name not registered for interface: \"main.Square\""
    );
}

#[test]
fn go_strings_of_any_bytes() {
    let wire = to_vec(&GoString(b"a\xff".to_vec())).unwrap();
    assert_eq!(from_slice::<GoString>(&wire).unwrap().0, b"a\xff");
    assert_eq!(from_slice::<Vec<u8>>(&wire).unwrap(), b"a\xff");
    // The same bytes as a Go string: a plain Rust String refuses them, naming the field.
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Plain {
        note: String,
    }
    let err = from_slice::<Plain>(&to_vec(&event()).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("gob: string in field Event.Note is not valid UTF-8"),
        "{err}"
    );
}

#[test]
fn go_decoding_rules() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Unrelated {
        #[serde(rename = "Q")]
        q: i64,
    }
    let err = from_slice::<Unrelated>(&to_vec(&Point { x: 1, y: 2 }).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gob: type mismatch: no fields matched compiling decoder for Unrelated"
    );
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Small {
        #[serde(rename = "X")]
        x: u8,
    }
    let err = from_slice::<Small>(&to_vec(&Point { x: -1, y: 0 }).unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "value for \"X\" out of range");
    let err = from_slice::<Small>(&to_vec(&Point { x: 256, y: 0 }).unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "value for \"X\" out of range");
    let err = from_slice::<i64>(&to_vec(&Point { x: 1, y: 0 }).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gob: decoding into local type int64, received remote type Point"
    );
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct WrongField {
        #[serde(rename = "X")]
        x: String,
    }
    let err = from_slice::<WrongField>(&to_vec(&Point { x: 1, y: 0 }).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("gob: wrong type (string) for received field Point.X"),
        "{err}"
    );
}
