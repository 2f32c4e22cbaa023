//! The client: one connection shared by any number of tasks, calls multiplexed by sequence number.
//!
//! ```no_run
//! # async fn demo() -> Result<(), netrpc::Error> {
//! use netrpc::{Client, Json};
//!
//! let client = Client::dial("tcp://127.0.0.1:1234", Json).await?;
//! // Synchronous style, like Go's client.Call:
//! let reply: String = client.call("HelloService.Hello", "hello").await?;
//! // Asynchronous style, like Go's client.Go: the request is sent now, awaited later.
//! let call = client.go::<_, String>("HelloService.Hello", "world".to_string());
//! let done = call.await;
//! println!("{} {:?} -> {:?}", done.service_method, done.args, done.reply);
//! # Ok(()) }
//! ```

mod call;
mod pending;
mod shared;
mod streams;
mod task;

use std::sync::{Arc, Weak};
use std::time::Duration;

use rpc_proto::{Codec, Limits};
use rpc_transport::{Address, Connection, DialOptions, Link, Peer};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};

use call::ReplyWait;
pub use call::{Call, Completed};
use pending::Waiter;
use shared::{Outbound, Shared};

use crate::Error;
use crate::io::WriteQueue;

/// A client for one connection. Cheap to clone; every clone shares the connection, and any
/// number of tasks may call through it at once.
///
/// The connection closes when [`close`](Self::close) is called, when the peer or a protocol
/// error ends it, or when the last clone and the last pending [`Call`] are dropped.
#[derive(Clone)]
pub struct Client {
    handle: Arc<Handle>,
    timeout: Option<Duration>,
}

/// Keeps the connection open while a client or a call handle needs it.
pub(crate) struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.outbound.close();
        self.shared.stop.cancel();
    }
}

/// Options for a new [`Client`].
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    limits: Limits,
    timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    max_in_flight: Option<usize>,
    dial: DialOptions,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            limits: Limits::DEFAULT,
            timeout: None,
            write_timeout: Some(crate::DEFAULT_WRITE_TIMEOUT),
            max_in_flight: None,
            dial: DialOptions::default(),
        }
    }
}

impl ClientBuilder {
    /// Limits applied to responses (default: [`Limits::DEFAULT`], 16 MiB messages).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// A timeout for every call (default: none). See [`Client::with_timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long writing one batch of requests may take before the server counts as not reading
    /// and the connection is closed (default [`DEFAULT_WRITE_TIMEOUT`](crate::DEFAULT_WRITE_TIMEOUT);
    /// `None`: no limit).
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// The most calls waiting for their reply at once (default: no limit, as in Go). Past it,
    /// [`Client::call`] waits for a reply to free a place, and [`Client::go`] and
    /// [`Client::go_with`] refuse the call at once with [`Error::TooManyPending`] (nothing is
    /// sent), so a caller that outruns the server holds back instead of queueing without bound.
    pub fn max_in_flight(mut self, limit: Option<usize>) -> Self {
        self.max_in_flight = limit;
        self
    }

    /// Transport settings for [`dial`](Self::dial), such as the TLS configuration a `tls://`
    /// address needs.
    pub fn dial_options(mut self, options: DialOptions) -> Self {
        self.dial = options;
        self
    }

    /// Dials `addr` (`tcp://host:port`, `unix:///path`, `http://host:port`, `tls://host:port`,
    /// `mem://name`, or a bare `host:port`) and speaks `codec` over it.
    pub async fn dial(self, addr: &str, codec: impl Codec) -> Result<Client, Error> {
        let addr: Address = addr.parse()?;
        let connection = rpc_transport::dial_with(&addr, &self.dial)
            .await
            .map_err(Error::Connect)?;
        Ok(self.connect(connection, codec))
    }

    /// Speaks `codec` over an established connection (for example one accepted for reverse
    /// RPC). Must be called within a Tokio runtime: it spawns the connection's task.
    ///
    /// On a multiplexed connection (QUIC) each call gets a stream of its own, so a slow reply
    /// never holds up another; dropping a call's handle resets its stream, which cancels the
    /// handler on a netrpc server.
    pub fn connect(self, connection: Connection, codec: impl Codec) -> Client {
        let Connection { link, peer } = connection;
        let shared = match link {
            Link::Stream(stream) => {
                let rpc_proto::ClientCodec { encoder, decoder } = codec.client(&self.limits);
                let shared = Arc::new(Shared::new(
                    Outbound::Queue(WriteQueue::new(encoder)),
                    peer,
                    self.max_in_flight,
                ));
                tokio::spawn(task::run(
                    shared.clone(),
                    stream,
                    decoder,
                    self.write_timeout,
                ));
                shared
            }
            Link::Multiplexed(streams) => {
                let (jobs, queued) = mpsc::unbounded_channel();
                let outbound = Outbound::Streams {
                    codec: Arc::new(codec),
                    limits: self.limits,
                    jobs,
                };
                let shared = Arc::new(Shared::new(outbound, peer, self.max_in_flight));
                tokio::spawn(streams::run(
                    shared.clone(),
                    streams,
                    queued,
                    self.write_timeout,
                ));
                shared
            }
        };
        Client {
            handle: Arc::new(Handle { shared }),
            timeout: self.timeout,
        }
    }
}

