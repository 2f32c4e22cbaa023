//! Decoding: gob values into serde types, driven by the stream's type definitions.
//!
//! The wire says what every value is, so this is a self-describing format (`deserialize_any`
//! works). Go's rules apply where serde leaves room: struct fields match by name, wire fields the
//! Rust type does not know are skipped, and the fields the Rust type expects but the wire left out
//! (Go omits zero fields) get Go's zero value from [`rpc_proto::zero::Zero`]. An interface value
//! is skipped as Go's `ignoreInterface` skips it, or decoded as its concrete value (a nil one as
//! `None`, unit, or the zero value of what is asked for); the stream's decoder has already taken
//! any type definitions out of it (`frame.rs`).

use std::fmt;

use rpc_proto::zero::Zero;
use serde::de::value::{
    BorrowedBytesDeserializer, BorrowedStrDeserializer, StrDeserializer, U8Deserializer,
};
use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};

use super::dynamic::{DYNAMIC, hand_over};
use super::error::{Error, bail};
use super::marker::{self, MarshaledDe};
use super::types::{Ty, TypeId, TypeTable, WireField};
use super::wire::Reader;

mod dynamic;

/// An interface value opened: the concrete type's name and id, and the reader after it.
type Opened<'de> = (&'de [u8], TypeId, Reader<'de>);

/// The state shared by all values of one message.
pub(crate) struct De<'a, 'de> {
    r: Reader<'de>,
    types: &'a TypeTable,
    depth: usize,
    max_depth: usize,
    /// The struct and field being decoded, for Go's error texts (empty at the top level).
    field: (&'a str, &'a str),
}

impl<'a, 'de> De<'a, 'de> {
    fn enter(&mut self) -> Result<(), Error> {
        if self.depth >= self.max_depth {
            bail!("gob: nesting deeper than {} levels", self.max_depth);
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Reads an interface value up to its concrete value: its concrete type's name (empty for
    /// nil), the concrete type's id and the concrete value's byte count. Returns `None` for nil;
    /// otherwise the concrete type and the reader after the concrete value, having entered a
    /// nesting level and limited the reader to the concrete value (past the singleton's delta):
    /// [`De::close_interface`] puts it back.
    ///
    /// The stream's decoder has taken the type definitions an interface value may carry off the
    /// stream (see `frame.rs`), so the concrete type's id comes right after the name.
    fn open_interface(&mut self) -> Result<Option<Opened<'de>>, Error> {
        let name = self.r.bytes()?;
        if name.is_empty() {
            return Ok(None);
        }
        if name.len() > 1024 {
            bail!(
                "gob: name too long ({} bytes): {:.20?}...",
                name.len(),
                String::from_utf8_lossy(name)
            );
        }
        let id = self.r.int()?;
        if id < 0 {
            bail!("gob: unexpected type definition inside an interface value");
        }
        let value = self.r.bytes()?;
        let rest = self.r;
        self.enter()?;
        self.r = Reader::new(value);
        let ty = self.types.get(id)?;
        if !matches!(ty, Ty::Struct { .. }) && self.r.uint()? != 0 {
            bail!("gob: corrupted data: non-zero delta for singleton");
        }
        Ok(Some((name, id, rest)))
    }

    /// Goes on after the concrete value of an interface value (see [`De::open_interface`]);
    /// bytes of it left unread are skipped.
    fn close_interface(&mut self, rest: Reader<'de>) {
        self.r = rest;
        self.leave();
    }

    /// Skips an interface value as Go's `ignoreInterface` does: the concrete type's name (empty
    /// for nil), the concrete type's id, then a byte count and that many bytes.
    fn skip_interface(&mut self) -> Result<(), Error> {
        let name = self.r.bytes()?;
        if name.is_empty() {
            return Ok(());
        }
        if self.r.int()? < 0 {
            bail!("gob: unexpected type definition inside an interface value");
        }
        self.r.bytes()?;
        Ok(())
    }

    /// Skips a value of type `id`.
    fn skip(&mut self, id: TypeId) -> Result<(), Error> {
        match self.types.get(id)? {
            Ty::Bool | Ty::Int | Ty::Uint | Ty::Float => {
                self.r.uint()?;
            }
            Ty::Complex => {
                self.r.uint()?;
                self.r.uint()?;
            }
            Ty::Bytes | Ty::String | Ty::Marshaler { .. } => {
                self.r.bytes()?;
            }
            Ty::Interface => self.skip_interface()?,
            Ty::Array { elem, len } => {
                self.enter()?;
                let n = self.r.count()?;
                if n != len {
                    bail!("gob: array of {len} elements holds {n}");
                }
                for _ in 0..n {
                    self.skip(elem)?;
                }
                self.leave();
            }
            Ty::Slice { elem } => {
                self.enter()?;
                for _ in 0..self.r.count()? {
                    self.skip(elem)?;
                }
                self.leave();
            }
            Ty::Map { key, elem } => {
                self.enter()?;
                for _ in 0..self.r.count()? {
                    self.skip(key)?;
                    self.skip(elem)?;
                }
                self.leave();
            }
            Ty::Struct { fields, .. } => {
                self.enter()?;
                let mut num = -1;
                while let Some(field) = next_field(&mut self.r, fields, &mut num)? {
                    self.skip(field.id)?;
                }
                self.leave();
            }
        }
        Ok(())
    }
}

/// Reads the next field delta of a struct value: the field, or `None` at the terminator.
fn next_field<'t>(
    r: &mut Reader<'_>,
    fields: &'t [WireField],
    num: &mut i64,
) -> Result<Option<&'t WireField>, Error> {
    let delta = r.uint()?;
    if delta == 0 {
        return Ok(None);
    }
    let left = fields.len() as i64 - 1 - *num;
    if delta > left as u64 {
        bail!("gob: field number out of range");
    }
    *num += delta as i64;
    Ok(fields.get(*num as usize))
}

