//! The session core without sockets, under a clock the tests move.

use std::time::{Duration, Instant};

use super::*;
use crate::frame::go_away::{INTERNAL_ERROR, NORMAL, PROTOCOL_ERROR};

const WINDOW: u32 = INITIAL_WINDOW;

/// Everything `core` wants to send, reported written.
fn output(core: &mut Core) -> Vec<u8> {
    let mut buf = Vec::new();
    core.take_output(&mut buf);
    core.on_written(buf.len());
    buf
}

/// Splits bytes into frames.
fn frames(mut bytes: &[u8]) -> Vec<(Header, Vec<u8>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let header = Header::decode(bytes[..HEADER_LEN].try_into().unwrap()).unwrap();
        bytes = &bytes[HEADER_LEN..];
        let len = if header.kind == FrameType::Data {
            header.length as usize
        } else {
            0
        };
        out.push((header, bytes[..len].to_vec()));
        bytes = &bytes[len..];
    }
    out
}

fn headers(core: &mut Core) -> Vec<Header> {
    frames(&output(core)).into_iter().map(|(h, _)| h).collect()
}

fn events(core: &mut Core) -> Vec<Event> {
    std::iter::from_fn(|| core.poll_event()).collect()
}

fn wire(headers: &[Header]) -> Vec<u8> {
    headers.iter().flat_map(|h| h.encode()).collect()
}

fn data(id: u32, flags: Flags, payload: &[u8]) -> Vec<u8> {
    let mut out = Header::data(id, flags, payload.len() as u32)
        .encode()
        .to_vec();
    out.extend_from_slice(payload);
    out
}

/// A client and a server joined back to back.
struct Pair {
    now: Instant,
    client: Core,
    server: Core,
}

impl Pair {
    fn new() -> Pair {
        Pair::with(Config::default())
    }

    fn with(config: Config) -> Pair {
        let now = Instant::now();
        Pair {
            now,
            client: Core::new(Mode::Client, config.clone(), now),
            server: Core::new(Mode::Server, config, now),
        }
    }

    /// Moves bytes both ways until neither side has any to send.
    fn pump(&mut self) {
        for _ in 0..1000 {
            let to_server = output(&mut self.client);
            let to_client = output(&mut self.server);
            if to_server.is_empty() && to_client.is_empty() {
                return;
            }
            self.server.handle_input(self.now, &to_server);
            self.client.handle_input(self.now, &to_client);
        }
        panic!("the sessions never went quiet");
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
    }

    /// A stream opened by the client and accepted by the server.
    fn stream(&mut self) -> u32 {
        let id = self.client.open(self.now).unwrap().unwrap();
        self.pump();
        assert_eq!(self.server.accept().unwrap(), Some(id));
        self.pump();
        id
    }
}

