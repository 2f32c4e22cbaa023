//! The engine suite: every scenario runs once for every codec × transport pair (see `matrix!` at
//! the bottom). Waits are on events the services report, never on sleeps; the only timers are
//! per-call timeouts under test and upper bounds that turn a hang into a failure.

use std::time::Duration;

use futures_util::future::join_all;
use netrpc::proto::Limits;
use netrpc::transport::{BoxStream, Link};
use netrpc::{Client, Completed, Empty, Error, Server};
use tests::{CodecKind, Harness, TestService, Tracked, TransportKind, Whoami, raw_requests};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Fails a test that would otherwise hang.
const BOUND: Duration = Duration::from_secs(20);

async fn bounded<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {BOUND:?}"))
}

fn test_server() -> (Server, tests::Probe, TestService) {
    let (svc, probe) = TestService::new();
    let server = Server::builder().register_name("Test", svc.clone()).build();
    (server, probe, svc)
}

async fn start(codec: CodecKind, transport: TransportKind) -> (Harness, tests::Probe, TestService) {
    let (server, probe, svc) = test_server();
    (Harness::start(server, codec, transport).await, probe, svc)
}

async fn call_and_go(codec: CodecKind, transport: TransportKind) {
    let (h, _probe, _svc) = start(codec, transport).await;
    let client = h.client().await;
    let reply: String = client.call("Test.Echo", "héllo, 世界").await.unwrap();
    assert_eq!(reply, "héllo, 世界");
    let sum: i64 = client.call("Test.Add", &[i64::MAX - 1, 1]).await.unwrap();
    assert_eq!(sum, i64::MAX);

    let call = client.go::<_, i64>("Test.Add", [2i64, 3]);
    assert_eq!(call.service_method(), "Test.Add");
    assert_eq!(call.args(), Some(&[2, 3]));
    let done = bounded("go", call).await;
    assert_eq!(done.service_method, "Test.Add");
    assert_eq!(done.args, [2, 3]);
    assert_eq!(done.reply.unwrap(), 5);

    let big = "x".repeat(1024 * 1024);
    let echoed: String = client.call("Test.Echo", &big).await.unwrap();
    assert_eq!(echoed.len(), big.len());

    // The server counts calls per method, for its status page.
    let status = h.server.status();
    let test = status.iter().find(|s| s.name == "Test").unwrap();
    let calls = |name: &str| {
        test.methods
            .iter()
            .find(|m| m.method.name == name)
            .unwrap()
            .calls
    };
    assert_eq!((calls("Echo"), calls("Add"), calls("Block")), (2, 2, 0));
    assert!(h.server.status_page().contains("Service Test"));
}

async fn errors_travel_as_text(codec: CodecKind, transport: TransportKind) {
    let (h, _probe, _svc) = start(codec, transport).await;
    let client = h.client().await;
    let err = client
        .call::<_, Empty>("Test.Fail", "not found")
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some("not found"));
    let err = client
        .call::<_, i64>("Test.Add", &[i64::MAX, 1])
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some("overflow"));
    let err = client
        .call::<_, Empty>("Test.Panic", "boom")
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some("rpc: service method panicked"));
    // The connection goes on.
    let ok: String = client.call("Test.Echo", "still here").await.unwrap();
    assert_eq!(ok, "still here");
}

async fn unknown_names_get_go_errors(codec: CodecKind, transport: TransportKind) {
    let (h, _probe, _svc) = start(codec, transport).await;
    let client = h.client().await;
    let cases = [
        ("Nope.Echo", "rpc: can't find service Nope.Echo"),
        ("Test.Nope", "rpc: can't find method Test.Nope"),
        (
            "TestEcho",
            "rpc: service/method request ill-formed: TestEcho",
        ),
    ];
    for (method, text) in cases {
        let err = client.call::<_, String>(method, "x").await.unwrap_err();
        assert_eq!(err.server_message(), Some(text), "{method}");
    }
    let ok: String = client.call("Test.Echo", "after").await.unwrap();
    assert_eq!(ok, "after");
}

async fn bad_body_gets_error_response(codec: CodecKind, transport: TransportKind) {
    let (h, _probe, _svc) = start(codec, transport).await;
    let client = h.client().await;
    // Test.Echo wants a string; u64::MAX cannot decode into one in any codec (in postcard it
    // reads as an impossible length, in protobuf as the wrong wire type).
    let err = client
        .call::<_, String>("Test.Echo", &u64::MAX)
        .await
        .unwrap_err();
    assert!(err.server_message().is_some(), "{err:?}");
    let sum: i64 = client.call("Test.Add", &[1, 2]).await.unwrap();
    assert_eq!(sum, 3);
}

