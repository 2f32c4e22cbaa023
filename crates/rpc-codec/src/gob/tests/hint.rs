//! Types from Rust types: the tracer (`trace.rs`) and [`Hinted`] values, whose empty
//! containers go out with their Rust type's element types (Go reads them: `go.rs`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use super::corpus::{Empty, Inner, Node, Tree};
use crate::gob::dynamic::{GoType, Typed};
use crate::gob::hint::take_trace;
use crate::gob::shape::Shape;
use crate::gob::trace::{Trace, trace, trace_of};
use crate::gob::{Hinted, from_slice, to_vec};

/// A trace in Go-like syntax: each struct written out where first met, by name after that.
fn render(trace: &Trace) -> String {
    fn go(shape: &Shape, trace: &Trace, seen: &mut Vec<usize>) -> String {
        match shape {
            Shape::Unknown => "?".into(),
            Shape::Bool => "bool".into(),
            Shape::Int(_) => "int".into(),
            Shape::Uint(_) => "uint".into(),
            Shape::U8 => "uint8".into(),
            Shape::Float(_) => "float".into(),
            Shape::Bytes => "[]byte".into(),
            Shape::String => "string".into(),
            Shape::Interface => "interface{}".into(),
            Shape::Marshaler(_, name) => name.to_string(),
            Shape::Slice(elem) => format!("[]{}", go(elem, trace, seen)),
            Shape::Array(len, elem) => format!("[{len}]{}", go(elem, trace, seen)),
            Shape::Map(key, elem) => {
                format!("map[{}]{}", go(key, trace, seen), go(elem, trace, seen))
            }
            Shape::Struct(i) => {
                let s = &trace.structs[*i];
                if seen.contains(i) {
                    return s.name.to_string();
                }
                seen.push(*i);
                let fields: Vec<String> = s
                    .fields
                    .iter()
                    .map(|(name, shape)| format!("{name} {}", go(shape, trace, seen)))
                    .collect();
                format!("{}{{{}}}", s.name, fields.join("; "))
            }
        }
    }
    go(&trace.root, trace, &mut Vec::new())
}

fn traced<T: DeserializeOwned + 'static>() -> String {
    render(&trace::<T>())
}

#[derive(Deserialize)]
struct Meters(#[allow(dead_code)] f64);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Everything {
    flag: bool,
    small: i8,
    big: u64,
    byte: u8,
    ratio: f32,
    letter: char,
    text: String,
    bytes: Vec<u8>,
    blobs: Vec<Vec<u8>>,
    array: [u16; 3],
    pair: (i32, i64),
    mixed: (i32, String),
    map: BTreeMap<String, Vec<i64>>,
    int_keys: HashMap<u32, bool>,
    ptr: Option<Inner>,
    boxed: Box<Inner>,
    unit: (),
    empty: Empty,
    meters: Meters,
    json: serde_json::Value,
    tree: Tree,
    list: Option<Box<Node>>,
    trees: Vec<Tree>,
}

#[test]
fn traces_of_nested_recursive_map_bytes_and_option_types() {
    assert_eq!(traced::<i64>(), "int");
    assert_eq!(traced::<u8>(), "uint");
    assert_eq!(traced::<Vec<u8>>(), "[]byte");
    assert_eq!(traced::<Vec<i64>>(), "[]int");
    assert_eq!(traced::<Option<Vec<String>>>(), "[]string");
    assert_eq!(traced::<HashMap<String, Vec<i64>>>(), "map[string][]int");
    assert_eq!(traced::<Vec<Inner>>(), "[]Inner{A int; B string}");
    assert_eq!(traced::<Tree>(), "Tree{Name string; Kids []Tree}");
    assert_eq!(traced::<Vec<Node>>(), "[]Node{Val int; Next Node}");
    assert_eq!(
        traced::<Everything>(),
        "Everything{Flag bool; Small int; Big uint; Byte uint; Ratio float; Letter int; \
         Text string; Bytes []byte; Blobs [][]byte; Array [3]uint; Pair [2]int; Mixed ?; \
         Map map[string][]int; IntKeys map[uint]bool; Ptr Inner{A int; B string}; \
         Boxed Inner; Unit {}; Empty Empty{}; Meters float; Json ?; \
         Tree Tree{Name string; Kids []Tree}; List Node{Val int; Next Node}; Trees []Tree}"
    );
}

/// An even number: refuses the odd ones (such as the trace's made-up `1`).
#[derive(Serialize, Debug, PartialEq)]
struct Even(u32);

impl<'de> Deserialize<'de> for Even {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = u32::deserialize(deserializer)?;
        if n % 2 == 1 {
            return Err(D::Error::custom(format!("{n} is odd")));
        }
        Ok(Even(n))
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Checked {
    before: Vec<i64>,
    evens: Vec<Even>,
    even: Even,
    after: Vec<String>,
}

/// Panics when deserialized.
#[derive(Serialize, Debug, PartialEq)]
struct Boom;

impl<'de> Deserialize<'de> for Boom {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        panic!("Boom cannot be deserialized (as this test wants)")
    }
}

