//! The serde <-> protobuf mapping: round trips of every mapped type, bytes computed by hand
//! from the protobuf encoding guide, protobuf's decoding rules, and what is not mapped.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::super::{from_slice, to_vec};
use super::test_util::Args;

fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    to_vec(value).unwrap()
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    from_slice(bytes, 64).map_err(|e| e.to_string())
}

#[track_caller]
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) {
    let bytes = encode(&value);
    assert_eq!(decode::<T>(&bytes).unwrap(), value, "{bytes:02x?}");
}

#[track_caller]
fn exact<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T, bytes: &[u8]) {
    assert_eq!(encode(&value), bytes, "{value:?}");
    assert_eq!(decode::<T>(bytes).unwrap(), value);
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
#[serde(rename_all = "PascalCase", default)]
struct WatchFromArgs {
    revision: u64,
    prefix: String,
    timeout_seconds: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(rename_all = "PascalCase")]
struct Change {
    revision: u64,
    key: String,
    value: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(rename_all = "PascalCase")]
struct WatchFromReply {
    revision: u64,
    changes: Vec<Change>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
enum Color {
    Red,
    Green,
    Blue,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Empty {}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Unit;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Pair(String, i64);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Id(u64);

/// Serialized with `serialize_bytes`, as `serde_bytes::ByteBuf` is.
#[derive(Debug, PartialEq, Clone)]
struct Raw(Vec<u8>);

impl Serialize for Raw {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw, E> {
                Ok(Raw(v.to_vec()))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

/// Every mapped type at once.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Everything {
    flag: bool,
    small: i8,
    medium: i32,
    large: i64,
    byte: u8,
    unsigned: u32,
    wide: u64,
    huge: u128,
    float: f32,
    double: f64,
    letter: char,
    text: String,
    bytes: Vec<u8>,
    raw: Raw,
    color: Color,
    colors: Vec<Color>,
    maybe: Option<i64>,
    maybe_text: Option<String>,
    maybe_struct: Option<Change>,
    numbers: Vec<i64>,
    floats: Vec<f64>,
    words: Vec<String>,
    kv: [String; 2],
    nested: Change,
    changes: Vec<Change>,
    map: HashMap<String, i64>,
    ordered: BTreeMap<u32, Vec<String>>,
    matrix: Vec<Vec<i32>>,
    holes: Vec<Option<String>>,
    twice: Option<Option<u8>>,
    list: Option<Vec<u16>>,
    raws: Vec<Raw>,
    unit: (),
    empty: Empty,
    unit_struct: Unit,
    pair: Pair,
    id: Id,
    tuple: (u8, String, f64),
}

fn everything() -> Everything {
    Everything {
        flag: true,
        small: -8,
        medium: i32::MIN,
        large: i64::MAX,
        byte: 200,
        unsigned: u32::MAX,
        wide: u64::MAX,
        huge: u128::from(u64::MAX),
        float: -1.5,
        double: 1e300,
        letter: '🦀',
        text: "Grüße, 世界".into(),
        bytes: vec![0, 1, 127, 128, 255],
        raw: Raw(vec![9, 8, 7]),
        color: Color::Blue,
        colors: vec![Color::Green, Color::Red, Color::Blue],
        maybe: Some(0),
        maybe_text: Some(String::new()),
        maybe_struct: Some(Change {
            revision: 0,
            key: String::new(),
            value: String::new(),
        }),
        numbers: vec![0, -1, 1, i64::MIN, 300],
        floats: vec![0.5, -0.0, f64::INFINITY],
        words: vec!["a".into(), String::new(), "ccc".into()],
        kv: ["key".into(), String::new()],
        nested: Change {
            revision: 3,
            key: "k".into(),
            value: "v".repeat(300),
        },
        changes: vec![
            Change {
                revision: 1,
                key: "a".into(),
                value: "1".into(),
            },
            Change {
                revision: 2,
                key: String::new(),
                value: String::new(),
            },
        ],
        map: HashMap::from([("one".into(), 1), ("zero".into(), 0), (String::new(), -1)]),
        ordered: BTreeMap::from([(0, vec![]), (7, vec!["x".into(), String::new()])]),
        matrix: vec![vec![1, 2], vec![], vec![-3]],
        holes: vec![Some("a".into()), None, Some(String::new())],
        twice: Some(None),
        list: Some(vec![]),
        raws: vec![Raw(vec![]), Raw(vec![1, 2])],
        unit: (),
        empty: Empty {},
        unit_struct: Unit,
        pair: Pair("p".into(), -2),
        id: Id(42),
        tuple: (255, "t".into(), 0.25),
    }
}

#[test]
fn round_trips_of_every_mapped_type() {
    round_trip(everything());
    round_trip(Args::sample());
    round_trip(WatchFromArgs {
        revision: 9,
        prefix: "app/".into(),
        timeout_seconds: 30,
    });
    round_trip(WatchFromReply {
        revision: 12,
        changes: vec![Change {
            revision: 12,
            key: "k".into(),
            value: "v".into(),
        }],
    });
    round_trip("hello".to_string());
    round_trip(String::new());
    round_trip(["a".to_string(), "b".to_string()]);
    round_trip([String::new(), String::new()]);
    round_trip(i64::MIN);
    round_trip(i64::MAX);
    round_trip(u64::MAX);
    round_trip(i128::from(i64::MIN));
    round_trip(-1i8);
    round_trip(255u8);
    round_trip(true);
    round_trip('x');
    round_trip(f32::MIN_POSITIVE);
    round_trip((-0.0f64).to_bits());
    round_trip(());
    round_trip(Empty {});
    round_trip(Unit);
    round_trip(Some(0u8));
    round_trip(None::<u8>);
    round_trip(Some(Some(1u8)));
    round_trip(Some(None::<u8>));
    round_trip(None::<Option<u8>>);
    round_trip(vec![Some(1u64), None, Some(0)]);
    round_trip(vec![vec![vec![1u8, 2], vec![]], vec![]]);
    round_trip(Color::Red);
    round_trip(Color::Green);
    round_trip(vec![Color::Red; 3]);
    round_trip(HashMap::from([(1u8, Color::Blue), (0, Color::Red)]));
    round_trip(HashMap::from([(
        "k".to_string(),
        HashMap::from([(true, vec![Some(1.5f32)])]),
    )]));
    round_trip((1u8, "two".to_string(), 3.0f64, vec![4i64], ()));
    round_trip(Pair(String::new(), 0));
    round_trip(Id(0));
    round_trip(Raw(vec![0; 1000]));
    round_trip(vec![0u8; 1000]);
    round_trip(vec![i64::MIN; 1000]);
    round_trip("x".repeat(1 << 20));
}

#[test]
fn floats_keep_their_bits() {
    for value in [0.0f64, -0.0, f64::NAN, f64::MIN, f64::EPSILON] {
        let back: f64 = decode(&encode(&value)).unwrap();
        assert_eq!(back.to_bits(), value.to_bits());
        let back: Vec<f64> = decode(&encode(&vec![value])).unwrap();
        assert_eq!(back[0].to_bits(), value.to_bits());
    }
}

#[test]
fn bytes_by_hand() {
    // A string argument: StringValue { value = "hi" }.
    exact("hi".to_string(), b"\x0a\x02hi");
    // Zero values are not written, as proto3 does: an empty message.
    exact(String::new(), b"");
    exact(0i64, b"");
    exact(false, b"");
    exact(0.0f64, b"");
    // -0.0 is not +0.0: written.
    assert_eq!(encode(&-0.0f64), b"\x09\x00\x00\x00\x00\x00\x00\x00\x80");
    exact(150u32, b"\x08\x96\x01");
    exact(-1i64, b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
    exact(-2i32, b"\x08\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01");
    exact(true, b"\x08\x01");
    exact(1.0f64, b"\x09\x00\x00\x00\x00\x00\x00\xf0\x3f");
    exact(1.0f32, b"\x0d\x00\x00\x80\x3f");
    exact('A', b"\x08\x41");
    exact(Color::Green, b"\x08\x01");
    exact(Color::Red, b"");
    // KVStoreService.Set's [2]string: repeated string, every element written.
    exact(["k".to_string(), "v".to_string()], b"\x0a\x01k\x0a\x01v");
    exact([String::new(), String::new()], b"\x0a\x00\x0a\x00");
    // Numbers are packed.
    exact(vec![1i64, 2, 300], b"\x0a\x04\x01\x02\xac\x02");
    exact(
        vec![1.0f32, -2.0],
        b"\x0a\x08\x00\x00\x80\x3f\x00\x00\x00\xc0",
    );
    exact(vec![true, false], b"\x0a\x02\x01\x00");
    exact(Vec::<i64>::new(), b"");
    // Vec<u8> is bytes.
    exact(vec![1u8, 200], b"\x0a\x02\x01\xc8");
    exact(Raw(vec![1, 200]), b"\x0a\x02\x01\xc8");
    exact(vec![Raw(vec![1]), Raw(vec![])], b"\x0a\x01\x01\x0a\x00");
    // Option: presence, and Some(zero) is written.
    exact(Some(0i64), b"\x08\x00");
    exact(None::<i64>, b"");
    exact(Some(String::new()), b"\x0a\x00");
    // A struct is the message itself; field numbers follow declaration order.
    exact(
        WatchFromArgs {
            revision: 1,
            prefix: "p".into(),
            timeout_seconds: 5,
        },
        b"\x08\x01\x12\x01p\x18\x05",
    );
    exact(
        WatchFromArgs {
            revision: 0,
            prefix: String::new(),
            timeout_seconds: -1,
        },
        b"\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
    );
    exact(WatchFromArgs::default(), b"");
    exact(
        WatchFromReply {
            revision: 2,
            changes: vec![
                Change {
                    revision: 1,
                    key: "a".into(),
                    value: "b".into(),
                },
                Change {
                    revision: 2,
                    key: String::new(),
                    value: String::new(),
                },
            ],
        },
        b"\x08\x02\x12\x08\x08\x01\x12\x01a\x1a\x01b\x12\x02\x08\x02",
    );
    // Maps: entries { key = 1; value = 2; }, both always written.
    exact(
        BTreeMap::from([("a".to_string(), 1i64), (String::new(), 0)]),
        b"\x0a\x04\x0a\x00\x10\x00\x0a\x05\x0a\x01a\x10\x01",
    );
    // Wrappers: a sequence in a sequence, an option in a sequence.
    exact(vec![vec![1i64], vec![]], b"\x0a\x03\x0a\x01\x01\x0a\x00");
    exact(vec![Some(0u32), None], b"\x0a\x02\x08\x00\x0a\x00");
    exact(Some(None::<u32>), b"\x0a\x00");
    exact(Some(Vec::<u32>::new()), b"\x0a\x00");
    exact(Some(vec![7u32]), b"\x0a\x03\x0a\x01\x07");
    exact(
        BTreeMap::from([(1u32, vec!["x".to_string()])]),
        b"\x0a\x07\x08\x01\x12\x03\x0a\x01x",
    );
    // Unit and empty structs are empty messages, written as fields.
    exact((), b"");
    exact(Empty {}, b"");
    exact(vec![(), ()], b"\x0a\x00\x0a\x00");
    exact(Pair("a".into(), 3), b"\x0a\x01a\x10\x03");
    exact(Id(3), b"\x08\x03");
    // A heterogeneous tuple: one repeated field, numbers packed between the others.
    exact(
        (1u32, "s".to_string(), 2u32),
        b"\x0a\x01\x01\x0a\x01s\x0a\x01\x02",
    );
}

#[test]
fn long_embedded_messages_get_longer_lengths() {
    let value = Change {
        revision: 1,
        key: "k".repeat(200),
        value: String::new(),
    };
    let bytes = encode(&vec![value.clone()]);
    // field 1, length 205 (0xcd 0x01), then revision, then key of length 200 (0xc8 0x01).
    assert_eq!(&bytes[..7], b"\x0a\xcd\x01\x08\x01\x12\xc8");
    assert_eq!(bytes.len(), 3 + 205);
    assert_eq!(decode::<Vec<Change>>(&bytes).unwrap(), vec![value]);

    let deep = vec![vec![vec!["y".repeat(20_000)]]];
    let bytes = encode(&deep);
    assert_eq!(decode::<Vec<Vec<Vec<String>>>>(&bytes).unwrap(), deep);
}

#[test]
fn protobuf_decoding_rules() {
    // Unpacked repeated numbers, and packed and unpacked mixed.
    assert_eq!(
        decode::<Vec<i64>>(b"\x08\x01\x08\x02\x0a\x02\x03\x04\x08\x05").unwrap(),
        [1, 2, 3, 4, 5]
    );
    // An empty packed run holds nothing, wherever it is.
    assert_eq!(decode::<Vec<i64>>(b"\x0a\x00").unwrap(), Vec::<i64>::new());
    assert_eq!(
        decode::<Vec<i64>>(b"\x0a\x00\x0a\x01\x07\x0a\x00").unwrap(),
        [7]
    );
    // ... but an empty string is an element.
    assert_eq!(decode::<Vec<String>>(b"\x0a\x00").unwrap(), [""]);
    // Unknown fields of every wire type are skipped.
    let with_unknown =
        b"\x08\x01\x25\x01\x02\x03\x04\x12\x01p\x21\x01\x02\x03\x04\x05\x06\x07\x08\x2a\x00\x18\x05\x30\x01";
    assert_eq!(
        decode::<WatchFromArgs>(with_unknown).unwrap(),
        WatchFromArgs {
            revision: 1,
            prefix: "p".into(),
            timeout_seconds: 5,
        }
    );
    // Missing fields are zero; the last occurrence of a scalar wins.
    assert_eq!(
        decode::<WatchFromArgs>(b"\x18\x01\x18\x02").unwrap(),
        WatchFromArgs {
            timeout_seconds: 2,
            ..WatchFromArgs::default()
        }
    );
    assert_eq!(decode::<Everything>(b"").unwrap(), zero_everything());
    // An embedded message that occurs twice is merged.
    assert_eq!(
        decode::<WatchFromReply>(b"\x12\x02\x08\x01\x12\x03\x12\x01k").unwrap(),
        WatchFromReply {
            revision: 0,
            changes: vec![
                Change {
                    revision: 1,
                    key: String::new(),
                    value: String::new(),
                },
                Change {
                    revision: 0,
                    key: "k".into(),
                    value: String::new(),
                },
            ],
        }
    );
    assert_eq!(
        decode::<Option<Change>>(b"\x0a\x02\x08\x01\x0a\x03\x12\x01k").unwrap(),
        Some(Change {
            revision: 1,
            key: "k".into(),
            value: String::new(),
        })
    );
    // Fixed-width integers are accepted.
    assert_eq!(
        decode::<i64>(b"\x09\xff\xff\xff\xff\xff\xff\xff\xff").unwrap(),
        -1
    );
    assert_eq!(decode::<i32>(b"\x0d\xfe\xff\xff\xff").unwrap(), -2);
    assert_eq!(decode::<u32>(b"\x0d\xfe\xff\xff\xff").unwrap(), 0xffff_fffe);
    // A float as double and back.
    assert_eq!(decode::<f64>(b"\x0d\x00\x00\x80\x3f").unwrap(), 1.0);
    assert_eq!(
        decode::<f32>(b"\x09\x00\x00\x00\x00\x00\x00\xf0\x3f").unwrap(),
        1.0
    );
    // Any non-zero varint is true.
    assert!(decode::<bool>(b"\x08\x02").unwrap());
    // An absent enum is variant 0; an absent array is zeros.
    assert_eq!(decode::<Color>(b"").unwrap(), Color::Red);
    assert_eq!(
        decode::<[String; 2]>(b"").unwrap(),
        [String::new(), String::new()]
    );
    assert_eq!(decode::<[u8; 3]>(b"").unwrap(), [0, 0, 0]);
    // Non-minimal varints.
    assert_eq!(decode::<u64>(b"\x08\x81\x80\x00").unwrap(), 1);
}

#[test]
fn missing_fields_are_zero_values() {
    let zero: Everything = decode(&encode(&Everything {
        tuple: (0, String::new(), 0.0),
        ..zero_everything()
    }))
    .unwrap();
    assert_eq!(zero, zero_everything());
    // A struct that grew a field reads an old message.
    #[derive(Serialize)]
    struct Old {
        a: u32,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct New {
        a: u32,
        b: String,
        c: Vec<Color>,
        d: Option<Change>,
        e: Change,
        f: Color,
    }
    assert_eq!(
        decode::<New>(&encode(&Old { a: 5 })).unwrap(),
        New {
            a: 5,
            b: String::new(),
            c: vec![],
            d: None,
            e: Change {
                revision: 0,
                key: String::new(),
                value: String::new(),
            },
            f: Color::Red,
        }
    );
    // And the old struct reads the new one, skipping what it does not know.
    #[derive(Serialize)]
    struct Newer {
        a: u32,
        b: String,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Older {
        a: u32,
    }
    assert_eq!(
        decode::<Older>(&encode(&Newer {
            a: 1,
            b: "x".into()
        }))
        .unwrap(),
        Older { a: 1 }
    );
}

fn zero_everything() -> Everything {
    Everything {
        flag: false,
        small: 0,
        medium: 0,
        large: 0,
        byte: 0,
        unsigned: 0,
        wide: 0,
        huge: 0,
        float: 0.0,
        double: 0.0,
        letter: '\0',
        text: String::new(),
        bytes: vec![],
        raw: Raw(vec![]),
        color: Color::Red,
        colors: vec![],
        maybe: None,
        maybe_text: None,
        maybe_struct: None,
        numbers: vec![],
        floats: vec![],
        words: vec![],
        kv: [String::new(), String::new()],
        nested: Change {
            revision: 0,
            key: String::new(),
            value: String::new(),
        },
        changes: vec![],
        map: HashMap::new(),
        ordered: BTreeMap::new(),
        matrix: vec![],
        holes: vec![],
        twice: None,
        list: None,
        raws: vec![],
        unit: (),
        empty: Empty {},
        unit_struct: Unit,
        pair: Pair(String::new(), 0),
        id: Id(0),
        tuple: (0, String::new(), 0.0),
    }
}

#[test]
fn skipped_fields_keep_their_numbers() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Sparse {
        a: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<u32>,
        c: u32,
        #[serde(skip)]
        local: u32,
        #[serde(alias = "dee", alias = "D")]
        d: u32,
    }
    let value = Sparse {
        a: 1,
        b: None,
        c: 3,
        local: 0,
        d: 4,
    };
    assert_eq!(encode(&value), b"\x08\x01\x18\x03\x20\x04");
    assert_eq!(
        decode::<Sparse>(b"\x08\x01\x18\x03\x20\x04").unwrap(),
        value
    );
}

#[test]
fn errors_name_what_was_wrong() {
    for (bytes, result, needle) in [
        (
            &b"\x0a\x01a"[..],
            decode::<i64>(b"\x0a\x01a").map(drop),
            "field 1: expected an integer, found a length-delimited value",
        ),
        (
            b"\x08\x01",
            decode::<String>(b"\x08\x01").map(drop),
            "field 1: expected a length-delimited value, found a varint",
        ),
        (
            b"\x0a\x02\xff\xfe",
            decode::<String>(b"\x0a\x02\xff\xfe").map(drop),
            "not UTF-8",
        ),
        (
            b"\x08\xac\x02",
            decode::<u8>(b"\x08\xac\x02").map(drop),
            "invalid value: integer `300`, expected u8",
        ),
        (
            b"\x08\x05",
            decode::<Color>(b"\x08\x05").map(drop),
            "expected variant index 0 <= i < 3",
        ),
        (
            b"\x0a\x05ab",
            decode::<String>(b"\x0a\x05ab").map(drop),
            "field 1: 5 bytes announced, 2 left",
        ),
        (
            b"\x0a\x01\x80",
            decode::<Vec<u64>>(b"\x0a\x01\x80").map(drop),
            "field 1: packed run: truncated varint",
        ),
        (
            b"\x08\x80\x80\xc4\x00",
            decode::<char>(b"\x08\x80\x80\xc4\x00").map(drop),
            "is not a Unicode scalar value",
        ),
        (
            b"\x08\x01",
            decode::<serde_json_like::Any>(b"\x08\x01").map(drop),
            "not self-describing",
        ),
        (
            b"\x0a\x02\x08\x01",
            decode::<Vec<Change>>(b"\x0a\x02\x08\x01\x08\x02").map(drop),
            "field 1: expected a length-delimited value, found a varint",
        ),
        (
            b"\x0b",
            decode::<Change>(b"\x0b").map(drop),
            "groups are not supported",
        ),
    ] {
        let err = result.unwrap_err();
        assert!(err.contains(needle), "{bytes:02x?}: {err}");
    }
    // A packed run where a string is expected.
    let err = decode::<(u32, String)>(b"\x0a\x02\x01\x02").unwrap_err();
    assert!(err.contains("packed run of numbers"), "{err}");
}

/// A type that asks for `deserialize_any`, as self-describing targets do.
mod serde_json_like {
    use serde::de::{Deserialize, Deserializer, IgnoredAny};

    pub(super) struct Any;

    impl<'de> Deserialize<'de> for Any {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(IgnoredAny).map(|_| Any)
        }
    }
}

#[test]
fn unmapped_types_fail_to_encode() {
    #[derive(Serialize)]
    enum Shape {
        Circle(f64),
        Rect { w: f64 },
        Line(f64, f64),
    }
    for value in [
        Shape::Circle(1.0),
        Shape::Rect { w: 1.0 },
        Shape::Line(1.0, 2.0),
    ] {
        let err = to_vec(&value).unwrap_err().to_string();
        assert!(err.contains("carries data"), "{err}");
    }
    let err = to_vec(&u128::MAX).unwrap_err().to_string();
    assert!(err.contains("does not fit in 64 bits"), "{err}");
    let err = to_vec(&i128::MIN).unwrap_err().to_string();
    assert!(err.contains("does not fit in 64 bits"), "{err}");

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    enum Data {
        A(u8),
    }
    let err = decode::<Data>(b"").unwrap_err();
    assert!(err.contains("carry data"), "{err}");
}

#[test]
fn nesting_depth_is_bounded() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct List(Option<Box<List>>);
    fn list(depth: usize) -> List {
        (0..depth).fold(List(None), |inner, _| List(Some(Box::new(inner))))
    }
    // List(None) is 2 levels (newtype, option); every Some(List) adds 2.
    let bytes = encode(&list(10));
    assert_eq!(from_slice::<List>(&bytes, 22).unwrap(), list(10));
    let err = from_slice::<List>(&bytes, 21).unwrap_err();
    assert_eq!(err.to_string(), "nesting deeper than 21 levels");

    // Hostile input: a megabyte of nested wrappers (each `0a LEN`), read as the recursive type.
    let layers = 300_000;
    let mut sizes = vec![0usize; layers + 1];
    let mut varint = [0u8; 10];
    for i in (0..layers).rev() {
        let inner = sizes[i + 1];
        sizes[i] = 1 + super::super::wire::encode_varint(inner as u64, &mut varint) + inner;
    }
    let mut hostile = Vec::with_capacity(sizes[0]);
    for size in &sizes[1..] {
        hostile.push(0x0a);
        let n = super::super::wire::encode_varint(*size as u64, &mut varint);
        hostile.extend_from_slice(&varint[..n]);
    }
    assert_eq!(hostile.len(), sizes[0]);
    assert!(hostile.len() > 1 << 20);
    let err = from_slice::<List>(&hostile, 128).unwrap_err();
    assert_eq!(err.to_string(), "nesting deeper than 128 levels");
    let err = from_slice::<Vec<Vec<Vec<List>>>>(&hostile, 128).unwrap_err();
    assert_eq!(err.to_string(), "nesting deeper than 128 levels");
}

#[test]
fn lengths_are_checked_against_the_bytes_left() {
    for bytes in [
        &b"\x0a\xff\xff\xff\xff\x0f"[..],
        b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
        b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
        b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",
    ] {
        let err = decode::<String>(bytes).unwrap_err();
        assert!(
            err.contains("announced") || err.contains("64 bits"),
            "{err}"
        );
        let err = decode::<Vec<Change>>(bytes).unwrap_err();
        assert!(
            err.contains("announced") || err.contains("64 bits"),
            "{err}"
        );
    }
}

#[test]
fn types_that_read_nothing_or_everything_stay_bounded() {
    /// Deserializes without asking the deserializer for anything.
    #[derive(Debug)]
    struct Nothing;
    impl<'de> Deserialize<'de> for Nothing {
        fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
            Ok(Nothing)
        }
    }
    let err = decode::<Vec<Nothing>>(b"\x0a\x00").unwrap_err();
    assert!(err.contains("without reading anything"), "{err}");

    /// Reads a struct with a visitor that asks for fields until there are none.
    #[derive(Debug, PartialEq)]
    struct Greedy(Vec<u32>);
    impl<'de> Deserialize<'de> for Greedy {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Greedy;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("fields")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<Greedy, A::Error> {
                    let mut all = Vec::new();
                    while let Some(v) = seq.next_element()? {
                        all.push(v);
                    }
                    Ok(Greedy(all))
                }
            }
            d.deserialize_struct("Greedy", &["a", "b"], V)
        }
    }
    assert_eq!(
        decode::<Greedy>(b"\x10\x07\x18\x09").unwrap(),
        Greedy(vec![0, 7])
    );
}

/// Deterministic pseudo-random bodies, and mutations of a real one, read as every kind of type:
/// any outcome but a panic (or a hang) is fine.
#[test]
fn random_bodies_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let real = encode(&everything());
    for round in 0..3000 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            let len = (next() % 64) as usize;
            (0..len)
                .map(|_| match next() % 4 {
                    // Mostly tags and small lengths, so that fields get parsed.
                    0 => 0x0a,
                    1 => (next() % 8) as u8,
                    _ => next() as u8,
                })
                .collect()
        } else {
            let mut bytes = real.clone();
            for _ in 0..(next() % 4 + 1) {
                let pos = (next() as usize) % bytes.len();
                bytes[pos] = next() as u8;
            }
            bytes
        };
        let _ = from_slice::<Everything>(&bytes, 32);
        let _ = from_slice::<WatchFromReply>(&bytes, 32);
        let _ = from_slice::<Vec<Vec<Option<String>>>>(&bytes, 32);
        let _ = from_slice::<HashMap<u8, Vec<f64>>>(&bytes, 32);
        let _ = from_slice::<(u8, char, f32, Color, [i8; 2])>(&bytes, 32);
        let _ = from_slice::<Option<Option<Vec<u8>>>>(&bytes, 32);
    }
}
