//! State shared by a client's handles, its calls and its connection task.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use rpc_proto::{ClientInbound, Codec, CodecError, Limits, RequestEncoder, RequestHeader};
use rpc_transport::Peer;
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::pending::{Pending, Waiter};
use super::streams::Job;
use crate::Error;
use crate::io::{PushError, WriteQueue};

/// Where a connection's requests go.
pub(crate) enum Outbound {
    /// One byte stream: requests are encoded into the connection's write queue, in order.
    Queue(WriteQueue<dyn RequestEncoder>),
    /// A multiplexed connection: each call is encoded on its own (a fresh encoder, so its
    /// stream stands alone) and handed to the connection task, which gives it a stream.
    Streams {
        codec: Arc<dyn Codec>,
        limits: Limits,
        jobs: mpsc::UnboundedSender<Job>,
    },
}

impl Outbound {
    /// Queues a request.
    fn request(
        &self,
        header: &RequestHeader,
        args: &dyn erased_serde::Serialize,
    ) -> Result<(), PushError> {
        match self {
            Outbound::Queue(writer) => {
                writer.push(|encoder, buf| encoder.encode_request(header, args, buf))
            }
            Outbound::Streams {
                codec,
                limits,
                jobs,
            } => {
                let rpc_proto::ClientCodec {
                    mut encoder,
                    decoder,
                } = codec.client(limits);
                let mut request = BytesMut::new();
                encoder
                    .encode_request(header, args, &mut request)
                    .map_err(PushError::Encode)?;
                jobs.send(Job::Call {
                    seq: header.seq,
                    request: request.freeze(),
                    decoder,
                })
                .map_err(|_| PushError::Closed)
            }
        }
    }

    /// Tells the server that call `seq` is forgotten, where the link can say so.
    fn cancel(&self, seq: u64) {
        // A closed writer or a codec without cancellation: the server finds out on its own.
        match self {
            Outbound::Queue(writer) => {
                let _ = writer.push(|encoder, buf| encoder.encode_cancel(seq, buf));
            }
            Outbound::Streams { jobs, .. } => {
                let _ = jobs.send(Job::Cancel(seq));
            }
        }
    }

    /// Stops taking requests; what is queued is still written.
    pub(crate) fn close(&self) {
        match self {
            Outbound::Queue(writer) => writer.close(),
            // The connection task stops on `Shared::stop`.
            Outbound::Streams { .. } => {}
        }
    }
}

/// One connection's client state.
pub(crate) struct Shared {
    pub(crate) outbound: Outbound,
    pending: Mutex<Pending>,
    next_seq: AtomicU64,
    /// Tells the connection task to stop reading.
    pub(crate) stop: CancellationToken,
    /// Cancelled once the connection has ended and every pending call has failed.
    pub(crate) ended: CancellationToken,
    pub(crate) peer: Peer,
    /// The client's limit on calls waiting for a reply, if any.
    slots: Option<Arc<Semaphore>>,
}

/// A call whose request is queued; the pending table stays locked until a waiter is registered,
/// so its reply cannot be read before someone waits for it.
pub(crate) struct Started<'a> {
    pending: MutexGuard<'a, Pending>,
    pub(crate) seq: u64,
    slot: Option<OwnedSemaphorePermit>,
}

impl Started<'_> {
    pub(crate) fn register(mut self, waiter: Waiter) -> u64 {
        self.pending.insert(self.seq, waiter, self.slot);
        self.seq
    }
}

/// A place under the client's in-flight limit (nothing when there is no limit).
pub(crate) struct Slot(Option<OwnedSemaphorePermit>);

/// Serializes an unsized argument through a sized wrapper, so it can be erased.
struct Arg<'a, A: ?Sized>(&'a A);

