//! protobuf messages to serde values, directed by the type asked for (protobuf is not
//! self-describing), following the mapping in the [module
//! documentation](super#bodies-serde-types-as-protobuf-messages).
//!
//! A value is read from the same three contexts it is written in (see `ser.rs`): the whole
//! message, a field's occurrences (the last one wins for a scalar, all of them merge for a
//! message, all of them are the elements of a repeated field), or the next element of a
//! repeated field, where numbers come out of packed runs and everything else is one occurrence.
//! A field that is absent reads as the zero value of the type asked for.
//!
//! Every embedded message, sequence, map, `Some` and newtype is one level of nesting, bounded by
//! [`Limits::max_depth`](rpc_proto::Limits).

use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};

use super::wire::{Error, Fields, Occ, Reader};

/// How many more levels of nesting a value may enter, and the bound (for the error message).
#[derive(Clone, Copy, Debug)]
struct Depth {
    left: usize,
    max: usize,
}

impl Depth {
    fn enter(self) -> Result<Depth, Error> {
        match self.left.checked_sub(1) {
            Some(left) => Ok(Depth {
                left,
                max: self.max,
            }),
            None => Err(Error(format!("nesting deeper than {} levels", self.max))),
        }
    }
}

/// How a scalar is laid out in a packed run.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Varint,
    I64,
    I32,
    /// A `u8` in a packed run is the byte itself (`Vec<u8>` is protobuf `bytes`).
    Byte,
}

/// The next element of a repeated field.
trait Cursor<'de> {
    /// The next scalar: from the open packed run, or the next occurrence (which opens a packed
    /// run when it is length-delimited).
    fn scalar(&mut self, kind: Kind) -> Result<(u32, Occ<'de>), Error>;
    /// The next occurrence, which must be length-delimited.
    fn len(&mut self) -> Result<(u32, &'de [u8]), Error>;
}

/// Where a value is read from.
enum Src<'a, 'de> {
    /// The whole message (a body).
    Message(&'de [u8]),
    /// The occurrences of one field (empty when the field is absent).
    Field {
        occ: &'a [(u32, Occ<'de>)],
        explicit: bool,
    },
    /// The next element of a repeated field.
    Element(&'a mut dyn Cursor<'de>),
}

/// The deserializer of one value.
pub(crate) struct De<'a, 'de> {
    src: Src<'a, 'de>,
    depth: Depth,
}

impl<'de> De<'_, 'de> {
    /// A deserializer of the whole message `bytes`, following at most `max_depth` levels.
    pub(crate) fn message(bytes: &'de [u8], max_depth: usize) -> Self {
        De {
            src: Src::Message(bytes),
            depth: Depth {
                left: max_depth,
                max: max_depth,
            },
        }
    }
}

fn wrong_wire(number: u32, expected: &str, found: &Occ<'_>) -> Error {
    Error(format!(
        "field {number}: expected {expected}, found {}",
        found.wire_name()
    ))
}

/// The parts of a message: one slice, or the occurrences of a field (merged).
enum Parts<'a, 'de> {
    One(Option<&'de [u8]>),
    Many(&'a [(u32, Occ<'de>)]),
}

impl<'de> Iterator for Parts<'_, 'de> {
    type Item = Result<&'de [u8], Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Parts::One(part) => part.take().map(Ok),
            Parts::Many(occ) => {
                let ((number, first), rest) = occ.split_first()?;
                *occ = rest;
                Some(match first {
                    Occ::Len(bytes) => Ok(*bytes),
                    other => Err(wrong_wire(*number, "a message", other)),
                })
            }
        }
    }
}

impl<'a, 'de> De<'a, 'de> {
    fn is_message(&self) -> bool {
        matches!(self.src, Src::Message(_))
    }

    /// The occurrence a scalar is read from: a field's last one (`None` when absent), or a
    /// repeated field's next one. Not for a whole message (see [`De::wrapped`]).
    fn scalar(self, kind: Kind) -> Result<Option<(u32, Occ<'de>)>, Error> {
        match self.src {
            Src::Message(_) => Err(Error::new("a scalar is not a message")),
            Src::Field { occ, .. } => Ok(occ.last().copied()),
            Src::Element(cursor) => cursor.scalar(kind).map(Some),
        }
    }

