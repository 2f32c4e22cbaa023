//! Go's `net/rpc/jsonrpc` against netrpc's `Json` codec, both directions: Go's client against
//! netrpc's server (command and library), netrpc's client (library and command) against Go's
//! server, and reverse RPC with either side dialing.
//!
//! Every test binds loopback port 0, learns addresses from `listening on ADDR` lines, and bounds
//! every wait; Go must be installed (`scripts/test` installs it).

use std::collections::HashSet;
use std::time::Duration;

use interop::{Finished, Process, Stream, dial_json, go_program, netrpc_command};
use netrpc::reverse::ReverseListener;
use netrpc::{Client, Empty, Json, Server};
use rpc_services::{Change, HelloService, KvStoreService, WatchFromArgs, WatchFromReply};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;

/// Bound on any single call in these tests, so that a hang fails rather than blocks.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Helpers

/// `netrpc serve --listen tcp://127.0.0.1:0 --codec json EXTRA...` and its address.
fn netrpc_serve(extra: &[&str]) -> (Process, String) {
    let mut command = netrpc_command();
    command.args(["serve", "--listen", "tcp://127.0.0.1:0", "--codec", "json"]);
    command.args(extra);
    let server = Process::spawn("netrpc serve", command);
    let addr = server.listening_on(Stream::Stdout);
    assert!(
        addr.starts_with("tcp://127.0.0.1:"),
        "serve printed {addr:?}"
    );
    (server, addr)
}

/// Go's `seedserver -listen 127.0.0.1:0 EXTRA...` and its address (`127.0.0.1:PORT`).
fn go_seedserver(extra: &[&str]) -> (Process, String) {
    let mut command = go_program("seedserver");
    command.args(["-listen", "127.0.0.1:0"]);
    command.args(extra);
    let server = Process::spawn("seedserver", command);
    let addr = server.listening_on(Stream::Stdout);
    (server, addr)
}

/// Runs Go's `seedclient -connect ADDR -scenario SCENARIO` to the end; fails the test with its
/// report unless every check passed.
fn go_seedclient(addr: &str, scenario: &str) -> Finished {
    let mut command = go_program("seedclient");
    command.args(["-connect", addr, "-scenario", scenario]);
    Process::spawn(&format!("seedclient -scenario {scenario}"), command).wait_success()
}

/// Runs `netrpc call --codec json --connect ADDR ARGS...` to the end.
fn netrpc_call(addr: &str, args: &[&str]) -> Finished {
    let mut command = netrpc_command();
    command.args(["call", "--codec", "json", "--connect", addr]);
    command.args(args);
    Process::spawn("netrpc call", command).wait()
}

/// Runs blocking process handling off the async runtime's workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("blocking task panicked")
}

/// Awaits `future`, failing the test if it takes longer than [`CALL_TIMEOUT`].
async fn bounded<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(CALL_TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {CALL_TIMEOUT:?}"))
}

/// Calls `method`, failing the test if no answer comes within [`CALL_TIMEOUT`].
async fn call<R: DeserializeOwned>(
    client: &Client,
    method: &str,
    args: &(impl Serialize + ?Sized),
) -> Result<R, netrpc::Error> {
    bounded(method, client.call(method, args)).await
}

async fn hello(client: &Client, request: &str) -> Result<String, netrpc::Error> {
    call(client, "HelloService.Hello", request).await
}

async fn get(client: &Client, key: &str) -> Result<String, netrpc::Error> {
    call(client, "KVStoreService.Get", key).await
}

async fn set(client: &Client, key: &str, value: &str) {
    let _: Empty = call(client, "KVStoreService.Set", &[key, value])
        .await
        .unwrap_or_else(|err| panic!("Set {key:?}: {err}"));
}

fn server_error<T: std::fmt::Debug>(result: Result<T, netrpc::Error>) -> String {
    match result {
        Err(err) => err
            .server_message()
            .unwrap_or_else(|| panic!("expected a server error, got {err}"))
            .to_owned(),
        Ok(reply) => panic!("expected a server error, got the reply {reply:?}"),
    }
}

/// Sets `prefix0`, `prefix1`, ... until every watcher has finished, and returns the keys set.
///
/// A `Watch` sees only changes made after the server registered it, and the client cannot know
/// when that happened (the server runs each call in its own goroutine). So rather than sleep and
/// hope, keep changing the store until every watcher has answered; each answer must then be one
/// of these keys, which holds however the server schedules its handlers.
async fn wake<T>(client: &Client, prefix: &str, watchers: &[JoinHandle<T>]) -> HashSet<String> {
    let deadline = tokio::time::Instant::now() + CALL_TIMEOUT;
    let mut keys = HashSet::new();
    for i in 0.. {
        if watchers.iter().all(JoinHandle::is_finished) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{prefix}: watchers not woken after {} changes",
            keys.len()
        );
        let key = format!("{prefix}{i}");
        set(client, &key, "v").await;
        keys.insert(key);
    }
    keys
}

