//! [`Typed`]: a JSON value serialized as a value of a Go type.

use std::fmt;

use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, SerializeTuple, Serializer};
use serde_json::{Map, Value};

use rpc_gotypes::{BigFloat, BigInt, BigRat, Duration, Time};

use super::GoType;
use super::infer;
use super::value::Interface;
use crate::gob::shape::{EMPTY_MARKER, STRUCT_MARKER, set_hint};

/// A JSON value serialized as a value of the Go type `ty`.
///
/// | Go type | JSON accepted |
/// | --- | --- |
/// | `bool` | `true`, `false` |
/// | integers | integers within the type's range |
/// | `float32`, `float64` | numbers |
/// | `string` | strings |
/// | `[]byte` | an array of numbers 0–255, or a string (its UTF-8 bytes) |
/// | `[]T` | arrays |
/// | `[N]T` | arrays of exactly N elements |
/// | `map[K]V` | objects; keys are parsed as K (`"12"` for an `int` key, `"true"` for `bool`) |
/// | `struct {...}` | objects whose keys are field names; a missing field is zero, an unknown one an error |
/// | `*T` | `null` (a nil pointer, left out of a struct), or what `T` accepts |
/// | `time.Time` | an RFC 3339 string, as Go's `encoding/json` writes a time |
/// | `time.Duration` | a number of nanoseconds, or Go's duration text (`"1m30s"`) |
/// | `big.Int` | an integer of any size, as a number or a string of digits |
/// | `big.Rat`, `big.Float` | a number, or Go's text for one (`"1/3"`, `"1.5e100"`) |
/// | `interface{}` | see below |
///
/// An `interface{}` value is sent under the name of its concrete type, which Go must know
/// (`gob.Register`): `null` is nil; a string, number, boolean or array is a value of the
/// type [`infer`](super::infer) gives it (`string`, `int`, `float64`, `bool`, `[]string`,
/// ...: types Go registers itself); an object with one key names the concrete type,
/// `{"main.Point": {"X": 1}}` (a type [`GoType::parse`] reads, like `{"[]int": [1, 2]}` or
/// `{"*big.Int": 7}`, or else a registered name, `pkg.Name` or `*pkg.Name`, with the value's
/// type inferred).
///
/// Numbers beyond 64 bits lose digits in [`serde_json::Value`]; [`parse_json`](super::parse_json)
/// keeps them as strings of digits, which integer types accept.
///
/// `null` is the zero value of any type but a pointer (a nil pointer is not a value Go can
/// send outside a struct). Serialization fails with a message naming the value and the type
/// when they do not fit.
///
/// Any serializer works; the gob serializer encodes the struct types as anonymous Go structs
/// and gives empty slices, arrays and maps their element types (see the [module
/// documentation](super)).
#[derive(Clone, Copy, Debug)]
pub struct Typed<'a> {
    /// The value.
    pub value: &'a Value,
    /// Its Go type.
    pub ty: &'a GoType,
}

impl<'a> Typed<'a> {
    /// `value` as a value of `ty`.
    pub fn new(value: &'a Value, ty: &'a GoType) -> Self {
        Self { value, ty }
    }
}

static NULL: Value = Value::Null;
static BYTES: GoType = GoType::Bytes;

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn mismatch<E: serde::ser::Error>(value: &Value, ty: &GoType) -> E {
    E::custom(format_args!(
        "cannot use {} ({}) as Go type {ty}",
        kind(value),
        Short(value)
    ))
}

/// A JSON value's text, cut short.
struct Short<'a>(&'a Value);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        match text.char_indices().nth(40) {
            Some((at, _)) => write!(f, "{}…", &text[..at]),
            None => f.write_str(&text),
        }
    }
}

/// Checks an integer against a Go integer type's range.
fn int_in_range(ty: &GoType, i: i128) -> bool {
    let (min, max): (i128, i128) = match ty {
        GoType::Int8 => (i8::MIN.into(), i8::MAX.into()),
        GoType::Int16 => (i16::MIN.into(), i16::MAX.into()),
        GoType::Int32 => (i32::MIN.into(), i32::MAX.into()),
        GoType::Int | GoType::Int64 => (i64::MIN.into(), i64::MAX.into()),
        GoType::Uint8 => (0, u8::MAX.into()),
        GoType::Uint16 => (0, u16::MAX.into()),
        GoType::Uint32 => (0, u32::MAX.into()),
        _ => (0, u64::MAX.into()),
    };
    (min..=max).contains(&i)
}

