//! Flood tests (issue 7, part 3) and the per-connection watch limit (part 1): a peer asking for
//! far more than it may have. Every scenario runs over every transport of the harness
//! ([`TransportKind::ALL`]). Waits are on events; counts with no event (watchers, open file
//! descriptors) are polled with `eventually`; timers are only upper bounds.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{
    CLIENT_CODECS, bounded, eventually, open_fds, rotating_codec, start, test_and_kv_server,
};
use futures_util::future::join_all;
use netrpc::{Empty, Server, service};
use rpc_services::{DEFAULT_MAX_WATCHES_PER_CONN, KvStoreService, WatchFromArgs, WatchFromReply};
use tests::{CodecKind, Harness, TestService, Tracked, TransportKind};
use tokio::sync::{Semaphore, mpsc, watch};

// ---------------------------------------------------------------------------------------------
// Pipelining past the in-flight limit.

/// Counts its running calls (and the most ever running at once), holding each until the test
/// lets it go.
#[derive(Clone)]
struct Gauge {
    running: watch::Sender<usize>,
    peak: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
}

/// Counts a running call down however it ends.
struct Running(watch::Sender<usize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

service! {
    impl Gauge {
        #[rpc("Hold")]
        /// Waits for the gate, then returns `id`.
        async fn hold(&self, id: u64) -> Result<u64, String> {
            // The peak is updated before waiters on `running` are woken.
            self.running.send_modify(|n| {
                *n += 1;
                self.peak.fetch_max(*n, Ordering::SeqCst);
            });
            let _running = Running(self.running.clone());
            let _permit = self.gate.acquire().await.map_err(|e| e.to_string())?;
            Ok(id)
        }
    }
}

/// A client pipelines 200 calls on one connection whose server runs at most 4 at once: exactly
/// 4 run (the server stops reading the rest), another connection is served meanwhile, and once
/// the calls may finish all 200 are answered, never more than 4 running at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelining_past_the_in_flight_limit() {
    for (i, &transport) in TransportKind::ALL.iter().enumerate() {
        pipelining(rotating_codec(i), transport).await;
    }
}

async fn pipelining(codec: CodecKind, transport: TransportKind) {
    const LIMIT: usize = 4;
    const CALLS: u64 = 200;
    let what = format!("{codec:?} over {transport:?}");
    let (running, mut level) = watch::channel(0usize);
    let gauge = Gauge {
        running,
        peak: Arc::default(),
        gate: Arc::new(Semaphore::new(0)),
    };
    let (svc, _probe) = TestService::new();
    let server = Server::builder()
        .register(gauge.clone())
        .register_name("Test", svc)
        .max_in_flight(LIMIT)
        .build();
    let h = Harness::start(server, codec, transport).await;
    let client = h.client().await;
    let calls: Vec<_> = (0..CALLS)
        .map(|id| client.go::<_, u64>("Gauge.Hold", id))
        .collect();
    bounded(&what, level.wait_for(|n| *n == LIMIT))
        .await
        .unwrap();
    assert_eq!(client.pending(), CALLS as usize, "{what}");
    // The limit is per connection: another one is served meanwhile.
    let other = h.client().await;
    let ok: String = other.call("Test.Echo", "other").await.unwrap();
    assert_eq!(ok, "other", "{what}");
    assert_eq!(gauge.peak.load(Ordering::SeqCst), LIMIT, "{what}");

    gauge.gate.add_permits(CALLS as usize);
    for (id, done) in (0..CALLS).zip(bounded(&what, join_all(calls)).await) {
        assert_eq!(done.reply.unwrap(), id, "{what}");
    }
    assert_eq!(
        gauge.peak.load(Ordering::SeqCst),
        LIMIT,
        "{what}: more calls ran at once than the limit"
    );
    bounded(&what, h.shutdown(Duration::ZERO)).await;
}

// ---------------------------------------------------------------------------------------------
// 10,000 connections opened and dropped.

