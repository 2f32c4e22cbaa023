//! Go programs shaped like the ones people run, against netrpc: Go's `realgo` (`go/cmd/realgo`)
//! serves or calls a `Ledger` whose values hold `time.Time`, `*big.Int`, `*big.Rat`, `*url.URL`
//! (marshaler types), interface values of registered types (`main.Point`, `int`, `string`),
//! `[]byte` and a string that is not UTF-8. Both directions, with `netrpc::go`'s typed values
//! (`interop::realgo`, the Rust twin of `realgo`):
//!
//! - netrpc's client reads Go's values into typed Rust values, sends them back unchanged (Go
//!   checks them) and sends interface values of its own; `netrpc call` prints them;
//! - Go's client (`realgo -connect`, with `-json` over jsonrpc) calls netrpc's `Ledger` and
//!   checks every answer, over gob and over jsonrpc.
//!
//! Every test binds loopback port 0, learns addresses from `listening on ADDR` lines, and bounds
//! every wait; Go must be installed (`scripts/test` installs it).

mod common;

use common::*;
use interop::realgo::{Any, Event, GobLedger, JsonLedger, OverGob, OverJson, Point, Url, Wire};
use interop::{Process, Stream, go_program, netrpc_command};
use netrpc::go::{BigInt, BigRat, ByteString, Marshaled, MarshalerKind, Time};
use netrpc::{Client, Codec, Gob, Json, Server, Service};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Go's `realgo -listen 127.0.0.1:0` (with `-json`, jsonrpc) and its address.
fn go_realgo_server(json: bool) -> (Process, String) {
    let mut command = go_program("realgo");
    command.args(["-listen", "127.0.0.1:0"]);
    if json {
        command.arg("-json");
    }
    let server = Process::spawn("realgo -listen", command);
    let addr = server.listening_on(Stream::Stdout);
    (server, addr)
}

/// Runs Go's `realgo -connect ADDR` (with `-json`, over jsonrpc) to the end; fails the test
/// with Go's report unless every check passed.
fn go_realgo_client(addr: &str, json: bool) {
    let mut command = go_program("realgo");
    command.args(["-connect", addr]);
    if json {
        command.arg("-json");
    }
    let finished = Process::spawn("realgo -connect", command).wait_success();
    assert_eq!(finished.stdout.trim(), "ok");
}

/// Serves `service` with `codec` on a loopback port, runs Go's client against it, and shuts the
/// server down.
async fn go_client_against_netrpc(service: impl Service, codec: impl Codec, json: bool) {
    let server = Server::builder().register(service).build();
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // `tcp://HOST:PORT`; Go dials `HOST:PORT`.
    let url = listener.local_addr().to_string();
    let addr = url.strip_prefix("tcp://").unwrap_or(&url).to_owned();
    let serving = tokio::spawn({
        let server = server.clone();
        async move { server.serve(listener, codec).await }
    });
    blocking(move || go_realgo_client(&addr, json)).await;
    bounded(
        "shutdown",
        server.shutdown(std::time::Duration::from_secs(5)),
    )
    .await;
    bounded("serve loop", serving).await.unwrap();
}

/// A client of Go's `realgo -listen` (over jsonrpc with `json`), and the Go process.
async fn netrpc_client_of_go(json: bool) -> (Client, Process) {
    let (server, addr) = blocking(move || go_realgo_server(json)).await;
    let addr = format!("tcp://{addr}");
    let client = if json {
        bounded("dial", Client::dial(&addr, Json)).await
    } else {
        bounded("dial", Client::dial(&addr, Gob)).await
    };
    (client.unwrap().with_timeout(CALL_TIMEOUT), server)
}

/// 2^100, Go's canonical `Amount`.
const TWO_POW_100: &str = "1267650600228229401496703205376";