async fn thousand_calls_from_fifty_tasks(codec: CodecKind, transport: TransportKind) {
    let (h, _probe, _svc) = start(codec, transport).await;
    let client = h.client().await;
    let tasks = (0..50i64).map(|task| {
        let client = client.clone();
        tokio::spawn(async move {
            for i in 0..20i64 {
                let sum: i64 = client.call("Test.Add", &[task * 1000, i]).await.unwrap();
                assert_eq!(sum, task * 1000 + i);
            }
        })
    });
    for result in bounded("1000 calls", join_all(tasks)).await {
        result.unwrap();
    }
    assert_eq!(client.pending(), 0);
}

async fn replies_out_of_order(codec: CodecKind, transport: TransportKind) {
    let (h, mut probe, svc) = start(codec, transport).await;
    let client = h.client().await;
    let calls: Vec<_> = (0..10u64)
        .map(|id| client.go::<_, u64>("Test.Block", id))
        .collect();
    for _ in 0..10 {
        bounded("block entered", probe.entered()).await;
    }
    // A blocked call never delays the others on its connection.
    let ok: String = client.call("Test.Echo", "meanwhile").await.unwrap();
    assert_eq!(ok, "meanwhile");
    let (tx, mut rx) = mpsc::unbounded_channel();
    for call in calls {
        let tx = tx.clone();
        tokio::spawn(async move {
            let done = call.await;
            tx.send((done.args, done.reply.unwrap())).unwrap();
        });
    }
    for id in (0..10u64).rev() {
        assert!(svc.gates.release(id));
        let (args, reply) = bounded("reply", rx.recv()).await.unwrap();
        assert_eq!(
            (args, reply),
            (id, id),
            "replies come back in release order"
        );
    }
}

async fn drop_with_hundred_pending(codec: CodecKind, transport: TransportKind) {
    let (h, mut probe, _svc) = start(codec, transport).await;
    let client = h.client().await;
    let calls: Vec<_> = (0..100u64)
        .map(|id| client.go::<_, u64>("Test.Block", id))
        .collect();
    for _ in 0..100 {
        bounded("block entered", probe.entered()).await;
    }
    // The server goes away with no grace: every pending call fails at once.
    bounded("shutdown", h.shutdown(Duration::ZERO)).await;
    for done in bounded("pending calls", join_all(calls)).await {
        let err = done.reply.unwrap_err();
        assert!(err.is_shutdown(), "{err:?}");
    }
    bounded("client notices", client.closed()).await;
    // Later calls fail fast.
    let err = client
        .call::<_, String>("Test.Echo", "late")
        .await
        .unwrap_err();
    assert!(err.is_shutdown(), "{err:?}");
    assert!(client.is_closed());
}

async fn client_in_flight_limit(codec: CodecKind, transport: TransportKind) {
    let (h, mut probe, svc) = start(codec, transport).await;
    let client = h
        .client_with(Client::builder().max_in_flight(Some(2)))
        .await;
    let a = client.go::<_, u64>("Test.Block", 1u64);
    let b = client.go::<_, u64>("Test.Block", 2u64);
    let mut entered = [
        bounded("entered", probe.entered()).await,
        bounded("entered", probe.entered()).await,
    ];
    entered.sort();
    assert_eq!(entered, [1, 2]);
    // At the limit: `go` refuses at once, sending nothing ...
    let refused = client.go::<_, String>("Test.Echo", "refused".to_string());
    let err = bounded("refused", refused).await.reply.unwrap_err();
    assert!(matches!(err, Error::TooManyPending), "{err:?}");
    assert_eq!(client.pending(), 2);
    // ... and `call` waits for a place, which a reply frees.
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { client.call::<_, String>("Test.Echo", "queued").await }
    });
    assert!(svc.gates.release(1));
    assert_eq!(bounded("a", a).await.reply.unwrap(), 1);
    assert_eq!(bounded("queued", waiting).await.unwrap().unwrap(), "queued");
    assert!(svc.gates.release(2));
    assert_eq!(bounded("b", b).await.reply.unwrap(), 2);
    assert_eq!(client.pending(), 0);
}

async fn client_close_fails_pending(codec: CodecKind, transport: TransportKind) {
    let (h, mut probe, _svc) = start(codec, transport).await;
    let client = h.client().await;
    let call = client.go::<_, u64>("Test.Block", 1u64);
    bounded("entered", probe.entered()).await;
    client.close();
    let err = bounded("pending call", call).await.reply.unwrap_err();
    assert!(err.is_shutdown(), "{err:?}");
    // The server cancels the handler of a closed connection.
    assert_eq!(bounded("handler dropped", probe.dropped()).await, 1);
}

