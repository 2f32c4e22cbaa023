//! [`Stream`]: one yamux stream as a tokio byte stream.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::driver;
use crate::session::Handle;

/// One stream of a [`Session`](crate::Session): ordered, reliable bytes both ways, with its own
/// flow control (a stream whose reader stalls holds up no other).
///
/// - Reads return the peer's data, then end (`Ok(0)`) after its FIN; they fail with
///   [`ConnectionReset`](io::ErrorKind::ConnectionReset) once the stream is reset (data not
///   read yet is dropped, as in Go), and with the session's error if it ended first.
/// - Writes wait for send window; each is one Data frame of at most
///   [`Config::max_frame`](crate::Config::max_frame) bytes.
/// - [`shutdown`](tokio::io::AsyncWriteExt::shutdown) sends FIN and waits until it is written to
///   the connection; the stream can still read.
/// - Dropped without shutdown, the stream is reset (RST): the peer's reads and writes fail, so
///   it can stop the work the stream was for. Dropped after shutdown, the stream lingers until
///   the peer's FIN, discarding what it sends, for at most
///   [`Config::close_timeout`](crate::Config::close_timeout).
pub struct Stream {
    handle: Arc<Handle>,
    id: u32,
}

impl Stream {
    pub(crate) fn new(handle: Arc<Handle>, id: u32) -> Stream {
        Stream { handle, id }
    }

    /// The stream id (odd when the client opened it, even for the server).
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").field("id", &self.id).finish()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut inner = self.handle.shared.lock();
        match inner.core.read(self.id, buf.initialize_unfilled()) {
            Ok(Some(n)) => {
                buf.advance(n);
                if inner.core.has_output() {
                    // A window update.
                    inner.wake_driver();
                }
                Poll::Ready(Ok(()))
            }
            Ok(None) => {
                inner.wakers.read(self.id, cx);
                Poll::Pending
            }
            Err(err) => Poll::Ready(Err(err.into())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut inner = self.handle.shared.lock();
        match inner.core.write(self.id, buf) {
            Ok(Some(n)) => {
                inner.wake_driver();
                Poll::Ready(Ok(n))
            }
            Ok(None) => {
                inner.wakers.write(self.id, cx);
                Poll::Pending
            }
            Err(err) => Poll::Ready(Err(err.into())),
        }
    }

    /// Written data is the session's to send: nothing to wait for.
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut inner = self.handle.shared.lock();
        match inner.core.finish(driver::now(), self.id) {
            Ok(true) => Poll::Ready(Ok(())),
            Ok(false) => {
                inner.wakers.write(self.id, cx);
                inner.wake_driver();
                Poll::Pending
            }
            Err(err) => Poll::Ready(Err(err.into())),
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let mut inner = self.handle.shared.lock();
        inner.core.detach(self.id);
        inner.wakers.forget(self.id);
        inner.dispatch();
    }
}