// ---------------------------------------------------------------------------------------------
// netrpc's client against Go's server

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netrpc_reads_go_values_and_sends_them_back_unchanged() {
    let (client, _server) = netrpc_client_of_go(false).await;
    let sample: Event<OverGob> = call(&client, "Ledger.Sample", &1i64).await.unwrap();
    assert_eq!(sample.name, "deposit");
    assert_eq!(
        sample.when.to_string(),
        "2024-02-29T13:14:15.123456789+05:30"
    );
    assert_eq!(sample.when.offset_seconds(), Some(5 * 3600 + 30 * 60));
    assert_eq!(sample.amount.to_string(), TWO_POW_100);
    assert_eq!(sample.amount, BigInt::from(1u128 << 100));
    assert_eq!(sample.ratio, BigRat::new(-1, 3).unwrap());
    assert_eq!(sample.ratio.to_string(), "-1/3");
    // *url.URL is a BinaryMarshaler: its bytes are the URL's text, and gob names the type as
    // Go's encoder found it, which for a pointer type is no name at all.
    assert_eq!(sample.link.kind(), MarshalerKind::BinaryMarshaler);
    assert_eq!(sample.link.name(), "");
    assert_eq!(sample.link.data(), b"https://example.com/x?y=1");
    assert_eq!(sample.link.as_text(), Some("https://example.com/x?y=1"));
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
    assert_eq!(sample.note.as_bytes(), b"a\xff\xfeb");
    assert_eq!(sample, Event::canonical());

    // Back to Go: Go compares every field with its own canonical value.
    let checked: bool = call(&client, "Ledger.Check", &sample).await.unwrap();
    assert!(checked);
    let echoed: Event<OverGob> = call(&client, "Ledger.Echo", &sample).await.unwrap();
    assert_eq!(echoed, sample);
    // The Marshaled URL goes back exactly as it came: kind, name and bytes.
    assert_eq!(
        (echoed.link.kind(), echoed.link.name(), echoed.link.data()),
        (
            MarshalerKind::BinaryMarshaler,
            "",
            &b"https://example.com/x?y=1"[..]
        )
    );
    // Go refuses a value that differs, and says where: Go decodes the URL from the bytes sent.
    let mut changed = sample.clone();
    changed.items[0] = Any::Int(70);
    let err = call::<bool>(&client, "Ledger.Check", &changed)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Items"), "{err}");
    let mut changed = sample.clone();
    changed.link = Marshaled::new(
        MarshalerKind::BinaryMarshaler,
        "URL",
        "https://example.com/z",
    );
    let err = server_error(call::<bool>(&client, "Ledger.Check", &changed).await);
    assert_eq!(
        err,
        "Link https://example.com/z, want https://example.com/x?y=1"
    );
    client.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interface_values_and_wrong_types_against_go() {
    let (client, _server) = netrpc_client_of_go(false).await;
    // A top-level interface argument (Go's method takes *interface{}).
    for (arg, want) in [
        (Any::Point(Point { x: 1, y: 2 }), "main.Point {1 2}"),
        (Any::Str("hi".into()), "string hi"),
        (Any::Int(7), "int 7"),
    ] {
        let described: String = call(&client, "Ledger.Describe", &arg).await.unwrap();
        assert_eq!(described, want);
        assert_eq!(OverGob::describe(&arg), want, "GobLedger answers as Go");
    }
    // A *big.Int parameter given a string: Go's server refuses it with Go's type error.
    let err = call::<BigInt>(&client, "Ledger.Double", "not a number")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("type"), "{err}");
    // *big.Int both ways, within 64 bits and beyond.
    let doubled: BigInt = call(&client, "Ledger.Double", &BigInt::from(-5))
        .await
        .unwrap();
    assert_eq!(doubled, BigInt::from(-10));
    let x: BigInt = "-123456789012345678901234567890".parse().unwrap();
    let doubled: BigInt = call(&client, "Ledger.Double", &x).await.unwrap();
    assert_eq!(doubled.to_string(), "-246913578024691357802469135780");
    client.close();
}

/// Go's `time.Time` as `netrpc::go::Time`, both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_time_values_both_ways() {
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    struct WhenOnly {
        when: Time,
    }
    for json in [false, true] {
        let (client, _server) = netrpc_client_of_go(json).await;
        let sample: WhenOnly = call(&client, "Ledger.Sample", &1i64).await.unwrap();
        assert_eq!(
            sample.when.to_string(),
            "2024-02-29T13:14:15.123456789+05:30"
        );
        assert_eq!(sample.when.offset_seconds(), Some(5 * 3600 + 30 * 60));
        // Go adds 90 minutes in the time's own zone: UTC stays UTC, before 1970 included.
        let at: Time = "1969-12-31T23:59:59.000000005Z".parse().unwrap();
        let later: Time = call(&client, "Ledger.Later", &at).await.unwrap();
        assert_eq!(later.to_string(), "1970-01-01T01:29:59.000000005Z");
        assert_eq!(later.offset_seconds(), None);
        let later: Time = call(&client, "Ledger.Later", &sample.when).await.unwrap();
        assert_eq!(later.to_string(), "2024-02-29T14:44:15.123456789+05:30");
        client.close();
    }
}

