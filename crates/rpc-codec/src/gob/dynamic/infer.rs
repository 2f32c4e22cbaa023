//! [`infer`]: a Go type for a JSON value.

use serde_json::Value;

use super::{Field, GoType};

/// What is known of a type while inferring: `Unknown` for `null` and the elements of `[]`.
#[derive(Clone, Debug, PartialEq)]
enum Inferred {
    Unknown,
    Bool,
    Int,
    Uint,
    Float,
    String,
    Slice(Box<Inferred>),
    Struct(Vec<(String, Inferred)>),
}

impl Inferred {
    fn name(&self) -> &'static str {
        match self {
            Inferred::Unknown => "null",
            Inferred::Bool => "bool",
            Inferred::Int => "int",
            Inferred::Uint => "uint64",
            Inferred::Float => "float64",
            Inferred::String => "string",
            Inferred::Slice(_) => "array",
            Inferred::Struct(_) => "object",
        }
    }
}

/// Infers a Go type for a JSON value, for sending it when no type is given:
///
/// | JSON | Go type |
/// | --- | --- |
/// | string | `string` |
/// | integer | `int` (`uint64` above `int`'s range) |
/// | other number | `float64` |
/// | `true`, `false` | `bool` |
/// | array | `[]T`, T the merge of the elements' types: integers and floats make `float64`, objects the union of their fields; `[]string` when empty |
/// | object | `struct { ... }` with the object's keys as fields, in the object's order (serde_json sorts keys unless its `preserve_order` feature is on); a field that is `null` everywhere is `*string` |
///
/// Fails (with a one-line message) on a top-level `null`, an empty object key, and arrays
/// whose elements differ in kind (`[1, "a"]`).
///
/// Go receives only exported fields: object keys must be Go's field names (`"Name"`, not
/// `"name"`) for a Go peer to see them.
pub fn infer(value: &Value) -> Result<GoType, String> {
    let inferred = infer_value(value, 0)?;
    if inferred == Inferred::Unknown {
        return Err("cannot infer a Go type from null".into());
    }
    Ok(to_go(inferred, false))
}

const MAX_DEPTH: usize = 128;

fn infer_value(value: &Value, depth: usize) -> Result<Inferred, String> {
    if depth > MAX_DEPTH {
        return Err(format!("JSON value nests deeper than {MAX_DEPTH} levels"));
    }
    Ok(match value {
        Value::Null => Inferred::Unknown,
        Value::Bool(_) => Inferred::Bool,
        Value::Number(n) if n.is_i64() => Inferred::Int,
        Value::Number(n) if n.is_u64() => Inferred::Uint,
        Value::Number(_) => Inferred::Float,
        Value::String(_) => Inferred::String,
        Value::Array(items) => {
            let mut elem = Inferred::Unknown;
            for item in items {
                let next = infer_value(item, depth + 1)?;
                elem = merge(elem, next)?;
            }
            Inferred::Slice(Box::new(elem))
        }
        Value::Object(object) => {
            let mut fields = Vec::with_capacity(object.len());
            for (key, item) in object {
                if key.is_empty() {
                    return Err("cannot infer a Go struct from an object with an empty key".into());
                }
                fields.push((key.clone(), infer_value(item, depth + 1)?));
            }
            Inferred::Struct(fields)
        }
    })
}

fn merge(a: Inferred, b: Inferred) -> Result<Inferred, String> {
    use Inferred::*;
    Ok(match (a, b) {
        (Unknown, x) | (x, Unknown) => x,
        (x, y) if x == y => x,
        (Int, Uint) | (Uint, Int) => Uint,
        (Int | Uint | Float, Int | Uint | Float) => Float,
        (Slice(x), Slice(y)) => Slice(Box::new(merge(*x, *y)?)),
        (Struct(mut x), Struct(y)) => {
            for (name, ty) in y {
                match x.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, have)) => {
                        let old = std::mem::replace(have, Unknown);
                        *have = merge(old, ty)?;
                    }
                    None => x.push((name, ty)),
                }
            }
            Struct(x)
        }
        (x, y) => {
            return Err(format!(
                "cannot infer a Go type for an array whose elements are {} and {}",
                x.name(),
                y.name()
            ));
        }
    })
}

fn to_go(inferred: Inferred, field: bool) -> GoType {
    match inferred {
        Inferred::Unknown if field => GoType::Pointer(Box::new(GoType::String)),
        Inferred::Unknown | Inferred::String => GoType::String,
        Inferred::Bool => GoType::Bool,
        Inferred::Int => GoType::Int,
        Inferred::Uint => GoType::Uint64,
        Inferred::Float => GoType::Float64,
        Inferred::Slice(elem) => GoType::Slice(Box::new(to_go(*elem, false))),
        Inferred::Struct(fields) => GoType::Struct(
            fields
                .into_iter()
                .map(|(name, ty)| Field::new(name, to_go(ty, true)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn inferred(value: Value) -> String {
        infer(&value).unwrap().to_string()
    }

    #[test]
    fn scalars() {
        assert_eq!(inferred(json!("s")), "string");
        assert_eq!(inferred(json!(-3)), "int");
        assert_eq!(inferred(json!(u64::MAX)), "uint64");
        assert_eq!(inferred(json!(1.5)), "float64");
        assert_eq!(inferred(json!(true)), "bool");
    }

    #[test]
    fn arrays_merge_their_elements() {
        assert_eq!(inferred(json!([1, 2])), "[]int");
        assert_eq!(inferred(json!([1, 2.5])), "[]float64");
        assert_eq!(inferred(json!([1, u64::MAX])), "[]uint64");
        assert_eq!(inferred(json!([])), "[]string");
        assert_eq!(inferred(json!([[], [true]])), "[][]bool");
        assert_eq!(inferred(json!([null, "a"])), "[]string");
        assert_eq!(
            inferred(json!([{"A": 1}, {"B": "x", "A": null}])),
            "[]struct { A int; B string }"
        );
    }

    #[test]
    fn objects_become_structs() {
        assert_eq!(
            inferred(json!({"Name": "x", "Tags": ["a"], "Gone": null, "Inner": {"N": 1.0}})),
            "struct { Gone *string; Inner struct { N float64 }; Name string; Tags []string }"
        );
        assert_eq!(inferred(json!({})), "struct {}");
    }

    #[test]
    fn errors() {
        assert_eq!(
            infer(&json!(null)).unwrap_err(),
            "cannot infer a Go type from null"
        );
        assert_eq!(
            infer(&json!([1, "a"])).unwrap_err(),
            "cannot infer a Go type for an array whose elements are int and string"
        );
        assert_eq!(
            infer(&json!({"": 1})).unwrap_err(),
            "cannot infer a Go struct from an object with an empty key"
        );
        let mut deep = json!(1);
        for _ in 0..200 {
            deep = json!([deep]);
        }
        assert!(infer(&deep).unwrap_err().contains("deeper"));
    }
}
