//! Writing Go's `[]byte`: a serializer wrapper that writes byte vectors as base64 strings.
//!
//! Go's `encoding/json` writes a `[]byte` as a base64 string (standard alphabet, padded) and
//! reads nothing else into a `[]byte` but that string or an array of numbers. [`GoBytes`] wraps
//! a serializer (serde_json's, in this codec) and, at every depth of the value:
//!
//! - writes `serialize_bytes` (`serde_bytes`, `bytes::Bytes`) as a base64 string;
//! - writes a sequence whose elements are all `u8` (what `Vec<u8>`, `&[u8]` and `VecDeque<u8>`
//!   serialize as) as a base64 string. It holds back the leading `u8` elements of a sequence
//!   (their bytes only) and decides at the first element that is not a `u8`, which turns the
//!   sequence into the array it would have been, or at the end, which writes the bytes in base64.
//!   An empty sequence stays `[]`, which Go reads into a `[]byte` as well;
//! - leaves tuples alone: a Rust array `[u8; N]` is Go's `[N]byte`, which Go writes as an array.
//!
//! Whether an element is a `u8` is asked of the element itself: it serializes into a probe that
//! accepts a `u8` and refuses anything else at its first call, before any output. Only the
//! leading elements of a sequence are asked. serde_json's `RawValue` passes through untouched.

use std::fmt;
use std::mem;

use serde::ser::{
    self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct,
    SerializeStructVariant, SerializeTuple, SerializeTupleStruct, SerializeTupleVariant,
    Serializer,
};

use crate::base64::Base64;

/// serde_json's marker for `RawValue`, whose text must reach the JSON serializer untouched.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// A serializer that writes byte vectors as Go does (see the [module documentation](self)).
pub(crate) struct GoBytes<S>(pub(crate) S);

/// A value to serialize through [`GoBytes`].
struct Go<'a, T: ?Sized>(&'a T);

impl<T: ?Sized + Serialize> Serialize for Go<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(GoBytes(serializer))
    }
}

macro_rules! forward_scalars {
    ($($method:ident($ty:ty),)*) => {
        $(fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            self.0.$method(v)
        })*
    };
}

impl<S: Serializer> Serializer for GoBytes<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Seq<S>;
    type SerializeTuple = Compound<S::SerializeTuple>;
    type SerializeTupleStruct = Compound<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<S::SerializeTupleVariant>;
    type SerializeMap = Compound<S::SerializeMap>;
    type SerializeStruct = Struct<S::SerializeStruct>;
    type SerializeStructVariant = Compound<S::SerializeStructVariant>;

    forward_scalars! {
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        self.0.collect_str(&Base64(v))
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Go(value))
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_struct(name)
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Go(value))
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_variant(name, index, variant, &Go(value))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<S>, S::Error> {
        Ok(Seq(SeqState::Bytes {
            serializer: self.0,
            len,
            bytes: Vec::new(),
        }))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(Compound)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len).map(Compound)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0
            .serialize_tuple_variant(name, index, variant, len)
            .map(Compound)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(Compound)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let raw = name == RAW_VALUE_TOKEN;
        self.0
            .serialize_struct(name, len)
            .map(|inner| Struct { inner, raw })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0
            .serialize_struct_variant(name, index, variant, len)
            .map(Compound)
    }

    fn collect_str<T: ?Sized + fmt::Display>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.collect_str(value)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A sequence: held back while every element so far is a `u8`, an array from the first other.
pub(crate) struct Seq<S: Serializer>(SeqState<S>);

enum SeqState<S: Serializer> {
    /// Nothing written yet; every element so far was a `u8`.
    Bytes {
        serializer: S,
        len: Option<usize>,
        bytes: Vec<u8>,
    },
    /// Writing an array.
    Array(S::SerializeSeq),
    /// An error ended the sequence.
    Failed,
}