/// Over jsonrpc: Go's `encoding/json` forms of the same values (interface values as plain
/// JSON, `*url.URL` as its fields, the string's invalid bytes as U+FFFD), and `*big.Int` beyond
/// 64 bits as a bare number both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netrpc_reads_go_json_values_and_sends_them_back() {
    let (client, _server) = netrpc_client_of_go(true).await;
    let sample: Event<OverJson> = call(&client, "Ledger.Sample", &1i64).await.unwrap();
    assert_eq!(sample.amount.to_string(), TWO_POW_100);
    assert_eq!(sample.ratio, BigRat::new(-1, 3).unwrap());
    assert_eq!(
        sample.when.to_string(),
        "2024-02-29T13:14:15.123456789+05:30"
    );
    assert_eq!(sample.payload, Some(serde_json::json!({"X": 3, "Y": 4})));
    assert_eq!(
        sample.items,
        [
            serde_json::json!(7),
            serde_json::json!("two"),
            serde_json::json!({"X": 5, "Y": 6})
        ]
    );
    assert_eq!(sample.raw, [1, 2, 3, 255]);
    assert_eq!(sample.note.as_bytes(), "a\u{fffd}\u{fffd}b".as_bytes());
    assert_eq!(
        sample.link,
        Url {
            scheme: "https".into(),
            host: "example.com".into(),
            path: "/x".into(),
            raw_query: "y=1".into(),
            ..Url::default()
        }
    );
    assert_eq!(sample, Event::canonical());
    let checked: bool = call(&client, "Ledger.Check", &sample).await.unwrap();
    assert!(checked);
    let echoed: Event<OverJson> = call(&client, "Ledger.Echo", &sample).await.unwrap();
    assert_eq!(echoed, sample);
    let mut changed = sample.clone();
    changed.amount = BigInt::from((1u128 << 100) + 1);
    let err = server_error(call::<bool>(&client, "Ledger.Check", &changed).await);
    assert_eq!(
        err,
        "Amount 1267650600228229401496703205377, want 1267650600228229401496703205376"
    );
    for (x, want) in [
        (
            "-123456789012345678901234567890",
            "-246913578024691357802469135780",
        ),
        (TWO_POW_100, "2535301200456458802993406410752"),
        ("9223372036854775807", "18446744073709551614"),
    ] {
        let doubled: BigInt = call(&client, "Ledger.Double", &x.parse::<BigInt>().unwrap())
            .await
            .unwrap();
        assert_eq!(doubled.to_string(), want, "2 * {x}");
    }
    for (arg, want) in [
        (
            serde_json::json!({"X": 1, "Y": 2}),
            "map[string]interface {} map[X:1 Y:2]",
        ),
        (serde_json::json!(7), "float64 7"),
        (serde_json::json!([1.5, "a"]), "[]interface {} [1.5 a]"),
    ] {
        let described: String = call(&client, "Ledger.Describe", &arg).await.unwrap();
        assert_eq!(described, want);
        assert_eq!(OverJson::describe(&arg), want, "JsonLedger answers as Go");
    }
    client.close();
}

#[test]
fn netrpc_call_prints_go_values() {
    let (_server, addr) = go_realgo_server(false);
    let mut command = netrpc_command();
    command.args([
        "call",
        "--connect",
        &format!("tcp://{addr}"),
        "Ledger.Sample",
        "1",
    ]);
    let finished = Process::spawn("netrpc call Ledger.Sample", command).wait_success();
    let ours: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(finished.stdout.trim()).unwrap();
    // What Go's encoding/json writes for the same event.
    let mut print = go_program("realgo");
    print.arg("-print-json");
    let go = Process::spawn("realgo -print-json", print).wait_success();
    let gos: BTreeMap<String, Box<RawValue>> = serde_json::from_str(go.stdout.trim()).unwrap();
    // The same fields, each the same JSON value, but for *url.URL: Go's encoding/json writes
    // its exported fields, which gob does not carry (gob carries MarshalBinary's text).
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        gos.keys().collect::<Vec<_>>()
    );
    for (field, value) in &ours {
        let value: serde_json::Value = serde_json::from_str(value.get()).unwrap();
        let go: serde_json::Value = serde_json::from_str(gos[field].get()).unwrap();
        if field == "Link" {
            assert_eq!(
                value,
                serde_json::json!({"Type": "", "Kind": "BinaryMarshaler", "Data": "aHR0cHM6Ly9leGFtcGxlLmNvbS94P3k9MQ=="})
            );
        } else {
            assert_eq!(value, go, "{field}");
        }
    }
    // Numbers with every digit, as Go writes them.
    assert_eq!(ours["Amount"].get(), gos["Amount"].get());
    assert_eq!(ours["Amount"].get(), "1267650600228229401496703205376");
    assert_eq!(
        ours["When"].get(),
        r#""2024-02-29T13:14:15.123456789+05:30""#
    );
    assert_eq!(ours["Note"].get(), "\"a\u{fffd}\u{fffd}b\"");
}