/// Decodes the value of a whole value message (`int(typeId)` then the value) with `f`.
///
/// A value whose type is not a struct is preceded by a zero delta (Go's singleton field).
/// Bytes after the value are ignored, as Go's decoder does.
pub(crate) fn with_message<'de, R>(
    bytes: &'de [u8],
    types: &TypeTable,
    max_depth: usize,
    f: impl FnOnce(Deserializer<'_, '_, 'de>) -> Result<R, Error>,
) -> Result<R, Error> {
    let mut r = Reader::new(bytes);
    let id = r.int()?;
    if id <= 0 {
        bail!("gob: invalid type id {id} for a value");
    }
    let ty = types.get(id)?;
    if !matches!(ty, Ty::Struct { .. }) && r.uint()? != 0 {
        bail!("gob: corrupted data: non-zero delta for singleton");
    }
    let mut de = De {
        r,
        types,
        depth: 0,
        max_depth,
        field: ("", ""),
    };
    f(Deserializer { de: &mut de, id })
}

/// A serde `Deserializer` for one gob value of a known wire type.
pub(crate) struct Deserializer<'x, 'a, 'de> {
    de: &'x mut De<'a, 'de>,
    id: TypeId,
}

impl<'a, 'de> Deserializer<'_, 'a, 'de> {
    fn ty(&self) -> Result<Ty<'a>, Error> {
        self.de.types.get(self.id)
    }

    /// Decodes an interface value: its concrete value with `concrete`, or a nil one with `nil`.
    fn interface<V: Visitor<'de>>(
        self,
        visitor: V,
        concrete: impl FnOnce(Deserializer<'_, 'a, 'de>, V) -> Result<V::Value, Error>,
        nil: impl FnOnce(V) -> Result<V::Value, Error>,
    ) -> Result<V::Value, Error> {
        match self.de.open_interface()? {
            None => nil(visitor),
            Some((_, id, rest)) => {
                let value = concrete(
                    Deserializer {
                        de: &mut *self.de,
                        id,
                    },
                    visitor,
                )?;
                self.de.close_interface(rest);
                Ok(value)
            }
        }
    }

    /// Go's error for a value of the wrong type: `expected` is the local (Rust) type in Go's
    /// terms.
    fn mismatch(&self, expected: &str) -> Error {
        match self.de.field {
            ("", "") => Error::new(format!(
                "gob: decoding into local type {expected}, received remote type {}",
                self.de.types.describe(self.id)
            )),
            (strukt, field) => Error::new(format!(
                "gob: wrong type ({expected}) for received field {strukt}.{field}"
            )),
        }
    }

    /// Go's error for a number that does not fit: `value for "FIELD" out of range`, the
    /// field's name or, at the top level, the local type's.
    fn overflow(&self, local: &str) -> Error {
        let name = match self.de.field {
            (_, "") => local,
            (_, field) => field,
        };
        Error::new(format!("value for \"{name}\" out of range"))
    }

    /// A Go string's bytes as a Rust string: Go's strings may hold any bytes, Rust's may not.
    fn utf8(&self, bytes: &'de [u8]) -> Result<&'de str, Error> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(_) => match self.de.field {
                (_, "") => bail!(
                    "gob: string is not valid UTF-8 (decode it into rpc_gotypes::ByteString to keep its bytes)"
                ),
                (strukt, field) => bail!(
                    "gob: string in field {strukt}.{field} is not valid UTF-8 (decode it into rpc_gotypes::ByteString to keep its bytes)"
                ),
            },
        }
    }

    /// Reads an integer of either sign.
    fn integer(&mut self, expected: &str) -> Result<Integer, Error> {
        match self.ty()? {
            Ty::Int => Ok(Integer::Signed(self.de.r.int()?)),
            Ty::Uint => Ok(Integer::Unsigned(self.de.r.uint()?)),
            _ => Err(self.mismatch(expected)),
        }
    }

    fn string(&mut self, expected: &str) -> Result<&'de str, Error> {
        match self.ty()? {
            Ty::String | Ty::Bytes => {
                let bytes = self.de.r.bytes()?;
                self.utf8(bytes)
            }
            _ => Err(self.mismatch(expected)),
        }
    }

    fn seq<V: Visitor<'de>>(
        self,
        visitor: V,
        exact: Option<usize>,
        expected: &str,
    ) -> Result<V::Value, Error> {
        let check = |n: usize| match exact {
            Some(len) if len != n => bail!("gob: expected {len} elements, received {n}"),
            _ => Ok(()),
        };
        match self.ty()? {
            // A string too: Go's strings may hold any bytes.
            Ty::Bytes | Ty::String => {
                let bytes = self.de.r.bytes()?;
                check(bytes.len())?;
                let mut seq = ByteSeq { bytes };
                let value = visitor.visit_seq(&mut seq)?;
                Ok(value)
            }
            Ty::Complex => {
                check(2)?;
                let parts = [self.de.r.float()?, self.de.r.float()?];
                visitor.visit_seq(de::value::SeqDeserializer::new(parts.into_iter()))
            }
            Ty::Array { elem, len } => {
                self.de.enter()?;
                let n = self.de.r.count()?;
                if n != len {
                    bail!("gob: array of {len} elements holds {n}");
                }
                check(n)?;
                self.elements(visitor, elem, n)
            }
            Ty::Slice { elem } => {
                self.de.enter()?;
                let n = self.de.r.count()?;
                check(n)?;
                self.elements(visitor, elem, n)
            }
            _ => Err(self.mismatch(expected)),
        }
    }

    /// Visits `n` elements of type `elem` (the nesting level is already entered).
    fn elements<V: Visitor<'de>>(
        self,
        visitor: V,
        elem: TypeId,
        n: usize,
    ) -> Result<V::Value, Error> {
        let mut seq = Seq {
            de: &mut *self.de,
            elem,
            left: n,
        };
        let value = visitor.visit_seq(&mut seq)?;
        for _ in 0..seq.left {
            self.de.skip(elem)?;
        }
        self.de.leave();
        Ok(value)
    }

    fn map<V: Visitor<'de>>(
        self,
        visitor: V,
        key: TypeId,
        elem: TypeId,
    ) -> Result<V::Value, Error> {
        self.de.enter()?;
        let n = self.de.r.count()?;
        let mut map = Map {
            de: &mut *self.de,
            key,
            elem,
            left: n,
        };
        let value = visitor.visit_map(&mut map)?;
        for _ in 0..map.left {
            self.de.skip(key)?;
            self.de.skip(elem)?;
        }
        self.de.leave();
        Ok(value)
    }

    fn structure<V: Visitor<'de>>(
        self,
        visitor: V,
        wire_name: &'a str,
        fields: &'a [WireField],
        local_name: &'static str,
        expected: &'static [&'static str],
    ) -> Result<V::Value, Error> {
        // Go's rule: a struct that shares no field with the local struct is not this type.
        if !expected.is_empty()
            && !fields.is_empty()
            && !fields
                .iter()
                .any(|field| expected.contains(&field.name.as_str()))
        {
            bail!("gob: type mismatch: no fields matched compiling decoder for {local_name}");
        }
        self.de.enter()?;
        let mut access = Struct {
            de: &mut *self.de,
            wire_name,
            fields,
            num: -1,
            wire_done: false,
            value: Pending::None,
            expected,
            seen: Seen::new(expected.len()),
            hint: 0,
            next_zero: 0,
        };
        let value = visitor.visit_map(&mut access)?;
        if !access.wire_done {
            let mut num = access.num;
            while let Some(field) = next_field(&mut self.de.r, fields, &mut num)? {
                self.de.skip(field.id)?;
            }
        }
        self.de.leave();
        Ok(value)
    }
}

