//! The second of the encoder's two passes over a value: its bytes, along its [`Shape`].
//!
//! Go's rules: a struct is its non-zero fields as (field number delta, value) pairs in
//! increasing field order, then a zero delta; a field that is `false`, `0`, `""`, an empty slice
//! or map, or `None` is left out (a nested struct and an array are always sent, as in Go);
//! elements of slices, arrays and maps are all sent, zero or not, and may not be `None` (Go's
//! nil pointers cannot be elements).

use serde::ser::{self, Serialize};

use super::error::{Error, bail};
use super::marker::{self, Marshaled};
use super::refuse::refuse;
use super::shape::FieldName;
use super::shape::{Class, STRUCT_MARKER, Shape};
use super::types::TypeId;
use super::wire::{put_bytes, put_float, put_int, put_uint};

/// What a value turned out to be, for the struct that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Written {
    /// Go's zero value: left out of a struct.
    Zero,
    /// `None`: left out of a struct, an error anywhere else.
    Nil,
    /// Anything else.
    Value,
}

/// The output of one value message and what the serializers share.
pub(crate) struct Out<'p> {
    pub(crate) buf: Vec<u8>,
    classes: &'p [Class],
    /// The concrete type of each interface value and its id, in serialization order.
    concrete: &'p [(Shape, TypeId)],
    /// The next entry of `concrete`.
    next_concrete: usize,
    limit: usize,
    /// The fields written by the structs being serialized: (field number, value start, end).
    fields: Vec<(usize, usize, usize)>,
}

impl<'p> Out<'p> {
    pub(crate) fn new(
        buf: Vec<u8>,
        classes: &'p [Class],
        concrete: &'p [(Shape, TypeId)],
        limit: usize,
    ) -> Self {
        Self {
            buf,
            classes,
            concrete,
            next_concrete: 0,
            limit,
            fields: Vec::new(),
        }
    }

    fn check(&self) -> Result<(), Error> {
        if self.buf.len() > self.limit {
            bail!("gob: message exceeds the limit of {} bytes", self.limit);
        }
        Ok(())
    }
}

fn changed(expected: &Shape, got: &str) -> Error {
    Error::new(format!(
        "gob: the value changed between the encoder's two passes over it (expected {expected:?}, got {got})"
    ))
}

/// Serializes a value into gob bytes; `shape` is its type.
pub(crate) struct ValueSerializer<'c, 'p> {
    pub(crate) out: &'c mut Out<'p>,
    pub(crate) shape: &'p Shape,
    pub(crate) as_struct: bool,
}

impl<'c, 'p> ValueSerializer<'c, 'p> {
    fn int(self, v: i64, what: &str) -> Result<Written, Error> {
        if !matches!(self.shape, Shape::Int(_)) {
            return Err(changed(self.shape, what));
        }
        put_int(&mut self.out.buf, v);
        Ok(if v == 0 {
            Written::Zero
        } else {
            Written::Value
        })
    }

    fn uint(self, v: u64, what: &str) -> Result<Written, Error> {
        if !matches!(self.shape, Shape::Uint(_) | Shape::U8) {
            return Err(changed(self.shape, what));
        }
        put_uint(&mut self.out.buf, v);
        Ok(if v == 0 {
            Written::Zero
        } else {
            Written::Value
        })
    }

