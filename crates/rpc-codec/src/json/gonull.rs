//! Go's `null`: decoding JSON `null` into a Go value leaves it at its zero value.
//!
//! Go's `encoding/json` writes a nil slice, map or pointer as `null` and reads `null` into any
//! value as "leave it alone" (the zero value, in a fresh reply). Go servers therefore send
//! `{"Changes":null}` where a Rust `Vec` expects `[]`. [`GoNull`] wraps a JSON deserializer so
//! that `null`, wherever it appears, decodes into the zero value of the requested type
//! ([`rpc_proto::zero`]): `""`, `0`, an empty `Vec` or map, a struct of zeros. `Option` still
//! decodes `null` as `None`, and a type that has no zero value (an enum) still fails.
//!
//! It works by asking the inner deserializer for an option before every other type: a JSON
//! deserializer answers `None` for `null` and `Some` otherwise, without consuming anything else.
//!
//! The same pass reads Go's other JSON habit: a `[]byte` written as a base64 string. Where a
//! sequence or bytes are requested, the value goes to [`Base64Or`] (see
//! [`bytes_de`](super::bytes_de)), which takes a base64 string as well as an array.

use std::fmt;

use rpc_proto::zero::Zero;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::bytes_de::Base64Or;

/// serde_json's marker for `RawValue`, which must reach the JSON deserializer untouched.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// A deserializer that reads `null` as the zero value of whatever type is requested.
pub(crate) struct GoNull<D>(pub(crate) D);