fn read_all(core: &mut Core, id: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(Some(n)) = core.read(id, &mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[test]
fn open_sends_syn_at_once_and_accept_sends_ack() {
    let now = Instant::now();
    let mut client = Core::new(Mode::Client, Config::default(), now);
    assert_eq!(client.open(now).unwrap(), Some(1));
    assert_eq!(client.open(now).unwrap(), Some(3));
    assert_eq!(
        headers(&mut client),
        [
            Header::window_update(1, Flags::SYN, 0),
            Header::window_update(3, Flags::SYN, 0)
        ]
    );
    let mut server = Core::new(Mode::Server, Config::default(), now);
    server.handle_input(now, &wire(&[Header::window_update(1, Flags::SYN, 0)]));
    assert_eq!(events(&mut server), [Event::Incoming]);
    assert_eq!(server.accept().unwrap(), Some(1));
    assert_eq!(server.accept().unwrap(), None);
    assert_eq!(
        headers(&mut server),
        [Header::window_update(1, Flags::ACK, 0)]
    );
    assert_eq!(server.open(now).unwrap(), Some(2));
}

#[test]
fn a_stream_reset_before_it_is_accepted_is_still_accepted_in_order() {
    let now = Instant::now();
    let mut server = Core::new(Mode::Server, Config::default(), now);
    server.handle_input(
        now,
        &wire(&[
            Header::window_update(1, Flags::SYN, 0),
            Header::window_update(1, Flags::RST, 0),
            Header::window_update(3, Flags::SYN, 0),
        ]),
    );
    assert_eq!(server.accept().unwrap(), Some(1));
    assert!(matches!(
        server.read(1, &mut [0; 4]),
        Err(StreamError::Reset(_))
    ));
    assert_eq!(server.accept().unwrap(), Some(3));
    // Only the live stream is acknowledged; the reset one is forgotten once dropped.
    assert_eq!(
        headers(&mut server),
        [Header::window_update(3, Flags::ACK, 0)]
    );
    server.detach(1);
    assert!(headers(&mut server).is_empty());
    assert_eq!(server.stream_count(), 1);
}

#[test]
fn syn_on_a_data_frame_opens_with_its_payload() {
    let now = Instant::now();
    let mut server = Core::new(Mode::Server, Config::default(), now);
    server.handle_input(now, &data(5, Flags::SYN, b"hello"));
    assert_eq!(server.accept().unwrap(), Some(5));
    assert_eq!(read_all(&mut server, 5), b"hello");
}

#[test]
fn a_larger_window_is_announced_with_syn_and_ack() {
    let config = Config {
        window: 4 * WINDOW,
        max_frame: 4 * WINDOW,
        ..Config::default()
    };
    let mut pair = Pair::with(config);
    let id = pair.client.open(pair.now).unwrap().unwrap();
    assert_eq!(
        headers(&mut pair.client),
        [Header::window_update(id, Flags::SYN, 3 * WINDOW)]
    );
    pair.server.handle_input(
        pair.now,
        &wire(&[Header::window_update(id, Flags::SYN, 3 * WINDOW)]),
    );
    assert_eq!(pair.server.send_window(id), 4 * WINDOW);
    pair.server.accept().unwrap();
    assert_eq!(
        headers(&mut pair.server),
        [Header::window_update(id, Flags::ACK, 3 * WINDOW)]
    );
}

#[test]
fn data_flows_both_ways_and_fin_half_closes() {
    let mut pair = Pair::new();
    let id = pair.stream();
    assert_eq!(pair.client.write(id, b"ping").unwrap(), Some(4));
    assert!(!pair.client.finish(pair.now, id).unwrap());
    pair.pump();
    assert!(
        pair.client.finish(pair.now, id).unwrap(),
        "the FIN was written"
    );
    assert_eq!(read_all(&mut pair.server, id), b"ping");
    assert_eq!(pair.server.read(id, &mut [0; 8]).unwrap(), Some(0));
    // Half-closed: the other direction still works.
    assert_eq!(pair.server.write(id, b"pong").unwrap(), Some(4));
    pair.pump();
    assert_eq!(read_all(&mut pair.client, id), b"pong");
    assert!(matches!(
        pair.client.write(id, b"more"),
        Err(StreamError::WriteClosed(_))
    ));
    pair.server.finish(pair.now, id).unwrap();
    pair.pump();
    assert_eq!(pair.client.read(id, &mut [0; 8]).unwrap(), Some(0));
    // Both sides closed: the handles' drop forgets the streams, without RST.
    pair.client.detach(id);
    pair.server.detach(id);
    assert_eq!(output(&mut pair.client), b"");
    assert_eq!(output(&mut pair.server), b"");
    assert_eq!(pair.client.stream_count(), 0);
    assert_eq!(pair.server.stream_count(), 0);
}

#[test]
fn fin_is_a_window_update_with_length_zero() {
    let mut pair = Pair::new();
    let id = pair.stream();
    pair.client.finish(pair.now, id).unwrap();
    assert_eq!(
        headers(&mut pair.client),
        [Header::window_update(id, Flags::FIN, 0)]
    );
}

#[test]
fn dropping_an_unfinished_stream_resets_it() {
    let mut pair = Pair::new();
    let id = pair.stream();
    pair.server.write(id, b"unread").unwrap();
    pair.pump();
    pair.client.detach(id);
    assert_eq!(
        headers(&mut pair.client),
        [Header::window_update(id, Flags::RST, 0)]
    );
    pair.server
        .handle_input(pair.now, &wire(&[Header::window_update(id, Flags::RST, 0)]));
    assert!(matches!(
        pair.server.read(id, &mut [0; 4]),
        Err(StreamError::Reset(_))
    ));
    assert!(matches!(
        pair.server.write(id, b"x"),
        Err(StreamError::Reset(_))
    ));
    assert_eq!(pair.client.stream_count(), 0);
}

#[test]
fn reset_discards_buffered_data_as_go_does() {
    let now = Instant::now();
    let mut server = Core::new(Mode::Server, Config::default(), now);
    server.handle_input(now, &data(1, Flags::SYN, b"abc"));
    server.accept().unwrap();
    server.handle_input(now, &wire(&[Header::window_update(1, Flags::RST, 0)]));
    assert!(matches!(
        server.read(1, &mut [0; 4]),
        Err(StreamError::Reset(1))
    ));
}

#[test]
fn a_dropped_finished_stream_discards_and_grants_until_the_peers_fin() {
    let mut pair = Pair::new();
    let id = pair.stream();
    pair.client.finish(pair.now, id).unwrap();
    pair.client.detach(id);
    pair.pump();
    assert_eq!(pair.client.stream_count(), 1, "waits for the server's FIN");
    // The server can send more than a window: the dropped side discards and grants.
    let big = vec![7u8; 3 * WINDOW as usize];
    let mut sent = 0;
    for _ in 0..100 {
        if sent == big.len() {
            break;
        }
        if let Some(n) = pair.server.write(id, &big[sent..]).unwrap() {
            sent += n;
        }
        pair.pump();
    }
    assert_eq!(sent, big.len());
    assert_eq!(pair.client.buffered(id), 0);
    pair.server.finish(pair.now, id).unwrap();
    pair.pump();
    assert_eq!(pair.client.stream_count(), 0);
}

#[test]
fn the_send_window_stops_writes_until_the_reader_reads_half() {
    let mut pair = Pair::new();
    let id = pair.stream();
    let chunk = vec![1u8; 100_000];
    let mut sent = 0usize;
    while let Some(n) = pair.client.write(id, &chunk).unwrap() {
        sent += n;
        pair.pump();
    }
    assert_eq!(sent, WINDOW as usize, "exactly one window");
    assert_eq!(pair.client.send_window(id), 0);
    assert_eq!(pair.server.buffered(id), WINDOW as usize);
    // Reading less than half grants nothing (Go's rule).
    let mut buf = vec![0u8; (WINDOW / 2 - 1) as usize];
    assert_eq!(pair.server.read(id, &mut buf).unwrap(), Some(buf.len()));
    assert!(headers(&mut pair.server).is_empty());
    // One more byte makes half: the whole consumed part is granted at once.
    assert_eq!(pair.server.read(id, &mut [0u8; 1]).unwrap(), Some(1));
    assert_eq!(
        headers(&mut pair.server),
        [Header::window_update(id, Flags::NONE, WINDOW / 2)]
    );
    pair.server.handle_input(pair.now, &[]); // nothing
    pair.client.handle_input(
        pair.now,
        &wire(&[Header::window_update(id, Flags::NONE, WINDOW / 2)]),
    );
    assert_eq!(events(&mut pair.client).last(), Some(&Event::Writable(id)));
    assert_eq!(pair.client.send_window(id), WINDOW / 2);
}

#[test]
fn data_beyond_the_window_is_a_protocol_error() {
    let now = Instant::now();
    let mut server = Core::new(Mode::Server, Config::default(), now);
    server.handle_input(now, &wire(&[Header::window_update(1, Flags::SYN, 0)]));
    server.accept().unwrap();
    output(&mut server);
    let full = vec![0u8; WINDOW as usize];
    server.handle_input(now, &data(1, Flags::NONE, &full));
    assert!(server.close_reason().is_none());
    server.handle_input(now, &data(1, Flags::NONE, b"x"));
    assert!(matches!(
        server.close_reason(),
        Some(SessionError::Protocol(ProtocolError::WindowExceeded {
            stream: 1,
            len: 1,
            window: 0
        }))
    ));
    assert_eq!(headers(&mut server), [Header::go_away(PROTOCOL_ERROR)]);
    // The data that arrived within the window is still readable; then the error.
    assert_eq!(read_all(&mut server, 1).len(), WINDOW as usize);
    assert!(matches!(
        server.read(1, &mut [0; 1]),
        Err(StreamError::Session(_))
    ));
}

#[test]
fn a_frame_larger_than_max_frame_is_refused_from_its_header() {
    let now = Instant::now();
    let mut server = Core::new(Mode::Server, Config::default(), now);
    // Only the header: nothing is allocated for the 4 GiB it announces.
    server.handle_input(now, &Header::data(1, Flags::SYN, u32::MAX).encode());
    assert!(matches!(
        server.close_reason(),
        Some(SessionError::Protocol(ProtocolError::FrameTooLarge {
            len: u32::MAX,
            ..
        }))
    ));
    assert_eq!(server.stream_count(), 0);
}

#[test]
fn protocol_errors_send_go_away_and_end_the_session() {
    type Check = fn(&SessionError) -> bool;
    let cases: Vec<(Vec<u8>, Check)> = vec![
        (vec![1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], |e| {
            matches!(e, SessionError::Protocol(ProtocolError::Version(1)))
        }),
        (vec![0, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], |e| {
            matches!(e, SessionError::Protocol(ProtocolError::FrameType(9)))
        }),
        (
            wire(&[
                Header::window_update(1, Flags::SYN, 0),
                Header::window_update(1, Flags::SYN, 0),
            ]),
            |e| matches!(e, SessionError::Protocol(ProtocolError::DuplicateStream(1))),
        ),
        (wire(&[Header::window_update(2, Flags::SYN, 0)]), |e| {
            matches!(e, SessionError::Protocol(ProtocolError::BadStreamId(2)))
        }),
        (wire(&[Header::window_update(0, Flags::SYN, 0)]), |e| {
            matches!(e, SessionError::Protocol(ProtocolError::BadStreamId(0)))
        }),
        (
            wire(&[
                Header::window_update(1, Flags::SYN, 0),
                Header::window_update(1, Flags::FIN, 0),
                Header::window_update(1, Flags::FIN, 0),
            ]),
            |e| matches!(e, SessionError::Protocol(ProtocolError::UnexpectedFin(1))),
        ),
        (
            wire(&[
                Header::window_update(1, Flags::SYN, 0),
                Header::window_update(1, Flags::NONE, u32::MAX),
            ]),
            |e| matches!(e, SessionError::Protocol(ProtocolError::WindowOverflow(1))),
        ),
    ];
    for (i, (input, check)) in cases.into_iter().enumerate() {
        let now = Instant::now();
        let mut server = Core::new(Mode::Server, Config::default(), now);
        server.handle_input(now, &input);
        let reason = server.close_reason().cloned();
        assert!(reason.as_ref().is_some_and(check), "case {i}: {reason:?}");
        assert_eq!(
            headers(&mut server).last(),
            Some(&Header::go_away(PROTOCOL_ERROR)),
            "case {i}"
        );
        assert!(events(&mut server).contains(&Event::Closed));
        assert!(server.open(now).is_err());
        assert!(!server.wants_input());
    }
}

#[test]
fn frames_for_unknown_streams_are_drained() {
    let now = Instant::now();
    let mut server = Core::new(Mode::Server, Config::default(), now);
    let mut input = data(7, Flags::NONE, &[9u8; 1000]);
    input.extend(wire(&[Header::window_update(9, Flags::FIN, 5)]));
    input.extend(data(11, Flags::SYN, b"after"));
    // In small pieces: frame boundaries fall anywhere.
    for piece in input.chunks(5) {
        server.handle_input(now, piece);
    }
    assert!(server.close_reason().is_none());
    assert_eq!(server.accept().unwrap(), Some(11));
    assert_eq!(read_all(&mut server, 11), b"after");
}

#[test]
fn a_slow_reader_holds_up_no_other_stream() {
    let mut pair = Pair::new();
    let slow = pair.stream();
    let fast = pair.stream();
    let big = vec![3u8; WINDOW as usize];
    let mut sent = 0;
    while let Some(n) = pair.client.write(slow, &big[sent..]).unwrap() {
        sent += n;
        pair.pump();
        if sent == big.len() {
            break;
        }
    }
    assert_eq!(pair.client.write(slow, b"x").unwrap(), None, "slow is full");
    // The fast stream still moves, over and over.
    for round in 0..10u8 {
        pair.client.write(fast, &[round; 1000]).unwrap();
        pair.pump();
        assert_eq!(read_all(&mut pair.server, fast), vec![round; 1000]);
    }
    assert_eq!(pair.server.buffered(slow), WINDOW as usize);
}

#[test]
fn the_send_buffer_bounds_queued_bytes() {
    let config = Config {
        window: 4 * WINDOW,
        max_frame: 64 * 1024,
        ..Config::default()
    };
    let mut pair = Pair::with(config);
    let id = pair.stream();
    let chunk = vec![0u8; 64 * 1024];
    let mut queued = 0u64;
    // Nothing is written to the connection: writes stop at the send buffer.
    while let Some(n) = pair.client.write(id, &chunk).unwrap() {
        queued += n as u64;
    }
    assert_eq!(queued, SEND_BUFFER);
    assert!(pair.client.backlog() >= SEND_BUFFER);
    let mut buf = Vec::new();
    pair.client.take_output(&mut buf);
    pair.client.on_written(buf.len());
    assert!(events(&mut pair.client).contains(&Event::Writable(id)));
    assert!(pair.client.write(id, &chunk).unwrap().is_some());
}

#[test]
fn keepalive_pings_and_answers() {
    let now = Instant::now();
    let mut client = Core::new(Mode::Client, Config::default(), now);
    let mut server = Core::new(Mode::Server, Config::default(), now);
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(30)));
    client.handle_timeout(now + Duration::from_secs(30));
    let pings = headers(&mut client);
    assert_eq!(pings, [Header::ping(Flags::SYN, 0)]);
    server.handle_input(now, &wire(&pings));
    let pongs = headers(&mut server);
    assert_eq!(pongs, [Header::ping(Flags::ACK, 0)]);
    client.handle_input(now + Duration::from_secs(35), &wire(&pongs));
    // Answered: the next ping is an interval after the answer.
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(65)));
    client.handle_timeout(now + Duration::from_secs(65));
    assert_eq!(headers(&mut client), [Header::ping(Flags::SYN, 1)]);
    assert!(client.close_reason().is_none());
}

