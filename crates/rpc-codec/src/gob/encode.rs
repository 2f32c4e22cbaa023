//! A gob stream's encoder: type definitions once per stream, then values.

use std::collections::HashMap;
use std::fmt;

use bytes::BytesMut;
use rpc_proto::{CodecError, Limits};
use serde::Serialize;

use super::error::{Error, bail};
use super::ser::{Out, ValueSerializer, Written};
use super::shape::{Class, ClassId, Shape, Shapes};
use super::types::{
    BOOL, BYTES, FIRST_ASSIGNED_ID, FLOAT, INT, INTERFACE, STRING, TypeId, UINT, WireField,
    WireType, write_wire_type,
};
use super::wire::{put_int, put_uint};

/// The types a stream has defined, by a canonical description of each.
#[derive(Debug)]
pub(crate) struct Registry {
    ids: HashMap<Vec<u8>, TypeId>,
    next: TypeId,
}

/// What one encode added to a [`Registry`], to undo it if the encode fails.
#[derive(Debug)]
pub(crate) struct Journal {
    added: Vec<Vec<u8>>,
    next: TypeId,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            ids: HashMap::new(),
            next: FIRST_ASSIGNED_ID,
        }
    }
}

/// Writes the canonical description of the wire type of `shape`, with classes numbered in the
/// order first met (a class met again is a back reference), so equal descriptions mean equal
/// wire types.
fn describe(shape: &Shape, classes: &[Class], out: &mut Vec<u8>, seen: &mut Vec<ClassId>) {
    fn text(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    match shape {
        Shape::Slice(elem) => {
            out.push(b'S');
            describe(elem, classes, out, seen);
        }
        Shape::Array(len, elem) => {
            out.push(b'A');
            out.extend_from_slice(&(*len as u64).to_le_bytes());
            describe(elem, classes, out, seen);
        }
        Shape::Map(key, elem) => {
            out.push(b'M');
            describe(key, classes, out, seen);
            describe(elem, classes, out, seen);
        }
        Shape::Struct(id) => {
            if let Some(i) = seen.iter().position(|c| c == id) {
                out.push(b'R');
                out.extend_from_slice(&(i as u64).to_le_bytes());
                return;
            }
            seen.push(*id);
            out.push(b'T');
            let Some(class) = classes.get(*id) else {
                return;
            };
            text(out, &class.name);
            out.extend_from_slice(&(class.fields.len() as u64).to_le_bytes());
            for (name, field) in &class.fields {
                text(out, name);
                describe(field, classes, out, seen);
            }
        }
        Shape::Marshaler(kind, name) => {
            out.push(b'G');
            out.push(kind.code());
            text(out, name);
        }
        builtin => {
            out.push(b'B');
            out.push(builtin_id(builtin).unwrap_or(STRING) as u8);
        }
    }
}

/// The id of a shape that is a builtin type (an unknown element type is `string`).
fn builtin_id(shape: &Shape) -> Option<TypeId> {
    Some(match shape {
        Shape::Bool => BOOL,
        Shape::Int => INT,
        Shape::Uint | Shape::U8 => UINT,
        Shape::Float => FLOAT,
        Shape::Bytes => BYTES,
        Shape::String | Shape::Unknown => STRING,
        Shape::Interface => INTERFACE,
        _ => return None,
    })
}

impl Registry {
    pub(crate) fn begin(&self) -> Journal {
        Journal {
            added: Vec::new(),
            next: self.next,
        }
    }

    /// Undoes everything recorded in `journal`.
    pub(crate) fn rollback(&mut self, journal: Journal) {
        for key in journal.added {
            self.ids.remove(&key);
        }
        self.next = journal.next;
    }

    /// The type id of `shape`, defining (into `defs`, outer types first as Go sends them)
    /// whatever the stream has not defined yet.
    fn resolve(
        &mut self,
        shape: &Shape,
        classes: &[Class],
        memo: &mut HashMap<ClassId, TypeId>,
        defs: &mut Vec<Option<(TypeId, WireType)>>,
        journal: &mut Journal,
    ) -> Result<TypeId, Error> {
        if let Some(id) = builtin_id(shape) {
            return Ok(id);
        }
        if let Shape::Struct(class) = shape {
            if let Some(&id) = memo.get(class) {
                return Ok(id);
            }
        }
        let mut key = Vec::new();
        describe(shape, classes, &mut key, &mut Vec::new());
        if let Some(&id) = self.ids.get(&key) {
            if let Shape::Struct(class) = shape {
                memo.insert(*class, id);
            }
            return Ok(id);
        }
        let id = self.next;
        if id >= TypeId::from(i32::MAX) {
            bail!("gob: the stream ran out of type ids");
        }
        self.next += 1;
        self.ids.insert(key.clone(), id);
        journal.added.push(key);
        if let Shape::Struct(class) = shape {
            memo.insert(*class, id);
        }
        let slot = defs.len();
        defs.push(None);
        let wire = match shape {
            Shape::Slice(elem) => WireType::Slice {
                name: String::new(),
                elem: self.resolve(elem, classes, memo, defs, journal)?,
            },
            Shape::Array(len, elem) => WireType::Array {
                name: String::new(),
                elem: self.resolve(elem, classes, memo, defs, journal)?,
                len: *len,
            },
            Shape::Map(key, elem) => WireType::Map {
                name: String::new(),
                key: self.resolve(key, classes, memo, defs, journal)?,
                elem: self.resolve(elem, classes, memo, defs, journal)?,
            },
            Shape::Struct(class) => {
                let Some(class) = classes.get(*class) else {
                    bail!("gob: internal error: unknown struct class");
                };
                let mut fields = Vec::with_capacity(class.fields.len());
                for (name, field) in &class.fields {
                    fields.push(WireField {
                        name: name.to_string(),
                        id: self.resolve(field, classes, memo, defs, journal)?,
                    });
                }
                WireType::Struct {
                    name: class.name.to_string(),
                    fields,
                }
            }
            Shape::Marshaler(kind, name) => WireType::Marshaler {
                name: name.to_string(),
                kind: *kind,
            },
            _ => bail!("gob: internal error: {shape:?} is not a defined type"),
        };
        defs[slot] = Some((id, wire));
        Ok(id)
    }

    /// Appends the messages for one value — the definitions of the types it needs that the
    /// stream has not seen, then the value — to `dst`.
    pub(crate) fn encode_value<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        limits: &Limits,
        dst: &mut Vec<u8>,
        journal: &mut Journal,
    ) -> Result<(), Error> {
        let mut shapes = Shapes::new(limits.max_depth);
        let root = shapes.of(value)?;
        if root == Shape::Unknown {
            bail!("gob: cannot encode None (Go's nil pointer) as a value");
        }
        shapes.finish();
        let mut defs = Vec::new();
        let mut memo = HashMap::new();
        let id = self.resolve(&root, &shapes.classes, &mut memo, &mut defs, journal)?;
        // The concrete types of interface values are defined before the value, as Go's encoder
        // defines those of a top-level value's interface values.
        let mut concrete = Vec::with_capacity(shapes.concrete.len());
        for shape in std::mem::take(&mut shapes.concrete) {
            let id = self.resolve(&shape, &shapes.classes, &mut memo, &mut defs, journal)?;
            concrete.push((shape, id));
        }
        let mut message = Vec::new();
        for (def_id, wire) in defs.into_iter().flatten() {
            message.clear();
            put_int(&mut message, -def_id);
            write_wire_type(&mut message, def_id, &wire);
            put_uint(dst, message.len() as u64);
            dst.extend_from_slice(&message);
        }
        message.clear();
        put_int(&mut message, id);
        if !matches!(root, Shape::Struct(_)) {
            put_uint(&mut message, 0); // the singleton's field delta
        }
        let mut out = Out::new(message, &shapes.classes, &concrete, limits.max_message);
        let written = value.serialize(ValueSerializer {
            out: &mut out,
            shape: &root,
            as_struct: false,
        })?;
        if written == Written::Nil {
            bail!("gob: cannot encode None (Go's nil pointer) as a value");
        }
        put_uint(dst, out.buf.len() as u64);
        dst.extend_from_slice(&out.buf);
        if dst.len() > limits.max_message {
            bail!(
                "gob: message exceeds the limit of {} bytes",
                limits.max_message
            );
        }
        Ok(())
    }
}

