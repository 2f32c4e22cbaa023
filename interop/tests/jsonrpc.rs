//! Go's `net/rpc/jsonrpc` against netrpc's `Json` codec, both directions: Go's client against
//! netrpc's server (command and library), netrpc's client (library and command) against Go's
//! server, and reverse RPC with either side dialing. Also the values Go's `encoding/json` writes
//! in forms of its own (`go/cmd/jsonvalues`): `[]byte` as base64 both ways, and `*big.Int` as a
//! bare number of any size through `netrpc call`.
//!
//! Every test binds loopback port 0, learns addresses from `listening on ADDR` lines, and bounds
//! every wait; Go must be installed (`scripts/test` installs it).

mod common;

use std::convert::Infallible;
use std::time::Duration;

use common::*;
use interop::{Finished, Process, Stream, dial_json, go_program};
use netrpc::{Client, Empty, Json, Server, service};
use rpc_services::{HelloService, KvStoreService};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// The shared helpers with this file's codec

/// `netrpc serve --listen tcp://127.0.0.1:0 --codec json EXTRA...` and its address.
fn netrpc_serve_json(extra: &[&str]) -> (Process, String) {
    netrpc_serve("tcp://127.0.0.1:0", &[&["--codec", "json"], extra].concat())
}

/// Runs Go's `seedclient -connect ADDR -scenario SCENARIO` (jsonrpc) to the end.
fn go_seedclient_json(addr: &str, scenario: &str) -> Finished {
    go_seedclient(addr, &["-scenario", scenario])
}

/// Runs `netrpc call --codec json --connect ADDR ARGS...` to the end.
fn netrpc_call_json(addr: &str, args: &[&str]) -> Finished {
    netrpc_call(&[&["--codec", "json", "--connect", addr], args].concat())
}

#[test]
fn control_go_seedclient_against_go_seedserver() {
    let (_server, addr) = go_seedserver(&[]);
    go_seedclient_json(&addr, "seed");
    let (_server, addr) = go_seedserver(&["-login", "user:password"]);
    go_seedclient_json(&addr, "login");
}

// ---------------------------------------------------------------------------------------------
// Go's client against netrpc's server

#[test]
fn go_client_seed_scenario_against_netrpc_serve() {
    let (_server, addr) = netrpc_serve_json(&[]);
    go_seedclient_json(&addr, "seed");
}

#[test]
fn go_client_login_scenario_against_netrpc_serve() {
    let (_server, addr) = netrpc_serve_json(&["--login", "user:password"]);
    go_seedclient_json(&addr, "login");
}