/// What was requested, so the zero value or the inner call can be made once `null` is known.
#[derive(Clone, Copy)]
enum Hint {
    Bool,
    I8,
    I16,
    I32,
    I64,
    I128,
    U8,
    U16,
    U32,
    U64,
    U128,
    F32,
    F64,
    Char,
    Str,
    String,
    Bytes,
    ByteBuf,
    UnitStruct(&'static str),
    NewtypeStruct(&'static str),
    Seq,
    Tuple(usize),
    TupleStruct(&'static str, usize),
    Map,
    Struct(&'static str, &'static [&'static str]),
    Enum(&'static str, &'static [&'static str]),
    Identifier,
}

impl Hint {
    fn zero<'de, V: Visitor<'de>>(self, v: V) -> Result<V::Value, rpc_proto::zero::Error> {
        let z = Zero;
        match self {
            Hint::Bool => z.deserialize_bool(v),
            Hint::I8 => z.deserialize_i8(v),
            Hint::I16 => z.deserialize_i16(v),
            Hint::I32 => z.deserialize_i32(v),
            Hint::I64 => z.deserialize_i64(v),
            Hint::I128 => z.deserialize_i128(v),
            Hint::U8 => z.deserialize_u8(v),
            Hint::U16 => z.deserialize_u16(v),
            Hint::U32 => z.deserialize_u32(v),
            Hint::U64 => z.deserialize_u64(v),
            Hint::U128 => z.deserialize_u128(v),
            Hint::F32 => z.deserialize_f32(v),
            Hint::F64 => z.deserialize_f64(v),
            Hint::Char => z.deserialize_char(v),
            Hint::Str => z.deserialize_str(v),
            Hint::String => z.deserialize_string(v),
            Hint::Bytes => z.deserialize_bytes(v),
            Hint::ByteBuf => z.deserialize_byte_buf(v),
            Hint::UnitStruct(name) => z.deserialize_unit_struct(name, v),
            Hint::NewtypeStruct(name) => z.deserialize_newtype_struct(name, v),
            Hint::Seq => z.deserialize_seq(v),
            Hint::Tuple(len) => z.deserialize_tuple(len, v),
            Hint::TupleStruct(name, len) => z.deserialize_tuple_struct(name, len, v),
            Hint::Map => z.deserialize_map(v),
            Hint::Struct(name, fields) => z.deserialize_struct(name, fields, v),
            Hint::Enum(name, variants) => z.deserialize_enum(name, variants, v),
            Hint::Identifier => z.deserialize_identifier(v),
        }
    }

    fn forward<'de, D: Deserializer<'de>, V: Visitor<'de>>(
        self,
        d: D,
        v: V,
    ) -> Result<V::Value, D::Error> {
        match self {
            Hint::Bool => d.deserialize_bool(Wrap(v)),
            Hint::I8 => d.deserialize_i8(Wrap(v)),
            Hint::I16 => d.deserialize_i16(Wrap(v)),
            Hint::I32 => d.deserialize_i32(Wrap(v)),
            Hint::I64 => d.deserialize_i64(Wrap(v)),
            Hint::I128 => d.deserialize_i128(Wrap(v)),
            Hint::U8 => d.deserialize_u8(Wrap(v)),
            Hint::U16 => d.deserialize_u16(Wrap(v)),
            Hint::U32 => d.deserialize_u32(Wrap(v)),
            Hint::U64 => d.deserialize_u64(Wrap(v)),
            Hint::U128 => d.deserialize_u128(Wrap(v)),
            Hint::F32 => d.deserialize_f32(Wrap(v)),
            Hint::F64 => d.deserialize_f64(Wrap(v)),
            Hint::Char => d.deserialize_char(Wrap(v)),
            Hint::Str => d.deserialize_str(Wrap(v)),
            Hint::String => d.deserialize_string(Wrap(v)),
            // Go's `[]byte` is a base64 string: sequences and bytes take one too.
            Hint::Seq => d.deserialize_any(Base64Or::seq(v)),
            Hint::Bytes | Hint::ByteBuf => d.deserialize_any(Base64Or::bytes(v)),
            Hint::UnitStruct(name) => d.deserialize_unit_struct(name, Wrap(v)),
            Hint::NewtypeStruct(name) => d.deserialize_newtype_struct(name, Wrap(v)),
            Hint::Tuple(len) => d.deserialize_tuple(len, Wrap(v)),
            Hint::TupleStruct(name, len) => d.deserialize_tuple_struct(name, len, Wrap(v)),
            Hint::Map => d.deserialize_map(Wrap(v)),
            Hint::Struct(name, fields) => d.deserialize_struct(name, fields, Wrap(v)),
            Hint::Enum(name, variants) => d.deserialize_enum(name, variants, Wrap(v)),
            Hint::Identifier => d.deserialize_identifier(Wrap(v)),
        }
    }
}

impl<'de, D: Deserializer<'de>> GoNull<D> {
    fn null_or<V: Visitor<'de>>(self, hint: Hint, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(NullOr { hint, visitor })
    }
}

/// Peeks for `null` through `deserialize_option`, then makes the requested call.
struct NullOr<V> {
    hint: Hint,
    visitor: V,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for NullOr<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.hint.zero(self.visitor).map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.hint.forward(d, self.visitor)
    }
}

macro_rules! null_or {
    ($($method:ident => $hint:expr,)*) => {
        $(fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
            self.null_or($hint, v)
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for GoNull<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Wrap(v))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(Wrap(v))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit(Wrap(v))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_ignored_any(v)
    }

    null_or! {
        deserialize_bool => Hint::Bool,
        deserialize_i8 => Hint::I8,
        deserialize_i16 => Hint::I16,
        deserialize_i32 => Hint::I32,
        deserialize_i64 => Hint::I64,
        deserialize_i128 => Hint::I128,
        deserialize_u8 => Hint::U8,
        deserialize_u16 => Hint::U16,
        deserialize_u32 => Hint::U32,
        deserialize_u64 => Hint::U64,
        deserialize_u128 => Hint::U128,
        deserialize_f32 => Hint::F32,
        deserialize_f64 => Hint::F64,
        deserialize_char => Hint::Char,
        deserialize_str => Hint::Str,
        deserialize_string => Hint::String,
        deserialize_bytes => Hint::Bytes,
        deserialize_byte_buf => Hint::ByteBuf,
        deserialize_seq => Hint::Seq,
        deserialize_map => Hint::Map,
        deserialize_identifier => Hint::Identifier,
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.null_or(Hint::UnitStruct(name), v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, D::Error> {
        if name == RAW_VALUE_TOKEN {
            return self.0.deserialize_newtype_struct(name, v);
        }
        self.null_or(Hint::NewtypeStruct(name), v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.null_or(Hint::Tuple(len), v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.null_or(Hint::TupleStruct(name, len), v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.null_or(Hint::Struct(name, fields), v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.null_or(Hint::Enum(name, variants), v)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Passes every value through, wrapping nested deserializers so their `null`s are Go's too.
pub(super) struct Wrap<V>(pub(super) V);

macro_rules! forward_visit {
    ($($method:ident($ty:ty),)*) => {
        $(fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            self.0.$method(value)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit! {
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_str(&str),
        visit_borrowed_str(&'de str),
        visit_string(String),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>),
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(GoNull(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(GoNull(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(WrapSeq(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(WrapMap(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(WrapEnum(data))
    }
}

/// Deserializes through [`GoNull`].
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(GoNull(d))
    }
}

struct WrapSeq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for WrapSeq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct WrapMap<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WrapMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct WrapEnum<A>(A);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for WrapEnum<A> {
    type Error = A::Error;
    type Variant = WrapVariant<A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(seed)?;
        Ok((value, WrapVariant(variant)))
    }
}

struct WrapVariant<A>(A);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for WrapVariant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap(v))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Wrap(v))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::*;

    fn go<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let value = T::deserialize(GoNull(&mut de))?;
        de.end()?;
        Ok(value)
    }

    #[derive(Deserialize, Debug, PartialEq, Default)]
    #[serde(rename_all = "PascalCase")]
    struct Change {
        key: String,
        value: String,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Reply {
        revision: u64,
        changes: Vec<Change>,
        labels: HashMap<String, String>,
        next: Option<Box<Reply>>,
        pair: [String; 2],
    }

    #[derive(Deserialize, Debug, PartialEq)]
    enum Kind {
        A,
    }

    #[test]
    fn nulls_anywhere_are_zero_values() {
        let reply: Reply =
            go(r#"{"Revision":null,"Changes":null,"Labels":null,"Next":null,"Pair":null}"#)
                .unwrap();
        assert_eq!(reply.revision, 0);
        assert!(reply.changes.is_empty() && reply.labels.is_empty() && reply.next.is_none());
        assert_eq!(reply.pair, [String::new(), String::new()]);
        let reply: Reply = go(
            r#"{"Revision":3,"Changes":[{"Key":"k","Value":null},null],"Labels":{"a":null},"Next":{"Revision":1,"Changes":[],"Labels":{},"Next":null,"Pair":["x",null]},"Pair":["a","b"]}"#,
        )
        .unwrap();
        assert_eq!(
            reply.changes,
            vec![
                Change {
                    key: "k".into(),
                    value: String::new()
                },
                Change::default()
            ]
        );
        assert_eq!(reply.labels["a"], "");
        assert_eq!(reply.next.unwrap().pair, ["x".to_string(), String::new()]);
    }

    #[test]
    fn options_and_values_keep_their_meaning() {
        assert_eq!(go::<Option<u8>>("null").unwrap(), None);
        assert_eq!(go::<Option<u8>>("7").unwrap(), Some(7));
        assert_eq!(
            go::<serde_json::Value>("null").unwrap(),
            serde_json::Value::Null
        );
        assert_eq!(
            go::<serde_json::Value>("[1,null]").unwrap(),
            serde_json::json!([1, null])
        );
        assert_eq!(
            go::<Vec<Option<i32>>>("[1,null]").unwrap(),
            vec![Some(1), None]
        );
        assert_eq!(go::<f64>("1.5").unwrap(), 1.5);
        assert_eq!(go::<Kind>(r#""A""#).unwrap(), Kind::A);
        assert!(go::<Kind>("null").is_err(), "an enum has no zero value");
        assert!(go::<u8>("300").is_err());
        assert!(go::<String>("5").is_err());
        let raw: Box<serde_json::value::RawValue> = go(r#"{"a": [1, 2]}"#).unwrap();
        assert_eq!(raw.get(), r#"{"a": [1, 2]}"#);
    }
}
