//! A gob stream's encoder: type definitions once per stream, then values.

use std::collections::HashMap;
use std::fmt;

use bytes::BytesMut;
use rpc_proto::{CodecError, Limits, TypeInfo};
use serde::Serialize;

use super::error::{Error, bail};
use super::ser::{Out, ValueSerializer, Written};
use super::shape::{Class, ClassId, Shape, Shapes, go_name};
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
/// wire types. The names of slice, array and map types are not part of it: a type is defined
/// once per stream under the name it first has (`[]int32`, and a later `[]int64` is the same
/// `[]int` on the wire), as Go's encoder names each type once, and a value of the same Go type
/// always has the same definition whatever its Rust numbers (dynamic values serialize every
/// integer as `i64`).
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
        Shape::Int(_) => INT,
        Shape::Uint(_) | Shape::U8 => UINT,
        Shape::Float(_) => FLOAT,
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

    /// The id this stream gave the type of `value`, if it has defined it.
    pub(crate) fn defined_id<T: Serialize + ?Sized>(
        &self,
        value: &T,
        limits: &Limits,
    ) -> Option<TypeId> {
        let mut shapes = Shapes::new(limits.max_depth);
        let root = shapes.of(value, None).ok()?;
        shapes.finish();
        if let Some(id) = builtin_id(&root) {
            return Some(id);
        }
        let mut key = Vec::new();
        describe(&root, &shapes.classes, &mut key, &mut Vec::new());
        self.ids.get(&key).copied()
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
        // Slices, arrays and maps are named as Go names them (`[]string`, `map[string]int`),
        // when every part has a name.
        let name = || go_name(shape, classes).unwrap_or_default();
        let wire = match shape {
            Shape::Slice(elem) => WireType::Slice {
                name: name(),
                elem: self.resolve(elem, classes, memo, defs, journal)?,
            },
            Shape::Array(len, elem) => WireType::Array {
                name: name(),
                elem: self.resolve(elem, classes, memo, defs, journal)?,
                len: *len,
            },
            Shape::Map(key, elem) => WireType::Map {
                name: name(),
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
    /// stream has not seen, then the value — to `dst`. `ty`, the value's Rust type when known,
    /// tells the types the value cannot show (an empty `Vec<i64>` is Go's `[]int64`).
    pub(crate) fn encode_value<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        ty: Option<&TypeInfo>,
        limits: &Limits,
        dst: &mut Vec<u8>,
        journal: &mut Journal,
    ) -> Result<(), Error> {
        let mut shapes = Shapes::new(limits.max_depth);
        let root = shapes.of(value, ty)?;
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
            .encode_value(value, None, &self.limits, &mut out, &mut journal)
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;
    use crate::gob::types::read_wire_type;
    use crate::gob::wire::{Reader, peek_uint};

    /// The type definitions in `stream`, in order.
    fn definitions(mut stream: &[u8]) -> Vec<(TypeId, WireType)> {
        let mut out = Vec::new();
        while let Ok(Some((len, width))) = peek_uint(stream) {
            let end = width + len as usize;
            let mut r = Reader::new(&stream[width..end]);
            let id = r.int().unwrap();
            if id < 0 {
                out.push((-id, read_wire_type(&mut r).unwrap()));
            }
            stream = &stream[end..];
        }
        out
    }

    fn name(wire: &WireType) -> &str {
        match wire {
            WireType::Array { name, .. }
            | WireType::Slice { name, .. }
            | WireType::Struct { name, .. }
            | WireType::Map { name, .. }
            | WireType::Marshaler { name, .. } => name,
        }
    }

    fn encode<T: Serialize + ?Sized>(encoder: &mut Encoder, value: &T) -> Vec<u8> {
        let mut out = BytesMut::new();
        encoder.encode(value, &mut out).unwrap();
        out.to_vec()
    }

    #[derive(Serialize)]
    struct Inner {
        #[serde(rename = "A")]
        a: i64,
    }

    #[derive(Serialize)]
    enum Any {
        #[serde(rename = "int")]
        Int(i64),
    }

    /// The fields of Go's struct whose definitions Go names (gen's type zoo and
    /// /tmp experiments: `Strs []string` is `[]string`, `I32s []int32` is `[]int32`, ...).
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Holder {
        strs: Vec<String>,
        pair: [String; 2],
        m: BTreeMap<String, i64>,
        i32s: Vec<i32>,
        u8s: Vec<u8>,
        inners: Vec<Inner>,
        nested: Vec<Vec<i64>>,
        ms: BTreeMap<i64, Vec<Inner>>,
        f: Vec<f64>,
        b: [bool; 3],
        byt: [u8; 4],
        anys: Vec<Any>,
        ts: Vec<rpc_gotypes::Time>,
    }

    #[test]
    fn composite_definitions_carry_gos_names() {
        let holder = Holder {
            strs: vec!["a".into()],
            pair: ["k".into(), "v".into()],
            m: BTreeMap::from([("a".into(), 1)]),
            i32s: vec![1],
            u8s: vec![1],
            inners: vec![Inner { a: 1 }],
            nested: vec![vec![1]],
            ms: BTreeMap::from([(1, vec![Inner { a: 2 }])]),
            f: vec![1.5],
            b: [true, false, true],
            byt: [1, 2, 3, 4],
            anys: vec![Any::Int(1)],
            ts: vec![rpc_gotypes::Time::default()],
        };
        let defs = definitions(&encode(&mut Encoder::new(&Limits::default()), &holder));
        let names: Vec<&str> = defs.iter().map(|(_, wire)| name(wire)).collect();
        // As Go names them, but for Go's int (a Rust i64 is int64) and package names.
        assert_eq!(
            names,
            [
                "Holder",
                "[]string",
                "[2]string",
                "map[string]int64",
                "[]int32",
                "[]Inner",
                "Inner",
                // Its element type is the stream's []int32 (the same wire type).
                "[][]int64",
                "map[int64][]Inner",
                "[]float64",
                "[3]bool",
                "[4]uint8",
                "[]interface {}",
                "[]Time",
                "Time",
                // The concrete type of the interface value is builtin: no definition.
            ]
        );
        // []byte is gob's builtin type: no definition. Top-level composites are named too.
        let defs = definitions(&encode(&mut Encoder::new(&Limits::default()), &["k", "v"]));
        assert_eq!(name(&defs[0].1), "[2]string");
    }

    #[test]
    fn one_definition_per_structure_under_its_first_name() {
        let mut encoder = Encoder::new(&Limits::default());
        let first = definitions(&encode(&mut encoder, &vec![1i32]));
        assert_eq!(name(&first[0].1), "[]int32");
        // A []int64 is the same wire type: the stream's []int32 serves.
        let second = encode(&mut encoder, &vec![2i64]);
        assert!(definitions(&second).is_empty());
        assert_eq!(second, [5, 0xff, 0x82, 0, 1, 4]);
        // A marshaler type without a name leaves the slice unnamed.
        let unnamed = rpc_gotypes::Marshaled::new(
            rpc_gotypes::MarshalerKind::BinaryMarshaler,
            "",
            "https://go.dev",
        );
        let defs = definitions(&encode(&mut encoder, &vec![unnamed]));
        assert_eq!(name(&defs[0].1), "");
    }
}