/// 10,000 connections per transport, 100 at a time (so 1,024 file descriptors suffice): half
/// make a call, half drop without sending anything. The server sees every one end (its
/// per-connection state is dropped), gives back its place (the server admits 100 connections at
/// once, and every batch is admitted), holds no connection afterwards, the process has no more
/// file descriptors open than before, and the server still serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_connections_opened_and_dropped() {
    for (i, &transport) in TransportKind::ALL.iter().enumerate() {
        thousands_of_connections(rotating_codec(i), transport).await;
    }
}

/// Of each batch of 100 connections, how many complete the transport's handshake and reach the
/// server; the others connect a bare socket and drop it before the handshake.
fn completed_per_batch(transport: TransportKind) -> usize {
    match transport {
        // A TLS handshake costs about 2 ms of CPU in the unoptimized test build (10,000 would
        // take 20 s): one connection in ten completes it; the other nine are TCP connections to
        // the TLS port dropped before their handshake, which the listener must clean up too.
        // So does QUIC's (the same TLS 1.3 handshake): the other nine send a datagram that is
        // not a QUIC handshake, which the listener must drop.
        TransportKind::Tls | TransportKind::Quic => 10,
        TransportKind::Tcp
        | TransportKind::Unix
        | TransportKind::Mem
        | TransportKind::Http
        | TransportKind::YamuxTcp
        | TransportKind::YamuxUnix => 100,
    }
}

/// Connects a bare socket to the TLS listener at `addr` and drops it at once; for a QUIC
/// listener, sends it one datagram that is no handshake.
async fn bare_connect(addr: &str) {
    use netrpc::transport::Address;
    match addr.parse::<Address>().unwrap() {
        Address::Tls(host_port) => {
            drop(tokio::net::TcpStream::connect(host_port).await.unwrap());
        }
        Address::Quic(host_port) => {
            let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            socket.send_to(&[0xc3; 64], host_port).await.unwrap();
        }
        other => panic!("no bare socket for {other}"),
    }
}

async fn thousands_of_connections(codec: CodecKind, transport: TransportKind) {
    const CONNECTIONS: usize = 10_000;
    const BATCH: usize = 100;
    let what = format!("{codec:?} over {transport:?}");
    let (svc, _probe) = TestService::new();
    let (factory, mut closed) = Tracked::factory();
    // Room for exactly one batch: a place not given back would refuse a later connection.
    let server = Server::builder()
        .register_name("Test", svc)
        .register_per_connection("Tracked", factory)
        .max_connections(Some(BATCH))
        .max_connections_per_peer(Some(BATCH))
        .build();
    let h = Harness::start(server, codec, transport).await;
    let fds_before = open_fds();
    let completed = completed_per_batch(transport);
    let started = Instant::now();
    for batch in 0..CONNECTIONS / BATCH {
        let opened = (0..BATCH).map(|i| {
            let h = &h;
            async move {
                if i >= completed {
                    bare_connect(&h.addr).await;
                } else if i % 2 == 0 {
                    let client = h.client().await;
                    let n = (batch * BATCH + i).to_string();
                    let echoed: String = client.call("Test.Echo", &n).await.unwrap();
                    assert_eq!(echoed, n);
                    client.close();
                    client.closed().await;
                } else {
                    drop(h.raw().await);
                }
            }
        });
        bounded(&what, join_all(opened)).await;
        // Every connection of the batch has ended on the server before the next batch opens.
        for _ in 0..completed {
            bounded(&what, closed.recv()).await.unwrap();
        }
    }
    let took = started.elapsed();
    eprintln!("{what}: {CONNECTIONS} connections opened and dropped in {took:?}");
    // A connection's task ends just after its state is dropped.
    eventually(&what, || h.server.connections() == 0).await;
    if let Some(before) = fds_before {
        // Client tasks close their sockets just after reporting the connection closed.
        eventually(&what, || open_fds().is_some_and(|now| now <= before)).await;
    }
    let client = h.client().await;
    let ok: String = client.call("Test.Echo", "still serving").await.unwrap();
    assert_eq!(ok, "still serving", "{what}");
    bounded(&what, h.shutdown(Duration::ZERO)).await;
}

