//! netrpc's yamux (rpc-yamux, `yamux+tcp://`, `yamux+unix://`) against hashicorp/yamux v0.1.2,
//! the multiplexer of HashiCorp's go-plugin: Go's `goplugin/cmd/yamuxpeer` as server and as
//! client, over TCP and Unix sockets.
//!
//! Covered both ways: many concurrent streams, payloads several windows large, half-close
//! (FIN), resets (RST: a dropped stream, Go's backlog overflow), GoAway, keepalive pings each
//! way, streams accepted in the order they were opened (go-plugin relies on it), and net/rpc
//! (gob) calls over yamux streams with netrpc's client, command and server.
//!
//! Every test binds loopback port 0 (or a fresh socket file), learns addresses from `listening
//! on ADDR` lines, and bounds every wait. Go 1.24 or newer is required.

mod common;

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use common::{blocking, bounded, netrpc_serve};
use interop::{Finished, Process, Stream, goplugin_program};
use netrpc::transport::yamux::{Config, Mode, Session};
use netrpc::transport::{Address, Link, Multiplexed};
use netrpc::{Client, Gob};
use rpc_yamux::frame::{Flags, FrameType, HEADER_LEN, Header};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// `yamuxpeer ARGS...`, started.
fn yamuxpeer(args: &[&str]) -> Process {
    let mut command = goplugin_program("yamuxpeer");
    command.args(args);
    Process::spawn(&format!("yamuxpeer {args:?}"), command)
}

/// `yamuxpeer -listen 127.0.0.1:0 ARGS...` and the address it listens on.
fn go_listening(args: &[&str]) -> (Process, String) {
    let mut all = vec!["-listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let peer = yamuxpeer(&all);
    let addr = peer.listening_on(Stream::Stdout);
    (peer, addr)
}

/// A fresh socket path in the temp directory.
fn socket_path(tag: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "netrpc-yamux-{tag}-{}-{n}.sock",
        std::process::id()
    ))
}

/// Waits for a Go peer to exit 0 and returns what it printed.
async fn go_success(peer: Process) -> Finished {
    blocking(move || peer.wait_success()).await
}

fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|j| (j * 31 + seed) as u8).collect()
}

/// Sends `data` on a new stream, half-closes it, and checks that the echo is the same.
async fn round_trip(streams: &dyn Multiplexed, data: Vec<u8>) {
    let stream = bounded("open", streams.open()).await.expect("open");
    let (mut rd, mut wr) = tokio::io::split(stream);
    let len = data.len();
    let writer = tokio::spawn(async move {
        wr.write_all(&data).await.expect("write");
        wr.shutdown().await.expect("shutdown (FIN)");
        (wr, data)
    });
    let mut back = Vec::with_capacity(len);
    bounded("echo", rd.read_to_end(&mut back))
        .await
        .expect("read the echo");
    let (_wr, data) = writer.await.expect("writer");
    assert!(
        back == data,
        "echoed {} bytes, not the {len} sent",
        back.len()
    );
}

/// Echoes every stream the peer opens until the session ends; returns how many.
async fn echo_all(streams: std::sync::Arc<dyn Multiplexed>) -> usize {
    let mut tasks = Vec::new();
    while let Some(mut stream) = streams.accept().await.expect("accept") {
        tasks.push(tokio::spawn(async move {
            let (mut rd, mut wr) = tokio::io::split(&mut stream);
            tokio::io::copy(&mut rd, &mut wr).await.expect("echo");
            wr.shutdown().await.expect("FIN back");
        }));
    }
    let count = tasks.len();
    for task in tasks {
        task.await.expect("echo task");
    }
    count
}

/// Listens on `addr` (a yamux address) and returns the listener's printed address.
async fn rust_listener(addr: &str) -> Box<dyn netrpc::transport::Listener> {
    netrpc::transport::listen(&addr.parse().unwrap())
        .await
        .expect("listen")
}

fn multiplexed(connection: netrpc::transport::Connection) -> std::sync::Arc<dyn Multiplexed> {
    match connection.link {
        Link::Multiplexed(streams) => streams,
        Link::Stream(_) => panic!("a yamux connection is multiplexed"),
    }
}

// ---------------------------------------------------------------------------------------------
// Pings on the wire

/// Counts the Ping frames a connection receives: (requests, answers).
#[derive(Default)]
struct PingCounter {
    header: Vec<u8>,
    skip: u64,
    counts: (u32, u32),
}

