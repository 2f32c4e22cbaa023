//! The tokio driver: one task per session that owns the connection, feeds what it reads to the
//! [`Core`], writes what the core queues, runs its timers, and wakes the tasks waiting on
//! streams.
//!
//! The core sits in a mutex shared with the [`Session`](crate::Session) and
//! [`Stream`](crate::Stream) handles, which call it directly (a read copies out of the stream's
//! buffer, a write copies into the send queue) and wake the driver when they queued something.
//! The lock is never held across an await, nor while the connection is polled for reading.
//!
//! The driver reads whenever the core [wants input](Core::wants_input), whatever any stream's
//! reader does, so one slow stream never holds up the others. It ends when the session does:
//! it first writes what was queued (a GoAway after a protocol error, FINs), unless the
//! connection failed, giving up after the write timeout, then shuts the connection down.

use std::collections::HashMap;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::error::SessionError;
use crate::proto::{Core, Event};

/// How many bytes one read takes from the connection: from the smallest, doubling while reads
/// fill the buffer, back to the smallest when the connection goes quiet (an idle session keeps
/// little memory).
const READ_MIN: usize = 8 * 1024;
const READ_MAX: usize = 64 * 1024;

/// A send buffer larger than this is freed once written (the core's and the driver's swap).
const KEEP_WRITE_CAPACITY: usize = 64 * 1024;

/// How many turns the driver takes before it lets other tasks run.
const TURNS: usize = 32;

/// The current time, from tokio's clock (so that tests can pause and advance it).
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// The state shared by the driver and the handles.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
}

impl Shared {
    pub(crate) fn new(core: Core) -> Arc<Shared> {
        Arc::new(Shared {
            inner: Mutex::new(Inner {
                core,
                wakers: Wakers::default(),
            }),
        })
    }

    /// The core and the wakers. A panic while the lock was held cannot leave the core worse
    /// than the panic did, so a poisoned lock is taken as is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The core and who waits on it.
pub(crate) struct Inner {
    pub(crate) core: Core,
    pub(crate) wakers: Wakers,
}

/// Tasks waiting for something of the session.
#[derive(Default)]
pub(crate) struct Wakers {
    driver: Option<Waker>,
    read: HashMap<u32, Waker>,
    write: HashMap<u32, Waker>,
    accept: Vec<Waker>,
    open: Vec<Waker>,
    closed: Vec<Waker>,
}

impl Wakers {
    pub(crate) fn read(&mut self, id: u32, cx: &Context<'_>) {
        self.read.insert(id, cx.waker().clone());
    }

    pub(crate) fn write(&mut self, id: u32, cx: &Context<'_>) {
        self.write.insert(id, cx.waker().clone());
    }

    pub(crate) fn accept(&mut self, cx: &Context<'_>) {
        add(&mut self.accept, cx);
    }

    pub(crate) fn open(&mut self, cx: &Context<'_>) {
        add(&mut self.open, cx);
    }

    pub(crate) fn closed(&mut self, cx: &Context<'_>) {
        add(&mut self.closed, cx);
    }

    pub(crate) fn forget(&mut self, id: u32) {
        self.read.remove(&id);
        self.write.remove(&id);
    }

    fn wake_all(&mut self) {
        for waker in self.read.drain().chain(self.write.drain()).map(|(_, w)| w) {
            waker.wake();
        }
        for waker in self
            .accept
            .drain(..)
            .chain(self.open.drain(..))
            .chain(self.closed.drain(..))
        {
            waker.wake();
        }
    }
}

fn add(wakers: &mut Vec<Waker>, cx: &Context<'_>) {
    if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
        wakers.push(cx.waker().clone());
    }
}

impl Inner {
    /// Passes the core's events on to the tasks waiting for them, and wakes the driver when
    /// there is something to send (or the session ended).
    pub(crate) fn dispatch(&mut self) {
        let mut closed = false;
        while let Some(event) = self.core.poll_event() {
            match event {
                Event::Readable(id) => {
                    if let Some(w) = self.wakers.read.remove(&id) {
                        w.wake();
                    }
                }
                Event::Writable(id) => {
                    if let Some(w) = self.wakers.write.remove(&id) {
                        w.wake();
                    }
                }
                Event::Incoming => self.wakers.accept.drain(..).for_each(Waker::wake),
                Event::OpenReady => self.wakers.open.drain(..).for_each(Waker::wake),
                Event::Closed => closed = true,
            }
        }
        if closed {
            self.wakers.wake_all();
        }
        if closed || self.core.has_output() {
            self.wake_driver();
        }
    }

    pub(crate) fn wake_driver(&mut self) {
        if let Some(w) = self.wakers.driver.take() {
            w.wake();
        }
    }
}

/// Runs a session over `io` until it ends.
pub(crate) async fn run<T>(io: T, shared: Arc<Shared>)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let write_timeout = shared.lock().core.config().write_timeout;
    let mut driver = Driver {
        io,
        shared,
        read_buf: vec![0u8; READ_MIN].into_boxed_slice(),
        last_read: 0,
        write_buf: Vec::new(),
        write_pos: 0,
        timer: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
        timer_at: None,
        stall: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
        stalled: false,
        write_timeout,
        need_flush: false,
        read_done: false,
        write_failed: false,
        shut_down: false,
    };
    poll_fn(|cx| driver.poll(cx)).await;
    let mut inner = driver.shared.lock();
    // Whatever the reason, nothing is left to drive.
    inner.core.close();
    inner.dispatch();
    inner.wakers.wake_all();
}