#[test]
fn an_unanswered_ping_ends_the_session() {
    let now = Instant::now();
    let mut client = Core::new(Mode::Client, Config::default(), now);
    client.handle_timeout(now + Duration::from_secs(30));
    assert_eq!(headers(&mut client), [Header::ping(Flags::SYN, 0)]);
    // A reply to another ping does not count.
    client.handle_input(now, &wire(&[Header::ping(Flags::ACK, 41)]));
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(40)));
    client.handle_timeout(now + Duration::from_secs(39));
    assert!(client.close_reason().is_none());
    client.handle_timeout(now + Duration::from_secs(40));
    assert!(matches!(
        client.close_reason(),
        Some(SessionError::KeepaliveTimeout(_))
    ));
    // As Go's Close: no GoAway.
    assert!(headers(&mut client).is_empty());
}

#[test]
fn keepalive_can_be_off() {
    let now = Instant::now();
    let config = Config {
        keepalive: None,
        open_timeout: None,
        ..Config::default()
    };
    let mut client = Core::new(Mode::Client, config, now);
    assert_eq!(client.poll_timeout(), None);
    client.open(now).unwrap();
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn an_unacknowledged_open_ends_the_session_after_the_open_timeout() {
    let now = Instant::now();
    let config = Config {
        keepalive: None,
        ..Config::default()
    };
    let mut client = Core::new(Mode::Client, config, now);
    let acked = client.open(now).unwrap().unwrap();
    let unacked = client.open(now).unwrap().unwrap();
    client.handle_input(now, &wire(&[Header::window_update(acked, Flags::ACK, 0)]));
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(75)));
    client.handle_timeout(now + Duration::from_secs(74));
    assert!(client.close_reason().is_none());
    client.handle_timeout(now + Duration::from_secs(75));
    assert!(matches!(
        client.close_reason(),
        Some(SessionError::OpenTimeout(id)) if *id == unacked
    ));
}

