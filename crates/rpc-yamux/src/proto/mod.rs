//! The I/O-free yamux session: a state machine fed with received bytes and the time, giving
//! back bytes to send, [`Event`]s and when it next needs the time.
//!
//! It never reads a clock, a socket or a task: whoever drives it (the tokio driver behind
//! [`Session`](crate::Session), a test, the fuzzer) passes `now` in, calls
//! [`Core::handle_input`] with whatever arrived, sends what [`Core::take_output`] hands out
//! (reporting it with [`Core::on_written`]) and calls [`Core::handle_timeout`] at
//! [`Core::poll_timeout`]. Stream operations ([`Core::open`], [`Core::read`], [`Core::write`],
//! [`Core::finish`], ...) never block: they answer `None` when they would, and an [`Event`]
//! says when to try again.
//!
//! Memory is bounded by the configuration: received bytes never exceed a stream's window (a
//! Data frame beyond it is a protocol error, found from its header), streams are capped per
//! direction, data writes stop at [`SEND_BUFFER`] queued bytes, and a driver stops reading
//! while more than [`PAUSE_INPUT`] bytes wait to be sent (only a peer that floods us with pings
//! or stream openings and reads nothing gets there).

mod stream;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Instant;

pub(crate) use stream::StreamState;

use crate::config::{Config, INITIAL_WINDOW, Mode};
use crate::error::{ProtocolError, SessionError, StreamError};
use crate::frame::{Flags, FrameType, HEADER_LEN, Header, go_away};

/// Data writes wait while this many bytes are queued to be sent.
pub const SEND_BUFFER: u64 = 256 * 1024;

/// Bytes of queued control frames (window updates, pings, resets) beyond the data a driver lets
/// build up before it stops reading.
const CONTROL_SLACK: u64 = 64 * 1024;

/// A driver stops reading while more than this many bytes wait to be sent (beyond
/// `max_frame`); see [`Core::wants_input`].
pub const PAUSE_INPUT: u64 = SEND_BUFFER + CONTROL_SLACK;

/// Something a driver should pass on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A stream has data, its end, or an error to read.
    Readable(u32),
    /// A stream can write again (its window grew, the send queue drained, its FIN was sent) or
    /// fails now.
    Writable(u32),
    /// A stream the peer opened waits for [`Core::accept`].
    Incoming,
    /// [`Core::open`] may succeed now (a place freed, or it fails now: GoAway).
    OpenReady,
    /// The session ended ([`Core::close_reason`]).
    Closed,
}

/// A timer of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Open,
    Close,
}

/// Where a Data frame's payload goes.
#[derive(Debug)]
struct Payload {
    stream: u32,
    remaining: u32,
    /// The stream exists and takes the bytes; otherwise they are drained.
    deliver: bool,
    /// A FIN on the frame, applied after its payload.
    fin: bool,
}

/// A yamux session's protocol state.
#[derive(Debug)]
pub struct Core {
    mode: Mode,
    config: Config,
    closed: Option<SessionError>,
    next_id: u32,
    streams: HashMap<u32, StreamState>,
    accept_queue: VecDeque<u32>,
    inbound_live: usize,
    outbound_live: usize,
    local_go_away: bool,
    remote_go_away: bool,
    header: [u8; HEADER_LEN],
    header_len: usize,
    payload: Option<Payload>,
    out: Vec<u8>,
    queued: u64,
    written: u64,
    /// Streams whose FIN waits to be written: (offset, stream), offsets ascending.
    fins: VecDeque<(u64, u32)>,
    /// Streams whose writes wait for the send queue to drain.
    blocked: Vec<u32>,
    events: VecDeque<Event>,
    next_ping: Option<Instant>,
    ping: Option<(u32, Instant)>,
    ping_id: u32,
    timers: BTreeSet<(Instant, u32, Timer)>,
}

