//! Go's default net/rpc codec, gob, against netrpc's `Gob` codec, both directions: Go's client
//! (`rpc.Dial`) against netrpc's server (command, default `auto` and `--codec gob`, and
//! library), netrpc's client (library and command) against Go's `rpc.ServeConn`, reverse RPC
//! with either side dialing. The type zoo is in `tests/zoo.rs`.
//!
//! Every test binds loopback port 0, learns addresses from `listening on ADDR` lines, and bounds
//! every wait; Go must be installed (`scripts/test` installs it).

mod common;

use common::*;
use interop::{Process, dial_tcp};
use netrpc::{Client, Gob, Server};
use rpc_services::{HelloService, KvStoreService};
use serde_json::{Value, json};

/// Go's `seedserver -codec gob` (`rpc.ServeConn`) and a netrpc gob client dialed to it.
async fn go_gob_seedserver_and_client() -> (Process, Client) {
    let (server, addr) = blocking(|| go_seedserver(&["-codec", "gob"])).await;
    let client = bounded("dial", Client::dial(&addr, Gob)).await.unwrap();
    (server, client)
}

/// What Go's server answers when a gob argument does not fit the method's argument type
/// (an `int` sent to `Hello(string)`).
const GO_GOB_WRONG_TYPE: &str = "gob: decoding into local type *string, received remote type int";

// ---------------------------------------------------------------------------------------------
// Go against Go: proves the Go programs' gob scenarios by Go's own behaviour.

#[test]
fn control_go_gob_seedclient_against_go_gob_seedserver() {
    let (_server, addr) = go_seedserver(&["-codec", "gob"]);
    go_seedclient(&addr, &["-codec", "gob", "-scenario", "seed"]);
    let (_server, addr) = go_seedserver(&["-codec", "gob", "-login", "user:password"]);
    go_seedclient(&addr, &["-codec", "gob", "-scenario", "login"]);
}

// ---------------------------------------------------------------------------------------------
// Go's gob client (rpc.Dial) against netrpc's server

#[test]
fn go_gob_client_seed_scenario_against_netrpc_serve_default_auto() {
    let (_server, addr) = netrpc_serve("tcp://127.0.0.1:0", &[]);
    go_seedclient(&addr, &["-codec", "gob", "-scenario", "seed"]);
}

#[test]
fn go_gob_client_seed_scenario_against_netrpc_serve_gob() {
    let (_server, addr) = netrpc_serve("tcp://127.0.0.1:0", &["--codec", "gob"]);
    go_seedclient(&addr, &["-codec", "gob", "-scenario", "seed"]);
}