async fn timeout_and_late_reply(codec: CodecKind, transport: TransportKind) {
    let (h, mut probe, svc) = start(codec, transport).await;
    let client = h.client().await;
    let quick = client.with_timeout(Duration::from_millis(50));
    let err = quick.call::<_, u64>("Test.Block", &7u64).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(client.pending(), 0, "a timed-out call frees its slot");
    assert_eq!(bounded("entered", probe.entered()).await, 7);
    if codec.cancels_over(transport) {
        // The deadline (or the cancel message) reached the handler.
        assert_eq!(bounded("handler cancelled", probe.dropped()).await, 7);
    } else {
        // Go's codecs cannot cancel: the reply comes late and is discarded.
        assert!(svc.gates.release(7));
    }
    let ok: String = client.call("Test.Echo", "after timeout").await.unwrap();
    assert_eq!(ok, "after timeout");
}

async fn dropped_handle_cancels(codec: CodecKind, transport: TransportKind) {
    let (h, mut probe, svc) = start(codec, transport).await;
    let client = h.client().await;
    let call = client.go::<_, Empty>("Test.Hang", 3u64);
    assert_eq!(bounded("entered", probe.entered()).await, 3);
    assert_eq!(client.pending(), 1);
    drop(call);
    assert_eq!(client.pending(), 0, "a dropped handle frees its slot");
    if codec.cancels_over(transport) {
        assert_eq!(bounded("handler cancelled", probe.dropped()).await, 3);
    }
    // Unaffected: a parked call, then more traffic.
    let parked = client.go::<_, u64>("Test.Block", 4u64);
    bounded("entered", probe.entered()).await;
    assert!(svc.gates.release(4));
    assert_eq!(bounded("parked", parked).await.reply.unwrap(), 4);
    if !codec.cancels_over(transport) {
        assert_eq!(
            probe.try_dropped(),
            None,
            "Go codecs cannot cancel a handler"
        );
    }
}

async fn done_channel(codec: CodecKind, transport: TransportKind) {
    let (h, mut probe, svc) = start(codec, transport).await;
    let client = h.client().await;
    let (tx, mut rx) = mpsc::channel::<Completed<u64, u64>>(2);
    client.go_with("Test.Block", 1u64, &tx).unwrap();
    client.go_with("Test.Block", 2u64, &tx).unwrap();
    // Both slots are reserved by calls in flight: a third call is refused, not queued or lost.
    let err = client.go_with("Test.Block", 3u64, &tx).unwrap_err();
    assert!(matches!(err, Error::DoneChannelFull), "{err:?}");
    for _ in 0..2 {
        bounded("entered", probe.entered()).await;
    }
    for id in [2, 1] {
        assert!(svc.gates.release(id));
        let done = bounded("done", rx.recv()).await.unwrap();
        assert_eq!(done.service_method, "Test.Block");
        assert_eq!(done.args, id);
        assert_eq!(done.reply.unwrap(), id);
    }
    // Slots are free again.
    client.go_with("Test.Block", 5u64, &tx).unwrap();
    bounded("entered", probe.entered()).await;
    assert!(svc.gates.release(5));
    assert_eq!(bounded("done", rx.recv()).await.unwrap().reply.unwrap(), 5);
    drop(rx);
    let err = client.go_with("Test.Block", 6u64, &tx).unwrap_err();
    assert!(matches!(err, Error::DoneChannelClosed), "{err:?}");
}

async fn per_connection_services(codec: CodecKind, transport: TransportKind) {
    let (factory, mut closed) = Tracked::factory();
    let server = Server::builder()
        .register_per_connection("Tracked", factory)
        .build();
    let h = Harness::start(server, codec, transport).await;
    let a = h.client().await;
    let b = h.client().await;
    let first: Whoami = a.call("Tracked.Whoami", &Empty {}).await.unwrap();
    let second: Whoami = a.call("Tracked.Whoami", &Empty {}).await.unwrap();
    let other: Whoami = b.call("Tracked.Whoami", &Empty {}).await.unwrap();
    let (id_a, peer_a) = (first.id, first.peer.clone());
    assert_ne!(id_a, other.id);
    assert_eq!(
        (first.calls, second.calls, other.calls),
        (1, 2, 1),
        "state is per connection"
    );
    assert!(!peer_a.is_empty());
    if matches!(
        transport,
        TransportKind::Tcp | TransportKind::Http | TransportKind::Tls
    ) {
        assert!(peer_a.starts_with("127.0.0.1:"), "{peer_a}");
    }
    drop(a);
    assert_eq!(
        bounded("connection state dropped", closed.recv()).await,
        Some(id_a)
    );
    let again: Whoami = b.call("Tracked.Whoami", &Empty {}).await.unwrap();
    assert_eq!(again.calls, 2);
}

