//! Go's HTTP RPC on paths of its own (`Server.HandleHTTP(rpcPath, debugPath)`,
//! `rpc.DialHTTPPath`) against netrpc, both directions, and `netrpc list` reading Go's status
//! pages.
//!
//! Go's `httppaths -listen` serves two `rpc.Server`s on one mux, `alpha` (CONNECT `/alpha`, page
//! at `/alpha/debug`) and `beta` (`/beta`, `/beta/debug`), whose `HelloService.Hello` answer
//! `alpha:...` and `beta:...`; `httppaths -connect` is Go's `rpc.DialHTTPPath` client. netrpc's
//! client (library and `netrpc call`) must reach each server by its path, Go's client must reach
//! `netrpc serve` on a chosen path, and a wrong path must fail with one clear line.
//!
//! Every test binds loopback port 0, learns addresses from `listening on ADDR` lines, and bounds
//! every wait; Go must be installed (`scripts/test` installs it).

mod common;

use common::*;
use interop::{Finished, Process, Stream, go_program, http_get, netrpc_command};
use netrpc::{Client, Gob};
use serde_json::{Value, json};

/// Go's `httppaths -listen 127.0.0.1:0` and its `HOST:PORT`.
fn go_two_servers() -> (Process, String) {
    let mut command = go_program("httppaths");
    command.args(["-listen", "127.0.0.1:0"]);
    let server = Process::spawn("httppaths -listen", command);
    let addr = server.listening_on(Stream::Stdout);
    (server, addr)
}

/// Go's `rpc.DialHTTPPath("tcp", host_port, path)` calling `HelloService.Hello(arg)`.
fn go_dial_http_path(host_port: &str, path: &str, arg: &str) -> Finished {
    let mut command = go_program("httppaths");
    command.args(["-connect", host_port, "-path", path, "-arg", arg]);
    Process::spawn(
        &format!("httppaths -connect {host_port} -path {path}"),
        command,
    )
    .wait()
}

/// Runs `netrpc list ARGS...` to the end.
fn netrpc_list(args: &[&str]) -> Finished {
    let mut command = netrpc_command();
    command.arg("list");
    command.args(args);
    Process::spawn(&format!("netrpc list {args:?}"), command).wait()
}