impl Core {
    /// A session starting at `now`. An invalid `config` gives a session that has already ended
    /// with [`SessionError::Config`].
    pub fn new(mode: Mode, config: Config, now: Instant) -> Core {
        let invalid = config.validate().err();
        let next_ping = config.keepalive.and_then(|every| now.checked_add(every));
        Core {
            mode,
            closed: invalid.map(SessionError::Config),
            next_id: match mode {
                Mode::Client => 1,
                Mode::Server => 2,
            },
            config,
            streams: HashMap::new(),
            accept_queue: VecDeque::new(),
            inbound_live: 0,
            outbound_live: 0,
            local_go_away: false,
            remote_go_away: false,
            header: [0; HEADER_LEN],
            header_len: 0,
            payload: None,
            out: Vec::new(),
            queued: 0,
            written: 0,
            fins: VecDeque::new(),
            blocked: Vec::new(),
            events: VecDeque::new(),
            next_ping,
            ping: None,
            ping_id: 0,
            timers: BTreeSet::new(),
        }
    }

    /// The session's settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Why the session ended, once it has.
    pub fn close_reason(&self) -> Option<&SessionError> {
        self.closed.as_ref()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// How many streams are in the session's table (open, closing, or held by a handle).
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Bytes received on stream `id` and not read yet.
    #[cfg_attr(not(feature = "proto"), allow(dead_code))] // For tests and custom drivers.
    pub fn buffered(&self, id: u32) -> usize {
        self.streams.get(&id).map_or(0, StreamState::buffered)
    }

    /// How many more bytes stream `id` may send now.
    #[cfg_attr(not(feature = "proto"), allow(dead_code))] // For tests and custom drivers.
    pub fn send_window(&self, id: u32) -> u32 {
        self.streams.get(&id).map_or(0, |s| s.send_window)
    }

    // ---- output ----

    /// Bytes queued and not yet written.
    pub fn backlog(&self) -> u64 {
        self.queued - self.written
    }

    /// Whether the driver should read: the session has not ended and the peer reads what we
    /// send (see [`PAUSE_INPUT`]).
    pub fn wants_input(&self) -> bool {
        self.closed.is_none() && self.backlog() <= PAUSE_INPUT + u64::from(self.config.max_frame)
    }

    /// Moves the bytes to send into `buf`, which must be empty (its allocation is reused).
    pub fn take_output(&mut self, buf: &mut Vec<u8>) {
        debug_assert!(buf.is_empty());
        buf.clear();
        std::mem::swap(&mut self.out, buf);
    }

    /// Whether there are bytes for [`take_output`](Self::take_output).
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Reports that `n` more bytes handed out were written to the connection.
    pub fn on_written(&mut self, n: usize) {
        self.written = (self.written + n as u64).min(self.queued);
        while let Some(&(offset, id)) = self.fins.front() {
            if offset > self.written {
                break;
            }
            self.fins.pop_front();
            self.events.push_back(Event::Writable(id));
        }
        if self.backlog() < SEND_BUFFER {
            for id in self.blocked.drain(..) {
                self.events.push_back(Event::Writable(id));
            }
        }
    }

    fn queue(&mut self, header: Header, payload: &[u8]) {
        self.out.extend_from_slice(&header.encode());
        self.out.extend_from_slice(payload);
        self.queued += (HEADER_LEN + payload.len()) as u64;
    }

    // ---- time ----

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed.is_some() {
            return None;
        }
        [
            self.next_ping,
            self.ping.map(|(_, deadline)| deadline),
            self.timers.first().map(|&(at, _, _)| at),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs whatever is due at `now`: keepalive pings and their deadline, streams' open and
    /// close timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed.is_some() {
            return;
        }
        if let Some((_, deadline)) = self.ping
            && deadline <= now
        {
            self.end(
                SessionError::KeepaliveTimeout(self.config.keepalive_timeout),
                None,
            );
            return;
        }
        if let Some(at) = self.next_ping
            && at <= now
        {
            self.next_ping = None;
            let id = self.ping_id;
            self.ping_id = self.ping_id.wrapping_add(1);
            self.queue(Header::ping(Flags::SYN, id), &[]);
            // A timeout too far to be represented never passes.
            self.ping = now
                .checked_add(self.config.keepalive_timeout)
                .map(|deadline| (id, deadline));
        }
        while let Some(&(at, id, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            let Some(stream) = self.streams.get(&id) else {
                continue;
            };
            match timer {
                Timer::Open if stream.open_deadline == Some(at) && !stream.established => {
                    self.end(SessionError::OpenTimeout(id), None);
                    return;
                }
                Timer::Close
                    if stream.close_deadline == Some(at)
                        && !stream.fin_received
                        && !stream.reset =>
                {
                    tracing::debug!(stream = id, "yamux: close timeout; resetting the stream");
                    self.queue(Header::window_update(id, Flags::RST, 0), &[]);
                    self.reset_stream(id);
                }
                _ => {}
            }
        }
    }

    // ---- input ----

    /// Takes bytes received from the connection (all of them: a session never leaves input
    /// unread, so a stream whose reader is slow holds up no other).
    pub fn handle_input(&mut self, now: Instant, mut input: &[u8]) {
        while !input.is_empty() && self.closed.is_none() {
            if let Some(payload) = &mut self.payload {
                let take = (payload.remaining as usize).min(input.len());
                let (chunk, rest) = input.split_at(take);
                input = rest;
                payload.remaining -= take as u32;
                let (id, deliver, done, fin) = (
                    payload.stream,
                    payload.deliver,
                    payload.remaining == 0,
                    payload.fin,
                );
                if done {
                    self.payload = None;
                }
                if deliver {
                    self.deliver(id, chunk);
                }
                if done && fin {
                    self.apply_fin(id);
                }
                continue;
            }
            let take = (HEADER_LEN - self.header_len).min(input.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&input[..take]);
            self.header_len += take;
            input = &input[take..];
            if self.header_len < HEADER_LEN {
                break;
            }
            self.header_len = 0;
            match Header::decode(&self.header) {
                Ok(header) => self.handle_header(now, header),
                Err(err) => self.protocol_error(err),
            }
        }
    }

    /// The connection reached its end.
    pub fn handle_eof(&mut self) {
        let err = if self.payload.is_some() || self.header_len > 0 {
            SessionError::Truncated
        } else {
            SessionError::PeerClosed
        };
        self.end(err, None);
    }

    /// Reading or writing the connection failed.
    pub fn handle_io_error(&mut self, err: &std::io::Error) {
        self.end(SessionError::io(err), None);
    }

    /// The connection took no byte for the write timeout.
    pub fn handle_write_timeout(&mut self) {
        self.end(SessionError::WriteTimeout(self.config.write_timeout), None);
    }

    fn handle_header(&mut self, now: Instant, header: Header) {
        match header.kind {
            FrameType::Ping => self.handle_ping(now, header),
            FrameType::GoAway => match header.length {
                go_away::NORMAL => {
                    self.remote_go_away = true;
                    self.events.push_back(Event::OpenReady);
                }
                code => self.end(SessionError::GoAway(code), None),
            },
            FrameType::Data | FrameType::WindowUpdate => self.handle_stream_frame(header),
        }
    }

    fn handle_ping(&mut self, now: Instant, header: Header) {
        if header.flags.contains(Flags::SYN) {
            self.queue(Header::ping(Flags::ACK, header.length), &[]);
        } else if let Some((id, _)) = self.ping
            && id == header.length
        {
            self.ping = None;
            self.next_ping = self
                .config
                .keepalive
                .and_then(|every| now.checked_add(every));
        }
    }

    fn handle_stream_frame(&mut self, header: Header) {
        let id = header.stream_id;
        let is_data = header.kind == FrameType::Data;
        if is_data && header.length > self.config.max_frame {
            return self.protocol_error(ProtocolError::FrameTooLarge {
                stream: id,
                len: header.length,
                max: self.config.max_frame,
            });
        }
        if header.flags.contains(Flags::SYN) && !self.incoming(id) {
            // Refused (or the session ended): drain whatever the frame carries.
            return self.drain(header);
        }
        let Some(stream) = self.streams.get_mut(&id) else {
            return self.drain(header);
        };
        if header.flags.contains(Flags::ACK) && stream.outbound && !stream.established {
            stream.established = true;
            stream.open_deadline = None;
        }
        if header.flags.contains(Flags::RST) {
            self.reset_stream(id);
            return self.drain(header);
        }
        if stream.reset {
            return self.drain(header);
        }
        let fin = header.flags.contains(Flags::FIN);
        if !is_data {
            match stream.send_window.checked_add(header.length) {
                Some(window) => stream.send_window = window,
                None => return self.protocol_error(ProtocolError::WindowOverflow(id)),
            }
            if header.length > 0 {
                self.events.push_back(Event::Writable(id));
            }
            if fin {
                self.apply_fin(id);
            }
            return;
        }
        if stream.fin_received {
            // Data after the peer's FIN (a race in the peer between a write and a close):
            // nobody will read it.
            if fin {
                return self.protocol_error(ProtocolError::UnexpectedFin(id));
            }
            return self.drain(header);
        }
        if header.length > stream.recv_window {
            let window = stream.recv_window;
            return self.protocol_error(ProtocolError::WindowExceeded {
                stream: id,
                len: header.length,
                window,
            });
        }
        if header.length == 0 {
            if fin {
                self.apply_fin(id);
            }
            return;
        }
        self.payload = Some(Payload {
            stream: id,
            remaining: header.length,
            deliver: true,
            fin,
        });
    }

    /// Skips a frame's payload, if it has one.
    fn drain(&mut self, header: Header) {
        if header.kind == FrameType::Data && header.length > 0 && self.closed.is_none() {
            self.payload = Some(Payload {
                stream: header.stream_id,
                remaining: header.length,
                deliver: false,
                fin: false,
            });
        }
    }

    /// A SYN for stream `id`: registers the stream, or refuses it. Returns whether it exists.
    fn incoming(&mut self, id: u32) -> bool {
        let theirs = match self.mode {
            Mode::Client => id % 2 == 0,
            Mode::Server => id % 2 == 1,
        };
        if id == 0 || !theirs {
            self.protocol_error(ProtocolError::BadStreamId(id));
            return false;
        }
        if self.streams.contains_key(&id) {
            self.protocol_error(ProtocolError::DuplicateStream(id));
            return false;
        }
        if self.local_go_away || self.inbound_live >= self.config.max_streams {
            tracing::debug!(
                stream = id,
                go_away = self.local_go_away,
                "yamux: refusing a stream"
            );
            self.queue(Header::window_update(id, Flags::RST, 0), &[]);
            return false;
        }
        self.streams.insert(id, StreamState::new(false));
        self.inbound_live += 1;
        self.accept_queue.push_back(id);
        self.events.push_back(Event::Incoming);
        true
    }

    fn deliver(&mut self, id: u32, chunk: &[u8]) {
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if stream.reset {
            return;
        }
        // Checked against the window when the header came.
        stream.recv_window = stream.recv_window.saturating_sub(chunk.len() as u32);
        if stream.detached {
            self.grant(id);
        } else {
            stream.push(chunk);
            self.events.push_back(Event::Readable(id));
        }
    }

    fn apply_fin(&mut self, id: u32) {
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if stream.reset {
            return;
        }
        if stream.fin_received {
            return self.protocol_error(ProtocolError::UnexpectedFin(id));
        }
        stream.fin_received = true;
        stream.close_deadline = None;
        self.events.push_back(Event::Readable(id));
        self.settle(id);
    }

    /// Grants the peer more window on `id` when enough was read (hashicorp/yamux's rule: the
    /// window tops up to the maximum once it is at least half empty).
    fn grant(&mut self, id: u32) {
        let max = self.config.window;
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if stream.fin_received || stream.reset || !stream.established && !stream.outbound {
            return;
        }
        let buffered = stream.buffered() as u32;
        let delta = max
            .saturating_sub(buffered)
            .saturating_sub(stream.recv_window);
        if delta < max / 2 {
            return;
        }
        stream.recv_window += delta;
        self.queue(Header::window_update(id, Flags::NONE, delta), &[]);
    }

    /// Resets stream `id` (after an RST either way).
    fn reset_stream(&mut self, id: u32) {
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if stream.reset {
            return;
        }
        stream.reset = true;
        stream.clear();
        self.events.push_back(Event::Readable(id));
        self.events.push_back(Event::Writable(id));
        self.settle(id);
    }

    /// Frees a finished stream's place, and forgets it once nobody holds it.
    fn settle(&mut self, id: u32) {
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if !(stream.is_finished() || self.closed.is_some()) {
            return;
        }
        // A stream the peer opened and reset before we accepted it still waits in the accept
        // queue, as in Go (go-plugin tells streams apart by the order they are accepted in),
        // and keeps its place under the stream cap until it is accepted and dropped.
        let unaccepted = !stream.outbound && !stream.established;
        if unaccepted && self.closed.is_none() && self.accept_queue.contains(&id) {
            return;
        }
        if stream.counted {
            stream.counted = false;
            if stream.outbound {
                self.outbound_live -= 1;
                self.events.push_back(Event::OpenReady);
            } else {
                self.inbound_live -= 1;
            }
        }
        if stream.detached || unaccepted {
            self.streams.remove(&id);
        }
    }

    fn protocol_error(&mut self, err: ProtocolError) {
        tracing::debug!(error = %err, "yamux: protocol error; going away");
        self.end(SessionError::Protocol(err), Some(go_away::PROTOCOL_ERROR));
    }

    /// Ends the session (once): every stream fails, except that received data stays readable.
    fn end(&mut self, err: SessionError, go_away: Option<u32>) {
        if self.closed.is_some() {
            return;
        }
        if let Some(code) = go_away {
            self.queue(Header::go_away(code), &[]);
        }
        self.closed = Some(err);
        self.payload = None;
        self.accept_queue.clear();
        self.timers.clear();
        self.next_ping = None;
        self.ping = None;
        let ids: Vec<u32> = self.streams.keys().copied().collect();
        for id in ids {
            self.settle(id);
        }
        self.events.push_back(Event::Closed);
    }

    // ---- session operations ----

    /// Opens a stream: queues its SYN (a WindowUpdate, at once, so streams open in order).
    /// `Ok(None)` while this side has [`Config::max_streams`] streams open; an
    /// [`Event::OpenReady`] says when to try again.
    pub fn open(&mut self, now: Instant) -> Result<Option<u32>, StreamError> {
        if let Some(err) = &self.closed {
            return Err(err.clone().into());
        }
        if self.remote_go_away {
            return Err(StreamError::RemoteGoAway);
        }
        if self.outbound_live >= self.config.max_streams {
            return Ok(None);
        }
        let id = self.next_id;
        if id >= u32::MAX - 1 {
            return Err(StreamError::IdsExhausted);
        }
        self.next_id += 2;
        let mut stream = StreamState::new(true);
        if let Some(at) = self
            .config
            .open_timeout
            .and_then(|after| now.checked_add(after))
        {
            stream.open_deadline = Some(at);
            self.timers.insert((at, id, Timer::Open));
        }
        self.streams.insert(id, stream);
        self.outbound_live += 1;
        let delta = self.config.window - INITIAL_WINDOW;
        if let Some(stream) = self.streams.get_mut(&id) {
            stream.recv_window += delta;
        }
        self.queue(Header::window_update(id, Flags::SYN, delta), &[]);
        Ok(Some(id))
    }

    /// The next stream the peer opened, acknowledging it (WindowUpdate|ACK). `Ok(None)` when
    /// none waits (an [`Event::Incoming`] says when one does); the session's error once it has
    /// ended.
    pub fn accept(&mut self) -> Result<Option<u32>, SessionError> {
        while let Some(id) = self.accept_queue.pop_front() {
            let max = self.config.window;
            let Some(stream) = self.streams.get_mut(&id) else {
                continue;
            };
            stream.established = true;
            if stream.reset {
                // Nothing to acknowledge: its reads and writes fail with the reset.
                return Ok(Some(id));
            }
            let delta = max
                .saturating_sub(stream.buffered() as u32)
                .saturating_sub(stream.recv_window);
            stream.recv_window += delta;
            self.queue(Header::window_update(id, Flags::ACK, delta), &[]);
            return Ok(Some(id));
        }
        match &self.closed {
            Some(err) => Err(err.clone()),
            None => Ok(None),
        }
    }

    /// Sends GoAway (normal): the peer opens no more streams (ours are refused with RST from
    /// now on); existing streams go on.
    pub fn go_away(&mut self) {
        if self.closed.is_some() || self.local_go_away {
            return;
        }
        self.local_go_away = true;
        self.queue(Header::go_away(go_away::NORMAL), &[]);
    }

    /// Ends the session now ([`SessionError::Closed`]); as Go's `Session.Close`, no GoAway is
    /// sent. What was queued may still be written.
    pub fn close(&mut self) {
        self.end(SessionError::Closed, None);
    }

    // ---- stream operations ----

    fn stream_mut(&mut self, id: u32) -> Result<&mut StreamState, StreamError> {
        match self.streams.get_mut(&id) {
            Some(stream) => Ok(stream),
            None => Err(self.closed.clone().unwrap_or(SessionError::Closed).into()),
        }
    }

    /// Reads from stream `id` into `buf`: `Ok(Some(n))` bytes (0 at the end of the stream, for
    /// a non-empty `buf`), or `Ok(None)` when nothing is there yet ([`Event::Readable`] says
    /// when). Fails once the stream was reset, or the session ended before the peer's FIN.
    pub fn read(&mut self, id: u32, buf: &mut [u8]) -> Result<Option<usize>, StreamError> {
        let closed = self.closed.clone();
        let stream = self.stream_mut(id)?;
        if stream.reset {
            return Err(StreamError::Reset(id));
        }
        if buf.is_empty() {
            return Ok(Some(0));
        }
        let n = stream.pop(buf);
        if n > 0 {
            self.grant(id);
            return Ok(Some(n));
        }
        if stream.fin_received {
            return Ok(Some(0));
        }
        match closed {
            Some(err) => Err(err.into()),
            None => Ok(None),
        }
    }

    /// Writes to stream `id`: queues a Data frame of up to the send window, `max_frame` and
    /// `data.len()`; `Ok(None)` when the window is empty or the send queue full
    /// ([`Event::Writable`] says when to try again).
    pub fn write(&mut self, id: u32, data: &[u8]) -> Result<Option<usize>, StreamError> {
        if let Some(err) = &self.closed {
            return Err(err.clone().into());
        }
        let max_frame = self.config.max_frame;
        let full = self.backlog() >= SEND_BUFFER;
        let stream = self.stream_mut(id)?;
        if stream.reset {
            return Err(StreamError::Reset(id));
        }
        if stream.fin_sent {
            return Err(StreamError::WriteClosed(id));
        }
        if data.is_empty() {
            return Ok(Some(0));
        }
        if stream.send_window == 0 {
            return Ok(None);
        }
        if full {
            if !self.blocked.contains(&id) {
                self.blocked.push(id);
            }
            return Ok(None);
        }
        let n = (data.len() as u64)
            .min(u64::from(stream.send_window))
            .min(u64::from(max_frame)) as usize;
        stream.send_window -= n as u32;
        self.queue(Header::data(id, Flags::NONE, n as u32), &data[..n]);
        Ok(Some(n))
    }

    /// Half-closes stream `id` (queues its FIN once). Returns whether the FIN has been written to
    /// the connection: until then [`Event::Writable`] says when to ask again.
    pub fn finish(&mut self, now: Instant, id: u32) -> Result<bool, StreamError> {
        let written = self.written;
        let closed = self.closed.clone();
        let close_timeout = self.config.close_timeout;
        let stream = self.stream_mut(id)?;
        if let Some(offset) = stream.fin_offset {
            return match closed {
                Some(err) if offset > written => Err(err.into()),
                _ => Ok(offset <= written),
            };
        }
        if stream.reset {
            return Err(StreamError::Reset(id));
        }
        if let Some(err) = closed {
            return Err(err.into());
        }
        stream.fin_sent = true;
        let wait = !stream.fin_received;
        if wait {
            stream.close_deadline = close_timeout.and_then(|after| now.checked_add(after));
        }
        self.queue(Header::window_update(id, Flags::FIN, 0), &[]);
        let offset = self.queued;
        if let Some(stream) = self.streams.get_mut(&id) {
            stream.fin_offset = Some(offset);
            if let Some(at) = stream.close_deadline {
                self.timers.insert((at, id, Timer::Close));
            }
        }
        self.fins.push_back((offset, id));
        self.settle(id);
        Ok(false)
    }

    /// The handle of stream `id` is gone: a stream not half-closed by us is reset (RST); one
    /// that is stays until the peer's FIN (its data discarded) or the close timeout.
    pub fn detach(&mut self, id: u32) {
        let open = self.closed.is_none();
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        stream.detached = true;
        stream.clear();
        if open && !stream.fin_sent && !stream.reset {
            self.queue(Header::window_update(id, Flags::RST, 0), &[]);
            self.reset_stream(id);
        } else {
            // Whatever was read but not granted again.
            self.grant(id);
        }
        self.blocked.retain(|&b| b != id);
        self.settle(id);
        if let Some(stream) = self.streams.get(&id)
            && (stream.is_finished() || !open)
        {
            self.streams.remove(&id);
        }
    }
}
