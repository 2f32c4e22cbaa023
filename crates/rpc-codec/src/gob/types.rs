//! Type ids and the `wireType` definitions a gob stream carries, as Go's `type.go` has them.
//!
//! A definition is the gob encoding of Go's
//!
//! ```text
//! type wireType struct {
//!     ArrayT           *arrayType       // field 0: {CommonType; Elem typeId; Len int}
//!     SliceT           *sliceType       // field 1: {CommonType; Elem typeId}
//!     StructT          *structType      // field 2: {CommonType; Field []fieldType}
//!     MapT             *mapType         // field 3: {CommonType; Key, Elem typeId}
//!     GobEncoderT      *gobEncoderType  // field 4: {CommonType}
//!     BinaryMarshalerT *gobEncoderType  // field 5
//!     TextMarshalerT   *gobEncoderType  // field 6
//! }
//! type CommonType struct { Name string; Id typeId }
//! type fieldType struct { Name string; Id typeId }
//! ```
//!
//! with exactly one of the pointers set.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::error::{Error, bail};
use super::wire::{Reader, put_int, put_uint};

/// A gob type id: builtin below 64, defined by the stream from 64 on.
pub(crate) type TypeId = i64;

pub(crate) const BOOL: TypeId = 1;
pub(crate) const INT: TypeId = 2;
pub(crate) const UINT: TypeId = 3;
pub(crate) const FLOAT: TypeId = 4;
pub(crate) const BYTES: TypeId = 5;
pub(crate) const STRING: TypeId = 6;
pub(crate) const COMPLEX: TypeId = 7;
pub(crate) const INTERFACE: TypeId = 8;
/// The lowest id a stream may define (Go's `firstUserId`).
pub(crate) const FIRST_USER_ID: TypeId = 64;
/// The first id Go's encoder hands out, and so ours.
pub(crate) const FIRST_ASSIGNED_ID: TypeId = 65;

/// Which of Go's encoding interfaces a type implements (its values are opaque bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Marshaler {
    Gob,
    Binary,
    Text,
}

impl Marshaler {
    pub(crate) fn interface(self) -> &'static str {
        match self {
            Marshaler::Gob => "GobEncoder",
            Marshaler::Binary => "BinaryMarshaler",
            Marshaler::Text => "TextMarshaler",
        }
    }
}

/// A field of a struct type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WireField {
    pub(crate) name: String,
    pub(crate) id: TypeId,
}

/// A type defined on the stream.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum WireType {
    Array {
        name: String,
        elem: TypeId,
        len: usize,
    },
    Slice {
        name: String,
        elem: TypeId,
    },
    Struct {
        name: String,
        fields: Vec<WireField>,
    },
    Map {
        name: String,
        key: TypeId,
        elem: TypeId,
    },
    Marshaler {
        name: String,
        kind: Marshaler,
    },
}

/// A type id resolved: a builtin type or a definition borrowed from the table.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ty<'t> {
    Bool,
    Int,
    Uint,
    Float,
    Bytes,
    String,
    Complex,
    Interface,
    Array {
        elem: TypeId,
        len: usize,
    },
    Slice {
        elem: TypeId,
    },
    Struct {
        name: &'t str,
        fields: &'t [WireField],
    },
    Map {
        key: TypeId,
        elem: TypeId,
    },
    Marshaler {
        name: &'t str,
        kind: Marshaler,
    },
}

/// The types a stream has defined so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct TypeTable {
    types: HashMap<TypeId, WireType>,
}

