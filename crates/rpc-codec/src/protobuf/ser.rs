//! serde values to protobuf messages, following the mapping in the [module
//! documentation](super#bodies-serde-types-as-protobuf-messages).
//!
//! A value is written in one of three contexts:
//!
//! - the whole **message** (a body): a struct writes its fields; anything else is field 1;
//! - a **field** of a message, with implicit presence (a struct field: zero scalars are left
//!   out, a sequence or map is the repeated field itself, an `Option` is presence) or explicit
//!   presence (inside `Some`, a map entry's key and value: every scalar is written, and a
//!   sequence, map or `Option` is wrapped in a message of its own, as field 1);
//! - an **element** of a repeated field: numbers go into one packed run, strings, bytes and
//!   messages are one occurrence each, and a sequence, map or `Option` is wrapped.
//!
//! Embedded messages get their length by writing a one-byte placeholder and, when the content
//! turns out longer than 127 bytes, moving it up to make room for the varint.

use bytes::BytesMut;
use serde::Serialize;
use serde::ser::{self, Impossible};

use super::wire::{Error, I32, I64, LEN, MAX_FIELD, VARINT, encode_varint};

/// Appends to a buffer, never past `limit` bytes in total.
pub(crate) struct Out<'b> {
    buf: &'b mut BytesMut,
    /// The buffer length writes must stay within.
    pub(crate) limit: usize,
    /// The message limit named in the error.
    max: usize,
}

impl<'b> Out<'b> {
    pub(crate) fn new(buf: &'b mut BytesMut, limit: usize, max: usize) -> Self {
        Self { buf, limit, max }
    }

    fn room(&self, n: usize) -> Result<(), Error> {
        if self.buf.len().saturating_add(n) > self.limit {
            return Err(Error(format!(
                "message exceeds the limit of {} bytes",
                self.max
            )));
        }
        Ok(())
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.room(bytes.len())?;
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn varint(&mut self, value: u64) -> Result<(), Error> {
        let mut varint = [0u8; 10];
        let n = encode_varint(value, &mut varint);
        self.put(varint.get(..n).unwrap_or_default())
    }

    fn tag(&mut self, number: u32, wire: u8) -> Result<(), Error> {
        if number > MAX_FIELD {
            return Err(Error(format!(
                "field number {number} exceeds protobuf's {MAX_FIELD}"
            )));
        }
        self.varint(u64::from(number) << 3 | u64::from(wire))
    }

    /// Starts a length-delimited value: returns where its content starts, for [`Out::close`].
    pub(crate) fn open(&mut self) -> Result<usize, Error> {
        self.put(&[0])?;
        Ok(self.buf.len())
    }

    /// Writes the length of the content that started at `at` (as returned by [`Out::open`]).
    pub(crate) fn close(&mut self, at: usize) -> Result<(), Error> {
        let end = self.buf.len();
        let len = end.saturating_sub(at);
        let mut varint = [0u8; 10];
        let n = encode_varint(len as u64, &mut varint);
        if n > 1 {
            self.room(n - 1)?;
            self.buf.resize(end + n - 1, 0);
            self.buf.copy_within(at..end, at + n - 1);
        }
        let start = at.saturating_sub(1);
        if let (Some(slot), Some(bytes)) = (self.buf.get_mut(start..start + n), varint.get(..n)) {
            slot.copy_from_slice(bytes);
        }
        Ok(())
    }

    fn close_opt(&mut self, at: Option<usize>) -> Result<(), Error> {
        match at {
            Some(at) => self.close(at),
            None => Ok(()),
        }
    }

    /// Ends the packed run `packed`, if one is open.
    fn flush(&mut self, packed: &mut Option<usize>) -> Result<(), Error> {
        match packed.take() {
            Some(at) => self.close(at),
            None => Ok(()),
        }
    }
}

/// Where the value being serialized goes.
enum Ctx<'p> {
    /// The whole message.
    Message,
    /// Field `number` of the current message.
    Field { number: u32, explicit: bool },
    /// One element of repeated field `number`; `packed` is where its open packed run starts.
    Element {
        number: u32,
        packed: &'p mut Option<usize>,
    },
}

/// A scalar's wire form.
#[derive(Clone, Copy)]
enum Scalar {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    /// A `u8`: a varint, except in a packed run where it is the byte itself (so `Vec<u8>` is
    /// protobuf `bytes`).
    Byte(u8),
}

impl Scalar {
    fn is_zero(self) -> bool {
        match self {
            Scalar::Varint(v) | Scalar::Fixed64(v) => v == 0,
            Scalar::Fixed32(v) => v == 0,
            Scalar::Byte(v) => v == 0,
        }
    }
}

