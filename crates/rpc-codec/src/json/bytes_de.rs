//! Reading Go's `[]byte`: Go's `encoding/json` writes a byte slice as a base64 string.
//!
//! [`GoNull`](super::gonull::GoNull) asks the JSON deserializer for any value where a Rust type
//! asks for a sequence (`Vec<u8>`) or for bytes (`serde_bytes::ByteBuf`, `bytes::Bytes`), and
//! hands it to [`Base64Or`]: an array goes to the type as before (Go reads an array of numbers
//! into a `[]byte` too), and a string is decoded from base64 and presented as a sequence of `u8`
//! or as bytes. A string that is not base64 fails with Go's text (`illegal base64 data at input
//! byte N`). Every other value goes to the type's visitor, which refuses it as before.
//!
//! The bytes of a string stand only for `u8` elements: a `Vec<u16>` or `Vec<String>` given a
//! string fails (`invalid type: string "...", expected u16`), as Go refuses a string for any
//! slice but `[]byte`. Requests for any other type (`serde_json::Value`, `String`, a fixed-size
//! array, which is Go's `[N]byte`, written as an array) are not affected.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected, Visitor,
};

use super::gonull::Wrap;
use crate::base64::{self, CorruptInput};

/// A visitor for a sequence or bytes request that also takes a base64 string.
pub(super) struct Base64Or<V> {
    visitor: V,
    /// Present a string's bytes as bytes (`visit_byte_buf`) rather than as a sequence.
    as_bytes: bool,
}

impl<V> Base64Or<V> {
    /// For `deserialize_seq`: a string's bytes become a sequence of `u8`.
    pub(super) fn seq(visitor: V) -> Self {
        Self {
            visitor,
            as_bytes: false,
        }
    }

    /// For `deserialize_bytes` / `deserialize_byte_buf`: a string's bytes are given as bytes.
    pub(super) fn bytes(visitor: V) -> Self {
        Self {
            visitor,
            as_bytes: true,
        }
    }
}

