//! Go programs shaped like the ones people run, against netrpc's gob: Go's `realgo` (`go/cmd/
//! realgo`) serves a `Ledger` whose values hold `time.Time`, `*big.Int`, `*big.Rat`,
//! `*url.URL` (marshaler types), interface values of registered types (`main.Point`, `int`,
//! `string`), `[]byte` and a string that is not UTF-8. netrpc's client reads them into typed
//! Rust values, sends them back unchanged (Go checks them), and sends interface values of its
//! own; `netrpc call` prints them.
//!
//! The marshaler and byte-string values here go through the `rpc_gotypes` marker protocol
//! directly (a value that keeps the Go type's name and bytes), which is what the library's
//! typed `rpc_gotypes` values build on.

mod common;

use std::collections::BTreeMap;

use common::*;
use interop::{Process, Stream, go_program, netrpc_command};
use netrpc::go::marker;
use netrpc::{Client, Gob};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

/// A marshaler value kept as Go sent it: its kind, Go type name and bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Opaque {
    kind: u8,
    name: String,
    data: Vec<u8>,
}

struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl Serialize for Opaque {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Inner<'a>(&'a Opaque);
        impl Serialize for Inner<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut s = serializer.serialize_struct(marker::MARSHALED_STRUCT, 3)?;
                s.serialize_field("Kind", &self.0.kind)?;
                s.serialize_field("Name", &self.0.name)?;
                s.serialize_field("Data", &Bytes(&self.0.data))?;
                s.end()
            }
        }
        serializer.serialize_newtype_struct(marker::MARSHALER, &Inner(self))
    }
}

impl<'de> Deserialize<'de> for Opaque {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Outer;
        impl<'de> Visitor<'de> for Outer {
            type Value = Opaque;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a marshaler value")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Opaque, D::Error> {
                d.deserialize_struct(marker::MARSHALED_STRUCT, marker::MARSHALED_FIELDS, Fields)
            }
        }
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Opaque;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("Kind, Name, Data")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Opaque, A::Error> {
                let mut out = Opaque::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "Kind" => out.kind = map.next_value()?,
                        "Name" => out.name = map.next_value()?,
                        _ => out.data = map.next_value::<ByteBuf>()?.0,
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_newtype_struct(marker::MARSHALER, Outer)
    }
}

/// Bytes from `visit_bytes` or a sequence of `u8`.
struct ByteBuf(Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ByteBuf, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element()? {
                    out.push(b);
                }
                Ok(ByteBuf(out))
            }
        }
        deserializer.deserialize_byte_buf(V)
    }
}

/// A Go string of any bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct GoString(Vec<u8>);

impl Serialize for GoString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(marker::STRING, &Bytes(&self.0))
    }
}

impl<'de> Deserialize<'de> for GoString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GoString;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a Go string")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<GoString, D::Error> {
                Ok(GoString(ByteBuf::deserialize(d)?.0))
            }
        }
        deserializer.deserialize_newtype_struct(marker::STRING, V)
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Point {
    x: i64,
    y: i64,
}

/// Go's `interface{}` holding the types `realgo` registers (and Go's builtin names).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Any {
    #[serde(rename = "int")]
    Int(i64),
    #[serde(rename = "string")]
    Str(String),
    #[serde(rename = "main.Point")]
    Point(Point),
}

/// Go's `main.Event`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Event {
    name: String,
    when: Opaque,
    amount: Opaque,
    ratio: Opaque,
    payload: Option<Any>,
    items: Vec<Any>,
    attrs: BTreeMap<String, Any>,
    raw: Vec<u8>,
    note: GoString,
    link: Opaque,
}

