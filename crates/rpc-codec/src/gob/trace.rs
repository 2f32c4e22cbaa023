//! Gob types from Rust types: what a type's `Deserialize` implementation asks for.
//!
//! The encoder learns types from values (`shape.rs`), and an empty sequence or map, or a
//! `None`, shows nothing of its type. A type's `Deserialize` implementation does: asked to
//! deserialize itself, it tells the deserializer what it expects (`deserialize_struct` with its
//! name and fields, `deserialize_seq`, `deserialize_i64`…). [`trace`] drives it with a
//! deserializer that records each request as a [`Shape`] and answers it with a made-up value,
//! the way serde-reflection traces formats. The type comes as a [`TypeInfo`] (its
//! `Deserialize` implementation, erased), which a [`Reply`](rpc_proto::Reply) or a
//! [`Payload`](rpc_proto::Payload) carries to the encoder, or a [`Hinted`](super::Hinted)
//! value hands it:
//!
//! - a struct is visited field by field (its fields as its `Deserialize` implementation lists
//!   them); a sequence and a map are visited with one element (or entry), to learn the
//!   element's (the key's and value's) shape, then end; an `Option` is `Some`; a tuple or array
//!   is its elements (an array of gob if all are alike); newtypes are their inner value;
//! - integers, floats, strings, booleans and byte strings are themselves (a made-up `1`, `1.0`,
//!   `""`, `false`, empty bytes);
//! - a struct met again under the same serde name, within itself (a recursive type) or
//!   elsewhere, is the same struct: its value is then the zero value ([`rpc_proto::zero`]), so
//!   tracing ends, and the shape refers back to it (the recursive gob type the encoder
//!   supports). Newtype and tuple structs met again within themselves, which no gob type can
//!   describe, are unknown.
//! - `deserialize_any` (self-describing types such as `serde_json::Value`), `ignored_any` and
//!   enums tell nothing: unknown.
//!
//! A `Deserialize` implementation may refuse the made-up values (one that validates, or one of
//! a type that needs a particular value): what was traced until then is kept (an element that
//! fails ends its sequence, whose element shape is kept), the rest is unknown. A panicking
//! implementation gives no trace at all. Either way the encoder then relies on the value alone
//! where the trace tells nothing.
//!
//! Structs share one entry per serde name, as the encoder's types do; so two instances of a
//! generic struct with different type arguments nested in one type get the first one's shape
//! (which the encoder uses only where the value itself tells nothing).

use std::any::TypeId;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use rpc_proto::TypeInfo;
use rpc_proto::zero::Zero;
#[cfg(test)]
use serde::de::DeserializeOwned;
use serde::de::value::StrDeserializer;
use serde::de::{DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::error::Error;
use super::shape::{Shape, unify_names};

/// How deep a trace goes before giving up (unknown) on what is deeper.
const MAX_DEPTH: usize = 128;

/// The gob shape of a Rust type, as its `Deserialize` implementation tells it.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// The type's shape; `Shape::Struct(i)` (here and in fields) is `structs[i]`.
    pub(crate) root: Shape,
    pub(crate) structs: Vec<TracedStruct>,
}

/// A struct met by the trace.
#[derive(Debug)]
pub(crate) struct TracedStruct {
    pub(crate) name: &'static str,
    /// Every field the `Deserialize` implementation lists, with its shape (unknown if the trace
    /// did not get to it).
    pub(crate) fields: Vec<(&'static str, Shape)>,
}

/// The trace of `T` (see [`trace_of_type`]).
#[cfg(test)]
pub(crate) fn trace_of<T: DeserializeOwned + 'static>() -> Option<Arc<Trace>> {
    trace_of_type(&TypeInfo::of::<T>())
}

/// The trace of the type `ty`, made once per type and kept for the life of the program; `None`
/// if its `Deserialize` implementation panicked.
pub(crate) fn trace_of_type(ty: &TypeInfo) -> Option<Arc<Trace>> {
    static CACHE: OnceLock<RwLock<HashMap<TypeId, Option<Arc<Trace>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(RwLock::default);
    let id = ty.type_id();
    if let Some(trace) = cache
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
    {
        return trace.clone();
    }
    let traced = catch_unwind(AssertUnwindSafe(|| trace_type(ty)))
        .ok()
        .map(Arc::new);
    cache
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(id)
        .or_insert(traced)
        .clone()
}

/// Traces `T` (see [`trace_type`]).
#[cfg(test)]
pub(crate) fn trace<T: DeserializeOwned + 'static>() -> Trace {
    trace_type(&TypeInfo::of::<T>())
}

/// Traces the type `ty` (see the module documentation), through its erased `Deserialize`
/// implementation.
pub(crate) fn trace_type(ty: &TypeInfo) -> Trace {
    let mut cx = Cx::default();
    let mut root = Shape::Unknown;
    let result = {
        let mut de = <dyn erased_serde::Deserializer>::erase(TraceDe {
            cx: &mut cx,
            out: &mut root,
            depth: 0,
        });
        ty.deserialize(&mut de)
    };
    if let Err(err) = result {
        tracing::trace!(ty = ty.type_name(), %err, "gob trace incomplete");
    }
    Trace {
        root: root.normalized(),
        structs: cx.structs,
    }
}

