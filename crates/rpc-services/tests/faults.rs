//! The `netrpc` command under faults: `serve --max-watches-per-conn` reaches the wire, and a
//! `netrpc serve` killed with 1,000 watches pending fails every one of them. (The fault suite in
//! `tests/tests/faults.rs` runs the kill over every transport with a small server binary; this
//! checks the real command.) Loopback port 0 only; every wait is bounded.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use netrpc::{Client, Empty};
use rpc_services::{WatchFromArgs, WatchFromReply};
use tokio::sync::mpsc;

/// Turns a hang into a failure.
const BOUND: Duration = Duration::from_secs(30);

async fn bounded<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {BOUND:?}"))
}

/// A `netrpc serve`, killed and reaped when dropped.
struct Serve {
    child: Child,
    addr: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `netrpc serve --listen tcp://127.0.0.1:0 EXTRA...` and waits for its `listening on`.
async fn serve(extra: &[&str]) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netrpc"))
        .args(["serve", "--listen", "tcp://127.0.0.1:0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting netrpc serve");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    });
    let line = bounded("listening line", line).await.unwrap();
    let addr = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("serve printed {line:?}"))
        .to_owned();
    Serve { child, addr }
}

/// `--max-watches-per-conn 2`: of three watches on one connection, one is refused at once with
/// the limit's error; a change answers the other two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_flag_limits_pending_watches_per_connection() {
    let server = serve(&["--max-watches-per-conn", "2"]).await;
    let client = Client::dial(&server.addr, netrpc::Postcard).await.unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    for _ in 0..3 {
        let call = client.go::<_, String>("KVStoreService.Watch", 60i64);
        let tx = tx.clone();
        tokio::spawn(async move { tx.send(call.await.reply) });
    }
    let refused = bounded("refusal", rx.recv()).await.unwrap().unwrap_err();
    assert_eq!(
        refused.server_message(),
        Some("too many pending watches on this connection (the limit is 2)")
    );
    // The two admitted watches were registered before the refusal was sent (permit and
    // registration happen in one step). Another connection has its own limit; its WatchFrom
    // from revision 0 sees the change even if the Set is handled first.
    let other = Client::dial(&server.addr, netrpc::Json).await.unwrap();
    let from_start = WatchFromArgs {
        revision: 0,
        prefix: String::new(),
        timeout_seconds: 60,
    };
    let theirs = other.go::<_, WatchFromReply>("KVStoreService.WatchFrom", from_start);
    let _: Empty = other.call("KVStoreService.Set", &["k", "v"]).await.unwrap();
    for _ in 0..2 {
        let key = bounded("woken", rx.recv()).await.unwrap().unwrap();
        assert_eq!(key, "k");
    }
    let changes = bounded("theirs", theirs).await.reply.unwrap().changes;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].key, "k");
}

/// `--max-watches-per-conn 0` lifts the limit: 1,100 watches (past the default 1,024) on one
/// connection all wait out their 2-second timeout; none is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_flag_zero_means_no_watch_limit() {
    let server = serve(&["--max-watches-per-conn", "0"]).await;
    let client = Client::dial(&server.addr, netrpc::Json).await.unwrap();
    let calls: Vec<_> = (0..1_100)
        .map(|_| client.go::<_, String>("KVStoreService.Watch", 2i64))
        .collect();
    for done in bounded("watches", join_all(calls)).await {
        let err = done.reply.unwrap_err();
        assert_eq!(err.server_message(), Some("timeout"), "{err:?}");
    }
}

/// `netrpc serve` killed (SIGKILL) with 1,000 watches pending over four connections, one per
/// wire format: every call fails with a shutdown error; the time from the kill to the last
/// failure is printed (the assertion is only a hang guard).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netrpc_serve_killed_with_1000_pending_watches() {
    let mut server = serve(&[]).await;
    let codecs: [std::sync::Arc<dyn netrpc::Codec>; 4] = [
        std::sync::Arc::new(netrpc::Json),
        std::sync::Arc::new(netrpc::Gob),
        std::sync::Arc::new(netrpc::Postcard),
        std::sync::Arc::new(netrpc::Protobuf),
    ];
    let mut clients = Vec::new();
    for codec in codecs {
        clients.push(Client::dial(&server.addr, codec).await.unwrap());
    }
    let calls: Vec<_> = (0..1000)
        .map(|i| clients[i % clients.len()].go::<_, String>("KVStoreService.Watch", 60i64))
        .collect();
    // Each connection's requests are read in order: an answered Get means its watches were read.
    for client in &clients {
        let err = client
            .call::<_, String>("KVStoreService.Get", "missing")
            .await
            .unwrap_err();
        assert_eq!(err.server_message(), Some("not found"));
    }
    server.child.kill().expect("SIGKILL");
    let killed = Instant::now();
    let timed = calls.into_iter().map(|call| async move {
        let reply = call.await.reply;
        (reply, killed.elapsed())
    });
    let mut slowest = Duration::ZERO;
    for (reply, took) in bounded("pending calls", join_all(timed)).await {
        assert!(reply.unwrap_err().is_shutdown());
        slowest = slowest.max(took);
    }
    eprintln!("netrpc serve: 1000 pending watches failed within {slowest:?} of SIGKILL");
    for client in &clients {
        bounded("closed", client.closed()).await;
    }
}