impl TypeTable {
    /// Resolves `id`.
    pub(crate) fn get(&self, id: TypeId) -> Result<Ty<'_>, Error> {
        Ok(match id {
            BOOL => Ty::Bool,
            INT => Ty::Int,
            UINT => Ty::Uint,
            FLOAT => Ty::Float,
            BYTES => Ty::Bytes,
            STRING => Ty::String,
            COMPLEX => Ty::Complex,
            INTERFACE => Ty::Interface,
            _ => match self.types.get(&id) {
                Some(WireType::Array { elem, len, .. }) => Ty::Array {
                    elem: *elem,
                    len: *len,
                },
                Some(WireType::Slice { elem, .. }) => Ty::Slice { elem: *elem },
                Some(WireType::Struct { name, fields }) => Ty::Struct { name, fields },
                Some(WireType::Map { key, elem, .. }) => Ty::Map {
                    key: *key,
                    elem: *elem,
                },
                Some(WireType::Marshaler { name, kind }) => Ty::Marshaler { name, kind: *kind },
                None if (16..=23).contains(&id) => {
                    bail!("gob: values of gob's own type {id} are not supported")
                }
                None => bail!("gob: unknown type id {id}"),
            },
        })
    }

    /// Whether `id` can head a value: builtin or defined.
    pub(crate) fn knows(&self, id: TypeId) -> bool {
        (BOOL..=INTERFACE).contains(&id) || self.types.contains_key(&id)
    }

    /// Adds a definition received from the peer. Go's rule: ids below 64, and ids already
    /// defined, may not be (re)defined.
    pub(crate) fn define(&mut self, id: TypeId, wire: WireType) -> Result<(), Error> {
        if !(FIRST_USER_ID..=TypeId::from(i32::MAX)).contains(&id) {
            bail!("gob: type id {id} cannot be defined");
        }
        if self.types.contains_key(&id) {
            bail!("gob: duplicate type received (id {id})");
        }
        self.types.insert(id, wire);
        Ok(())
    }

    /// Whether a value of type `id` may hold an interface value: whether `id` is, or refers to
    /// (through the types defined so far), Go's `interface` type.
    pub(crate) fn reaches_interface(&self, id: TypeId) -> bool {
        let mut stack = vec![id];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if id == INTERFACE {
                return true;
            }
            if !seen.insert(id) {
                continue;
            }
            match self.types.get(&id) {
                Some(WireType::Array { elem, .. } | WireType::Slice { elem, .. }) => {
                    stack.push(*elem)
                }
                Some(WireType::Map { key, elem, .. }) => stack.extend([*key, *elem]),
                Some(WireType::Struct { fields, .. }) => {
                    stack.extend(fields.iter().map(|field| field.id))
                }
                Some(WireType::Marshaler { .. }) | None => {}
            }
        }
        false
    }

    /// How many types are defined.
    pub(crate) fn len(&self) -> usize {
        self.types.len()
    }

    /// A short description of type `id` for error messages (`int`, `[]string`, `Point`,
    /// `map[string]int`), as Go's decoder describes a remote type: by the name the peer gave
    /// it (Go names the slice, array and map types of struct fields as `reflect.Type.String()`
    /// does, `[2]string`, and so does netrpc every such type), else built from its element
    /// types, looking one level into them.
    pub(crate) fn describe(&self, id: TypeId) -> String {
        self.describe_depth(id, 2)
    }

    fn describe_depth(&self, id: TypeId, depth: usize) -> String {
        let inner = |id| {
            if depth == 0 {
                "…".to_string()
            } else {
                self.describe_depth(id, depth - 1)
            }
        };
        match id {
            BOOL => "bool".into(),
            INT => "int".into(),
            UINT => "uint".into(),
            FLOAT => "float".into(),
            BYTES => "[]byte".into(),
            STRING => "string".into(),
            COMPLEX => "complex".into(),
            INTERFACE => "interface".into(),
            _ => match self.types.get(&id) {
                Some(
                    WireType::Struct { name, .. }
                    | WireType::Array { name, .. }
                    | WireType::Slice { name, .. }
                    | WireType::Map { name, .. },
                ) if !name.is_empty() => name.clone(),
                Some(WireType::Struct { .. }) => "struct".into(),
                Some(WireType::Array { elem, len, .. }) => format!("[{len}]{}", inner(*elem)),
                Some(WireType::Slice { elem, .. }) => format!("[]{}", inner(*elem)),
                Some(WireType::Map { key, elem, .. }) => {
                    format!("map[{}]{}", inner(*key), inner(*elem))
                }
                Some(WireType::Marshaler { name, kind }) if name.is_empty() => {
                    format!("a {} type", kind.interface())
                }
                Some(WireType::Marshaler { name, .. }) => name.clone(),
                None => format!("type {id}"),
            },
        }
    }
}

