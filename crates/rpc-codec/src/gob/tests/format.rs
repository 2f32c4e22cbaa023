//! The gob data format on its own: round trips, Go's rules for zero and missing fields, types
//! told from values, bounds.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use bytes::BytesMut;
use rpc_proto::{CodecError, Limits};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::gob::{Decoder, Encoder, from_slice, to_vec};

fn limits(max_message: usize, max_depth: usize) -> Limits {
    Limits {
        max_message,
        max_depth,
    }
}

/// Encodes `value` as a stream of its own and decodes it back.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) -> Vec<u8> {
    let bytes = to_vec(value).unwrap_or_else(|e| panic!("encoding {value:?}: {e}"));
    let back: T = from_slice(&bytes).unwrap_or_else(|e| panic!("decoding {value:?}: {e}"));
    assert_eq!(&back, value);
    bytes
}

/// The bytes of the value message (the last message of a one-value stream), after its length.
fn value_message(bytes: &[u8]) -> Vec<u8> {
    let mut rest = bytes;
    loop {
        let (len, width) = crate::gob::wire::peek_uint(rest).unwrap().unwrap();
        let end = width + len as usize;
        if end == rest.len() {
            return rest[width..].to_vec();
        }
        rest = &rest[end..];
    }
}

/// The type ids heading the messages of a stream (negative: a definition).
fn message_ids(bytes: &[u8]) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (len, width) = crate::gob::wire::peek_uint(rest).unwrap().unwrap();
        let message = &rest[width..width + len as usize];
        ids.push(crate::gob::wire::Reader::new(message).int().unwrap());
        rest = &rest[width + len as usize..];
    }
    ids
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
#[serde(rename_all = "PascalCase")]
struct Inner {
    a: i64,
    b: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
#[serde(rename_all = "PascalCase")]
struct Everything {
    flag: bool,
    small: i8,
    big: i128,
    unsigned: u16,
    huge: u128,
    float: f32,
    double: f64,
    letter: char,
    text: String,
    bytes: Vec<u8>,
    list: Vec<String>,
    nested: Vec<Vec<i32>>,
    pair: [String; 2],
    bytes4: [u8; 4],
    map: BTreeMap<String, Inner>,
    by_number: BTreeMap<i32, bool>,
    inner: Inner,
    maybe: Option<Box<Inner>>,
    none: Option<u8>,
    unit: (),
    tuple_struct: Meters,
    newtype: Wrapper,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
struct Meters(f64, f64);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
struct Wrapper(u32);

fn everything() -> Everything {
    Everything {
        flag: true,
        small: -128,
        big: i128::from(i64::MIN),
        unsigned: 65535,
        huge: u128::from(u64::MAX),
        float: -0.25,
        double: 1e300,
        letter: '🦀',
        text: "Grüße, 世界".into(),
        bytes: vec![0, 255, 7],
        list: vec!["a".into(), String::new()],
        nested: vec![vec![1, -2], vec![], vec![3]],
        pair: ["k".into(), "v".into()],
        bytes4: [1, 2, 3, 200],
        map: [(
            "x".to_string(),
            Inner {
                a: 1,
                b: "one".into(),
            },
        )]
        .into(),
        by_number: [(-1, true), (2, false)].into(),
        inner: Inner {
            a: -5,
            b: String::new(),
        },
        maybe: Some(Box::new(Inner::default())),
        none: None,
        unit: (),
        tuple_struct: Meters(1.5, -2.5),
        newtype: Wrapper(9),
    }
}

#[test]
fn every_supported_type_round_trips() {
    round_trip(&everything());
    round_trip(&Everything::default());
    round_trip(&true);
    round_trip(&false);
    for i in [0i64, 1, -1, 63, -64, 64, -129, i64::MIN, i64::MAX] {
        round_trip(&i);
    }
    for u in [0u64, 127, 128, 255, 256, u64::MAX] {
        round_trip(&u);
    }
    round_trip(&-7i8);
    round_trip(&200u8);
    round_trip(&i128::from(i64::MIN));
    round_trip(&u128::from(u64::MAX));
    for f in [
        0.0f64,
        1.5,
        -2.25e-300,
        f64::MAX,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        round_trip(&f);
    }
    round_trip(&3.5f32);
    round_trip(&'x');
    round_trip(&'\u{10FFFF}');
    round_trip(&String::new());
    round_trip(&"ÿ\u{0}🦀".to_string());
    round_trip(&Vec::<u8>::new());
    round_trip(&vec![1u8, 2, 3]);
    round_trip(&vec![vec![1u8], vec![], vec![2, 3]]);
    round_trip(&vec![1u16, 2, 300]);
    round_trip(&[7u8; 32]);
    round_trip(&["a".to_string(), "b".to_string()]);
    round_trip(&[[1i32, 2], [3, 4]]);
    round_trip(&HashMap::from([
        (1u32, "one".to_string()),
        (2, "two".to_string()),
    ]));
    round_trip(&HashMap::<String, i32>::new());
    round_trip(&vec![
        Inner::default(),
        Inner {
            a: 1,
            b: "x".into(),
        },
    ]);
    round_trip(&Some(5i32));
    round_trip(&());
    round_trip(&Wrapper(0));
    round_trip(&Meters(0.0, 1.0));
    let nan: f64 = from_slice(&to_vec(&f64::NAN).unwrap()).unwrap();
    assert!(nan.is_nan());
}

#[test]
fn documented_encodings() {
    // doc.go: Point{22, 33}, byte for byte.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Point {
        x: i64,
        y: i64,
    }
    let bytes = to_vec(&Point { x: 22, y: 33 }).unwrap();
    assert_eq!(
        bytes,
        [
            0x1f, 0xff, 0x81, 0x03, 0x01, 0x01, 0x05, 0x50, 0x6f, 0x69, 0x6e, 0x74, 0x01, 0xff,
            0x82, 0x00, 0x01, 0x02, 0x01, 0x01, 0x58, 0x01, 0x04, 0x00, 0x01, 0x01, 0x59, 0x01,
            0x04, 0x00, 0x00, 0x00, 0x07, 0xff, 0x82, 0x01, 0x2c, 0x01, 0x42, 0x00
        ]
    );
    // Builtin types need no definition; a non-struct value follows a zero delta.
    assert_eq!(
        to_vec(&17.0f64).unwrap(),
        [0x05, 0x08, 0x00, 0xfe, 0x31, 0x40]
    );
    assert_eq!(
        to_vec(&-129i64).unwrap(),
        [0x05, 0x04, 0x00, 0xfe, 0x01, 0x01]
    );
    assert_eq!(to_vec(&0u32).unwrap(), [0x03, 0x06, 0x00, 0x00]);
    assert_eq!(
        to_vec(&vec![1u8, 2]).unwrap(),
        [0x05, 0x0a, 0x00, 0x02, 0x01, 0x02]
    );
    assert_eq!(to_vec("hi").unwrap(), [0x05, 0x0c, 0x00, 0x02, b'h', b'i']);
    // Go's empty struct{} (as its rpc server sends after an error): a definition, then `00`.
    assert_eq!(
        to_vec(&()).unwrap(),
        [
            0x0a, 0xff, 0x81, 0x03, 0x01, 0x02, 0xff, 0x82, 0x00, 0x00, 0x00, 0x03, 0xff, 0x82,
            0x00
        ]
    );
}

#[test]
fn types_are_sent_once_per_stream() {
    let mut encoder = Encoder::new(&Limits::default());
    let mut wire = BytesMut::new();
    encoder.encode(&everything(), &mut wire).unwrap();
    let first = wire.len();
    encoder.encode(&everything(), &mut wire).unwrap();
    let second = wire.len() - first;
    assert!(second < first / 2, "{first} then {second}");
    // A value whose type is part of one already sent needs nothing new either.
    let before = wire.len();
    encoder.encode(&Inner::default(), &mut wire).unwrap();
    assert_eq!(message_ids(&wire[before..]).len(), 1, "no definition");
    let mut decoder = Decoder::new(&Limits::default());
    assert_eq!(
        decoder.decode_value::<Everything>(&mut wire).unwrap(),
        Some(everything())
    );
    assert_eq!(
        decoder.decode_value::<Everything>(&mut wire).unwrap(),
        Some(everything())
    );
    assert_eq!(
        decoder.decode_value::<Inner>(&mut wire).unwrap(),
        Some(Inner::default())
    );
    assert!(wire.is_empty());
}

#[test]
fn zero_fields_are_left_out_and_come_back_as_zero() {
    let full = to_vec(&everything()).unwrap();
    let zero = to_vec(&Everything::default()).unwrap();
    // The zero value sends only what Go always sends: nested structs and arrays.
    let message = value_message(&zero);
    let fields_sent = message.len();
    assert!(fields_sent < 40, "{message:02x?}");
    assert!(full.len() > zero.len());

    // A value without fields decodes into a struct whose every field is zero.
    #[derive(Serialize)]
    struct Nothing {}
    let nothing = to_vec(&Nothing {}).unwrap();
    let decoded: Everything = from_slice(&nothing).unwrap();
    assert_eq!(decoded, Everything::default());

    // -0.0 is zero (Go: f != 0), and comes back as 0.0.
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct F {
        f: f64,
    }
    let back: F = from_slice(&to_vec(&F { f: -0.0 }).unwrap()).unwrap();
    assert!(back.f == 0.0 && back.f.is_sign_positive());
}

#[test]
fn go_compatibility_rules_for_fields() {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Sent {
        a: i64,
        b: String,
        extra: Vec<Inner>,
        c: u8,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Received {
        c: u32,
        a: i16,
        missing: String,
        also_missing: Option<Vec<Inner>>,
        nested_missing: Inner,
    }
    let bytes = to_vec(&Sent {
        a: -3,
        b: "ignored".into(),
        extra: vec![Inner::default(); 2],
        c: 200,
    })
    .unwrap();
    let received: Received = from_slice(&bytes).unwrap();
    assert_eq!(
        received,
        Received {
            c: 200,
            a: -3,
            missing: String::new(),
            also_missing: None,
            nested_missing: Inner::default(),
        }
    );
    // Into a map, or a JSON value: what was sent.
    let map: BTreeMap<String, serde_json::Value> = from_slice(&bytes).unwrap();
    assert_eq!(map.keys().collect::<Vec<_>>(), ["A", "B", "C", "Extra"]);
    let value: serde_json::Value = from_slice(&bytes).unwrap();
    assert_eq!(
        value,
        json!({"A": -3, "B": "ignored", "Extra": [{}, {}], "C": 200})
    );
}

#[test]
fn integers_are_range_checked() {
    let big = to_vec(&300i64).unwrap();
    let err = from_slice::<u8>(&big).unwrap_err();
    assert_eq!(err.to_string(), "value for \"uint8\" out of range");
    assert_eq!(from_slice::<u16>(&big).unwrap(), 300);
    let negative = to_vec(&-1i32).unwrap();
    assert_eq!(
        from_slice::<u64>(&negative).unwrap_err().to_string(),
        "value for \"uint64\" out of range"
    );
    let max = to_vec(&u64::MAX).unwrap();
    assert_eq!(
        from_slice::<i64>(&max).unwrap_err().to_string(),
        "value for \"int64\" out of range"
    );
    assert_eq!(from_slice::<u128>(&max).unwrap(), u128::from(u64::MAX));
    let err = to_vec(&(u128::from(u64::MAX) + 1)).unwrap_err();
    assert!(
        err.to_string().contains("does not fit in Go's uint64"),
        "{err}"
    );
    // Go's float32 range check.
    let err = from_slice::<f32>(&to_vec(&1e300f64).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .contains("value for \"float32\" out of range"),
        "{err}"
    );
    assert!(
        from_slice::<f32>(&to_vec(&f64::INFINITY).unwrap())
            .unwrap()
            .is_infinite()
    );
    // Kinds do not mix.
    let err = from_slice::<String>(&big).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gob: decoding into local type string, received remote type int"
    );
    let err = from_slice::<f64>(&big).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gob: decoding into local type float64, received remote type int"
    );
}