#[test]
fn a_half_closed_stream_is_reset_after_the_close_timeout() {
    let mut pair = Pair::with(Config {
        keepalive: None,
        ..Config::default()
    });
    let id = pair.stream();
    pair.client.finish(pair.now, id).unwrap();
    pair.pump();
    pair.advance(Duration::from_secs(299));
    assert!(output(&mut pair.client).is_empty());
    pair.advance(Duration::from_secs(1));
    assert_eq!(
        headers(&mut pair.client),
        [Header::window_update(id, Flags::RST, 0)]
    );
    assert!(matches!(
        pair.client.read(id, &mut [0; 1]),
        Err(StreamError::Reset(_))
    ));
}

#[test]
fn go_away_normal_stops_new_streams_only() {
    let mut pair = Pair::new();
    let id = pair.stream();
    pair.server.go_away();
    assert_eq!(headers(&mut pair.server), [Header::go_away(NORMAL)]);
    pair.client
        .handle_input(pair.now, &wire(&[Header::go_away(NORMAL)]));
    assert!(events(&mut pair.client).contains(&Event::OpenReady));
    assert!(matches!(
        pair.client.open(pair.now),
        Err(StreamError::RemoteGoAway)
    ));
    // The existing stream goes on, both ways.
    pair.client.write(id, b"still").unwrap();
    pair.server.write(id, b"here").unwrap();
    pair.pump();
    assert_eq!(read_all(&mut pair.server, id), b"still");
    assert_eq!(read_all(&mut pair.client, id), b"here");
    assert!(pair.client.close_reason().is_none());
    // A SYN after our GoAway is refused with RST.
    pair.server
        .handle_input(pair.now, &data(99, Flags::SYN, b"late"));
    assert_eq!(
        headers(&mut pair.server),
        [Header::window_update(99, Flags::RST, 0)]
    );
    assert_eq!(pair.server.accept().unwrap(), None);
    assert!(pair.server.close_reason().is_none());
}

