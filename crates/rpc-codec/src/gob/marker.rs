//! The serde names by which gob recognizes values that Go's type system has and serde's does
//! not, and the small serializers and deserializers that carry them.
//!
//! - **Marshaler values** ([`rpc_gotypes::marker::MARSHALER`]): `time.Time`, `*big.Int`, any
//!   `GobEncoder` or `BinaryMarshaler`. A newtype struct wrapping `{Kind, Name, Data}`; gob
//!   writes the named marshaler wire type and `Data` as the value, and hands a marshaler value
//!   back in the same form.
//! - **Go strings of any bytes** ([`rpc_gotypes::marker::STRING`]): a newtype struct wrapping
//!   bytes, written as a gob `string`.
//! - **Interface values**: a Rust enum's newtype variant is a Go interface value whose concrete
//!   type is registered (`gob.Register`) under the variant's serde name; [`INTERFACE`] carries
//!   a run-time name (a struct `{Name, Value}`, `Value` absent for nil), for dynamic values.

use serde::de::value::{
    BorrowedBytesDeserializer, BorrowedStrDeserializer, StrDeserializer, U8Deserializer,
};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Impossible, Serialize};

use super::error::{Error, bail};
use super::refuse::refuse;
use super::types::Marshaler;

pub(crate) use rpc_gotypes::marker::{MARSHALER, STRING};

/// The newtype struct wrapping an interface value with a run-time concrete type name: a struct
/// with the fields `Name` (string; empty for nil) and `Value` (absent or `None` for nil).
pub(crate) const INTERFACE: &str = "\0gob::interface";

impl Marshaler {
    /// The code of the marker's `Kind` field.
    pub(crate) fn code(self) -> u8 {
        match self {
            Marshaler::Gob => 0,
            Marshaler::Binary => 1,
            Marshaler::Text => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Result<Self, Error> {
        Ok(match code {
            0 => Marshaler::Gob,
            1 => Marshaler::Binary,
            2 => Marshaler::Text,
            _ => bail!("gob: marshaler kind {code} is not one of Go's (0, 1, 2)"),
        })
    }
}

/// A marshaler value taken from its marker form.
#[derive(Debug, Default)]
pub(crate) struct Marshaled {
    pub(crate) kind: Option<Marshaler>,
    pub(crate) name: String,
    pub(crate) data: Vec<u8>,
}

impl Marshaled {
    /// Serializes `value` (the inside of a [`MARSHALER`] newtype) to learn what it holds.
    pub(crate) fn capture<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        Self::capture_with(value, true)
    }

    /// [`Marshaled::capture`] without copying the data: what the type pass needs.
    pub(crate) fn capture_type<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        Self::capture_with(value, false)
    }

    fn capture_with<T: Serialize + ?Sized>(value: &T, with_data: bool) -> Result<Self, Error> {
        let mut out = Marshaled::default();
        value.serialize(CaptureStructSerializer(&mut out, with_data))?;
        if out.kind.is_none() {
            bail!("gob: a marshaler value without its kind");
        }
        Ok(out)
    }

    pub(crate) fn kind(&self) -> Marshaler {
        self.kind.unwrap_or(Marshaler::Gob)
    }
}

fn not_marker(what: &str) -> Error {
    Error::new(format!(
        "gob: a marshaler marker must wrap a struct {{Kind, Name, Data}}, not {what}"
    ))
}

/// Takes the fields of the struct inside a [`MARSHALER`] newtype.
struct CaptureStruct<'a>(&'a mut Marshaled, bool);

impl<'a> ser::SerializeStruct for CaptureStruct<'a> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        match key {
            "Kind" => {
                let code = match value.serialize(Capture)? {
                    Captured::Uint(code) => u8::try_from(code).ok(),
                    _ => None,
                };
                match code {
                    Some(code) => self.0.kind = Some(Marshaler::from_code(code)?),
                    None => return Err(not_marker("a non-u8 kind")),
                }
            }
            "Name" => match value.serialize(Capture)? {
                Captured::Bytes(name) => {
                    self.0.name = String::from_utf8(name).map_err(|_| not_marker("a bad name"))?
                }
                _ => return Err(not_marker("a non-string name")),
            },
            "Data" if !self.1 => {}
            "Data" => match value.serialize(Capture)? {
                Captured::Bytes(data) => self.0.data = data,
                _ => return Err(not_marker("non-byte data")),
            },
            other => return Err(not_marker(&format!("a field {other:?}"))),
        }
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// What [`Capture`] saw: a scalar, a string or bytes.
pub(crate) enum Captured {
    Uint(u64),
    Bytes(Vec<u8>),
    Other,
}