/// The serializer of one value in one context.
pub(crate) struct Ser<'o, 'b> {
    out: &'o mut Out<'b>,
    ctx: Ctx<'o>,
}

impl<'o, 'b> Ser<'o, 'b> {
    /// A serializer of a whole message (a body).
    pub(crate) fn message(out: &'o mut Out<'b>) -> Self {
        Ser {
            out,
            ctx: Ctx::Message,
        }
    }

    fn field(out: &'o mut Out<'b>, number: u32, explicit: bool) -> Self {
        Ser {
            out,
            ctx: Ctx::Field { number, explicit },
        }
    }

    /// True unless the value is a field with implicit presence, where sequences, maps and
    /// options need no wrapper message.
    fn wraps(&self) -> bool {
        !matches!(
            self.ctx,
            Ctx::Field {
                explicit: false,
                ..
            }
        )
    }

    fn scalar(self, value: Scalar) -> Result<(), Error> {
        let out = self.out;
        match self.ctx {
            Ctx::Message => Ser::field(out, 1, false).scalar(value),
            Ctx::Field { number, explicit } => {
                if !explicit && value.is_zero() {
                    return Ok(());
                }
                match value {
                    Scalar::Varint(v) => {
                        out.tag(number, VARINT)?;
                        out.varint(v)
                    }
                    Scalar::Byte(v) => {
                        out.tag(number, VARINT)?;
                        out.varint(u64::from(v))
                    }
                    Scalar::Fixed64(v) => {
                        out.tag(number, I64)?;
                        out.put(&v.to_le_bytes())
                    }
                    Scalar::Fixed32(v) => {
                        out.tag(number, I32)?;
                        out.put(&v.to_le_bytes())
                    }
                }
            }
            Ctx::Element { number, packed } => {
                if packed.is_none() {
                    out.tag(number, LEN)?;
                    *packed = Some(out.open()?);
                }
                match value {
                    Scalar::Varint(v) => out.varint(v),
                    Scalar::Byte(v) => out.put(&[v]),
                    Scalar::Fixed64(v) => out.put(&v.to_le_bytes()),
                    Scalar::Fixed32(v) => out.put(&v.to_le_bytes()),
                }
            }
        }
    }

    fn bytes(self, bytes: &[u8]) -> Result<(), Error> {
        let out = self.out;
        let number = match self.ctx {
            Ctx::Message => return Ser::field(out, 1, false).bytes(bytes),
            Ctx::Field { number, explicit } => {
                if !explicit && bytes.is_empty() {
                    return Ok(());
                }
                number
            }
            Ctx::Element { number, packed } => {
                out.flush(packed)?;
                number
            }
        };
        out.tag(number, LEN)?;
        out.varint(bytes.len() as u64)?;
        out.put(bytes)
    }

    /// Starts the embedded message this value is written as: nothing for the whole message,
    /// else the field's tag and a length to fill in with [`Out::close_opt`].
    fn open_message(self) -> Result<(&'o mut Out<'b>, Option<usize>), Error> {
        let out = self.out;
        let number = match self.ctx {
            Ctx::Message => return Ok((out, None)),
            Ctx::Field { number, .. } => number,
            Ctx::Element { number, packed } => {
                out.flush(packed)?;
                number
            }
        };
        out.tag(number, LEN)?;
        let at = out.open()?;
        Ok((out, Some(at)))
    }
}

fn data_variant(name: &str, variant: &str) -> Error {
    Error(format!(
        "enum variant {name}::{variant} carries data: the protobuf mapping has unit variants only"
    ))
}

fn too_wide<T: std::fmt::Display>(value: T) -> Error {
    Error(format!(
        "{value} does not fit in 64 bits, protobuf's widest integer"
    ))
}

