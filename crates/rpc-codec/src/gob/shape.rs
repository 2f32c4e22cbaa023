//! The first of the encoder's two passes over a value: its gob type, told from the value.
//!
//! A gob stream defines a value's type before the value, but serde shows only values. So the
//! encoder first serializes the value into a [`Shape`] (this module), then defines the types the
//! shape needs, then serializes the value again into bytes along the shape (`ser.rs`).
//!
//! What the value tells:
//!
//! - Scalars map to gob's builtin types; a `u8` is remembered as such, so that a sequence whose
//!   elements are all `u8` becomes `[]byte` (the only wire type Go's `[]byte` accepts).
//! - A sequence's element type, and a map's key and element types, are the merge of those of
//!   all elements; a struct's type lists every field serialized (zero or not) whose type the
//!   value tells. A `None`, or an empty sequence or map, tells nothing: it is [`Shape::Unknown`],
//!   which merges with anything. A field that stays unknown is left out of the struct's type (its
//!   value is zero, so it is not sent); an element or key type that stays unknown becomes
//!   `string`.
//! - Structs are grouped into [`Class`]es: a struct joins the first class of the same serde name
//!   (anonymous structs: the same field names) whose fields do not conflict with its own, and its
//!   fields are merged into the class. So a recursive type (`Node { next: Option<Box<Node>> }`)
//!   gets one recursive gob type however deep the value, and two instances of a generic struct
//!   with different type arguments (same serde name, conflicting fields) get one type each.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use rpc_proto::TypeInfo;
use serde::ser::{self, Serialize};

use super::dynamic::GoType;
use super::error::{Error, bail};
use super::hint::{HINT_MARKER, take_trace};
use super::marker::{self, Marshaled};
use super::refuse::refuse;
use super::trace::{Trace, trace_of_type};
use super::types::Marshaler;

/// The serde name of a newtype struct wrapping a map that is to be encoded as a Go struct whose
/// field names are the map's (string) keys. Other formats see an ordinary map.
pub(crate) const STRUCT_MARKER: &str = "\0gob::struct";

/// The serde name of a newtype struct wrapping an empty sequence or map whose Go type was just
/// placed in [`set_hint`]. Other formats see the empty container.
pub(crate) const EMPTY_MARKER: &str = "\0gob::empty";

thread_local! {
    static HINT: RefCell<Option<GoType>> = const { RefCell::new(None) };
}

/// Tells the shape pass the Go type of the empty container about to be serialized under
/// [`EMPTY_MARKER`]; cleared by [`take_hint`].
pub(crate) fn set_hint(ty: Option<GoType>) {
    HINT.with(|hint| *hint.borrow_mut() = ty);
}

fn take_hint() -> Option<GoType> {
    HINT.with(|hint| hint.borrow_mut().take())
}

/// The Go name of a number's type as far as the Rust type tells it: `int64` for `i64`, `int32`
/// for `char` (Go's `rune`), `float32` for `f32`; Go's `int`, `uint` and `float64` where
/// numbers of different types merged. gob's wire types are only `int`, `uint` and `float`
/// whatever the name, which goes only into the names of the composite types that hold the
/// number (`[]int64`, see [`go_name`]).
pub(crate) type NumName = &'static str;

/// Index of a [`Class`] in [`Shapes::classes`].
pub(crate) type ClassId = usize;

/// The gob type of (part of) a value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Nothing known yet: a `None`, or the elements of an empty container.
    #[default]
    Unknown,
    Bool,
    Int(NumName),
    Uint(NumName),
    /// A `u8`: `uint` (`uint8`), except that a sequence of them is `[]byte`.
    U8,
    Float(NumName),
    Bytes,
    String,
    Slice(Box<Shape>),
    Array(usize, Box<Shape>),
    Map(Box<Shape>, Box<Shape>),
    Struct(ClassId),
    /// A type encoded by one of Go's marshaler interfaces, by its name.
    Marshaler(Marshaler, Name),
    /// Go's `interface{}`: the concrete types of its values are in [`Shapes::concrete`].
    Interface,
}

impl Shape {
    /// `U8` as the `uint` it is everywhere but in a sequence.
    pub(crate) fn normalized(self) -> Shape {
        match self {
            Shape::U8 => Shape::Uint("uint8"),
            other => other,
        }
    }

    /// Whether this is the shape of values that were all `None` or empty.
    fn is_untold(&self) -> bool {
        match self {
            Shape::Unknown => true,
            Shape::Slice(elem) => **elem == Shape::Unknown,
            Shape::Map(key, elem) => **key == Shape::Unknown && **elem == Shape::Unknown,
            _ => false,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Shape::Unknown => "unknown",
            Shape::Bool => "bool",
            Shape::Int(_) => "int",
            Shape::Uint(_) | Shape::U8 => "uint",
            Shape::Float(_) => "float",
            Shape::Bytes => "[]byte",
            Shape::String => "string",
            Shape::Slice(_) => "slice",
            Shape::Array(..) => "array",
            Shape::Map(..) => "map",
            Shape::Struct(_) => "struct",
            Shape::Marshaler(..) => "marshaler",
            Shape::Interface => "interface",
        }
    }
}