/// An integer as the wire had it.
enum Integer {
    Signed(i64),
    Unsigned(u64),
}

impl Integer {
    fn to<T: TryFrom<i64> + TryFrom<u64>>(&self) -> Option<T> {
        match *self {
            Integer::Signed(i) => T::try_from(i).ok(),
            Integer::Unsigned(u) => T::try_from(u).ok(),
        }
    }
}

/// Go's name for the Rust integer type named `rust`.
fn go_int_name(rust: &str) -> &str {
    match rust {
        "i8" => "int8",
        "i16" => "int16",
        "i32" => "int32",
        "i64" => "int64",
        "u8" => "uint8",
        "u16" => "uint16",
        "u32" => "uint32",
        "u64" => "uint64",
        "char" => "rune",
        other => other,
    }
}

impl fmt::Display for Integer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Integer::Signed(i) => i.fmt(f),
            Integer::Unsigned(u) => u.fmt(f),
        }
    }
}

/// Decodes an interface value (Go's `interface{}`) asked for as something else as its concrete
/// value, and a nil one as the zero value ([`Zero`]): returns from the method if the wire has
/// an interface value.
macro_rules! via_interface {
    ($self:ident, $visitor:ident, $method:ident($($arg:expr),*)) => {
        if let Ok(Ty::Interface) = $self.de.types.get($self.id) {
            return $self.interface(
                $visitor,
                |de, visitor| de.$method($($arg,)* visitor),
                |visitor| Zero.$method($($arg,)* visitor).map_err(|e| Error::new(e.to_string())),
            );
        }
    };
}