fn is_signed(ty: &GoType) -> bool {
    matches!(
        ty,
        GoType::Int | GoType::Int8 | GoType::Int16 | GoType::Int32 | GoType::Int64
    )
}

/// Serializes an integer of Go type `ty` given as text or as a JSON number.
fn integer<S: Serializer>(
    s: S,
    ty: &GoType,
    value: i128,
    shown: &dyn fmt::Display,
) -> Result<S::Ok, S::Error> {
    if !int_in_range(ty, value) {
        return Err(S::Error::custom(format_args!(
            "{shown} is out of range for Go type {ty}"
        )));
    }
    if is_signed(ty) {
        s.serialize_i64(value as i64)
    } else {
        s.serialize_u64(value as u64)
    }
}

/// An empty slice, array or map of type `ty`, telling the gob serializer its type.
fn empty<S: Serializer>(s: S, ty: &GoType) -> Result<S::Ok, S::Error> {
    set_hint(Some(ty.clone()));
    let result = s.serialize_newtype_struct(EMPTY_MARKER, &Empty(ty));
    set_hint(None);
    result
}

struct Empty<'a>(&'a GoType);

impl Serialize for Empty<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            GoType::Map(..) => s.serialize_map(Some(0))?.end(),
            GoType::Array(..) => s.serialize_tuple(0)?.end(),
            _ => s.serialize_seq(Some(0))?.end(),
        }
    }
}

/// The fields of a struct, as a map from name to value.
struct Fields<'a> {
    fields: &'a [super::Field],
    object: Option<&'a Map<String, Value>>,
}

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len()))?;
        for field in self.fields {
            let value = self
                .object
                .and_then(|o| o.get(&field.name))
                .unwrap_or(&NULL);
            map.serialize_entry(&field.name, &Typed::new(value, &field.ty))?;
        }
        map.end()
    }
}

/// A map key (JSON object keys are strings) as a value of Go type `ty`.
struct Key<'a> {
    key: &'a str,
    ty: &'a GoType,
}

impl Serialize for Key<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bad = || {
            S::Error::custom(format_args!(
                "cannot use the object key {:?} as Go type {}",
                self.key, self.ty
            ))
        };
        match self.ty {
            GoType::String => s.serialize_str(self.key),
            GoType::Bool => match self.key {
                "true" => s.serialize_bool(true),
                "false" => s.serialize_bool(false),
                _ => Err(bad()),
            },
            GoType::Float32 => s.serialize_f32(self.key.parse().map_err(|_| bad())?),
            GoType::Float64 => s.serialize_f64(self.key.parse().map_err(|_| bad())?),
            GoType::Pointer(elem) => Key {
                key: self.key,
                ty: elem,
            }
            .serialize(s),
            ty @ (GoType::Int
            | GoType::Int8
            | GoType::Int16
            | GoType::Int32
            | GoType::Int64
            | GoType::Uint
            | GoType::Uint8
            | GoType::Uint16
            | GoType::Uint32
            | GoType::Uint64) => {
                let value: i128 = self.key.parse().map_err(|_| bad())?;
                integer(s, ty, value, &self.key)
            }
            _ => Err(bad()),
        }
    }
}

