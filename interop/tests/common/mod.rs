//! Helpers shared by `tests/gob.rs` and `tests/http.rs`: starting servers and clients, bounded
//! calls, and the seed's checks for a netrpc client talking to Go's `seedserver` (whatever the
//! codec and transport).
#![allow(dead_code)] // each test file uses a part

use std::collections::HashSet;
use std::time::Duration;

use interop::{Finished, Process, Stream, go_program, netrpc_command};
use netrpc::{Client, Empty};
use rpc_services::{Change, WatchFromArgs, WatchFromReply};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;

/// Bound on any single call in these tests, so that a hang fails rather than blocks.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Processes

/// `netrpc serve --listen LISTEN EXTRA...` and the address it printed.
pub fn netrpc_serve(listen: &str, extra: &[&str]) -> (Process, String) {
    let mut command = netrpc_command();
    command.args(["serve", "--listen", listen]);
    command.args(extra);
    let server = Process::spawn(&format!("netrpc serve {listen} {extra:?}"), command);
    let addr = server.listening_on(Stream::Stdout);
    let scheme = listen.split("://").next().unwrap_or_default();
    assert!(
        addr.starts_with(&format!("{scheme}://127.0.0.1:")),
        "serve printed {addr:?}"
    );
    (server, addr)
}

/// Go's `seedserver -listen 127.0.0.1:0 EXTRA...` and its address (`127.0.0.1:PORT`).
pub fn go_seedserver(extra: &[&str]) -> (Process, String) {
    let mut command = go_program("seedserver");
    command.args(["-listen", "127.0.0.1:0"]);
    command.args(extra);
    let server = Process::spawn(&format!("seedserver {extra:?}"), command);
    let addr = server.listening_on(Stream::Stdout);
    (server, addr)
}

/// Starts Go's `seedclient -connect ADDR ARGS...`.
pub fn spawn_go_seedclient(addr: &str, args: &[&str]) -> Process {
    let mut command = go_program("seedclient");
    command.args(["-connect", addr]);
    command.args(args);
    Process::spawn(&format!("seedclient {args:?}"), command)
}

/// Runs Go's `seedclient -connect ADDR ARGS...` to the end; fails the test with its report
/// unless every check passed.
pub fn go_seedclient(addr: &str, args: &[&str]) -> Finished {
    spawn_go_seedclient(addr, args).wait_success()
}

/// Runs `netrpc call ARGS...` to the end.
pub fn netrpc_call(args: &[&str]) -> Finished {
    let mut command = netrpc_command();
    command.arg("call");
    command.args(args);
    Process::spawn(&format!("netrpc call {args:?}"), command).wait()
}

/// Runs blocking process handling off the async runtime's workers.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("blocking task panicked")
}

// ---------------------------------------------------------------------------------------------
// Bounded calls

/// Awaits `future`, failing the test if it takes longer than [`CALL_TIMEOUT`].
pub async fn bounded<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(CALL_TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {CALL_TIMEOUT:?}"))
}

/// Calls `method`, failing the test if no answer comes within [`CALL_TIMEOUT`].
pub async fn call<R: DeserializeOwned>(
    client: &Client,
    method: &str,
    args: &(impl Serialize + ?Sized),
) -> Result<R, netrpc::Error> {
    bounded(method, client.call(method, args)).await
}

pub async fn hello(client: &Client, request: &str) -> Result<String, netrpc::Error> {
    call(client, "HelloService.Hello", request).await
}

pub async fn get(client: &Client, key: &str) -> Result<String, netrpc::Error> {
    call(client, "KVStoreService.Get", key).await
}

pub async fn set(client: &Client, key: &str, value: &str) {
    let _: Empty = call(client, "KVStoreService.Set", &[key, value])
        .await
        .unwrap_or_else(|err| panic!("Set {key:?}: {err}"));
}