async fn graceful_shutdown(codec: CodecKind, transport: TransportKind) {
    let (h, mut probe, svc) = start(codec, transport).await;
    let client = h.client().await;
    let call = client.go::<_, u64>("Test.Block", 9u64);
    bounded("entered", probe.entered()).await;
    let (addr, dial) = (h.addr.clone(), h.dial.clone());
    let shutdown = tokio::spawn(h.shutdown(BOUND));
    // The in-flight call finishes within the grace period and its reply is delivered.
    assert!(svc.gates.release(9));
    assert_eq!(bounded("in-flight reply", call).await.reply.unwrap(), 9);
    bounded("shutdown", shutdown).await.unwrap();
    bounded("client notices", client.closed()).await;
    // Nothing accepts any more: the listener is gone. (QUIC has no "connection refused": its
    // dial gives up after the handshake timeout, shortened here.)
    let dial = match (transport, dial.tls.clone()) {
        (TransportKind::Quic, Some(tls)) => {
            dial.with_tls(tls.with_handshake_timeout(Duration::from_millis(300)))
        }
        _ => dial,
    };
    let redial = netrpc::transport::dial_with(&addr.parse().unwrap(), &dial).await;
    assert!(redial.is_err(), "dial after shutdown succeeded");
}

async fn oversized_frames(codec: CodecKind, transport: TransportKind) {
    let (svc, _probe) = TestService::new();
    let small = Limits {
        max_message: 4096,
        ..Limits::DEFAULT
    };
    let server = Server::builder()
        .register_name("Test", svc)
        .limits(small)
        .build();
    let h = Harness::start(server, codec, transport).await;
    let victim = h.client().await;
    let bystander = h.client().await;
    // Exactly at the limit passes on the way in: find the largest echo that fits.
    let err = victim
        .call::<_, String>("Test.Echo", &"y".repeat(8192))
        .await
        .unwrap_err();
    assert!(err.is_shutdown(), "{err:?}");
    let ok: String = bystander.call("Test.Echo", "unaffected").await.unwrap();
    assert_eq!(ok, "unaffected");

    // A reply over the client's limit closes the client's connection with a clear cause.
    let tiny = h
        .client_with(Client::builder().limits(Limits {
            max_message: 200,
            ..Limits::DEFAULT
        }))
        .await;
    let err = tiny
        .call::<_, String>("Test.Big", &1000u64)
        .await
        .unwrap_err();
    assert!(err.is_shutdown(), "{err:?}");
    assert!(
        err.to_string().contains("exceeds the limit of 200 bytes"),
        "{err}"
    );

    // Limits apply to what a side sends too: a request over the client's own limit fails alone,
    // before anything is sent, and the connection goes on.
    let small_sender = h.client_with(Client::builder().limits(small)).await;
    let err = small_sender
        .call::<_, String>("Test.Echo", &"w".repeat(8192))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Encode(_)), "{err:?}");
    let ok: String = small_sender.call("Test.Echo", "next").await.unwrap();
    assert_eq!(ok, "next");
}

async fn garbage_closes_only_its_connection(codec: CodecKind, transport: TransportKind) {
    let (h, _probe, _svc) = start(codec, transport).await;
    let bystander = h.client().await;
    // Bad at once for every codec (json: not an object; postcard: not its preface; gob: a
    // whole message naming type id 0): the server closes without waiting for more.
    let mut raw = h.raw().await;
    raw.write_all(b"\x05\x00\x00\x00\x00\x00").await.unwrap();
    let mut sink = Vec::new();
    let _ = bounded("server closes", raw.read_to_end(&mut sink)).await;
    assert!(sink.is_empty(), "no response to garbage: {sink:?}");
    // Other garbage may look like the start of a long message; once the peer stops sending,
    // the server closes without answering.
    let garbage: &[&[u8]] = &[
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        b"]]]]not a message at all[[[[",
        b"NETRPC\x01\x01\xff\xff\xff\xff",
        b"{\"method\":{}}",
    ];
    for bytes in garbage {
        let mut raw = h.raw().await;
        raw.write_all(bytes).await.unwrap();
        raw.shutdown().await.unwrap();
        let mut sink = Vec::new();
        let _ = bounded("server closes", raw.read_to_end(&mut sink)).await;
        assert!(sink.is_empty(), "no response to garbage: {sink:?}");
    }
    let ok: String = bystander.call("Test.Echo", "fine").await.unwrap();
    assert_eq!(ok, "fine");
}

