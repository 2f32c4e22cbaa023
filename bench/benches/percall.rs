//! The per-call CPU of each codec and of dispatch, without sockets, tasks or a runtime.
//!
//! One call is five steps, each measured on its own and then together (`round_trip`):
//!
//! - `client_encode`: the client's encoder writes the request (header and argument);
//! - `server_decode`: the server's decoder frames the request and reads its header;
//! - `dispatch`: the service is called with the still-encoded argument, which it decodes, and
//!   its future is polled to its reply;
//! - `server_encode`: the server's encoder writes the response;
//! - `client_decode`: the client's decoder frames the response, reads its header and decodes the
//!   reply.
//!
//! Each codec is measured in its steady state: gob's type definitions and protobuf's preface
//! went out with a first call made before the measurement, as on a connection that is already
//! in use. Two calls: `small` (Go's chapter `Arith.Multiply`, two integers in, one out) and
//! `1KiB` (`Arith.Echo` of a 1,024-byte string).
//!
//! Run `cargo bench -p netrpc-bench --bench percall`; criterion keeps the last run under
//! `target/criterion` and reports a change against it, so a regression shows without the
//! full harness. `-- --save-baseline NAME` and `-- --baseline NAME` compare against a named
//! run, `-- round_trip` runs only the round trips.

use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use netrpc::codec::{Gob, Json, Postcard, Protobuf};
use netrpc::proto::{
    Body, ClientCodec, Codec, Limits, RequestHeader, ResponseHeader, ServerCodec, ServerInbound,
};
use netrpc::transport::Peer;
use netrpc::{ConnContext, HandlerFuture, Reply, Service, service};
use serde::{Deserialize, Serialize};

/// Go's chapter argument: `struct{A, B int}`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Args {
    a: i64,
    b: i64,
}

/// The service every codec calls.
struct Arith;

service! {
    impl Arith {
        #[rpc("Multiply")]
        async fn multiply(&self, args: Args) -> Result<i64, String> {
            args.a.checked_mul(args.b).ok_or_else(|| "overflow".to_string())
        }

        #[rpc("Echo")]
        async fn echo(&self, text: String) -> Result<String, String> {
            Ok(text)
        }
    }
}

/// One kind of call: its method, argument and the reply type the client decodes.
trait Call: 'static {
    /// What the benchmark calls this call.
    const NAME: &'static str;
    /// The method after `Arith.`.
    const METHOD: &'static str;
    /// The argument.
    type Arg: Serialize;
    /// The reply.
    type Reply: for<'de> Deserialize<'de>;
    /// The argument of every call.
    fn arg() -> Self::Arg;
}

/// `Arith.Multiply`.
struct Small;

impl Call for Small {
    const NAME: &'static str = "small";
    const METHOD: &'static str = "Multiply";
    type Arg = Args;
    type Reply = i64;
    fn arg() -> Args {
        Args { a: 7, b: 8 }
    }
}

/// `Arith.Echo` of 1 KiB.
struct Kib;

impl Call for Kib {
    const NAME: &'static str = "1KiB";
    const METHOD: &'static str = "Echo";
    type Arg = String;
    type Reply = String;
    fn arg() -> String {
        "x".repeat(1024)
    }
}

/// Both ends of one connection, primed with a first call, and the bytes of a steady-state call.
struct Link {
    client: ClientCodec,
    server: ServerCodec,
    service: Arc<dyn Service>,
    ctx: ConnContext,
    /// A steady-state request as the client writes it.
    request: BytesMut,
    /// A steady-state response as the server writes it.
    response: BytesMut,
}

impl Link {
    fn new<C: Call>(codec: &dyn Codec) -> Link {
        let limits = Limits::default();
        let mut link = Link {
            client: codec.client(&limits),
            server: codec.server(&limits),
            service: Arc::new(Arith),
            ctx: ConnContext::new(1, Peer::new("mem", "mem://bench#1"), codec.name()),
            request: BytesMut::new(),
            response: BytesMut::new(),
        };
        // The first call carries the per-connection preamble (gob's types, protobuf's preface);
        // the second is what every later call looks like.
        for seq in 0..2 {
            let mut request = BytesMut::new();
            link.encode_request::<C>(seq, &mut request);
            link.request = request.clone();
            let (header, body) = link.decode_request(&mut request);
            let reply = link.dispatch(&header, body);
            let mut response = BytesMut::new();
            link.encode_response(header, &reply, &mut response);
            link.response = response.clone();
            black_box(link.decode_response::<C>(&mut response));
        }
        link
    }