#[test]
fn go_gob_client_login_scenario_against_netrpc_serve() {
    for codec in ["auto", "gob"] {
        let (_server, addr) = netrpc_serve(
            "tcp://127.0.0.1:0",
            &["--codec", codec, "--login", "user:password"],
        );
        go_seedclient(&addr, &["-codec", "gob", "-scenario", "login"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn go_gob_client_seed_scenario_against_netrpc_library_server() {
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
        async move { server.serve(listener, Gob).await }
    });
    blocking(move || go_seedclient(&addr, &["-codec", "gob", "-scenario", "seed"])).await;
    bounded(
        "shutdown",
        server.shutdown(std::time::Duration::from_secs(5)),
    )
    .await;
    bounded("serve loop", serving).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// netrpc's gob client against Go's rpc.ServeConn

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_gob_client_calls_go_hello_and_kv() {
    let (_server, client) = go_gob_seedserver_and_client().await;
    check_hello_and_kv(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_gob_client_gets_go_net_rpc_error_texts() {
    let (_server, client) = go_gob_seedserver_and_client().await;
    check_go_error_texts(&client, GO_GOB_WRONG_TYPE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_gob_client_watch_from_go() {
    let (_server, client) = go_gob_seedserver_and_client().await;
    check_watch_from(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_gob_client_go_and_go_with_against_go() {
    let (_server, client) = go_gob_seedserver_and_client().await;
    check_go_and_go_with(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_gob_client_200_concurrent_calls_to_go() {
    let (_server, client) = go_gob_seedserver_and_client().await;
    check_200_concurrent_calls(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_gob_client_watches_go() {
    let (_server, client) = go_gob_seedserver_and_client().await;
    check_watches(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_gob_client_unicode_and_1_mib_to_go() {
    let (_server, client) = go_gob_seedserver_and_client().await;
    check_unicode_and_1_mib(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_gob_client_login_against_go_seedserver() {
    let (_server, addr) =
        blocking(|| go_seedserver(&["-codec", "gob", "-login", "user:password"])).await;
    // Each connection starts logged out, the second one too.
    for connection in ["first", "second"] {
        let (client, local) = bounded("dial", dial_tcp(&addr, &Gob)).await;
        let local = local.to_string();
        check_login(&client, connection, |from| from == local).await;
        client.close();
    }
}

// ---------------------------------------------------------------------------------------------
// `netrpc call` (gob by default) against Go's rpc.ServeConn

/// `netrpc call --connect ADDR ARGS...` (no --codec: gob) and its exit code, stdout, stderr.
fn call_gob(addr: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["--connect", addr];
    all.extend_from_slice(args);
    let done = netrpc_call(&all);
    (done.code(), done.stdout, done.stderr)
}

#[test]
fn netrpc_call_gob_against_go_seedserver() {
    let (_server, addr) = go_seedserver(&["-codec", "gob"]);
    let ok = |stdout: &str| (Some(0), stdout.to_owned(), String::new());

    assert_eq!(
        call_gob(&addr, &["HelloService.Hello", r#""hi""#]),
        ok("\"hello:hi\"\n")
    );
    assert_eq!(
        call_gob(&addr, &["KVStoreService.Get", r#""missing""#]),
        (Some(1), String::new(), "error: not found\n".into())
    );
    assert_eq!(
        call_gob(&addr, &["HelloService.Nope", r#""x""#]),
        (
            Some(1),
            String::new(),
            "error: rpc: can't find method HelloService.Nope\n".into()
        )
    );

    // Set takes Go's [2]string: given as --arg-type, the call works (the reply is struct{}).
    assert_eq!(
        call_gob(
            &addr,
            &[
                "--arg-type",
                "[2]string",
                "KVStoreService.Set",
                r#"["k","v"]"#
            ]
        ),
        ok("{}\n")
    );
    assert_eq!(
        call_gob(&addr, &["KVStoreService.Get", r#""k""#]),
        ok("\"v\"\n")
    );

    // Without --arg-type a JSON array of strings is inferred as []string, and Go's gob does not
    // decode a slice into an array: Go's server answers with its decoding error (exit 1), and
    // nothing is set. Go's text ends with its name for the remote type, which varies with the
    // Go version: the name the type's definition gives it (netrpc names it as Go does,
    // `[]string`: Go 1.26 prints `received remote type []string`), or the local type that
    // happens to have the same id (Go 1.19).
    let (code, stdout, stderr) = call_gob(&addr, &["KVStoreService.Set", r#"["k","v2"]"#]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""), "{stderr}");
    assert!(
        stderr.starts_with("error: gob: decoding into local type *[2]string, received remote type"),
        "{stderr}"
    );
    assert_eq!(
        call_gob(&addr, &["KVStoreService.Get", r#""k""#]),
        ok("\"v\"\n")
    );

    // Inferred scalars and structs: an int for Watch, struct{} for Revision.
    assert_eq!(
        call_gob(&addr, &["KVStoreService.Watch", "0"]),
        (Some(1), String::new(), "error: timeout\n".into())
    );
    assert_eq!(
        call_gob(&addr, &["KVStoreService.Revision", "{}"]),
        ok("1\n")
    );

    // WatchFrom with its struct type spelled out; the reply is printed as JSON.
    let (code, stdout, stderr) = call_gob(
        &addr,
        &[
            "--arg-type",
            "struct { Revision uint64; Prefix string; TimeoutSeconds int }",
            "KVStoreService.WatchFrom",
            r#"{"Revision":0,"Prefix":"k","TimeoutSeconds":5}"#,
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let reply: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        reply,
        json!({"Revision": 1, "Changes": [{"Revision": 1, "Key": "k", "Value": "v"}]})
    );
}

// ---------------------------------------------------------------------------------------------
// Reverse RPC over gob: Go's service side dials netrpc's calling side

#[tokio::test(flavor = "multi_thread")]
async fn reverse_go_gob_service_dials_netrpc_reverse_listener() {
    let (_service, client) = go_service_dials_reverse_listener(Gob, &["-codec", "gob"]).await;
    check_go_and_go_with(&client).await;
    client.close();
}

#[test]
fn reverse_go_gob_service_dials_netrpc_call_accept() {
    // netrpc call speaks gob by default.
    go_service_dials_netrpc_call_accept(&["-codec", "gob"], &[]);
}

// ---------------------------------------------------------------------------------------------
// Reverse RPC over gob: netrpc's service side dials Go's calling side

#[test]
fn reverse_netrpc_gob_service_dials_go_client_seed_scenario() {
    // netrpc reverse speaks gob by default.
    go_calling_side_with_netrpc_reverse(&["-codec", "gob"], &[], "seed", &[]);
}

#[test]
fn reverse_netrpc_gob_service_dials_go_client_login_scenario() {
    go_calling_side_with_netrpc_reverse(
        &["-codec", "gob"],
        &[],
        "login",
        &["--login", "user:password"],
    );
}