async fn peer_closing_mid_frame(codec: CodecKind, transport: TransportKind) {
    let (h, _probe, _svc) = start(codec, transport).await;
    let bystander = h.client().await;
    let request = raw_requests(codec, &[("Test.Echo", 1, "cut short")]);
    let mut raw = h.raw().await;
    raw.write_all(&request[..request.len() - 3]).await.unwrap();
    raw.shutdown().await.unwrap();
    let mut sink = Vec::new();
    let _ = bounded("server closes", raw.read_to_end(&mut sink)).await;
    assert!(sink.is_empty());
    let ok: String = bystander.call("Test.Echo", "fine").await.unwrap();
    assert_eq!(ok, "fine");
}

async fn one_byte_at_a_time(codec: CodecKind, transport: TransportKind) {
    let (h, _probe, _svc) = start(codec, transport).await;
    let bytes = raw_requests(codec, &[("Test.Echo", 1, "slow"), ("Test.Echo", 2, "drip")]);
    let mut raw = h.raw().await;
    for byte in &bytes {
        raw.write_all(std::slice::from_ref(byte)).await.unwrap();
        raw.flush().await.unwrap();
    }
    let mut replies = Vec::new();
    let mut pending = bytes::BytesMut::new();
    let mut decoder = codec.codec().client(&Limits::DEFAULT).decoder;
    while replies.len() < 2 {
        match decoder.decode(&mut pending).unwrap() {
            Some(message) => {
                assert_eq!(message.header.error, None);
                replies.push(message.body.decode::<String>().unwrap());
            }
            None => {
                let n = bounded("response bytes", raw.read_buf(&mut pending))
                    .await
                    .unwrap();
                assert!(n > 0, "server closed early");
            }
        }
    }
    replies.sort();
    assert_eq!(replies, ["drip", "slow"]);
}

/// The server end of a hand-driven connection: where each call arrives, with the codec state
/// that reads and answers it. One stream and one codec state for a whole connection; on a
/// multiplexed link (QUIC) each call comes on a stream of its own, with fresh codec state.
struct HandServer {
    codec: CodecKind,
    /// `None` once a single-stream link's stream has moved to `stream`.
    link: Option<Link>,
    stream: Option<(BoxStream, netrpc::proto::ServerCodec, bytes::BytesMut)>,
}

impl HandServer {
    fn new(codec: CodecKind, conn: netrpc::transport::Connection) -> Self {
        Self {
            codec,
            link: Some(conn.link),
            stream: None,
        }
    }

    /// Reads the next request; returns its sequence number and the token its response must
    /// carry.
    async fn next_request(&mut self) -> (u64, netrpc::proto::Token) {
        use netrpc::proto::ServerInbound;
        let codec = self.codec;
        let fresh = || {
            (
                codec.server_codec().server(&Limits::DEFAULT),
                bytes::BytesMut::new(),
            )
        };
        match self.link.take() {
            // The connection's one stream, kept for every call.
            Some(Link::Stream(stream)) => {
                let (pair, buf) = fresh();
                self.stream = Some((stream, pair, buf));
            }
            Some(Link::Multiplexed(streams)) => {
                let stream = bounded("a call's stream", streams.accept())
                    .await
                    .unwrap()
                    .unwrap();
                let (pair, buf) = fresh();
                self.stream = Some((stream, pair, buf));
                self.link = Some(Link::Multiplexed(streams));
            }
            None => {}
        }
        let (stream, pair, buf) = self.stream.as_mut().unwrap();
        loop {
            if let Some(ServerInbound::Request { header, .. }) = pair.decoder.decode(buf).unwrap() {
                return (header.seq, header.token);
            }
            assert!(bounded("request", stream.read_buf(buf)).await.unwrap() > 0);
        }
    }

    /// The encoder answering the current request.
    fn encoder(&mut self) -> &mut Box<dyn netrpc::proto::ResponseEncoder> {
        &mut self.stream.as_mut().unwrap().1.encoder
    }

    /// Writes `bytes` where the current request came from.
    async fn write(&mut self, bytes: &[u8]) {
        self.stream
            .as_mut()
            .unwrap()
            .0
            .write_all(bytes)
            .await
            .unwrap();
    }
}

