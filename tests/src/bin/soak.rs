//! Soak: many connections against one in-process server for a bounded time, mixing calls,
//! watches, cancellations, disconnects and reconnects, then a report. It exits 0 only when no
//! call failed unexpectedly and nothing was left behind: no watcher in the store, no connection
//! on the server, no task in the runtime.
//!
//! ```text
//! cargo run --release -p tests --bin soak -- [--seconds 60] [--conns 32] [--transport tcp]
//!                                            [--max-calls N] [--seed S]
//! ```
//!
//! Each connection speaks a codec picked at random (the server detects it), makes a random
//! number of operations, then goes away in one of three ways: gracefully (its watches woken and
//! answered), closed with calls pending (they must fail with a shutdown error), or dropped
//! without waiting for anything; then it reconnects. Expected errors (a watch timing out, a
//! missing key, calls cut off by the soak's own disconnects, the per-connection watch limit)
//! are counted by kind; anything else, or a wrong reply, is unexpected and fails the run.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use netrpc::{Call, Client, Empty, Error, Server};
use rpc_services::{HelloService, KvStore, KvStoreService, WatchFromArgs, WatchFromReply};
use tests::{CodecKind, Harness, TransportKind};

/// Soak test: many connections mixing calls, watches, disconnects and reconnects.
#[derive(Parser, Debug)]
#[command(name = "soak")]
struct Args {
    /// How long to run.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Connections open at once (each reconnects when it goes away).
    #[arg(long, default_value_t = 32)]
    conns: usize,
    /// Transport: tcp, unix, mem, http, tls or quic.
    #[arg(long, default_value = "tcp")]
    transport: String,
    /// Stop once this many calls are done, even before the time is up.
    #[arg(long, default_value_t = u64::MAX)]
    max_calls: u64,
    /// Seed for the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Changes the store keeps for `WatchFrom` (a follower further behind gets `compacted`).
const HISTORY: usize = 10_000;

/// The client codecs a connection may speak; the server detects each.
const CODECS: [CodecKind; 4] = [
    CodecKind::AutoJson,
    CodecKind::AutoGob,
    CodecKind::AutoPostcard,
    CodecKind::AutoProtobuf,
];

/// A small, seedable random number generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What happened, counted across all connections.
#[derive(Default)]
struct Stats {
    calls: AtomicU64,
    ok: AtomicU64,
    abandoned: AtomicU64,
    connections: AtomicU64,
    graceful: AtomicU64,
    closed_pending: AtomicU64,
    dropped: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    unexpected: Mutex<BTreeMap<String, u64>>,
}

impl Stats {
    fn bump(map: &Mutex<BTreeMap<String, u64>>, kind: String) {
        let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(kind).or_insert(0) += 1;
    }

    /// Counts one finished call; `expected` decides whether its error is part of the plan.
    fn record<T>(&self, outcome: &Result<T, Error>, expected: impl Fn(&Error) -> bool) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Ok(_) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) => {
                let kind = error_kind(err);
                if expected(err) {
                    Self::bump(&self.errors, kind);
                } else {
                    Self::bump(&self.unexpected, format!("{kind} ({err})"));
                }
            }
        }
    }

    /// A reply that arrived but was wrong.
    fn wrong(&self, what: String) {
        Self::bump(&self.unexpected, format!("wrong reply: {what}"));
    }

    fn unexpected_total(&self) -> u64 {
        let map = self.unexpected.lock().unwrap_or_else(|p| p.into_inner());
        map.values().sum()
    }
}

/// An error's kind, for the report: the service's message for service errors (their texts are
/// fixed: `timeout`, `not found`, the watch limit), the variant otherwise.
fn error_kind(err: &Error) -> String {
    match err {
        Error::Server(message) => {
            // The fixed part: `compacted: <details>` and `... (the limit is N)` vary.
            let short = message.split([':', '(']).next().unwrap_or(message).trim();
            format!("server: {short}")
        }
        Error::Shutdown(_) => "shutdown".into(),
        Error::DeadlineExceeded => "deadline exceeded".into(),
        Error::Encode(_) => "encode".into(),
        Error::Decode(_) => "decode".into(),
        Error::Connect(_) => "connect".into(),
        _ => "other".into(),
    }
}