/// Whether two shapes can describe the same gob type.
fn compatible(a: &Shape, b: &Shape) -> bool {
    use Shape::*;
    match (a, b) {
        (Unknown, _) | (_, Unknown) => true,
        (U8 | Uint(_), U8 | Uint(_)) => true,
        (Int(_), Int(_)) | (Float(_), Float(_)) => true,
        (Bytes, Slice(e)) | (Slice(e), Bytes) => **e == Unknown,
        (Slice(x), Slice(y)) => compatible(x, y),
        (Array(n, x), Array(m, y)) => n == m && compatible(x, y),
        (Map(k1, v1), Map(k2, v2)) => compatible(k1, k2) && compatible(v1, v2),
        (Struct(x), Struct(y)) => x == y,
        (x, y) => x == y,
    }
}

/// Merges `b` into `a`; they must be [`compatible`].
fn merge(a: &mut Shape, b: Shape) {
    use Shape::*;
    match (a, b) {
        (_, Unknown) => {}
        (a @ Unknown, b) => *a = b,
        (a @ U8, Uint(name)) => *a = Uint(if name == "uint8" { name } else { "uint" }),
        (Uint(name), U8) if *name != "uint8" => *name = "uint",
        (Int(a), Int(b)) if *a != b => *a = "int",
        (Uint(a), Uint(b)) if *a != b => *a = "uint",
        (Float(a), Float(b)) if *a != b => *a = "float64",
        (a @ Slice(_), Bytes) => *a = Bytes,
        (Slice(x), Slice(y)) => merge(x, *y),
        (Array(_, x), Array(_, y)) => merge(x, *y),
        (Map(k1, v1), Map(k2, v2)) => {
            merge(k1, *k2);
            merge(v1, *v2);
        }
        _ => {}
    }
}

/// Whether `a` and `b` are the same type but for the Go names of numbers; if so, `a` ends up
/// with the names both have (Go's `int`, `uint` or `float64` where they differ).
pub(crate) fn unify_names(a: &mut Shape, b: &Shape) -> bool {
    use Shape::*;
    match (&mut *a, b) {
        (Int(x), Int(y)) => {
            if x != y {
                *x = "int";
            }
            true
        }
        (Uint(x), Uint(y)) => {
            if x != y {
                *x = "uint";
            }
            true
        }
        (Float(x), Float(y)) => {
            if x != y {
                *x = "float64";
            }
            true
        }
        (Slice(x), Slice(y)) => unify_names(x, y),
        (Array(n, x), Array(m, y)) => n == m && unify_names(x, y),
        (Map(k1, v1), Map(k2, v2)) => unify_names(k1, k2) && unify_names(v1, v2),
        (x, y) => *x == *y,
    }
}

/// The longest type name [`go_name`] gives; longer ones (deeply nested anonymous structs) are
/// left out, which Go accepts.
const MAX_NAME: usize = 1024;

/// Go's name for the type of `shape` (its `reflect.Type.String()`) as far as the Rust type
/// tells it: `[]int64`, `[2]string`, `map[string][]Inner`, `struct { X int64; Y string }`,
/// `[]interface {}`. Structs are named by their serde names (Go would qualify them with their
/// package: `main.Inner`). `None` where a part has no name (a marshaler type that came
/// without one, a recursive anonymous struct) or the name would pass [`MAX_NAME`] bytes.
///
/// Go's encoder names every type it defines for a struct field this way (and leaves the
/// others unnamed); the names are for people: Go's decoder prints them in its errors
/// (`received remote type [2]string`) and matches types by structure alone.
pub(crate) fn go_name(shape: &Shape, classes: &[Class]) -> Option<String> {
    let mut out = String::new();
    write_go_name(shape, classes, &mut Vec::new(), &mut out)?;
    Some(out)
}

fn write_go_name(
    shape: &Shape,
    classes: &[Class],
    open: &mut Vec<ClassId>,
    out: &mut String,
) -> Option<()> {
    if out.len() > MAX_NAME {
        return None;
    }
    match shape {
        // An unknown element type goes as a string.
        Shape::Unknown | Shape::String => out.push_str("string"),
        Shape::Bool => out.push_str("bool"),
        Shape::Int(name) | Shape::Uint(name) | Shape::Float(name) => out.push_str(name),
        Shape::U8 => out.push_str("uint8"),
        Shape::Bytes => out.push_str("[]uint8"),
        Shape::Interface => out.push_str("interface {}"),
        Shape::Marshaler(_, name) if name.is_empty() => return None,
        Shape::Marshaler(_, name) => out.push_str(name),
        Shape::Slice(elem) => {
            out.push_str("[]");
            write_go_name(elem, classes, open, out)?;
        }
        Shape::Array(len, elem) => {
            out.push('[');
            out.push_str(&len.to_string());
            out.push(']');
            write_go_name(elem, classes, open, out)?;
        }
        Shape::Map(key, elem) => {
            out.push_str("map[");
            write_go_name(key, classes, open, out)?;
            out.push(']');
            write_go_name(elem, classes, open, out)?;
        }
        Shape::Struct(id) => {
            let class = classes.get(*id)?;
            if !class.name.is_empty() {
                out.push_str(&class.name);
            } else if class.fields.is_empty() {
                out.push_str("struct {}");
            } else {
                if open.contains(id) {
                    return None;
                }
                open.push(*id);
                out.push_str("struct { ");
                for (i, (field, shape)) in class.fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str("; ");
                    }
                    out.push_str(field);
                    out.push(' ');
                    write_go_name(shape, classes, open, out)?;
                }
                out.push_str(" }");
                open.pop();
            }
        }
    }
    (out.len() <= MAX_NAME).then_some(())
}

