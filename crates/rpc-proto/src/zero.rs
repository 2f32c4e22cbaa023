//! Go's zero values for serde types.
//!
//! Go decodes an absent value as the zero value of its type: a jsonrpc request without `params`
//! calls the method with a zero argument, a `null` result decodes to a zero reply, and gob leaves
//! out struct fields that are zero. [`value`] produces that zero for any `Deserialize` type by
//! answering each request of serde's data model with its zero: `false`, `0`, `""`, an empty
//! sequence or map, `None`, a struct whose every field is zero, a fixed-size array of zeros.
//! Enums have no zero value in Go or Rust and are an error.
//!
//! ```
//! #[derive(serde::Deserialize, Debug, PartialEq)]
//! struct Point { x: i32, label: String, tags: Vec<String>, pair: [u8; 2] }
//!
//! let p: Point = rpc_proto::zero::value().unwrap();
//! assert_eq!(p, Point { x: 0, label: String::new(), tags: vec![], pair: [0, 0] });
//! ```

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

/// The zero value of `T`.
pub fn value<T: de::DeserializeOwned>() -> Result<T, Error> {
    T::deserialize(Zero)
}

/// Why a type has no zero value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Error(msg.to_string())
    }
}

/// A deserializer that yields the zero value of whatever is asked of it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Zero;

macro_rules! zero_number {
    ($($method:ident => $visit:ident($zero:expr),)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit($zero)
        })*
    };
}

impl<'de> Deserializer<'de> for Zero {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    zero_number! {
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i8(0),
        deserialize_i16 => visit_i16(0),
        deserialize_i32 => visit_i32(0),
        deserialize_i64 => visit_i64(0),
        deserialize_i128 => visit_i128(0),
        deserialize_u8 => visit_u8(0),
        deserialize_u16 => visit_u16(0),
        deserialize_u32 => visit_u32(0),
        deserialize_u64 => visit_u64(0),
        deserialize_u128 => visit_u128(0),
        deserialize_f32 => visit_f32(0.0),
        deserialize_f64 => visit_f64(0.0),
        deserialize_char => visit_char('\0'),
        deserialize_str => visit_str(""),
        deserialize_string => visit_str(""),
        deserialize_bytes => visit_bytes(&[]),
        deserialize_byte_buf => visit_bytes(&[]),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_none()
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(Zeros { left: 0 })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(Zeros { left: len })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_seq(Zeros { left: len })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(ZeroFields { fields: &[] })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_map(ZeroFields { fields })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(Error(format!("enum {name} has no zero value")))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(Error("an identifier has no zero value".into()))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// A fixed number of zero elements.
struct Zeros {
    left: usize,
}

impl<'de> SeqAccess<'de> for Zeros {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(Zero).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// Every field of a struct, each with a zero value.
struct ZeroFields {
    fields: &'static [&'static str],
}

impl<'de> MapAccess<'de> for ZeroFields {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.fields.first() {
            None => Ok(None),
            Some(field) => {
                let key: de::value::StrDeserializer<'_, Error> = field.into_deserializer();
                seed.deserialize(key).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        if let Some((_, rest)) = self.fields.split_first() {
            self.fields = rest;
        }
        seed.deserialize(Zero)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Inner {
        n: u64,
        f: f64,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Outer {
        ok: bool,
        name: String,
        inner: Inner,
        maybe: Option<Box<Outer>>,
        map: HashMap<String, i8>,
        bytes: Vec<u8>,
        kv: [String; 2],
        tuple: (i16, char),
        unit: (),
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Empty {}

    #[derive(Deserialize, Debug, PartialEq)]
    enum Kind {
        A,
    }

    #[test]
    fn zero_of_nested_types() {
        let v: Outer = value().unwrap();
        assert_eq!(
            v,
            Outer {
                ok: false,
                name: String::new(),
                inner: Inner { n: 0, f: 0.0 },
                maybe: None,
                map: HashMap::new(),
                bytes: vec![],
                kv: [String::new(), String::new()],
                tuple: (0, '\0'),
                unit: (),
            }
        );
    }

    #[test]
    fn zero_of_scalars_and_empty_struct() {
        assert_eq!(value::<u128>().unwrap(), 0);
        assert_eq!(value::<Empty>().unwrap(), Empty {});
        assert_eq!(
            value::<serde_json::Value>().unwrap(),
            serde_json::Value::Null
        );
    }

    #[test]
    fn enums_have_no_zero() {
        let err = value::<Kind>().unwrap_err();
        assert_eq!(err.to_string(), "enum Kind has no zero value");
    }
}