#[test]
fn go_away_with_an_error_code_ends_the_session() {
    for code in [PROTOCOL_ERROR, INTERNAL_ERROR, 77] {
        let now = Instant::now();
        let mut client = Core::new(Mode::Client, Config::default(), now);
        client.handle_input(now, &wire(&[Header::go_away(code)]));
        assert!(matches!(client.close_reason(), Some(SessionError::GoAway(c)) if *c == code));
        assert!(headers(&mut client).is_empty(), "no GoAway back");
    }
}

#[test]
fn inbound_streams_beyond_the_cap_are_reset() {
    let now = Instant::now();
    let config = Config {
        max_streams: 2,
        ..Config::default()
    };
    let mut server = Core::new(Mode::Server, config, now);
    server.handle_input(
        now,
        &wire(&[
            Header::window_update(1, Flags::SYN, 0),
            Header::window_update(3, Flags::SYN, 0),
            Header::window_update(5, Flags::SYN, 0),
        ]),
    );
    assert_eq!(
        headers(&mut server),
        [Header::window_update(5, Flags::RST, 0)]
    );
    // Data the refused stream sent anyway is drained.
    server.handle_input(now, &data(5, Flags::NONE, b"ignored"));
    assert!(server.close_reason().is_none());
    assert_eq!(server.accept().unwrap(), Some(1));
    // A place frees when a stream ends both ways.
    server.handle_input(now, &wire(&[Header::window_update(1, Flags::FIN, 0)]));
    server.finish(now, 1).unwrap();
    output(&mut server);
    server.handle_input(now, &wire(&[Header::window_update(7, Flags::SYN, 0)]));
    assert!(output(&mut server).is_empty(), "7 fits");
    assert_eq!(server.accept().unwrap(), Some(3));
    assert_eq!(server.accept().unwrap(), Some(7));
}

