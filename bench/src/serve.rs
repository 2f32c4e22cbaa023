//! The servers under test, as `netrpc-bench serve SYSTEM` runs them in a child process (so their
//! CPU time and memory are their own), or inside the benchmark for `mem://`.

use std::io::{Read, Write};
use std::sync::Arc;

use bytes::{Buf, BytesMut};
use futures_util::StreamExt;
use netrpc::transport::tls::TlsServerConfig;
use netrpc::transport::{Address, BoxStream, Connection, Link, ListenOptions, Listener};
use netrpc::{Codec, Server, service};
use rpc_services::{HelloService, KvStore, KvStoreService};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::plan::transport;
use crate::tarpc_peer;

/// The largest frame the echo server and the tarpc peers accept (netrpc's default limit).
pub const MAX_FRAME: usize = 16 << 20;

/// The benchmark's own window into a netrpc server: how many watches are pending, so that W5
/// knows when every watch is registered.
#[derive(Clone)]
pub struct BenchControl {
    store: KvStore,
}

service! {
    impl BenchControl as "Bench" {
        #[rpc("Watchers")]
        /// Watch calls pending in the store.
        async fn watchers(&self, _arg: netrpc::Empty) -> Result<u64, std::convert::Infallible> {
            Ok(self.store.watcher_count() as u64)
        }
    }
}

/// The netrpc server of every workload: `HelloService`, `KVStoreService` and `Bench`.
pub fn netrpc_server() -> Server {
    // W5 parks thousands of watches per connection: no per-connection limit here.
    let kv = KvStoreService::builder().max_watches_per_conn(None).build();
    let control = BenchControl {
        store: kv.store().expect("an in-memory store").clone(),
    };
    Server::builder()
        .register(HelloService)
        .register(kv)
        .register(control)
        .build()
}

/// netrpc's codec called `name` (`auto` only serves).
pub fn netrpc_codec(name: &str) -> Result<Arc<dyn Codec>, String> {
    Ok(match name {
        "postcard" => Arc::new(netrpc::Postcard),
        "protobuf" => Arc::new(netrpc::Protobuf),
        "gob" => Arc::new(netrpc::Gob),
        "json" => Arc::new(netrpc::Json),
        "auto" => Arc::new(netrpc::Auto),
        other => return Err(format!("unknown netrpc codec {other:?}")),
    })
}

/// Listen settings for `addr`: a self-signed certificate for transports that need one.
pub fn listen_options(addr: &Address) -> Result<ListenOptions, String> {
    let needs_certificate = transport(addr.transport()).is_some_and(|t| t.certificate);
    if !needs_certificate {
        return Ok(ListenOptions::new());
    }
    let (config, _pem) = TlsServerConfig::self_signed(&["localhost", "127.0.0.1"])
        .map_err(|err| format!("self-signed certificate: {err}"))?;
    Ok(ListenOptions::new().with_tls(config))
}

/// Binds `listen` (any address `rpc_transport` knows).
pub async fn bind(listen: &str) -> Result<Box<dyn Listener>, String> {
    let addr: Address = listen
        .parse()
        .map_err(|err| format!("listen address {listen:?}: {err}"))?;
    let options = listen_options(&addr)?;
    netrpc::transport::listen_with(&addr, &options)
        .await
        .map_err(|err| format!("listen {addr}: {err}"))
}

/// Serves `system` on `listen` until killed: the body of `netrpc-bench serve`. Prints
/// `listening on ADDR` once it accepts. With `exit_on_stdin_eof` it exits when its standard
/// input closes (so it never outlives the benchmark that started it).
pub async fn serve(
    system: &str,
    codec: &str,
    listen: &str,
    exit_on_stdin_eof: bool,
) -> Result<(), String> {
    if exit_on_stdin_eof {
        std::thread::spawn(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
            std::process::exit(0);
        });
    }
    match system {
        "netrpc" => {
            let codec = netrpc_codec(codec)?;
            let listener = bind(listen).await?;
            announce(listener.local_addr());
            netrpc_server().serve(listener, codec).await;
            Ok(())
        }
        "echo" => {
            let listener = bind(listen).await?;
            announce(listener.local_addr());
            serve_echo(listener).await;
            Ok(())
        }
        "tarpc" => {
            let addr: Address = listen
                .parse()
                .map_err(|err| format!("listen address {listen:?}: {err}"))?;
            if addr.transport() != "tcp" {
                return Err(format!("tarpc is benchmarked over tcp only, not {addr}"));
            }
            let host_port = addr.to_string();
            let host_port = host_port.trim_start_matches("tcp://");
            let listener = tokio::net::TcpListener::bind(host_port)
                .await
                .map_err(|err| format!("listen {addr}: {err}"))?;
            let local = listener
                .local_addr()
                .map_err(|err| format!("local address: {err}"))?;
            announce(&format!("tcp://{local}"));
            tarpc_peer::serve(listener, codec).await
        }
        other => Err(format!("unknown system {other:?} (netrpc, tarpc or echo)")),
    }
}

fn announce(addr: &dyn std::fmt::Display) {
    println!("listening on {addr}");
    let _ = std::io::stdout().flush();
}

/// The ceiling: echoes every frame (4-byte big-endian length, then that many bytes) back as it
/// comes, with no RPC. One task per connection reads what has arrived, copies the whole frames
/// into one buffer and writes it with one call: the least work a server with this framing can
/// do. (It cannot deadlock against the benchmark's echo client, which keeps reading while it
/// writes whenever its frames in flight could fill the socket buffers.)
pub async fn serve_echo(mut listener: Box<dyn Listener>) {
    loop {
        match listener.accept().await {
            Ok(connection) => {
                tokio::spawn(echo_connection(connection));
            }
            Err(err) => eprintln!("echo: accept: {err}"),
        }
    }
}

/// Echoes on every stream of `connection`: its one stream, or each stream a QUIC peer opens.
async fn echo_connection(connection: Connection) {
    match connection.link {
        Link::Stream(stream) => echo_stream(stream).await,
        Link::Multiplexed(streams) => {
            while let Ok(Some(stream)) = streams.accept().await {
                tokio::spawn(echo_stream(stream));
            }
        }
    }
}

async fn echo_stream(mut stream: BoxStream) {
    let mut buf = BytesMut::with_capacity(64 << 10);
    let mut out = BytesMut::with_capacity(64 << 10);
    loop {
        match stream.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        while buf.len() >= 4 {
            let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if len > MAX_FRAME {
                return;
            }
            if buf.len() < 4 + len {
                buf.reserve(4 + len - buf.len());
                break;
            }
            out.extend_from_slice(&buf[..4 + len]);
            buf.advance(4 + len);
        }
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(64 << 10);
        }
    }
}

/// Serves `system` (netrpc or echo) inside this process on `listener` (for `mem://`).
pub fn spawn_in_process(
    system: crate::plan::System,
    codec: &str,
    listener: Box<dyn Listener>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    Ok(match system {
        crate::plan::System::Netrpc => {
            let codec = netrpc_codec(codec)?;
            let server = netrpc_server();
            tokio::spawn(async move { server.serve(listener, codec).await })
        }
        crate::plan::System::Echo => tokio::spawn(serve_echo(listener)),
        other => {
            return Err(format!("{} cannot serve in process", other.name()));
        }
    })
}

/// Drains a stream of futures by spawning each (tarpc's per-request futures).
pub async fn spawn_each<S>(stream: S)
where
    S: futures_util::Stream,
    S::Item: std::future::Future<Output = ()> + Send + 'static,
{
    stream
        .for_each(|fut| async move {
            tokio::spawn(fut);
        })
        .await;
}