// ---------------------------------------------------------------------------------------------
// Call, then cancel, in a loop.

/// 2,400 calls made and abandoned at once, after a yield, by a zero timeout or by losing a race
/// with an answer, interleaved with checked calls. The connection stays sound (every answer
/// matches its call, nothing stays pending on the client). On framings that carry cancellation,
/// and on QUIC (which resets a forgotten call's stream), the server drops every abandoned watch;
/// with Go's codecs on a byte stream it cannot, and the per-connection watch limit bounds what
/// is left (exactly the limit) until the connection closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_then_cancel_in_a_loop() {
    for &transport in TransportKind::ALL {
        for codec in CLIENT_CODECS {
            call_then_cancel(codec, transport).await;
        }
    }
}

async fn call_then_cancel(codec: CodecKind, transport: TransportKind) {
    const ROUNDS: u64 = 2_400;
    let what = format!("{codec:?} over {transport:?}");
    let kv = KvStoreService::default();
    let (h, _probe, _svc) = start(&kv, codec, transport).await;
    let client = h.client().await;
    for i in 0..ROUNDS {
        match i % 4 {
            0 => drop(client.go::<_, String>("KVStoreService.Watch", 60i64)),
            1 => {
                let call = client.go::<_, String>("KVStoreService.Watch", 60i64);
                tokio::task::yield_now().await;
                drop(call);
            }
            2 => {
                let call = client.call::<_, String>("Test.Echo", "never mind");
                let _ = tokio::time::timeout(Duration::ZERO, call).await;
            }
            _ => {
                let text = i.to_string();
                tokio::select! {
                    reply = client.call::<_, String>("Test.Echo", &text) => {
                        assert_eq!(reply.unwrap(), text, "{what}");
                    }
                    _ = tokio::task::yield_now() => {}
                }
            }
        }
        if i % 100 == 99 {
            let text = format!("check {i}");
            let reply: String = bounded(&what, client.call("Test.Echo", &text))
                .await
                .unwrap();
            assert_eq!(reply, text, "{what}");
        }
    }
    assert_eq!(client.pending(), 0, "{what}: calls left pending");
    let abandoned_watches = ROUNDS as usize / 2;
    if codec.cancels_over(transport) {
        eventually(&what, || kv.watcher_count() == 0).await;
    } else {
        assert!(abandoned_watches > DEFAULT_MAX_WATCHES_PER_CONN);
        eventually(&what, || kv.watcher_count() == DEFAULT_MAX_WATCHES_PER_CONN).await;
        client.close();
        eventually(&what, || kv.watcher_count() == 0).await;
    }
    bounded(&what, h.shutdown(Duration::ZERO)).await;
}

// ---------------------------------------------------------------------------------------------
// The per-connection watch limit, on the wire.

/// With a limit of 8 pending watches per connection, a 9th `Watch` or `WatchFrom` on the same
/// connection is answered at once with the limit's error, while a watch that does not wait
/// (timeout 0) and other connections are unaffected; once watches end, the connection may watch
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_limit_per_connection_reaches_the_wire() {
    for &transport in TransportKind::ALL {
        for codec in CLIENT_CODECS {
            watch_limit(codec, transport).await;
        }
    }
}