impl Client {
    /// Options for a new client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Dials `addr` with default options. See [`ClientBuilder::dial`].
    pub async fn dial(addr: &str, codec: impl Codec) -> Result<Client, Error> {
        Self::builder().dial(addr, codec).await
    }

    /// Speaks `codec` over an established connection with default options.
    pub fn new(connection: Connection, codec: impl Codec) -> Client {
        Self::builder().connect(connection, codec)
    }

    /// A handle to the same connection whose calls time out after `timeout`. On netrpc's own
    /// framings the server learns the deadline and cancels the handler when it passes.
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        Client {
            handle: self.handle.clone(),
            timeout: Some(timeout),
        }
    }

    /// The server's identity as the transport reports it.
    pub fn peer(&self) -> &Peer {
        &self.handle.shared.peer
    }

    /// Calls `service_method` and waits for the reply, like Go's `Client.Call`.
    pub async fn call<A, R>(&self, service_method: &str, args: &A) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let (tx, rx) = oneshot::channel();
        let shared = &self.handle.shared;
        let slot = shared.slot().await;
        let seq = shared
            .start(service_method, args, self.timeout, slot)?
            .register(Waiter::Reply(tx));
        let body = self.reply_wait(rx, seq).await?;
        body.decode().map_err(Error::Decode)
    }

    /// Sends a call now and returns its handle, like Go's `Client.Go`. Await the handle for the
    /// [`Completed`] call; drop it to abandon the call.
    pub fn go<A, R>(&self, service_method: &str, args: A) -> Call<A, R>
    where
        A: Serialize,
        R: DeserializeOwned,
    {
        let (tx, rx) = oneshot::channel();
        let shared = &self.handle.shared;
        let started = shared
            .try_slot()
            .and_then(|slot| shared.start(service_method, &args, self.timeout, slot));
        match started {
            Ok(started) => {
                let seq = started.register(Waiter::Reply(tx));
                Call::waiting(service_method.to_owned(), args, self.reply_wait(rx, seq))
            }
            Err(err) => Call::failed(service_method.to_owned(), args, err),
        }
    }

    /// Sends a call now and delivers its [`Completed`] call to `done` when it ends, like Go's
    /// `Client.Go` with a shared `done` channel.
    ///
    /// A slot in `done` is reserved before anything is sent, so delivery never blocks the
    /// connection and never loses a completion. When `done` has no free slot the call is
    /// refused at once with [`Error::DoneChannelFull`] (and [`Error::DoneChannelClosed`] when
    /// its receiver is gone); size the channel for the calls you keep in flight.
    pub fn go_with<A, R>(
        &self,
        service_method: &str,
        args: A,
        done: &mpsc::Sender<Completed<A, R>>,
    ) -> Result<(), Error>
    where
        A: Serialize + Send + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        let slot = done.clone().try_reserve_owned().map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => Error::DoneChannelFull,
            mpsc::error::TrySendError::Closed(_) => Error::DoneChannelClosed,
        })?;
        let shared = &self.handle.shared;
        let started = shared.start(service_method, &args, self.timeout, shared.try_slot()?)?;
        let service_method = service_method.to_owned();
        // The callback owns a strong handle so the connection outlives an unawaited call.
        let handle = self.handle.clone();
        let seq = started.register(Waiter::Callback(Box::new(move |outcome| {
            drop(handle);
            let reply = outcome.and_then(|body| body.decode::<R>().map_err(Error::Decode));
            slot.send(Completed {
                service_method,
                args,
                reply,
            });
        })));
        if let Some(timeout) = self.timeout {
            let shared: Weak<Shared> = Arc::downgrade(shared);
            tokio::spawn(async move {
                tokio::time::sleep(timeout).await;
                if let Some(shared) = shared.upgrade() {
                    shared.expire(seq);
                }
            });
        }
        Ok(())
    }

    /// Closes the connection: queued requests are flushed, pending calls fail with
    /// [`Error::Shutdown`], and later calls fail fast.
    pub fn close(&self) {
        let shared = &self.handle.shared;
        shared.outbound.close();
        shared.stop.cancel();
    }

    /// True once the connection has ended (calls fail fast).
    pub fn is_closed(&self) -> bool {
        self.handle.shared.ended.is_cancelled()
    }

    /// Resolves when the connection has ended and every pending call has failed.
    pub async fn closed(&self) {
        self.handle.shared.ended.cancelled().await;
    }

    /// Number of calls waiting for their reply.
    pub fn pending(&self) -> usize {
        self.handle.shared.pending_len()
    }

    fn reply_wait(&self, rx: oneshot::Receiver<pending::Outcome>, seq: u64) -> ReplyWait {
        let deadline = self.timeout.map(|t| Box::pin(tokio::time::sleep(t)));
        ReplyWait::new(rx, deadline, self.handle.clone(), seq)
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("peer", &self.handle.shared.peer.addr)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
