//! The streams a TLS connection carries: [`CleanEnd`], which reads a
//! peer's leaving without `close_notify` as the end of the stream, and
//! [`ClientStream`], a dialed stream whose errors explain the server's
//! alerts.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::explain::explain;

/// A dialed TLS stream whose errors explain the server's alerts.
pub(super) struct ClientStream {
    inner: CleanEnd<tokio_rustls::client::TlsStream<TcpStream>>,
    host_port: String,
    sent_cert: bool,
}

impl ClientStream {
    pub(super) fn new(
        stream: tokio_rustls::client::TlsStream<TcpStream>,
        host_port: &str,
        sent_cert: bool,
    ) -> Self {
        Self {
            inner: CleanEnd::new(stream, host_port),
            host_port: host_port.to_owned(),
            sent_cert,
        }
    }

    fn map<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        poll.map(|result| {
            result.map_err(|err| match explain(&err, self.sent_cert) {
                Some(msg) => io::Error::new(err.kind(), format!("tls {}: {msg}", self.host_port)),
                None => err,
            })
        })
    }
}

impl AsyncRead for ClientStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.map(poll)
    }
}

impl AsyncWrite for ClientStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.map(poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.map(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.map(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.map(poll)
    }
}

/// A TLS stream that reads the peer's closing the connection without a
/// TLS `close_notify` as the end of the stream, logged at `debug`.
///
/// rustls reports such an end as an [`UnexpectedEof`](io::ErrorKind::UnexpectedEof)
/// error, because it could be a truncation for a protocol that ends its
/// last message by closing. Every netrpc codec frames its messages, so a
/// message cut short still fails (as the codec's own unexpected end of
/// message), and between messages such an end is an ordinary disconnect:
/// it is how a Go program that exits with a connection open (without
/// `Close`, which sends `close_notify`) leaves.
pub(super) struct CleanEnd<S> {
    inner: S,
    /// The peer, for the log.
    peer: String,
    /// Whether the unclean end has been logged.
    logged: bool,
}

impl<S> CleanEnd<S> {
    pub(super) fn new(inner: S, peer: &str) -> Self {
        Self {
            inner,
            peer: peer.to_owned(),
            logged: false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CleanEnd<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::UnexpectedEof => {
                if !self.logged {
                    self.logged = true;
                    tracing::debug!(
                        peer = %self.peer,
                        "tls: the peer closed the connection without close_notify; \
                         reading it as the end of the stream"
                    );
                }
                Poll::Ready(Ok(()))
            }
            poll => poll,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CleanEnd<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

// ---- listening ----
