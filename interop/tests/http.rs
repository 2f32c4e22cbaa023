//! Go's HTTP transport for net/rpc (`rpc.DialHTTP` / `rpc.HandleHTTP`: `CONNECT /_goRPC_`, then
//! gob) against netrpc's `http://` transport, both directions: Go's client against `netrpc serve
//! --listen http://...` and against the default `auto` TCP port (which also takes raw gob and
//! jsonrpc clients, all at once), netrpc's client against Go's `rpc.HandleHTTP`, and both sides'
//! `GET /debug/rpc` pages. Paths other than Go's defaults are in `httppaths.rs`.
//!
//! Every test binds loopback port 0, learns addresses from `listening on ADDR` lines, and bounds
//! every wait; Go must be installed (`scripts/test` installs it).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use common::*;
use interop::{Process, debug_page_calls, http_get};
use netrpc::{Client, Gob};

/// Go's `seedserver -http` (`rpc.HandleHTTP`, `http.Serve`) and its address as netrpc writes it
/// (`http://127.0.0.1:PORT`).
fn go_http_seedserver(extra: &[&str]) -> (Process, String) {
    let mut args = vec!["-http"];
    args.extend_from_slice(extra);
    let (server, addr) = go_seedserver(&args);
    (server, format!("http://{addr}"))
}

/// Go's `seedserver -http` and a netrpc gob client dialed to it over `http://`.
async fn go_http_seedserver_and_client() -> (Process, Client) {
    let (server, addr) = blocking(|| go_http_seedserver(&[])).await;
    let client = bounded("dial", Client::dial(&addr, Gob)).await.unwrap();
    assert_eq!(client.peer().transport, "http");
    (server, client)
}

/// Whether `from` (what a per-connection HelloService saw as its peer) is a loopback address.
/// netrpc's `http://` dial does not show the client its local address.
fn is_loopback(from: &str) -> bool {
    from.parse::<SocketAddr>()
        .is_ok_and(|addr| addr.ip().is_loopback())
}

/// `(method, calls)` pairs as a map, for comparing with [`debug_page_calls`].
fn calls(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|&(m, n)| (m.to_owned(), n)).collect()
}

// ---------------------------------------------------------------------------------------------
// Go against Go: proves the Go programs' HTTP scenarios by Go's own behaviour.

#[test]
fn control_go_http_seedclient_against_go_http_seedserver() {
    let (_server, addr) = go_http_seedserver(&[]);
    go_seedclient(&addr, &["-http", "-scenario", "seed"]);
    let (_server, addr) = go_http_seedserver(&["-login", "user:password"]);
    go_seedclient(&addr, &["-http", "-scenario", "login"]);
}

// ---------------------------------------------------------------------------------------------
// Go's rpc.DialHTTP against netrpc's server

#[test]
fn go_http_client_seed_scenario_against_netrpc_serve_http() {
    let (_server, addr) = netrpc_serve("http://127.0.0.1:0", &[]);
    go_seedclient(&addr, &["-http", "-scenario", "seed"]);
}

#[test]
fn go_http_client_login_scenario_against_netrpc_serve_http() {
    let (_server, addr) = netrpc_serve("http://127.0.0.1:0", &["--login", "user:password"]);
    go_seedclient(&addr, &["-http", "-scenario", "login"]);
}

#[test]
fn go_http_client_seed_and_login_scenarios_against_netrpc_serve_default_auto_port() {
    let (_server, addr) = netrpc_serve("tcp://127.0.0.1:0", &[]);
    go_seedclient(&addr, &["-http", "-scenario", "seed"]);
    let (_server, addr) = netrpc_serve("tcp://127.0.0.1:0", &["--login", "user:password"]);
    go_seedclient(&addr, &["-http", "-scenario", "login"]);
}

/// One `netrpc serve` (default: auto codec on TCP, HTTP CONNECT on the same port) serving Go's
/// gob client (`rpc.Dial`), jsonrpc client and HTTP client (`rpc.DialHTTP`) at the same time,
/// each running the seed scenario on keys of its own, while its `/debug/rpc` page is fetched
/// over the same port.
#[test]
fn one_auto_port_serves_go_gob_jsonrpc_and_http_clients_at_once() {
    let (_server, addr) = netrpc_serve("tcp://127.0.0.1:0", &[]);
    let clients: Vec<Process> = [
        &["-codec", "gob", "-prefix", "gob/"][..],
        &["-codec", "json", "-prefix", "json/"],
        &["-http", "-prefix", "http/"],
    ]
    .iter()
    .map(|args| {
        let mut all = vec!["-scenario", "shared"];
        all.extend_from_slice(args);
        spawn_go_seedclient(&addr, &all)
    })
    .collect();
    let (status, page) = http_get(&addr, "/debug/rpc");
    assert!(status.starts_with("HTTP/1.0 200"), "{status}\n{page}");
    assert!(page.contains("Service KVStoreService"), "{page}");
    for client in clients {
        client.wait_success();
    }
    // Every client is done: the page counts all their calls (each made 100 concurrent Hellos,
    // and more).
    let (_, page) = http_get(&addr, "/debug/rpc");
    let services = debug_page_calls(&page);
    let hello = services["HelloService"]["Hello"];
    assert!(hello >= 3 * 100, "Hello calls: {hello}\n{page}");
}