/// The README's example: `--arg-type` with Go's library types and an interface value named by
/// its registered type.
#[test]
fn netrpc_call_sends_go_library_types_and_interface_values() {
    let (_server, addr) = go_realgo_server(false);
    let run = |arg_type: &str, args: &str| {
        let mut command = netrpc_command();
        command.args([
            "call",
            "--connect",
            &format!("tcp://{addr}"),
            "--arg-type",
            arg_type,
            "Ledger.Record",
            args,
        ]);
        Process::spawn("netrpc call Ledger.Record", command)
    };
    let call = |arg_type: &str, args: &str| run(arg_type, args).wait_success().stdout;
    let record = "struct { At time.Time; Amount *big.Int; Payload any }";
    assert_eq!(
        call(
            record,
            r#"{"At": "2024-03-15T12:30:45.5+01:00", "Amount": 1267650600228229401496703205376, "Payload": {"main.Point": {"X": 3, "Y": 4}}}"#
        ),
        "\"At=2024-03-15T12:30:45.5+01:00 Amount=1267650600228229401496703205376 Payload=main.Point{X:3, Y:4}\"\n"
    );
    // Values whose Go type the JSON shows; a nil interface; a big integer given as text.
    for (payload, shown) in [
        (r#""s""#, r#"\"s\""#),
        ("7", "7"),
        ("2.5", "2.5"),
        ("true", "true"),
        (r#"["a", "b"]"#, r#"[]string{\"a\", \"b\"}"#),
        ("null", "<nil>"),
    ] {
        assert_eq!(
            call(
                record,
                &format!(
                    r#"{{"At": "1969-07-20T20:17:40Z", "Amount": "-5", "Payload": {payload}}}"#
                )
            ),
            format!("\"At=1969-07-20T20:17:40Z Amount=-5 Payload={shown}\"\n"),
            "{payload}"
        );
    }
    // A type the Go program did not register is refused by Go's decoder, with Go's text.
    let refused = run(
        record,
        r#"{"Payload": {"*big.Int": 12345678901234567890123}}"#,
    )
    .wait();
    assert_eq!(refused.status.code(), Some(1), "{}", refused.stderr);
    assert_eq!(
        refused.stderr,
        "error: gob: name not registered for interface: \"*big.Int\"\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Go's client against netrpc's server

#[test]
fn control_go_realgo_client_against_go_realgo_server() {
    for json in [false, true] {
        let (_server, addr) = go_realgo_server(json);
        go_realgo_client(&addr, json);
    }
}

/// `realgo -connect` calls every method (Sample, Echo, Check with the canonical event and with
/// changed ones, Double beyond 64 bits, Later, Describe of a registered struct, a string and an
/// int, wrong argument types) and checks every answer.
#[tokio::test(flavor = "multi_thread")]
async fn go_client_against_netrpc_ledger_over_gob() {
    go_client_against_netrpc(GobLedger, Gob, false).await;
}

/// The same over jsonrpc: Go's `encoding/json` forms, `*big.Int` beyond 64 bits as a bare number
/// both ways (Go's `Double` argument and netrpc's reply).
#[tokio::test(flavor = "multi_thread")]
async fn go_client_against_netrpc_ledger_over_jsonrpc() {
    go_client_against_netrpc(JsonLedger, Json, true).await;
}

// ---------------------------------------------------------------------------------------------
// README's example: a Rust struct with a `netrpc::go::Time` field, exchanged with Go

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_time_field_example() {
    /// Go's `Event`, as far as this program cares: Go's other fields are skipped.
    #[derive(Serialize, Deserialize, Debug)]
    struct Event {
        #[serde(rename = "Name")]
        name: String,
        #[serde(rename = "When")]
        when: netrpc::go::Time,
    }
    for json in [false, true] {
        let (client, _server) = netrpc_client_of_go(json).await;
        let event: Event = client.call("Ledger.Sample", &1).await.unwrap();
        assert_eq!(event.name, "deposit");
        assert_eq!(
            event.when.to_string(),
            "2024-02-29T13:14:15.123456789+05:30"
        );
        let later: netrpc::go::Time = client.call("Ledger.Later", &event.when).await.unwrap();
        assert_eq!(later.to_string(), "2024-02-29T14:44:15.123456789+05:30");
        client.close();
    }
}

/// `ByteString` keeps every byte over gob, and is Go's text over JSON.
#[test]
fn wire_forms_of_the_note() {
    let note = b"a\xff\xfeb";
    assert_eq!(OverGob::note(note), ByteString::from(&note[..]));
    assert_eq!(OverJson::note(note), ByteString::from("a\u{fffd}\u{fffd}b"));
}