async fn stray_response_ids_are_discarded(codec: CodecKind, transport: TransportKind) {
    use netrpc::proto::{Payload, ResponseHeader};
    // A hand-driven server that answers with unknown and duplicate sequence numbers.
    let (mut listener, dial) = transport.listen().await;
    let addr = listener.local_addr().to_string();
    // Dial and accept together: an http:// or tls:// dial completes inside the listener's accept.
    let dialing = Client::builder()
        .dial_options(dial)
        .dial(&addr, codec.codec());
    let (client, conn) = tokio::join!(dialing, listener.accept());
    let client = client.unwrap();
    let mut server = HandServer::new(codec, conn.unwrap());
    let json = codec.codec().name() == "json";

    let first = client.go::<_, String>("Test.Echo", "one".to_string());
    let (seq, token) = server.next_request().await;
    let mut out = bytes::BytesMut::new();
    let reply = |text: &str,
                 seq: u64,
                 token: &netrpc::proto::Token,
                 out: &mut bytes::BytesMut,
                 enc: &mut Box<dyn netrpc::proto::ResponseEncoder>| {
        let header = ResponseHeader::ok(seq).with_token(token.clone());
        enc.encode_response(&header, Some(Payload::from(&text.to_string())), out)
            .unwrap();
    };
    if json {
        // jsonrpc's server echoes request ids it has seen; write a stray id by hand.
        out.extend_from_slice(b"{\"id\":4242,\"result\":\"stray\",\"error\":null}\n");
    } else {
        reply("stray", seq + 4242, &token, &mut out, server.encoder());
    }
    let mut right = bytes::BytesMut::new();
    reply("right", seq, &token, &mut right, server.encoder());
    out.extend_from_slice(&right);
    if json {
        // The same response again (same echoed id), with another result.
        let dup = String::from_utf8(right.to_vec())
            .unwrap()
            .replace("right", "duplicate");
        out.extend_from_slice(dup.as_bytes());
    } else {
        reply("duplicate", seq, &token, &mut out, server.encoder());
    }
    server.write(&out).await;
    assert_eq!(bounded("first", first).await.reply.unwrap(), "right");

    // The connection goes on: the next call gets its own reply, not a leftover.
    let second = client.go::<_, String>("Test.Echo", "two".to_string());
    let (seq, token) = server.next_request().await;
    let mut out = bytes::BytesMut::new();
    reply("second", seq, &token, &mut out, server.encoder());
    server.write(&out).await;
    assert_eq!(bounded("second", second).await.reply.unwrap(), "second");
    assert_eq!(client.pending(), 0);
}

async fn handshake_timeout_closes_a_silent_peer(codec: CodecKind, transport: TransportKind) {
    let (svc, _probe) = TestService::new();
    let server = Server::builder()
        .register_name("Test", svc)
        .handshake_timeout(Some(Duration::from_millis(500)))
        .build();
    let h = Harness::start(server, codec, transport).await;
    let mut silent = h.raw().await;
    let mut sink = Vec::new();
    let _ = bounded("server closes", silent.read_to_end(&mut sink)).await;
    assert!(sink.is_empty());
    // A client that talks at once is served.
    let client = h.client().await;
    let ok: String = client.call("Test.Echo", "prompt").await.unwrap();
    assert_eq!(ok, "prompt");
}

async fn idle_timeout_spares_running_calls(codec: CodecKind, transport: TransportKind) {
    let (svc, mut probe) = TestService::new();
    let (factory, mut closed) = Tracked::factory();
    let server = Server::builder()
        .register_name("Test", svc.clone())
        .register_per_connection("Tracked", factory)
        .idle_timeout(Some(Duration::from_secs(1)))
        .build();
    let h = Harness::start(server, codec, transport).await;
    let busy = h.client().await;
    let idle = h.client().await;
    let busy_id = busy
        .call::<_, Whoami>("Tracked.Whoami", &Empty {})
        .await
        .unwrap()
        .id;
    let idle_id = idle
        .call::<_, Whoami>("Tracked.Whoami", &Empty {})
        .await
        .unwrap()
        .id;
    let call = busy.go::<_, u64>("Test.Block", 1u64);
    bounded("entered", probe.entered()).await;
    // The idle connection is closed; the one with a call running is not.
    assert_eq!(bounded("idle closed", closed.recv()).await, Some(idle_id));
    bounded("idle client notices", idle.closed()).await;
    assert!(svc.gates.release(1));
    assert_eq!(bounded("busy reply", call).await.reply.unwrap(), 1);
    // Once its call is done, the busy connection goes idle and is closed in turn.
    assert_eq!(bounded("busy closed", closed.recv()).await, Some(busy_id));
}