impl<S: Serializer> SerializeSeq for Seq<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), S::Error> {
        match &mut self.0 {
            SeqState::Array(seq) => return seq.serialize_element(&Go(value)),
            SeqState::Bytes { len, bytes, .. } => {
                if let Ok(byte) = value.serialize(U8Probe) {
                    if bytes.capacity() == 0 {
                        bytes.reserve(len.unwrap_or(0));
                    }
                    bytes.push(byte);
                    return Ok(());
                }
            }
            SeqState::Failed => return Err(ser::Error::custom("sequence already failed")),
        }
        // The first element that is not a u8: the sequence is an array after all.
        let SeqState::Bytes {
            serializer,
            len,
            bytes,
        } = mem::replace(&mut self.0, SeqState::Failed)
        else {
            return Err(ser::Error::custom("sequence already failed"));
        };
        let mut seq = serializer.serialize_seq(len)?;
        for byte in &bytes {
            seq.serialize_element(byte)?;
        }
        seq.serialize_element(&Go(value))?;
        self.0 = SeqState::Array(seq);
        Ok(())
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        match self.0 {
            SeqState::Bytes {
                serializer, bytes, ..
            } if bytes.is_empty() => serializer.serialize_seq(Some(0))?.end(),
            SeqState::Bytes {
                serializer, bytes, ..
            } => serializer.collect_str(&Base64(&bytes)),
            SeqState::Array(seq) => seq.end(),
            SeqState::Failed => Err(ser::Error::custom("sequence already failed")),
        }
    }
}

/// A compound whose values (not map keys) are serialized through [`GoBytes`].
pub(crate) struct Compound<C>(C);

impl<C: SerializeTuple> SerializeTuple for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), C::Error> {
        self.0.serialize_element(&Go(value))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

impl<C: SerializeTupleStruct> SerializeTupleStruct for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), C::Error> {
        self.0.serialize_field(&Go(value))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

impl<C: SerializeTupleVariant> SerializeTupleVariant for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), C::Error> {
        self.0.serialize_field(&Go(value))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

impl<C: SerializeMap> SerializeMap for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), C::Error> {
        self.0.serialize_key(key)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), C::Error> {
        self.0.serialize_value(&Go(value))
    }

    fn serialize_entry<K: ?Sized + Serialize, V: ?Sized + Serialize>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), C::Error> {
        self.0.serialize_entry(key, &Go(value))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

impl<C: SerializeStructVariant> SerializeStructVariant for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        self.0.serialize_field(key, &Go(value))
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.0.skip_field(key)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

/// A struct's fields through [`GoBytes`], except a `RawValue`'s, which go through untouched.
pub(crate) struct Struct<C> {
    inner: C,
    raw: bool,
}

impl<C: SerializeStruct> SerializeStruct for Struct<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        if self.raw {
            self.inner.serialize_field(key, value)
        } else {
            self.inner.serialize_field(key, &Go(value))
        }
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

/// Accepts a `u8` and refuses everything else at once, having written nothing.
struct U8Probe;

/// What [`U8Probe`] answers for anything but a `u8`.
#[derive(Debug)]
struct NotU8;

impl fmt::Display for NotU8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a u8")
    }
}

impl std::error::Error for NotU8 {}

impl ser::Error for NotU8 {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotU8
    }
}

macro_rules! refuse {
    ($($method:ident($($ty:ty),*),)*) => {
        $(fn $method(self, $(_: $ty),*) -> Result<u8, NotU8> {
            Err(NotU8)
        })*
    };
}

impl Serializer for U8Probe {
    type Ok = u8;
    type Error = NotU8;
    type SerializeSeq = Impossible<u8, NotU8>;
    type SerializeTuple = Impossible<u8, NotU8>;
    type SerializeTupleStruct = Impossible<u8, NotU8>;
    type SerializeTupleVariant = Impossible<u8, NotU8>;
    type SerializeMap = Impossible<u8, NotU8>;
    type SerializeStruct = Impossible<u8, NotU8>;
    type SerializeStructVariant = Impossible<u8, NotU8>;

    fn serialize_u8(self, v: u8) -> Result<u8, NotU8> {
        Ok(v)
    }

