//! State shared by a client's handles, its calls and its connection task.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rpc_proto::{ClientInbound, CodecError, RequestEncoder, RequestHeader};
use rpc_transport::Peer;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::pending::{Pending, Waiter};
use crate::Error;
use crate::io::{PushError, WriteQueue};

/// One connection's client state.
pub(crate) struct Shared {
    pub(crate) writer: WriteQueue<dyn RequestEncoder>,
    pending: Mutex<Pending>,
    next_seq: AtomicU64,
    /// Tells the connection task to stop reading.
    pub(crate) stop: CancellationToken,
    /// Cancelled once the connection has ended and every pending call has failed.
    pub(crate) ended: CancellationToken,
    pub(crate) peer: Peer,
}

/// A call whose request is queued; the pending table stays locked until a waiter is registered,
/// so its reply cannot be read before someone waits for it.
pub(crate) struct Started<'a> {
    pending: MutexGuard<'a, Pending>,
    pub(crate) seq: u64,
}

impl Started<'_> {
    pub(crate) fn register(mut self, waiter: Waiter) -> u64 {
        self.pending.insert(self.seq, waiter);
        self.seq
    }
}

/// Serializes an unsized argument through a sized wrapper, so it can be erased.
struct Arg<'a, A: ?Sized>(&'a A);

impl<A: Serialize + ?Sized> Serialize for Arg<'_, A> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Shared {
    pub(crate) fn new(encoder: Box<dyn RequestEncoder>, peer: Peer) -> Self {
        Self {
            writer: WriteQueue::new(encoder),
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
        };
        let args = Arg(args);
        match self
            .writer
            .push(|encoder, buf| encoder.encode_request(&header, &args, buf))
        {
            Ok(()) => Ok(Started { pending, seq }),
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
        // A closed writer or a codec without cancellation: the server finds out on its own.
        let _ = self
            .writer
            .push(|encoder, buf| encoder.encode_cancel(seq, buf));
        true
    }

    /// Fails call `seq` with a timeout, if it is still waiting.
    pub(crate) fn expire(&self, seq: u64) {
        let waiter = self.lock().remove(seq);
        if let Some(waiter) = waiter {
            let _ = self
                .writer
                .push(|encoder, buf| encoder.encode_cancel(seq, buf));
            waiter.complete(Err(Error::DeadlineExceeded));
        }
    }

    /// Ends the connection: every waiting call fails at once with [`Error::Shutdown`], and so
    /// does every later call.
    pub(crate) fn fail_all(&self, cause: Option<Arc<CodecError>>) {
        let (cause, calls) = self.lock().close(cause);
        self.writer.close();
        self.stop.cancel();
        for waiter in calls.into_values() {
            waiter.complete(Err(Error::Shutdown(cause.clone())));
        }
    }
}