/// Recursive through a newtype, which no gob type describes.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct List(Option<Box<List>>);

/// Recursive through a tuple struct.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Pairs(i64, Vec<Pairs>);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Wrapper<T> {
    inner: T,
}

#[test]
fn traces_stop_where_they_must() {
    // A validating type refuses the made-up value: what was traced stays, the rest is unknown;
    // in a sequence, the sequence ends there.
    assert_eq!(
        traced::<Checked>(),
        "Checked{Before []int; Evens []uint; Even uint; After ?}"
    );
    // A panicking one: no trace (and encoding goes on without).
    assert!(trace_of::<Vec<Boom>>().is_none());
    assert!(to_vec(&Hinted::new(&Vec::<Boom>::new())).is_ok());
    // Recursion through newtypes and tuple structs ends.
    assert_eq!(traced::<List>(), "?");
    assert_eq!(traced::<Pairs>(), "?");
    // Structs are one per name: a generic struct in itself is taken as recursive.
    assert_eq!(traced::<Wrapper<Wrapper<i64>>>(), "Wrapper{Inner Wrapper}");
    // Enums are not gob's.
    assert_eq!(traced::<Vec<Option<std::net::IpAddr>>>(), "[]?");
    // Traces are kept.
    let a = trace_of::<Vec<Tree>>().unwrap();
    let b = trace_of::<Vec<Tree>>().unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}

/// The bytes of `value` hinted with its type.
fn hinted<T: Serialize + DeserializeOwned + 'static>(value: &T) -> Vec<u8> {
    to_vec(&Hinted::new(value)).unwrap_or_else(|e| panic!("{e}"))
}

/// The bytes of `json` typed as the Go type `ty`.
fn typed(json: serde_json::Value, ty: &str) -> Vec<u8> {
    to_vec(&Typed::new(&json, &GoType::parse(ty).unwrap())).unwrap()
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug + 'static>(value: T) {
    let back: T = from_slice(&hinted(&value)).unwrap();
    assert_eq!(back, value);
}

#[test]
fn empty_containers_get_their_rust_types() {
    // What the value alone sends.
    assert_eq!(
        to_vec(&Vec::<i64>::new()).unwrap(),
        typed(json!([]), "[]string")
    );
    // With the hint (and the Go names of the Rust types: `int64` for `i64`).
    assert_eq!(hinted(&Vec::<i64>::new()), typed(json!([]), "[]int64"));
    assert_eq!(hinted(&Vec::<u8>::new()), typed(json!([]), "[]byte"));
    assert_eq!(hinted(&Vec::<f32>::new()), typed(json!([]), "[]float32"));
    assert_eq!(
        hinted(&HashMap::<String, Vec<i64>>::new()),
        typed(json!({}), "map[string][]int64")
    );
    assert_eq!(
        hinted(&BTreeMap::<u16, bool>::new()),
        typed(json!({}), "map[uint16]bool")
    );
    assert_eq!(
        hinted(&[Vec::<f64>::new(), Vec::new()]),
        typed(json!([[], []]), "[2][]float64")
    );
    assert_eq!(
        hinted(&vec![Vec::<i64>::new()]),
        typed(json!([[]]), "[][]int64")
    );
    assert_eq!(
        hinted(&vec![HashMap::<String, Vec<u8>>::new()]),
        typed(json!([{}]), "[]map[string][]byte")
    );
    // What the value tells stands.
    assert_eq!(hinted(&vec![1u8]), typed(json!([1]), "[]byte"));
    assert_eq!(
        hinted(&HashMap::from([("k".to_string(), vec![1i64])])),
        typed(json!({"k": [1]}), "map[string][]int64")
    );
    // Round trips, structs and recursive types included.
    round_trip(Vec::<i64>::new());
    round_trip(Vec::<Inner>::new());
    round_trip(Vec::<Tree>::new());
    round_trip(HashMap::<String, Vec<Node>>::new());
    round_trip(Tree {
        name: "t".into(),
        kids: vec![],
    });
    round_trip(vec![Checked {
        before: vec![],
        evens: vec![],
        even: Even(2),
        after: vec![],
    }]);
    round_trip(Wrapper {
        inner: Wrapper { inner: 5i64 },
    });
    // A top-level None is still not a value.
    let err = to_vec(&Hinted::owned(None::<i64>)).unwrap_err();
    assert!(err.to_string().contains("cannot encode None"), "{err}");
}

#[test]
fn struct_types_from_traces() {
    // An empty []Inner defines Inner with its fields (Go checks them even with no element).
    let bytes = hinted(&Vec::<Inner>::new());
    let value: serde_json::Value = from_slice(&bytes).unwrap();
    assert_eq!(value, json!([]));
    assert!(bytes.windows(5).any(|w| w == b"Inner"));
    // A struct field the value leaves untold (empty everywhere) stays out of the type, as
    // without a hint: its value is zero, so never sent.
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Holder {
        name: String,
        grid: Vec<Vec<i64>>,
        by_name: HashMap<String, Vec<Inner>>,
    }
    let holder = Holder {
        name: "h".into(),
        grid: vec![],
        by_name: HashMap::new(),
    };
    assert_eq!(hinted(&holder), to_vec(&holder).unwrap());
    // One that is not (an empty element) gets its type.
    let holder = Holder {
        name: "h".into(),
        grid: vec![vec![]],
        by_name: HashMap::from([("k".into(), vec![])]),
    };
    assert_ne!(hinted(&holder), to_vec(&holder).unwrap());
    round_trip(holder);
}