/// Where the field `name` is in `fields`, looking first at `hint` (structs of one type
/// serialize their fields in the same order).
fn find_field(fields: &[(Name, Shape)], hint: usize, name: &str) -> Option<usize> {
    match fields.get(hint) {
        Some((field, _)) if field == name => Some(hint),
        _ => fields.iter().position(|(field, _)| field == name),
    }
}

/// Merges the shape of another element into `acc`, or fails naming `what` they are.
fn unify(acc: &mut Shape, next: Shape, what: &str) -> Result<(), Error> {
    if !compatible(acc, &next) {
        bail!(
            "gob: {what} of different types ({} and {}) cannot be encoded",
            acc.describe(),
            next.describe()
        );
    }
    merge(acc, next);
    Ok(())
}

/// A field name: serde's static name, or a map key.
pub(crate) type Name = Cow<'static, str>;

/// A struct type: its name and fields, in the order first seen.
#[derive(Debug)]
pub(crate) struct Class {
    pub(crate) name: Name,
    pub(crate) fields: Vec<(Name, Shape)>,
    /// After [`Shapes::finish`]: the fields left out of the type, whose values are all zero.
    pub(crate) dropped: Vec<(Name, Shape)>,
}

/// The classes of one value and the bound on its nesting.
#[derive(Debug)]
pub(crate) struct Shapes {
    pub(crate) classes: Vec<Class>,
    /// The concrete type of each non-nil interface value, in the order the value serializes
    /// them (an interface value's before those inside it).
    pub(crate) concrete: Vec<Shape>,
    by_key: HashMap<Name, Vec<ClassId>>,
    max_depth: usize,
}

impl Shapes {
    pub(crate) fn new(max_depth: usize) -> Self {
        Self {
            classes: Vec::new(),
            concrete: Vec::new(),
            by_key: HashMap::new(),
            max_depth,
        }
    }

