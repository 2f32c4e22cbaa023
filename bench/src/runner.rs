//! Running one cell: start its server, drive it, read the figures, stop it.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use netrpc::Empty;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::clients::{
    NetrpcCaller, TarpcCaller, dial_netrpc, dial_options, echo_loop, go_loop, request,
};
use crate::driver::{LoopOutcome, Tally, Window, closed_loop};
use crate::measure::{CpuMark, Percentiles, Pid, new_histogram, record, reset_own_peak_rss};
use crate::plan::{Cell, ClientKind, Load, System, Target, Workload};
use crate::report::{IdleFigures, Row, WatchFigures};
use crate::servers::{self, Programs, RunningServer};
use crate::tarpc_peer;

/// How long each cell runs.
#[derive(Clone, Copy, Debug)]
pub enum RunLength {
    /// Warm-up, then a measured window.
    Timed {
        /// Warm-up.
        warmup: Duration,
        /// Measured window.
        measure: Duration,
    },
    /// A few hundred calls per workload (about `calls`), no warm-up.
    Smoke {
        /// Calls per workload.
        calls: u64,
    },
}

/// How a watch waits: long enough never to time out during a run.
const WATCH_TIMEOUT_SECONDS: i64 = 3600;

/// How long W5 waits for the server to register every watch.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(120);

impl RunLength {
    fn window(&self, load: &Load) -> Window {
        match *self {
            RunLength::Timed { warmup, measure } => Window::Timed { warmup, measure },
            RunLength::Smoke { calls } => {
                // Fewer calls when they are large: about 16 MiB of requests at most.
                let by_size = ((16u64 << 20) / load.payload.max(1) as u64).max(16);
                Window::count_for(calls.min(by_size), load.conns * load.in_flight)
            }
        }
    }
}

/// Runs `cell` once.
pub async fn run(cell: &Cell, duration: RunLength, programs: &Programs) -> Row {
    let mut row = Row {
        id: cell.id(),
        workload: cell.workload.id().to_owned(),
        shape: cell.workload.shape(),
        system: cell.target.system.name().to_owned(),
        codec: cell.target.codec.to_owned(),
        transport: cell.target.transport.to_owned(),
        client: cell.target.client.name().to_owned(),
        ..Row::default()
    };
    let result = match cell.workload {
        Workload::Calls(load) => calls(&mut row, &cell.target, load, duration, programs).await,
        Workload::Watch { watches, conns } => {
            watch(&mut row, &cell.target, watches, conns, programs).await
        }
        Workload::Idle { conns } => idle(&mut row, &cell.target, conns, programs).await,
    };
    if let Err(err) = result {
        row.errors += 1;
        row.first_error.get_or_insert(err);
    }
    row
}

fn per_call_us(cpu: Option<Duration>, calls: u64) -> Option<f64> {
    let cpu = cpu?;
    (calls > 0).then(|| cpu.as_secs_f64() * 1e6 / calls as f64)
}

fn fill(row: &mut Row, outcome: LoopOutcome) {
    let LoopOutcome {
        tally,
        elapsed,
        client_cpu,
        server_cpu,
    } = outcome;
    row.calls = tally.calls;
    row.errors += tally.errors;
    if row.first_error.is_none() {
        row.first_error = tally.first_error;
    }
    row.seconds = elapsed.as_secs_f64();
    if row.seconds > 0.0 {
        row.calls_per_sec = tally.calls as f64 / row.seconds;
    }
    row.latency = Percentiles::of(&tally.histogram);
    row.client_cpu_us_per_call = per_call_us(client_cpu, tally.calls);
    row.server_cpu_us_per_call = per_call_us(server_cpu, tally.calls);
}

fn server_peak(row: &mut Row, server: &RunningServer) {
    row.server_peak_rss_kib = server.pid.and_then(|pid| Pid::Other(pid).peak_rss_kib());
}