/// Strings JSON must escape, or that are not ASCII (the same as seedclient's).
const UNICODE: &[&str] = &[
    "héllo wörld",
    "世界",
    "🦀🐹 emoji outside the BMP",
    "quote\" backslash\\ slash/",
    "tab\t newline\n return\r",
    "controls \u{0}\u{1}\u{1f}\u{7f}",
    "<script>&amp;</script>",
    "line separators \u{2028}\u{2029}",
    "\u{feff}bom",
];

/// 1 MiB strings: plain, and full of characters JSON escapes.
fn large_strings() -> [(&'static str, String); 2] {
    [
        ("plain", "0123456789abcdef".repeat(1 << 16)),
        ("escaped", "é世🦀\"\\\n<>&\u{1}".repeat((1 << 20) / 16)),
    ]
}

// ---------------------------------------------------------------------------------------------
// Go against Go: proves the Go programs' scenarios by Go's own behaviour.

#[test]
fn control_go_seedclient_against_go_seedserver() {
    let (_server, addr) = go_seedserver(&[]);
    go_seedclient(&addr, "seed");
    let (_server, addr) = go_seedserver(&["-login", "user:password"]);
    go_seedclient(&addr, "login");
}

// ---------------------------------------------------------------------------------------------
// Go's client against netrpc's server

#[test]
fn go_client_seed_scenario_against_netrpc_serve() {
    let (_server, addr) = netrpc_serve(&[]);
    go_seedclient(&addr, "seed");
}

#[test]
fn go_client_login_scenario_against_netrpc_serve() {
    let (_server, addr) = netrpc_serve(&["--login", "user:password"]);
    go_seedclient(&addr, "login");
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
    blocking(move || go_seedclient(&addr, "seed")).await;
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
    assert_eq!(hello(&client, "hi").await.unwrap(), "hello:hi");
    assert_eq!(hello(&client, "").await.unwrap(), "hello:");
    assert_eq!(server_error(get(&client, "missing").await), "not found");
    set(&client, "k", "v").await;
    assert_eq!(get(&client, "k").await.unwrap(), "v");
    set(&client, "k", "v2").await;
    assert_eq!(get(&client, "k").await.unwrap(), "v2");
    set(&client, "empty", "").await;
    assert_eq!(get(&client, "empty").await.unwrap(), "");
    for secs in [0i64, 1] {
        let timeout = call::<String>(&client, "KVStoreService.Watch", &secs).await;
        assert_eq!(server_error(timeout), "timeout", "Watch({secs})");
    }
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
    let r0: u64 = call(&client, "KVStoreService.Revision", &Empty {})
        .await
        .unwrap();
    set(&client, "wf/a", "1").await;
    set(&client, "other", "x").await;
    set(&client, "wf/b", "2").await;
    let watch_from = |revision: u64, timeout_seconds: i64| {
        let client = client.clone();
        let args = WatchFromArgs {
            revision,
            prefix: "wf/".into(),
            timeout_seconds,
        };
        async move {
            call::<WatchFromReply>(&client, "KVStoreService.WatchFrom", &args)
                .await
                .unwrap()
        }
    };
    let change = |revision, key: &str, value: &str| Change {
        revision,
        key: key.into(),
        value: value.into(),
    };
    assert_eq!(
        watch_from(r0, 0).await,
        WatchFromReply {
            revision: r0 + 3,
            changes: vec![change(r0 + 1, "wf/a", "1"), change(r0 + 3, "wf/b", "2")],
        }
    );
    // Nothing new: Go sends its nil slice as `"Changes":null`.
    assert_eq!(
        watch_from(r0 + 3, 0).await,
        WatchFromReply {
            revision: r0 + 3,
            changes: vec![]
        }
    );
    // A waiting WatchFrom gets the change after its revision whenever Go registered it.
    let waiting = tokio::spawn(watch_from(r0 + 3, 30));
    set(&client, "other", "y").await;
    set(&client, "wf/c", "3").await;
    assert_eq!(
        bounded("WatchFrom waiting", waiting).await.unwrap(),
        WatchFromReply {
            revision: r0 + 5,
            changes: vec![change(r0 + 5, "wf/c", "3")],
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_go_and_go_with_against_go() {
    let (_server, client) = go_seedserver_and_client().await;
    let hello_call = client.go::<_, String>("HelloService.Hello", "hello".to_string());
    let done = bounded("go", hello_call).await;
    assert_eq!(done.service_method, "HelloService.Hello");
    assert_eq!(done.args, "hello");
    assert_eq!(done.reply.unwrap(), "hello:hello");

    let (tx, mut rx) = tokio::sync::mpsc::channel(10);
    for i in 0..10 {
        client
            .go_with::<_, String>("HelloService.Hello", i.to_string(), &tx)
            .unwrap();
    }
    for _ in 0..10 {
        let done = bounded("go_with", rx.recv()).await.unwrap();
        assert_eq!(done.reply.unwrap(), format!("hello:{}", done.args));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_200_concurrent_calls_to_go() {
    let (_server, client) = go_seedserver_and_client().await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let arg = format!("call-{i}");
                if i % 2 == 0 {
                    assert_eq!(hello(&client, &arg).await.unwrap(), format!("hello:{arg}"));
                } else {
                    let key = format!("concurrent/{arg}");
                    set(&client, &key, &arg).await;
                    assert_eq!(get(&client, &key).await.unwrap(), arg);
                }
            })
        })
        .collect();
    for task in tasks {
        bounded("concurrent call", task).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_watches_go() {
    let (_server, client) = go_seedserver_and_client().await;
    set(&client, "k", "v").await;

    // A pending Watch does not hold up other calls.
    let pending = tokio::spawn(client.go::<_, String>("KVStoreService.Watch", 60i64));
    for i in 0..20 {
        let arg = format!("while watching {i}");
        assert_eq!(hello(&client, &arg).await.unwrap(), format!("hello:{arg}"));
        assert_eq!(get(&client, "k").await.unwrap(), "v");
    }
    assert!(
        !pending.is_finished(),
        "the Watch returned though nothing changed"
    );
    let keys = wake(&client, "pending/", std::slice::from_ref(&pending)).await;
    let key = pending.await.unwrap().reply.unwrap();
    assert!(
        keys.contains(&key),
        "Watch returned {key:?}, not one of {keys:?}"
    );

    // 50 watchers, all woken.
    let watchers: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { call::<String>(&client, "KVStoreService.Watch", &30).await })
        })
        .collect();
    let keys = wake(&client, "fanout/", &watchers).await;
    for watcher in watchers {
        let key = watcher.await.unwrap().unwrap();
        assert!(
            keys.contains(&key),
            "Watch returned {key:?}, not one of {keys:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_unicode_and_1_mib_to_go() {
    let (_server, client) = go_seedserver_and_client().await;
    for text in UNICODE {
        assert_eq!(hello(&client, text).await.unwrap(), format!("hello:{text}"));
        let key = format!("ключ/{text}");
        set(&client, &key, text).await;
        assert_eq!(get(&client, &key).await.unwrap(), *text);
    }
    for (name, text) in large_strings() {
        let reply = hello(&client, &text).await.unwrap();
        assert!(reply == format!("hello:{text}"), "Hello 1 MiB {name}");
        let key = format!("large/{name}");
        set(&client, &key, &text).await;
        assert!(
            get(&client, &key).await.unwrap() == text,
            "Get 1 MiB {name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_login_against_go_seedserver() {
    let (_server, addr) = blocking(|| go_seedserver(&["-login", "user:password"])).await;
    // Each connection starts logged out, the second one too.
    for connection in ["first", "second"] {
        let (client, local) = bounded("dial", dial_json(&addr)).await;
        let login =
            |credentials: &'static str| call::<String>(&client, "HelloService.Login", credentials);
        let please_login = server_error(hello(&client, "x").await);
        assert_eq!(please_login, "please login", "{connection}");
        let auth_failed = server_error(login("user:wrong").await);
        assert_eq!(auth_failed, "auth failed", "{connection}");
        let please_login = server_error(hello(&client, "x").await);
        assert_eq!(please_login, "please login", "{connection}");
        // The seed's Login replies with an empty string.
        assert_eq!(login("user:password").await.unwrap(), "", "{connection}");
        let reply = hello(&client, "x").await.unwrap();
        assert_eq!(reply, format!("hello:x, from {local}"), "{connection}");
        client.close();
    }
}

#[test]
fn netrpc_call_command_against_go_seedserver() {
    let (_server, addr) = go_seedserver(&[]);

    let hi = netrpc_call(&addr, &["HelloService.Hello", r#""hi""#]);
    assert_eq!(
        (hi.code(), hi.stdout.as_str()),
        (Some(0), "\"hello:hi\"\n"),
        "{hi:?}"
    );

    let missing = netrpc_call(&addr, &["KVStoreService.Get", r#""missing""#]);
    assert_eq!(missing.code(), Some(1), "{missing:?}");
    assert_eq!(missing.stderr, "error: not found\n");
    assert_eq!(missing.stdout, "");

    let set = netrpc_call(&addr, &["KVStoreService.Set", r#"["k","v"]"#]);
    assert_eq!(set.code(), Some(0), "{set:?}");
    let got = netrpc_call(&addr, &["KVStoreService.Get", r#""k""#]);
    assert_eq!(
        (got.code(), got.stdout.as_str()),
        (Some(0), "\"v\"\n"),
        "{got:?}"
    );

    let nope = netrpc_call(&addr, &["HelloService.Nope", r#""x""#]);
    assert_eq!(nope.code(), Some(1), "{nope:?}");
    assert_eq!(
        nope.stderr,
        "error: rpc: can't find method HelloService.Nope\n"
    );

    let malformed = netrpc_call("nope://x", &["HelloService.Hello", r#""hi""#]);
    assert_eq!(malformed.code(), Some(2), "{malformed:?}");
    // A port nothing listens on: bind one, then free it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = netrpc_call(
        &format!("tcp://{closed}"),
        &["HelloService.Hello", r#""hi""#],
    );
    assert_eq!(refused.code(), Some(2), "{refused:?}");
}

// ---------------------------------------------------------------------------------------------
// Reverse RPC: Go's service side dials netrpc's calling side

#[tokio::test(flavor = "multi_thread")]
async fn reverse_go_service_dials_netrpc_reverse_listener() {
    let listener = ReverseListener::bind("tcp://127.0.0.1:0", Json)
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    let mut clients = listener.into_clients();
    let _service = blocking(move || {
        let mut command = go_program("seedserver");
        command.args(["-dial", &addr]);
        Process::spawn("seedserver -dial", command)
    })
    .await;
    let client = bounded("inbound link", clients.next())
        .await
        .expect("a link");
    assert_eq!(hello(&client, "hello").await.unwrap(), "hello:hello");
    assert_eq!(server_error(get(&client, "missing").await), "not found");
    set(&client, "k", "v").await;
    assert_eq!(get(&client, "k").await.unwrap(), "v");
    let nope = call::<String>(&client, "HelloService.Nope", "x").await;
    assert_eq!(
        server_error(nope),
        "rpc: can't find method HelloService.Nope"
    );
    client.close();
}

#[test]
fn reverse_go_service_dials_netrpc_call_accept() {
    let mut command = netrpc_command();
    command.args(["call", "--accept", "tcp://127.0.0.1:0", "--codec", "json"]);
    command.args(["HelloService.Hello", r#""hi""#]);
    let call = Process::spawn("netrpc call --accept", command);
    let addr = call.listening_on(Stream::Stderr);
    assert!(
        addr.starts_with("tcp://127.0.0.1:"),
        "call printed {addr:?}"
    );
    let mut command = go_program("seedserver");
    command.args(["-dial", &addr]);
    let _service = Process::spawn("seedserver -dial", command);
    let done = call.wait_success();
    assert_eq!(done.stdout, "\"hello:hi\"\n");
}

// ---------------------------------------------------------------------------------------------
// Reverse RPC: netrpc's service side dials Go's calling side

/// Starts `seedclient -accept 127.0.0.1:0 -scenario SCENARIO`, then `netrpc reverse` dialing it
/// with `reverse_extra`, and requires seedclient to pass.
fn go_calling_side_with_netrpc_reverse(scenario: &str, reverse_extra: &[&str]) {
    let mut command = go_program("seedclient");
    command.args(["-accept", "127.0.0.1:0", "-scenario", scenario]);
    let calling = Process::spawn(&format!("seedclient -accept -scenario {scenario}"), command);
    let addr = calling.listening_on(Stream::Stdout);
    let mut command = netrpc_command();
    command.args([
        "reverse",
        "--dial",
        &format!("tcp://{addr}"),
        "--codec",
        "json",
    ]);
    command.args(reverse_extra);
    let _service = Process::spawn("netrpc reverse", command);
    calling.wait_success();
}

#[test]
fn reverse_netrpc_service_dials_go_client_seed_scenario() {
    go_calling_side_with_netrpc_reverse("seed", &[]);
}

#[test]
fn reverse_netrpc_service_dials_go_client_login_scenario() {
    go_calling_side_with_netrpc_reverse("login", &["--login", "user:password"]);
}