    /// The bytes of a string or `bytes` value (`None` when absent).
    fn len(self) -> Result<Option<&'de [u8]>, Error> {
        match self.src {
            Src::Message(_) => Err(Error::new("a string is not a message")),
            Src::Field { occ, .. } => match occ.last() {
                None => Ok(None),
                Some((_, Occ::Len(bytes))) => Ok(Some(bytes)),
                Some((number, other)) => {
                    Err(wrong_wire(*number, "a length-delimited value", other))
                }
            },
            Src::Element(cursor) => cursor.len().map(|(_, bytes)| Some(bytes)),
        }
    }

    /// The message this value is: the whole body, a field's occurrences merged, or the next
    /// element.
    fn parts(self) -> Result<Parts<'a, 'de>, Error> {
        Ok(match self.src {
            Src::Message(bytes) => Parts::One(Some(bytes)),
            Src::Field { occ, .. } => Parts::Many(occ),
            Src::Element(cursor) => Parts::One(Some(cursor.len()?.1)),
        })
    }

    /// Reads this value as a wrapper message and hands its field 1 (implicit presence) to `f`.
    fn wrapped<R>(self, f: impl FnOnce(De<'_, 'de>) -> Result<R, Error>) -> Result<R, Error> {
        let depth = self.depth;
        let fields = Fields::scan(self.parts()?, 1)?;
        f(De {
            src: Src::Field {
                occ: fields.get(1),
                explicit: false,
            },
            depth,
        })
    }

    /// Reads this value as a message whose fields 1 to `len` the visitor asks for in order.
    fn fields<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        let depth = self.depth.enter()?;
        let fields = Fields::scan(self.parts()?, len)?;
        visitor.visit_seq(StructFields {
            fields,
            next: 1,
            last: u32::try_from(len).unwrap_or(u32::MAX),
            depth,
        })
    }
}