#[test]
fn open_waits_at_the_cap_until_a_stream_ends() {
    let config = Config {
        max_streams: 2,
        ..Config::default()
    };
    let mut pair = Pair::with(config);
    let a = pair.stream();
    let _b = pair.stream();
    assert_eq!(pair.client.open(pair.now).unwrap(), None);
    // The server resets a: a place frees.
    pair.server.detach(a);
    pair.pump();
    assert!(events(&mut pair.client).contains(&Event::OpenReady));
    assert_eq!(pair.client.open(pair.now).unwrap(), Some(5));
}

#[test]
fn reset_unaccepted_streams_keep_their_place_under_the_cap() {
    let now = Instant::now();
    let config = Config {
        max_streams: 2,
        ..Config::default()
    };
    let mut server = Core::new(Mode::Server, config, now);
    // Opened and reset twice, never accepted: both wait, and a third SYN is over the cap.
    for id in [1, 3] {
        server.handle_input(now, &data(id, Flags::SYN, b"abc"));
        server.handle_input(now, &wire(&[Header::window_update(id, Flags::RST, 0)]));
    }
    server.handle_input(now, &wire(&[Header::window_update(5, Flags::SYN, 0)]));
    assert_eq!(
        headers(&mut server),
        [Header::window_update(5, Flags::RST, 0)]
    );
    assert_eq!(server.accept().unwrap(), Some(1));
    server.detach(1);
    assert_eq!(server.accept().unwrap(), Some(3));
    server.detach(3);
    assert_eq!(server.accept().unwrap(), None);
    assert_eq!(server.stream_count(), 0);
}