struct Driver<T> {
    io: T,
    shared: Arc<Shared>,
    read_buf: Box<[u8]>,
    /// How much the last read got.
    last_read: usize,
    write_buf: Vec<u8>,
    write_pos: usize,
    timer: Pin<Box<Sleep>>,
    timer_at: Option<Instant>,
    /// Armed while the connection takes no bytes: the write timeout.
    stall: Pin<Box<Sleep>>,
    stalled: bool,
    write_timeout: std::time::Duration,
    need_flush: bool,
    read_done: bool,
    write_failed: bool,
    shut_down: bool,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Driver<T> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.shared.lock().wakers.driver = Some(cx.waker().clone());
        for _ in 0..TURNS {
            let mut progress = self.poll_read(cx);
            progress |= self.poll_timer(cx);
            progress |= self.poll_write(cx);
            let ended = {
                let mut inner = self.shared.lock();
                inner.dispatch();
                inner.core.close_reason().cloned()
            };
            if let Some(reason) = ended
                && let Poll::Ready(()) = self.poll_end(cx, &reason)
            {
                return Poll::Ready(());
            }
            if !progress {
                return Poll::Pending;
            }
        }
        // Let other tasks run; come back at once.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        if self.read_done || !self.shared.lock().core.wants_input() {
            return false;
        }
        let mut buf = ReadBuf::new(&mut self.read_buf);
        match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
            Poll::Pending => {
                if self.read_buf.len() > READ_MIN && self.last_read < self.read_buf.len() / 2 {
                    self.read_buf = vec![0u8; READ_MIN].into_boxed_slice();
                }
                false
            }
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len();
                self.last_read = n;
                let mut inner = self.shared.lock();
                if n == 0 {
                    self.read_done = true;
                    inner.core.handle_eof();
                } else {
                    inner.core.handle_input(now(), buf.filled());
                }
                drop(inner);
                if n == self.read_buf.len() && n < READ_MAX {
                    self.read_buf = vec![0u8; n * 2].into_boxed_slice();
                }
                true
            }
            Poll::Ready(Err(err)) => {
                self.read_done = true;
                self.shared.lock().core.handle_io_error(&err);
                true
            }
        }
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(at) = self.shared.lock().core.poll_timeout() else {
            self.timer_at = None;
            return false;
        };
        if self.timer_at != Some(at) {
            self.timer_at = Some(at);
            self.timer.as_mut().reset(at.into());
        }
        if self.timer.as_mut().poll(cx).is_pending() {
            return false;
        }
        self.timer_at = None;
        self.shared.lock().core.handle_timeout(now());
        true
    }

    /// Writes what the core queued; returns whether anything moved.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> bool {
        if self.write_failed {
            return false;
        }
        let mut progress = false;
        loop {
            if self.write_pos == self.write_buf.len() {
                if self.write_buf.capacity() > KEEP_WRITE_CAPACITY {
                    self.write_buf = Vec::new();
                }
                self.write_buf.clear();
                self.write_pos = 0;
                self.shared.lock().core.take_output(&mut self.write_buf);
                if self.write_buf.is_empty() {
                    break;
                }
            }
            match Pin::new(&mut self.io).poll_write(cx, &self.write_buf[self.write_pos..]) {
                Poll::Ready(Ok(0)) => {
                    self.fail(&io::Error::from(io::ErrorKind::WriteZero));
                    return true;
                }
                Poll::Ready(Ok(n)) => {
                    let n = n.min(self.write_buf.len() - self.write_pos);
                    self.write_pos += n;
                    self.need_flush = true;
                    self.stalled = false;
                    self.shared.lock().core.on_written(n);
                    progress = true;
                }
                Poll::Ready(Err(err)) => {
                    self.fail(&err);
                    return true;
                }
                Poll::Pending => return self.check_stall(cx) || progress,
            }
        }
        if self.need_flush {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => {
                    self.need_flush = false;
                    self.stalled = false;
                }
                Poll::Ready(Err(err)) => {
                    self.fail(&err);
                    return true;
                }
                Poll::Pending => return self.check_stall(cx) || progress,
            }
        }
        progress
    }

    /// The connection takes no bytes: arms the write timeout, or ends the session when it
    /// passed. Returns whether it ended it.
    fn check_stall(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.stalled {
            self.stalled = true;
            let now = tokio::time::Instant::now();
            // A timeout too far to be represented: a year is as good as never.
            let at = now
                .checked_add(self.write_timeout)
                .unwrap_or_else(|| now + std::time::Duration::from_secs(365 * 24 * 3600));
            self.stall.as_mut().reset(at);
        }
        if self.stall.as_mut().poll(cx).is_ready() {
            self.write_failed = true;
            self.shared.lock().core.handle_write_timeout();
            return true;
        }
        false
    }

    fn fail(&mut self, err: &io::Error) {
        self.write_failed = true;
        self.shared.lock().core.handle_io_error(err);
    }

    /// The session ended: writes what is left (unless the connection failed) and shuts the
    /// connection down. Ready when done.
    fn poll_end(&mut self, cx: &mut Context<'_>, reason: &SessionError) -> Poll<()> {
        let broken = matches!(
            reason,
            SessionError::Io { .. } | SessionError::WriteTimeout(_)
        );
        if broken || self.write_failed {
            return Poll::Ready(());
        }
        let idle = self.write_pos == self.write_buf.len()
            && !self.shared.lock().core.has_output()
            && !self.need_flush;
        if !idle {
            // poll_write keeps going on the next turn; a stall ends it.
            return Poll::Pending;
        }
        if !self.shut_down {
            match Pin::new(&mut self.io).poll_shutdown(cx) {
                Poll::Pending => {
                    if self.check_stall(cx) {
                        return Poll::Ready(());
                    }
                    return Poll::Pending;
                }
                Poll::Ready(_) => self.shut_down = true,
            }
        }
        Poll::Ready(())
    }
}