/// Go's `realgo -listen 127.0.0.1:0` and its address.
fn go_realgo_server() -> (Process, String) {
    let mut command = go_program("realgo");
    command.args(["-listen", "127.0.0.1:0"]);
    let server = Process::spawn("realgo -listen", command);
    let addr = server.listening_on(Stream::Stdout);
    (server, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netrpc_reads_go_values_and_sends_them_back_unchanged() {
    let (_server, addr) = go_realgo_server();
    let client = Client::dial(&format!("tcp://{addr}"), Gob).await.unwrap();
    let client = client.with_timeout(CALL_TIMEOUT);
    let sample: Event = client.call("Ledger.Sample", &1i64).await.unwrap();
    assert_eq!(sample.name, "deposit");
    assert_eq!((sample.when.kind, sample.when.name.as_str()), (0, "Time"));
    assert_eq!(
        sample.when.data[0], 1,
        "time.Time's MarshalBinary version 1"
    );
    // Go names a marshaler type in its definition as its encoder found it: "Time" for a
    // time.Time field, nothing for the pointer types (*big.Int, *big.Rat, *url.URL).
    assert_eq!(sample.amount.kind, 0);
    // 2^100: version 1 << 1, positive, then the magnitude's 13 bytes.
    let mut two_pow_100 = vec![2u8, 16];
    two_pow_100.extend([0u8; 12]);
    assert_eq!(sample.amount.data, two_pow_100);
    assert_eq!(sample.ratio.kind, 0);
    assert_eq!(
        sample.ratio.data[0] >> 1,
        1,
        "big.Rat's GobEncode version 1"
    );
    assert_eq!(sample.link.kind, 1, "*url.URL is a BinaryMarshaler");
    assert_eq!(sample.link.data, b"https://example.com/x?y=1");
    assert_eq!(sample.payload, Some(Any::Point(Point { x: 3, y: 4 })));
    assert_eq!(
        sample.items,
        [
            Any::Int(7),
            Any::Str("two".into()),
            Any::Point(Point { x: 5, y: 6 })
        ]
    );
    assert_eq!(sample.attrs["n"], Any::Int(8));
    assert_eq!(sample.attrs["s"], Any::Str("x".into()));
    assert_eq!(sample.raw, [1, 2, 3, 255]);
    assert_eq!(sample.note.0, b"a\xff\xfeb");

    // Back to Go: Go compares every field with its own canonical value.
    let checked: bool = client.call("Ledger.Check", &sample).await.unwrap();
    assert!(checked);
    let echoed: Event = client.call("Ledger.Echo", &sample).await.unwrap();
    assert_eq!(echoed, sample);
    // Go refuses a value that differs, and says where.
    let mut changed = sample.clone();
    changed.items[0] = Any::Int(70);
    let err = client
        .call::<_, bool>("Ledger.Check", &changed)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Items"), "{err}");
    client.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interface_values_and_wrong_types_against_go() {
    let (_server, addr) = go_realgo_server();
    let client = Client::dial(&format!("tcp://{addr}"), Gob).await.unwrap();
    let client = client.with_timeout(CALL_TIMEOUT);
    // A top-level interface argument (Go's method takes *interface{}).
    let described: String = client
        .call("Ledger.Describe", &Any::Point(Point { x: 1, y: 2 }))
        .await
        .unwrap();
    assert_eq!(described, "main.Point {1 2}");
    let described: String = client
        .call("Ledger.Describe", &Any::Str("hi".into()))
        .await
        .unwrap();
    assert_eq!(described, "string hi");
    // A *big.Int parameter given a string: Go's server refuses it with Go's type error.
    let err = client
        .call::<_, Opaque>("Ledger.Double", "not a number")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("type"), "{err}");
    // A *big.Int round trip, bytes as Go's GobEncode writes them: -5 doubled is -10.
    let minus_five = Opaque {
        kind: 0,
        name: "Int".into(),
        data: vec![3, 5],
    };
    let doubled: Opaque = client.call("Ledger.Double", &minus_five).await.unwrap();
    assert_eq!(doubled.data, [3, 10]);
    client.close();
}

/// Go's `time.Time` as `netrpc::go::Time`, both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_time_values_both_ways() {
    use netrpc::go::Time;
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    struct WhenOnly {
        when: Time,
    }
    let (_server, addr) = go_realgo_server();
    let client = Client::dial(&format!("tcp://{addr}"), Gob).await.unwrap();
    let client = client.with_timeout(CALL_TIMEOUT);
    let sample: WhenOnly = client.call("Ledger.Sample", &1i64).await.unwrap();
    assert_eq!(
        sample.when.to_string(),
        "2024-02-29T13:14:15.123456789+05:30"
    );
    assert_eq!(sample.when.offset_seconds(), Some(5 * 3600 + 30 * 60));
    // Go adds 90 minutes in the time's own zone: UTC stays UTC, before 1970 included.
    let at: Time = "1969-12-31T23:59:59.000000005Z".parse().unwrap();
    let later: Time = client.call("Ledger.Later", &at).await.unwrap();
    assert_eq!(later.to_string(), "1970-01-01T01:29:59.000000005Z");
    assert_eq!(later.offset_seconds(), None);
    let later: Time = client.call("Ledger.Later", &sample.when).await.unwrap();
    assert_eq!(later.to_string(), "2024-02-29T14:44:15.123456789+05:30");
    client.close();
}

#[test]
fn netrpc_call_prints_go_values() {
    let (_server, addr) = go_realgo_server();
    let mut command = netrpc_command();
    command.args([
        "call",
        "--connect",
        &format!("tcp://{addr}"),
        "Ledger.Sample",
        "1",
    ]);
    let finished = Process::spawn("netrpc call Ledger.Sample", command).wait_success();
    let stdout = finished.stdout.trim();
    let reply: serde_json::Value = serde_json::from_str(stdout).unwrap();
    // A string that is not UTF-8 prints as Go's encoding/json prints it.
    assert_eq!(reply["Note"], "a\u{fffd}\u{fffd}b");
    assert_eq!(reply["Payload"], serde_json::json!({"X": 3, "Y": 4}));
    assert_eq!(reply["When"]["Name"], "Time");
}