impl<A: Serialize + ?Sized> Serialize for Arg<'_, A> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Shared {
    pub(crate) fn new(outbound: Outbound, peer: Peer, max_in_flight: Option<usize>) -> Self {
        Self {
            slots: max_in_flight.map(|n| Arc::new(Semaphore::new(n))),
            outbound,
            pending: Mutex::new(Pending::default()),
            next_seq: AtomicU64::new(0),
            stop: CancellationToken::new(),
            ended: CancellationToken::new(),
            peer,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a place under the in-flight limit.
    pub(crate) async fn slot(&self) -> Slot {
        match &self.slots {
            // The semaphore is never closed.
            Some(slots) => Slot(slots.clone().acquire_owned().await.ok()),
            None => Slot(None),
        }
    }

    /// A place under the in-flight limit now, or [`Error::TooManyPending`].
    pub(crate) fn try_slot(&self) -> Result<Slot, Error> {
        match &self.slots {
            Some(slots) => match slots.clone().try_acquire_owned() {
                Ok(permit) => Ok(Slot(Some(permit))),
                Err(_) => Err(Error::TooManyPending),
            },
            None => Ok(Slot(None)),
        }
    }

    /// Number of calls waiting for a reply.
    pub(crate) fn pending_len(&self) -> usize {
        self.lock().len()
    }

    /// Encodes and queues a request. Fails fast on a closed connection and when the arguments
    /// cannot be encoded (nothing is sent then).
    pub(crate) fn start<A: Serialize + ?Sized>(
        &self,
        method: &str,
        args: &A,
        timeout: Option<Duration>,
        slot: Slot,
    ) -> Result<Started<'_>, Error> {
        let pending = self.lock();
        if let Some(err) = pending.closed_error() {
            return Err(err);
        }
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let header = RequestHeader {
            service_method: method.to_owned(),
            seq,
            timeout,
            token: rpc_proto::Token::EMPTY,
        };
        let args = Arg(args);
        match self.outbound.request(&header, &args) {
            Ok(()) => Ok(Started {
                pending,
                seq,
                slot: slot.0,
            }),
            Err(PushError::Encode(err)) => Err(Error::Encode(err)),
            Err(PushError::Closed) => Err(pending.closed_error().unwrap_or(Error::Shutdown(None))),
        }
    }

    /// Hands a response to the call waiting for it; a response nobody waits for (unknown,
    /// duplicate, or late after a timeout or a dropped handle) is discarded.
    pub(crate) fn dispatch(&self, message: ClientInbound) {
        let ClientInbound { header, body } = message;
        let Some(waiter) = self.lock().remove(header.seq) else {
            tracing::debug!(seq = header.seq, "discarding response nobody waits for");
            return;
        };
        waiter.complete(match header.error {
            None => Ok(body),
            Some(message) => Err(Error::Server(message)),
        });
    }

    /// Stops waiting for call `seq` and, where the codec can say so, tells the server. Returns
    /// false when the call had already completed.
    pub(crate) fn forget(&self, seq: u64) -> bool {
        if self.lock().remove(seq).is_none() {
            return false;
        }
        self.outbound.cancel(seq);
        true
    }

    /// Fails call `seq` with a timeout, if it is still waiting.
    pub(crate) fn expire(&self, seq: u64) {
        let waiter = self.lock().remove(seq);
        if let Some(waiter) = waiter {
            self.outbound.cancel(seq);
            waiter.complete(Err(Error::DeadlineExceeded));
        }
    }

    /// Fails call `seq` alone (its stream of a multiplexed connection failed), if it is still
    /// waiting.
    pub(crate) fn fail_one(&self, seq: u64, cause: CodecError) {
        let waiter = self.lock().remove(seq);
        if let Some(waiter) = waiter {
            waiter.complete(Err(Error::Shutdown(Some(Arc::new(cause)))));
        }
    }

    /// Ends the connection: every waiting call fails at once with [`Error::Shutdown`], and so
    /// does every later call.
    pub(crate) fn fail_all(&self, cause: Option<Arc<CodecError>>) {
        let (cause, calls) = self.lock().close(cause);
        self.outbound.close();
        self.stop.cancel();
        for waiter in calls {
            waiter.complete(Err(Error::Shutdown(cause.clone())));
        }
    }
}