    /// The shape of `value` (its top level normalized). What it leaves unknown is taken from
    /// the trace of its type `ty`, when given (see [`Shapes::fill`]).
    pub(crate) fn of<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        ty: Option<&TypeInfo>,
    ) -> Result<Shape, Error> {
        let mut shape = value.serialize(ShapeSerializer {
            cx: self,
            depth: 0,
            as_struct: false,
        })?;
        if let Some(trace) = ty.and_then(trace_of_type) {
            self.fill(&mut shape, &trace);
        }
        Ok(shape.normalized())
    }

    /// Moves the fields whose type the value did not tell (in every instance `None`, or an empty
    /// sequence or map: zero, so never sent) out of the struct types: what is left is each
    /// struct type's field list, numbered from 0.
    pub(crate) fn finish(&mut self) {
        for class in &mut self.classes {
            let (kept, dropped) = std::mem::take(&mut class.fields)
                .into_iter()
                .partition(|(_, shape)| !shape.is_untold());
            class.fields = kept;
            class.dropped = dropped;
        }
    }

    /// Fills in what `shape` (a value's, from this pass) leaves unknown from `trace` (of the
    /// value's Rust type): the element, key and value types of sequences and maps that are
    /// empty everywhere in the value, the type of a top-level `None`, and the structs these
    /// hold. Where the value tells a type, the value's stands, and a struct field that the
    /// value leaves untold (`None` or empty in every instance) stays so: it is left out of the
    /// struct's type (its values are zero, never sent), which cannot conflict with the
    /// receiver's type as a wrong guess could.
    pub(crate) fn fill(&mut self, shape: &mut Shape, trace: &Trace) {
        Fill {
            trace,
            memo: HashMap::new(),
            visited: HashSet::new(),
        }
        .at(self, shape, &trace.root);
    }

    /// Adds a struct of `name` with `fields` to the first class it fits, or to a new one.
    fn close_struct(&mut self, name: Name, fields: Vec<(Name, Shape)>) -> Result<Shape, Error> {
        let key = class_key(&name, fields.iter().map(|(field, _)| field.as_ref()));
        let candidates = self
            .by_key
            .get(key.as_ref())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let found = candidates.iter().copied().find(|&id| {
            let class = &self.classes[id].fields;
            fields.iter().enumerate().all(|(i, (field, shape))| {
                find_field(class, i, field).is_none_or(|at| compatible(&class[at].1, shape))
            })
        });
        if let Some(id) = found {
            let class = &mut self.classes[id].fields;
            for (i, (field, shape)) in fields.into_iter().enumerate() {
                match find_field(class, i, &field) {
                    Some(at) => merge(&mut class[at].1, shape),
                    None if field.is_empty() => {
                        bail!("gob: struct {name:?} has a field with an empty name")
                    }
                    None => class.push((field, shape)),
                }
            }
            // A field serialized twice is caught when the value is written.
            return Ok(Shape::Struct(id));
        }
        for (i, (field, _)) in fields.iter().enumerate() {
            if field.is_empty() {
                bail!("gob: struct {name:?} has a field with an empty name");
            }
            if fields[..i].iter().any(|(other, _)| other == field) {
                bail!("gob: struct {name:?} has two fields named {field:?}");
            }
        }
        let id = self.classes.len();
        self.classes.push(Class {
            name,
            fields,
            dropped: Vec::new(),
        });
        self.by_key.entry(key).or_default().push(id);
        Ok(Shape::Struct(id))
    }

    /// The shape of a Go type (from an [`EMPTY_MARKER`] hint).
    fn go_type(&mut self, ty: &GoType, depth: usize) -> Result<Shape, Error> {
        if depth > self.max_depth {
            bail!("gob: nesting deeper than {} levels", self.max_depth);
        }
        Ok(match ty {
            GoType::Bool => Shape::Bool,
            GoType::Int => Shape::Int("int"),
            GoType::Int8 => Shape::Int("int8"),
            GoType::Int16 => Shape::Int("int16"),
            GoType::Int32 => Shape::Int("int32"),
            GoType::Int64 => Shape::Int("int64"),
            GoType::Uint => Shape::Uint("uint"),
            GoType::Uint8 => Shape::Uint("uint8"),
            GoType::Uint16 => Shape::Uint("uint16"),
            GoType::Uint32 => Shape::Uint("uint32"),
            GoType::Uint64 => Shape::Uint("uint64"),
            GoType::Float32 => Shape::Float("float32"),
            GoType::Float64 => Shape::Float("float64"),
            GoType::String => Shape::String,
            GoType::Bytes => Shape::Bytes,
            GoType::Slice(elem) if **elem == GoType::Uint8 => Shape::Bytes,
            GoType::Slice(elem) => Shape::Slice(Box::new(self.go_type(elem, depth + 1)?)),
            GoType::Array(len, elem) => {
                Shape::Array(*len, Box::new(self.go_type(elem, depth + 1)?))
            }
            GoType::Map(key, elem) => Shape::Map(
                Box::new(self.go_type(key, depth + 1)?),
                Box::new(self.go_type(elem, depth + 1)?),
            ),
            GoType::Struct(fields) => {
                let mut shapes = Vec::with_capacity(fields.len());
                for field in fields {
                    let shape = self.go_type(&field.ty, depth + 1)?;
                    shapes.push((Cow::Owned(field.name.clone()), shape));
                }
                self.close_struct(Cow::Borrowed(""), shapes)?
            }
            GoType::Pointer(elem) => self.go_type(elem, depth)?,
            GoType::Interface => Shape::Interface,
            GoType::Duration => Shape::Int("time.Duration"),
            GoType::Time => Shape::Marshaler(Marshaler::Gob, Cow::Borrowed("Time")),
            GoType::BigInt => Shape::Marshaler(Marshaler::Gob, Cow::Borrowed("Int")),
            GoType::BigRat => Shape::Marshaler(Marshaler::Gob, Cow::Borrowed("Rat")),
            GoType::BigFloat => Shape::Marshaler(Marshaler::Gob, Cow::Borrowed("Float")),
        })
    }
}

/// The key under which [`Shapes::by_key`] finds the classes a struct may join: its name, or
/// for an anonymous struct its field names.
fn class_key<'n>(name: &Name, fields: impl Iterator<Item = &'n str>) -> Name {
    if name.is_empty() {
        let mut key = String::from("\0");
        for field in fields {
            key.push_str(field);
            key.push('\0');
        }
        Cow::Owned(key)
    } else {
        name.clone()
    }
}

/// Whether a shape tells its whole type (a struct counts as told).
fn told(shape: &Shape) -> bool {
    match shape {
        Shape::Unknown => false,
        Shape::Slice(elem) | Shape::Array(_, elem) => told(elem),
        Shape::Map(key, elem) => told(key) && told(elem),
        _ => true,
    }
}

/// [`Shapes::fill`] under way: `Shape::Struct(i)` in the trace is `trace.structs[i]`, which is
/// class `memo[i]` once met.
struct Fill<'t> {
    trace: &'t Trace,
    memo: HashMap<usize, ClassId>,
    /// The (class, traced struct) pairs filled, so that recursive types end.
    visited: HashSet<(ClassId, usize)>,
}