impl Serialize for Typed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (value, ty) = (self.value, self.ty);
        // []uint8 is []byte, whichever way it was built.
        let ty = match ty {
            GoType::Slice(elem) if **elem == GoType::Uint8 => &BYTES,
            ty => ty,
        };
        match (ty, value) {
            (GoType::Pointer(_), Value::Null) => s.serialize_none(),
            (GoType::Pointer(elem), _) => s.serialize_some(&Typed::new(value, elem)),
            (_, Value::Null) => Zero(ty).serialize(s),
            (GoType::Interface, _) => interface(s, value),
            (GoType::Time, Value::String(text)) => match text.parse::<Time>() {
                Ok(time) => time.serialize(s),
                Err(err) => Err(S::Error::custom(format_args!(
                    "cannot use {:?} as Go type time.Time: {err}",
                    text
                ))),
            },
            (GoType::Duration, Value::String(text)) => match text.parse::<Duration>() {
                Ok(duration) => s.serialize_i64(duration.as_nanos()),
                Err(err) => Err(S::Error::custom(format_args!(
                    "cannot use {text:?} as Go type time.Duration: {err}"
                ))),
            },
            (GoType::BigInt, Value::Number(_) | Value::String(_)) => big::<BigInt, S>(s, value, ty),
            (GoType::BigRat, Value::Number(_) | Value::String(_)) => big::<BigRat, S>(s, value, ty),
            (GoType::BigFloat, Value::Number(_) | Value::String(_)) => {
                big::<BigFloat, S>(s, value, ty)
            }
            (GoType::Bool, Value::Bool(b)) => s.serialize_bool(*b),
            (
                GoType::Int
                | GoType::Int8
                | GoType::Int16
                | GoType::Int32
                | GoType::Int64
                | GoType::Uint
                | GoType::Uint8
                | GoType::Uint16
                | GoType::Uint32
                | GoType::Uint64,
                Value::String(digits),
            ) if is_integer_text(digits) => Err(match digits.parse::<i128>() {
                Ok(i) if int_in_range(ty, i) => mismatch(value, ty),
                _ => S::Error::custom(format_args!("{digits} is out of range for Go type {ty}")),
            }),
            (
                GoType::Int
                | GoType::Int8
                | GoType::Int16
                | GoType::Int32
                | GoType::Int64
                | GoType::Uint
                | GoType::Uint8
                | GoType::Uint16
                | GoType::Uint32
                | GoType::Uint64
                | GoType::Duration,
                Value::Number(n),
            ) => {
                let int = n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from));
                match int {
                    Some(i) => integer(s, ty, i, n),
                    None => Err(mismatch(value, ty)),
                }
            }
            (GoType::Float32, Value::Number(n)) => match n.as_f64() {
                Some(f) if f.abs() <= f64::from(f32::MAX) => s.serialize_f32(f as f32),
                _ => Err(S::Error::custom(format_args!(
                    "{n} is out of range for Go type float32"
                ))),
            },
            (GoType::Float64, Value::Number(n)) => match n.as_f64() {
                Some(f) => s.serialize_f64(f),
                None => Err(mismatch(value, ty)),
            },
            (GoType::String, Value::String(text)) => s.serialize_str(text),
            (GoType::Bytes, Value::String(text)) => match crate::base64::decode(text.as_bytes()) {
                Ok(bytes) => s.serialize_bytes(&bytes),
                Err(err) => Err(S::Error::custom(format_args!(
                    "cannot use {} as Go type []byte: {err} (Go's encoding/json writes []byte in base64)",
                    Short(value)
                ))),
            },
            (GoType::Bytes, Value::Array(items)) => {
                let mut bytes = Vec::with_capacity(items.len());
                for item in items {
                    match item.as_u64().and_then(|b| u8::try_from(b).ok()) {
                        Some(b) => bytes.push(b),
                        None => {
                            return Err(S::Error::custom(format_args!(
                                "cannot use {} as a byte of Go type []byte",
                                Short(item)
                            )));
                        }
                    }
                }
                s.serialize_bytes(&bytes)
            }
            (GoType::Slice(elem), Value::Array(items)) => {
                if items.is_empty() {
                    return empty(s, ty);
                }
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Typed::new(item, elem))?;
                }
                seq.end()
            }
            (GoType::Array(len, elem), Value::Array(items)) => {
                if items.len() != *len {
                    return Err(S::Error::custom(format_args!(
                        "cannot use an array of {} elements as Go type {ty}",
                        items.len()
                    )));
                }
                if items.is_empty() {
                    return empty(s, ty);
                }
                let mut tuple = s.serialize_tuple(*len)?;
                for item in items {
                    tuple.serialize_element(&Typed::new(item, elem))?;
                }
                tuple.end()
            }
            (GoType::Map(key, elem), Value::Object(object)) => {
                if object.is_empty() {
                    return empty(s, ty);
                }
                let mut map = s.serialize_map(Some(object.len()))?;
                for (k, v) in object {
                    map.serialize_entry(&Key { key: k, ty: key }, &Typed::new(v, elem))?;
                }
                map.end()
            }
            (GoType::Struct(fields), Value::Object(object)) => {
                if let Some(unknown) = object
                    .keys()
                    .find(|k| !fields.iter().any(|f| f.name == **k))
                {
                    return Err(S::Error::custom(format_args!(
                        "field {unknown:?} is not in Go type {ty}"
                    )));
                }
                s.serialize_newtype_struct(
                    STRUCT_MARKER,
                    &Fields {
                        fields,
                        object: Some(object),
                    },
                )
            }
            _ => Err(mismatch(value, ty)),
        }
    }
}

