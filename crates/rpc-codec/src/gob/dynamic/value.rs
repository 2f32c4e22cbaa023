//! [`Value`]: a gob value of any Go type, kept as the wire described it.

use std::cell::RefCell;
use std::fmt;

use rpc_gotypes::{ByteString, Marshaled};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};

use crate::gob::marker::INTERFACE;
use crate::gob::shape::STRUCT_MARKER;

/// The newtype name by which [`Value`] asks a deserializer for a whole value; gob's decoder
/// answers it by decoding the value itself (see [`hand_over`]).
pub(crate) const DYNAMIC: &str = "\0gob::dynamic";

/// A gob value of any Go type, as the wire described it: what a Go program sent, with nothing
/// lost, so that it can be inspected, printed as Go's `encoding/json` would print it, and sent
/// back unchanged.
///
/// - Decoding from gob keeps what a Rust type or [`serde_json::Value`] loses: strings that are
///   not UTF-8, arrays apart from slices, structs apart from maps (with the Go type's name),
///   marshaler values (`time.Time`, `*big.Int`, `*url.URL`, ...) with their kind, name and
///   bytes, and each interface value's concrete type name.
/// - Serializing to gob (or any binary codec) writes the same Go types back: a struct as a
///   struct with the same fields, an interface value under its concrete type's name, a
///   marshaler value's bytes under its name.
/// - Serializing to JSON (any human-readable serializer) writes what Go's `encoding/json`
///   writes for the Go value: see [`Value::go_json`].
///
/// Any other deserializer (JSON, for one) gives the closest variants: numbers as `Int`, `Uint`
/// or `Float`, strings as `String`, arrays as `Slice`, objects as `Map`, `null` as `Nil`.
///
/// ```
/// use rpc_codec::gob::{self, dynamic::Value};
/// use rpc_gotypes::{ByteString, Time};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// #[allow(non_snake_case)]
/// struct Event { At: Time, Note: ByteString, Tags: Vec<Vec<u8>> }
///
/// let event = Event {
///     At: "2024-03-15T12:30:45.5+01:00".parse().unwrap(),
///     Note: ByteString::from(b"caf\xe9".to_vec()),
///     Tags: vec![vec![1, 2, 255]],
/// };
/// let value: Value = gob::from_slice(&gob::to_vec(&event).unwrap()).unwrap();
/// assert_eq!(
///     value.to_string(),
///     r#"{"At":"2024-03-15T12:30:45.5+01:00","Note":"caf�","Tags":["AQL/"]}"#
/// );
/// // Sent back, it is the same Go value.
/// let back: Event = gob::from_slice(&gob::to_vec(&value).unwrap()).unwrap();
/// assert_eq!(back, event);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A nil interface value (JSON `null`).
    Nil,
    /// `bool`
    Bool(bool),
    /// A signed integer (`int`, `int8` ... `int64`).
    Int(i64),
    /// An unsigned integer (`uint`, `uint8` ... `uint64`, `uintptr`).
    Uint(u64),
    /// `float32` or `float64`.
    Float(f64),
    /// `complex64` or `complex128`: the real and imaginary parts.
    Complex(f64, f64),
    /// A Go `string`: any bytes.
    String(ByteString),
    /// `[]byte`
    Bytes(Vec<u8>),
    /// `[N]T`
    Array(Vec<Value>),
    /// `[]T`
    Slice(Vec<Value>),
    /// `map[K]V`, entries in the order they came.
    Map(Vec<(Value, Value)>),
    /// A struct: its Go type's name (empty when the sender gave none) and the fields it sent,
    /// in order (Go leaves zero fields out).
    Struct(String, Vec<(String, Value)>),
    /// A value of a type that marshals itself (`GobEncoder`, `BinaryMarshaler`,
    /// `TextMarshaler`).
    Marshaled(Marshaled),
    /// A non-nil interface value: its concrete type's registered name and the concrete value.
    Interface(String, Box<Value>),
}