async fn write_timeout_closes_a_peer_that_never_reads(codec: CodecKind, transport: TransportKind) {
    let (svc, _probe) = TestService::new();
    let (factory, mut closed) = Tracked::factory();
    let server = Server::builder()
        .register_name("Test", svc)
        .register_per_connection("Tracked", factory)
        .write_timeout(Some(Duration::from_millis(300)))
        .build();
    let h = Harness::start(server, codec, transport).await;
    // Ask for 16 MiB of replies and never read them. (The first call builds this connection's
    // per-connection state, whose drop reports the connection closed.)
    let payload = "p".repeat(64 * 1024);
    let mut requests: Vec<(&str, u64, &str)> = vec![("Tracked.Whoami", 0, "")];
    requests.extend((1..=256u64).map(|seq| ("Test.Echo", seq, payload.as_str())));
    let mut raw = h.raw().await;
    if transport.is_multiplexed() {
        // The server gives up on this stream (not the connection): it stops reading it, so
        // writing requests that are never answered fails before long ...
        let mut pair = codec.codec().client(&Limits::DEFAULT);
        let mut refused = false;
        for seq in 0..4096u64 {
            let mut buf = bytes::BytesMut::new();
            let header = netrpc::proto::RequestHeader::new("Test.Echo", seq);
            pair.encoder
                .encode_request(&header, &payload, &mut buf)
                .unwrap();
            if bounded("request written", raw.write_all(&buf))
                .await
                .is_err()
            {
                refused = true;
                break;
            }
        }
        assert!(refused, "the server kept reading a stream it cannot answer");
    } else {
        let bytes = raw_requests(codec, &requests);
        let writer = tokio::spawn(async move {
            let _ = raw.write_all(&bytes).await;
            raw
        });
        // The server gives up on this connection (its per-connection state is dropped) ...
        bounded("connection closed", closed.recv()).await;
        drop(writer);
    }
    // ... and serves others.
    let client = h.client().await;
    let ok: String = client.call("Test.Echo", "still serving").await.unwrap();
    assert_eq!(ok, "still serving");
}

async fn connection_limits(codec: CodecKind, transport: TransportKind) {
    let (svc, _probe) = TestService::new();
    let (factory, mut closed) = Tracked::factory();
    let per_peer = matches!(
        transport,
        TransportKind::Tcp | TransportKind::Http | TransportKind::Tls | TransportKind::YamuxTcp
    );
    let server = Server::builder()
        .register_name("Test", svc)
        .register_per_connection("Tracked", factory)
        .max_connections(Some(2))
        .max_connections_per_peer(per_peer.then_some(1))
        .build();
    let h = Harness::start(server, codec, transport).await;
    let first = h.client().await;
    let first_id = first
        .call::<_, Whoami>("Tracked.Whoami", &Empty {})
        .await
        .unwrap()
        .id;
    let second = h.client().await;
    let refused = if per_peer {
        second
            .call::<_, String>("Test.Echo", "x")
            .await
            .unwrap_err()
    } else {
        second.call::<_, String>("Test.Echo", "x").await.unwrap();
        let third = h.client().await;
        third.call::<_, String>("Test.Echo", "x").await.unwrap_err()
    };
    assert!(refused.is_shutdown(), "{refused:?}");
    // A place frees when a connection closes.
    drop(first);
    assert_eq!(bounded("first closed", closed.recv()).await, Some(first_id));
    let again = h.client().await;
    let ok: String = again.call("Test.Echo", "admitted").await.unwrap();
    assert_eq!(ok, "admitted");
}

async fn shared_services_see_the_current_connection(codec: CodecKind, transport: TransportKind) {
    let (h, _probe, _svc) = start(codec, transport).await;
    let client = h.client().await;
    let peer: String = client.call("Test.Peer", &Empty {}).await.unwrap();
    assert!(!peer.is_empty());
    if matches!(
        transport,
        TransportKind::Tcp | TransportKind::Http | TransportKind::Tls
    ) {
        assert!(peer.starts_with("127.0.0.1:"), "{peer}");
    }
}

macro_rules! matrix {
    (scenarios: $scenarios:tt, pairs: [$($pair:ident => ($codec:ident, $transport:ident)),* $(,)?]) => {
        $( matrix!(@pair $pair, $codec, $transport, $scenarios); )*
    };
    (@pair $pair:ident, $codec:ident, $transport:ident, [$($scenario:ident),* $(,)?]) => {
        mod $pair {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::CodecKind::$codec, super::TransportKind::$transport).await;
                }
            )*
        }
    };
}

