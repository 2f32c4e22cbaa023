//! The clients: netrpc's and tarpc's as [`Caller`]s of the closed loop, the echo ceiling's
//! pipelining frame writer, and Go's `benchpeer` client in a child process.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use netrpc::Client;
use netrpc::transport::tls::TlsClientConfig;
use netrpc::transport::{Address, DialOptions};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::driver::{
    Caller, CpuWindow, LoopOutcome, MEASURE, Phase, STOP, Tally, Window, check_reply, finish,
};
use crate::measure::{CpuMark, Percentiles, Pid, record};
use crate::plan::Load;
use crate::serve::{MAX_FRAME, netrpc_codec};
use crate::tarpc_peer::HelloClient;

/// A request string of `len` bytes.
pub fn request(len: usize) -> Arc<str> {
    "x".repeat(len).into()
}

/// Dial settings that work for every transport: TLS without verifying the server's
/// self-signed certificate (the handshake and encryption are as usual).
pub fn dial_options() -> DialOptions {
    DialOptions::new().with_tls(TlsClientConfig::insecure())
}

/// A netrpc client of `addr` speaking `codec`.
pub async fn dial_netrpc(addr: &str, codec: &str) -> Result<Client, String> {
    let codec = netrpc_codec(codec)?;
    Client::builder()
        .dial_options(dial_options())
        .dial(addr, codec)
        .await
        .map_err(|err| format!("dial {addr}: {err}"))
}

/// `HelloService.Hello` through netrpc's `Client`.
pub struct NetrpcCaller {
    /// The connection.
    pub client: Client,
    /// The request.
    pub request: Arc<str>,
}

impl Caller for NetrpcCaller {
    async fn call(&mut self) -> Result<(), String> {
        let reply: String = self
            .client
            .call("HelloService.Hello", &*self.request)
            .await
            .map_err(|err| err.to_string())?;
        check_reply(&reply, self.request.len())
    }
}

/// `Hello::hello` through tarpc's client.
pub struct TarpcCaller {
    /// The connection.
    pub client: HelloClient,
    /// The request.
    pub request: Arc<str>,
}

impl Caller for TarpcCaller {
    async fn call(&mut self) -> Result<(), String> {
        let reply = self
            .client
            .hello(tarpc::context::current(), self.request.to_string())
            .await
            .map_err(|err| err.to_string())?;
        check_reply(&reply, self.request.len())
    }
}

/// A frame of the echo ceiling: the 4-byte big-endian length, then `payload` bytes.
fn echo_frame(payload: usize) -> Bytes {
    let mut frame = BytesMut::with_capacity(4 + payload);
    frame.put_u32(payload as u32);
    frame.put_bytes(b'x', payload);
    frame.freeze()
}

/// In-flight bytes up to which the echo client uses one task per connection (everything in
/// flight then fits in the socket buffers, and in `mem://`'s 64 KiB pipes, so writing before
/// reading cannot deadlock).
const ONE_TASK_BYTES: usize = 32 << 10;

/// The echo ceiling's client: on each of `conns` connections to `addr`, keeps `in_flight`
/// frames of `payload` bytes outstanding, sending a new one as each echo comes back (the same
/// closed loop as an RPC client's, with no RPC). One task per connection writes every frame due
/// in one call and then reads; when the frames in flight could fill the socket buffers, a
/// writing and a reading task per connection instead.
pub async fn echo_loop(
    addr: &str,
    conns: usize,
    in_flight: usize,
    payload: usize,
    window: Window,
    server: Option<u32>,
) -> Result<LoopOutcome, String> {
    let parsed: Address = addr.parse().map_err(|err| format!("{addr}: {err}"))?;
    let mut streams = Vec::with_capacity(conns);
    for _ in 0..conns {
        let connection = netrpc::transport::dial_with(&parsed, &dial_options())
            .await
            .map_err(|err| format!("dial {addr}: {err}"))?;
        let stream = connection
            .into_stream()
            .await
            .map_err(|err| format!("open a stream to {addr}: {err}"))?;
        streams.push(stream);
    }
    let phase = Phase::default();
    let limit = match window {
        Window::Count(per_slot) => {
            phase.set(MEASURE);
            Some(per_slot * in_flight as u64)
        }
        Window::Timed { .. } => None,
    };
    let count_window = limit.is_some().then(|| CpuWindow::start(server));
    let frame = echo_frame(payload);
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|stream| {
            if in_flight * frame.len() <= ONE_TASK_BYTES {
                tokio::spawn(echo_one_task(
                    stream,
                    in_flight,
                    frame.clone(),
                    phase.clone(),
                    limit,
                ))
            } else {
                tokio::spawn(echo_connection(
                    stream,
                    in_flight,
                    frame.clone(),
                    phase.clone(),
                    limit,
                ))
            }
        })
        .collect();
    Ok(finish(tasks, window, &phase, server, count_window, "echo").await)
}