// ---------------------------------------------------------------------------------------------
// netrpc's client over http:// against Go's rpc.HandleHTTP

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_http_client_calls_go_hello_and_kv() {
    let (_server, client) = go_http_seedserver_and_client().await;
    check_hello_and_kv(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_http_client_gets_go_net_rpc_error_texts() {
    let (_server, client) = go_http_seedserver_and_client().await;
    check_go_error_texts(
        &client,
        "gob: decoding into local type *string, received remote type int",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_http_client_watch_from_go() {
    let (_server, client) = go_http_seedserver_and_client().await;
    check_watch_from(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_http_client_go_and_go_with_against_go() {
    let (_server, client) = go_http_seedserver_and_client().await;
    check_go_and_go_with(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_http_client_200_concurrent_calls_to_go() {
    let (_server, client) = go_http_seedserver_and_client().await;
    check_200_concurrent_calls(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_http_client_watches_go() {
    let (_server, client) = go_http_seedserver_and_client().await;
    check_watches(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_http_client_unicode_and_1_mib_to_go() {
    let (_server, client) = go_http_seedserver_and_client().await;
    check_unicode_and_1_mib(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_http_client_login_against_go_seedserver() {
    let (_server, addr) = blocking(|| go_http_seedserver(&["-login", "user:password"])).await;
    // Each CONNECT gets its own server: each connection starts logged out, the second one too.
    for connection in ["first", "second"] {
        let client = bounded("dial", Client::dial(&addr, Gob)).await.unwrap();
        check_login(&client, connection, is_loopback).await;
        client.close();
    }
}

#[test]
fn netrpc_call_over_http_against_go_seedserver() {
    let (_server, addr) = go_http_seedserver(&[]);
    let hi = netrpc_call(&["--connect", &addr, "HelloService.Hello", r#""hi""#]);
    assert_eq!(
        (hi.code(), hi.stdout.as_str()),
        (Some(0), "\"hello:hi\"\n"),
        "{hi:?}"
    );
    let missing = netrpc_call(&["--connect", &addr, "KVStoreService.Get", r#""missing""#]);
    assert_eq!(
        (missing.code(), missing.stderr.as_str()),
        (Some(1), "error: not found\n"),
        "{missing:?}"
    );
}

/// netrpc's `http://` dial to a Go server that speaks raw jsonrpc, not HTTP: Go's server reads
/// the `CONNECT` line as broken JSON and closes the connection, so the dial fails rather than
/// hanging. (A raw gob server would instead read `C`, 67, as a message length and wait for the
/// rest, as Go's own `rpc.DialHTTP` would then wait for an answer: neither side times out.)
#[tokio::test(flavor = "multi_thread")]
async fn netrpc_http_dial_to_a_raw_jsonrpc_go_server_fails() {
    let (_server, addr) = blocking(|| go_seedserver(&["-codec", "json"])).await;
    let dialed = bounded("dial", Client::dial(&format!("http://{addr}"), Gob)).await;
    let err = dialed.expect_err("an HTTP dial to a raw gob server");
    assert!(err.to_string().contains("dial-http tcp"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// GET /debug/rpc on both sides

#[tokio::test(flavor = "multi_thread")]
async fn go_debug_rpc_page_lists_services_methods_and_calls() {
    let (_server, client) = go_http_seedserver_and_client().await;
    let addr = client.peer().addr.clone();
    for i in 0..3 {
        assert_eq!(
            hello(&client, &i.to_string()).await.unwrap(),
            format!("hello:{i}")
        );
    }
    set(&client, "k", "v").await;
    assert_eq!(get(&client, "k").await.unwrap(), "v");
    assert_eq!(server_error(get(&client, "missing").await), "not found");

    let (status, page) = blocking(move || http_get(&addr, "/debug/rpc")).await;
    assert!(status.starts_with("HTTP/1.0 200"), "{status}\n{page}");
    let services = debug_page_calls(&page);
    assert_eq!(services["HelloService"], calls(&[("Hello", 3)]), "{page}");
    assert_eq!(
        services["KVStoreService"],
        calls(&[
            ("Get", 2),
            ("Revision", 0),
            ("Set", 1),
            ("Watch", 0),
            ("WatchFrom", 0)
        ]),
        "{page}"
    );
}

/// netrpc's page has Go's layout, so the same reader finds the same services, methods and
/// counts, on a pure `http://` listener and on the default auto TCP port.
#[tokio::test(flavor = "multi_thread")]
async fn netrpc_debug_rpc_page_lists_services_methods_and_calls() {
    for listen in ["http://127.0.0.1:0", "tcp://127.0.0.1:0"] {
        let (_server, addr) = blocking(move || netrpc_serve(listen, &[])).await;
        let client = if listen.starts_with("http") {
            bounded("dial", Client::dial(&addr, Gob)).await.unwrap()
        } else {
            bounded(
                "dial",
                Client::dial(&addr.replace("tcp://", "http://"), Gob),
            )
            .await
            .unwrap()
        };
        for i in 0..3 {
            assert_eq!(
                hello(&client, &i.to_string()).await.unwrap(),
                format!("hello:{i}")
            );
        }
        set(&client, "k", "v").await;
        assert_eq!(get(&client, "k").await.unwrap(), "v");
        assert_eq!(server_error(get(&client, "missing").await), "not found");

        let (status, page) = blocking(move || http_get(&addr, "/debug/rpc")).await;
        assert!(
            status.starts_with("HTTP/1.0 200"),
            "{listen}: {status}\n{page}"
        );
        let services = debug_page_calls(&page);
        assert_eq!(
            services["HelloService"],
            calls(&[("Hello", 3)]),
            "{listen}\n{page}"
        );
        assert_eq!(
            services["KVStoreService"],
            calls(&[
                ("Get", 2),
                ("Revision", 0),
                ("Set", 1),
                ("Watch", 0),
                ("WatchFrom", 0)
            ]),
            "{listen}\n{page}"
        );
    }
}