impl PingCounter {
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = (self.skip as usize).min(bytes.len());
                self.skip -= n as u64;
                bytes = &bytes[n..];
                continue;
            }
            let n = (HEADER_LEN - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.header.len() < HEADER_LEN {
                return;
            }
            let raw: [u8; HEADER_LEN] = self.header.as_slice().try_into().unwrap();
            self.header.clear();
            let header = Header::decode(&raw).expect("Go sends valid frames");
            match header.kind {
                FrameType::Data => self.skip = u64::from(header.length),
                FrameType::Ping if header.flags.contains(Flags::SYN) => self.counts.0 += 1,
                FrameType::Ping if header.flags.contains(Flags::ACK) => self.counts.1 += 1,
                _ => {}
            }
        }
    }
}

/// A TCP stream that reports the Ping frames it reads.
struct Tapped {
    inner: TcpStream,
    counter: PingCounter,
    seen: watch::Sender<(u32, u32)>,
}

fn tap(inner: TcpStream) -> (Tapped, watch::Receiver<(u32, u32)>) {
    let (seen, rx) = watch::channel((0, 0));
    let tapped = Tapped {
        inner,
        counter: PingCounter::default(),
        seen,
    };
    (tapped, rx)
}

impl AsyncRead for Tapped {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let this = &mut *self;
            this.counter.feed(&buf.filled()[before..]);
            this.seen.send_replace(this.counter.counts);
        }
        poll
    }
}