#[test]
fn recursive_types_get_one_recursive_definition() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Node {
        val: i64,
        next: Option<Box<Node>>,
    }
    fn list(n: i64) -> Node {
        (1..n)
            .rev()
            .fold(Node { val: n, next: None }, |next, val| Node {
                val,
                next: Some(Box::new(next)),
            })
    }
    let short = round_trip(&list(2));
    let long = round_trip(&list(50));
    // One struct definition however deep.
    assert_eq!(message_ids(&short), [-65, 65]);
    assert_eq!(message_ids(&long), [-65, 65]);

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    #[serde(rename_all = "PascalCase")]
    struct Tree {
        name: String,
        kids: Vec<Tree>,
    }
    let leaf = |name: &str| Tree {
        name: name.into(),
        kids: vec![],
    };
    let tree = Tree {
        name: "root".into(),
        kids: vec![
            leaf("a"),
            Tree {
                name: "b".into(),
                kids: vec![leaf("c"), leaf("d")],
            },
        ],
    };
    round_trip(&tree);
    round_trip(&vec![tree.clone(), leaf("e")]);
    let value: serde_json::Value = from_slice(&to_vec(&tree).unwrap()).unwrap();
    assert_eq!(
        value,
        json!({"Name": "root", "Kids": [{"Name": "a"}, {"Name": "b", "Kids": [{"Name": "c"}, {"Name": "d"}]}]})
    );
}