/// The echo client's connection loop in one task: write what is due, read what came back.
async fn echo_one_task(
    mut stream: netrpc::transport::BoxStream,
    in_flight: usize,
    frame: Bytes,
    phase: Phase,
    limit: Option<u64>,
) -> Tally {
    let mut tally = Tally::new();
    let mut sent: VecDeque<Instant> = VecDeque::with_capacity(in_flight);
    let mut out = BytesMut::with_capacity(in_flight * frame.len());
    let mut issued = 0u64;
    for _ in 0..in_flight {
        if limit.is_some_and(|limit| issued >= limit) {
            break;
        }
        out.extend_from_slice(&frame);
        issued += 1;
    }
    let mut buf = BytesMut::with_capacity(64 << 10);
    loop {
        if !out.is_empty() {
            let now = Instant::now();
            sent.extend(std::iter::repeat_n(now, out.len() / frame.len()));
            if let Err(err) = stream.write_all(&out).await {
                tally.fail(format!("echo write: {err}"));
                break;
            }
            out.clear();
        }
        if sent.is_empty() {
            break;
        }
        match stream.read_buf(&mut buf).await {
            Ok(0) => {
                tally.fail("echo server closed the connection".to_owned());
                break;
            }
            Err(err) => {
                tally.fail(format!("echo read: {err}"));
                break;
            }
            Ok(_) => {}
        }
        while buf.len() >= frame.len() {
            let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if 4 + len != frame.len() {
                tally.fail(format!("echo frame of {len} bytes"));
                return tally;
            }
            buf.advance(frame.len());
            let sent_at = sent.pop_front();
            if phase.get() == MEASURE
                && let Some(sent_at) = sent_at
            {
                tally.calls += 1;
                record(&mut tally.histogram, sent_at.elapsed());
            }
            if phase.get() != STOP && limit.is_none_or(|limit| issued < limit) {
                out.extend_from_slice(&frame);
                issued += 1;
            }
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(64 << 10);
        }
    }
    tally
}

/// The echo client's connection loop for large frames: a writing and a reading task.
async fn echo_connection(
    stream: netrpc::transport::BoxStream,
    in_flight: usize,
    frame: Bytes,
    phase: Phase,
    limit: Option<u64>,
) -> Tally {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let sent: Arc<Mutex<VecDeque<Instant>>> = Arc::default();
    let (credits, mut credit_rx) = mpsc::unbounded_channel::<()>();
    let writing = tokio::spawn({
        let sent = sent.clone();
        let frame = frame.clone();
        async move {
            let mut batch = BytesMut::new();
            while credit_rx.recv().await.is_some() {
                let mut n = 1;
                while credit_rx.try_recv().is_ok() {
                    n += 1;
                }
                {
                    let mut sent = sent.lock().unwrap_or_else(|p| p.into_inner());
                    let now = Instant::now();
                    sent.extend(std::iter::repeat_n(now, n));
                }
                if frame.len() >= 64 << 10 {
                    for _ in 0..n {
                        writer.write_all(&frame).await?;
                    }
                } else {
                    for _ in 0..n {
                        batch.extend_from_slice(&frame);
                    }
                    writer.write_all(&batch).await?;
                    batch.clear();
                }
            }
            std::io::Result::Ok(())
        }
    });
    let mut tally = Tally::new();
    let mut issued = 0u64;
    let mut outstanding = 0u64;
    for _ in 0..in_flight {
        if limit.is_some_and(|limit| issued >= limit) {
            break;
        }
        let _ = credits.send(());
        issued += 1;
        outstanding += 1;
    }
    let mut buf = BytesMut::with_capacity(frame.len().max(64 << 10));
    'read: while outstanding > 0 {
        match reader.read_buf(&mut buf).await {
            Ok(0) => {
                tally.fail("echo server closed the connection".to_owned());
                break;
            }
            Err(err) => {
                tally.fail(format!("echo read: {err}"));
                break;
            }
            Ok(_) => {}
        }
        while buf.len() >= 4 {
            let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if len > MAX_FRAME || 4 + len != frame.len() {
                tally.fail(format!("echo frame of {len} bytes"));
                break 'read;
            }
            if buf.len() < 4 + len {
                buf.reserve(4 + len - buf.len());
                break;
            }
            let _ = buf.split_to(4 + len);
            outstanding -= 1;
            let sent_at = sent.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
            if phase.get() == MEASURE
                && let Some(sent_at) = sent_at
            {
                tally.calls += 1;
                record(&mut tally.histogram, sent_at.elapsed());
            }
            if phase.get() != STOP && limit.is_none_or(|limit| issued < limit) {
                let _ = credits.send(());
                issued += 1;
                outstanding += 1;
            }
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(64 << 10);
        }
    }
    drop(credits);
    match writing.await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tally.fail(format!("echo write: {err}")),
        Err(err) => tally.fail(format!("echo writer: {err}")),
    }
    tally
}

