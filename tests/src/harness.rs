//! Starting a server on a fresh loopback address for a codec × transport pair.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use netrpc::proto::{Codec, Limits, RequestHeader};
use netrpc::transport::{Address, Connection};
use netrpc::{Client, ClientBuilder, Server};

/// The codecs of the matrix: what the client speaks, and whether the server detects it
/// (`auto`) or is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecKind {
    /// Go's jsonrpc.
    Json,
    /// netrpc's postcard framing.
    Postcard,
    /// Go's gob.
    Gob,
    /// A gob client; the server detects the codec.
    AutoGob,
    /// A jsonrpc client; the server detects the codec.
    AutoJson,
    /// A postcard client; the server detects the codec.
    AutoPostcard,
}

impl CodecKind {
    /// The codec the client speaks.
    pub fn codec(self) -> Arc<dyn Codec> {
        match self {
            CodecKind::Json | CodecKind::AutoJson => Arc::new(netrpc::Json),
            CodecKind::Postcard | CodecKind::AutoPostcard => Arc::new(netrpc::Postcard),
            CodecKind::Gob | CodecKind::AutoGob => Arc::new(netrpc::Gob),
        }
    }

    /// The codec the server is given.
    pub fn server_codec(self) -> Arc<dyn Codec> {
        match self {
            CodecKind::AutoGob | CodecKind::AutoJson | CodecKind::AutoPostcard => {
                Arc::new(netrpc::Auto)
            }
            _ => self.codec(),
        }
    }

    /// Whether the wire format carries deadlines and cancellation to the server.
    pub fn carries_cancel(self) -> bool {
        self.codec().name() == "postcard"
    }
}

/// The transports of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// TCP on 127.0.0.1, port 0.
    Tcp,
    /// A Unix socket in the temp directory.
    Unix,
    /// In-process duplex pipes.
    Mem,
    /// Go's HTTP CONNECT handshake, then the codec, over TCP on 127.0.0.1.
    Http,
}

impl TransportKind {
    /// A fresh address to listen on.
    pub fn listen_addr(self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        match self {
            TransportKind::Tcp => "tcp://127.0.0.1:0".into(),
            TransportKind::Unix => {
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let path = std::env::temp_dir()
                    .join(format!("netrpc-test-{}-{n}.sock", std::process::id()));
                format!("unix://{}", path.display())
            }
            TransportKind::Mem => "mem://".into(),
            TransportKind::Http => "http://127.0.0.1:0".into(),
        }
    }
}

/// A server listening on a fresh address, serving one codec.
pub struct Harness {
    /// The server.
    pub server: Server,
    /// Where it listens, in a form `Client::dial` accepts.
    pub addr: String,
    /// The codec it speaks.
    pub codec: CodecKind,
    serving: tokio::task::JoinHandle<()>,
}

impl Harness {
    /// Starts `server` on a fresh address of `transport`.
    pub async fn start(server: Server, codec: CodecKind, transport: TransportKind) -> Harness {
        let addr: Address = transport
            .listen_addr()
            .parse()
            .expect("test address parses");
        let listener = netrpc::transport::listen(&addr).await.expect("listen");
        let addr = listener.local_addr().to_string();
        let serving = tokio::spawn({
            let server = server.clone();
            let codec = codec.server_codec();
            async move { server.serve(listener, codec).await }
        });
        Harness {
            server,
            addr,
            codec,
            serving,
        }
    }

    /// A client with default options.
    pub async fn client(&self) -> Client {
        self.client_with(Client::builder()).await
    }

    /// A client with the given options.
    pub async fn client_with(&self, builder: ClientBuilder) -> Client {
        builder
            .dial(&self.addr, self.codec.codec())
            .await
            .expect("dial")
    }

    /// A raw connection to the server, for writing bytes by hand.
    pub async fn raw(&self) -> Connection {
        netrpc::transport::dial(&self.addr.parse().expect("address"))
            .await
            .expect("dial")
    }

    /// Shuts the server down with `grace` and waits for the accept loop to end.
    pub async fn shutdown(self, grace: Duration) {
        self.server.shutdown(grace).await;
        self.serving.await.expect("accept loop");
    }
}

/// The bytes a client of `codec` writes for these requests `(method, seq, arg)`, in order on
/// one stream (with any stream preface and type definitions once).
pub fn raw_requests(codec: CodecKind, requests: &[(&str, u64, &str)]) -> Vec<u8> {
    let mut pair = codec.codec().client(&Limits::DEFAULT);
    let mut buf = BytesMut::new();
    for (method, seq, arg) in requests {
        pair.encoder
            .encode_request(&RequestHeader::new(*method, *seq), arg, &mut buf)
            .expect("encode");
    }
    buf.to_vec()
}