    fn encode_request<C: Call>(&mut self, seq: u64, dst: &mut BytesMut) {
        let header = RequestHeader::new(format!("Arith.{}", C::METHOD), seq);
        let arg = C::arg();
        if let Err(err) = self.client.encoder.encode_request(&header, &arg, dst) {
            panic!("encode_request: {err}");
        }
    }

    fn decode_request(&mut self, src: &mut BytesMut) -> (RequestHeader, Body) {
        match self.server.decoder.decode_eof(src) {
            Ok(Some(ServerInbound::Request { header, body })) => (header, body),
            other => panic!("decode_request: {other:?}"),
        }
    }

    fn dispatch(&self, header: &RequestHeader, body: Body) -> Reply {
        let Some((_, method)) = header.split_method() else {
            panic!("no method in {:?}", header.service_method);
        };
        let Some(future) = self.service.clone().call(&self.ctx, method, body) else {
            panic!("no method {method}");
        };
        match poll_once(future) {
            Ok(reply) => reply,
            Err(err) => panic!("dispatch: {err}"),
        }
    }

    fn encode_response(&mut self, request: RequestHeader, reply: &Reply, dst: &mut BytesMut) {
        let header = ResponseHeader::ok(request.seq).with_token(request.token);
        if let Err(err) = self
            .server
            .encoder
            .encode_response(&header, Some(reply.payload()), dst)
        {
            panic!("encode_response: {err}");
        }
    }

    fn decode_response<C: Call>(&mut self, src: &mut BytesMut) -> C::Reply {
        match self.client.decoder.decode_eof(src) {
            Ok(Some(inbound)) => match inbound.body.decode() {
                Ok(reply) => reply,
                Err(err) => panic!("decode reply: {err}"),
            },
            other => panic!("decode_response: {other:?}"),
        }
    }
}

/// Polls a handler that never waits to its end.
fn poll_once(mut future: HandlerFuture) -> Result<Reply, netrpc::ServiceError> {
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("the benchmark's handlers never wait"),
    }
}

fn codecs() -> [&'static dyn Codec; 4] {
    [&Gob, &Json, &Postcard, &Protobuf]
}

fn steps<C: Call>(c: &mut Criterion) {
    for codec in codecs() {
        let name = format!("{}/{}", codec.name(), C::NAME);
        let mut group = c.benchmark_group(&name);

        let mut link = Link::new::<C>(codec);
        let mut buf = BytesMut::with_capacity(4096);
        group.bench_function("client_encode", |b| {
            b.iter(|| {
                buf.clear();
                link.encode_request::<C>(2, &mut buf);
            })
        });

        let mut link = Link::new::<C>(codec);
        let request = link.request.clone();
        group.bench_function("server_decode", |b| {
            b.iter_batched_ref(
                || request.clone(),
                |src| black_box(link.decode_request(src)),
                BatchSize::SmallInput,
            )
        });

        let link = Link::new::<C>(codec);
        let mut decoding = Link::new::<C>(codec);
        group.bench_function("dispatch", |b| {
            b.iter_batched(
                || decoding.decode_request(&mut request.clone()),
                |(header, body)| black_box(link.dispatch(&header, body)),
                BatchSize::SmallInput,
            )
        });

        let mut link = Link::new::<C>(codec);
        group.bench_function("server_encode", |b| {
            let (header, body) = link.decode_request(&mut link.request.clone());
            let reply = link.dispatch(&header, body);
            b.iter(|| {
                buf.clear();
                link.encode_response(header.clone(), &reply, &mut buf);
            })
        });

        let mut link = Link::new::<C>(codec);
        let response = link.response.clone();
        group.bench_function("client_decode", |b| {
            b.iter_batched_ref(
                || response.clone(),
                |src| black_box(link.decode_response::<C>(src)),
                BatchSize::SmallInput,
            )
        });

        let mut link = Link::new::<C>(codec);
        let mut wire = BytesMut::with_capacity(4096);
        let mut seq = 2;
        group.bench_function("round_trip", |b| {
            b.iter(|| {
                seq += 1;
                link.encode_request::<C>(seq, &mut wire);
                let (header, body) = link.decode_request(&mut wire);
                let reply = link.dispatch(&header, body);
                link.encode_response(header, &reply, &mut wire);
                black_box(link.decode_response::<C>(&mut wire))
            })
        });
        group.finish();
    }
}

fn percall(c: &mut Criterion) {
    steps::<Small>(c);
    steps::<Kib>(c);
}

criterion_group!(benches, percall);
criterion_main!(benches);