impl<'de, V: Visitor<'de>> Base64Or<V> {
    fn string<E: de::Error>(self, text: &str) -> Result<V::Value, E> {
        let bytes = base64::decode(text.as_bytes());
        if self.as_bytes {
            self.visitor.visit_byte_buf(bytes.map_err(E::custom)?)
        } else {
            self.visitor.visit_seq(ByteSeq {
                text,
                bytes,
                next: 0,
                error: PhantomData,
            })
        }
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty),)*) => {
        $(fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            Wrap(self.visitor).$method(value)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Base64Or<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<V::Value, E> {
        self.string(value)
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<V::Value, E> {
        self.string(value)
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<V::Value, E> {
        self.string(&value)
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
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>),
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        Wrap(self.visitor).visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        Wrap(self.visitor).visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        Wrap(self.visitor).visit_some(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        Wrap(self.visitor).visit_newtype_struct(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        Wrap(self.visitor).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        Wrap(self.visitor).visit_map(map)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        Wrap(self.visitor).visit_enum(data)
    }
}

/// A base64 string's bytes as a sequence; a string that did not decode is one element whose
/// `u8` fails with Go's error.
struct ByteSeq<'a, E> {
    text: &'a str,
    bytes: Result<Vec<u8>, CorruptInput>,
    next: usize,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> SeqAccess<'de> for ByteSeq<'_, E> {
    type Error = E;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, E> {
        let byte = match &self.bytes {
            Ok(bytes) => match bytes.get(self.next) {
                Some(&byte) => Ok(byte),
                None => return Ok(None),
            },
            Err(_) if self.next > 0 => return Ok(None),
            Err(corrupt) => Err(*corrupt),
        };
        self.next += 1;
        seed.deserialize(ByteElement {
            byte,
            text: self.text,
            error: PhantomData,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        match &self.bytes {
            Ok(bytes) => Some(bytes.len().saturating_sub(self.next)),
            Err(_) => Some(usize::from(self.next == 0)),
        }
    }
}

/// One byte of a base64 string: a `u8` and nothing else.
struct ByteElement<'a, E> {
    byte: Result<u8, CorruptInput>,
    text: &'a str,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Deserializer<'de> for ByteElement<'_, E> {
    type Error = E;

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_u8(self.byte.map_err(E::custom)?)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_unit()
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        Err(E::invalid_type(Unexpected::Str(self.text), &visitor))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::super::gonull::GoNull;

    fn go<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let value = T::deserialize(GoNull(&mut de))?;
        de.end()?;
        Ok(value)
    }

    /// A type that asks for bytes, as `serde_bytes::ByteBuf` does.
    #[derive(Debug, PartialEq)]
    struct ByteBuf(Vec<u8>);

    impl<'de> Deserialize<'de> for ByteBuf {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = ByteBuf;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                    Ok(ByteBuf(v.to_vec()))
                }
                fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                    Ok(ByteBuf(v))
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<ByteBuf, A::Error> {
                    let mut out = Vec::new();
                    while let Some(b) = seq.next_element()? {
                        out.push(b);
                    }
                    Ok(ByteBuf(out))
                }
            }
            d.deserialize_byte_buf(V)
        }
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Blob {
        data: Vec<u8>,
        nil: Vec<u8>,
        empty: Vec<u8>,
        array: [u8; 4],
        maybe: Option<Vec<u8>>,
        buf: ByteBuf,
    }

    #[test]
    fn base64_strings_are_byte_vectors() {
        assert_eq!(go::<Vec<u8>>(r#""AQID/w==""#).unwrap(), [1, 2, 3, 255]);
        assert_eq!(go::<Vec<u8>>(r#""""#).unwrap(), b"");
        assert_eq!(go::<Vec<u8>>("null").unwrap(), b"");
        assert_eq!(go::<Vec<u8>>("[1,2,3]").unwrap(), [1, 2, 3]);
        // An escaped string is decoded after unescaping, as Go does.
        assert_eq!(go::<Vec<u8>>(r#""AQ\u0049D""#).unwrap(), [1, 2, 3]);
        assert_eq!(go::<ByteBuf>(r#""AQID/w==""#).unwrap().0, [1, 2, 3, 255]);
        assert_eq!(go::<ByteBuf>("[7]").unwrap().0, [7]);
        assert_eq!(go::<ByteBuf>("null").unwrap().0, b"");
        // As Go's encoding/json writes struct{Data, Nil, Empty []byte; Array [4]byte; ...}.
        let blob: Blob = go(
            r#"{"Data":"AAECf4D/","Nil":null,"Empty":"","Array":[222,173,190,239],"Maybe":"Kg==","Buf":"+/8="}"#,
        )
        .unwrap();
        assert_eq!(
            blob,
            Blob {
                data: vec![0, 1, 2, 127, 128, 255],
                nil: vec![],
                empty: vec![],
                array: [0xde, 0xad, 0xbe, 0xef],
                maybe: Some(vec![42]),
                buf: ByteBuf(vec![0xfb, 0xff]),
            }
        );
        assert_eq!(
            go::<Vec<Vec<u8>>>(r#"["AQ==",null,[2]]"#).unwrap(),
            [vec![1], vec![], vec![2]]
        );
    }

    #[test]
    fn bad_base64_fails_with_gos_text() {
        for text in [r#""not base64!""#, r#"{"Data":"not base64!"}"#] {
            let err = if text.starts_with('{') {
                go::<Blob>(text).unwrap_err()
            } else {
                go::<Vec<u8>>(text).unwrap_err()
            };
            assert!(
                err.to_string()
                    .starts_with("illegal base64 data at input byte 3"),
                "{err}"
            );
        }
        let err = go::<ByteBuf>(r#""AQID/w=""#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("illegal base64 data at input byte 7"),
            "{err}"
        );
    }

    #[test]
    fn other_types_see_the_string() {
        assert_eq!(
            go::<serde_json::Value>(r#""AQID""#).unwrap(),
            serde_json::json!("AQID")
        );
        assert_eq!(go::<String>(r#""AQID""#).unwrap(), "AQID");
        assert!(
            go::<[u8; 3]>(r#""AQID""#).is_err(),
            "Go's [3]byte is an array"
        );
        // Only []byte takes a string, as in Go.
        for err in [
            go::<Vec<u16>>(r#""AQID""#).unwrap_err(),
            go::<Vec<String>>(r#""AQID""#).unwrap_err(),
            go::<Vec<serde_json::Value>>(r#""AQID""#).unwrap_err(),
            go::<Vec<String>>(r#""not base64!""#).unwrap_err(),
        ] {
            assert!(
                err.to_string().starts_with("invalid type: string \""),
                "{err}"
            );
        }
        assert!(go::<Vec<u8>>("5").is_err());
        assert!(go::<Vec<u8>>("{}").is_err());
        assert!(go::<Vec<u8>>("[300]").is_err());
    }
}