macro_rules! integer {
    ($($method:ident => $visit:ident($ty:ty),)*) => {
        $(fn $method<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
            via_interface!(self, visitor, $method());
            let name = go_int_name(stringify!($ty));
            let Some(value) = self.integer(name)?.to::<$ty>() else {
                return Err(self.overflow(name));
            };
            visitor.$visit(value)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Deserializer<'_, '_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ty()? {
            Ty::Bool => visitor.visit_bool(self.de.r.uint()? != 0),
            Ty::Int => visitor.visit_i64(self.de.r.int()?),
            Ty::Uint => visitor.visit_u64(self.de.r.uint()?),
            Ty::Float => visitor.visit_f64(self.de.r.float()?),
            // Self-describing consumers see Go's bytes as Go's encoding/json prints them: each
            // invalid sequence as U+FFFD.
            Ty::String => match String::from_utf8_lossy(self.de.r.bytes()?) {
                std::borrow::Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
                std::borrow::Cow::Owned(s) => visitor.visit_string(s),
            },
            Ty::Interface => self.interface(
                visitor,
                |de, visitor| de.deserialize_any(visitor),
                |visitor| visitor.visit_unit(),
            ),
            Ty::Bytes | Ty::Complex | Ty::Array { .. } | Ty::Slice { .. } => {
                self.seq(visitor, None, "slice")
            }
            Ty::Map { key, elem } => self.map(visitor, key, elem),
            Ty::Struct { name, fields } => self.structure(visitor, name, fields, "", &[]),
            Ty::Marshaler { name, kind } => {
                let data = self.de.r.bytes()?;
                MarshaledDe {
                    kind,
                    name,
                    data,
                    data_as_seq: true,
                }
                .deserialize_any(visitor)
            }
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_bool());
        match self.ty()? {
            Ty::Bool => visitor.visit_bool(self.de.r.uint()? != 0),
            _ => Err(self.mismatch("bool")),
        }
    }

    integer! {
        deserialize_i8 => visit_i8(i8),
        deserialize_i16 => visit_i16(i16),
        deserialize_i32 => visit_i32(i32),
        deserialize_i64 => visit_i64(i64),
        deserialize_i128 => visit_i128(i128),
        deserialize_u8 => visit_u8(u8),
        deserialize_u16 => visit_u16(u16),
        deserialize_u32 => visit_u32(u32),
        deserialize_u64 => visit_u64(u64),
        deserialize_u128 => visit_u128(u128),
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_f32());
        match self.ty()? {
            Ty::Float => {
                let f = self.de.r.float()?;
                // Go's float32FromBits: finite values beyond float32's range are an error.
                if f.is_finite() && f.abs() > f64::from(f32::MAX) {
                    return Err(self.overflow("float32"));
                }
                visitor.visit_f32(f as f32)
            }
            _ => Err(self.mismatch("float32")),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_f64());
        match self.ty()? {
            Ty::Float => visitor.visit_f64(self.de.r.float()?),
            _ => Err(self.mismatch("float64")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_char());
        if let Ty::String = self.ty()? {
            let s = self.string("char")?;
            let mut chars = s.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) => visitor.visit_char(c),
                _ => bail!("gob: string {s:?} is not one character"),
            };
        }
        let Some(code) = self.integer("rune")?.to::<u32>() else {
            return Err(self.overflow("rune"));
        };
        match char::from_u32(code) {
            Some(c) => visitor.visit_char(c),
            None => bail!("gob: {code:#x} is not a Unicode scalar value"),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_str());
        visitor.visit_borrowed_str(self.string("string")?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_bytes());
        match self.ty()? {
            Ty::Bytes | Ty::String => visitor.visit_borrowed_bytes(self.de.r.bytes()?),
            Ty::Array { .. } | Ty::Slice { .. } => self.seq(visitor, None, "[]byte"),
            _ => Err(self.mismatch("[]byte")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Ty::Interface = self.ty()? {
            // A nil interface value is None; any other is Some of the interface value, which
            // the inner type decodes as its concrete value or, an enum, as the variant.
            let mut peek = self.de.r;
            if peek.bytes()?.is_empty() {
                self.de.r = peek;
                return visitor.visit_none();
            }
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.ty()?;
        self.de.skip(self.id)?;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == DYNAMIC {
            let value = self.de.dynamic(self.id)?;
            return hand_over(value, visitor);
        }
        if name == marker::MARSHALER {
            via_interface!(self, visitor, deserialize_newtype_struct(name));
            return match self.ty()? {
                Ty::Marshaler { name, kind } => {
                    let data = self.de.r.bytes()?;
                    visitor.visit_newtype_struct(MarshaledDe {
                        kind,
                        name,
                        data,
                        data_as_seq: false,
                    })
                }
                _ => Err(self.mismatch("a type encoded by a marshaler")),
            };
        }
        if name == marker::STRING {
            via_interface!(self, visitor, deserialize_newtype_struct(name));
            return match self.ty()? {
                Ty::String | Ty::Bytes => {
                    let bytes = self.de.r.bytes()?;
                    visitor.visit_newtype_struct(BorrowedBytesDeserializer::<Error>::new(bytes))
                }
                _ => Err(self.mismatch("string")),
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_seq());
        self.seq(visitor, None, "slice")
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_tuple(len));
        self.seq(visitor, Some(len), "array")
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_tuple_struct(name, len));
        self.seq(visitor, Some(len), "array")
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_map());
        match self.ty()? {
            Ty::Map { key, elem } => self.map(visitor, key, elem),
            Ty::Struct { name, fields } => self.structure(visitor, name, fields, "", &[]),
            _ => Err(self.mismatch("map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        via_interface!(self, visitor, deserialize_struct(name, fields));
        match self.ty()? {
            Ty::Struct {
                name: wire_name,
                fields: wire,
            } => self.structure(visitor, wire_name, wire, name, fields),
            Ty::Map { key, elem } => self.map(visitor, key, elem),
            _ => Err(self.mismatch(name)),
        }
    }

    /// An enum is a Go interface type: its newtype variants are the concrete types, each
    /// registered (Go's `gob.Register`) under the variant's name.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if !matches!(self.ty()?, Ty::Interface) {
            bail!(
                "gob: local interface type {name} can only be decoded from remote interface type; received concrete type {}",
                self.de.types.describe(self.id)
            );
        }
        let Some((concrete, id, rest)) = self.de.open_interface()? else {
            bail!("gob: nil interface value for {name} (decode it into an Option)");
        };
        let concrete = match std::str::from_utf8(concrete) {
            Ok(concrete) if variants.contains(&concrete) => concrete,
            _ => bail!(
                "gob: name not registered for interface: {:?}",
                String::from_utf8_lossy(concrete)
            ),
        };
        let value = visitor.visit_enum(Concrete {
            de: Deserializer {
                de: &mut *self.de,
                id,
            },
            name: concrete,
        })?;
        self.de.close_interface(rest);
        Ok(value)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.de.skip(self.id)?;
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// An interface value's concrete value as the variant of an enum named as its type.
struct Concrete<'x, 'a, 'de> {
    de: Deserializer<'x, 'a, 'de>,
    name: &'de str,
}

impl<'x, 'a, 'de> EnumAccess<'de> for Concrete<'x, 'a, 'de> {
    type Error = Error;
    type Variant = Deserializer<'x, 'a, 'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Error> {
        let variant = seed.deserialize(BorrowedStrDeserializer::<Error>::new(self.name))?;
        Ok((variant, self.de))
    }
}