impl Fill<'_> {
    fn at(&mut self, cx: &mut Shapes, shape: &mut Shape, traced: &Shape) {
        match (shape, traced) {
            (_, Shape::Unknown) => {}
            (shape @ Shape::Unknown, traced) => *shape = self.adopt(cx, traced),
            (shape @ Shape::Slice(_), Shape::Bytes) => {
                if matches!(shape, Shape::Slice(elem) if **elem == Shape::Unknown) {
                    *shape = Shape::Bytes;
                }
            }
            (Shape::Slice(elem), Shape::Slice(traced)) => self.at(cx, elem, traced),
            (Shape::Array(n, elem), Shape::Array(m, traced)) if n == m => self.at(cx, elem, traced),
            (Shape::Map(key, elem), Shape::Map(traced_key, traced_elem)) => {
                self.at(cx, key, traced_key);
                self.at(cx, elem, traced_elem);
            }
            (Shape::Struct(id), Shape::Struct(traced)) => self.class(cx, *id, *traced),
            _ => {}
        }
    }

    /// Fills the fields of class `id` from traced struct `traced`, if they are of one name.
    fn class(&mut self, cx: &mut Shapes, id: ClassId, traced: usize) {
        let Some(ts) = self.trace.structs.get(traced) else {
            return;
        };
        let Some(class) = cx.classes.get_mut(id) else {
            return;
        };
        if class.name != ts.name || !self.visited.insert((id, traced)) {
            return;
        }
        self.memo.entry(traced).or_insert(id);
        let mut fields = std::mem::take(&mut class.fields);
        for (name, shape) in &mut fields {
            if shape.is_untold() {
                continue;
            }
            if let Some((_, traced)) = ts.fields.iter().find(|(field, _)| field == name) {
                self.at(cx, shape, traced);
            }
        }
        cx.classes[id].fields = fields;
    }

    /// The shape of a traced type that no value showed, as a shape of this pass.
    fn adopt(&mut self, cx: &mut Shapes, traced: &Shape) -> Shape {
        match traced {
            Shape::U8 => Shape::Uint("uint8"),
            Shape::Slice(elem) => Shape::Slice(Box::new(self.adopt(cx, elem))),
            Shape::Array(len, elem) => Shape::Array(*len, Box::new(self.adopt(cx, elem))),
            Shape::Map(key, elem) => Shape::Map(
                Box::new(self.adopt(cx, key)),
                Box::new(self.adopt(cx, elem)),
            ),
            Shape::Struct(traced) => self.adopt_struct(cx, *traced),
            other => other.clone(),
        }
    }

    /// A traced struct as a class: the class of its name if the value has one (filled from the
    /// trace), else a new class with the fields whose types the trace tells.
    fn adopt_struct(&mut self, cx: &mut Shapes, traced: usize) -> Shape {
        if let Some(&id) = self.memo.get(&traced) {
            return Shape::Struct(id);
        }
        let Some(ts) = self.trace.structs.get(traced) else {
            return Shape::Unknown;
        };
        let name: Name = Cow::Borrowed(ts.name);
        let key = class_key(&name, ts.fields.iter().map(|(field, _)| *field));
        if let Some(&id) = cx.by_key.get(key.as_ref()).and_then(|ids| ids.first()) {
            self.memo.insert(traced, id);
            self.class(cx, id, traced);
            return Shape::Struct(id);
        }
        let id = cx.classes.len();
        cx.classes.push(Class {
            name,
            fields: Vec::new(),
            dropped: Vec::new(),
        });
        cx.by_key.entry(key).or_default().push(id);
        self.memo.insert(traced, id);
        self.visited.insert((id, traced));
        let mut fields = Vec::with_capacity(ts.fields.len());
        for (field, traced) in &ts.fields {
            let shape = self.adopt(cx, traced);
            // A field whose type the trace cannot tell whole is left out: the struct has no
            // instance in the value, and a guessed type could conflict with the receiver's.
            if !field.is_empty() && told(&shape) {
                fields.push((Cow::Borrowed(*field), shape));
            }
        }
        cx.classes[id].fields = fields;
        Shape::Struct(id)
    }
}

/// Serializes a value into its [`Shape`].
pub(crate) struct ShapeSerializer<'c> {
    cx: &'c mut Shapes,
    depth: usize,
    /// Set under [`STRUCT_MARKER`]: the map that follows is a struct.
    as_struct: bool,
}