impl AsyncWrite for Tapped {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

// ---------------------------------------------------------------------------------------------
// Streams and data

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_many_streams_beyond_the_window_against_go_server_tcp() {
    let (go, addr) = blocking(|| go_listening(&["-mode", "echo"])).await;
    let connection = bounded(
        "dial",
        netrpc::transport::dial(&format!("yamux+tcp://{addr}").parse().unwrap()),
    )
    .await
    .expect("dial");
    assert_eq!(connection.peer.transport, "yamux+tcp");
    let streams = multiplexed(connection);
    // 32 streams at once, each 1 MiB (4 windows) each way.
    let mut tasks = Vec::new();
    for i in 0..32 {
        let streams = streams.clone();
        tasks.push(tokio::spawn(async move {
            round_trip(&*streams, pattern(1 << 20, i)).await;
        }));
    }
    for task in tasks {
        task.await.expect("stream task");
    }
    streams.close();
    let done = go_success(go).await;
    assert!(
        done.stdout.contains("echoed 32 streams, 33554432 bytes"),
        "{}",
        done.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_against_go_server_unix() {
    let path = socket_path("go-server");
    let path_text = path.display().to_string();
    let (go, printed) = blocking(move || {
        let peer = yamuxpeer(&["-net", "unix", "-listen", &path_text, "-mode", "echo"]);
        let printed = peer.listening_on(Stream::Stdout);
        (peer, printed)
    })
    .await;
    assert_eq!(printed, path.display().to_string());
    let addr = Address::YamuxUnix(path.clone());
    let connection = bounded("dial", netrpc::transport::dial(&addr))
        .await
        .expect("dial");
    assert_eq!(connection.peer.transport, "yamux+unix");
    let streams = multiplexed(connection);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let streams = streams.clone();
        tasks.push(tokio::spawn(async move {
            round_trip(&*streams, pattern(700_000, i)).await;
        }));
    }
    for task in tasks {
        task.await.expect("stream task");
    }
    streams.close();
    let done = go_success(go).await;
    assert!(done.stdout.contains("echoed 8 streams"), "{}", done.stdout);
    let _ = std::fs::remove_file(path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_client_many_streams_beyond_the_window_against_rust_server_tcp() {
    let mut listener = rust_listener("yamux+tcp://127.0.0.1:0").await;
    let addr = listener.local_addr().host_port().unwrap().to_owned();
    let go = yamuxpeer(&[
        "-dial", &addr, "-mode", "open", "-streams", "32", "-size", "1048576",
    ]);
    let connection = bounded("accept", listener.accept()).await.expect("accept");
    assert_eq!(connection.peer.transport, "yamux+tcp");
    let echoed = bounded("echo", echo_all(multiplexed(connection))).await;
    assert_eq!(echoed, 32);
    let done = go_success(go).await;
    assert!(
        done.stdout.contains("ok 32 streams of 1048576 bytes"),
        "{}",
        done.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_client_against_rust_server_unix() {
    let path = socket_path("rust-server");
    let mut listener = rust_listener(&format!("yamux+unix://{}", path.display())).await;
    let go = yamuxpeer(&[
        "-net",
        "unix",
        "-dial",
        &path.display().to_string(),
        "-mode",
        "open",
        "-streams",
        "16",
        "-size",
        "600000",
    ]);
    let connection = bounded("accept", listener.accept()).await.expect("accept");
    assert_eq!(connection.peer.transport, "yamux+unix");
    let echoed = bounded("echo", echo_all(multiplexed(connection))).await;
    assert_eq!(echoed, 16);
    go_success(go).await;
}

// ---------------------------------------------------------------------------------------------
// Resets

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_dropped_unfinished_is_reset_for_go() {
    let (go, addr) = blocking(|| go_listening(&["-mode", "expect-reset"])).await;
    let stream = TcpStream::connect(&addr).await.expect("dial");
    let session = Session::new(stream, Mode::Client, Config::default());
    let mut s = session.open().await.expect("open");
    s.write_all(&pattern(100_000, 1)).await.expect("write");
    drop(s); // no shutdown: RST
    let done = go_success(go).await;
    assert!(done.stdout.contains("reset after"), "{}", done.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_refusing_a_stream_past_its_backlog_resets_ours() {
    let (go, addr) = blocking(|| go_listening(&["-mode", "hold", "-backlog", "1"])).await;
    let stream = TcpStream::connect(&addr).await.expect("dial");
    let session = Session::new(stream, Mode::Client, Config::default());
    let _waiting = session.open().await.expect("open");
    let mut refused = session.open().await.expect("open");
    let mut buf = [0u8; 1];
    let err = bounded("reset", refused.read(&mut buf)).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
    let err = refused.write_all(b"x").await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
    assert!(!session.is_closed(), "a reset ends one stream only");
    session.close();
    let done = go_success(go).await;
    assert!(done.stdout.contains("session closed"), "{}", done.stdout);
}

// ---------------------------------------------------------------------------------------------
// GoAway

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_away_from_go_refuses_our_new_streams_and_keeps_the_open_one() {
    let (go, addr) = blocking(|| go_listening(&["-mode", "goaway"])).await;
    let stream = TcpStream::connect(&addr).await.expect("dial");
    let session = Session::new(stream, Mode::Client, Config::default());
    let mut s = session.open().await.expect("open");
    s.write_all(b"across the go away").await.unwrap();
    s.shutdown().await.unwrap();
    let mut back = Vec::new();
    bounded("echo", s.read_to_end(&mut back)).await.unwrap();
    assert_eq!(back, b"across the go away");
    // Go sent GoAway before echoing: new streams are refused at once.
    let err = session.open().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    assert!(!session.is_closed(), "GoAway (normal) ends nothing");
    session.close();
    let done = go_success(go).await;
    assert!(done.stdout.contains("go away sent"), "{}", done.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_away_from_rust_makes_go_refuse_to_open() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let go = yamuxpeer(&["-dial", &addr, "-mode", "expect-goaway"]);
    let (socket, _) = bounded("accept", listener.accept()).await.unwrap();
    let session = Session::new(socket, Mode::Server, Config::default());
    let mut s = bounded("accept a stream", session.accept())
        .await
        .unwrap()
        .expect("a stream");
    session.go_away();
    let (mut rd, mut wr) = tokio::io::split(&mut s);
    tokio::io::copy(&mut rd, &mut wr).await.unwrap();
    wr.shutdown().await.unwrap();
    let done = go_success(go).await;
    assert!(
        done.stdout
            .contains("open refused: remote end is not accepting connections"),
        "{}",
        done.stdout
    );
    assert!(bounded("end", session.accept()).await.unwrap().is_none());
}

// ---------------------------------------------------------------------------------------------
// Keepalive

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_pings_us_and_we_answer() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let go = yamuxpeer(&[
        "-dial",
        &addr,
        "-mode",
        "idle",
        "-keepalive",
        "50ms",
        "-duration",
        "1s",
    ]);
    let (socket, _) = bounded("accept", listener.accept()).await.unwrap();
    let (tapped, mut seen) = tap(socket);
    // Our own keepalive off: every ping on the wire is Go's.
    let config = Config {
        keepalive: None,
        ..Config::default()
    };
    let session: std::sync::Arc<dyn Multiplexed> =
        std::sync::Arc::new(Session::new(tapped, Mode::Server, config));
    let echo = tokio::spawn(echo_all(session));
    bounded("Go's pings", seen.wait_for(|&(pings, _)| pings >= 5))
        .await
        .unwrap();
    let done = go_success(go).await;
    assert!(done.stdout.contains("alive after 1s"), "{}", done.stdout);
    assert_eq!(bounded("echo", echo).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_ping_go_and_go_answers() {
    let (go, addr) = blocking(|| go_listening(&["-mode", "echo", "-keepalive", "0"])).await;
    let socket = TcpStream::connect(&addr).await.unwrap();
    let (tapped, mut seen) = tap(socket);
    let config = Config {
        keepalive: Some(Duration::from_millis(20)),
        keepalive_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let session = Session::new(tapped, Mode::Client, config);
    // Each answer schedules the next ping: five answers are five round trips.
    bounded("Go's answers", seen.wait_for(|&(_, answers)| answers >= 5))
        .await
        .unwrap();
    assert_eq!(seen.borrow().0, 0, "Go's keepalive is off");
    assert!(!session.is_closed());
    let streams: std::sync::Arc<dyn Multiplexed> = std::sync::Arc::new(session);
    round_trip(&*streams, b"still alive".to_vec()).await;
    streams.close();
    go_success(go).await;
}

// ---------------------------------------------------------------------------------------------
// net/rpc over yamux streams

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netrpc_gob_client_over_yamux_tcp_calls_go_net_rpc() {
    let (go, addr) = blocking(|| go_listening(&["-mode", "rpc-server"])).await;
    let client = bounded("dial", Client::dial(&format!("yamux+tcp://{addr}"), Gob))
        .await
        .expect("dial");
    // One stream per call, many at once.
    let calls: Vec<_> = (0..20)
        .map(|i| client.go::<_, String>("HelloService.Hello", format!("caller {i}")))
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        let reply = bounded("call", call).await.reply.expect("reply");
        assert_eq!(reply, format!("hello:caller {i}"));
    }
    let reply: String = bounded("call", client.call("HelloService.Hello", "world"))
        .await
        .unwrap();
    assert_eq!(reply, "hello:world");
    client.close();
    let done = go_success(go).await;
    assert!(done.stdout.contains("served 21 streams"), "{}", done.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_net_rpc_client_over_yamux_calls_netrpc_serve() {
    let (server, addr) =
        blocking(|| netrpc_serve("yamux+tcp://127.0.0.1:0", &["--codec", "gob"])).await;
    let host_port = addr.strip_prefix("yamux+tcp://").unwrap().to_owned();
    let go = yamuxpeer(&["-dial", &host_port, "-mode", "rpc-client"]);
    let done = go_success(go).await;
    assert!(done.stdout.contains("reply hello:world"), "{}", done.stdout);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netrpc_call_command_over_yamux_tcp_calls_go_net_rpc() {
    let (go, addr) = blocking(|| go_listening(&["-mode", "rpc-server"])).await;
    let connect = format!("yamux+tcp://{addr}");
    let done = blocking(move || {
        common::netrpc_call(&["--connect", &connect, "HelloService.Hello", "\"world\""])
    })
    .await;
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout.trim(), "\"hello:world\"");
    let done = go_success(go).await;
    assert!(done.stdout.contains("served 1 streams"), "{}", done.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_accepts_streams_in_the_order_we_opened_them() {
    const STREAMS: usize = 20;
    let streams_arg = STREAMS.to_string();
    let (go, addr) =
        blocking(move || go_listening(&["-mode", "order", "-streams", &streams_arg])).await;
    let stream = TcpStream::connect(&addr).await.expect("dial");
    let session = Session::new(stream, Mode::Client, Config::default());
    let mut opened = Vec::new();
    for _ in 0..STREAMS {
        opened.push(session.open().await.expect("open"));
    }
    // Data goes out last stream first: only the SYNs, sent by open, give the order.
    for (k, s) in opened.iter_mut().enumerate().rev() {
        s.write_all(k.to_string().as_bytes()).await.unwrap();
        s.shutdown().await.unwrap();
    }
    for mut s in opened {
        let mut rest = Vec::new();
        bounded("FIN back", s.read_to_end(&mut rest)).await.unwrap();
    }
    session.close();
    let done = go_success(go).await;
    assert!(done.stdout.contains("in order 20"), "{}", done.stdout);
}
