//! Helpers shared by the fault and flood suites.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use bytes::BytesMut;
use netrpc::Server;
use netrpc::proto::{Limits, RequestHeader};
use netrpc::transport::Address;
use rpc_services::KvStoreService;
use serde::Serialize;
use tests::{CodecKind, Harness, Probe, TestService, TransportKind};

/// Fails a test that would otherwise hang.
pub const BOUND: Duration = Duration::from_secs(20);

/// The wire formats a client can speak. The `Auto*` kinds differ only in how the server picks
/// its codec; suites that run over these four also run one `Auto` kind where detection matters.
pub const CLIENT_CODECS: [CodecKind; 4] = [
    CodecKind::Json,
    CodecKind::Postcard,
    CodecKind::Gob,
    CodecKind::Protobuf,
];

/// A codec per transport, rotating so that every codec (auto-detected ones included) meets
/// several transports in suites too costly to run over every pair.
pub fn rotating_codec(i: usize) -> CodecKind {
    const ROTATION: [CodecKind; 6] = [
        CodecKind::Postcard,
        CodecKind::Json,
        CodecKind::Gob,
        CodecKind::Protobuf,
        CodecKind::AutoGob,
        CodecKind::AutoPostcard,
    ];
    ROTATION[i % ROTATION.len()]
}

/// `fut`, or a panic naming `what` once [`BOUND`] has passed.
pub async fn bounded<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {BOUND:?}"))
}

/// Waits for a condition the server reaches on its own and reports no event for (a watcher
/// count): checks it every millisecond, up to [`BOUND`].
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    bounded(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

/// A server with `Test` (whose calls the test controls) and `KVStoreService` over `kv`.
pub fn test_and_kv_server(kv: &KvStoreService) -> (Server, Probe, TestService) {
    let (svc, probe) = TestService::new();
    let server = Server::builder()
        .register_name("Test", svc.clone())
        .register(kv.clone())
        .build();
    (server, probe, svc)
}

/// A harness serving `Test` and `KVStoreService` over `kv`.
pub async fn start(
    kv: &KvStoreService,
    codec: CodecKind,
    transport: TransportKind,
) -> (Harness, Probe, TestService) {
    let (server, probe, svc) = test_and_kv_server(kv);
    (Harness::start(server, codec, transport).await, probe, svc)
}

/// The bytes a client of `codec` writes for one request, after whatever it wrote before on the
/// same `encoder` (stream preface and type definitions come with the first).
pub fn encode_request<A: Serialize>(
    encoder: &mut Box<dyn netrpc::proto::RequestEncoder>,
    method: &str,
    seq: u64,
    arg: &A,
) -> Vec<u8> {
    let mut buf = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new(method, seq), arg, &mut buf)
        .expect("encode");
    buf.to_vec()
}

/// A client-side encoder for `codec`.
pub fn request_encoder(codec: CodecKind) -> Box<dyn netrpc::proto::RequestEncoder> {
    codec.codec().client(&Limits::DEFAULT).encoder
}

/// The socket file behind a `unix://` address.
pub fn socket_file(addr: &str) -> Option<PathBuf> {
    match addr.parse::<Address>() {
        Ok(Address::Unix(path)) => Some(path),
        _ => None,
    }
}

/// Open file descriptors of this process (Linux), to check that connections leave none behind.
pub fn open_fds() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|dir| dir.count())
}