#[test]
fn generic_structs_with_different_arguments_get_one_type_each() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Wrapper<T> {
        data: T,
    }
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Both {
        number: Wrapper<i32>,
        text: Wrapper<String>,
        nested: Wrapper<Wrapper<u8>>,
    }
    round_trip(&Both {
        number: Wrapper { data: 1 },
        text: Wrapper { data: "x".into() },
        nested: Wrapper {
            data: Wrapper { data: 2 },
        },
    });
}

#[test]
fn struct_types_merge_fields_of_elements() {
    // Elements that left out different fields (skip_serializing_if) share one type; fields
    // are sent in the type's order even when an element serializes them in another.
    #[derive(Serialize, Deserialize, Debug, PartialEq, Default)]
    #[serde(rename_all = "PascalCase", default)]
    struct Sparse {
        #[serde(skip_serializing_if = "Option::is_none")]
        a: Option<i32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<String>,
        c: u8,
    }
    let items = vec![
        Sparse {
            a: Some(1),
            b: None,
            c: 1,
        },
        Sparse {
            a: None,
            b: Some("b".into()),
            c: 2,
        },
        Sparse {
            a: Some(3),
            b: Some("x".into()),
            c: 3,
        },
    ];
    round_trip(&items);
}

#[test]
fn unknown_element_types_fall_back_to_string() {
    // An empty top-level sequence shows no element type: []string on the wire (and named so).
    let bytes = to_vec(&Vec::<i32>::new()).unwrap();
    assert_eq!(
        bytes,
        [
            &[0x16, 0xff, 0x81, 0x02, 0x01, 0x01, 0x08][..],
            b"[]string",
            &[0x01, 0xff, 0x82, 0x00, 0x01, 0x0c, 0x00, 0x00],
            &[0x04, 0xff, 0x82, 0x00, 0x00],
        ]
        .concat()
    );
    assert_eq!(from_slice::<Vec<i32>>(&bytes).unwrap(), Vec::<i32>::new());
    let value: serde_json::Value = from_slice(&bytes).unwrap();
    assert_eq!(value, json!([]));
    // Fields that are empty or None everywhere are left out of the struct's type.
    #[derive(Serialize, Deserialize, Debug, PartialEq, Default)]
    #[serde(rename_all = "PascalCase")]
    struct Holder {
        list: Vec<u8>,
        map: HashMap<String, i32>,
        maybe: Option<Vec<Inner>>,
        n: i32,
    }
    let bytes = round_trip(&Holder::default());
    let value: serde_json::Value = from_slice(&bytes).unwrap();
    assert_eq!(value, json!({}));
    round_trip(&Holder {
        list: vec![1],
        map: [("k".to_string(), 1)].into(),
        maybe: Some(vec![Inner::default()]),
        n: 1,
    });
}

#[test]
fn values_go_cannot_send_are_errors() {
    #[derive(Serialize)]
    enum E {
        A,
        B(i32),
    }
    assert!(
        to_vec(&E::A)
            .unwrap_err()
            .to_string()
            .contains("enums are not supported (E::A)")
    );
    // A newtype variant is an interface value: the concrete type registered as "B".
    let wire = to_vec(&vec![E::B(1)]).unwrap();
    assert_eq!(from_slice::<serde_json::Value>(&wire).unwrap(), json!([1]));
    let err = to_vec(&(1i32, "two")).unwrap_err();
    assert!(
        err.to_string()
            .contains("tuple elements of different types (int and string)"),
        "{err}"
    );
    let err = to_vec(&None::<i32>).unwrap_err();
    assert!(err.to_string().contains("cannot encode None"), "{err}");
    let err = to_vec(&vec![Some(1), None]).unwrap_err();
    assert!(err.to_string().contains("as an element"), "{err}");
    let err = to_vec(&json!([1, "a"])).unwrap_err();
    assert!(
        err.to_string()
            .contains("sequence elements of different types"),
        "{err}"
    );
    // Nothing is left behind in the stream by a failed encode.
    let mut encoder = Encoder::new(&Limits::default());
    let mut wire = BytesMut::new();
    assert!(
        encoder
            .encode(&vec![Some(Inner::default()), None], &mut wire)
            .is_err()
    );
    assert!(wire.is_empty());
    encoder.encode(&vec![Inner::default()], &mut wire).unwrap();
    assert_eq!(
        Decoder::new(&Limits::default())
            .decode_value::<Vec<Inner>>(&mut wire)
            .unwrap(),
        Some(vec![Inner::default()])
    );
}

#[test]
fn enums_do_not_decode() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    enum E {
        A,
    }
    let err = from_slice::<E>(&to_vec("A").unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gob: local interface type E can only be decoded from remote interface type; received concrete type string"
    );
}