/// A gob stream encoder, as Go's `gob.Encoder`: each value is preceded by the definitions of
/// the types it needs that this stream has not defined yet.
///
/// ```
/// use bytes::BytesMut;
/// use rpc_codec::gob;
/// use rpc_proto::Limits;
///
/// #[derive(serde::Serialize)]
/// struct Point { #[serde(rename = "X")] x: i64, #[serde(rename = "Y")] y: i64 }
///
/// let mut encoder = gob::Encoder::new(&Limits::default());
/// let mut out = BytesMut::new();
/// encoder.encode(&Point { x: 22, y: 33 }, &mut out)?;
/// // Go's doc.go example, byte for byte: the type definition, then the value.
/// assert_eq!(out.len(), 32 + 8);
/// assert_eq!(&out[32..], b"\x07\xff\x82\x01\x2c\x01\x42\x00");
/// encoder.encode(&Point { x: 1, y: 0 }, &mut out)?; // the type is not sent again
/// assert_eq!(&out[40..], b"\x05\xff\x82\x01\x02\x00");
/// # Ok::<(), rpc_proto::CodecError>(())
/// ```
pub struct Encoder {
    registry: Registry,
    limits: Limits,
}

impl Encoder {
    /// A new stream. Values nest at most `limits.max_depth` levels, and one value with its type
    /// definitions may take at most `limits.max_message` bytes.
    pub fn new(limits: &Limits) -> Self {
        Self {
            registry: Registry::default(),
            limits: *limits,
        }
    }

    /// Appends `value` (with the type definitions it needs) to `dst`.
    ///
    /// On error `dst` and the stream are as they were before the call.
    pub fn encode<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        let mut out = Vec::new();
        let mut journal = self.registry.begin();
        match self
            .registry
            .encode_value(value, &self.limits, &mut out, &mut journal)
        {
            Ok(()) => {
                dst.extend_from_slice(&out);
                Ok(())
            }
            Err(err) => {
                self.registry.rollback(journal);
                Err(CodecError::Encode(err.to_string()))
            }
        }
    }

    pub(crate) fn registry(&mut self) -> &mut Registry {
        &mut self.registry
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }
}

impl fmt::Debug for Encoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("gob::Encoder")
            .field("types_sent", &self.registry.ids.len())
            .field("limits", &self.limits)
            .finish()
    }
}
