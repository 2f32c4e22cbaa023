//! Starting a server on a fresh loopback address for a codec × transport pair.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use netrpc::proto::{Codec, Limits, RequestHeader};
use netrpc::transport::tls::{TlsClientConfig, TlsServerConfig};
use netrpc::transport::{Address, BoxStream, DialOptions, ListenOptions, Listener};
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
    /// netrpc's protobuf framing.
    Protobuf,
    /// A protobuf client; the server detects the codec.
    AutoProtobuf,
}

impl CodecKind {
    /// The codec the client speaks.
    pub fn codec(self) -> Arc<dyn Codec> {
        match self {
            CodecKind::Json | CodecKind::AutoJson => Arc::new(netrpc::Json),
            CodecKind::Postcard | CodecKind::AutoPostcard => Arc::new(netrpc::Postcard),
            CodecKind::Gob | CodecKind::AutoGob => Arc::new(netrpc::Gob),
            CodecKind::Protobuf | CodecKind::AutoProtobuf => Arc::new(netrpc::Protobuf),
        }
    }

    /// The codec the server is given.
    pub fn server_codec(self) -> Arc<dyn Codec> {
        match self {
            CodecKind::AutoGob
            | CodecKind::AutoJson
            | CodecKind::AutoPostcard
            | CodecKind::AutoProtobuf => Arc::new(netrpc::Auto),
            _ => self.codec(),
        }
    }

    /// Whether the wire format carries deadlines and cancellation to the server.
    pub fn carries_cancel(self) -> bool {
        matches!(self.codec().name(), "postcard" | "protobuf")
    }

    /// Whether a forgotten call's handler is cancelled over `transport`: by the codec's cancel
    /// message, or on QUIC and yamux by resetting the call's stream (whatever the codec).
    pub fn cancels_over(self, transport: TransportKind) -> bool {
        self.carries_cancel() || transport.is_multiplexed()
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
    /// TLS over TCP on 127.0.0.1, with a fresh self-signed certificate the client trusts.
    Tls,
    /// QUIC on 127.0.0.1 (one stream per call), with a fresh self-signed certificate the
    /// client trusts.
    Quic,
    /// Yamux over TCP on 127.0.0.1 (one stream per call).
    YamuxTcp,
    /// Yamux over a Unix socket in the temp directory (one stream per call).
    YamuxUnix,
}

impl TransportKind {
    /// A fresh address to listen on.
    pub fn listen_addr(self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        match self {
            TransportKind::Tcp => "tcp://127.0.0.1:0".into(),
            TransportKind::Unix | TransportKind::YamuxUnix => {
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let path = std::env::temp_dir()
                    .join(format!("netrpc-test-{}-{n}.sock", std::process::id()));
                let scheme = match self {
                    TransportKind::Unix => "unix",
                    _ => "yamux+unix",
                };
                format!("{scheme}://{}", path.display())
            }
            TransportKind::Mem => "mem://".into(),
            TransportKind::Http => "http://127.0.0.1:0".into(),
            TransportKind::Tls => "tls://127.0.0.1:0".into(),
            TransportKind::Quic => "quic://127.0.0.1:0".into(),
            TransportKind::YamuxTcp => "yamux+tcp://127.0.0.1:0".into(),
        }
    }

    /// Settings to listen with and the matching settings to dial with: for TLS, a fresh
    /// self-signed certificate and a client that trusts exactly it.
    pub fn options(self) -> (ListenOptions, DialOptions) {
        match self {
            TransportKind::Tls | TransportKind::Quic => {
                let (server, cert_pem) = TlsServerConfig::self_signed(&["localhost", "127.0.0.1"])
                    .expect("self-signed certificate");
                let client = TlsClientConfig::from_ca_pem(cert_pem.as_bytes()).expect("trust it");
                (
                    ListenOptions::new().with_tls(server),
                    DialOptions::new().with_tls(client),
                )
            }
            _ => (ListenOptions::new(), DialOptions::new()),
        }
    }

    /// Listens on a fresh address; returns the listener and how to dial it.
    pub async fn listen(self) -> (Box<dyn Listener>, DialOptions) {
        let (listen, dial) = self.options();
        let addr: Address = self.listen_addr().parse().expect("test address parses");
        let listener = netrpc::transport::listen_with(&addr, &listen)
            .await
            .expect("listen");
        (listener, dial)
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
    /// How clients dial it.
    pub dial: DialOptions,
    serving: tokio::task::JoinHandle<()>,
}

impl Harness {
    /// Starts `server` on a fresh address of `transport`.
    pub async fn start(server: Server, codec: CodecKind, transport: TransportKind) -> Harness {
        let (listener, dial) = transport.listen().await;
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
            dial,
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
            .dial_options(self.dial.clone())
            .dial(&self.addr, self.codec.codec())
            .await
            .expect("dial")
    }

    /// A raw byte stream to the server, for writing bytes by hand: the connection's stream, or
    /// on QUIC one stream of a new connection.
    pub async fn raw(&self) -> BoxStream {
        netrpc::transport::dial_with(&self.addr.parse().expect("address"), &self.dial)
            .await
            .expect("dial")
            .into_stream()
            .await
            .expect("open a stream")
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

impl TransportKind {
    /// Every transport of the matrix, for suites that run a scenario over each in turn (the
    /// fault and flood suites). A new variant must be added here: `listed` below stops compiling
    /// until it is.
    pub const ALL: &'static [TransportKind] = &[
        TransportKind::Tcp,
        TransportKind::Unix,
        TransportKind::Mem,
        TransportKind::Http,
        TransportKind::Tls,
        TransportKind::Quic,
        TransportKind::YamuxTcp,
        TransportKind::YamuxUnix,
    ];

    /// Keeps [`ALL`](Self::ALL) complete: an exhaustive match, so adding a variant fails to
    /// compile here; give it the next index and append it to `ALL` (checked below).
    const fn listed(self) -> usize {
        match self {
            TransportKind::Tcp => 0,
            TransportKind::Unix => 1,
            TransportKind::Mem => 2,
            TransportKind::Http => 3,
            TransportKind::Tls => 4,
            TransportKind::Quic => 5,
            TransportKind::YamuxTcp => 6,
            TransportKind::YamuxUnix => 7,
        }
    }

    /// Whether a connection carries many streams (one per call): QUIC and yamux.
    pub fn is_multiplexed(self) -> bool {
        matches!(
            self,
            TransportKind::Quic | TransportKind::YamuxTcp | TransportKind::YamuxUnix
        )
    }
}

/// `ALL` lists each transport once, in the order of `listed`.
const _: () = {
    let mut i = 0;
    while i < TransportKind::ALL.len() {
        assert!(TransportKind::ALL[i].listed() == i);
        i += 1;
    }
};