#[test]
fn decoding_into_other_shapes() {
    // []byte into Vec<u8>, [u8; N] and a JSON array.
    let bytes = to_vec(&vec![1u8, 2, 3]).unwrap();
    assert_eq!(from_slice::<[u8; 3]>(&bytes).unwrap(), [1, 2, 3]);
    let err = from_slice::<[u8; 2]>(&bytes).unwrap_err();
    assert_eq!(err.to_string(), "gob: expected 2 elements, received 3");
    assert_eq!(
        from_slice::<serde_json::Value>(&bytes).unwrap(),
        json!([1, 2, 3])
    );
    // A struct into a map, a map with number keys into JSON (keys as text).
    let numbers = to_vec(&BTreeMap::from([(1i32, "a"), (-2, "b")])).unwrap();
    assert_eq!(
        from_slice::<serde_json::Value>(&numbers).unwrap(),
        json!({"1": "a", "-2": "b"})
    );
    assert_eq!(
        from_slice::<HashMap<String, String>>(&numbers)
            .unwrap()
            .len(),
        2
    );
    // A string into a char, an int into a char.
    assert_eq!(from_slice::<char>(&to_vec("é").unwrap()).unwrap(), 'é');
    assert_eq!(
        from_slice::<char>(&to_vec(&0x1F980u32).unwrap()).unwrap(),
        '🦀'
    );
    assert!(from_slice::<char>(&to_vec(&0xD800u32).unwrap()).is_err());
    // Anything into () and IgnoredAny.
    from_slice::<()>(&to_vec(&everything()).unwrap()).unwrap();
    from_slice::<serde::de::IgnoredAny>(&to_vec(&everything()).unwrap()).unwrap();
    // A Go string that is not UTF-8: bytes, not a String.
    let latin1 = [0x05, 0x0c, 0x00, 0x02, 0xe9, 0x74];
    assert_eq!(from_slice::<Vec<u8>>(&latin1).unwrap(), [0xe9, 0x74]);
    assert_eq!(
        from_slice::<String>(&latin1).unwrap_err().to_string(),
        "gob: string is not valid UTF-8 (decode it into rpc_gotypes::ByteString to keep its bytes)"
    );
    // A slice of the wrong length into an array.
    let err = from_slice::<[String; 2]>(&to_vec(&vec!["a".to_string()]).unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "gob: expected 2 elements, received 1");
}

#[test]
fn everything_decodes_into_json() {
    let value: serde_json::Value = from_slice(&to_vec(&everything()).unwrap()).unwrap();
    assert_eq!(
        value,
        json!({
            "Flag": true, "Small": -128, "Big": i64::MIN, "Unsigned": 65535, "Huge": u64::MAX,
            "Float": -0.25, "Double": 1e300, "Letter": 0x1F980, "Text": "Grüße, 世界",
            "Bytes": [0, 255, 7], "List": ["a", ""], "Nested": [[1, -2], [], [3]],
            "Pair": ["k", "v"], "Bytes4": [1, 2, 3, 200], "Map": {"x": {"A": 1, "B": "one"}},
            "ByNumber": {"-1": true, "2": false}, "Inner": {"A": -5}, "Maybe": {}, "Unit": {},
            "TupleStruct": [1.5, -2.5], "Newtype": 9
        })
    );
}

#[test]
fn nesting_is_bounded_both_ways() {
    let ok = limits(1 << 20, 16);
    let mut encoder = Encoder::new(&ok);
    let mut wire = BytesMut::new();
    encoder
        .encode(&vec![vec![vec![0u8; 1]; 1]; 1], &mut wire)
        .unwrap();
    let err = Encoder::new(&limits(1 << 20, 2))
        .encode(&vec![vec![vec![1i32]]], &mut BytesMut::new())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "encoding failed: gob: nesting deeper than 2 levels"
    );
    // Decoding: a stream written with a generous limit, read with a small one.
    let deep = vec![vec![vec![vec![1i32]]]];
    let mut wire = BytesMut::new();
    Encoder::new(&Limits::default())
        .encode(&deep, &mut wire)
        .unwrap();
    let mut decoder = Decoder::new(&limits(1 << 20, 3));
    let err = decoder
        .decode_value::<serde_json::Value>(&mut wire.clone())
        .unwrap_err();
    assert_eq!(err.to_string(), "gob: nesting deeper than 3 levels");
    assert!(!err.is_fatal());
    let mut decoder = Decoder::new(&limits(1 << 20, 4));
    assert_eq!(
        decoder
            .decode_value::<Vec<Vec<Vec<Vec<i32>>>>>(&mut wire)
            .unwrap(),
        Some(deep)
    );
    // Skipping an unknown field is bounded too.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Outer {
        a: i64,
        deep: Vec<Vec<Vec<Vec<i32>>>>,
    }
    let bytes = to_vec(&Outer {
        a: 1,
        deep: vec![vec![vec![vec![1]]]],
    })
    .unwrap();
    let mut decoder = Decoder::new(&limits(1 << 20, 3));
    let err = decoder
        .decode_value::<Inner>(&mut BytesMut::from(&bytes[..]))
        .unwrap_err();
    assert_eq!(err.to_string(), "gob: nesting deeper than 3 levels");
}

/// A hand-made stream: a recursive slice type `type T []T` and a value nesting it 100000 deep,
/// 2 bytes per level. Decoding stops at the depth limit instead of exhausting the stack
/// (Go's CVE-2022-30635).
#[test]
fn deep_recursive_value_is_rejected() {
    let mut definition = Vec::new();
    crate::gob::wire::put_int(&mut definition, -65);
    crate::gob::types::write_wire_type(
        &mut definition,
        65,
        &crate::gob::types::WireType::Slice {
            name: "T".into(),
            elem: 65,
        },
    );
    let mut value = Vec::new();
    crate::gob::wire::put_int(&mut value, 65);
    value.push(0); // singleton delta
    value.extend(std::iter::repeat_n(1, 100_000)); // one element, 100000 times...
    value.push(0); // ...and the innermost is empty
    let mut stream = Vec::new();
    for message in [&definition, &value] {
        crate::gob::wire::put_uint(&mut stream, message.len() as u64);
        stream.extend_from_slice(message);
    }
    let mut decoder = Decoder::new(&Limits::default());
    let mut wire = BytesMut::from(&stream[..]);
    for target in ["json", "ignored"] {
        let body = tokio_util::codec::Decoder::decode(&mut decoder, &mut wire.clone())
            .unwrap()
            .unwrap();
        let err = match target {
            "json" => body.decode::<serde_json::Value>().unwrap_err(),
            _ => body.decode::<serde::de::IgnoredAny>().unwrap_err(),
        };
        assert_eq!(err.to_string(), "gob: nesting deeper than 128 levels");
        decoder = Decoder::new(&Limits::default());
    }
    wire.clear();
}