impl<'de> VariantAccess<'de> for Deserializer<'_, '_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        bail!(
            "gob: an interface value's concrete type must be a newtype variant, not a unit variant"
        )
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

/// The elements of an array or slice.
struct Seq<'x, 'a, 'de> {
    de: &'x mut De<'a, 'de>,
    elem: TypeId,
    left: usize,
}

impl<'de> SeqAccess<'de> for Seq<'_, '_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(Deserializer {
            de: &mut *self.de,
            id: self.elem,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The bytes of a `[]byte` as a sequence of `u8`.
struct ByteSeq<'de> {
    bytes: &'de [u8],
}

impl<'de> SeqAccess<'de> for ByteSeq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((&first, rest)) = self.bytes.split_first() else {
            return Ok(None);
        };
        self.bytes = rest;
        let de: U8Deserializer<Error> = first.into_deserializer();
        seed.deserialize(de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.bytes.len())
    }
}

/// The entries of a map.
struct Map<'x, 'a, 'de> {
    de: &'x mut De<'a, 'de>,
    key: TypeId,
    elem: TypeId,
    left: usize,
}

impl<'de> MapAccess<'de> for Map<'_, '_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(KeyDeserializer(Deserializer {
            de: &mut *self.de,
            id: self.key,
        }))
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(Deserializer {
            de: &mut *self.de,
            id: self.elem,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// Which of a Rust struct's fields the wire has given.
enum Seen {
    Small(u64),
    Large(Vec<bool>),
}

impl Seen {
    fn new(len: usize) -> Self {
        if len <= 64 {
            Seen::Small(0)
        } else {
            Seen::Large(vec![false; len])
        }
    }

    fn set(&mut self, i: usize) {
        match self {
            Seen::Small(bits) => *bits |= 1u64.checked_shl(i as u32).unwrap_or(0),
            Seen::Large(seen) => {
                if let Some(slot) = seen.get_mut(i) {
                    *slot = true;
                }
            }
        }
    }

    fn get(&self, i: usize) -> bool {
        match self {
            Seen::Small(bits) => bits & 1u64.checked_shl(i as u32).unwrap_or(0) != 0,
            Seen::Large(seen) => seen.get(i).copied().unwrap_or(false),
        }
    }
}

enum Pending<'a> {
    None,
    Wire(TypeId, &'a str),
    Zero,
}

/// The fields of a struct value, by name, then Go's zero value for each field the Rust type
/// expects that the wire did not carry.
struct Struct<'x, 'a, 'de> {
    de: &'x mut De<'a, 'de>,
    wire_name: &'a str,
    fields: &'a [WireField],
    num: i64,
    wire_done: bool,
    value: Pending<'a>,
    expected: &'static [&'static str],
    seen: Seen,
    /// Where to look first for the next wire field among the expected ones.
    hint: usize,
    next_zero: usize,
}

