//! Handles for calls in flight: [`Call`] (Go's `*Call`) and the [`Completed`] call it resolves to.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use serde::de::DeserializeOwned;
use tokio::sync::oneshot;
use tokio::time::Sleep;

use super::Handle;
use super::pending::Outcome;
use crate::Error;

/// A finished call: what was asked and how it ended, like Go's `*Call` after `<-call.Done`.
#[derive(Debug)]
pub struct Completed<A, R> {
    /// `"Service.Method"`.
    pub service_method: String,
    /// The arguments the call was made with.
    pub args: A,
    /// The reply, or why there is none.
    pub reply: Result<R, Error>,
}

impl<A, R> Completed<A, R> {
    /// The reply, dropping the rest.
    pub fn into_result(self) -> Result<R, Error> {
        self.reply
    }
}

/// Waits for one call's reply body, forgetting the call (and cancelling it on the server where
/// the codec can) if dropped first or if its timeout passes.
pub(crate) struct ReplyWait {
    rx: oneshot::Receiver<Outcome>,
    deadline: Option<Pin<Box<Sleep>>>,
    conn: Arc<Handle>,
    seq: u64,
    done: bool,
}

impl ReplyWait {
    pub(crate) fn new(
        rx: oneshot::Receiver<Outcome>,
        deadline: Option<Pin<Box<Sleep>>>,
        conn: Arc<Handle>,
        seq: u64,
    ) -> Self {
        Self {
            rx,
            deadline,
            conn,
            seq,
            done: false,
        }
    }
}

impl Future for ReplyWait {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let this = &mut *self;
        if let Poll::Ready(outcome) = Pin::new(&mut this.rx).poll(cx) {
            this.done = true;
            return Poll::Ready(outcome.unwrap_or(Err(Error::Shutdown(None))));
        }
        if let Some(deadline) = this.deadline.as_mut() {
            ready!(deadline.as_mut().poll(cx));
            this.done = true;
            if this.conn.shared.forget(this.seq) {
                return Poll::Ready(Err(Error::DeadlineExceeded));
            }
            // The outcome was delivered while the timer fired: it is in the channel.
            return Poll::Ready(this.rx.try_recv().unwrap_or(Err(Error::DeadlineExceeded)));
        }
        Poll::Pending
    }
}

impl Drop for ReplyWait {
    fn drop(&mut self) {
        if !self.done {
            self.conn.shared.forget(self.seq);
        }
    }
}

/// An asynchronous call in flight, made with [`Client::go`](crate::Client::go).
///
/// The request is sent when the `Call` is created; awaiting it yields the [`Completed`] call.
/// Dropping it before completion frees its slot and, on netrpc's own framings, cancels the
/// handler on the server; a reply arriving later is discarded.
pub struct Call<A, R> {
    service_method: String,
    args: Option<A>,
    state: State,
    _reply: PhantomData<fn() -> R>,
}

enum State {
    Waiting(ReplyWait),
    Failed(Option<Error>),
}

// `Call` never pins its fields: `args` is only moved out by value and `ReplyWait` is `Unpin`.
impl<A, R> Unpin for Call<A, R> {}

impl<A, R> Call<A, R> {
    pub(crate) fn waiting(service_method: String, args: A, wait: ReplyWait) -> Self {
        Self {
            service_method,
            args: Some(args),
            state: State::Waiting(wait),
            _reply: PhantomData,
        }
    }

    pub(crate) fn failed(service_method: String, args: A, error: Error) -> Self {
        Self {
            service_method,
            args: Some(args),
            state: State::Failed(Some(error)),
            _reply: PhantomData,
        }
    }

    /// `"Service.Method"`.
    pub fn service_method(&self) -> &str {
        &self.service_method
    }

    /// The arguments, until the call completes.
    pub fn args(&self) -> Option<&A> {
        self.args.as_ref()
    }
}

impl<A, R: DeserializeOwned> Future for Call<A, R> {
    type Output = Completed<A, R>;

    /// # Panics
    /// When polled again after it completed.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Completed<A, R>> {
        let this = &mut *self;
        let reply = match &mut this.state {
            State::Failed(error) => Err(error.take().unwrap_or(Error::Shutdown(None))),
            State::Waiting(wait) => ready!(Pin::new(wait).poll(cx))
                .and_then(|body| body.decode::<R>().map_err(Error::Decode)),
        };
        let Some(args) = this.args.take() else {
            panic!("netrpc::Call polled after it completed");
        };
        this.state = State::Failed(None);
        Poll::Ready(Completed {
            service_method: std::mem::take(&mut this.service_method),
            args,
            reply,
        })
    }
}

impl<A: fmt::Debug, R> fmt::Debug for Call<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("service_method", &self.service_method)
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}