#[test]
fn fin_on_a_data_frame_comes_after_its_payload() {
    let now = Instant::now();
    let mut server = Core::new(Mode::Server, Config::default(), now);
    server.handle_input(now, &data(1, Flags::SYN | Flags::FIN, b"last words"));
    server.accept().unwrap();
    assert_eq!(read_all(&mut server, 1), b"last words");
    assert_eq!(server.read(1, &mut [0; 1]).unwrap(), Some(0));
}

#[test]
fn end_of_input_between_frames_is_clean_and_inside_one_is_not() {
    let now = Instant::now();
    let mut a = Core::new(Mode::Server, Config::default(), now);
    a.handle_input(now, &data(1, Flags::SYN | Flags::FIN, b"kept"));
    a.handle_eof();
    assert!(matches!(a.close_reason(), Some(SessionError::PeerClosed)));
    // What arrived, with its FIN, is still read to the end.
    assert!(a.accept().unwrap_err().is_clean());
    let mut b = Core::new(Mode::Server, Config::default(), now);
    b.handle_input(now, &Header::data(1, Flags::SYN, 10).encode());
    b.handle_input(now, b"abc");
    b.handle_eof();
    assert!(matches!(b.close_reason(), Some(SessionError::Truncated)));
    let mut c = Core::new(Mode::Server, Config::default(), now);
    c.handle_input(now, &[0, 1, 0]);
    c.handle_eof();
    assert!(matches!(c.close_reason(), Some(SessionError::Truncated)));
}