matrix! {
    scenarios: [
        call_and_go,
        errors_travel_as_text,
        unknown_names_get_go_errors,
        bad_body_gets_error_response,
        thousand_calls_from_fifty_tasks,
        replies_out_of_order,
        drop_with_hundred_pending,
        client_close_fails_pending,
        client_in_flight_limit,
        timeout_and_late_reply,
        dropped_handle_cancels,
        done_channel,
        per_connection_services,
        graceful_shutdown,
        oversized_frames,
        garbage_closes_only_its_connection,
        peer_closing_mid_frame,
        one_byte_at_a_time,
        stray_response_ids_are_discarded,
        handshake_timeout_closes_a_silent_peer,
        idle_timeout_spares_running_calls,
        write_timeout_closes_a_peer_that_never_reads,
        connection_limits,
        shared_services_see_the_current_connection,
    ],
    pairs: [
        json_tcp => (Json, Tcp),
        json_unix => (Json, Unix),
        json_mem => (Json, Mem),
        json_http => (Json, Http),
        json_tls => (Json, Tls),
        json_quic => (Json, Quic),
        json_yamux_tcp => (Json, YamuxTcp),
        json_yamux_unix => (Json, YamuxUnix),
        postcard_tcp => (Postcard, Tcp),
        postcard_unix => (Postcard, Unix),
        postcard_mem => (Postcard, Mem),
        postcard_http => (Postcard, Http),
        postcard_tls => (Postcard, Tls),
        postcard_quic => (Postcard, Quic),
        postcard_yamux_tcp => (Postcard, YamuxTcp),
        postcard_yamux_unix => (Postcard, YamuxUnix),
        gob_tcp => (Gob, Tcp),
        gob_unix => (Gob, Unix),
        gob_mem => (Gob, Mem),
        gob_http => (Gob, Http),
        gob_tls => (Gob, Tls),
        gob_quic => (Gob, Quic),
        gob_yamux_tcp => (Gob, YamuxTcp),
        gob_yamux_unix => (Gob, YamuxUnix),
        auto_gob_tcp => (AutoGob, Tcp),
        auto_gob_unix => (AutoGob, Unix),
        auto_gob_mem => (AutoGob, Mem),
        auto_gob_http => (AutoGob, Http),
        auto_gob_tls => (AutoGob, Tls),
        auto_gob_quic => (AutoGob, Quic),
        auto_gob_yamux_tcp => (AutoGob, YamuxTcp),
        auto_gob_yamux_unix => (AutoGob, YamuxUnix),
        auto_json_tcp => (AutoJson, Tcp),
        auto_json_unix => (AutoJson, Unix),
        auto_json_mem => (AutoJson, Mem),
        auto_json_http => (AutoJson, Http),
        auto_json_tls => (AutoJson, Tls),
        auto_json_quic => (AutoJson, Quic),
        auto_json_yamux_tcp => (AutoJson, YamuxTcp),
        auto_json_yamux_unix => (AutoJson, YamuxUnix),
        auto_postcard_tcp => (AutoPostcard, Tcp),
        auto_postcard_unix => (AutoPostcard, Unix),
        auto_postcard_mem => (AutoPostcard, Mem),
        auto_postcard_http => (AutoPostcard, Http),
        auto_postcard_tls => (AutoPostcard, Tls),
        auto_postcard_quic => (AutoPostcard, Quic),
        auto_postcard_yamux_tcp => (AutoPostcard, YamuxTcp),
        auto_postcard_yamux_unix => (AutoPostcard, YamuxUnix),
        protobuf_tcp => (Protobuf, Tcp),
        protobuf_unix => (Protobuf, Unix),
        protobuf_mem => (Protobuf, Mem),
        protobuf_http => (Protobuf, Http),
        protobuf_tls => (Protobuf, Tls),
        protobuf_quic => (Protobuf, Quic),
        protobuf_yamux_tcp => (Protobuf, YamuxTcp),
        protobuf_yamux_unix => (Protobuf, YamuxUnix),
        auto_protobuf_tcp => (AutoProtobuf, Tcp),
        auto_protobuf_unix => (AutoProtobuf, Unix),
        auto_protobuf_mem => (AutoProtobuf, Mem),
        auto_protobuf_http => (AutoProtobuf, Http),
        auto_protobuf_tls => (AutoProtobuf, Tls),
        auto_protobuf_quic => (AutoProtobuf, Quic),
        auto_protobuf_yamux_tcp => (AutoProtobuf, YamuxTcp),
        auto_protobuf_yamux_unix => (AutoProtobuf, YamuxUnix),
    ]
}
