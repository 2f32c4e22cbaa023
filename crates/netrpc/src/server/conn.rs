//! Serving one connection: read requests, run each in its own task, write replies as they
//! complete.
//!
//! Requests run concurrently, so a call that blocks (a Watch) never delays the others on its
//! connection. The reader stops reading while `max_in_flight` calls are running (backpressure
//! instead of unbounded buffering). When the peer closes the connection, or sends something that
//! is not a message, its running calls are cancelled (so a Watch stops waiting) and the
//! connection ends; other connections are unaffected. On graceful shutdown the reader stops,
//! running calls get until the shutdown deadline to finish, and their replies are flushed.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use bytes::BytesMut;
use futures_util::FutureExt;
use rpc_proto::{
    Body, Codec, CodecError, RequestHeader, ResponseEncoder, ResponseHeader, ServerInbound, Token,
};
use rpc_transport::{BoxStream, Connection, Link, Multiplexed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::{AbortHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{Admitted, ConnContext, Inner, Services};
use crate::ServiceError;
use crate::io::{PushError, WriteQueue, read_message};

type Writer = Arc<WriteQueue<dyn ResponseEncoder>>;

/// Why the read loop stopped.
enum End {
    /// The peer closed the connection.
    Eof,
    /// The peer sent something unreadable, or the stream failed.
    Error(CodecError),
    /// The server is shutting down.
    Shutdown,
    /// Writing failed or timed out; the peer is gone or not reading.
    WriteFailed,
    /// The handshake or idle timeout passed.
    TimedOut(&'static str),
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// How long after the shutdown deadline replies may still be written: for the replies of calls
/// that finished just in time.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(1);

/// Handlers wait while this many bytes of replies are queued for a peer that is not reading.
const WRITE_HIGH_WATER: usize = 1024 * 1024;

/// Serves `connection` until it ends. `admitted` is its place among the server's open
/// connections (for accepted connections); it is given back before the connection's services
/// are dropped, so whoever observes that drop can connect again at once. The handshake timeout
/// applies to accepted connections only, not to links handed to the server (reverse RPC).
pub(crate) async fn serve(
    server: Arc<Inner>,
    connection: Connection,
    codec: Arc<dyn Codec>,
    admitted: Option<Admitted>,
) {
    let Connection { link, peer } = connection;
    let ctx = ConnContext::new(server.next_conn_id(), peer, codec.name());
    let services = server.services_for(&ctx);
    let accepted = admitted.is_some();
    let _admitted = admitted;
    tracing::debug!(peer = %ctx.remote_addr(), codec = ctx.codec(), "connection opened");
    match link {
        Link::Stream(stream) => {
            // Clones: the services are dropped here, after `_admitted`.
            serve_stream(
                server,
                stream,
                ctx.clone(),
                services.clone(),
                codec,
                Stream::Whole { accepted },
            )
            .await
        }
        Link::Multiplexed(streams) => {
            serve_streams(&server, streams, &ctx, &services, &codec, accepted).await
        }
    }
    tracing::debug!(peer = %ctx.remote_addr(), "connection closed");
}

/// Serves a multiplexed connection (QUIC): each stream the peer opens is served as a
/// connection of its own (any codec, any number of calls; netrpc's client sends one call per
/// stream), sharing this connection's context and services. At most `max_in_flight` streams
/// are served at once; the peer's further streams wait in the transport's flow control. The
/// handshake and idle timeouts apply to the connection (a first stream must come in time; a
/// connection with no stream open for the idle timeout is closed) and to each stream.
async fn serve_streams(
    server: &Arc<Inner>,
    streams: Arc<dyn Multiplexed>,
    ctx: &ConnContext,
    services: &Arc<Services>,
    codec: &Arc<dyn Codec>,
    accepted: bool,
) {
    let mut running = JoinSet::new();
    let opened = Instant::now();
    let mut last_done = opened;
    let mut greeted = false;
    let end = loop {
        let idle_since = running.is_empty().then_some(last_done);
        let deadline = server
            .timeouts
            .deadline(accepted && !greeted, opened, idle_since);
        tokio::select! {
            biased;
            _ = server.shutdown.cancelled() => break End::Shutdown,
            Some(_) = running.join_next(), if !running.is_empty() => last_done = Instant::now(),
            _ = sleep_until_some(deadline) => {
                break End::TimedOut(if greeted { "idle timeout" } else { "handshake timeout" });
            }
            stream = streams.accept(), if running.len() < server.max_in_flight => match stream {
                Ok(Some(stream)) => {
                    greeted = true;
                    running.spawn(serve_stream(
                        server.clone(),
                        stream,
                        ctx.clone(),
                        services.clone(),
                        codec.clone(),
                        Stream::OneOfMany { accepted },
                    ));
                }
                Ok(None) => break End::Eof,
                Err(err) => break End::Error(CodecError::Io(err)),
            },
        }
    };
    match end {
        // Each stream winds down on its own within the shutdown deadline.
        End::Shutdown => while running.join_next().await.is_some() {},
        End::TimedOut(which) => {
            tracing::info!(peer = %ctx.remote_addr(), "closing connection: {which}")
        }
        End::Error(err) => {
            tracing::debug!(peer = %ctx.remote_addr(), error = %err, "connection lost")
        }
        End::Eof | End::WriteFailed => {}
    }
    running.abort_all();
    while running.join_next().await.is_some() {}
    streams.close();
}

/// What a byte stream is to its connection.
#[derive(Clone, Copy)]
enum Stream {
    /// The connection's only stream. `accepted`: the handshake timeout applies.
    Whole { accepted: bool },
    /// One stream of a multiplexed connection.
    OneOfMany { accepted: bool },
}

/// Serves one byte stream: a whole connection, or one stream of a multiplexed connection.
async fn serve_stream(
    server: Arc<Inner>,
    stream: BoxStream,
    ctx: ConnContext,
    services: Arc<Services>,
    codec: Arc<dyn Codec>,
    kind: Stream,
) {
    let (Stream::Whole { accepted } | Stream::OneOfMany { accepted }) = kind;
    let rpc_proto::ServerCodec {
        mut decoder,
        encoder,
    } = codec.server(&server.limits);
    let writer: Writer = Arc::new(WriteQueue::new(encoder));
    let write_failed = CancellationToken::new();
    let (mut rd, mut wr) = tokio::io::split(stream);

    let reading = async {
        let mut calls = Calls::default();
        let mut buf = BytesMut::new();
        let opened = Instant::now();
        let mut last_read = opened;
        let mut last_done = opened;
        let mut greeted = false;
        // Made once, not on every turn of the loop.
        let shutdown = server.shutdown.cancelled();
        let write_failed_now = write_failed.cancelled();
        tokio::pin!(shutdown, write_failed_now);
        let end = loop {
            // The first message must arrive within the handshake timeout; afterwards, a
            // connection with no call running and no byte received for the idle timeout ends.
            let idle_since = calls.tasks.is_empty().then(|| last_read.max(last_done));
            let deadline = server
                .timeouts
                .deadline(accepted && !greeted, opened, idle_since);
            tokio::select! {
                biased;
                _ = &mut shutdown => break End::Shutdown,
                _ = &mut write_failed_now => break End::WriteFailed,
                Some(finished) = calls.tasks.join_next_with_id(), if !calls.tasks.is_empty() => {
                    calls.reap(finished);
                    // Every call that has finished too (a Set wakes thousands of watches).
                    while let Some(finished) = calls.tasks.try_join_next_with_id() {
                        calls.reap(finished);
                    }
                    last_done = Instant::now();
                }
                _ = sleep_until_some(deadline) => {
                    break End::TimedOut(if greeted { "idle timeout" } else { "handshake timeout" });
                }
                message = read_message(&mut rd, &mut buf, &mut *decoder, &mut last_read),
                    if calls.tasks.len() < server.max_in_flight => match message {
                    Ok(Some(ServerInbound::Request { header, body })) => {
                        greeted = true;
                        calls.start(&services, &ctx, &writer, header, body);
                    }
                    Ok(Some(ServerInbound::Cancel { seq })) => {
                        greeted = true;
                        calls.cancel(seq);
                    }
                    Ok(None) => break End::Eof,
                    Err(err) => break End::Error(err),
                },
            }
        };
        let shutting_down = matches!(end, End::Shutdown);
        match end {
            End::Shutdown => {
                let deadline = server.shutdown_deadline();
                let drained = tokio::time::timeout_at(deadline.into(), async {
                    while calls.tasks.join_next().await.is_some() {}
                })
                .await;
                if drained.is_err() {
                    tracing::debug!(peer = %ctx.remote_addr(), left = calls.tasks.len(), "shutdown deadline passed; cancelling calls");
                }
            }
            End::Eof => tracing::debug!(peer = %ctx.remote_addr(), "peer closed the connection"),
            End::WriteFailed => {}
            End::TimedOut(which) => {
                tracing::info!(peer = %ctx.remote_addr(), "closing connection: {which}")
            }
            // A reset is a peer going away (or abandoning a QUIC stream), not a bad peer.
            End::Error(CodecError::Io(err))
                if err.kind() == std::io::ErrorKind::ConnectionReset =>
            {
                tracing::debug!(peer = %ctx.remote_addr(), error = %err, "connection reset")
            }
            End::Error(err) => {
                tracing::warn!(peer = %ctx.remote_addr(), error = %err, "closing connection")
            }
        }
        calls.tasks.abort_all();
        while calls.tasks.join_next().await.is_some() {}
        writer.close();
        if shutting_down && matches!(kind, Stream::OneOfMany { .. }) {
            // The connection closes once its streams end, and closing it discards what the
            // peer has received but not read yet. netrpc's client ends a call's stream once it
            // has read the reply: wait for that (bounded), reading and discarding.
            let linger = async {
                let mut sink = [0u8; 1024];
                while matches!(rd.read(&mut sink).await, Ok(n) if n > 0) {}
            };
            let until = server.shutdown_deadline() + SHUTDOWN_FLUSH;
            let _ = tokio::time::timeout_at(until.into(), linger).await;
        }
    };
    let writing = async {
        let flush = async {
            match writer.run(&mut wr, server.timeouts.write).await {
                // Close politely (a TLS close_notify, a TCP FIN, a QUIC stream acknowledged),
                // but never wait on a peer that does not read for longer than a write may take.
                Ok(()) => match server.timeouts.write {
                    Some(limit) => drop(tokio::time::timeout(limit, wr.shutdown()).await),
                    None => drop(wr.shutdown().await),
                },
                Err(err) => {
                    tracing::debug!(peer = %ctx.remote_addr(), error = %err, "write failed");
                    write_failed.cancel();
                }
            }
        };
        // On shutdown, replies get until shortly after the deadline to reach the peer: one
        // that does not read cannot hold the shutdown for a whole write timeout.
        let cut_off = async {
            server.shutdown.cancelled().await;
            let deadline = server.shutdown_deadline() + SHUTDOWN_FLUSH;
            tokio::time::sleep_until(deadline.into()).await;
        };
        tokio::select! {
            () = flush => {}
            () = cut_off => {
                tracing::debug!(peer = %ctx.remote_addr(), "shutdown: replies left unwritten");
                write_failed.cancel();
            }
        }
    };
    tokio::join!(reading, writing);
}

/// The calls running on one connection.
#[derive(Default)]
struct Calls {
    tasks: JoinSet<u64>,
    by_seq: HashMap<u64, AbortHandle>,
}

impl Calls {
    /// Routes a request to its method and runs it in its own task; an unknown service or
    /// method is answered at once with Go's error text.
    fn start(
        &mut self,
        services: &Services,
        ctx: &ConnContext,
        writer: &Writer,
        header: RequestHeader,
        body: Body,
    ) {
        let seq = header.seq;
        // The codec's token goes back with the response, untouched.
        let token = header.token;
        let service_method = header.service_method.as_str();
        let Some((service, method)) = service_method.rsplit_once('.') else {
            let msg = format!("rpc: service/method request ill-formed: {service_method}");
            return respond(writer, seq, token, Err(ServiceError::new(msg)));
        };
        let Some(registered) = services.get(service) else {
            let msg = format!("rpc: can't find service {service_method}");
            return respond(writer, seq, token, Err(ServiceError::new(msg)));
        };
        let span = tracing::debug_span!("rpc", service, method, seq, peer = %ctx.remote_addr());
        let Some(handler) = registered.service.clone().call(ctx, method, body) else {
            let msg = format!("rpc: can't find method {service_method}");
            return respond(writer, seq, token, Err(ServiceError::new(msg)));
        };
        registered.stats.count(method);
        let writer = writer.clone();
        let timeout = header.timeout;
        let mut call = Box::pin(
            async move {
                match run(handler, timeout).await {
                    Some(outcome) => {
                        writer.wait_for_room(WRITE_HIGH_WATER).await;
                        respond(&writer, seq, token, outcome)
                    }
                    // The client's own timer, started before the request was sent, has fired
                    // too: it has forgotten the call, so no reply is sent.
                    None => tracing::debug!(seq, "deadline passed; call cancelled"),
                }
                seq
            }
            .instrument(span),
        );
        // Run the handler here until it first waits: a call that finishes at once (most do) is
        // answered without a task, and its reply joins the others of this read in one write.
        // Only a call that waits gets a task of its own (polled again at once, so nothing is
        // lost to the no-op waker of this first poll).
        let mut first_poll = std::task::Context::from_waker(std::task::Waker::noop());
        if call.as_mut().poll(&mut first_poll).is_ready() {
            return;
        }
        let task = self.tasks.spawn(call);
        if let Some(previous) = self.by_seq.insert(seq, task) {
            // A client reusing a sequence number in flight: both calls run and are answered,
            // but only the newer can be cancelled.
            tracing::debug!(seq, id = %previous.id(), "sequence number reused while in flight");
        }
    }

    /// Stops call `seq` (the client has forgotten it; no reply is sent).
    fn cancel(&mut self, seq: u64) {
        if let Some(task) = self.by_seq.remove(&seq) {
            tracing::debug!(seq, "call cancelled by client");
            task.abort();
        }
    }

    fn reap(&mut self, finished: Result<(tokio::task::Id, u64), tokio::task::JoinError>) {
        if let Ok((id, seq)) = finished {
            if self.by_seq.get(&seq).is_some_and(|task| task.id() == id) {
                self.by_seq.remove(&seq);
            }
        }
    }
}

/// Runs a handler, turning a panic into an error reply; `None` when the request's timeout passed
/// first (the handler is dropped).
async fn run(
    handler: impl std::future::Future<Output = Result<crate::Reply, ServiceError>> + Send,
    timeout: Option<Duration>,
) -> Option<Result<crate::Reply, ServiceError>> {
    let guarded = AssertUnwindSafe(handler).catch_unwind();
    let outcome = match timeout {
        None => guarded.await,
        Some(timeout) => tokio::time::timeout(timeout, guarded).await.ok()?,
    };
    Some(outcome.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(panic = %what, "service method panicked");
        Err(ServiceError::new("rpc: service method panicked"))
    }))
}

/// Queues the response to call `seq`, with the token its request came with. A reply the codec
/// cannot encode is answered with an error instead, so the caller is never left waiting.
fn respond(writer: &Writer, seq: u64, token: Token, outcome: Result<crate::Reply, ServiceError>) {
    let mut header = ResponseHeader::ok(seq).with_token(token);
    let pushed = match &outcome {
        Ok(reply) => {
            writer.push(|encoder, buf| encoder.encode_response(&header, Some(reply.payload()), buf))
        }
        Err(err) => {
            header.error = Some(err.message().to_owned());
            writer.push(|encoder, buf| encoder.encode_response(&header, None, buf))
        }
    };
    if let Err(PushError::Encode(err)) = pushed {
        tracing::warn!(seq, error = %err, "could not encode response");
        header.error = Some(format!("rpc: encoding reply: {err}"));
        let _ = writer.push(|encoder, buf| encoder.encode_response(&header, None, buf));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use bytes::BufMut;
    use rpc_proto::{Payload, Reply, TypeInfo};

    use super::*;

    /// What an encoder was asked to write: the header, and the body's type information (`None`
    /// for no body).
    type Seen = Arc<Mutex<Vec<(ResponseHeader, Option<Option<TypeInfo>>)>>>;

    /// Records every response; refuses to encode a body whose JSON text is `"bad"`.
    struct Recorder(Seen);

    impl ResponseEncoder for Recorder {
        fn encode_response(
            &mut self,
            header: &ResponseHeader,
            body: Option<Payload<'_>>,
            dst: &mut BytesMut,
        ) -> Result<(), CodecError> {
            self.0
                .lock()
                .unwrap()
                .push((header.clone(), body.map(|body| body.type_info())));
            dst.put_slice(b"partial");
            let text = body.map(|body| serde_json::to_string(body.value()).unwrap());
            if text.as_deref() == Some(r#""bad""#) {
                return Err(CodecError::Encode("cannot".into()));
            }
            Ok(())
        }
    }

    #[test]
    fn responses_carry_their_requests_token_and_reply_type() {
        let seen = Seen::default();
        let writer: Writer = Arc::new(WriteQueue::new(Box::new(Recorder(seen.clone()))));
        let id = Token::copy_from_slice(b"\"req-7\"");
        respond(&writer, 7, id.clone(), Ok(Reply::typed(vec![1i64])));
        respond(
            &writer,
            8,
            Token::from_static(b"S.M"),
            Err(ServiceError::new("boom")),
        );
        // A reply the codec cannot encode: an error response, with the same token.
        respond(&writer, 9, id.clone(), Ok(Reply::new("bad")));
        let seen = seen.lock().unwrap();
        assert_eq!(
            *seen,
            [
                (
                    ResponseHeader::ok(7).with_token(id.clone()),
                    Some(Some(TypeInfo::of::<Vec<i64>>()))
                ),
                (
                    ResponseHeader::error(8, "boom").with_token(Token::from_static(b"S.M")),
                    None
                ),
                (ResponseHeader::ok(9).with_token(id.clone()), Some(None)),
                (
                    ResponseHeader::error(9, "rpc: encoding reply: encoding failed: cannot")
                        .with_token(id),
                    None
                ),
            ]
        );
    }
}