thread_local! {
    /// The value gob's decoder decoded for [`Value`]'s visitor (see [`hand_over`]).
    static HANDED_OVER: RefCell<Option<Value>> = const { RefCell::new(None) };
}

/// Gives `value`, decoded by a deserializer that recognized [`DYNAMIC`], to [`Value`]'s visitor
/// (serde has no way to pass a value of a known type through a visitor): the value waits in a
/// thread-local slot that the visitor empties first thing in `visit_newtype_struct`, and that
/// is emptied again after the call whatever the visitor did.
pub(crate) fn hand_over<'de, V, E>(value: Value, visitor: V) -> Result<V::Value, E>
where
    V: Visitor<'de>,
    E: de::Error,
{
    HANDED_OVER.with(|slot| *slot.borrow_mut() = Some(value));
    let result = visitor.visit_newtype_struct(de::value::UnitDeserializer::<E>::new());
    HANDED_OVER.with(|slot| slot.borrow_mut().take());
    result
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_newtype_struct(DYNAMIC, ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if let Some(value) = HANDED_OVER.with(|slot| slot.borrow_mut().take()) {
            return Ok(value);
        }
        d.deserialize_any(ValueVisitor)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(match i64::try_from(v) {
            // JSON's numbers have no sign of their own: a non-negative one is an int.
            Ok(i) => Value::Int(i),
            Err(_) => Value::Uint(v),
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.into()))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        // The size hint is the peer's claim: not trusted for the allocation.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Slice(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }
}

impl Serialize for Value {
    /// Human-readable serializers get [`Value::go_json`]'s form; the others the Go value itself
    /// (gob writes the Go types it came as).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return self.go_json().serialize(s);
        }
        match self {
            Value::Nil => Interface::<Value>("", None).serialize(s),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Uint(u) => s.serialize_u64(*u),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Complex(..) => Err(ser::Error::custom(
                "gob: netrpc cannot send complex numbers",
            )),
            Value::String(text) => text.serialize(s),
            Value::Bytes(bytes) => s.serialize_bytes(bytes),
            Value::Array(items) => {
                let mut tuple = ser::Serializer::serialize_tuple(s, items.len())?;
                for item in items {
                    ser::SerializeTuple::serialize_element(&mut tuple, item)?;
                }
                ser::SerializeTuple::end(tuple)
            }
            Value::Slice(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Struct(_, fields) => s.serialize_newtype_struct(STRUCT_MARKER, &Fields(fields)),
            Value::Marshaled(marshaled) => marshaled.serialize(s),
            Value::Interface(name, value) => Interface(name, Some(&**value)).serialize(s),
        }
    }
}

/// A struct's fields, as the map the gob serializer takes under [`STRUCT_MARKER`].
struct Fields<'a>(&'a [(String, Value)]);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// An interface value in the marker form gob takes for a run-time type name: the concrete
/// type's name and value, or `("", None)` for nil.
pub(super) struct Interface<'a, T: ?Sized>(pub(super) &'a str, pub(super) Option<&'a T>);

impl<T: Serialize + ?Sized> Serialize for Interface<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Inner<'a, T: ?Sized>(&'a Interface<'a, T>);
        impl<T: Serialize + ?Sized> Serialize for Inner<'_, T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct("Interface", 2)?;
                st.serialize_field("Name", self.0.0)?;
                if let Some(value) = self.0.1 {
                    st.serialize_field("Value", value)?;
                }
                st.end()
            }
        }
        s.serialize_newtype_struct(INTERFACE, &Inner(self))
    }
}

impl fmt::Display for Value {
    /// The value as Go's `encoding/json` writes it, compact (see [`Value::go_json`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(&self.go_json()).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rpc_gotypes::{BigInt, BigRat, ByteString, Marshaled, MarshalerKind, Time};
    use serde::{Deserialize, Serialize};