async fn calls(
    row: &mut Row,
    target: &Target,
    load: Load,
    duration: RunLength,
    programs: &Programs,
) -> Result<(), String> {
    let server = servers::start(target, programs).await?;
    let window = duration.window(&load);
    reset_own_peak_rss();
    let request = request(load.payload);
    match (target.client, target.system) {
        (ClientKind::Go, _) => {
            let go = go_loop(
                programs.benchpeer()?,
                &server.addr,
                target.codec,
                load,
                window,
                server.pid,
            )
            .await?;
            let report = &go.report;
            row.calls = report.calls;
            row.errors += report.errors;
            if report.errors > 0 {
                row.first_error = Some(go.stderr.trim().to_owned());
            }
            row.seconds = report.elapsed_s;
            if report.elapsed_s > 0.0 {
                row.calls_per_sec = report.calls as f64 / report.elapsed_s;
            }
            row.latency = go.percentiles;
            row.client_cpu_us_per_call = per_call_us(
                Some(Duration::from_secs_f64(
                    report.cpu_user_s + report.cpu_sys_s,
                )),
                report.calls,
            );
            row.server_cpu_us_per_call = per_call_us(go.server_cpu, report.calls);
            row.client_peak_rss_kib = Some(report.max_rss_kib);
            server_peak(row, &server);
            return Ok(());
        }
        (ClientKind::Rust, System::Echo) => {
            let outcome = echo_loop(
                &server.addr,
                load.conns,
                load.in_flight,
                load.payload,
                window,
                server.pid,
            )
            .await?;
            fill(row, outcome);
        }
        (ClientKind::Rust, System::Tarpc) => {
            let mut callers = Vec::new();
            for _ in 0..load.conns {
                let client = tarpc_peer::connect(&server.addr, target.codec).await?;
                for _ in 0..load.in_flight {
                    callers.push(TarpcCaller {
                        client: client.clone(),
                        request: request.clone(),
                    });
                }
            }
            fill(row, closed_loop(callers, window, server.pid).await);
        }
        (ClientKind::Rust, System::Netrpc | System::Go) => {
            let mut callers = Vec::new();
            for _ in 0..load.conns {
                let client = dial_netrpc(&server.addr, target.codec).await?;
                for _ in 0..load.in_flight {
                    callers.push(NetrpcCaller {
                        client: client.clone(),
                        request: request.clone(),
                    });
                }
            }
            fill(row, closed_loop(callers, window, server.pid).await);
        }
    }
    row.client_peak_rss_kib = Pid::SelfProcess.peak_rss_kib();
    server_peak(row, &server);
    Ok(())
}

fn rss(pid: Option<u32>) -> Option<u64> {
    pid.and_then(|pid| Pid::Other(pid).rss_kib())
}

fn bytes_per(before: Option<u64>, after: Option<u64>, n: usize) -> Option<f64> {
    let (before, after) = (before?, after?);
    (n > 0).then(|| (after as f64 - before as f64) * 1024.0 / n as f64)
}