/// What a trace has found so far.
#[derive(Default)]
struct Cx {
    structs: Vec<TracedStruct>,
    by_name: HashMap<&'static str, usize>,
    /// The newtype and tuple structs being traced.
    open: Vec<&'static str>,
}

/// Records what it is asked for into `out`.
struct TraceDe<'c> {
    cx: &'c mut Cx,
    out: &'c mut Shape,
    depth: usize,
}

fn zero_error(err: rpc_proto::zero::Error) -> Error {
    Error::new(err.to_string())
}

impl TraceDe<'_> {
    /// A struct without fields, as `()` and unit structs are.
    fn unit(self, name: &'static str) {
        let index = match self.cx.by_name.get(name) {
            Some(&index) => index,
            None => {
                let index = self.cx.structs.len();
                self.cx.structs.push(TracedStruct {
                    name,
                    fields: Vec::new(),
                });
                self.cx.by_name.insert(name, index);
                index
            }
        };
        *self.out = Shape::Struct(index);
    }

    fn tuple<'de, V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        let mut elems = Vec::with_capacity(len.min(64));
        let depth = self.depth;
        let result = visitor.visit_seq(Tuple {
            cx: &mut *self.cx,
            elems: &mut elems,
            left: len,
            depth: depth + 1,
        });
        let mut elems = elems.into_iter().map(Shape::normalized);
        let mut first = elems.next().unwrap_or(Shape::Unknown);
        *self.out = if elems.all(|elem| unify_names(&mut first, &elem)) {
            Shape::Array(len, Box::new(first))
        } else {
            Shape::Unknown
        };
        result
    }
}

macro_rules! scalar {
    ($($method:ident => $shape:expr, $visit:ident($value:expr),)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            *self.out = $shape;
            visitor.$visit($value)
        })*
    };
}

impl<'de> Deserializer<'de> for TraceDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        *self.out = Shape::Unknown;
        visitor.visit_unit()
    }

    scalar! {
        deserialize_bool => Shape::Bool, visit_bool(false),
        deserialize_i8 => Shape::Int("int8"), visit_i8(1),
        deserialize_i16 => Shape::Int("int16"), visit_i16(1),
        deserialize_i32 => Shape::Int("int32"), visit_i32(1),
        deserialize_i64 => Shape::Int("int64"), visit_i64(1),
        deserialize_i128 => Shape::Int("int64"), visit_i128(1),
        deserialize_u8 => Shape::U8, visit_u8(1),
        deserialize_u16 => Shape::Uint("uint16"), visit_u16(1),
        deserialize_u32 => Shape::Uint("uint32"), visit_u32(1),
        deserialize_u64 => Shape::Uint("uint64"), visit_u64(1),
        deserialize_u128 => Shape::Uint("uint64"), visit_u128(1),
        deserialize_f32 => Shape::Float("float32"), visit_f32(1.0),
        deserialize_f64 => Shape::Float("float64"), visit_f64(1.0),
        deserialize_char => Shape::Int("int32"), visit_char('a'),
        deserialize_str => Shape::String, visit_str(""),
        deserialize_string => Shape::String, visit_string(String::new()),
        deserialize_identifier => Shape::String, visit_str(""),
        deserialize_bytes => Shape::Bytes, visit_bytes(&[]),
        deserialize_byte_buf => Shape::Bytes, visit_byte_buf(Vec::new()),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.unit("");
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.unit(name);
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        // A marshaler's name shows only in its values; a Go string of any bytes is a string.
        if name == super::marker::MARSHALER || name == super::marker::STRING {
            *self.out = if name == super::marker::STRING {
                Shape::String
            } else {
                Shape::Unknown
            };
            return Zero
                .deserialize_newtype_struct(name, visitor)
                .map_err(zero_error);
        }
        if self.depth >= MAX_DEPTH || self.cx.open.contains(&name) {
            *self.out = Shape::Unknown;
            return Zero
                .deserialize_newtype_struct(name, visitor)
                .map_err(zero_error);
        }
        self.cx.open.push(name);
        let TraceDe { cx, out, depth } = self;
        let result = visitor.visit_newtype_struct(TraceDe {
            cx: &mut *cx,
            out,
            depth: depth + 1,
        });
        cx.open.pop();
        result
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.depth >= MAX_DEPTH {
            *self.out = Shape::Unknown;
            return Zero.deserialize_seq(visitor).map_err(zero_error);
        }
        let mut elem = Shape::Unknown;
        let result = visitor.visit_seq(One {
            cx: &mut *self.cx,
            elem: &mut elem,
            depth: self.depth + 1,
            done: false,
        });
        *self.out = match elem {
            Shape::U8 => Shape::Bytes,
            elem => Shape::Slice(Box::new(elem)),
        };
        result
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        if self.depth >= MAX_DEPTH {
            *self.out = Shape::Unknown;
            return Zero.deserialize_tuple(len, visitor).map_err(zero_error);
        }
        self.tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        // A marshaler's name shows only in its values; a Go string of any bytes is a string.
        if name == super::marker::MARSHALER || name == super::marker::STRING {
            *self.out = if name == super::marker::STRING {
                Shape::String
            } else {
                Shape::Unknown
            };
            return Zero
                .deserialize_newtype_struct(name, visitor)
                .map_err(zero_error);
        }
        if self.depth >= MAX_DEPTH || self.cx.open.contains(&name) {
            *self.out = Shape::Unknown;
            return Zero
                .deserialize_tuple_struct(name, len, visitor)
                .map_err(zero_error);
        }
        self.cx.open.push(name);
        let TraceDe { cx, out, depth } = self;
        let result = TraceDe {
            cx: &mut *cx,
            out,
            depth,
        }
        .tuple(len, visitor);
        cx.open.pop();
        result
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.depth >= MAX_DEPTH {
            *self.out = Shape::Unknown;
            return Zero.deserialize_map(visitor).map_err(zero_error);
        }
        let (mut key, mut value) = (Shape::Unknown, Shape::Unknown);
        let depth = self.depth + 1;
        let result = visitor.visit_map(Entry {
            cx: &mut *self.cx,
            key: &mut key,
            value: &mut value,
            depth,
            state: 0,
        });
        *self.out = Shape::Map(Box::new(key.normalized()), Box::new(value.normalized()));
        result
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if let Some(&index) = self.cx.by_name.get(name) {
            *self.out = Shape::Struct(index);
            return Zero
                .deserialize_struct(name, fields, visitor)
                .map_err(zero_error);
        }
        if self.depth >= MAX_DEPTH {
            *self.out = Shape::Unknown;
            return Zero
                .deserialize_struct(name, fields, visitor)
                .map_err(zero_error);
        }
        let index = self.cx.structs.len();
        self.cx.structs.push(TracedStruct {
            name,
            fields: fields
                .iter()
                .map(|&field| (field, Shape::Unknown))
                .collect(),
        });
        self.cx.by_name.insert(name, index);
        *self.out = Shape::Struct(index);
        visitor.visit_map(Fields {
            cx: self.cx,
            index,
            next: 0,
            depth: self.depth + 1,
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        *self.out = Shape::Unknown;
        Err(Error::new(format!(
            "gob: enums are not supported (enum {name})"
        )))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        *self.out = Shape::Unknown;
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        // As the gob encoder: types that serialize differently for humans must be traced as
        // they serialize to gob.
        false
    }
}

/// A sequence of one element; an element that fails to deserialize ends it instead.
struct One<'c> {
    cx: &'c mut Cx,
    elem: &'c mut Shape,
    depth: usize,
    done: bool,
}