/// Whether `text` is an integer's digits (with a sign): how [`parse_json`](super::parse_json)
/// keeps a number beyond 64 bits.
fn is_integer_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A `big.Int`, `big.Rat` or `big.Float` from a JSON number or Go's text for one.
fn big<T, S>(s: S, value: &Value, ty: &GoType) -> Result<S::Ok, S::Error>
where
    T: std::str::FromStr + Serialize,
    T::Err: fmt::Display,
    S: Serializer,
{
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match text.parse::<T>() {
        Ok(n) => n.serialize(s),
        Err(err) => Err(S::Error::custom(format_args!(
            "cannot use {} as Go type {ty}: {err}",
            Short(value)
        ))),
    }
}

/// An `interface{}` value: its concrete type named or inferred (see [`Typed`]).
fn interface<S: Serializer>(s: S, value: &Value) -> Result<S::Ok, S::Error> {
    if let Value::Object(object) = value {
        if let Some((key, inner)) = object.iter().next().filter(|_| object.len() == 1) {
            if let Ok(ty) = GoType::parse(key) {
                let name = ty.to_string();
                return Interface(&name, Some(&Typed::new(inner, &ty))).serialize(s);
            }
            if is_registered_name(key) {
                let ty = infer(inner).map_err(|err| {
                    S::Error::custom(format_args!("the value of interface type {key}: {err}"))
                })?;
                return Interface(key, Some(&Typed::new(inner, &ty))).serialize(s);
            }
        }
        return Err(S::Error::custom(format_args!(
            "cannot use an object ({}) as a Go interface{{}} value without its type: name it, \
             as in {{\"main.Point\": {{\"X\": 1}}}}",
            Short(value)
        )));
    }
    let ty = infer(value).map_err(S::Error::custom)?;
    let name = ty.to_string();
    Interface(&name, Some(&Typed::new(value, &ty))).serialize(s)
}

/// Whether `name` looks like a name Go's `gob.Register` gives a named type: `main.Point`,
/// `*main.Point`, `github.com/org/pkg.Point`.
fn is_registered_name(name: &str) -> bool {
    let name = name.strip_prefix('*').unwrap_or(name);
    let Some((path, ident)) = name.rsplit_once('.') else {
        return false;
    };
    !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | '~'))
        && ident.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && ident.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// The zero value of a Go type.
struct Zero<'a>(&'a GoType);