/// W5: `watches` pending `KVStoreService.Watch` calls over `conns` connections, woken by one
/// `Set`; the time until every reply is in, and the memory a pending watch costs.
async fn watch(
    row: &mut Row,
    target: &Target,
    watches: usize,
    conns: usize,
    programs: &Programs,
) -> Result<(), String> {
    if target.system != System::Netrpc || target.client != ClientKind::Rust {
        return Err(format!("W5 is measured for netrpc only, not {target}"));
    }
    let server = servers::start(target, programs).await?;
    reset_own_peak_rss();
    let control = dial_netrpc(&server.addr, target.codec).await?;
    let mut clients = Vec::with_capacity(conns);
    for _ in 0..conns {
        let client = dial_netrpc(&server.addr, target.codec).await?;
        // One call each, so that per-connection state exists before the memory baseline.
        let _: String = client
            .call("HelloService.Hello", "warm")
            .await
            .map_err(|err| format!("Hello: {err}"))?;
        clients.push(client);
    }
    let server_before = rss(server.pid);
    let client_before = Pid::SelfProcess.rss_kib();
    let registering = Instant::now();
    let mut tasks = Vec::with_capacity(conns);
    for (i, client) in clients.iter().enumerate() {
        let n = watches / conns + usize::from(i < watches % conns);
        let pending: FuturesUnordered<_> = (0..n)
            .map(|_| client.go::<i64, String>("KVStoreService.Watch", WATCH_TIMEOUT_SECONDS))
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::with_capacity(n);
            let mut tally = Tally::new();
            let mut pending = pending;
            while let Some(completed) = pending.next().await {
                match completed.reply {
                    Ok(_) => done.push(Instant::now()),
                    Err(err) => tally.fail(format!("Watch: {err}")),
                }
            }
            (done, tally)
        }));
    }
    loop {
        let registered: u64 = control
            .call("Bench.Watchers", &Empty {})
            .await
            .map_err(|err| format!("Bench.Watchers: {err}"))?;
        if registered as usize >= watches {
            break;
        }
        if registering.elapsed() > REGISTER_TIMEOUT {
            return Err(format!(
                "only {registered} of {watches} watches registered after {REGISTER_TIMEOUT:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let register_ms = registering.elapsed().as_secs_f64() * 1e3;
    let server_after = rss(server.pid);
    let client_after = Pid::SelfProcess.rss_kib();
    let server_cpu = server.pid.map(|pid| CpuMark::now(Pid::Other(pid)));
    let client_cpu = CpuMark::now(Pid::SelfProcess);
    let set_at = Instant::now();
    let _: Empty = control
        .call(
            "KVStoreService.Set",
            &["bench-key".to_owned(), format!("{watches}")],
        )
        .await
        .map_err(|err| format!("Set: {err}"))?;
    let mut tally = Tally::new();
    let mut histogram = new_histogram();
    let mut last = set_at;
    for task in tasks {
        let (done, t) = task.await.map_err(|err| format!("watch task: {err}"))?;
        tally.merge(t);
        for at in done {
            record(&mut histogram, at.saturating_duration_since(set_at));
            last = last.max(at);
            tally.calls += 1;
        }
    }
    let wake = last.saturating_duration_since(set_at);
    row.calls = tally.calls;
    row.errors += tally.errors;
    row.first_error = tally.first_error;
    row.seconds = wake.as_secs_f64();
    if row.seconds > 0.0 {
        row.calls_per_sec = tally.calls as f64 / row.seconds;
    }
    row.latency = Percentiles::of(&histogram);
    row.server_cpu_us_per_call = per_call_us(server_cpu.and_then(|m| m.elapsed()), tally.calls);
    row.client_cpu_us_per_call = per_call_us(client_cpu.elapsed(), tally.calls);
    row.client_peak_rss_kib = Pid::SelfProcess.peak_rss_kib();
    server_peak(row, &server);
    row.watch = Some(WatchFigures {
        watches,
        conns,
        wake_ms: wake.as_secs_f64() * 1e3,
        register_ms,
        server_bytes_per_watch: bytes_per(server_before, server_after, watches),
        client_bytes_per_watch: bytes_per(client_before, client_after, watches),
    });
    Ok(())
}

/// A connection held open by W6.
enum Held {
    Netrpc(#[allow(dead_code)] netrpc::Client),
    Tarpc(#[allow(dead_code)] tarpc_peer::HelloClient),
    Raw(#[allow(dead_code)] netrpc::transport::BoxStream),
}

/// Opens a connection to `target`'s server and makes one call on it.
async fn open_one(target: &Target, addr: &str) -> Result<Held, String> {
    match target.system {
        System::Netrpc | System::Go => {
            let client = dial_netrpc(addr, target.codec).await?;
            let reply: String = client
                .call("HelloService.Hello", "idle")
                .await
                .map_err(|err| format!("Hello: {err}"))?;
            crate::driver::check_reply(&reply, 4)?;
            Ok(Held::Netrpc(client))
        }
        System::Tarpc => {
            let client = tarpc_peer::connect(addr, target.codec).await?;
            let reply = client
                .hello(tarpc::context::current(), "idle".to_owned())
                .await
                .map_err(|err| format!("hello: {err}"))?;
            crate::driver::check_reply(&reply, 4)?;
            Ok(Held::Tarpc(client))
        }
        System::Echo => {
            let parsed: netrpc::transport::Address =
                addr.parse().map_err(|err| format!("{addr}: {err}"))?;
            let mut stream = netrpc::transport::dial_with(&parsed, &dial_options())
                .await
                .map_err(|err| format!("dial {addr}: {err}"))?
                .into_stream()
                .await
                .map_err(|err| format!("open a stream to {addr}: {err}"))?;
            let frame = [0, 0, 0, 4, b'i', b'd', b'l', b'e'];
            stream
                .write_all(&frame)
                .await
                .map_err(|err| format!("echo write: {err}"))?;
            let mut back = [0u8; 8];
            stream
                .read_exact(&mut back)
                .await
                .map_err(|err| format!("echo read: {err}"))?;
            if back != frame {
                return Err(format!("echo answered {back:?}"));
            }
            Ok(Held::Raw(stream))
        }
    }
}

/// W6: `conns` idle connections, each after one call; the memory each costs.
async fn idle(
    row: &mut Row,
    target: &Target,
    conns: usize,
    programs: &Programs,
) -> Result<(), String> {
    let server = servers::start(target, programs).await?;
    reset_own_peak_rss();
    // One connection first, so one-time costs (buffers, the first task) are in the baseline.
    let first = open_one(target, &server.addr).await?;
    let server_before = rss(server.pid);
    let client_before = Pid::SelfProcess.rss_kib();
    let started = Instant::now();
    let mut held = Vec::with_capacity(conns);
    for _ in 0..conns {
        held.push(open_one(target, &server.addr).await?);
    }
    row.seconds = started.elapsed().as_secs_f64();
    // Let the server finish whatever the last replies started before reading its memory.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let server_after = rss(server.pid);
    let client_after = Pid::SelfProcess.rss_kib();
    row.calls = held.len() as u64;
    if row.seconds > 0.0 {
        row.calls_per_sec = row.calls as f64 / row.seconds;
    }
    row.client_peak_rss_kib = Pid::SelfProcess.peak_rss_kib();
    server_peak(row, &server);
    row.idle = Some(IdleFigures {
        conns,
        server_bytes_per_conn: bytes_per(server_before, server_after, conns),
        client_bytes_per_conn: bytes_per(client_before, client_after, conns),
    });
    drop(held);
    drop(first);
    Ok(())
}