#[test]
fn hostile_type_definitions() {
    fn stream(messages: &[&[u8]]) -> BytesMut {
        let mut out = Vec::new();
        for m in messages {
            crate::gob::wire::put_uint(&mut out, m.len() as u64);
            out.extend_from_slice(m);
        }
        BytesMut::from(&out[..])
    }
    let mut slice_of_66 = Vec::new();
    crate::gob::wire::put_int(&mut slice_of_66, -65);
    crate::gob::types::write_wire_type(
        &mut slice_of_66,
        65,
        &crate::gob::types::WireType::Slice {
            name: String::new(),
            elem: 66,
        },
    );
    // A value of a slice whose element type was never defined: an error when it is needed.
    let mut wire = stream(&[&slice_of_66, &[0xff, 0x82, 0x00, 0x01, 0x00]]);
    let err = Decoder::new(&Limits::default())
        .decode_value::<serde_json::Value>(&mut wire)
        .unwrap_err();
    assert_eq!(err.to_string(), "gob: unknown type id 66");
    // Redefining a type, defining a builtin id, a value of an unknown id: fatal.
    for (messages, expected) in [
        (
            vec![&slice_of_66[..], &slice_of_66[..]],
            "malformed message: gob: duplicate type received (id 65)",
        ),
        (
            vec![&[0x07, 0x03, 0x01, 0x00, 0x00, 0x00][..]],
            "malformed message: gob: type id 4 cannot be defined",
        ),
        (
            vec![&[0xff, 0x90, 0x00][..]],
            "malformed message: gob: value of unknown type id 72",
        ),
        (
            vec![&[0x0c, 0x00, 0x00][..], &[][..]],
            "malformed message: gob: empty message",
        ),
        (
            vec![&[0x00][..]],
            "malformed message: gob: value of unknown type id 0",
        ),
    ] {
        let mut wire = stream(&messages);
        let mut decoder = Decoder::new(&Limits::default());
        let mut err = None;
        for _ in 0..3 {
            match decoder.decode_value::<serde::de::IgnoredAny>(&mut wire) {
                Ok(_) => {}
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let err = err.expect("an error");
        assert_eq!(err.to_string(), expected);
        assert!(err.is_fatal());
    }
}

/// Streams Go wrote with interface values whose concrete types it defines inside the value:
///
/// ```go
/// type Inner struct { A int; B []string }
/// type Outer struct { Name string; Any interface{} }
/// type WithAny struct { Name string; Any interface{}; After int }
/// gob.Register(Inner{}); gob.Register(Outer{})
/// ```
mod go_interfaces {
    /// `WithAny{Name: "a", Any: Inner{A: 1, B: []string{"x"}}, After: 3}`, then
    /// `WithAny{Name: "b", Any: Inner{A: 2}, After: 4}`, then `Inner{A: 5}`, as Go writes them: the
    /// first value spans three messages (Go defines `Inner` and `[]string` in the middle of it).
    pub(super) const SPANNING: &[u8] = &[
        0x2f, 0x7f, 0x03, 0x01, 0x01, 0x07, 0x57, 0x69, 0x74, 0x68, 0x41, 0x6e, 0x79, 0x01, 0xff,
        0x80, 0x00, 0x01, 0x03, 0x01, 0x04, 0x4e, 0x61, 0x6d, 0x65, 0x01, 0x0c, 0x00, 0x01, 0x03,
        0x41, 0x6e, 0x79, 0x01, 0x10, 0x00, 0x01, 0x05, 0x41, 0x66, 0x74, 0x65, 0x72, 0x01, 0x04,
        0x00, 0x00, 0x00, 0x31, 0xff, 0x80, 0x01, 0x01, 0x61, 0x01, 0x0a, 0x6d, 0x61, 0x69, 0x6e,
        0x2e, 0x49, 0x6e, 0x6e, 0x65, 0x72, 0xff, 0x81, 0x03, 0x01, 0x01, 0x05, 0x49, 0x6e, 0x6e,
        0x65, 0x72, 0x01, 0xff, 0x82, 0x00, 0x01, 0x02, 0x01, 0x01, 0x41, 0x01, 0x04, 0x00, 0x01,
        0x01, 0x42, 0x01, 0xff, 0x84, 0x00, 0x00, 0x00, 0x16, 0xff, 0x83, 0x02, 0x01, 0x01, 0x08,
        0x5b, 0x5d, 0x73, 0x74, 0x72, 0x69, 0x6e, 0x67, 0x01, 0xff, 0x84, 0x00, 0x01, 0x0c, 0x00,
        0x00, 0x0d, 0xff, 0x82, 0x07, 0x01, 0x02, 0x01, 0x01, 0x01, 0x78, 0x00, 0x01, 0x06, 0x00,
        0x1a, 0xff, 0x80, 0x01, 0x01, 0x62, 0x01, 0x0a, 0x6d, 0x61, 0x69, 0x6e, 0x2e, 0x49, 0x6e,
        0x6e, 0x65, 0x72, 0xff, 0x82, 0x03, 0x01, 0x04, 0x00, 0x01, 0x08, 0x00, 0x05, 0xff, 0x82,
        0x01, 0x0a, 0x00,
    ];
    /// `[]interface{}{Inner{A: 1}, nil, 5, Inner{A: 2, B: []string{"y"}}}` then `"next"`.
    pub(super) const ELEMENTS: &[u8] = &[
        0x0c, 0xff, 0x85, 0x02, 0x01, 0x02, 0xff, 0x86, 0x00, 0x01, 0x10, 0x00, 0x00, 0x2f, 0xff,
        0x86, 0x00, 0x04, 0x0a, 0x6d, 0x61, 0x69, 0x6e, 0x2e, 0x49, 0x6e, 0x6e, 0x65, 0x72, 0xff,
        0x81, 0x03, 0x01, 0x01, 0x05, 0x49, 0x6e, 0x6e, 0x65, 0x72, 0x01, 0xff, 0x82, 0x00, 0x01,
        0x02, 0x01, 0x01, 0x41, 0x01, 0x04, 0x00, 0x01, 0x01, 0x42, 0x01, 0xff, 0x84, 0x00, 0x00,
        0x00, 0x16, 0xff, 0x83, 0x02, 0x01, 0x01, 0x08, 0x5b, 0x5d, 0x73, 0x74, 0x72, 0x69, 0x6e,
        0x67, 0x01, 0xff, 0x84, 0x00, 0x01, 0x0c, 0x00, 0x00, 0x24, 0xff, 0x82, 0x03, 0x01, 0x02,
        0x00, 0x00, 0x03, 0x69, 0x6e, 0x74, 0x04, 0x02, 0x00, 0x0a, 0x0a, 0x6d, 0x61, 0x69, 0x6e,
        0x2e, 0x49, 0x6e, 0x6e, 0x65, 0x72, 0xff, 0x82, 0x07, 0x01, 0x04, 0x01, 0x01, 0x01, 0x79,
        0x00, 0x07, 0x0c, 0x00, 0x04, 0x6e, 0x65, 0x78, 0x74,
    ];
    /// `WithAny{Name: "n", Any: Outer{Name: "o", Any: Inner{A: 7, B: []string{"z"}}}, After: 9}` then
    /// `"next"`: definitions inside the concrete value of an interface value, in the middle of a
    /// message.
    pub(super) const NESTED: &[u8] = &[
        0x2f, 0x7f, 0x03, 0x01, 0x01, 0x07, 0x57, 0x69, 0x74, 0x68, 0x41, 0x6e, 0x79, 0x01, 0xff,
        0x80, 0x00, 0x01, 0x03, 0x01, 0x04, 0x4e, 0x61, 0x6d, 0x65, 0x01, 0x0c, 0x00, 0x01, 0x03,
        0x41, 0x6e, 0x79, 0x01, 0x10, 0x00, 0x01, 0x05, 0x41, 0x66, 0x74, 0x65, 0x72, 0x01, 0x04,
        0x00, 0x00, 0x00, 0x35, 0xff, 0x80, 0x01, 0x01, 0x6e, 0x01, 0x0a, 0x6d, 0x61, 0x69, 0x6e,
        0x2e, 0x4f, 0x75, 0x74, 0x65, 0x72, 0xff, 0x87, 0x03, 0x01, 0x01, 0x05, 0x4f, 0x75, 0x74,
        0x65, 0x72, 0x01, 0xff, 0x88, 0x00, 0x01, 0x02, 0x01, 0x04, 0x4e, 0x61, 0x6d, 0x65, 0x01,
        0x0c, 0x00, 0x01, 0x03, 0x41, 0x6e, 0x79, 0x01, 0x10, 0x00, 0x00, 0x00, 0x58, 0xff, 0x88,
        0x2f, 0x01, 0x01, 0x6f, 0x01, 0x0a, 0x6d, 0x61, 0x69, 0x6e, 0x2e, 0x49, 0x6e, 0x6e, 0x65,
        0x72, 0xff, 0x81, 0x03, 0x01, 0x01, 0x05, 0x49, 0x6e, 0x6e, 0x65, 0x72, 0x01, 0xff, 0x82,
        0x00, 0x01, 0x02, 0x01, 0x01, 0x41, 0x01, 0x04, 0x00, 0x01, 0x01, 0x42, 0x01, 0xff, 0x84,
        0x00, 0x00, 0x00, 0x16, 0xff, 0x83, 0x02, 0x01, 0x01, 0x08, 0x5b, 0x5d, 0x73, 0x74, 0x72,
        0x69, 0x6e, 0x67, 0x01, 0xff, 0x84, 0x00, 0x01, 0x0c, 0x00, 0x00, 0x0b, 0xff, 0x82, 0x07,
        0x01, 0x0e, 0x01, 0x01, 0x01, 0x7a, 0x00, 0x00, 0x01, 0x12, 0x00, 0x07, 0x0c, 0x00, 0x04,
        0x6e, 0x65, 0x78, 0x74,
    ];
}

fn with_any() -> Vec<u8> {
    // struct { Name string; Any interface{} } with Any = 42, as Go writes it (testdata has the
    // real thing; this is the minimal stream).
    let mut definition = Vec::new();
    crate::gob::wire::put_int(&mut definition, -65);
    crate::gob::types::write_wire_type(
        &mut definition,
        65,
        &crate::gob::types::WireType::Struct {
            name: "WithAny".into(),
            fields: vec![
                crate::gob::types::WireField {
                    name: "Name".into(),
                    id: crate::gob::types::STRING,
                },
                crate::gob::types::WireField {
                    name: "Any".into(),
                    id: crate::gob::types::INTERFACE,
                },
            ],
        },
    );
    definition
}

/// A stream of the `with_any` definition and then `value`.
fn with_any_stream(value: &[u8]) -> Vec<u8> {
    let mut stream = Vec::new();
    for message in [&with_any()[..], value] {
        crate::gob::wire::put_uint(&mut stream, message.len() as u64);
        stream.extend_from_slice(message);
    }
    stream
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct NameOnly {
    name: String,
}

#[test]
fn interface_values_are_skipped_or_decoded() {
    // Name "a", Any = int 42: name "int", type id 2, delimited value (singleton 0, then 84).
    let value = [
        0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x03, b'i', b'n', b't', 0x04, 0x02, 0x00, 0x54, 0x00,
    ];
    let stream = with_any_stream(&value);
    // Skipped as a field the Rust type does not have (Go's ignoreInterface).
    assert_eq!(
        from_slice::<NameOnly>(&stream).unwrap(),
        NameOnly { name: "a".into() }
    );
    // Decoded as its concrete value.
    assert_eq!(
        from_slice::<serde_json::Value>(&stream).unwrap(),
        json!({"Name": "a", "Any": 42})
    );
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Typed {
        any: Option<i32>,
    }
    assert_eq!(
        from_slice::<Typed>(&stream).unwrap(),
        Typed { any: Some(42) }
    );
    // A nil interface is fine (Go leaves it out of a struct, but an element can be nil).
    let nil = [0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x00, 0x00];
    let stream = with_any_stream(&nil);
    assert_eq!(
        from_slice::<serde_json::Value>(&stream).unwrap(),
        json!({"Name": "a", "Any": null})
    );
    assert_eq!(from_slice::<Typed>(&stream).unwrap(), Typed { any: None });
}

#[test]
fn interface_values_are_checked_against_the_bytes_left() {
    #[rustfmt::skip]
    let bad: [(&[u8], &str); 6] = [
        // The name is longer than the message.
        (&[0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x09, b'i', b'n', b't'],
            "gob: count 9 exceeds the 3 bytes left in the message"),
        // The byte count is larger than what is left.
        (&[0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x03, b'i', b'n', b't', 0x04, 0x09, 0x00, 0x54,
            0x00], "gob: count 9 exceeds the 3 bytes left in the message"),
        // The count is a huge number.
        (&[0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x03, b'i', b'n', b't', 0x04, 0xf8, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00],
            "gob: count 18446744073709551615 exceeds the 1 bytes left in the message"),
        // The message ends after the name.
        (&[0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x03, b'i', b'n', b't'],
            "gob: unexpected end of message"),
        // The message ends after the concrete type.
        (&[0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x03, b'i', b'n', b't', 0x04],
            "gob: unexpected end of message"),
        // A definition that is not one (the table is left as it was).
        (&[0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x03, b'i', b'n', b't', 0xff, 0x85, 0x07],
            "gob: unexpected type definition inside an interface value"),
    ];
    for (value, message) in bad {
        let stream = with_any_stream(value);
        for err in [
            from_slice::<NameOnly>(&stream).unwrap_err(),
            from_slice::<serde_json::Value>(&stream).unwrap_err(),
        ] {
            assert_eq!(err.to_string(), message, "{value:02x?}");
            assert!(!err.is_fatal(), "{value:02x?}: {err}");
        }
    }
    // A concrete value shorter than its byte count: the rest is skipped; longer: an error.
    let value = [
        0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x03, b'i', b'n', b't', 0x04, 0x03, 0x00, 0x54, 0x01,
        0x00,
    ];
    assert_eq!(
        from_slice::<serde_json::Value>(&with_any_stream(&value)).unwrap(),
        json!({"Name": "a", "Any": 42})
    );
    let value = [
        0xff, 0x82, 0x01, 0x01, b'a', 0x01, 0x03, b'i', b'n', b't', 0x04, 0x01, 0x00, 0x54, 0x00,
    ];
    assert_eq!(
        from_slice::<serde_json::Value>(&with_any_stream(&value))
            .unwrap_err()
            .to_string(),
        "gob: unexpected end of message"
    );
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct NameAfter {
    name: String,
    after: i64,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct GoInner {
    a: i64,
    b: Vec<String>,
}

/// Decodes every value of `stream`, fed to the decoder `chunk` bytes at a time.
fn bodies_in_chunks(stream: &[u8], chunk: usize) -> Vec<rpc_proto::Body> {
    use tokio_util::codec::Decoder as _;
    let mut decoder = Decoder::new(&Limits::default());
    let mut buf = BytesMut::new();
    let mut bodies = Vec::new();
    for piece in stream.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(body) = decoder.decode(&mut buf).unwrap() {
            bodies.push(body);
        }
    }
    assert!(decoder.decode_eof(&mut buf).unwrap().is_none());
    bodies
}

#[test]
fn types_defined_inside_interface_values() {
    use go_interfaces::*;
    for chunk in [SPANNING.len(), 1, 7] {
        let bodies = bodies_in_chunks(SPANNING, chunk);
        assert_eq!(bodies.len(), 3, "in chunks of {chunk}");
        assert_eq!(
            bodies[0].decode::<serde_json::Value>().unwrap(),
            json!({"Name": "a", "Any": {"A": 1, "B": ["x"]}, "After": 3})
        );
        assert_eq!(
            bodies[0].decode::<NameAfter>().unwrap(),
            NameAfter {
                name: "a".into(),
                after: 3
            }
        );
        assert_eq!(
            bodies[1].decode::<serde_json::Value>().unwrap(),
            json!({"Name": "b", "Any": {"A": 2}, "After": 4})
        );
        // Inner was defined inside the first value, for the whole stream.
        assert_eq!(
            bodies[2].decode::<GoInner>().unwrap(),
            GoInner { a: 5, b: vec![] }
        );

        let bodies = bodies_in_chunks(ELEMENTS, chunk);
        assert_eq!(bodies.len(), 2, "in chunks of {chunk}");
        assert_eq!(
            bodies[0].decode::<Vec<serde_json::Value>>().unwrap(),
            [
                json!({"A": 1}),
                json!(null),
                json!(5),
                json!({"A": 2, "B": ["y"]})
            ]
        );
        assert_eq!(
            bodies[0]
                .decode::<Vec<Option<GoInner>>>()
                .unwrap_err()
                .to_string(),
            "gob: decoding into local type GoInner, received remote type int"
        );
        assert_eq!(bodies[1].decode::<String>().unwrap(), "next");

        let bodies = bodies_in_chunks(NESTED, chunk);
        assert_eq!(bodies.len(), 2, "in chunks of {chunk}");
        assert_eq!(
            bodies[0].decode::<serde_json::Value>().unwrap(),
            json!({"Name": "n", "Any": {"Name": "o", "Any": {"A": 7, "B": ["z"]}}, "After": 9})
        );
        assert_eq!(
            bodies[0].decode::<NameAfter>().unwrap(),
            NameAfter {
                name: "n".into(),
                after: 9
            }
        );
        assert_eq!(bodies[1].decode::<String>().unwrap(), "next");
    }
}

/// Deterministic pseudo-random mutations of Go's streams with types inside interface values:
/// every outcome is fine except a panic.
#[test]
fn mutated_interface_streams_never_panic() {
    use tokio_util::codec::Decoder as _;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let streams = [
        go_interfaces::SPANNING,
        go_interfaces::ELEMENTS,
        go_interfaces::NESTED,
    ];
    for round in 0..3000 {
        let mut input = streams[round % 3].to_vec();
        for _ in 0..(next() % 3 + 1) {
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
        let mut decoder = Decoder::new(&limits(1 << 12, 16));
        let mut buf = BytesMut::new();
        for piece in input.chunks(1 + round % 11) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(body)) => {
                        let _ = body.decode::<serde_json::Value>();
                        let _ = body.decode::<NameAfter>();
                        let _ = body.decode::<Vec<Option<String>>>();
                    }
                    Ok(None) => break,
                    Err(_) => break,
                }
            }
        }
    }
}

#[test]
fn values_with_types_inside_are_bounded() {
    use go_interfaces::SPANNING;
    use tokio_util::codec::Decoder as _;
    // The first value's three messages take 49 + 23 + 14 bytes with their lengths, after the
    // 48 of WithAny's definition.
    let first = 48 + 50 + 23 + 14;
    let mut decoder = Decoder::new(&limits(first, 8));
    let mut buf = BytesMut::from(SPANNING);
    assert!(decoder.decode(&mut buf).unwrap().is_some());
    let mut decoder = Decoder::new(&limits(first - 1, 8));
    let mut buf = BytesMut::from(SPANNING);
    let err = decoder.decode(&mut buf).unwrap_err();
    assert!(
        matches!(err, CodecError::FrameTooLarge { .. }) && err.is_fatal(),
        "{err}"
    );
    // Nesting: the interface value is a level, also when finding where the value ends.
    let mut decoder = Decoder::new(&limits(1 << 16, 4));
    let body = decoder.decode(&mut BytesMut::from(SPANNING)).unwrap();
    assert!(body.unwrap().decode::<serde_json::Value>().is_ok());
    let mut decoder = Decoder::new(&limits(1 << 16, 3));
    let err = decoder.decode(&mut BytesMut::from(SPANNING)).unwrap_err();
    assert!(
        matches!(&err, CodecError::Malformed(m) if m == "gob: nesting deeper than 3 levels"),
        "{err}"
    );
    // A stream that ends inside the value.
    for cut in [60, 100, 110, 130] {
        let mut decoder = Decoder::new(&Limits::default());
        let mut buf = BytesMut::from(&SPANNING[..cut]);
        assert!(decoder.decode(&mut buf).unwrap().is_none(), "cut at {cut}");
        let err = decoder.decode_eof(&mut buf).unwrap_err();
        assert!(matches!(err, CodecError::UnexpectedEof(_)), "{err}");
    }
    // A definition message that is not one, after a value's first message.
    let mut broken = SPANNING.to_vec();
    broken[100] = 0x09; // in the definition of []string
    let mut decoder = Decoder::new(&Limits::default());
    let err = decoder
        .decode(&mut BytesMut::from(&broken[..]))
        .unwrap_err();
    assert!(err.is_fatal(), "{err}");
}

#[test]
fn limits_on_message_size() {
    let value = "x".repeat(100);
    let bytes = to_vec(&value).unwrap();
    let exact = bytes.len();
    // Encoding: exactly the limit is fine, one byte less is refused.
    let mut wire = BytesMut::new();
    Encoder::new(&limits(exact, 8))
        .encode(&value, &mut wire)
        .unwrap();
    let err = Encoder::new(&limits(exact - 1, 8))
        .encode(&value, &mut BytesMut::new())
        .unwrap_err();
    assert!(err.to_string().contains("exceeds the limit"), "{err}");
    // Decoding: the same.
    let mut decoder = Decoder::new(&limits(exact, 8));
    assert_eq!(
        decoder.decode_value::<String>(&mut wire).unwrap(),
        Some(value.clone())
    );
    let mut decoder = Decoder::new(&limits(exact - 1, 8));
    let err = decoder
        .decode_value::<String>(&mut BytesMut::from(&bytes[..]))
        .unwrap_err();
    assert!(
        matches!(err, CodecError::FrameTooLarge { len, max } if len == exact && max == exact - 1),
        "{err:?}"
    );
}

#[test]
fn huge_lengths_are_rejected_without_allocating() {
    // A message length of 2^32 - 1, then of 2^64 - 1.
    for prefix in [
        &[0xfc, 0xff, 0xff, 0xff, 0xff][..],
        &[0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ] {
        let mut wire = BytesMut::with_capacity(64);
        wire.extend_from_slice(prefix);
        let err = Decoder::new(&Limits::default())
            .decode_value::<String>(&mut wire)
            .unwrap_err();
        assert!(
            matches!(err, CodecError::FrameTooLarge { max, .. } if max == 16 << 20),
            "{err:?}"
        );
        assert!(wire.capacity() <= 64, "{}", wire.capacity());
    }
    // A string claiming 2^32 - 1 bytes inside a small message.
    let message = [0x0c, 0x00, 0xfc, 0xff, 0xff, 0xff, 0xff, b'a'];
    let mut stream = vec![message.len() as u8];
    stream.extend_from_slice(&message);
    let err = from_slice::<String>(&stream).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gob: count 4294967295 exceeds the 1 bytes left in the message"
    );
    // A slice claiming 2^60 elements.
    let message = [0x0c, 0x00, 0xf8, 0x10, 0, 0, 0, 0, 0, 0, 0];
    let mut stream = vec![message.len() as u8];
    stream.extend_from_slice(&message);
    assert!(from_slice::<Vec<String>>(&stream).is_err());
}

#[test]
fn a_body_decodes_against_the_types_it_came_with() {
    // Types defined after a body was framed do not disturb it, and the table is shared
    // (copied only when changed while a body holds it).
    let mut wire = BytesMut::new();
    let mut encoder = Encoder::new(&Limits::default());
    encoder
        .encode(
            &Inner {
                a: 1,
                b: "x".into(),
            },
            &mut wire,
        )
        .unwrap();
    encoder.encode(&everything(), &mut wire).unwrap();
    let mut decoder = Decoder::new(&Limits::default());
    let first = tokio_util::codec::Decoder::decode(&mut decoder, &mut wire)
        .unwrap()
        .unwrap();
    let second = tokio_util::codec::Decoder::decode(&mut decoder, &mut wire)
        .unwrap()
        .unwrap();
    assert_eq!(first.decode::<Inner>().unwrap().a, 1);
    assert_eq!(second.decode::<Everything>().unwrap(), everything());
}