/// What Go's client prints.
#[derive(Debug, Deserialize)]
pub struct GoReport {
    /// Calls measured.
    pub calls: u64,
    /// Calls failed.
    pub errors: u64,
    /// The measured window, seconds.
    pub elapsed_s: f64,
    /// Latency percentiles, nanoseconds.
    pub p50_ns: u64,
    /// 99th.
    pub p99_ns: u64,
    /// 99.9th.
    pub p999_ns: u64,
    /// Largest.
    pub max_ns: u64,
    /// The client's user CPU time in the window, seconds.
    pub cpu_user_s: f64,
    /// The client's system CPU time in the window, seconds.
    pub cpu_sys_s: f64,
    /// The client's peak RSS, KiB.
    pub max_rss_kib: u64,
}

/// Go's client run, with the server's CPU time in the same window.
pub struct GoOutcome {
    /// What the client printed.
    pub report: GoReport,
    /// Latencies.
    pub percentiles: Percentiles,
    /// CPU time of the server in the client's measured window.
    pub server_cpu: Option<Duration>,
    /// The client's standard error, when it failed.
    pub stderr: String,
}

/// Runs Go's `benchpeer` client against `addr` (`tcp://HOST:PORT`) with `codec`.
pub async fn go_loop(
    benchpeer: &Path,
    addr: &str,
    codec: &str,
    load: Load,
    window: Window,
    server: Option<u32>,
) -> Result<GoOutcome, String> {
    let host_port = addr.strip_prefix("tcp://").unwrap_or(addr);
    let mut command = Command::new(benchpeer);
    command.args([
        "-connect",
        host_port,
        "-codec",
        codec,
        "-conns",
        &load.conns.to_string(),
        "-inflight",
        &load.in_flight.to_string(),
        "-payload",
        &load.payload.to_string(),
    ]);
    match window {
        Window::Timed { warmup, measure } => command.args([
            "-warmup",
            &warmup.as_secs_f64().to_string(),
            "-seconds",
            &measure.as_secs_f64().to_string(),
        ]),
        Window::Count(n) => command.args(["-calls", &n.to_string()]),
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let counted = matches!(window, Window::Count(_));
    tokio::task::spawn_blocking(move || {
        let mut child = command
            .spawn()
            .map_err(|err| format!("starting {command:?}: {err}"))?;
        let server_mark = |_: ()| server.map(|pid| CpuMark::now(Pid::Other(pid)));
        let mut mark = if counted { server_mark(()) } else { None };
        let stdout = child.stdout.take().ok_or("no stdout from benchpeer")?;
        let stderr = child.stderr.take().ok_or("no stderr from benchpeer")?;
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                text.push_str(&line);
                text.push('\n');
            }
            text
        });
        let mut report = None;
        let mut server_cpu = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|err| format!("reading benchpeer: {err}"))?;
            if line == "measuring" {
                mark = server_mark(());
            } else if line.starts_with('{') {
                server_cpu = mark.as_ref().and_then(CpuMark::elapsed);
                report = Some(
                    serde_json::from_str::<GoReport>(&line)
                        .map_err(|err| format!("benchpeer printed {line:?}: {err}"))?,
                );
            }
        }
        let status = child
            .wait()
            .map_err(|err| format!("waiting for benchpeer: {err}"))?;
        let stderr = errors.join().unwrap_or_default();
        let report = match report {
            Some(report) if status.success() => report,
            _ => return Err(format!("benchpeer client failed ({status}):\n{stderr}")),
        };
        let percentiles =
            Percentiles::from_nanos(report.p50_ns, report.p99_ns, report.p999_ns, report.max_ns);
        Ok(GoOutcome {
            report,
            percentiles,
            server_cpu,
            stderr,
        })
    })
    .await
    .map_err(|err| format!("benchpeer task: {err}"))?
}
