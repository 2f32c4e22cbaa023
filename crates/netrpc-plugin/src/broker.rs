//! go-plugin's `MuxBroker`: more streams over the host-plugin session, matched up by id, so
//! either side can serve an RPC server that the other dials (a plugin calling back into its
//! host, a host handing a plugin an object to call).
//!
//! The wire protocol is go-plugin's: the dialing side opens a stream and writes the id as a
//! 4-byte little-endian `uint32`; the accepting side's broker reads it and parks the stream
//! until [`Broker::accept_stream`] (or [`Broker::accept_and_serve`]) claims that id, which
//! writes the id back as the ack. [`Broker::dial`] gives a gob client for what the other side
//! serves under an id; [`Broker::dial_stream`] the raw stream.
//! A parked stream nobody claims within 5 s is closed; an `accept` no stream comes for within
//! 5 s fails with `timeout waiting for accept`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use netrpc::{Gob, Server, Service};
use rpc_transport::{BoxStream, Connection, Multiplexed, Peer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

use crate::error::BrokerError;
use crate::plugin::Shared;

/// How long a stream waits to be accepted, and an accept waits for its stream (go-plugin's
/// 5 s).
pub const BROKER_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a dial waits for its ack: the other side acks within [`BROKER_TIMEOUT`] or closes
/// the stream, so this only bounds a peer that does neither.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// The name a brokered server's service is registered under (go-plugin's `"Plugin"`).
pub const SERVICE_NAME: &str = "Plugin";

/// The id broker for one host-plugin session. Cheap to clone.
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Inner>,
}

struct Inner {
    session: Arc<dyn Multiplexed>,
    next_id: AtomicU32,
    next_ticket: AtomicU64,
    waiting: Mutex<HashMap<u32, Slot>>,
    peer: Peer,
}

