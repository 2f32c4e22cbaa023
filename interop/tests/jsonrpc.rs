//! Go's `net/rpc/jsonrpc` against netrpc's `Json` codec, both directions: Go's client against
//! netrpc's server (command and library), netrpc's client (library and command) against Go's
//! server, and reverse RPC with either side dialing.
//!
//! Every test binds loopback port 0, learns addresses from `listening on ADDR` lines, and bounds
//! every wait; Go must be installed (`scripts/test` installs it).

mod common;

use std::time::Duration;

use common::*;
use interop::{Finished, Process, dial_json};
use netrpc::{Client, Json, Server};
use rpc_services::{HelloService, KvStoreService};

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