/// How a watch may end without a change: its timeout, the per-connection limit, or (for
/// `WatchFrom`) a revision the short history no longer reaches.
fn is_watch_end(err: &Error) -> bool {
    matches!(err.server_message(), Some(m) if m == "timeout"
        || m.starts_with("too many pending watches")
        || m.starts_with("compacted:"))
}

/// A watch in flight on a connection.
enum Pending {
    Watch(Call<i64, String>),
    Follow(Call<WatchFromArgs, WatchFromReply>),
}

/// How a connection goes away.
#[derive(Clone, Copy)]
enum Leave {
    /// Its watches are woken by a change and answered, then it closes.
    Graceful,
    /// It closes with its watches pending: they fail with a shutdown error.
    ClosePending,
    /// It drops everything without waiting.
    Drop,
}

struct Worker {
    id: usize,
    rng: Rng,
    stats: Arc<Stats>,
    deadline: Instant,
    max_calls: u64,
}

impl Worker {
    fn done(&self) -> bool {
        Instant::now() >= self.deadline
            || self.stats.calls.load(Ordering::Relaxed) >= self.max_calls
    }

    async fn run(mut self, h: Arc<HarnessRef>) {
        while !self.done() {
            let codec = CODECS[self.rng.below(CODECS.len() as u64) as usize];
            let client = match Client::builder()
                .dial_options(h.dial.clone())
                .dial(&h.addr, codec.codec())
                .await
            {
                Ok(client) => client,
                Err(err) => {
                    self.stats.record::<()>(&Err(err), |_| false);
                    continue;
                }
            };
            self.stats.connections.fetch_add(1, Ordering::Relaxed);
            self.session(&client).await;
        }
    }

