//! The table of calls waiting for their reply, and what happens when the connection ends.

use std::collections::HashMap;
use std::sync::Arc;

use rpc_proto::{Body, CodecError};
use tokio::sync::{OwnedSemaphorePermit, oneshot};

use crate::Error;

/// The outcome the connection hands to a waiting call: the reply's still-encoded body, or why
/// there is none.
pub(crate) type Outcome = Result<Body, Error>;

/// Who is waiting for a call's outcome.
pub(crate) enum Waiter {
    /// A [`Call`](crate::Call) handle or [`Client::call`](crate::Client::call).
    Reply(oneshot::Sender<Outcome>),
    /// A call made with [`Client::go_with`](crate::Client::go_with): decodes and delivers to the
    /// done channel through a slot reserved when the call was made.
    Callback(Box<dyn FnOnce(Outcome) + Send>),
}

impl Waiter {
    pub(crate) fn complete(self, outcome: Outcome) {
        match self {
            // The receiver is gone only if its handle was dropped, which forgets the call first;
            // losing the race is harmless.
            Waiter::Reply(tx) => drop(tx.send(outcome)),
            Waiter::Callback(deliver) => deliver(outcome),
        }
    }
}

/// Calls in flight on one connection, and whether the connection has ended.
#[derive(Default)]
pub(crate) struct Pending {
    /// Each call's waiter, and its place under the client's in-flight limit (freed with it).
    calls: HashMap<u64, (Waiter, Option<OwnedSemaphorePermit>)>,
    /// `Some` once the connection ended, with the cause if it was an error.
    closed: Option<Option<Arc<CodecError>>>,
}

impl Pending {
    /// The error for a call made on a closed connection, if it is closed.
    pub(crate) fn closed_error(&self) -> Option<Error> {
        self.closed
            .as_ref()
            .map(|cause| Error::Shutdown(cause.clone()))
    }

    pub(crate) fn insert(&mut self, seq: u64, waiter: Waiter, slot: Option<OwnedSemaphorePermit>) {
        self.calls.insert(seq, (waiter, slot));
    }

    pub(crate) fn remove(&mut self, seq: u64) -> Option<Waiter> {
        self.calls.remove(&seq).map(|(waiter, _slot)| waiter)
    }

    pub(crate) fn len(&self) -> usize {
        self.calls.len()
    }

    /// Marks the connection ended (keeping the first cause) and hands back every waiting call,
    /// to be failed outside the lock.
    pub(crate) fn close(
        &mut self,
        cause: Option<Arc<CodecError>>,
    ) -> (Option<Arc<CodecError>>, Vec<Waiter>) {
        let cause = self.closed.get_or_insert(cause).clone();
        let calls = std::mem::take(&mut self.calls);
        (
            cause,
            calls.into_values().map(|(waiter, _slot)| waiter).collect(),
        )
    }
}