impl<'c> ShapeSerializer<'c> {
    fn nested(&mut self) -> Result<ShapeSerializer<'_>, Error> {
        if self.depth >= self.cx.max_depth {
            bail!("gob: nesting deeper than {} levels", self.cx.max_depth);
        }
        Ok(ShapeSerializer {
            cx: &mut *self.cx,
            depth: self.depth + 1,
            as_struct: false,
        })
    }

    /// An interface value (Go's `interface{}`) holding `value` registered as `name`, or nil.
    fn interface(
        self,
        name: &str,
        value: Option<&dyn erased_serde::Serialize>,
    ) -> Result<Shape, Error> {
        if let Some(value) = value {
            self.check_depth()?;
            let slot = self.cx.concrete.len();
            self.cx.concrete.push(Shape::Unknown);
            let shape = erased_serde::serialize(
                value,
                ShapeSerializer {
                    cx: &mut *self.cx,
                    depth: self.depth + 1,
                    as_struct: false,
                },
            )?
            .normalized();
            if shape == Shape::Unknown {
                bail!("gob: cannot encode nil pointer of type {name} inside interface");
            }
            self.cx.concrete[slot] = shape;
        }
        Ok(Shape::Interface)
    }

    fn check_depth(&self) -> Result<(), Error> {
        if self.depth >= self.cx.max_depth {
            bail!("gob: nesting deeper than {} levels", self.cx.max_depth);
        }
        Ok(())
    }
}

fn enum_error(name: &str, variant: &str) -> Error {
    Error::new(format!(
        "gob: enums are not supported ({name}::{variant}); Go has no enums"
    ))
}

impl<'c> ser::Serializer for ShapeSerializer<'c> {
    type Ok = Shape;
    type Error = Error;
    type SerializeSeq = SeqShape<'c>;
    type SerializeTuple = SeqShape<'c>;
    type SerializeTupleStruct = SeqShape<'c>;
    type SerializeTupleVariant = ser::Impossible<Shape, Error>;
    type SerializeMap = MapShape<'c>;
    type SerializeStruct = StructShape<'c>;
    type SerializeStructVariant = ser::Impossible<Shape, Error>;