impl<'de> MapAccess<'de> for Struct<'_, '_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if !self.wire_done {
            match next_field(&mut self.de.r, self.fields, &mut self.num)? {
                Some(field) => {
                    // Look where the last field was found first: fields usually come in the
                    // order the Rust type declares them.
                    let hint = self.hint;
                    let found = match self.expected.get(hint) {
                        Some(e) if *e == field.name => Some(hint),
                        _ => self.expected.iter().position(|e| *e == field.name),
                    };
                    if let Some(i) = found {
                        self.seen.set(i);
                        self.hint = i + 1;
                    }
                    self.value = Pending::Wire(field.id, &field.name);
                    let key: StrDeserializer<'_, Error> = field.name.as_str().into_deserializer();
                    return seed.deserialize(key).map(Some);
                }
                None => self.wire_done = true,
            }
        }
        while let Some(name) = self.expected.get(self.next_zero) {
            let i = self.next_zero;
            self.next_zero += 1;
            if !self.seen.get(i) {
                self.value = Pending::Zero;
                let key: StrDeserializer<'_, Error> = name.into_deserializer();
                return seed.deserialize(key).map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match std::mem::replace(&mut self.value, Pending::None) {
            Pending::Wire(id, field) => {
                let outer = std::mem::replace(&mut self.de.field, (self.wire_name, field));
                let value = seed.deserialize(Deserializer {
                    de: &mut *self.de,
                    id,
                });
                self.de.field = outer;
                value
            }
            Pending::Zero => seed
                .deserialize(Zero)
                .map_err(|e| Error::new(e.to_string())),
            Pending::None => bail!("gob: a struct field value was asked for before its name"),
        }
    }
}