    fn class(&self) -> Result<&'p Class, Error> {
        match self.shape {
            Shape::Struct(id) => match self.out.classes.get(*id) {
                Some(class) => Ok(class),
                None => Err(changed(self.shape, "struct")),
            },
            other => Err(changed(other, "struct")),
        }
    }

    fn sequence(self, len: Option<usize>, what: &str) -> Result<SeqValue<'c, 'p>, Error> {
        let (elem, bytes) = match self.shape {
            Shape::Slice(elem) => (&**elem, false),
            Shape::Bytes => (self.shape, true),
            Shape::Array(n, elem) if len == Some(*n) => (&**elem, false),
            other => return Err(changed(other, what)),
        };
        let count_at = self.out.buf.len();
        if let Some(len) = len {
            put_uint(&mut self.out.buf, len as u64);
        }
        Ok(SeqValue {
            out: self.out,
            elem,
            bytes,
            len,
            count_at,
            n: 0,
            array: matches!(self.shape, Shape::Array(..)),
        })
    }

    /// An interface value: the concrete type's name (empty for nil), its id, then the concrete
    /// value as a singleton (a struct as itself) preceded by its byte count, as Go's
    /// `encodeInterface` writes it. The type definitions went before the message.
    fn interface(
        self,
        name: &str,
        value: Option<&dyn erased_serde::Serialize>,
    ) -> Result<Written, Error> {
        if *self.shape != Shape::Interface {
            return Err(changed(self.shape, "interface"));
        }
        let Some(value) = value else {
            put_uint(&mut self.out.buf, 0);
            return Ok(Written::Zero);
        };
        let Some((shape, id)) = self.out.concrete.get(self.out.next_concrete) else {
            return Err(changed(self.shape, "an interface value"));
        };
        self.out.next_concrete += 1;
        put_bytes(&mut self.out.buf, name.as_bytes());
        put_int(&mut self.out.buf, *id);
        let start = self.out.buf.len();
        if !matches!(shape, Shape::Struct(_)) {
            put_uint(&mut self.out.buf, 0); // the singleton's field delta
        }
        let written = erased_serde::serialize(
            value,
            ValueSerializer {
                out: &mut *self.out,
                shape,
                as_struct: false,
            },
        )?;
        if written == Written::Nil {
            bail!("gob: cannot encode nil pointer of type {name} inside interface");
        }
        let mut count = Vec::with_capacity(9);
        put_uint(&mut count, (self.out.buf.len() - start) as u64);
        self.out.buf.splice(start..start, count);
        self.out.check()?;
        Ok(Written::Value)
    }

    fn structure(self) -> Result<StructValue<'c, 'p>, Error> {
        let class = self.class()?;
        let start = self.out.buf.len();
        let base = self.out.fields.len();
        Ok(StructValue {
            out: self.out,
            class,
            start,
            base,
            last: -1,
            ordered: true,
            cursor: 0,
            pending: None,
        })
    }
}

fn enum_error(name: &str, variant: &str) -> Error {
    Error::new(format!(
        "gob: enums are not supported ({name}::{variant}); Go has no enums"
    ))
}

impl<'c, 'p> ser::Serializer for ValueSerializer<'c, 'p> {
    type Ok = Written;
    type Error = Error;
    type SerializeSeq = SeqValue<'c, 'p>;
    type SerializeTuple = SeqValue<'c, 'p>;
    type SerializeTupleStruct = SeqValue<'c, 'p>;
    type SerializeTupleVariant = ser::Impossible<Written, Error>;
    type SerializeMap = MapValue<'c, 'p>;
    type SerializeStruct = StructValue<'c, 'p>;
    type SerializeStructVariant = ser::Impossible<Written, Error>;