    fn serialize_bool(self, _: bool) -> Result<Shape, Error> {
        Ok(Shape::Bool)
    }
    fn serialize_i8(self, _: i8) -> Result<Shape, Error> {
        Ok(Shape::Int("int8"))
    }
    fn serialize_i16(self, _: i16) -> Result<Shape, Error> {
        Ok(Shape::Int("int16"))
    }
    fn serialize_i32(self, _: i32) -> Result<Shape, Error> {
        Ok(Shape::Int("int32"))
    }
    fn serialize_i64(self, _: i64) -> Result<Shape, Error> {
        Ok(Shape::Int("int64"))
    }
    fn serialize_i128(self, _: i128) -> Result<Shape, Error> {
        Ok(Shape::Int("int64"))
    }
    fn serialize_u8(self, _: u8) -> Result<Shape, Error> {
        Ok(Shape::U8)
    }
    fn serialize_u16(self, _: u16) -> Result<Shape, Error> {
        Ok(Shape::Uint("uint16"))
    }
    fn serialize_u32(self, _: u32) -> Result<Shape, Error> {
        Ok(Shape::Uint("uint32"))
    }
    fn serialize_u64(self, _: u64) -> Result<Shape, Error> {
        Ok(Shape::Uint("uint64"))
    }
    fn serialize_u128(self, _: u128) -> Result<Shape, Error> {
        Ok(Shape::Uint("uint64"))
    }
    fn serialize_f32(self, _: f32) -> Result<Shape, Error> {
        Ok(Shape::Float("float32"))
    }
    fn serialize_f64(self, _: f64) -> Result<Shape, Error> {
        Ok(Shape::Float("float64"))
    }
    fn serialize_char(self, _: char) -> Result<Shape, Error> {
        Ok(Shape::Int("int32"))
    }
    fn serialize_str(self, _: &str) -> Result<Shape, Error> {
        Ok(Shape::String)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Shape, Error> {
        Ok(Shape::Bytes)
    }
    fn serialize_none(self) -> Result<Shape, Error> {
        Ok(Shape::Unknown)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Shape, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Shape, Error> {
        self.cx.close_struct(Cow::Borrowed(""), Vec::new())
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Shape, Error> {
        self.cx.close_struct(Cow::Borrowed(name), Vec::new())
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        v: &'static str,
    ) -> Result<Shape, Error> {
        Err(enum_error(name, v))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Shape, Error> {
        if name == marker::MARSHALER {
            let marshaled = Marshaled::capture_type(value)?;
            return Ok(Shape::Marshaler(
                marshaled.kind(),
                Cow::Owned(marshaled.name),
            ));
        }
        if name == marker::STRING {
            // The bytes are taken (and checked) when the value is written.
            return Ok(Shape::String);
        }
        if name == marker::INTERFACE {
            return marker::split_interface(value, |name, value| self.interface(name, value));
        }
        if name == STRUCT_MARKER {
            return value.serialize(ShapeSerializer {
                as_struct: true,
                ..self
            });
        }
        if name == EMPTY_MARKER {
            if let Some(ty) = take_hint() {
                let depth = self.depth;
                return self.cx.go_type(&ty, depth);
            }
        }
        if name == HINT_MARKER {
            // Taken before the value, whose own hints come later.
            let trace = take_trace();
            let ShapeSerializer { cx, depth, .. } = self;
            let mut shape = value.serialize(ShapeSerializer {
                cx: &mut *cx,
                depth,
                as_struct: false,
            })?;
            if let Some(trace) = trace.and_then(|ty| trace_of_type(&ty)) {
                cx.fill(&mut shape, &trace);
            }
            return Ok(shape);
        }
        value.serialize(ShapeSerializer {
            as_struct: false,
            ..self
        })
    }
    /// A newtype variant is an interface value whose concrete type is registered under the
    /// variant's name.
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Shape, Error> {
        self.interface(variant, Some(&marker::Ref(value)))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SeqShape<'c>, Error> {
        self.check_depth()?;
        Ok(SeqShape {
            ser: self,
            elem: Shape::Unknown,
            len: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqShape<'c>, Error> {
        self.check_depth()?;
        Ok(SeqShape {
            ser: self,
            elem: Shape::Unknown,
            len: Some(len),
        })
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqShape<'c>, Error> {
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
    fn serialize_map(self, len: Option<usize>) -> Result<MapShape<'c>, Error> {
        self.check_depth()?;
        let as_struct = self.as_struct;
        Ok(MapShape {
            ser: self,
            key: Shape::Unknown,
            elem: Shape::Unknown,
            fields: if as_struct {
                Some(Vec::with_capacity(len.unwrap_or(0).min(64)))
            } else {
                None
            },
            pending: None,
        })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<StructShape<'c>, Error> {
        self.check_depth()?;
        Ok(StructShape {
            ser: self,
            name,
            fields: Vec::with_capacity(len.min(64)),
        })
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

/// A sequence (`len: None`) or a tuple of `len` elements.
pub(crate) struct SeqShape<'c> {
    ser: ShapeSerializer<'c>,
    elem: Shape,
    len: Option<usize>,
}

impl SeqShape<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let shape = value.serialize(self.ser.nested()?)?;
        let what = if self.len.is_some() {
            "tuple elements"
        } else {
            "sequence elements"
        };
        unify(&mut self.elem, shape, what)
    }

    fn finish(self) -> Shape {
        match (self.len, self.elem) {
            (None, Shape::U8) => Shape::Bytes,
            (None, elem) => Shape::Slice(Box::new(elem)),
            (Some(len), elem) => Shape::Array(len, Box::new(elem.normalized())),
        }
    }
}

impl ser::SerializeSeq for SeqShape<'_> {
    type Ok = Shape;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqShape<'_> {
    type Ok = Shape;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqShape<'_> {
    type Ok = Shape;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(self.finish())
    }
}

/// A map, or (under [`STRUCT_MARKER`]) a struct whose field names are the keys.
pub(crate) struct MapShape<'c> {
    ser: ShapeSerializer<'c>,
    key: Shape,
    elem: Shape,
    /// `Some` when the map is a struct.
    fields: Option<Vec<(Name, Shape)>>,
    pending: Option<String>,
}

impl ser::SerializeMap for MapShape<'_> {
    type Ok = Shape;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        if self.fields.is_some() {
            self.pending = Some(key.serialize(FieldName)?);
            return Ok(());
        }
        let shape = key.serialize(self.ser.nested()?)?;
        unify(&mut self.key, shape.normalized(), "map keys")
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let shape = value.serialize(self.ser.nested()?)?.normalized();
        match &mut self.fields {
            Some(fields) => {
                let Some(name) = self.pending.take() else {
                    bail!("gob: a struct field value came without its name");
                };
                fields.push((Cow::Owned(name), shape));
                Ok(())
            }
            None => unify(&mut self.elem, shape, "map elements"),
        }
    }
    fn end(self) -> Result<Shape, Error> {
        match self.fields {
            Some(fields) => self.ser.cx.close_struct(Cow::Borrowed(""), fields),
            None => Ok(Shape::Map(Box::new(self.key), Box::new(self.elem))),
        }
    }
}

/// A struct.
pub(crate) struct StructShape<'c> {
    ser: ShapeSerializer<'c>,
    name: &'static str,
    fields: Vec<(Name, Shape)>,
}

impl ser::SerializeStruct for StructShape<'_> {
    type Ok = Shape;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let shape = value.serialize(self.ser.nested()?)?.normalized();
        self.fields.push((Cow::Borrowed(key), shape));
        Ok(())
    }
    fn end(self) -> Result<Shape, Error> {
        self.ser
            .cx
            .close_struct(Cow::Borrowed(self.name), self.fields)
    }
}

/// Takes a struct field name (a string map key) under [`STRUCT_MARKER`].
pub(crate) struct FieldName;

fn not_a_name() -> Error {
    Error::new("gob: the keys of a map encoded as a struct must be strings")
}