#[test]
fn data_read_before_the_session_ended_stays_readable() {
    let mut pair = Pair::new();
    let id = pair.stream();
    pair.server.write(id, b"reply").unwrap();
    pair.server.finish(pair.now, id).unwrap();
    pair.pump();
    pair.client.handle_eof();
    assert_eq!(read_all(&mut pair.client, id), b"reply");
    assert_eq!(pair.client.read(id, &mut [0; 1]).unwrap(), Some(0));
    assert!(pair.client.write(id, b"x").is_err());
}

#[test]
fn close_fails_everything_and_sends_nothing() {
    let mut pair = Pair::new();
    let id = pair.stream();
    pair.client.close();
    assert!(output(&mut pair.client).is_empty());
    assert!(matches!(
        pair.client.close_reason(),
        Some(SessionError::Closed)
    ));
    let err = pair.client.read(id, &mut [0; 1]).unwrap_err();
    assert!(matches!(err, StreamError::Session(SessionError::Closed)));
    assert!(pair.client.accept().unwrap_err().is_clean());
    assert_eq!(pair.client.poll_timeout(), None);
}

#[test]
fn pings_are_answered_with_their_value() {
    let now = Instant::now();
    let mut server = Core::new(Mode::Server, Config::default(), now);
    server.handle_input(
        now,
        &wire(&[
            Header::ping(Flags::SYN, 0xdead_beef),
            Header::ping(Flags::SYN, 1),
        ]),
    );
    assert_eq!(
        headers(&mut server),
        [
            Header::ping(Flags::ACK, 0xdead_beef),
            Header::ping(Flags::ACK, 1)
        ]
    );
}

#[test]
fn a_peer_that_reads_nothing_pauses_our_input() {
    let now = Instant::now();
    let mut server = Core::new(Mode::Server, Config::default(), now);
    let pings = wire(&vec![Header::ping(Flags::SYN, 1); 1000]);
    let mut fed = 0;
    while server.wants_input() {
        server.handle_input(now, &pings);
        fed += 1;
        assert!(fed < 1000);
    }
    assert!(server.backlog() > PAUSE_INPUT);
    let mut buf = Vec::new();
    server.take_output(&mut buf);
    server.on_written(buf.len());
    assert!(server.wants_input());
}

#[test]
fn an_invalid_config_gives_an_ended_session() {
    let now = Instant::now();
    let config = Config {
        window: 1,
        ..Config::default()
    };
    let mut core = Core::new(Mode::Client, config, now);
    assert!(matches!(core.close_reason(), Some(SessionError::Config(_))));
    assert!(core.open(now).is_err());
}

#[test]
fn ids_of_each_side_never_collide() {
    let mut pair = Pair::new();
    let c1 = pair.client.open(pair.now).unwrap().unwrap();
    let s1 = pair.server.open(pair.now).unwrap().unwrap();
    let c2 = pair.client.open(pair.now).unwrap().unwrap();
    pair.pump();
    assert_eq!((c1, s1, c2), (1, 2, 3));
    assert_eq!(pair.server.accept().unwrap(), Some(1));
    assert_eq!(pair.server.accept().unwrap(), Some(3));
    assert_eq!(pair.client.accept().unwrap(), Some(2));
}

#[test]
fn durations_too_long_to_represent_never_pass() {
    let now = Instant::now();
    let config = Config {
        keepalive: Some(Duration::MAX),
        keepalive_timeout: Duration::MAX,
        open_timeout: Some(Duration::MAX),
        close_timeout: Some(Duration::MAX),
        write_timeout: Duration::MAX,
        ..Config::default()
    };
    let mut client = Core::new(Mode::Client, config, now);
    let id = client.open(now).unwrap().unwrap();
    client.finish(now, id).unwrap();
    assert_eq!(client.poll_timeout(), None);
    client.handle_timeout(now + Duration::from_secs(1_000_000));
    assert!(client.close_reason().is_none());
}