/// A map key: as a value, except that a number asked for as a string is given as its decimal
/// text (so `map[int]T` decodes into JSON objects and `HashMap<String, T>`).
struct KeyDeserializer<'x, 'a, 'de>(Deserializer<'x, 'a, 'de>);

macro_rules! forward {
    ($($method:ident,)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.0.$method(visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for KeyDeserializer<'_, '_, 'de> {
    type Error = Error;

    forward! {
        deserialize_any, deserialize_bool, deserialize_i8, deserialize_i16, deserialize_i32,
        deserialize_i64, deserialize_i128, deserialize_u8, deserialize_u16, deserialize_u32,
        deserialize_u64, deserialize_u128, deserialize_f32, deserialize_f64, deserialize_char,
        deserialize_bytes, deserialize_byte_buf, deserialize_option, deserialize_unit,
        deserialize_seq, deserialize_map, deserialize_ignored_any,
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let de = self.0;
        match de.ty()? {
            Ty::Int => visitor.visit_string(de.de.r.int()?.to_string()),
            Ty::Uint => visitor.visit_string(de.de.r.uint()?.to_string()),
            Ty::Float => visitor.visit_string(de.de.r.float()?.to_string()),
            Ty::Bool => visitor.visit_string((de.de.r.uint()? != 0).to_string()),
            _ => de.deserialize_str(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}
