//! The yamux target: arbitrary bytes into rpc-yamux's I/O-free session core (a server), with
//! the streams it accepts read, written, finished, dropped and opened as the input's own bytes
//! say, and the clock moved (keepalive, open and close timeouts). Nothing may panic, and memory
//! stays bounded: no stream buffers more than its window, the session keeps no more streams
//! than its caps allow, and nothing waits to be sent once the output was taken.

use std::time::{Duration, Instant};

use rpc_yamux::frame::{Flags, Header};
use rpc_yamux::proto::Core;
use rpc_yamux::{Config, INITIAL_WINDOW, Mode};

/// Few streams and small frames, so that the limits are reached by short inputs.
fn config() -> Config {
    Config {
        max_streams: 4,
        max_frame: 4096,
        keepalive: Some(Duration::from_secs(30)),
        ..Config::default()
    }
}

/// Runs the core on `stream`, fed `chunk` bytes at a time; returns how many bytes it read out
/// and sent.
pub(crate) fn run(chunk: usize, stream: &[u8]) -> usize {
    let config = config();
    let cap = config.max_streams;
    let mut now = Instant::now();
    let mut core = Core::new(Mode::Server, config, now);
    let mut held: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    let mut progress = 0;
    for piece in stream.chunks(chunk) {
        core.handle_input(now, piece);
        while core.poll_event().is_some() {}
        while let Ok(Some(id)) = core.accept() {
            held.push(id);
        }
        held.retain(|&id| match core.read(id, &mut buf) {
            Ok(Some(0)) => {
                let _ = core.finish(now, id);
                core.detach(id);
                false
            }
            Ok(Some(n)) => {
                progress += n;
                true
            }
            Ok(None) => true,
            Err(_) => {
                core.detach(id);
                false
            }
        });
        let op = piece[0];
        if op % 3 == 0
            && let Some(&id) = held.first()
        {
            let _ = core.write(id, piece);
        }
        if op % 5 == 0
            && let Some(&id) = held.last()
        {
            let _ = core.finish(now, id);
        }
        if op % 7 == 0
            && let Ok(Some(id)) = core.open(now)
        {
            held.push(id);
        }
        if op % 11 == 0
            && let Some(id) = held.pop()
        {
            core.detach(id);
        }
        if op == 0xff {
            core.go_away();
        }
        now += Duration::from_secs(u64::from(op % 16));
        core.handle_timeout(now);
        while core.poll_event().is_some() {}
        out.clear();
        core.take_output(&mut out);
        core.on_written(out.len());
        progress += out.len();
        assert_eq!(core.backlog(), 0, "everything queued was taken");
        assert!(
            core.stream_count() <= 2 * cap + held.len(),
            "{} streams kept",
            core.stream_count()
        );
        for &id in &held {
            assert!(
                core.buffered(id) <= INITIAL_WINDOW as usize,
                "stream {id} over its window"
            );
        }
    }
    core.handle_eof();
    for id in held {
        let _ = core.read(id, &mut buf);
        core.detach(id);
    }
    assert_eq!(
        core.stream_count(),
        0,
        "every stream is forgotten at the end"
    );
    progress
}

fn data(id: u32, flags: Flags, payload: &[u8]) -> Vec<u8> {
    let mut out = Header::data(id, flags, payload.len() as u32)
        .encode()
        .to_vec();
    out.extend_from_slice(payload);
    out
}

/// A client's traffic: streams opened (by WindowUpdate and by Data), data, window updates,
/// half-closes, a reset, pings and their answers, and a GoAway.
pub(crate) fn seeds() -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    frames.extend(Header::window_update(1, Flags::SYN, 0).encode());
    frames.extend(data(1, Flags::NONE, b"hello over yamux"));
    frames.extend(data(3, Flags::SYN, &[0x55; 300]));
    frames.extend(Header::ping(Flags::SYN, 7).encode());
    frames.extend(Header::window_update(2, Flags::ACK, 4096).encode());
    frames.extend(Header::window_update(1, Flags::NONE, 1024).encode());
    frames.extend(data(3, Flags::FIN, b"last"));
    frames.extend(Header::window_update(5, Flags::SYN | Flags::RST, 0).encode());
    frames.extend(Header::ping(Flags::ACK, 0).encode());
    frames.extend(Header::window_update(1, Flags::FIN, 0).encode());
    frames.extend(data(7, Flags::SYN, &[0xaa; 4096]));
    frames.extend(Header::go_away(0).encode());
    [0u8, 11, 63]
        .into_iter()
        .map(|chunk| [&[chunk][..], &frames].concat())
        .collect()
}