/// What is known of an id: a stream waiting to be accepted, or an accept waiting for its
/// stream. The ticket tells a timer whether the slot is still the one it was started for.
enum Slot {
    Parked {
        stream: BoxStream,
        ticket: u64,
    },
    Accepting {
        tx: oneshot::Sender<BoxStream>,
        ticket: u64,
    },
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("next_id", &self.inner.next_id.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// A broker over `session`; [`run`](Self::run) must take the session's further inbound
    /// streams. `peer` names the other side in the connections it makes.
    pub(crate) fn new(session: Arc<dyn Multiplexed>, peer: Peer) -> Self {
        Self {
            inner: Arc::new(Inner {
                session,
                next_id: AtomicU32::new(0),
                next_ticket: AtomicU64::new(0),
                waiting: Mutex::new(HashMap::new()),
                peer,
            }),
        }
    }

    /// A fresh id (go-plugin's `NextId`: 1, 2, ...). Ids are per side: each side hands out its
    /// own, for the streams it accepts.
    pub fn next_id(&self) -> u32 {
        self.inner
            .next_id
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Slot>> {
        self.inner
            .waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn ticket(&self) -> u64 {
        self.inner.next_ticket.fetch_add(1, Ordering::Relaxed)
    }

    /// Takes the other side's stream for `id` (waiting up to [`BROKER_TIMEOUT`] for it to
    /// arrive) and acknowledges it (go-plugin's `Accept`): the raw stream. Call it once per
    /// id.
    pub async fn accept_stream(&self, id: u32) -> Result<BoxStream, BrokerError> {
        let ticket = self.ticket();
        let rx = {
            let mut waiting = self.lock();
            match waiting.remove(&id) {
                Some(Slot::Parked { stream, .. }) => Ok(stream),
                Some(accepting @ Slot::Accepting { .. }) => {
                    waiting.insert(id, accepting);
                    return Err(BrokerError::Busy(id));
                }
                None => {
                    let (tx, rx) = oneshot::channel();
                    waiting.insert(id, Slot::Accepting { tx, ticket });
                    Err(rx)
                }
            }
        };
        let mut stream = match rx {
            Ok(stream) => stream,
            Err(rx) => {
                let outcome = tokio::time::timeout(BROKER_TIMEOUT, rx).await;
                if let Ok(Ok(stream)) = outcome {
                    stream
                } else {
                    let mut waiting = self.lock();
                    if matches!(waiting.get(&id), Some(Slot::Accepting { ticket: t, .. }) if *t == ticket)
                    {
                        waiting.remove(&id);
                    }
                    return Err(BrokerError::AcceptTimeout);
                }
            }
        };
        stream.write_all(&id.to_le_bytes()).await?;
        stream.flush().await?;
        Ok(stream)
    }

    /// Opens a stream to the other side's `accept_stream(id)` and waits for its ack
    /// (go-plugin's `Dial`): the raw stream.
    pub async fn dial_stream(&self, id: u32) -> Result<BoxStream, BrokerError> {
        let mut stream = self.inner.session.open().await?;
        stream.write_all(&id.to_le_bytes()).await?;
        stream.flush().await?;
        let mut ack = [0u8; 4];
        match tokio::time::timeout(ACK_TIMEOUT, stream.read_exact(&mut ack)).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => return Err(err.into()),
            Err(_) => return Err(BrokerError::AckTimeout(id)),
        }
        let ack = u32::from_le_bytes(ack);
        if ack != id {
            return Err(BrokerError::BadAck { ack, expected: id });
        }
        Ok(stream)
    }

    /// Dials `id` and speaks Go's net/rpc with gob over the stream: a client for what the
    /// other side serves there (go-plugin's `Dial` and `rpc.NewClient`; the service is
    /// `Plugin`).
    pub async fn dial(&self, id: u32) -> Result<netrpc::Client, BrokerError> {
        let stream = self.dial_stream(id).await?;
        Ok(netrpc::Client::new(
            Connection::boxed(stream, self.inner.peer.clone()),
            Gob,
        ))
    }

    /// Accepts `id` and serves `service` there, registered as `Plugin` as go-plugin's
    /// `AcceptAndServe` does, until the other side closes the stream. Usually spawned:
    /// `tokio::spawn(broker.clone().accept_and_serve(id, service))`.
    pub async fn accept_and_serve(self, id: u32, service: impl Service) -> Result<(), BrokerError> {
        let server = Server::builder()
            .register_name(SERVICE_NAME, service)
            .build();
        self.accept_and_serve_server(id, server).await
    }

    /// [`accept_and_serve`](Self::accept_and_serve) for a shared service.
    pub(crate) async fn accept_and_serve_shared(
        self,
        id: u32,
        service: Arc<dyn Service>,
    ) -> Result<(), BrokerError> {
        self.accept_and_serve(id, Shared(service)).await
    }

    /// Accepts `id` and serves every service of `server` there (each under its own name).
    pub async fn accept_and_serve_server(self, id: u32, server: Server) -> Result<(), BrokerError> {
        let stream = self.accept_stream(id).await?;
        let connection = Connection::boxed(stream, self.inner.peer.clone());
        server.serve_connection(connection, Arc::new(Gob)).await;
        Ok(())
    }

    /// Takes the session's inbound streams (after the first ones the plugin protocol uses) and
    /// parks each under the id it starts with, until the session ends (go-plugin's `Run`).
    pub(crate) async fn run(self) {
        loop {
            let stream = match self.inner.session.accept().await {
                Ok(Some(stream)) => stream,
                Ok(None) => break,
                Err(err) => {
                    tracing::debug!(error = %err, "broker: session ended");
                    break;
                }
            };
            // Read the id off the hot path: a stream that never sends it holds up no other.
            let weak = Arc::downgrade(&self.inner);
            tokio::spawn(arrived(weak, stream));
        }
    }
}

/// Reads a new stream's id and hands the stream to its accept, or parks it.
async fn arrived(weak: Weak<Inner>, mut stream: BoxStream) {
    let mut id = [0u8; 4];
    match tokio::time::timeout(BROKER_TIMEOUT, stream.read_exact(&mut id)).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "broker: reading a stream's id");
            return;
        }
        Err(_) => {
            tracing::debug!("broker: a stream sent no id within {BROKER_TIMEOUT:?}");
            return;
        }
    }
    let id = u32::from_le_bytes(id);
    let Some(inner) = weak.upgrade() else { return };
    let broker = Broker { inner };
    let ticket = broker.ticket();
    {
        let mut waiting = broker.lock();
        let stream = match waiting.remove(&id) {
            Some(Slot::Accepting { tx, .. }) => match tx.send(stream) {
                Ok(()) => return,
                // The accept just gave up: park it as if it had come first.
                Err(stream) => stream,
            },
            Some(parked @ Slot::Parked { .. }) => {
                // go-plugin drops a second stream for an id already waiting.
                waiting.insert(id, parked);
                tracing::debug!(id, "broker: a second stream for the same id; closing it");
                return;
            }
            None => stream,
        };
        waiting.insert(id, Slot::Parked { stream, ticket });
    }
    drop(broker);
    tokio::time::sleep(BROKER_TIMEOUT).await;
    let Some(inner) = weak.upgrade() else { return };
    let broker = Broker { inner };
    let mut waiting = broker.lock();
    if matches!(waiting.get(&id), Some(Slot::Parked { ticket: t, .. }) if *t == ticket) {
        tracing::debug!(
            id,
            "broker: nobody accepted the stream within {BROKER_TIMEOUT:?}; closing it"
        );
        waiting.remove(&id);
    }
}