/// Asserts a command failed with exit status `code`, one line on stderr containing every one of
/// `words`, and nothing on stdout.
fn assert_one_line_error(done: &Finished, code: i32, words: &[&str]) {
    assert_eq!(done.code(), Some(code), "{done:?}");
    assert_eq!(done.stdout, "", "{done:?}");
    assert_eq!(done.stderr.lines().count(), 1, "one line: {done:?}");
    for word in words {
        assert!(done.stderr.contains(word), "{word:?} missing: {done:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Go against Go: proves the Go program by Go's own behaviour.

#[test]
fn control_go_dial_http_path_reaches_each_go_server() {
    let (_server, addr) = go_two_servers();
    for name in ["alpha", "beta"] {
        let done = go_dial_http_path(&addr, &format!("/{name}"), "hi");
        assert_eq!(
            (done.code(), done.stdout.as_str()),
            (Some(0), format!("{name}:hi\n").as_str()),
            "{done:?}"
        );
    }
    let done = go_dial_http_path(&addr, "/_goRPC_", "hi");
    assert_one_line_error(&done, 1, &["unexpected HTTP response: 404 Not Found"]);
}

// ---------------------------------------------------------------------------------------------
// netrpc's client against Go's servers on their paths

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_reaches_each_go_server_by_its_path() {
    let (_server, addr) = blocking(go_two_servers).await;
    for name in ["alpha", "beta"] {
        let url = format!("http://{addr}/{name}");
        let client = bounded("dial", Client::dial(&url, Gob)).await.unwrap();
        assert_eq!(client.peer().transport, "http");
        assert_eq!(hello(&client, "hi").await.unwrap(), format!("{name}:hi"));
        // The path reached that server alone: its own services, not the other's.
        let echo = call::<Vec<String>>(&client, "EchoService.Echo", &["a", "b"][..]).await;
        match name {
            "alpha" => assert_eq!(echo.unwrap(), ["a", "b"]),
            _ => assert_eq!(
                server_error(echo),
                "rpc: can't find service EchoService.Echo"
            ),
        }
        client.close();
    }
    // Nothing at Go's default path, nor at another: Go's mux answers 404.
    for (url, path) in [
        (format!("http://{addr}"), "/_goRPC_"),
        (format!("http://{addr}/"), "/_goRPC_"),
        (format!("http://{addr}/gamma"), "/gamma"),
        (format!("http://{addr}/alpha/"), "/alpha/"),
    ] {
        let err = bounded("dial", Client::dial(&url, Gob))
            .await
            .expect_err("no RPC server at that path");
        assert_eq!(
            err.to_string(),
            format!(
                "connect: dial-http tcp {addr}: unexpected HTTP response: 404 Not Found (to \
                 CONNECT {path})"
            ),
            "{url}"
        );
    }
}

#[test]
fn netrpc_call_reaches_each_go_server_by_its_path() {
    let (_server, addr) = go_two_servers();
    for name in ["alpha", "beta"] {
        let url = format!("http://{addr}/{name}");
        let done = netrpc_call(&["--connect", &url, "HelloService.Hello", r#""hi""#]);
        assert_eq!(
            (done.code(), done.stdout.as_str(), done.stderr.as_str()),
            (Some(0), format!("\"{name}:hi\"\n").as_str(), ""),
            "{done:?}"
        );
    }
    let url = format!("http://{addr}/gamma");
    let done = netrpc_call(&["--connect", &url, "HelloService.Hello", r#""hi""#]);
    assert_one_line_error(
        &done,
        2,
        &["error: ", "404 Not Found", "CONNECT /gamma", &addr],
    );
}

// ---------------------------------------------------------------------------------------------
// Go's rpc.DialHTTPPath against netrpc serve on a chosen path

#[test]
fn go_dial_http_path_reaches_netrpc_serve_on_a_chosen_path() {
    let (_server, url) = netrpc_serve(
        "http://127.0.0.1:0",
        &["--rpc-path", "/custom", "--debug-path", "/custom/debug"],
    );
    let host_port = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/custom"))
        .unwrap_or_else(|| panic!("serve printed {url:?}"));
    let done = go_dial_http_path(host_port, "/custom", "hi");
    assert_eq!(
        (done.code(), done.stdout.as_str()),
        (Some(0), "hello:hi\n"),
        "{done:?}"
    );
    // Go's default path is not served: Go's client fails as against a Go mux.
    let done = go_dial_http_path(host_port, "/_goRPC_", "hi");
    assert_one_line_error(&done, 1, &["unexpected HTTP response: 404 Not Found"]);

    // The status page is at its path, and answers as Go's handlers do elsewhere.
    let (status, page) = http_get(host_port, "/custom/debug");
    assert!(status.starts_with("HTTP/1.0 200"), "{status}\n{page}");
    assert!(page.contains("Hello(string, *string) error"), "{page}");
    let (status, _) = http_get(host_port, "/debug/rpc");
    assert!(status.starts_with("HTTP/1.0 404"), "{status}");
    let (status, body) = http_get(host_port, "/custom");
    assert!(status.starts_with("HTTP/1.0 405"), "{status}");
    assert_eq!(body, "405 must CONNECT\n");
}

/// The default `auto` TCP port with `--rpc-path`: Go's HTTP client on that path, raw gob on the
/// same port.
#[test]
fn go_dial_http_path_reaches_the_auto_port_on_a_chosen_path() {
    let (_server, addr) = netrpc_serve("tcp://127.0.0.1:0", &["--rpc-path", "/shared"]);
    let host_port = addr.strip_prefix("tcp://").unwrap_or(&addr);
    let done = go_dial_http_path(host_port, "/shared", "hi");
    assert_eq!(
        (done.code(), done.stdout.as_str()),
        (Some(0), "hello:hi\n"),
        "{done:?}"
    );
    let done = go_dial_http_path(host_port, "/_goRPC_", "hi");
    assert_one_line_error(&done, 1, &["404 Not Found"]);
    go_seedclient(&addr, &["-codec", "gob", "-scenario", "hello"]);
}

// ---------------------------------------------------------------------------------------------
// netrpc list against Go's status pages

/// The seed's services as Go's page names their types (`seedserver`'s methods).
const GO_SEED_LIST: &str = "\
HelloService.Hello(string, *string) calls=1
KVStoreService.Get(string, *string) calls=0
KVStoreService.Revision(struct {}, *uint64) calls=0
KVStoreService.Set([2]string, *struct {}) calls=0
KVStoreService.Watch(int, *string) calls=0
KVStoreService.WatchFrom(main.WatchFromArgs, *main.WatchFromReply) calls=0
";

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_list_reads_go_s_default_debug_page() {
    let (_server, host_port) = blocking(|| go_seedserver(&["-http"])).await;
    let url = format!("http://{host_port}");
    let client = bounded("dial", Client::dial(&url, Gob)).await.unwrap();
    assert_eq!(hello(&client, "hi").await.unwrap(), "hello:hi");

    let listed = blocking(move || netrpc_list(&[&url])).await;
    assert_eq!(
        (
            listed.code(),
            listed.stdout.as_str(),
            listed.stderr.as_str()
        ),
        (Some(0), GO_SEED_LIST, ""),
        "{listed:?}"
    );
}

#[test]
fn netrpc_list_reads_each_go_server_s_page_at_its_path() {
    let (_server, addr) = go_two_servers();
    let done = go_dial_http_path(&addr, "/alpha", "hi");
    assert_eq!(done.code(), Some(0), "{done:?}");

    let url = format!("http://{addr}");
    let alpha = netrpc_list(&[&url, "--debug-path", "/alpha/debug"]);
    assert_eq!(
        (alpha.code(), alpha.stdout.as_str()),
        (
            Some(0),
            "EchoService.Echo([]string, *[]string) calls=0\n\
             HelloService.Hello(string, *string) calls=1\n"
        ),
        "{alpha:?}"
    );
    let beta = netrpc_list(&[&url, "--debug-path", "/beta/debug", "--json"]);
    assert_eq!(beta.code(), Some(0), "{beta:?}");
    let beta: Value = serde_json::from_str(&beta.stdout).expect("one JSON value");
    assert_eq!(
        beta,
        json!([{
            "name": "HelloService",
            "methods": [{"name": "Hello", "arg": "string", "reply": "*string", "calls": 0}]
        }])
    );

    // No page at Go's default path here: one line saying so, and what to do.
    let missing = netrpc_list(&[&url]);
    assert_one_line_error(
        &missing,
        2,
        &["GET /debug/rpc", "404 Not Found", "--debug-path"],
    );
    // The RPC path answers, but not with a page.
    let not_a_page = netrpc_list(&[&url, "--debug-path", "/alpha"]);
    assert_one_line_error(&not_a_page, 2, &["405 Method Not Allowed"]);
}