impl<'de> SeqAccess<'de> for One<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(None);
        }
        let result = seed.deserialize(TraceDe {
            cx: &mut *self.cx,
            out: &mut *self.elem,
            depth: self.depth,
        });
        Ok(result.ok())
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(!self.done))
    }
}

/// The elements of a tuple or array.
struct Tuple<'c> {
    cx: &'c mut Cx,
    elems: &'c mut Vec<Shape>,
    left: usize,
    depth: usize,
}

impl<'de> SeqAccess<'de> for Tuple<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let mut elem = Shape::Unknown;
        let result = seed.deserialize(TraceDe {
            cx: &mut *self.cx,
            out: &mut elem,
            depth: self.depth,
        });
        self.elems.push(elem);
        result.map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// A map of one entry; a key that fails to deserialize ends it instead.
struct Entry<'c> {
    cx: &'c mut Cx,
    key: &'c mut Shape,
    value: &'c mut Shape,
    depth: usize,
    /// 0: the key is next; 1: the value; 2: the end.
    state: u8,
}

impl<'de> MapAccess<'de> for Entry<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.state != 0 {
            return Ok(None);
        }
        let result = seed.deserialize(TraceDe {
            cx: &mut *self.cx,
            out: &mut *self.key,
            depth: self.depth,
        });
        self.state = if result.is_ok() { 1 } else { 2 };
        Ok(result.ok())
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.state = 2;
        seed.deserialize(TraceDe {
            cx: &mut *self.cx,
            out: &mut *self.value,
            depth: self.depth,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.state == 0))
    }
}

/// The fields of a struct, in the order its `Deserialize` implementation lists them.
struct Fields<'c> {
    cx: &'c mut Cx,
    index: usize,
    next: usize,
    depth: usize,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(&(name, _)) = self.cx.structs[self.index].fields.get(self.next) else {
            return Ok(None);
        };
        let key: StrDeserializer<'_, Error> = name.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let at = self.next;
        self.next += 1;
        let mut shape = Shape::Unknown;
        let result = seed.deserialize(TraceDe {
            cx: &mut *self.cx,
            out: &mut shape,
            depth: self.depth,
        });
        if let Some((_, field)) = self.cx.structs[self.index].fields.get_mut(at) {
            *field = shape.normalized();
        }
        result
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.cx.structs[self.index].fields.len() - self.next)
    }
}