    fn serialize_bool(self, v: bool) -> Result<Written, Error> {
        if *self.shape != Shape::Bool {
            return Err(changed(self.shape, "bool"));
        }
        put_uint(&mut self.out.buf, u64::from(v));
        Ok(if v { Written::Value } else { Written::Zero })
    }
    fn serialize_i8(self, v: i8) -> Result<Written, Error> {
        self.int(v.into(), "i8")
    }
    fn serialize_i16(self, v: i16) -> Result<Written, Error> {
        self.int(v.into(), "i16")
    }
    fn serialize_i32(self, v: i32) -> Result<Written, Error> {
        self.int(v.into(), "i32")
    }
    fn serialize_i64(self, v: i64) -> Result<Written, Error> {
        self.int(v, "i64")
    }
    fn serialize_i128(self, v: i128) -> Result<Written, Error> {
        match i64::try_from(v) {
            Ok(v) => self.int(v, "i128"),
            Err(_) => bail!("gob: {v} does not fit in Go's int64"),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<Written, Error> {
        self.uint(v.into(), "u8")
    }
    fn serialize_u16(self, v: u16) -> Result<Written, Error> {
        self.uint(v.into(), "u16")
    }
    fn serialize_u32(self, v: u32) -> Result<Written, Error> {
        self.uint(v.into(), "u32")
    }
    fn serialize_u64(self, v: u64) -> Result<Written, Error> {
        self.uint(v, "u64")
    }
    fn serialize_u128(self, v: u128) -> Result<Written, Error> {
        match u64::try_from(v) {
            Ok(v) => self.uint(v, "u128"),
            Err(_) => bail!("gob: {v} does not fit in Go's uint64"),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<Written, Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Written, Error> {
        if !matches!(self.shape, Shape::Float(_)) {
            return Err(changed(self.shape, "float"));
        }
        put_float(&mut self.out.buf, v);
        // As in Go, -0.0 is zero (and decodes as 0.0 when left out).
        Ok(if v == 0.0 {
            Written::Zero
        } else {
            Written::Value
        })
    }
    fn serialize_char(self, v: char) -> Result<Written, Error> {
        self.int(u32::from(v).into(), "char")
    }
    fn serialize_str(self, v: &str) -> Result<Written, Error> {
        if *self.shape != Shape::String {
            return Err(changed(self.shape, "string"));
        }
        put_bytes(&mut self.out.buf, v.as_bytes());
        self.out.check()?;
        Ok(if v.is_empty() {
            Written::Zero
        } else {
            Written::Value
        })
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Written, Error> {
        if *self.shape != Shape::Bytes {
            return Err(changed(self.shape, "bytes"));
        }
        put_bytes(&mut self.out.buf, v);
        self.out.check()?;
        Ok(if v.is_empty() {
            Written::Zero
        } else {
            Written::Value
        })
    }
    fn serialize_none(self) -> Result<Written, Error> {
        if *self.shape == Shape::Interface {
            // `Option<Enum>`: a nil interface value, which Go has in slices and maps too.
            return self.interface("", None);
        }
        Ok(Written::Nil)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Written, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Written, Error> {
        self.class()?;
        put_uint(&mut self.out.buf, 0);
        Ok(Written::Value)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Written, Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        v: &'static str,
    ) -> Result<Written, Error> {
        Err(enum_error(name, v))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Written, Error> {
        if name == marker::MARSHALER {
            let marshaled = Marshaled::capture(value)?;
            match self.shape {
                Shape::Marshaler(kind, name)
                    if *kind == marshaled.kind() && *name == marshaled.name => {}
                other => return Err(changed(other, "marshaler")),
            }
            put_bytes(&mut self.out.buf, &marshaled.data);
            self.out.check()?;
            return Ok(Written::Value);
        }
        if name == marker::STRING {
            if *self.shape != Shape::String {
                return Err(changed(self.shape, "string"));
            }
            let bytes = marker::capture_string(value)?;
            put_bytes(&mut self.out.buf, &bytes);
            self.out.check()?;
            return Ok(if bytes.is_empty() {
                Written::Zero
            } else {
                Written::Value
            });
        }
        if name == marker::INTERFACE {
            return marker::split_interface(value, |name, value| self.interface(name, value));
        }
        let as_struct = name == STRUCT_MARKER;
        value.serialize(ValueSerializer { as_struct, ..self })
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Written, Error> {
        self.interface(variant, Some(&marker::Ref(value)))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqValue<'c, 'p>, Error> {
        self.sequence(len, "sequence")
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqValue<'c, 'p>, Error> {
        if !matches!(self.shape, Shape::Array(..)) {
            return Err(changed(self.shape, "tuple"));
        }
        self.sequence(Some(len), "tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<SeqValue<'c, 'p>, Error> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        v: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(enum_error(name, v))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapValue<'c, 'p>, Error> {
        if self.as_struct {
            return Ok(MapValue::Struct(self.structure()?));
        }
        let Shape::Map(key, elem) = self.shape else {
            return Err(changed(self.shape, "map"));
        };
        let count_at = self.out.buf.len();
        if let Some(len) = len {
            put_uint(&mut self.out.buf, len as u64);
        }
        Ok(MapValue::Map {
            out: self.out,
            key,
            elem,
            len,
            count_at,
            n: 0,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<StructValue<'c, 'p>, Error> {
        self.structure()
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        v: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(enum_error(name, v))
    }
    fn is_human_readable(&self) -> bool {
        false
    }
}

/// Ends a container whose count was written up front (`len`), or inserts the count at
/// `count_at` now that it is known.
fn finish_count(
    out: &mut Out<'_>,
    len: Option<usize>,
    count_at: usize,
    n: usize,
) -> Result<(), Error> {
    match len {
        Some(len) if len != n => {
            bail!("gob: a container announced {len} elements and serialized {n}")
        }
        Some(_) => Ok(()),
        None => {
            let mut count = Vec::with_capacity(9);
            put_uint(&mut count, n as u64);
            out.buf.splice(count_at..count_at, count);
            out.check()
        }
    }
}

fn element<'p, T: Serialize + ?Sized>(
    out: &mut Out<'p>,
    shape: &'p Shape,
    value: &T,
) -> Result<(), Error> {
    let written = value.serialize(ValueSerializer {
        out: &mut *out,
        shape,
        as_struct: false,
    })?;
    if written == Written::Nil {
        bail!("gob: cannot encode None (Go's nil pointer) as an element of a slice, array or map");
    }
    out.check()
}

/// A slice (`[]byte` too), or an array.
pub(crate) struct SeqValue<'c, 'p> {
    out: &'c mut Out<'p>,
    elem: &'p Shape,
    /// `[]byte`: each element is one raw byte.
    bytes: bool,
    array: bool,
    len: Option<usize>,
    count_at: usize,
    n: usize,
}

impl SeqValue<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.n += 1;
        if self.bytes {
            let byte = value.serialize(RawByte)?;
            self.out.buf.push(byte);
            return self.out.check();
        }
        element(self.out, self.elem, value)
    }

    fn finish(self) -> Result<Written, Error> {
        finish_count(self.out, self.len, self.count_at, self.n)?;
        Ok(if self.n == 0 && !self.array {
            Written::Zero
        } else {
            Written::Value
        })
    }
}

impl ser::SerializeSeq for SeqValue<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<Written, Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for SeqValue<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<Written, Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for SeqValue<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<Written, Error> {
        self.finish()
    }
}

/// A map, or a struct given as a map (under [`STRUCT_MARKER`]).
pub(crate) enum MapValue<'c, 'p> {
    Map {
        out: &'c mut Out<'p>,
        key: &'p Shape,
        elem: &'p Shape,
        len: Option<usize>,
        count_at: usize,
        n: usize,
    },
    Struct(StructValue<'c, 'p>),
}

impl ser::SerializeMap for MapValue<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        match self {
            MapValue::Map {
                out, key: shape, n, ..
            } => {
                *n += 1;
                element(out, shape, key)
            }
            MapValue::Struct(s) => {
                s.pending = Some(key.serialize(FieldName)?);
                Ok(())
            }
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        match self {
            MapValue::Map { out, elem, .. } => element(out, elem, value),
            MapValue::Struct(s) => {
                let Some(name) = s.pending.take() else {
                    bail!("gob: a struct field value came without its name");
                };
                s.field(&name, value)
            }
        }
    }
    fn end(self) -> Result<Written, Error> {
        match self {
            MapValue::Map {
                out,
                len,
                count_at,
                n,
                ..
            } => {
                finish_count(out, len, count_at, n)?;
                Ok(if n == 0 {
                    Written::Zero
                } else {
                    Written::Value
                })
            }
            MapValue::Struct(s) => s.finish(),
        }
    }
}

/// A struct: its non-zero fields by increasing field number, then a zero delta.
pub(crate) struct StructValue<'c, 'p> {
    out: &'c mut Out<'p>,
    class: &'p Class,
    /// Where the struct's bytes start.
    start: usize,
    /// Where this struct's records start in `out.fields`.
    base: usize,
    /// The last field number written.
    last: i64,
    /// Whether the fields came in increasing order so far (then their deltas are right).
    ordered: bool,
    /// Where to start looking for the next field's name.
    cursor: usize,
    pending: Option<String>,
}

impl StructValue<'_, '_> {
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        let fields = &self.class.fields;
        let n = fields.len();
        let found = (0..n)
            .map(|i| (self.cursor + i) % n)
            .find(|&i| fields[i].0 == name);
        let at = self.out.buf.len();
        let Some(num) = found else {
            // A field left out of the type: all its values are None or empty.
            let Some((_, shape)) = self.class.dropped.iter().find(|(f, _)| f == name) else {
                return Err(changed(&Shape::Unknown, name));
            };
            let written = value.serialize(ValueSerializer {
                out: &mut *self.out,
                shape,
                as_struct: false,
            });
            self.out.buf.truncate(at);
            return match written? {
                Written::Zero | Written::Nil => Ok(()),
                Written::Value => Err(changed(shape, name)),
            };
        };
        self.cursor = num + 1;
        let num_i = num as i64;
        if self.ordered && num_i > self.last {
            put_uint(&mut self.out.buf, (num_i - self.last) as u64);
        } else {
            self.ordered = false;
        }
        let value_at = self.out.buf.len();
        let written = value.serialize(ValueSerializer {
            out: &mut *self.out,
            shape: &fields[num].1,
            as_struct: false,
        })?;
        if written == Written::Value {
            // A field serialized twice breaks the order, and is caught in `finish`.
            self.out.fields.push((num, value_at, self.out.buf.len()));
            if self.ordered {
                self.last = num_i;
            }
        } else {
            self.out.buf.truncate(at);
        }
        self.out.check()
    }

    fn finish(self) -> Result<Written, Error> {
        if !self.ordered {
            // Fields came out of field order (a struct type merged from structs that left out
            // different fields): rewrite them sorted, with fresh deltas.
            let mut records = self.out.fields[self.base..].to_vec();
            records.sort_unstable_by_key(|&(num, ..)| num);
            if let Some(pair) = records.windows(2).find(|pair| pair[0].0 == pair[1].0) {
                let name = self.class.fields.get(pair[0].0).map_or("?", |(n, _)| n);
                bail!("gob: field {name:?} was serialized twice");
            }
            let region = self.out.buf.split_off(self.start);
            let mut last = -1i64;
            for (num, from, to) in records {
                put_uint(&mut self.out.buf, (num as i64 - last) as u64);
                self.out
                    .buf
                    .extend_from_slice(&region[from - self.start..to - self.start]);
                last = num as i64;
            }
        }
        self.out.fields.truncate(self.base);
        put_uint(&mut self.out.buf, 0);
        self.out.check()?;
        Ok(Written::Value)
    }
}

impl ser::SerializeStruct for StructValue<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<Written, Error> {
        self.finish()
    }
}

/// The element of a `[]byte` written as a sequence: one raw byte.
struct RawByte;

fn not_a_byte() -> Error {
    Error::new("gob: the value changed between the encoder's two passes over it (expected a u8)")
}

impl ser::Serializer for RawByte {
    type Ok = u8;
    type Error = Error;
    type SerializeSeq = ser::Impossible<u8, Error>;
    type SerializeTuple = ser::Impossible<u8, Error>;
    type SerializeTupleStruct = ser::Impossible<u8, Error>;
    type SerializeTupleVariant = ser::Impossible<u8, Error>;
    type SerializeMap = ser::Impossible<u8, Error>;
    type SerializeStruct = ser::Impossible<u8, Error>;
    type SerializeStructVariant = ser::Impossible<u8, Error>;

    fn serialize_u8(self, v: u8) -> Result<u8, Error> {
        Ok(v)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<u8, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<u8, Error> {
        value.serialize(self)
    }
    refuse! { not_a_byte();
        serialize_bool serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u16
        serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char serialize_str
        serialize_bytes serialize_none serialize_unit serialize_unit_struct
        serialize_unit_variant serialize_newtype_variant serialize_seq serialize_tuple
        serialize_tuple_struct serialize_tuple_variant serialize_map serialize_struct
        serialize_struct_variant
    }
}
