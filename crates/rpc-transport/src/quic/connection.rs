//! A QUIC connection as a [`Multiplexed`] link ([`QuicConnection`]) and
//! its streams ([`QuicStream`]): stream limits, resets of abandoned
//! streams, and errors that say why the connection ended.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use quinn::{ConnectionError, VarInt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{ABANDONED, MAX_OPEN_STREAMS, connection_error};
use crate::{BoxFuture, BoxStream, Multiplexed};

/// A QUIC connection as a [`Multiplexed`] link.
pub(super) struct QuicConnection {
    conn: quinn::Connection,
    idle: Duration,
    /// Places for streams this side opens ([`MAX_OPEN_STREAMS`]).
    open_slots: Arc<Semaphore>,
    /// The dialing side's own endpoint (its UDP socket), kept as long as the
    /// connection.
    _endpoint: Option<quinn::Endpoint>,
}

impl QuicConnection {
    pub(super) fn new(
        conn: quinn::Connection,
        idle: Duration,
        endpoint: Option<quinn::Endpoint>,
    ) -> Self {
        Self {
            conn,
            idle,
            open_slots: Arc::new(Semaphore::new(MAX_OPEN_STREAMS as usize)),
            _endpoint: endpoint,
        }
    }

    fn stream(
        &self,
        (send, recv): (quinn::SendStream, quinn::RecvStream),
        slot: Option<OwnedSemaphorePermit>,
    ) -> BoxStream {
        Box::new(QuicStream {
            send,
            recv,
            conn: self.conn.clone(),
            idle: self.idle,
            _slot: slot,
            shut_down: false,
            acknowledged: None,
        })
    }

    /// The connection's own error when a stream failed because the
    /// connection did.
    fn explain(&self, err: ConnectionError) -> io::Error {
        connection_error(&self.conn.close_reason().unwrap_or(err), self.idle)
    }
}

impl Multiplexed for QuicConnection {
    fn open(&self) -> BoxFuture<'_, io::Result<BoxStream>> {
        Box::pin(async move {
            // The semaphore is never closed.
            let slot = self.open_slots.clone().acquire_owned().await.ok();
            match self.conn.open_bi().await {
                Ok(pair) => Ok(self.stream(pair, slot)),
                Err(err) => Err(self.explain(err)),
            }
        })
    }

    fn accept(&self) -> BoxFuture<'_, io::Result<Option<BoxStream>>> {
        Box::pin(async move {
            match self.conn.accept_bi().await {
                Ok(pair) => Ok(Some(self.stream(pair, None))),
                Err(ConnectionError::ApplicationClosed(_) | ConnectionError::LocallyClosed) => {
                    Ok(None)
                }
                Err(err) => Err(self.explain(err)),
            }
        })
    }

    fn closed(&self) -> BoxFuture<'_, io::Error> {
        Box::pin(async move { connection_error(&self.conn.closed().await, self.idle) })
    }

    fn close(&self) {
        self.conn.close(VarInt::from_u32(ABANDONED), b"closed");
    }
}

/// One bidirectional QUIC stream. Dropped before its write half was shut
/// down, it is reset (the peer's reads fail) instead of finished.
struct QuicStream {
    send: quinn::SendStream,
    recv: quinn::RecvStream,
    conn: quinn::Connection,
    idle: Duration,
    /// This side's place for a stream it opened, given back when the stream is dropped.
    _slot: Option<OwnedSemaphorePermit>,
    shut_down: bool,
    /// Once finished: resolves when the peer has acknowledged everything sent.
    acknowledged: Option<Pin<Box<dyn Future<Output = ()> + Send + Sync>>>,
}

impl QuicStream {
    /// Replaces "connection lost" with why the connection was lost.
    fn map<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::NotConnected => {
                Poll::Ready(Err(match self.conn.close_reason() {
                    Some(reason) => connection_error(&reason, self.idle),
                    None => err,
                }))
            }
            other => other,
        }
    }
}

impl AsyncRead for QuicStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.recv).poll_read(cx, buf);
        self.map(poll)
    }
}

impl AsyncWrite for QuicStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = AsyncWrite::poll_write(Pin::new(&mut self.send), cx, buf);
        self.map(poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = AsyncWrite::poll_flush(Pin::new(&mut self.send), cx);
        self.map(poll)
    }

    /// Finishes the stream, then waits until the peer has acknowledged all of it (as a TCP
    /// shutdown flushes), so that closing the connection afterwards loses nothing.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.acknowledged.is_none() {
            let poll = AsyncWrite::poll_shutdown(Pin::new(&mut self.send), cx);
            match self.map(poll) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
            self.shut_down = true;
            let stopped = self.send.stopped();
            self.acknowledged = Some(Box::pin(async move {
                // Stopped by the peer or the connection gone: nothing more to wait for.
                let _ = stopped.await;
            }));
        }
        match &mut self.acknowledged {
            Some(acknowledged) => acknowledged.as_mut().poll(cx).map(Ok),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl Drop for QuicStream {
    fn drop(&mut self) {
        if !self.shut_down {
            // Abandoned: tell the peer, rather than letting quinn finish the
            // stream as if it were complete. (The receive side is stopped
            // by quinn when dropped unread.)
            let _ = self.send.reset(VarInt::from_u32(ABANDONED));
        }
    }
}