/// The text of the server error `result` must be.
pub fn server_error<T: std::fmt::Debug>(result: Result<T, netrpc::Error>) -> String {
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
pub async fn wake<T>(client: &Client, prefix: &str, watchers: &[JoinHandle<T>]) -> HashSet<String> {
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

/// Strings that are not ASCII or that JSON would escape (the same as seedclient's).
pub const UNICODE: &[&str] = &[
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

/// 1 MiB strings: plain, and full of multi-byte and control characters.
pub fn large_strings() -> [(&'static str, String); 2] {
    [
        ("plain", "0123456789abcdef".repeat(1 << 16)),
        ("escaped", "é世🦀\"\\\n<>&\u{1}".repeat((1 << 20) / 16)),
    ]
}

// ---------------------------------------------------------------------------------------------
// The seed's checks for a netrpc client talking to Go's seedserver

/// Every HelloService and KVStoreService method but the watches, and Watch's timeout.
pub async fn check_hello_and_kv(client: &Client) {
    assert_eq!(hello(client, "hi").await.unwrap(), "hello:hi");
    assert_eq!(hello(client, "").await.unwrap(), "hello:");
    assert_eq!(server_error(get(client, "missing").await), "not found");
    set(client, "k", "v").await;
    assert_eq!(get(client, "k").await.unwrap(), "v");
    set(client, "k", "v2").await;
    assert_eq!(get(client, "k").await.unwrap(), "v2");
    set(client, "empty", "").await;
    assert_eq!(get(client, "empty").await.unwrap(), "");
    for secs in [0i64, 1] {
        let timeout = call::<String>(client, "KVStoreService.Watch", &secs).await;
        assert_eq!(server_error(timeout), "timeout", "Watch({secs})");
    }
}

/// Go's net/rpc error texts, and a wrong argument type answered with Go's decoding error (which
/// must contain `wrong_type_text`) on a connection that goes on.
pub async fn check_go_error_texts(client: &Client, wrong_type_text: &str) {
    for (method, text) in [
        ("Nope.Hello", "rpc: can't find service Nope.Hello"),
        (
            "HelloService.Nope",
            "rpc: can't find method HelloService.Nope",
        ),
        ("NoDot", "rpc: service/method request ill-formed: NoDot"),
    ] {
        assert_eq!(
            server_error(call::<String>(client, method, "x").await),
            text
        );
    }
    let wrong = server_error(call::<String>(client, "HelloService.Hello", &42).await);
    assert!(wrong.contains(wrong_type_text), "{wrong}");
    assert_eq!(hello(client, "again").await.unwrap(), "hello:again");

    // A reply that does not fit the type asked for fails that call alone (Go's own client
    // would shut the connection down): the connection goes on.
    let err = call::<i64>(client, "HelloService.Hello", "x")
        .await
        .expect_err("a string reply read as an integer");
    assert!(err.server_message().is_none(), "{err}");
    assert_eq!(hello(client, "still").await.unwrap(), "hello:still");
}

/// KVStoreService.Revision and WatchFrom, on a store nobody else changes.
pub async fn check_watch_from(client: &Client) {
    let r0: u64 = call(client, "KVStoreService.Revision", &Empty {})
        .await
        .unwrap();
    set(client, "wf/a", "1").await;
    set(client, "other", "x").await;
    set(client, "wf/b", "2").await;
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
    // Nothing new: Go's nil slice (left out by gob, null in JSON) reads as empty.
    assert_eq!(
        watch_from(r0 + 3, 0).await,
        WatchFromReply {
            revision: r0 + 3,
            changes: vec![]
        }
    );
    // A waiting WatchFrom gets the change after its revision whenever Go registered it.
    let waiting = tokio::spawn(watch_from(r0 + 3, 30));
    set(client, "other", "y").await;
    set(client, "wf/c", "3").await;
    assert_eq!(
        bounded("WatchFrom waiting", waiting).await.unwrap(),
        WatchFromReply {
            revision: r0 + 5,
            changes: vec![change(r0 + 5, "wf/c", "3")],
        }
    );
}

/// `Client::go` and `Client::go_with` (Go's `client.Go` with a shared done channel).
pub async fn check_go_and_go_with(client: &Client) {
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

/// 200 calls at once over the one client.
pub async fn check_200_concurrent_calls(client: &Client) {
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

/// A pending Watch does not hold up other calls; 50 watchers are all woken.
pub async fn check_watches(client: &Client) {
    set(client, "k", "v").await;

    let pending = tokio::spawn(client.go::<_, String>("KVStoreService.Watch", 60i64));
    for i in 0..20 {
        let arg = format!("while watching {i}");
        assert_eq!(hello(client, &arg).await.unwrap(), format!("hello:{arg}"));
        assert_eq!(get(client, "k").await.unwrap(), "v");
    }
    assert!(
        !pending.is_finished(),
        "the Watch returned though nothing changed"
    );
    let keys = wake(client, "pending/", std::slice::from_ref(&pending)).await;
    let key = bounded("pending Watch", pending)
        .await
        .unwrap()
        .reply
        .unwrap();
    assert!(
        keys.contains(&key),
        "Watch returned {key:?}, not one of {keys:?}"
    );

    let watchers: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { call::<String>(&client, "KVStoreService.Watch", &30).await })
        })
        .collect();
    let keys = wake(client, "fanout/", &watchers).await;
    for watcher in watchers {
        let key = watcher.await.unwrap().unwrap();
        assert!(
            keys.contains(&key),
            "Watch returned {key:?}, not one of {keys:?}"
        );
    }
}

/// Unicode strings and 1 MiB strings, through Hello, Set and Get.
pub async fn check_unicode_and_1_mib(client: &Client) {
    for text in UNICODE {
        assert_eq!(hello(client, text).await.unwrap(), format!("hello:{text}"));
        let key = format!("ключ/{text}");
        set(client, &key, text).await;
        assert_eq!(get(client, &key).await.unwrap(), *text);
    }
    for (name, text) in large_strings() {
        let reply = hello(client, &text).await.unwrap();
        assert!(reply == format!("hello:{text}"), "Hello 1 MiB {name}");
        let key = format!("large/{name}");
        set(client, &key, &text).await;
        assert!(get(client, &key).await.unwrap() == text, "Get 1 MiB {name}");
    }
}

/// The per-connection HelloService of seed 4.3.4 on a fresh connection whose Hello must answer
/// `hello:x, from ` followed by a text `from` accepts.
pub async fn check_login(client: &Client, connection: &str, from: impl Fn(&str) -> bool) {
    let login =
        |credentials: &'static str| call::<String>(client, "HelloService.Login", credentials);
    let please_login = server_error(hello(client, "x").await);
    assert_eq!(please_login, "please login", "{connection}");
    let auth_failed = server_error(login("user:wrong").await);
    assert_eq!(auth_failed, "auth failed", "{connection}");
    let please_login = server_error(hello(client, "x").await);
    assert_eq!(please_login, "please login", "{connection}");
    // The seed's Login replies with an empty string.
    assert_eq!(login("user:password").await.unwrap(), "", "{connection}");
    let reply = hello(client, "x").await.unwrap();
    let peer = reply.strip_prefix("hello:x, from ");
    assert!(peer.is_some_and(from), "{connection}: {reply:?}");
}

// ---------------------------------------------------------------------------------------------
// Reverse RPC, for any codec: `go_codec` is what the Go programs are given (`&[]` for their
// default jsonrpc, `&["-codec", "gob"]`), `netrpc_codec` the matching `--codec` arguments

/// Go's `seedserver GO_CODEC -dial` dialing a netrpc `ReverseListener`: the seed's basic calls
/// over the inbound link. Returns the client (for more checks) and the Go process.
pub async fn go_service_dials_reverse_listener(
    codec: impl netrpc::Codec,
    go_codec: &[&str],
) -> (Process, Client) {
    let listener = netrpc::reverse::ReverseListener::bind("tcp://127.0.0.1:0", codec)
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    let mut clients = listener.into_clients();
    let go_args: Vec<String> = go_codec.iter().map(|s| s.to_string()).collect();
    let service = blocking(move || {
        let mut command = go_program("seedserver");
        command.args(&go_args);
        command.args(["-dial", &addr]);
        Process::spawn(&format!("seedserver {go_args:?} -dial"), command)
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
    (service, client)
}

/// `netrpc call --accept NETRPC_CODEC HelloService.Hello "hi"` served by Go's
/// `seedserver GO_CODEC -dial`.
pub fn go_service_dials_netrpc_call_accept(go_codec: &[&str], netrpc_codec: &[&str]) {
    let mut command = netrpc_command();
    command.args(["call", "--accept", "tcp://127.0.0.1:0"]);
    command.args(netrpc_codec);
    command.args(["HelloService.Hello", r#""hi""#]);
    let call = Process::spawn("netrpc call --accept", command);
    let addr = call.listening_on(Stream::Stderr);
    assert!(
        addr.starts_with("tcp://127.0.0.1:"),
        "call printed {addr:?}"
    );
    let mut command = go_program("seedserver");
    command.args(go_codec);
    command.args(["-dial", &addr]);
    let _service = Process::spawn(&format!("seedserver {go_codec:?} -dial"), command);
    let done = call.wait_success();
    assert_eq!(done.stdout, "\"hello:hi\"\n");
}

/// Starts `seedclient GO_CODEC -accept 127.0.0.1:0 -scenario SCENARIO`, then `netrpc reverse
/// NETRPC_CODEC` dialing it with `reverse_extra`, and requires seedclient to pass.
pub fn go_calling_side_with_netrpc_reverse(
    go_codec: &[&str],
    netrpc_codec: &[&str],
    scenario: &str,
    reverse_extra: &[&str],
) {
    let mut command = go_program("seedclient");
    command.args(go_codec);
    command.args(["-accept", "127.0.0.1:0", "-scenario", scenario]);
    let calling = Process::spawn(
        &format!("seedclient {go_codec:?} -accept -scenario {scenario}"),
        command,
    );
    let addr = calling.listening_on(Stream::Stdout);
    let mut command = netrpc_command();
    command.args(["reverse", "--dial", &format!("tcp://{addr}")]);
    command.args(netrpc_codec);
    command.args(reverse_extra);
    let _service = Process::spawn("netrpc reverse", command);
    calling.wait_success();
}