async fn watch_limit(codec: CodecKind, transport: TransportKind) {
    const LIMIT: usize = 8;
    let what = format!("{codec:?} over {transport:?}");
    let kv = KvStoreService::builder()
        .max_watches_per_conn(Some(LIMIT))
        .build();
    let (server, _probe, _svc) = test_and_kv_server(&kv);
    let h = Harness::start(server, codec, transport).await;
    let follow = |prefix: &str, timeout_seconds: i64| WatchFromArgs {
        revision: 0,
        prefix: prefix.into(),
        timeout_seconds,
    };
    let a = h.client().await;
    let mut waiting: Vec<_> = (0..LIMIT / 2)
        .map(|_| a.go::<_, String>("KVStoreService.Watch", 60i64))
        .collect();
    let mut following: Vec<_> = (0..LIMIT / 2)
        .map(|_| a.go::<_, WatchFromReply>("KVStoreService.WatchFrom", follow("k", 60)))
        .collect();
    eventually(&what, || kv.watcher_count() == LIMIT).await;

    let refused = format!("too many pending watches on this connection (the limit is {LIMIT})");
    let err = bounded(&what, a.call::<_, String>("KVStoreService.Watch", &60i64))
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some(refused.as_str()), "{what}");
    let err = bounded(
        &what,
        a.call::<_, WatchFromReply>("KVStoreService.WatchFrom", &follow("", 60)),
    )
    .await
    .unwrap_err();
    assert_eq!(err.server_message(), Some(refused.as_str()), "{what}");
    // A watch that does not wait is not counted.
    let now: WatchFromReply = a
        .call("KVStoreService.WatchFrom", &follow("", 0))
        .await
        .unwrap();
    assert!(now.changes.is_empty(), "{what}");
    // The limit is per connection.
    let b = h.client().await;
    let other = b.go::<_, String>("KVStoreService.Watch", 60i64);
    eventually(&what, || kv.watcher_count() == LIMIT + 1).await;

    // A change ends every watch; the connection may watch again.
    let _: Empty = a.call("KVStoreService.Set", &["k", "v"]).await.unwrap();
    for done in bounded(&what, join_all(waiting.drain(..))).await {
        assert_eq!(done.reply.unwrap(), "k", "{what}");
    }
    for done in bounded(&what, join_all(following.drain(..))).await {
        assert_eq!(done.reply.unwrap().changes.len(), 1, "{what}");
    }
    assert_eq!(bounded(&what, other).await.reply.unwrap(), "k", "{what}");
    let again: Vec<_> = (0..LIMIT)
        .map(|_| a.go::<_, String>("KVStoreService.Watch", 60i64))
        .collect();
    eventually(&what, || kv.watcher_count() == LIMIT).await;
    drop(again);
    a.close();
    eventually(&what, || kv.watcher_count() == 0).await;
    bounded(&what, h.shutdown(Duration::ZERO)).await;
}

/// 2,000 watches flooding one connection: exactly the default limit (1,024) wait, the rest are
/// refused at once, and a change answers every one that waits. On QUIC, whose own limit on open
/// streams per connection (a stream per call) is also 1,024, the flood is 1,000 calls against a
/// watch limit of 512, so the watch limit is what holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_watch_limit_holds_against_a_flood_of_watches() {
    for (i, &transport) in TransportKind::ALL.iter().enumerate() {
        watch_flood(rotating_codec(i), transport).await;
    }
}

/// How many calls one connection can have open at once on `transport`, if it limits them.
fn calls_open_per_connection(transport: TransportKind) -> Option<usize> {
    match transport {
        TransportKind::Tcp
        | TransportKind::Unix
        | TransportKind::Mem
        | TransportKind::Http
        | TransportKind::Tls => None,
        // A stream per call, and each side opens at most `MAX_OPEN_STREAMS` (DESIGN.md).
        TransportKind::Quic => Some(netrpc::transport::quic::MAX_OPEN_STREAMS as usize),
        // A stream per call, and each side opens at most `max_streams` (256, Go's backlog).
        TransportKind::YamuxTcp | TransportKind::YamuxUnix => {
            Some(netrpc::transport::yamux::Config::default().max_streams)
        }
    }
}