    refuse! {
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<u8, NotU8> {
        Err(NotU8)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<u8, NotU8> {
        Err(NotU8)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<u8, NotU8> {
        Err(NotU8)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotU8> {
        Err(NotU8)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotU8> {
        Err(NotU8)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotU8> {
        Err(NotU8)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotU8> {
        Err(NotU8)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotU8> {
        Err(NotU8)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, NotU8> {
        Err(NotU8)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotU8> {
        Err(NotU8)
    }

    fn collect_str<T: ?Sized + fmt::Display>(self, _: &T) -> Result<u8, NotU8> {
        Err(NotU8)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, VecDeque};

    use bytes::BytesMut;
    use serde::Serialize;
    use serde_json::value::RawValue;

    use super::super::format::LimitedWriter;

    fn go_json<T: ?Sized + Serialize>(value: &T) -> String {
        let mut buf = BytesMut::new();
        LimitedWriter::new(&mut buf, usize::MAX)
            .json(value)
            .unwrap();
        String::from_utf8(buf.to_vec()).unwrap()
    }

    /// A value that serializes as bytes, as `serde_bytes::ByteBuf` and `bytes::Bytes` do.
    struct AsBytes(&'static [u8]);

    impl Serialize for AsBytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Blob {
        data: Vec<u8>,
        nil: Option<Vec<u8>>,
        empty: Vec<u8>,
        array: [u8; 4],
        nested: Vec<Vec<u8>>,
        map: BTreeMap<String, Vec<u8>>,
    }

    /// Expected texts from Go 1.26's `json.Marshal` of the same values, but for an empty
    /// `Vec<u8>`: `[]` here, `""` in Go (Go reads either into an empty `[]byte`).
    #[test]
    fn byte_vectors_are_base64_as_in_go() {
        assert_eq!(go_json(&vec![1u8, 2, 3, 255]), r#""AQID/w==""#);
        assert_eq!(go_json(&[0u8, 1, 2, 127, 128, 255][..]), r#""AAECf4D/""#);
        assert_eq!(go_json(&VecDeque::from(vec![0xfbu8, 0xff])), r#""+/8=""#);
        assert_eq!(go_json(&AsBytes(&[1, 2, 3])), r#""AQID""#);
        assert_eq!(go_json(&AsBytes(&[])), r#""""#);
        let blob = Blob {
            data: vec![0, 1, 2, 127, 128, 255],
            nil: None,
            empty: vec![],
            array: [0xde, 0xad, 0xbe, 0xef],
            nested: vec![vec![1], vec![2, 3]],
            map: [("k".to_string(), vec![4u8])].into_iter().collect(),
        };
        assert_eq!(
            go_json(&blob),
            r#"{"Data":"AAECf4D/","Nil":null,"Empty":[],"Array":[222,173,190,239],"Nested":["AQ==","AgM="],"Map":{"k":"BA=="}}"#
        );
        assert_eq!(go_json(&Some(vec![42u8])), r#""Kg==""#);
        let large: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let text = go_json(&large);
        assert_eq!(text.len(), 2 + large.len().div_ceil(3) * 4);
        assert_eq!(
            crate::base64::decode(text.trim_matches('"').as_bytes()).unwrap(),
            large
        );
    }

    #[test]
    fn other_sequences_stay_arrays() {
        assert_eq!(go_json(&Vec::<u8>::new()), "[]");
        assert_eq!(go_json(&vec![1u16, 2]), "[1,2]");
        assert_eq!(go_json(&vec![-1i8, 2]), "[-1,2]");
        assert_eq!(go_json(&vec!["a", "b"]), r#"["a","b"]"#);
        assert_eq!(go_json(&vec![Some(1u8), None]), "[1,null]");
        assert_eq!(go_json(&serde_json::json!([1, 2, 255])), "[1,2,255]");
        // A sequence that starts with bytes and goes on with something else.
        assert_eq!(go_json(&serde_json::json!([1, 2, "x"])), r#"[1,2,"x"]"#);
        struct Mixed;
        impl Serialize for Mixed {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(None)?;
                seq.serialize_element(&1u8)?;
                seq.serialize_element(&2u8)?;
                seq.serialize_element(&vec![3u8])?;
                seq.serialize_element(&4u8)?;
                seq.end()
            }
        }
        assert_eq!(go_json(&Mixed), r#"[1,2,"Aw==",4]"#);
        // Tuples and arrays are Go's [N]byte: arrays.
        assert_eq!(go_json(&[1u8, 2, 3]), "[1,2,3]");
        assert_eq!(go_json(&(1u8, 2u8)), "[1,2]");
        assert_eq!(go_json(&[[1u8; 2]; 2]), "[[1,1],[1,1]]");
    }

    #[test]
    fn raw_values_pass_through() {
        let text = r#"{"a": [1, 2], "big": 1267650600228229401496703205376, "s": "<"}"#;
        let raw = RawValue::from_string(text.into()).unwrap();
        assert_eq!(go_json(&raw), text);
        assert_eq!(go_json(&Some(&raw)), text);
        assert_eq!(go_json(&vec![&raw, &raw]), format!("[{text},{text}]"));
    }
}