fn signed(occ: Option<(u32, Occ<'_>)>) -> Result<i64, Error> {
    match occ {
        None => Ok(0),
        Some((_, Occ::Varint(v) | Occ::I64(v))) => Ok(v as i64),
        Some((_, Occ::I32(v))) => Ok(i64::from(v as i32)),
        Some((number, other)) => Err(wrong_wire(number, "an integer", &other)),
    }
}

fn unsigned(occ: Option<(u32, Occ<'_>)>) -> Result<u64, Error> {
    match occ {
        None => Ok(0),
        Some((_, Occ::Varint(v) | Occ::I64(v))) => Ok(v),
        Some((_, Occ::I32(v))) => Ok(u64::from(v)),
        Some((number, other)) => Err(wrong_wire(number, "an integer", &other)),
    }
}

fn boolean(occ: Option<(u32, Occ<'_>)>) -> Result<bool, Error> {
    match occ {
        None => Ok(false),
        Some((_, Occ::Varint(v))) => Ok(v != 0),
        Some((number, other)) => Err(wrong_wire(number, "a varint", &other)),
    }
}

fn double(occ: Option<(u32, Occ<'_>)>) -> Result<f64, Error> {
    match occ {
        None => Ok(0.0),
        Some((_, Occ::I64(v))) => Ok(f64::from_bits(v)),
        Some((_, Occ::I32(v))) => Ok(f64::from(f32::from_bits(v))),
        Some((number, other)) => Err(wrong_wire(number, "a double", &other)),
    }
}

fn float(occ: Option<(u32, Occ<'_>)>) -> Result<f32, Error> {
    match occ {
        None => Ok(0.0),
        Some((_, Occ::I32(v))) => Ok(f32::from_bits(v)),
        Some((_, Occ::I64(v))) => Ok(f64::from_bits(v) as f32),
        Some((number, other)) => Err(wrong_wire(number, "a float", &other)),
    }
}

fn character(occ: Option<(u32, Occ<'_>)>) -> Result<char, Error> {
    let v = unsigned(occ)?;
    u32::try_from(v)
        .ok()
        .and_then(char::from_u32)
        .ok_or_else(|| Error(format!("{v} is not a Unicode scalar value")))
}

fn utf8(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|e| Error(format!("a string is not UTF-8: {e}")))
}

macro_rules! scalar {
    ($($method:ident($kind:ident) => $visit:ident($convert:ident),)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            if self.is_message() {
                return self.wrapped(|de| de.$method(visitor));
            }
            let occ = self.scalar(Kind::$kind)?;
            visitor.$visit($convert(occ)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(Error::new(
            "protobuf is not self-describing: the type must say what it expects \
             (untagged and internally tagged enums, flatten and dynamic values are not supported)",
        ))
    }

    scalar! {
        deserialize_bool(Varint) => visit_bool(boolean),
        deserialize_i8(Varint) => visit_i64(signed),
        deserialize_i16(Varint) => visit_i64(signed),
        deserialize_i32(Varint) => visit_i64(signed),
        deserialize_i64(Varint) => visit_i64(signed),
        deserialize_i128(Varint) => visit_i64(signed),
        deserialize_u8(Byte) => visit_u64(unsigned),
        deserialize_u16(Varint) => visit_u64(unsigned),
        deserialize_u32(Varint) => visit_u64(unsigned),
        deserialize_u64(Varint) => visit_u64(unsigned),
        deserialize_u128(Varint) => visit_u64(unsigned),
        deserialize_f32(I32) => visit_f32(float),
        deserialize_f64(I64) => visit_f64(double),
        deserialize_char(Varint) => visit_char(character),
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_message() {
            return self.wrapped(|de| de.deserialize_str(visitor));
        }
        match self.len()? {
            None => visitor.visit_borrowed_str(""),
            Some(bytes) => visitor.visit_borrowed_str(utf8(bytes)?),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_message() {
            return self.wrapped(|de| de.deserialize_bytes(visitor));
        }
        visitor.visit_borrowed_bytes(self.len()?.unwrap_or_default())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.src {
            Src::Field {
                occ,
                explicit: false,
            } => {
                let depth = self.depth.enter()?;
                if occ.is_empty() {
                    visitor.visit_none()
                } else {
                    visitor.visit_some(De {
                        src: Src::Field {
                            occ,
                            explicit: true,
                        },
                        depth,
                    })
                }
            }
            _ => self.wrapped(|de| de.deserialize_option(visitor)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Src::Element(cursor) = self.src {
            cursor.len()?;
        }
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
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let depth = self.depth.enter()?;
        visitor.visit_newtype_struct(De {
            src: self.src,
            depth,
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.src {
            Src::Field {
                occ,
                explicit: false,
            } => {
                let depth = self.depth.enter()?;
                visitor.visit_seq(Repeated::new(occ, depth))
            }
            _ => self.wrapped(|de| de.deserialize_seq(visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.src {
            Src::Field {
                occ,
                explicit: false,
            } => {
                let depth = self.depth.enter()?;
                if occ.is_empty() {
                    // Absent: a tuple (or array) of zero values, as Go's zero [N]T.
                    visitor.visit_seq(Zeros { left: len, depth })
                } else {
                    visitor.visit_seq(Repeated::new(occ, depth))
                }
            }
            _ => self.wrapped(|de| de.deserialize_tuple(len, visitor)),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.fields(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.src {
            Src::Field {
                occ,
                explicit: false,
            } => {
                let depth = self.depth.enter()?;
                visitor.visit_map(Entries {
                    occ,
                    entry: Fields::default(),
                    depth,
                })
            }
            _ => self.wrapped(|de| de.deserialize_map(visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // serde lists a field's aliases too, so `fields.len()` may exceed the number of fields:
        // the visitor asks for each field by position and the extra numbers are never read.
        self.fields(fields.len(), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.is_message() {
            return self.wrapped(|de| de.deserialize_enum(name, variants, visitor));
        }
        let index = unsigned(self.scalar(Kind::Varint)?)?;
        let index = u32::try_from(index)
            .map_err(|_| Error(format!("enum value {index} is out of range")))?;
        visitor.visit_enum(UnitVariant(index))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Src::Element(_) = self.src {
            return Err(Error::new(
                "an element of a repeated field cannot be skipped without its type",
            ));
        }
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// The elements of a repeated field: its occurrences in order, packed runs taken apart.
struct Repeated<'a, 'de> {
    occ: &'a [(u32, Occ<'de>)],
    /// The field number of the occurrence being read.
    number: u32,
    /// What is left of the open packed run.
    packed: &'de [u8],
    /// Set when an element was asked for and none was left: only empty packed runs remained.
    ended: bool,
    depth: Depth,
}

impl<'a, 'de> Repeated<'a, 'de> {
    fn new(occ: &'a [(u32, Occ<'de>)], depth: Depth) -> Self {
        Self {
            occ,
            number: 0,
            packed: &[],
            ended: false,
            depth,
        }
    }

    /// Takes the next occurrence, or marks the field as ended.
    fn next_occ(&mut self) -> Result<(u32, Occ<'de>), Error> {
        let Some((first, rest)) = self.occ.split_first() else {
            self.ended = true;
            return Err(Error::new("no elements left"));
        };
        self.occ = rest;
        self.number = first.0;
        Ok(*first)
    }
}

impl<'de> Cursor<'de> for Repeated<'_, 'de> {
    fn scalar(&mut self, kind: Kind) -> Result<(u32, Occ<'de>), Error> {
        loop {
            if !self.packed.is_empty() {
                let mut reader = Reader::new(self.packed);
                let occ = match kind {
                    Kind::Varint => reader.varint().map(Occ::Varint),
                    Kind::I64 => reader.fixed64().map(Occ::I64),
                    Kind::I32 => reader.fixed32().map(Occ::I32),
                    Kind::Byte => reader
                        .take(1)
                        .map(|b| Occ::Varint(u64::from(b.first().copied().unwrap_or(0)))),
                }
                .map_err(|e| Error(format!("field {}: packed run: {e}", self.number)))?;
                self.packed = reader.rest;
                return Ok((self.number, occ));
            }
            match self.next_occ()? {
                (_, Occ::Len(bytes)) => self.packed = bytes,
                other => return Ok(other),
            }
        }
    }

    fn len(&mut self) -> Result<(u32, &'de [u8]), Error> {
        if !self.packed.is_empty() {
            return Err(Error(format!(
                "field {}: a packed run of numbers where a length-delimited element was expected",
                self.number
            )));
        }
        match self.next_occ()? {
            (number, Occ::Len(bytes)) => Ok((number, bytes)),
            (number, other) => Err(wrong_wire(number, "a length-delimited value", &other)),
        }
    }
}

impl<'de> SeqAccess<'de> for Repeated<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.packed.is_empty() && self.occ.is_empty() {
            return Ok(None);
        }
        let depth = self.depth;
        let before = (self.occ.len(), self.packed.len());
        match seed.deserialize(De {
            src: Src::Element(self),
            depth,
        }) {
            // A type that reads nothing would make the sequence endless.
            Ok(_) if (self.occ.len(), self.packed.len()) == before => Err(Error::new(
                "an element of a repeated field was read without reading anything",
            )),
            Ok(value) => Ok(Some(value)),
            // Only empty packed runs were left: they hold no element.
            Err(_) if self.ended => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// `left` zero values: an absent tuple or array.
struct Zeros {
    left: usize,
    depth: Depth,
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
        seed.deserialize(De {
            src: Src::Field {
                occ: &[],
                explicit: false,
            },
            depth: self.depth,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// A struct's fields, by position: the visitor's n-th field is field number n, up to `last`.
struct StructFields<'de> {
    fields: Fields<'de>,
    next: u32,
    last: u32,
    depth: Depth,
}

impl<'de> SeqAccess<'de> for StructFields<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let number = self.next;
        if number > self.last {
            return Ok(None);
        }
        self.next = self.next.saturating_add(1);
        seed.deserialize(De {
            src: Src::Field {
                occ: self.fields.get(number),
                explicit: false,
            },
            depth: self.depth,
        })
        .map(Some)
    }
}

/// A map's entries: each occurrence is a message `{ key = 1; value = 2; }`.
struct Entries<'a, 'de> {
    occ: &'a [(u32, Occ<'de>)],
    /// The fields of the entry whose key was read last.
    entry: Fields<'de>,
    depth: Depth,
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(((number, occ), rest)) = self.occ.split_first() else {
            return Ok(None);
        };
        self.occ = rest;
        let Occ::Len(bytes) = occ else {
            return Err(wrong_wire(*number, "a map entry", occ));
        };
        self.entry = Fields::scan([Ok(*bytes)], 2)?;
        seed.deserialize(De {
            src: Src::Field {
                occ: self.entry.get(1),
                explicit: true,
            },
            depth: self.depth,
        })
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(De {
            src: Src::Field {
                occ: self.entry.get(2),
                explicit: true,
            },
            depth: self.depth,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.occ.len())
    }
}

/// An enum value: a unit variant's index.
struct UnitVariant(u32);

fn data_variant() -> Error {
    Error::new("enum variants that carry data are not supported by the protobuf mapping")
}

impl<'de> EnumAccess<'de> for UnitVariant {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let index: de::value::U32Deserializer<Error> = self.0.into_deserializer();
        Ok((seed.deserialize(index)?, self))
    }
}

impl<'de> VariantAccess<'de> for UnitVariant {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Error> {
        Err(data_variant())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(data_variant())
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(data_variant())
    }
}