#[tokio::test(flavor = "multi_thread")]
async fn go_client_seed_scenario_against_netrpc_library_server() {
    let server = Server::builder()
        .register(HelloService)
        .register(KvStoreService::default())
        .build();
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    let serving = tokio::spawn({
        let server = server.clone();
        async move { server.serve(listener, Json).await }
    });
    blocking(move || go_seedclient_json(&addr, "seed")).await;
    bounded("shutdown", server.shutdown(Duration::from_secs(5))).await;
    bounded("serve loop", serving).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// netrpc's client against Go's server

/// Go's `seedserver` and a netrpc client dialed to it.
async fn go_seedserver_and_client() -> (Process, Client) {
    let (server, addr) = blocking(|| go_seedserver(&[])).await;
    let client = bounded("dial", Client::dial(&addr, Json)).await.unwrap();
    (server, client)
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_calls_go_hello_and_kv() {
    let (_server, client) = go_seedserver_and_client().await;
    check_hello_and_kv(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_gets_go_net_rpc_error_texts() {
    let (_server, client) = go_seedserver_and_client().await;
    for (method, text) in [
        ("Nope.Hello", "rpc: can't find service Nope.Hello"),
        (
            "HelloService.Nope",
            "rpc: can't find method HelloService.Nope",
        ),
        ("NoDot", "rpc: service/method request ill-formed: NoDot"),
    ] {
        assert_eq!(
            server_error(call::<String>(&client, method, "x").await),
            text
        );
    }
    // An argument of the wrong type is answered with Go's decoding error; the connection goes on.
    let wrong = server_error(call::<String>(&client, "HelloService.Hello", &42).await);
    assert!(wrong.contains("cannot unmarshal number"), "{wrong}");
    assert_eq!(hello(&client, "again").await.unwrap(), "hello:again");
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_watch_from_go() {
    let (_server, client) = go_seedserver_and_client().await;
    check_watch_from(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_go_and_go_with_against_go() {
    let (_server, client) = go_seedserver_and_client().await;
    check_go_and_go_with(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_200_concurrent_calls_to_go() {
    let (_server, client) = go_seedserver_and_client().await;
    check_200_concurrent_calls(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_watches_go() {
    let (_server, client) = go_seedserver_and_client().await;
    check_watches(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_unicode_and_1_mib_to_go() {
    let (_server, client) = go_seedserver_and_client().await;
    check_unicode_and_1_mib(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_login_against_go_seedserver() {
    let (_server, addr) = blocking(|| go_seedserver(&["-login", "user:password"])).await;
    // Each connection starts logged out, the second one too.
    for connection in ["first", "second"] {
        let (client, local) = bounded("dial", dial_json(&addr)).await;
        check_login(&client, connection, |peer| peer == local.to_string()).await;
        client.close();
    }
}

#[test]
fn netrpc_call_command_against_go_seedserver() {
    let (_server, addr) = go_seedserver(&[]);

    let hi = netrpc_call_json(&addr, &["HelloService.Hello", r#""hi""#]);
    assert_eq!(
        (hi.code(), hi.stdout.as_str()),
        (Some(0), "\"hello:hi\"\n"),
        "{hi:?}"
    );

    let missing = netrpc_call_json(&addr, &["KVStoreService.Get", r#""missing""#]);
    assert_eq!(missing.code(), Some(1), "{missing:?}");
    assert_eq!(missing.stderr, "error: not found\n");
    assert_eq!(missing.stdout, "");

    let set = netrpc_call_json(&addr, &["KVStoreService.Set", r#"["k","v"]"#]);
    assert_eq!(set.code(), Some(0), "{set:?}");
    let got = netrpc_call_json(&addr, &["KVStoreService.Get", r#""k""#]);
    assert_eq!(
        (got.code(), got.stdout.as_str()),
        (Some(0), "\"v\"\n"),
        "{got:?}"
    );

    let nope = netrpc_call_json(&addr, &["HelloService.Nope", r#""x""#]);
    assert_eq!(nope.code(), Some(1), "{nope:?}");
    assert_eq!(
        nope.stderr,
        "error: rpc: can't find method HelloService.Nope\n"
    );

    let malformed = netrpc_call_json("nope://x", &["HelloService.Hello", r#""hi""#]);
    assert_eq!(malformed.code(), Some(2), "{malformed:?}");
    // A port nothing listens on: bind one, then free it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = netrpc_call_json(
        &format!("tcp://{closed}"),
        &["HelloService.Hello", r#""hi""#],
    );
    assert_eq!(refused.code(), Some(2), "{refused:?}");
}

// ---------------------------------------------------------------------------------------------
// Reverse RPC: Go's service side dials netrpc's calling side

#[tokio::test(flavor = "multi_thread")]
async fn reverse_go_service_dials_netrpc_reverse_listener() {
    let (_service, client) = go_service_dials_reverse_listener(Json, &[]).await;
    client.close();
}

#[test]
fn reverse_go_service_dials_netrpc_call_accept() {
    go_service_dials_netrpc_call_accept(&[], &["--codec", "json"]);
}

// ---------------------------------------------------------------------------------------------
// Reverse RPC: netrpc's service side dials Go's calling side

#[test]
fn reverse_netrpc_service_dials_go_client_seed_scenario() {
    go_calling_side_with_netrpc_reverse(&[], &["--codec", "json"], "seed", &[]);
}

#[test]
fn reverse_netrpc_service_dials_go_client_login_scenario() {
    go_calling_side_with_netrpc_reverse(
        &[],
        &["--codec", "json"],
        "login",
        &["--login", "user:password"],
    );
}

// ---------------------------------------------------------------------------------------------
// Go's own JSON forms: []byte as base64, *big.Int as a bare number

/// Go's `jsonvalues -listen 127.0.0.1:0` and its address.
fn go_jsonvalues_server() -> (Process, String) {
    let mut command = go_program("jsonvalues");
    command.args(["-listen", "127.0.0.1:0"]);
    let server = Process::spawn("jsonvalues -listen", command);
    let addr = server.listening_on(Stream::Stdout);
    (server, addr)
}

/// Runs Go's `jsonvalues -connect ADDR` to the end; fails the test unless every check passed.
fn go_jsonvalues_client(addr: &str) {
    let mut command = go_program("jsonvalues");
    command.args(["-connect", addr]);
    Process::spawn("jsonvalues -connect", command).wait_success();
}

/// Go's `Blob`: byte slices of every kind and a byte array.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Blob {
    data: Vec<u8>,
    nil: Vec<u8>,
    empty: Vec<u8>,
    array: [u8; 4],
    chunks: Vec<Vec<u8>>,
}

/// Go's `wantBlob()`, as netrpc reads it (a nil slice is an empty `Vec`).
fn want_blob() -> Blob {
    Blob {
        data: vec![0, 1, 2, 127, 128, 255],
        nil: vec![],
        empty: vec![],
        array: [0xde, 0xad, 0xbe, 0xef],
        chunks: vec![vec![1], vec![], vec![0xfb, 0xff]],
    }
}

/// The byte methods of Go's `Values`, in Rust.
#[derive(Clone, Copy, Debug, Default)]
struct Values;

service! {
    impl Values {
        #[rpc("EchoBytes")]
        /// Returns its argument.
        pub async fn echo_bytes(&self, v: Vec<u8>) -> Result<Vec<u8>, Infallible> { Ok(v) }
        #[rpc("EchoBlob")]
        /// Returns its argument.
        pub async fn echo_blob(&self, v: Blob) -> Result<Blob, Infallible> { Ok(v) }
    }
}

#[test]
fn control_go_jsonvalues_client_against_go_jsonvalues_server() {
    let (_server, addr) = go_jsonvalues_server();
    go_jsonvalues_client(&addr);
}

/// Go's client sends `[]byte` values (and a string that is not base64) to a netrpc method taking
/// `Vec<u8>`, and reads back Go's text for them.
#[tokio::test(flavor = "multi_thread")]
async fn go_client_sends_bytes_to_netrpc_library_server() {
    let server = Server::builder().register(Values).build();
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    let serving = tokio::spawn({
        let server = server.clone();
        async move { server.serve(listener, Json).await }
    });
    blocking(move || go_jsonvalues_client(&addr)).await;
    bounded("shutdown", server.shutdown(Duration::from_secs(5))).await;
    bounded("serve loop", serving).await.unwrap();
}

/// netrpc's client reads Go's `[]byte` replies and sends `Vec<u8>` as Go's base64.
#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_exchanges_bytes_with_go() {
    let (_server, addr) = blocking(go_jsonvalues_server).await;
    let client = bounded("dial", Client::dial(&addr, Json)).await.unwrap();

    let blob: Blob = call(&client, "Values.Blob", &Empty {}).await.unwrap();
    assert_eq!(blob, want_blob());
    let echoed: Blob = call(&client, "Values.EchoBlob", &want_blob())
        .await
        .unwrap();
    assert_eq!(echoed, want_blob());

    let large: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7) as u8).collect();
    for bytes in [vec![0u8, 1, 2, 127, 128, 255], vec![], large] {
        let echoed: Vec<u8> = call(&client, "Values.EchoBytes", &bytes).await.unwrap();
        assert_eq!(echoed, bytes);
    }
    // What Go received is its own form: base64 for a Vec<u8>, an array for a [u8; N].
    let received: String = call(&client, "Values.Received", &vec![1u8, 2, 3, 255])
        .await
        .unwrap();
    assert_eq!(received, r#""AQID/w==""#);
    let received: String = call(&client, "Values.Received", &[1u8, 2, 3, 255])
        .await
        .unwrap();
    assert_eq!(received, "[1,2,3,255]");
    // Go's decoding error for a string that is not base64, which netrpc's decoder gives too.
    let refused = server_error(call::<Vec<u8>>(&client, "Values.EchoBytes", "not base64!").await);
    assert_eq!(refused, "illegal base64 data at input byte 3");
    let err = call::<Vec<u8>>(&client, "Values.Received", "x")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("illegal base64 data at input byte 0"),
        "{err}"
    );
    client.close();
}

/// `netrpc call --codec json` sends ARGS_JSON's numbers and prints the reply's exactly, as a Go
/// `*big.Int` needs.
#[test]
fn netrpc_call_command_big_numbers_with_go() {
    let (_server, addr) = go_jsonvalues_server();
    let cases: [(&[&str], &str); 5] = [
        (
            &["Values.Double", "123456789012345678901234567890"],
            "246913578024691357802469135780",
        ),
        (&["Values.Pow2", "100"], "1267650600228229401496703205376"),
        (
            &["--", "Values.Double", "-1267650600228229401496703205376"],
            "-2535301200456458802993406410752",
        ),
        // The argument's text reaches Go as given.
        (
            &["Values.Received", r#"{"n": 1e+400, "s": "<&>"}"#],
            r#""{\"n\": 1e+400, \"s\": \"<&>\"}""#,
        ),
        // A reply keeps Go's field order and its text, on one line.
        (
            &["Values.Blob", "{}"],
            r#"{"Data":"AAECf4D/","Nil":null,"Empty":"","Array":[222,173,190,239],"Chunks":["AQ==","","+/8="]}"#,
        ),
    ];
    for (args, want) in cases {
        let done = netrpc_call_json(&addr, args);
        assert_eq!(
            (done.code(), done.stdout.as_str()),
            (Some(0), format!("{want}\n").as_str()),
            "{args:?}: {done:?}"
        );
    }
    let refused = netrpc_call_json(&addr, &["Values.Double", "1.5"]);
    assert_eq!(refused.code(), Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .starts_with("error: math/big: cannot unmarshal"),
        "{refused:?}"
    );
}
