//! [`Session`]: the handle to a yamux session run by a tokio task.

use std::future::poll_fn;
use std::io;
use std::sync::Arc;
use std::task::Poll;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::{Config, Mode};
use crate::driver::{self, Shared};
use crate::proto::Core;
use crate::stream::Stream;

/// Closes the session when the last handle (session or stream) is dropped.
pub(crate) struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        inner.core.close();
        inner.dispatch();
    }
}

/// A yamux session over one connection: opens and accepts [`Stream`]s.
///
/// Cloning gives another handle to the same session. The session ends when [`close`](Self::close)
/// is called, when the last handle (sessions and streams) is dropped, when the peer closes the
/// connection, or on an error (a protocol error, a keepalive or write timeout, a failed read or
/// write); [`closed`](Self::closed) says why.
#[derive(Clone)]
pub struct Session {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.handle.shared.lock();
        f.debug_struct("Session")
            .field("streams", &inner.core.stream_count())
            .field("closed", &inner.core.close_reason())
            .finish()
    }
}

impl Session {
    /// Starts a session over `io` as `mode`, spawning its driver on the current tokio runtime
    /// (panics outside one, as [`tokio::spawn`] does). An invalid `config` gives a session that
    /// has already ended with the [`ConfigError`](crate::ConfigError).
    pub fn new<T>(io: T, mode: Mode, config: Config) -> Session
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let shared = Shared::new(Core::new(mode, config, driver::now()));
        tokio::spawn(driver::run(io, shared.clone()));
        Session {
            handle: Arc::new(Handle { shared }),
        }
    }

    /// Opens a stream: its SYN is sent at once (so the peer accepts streams in the order they
    /// were opened), and data can be written before the peer's ACK. Waits while this side has
    /// [`Config::max_streams`] streams open. Fails once the session has ended, or after the
    /// peer's GoAway ([`ConnectionRefused`](io::ErrorKind::ConnectionRefused)).
    pub async fn open(&self) -> io::Result<Stream> {
        let shared = &self.handle.shared;
        let id = poll_fn(|cx| {
            let mut inner = shared.lock();
            match inner.core.open(driver::now()) {
                Ok(Some(id)) => {
                    inner.wake_driver();
                    Poll::Ready(Ok(id))
                }
                Ok(None) => {
                    inner.wakers.open(cx);
                    Poll::Pending
                }
                Err(err) => Poll::Ready(Err(io::Error::from(err))),
            }
        })
        .await?;
        Ok(Stream::new(self.handle.clone(), id))
    }

    /// The next stream the peer opened (acknowledged now). `Ok(None)` once the session ended
    /// cleanly (closed by either side between frames); the error once it ended otherwise.
    pub async fn accept(&self) -> io::Result<Option<Stream>> {
        let shared = &self.handle.shared;
        let id = poll_fn(|cx| {
            let mut inner = shared.lock();
            match inner.core.accept() {
                Ok(Some(id)) => {
                    inner.wake_driver();
                    Poll::Ready(Ok(Some(id)))
                }
                Ok(None) => {
                    inner.wakers.accept(cx);
                    Poll::Pending
                }
                Err(err) if err.is_clean() => Poll::Ready(Ok(None)),
                Err(err) => Poll::Ready(Err(io::Error::from(err))),
            }
        })
        .await?;
        Ok(id.map(|id| Stream::new(self.handle.clone(), id)))
    }

    /// Resolves when the session has ended, with why (the typed
    /// [`SessionError`](crate::SessionError) inside).
    pub async fn closed(&self) -> io::Error {
        let shared = &self.handle.shared;
        poll_fn(|cx| {
            let mut inner = shared.lock();
            match inner.core.close_reason() {
                Some(reason) => Poll::Ready(io::Error::from(reason.clone())),
                None => {
                    inner.wakers.closed(cx);
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.handle.shared.lock().core.close_reason().is_some()
    }

    /// Ends the session at once: every stream fails (data already received stays readable),
    /// and the connection is shut down once what was queued is written. As Go's
    /// `Session.Close`, no GoAway is sent.
    pub fn close(&self) {
        let mut inner = self.handle.shared.lock();
        inner.core.close();
        inner.dispatch();
    }

    /// Sends GoAway (normal): the peer may open no more streams (those it tries are refused
    /// with RST); streams already open go on, and this side may still open streams.
    pub fn go_away(&self) {
        let mut inner = self.handle.shared.lock();
        inner.core.go_away();
        inner.dispatch();
    }
}