impl fmt::Display for Marshaler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.interface())
    }
}

/// Reads the fields of a struct value whose type has `nfields` fields, calling `field` with
/// each field number present; the reader stops after the terminating zero delta.
fn read_fields<'de>(
    r: &mut Reader<'de>,
    nfields: usize,
    mut field: impl FnMut(&mut Reader<'de>, usize) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut num: i64 = -1;
    loop {
        let delta = r.uint()?;
        if delta == 0 {
            return Ok(());
        }
        // Go: fieldnum >= len(fields) - delta is out of range (compared without overflow).
        let left = nfields as i64 - 1 - num;
        if delta > left as u64 {
            bail!("gob: field number out of range in a type definition");
        }
        num += delta as i64;
        field(r, num as usize)?;
    }
}

fn read_name(r: &mut Reader<'_>) -> Result<String, Error> {
    Ok(String::from_utf8_lossy(r.bytes()?).into_owned())
}

fn read_id(r: &mut Reader<'_>) -> Result<TypeId, Error> {
    let id = r.int()?;
    if !(0..=TypeId::from(i32::MAX)).contains(&id) {
        bail!("gob: invalid type id {id} in a type definition");
    }
    Ok(id)
}

/// Reads a `CommonType`; only the name is kept (Go ignores the repeated id too).
fn read_common(r: &mut Reader<'_>) -> Result<String, Error> {
    let mut name = String::new();
    read_fields(r, 2, |r, num| {
        match num {
            0 => name = read_name(r)?,
            _ => {
                r.int()?;
            }
        }
        Ok(())
    })?;
    Ok(name)
}

/// Reads the encoding of a `wireType` value (the rest of a type definition message).
pub(crate) fn read_wire_type(r: &mut Reader<'_>) -> Result<WireType, Error> {
    let mut out = None;
    let mut kinds = 0;
    read_fields(r, 7, |r, kind| {
        kinds += 1;
        let mut name = String::new();
        let (mut elem, mut key, mut len) = (0, 0, 0i64);
        let mut fields = Vec::new();
        let nfields = match kind {
            0 | 3 => 3,
            1 | 2 => 2,
            _ => 1,
        };
        read_fields(r, nfields, |r, num| {
            match (kind, num) {
                (_, 0) => name = read_common(r)?,
                (0, 1) | (1, 1) => elem = read_id(r)?,
                (0, 2) => len = r.int()?,
                (3, 1) => key = read_id(r)?,
                (3, 2) => elem = read_id(r)?,
                (_, _) => {
                    // structType.Field: []fieldType
                    let n = r.count()?;
                    fields.reserve(n.min(64));
                    for _ in 0..n {
                        let mut field = WireField {
                            name: String::new(),
                            id: 0,
                        };
                        read_fields(r, 2, |r, num| {
                            match num {
                                0 => field.name = read_name(r)?,
                                _ => field.id = read_id(r)?,
                            }
                            Ok(())
                        })?;
                        fields.push(field);
                    }
                }
            }
            Ok(())
        })?;
        out = Some(match kind {
            0 => WireType::Array {
                name,
                elem,
                len: match usize::try_from(len) {
                    Ok(len) => len,
                    Err(_) => bail!("gob: array type with length {len}"),
                },
            },
            1 => WireType::Slice { name, elem },
            2 => WireType::Struct { name, fields },
            3 => WireType::Map { name, key, elem },
            4 => WireType::Marshaler {
                name,
                kind: Marshaler::Gob,
            },
            5 => WireType::Marshaler {
                name,
                kind: Marshaler::Binary,
            },
            _ => WireType::Marshaler {
                name,
                kind: Marshaler::Text,
            },
        });
        Ok(())
    })?;
    match (out, kinds) {
        (Some(wire), 1) => Ok(wire),
        _ => bail!("gob: a type definition must define exactly one kind of type"),
    }
}