#[test]
fn other_formats_see_the_value() {
    let value = vec![1, 2];
    assert_eq!(
        serde_json::to_string(&Hinted::new(&value)).unwrap(),
        "[1,2]"
    );
    assert_eq!(
        serde_json::to_string(&Hinted::owned(Wrapper {
            inner: Vec::<i64>::new()
        }))
        .unwrap(),
        r#"{"Inner":[]}"#
    );
    // The hint is not left behind for the next serialization.
    assert!(take_trace().is_none());
    assert_eq!(format!("{:?}", Hinted::new(&value)), "Hinted([1, 2])");
    assert_eq!(Hinted::owned(3u8).into_inner(), 3);
}

/// The values of `gen -verify -kind hinted`, in order.
pub(super) fn hinted_values() -> Vec<Box<dyn erased_serde::Serialize>> {
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Holder {
        name: String,
        grid: Vec<Vec<i64>>,
        by_name: HashMap<String, Vec<Inner>>,
    }
    vec![
        Box::new(Hinted::owned(Vec::<i64>::new())),
        Box::new(Hinted::owned(Vec::<u8>::new())),
        Box::new(Hinted::owned(HashMap::<String, Vec<i64>>::new())),
        Box::new(Hinted::owned(Vec::<Inner>::new())),
        Box::new(Hinted::owned(Vec::<Tree>::new())),
        Box::new(Hinted::owned(BTreeMap::<i64, String>::new())),
        Box::new(Hinted::owned(HashMap::<String, Inner>::new())),
        Box::new(Hinted::owned(vec![Vec::<i64>::new(), Vec::new()])),
        Box::new(Hinted::owned([Vec::<f64>::new(), Vec::new()])),
        Box::new(Hinted::owned(Holder {
            name: "h".into(),
            grid: vec![vec![]],
            by_name: HashMap::from([("k".into(), vec![])]),
        })),
        Box::new(Hinted::owned(Vec::<Node>::new())),
        Box::new(Hinted::owned(Tree {
            name: "t".into(),
            kids: vec![],
        })),
    ]
}

/// The response `encoder` writes for call 1 with `reply` as its body.
fn response(reply: rpc_proto::Payload<'_>) -> Vec<u8> {
    use rpc_proto::{ResponseEncoder, ResponseHeader, Token};
    let (_, mut encoder) = crate::gob::Gob.server_parts(&rpc_proto::Limits::default());
    let mut out = bytes::BytesMut::new();
    let header = ResponseHeader::ok(1).with_token(Token::from_static(b"S.M"));
    encoder
        .encode_response(&header, Some(reply), &mut out)
        .unwrap();
    out.to_vec()
}

/// A reply that comes with its type (as `service!` makes it: `rpc_proto::Reply::typed`) goes
/// out exactly as the same value `Hinted` would, with no thread-local involved; one without
/// goes out as the value alone tells.
#[test]
fn typed_replies_go_out_as_hinted_values() {
    use rpc_proto::{Payload, Reply};

    fn check<T: Serialize + DeserializeOwned + Send + 'static>(value: T) {
        let typed = response(Payload::typed(&value));
        assert_eq!(typed, response(Payload::from(&Hinted::new(&value))));
        assert_eq!(typed, response(Reply::typed(value).payload()));
        assert!(take_trace().is_none());
    }
    check(Vec::<i64>::new());
    check(Vec::<u8>::new());
    check(HashMap::<String, Vec<i64>>::new());
    check(Vec::<Inner>::new());
    check(Vec::<Tree>::new());
    check(vec![Vec::<f64>::new()]);
    check(Tree {
        name: "t".into(),
        kids: vec![],
    });
    check("text".to_string());

    // The value alone: an empty Vec<i64> is Go's []string; with its type, []int64.
    let typed = response(Payload::typed(&Vec::<i64>::new()));
    let plain = response(Payload::from(&Vec::<i64>::new()));
    assert_ne!(typed, plain);
    assert!(typed.windows(7).any(|w| w == b"[]int64"));
    assert!(plain.windows(8).any(|w| w == b"[]string"));
    assert!(!plain.windows(7).any(|w| w == b"[]int64"));
    // Either way the response decodes as the reply (Go's decoder matches by structure).
    let (_, mut client) = crate::gob::Gob.client_parts(&rpc_proto::Limits::default());
    let mut buf = bytes::BytesMut::from(&typed[..]);
    let inbound = tokio_util::codec::Decoder::decode(&mut client, &mut buf)
        .unwrap()
        .unwrap();
    assert!(inbound.body.decode::<Vec<i64>>().unwrap().is_empty());
}