impl ser::Serializer for FieldName {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    refuse! { not_a_name();
        serialize_bool serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8
        serialize_u16 serialize_u32 serialize_u64 serialize_f32 serialize_f64
        serialize_bytes serialize_none serialize_some serialize_unit serialize_unit_struct
        serialize_unit_variant serialize_newtype_variant serialize_seq serialize_tuple
        serialize_tuple_struct serialize_tuple_variant serialize_map serialize_struct
        serialize_struct_variant
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    use super::*;
    use crate::gob::dynamic::Typed;

    /// Go's name for the type of `value`, as the encoder names its definition.
    fn name_of<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        let mut shapes = Shapes::new(64);
        let shape = shapes.of(value, None).unwrap();
        shapes.finish();
        go_name(&shape, &shapes.classes)
    }

    fn typed_name(value: serde_json::Value, ty: &str) -> Option<String> {
        let ty = GoType::parse(ty).unwrap();
        name_of(&Typed::new(&value, &ty))
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

    #[test]
    fn composite_types_are_named_as_go_names_them() {
        let name = |name: &str| Some(name.to_string());
        assert_eq!(name_of(&vec!["a"]), name("[]string"));
        assert_eq!(name_of(&["k", "v"]), name("[2]string"));
        assert_eq!(
            name_of(&BTreeMap::from([("a", 1i64)])),
            name("map[string]int64")
        );
        assert_eq!(name_of(&vec![vec![1i32]]), name("[][]int32"));
        assert_eq!(name_of(&[1u8, 2, 3, 4]), name("[4]uint8"));
        assert_eq!(name_of(&vec![vec![1u8]]), name("[][]uint8"));
        assert_eq!(name_of(&vec![1.5f32]), name("[]float32"));
        assert_eq!(name_of(&vec!['x']), name("[]int32"));
        assert_eq!(name_of(&[true, false, true]), name("[3]bool"));
        assert_eq!(name_of(&vec![u64::MAX]), name("[]uint64"));
        assert_eq!(
            name_of(&BTreeMap::from([(1i64, vec![Inner { a: 1 }])])),
            name("map[int64][]Inner")
        );
        assert_eq!(name_of(&vec![Any::Int(1)]), name("[]interface {}"));
        assert_eq!(name_of(&vec![rpc_gotypes::Time::default()]), name("[]Time"));
        assert_eq!(name_of(&vec![()]), name("[]struct {}"));
        // An element type the value does not tell goes as string, and is named so.
        assert_eq!(name_of(&Vec::<i64>::new()), name("[]string"));
        // Numbers of different types in one container: Go's int.
        assert_eq!(name_of(&(1i32, 2i64)), name("[2]int"));
        assert_eq!(name_of(&(1u8, 2u16)), name("[2]uint"));
        // Go types: exact.
        assert_eq!(typed_name(json!([]), "[]int"), name("[]int"));
        assert_eq!(
            typed_name(json!({}), "map[string][]uint16"),
            name("map[string][]uint16")
        );
        assert_eq!(
            typed_name(json!([]), "[]struct{A int; B []string}"),
            name("[]struct { A int; B []string }")
        );
        // Scalars and structs are named too (only composite definitions use it).
        assert_eq!(name_of(&5i8), name("int8"));
        assert_eq!(name_of(&Inner { a: 1 }), name("Inner"));
    }

    #[test]
    fn names_that_cannot_be_told() {
        // A marshaler type that came without a name (Go's *big.Int and *url.URL are unnamed).
        let unnamed = rpc_gotypes::Marshaled::new(
            rpc_gotypes::MarshalerKind::BinaryMarshaler,
            "",
            "https://go.dev",
        );
        assert_eq!(name_of(&vec![unnamed]), None);
        // A name beyond MAX_NAME bytes.
        let long = format!("[]struct{{{} int}}", "F".repeat(MAX_NAME));
        assert_eq!(typed_name(json!([]), &long), None);
        let field = "F".repeat(50);
        let nested = format!(
            "[]{}int{}",
            format!("struct{{{field} ").repeat(25),
            "}".repeat(25)
        );
        assert_eq!(typed_name(json!([]), &nested), None);
        let shallow = format!(
            "[]{}int{}",
            format!("struct{{{field} ").repeat(2),
            "}".repeat(2)
        );
        assert!(typed_name(json!([]), &shallow).is_some());
    }

    #[test]
    fn names_merge() {
        let mut a = Shape::Slice(Box::new(Shape::Int("int32")));
        assert!(unify_names(
            &mut a,
            &Shape::Slice(Box::new(Shape::Int("int32")))
        ));
        assert_eq!(a, Shape::Slice(Box::new(Shape::Int("int32"))));
        assert!(unify_names(
            &mut a,
            &Shape::Slice(Box::new(Shape::Int("int64")))
        ));
        assert_eq!(a, Shape::Slice(Box::new(Shape::Int("int"))));
        assert!(!unify_names(
            &mut a,
            &Shape::Slice(Box::new(Shape::Uint("uint")))
        ));
        let mut f = Shape::Float("float32");
        assert!(unify_names(&mut f, &Shape::Float("float64")));
        assert_eq!(f, Shape::Float("float64"));
    }
}