    /// One connection's life: operations, then leaving.
    async fn session(&mut self, client: &Client) {
        // Keys are the worker's own and few, so the store stays small and RSS shows leaks.
        let prefix = format!("w{}/", self.id);
        let ops = 20 + self.rng.below(180);
        let mut pending: Vec<Pending> = Vec::new();
        // Where this connection's WatchFrom calls resume: the current revision to begin with.
        let now = client
            .call::<_, u64>("KVStoreService.Revision", &Empty {})
            .await;
        self.stats.record(&now, |_| false);
        let mut revision = now.unwrap_or(0);
        for n in 0..ops {
            if self.done() {
                break;
            }
            match self.rng.below(100) {
                0..=29 => {
                    let who = format!("{}-{n}", self.id);
                    let reply = client.call::<_, String>("HelloService.Hello", &who).await;
                    if let Ok(text) = &reply {
                        if *text != format!("hello:{who}") {
                            self.stats.wrong(format!("Hello({who}) = {text}"));
                        }
                    }
                    self.stats.record(&reply, |_| false);
                }
                30..=54 => {
                    let key = format!("{prefix}k{}", n % 8);
                    let value = format!("v{n}");
                    let set = client
                        .call::<_, Empty>("KVStoreService.Set", &[key.as_str(), value.as_str()])
                        .await;
                    self.stats.record(&set, |_| false);
                    let got = client.call::<_, String>("KVStoreService.Get", &key).await;
                    if let Ok(got) = &got {
                        if *got != value {
                            self.stats.wrong(format!("Get({key}) = {got}, set {value}"));
                        }
                    }
                    self.stats.record(&got, |_| false);
                }
                55..=64 => pending.push(Pending::Watch(
                    client.go::<_, String>("KVStoreService.Watch", 1i64),
                )),
                65..=74 => {
                    let args = WatchFromArgs {
                        revision,
                        prefix: prefix.clone(),
                        timeout_seconds: 1,
                    };
                    pending.push(Pending::Follow(
                        client.go::<_, WatchFromReply>("KVStoreService.WatchFrom", args),
                    ));
                }
                75..=84 => {
                    // Call, then cancel: the handle dropped at once or after a yield.
                    let call = client.go::<_, String>("KVStoreService.Watch", 30i64);
                    if self.rng.below(2) == 0 {
                        tokio::task::yield_now().await;
                    }
                    drop(call);
                    self.stats.abandoned.fetch_add(1, Ordering::Relaxed);
                }
                85..=89 => {
                    let missing = client
                        .call::<_, String>("KVStoreService.Get", &format!("{prefix}missing"))
                        .await;
                    self.stats
                        .record(&missing, |e| e.server_message() == Some("not found"));
                    if missing.is_ok() {
                        self.stats.wrong("Get(missing) succeeded".into());
                    }
                }
                90..=94 => {
                    let now = client
                        .call::<_, u64>("KVStoreService.Revision", &Empty {})
                        .await;
                    if let Ok(now) = &now {
                        revision = *now;
                    }
                    self.stats.record(&now, |_| false);
                }
                _ => {
                    // Collect the oldest watch, if any.
                    if !pending.is_empty() {
                        let oldest = pending.remove(0);
                        self.finish(oldest, &prefix, false).await;
                    }
                }
            }
        }
        let leave = match self.rng.below(3) {
            0 => Leave::Graceful,
            1 => Leave::ClosePending,
            _ => Leave::Drop,
        };
        match leave {
            Leave::Graceful => {
                self.stats.graceful.fetch_add(1, Ordering::Relaxed);
                let wake = client
                    .call::<_, Empty>("KVStoreService.Set", &[format!("{prefix}end"), "x".into()])
                    .await;
                self.stats.record(&wake, |_| false);
                for call in pending {
                    self.finish(call, &prefix, false).await;
                }
                client.close();
            }
            Leave::ClosePending => {
                self.stats.closed_pending.fetch_add(1, Ordering::Relaxed);
                client.close();
                for call in pending {
                    self.finish(call, &prefix, true).await;
                }
            }
            Leave::Drop => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .abandoned
                    .fetch_add(pending.len() as u64, Ordering::Relaxed);
                drop(pending);
            }
        }
    }

    /// Awaits a watch and counts it; `closing`: its connection was closed on purpose.
    async fn finish(&self, call: Pending, prefix: &str, closing: bool) {
        let expected = |e: &Error| is_watch_end(e) || (closing && e.is_shutdown());
        match call {
            Pending::Watch(call) => self.stats.record(&call.await.reply, expected),
            Pending::Follow(call) => {
                let done = call.await;
                let (from, reply) = (done.args.revision, done.reply);
                if let Ok(reply) = &reply {
                    let misfit = |c: &&rpc_services::Change| {
                        !c.key.starts_with(prefix)
                            || c.revision <= from
                            || c.revision > reply.revision
                    };
                    if let Some(bad) = reply.changes.iter().find(misfit) {
                        self.stats.wrong(format!(
                            "WatchFrom({prefix}, {from}) gave {} at {}",
                            bad.key, bad.revision
                        ));
                    }
                }
                self.stats.record(&reply, expected);
            }
        }
    }
}

/// What workers need of the harness.
struct HarnessRef {
    addr: String,
    dial: netrpc::transport::DialOptions,
}

/// This process's resident set size and its peak, in KiB, from /proc/self/status (Linux).
fn rss_kib() -> (Option<u64>, Option<u64>) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn kib(v: Option<u64>) -> String {
    v.map_or_else(|| "unknown".into(), |v| format!("{v} KiB"))
}