impl<'o, 'b> ser::Serializer for Ser<'o, 'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Repeated<'o, 'b>;
    type SerializeTuple = Repeated<'o, 'b>;
    type SerializeTupleStruct = Message<'o, 'b>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Map<'o, 'b>;
    type SerializeStruct = Message<'o, 'b>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar(Scalar::Varint(u64::from(v)))
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        // Two's complement, as protobuf's int64 (and int32, sign-extended).
        self.scalar(Scalar::Varint(v as u64))
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        let v = i64::try_from(v).map_err(|_| too_wide(v))?;
        self.serialize_i64(v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.scalar(Scalar::Byte(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.scalar(Scalar::Varint(v))
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        let v = u64::try_from(v).map_err(|_| too_wide(v))?;
        self.serialize_u64(v)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.scalar(Scalar::Fixed32(v.to_bits()))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.scalar(Scalar::Fixed64(v.to_bits()))
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.scalar(Scalar::Varint(u64::from(u32::from(v))))
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.bytes(v.as_bytes())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.bytes(v)
    }

    fn serialize_none(self) -> Result<(), Error> {
        if !self.wraps() {
            return Ok(());
        }
        // An empty wrapper message (nothing at all for a whole message).
        let (out, at) = self.open_message()?;
        out.close_opt(at)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        if let Ctx::Field {
            number,
            explicit: false,
        } = self.ctx
        {
            return value.serialize(Ser::field(self.out, number, true));
        }
        let (out, at) = self.open_message()?;
        value.serialize(Ser::field(&mut *out, 1, true))?;
        out.close_opt(at)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        let (out, at) = self.open_message()?;
        out.close_opt(at)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
    ) -> Result<(), Error> {
        self.scalar(Scalar::Varint(u64::from(index)))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(data_variant(name, variant))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Repeated<'o, 'b>, Error> {
        if let Ctx::Field {
            number,
            explicit: false,
        } = self.ctx
        {
            return Ok(Repeated {
                out: self.out,
                number,
                packed: None,
                wrapper: None,
            });
        }
        let (out, wrapper) = self.open_message()?;
        Ok(Repeated {
            out,
            number: 1,
            packed: None,
            wrapper,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Repeated<'o, 'b>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Message<'o, 'b>, Error> {
        let (out, open) = self.open_message()?;
        Ok(Message { out, next: 1, open })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(data_variant(name, variant))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'o, 'b>, Error> {
        if let Ctx::Field {
            number,
            explicit: false,
        } = self.ctx
        {
            return Ok(Map {
                out: self.out,
                number,
                entry: None,
                wrapper: None,
            });
        }
        let (out, wrapper) = self.open_message()?;
        Ok(Map {
            out,
            number: 1,
            entry: None,
            wrapper,
        })
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Message<'o, 'b>, Error> {
        let (out, open) = self.open_message()?;
        Ok(Message { out, next: 1, open })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(data_variant(name, variant))
    }
}

/// A struct (or tuple struct): fields numbered 1, 2, 3... in the order serde presents them.
pub(crate) struct Message<'o, 'b> {
    out: &'o mut Out<'b>,
    next: u32,
    /// The embedded message's length to fill in at the end (`None` for a whole message).
    open: Option<usize>,
}

impl Message<'_, '_> {
    fn field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let number = self.next;
        self.next = self.next.saturating_add(1);
        value.serialize(Ser::field(&mut *self.out, number, false))
    }
}

impl ser::SerializeStruct for Message<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(value)
    }

    fn skip_field(&mut self, _key: &'static str) -> Result<(), Error> {
        // A skipped field keeps its number, so the fields after it keep theirs.
        self.next = self.next.saturating_add(1);
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        self.out.close_opt(self.open)
    }
}

impl ser::SerializeTupleStruct for Message<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.field(value)
    }

    fn end(self) -> Result<(), Error> {
        self.out.close_opt(self.open)
    }
}

/// A sequence or tuple: the elements of repeated field `number`.
pub(crate) struct Repeated<'o, 'b> {
    out: &'o mut Out<'b>,
    number: u32,
    /// Where the open packed run's content starts.
    packed: Option<usize>,
    /// The wrapper message's length to fill in at the end, if the sequence has one.
    wrapper: Option<usize>,
}

impl Repeated<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(Ser {
            out: &mut *self.out,
            ctx: Ctx::Element {
                number: self.number,
                packed: &mut self.packed,
            },
        })
    }

    fn finish(mut self) -> Result<(), Error> {
        self.out.flush(&mut self.packed)?;
        self.out.close_opt(self.wrapper)
    }
}

impl ser::SerializeSeq for Repeated<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Repeated<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// A map: repeated field `number` of entry messages `{ key = 1; value = 2; }`.
pub(crate) struct Map<'o, 'b> {
    out: &'o mut Out<'b>,
    number: u32,
    /// Where the open entry's content starts.
    entry: Option<usize>,
    wrapper: Option<usize>,
}

impl ser::SerializeMap for Map<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.out.tag(self.number, LEN)?;
        self.entry = Some(self.out.open()?);
        key.serialize(Ser::field(&mut *self.out, 1, true))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let Some(entry) = self.entry.take() else {
            return Err(Error::new("a map value without a key"));
        };
        value.serialize(Ser::field(&mut *self.out, 2, true))?;
        self.out.close(entry)
    }

    fn end(self) -> Result<(), Error> {
        self.out.close_opt(self.wrapper)
    }
}

/// The protobuf encoding of `value` as a whole message, appended to `out`.
pub(crate) fn write_message<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Out<'_>,
) -> Result<(), Error> {
    value.serialize(Ser::message(out))
}
