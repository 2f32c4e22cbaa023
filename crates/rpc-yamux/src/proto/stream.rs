//! One stream's protocol state: who opened it, how far each direction has closed, its receive
//! buffer and both windows.

use std::collections::VecDeque;
use std::time::Instant;

use crate::config::INITIAL_WINDOW;

/// Receive buffers larger than this are freed once read empty (an idle stream keeps little).
const KEEP_CAPACITY: usize = 64 * 1024;

/// A stream as the session core sees it.
#[derive(Debug)]
pub(crate) struct StreamState {
    /// Opened by this side.
    pub outbound: bool,
    /// Outbound: the peer's ACK arrived. Inbound: taken by `accept` (our ACK is queued).
    pub established: bool,
    /// Received bytes not read yet; never more than the window.
    recv_buf: VecDeque<u8>,
    /// How many more bytes the peer may send (what we granted, less what arrived).
    pub recv_window: u32,
    /// How many more bytes we may send.
    pub send_window: u32,
    /// The peer's FIN arrived: after the buffer, reads see the end.
    pub fin_received: bool,
    /// Our FIN is queued: no more writes.
    pub fin_sent: bool,
    /// Where our FIN ends in the session's output (queued bytes, counted from the start).
    pub fin_offset: Option<u64>,
    /// Reset by either side: reads and writes fail.
    pub reset: bool,
    /// The handle was dropped: received data is discarded (and the window granted again) until
    /// the stream closes.
    pub detached: bool,
    /// Counts against the session's cap on streams of its direction.
    pub counted: bool,
    /// Outbound and not acknowledged: when the session gives up.
    pub open_deadline: Option<Instant>,
    /// Half-closed by us: when the stream is reset if the peer's FIN has not come.
    pub close_deadline: Option<Instant>,
}

impl StreamState {
    /// A new stream with the protocol's initial windows.
    pub fn new(outbound: bool) -> Self {
        Self {
            outbound,
            established: false,
            recv_buf: VecDeque::new(),
            recv_window: INITIAL_WINDOW,
            send_window: INITIAL_WINDOW,
            fin_received: false,
            fin_sent: false,
            fin_offset: None,
            reset: false,
            detached: false,
            counted: true,
            open_deadline: None,
            close_deadline: None,
        }
    }

    /// Bytes received and not read.
    pub fn buffered(&self) -> usize {
        self.recv_buf.len()
    }

    /// Appends received bytes (the caller checked the window).
    pub fn push(&mut self, data: &[u8]) {
        self.recv_buf.extend(data);
    }

    /// Moves buffered bytes into `out`; returns how many.
    pub fn pop(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.recv_buf.len());
        let (front, back) = self.recv_buf.as_slices();
        let from_front = n.min(front.len());
        out[..from_front].copy_from_slice(&front[..from_front]);
        out[from_front..n].copy_from_slice(&back[..n - from_front]);
        self.recv_buf.drain(..n);
        if self.recv_buf.is_empty() && self.recv_buf.capacity() > KEEP_CAPACITY {
            self.recv_buf = VecDeque::new();
        }
        n
    }

    /// Drops whatever is buffered (a reset stream).
    pub fn clear(&mut self) {
        self.recv_buf = VecDeque::new();
    }

    /// Both directions have ended (FIN each way) or the stream was reset.
    pub fn is_finished(&self) -> bool {
        self.reset || (self.fin_sent && self.fin_received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pop_reads_across_the_ring() {
        let mut s = StreamState::new(true);
        s.push(b"abcdef");
        let mut two = [0u8; 2];
        assert_eq!(s.pop(&mut two), 2);
        s.push(b"gh");
        let mut all = [0u8; 10];
        assert_eq!(s.pop(&mut all), 6);
        assert_eq!(&all[..6], b"cdefgh");
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn big_empty_buffers_are_freed() {
        let mut s = StreamState::new(false);
        s.push(&vec![1u8; 200_000]);
        let mut out = vec![0u8; 200_000];
        assert_eq!(s.pop(&mut out), 200_000);
        assert_eq!(s.recv_buf.capacity(), 0);
    }
}