/// Polls `count` until it is 0 or `bound` passes; returns the last value.
async fn settle(bound: Duration, mut count: impl FnMut() -> usize) -> usize {
    let until = Instant::now() + bound;
    loop {
        let n = count();
        if n == 0 || Instant::now() >= until {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn soak(args: Args) -> Result<bool, String> {
    let transport = TransportKind::ALL
        .iter()
        .copied()
        .find(|t| format!("{t:?}").eq_ignore_ascii_case(&args.transport))
        .ok_or_else(|| format!("unknown transport {:?}", args.transport))?;
    let seconds = Duration::try_from_secs_f64(args.seconds)
        .map_err(|_| format!("--seconds {}: not a duration", args.seconds))?;
    // A short history keeps the store's memory flat over a long run.
    let kv = KvStoreService::new(KvStore::with_history(HISTORY));
    let server = Server::builder()
        .register(HelloService)
        .register(kv.clone())
        .build();
    let h = Harness::start(server.clone(), CodecKind::AutoPostcard, transport).await;
    let shared = Arc::new(HarnessRef {
        addr: h.addr.clone(),
        dial: h.dial.clone(),
    });
    let (rss_start, _) = rss_kib();
    let stats = Arc::new(Stats::default());
    let started = Instant::now();
    let deadline = started + seconds;
    // RSS every tenth of the run: a plateau, not a slope, is what no leak looks like.
    let samples = Arc::new(Mutex::new(Vec::new()));
    let sampler = tokio::spawn({
        let samples = samples.clone();
        async move {
            for i in 1..=10u32 {
                tokio::time::sleep_until((started + seconds * i / 10).into()).await;
                let rss = rss_kib().0;
                samples.lock().unwrap_or_else(|p| p.into_inner()).push(rss);
            }
        }
    });
    let workers: Vec<_> = (0..args.conns)
        .map(|id| {
            let worker = Worker {
                id,
                rng: Rng::new(args.seed ^ (id as u64 + 1).wrapping_mul(0x1000_0000_01b3)),
                stats: stats.clone(),
                deadline,
                max_calls: args.max_calls,
            };
            tokio::spawn(worker.run(shared.clone()))
        })
        .collect();
    for worker in workers {
        worker
            .await
            .map_err(|err| format!("a worker panicked: {err}"))?;
    }
    let elapsed = started.elapsed();
    // Stopped early when --max-calls ends the run first.
    sampler.abort();
    let _ = sampler.await;
    let samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|p| p.into_inner()));

    // Everything the workers opened must go away on its own.
    let bound = Duration::from_secs(10);
    let watchers = settle(bound, || kv.watcher_count()).await;
    let connections = settle(bound, || server.connections()).await;
    h.shutdown(Duration::from_secs(1)).await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks = settle(bound, || metrics.num_alive_tasks()).await;
    let (rss_end, rss_peak) = rss_kib();

    let calls = stats.calls.load(Ordering::Relaxed);
    let unexpected = stats.unexpected_total();
    println!(
        "soak: {transport:?}, {} connections at once, {:.1} s, seed {}",
        args.conns,
        elapsed.as_secs_f64(),
        args.seed
    );
    println!(
        "calls: {calls} done ({:.0}/s), {} ok; {} more abandoned (cancelled or dropped)",
        calls as f64 / elapsed.as_secs_f64().max(1e-9),
        stats.ok.load(Ordering::Relaxed),
        stats.abandoned.load(Ordering::Relaxed)
    );
    println!("expected errors by kind:");
    for (kind, n) in stats
        .errors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        println!("  {kind}: {n}");
    }
    println!("unexpected errors: {unexpected}");
    for (kind, n) in stats
        .unexpected
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        println!("  {kind}: {n}");
    }
    println!(
        "connections: {} opened; left gracefully {}, closed with calls pending {}, dropped {}",
        stats.connections.load(Ordering::Relaxed),
        stats.graceful.load(Ordering::Relaxed),
        stats.closed_pending.load(Ordering::Relaxed),
        stats.dropped.load(Ordering::Relaxed)
    );
    println!(
        "RSS: start {}, end {}, peak {}",
        kib(rss_start),
        kib(rss_end),
        kib(rss_peak)
    );
    let samples: Vec<String> = samples
        .iter()
        .map(|kib| kib.map_or_else(|| "?".into(), |k| k.to_string()))
        .collect();
    println!("RSS every tenth of the run (KiB): {}", samples.join(" "));
    println!("left behind: watchers {watchers}, connections {connections}, tasks {tasks}");
    let ok = unexpected == 0 && watchers == 0 && connections == 0 && tasks == 0 && calls > 0;
    println!("result: {}", if ok { "ok" } else { "FAILED" });
    Ok(ok)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("soak: runtime: {err}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(soak(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("soak: {err}");
            ExitCode::from(2)
        }
    }
}
