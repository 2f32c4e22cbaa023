//! A write queue shared by every task of a connection.
//!
//! Callers (client tasks making calls, server handlers finishing them) encode their message
//! straight into one buffer under a short lock, in their own task, so encoding runs in parallel
//! with everything but other encodes and stateful codecs (gob's "type sent once per stream") see
//! messages in the order they reach the wire. One writer task swaps the buffer out and writes it,
//! so messages that pile up while a write is in progress go out in a single write.

use std::io;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use rpc_proto::CodecError;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

/// A buffer that grew past this is released after it is written instead of being kept.
const KEEP_CAPACITY: usize = 1024 * 1024;

/// Why a push failed.
#[derive(Debug)]
pub(crate) enum PushError {
    /// The connection's writer has stopped.
    Closed,
    /// The encoder rejected the message; nothing was queued.
    Encode(CodecError),
}

struct State<E: ?Sized> {
    buf: BytesMut,
    /// Messages in `buf`.
    messages: usize,
    closed: bool,
    encoder: Box<E>,
}

/// Encoder plus pending bytes, shared by all tasks of one connection.
pub(crate) struct WriteQueue<E: ?Sized> {
    state: Mutex<State<E>>,
    /// Wakes the writer when bytes are queued or the queue closes.
    wake: Notify,
    /// Wakes tasks waiting for room after each write.
    room: Notify,
}

impl<E: ?Sized> WriteQueue<E> {
    pub(crate) fn new(encoder: Box<E>) -> Self {
        Self {
            state: Mutex::new(State {
                buf: BytesMut::new(),
                messages: 0,
                closed: false,
                encoder,
            }),
            wake: Notify::new(),
            room: Notify::new(),
        }
    }

    /// Waits until fewer than `limit` bytes are queued (or the queue is closed), so a peer that
    /// does not read holds back the tasks that write to it instead of growing the buffer.
    pub(crate) async fn wait_for_room(&self, limit: usize) {
        let has_room = || {
            let state = self.lock();
            state.closed || state.buf.len() < limit
        };
        // The usual case costs one lock; a waiter is registered only when the queue is full.
        while !has_room() {
            let notified = self.room.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if has_room() {
                return;
            }
            notified.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<E>> {
        // A panic while holding this lock cannot leave the state inconsistent in a way that
        // matters more than losing the connection, so poisoning is ignored.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Encodes one message with `encode` and queues it. On an encoder error the buffer is
    /// restored, so a half-written message never reaches the wire.
    pub(crate) fn push<T>(
        &self,
        encode: impl FnOnce(&mut E, &mut BytesMut) -> Result<T, CodecError>,
    ) -> Result<T, PushError> {
        let mut state = self.lock();
        if state.closed {
            return Err(PushError::Closed);
        }
        let state = &mut *state;
        let mark = state.buf.len();
        match encode(&mut state.encoder, &mut state.buf) {
            Ok(value) => {
                let wrote = state.buf.len() > mark;
                if wrote {
                    state.messages += 1;
                    self.wake.notify_one();
                }
                Ok(value)
            }
            Err(err) => {
                state.buf.truncate(mark);
                Err(PushError::Encode(err))
            }
        }
    }

    /// Stops accepting messages; the writer flushes what is queued and returns.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_one();
        self.room.notify_waiters();
    }

    /// True once [`close`](Self::close) was called.
    #[cfg(test)]
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Writes queued bytes to `io` until the queue is closed and empty. On a write error, or a
    /// write that takes longer than `timeout`, the queue closes and the error is returned; queued
    /// bytes are dropped.
    pub(crate) async fn run<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        io: &mut W,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let mut spare = BytesMut::new();
        // Whether the last write carried more than one message: the connection is busy, so
        // once woken the writer lets the other ready tasks queue theirs first and they leave
        // together (one system call instead of one each). A connection with one message at a
        // time is written at once.
        let mut busy = false;
        loop {
            let out = {
                let mut state = self.lock();
                if state.buf.is_empty() {
                    if state.closed {
                        return Ok(());
                    }
                    None
                } else {
                    busy = state.messages > 1;
                    state.messages = 0;
                    Some(std::mem::replace(
                        &mut state.buf,
                        std::mem::take(&mut spare),
                    ))
                }
            };
            let Some(mut out) = out else {
                self.wake.notified().await;
                if busy {
                    tokio::task::yield_now().await;
                }
                continue;
            };
            let written = write_within(io, &out, timeout).await;
            if let Err(err) = written {
                let mut state = self.lock();
                state.closed = true;
                state.buf = BytesMut::new();
                state.messages = 0;
                drop(state);
                self.room.notify_waiters();
                return Err(err);
            }
            self.room.notify_waiters();
            out.clear();
            if out.capacity() <= KEEP_CAPACITY {
                spare = out;
            }
        }
    }
}

/// Writes and flushes `bytes`, failing with [`TimedOut`](io::ErrorKind::TimedOut) when that
/// takes longer than `timeout` (a peer that does not read).
pub(crate) async fn write_within<W: AsyncWrite + Unpin + ?Sized>(
    io: &mut W,
    bytes: &[u8],
    timeout: Option<Duration>,
) -> io::Result<()> {
    let write = async {
        io.write_all(bytes).await?;
        io.flush().await
    };
    match timeout {
        None => write.await,
        Some(limit) => tokio::time::timeout(limit, write)
            .await
            .unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("write did not finish within {limit:?}; the peer is not reading"),
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use bytes::BufMut;

    use super::*;

    /// An encoder that appends its input, or fails on "bad" after writing half of it.
    struct Echo;

    fn push(q: &WriteQueue<Echo>, msg: &'static [u8]) -> Result<(), PushError> {
        q.push(|_, buf| {
            buf.put_slice(msg);
            if msg == b"bad" {
                Err(CodecError::Encode("bad".into()))
            } else {
                Ok(())
            }
        })
    }

    #[tokio::test]
    async fn messages_are_written_in_order_and_failed_encodes_leave_nothing() {
        let q = WriteQueue::new(Box::new(Echo));
        push(&q, b"one,").unwrap();
        assert!(matches!(push(&q, b"bad"), Err(PushError::Encode(_))));
        push(&q, b"two").unwrap();
        q.close();
        assert!(matches!(push(&q, b"late"), Err(PushError::Closed)));
        let mut out = Vec::new();
        q.run(&mut out, None).await.unwrap();
        assert_eq!(out, b"one,two");
    }

    #[tokio::test]
    async fn writer_waits_for_messages_pushed_later() {
        let q = std::sync::Arc::new(WriteQueue::new(Box::new(Echo)));
        let (mut near, mut far) = tokio::io::duplex(64);
        let writer = {
            let q = q.clone();
            tokio::spawn(async move { q.run(&mut near, None).await })
        };
        push(&q, b"hello").unwrap();
        let mut got = [0u8; 5];
        tokio::io::AsyncReadExt::read_exact(&mut far, &mut got)
            .await
            .unwrap();
        assert_eq!(&got, b"hello");
        q.close();
        writer.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn write_error_closes_the_queue() {
        let q = WriteQueue::new(Box::new(Echo));
        let (mut near, far) = tokio::io::duplex(64);
        drop(far);
        push(&q, b"lost").unwrap();
        assert!(q.run(&mut near, None).await.is_err());
        assert!(q.is_closed());
    }
}