impl Serialize for Zero<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            GoType::Bool => s.serialize_bool(false),
            GoType::Int | GoType::Int8 | GoType::Int16 | GoType::Int32 | GoType::Int64 => {
                s.serialize_i64(0)
            }
            GoType::Uint | GoType::Uint8 | GoType::Uint16 | GoType::Uint32 | GoType::Uint64 => {
                s.serialize_u64(0)
            }
            GoType::Float32 => s.serialize_f32(0.0),
            GoType::Float64 => s.serialize_f64(0.0),
            GoType::String => s.serialize_str(""),
            GoType::Bytes => s.serialize_bytes(&[]),
            ty @ (GoType::Slice(_) | GoType::Map(..) | GoType::Array(0, _)) => empty(s, ty),
            GoType::Array(len, elem) => {
                let mut tuple = s.serialize_tuple(*len)?;
                for _ in 0..*len {
                    tuple.serialize_element(&Zero(elem))?;
                }
                tuple.end()
            }
            GoType::Struct(fields) => s.serialize_newtype_struct(
                STRUCT_MARKER,
                &Fields {
                    fields,
                    object: None,
                },
            ),
            GoType::Pointer(_) => s.serialize_none(),
            GoType::Interface => Interface::<Value>("", None).serialize(s),
            GoType::Time => Time::default().serialize(s),
            GoType::Duration => s.serialize_i64(0),
            GoType::BigInt => BigInt::default().serialize(s),
            GoType::BigRat => BigRat::default().serialize(s),
            GoType::BigFloat => BigFloat::default().serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::gob::{from_slice, to_vec};

    fn ty(src: &str) -> GoType {
        GoType::parse(src).unwrap()
    }

    /// Encodes `value` as `ty` in gob and decodes it back into JSON.
    fn through_gob(value: Value, ty: &str) -> Value {
        let ty = self::ty(ty);
        let bytes = to_vec(&Typed::new(&value, &ty)).unwrap();
        from_slice(&bytes).unwrap()
    }

    fn error(value: Value, ty: &str) -> String {
        let ty = self::ty(ty);
        let err = to_vec(&Typed::new(&value, &ty)).unwrap_err().to_string();
        err.trim_start_matches("encoding failed: ").to_owned()
    }

    /// Encodes `value` as `ty` in gob and prints what comes back as Go's JSON.
    fn through_gob_as_go(value: Value, ty: &str) -> String {
        let ty = self::ty(ty);
        let bytes = to_vec(&Typed::new(&value, &ty)).unwrap();
        from_slice::<super::super::Value>(&bytes)
            .unwrap()
            .to_string()
    }

    #[test]
    fn go_library_types_and_interface_values() {
        let big = super::super::parse_json("[1267650600228229401496703205376, -7]").unwrap();
        assert_eq!(
            through_gob_as_go(big.clone(), "[]*big.Int"),
            "[1267650600228229401496703205376,-7]"
        );
        assert_eq!(
            through_gob_as_go(json!(["1/3", 0.5, "-2"]), "[]big.Rat"),
            r#"["1/3","1/2","-2"]"#
        );
        assert_eq!(
            through_gob_as_go(json!("1.5e100"), "big.Float"),
            r#""1.5e+100""#
        );
        assert_eq!(
            through_gob_as_go(
                json!({"At": "2024-02-29T23:59:59.123456789-07:00", "Wait": "1m30s", "Zero": 5}),
                "struct { At time.Time; Wait time.Duration; Zero time.Duration }"
            ),
            r#"{"At":"2024-02-29T23:59:59.123456789-07:00","Wait":90000000000,"Zero":5}"#
        );
        assert_eq!(
            through_gob_as_go(
                json!([null, "s", 1, 2.5, true, [1, 2], {"main.Point": {"X": 1, "Y": 2}},
                    {"[]string": []}, {"*big.Int": "-12345678901234567890123"},
                    {"time.Time": "2000-01-01T00:00:00Z"}]),
                "[]interface{}"
            ),
            r#"[null,"s",1,2.5,true,[1,2],{"X":1,"Y":2},[],-12345678901234567890123,"2000-01-01T00:00:00Z"]"#
        );
        // The names are Go's registered names.
        let ty = ty("[]any");
        let value = json!([{"main.Point": {"X": 1}}, 3, ["a"], {"github.com/x/y.Z": "q"}]);
        let bytes = to_vec(&Typed::new(&value, &ty)).unwrap();
        let back: super::super::Value = from_slice(&bytes).unwrap();
        let super::super::Value::Slice(items) = back else {
            panic!("{back:?}");
        };
        let names: Vec<&str> = items
            .iter()
            .map(|item| match item {
                super::super::Value::Interface(name, _) => name.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["main.Point", "int", "[]string", "github.com/x/y.Z"]);
        assert_eq!(
            error(json!({"A": 1, "B": 2}), "interface{}"),
            r#"cannot use an object ({"A":1,"B":2}) as a Go interface{} value without its type: name it, as in {"main.Point": {"X": 1}}"#
        );
        assert_eq!(
            error(json!("yesterday"), "time.Time"),
            error(json!("yesterday"), "time.Time")
        );
        assert!(
            error(json!("yesterday"), "time.Time")
                .starts_with("cannot use \"yesterday\" as Go type time.Time: ")
        );
        assert_eq!(
            error(json!("12345678901234567890123"), "int64"),
            "12345678901234567890123 is out of range for Go type int64"
        );
        assert!(
            error(json!("1/0"), "big.Rat").starts_with("cannot use \"1/0\" as Go type big.Rat")
        );
        assert!(error(json!("!"), "[]byte").contains("illegal base64 data at input byte 0"));
    }

    #[test]
    fn values_of_every_type() {
        assert_eq!(through_gob(json!(true), "bool"), json!(true));
        assert_eq!(through_gob(json!(-128), "int8"), json!(-128));
        assert_eq!(through_gob(json!(u64::MAX), "uint64"), json!(u64::MAX));
        assert_eq!(through_gob(json!(0.5), "float32"), json!(0.5));
        assert_eq!(through_gob(json!(2), "float64"), json!(2.0));
        assert_eq!(through_gob(json!("é"), "string"), json!("é"));
        assert_eq!(through_gob(json!("aGk="), "[]byte"), json!([104, 105]));
        assert_eq!(through_gob(json!([1, 255]), "[]uint8"), json!([1, 255]));
        assert_eq!(through_gob(json!([[1], []]), "[][]int"), json!([[1], []]));
        assert_eq!(
            through_gob(json!(["a", "b"]), "[2]string"),
            json!(["a", "b"])
        );
        assert_eq!(
            through_gob(json!({"1": true, "-2": false}), "map[int8]bool"),
            json!({"1": true, "-2": false})
        );
        assert_eq!(
            through_gob(json!({"true": "yes"}), "map[bool]string"),
            json!({"true": "yes"})
        );
        assert_eq!(through_gob(json!(7), "*int"), json!(7));
        assert_eq!(
            through_gob(
                json!({"Name": "n", "Inner": {"X": [1.5]}, "Ptr": null}),
                "struct { Name string; Inner struct { X []float64 }; Ptr *int; Zero int }"
            ),
            json!({"Name": "n", "Inner": {"X": [1.5]}})
        );
        // null is the zero value (a struct is still sent, as Go does).
        assert_eq!(through_gob(json!(null), "int"), json!(0));
        assert_eq!(through_gob(json!(null), "struct{A int}"), json!({}));
        assert_eq!(through_gob(json!(null), "[2]bool"), json!([false, false]));
    }

    #[test]
    fn empty_containers_keep_their_types() {
        // The wire type of an empty []int is []int (not the []string fallback): a non-empty
        // value of the same Go type reuses its type id.
        let ty = self::ty("[]int");
        let mut encoder = crate::gob::Encoder::new(&rpc_proto::Limits::default());
        let mut wire = bytes::BytesMut::new();
        encoder
            .encode(&Typed::new(&json!([]), &ty), &mut wire)
            .unwrap();
        let first = wire.len();
        encoder
            .encode(&Typed::new(&json!([1]), &ty), &mut wire)
            .unwrap();
        assert_eq!(
            &wire[first..],
            [0x05, 0xff, 0x82, 0x00, 0x01, 0x02],
            "no new definition"
        );
        assert_eq!(through_gob(json!({}), "map[string][]int"), json!({}));
        assert_eq!(through_gob(json!([]), "[0]int"), json!([]));
        assert_eq!(through_gob(json!([]), "[]byte"), json!([]));
    }

    #[test]
    fn other_serializers_see_plain_json() {
        let ty = self::ty("struct { A []int; B map[string]int; C *string; D [2]uint8 }");
        let value = json!({"A": [], "D": [1, 2]});
        let json = serde_json::to_value(Typed::new(&value, &ty)).unwrap();
        assert_eq!(json, json!({"A": [], "B": {}, "C": null, "D": [1, 2]}));
    }

    #[test]
    fn mismatches_name_the_value_and_the_type() {
        for (value, ty, expected) in [
            (
                json!("x"),
                "int",
                "cannot use a string (\"x\") as Go type int",
            ),
            (
                json!(1.5),
                "int",
                "cannot use a number (1.5) as Go type int",
            ),
            (json!(300), "uint8", "300 is out of range for Go type uint8"),
            (json!(-1), "uint", "-1 is out of range for Go type uint"),
            (
                json!(1e300),
                "float32",
                "1e+300 is out of range for Go type float32",
            ),
            (
                json!([1, 2]),
                "[3]int",
                "cannot use an array of 2 elements as Go type [3]int",
            ),
            (
                json!([256]),
                "[]byte",
                "cannot use 256 as a byte of Go type []byte",
            ),
            (
                json!({"x": 1}),
                "map[int]int",
                "cannot use the object key \"x\" as Go type int",
            ),
            (
                json!({"A": 1, "B": 2}),
                "struct{A int}",
                "field \"B\" is not in Go type struct { A int }",
            ),
            (
                json!([true]),
                "[]string",
                "cannot use a boolean (true) as Go type string",
            ),
            (
                json!({}),
                "[]int",
                "cannot use an object ({}) as Go type []int",
            ),
        ] {
            assert_eq!(error(value, ty), expected, "{ty}");
        }
        // A nil pointer cannot be a value on its own.
        assert!(error(json!(null), "*int").contains("cannot encode None"));
    }
}