    use super::Value;
    use crate::gob;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    #[allow(non_snake_case)]
    struct Point {
        X: i64,
        Y: i64,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    enum Any {
        #[serde(rename = "main.Point")]
        Point(Point),
        #[serde(rename = "int")]
        Int(i64),
        #[serde(rename = "[]string")]
        Strings(Vec<String>),
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[allow(non_snake_case)]
    struct Holder {
        One: Option<Any>,
        Nil: Option<Any>,
        Many: Vec<Option<Any>>,
        ByName: BTreeMap<String, Any>,
        Pair: [u16; 2],
        Codes: BTreeMap<i32, String>,
    }

    fn decode(bytes: &[u8]) -> Value {
        gob::from_slice(bytes).unwrap()
    }

    #[test]
    fn interface_values_keep_their_names_and_go_back_unchanged() {
        let holder = Holder {
            One: Some(Any::Point(Point { X: 3, Y: -4 })),
            Nil: None,
            Many: vec![
                Some(Any::Int(7)),
                None,
                Some(Any::Strings(vec!["a".into(), "b".into()])),
            ],
            ByName: BTreeMap::from([("p".to_string(), Any::Point(Point { X: 0, Y: 1 }))]),
            Pair: [1, 65535],
            Codes: BTreeMap::from([(-1, "minus".to_string()), (200, "ok".to_string())]),
        };
        let value = decode(&gob::to_vec(&holder).unwrap());
        let Value::Struct(name, fields) = &value else {
            panic!("not a struct: {value:?}");
        };
        assert_eq!(name, "Holder");
        assert_eq!(
            fields[0],
            (
                "One".to_string(),
                Value::Interface(
                    "main.Point".into(),
                    Box::new(Value::Struct(
                        "Point".into(),
                        vec![("X".into(), Value::Int(3)), ("Y".into(), Value::Int(-4))]
                    ))
                )
            )
        );
        // Go leaves the nil interface out of the struct; it is nil inside the slice.
        assert_eq!(fields[1].0, "Many");
        let Value::Slice(many) = &fields[1].1 else {
            panic!("{:?}", fields[1]);
        };
        assert_eq!(
            many[0],
            Value::Interface("int".into(), Box::new(Value::Int(7)))
        );
        assert_eq!(many[1], Value::Nil);
        assert!(matches!(fields[3].1, Value::Array(_)));
        assert_eq!(
            value.to_string(),
            r#"{"One":{"X":3,"Y":-4},"Many":[7,null,["a","b"]],"ByName":{"p":{"Y":1}},"Pair":[1,65535],"Codes":{"-1":"minus","200":"ok"}}"#
        );
        let back: Holder = gob::from_slice(&gob::to_vec(&value).unwrap()).unwrap();
        assert_eq!(back, holder);
        // And the value read back is the same value, but for the struct's name (netrpc sends
        // an anonymous struct; Go matches structs by their fields).
        let again = decode(&gob::to_vec(&value).unwrap());
        let (Value::Struct(_, a), Value::Struct(_, b)) = (&again, &value) else {
            panic!("{again:?}");
        };
        assert_eq!(a.len(), b.len());
    }

    #[test]
    fn marshalers_print_as_go_json_and_go_back_as_they_came() {
        let big: BigInt = "-1267650600228229401496703205376".parse().unwrap();
        let rat: BigRat = "-1/3".parse().unwrap();
        let time: Time = "1969-07-20T20:17:40.000000001-05:00".parse().unwrap();
        let cases: Vec<(Marshaled, &str)> = vec![
            // Pointers (*big.Int, *big.Rat, *time.Time) come without a name.
            (
                Marshaled::new(MarshalerKind::GobEncoder, "", big.gob_encode()),
                "-1267650600228229401496703205376",
            ),
            (
                Marshaled::new(
                    MarshalerKind::GobEncoder,
                    "Int",
                    BigInt::from(0).gob_encode(),
                ),
                "0",
            ),
            (
                Marshaled::new(MarshalerKind::GobEncoder, "", rat.gob_encode().unwrap()),
                r#""-1/3""#,
            ),
            (
                Marshaled::new(MarshalerKind::GobEncoder, "", time.gob_encode().unwrap()),
                r#""1969-07-20T20:17:40.000000001-05:00""#,
            ),
            (
                Marshaled::new(
                    MarshalerKind::GobEncoder,
                    "Time",
                    time.gob_encode().unwrap(),
                ),
                r#""1969-07-20T20:17:40.000000001-05:00""#,
            ),
            (
                Marshaled::new(MarshalerKind::BinaryMarshaler, "", "https://go.dev/?q=1"),
                r#"{"Type":"","Kind":"BinaryMarshaler","Data":"aHR0cHM6Ly9nby5kZXYvP3E9MQ=="}"#,
            ),
            (
                Marshaled::new(MarshalerKind::TextMarshaler, "Color", "red"),
                r#""red""#,
            ),
            // A user's GobEncoder named otherwise is not guessed at.
            (
                Marshaled::new(MarshalerKind::GobEncoder, "Money", [2u8, 7]),
                r#"{"Type":"Money","Kind":"GobEncoder","Data":"Agc="}"#,
            ),
        ];
        for (marshaled, json) in cases {
            let bytes = gob::to_vec(&marshaled).unwrap();
            let value = decode(&bytes);
            assert_eq!(value, Value::Marshaled(marshaled.clone()));
            assert_eq!(value.to_string(), json, "{marshaled:?}");
            assert_eq!(gob::to_vec(&value).unwrap(), bytes);
        }
    }

    #[test]
    fn strings_bytes_and_floats_as_go_json() {
        #[derive(Serialize)]
        #[allow(non_snake_case)]
        struct Odd {
            S: ByteString,
            B: Vec<u8>,
            F: Vec<f64>,
        }
        let odd = Odd {
            S: ByteString::from(b"a\xff\xfeb".to_vec()),
            B: vec![0, 1, 2, 253, 254, 255],
            F: vec![f64::NAN, 1.5, f64::NEG_INFINITY],
        };
        let bytes = gob::to_vec(&odd).unwrap();
        let value = decode(&bytes);
        assert_eq!(
            value.to_string(),
            "{\"S\":\"a\u{fffd}\u{fffd}b\",\"B\":\"AAEC/f7/\",\"F\":[null,1.5,null]}"
        );
        // The string's bytes are kept.
        let Value::Struct(_, fields) = &value else {
            panic!("{value:?}")
        };
        assert_eq!(
            fields[0].1,
            Value::String(ByteString::from(b"a\xff\xfeb".to_vec()))
        );
    }

    #[test]
    fn json_reads_into_the_closest_values() {
        let value: Value =
            serde_json::from_str(r#"{"a":[1,-2,2.5,"x",true,null,18446744073709551615]}"#).unwrap();
        assert_eq!(
            value,
            Value::Map(vec![(
                Value::String("a".into()),
                Value::Slice(vec![
                    Value::Int(1),
                    Value::Int(-2),
                    Value::Float(2.5),
                    Value::String("x".into()),
                    Value::Bool(true),
                    Value::Nil,
                    Value::Uint(u64::MAX),
                ])
            )])
        );
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#"{"a":[1,-2,2.5,"x",true,null,18446744073709551615]}"#
        );
    }

    #[test]
    fn broken_input_fails_without_panicking() {
        let holder = Holder {
            One: Some(Any::Point(Point { X: 3, Y: -4 })),
            Nil: None,
            Many: vec![Some(Any::Int(7)); 3],
            ByName: BTreeMap::new(),
            Pair: [1, 2],
            Codes: BTreeMap::new(),
        };
        let bytes = gob::to_vec(&holder).unwrap();
        for len in 0..bytes.len() {
            let _ = gob::from_slice::<Value>(&bytes[..len]);
        }
        for at in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut broken = bytes.clone();
                broken[at] ^= flip;
                let _ = gob::from_slice::<Value>(&broken);
            }
        }
    }
}