/// A serializer that keeps one scalar, string or byte string.
pub(crate) struct Capture;

macro_rules! capture_other {
    ($($method:ident($($arg:ty),*),)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Captured, Error> {
            Ok(Captured::Other)
        })*
    };
}

impl ser::Serializer for Capture {
    type Ok = Captured;
    type Error = Error;
    type SerializeSeq = CaptureSeq;
    type SerializeTuple = Impossible<Captured, Error>;
    type SerializeTupleStruct = Impossible<Captured, Error>;
    type SerializeTupleVariant = Impossible<Captured, Error>;
    type SerializeMap = Impossible<Captured, Error>;
    type SerializeStruct = Impossible<Captured, Error>;
    type SerializeStructVariant = Impossible<Captured, Error>;

    fn serialize_u8(self, v: u8) -> Result<Captured, Error> {
        Ok(Captured::Uint(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Captured, Error> {
        Ok(Captured::Uint(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Captured, Error> {
        Ok(Captured::Uint(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Captured, Error> {
        Ok(Captured::Uint(v))
    }
    fn serialize_str(self, v: &str) -> Result<Captured, Error> {
        Ok(Captured::Bytes(v.as_bytes().to_vec()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Captured, Error> {
        Ok(Captured::Bytes(v.to_vec()))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Captured, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Captured, Error> {
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<CaptureSeq, Error> {
        Ok(CaptureSeq(Vec::with_capacity(len.unwrap_or(0).min(4096))))
    }
    capture_other! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_f32(f32), serialize_f64(f64), serialize_char(char),
        serialize_none(), serialize_unit(), serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Captured, Error> {
        Ok(Captured::Other)
    }
    refuse! { not_marker("a compound value");
        serialize_tuple serialize_tuple_struct serialize_tuple_variant serialize_map
        serialize_struct serialize_struct_variant
    }
}

/// Bytes given as a sequence of `u8`.
pub(crate) struct CaptureSeq(Vec<u8>);

impl ser::SerializeSeq for CaptureSeq {
    type Ok = Captured;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        match value.serialize(Capture)? {
            Captured::Uint(byte) if byte <= 0xff => {
                self.0.push(byte as u8);
                Ok(())
            }
            _ => Err(not_marker("a sequence of non-bytes")),
        }
    }
    fn end(self) -> Result<Captured, Error> {
        Ok(Captured::Bytes(self.0))
    }
}

/// Serializes the struct inside a [`MARSHALER`] newtype into a [`Marshaled`].
/// The marshaler value being captured, and whether to keep its data.
struct CaptureStructSerializer<'a>(&'a mut Marshaled, bool);

impl<'a> ser::Serializer for CaptureStructSerializer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = CaptureStruct<'a>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<CaptureStruct<'a>, Error> {
        Ok(CaptureStruct(self.0, self.1))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    refuse! { not_marker("anything but a struct");
        serialize_seq serialize_tuple serialize_tuple_struct serialize_map serialize_bool
        serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8 serialize_u16
        serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char serialize_str
        serialize_bytes serialize_none serialize_unit serialize_unit_struct
        serialize_unit_variant serialize_newtype_variant serialize_tuple_variant
        serialize_struct_variant
    }
}

/// The bytes inside a [`STRING`] newtype.
pub(crate) fn capture_string<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    match value.serialize(Capture)? {
        Captured::Bytes(bytes) => Ok(bytes),
        _ => bail!("gob: a Go string marker must wrap bytes"),
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// A marshaler value handed to a `Deserialize` implementation: the struct `{Kind, Name, Data}`
/// (as a map or a sequence). `Data` is bytes, or a sequence of `u8` for self-describing
/// visitors that take no bytes (`serde_json::Value`).
pub(crate) struct MarshaledDe<'a, 'de> {
    pub(crate) kind: Marshaler,
    pub(crate) name: &'a str,
    pub(crate) data: &'de [u8],
    pub(crate) data_as_seq: bool,
}

impl<'de> de::Deserializer<'de> for MarshaledDe<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(MarshaledAccess { de: self, at: 0 })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(MarshaledAccess { de: self, at: 0 })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct map struct enum identifier ignored_any
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

struct MarshaledAccess<'a, 'de> {
    de: MarshaledDe<'a, 'de>,
    at: usize,
}

impl<'de> MarshaledAccess<'_, 'de> {
    fn value<S: DeserializeSeed<'de>>(&mut self, seed: S, at: usize) -> Result<S::Value, Error> {
        match at {
            0 => {
                let de: U8Deserializer<Error> = self.de.kind.code().into_deserializer();
                seed.deserialize(de)
            }
            1 => seed.deserialize(StrDeserializer::<Error>::new(self.de.name)),
            _ if self.de.data_as_seq => seed.deserialize(
                de::value::SeqDeserializer::<_, Error>::new(self.de.data.iter().copied()),
            ),
            _ => seed.deserialize(BorrowedBytesDeserializer::<Error>::new(self.de.data)),
        }
    }
}

impl<'de> MapAccess<'de> for MarshaledAccess<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match rpc_gotypes::marker::MARSHALED_FIELDS.get(self.at) {
            Some(name) => seed
                .deserialize(BorrowedStrDeserializer::<Error>::new(name))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let at = self.at;
        self.at += 1;
        self.value(seed, at)
    }
}

impl<'de> SeqAccess<'de> for MarshaledAccess<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.at >= 3 {
            return Ok(None);
        }
        let at = self.at;
        self.at += 1;
        self.value(seed, at).map(Some)
    }
}

// ---------------------------------------------------------------------------------------------
// Interface values with a run-time name

/// A `&T` that can be handed on as `&dyn erased_serde::Serialize` whatever `T`'s size.
pub(crate) struct Ref<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: Serialize + ?Sized> Serialize for Ref<'_, T> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// The concrete type name and value of an interface value given under [`INTERFACE`] (the
/// newtype's inside: a struct whose `Name` comes before its `Value`); `f` gets them, the value
/// `None` for a nil interface value.
pub(crate) fn split_interface<T, R>(
    value: &T,
    f: impl FnOnce(&str, Option<&dyn erased_serde::Serialize>) -> Result<R, Error>,
) -> Result<R, Error>
where
    T: Serialize + ?Sized,
{
    let mut split = Split {
        name: String::new(),
        f: Some(f),
        out: None,
    };
    value.serialize(SplitSerializer(&mut split))?;
    match (split.out, split.f) {
        (Some(out), _) => out,
        (None, Some(f)) => {
            if !split.name.is_empty() {
                bail!("gob: interface value {:?} without its value", split.name);
            }
            f("", None)
        }
        (None, None) => bail!("gob: an interface value was split twice"),
    }
}

struct Split<F, R> {
    name: String,
    f: Option<F>,
    out: Option<Result<R, Error>>,
}

struct SplitSerializer<'a, F, R>(&'a mut Split<F, R>);

fn not_interface(what: &str) -> Error {
    Error::new(format!(
        "gob: an interface marker must wrap a struct {{Name, Value}}, not {what}"
    ))
}

impl<'a, F, R> ser::SerializeStruct for SplitSerializer<'a, F, R>
where
    F: FnOnce(&str, Option<&dyn erased_serde::Serialize>) -> Result<R, Error>,
{
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        match key {
            "Name" => match value.serialize(Capture)? {
                Captured::Bytes(name) => {
                    self.0.name =
                        String::from_utf8(name).map_err(|_| not_interface("a bad name"))?;
                    Ok(())
                }
                _ => Err(not_interface("a non-string name")),
            },
            "Value" => {
                let Some(f) = self.0.f.take() else {
                    return Err(not_interface("two values"));
                };
                let name = std::mem::take(&mut self.0.name);
                let value = if name.is_empty() {
                    None
                } else {
                    Some(&Ref(value) as &dyn erased_serde::Serialize)
                };
                self.0.out = Some(f(&name, value));
                Ok(())
            }
            other => Err(not_interface(&format!("a field {other:?}"))),
        }
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl<'a, F, R> ser::Serializer for SplitSerializer<'a, F, R>
where
    F: FnOnce(&str, Option<&dyn erased_serde::Serialize>) -> Result<R, Error>,
{
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Error> {
        Ok(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    refuse! { not_interface("anything but a struct");
        serialize_seq serialize_tuple serialize_tuple_struct serialize_map serialize_bool
        serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8 serialize_u16
        serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char serialize_str
        serialize_bytes serialize_none serialize_unit serialize_unit_struct
        serialize_unit_variant serialize_newtype_variant serialize_tuple_variant
        serialize_struct_variant
    }
}