/// Appends the encoding of a `wireType` value for `wire`, whose id is `id`.
pub(crate) fn write_wire_type(out: &mut Vec<u8>, id: TypeId, wire: &WireType) {
    fn common(out: &mut Vec<u8>, name: &str, id: TypeId) {
        put_uint(out, 1); // field 0: CommonType
        if name.is_empty() {
            put_uint(out, 2); // field 1: Id
        } else {
            put_uint(out, 1); // field 0: Name
            super::wire::put_bytes(out, name.as_bytes());
            put_uint(out, 1); // field 1: Id
        }
        put_int(out, id);
        put_uint(out, 0);
    }
    /// Writes `field` (a type id, omitted when zero as Go omits zero fields) at field number
    /// `num`, returning the new last field number.
    fn id_field(out: &mut Vec<u8>, last: u64, num: u64, value: i64) -> u64 {
        if value == 0 {
            return last;
        }
        put_uint(out, num - last);
        put_int(out, value);
        num
    }
    let kind: u64 = match wire {
        WireType::Array { .. } => 0,
        WireType::Slice { .. } => 1,
        WireType::Struct { .. } => 2,
        WireType::Map { .. } => 3,
        WireType::Marshaler { kind, .. } => match kind {
            Marshaler::Gob => 4,
            Marshaler::Binary => 5,
            Marshaler::Text => 6,
        },
    };
    put_uint(out, kind + 1);
    match wire {
        WireType::Array { name, elem, len } => {
            common(out, name, id);
            let last = id_field(out, 0, 1, *elem);
            id_field(out, last, 2, i64::try_from(*len).unwrap_or(i64::MAX));
        }
        WireType::Slice { name, elem } => {
            common(out, name, id);
            id_field(out, 0, 1, *elem);
        }
        WireType::Struct { name, fields } => {
            common(out, name, id);
            if !fields.is_empty() {
                put_uint(out, 1);
                put_uint(out, fields.len() as u64);
                for field in fields {
                    let mut last = u64::MAX; // -1
                    if !field.name.is_empty() {
                        put_uint(out, 1);
                        super::wire::put_bytes(out, field.name.as_bytes());
                        last = 0;
                    }
                    if field.id != 0 {
                        put_uint(out, 1u64.wrapping_sub(last));
                        put_int(out, field.id);
                    }
                    put_uint(out, 0);
                }
            }
        }
        WireType::Map { name, key, elem } => {
            common(out, name, id);
            let last = id_field(out, 0, 1, *key);
            id_field(out, last, 2, *elem);
        }
        WireType::Marshaler { name, .. } => common(out, name, id),
    }
    put_uint(out, 0); // end of the xType struct
    put_uint(out, 0); // end of wireType
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `Point` definition from Go's doc.go, byte for byte (after the length and the id).
    const POINT: &[u8] = &[
        0x03, 0x01, 0x01, 0x05, 0x50, 0x6f, 0x69, 0x6e, 0x74, 0x01, 0xff, 0x82, 0x00, 0x01, 0x02,
        0x01, 0x01, 0x58, 0x01, 0x04, 0x00, 0x01, 0x01, 0x59, 0x01, 0x04, 0x00, 0x00, 0x00,
    ];

    fn point() -> WireType {
        WireType::Struct {
            name: "Point".into(),
            fields: vec![
                WireField {
                    name: "X".into(),
                    id: INT,
                },
                WireField {
                    name: "Y".into(),
                    id: INT,
                },
            ],
        }
    }

    #[test]
    fn point_from_doc_go() {
        let mut r = Reader::new(POINT);
        assert_eq!(read_wire_type(&mut r).unwrap(), point());
        assert_eq!(r.remaining(), 0);
        let mut out = Vec::new();
        write_wire_type(&mut out, 65, &point());
        assert_eq!(out, POINT);
    }

    #[test]
    fn every_kind_round_trips() {
        let kinds = [
            WireType::Array {
                name: String::new(),
                elem: STRING,
                len: 2,
            },
            WireType::Array {
                name: "Empty".into(),
                elem: 70,
                len: 0,
            },
            WireType::Slice {
                name: String::new(),
                elem: 66,
            },
            WireType::Struct {
                name: String::new(),
                fields: vec![],
            },
            WireType::Map {
                name: "M".into(),
                key: STRING,
                elem: INT,
            },
            WireType::Marshaler {
                name: "Time".into(),
                kind: Marshaler::Gob,
            },
            WireType::Marshaler {
                name: "IP".into(),
                kind: Marshaler::Text,
            },
        ];
        for wire in kinds {
            let mut out = Vec::new();
            write_wire_type(&mut out, 99, &wire);
            let mut r = Reader::new(&out);
            assert_eq!(read_wire_type(&mut r).unwrap(), wire);
            assert_eq!(r.remaining(), 0);
        }
    }

    #[test]
    fn malformed_definitions() {
        for bad in [
            &[0x00][..],                                             // no kind
            &[0x08, 0x01, 0x00],                                     // field 7 does not exist
            &[0x01, 0x01, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00], // two kinds
            &[0x02, 0x01, 0x01, 0x09],                               // name longer than the message
            &[0x02, 0x01, 0x02, 0x03, 0x00, 0x01, 0x05],             // negative elem id
        ] {
            assert!(read_wire_type(&mut Reader::new(bad)).is_err(), "{bad:02x?}");
        }
    }

    #[test]
    fn table_rules() {
        let mut table = TypeTable::default();
        assert!(table.define(63, point()).is_err());
        table.define(64, point()).unwrap();
        assert!(table.define(64, point()).is_err());
        assert!(matches!(table.get(64).unwrap(), Ty::Struct { .. }));
        assert!(matches!(table.get(STRING).unwrap(), Ty::String));
        assert_eq!(
            table.get(65).unwrap_err().message(),
            "gob: unknown type id 65"
        );
        assert!(table.get(16).is_err());
        assert_eq!(table.describe(64), "Point");
        assert_eq!(table.describe(BYTES), "[]byte");
    }

    #[test]
    fn descriptions_use_the_peers_names() {
        let mut table = TypeTable::default();
        let slice = |name: &str| WireType::Slice {
            name: name.into(),
            elem: INTERFACE,
        };
        table.define(65, slice("[]interface {}")).unwrap();
        table.define(66, slice("")).unwrap();
        table
            .define(
                67,
                WireType::Array {
                    name: "[2]string".into(),
                    elem: STRING,
                    len: 2,
                },
            )
            .unwrap();
        table
            .define(
                68,
                WireType::Map {
                    name: String::new(),
                    key: STRING,
                    elem: 67,
                },
            )
            .unwrap();
        table
            .define(
                69,
                WireType::Map {
                    name: "Attrs".into(),
                    key: STRING,
                    elem: 66,
                },
            )
            .unwrap();
        // Go's names (reflect.Type.String(), or a named type's name) as they came.
        assert_eq!(table.describe(65), "[]interface {}");
        assert_eq!(table.describe(67), "[2]string");
        assert_eq!(table.describe(69), "Attrs");
        // Unnamed (Go leaves the types of top-level values and of elements unnamed): built
        // from the element types, named or not.
        assert_eq!(table.describe(66), "[]interface");
        assert_eq!(table.describe(68), "map[string][2]string");
    }
}