async fn watch_flood(codec: CodecKind, transport: TransportKind) {
    let (limit, watches) = match calls_open_per_connection(transport) {
        None => (DEFAULT_MAX_WATCHES_PER_CONN, 2_000),
        Some(open) => (open / 2, open - 24),
    };
    let what = format!("{codec:?} over {transport:?}");
    let kv = KvStoreService::builder()
        .max_watches_per_conn(Some(limit))
        .build();
    let (h, _probe, _svc) = start(&kv, codec, transport).await;
    let client = h.client().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    for _ in 0..watches {
        let call = client.go::<_, String>("KVStoreService.Watch", 60i64);
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(call.await.reply);
        });
    }
    // Nothing ends a watch yet, so each refusal is an event: once all have come, every request
    // has been handled.
    for _ in 0..watches - limit {
        let err = bounded(&what, rx.recv()).await.unwrap().unwrap_err();
        assert!(
            err.server_message()
                .is_some_and(|m| m.starts_with("too many pending watches")),
            "{what}: {err:?}"
        );
    }
    assert_eq!(kv.watcher_count(), limit, "{what}");
    kv.store()
        .expect("an in-memory store")
        .set("k".into(), "v".into());
    for _ in 0..limit {
        let key = bounded(&what, rx.recv()).await.unwrap().unwrap();
        assert_eq!(key, "k", "{what}");
    }
    assert_eq!(kv.watcher_count(), 0, "{what}");
    bounded(&what, h.shutdown(Duration::ZERO)).await;
}

/// A client at its transport's limit of open calls per connection queues further calls; they
/// must start as soon as earlier calls end. 100 `WatchFrom` calls on one prefix and the rest on
/// another fill the connection and 100 more queue on the client; a change under the first
/// prefix ends its 100 calls, and the 100 queued ones must then start (the store is full
/// again). Only transports that limit open calls per connection apply (QUIC: a stream per call);
/// on the others nothing ever queues.
///
/// (quinn announces freed streams only in steps of an eighth of the limit; netrpc's QUIC
/// transport keeps at most 7/8 of the limit open, `MAX_OPEN_STREAMS`, so freed places are
/// always usable.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_queued_at_the_stream_limit_start_when_streams_free_up() {
    for (i, &transport) in TransportKind::ALL.iter().enumerate() {
        let Some(open) = calls_open_per_connection(transport) else {
            // No limit on open calls: nothing ever queues on the client.
            continue;
        };
        queued_calls_start(rotating_codec(i), transport, open).await;
    }
}

async fn queued_calls_start(codec: CodecKind, transport: TransportKind, open: usize) {
    const ENDING: usize = 100;
    const GUARD: Duration = Duration::from_secs(10);
    let what = format!("{codec:?} over {transport:?}");
    let kv = KvStoreService::builder().max_watches_per_conn(None).build();
    let (h, _probe, _svc) = start(&kv, codec, transport).await;
    let client = h.client().await;
    let follow = |prefix: &str| WatchFromArgs {
        revision: 0,
        prefix: prefix.into(),
        timeout_seconds: 60,
    };
    let go = |prefix: &str, n: usize| -> Vec<_> {
        (0..n)
            .map(|_| client.go::<_, WatchFromReply>("KVStoreService.WatchFrom", follow(prefix)))
            .collect()
    };
    let ending = go("ending/", ENDING);
    eventually(&what, || kv.watcher_count() == ENDING).await;
    let holding = go("holding/", open - ENDING);
    eventually(&what, || kv.watcher_count() == open).await;
    let queued = go("queued/", ENDING);
    assert_eq!(client.pending(), open + ENDING, "{what}");

    kv.store()
        .expect("an in-memory store")
        .set("ending/k".into(), "v".into());
    for done in bounded(&what, join_all(ending)).await {
        assert_eq!(done.reply.unwrap().changes.len(), 1, "{what}");
    }
    // Room for 100 calls again: the queued ones start and wait in the store.
    let started = tokio::time::timeout(GUARD, async {
        while kv.watcher_count() != open {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    let waiting = kv.watcher_count();
    drop((holding, queued));
    client.close();
    bounded(&what, h.shutdown(Duration::ZERO)).await;
    assert!(
        started.is_ok(),
        "{what}: {} of {ENDING} queued calls still not started {GUARD:?} after room was made",
        open - waiting
    );
}
