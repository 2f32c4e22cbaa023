//! One-way throughput over loopback TCP: a plain socket, one yamux stream, and several yamux
//! streams at once on one session (each measured twice: the first round warms up).
//!
//! ```sh
//! cargo run --release -p rpc-yamux --example yamux_throughput -- [MIB] [STREAMS]
//! ```

use std::time::Instant;

use rpc_yamux::{Config, Mode, Session};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHUNK: usize = 64 * 1024;

async fn send(mut w: impl AsyncWrite + Unpin, bytes: usize) {
    let buf = vec![0x5au8; CHUNK];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK);
        w.write_all(&buf[..n]).await.expect("write");
        left -= n;
    }
    w.shutdown().await.expect("shutdown");
}

async fn drain(mut r: impl AsyncRead + Unpin) -> usize {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        let n = r.read(&mut buf).await.expect("read");
        if n == 0 {
            return total;
        }
        total += n;
    }
}

async fn sockets() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, server) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let (client, server) = (client.unwrap(), server.unwrap().0);
    client.set_nodelay(true).unwrap();
    server.set_nodelay(true).unwrap();
    (client, server)
}

fn report(what: &str, bytes: usize, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what:<28} {:>8.1} MiB/s ({} MiB in {secs:.2} s)",
        bytes as f64 / (1 << 20) as f64 / secs,
        bytes >> 20
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let streams: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let bytes = mib << 20;
    for round in 1..=2 {
        println!("round {round}");
        run(bytes, streams).await;
    }
}

async fn run(bytes: usize, streams: usize) {
    let (client, server) = sockets().await;
    let started = Instant::now();
    let (_, got) = tokio::join!(send(client, bytes), drain(server));
    assert_eq!(got, bytes);
    report("tcp", bytes, started);

    for n in [1, streams] {
        let (client, server) = sockets().await;
        let client = Session::new(client, Mode::Client, Config::default());
        let server = Session::new(server, Mode::Server, Config::default());
        let per = bytes / n;
        let started = Instant::now();
        let senders: Vec<_> = (0..n)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { send(client.open().await.unwrap(), per).await })
            })
            .collect();
        let mut receivers = Vec::new();
        for _ in 0..n {
            let stream = server.accept().await.unwrap().unwrap();
            receivers.push(tokio::spawn(drain(stream)));
        }
        for s in senders {
            s.await.unwrap();
        }
        let mut got = 0;
        for r in receivers {
            got += r.await.unwrap();
        }
        assert_eq!(got, per * n);
        report(&format!("yamux, {n} stream(s)"), per * n, started);
    }
}
