//! Streams written by Go's own encoding/gob and net/rpc (testdata/gob, made by
//! `testdata/gob/gen`), decoded into matching Rust types and into JSON values.

use std::collections::{BTreeMap, HashMap};

use bytes::BytesMut;
use rpc_gotypes::{BigFloat, BigInt, BigRat, ByteString, Marshaled, MarshalerKind, Time};
use rpc_proto::{ClientInbound, Limits, ResponseHeader, ServerInbound};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::codec::Decoder as _;

use crate::gob::{Decoder, Gob};
use crate::test_util::{decode_all, decode_bytewise, decode_chunked};

pub(super) const ZOO: &[u8] = include_bytes!("../../../testdata/gob/zoo.gob");
pub(super) const GOTYPES: &[u8] = include_bytes!("../../../testdata/gob/gotypes.gob");
pub(super) const RPC_CLIENT: &[u8] = include_bytes!("../../../testdata/gob/rpc_client.gob");
pub(super) const RPC_SERVER: &[u8] = include_bytes!("../../../testdata/gob/rpc_server.gob");

// The Go types of gen/main.go, field for field.

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Inner {
    pub(super) a: i64,
    pub(super) b: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Node {
    pub(super) val: i64,
    pub(super) next: Option<Box<Node>>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Tree {
    pub(super) name: String,
    pub(super) kids: Vec<Tree>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub(super) struct Empty {}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Zoo {
    pub(super) bool: bool,
    pub(super) int: i64,
    pub(super) int8: i8,
    pub(super) int16: i16,
    pub(super) int32: i32,
    pub(super) int64: i64,
    pub(super) uint: u64,
    pub(super) uint8: u8,
    pub(super) uint16: u16,
    pub(super) uint32: u32,
    pub(super) uint64: u64,
    pub(super) min_int64: i64,
    pub(super) float32: f32,
    pub(super) float64: f64,
    pub(super) nan: f64,
    pub(super) pos_inf: f64,
    pub(super) neg_inf: f64,
    pub(super) tiny: f64,
    pub(super) rune: char,
    pub(super) string: String,
    pub(super) unicode: String,
    pub(super) bytes: Vec<u8>,
    pub(super) strings: Vec<String>,
    pub(super) ints: Vec<i64>,
    pub(super) matrix: Vec<Vec<i64>>,
    pub(super) pair: [String; 2],
    pub(super) byte_array: [u8; 4],
    pub(super) map: HashMap<String, i64>,
    pub(super) structs: HashMap<i64, Inner>,
    pub(super) inner: Inner,
    pub(super) inner_ptr: Option<Box<Inner>>,
    pub(super) inners: Vec<Inner>,
    pub(super) no_inners: Vec<Inner>,
    pub(super) list: Option<Box<Node>>,
    pub(super) tree: Tree,
    pub(super) empty: Empty,
    pub(super) zero: i64,
    pub(super) zero_inner: Inner,
    pub(super) nil_ptr: Option<Box<Inner>>,
    pub(super) blobs: Vec<Vec<u8>>,
}

fn inner(a: i64, b: &str) -> Inner {
    Inner { a, b: b.into() }
}

fn node(val: i64, next: Option<Node>) -> Node {
    Node {
        val,
        next: next.map(Box::new),
    }
}

fn tree(name: &str, kids: Vec<Tree>) -> Tree {
    Tree {
        name: name.into(),
        kids,
    }
}

pub(super) fn zoo() -> Zoo {
    Zoo {
        bool: true,
        int: -1,
        int8: i8::MIN,
        int16: i16::MIN,
        int32: i32::MIN,
        int64: i64::MAX,
        uint: 1 << 40,
        uint8: u8::MAX,
        uint16: u16::MAX,
        uint32: u32::MAX,
        uint64: u64::MAX,
        min_int64: i64::MIN,
        float32: 1.5,
        float64: std::f64::consts::PI,
        nan: f64::NAN,
        pos_inf: f64::INFINITY,
        neg_inf: f64::NEG_INFINITY,
        tiny: f64::from_bits(1),
        rune: '世',
        string: "hello".into(),
        unicode: "Grüße, 世界 🦀 \u{0} \"quoted\"\n".into(),
        bytes: vec![0, 1, 2, 254, 255],
        strings: vec!["a".into(), String::new(), "c".into()],
        ints: vec![0, -1, 1 << 40],
        matrix: vec![vec![1, 2], vec![], vec![3]],
        pair: ["k".into(), "v".into()],
        byte_array: [1, 2, 3, 255],
        map: [("one".to_string(), 1)].into(),
        structs: [(7, inner(1, "x"))].into(),
        inner: inner(-5, "in"),
        inner_ptr: Some(Box::new(inner(0, "ptr"))),
        inners: vec![inner(1, "a"), Inner::default(), inner(2, "")],
        no_inners: vec![],
        list: Some(Box::new(node(1, Some(node(2, Some(node(3, None))))))),
        tree: tree(
            "root",
            vec![tree("a", vec![]), tree("b", vec![tree("c", vec![])])],
        ),
        empty: Empty {},
        zero: 0,
        zero_inner: Inner::default(),
        nil_ptr: None,
        blobs: vec![vec![1], vec![], vec![2, 3]],
    }
}

/// The values of zoo.gob after the zoo, each with its expected decoding (as Debug text, so that
/// NaN compares equal) and its JSON form.
pub(super) struct Single {
    pub(super) debug: String,
    pub(super) json: serde_json::Value,
    decode: fn(&rpc_proto::Body) -> String,
    pub(super) encode: Box<dyn erased_serde::Serialize>,
}

fn single<T>(value: T, json: serde_json::Value) -> Single
where
    T: Serialize + for<'de> Deserialize<'de> + std::fmt::Debug + 'static,
{
    Single {
        debug: format!("{value:?}"),
        json,
        decode: |body| match body.decode::<T>() {
            Ok(v) => format!("{v:?}"),
            Err(e) => format!("error: {e}"),
        },
        encode: Box::new(value),
    }
}

pub(super) fn singles() -> Vec<Single> {
    vec![
        single(-129i64, json!(-129)),
        single(u64::MAX, json!(u64::MAX)),
        single("héllo, 世界".to_string(), json!("héllo, 世界")),
        single(b"bytes".to_vec(), json!([98, 121, 116, 101, 115])),
        single(
            ["key".to_string(), "value".to_string()],
            json!(["key", "value"]),
        ),
        single(
            HashMap::from([("k".to_string(), vec![1i64, 2])]),
            json!({"k": [1, 2]}),
        ),
        single(f64::NEG_INFINITY, json!(null)),
        single(Empty {}, json!({})),
        single((), json!({})),
        single(
            node(10, Some(node(20, None))),
            json!({"Val": 10, "Next": {"Val": 20}}),
        ),
        single(0i64, json!(0)),
        single(String::new(), json!("")),
        single(true, json!(true)),
        single(
            vec![tree("x", vec![tree("y", vec![])])],
            json!([{"Name": "x", "Kids": [{"Name": "y"}]}]),
        ),
        single(
            HashMap::from([(-1i64, "minus one".to_string())]),
            json!({"-1": "minus one"}),
        ),
        single(vec![0.5f32, -2.0], json!([0.5, -2.0])),
        single(200u8, json!(200)),
    ]
}

fn values_of(stream: &[u8]) -> Vec<rpc_proto::Body> {
    let mut decoder = Decoder::new(&Limits::default());
    decode_all(&mut decoder, stream).unwrap()
}

#[test]
fn zoo_decodes_into_rust_types() {
    let bodies = values_of(ZOO);
    let singles = singles();
    assert_eq!(bodies.len(), 1 + singles.len());
    let got: Zoo = bodies[0].decode().unwrap();
    assert_eq!(format!("{got:?}"), format!("{:?}", zoo()));
    for (i, (body, single)) in bodies[1..].iter().zip(&singles).enumerate() {
        assert_eq!((single.decode)(body), single.debug, "value {}", i + 1);
    }
    // Byte by byte, the same.
    let mut decoder = Decoder::new(&Limits::default());
    assert_eq!(
        decode_bytewise(&mut decoder, ZOO).unwrap().len(),
        bodies.len()
    );
}

#[test]
fn zoo_decodes_into_json() {
    let bodies = values_of(ZOO);
    let got: serde_json::Value = bodies[0].decode().unwrap();
    // In two parts: one json! of all of it is too deep a macro expansion.
    let mut expected = json!({
        "Bool": true, "Int": -1, "Int8": -128, "Int16": -32768, "Int32": i32::MIN,
        "Int64": i64::MAX, "Uint": 1u64 << 40, "Uint8": 255, "Uint16": 65535,
        "Uint32": u32::MAX, "Uint64": u64::MAX, "MinInt64": i64::MIN, "Float32": 1.5,
        "Float64": std::f64::consts::PI, "Nan": null, "PosInf": null, "NegInf": null,
        "Tiny": 5e-324, "Rune": 0x4e16, "String": "hello",
        "Unicode": "Grüße, 世界 🦀 \u{0} \"quoted\"\n", "Bytes": [0, 1, 2, 254, 255]
    });
    let rest = json!({
        "Strings": ["a", "", "c"], "Ints": [0, -1, 1u64 << 40],
        "Matrix": [[1, 2], [], [3]], "Pair": ["k", "v"], "ByteArray": [1, 2, 3, 255],
        "Map": {"one": 1}, "Structs": {"7": {"A": 1, "B": "x"}},
        "Inner": {"A": -5, "B": "in"}, "InnerPtr": {"B": "ptr"},
        "Inners": [{"A": 1, "B": "a"}, {}, {"A": 2}],
        "List": {"Val": 1, "Next": {"Val": 2, "Next": {"Val": 3}}},
        "Tree": {"Name": "root", "Kids": [{"Name": "a"}, {"Name": "b", "Kids": [{"Name": "c"}]}]},
        "Empty": {}, "ZeroInner": {}, "Blobs": [[1], [], [2, 3]]
    });
    if let (Some(all), serde_json::Value::Object(rest)) = (expected.as_object_mut(), rest) {
        all.extend(rest);
    }
    assert_eq!(got, expected);
    for (i, (body, single)) in bodies[1..].iter().zip(singles()).enumerate() {
        let got: serde_json::Value = body.decode().unwrap();
        assert_eq!(got, single.json, "value {}", i + 1);
    }
}

/// The canonical calls of gen/main.go: method and argument.
pub(super) fn calls() -> Vec<(&'static str, Box<dyn erased_serde::Serialize>)> {
    vec![
        ("HelloService.Hello", Box::new("world")),
        ("KVStoreService.Set", Box::new(["k", "v"])),
        ("KVStoreService.Get", Box::new("k")),
        ("KVStoreService.Get", Box::new("missing")),
        ("Arith.Multiply", Box::new(Args { a: 7, b: 8 })),
        ("HelloService.Hello", Box::new("")),
        ("NoSuch.Method", Box::new("x")),
        ("Arith.Multiply", Box::new(Args { a: 0, b: -3 })),
    ]
}

/// The canonical calls' replies (or errors), as Go's server gives them.
pub(super) fn replies() -> Vec<Result<Box<dyn erased_serde::Serialize>, &'static str>> {
    vec![
        Ok(Box::new("hello:world")),
        Ok(Box::new(())),
        Ok(Box::new("v")),
        Err("not found"),
        Ok(Box::new(56i64)),
        Ok(Box::new("hello:")),
        Err("rpc: can't find service NoSuch.Method"),
        Ok(Box::new(0i64)),
    ]
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Args {
    pub(super) a: i64,
    pub(super) b: i64,
}

fn describe_request(item: &ServerInbound) -> String {
    let ServerInbound::Request { header, body } = item else {
        return "cancel".into();
    };
    let arg = match header.service_method.as_str() {
        "KVStoreService.Set" => format!("{:?}", body.decode::<[String; 2]>().unwrap()),
        "Arith.Multiply" => format!("{:?}", body.decode::<Args>().unwrap()),
        _ => format!("{:?}", body.decode::<String>().unwrap()),
    };
    format!("{} {} {arg}", header.seq, header.service_method)
}

#[test]
fn gos_client_stream_decodes() {
    let expected = [
        "0 HelloService.Hello \"world\"",
        "1 KVStoreService.Set [\"k\", \"v\"]",
        "2 KVStoreService.Get \"k\"",
        "3 KVStoreService.Get \"missing\"",
        "4 Arith.Multiply Args { a: 7, b: 8 }",
        "5 HelloService.Hello \"\"",
        "6 NoSuch.Method \"x\"",
        "7 Arith.Multiply Args { a: 0, b: -3 }",
    ];
    for chunk in [RPC_CLIENT.len(), 1, 5] {
        let (mut decoder, _) = Gob.server_parts(&Limits::default());
        let items = decode_chunked(&mut decoder, RPC_CLIENT, chunk).unwrap();
        let got: Vec<String> = items.iter().map(describe_request).collect();
        assert_eq!(got, expected, "chunk {chunk}");
    }
    // Every body into JSON.
    let (mut decoder, _) = Gob.server_parts(&Limits::default());
    let items = decode_all(&mut decoder, RPC_CLIENT).unwrap();
    let json: Vec<serde_json::Value> = items
        .iter()
        .map(|item| match item {
            ServerInbound::Request { body, .. } => body.decode().unwrap(),
            ServerInbound::Cancel { .. } => unreachable!(),
        })
        .collect();
    assert_eq!(
        json,
        [
            json!("world"),
            json!(["k", "v"]),
            json!("k"),
            json!("missing"),
            json!({"A": 7, "B": 8}),
            json!(""),
            json!("x"),
            json!({"B": -3})
        ]
    );
}

#[test]
fn gos_server_stream_decodes() {
    let (_, mut decoder) = Gob.client_parts(&Limits::default());
    let items: Vec<ClientInbound> = decode_bytewise(&mut decoder, RPC_SERVER).unwrap();
    let headers: Vec<ResponseHeader> = items.iter().map(|r| r.header.clone()).collect();
    assert_eq!(
        headers,
        [
            ResponseHeader::ok(0),
            ResponseHeader::ok(1),
            ResponseHeader::ok(2),
            ResponseHeader::error(3, "not found"),
            ResponseHeader::ok(4),
            ResponseHeader::ok(5),
            ResponseHeader::error(6, "rpc: can't find service NoSuch.Method"),
            ResponseHeader::ok(7),
        ]
    );
    assert_eq!(items[0].body.decode::<String>().unwrap(), "hello:world");
    items[1].body.decode::<()>().unwrap();
    assert_eq!(items[2].body.decode::<String>().unwrap(), "v");
    assert_eq!(items[4].body.decode::<i32>().unwrap(), 56);
    assert_eq!(items[5].body.decode::<String>().unwrap(), "hello:");
    assert_eq!(items[7].body.decode::<u8>().unwrap(), 0);
    for item in &items {
        let _: serde_json::Value = item.body.decode().unwrap();
    }
}

/// Go's first request of rpc_client.gob, with Go's type ids renumbered to ours (Go's are
/// process-wide), is what our client writes.
#[test]
fn our_first_request_is_gos_byte_for_byte() {
    let mut messages = Vec::new();
    let mut rest = RPC_CLIENT;
    for _ in 0..3 {
        let (len, width) = crate::gob::wire::peek_uint(rest).unwrap().unwrap();
        let end = width + len as usize;
        messages.push(&rest[..end]);
        rest = &rest[end..];
    }
    let go_id = -crate::gob::wire::Reader::new(&messages[0][1..])
        .int()
        .unwrap();
    let encode = |i: i64| {
        let mut out = Vec::new();
        crate::gob::wire::put_int(&mut out, i);
        out
    };
    let replace = |bytes: &[u8], from: &[u8], to: &[u8]| -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i..].starts_with(from) {
                out.extend_from_slice(to);
                i += from.len();
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    };
    let go: Vec<u8> = messages.concat();
    let go = replace(&go, &encode(-go_id), &encode(-65));
    let go = replace(&go, &encode(go_id), &encode(65));

    let (mut encoder, _) = Gob.client_parts(&Limits::default());
    let mut ours = BytesMut::new();
    rpc_proto::RequestEncoder::encode_request(
        &mut encoder,
        &rpc_proto::RequestHeader::new("HelloService.Hello", 0),
        &"world",
        &mut ours,
    )
    .unwrap();
    assert_eq!(&ours[..], go);
}

#[test]
fn interfaces_and_marshalers_from_go() {
    let bodies = values_of(GOTYPES);
    assert_eq!(bodies.len(), gotypes().len());
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    struct NameOnly {
        name: String,
    }
    // WithAny{Name: "any", Any: 42}: the interface value is skipped as an unknown field, and
    // decodes as its concrete value.
    assert_eq!(bodies[0].decode::<NameOnly>().unwrap().name, "any");
    assert_eq!(
        bodies[0].decode::<serde_json::Value>().unwrap(),
        json!({"Name": "any", "Any": 42})
    );
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Typed {
        name: String,
        any: i64,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct AsOption {
        any: Option<u8>,
    }
    assert_eq!(
        bodies[0].decode::<Typed>().unwrap(),
        Typed {
            name: "any".into(),
            any: 42
        }
    );
    assert_eq!(
        bodies[0].decode::<AsOption>().unwrap(),
        AsOption { any: Some(42) }
    );
    assert_eq!(
        bodies[1].decode::<AsOption>().unwrap(),
        AsOption { any: None }
    );
    // WithAny{Name: "nil"}: a nil interface is left out.
    assert_eq!(bodies[1].decode::<NameOnly>().unwrap().name, "nil");
    assert_eq!(
        bodies[1].decode::<serde_json::Value>().unwrap(),
        json!({"Name": "nil"})
    );
    // time.Time (GobEncoder), *url.URL (BinaryMarshaler): marshaler values, read as their
    // kind, name and bytes; not a string. Go names *url.URL's type "" (it names a marshaler
    // pointer type by the pointer type's name, which is empty).
    let time = bodies[2].decode::<serde_json::Value>().unwrap();
    assert_eq!((&time["Name"], &time["Kind"]), (&json!("Time"), &json!(0)));
    assert_eq!(
        bodies[3].decode::<String>().unwrap_err().to_string(),
        "gob: decoding into local type string, received remote type a BinaryMarshaler type"
    );
    // net.IP is a TextMarshaler, which gob does not use: plain []byte (16 bytes for IPv4).
    let ip: Vec<u8> = bodies[4].decode().unwrap();
    assert_eq!(ip, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
    // Stamped{Name, When time.Time}: the GobEncoder field can be skipped.
    assert_eq!(bodies[5].decode::<NameOnly>().unwrap().name, "stamped");
    assert!(bodies[5].decode::<serde_json::Value>().is_ok());
}

/// Deterministic pseudo-random mutations of Go's streams: every outcome is fine except a panic.
#[test]
fn mutated_corpus_never_panics() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let limits = Limits {
        max_message: 1 << 16,
        max_depth: 32,
    };
    let gotypes = gotypes();
    for round in 0..1000 {
        let corpus = [ZOO, RPC_CLIENT, RPC_SERVER, GOTYPES][round % 4];
        let mut input = corpus.to_vec();
        for _ in 0..(next() % 4 + 1) {
            let pos = (next() as usize) % input.len();
            let byte = (next() & 0xff) as u8;
            match next() % 4 {
                0 => input[pos] = byte,
                1 => input[pos] ^= 1 << (byte % 8),
                2 => input.insert(pos, byte),
                _ => {
                    input.remove(pos);
                }
            }
        }
        let chunk = 1 + round % 13;
        let bodies: Vec<rpc_proto::Body> = match round % 4 {
            1 => {
                let (mut decoder, _) = Gob.server_parts(&limits);
                match decode_chunked(&mut decoder, &input, chunk) {
                    Ok(items) => items
                        .into_iter()
                        .filter_map(|item| match item {
                            ServerInbound::Request { body, .. } => Some(body),
                            ServerInbound::Cancel { .. } => None,
                        })
                        .collect(),
                    Err(err) => {
                        assert!(err.is_fatal(), "{err}");
                        continue;
                    }
                }
            }
            2 => {
                let (_, mut decoder) = Gob.client_parts(&limits);
                match decode_chunked(&mut decoder, &input, chunk) {
                    Ok(items) => items.into_iter().map(|item| item.body).collect(),
                    Err(err) => {
                        assert!(err.is_fatal(), "{err}");
                        continue;
                    }
                }
            }
            _ => {
                let mut decoder = Decoder::new(&limits);
                let mut buf = BytesMut::new();
                let mut bodies = Vec::new();
                for piece in input.chunks(chunk) {
                    buf.extend_from_slice(piece);
                    loop {
                        match decoder.decode(&mut buf) {
                            Ok(Some(body)) => bodies.push(body),
                            Ok(None) => break,
                            Err(_) => break,
                        }
                    }
                }
                bodies
            }
        };
        for body in bodies {
            let _ = body.decode::<serde_json::Value>();
            let _ = body.decode::<Zoo>();
            let _ = body.decode::<Vec<Tree>>();
            let _ = body.decode::<String>();
            let _ = body.decode::<[String; 2]>();
            let _ = body.decode::<serde::de::IgnoredAny>();
            for value in &gotypes {
                let _ = (value.decode)(&body);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// gotypes.gob: Go's types that serde does not have (marshalers, interface values, strings of any
// bytes), in the Rust types that speak them: rpc_gotypes' types and enums for interfaces.

/// A Go `interface{}` holding one of the types gen/main.go registers (`main.Point`, `[]interface
/// {}`, `map[string]interface {}`) or Go registers itself (`int`, `string`, `[]string`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub(super) enum Any {
    #[serde(rename = "int")]
    Int(i64),
    #[serde(rename = "string")]
    Str(String),
    #[serde(rename = "[]string")]
    Strings(Vec<String>),
    #[serde(rename = "main.Point")]
    Point(Point),
    #[serde(rename = "[]interface {}")]
    List(Vec<Any>),
    #[serde(rename = "map[string]interface {}")]
    Map(BTreeMap<String, Any>),
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Point {
    x: i64,
    y: i64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct WithAny {
    name: String,
    any: Option<Any>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Stamped {
    name: String,
    when: Time,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Times {
    #[serde(rename = "UTC")]
    utc: Time,
    zone: Time,
    zone_sec: Time,
    old: Time,
    zero: Time,
}

/// Go's `*big.Int` and friends are pointers: `Option`, `None` for nil (left out of the struct).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Bigs {
    zero: Option<BigInt>,
    neg: Option<BigInt>,
    huge: Option<BigInt>,
    nil: Option<BigInt>,
    rat: Option<BigRat>,
    float: Option<BigFloat>,
    third: Option<BigFloat>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Custom {
    /// `*url.URL`, a BinaryMarshaler.
    link: Marshaled,
    /// `Money`, a user GobEncoder.
    price: Marshaled,
    /// `Level`, a user TextMarshaler: gob does not use TextMarshaler, so it is the int it is.
    level: i64,
    note: ByteString,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    name: String,
    payload: Option<Any>,
    nil: Option<Any>,
    items: Vec<Any>,
    attrs: BTreeMap<String, Any>,
}

/// A nil interface value at the top level (Go's `*interface{}` pointing to nil, as a net/rpc
/// reply of type `interface{}` goes). A Rust enum cannot say it (`None` at the top level is a
/// nil pointer, which Go cannot send): written with the run-time interface marker that
/// dynamic values use.
struct NilInterface;

impl Serialize for NilInterface {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Fields;
        impl Serialize for Fields {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut s = serializer.serialize_struct("Interface", 1)?;
                s.serialize_field("Name", "")?;
                s.end()
            }
        }
        serializer.serialize_newtype_struct(crate::gob::marker::INTERFACE, &Fields)
    }
}

/// A value of gotypes.gob: its expected decoding (as Debug text), and what to encode for Go to
/// read back as the value gen/main.go wrote.
pub(super) struct GoValue {
    pub(super) debug: String,
    decode: fn(&rpc_proto::Body) -> String,
    pub(super) encode: Box<dyn erased_serde::Serialize>,
}

fn go_value<T>(value: T) -> GoValue
where
    T: Serialize + for<'de> Deserialize<'de> + std::fmt::Debug + Clone + 'static,
{
    let encode = Box::new(value.clone());
    go_value_with(value, encode)
}

/// `expected`, decoded as `T`; `encode` is what goes back to Go.
fn go_value_with<T>(expected: T, encode: Box<dyn erased_serde::Serialize>) -> GoValue
where
    T: Serialize + for<'de> Deserialize<'de> + std::fmt::Debug + 'static,
{
    GoValue {
        debug: format!("{expected:?}"),
        decode: |body| match body.decode::<T>() {
            Ok(v) => format!("{v:?}"),
            Err(e) => format!("error: {e}"),
        },
        encode,
    }
}

fn time(text: &str) -> Time {
    text.parse()
        .unwrap_or_else(|e| panic!("bad time {text:?}: {e}"))
}

fn big(text: &str) -> BigInt {
    text.parse()
        .unwrap_or_else(|e| panic!("bad integer {text:?}: {e}"))
}

fn point(x: i64, y: i64) -> Point {
    Point { x, y }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `time.Date(1, 1, 1, 0, 0, 1, 0, time.FixedZone("", 3601))`: one hour before Go's zero time,
/// in a zone whose offset has seconds.
fn year_one() -> Time {
    Time::from_unix(Time::default().unix_seconds() - 3600, 0)
        .unwrap()
        .with_offset(Some(3601))
}

/// The big.Float 1/3 at precision 100, as Go's GobEncode writes it.
const THIRD: &[u8] = &[
    0x01, 0x12, 0x00, 0x00, 0x00, 0x64, 0xff, 0xff, 0xff, 0xff, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xb0, 0x00, 0x00, 0x00,
];

/// The values of gotypes.gob (`gotypesValues` in gen/main.go), in order.
pub(super) fn gotypes() -> Vec<GoValue> {
    let when = time("2024-02-29T12:00:00Z");
    vec![
        go_value(WithAny {
            name: "any".into(),
            any: Some(Any::Int(42)),
        }),
        go_value(WithAny {
            name: "nil".into(),
            any: None,
        }),
        go_value(when),
        go_value(Marshaled::new(
            MarshalerKind::BinaryMarshaler,
            "",
            "https://example.com",
        )),
        go_value(vec![
            0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1,
        ]),
        go_value(Stamped {
            name: "stamped".into(),
            when,
        }),
        go_value(Times {
            utc: time("2024-02-29T12:30:45.123456789Z"),
            zone: time("2024-03-15T06:00:00-07:00"),
            zone_sec: time("1899-12-31T23:40:28Z").with_offset(Some(19 * 60 + 32)),
            old: time("1969-07-20T20:17:40.0000005Z"),
            zero: Time::default(),
        }),
        go_value(Bigs {
            zero: Some(BigInt::from(0)),
            neg: Some(BigInt::from(-12345)),
            huge: Some(big("-1208925819614629174706177")),
            nil: None,
            rat: Some(BigRat::new(-22, 7).unwrap()),
            float: Some(BigFloat::from_f64(-2.75).unwrap()),
            third: Some(BigFloat::gob_decode(THIRD).unwrap()),
        }),
        go_value(Custom {
            link: Marshaled::new(
                MarshalerKind::BinaryMarshaler,
                "",
                "https://gopher@go.dev/doc?q=1",
            ),
            price: Marshaled::new(MarshalerKind::GobEncoder, "Money", "EUR 1234"),
            level: 3,
            note: ByteString::from(&b"caf\xe9 \xff"[..]),
        }),
        go_value(Envelope {
            name: "env".into(),
            payload: Some(Any::Point(point(3, -4))),
            nil: None,
            items: vec![
                Any::Int(7),
                Any::Str("two".into()),
                Any::Strings(strings(&["a", "b"])),
                Any::Point(point(5, 0)),
                Any::List(vec![Any::Int(-1), Any::Str("x".into())]),
            ],
            attrs: [("k".to_string(), Any::Point(point(0, 9)))].into(),
        }),
        go_value(Time::default()),
        go_value(vec![when, year_one()]),
        go_value(big("1267650600228229401496703205376")),
        go_value(BigRat::new(1, 3).unwrap()),
        go_value(Marshaled::new(MarshalerKind::GobEncoder, "Money", "USD -5")),
        go_value(-2i64),
        go_value(ByteString::from(&b"\xff\xfe not UTF-8 \xc0"[..])),
        go_value(vec![
            Any::Int(1),
            Any::Str("s".into()),
            Any::Strings(strings(&["x"])),
            Any::Point(point(1, 2)),
            Any::List(vec![Any::Point(point(0, 0))]),
            Any::Map([("n".to_string(), Any::Int(2))].into()),
        ]),
        go_value(BTreeMap::from([("p".to_string(), Any::Point(point(6, 7)))])),
        go_value(Any::Point(point(8, 9))),
        go_value(Any::Int(-3)),
        go_value(Any::Str("str".into())),
        go_value_with(None::<Any>, Box::new(NilInterface)),
    ]
}

#[test]
fn gotypes_decode_into_rust_types() {
    let values = gotypes();
    let bodies = values_of(GOTYPES);
    assert_eq!(bodies.len(), values.len());
    for (i, (body, value)) in bodies.iter().zip(&values).enumerate() {
        assert_eq!((value.decode)(body), value.debug, "value {i}");
    }
    // Byte by byte, and in chunks, the same.
    for chunk in [1, 7, 64] {
        let mut decoder = Decoder::new(&Limits::default());
        let bodies = decode_chunked(&mut decoder, GOTYPES, chunk).unwrap();
        for (i, (body, value)) in bodies.iter().zip(&values).enumerate() {
            assert_eq!(
                (value.decode)(body),
                value.debug,
                "chunk {chunk}, value {i}"
            );
        }
    }
}

#[test]
fn gotypes_values_read_as_go_wrote_them() {
    let bodies = values_of(GOTYPES);
    // time.Time: UTC, an offset in minutes, one with seconds (MarshalBinary version 2), before
    // 1970, and the zero time (left out by Go, so Go's zero value).
    let times: Times = bodies[6].decode().unwrap();
    assert_eq!(times.utc.to_string(), "2024-02-29T12:30:45.123456789Z");
    assert_eq!(times.zone.offset_seconds(), Some(-7 * 3600));
    assert_eq!(times.zone.clock(), (6, 0, 0));
    assert_eq!(times.zone_sec.offset_seconds(), Some(1172));
    assert_eq!(times.zone_sec.date(), (1900, 1, 1));
    assert_eq!(times.zone_sec.clock(), (0, 0, 0));
    assert_eq!(times.zone_sec.gob_encode().unwrap()[0], 2, "version 2");
    assert_eq!(times.old.unix_seconds(), -14182940);
    assert_eq!(times.old.nanos(), 500);
    assert!(times.zero.is_zero());
    let zero: Time = bodies[10].decode().unwrap();
    assert!(zero.is_zero() && zero.offset_seconds().is_none());
    let pair: Vec<Time> = bodies[11].decode().unwrap();
    assert_eq!((pair[1].date(), pair[1].clock()), ((1, 1, 1), (0, 0, 1)));
    assert_eq!(pair[1].go_seconds(), -3600);
    // math/big.
    let bigs: Bigs = bodies[7].decode().unwrap();
    assert_eq!(bigs.huge.unwrap().to_string(), "-1208925819614629174706177");
    assert_eq!(bigs.rat.unwrap().to_string(), "-22/7");
    assert_eq!(bigs.float.unwrap().to_f64(), -2.75);
    let third = bigs.third.unwrap();
    assert_eq!(third.precision(), 100);
    assert_eq!(third.to_string(), "0.3333333333333333333333333333335");
    let rat: BigRat = bodies[13].decode().unwrap();
    assert_eq!(rat.to_string(), "1/3");
    // A user GobEncoder, *url.URL; a user TextMarshaler is plain: gob ignores TextMarshaler.
    let custom: Custom = bodies[8].decode().unwrap();
    assert_eq!(custom.price.as_text(), Some("EUR 1234"));
    assert_eq!(custom.link.kind(), MarshalerKind::BinaryMarshaler);
    assert_eq!(bodies[15].decode::<i8>().unwrap(), -2);
    // A Go string of bytes that are not UTF-8: exact into ByteString and Vec<u8>, refused by
    // String.
    assert_eq!(
        bodies[16].decode::<Vec<u8>>().unwrap(),
        b"\xff\xfe not UTF-8 \xc0"
    );
    assert!(bodies[16].decode::<String>().is_err());
    let err = bodies[8].decode::<PlainNote>().unwrap_err().to_string();
    assert!(
        err.starts_with("gob: string in field Custom.Note is not valid UTF-8"),
        "{err}"
    );
    // An interface value as its concrete type, or as a Rust enum; a nil one as None.
    assert_eq!(bodies[19].decode::<Point>().unwrap(), point(8, 9));
    assert_eq!(bodies[20].decode::<i64>().unwrap(), -3);
    assert_eq!(bodies[22].decode::<Option<Any>>().unwrap(), None);
    assert_eq!(bodies[22].decode::<Option<i64>>().unwrap(), None);
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct PlainNote {
    note: String,
}

#[test]
fn gotypes_decode_into_json() {
    let bodies = values_of(GOTYPES);
    let json: Vec<serde_json::Value> = bodies
        .iter()
        .map(|body| body.decode().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(json[0], json!({"Name": "any", "Any": 42}));
    assert_eq!(json[6]["UTC"]["Name"], json!("Time"));
    assert_eq!(json[6]["UTC"]["Kind"], json!(0));
    assert_eq!(json[6].get("Zero"), None);
    assert_eq!(json[7]["Neg"]["Data"], json!([3, 0x30, 0x39]));
    assert_eq!(json[7].get("Nil"), None);
    assert_eq!(json[8]["Level"], json!(3));
    assert_eq!(json[8]["Note"], json!("caf\u{fffd} \u{fffd}"));
    assert_eq!(json[8]["Price"]["Name"], json!("Money"));
    assert_eq!(
        json[9],
        json!({
            "Name": "env",
            "Payload": {"X": 3, "Y": -4},
            "Items": [7, "two", ["a", "b"], {"X": 5}, [-1, "x"]],
            "Attrs": {"k": {"Y": 9}}
        })
    );
    assert_eq!(json[15], json!(-2));
    assert_eq!(json[16], json!("\u{fffd}\u{fffd} not UTF-8 \u{fffd}"));
    assert_eq!(
        json[17],
        json!([1, "s", ["x"], {"X": 1, "Y": 2}, [{}], {"n": 2}])
    );
    assert_eq!(json[18], json!({"p": {"X": 6, "Y": 7}}));
    assert_eq!(json[19], json!({"X": 8, "Y": 9}));
    assert_eq!(json[20], json!(-3));
    assert_eq!(json[21], json!("str"));
    assert_eq!(json[22], json!(null));
}

/// Our encoding of gotypes.gob's values decodes as Go's does (Go reading it: `go.rs`).
#[test]
fn gotypes_round_trip() {
    let values = gotypes();
    let mut encoder = crate::gob::Encoder::new(&Limits::default());
    let mut wire = BytesMut::new();
    for value in &values {
        encoder.encode(&value.encode, &mut wire).unwrap();
    }
    let bodies = values_of(&wire);
    assert_eq!(bodies.len(), values.len());
    for (i, (body, value)) in bodies.iter().zip(&values).enumerate() {
        assert_eq!((value.decode)(body), value.debug, "value {i}");
    }
}

/// Go names the slice, array and map types of struct fields as `reflect.Type.String()` does,
/// and a top-level value of the same type reuses the definition (Go's type ids are per type):
/// errors show Go's names.
#[test]
fn errors_name_remote_types_as_go_does() {
    let zoo = values_of(ZOO);
    assert_eq!(
        zoo[5].decode::<i64>().unwrap_err().to_string(),
        "gob: decoding into local type int64, received remote type [2]string"
    );
    let bodies = values_of(GOTYPES);
    assert_eq!(
        bodies[17].decode::<i64>().unwrap_err().to_string(),
        "gob: decoding into local type int64, received remote type []interface {}"
    );
    assert_eq!(
        bodies[18].decode::<String>().unwrap_err().to_string(),
        "gob: decoding into local type string, received remote type map[string]interface {}"
    );
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct WrongItems {
        items: i64,
    }
    let err = bodies[9].decode::<WrongItems>().unwrap_err().to_string();
    assert_eq!(
        err,
        "gob: wrong type (int64) for received field Envelope.Items"
    );
    // Go leaves the type of a top-level value unnamed ([]time.Time here): built from its
    // element types.
    assert_eq!(
        bodies[11].decode::<i64>().unwrap_err().to_string(),
        "gob: decoding into local type int64, received remote type []Time"
    );
}
