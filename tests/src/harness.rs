//! Starting a server on a fresh loopback address for a codec × transport pair.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use netrpc::proto::{Codec, Limits, RequestHeader};
use netrpc::transport::{Address, Connection};
use netrpc::{Client, ClientBuilder, Server};

/// The codecs of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecKind {
    /// Go's jsonrpc.
    Json,
    /// netrpc's postcard framing.
    Postcard,
}

impl CodecKind {
    /// The codec.
    pub fn codec(self) -> Arc<dyn Codec> {
        match self {
            CodecKind::Json => Arc::new(netrpc::Json),
            CodecKind::Postcard => Arc::new(netrpc::Postcard),
        }
    }

    /// Whether the wire format carries deadlines and cancellation to the server.
    pub fn carries_cancel(self) -> bool {
        matches!(self, CodecKind::Postcard)
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
            let codec = codec.codec();
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

/// The bytes a client of `codec` writes for one request (including any stream preface).
pub fn raw_request(codec: CodecKind, method: &str, seq: u64, arg: &str) -> Vec<u8> {
    let mut pair = codec.codec().client(&Limits::DEFAULT);
    let mut buf = BytesMut::new();
    pair.encoder
        .encode_request(&RequestHeader::new(method, seq), &arg, &mut buf)
        .expect("encode");
    buf.to_vec()
}
