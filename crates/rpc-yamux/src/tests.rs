//! The tokio driver and handles, over in-memory pipes.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use crate::frame::{Flags, HEADER_LEN, Header};
use crate::{Config, Mode, Session, SessionError, StreamError};

/// Fails a test that would otherwise hang.
async fn bounded<F: std::future::Future>(fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), fut)
        .await
        .expect("still waiting after 20 s")
}

fn pair_with(config: Config) -> (Session, Session) {
    let (a, b) = tokio::io::duplex(64 * 1024);
    (
        Session::new(a, Mode::Client, config.clone()),
        Session::new(b, Mode::Server, config),
    )
}

fn pair() -> (Session, Session) {
    pair_with(Config::default())
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A session against a raw pipe end the test reads and writes frames on.
fn raw(mode: Mode, config: Config) -> (Session, DuplexStream) {
    let (a, b) = tokio::io::duplex(1024 * 1024);
    (Session::new(a, mode, config), b)
}

async fn read_header(io: &mut DuplexStream) -> Header {
    let mut buf = [0u8; HEADER_LEN];
    io.read_exact(&mut buf).await.expect("a header");
    Header::decode(&buf).expect("a valid header")
}

fn kind_of<T: std::fmt::Debug>(result: io::Result<T>) -> io::ErrorKind {
    result.expect_err("an error").kind()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_many_streams_with_payloads_beyond_the_window() {
    let (client, server) = pair();
    let echo = tokio::spawn(async move {
        let mut tasks = Vec::new();
        while let Some(mut stream) = server.accept().await.unwrap() {
            tasks.push(tokio::spawn(async move {
                let (mut rd, mut wr) = tokio::io::split(&mut stream);
                tokio::io::copy(&mut rd, &mut wr).await.unwrap();
                wr.shutdown().await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    let mut calls = Vec::new();
    for i in 0..32u8 {
        let client = client.clone();
        calls.push(tokio::spawn(async move {
            let payload = pattern(600_000 + usize::from(i) * 1000, i);
            let stream = client.open().await.unwrap();
            let (mut rd, mut wr) = tokio::io::split(stream);
            let sent = payload.clone();
            let writer = tokio::spawn(async move {
                wr.write_all(&sent).await.unwrap();
                wr.shutdown().await.unwrap();
                wr
            });
            let mut back = Vec::new();
            rd.read_to_end(&mut back).await.unwrap();
            let _wr = writer.await.unwrap();
            assert!(back == payload, "stream {i} echoed wrong bytes");
        }));
    }
    bounded(async {
        for call in calls {
            call.await.unwrap();
        }
    })
    .await;
    client.close();
    bounded(echo).await.unwrap();
}

#[tokio::test]
async fn shutdown_half_closes_and_the_other_way_goes_on() {
    let (client, server) = pair();
    let mut a = client.open().await.unwrap();
    a.write_all(b"request").await.unwrap();
    a.shutdown().await.unwrap();
    let mut b = server.accept().await.unwrap().unwrap();
    let mut got = Vec::new();
    b.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"request");
    b.write_all(b"reply").await.unwrap();
    b.shutdown().await.unwrap();
    let mut reply = Vec::new();
    a.read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, b"reply");
    let err = a.write_all(b"late").await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}

#[tokio::test]
async fn dropping_a_stream_unfinished_resets_the_peers_side() {
    let (client, server) = pair();
    let mut a = client.open().await.unwrap();
    a.write_all(b"partial").await.unwrap();
    let mut b = server.accept().await.unwrap().unwrap();
    let mut buf = [0u8; 7];
    b.read_exact(&mut buf).await.unwrap();
    drop(a);
    let err = bounded(b.read(&mut buf)).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert!(matches!(
        err.get_ref().and_then(|e| e.downcast_ref::<StreamError>()),
        Some(StreamError::Reset(1))
    ));
}

#[tokio::test]
async fn close_ends_accept_cleanly_on_both_sides() {
    let (client, server) = pair();
    let stream = client.open().await.unwrap();
    let accepted = server.accept().await.unwrap().unwrap();
    client.close();
    assert!(client.accept().await.unwrap().is_none());
    assert!(bounded(server.accept()).await.unwrap().is_none());
    let err = bounded(server.closed()).await;
    assert_eq!(err.kind(), io::ErrorKind::ConnectionAborted, "{err}");
    assert_eq!(client.closed().await.kind(), io::ErrorKind::NotConnected);
    assert!(kind_of(client.open().await) == io::ErrorKind::NotConnected);
    drop((stream, accepted));
}

#[tokio::test]
async fn dropping_every_handle_closes_the_connection() {
    let (session, mut peer) = raw(Mode::Client, Config::default());
    let stream = session.open().await.unwrap();
    assert_eq!(
        read_header(&mut peer).await,
        Header::window_update(1, Flags::SYN, 0)
    );
    drop(session);
    // The stream keeps the session alive.
    drop(stream);
    assert_eq!(
        read_header(&mut peer).await,
        Header::window_update(1, Flags::RST, 0)
    );
    let mut rest = Vec::new();
    bounded(peer.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.is_empty());
}

#[tokio::test]
async fn a_slow_reader_holds_up_no_other_stream() {
    let (client, server) = pair();
    let mut slow = client.open().await.unwrap();
    let mut fast = client.open().await.unwrap();
    // Fill the slow stream's window; nobody reads it.
    slow.write_all(&vec![1u8; 256 * 1024]).await.unwrap();
    let _slow_peer = server.accept().await.unwrap().unwrap();
    let mut fast_peer = server.accept().await.unwrap().unwrap();
    for round in 0..20u8 {
        fast.write_all(&[round; 10_000]).await.unwrap();
        let mut buf = vec![0u8; 10_000];
        bounded(fast_peer.read_exact(&mut buf)).await.unwrap();
        assert!(buf.iter().all(|&b| b == round));
    }
    // The slow stream cannot write more until its reader reads.
    let blocked = tokio::time::timeout(Duration::from_millis(50), slow.write_all(&[2u8; 1])).await;
    assert!(blocked.is_err(), "no window left");
}

#[tokio::test]
async fn open_waits_at_the_stream_cap() {
    let (client, server) = pair_with(Config {
        max_streams: 2,
        ..Config::default()
    });
    let a = client.open().await.unwrap();
    let _b = client.open().await.unwrap();
    let third = tokio::spawn({
        let client = client.clone();
        async move { client.open().await.map(|s| s.id()) }
    });
    tokio::task::yield_now().await;
    assert!(!third.is_finished());
    drop(a); // reset: a place frees
    assert_eq!(bounded(third).await.unwrap().unwrap(), 5);
    drop(server);
}

#[tokio::test]
async fn go_away_refuses_new_streams_and_keeps_old_ones() {
    let (client, server) = pair();
    let mut a = client.open().await.unwrap();
    let mut b = server.accept().await.unwrap().unwrap();
    server.go_away();
    // The GoAway reaches the client once something comes back after it.
    b.write_all(b"x").await.unwrap();
    let mut one = [0u8; 1];
    a.read_exact(&mut one).await.unwrap();
    let err = client.open().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    a.write_all(b"still here").await.unwrap();
    a.shutdown().await.unwrap();
    let mut got = Vec::new();
    b.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"still here");
    assert!(!client.is_closed() && !server.is_closed());
}

#[tokio::test]
async fn a_protocol_error_sends_go_away_and_ends_the_session() {
    let (session, mut peer) = raw(Mode::Server, Config::default());
    peer.write_all(&[7u8; HEADER_LEN]).await.unwrap();
    assert_eq!(read_header(&mut peer).await, Header::go_away(1));
    let err = bounded(session.closed()).await;
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("version 7"), "{err}");
    assert_eq!(kind_of(session.accept().await), io::ErrorKind::InvalidData);
    let mut rest = Vec::new();
    bounded(peer.read_to_end(&mut rest)).await.unwrap();
}

#[tokio::test]
async fn go_away_with_an_error_code_ends_the_session() {
    let (session, mut peer) = raw(Mode::Client, Config::default());
    peer.write_all(&Header::go_away(2).encode()).await.unwrap();
    let err = bounded(session.closed()).await;
    assert!(matches!(
        err.get_ref().and_then(|e| e.downcast_ref::<SessionError>()),
        Some(SessionError::GoAway(2))
    ));
}

#[tokio::test]
async fn pings_are_answered() {
    let (_session, mut peer) = raw(Mode::Server, Config::default());
    peer.write_all(&Header::ping(Flags::SYN, 1234).encode())
        .await
        .unwrap();
    assert_eq!(read_header(&mut peer).await, Header::ping(Flags::ACK, 1234));
}

#[tokio::test(start_paused = true)]
async fn keepalive_pings_and_times_out_without_answer() {
    let config = Config {
        keepalive: Some(Duration::from_secs(30)),
        keepalive_timeout: Duration::from_secs(10),
        ..Config::default()
    };
    let (session, mut peer) = raw(Mode::Client, config);
    // The paused clock jumps to the ping.
    assert_eq!(read_header(&mut peer).await, Header::ping(Flags::SYN, 0));
    peer.write_all(&Header::ping(Flags::ACK, 0).encode())
        .await
        .unwrap();
    assert_eq!(read_header(&mut peer).await, Header::ping(Flags::SYN, 1));
    // No answer this time.
    let started = tokio::time::Instant::now();
    let err = session.closed().await;
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(started.elapsed(), Duration::from_secs(10));
    assert!(err.to_string().contains("keepalive"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn an_unacknowledged_open_times_out() {
    let config = Config {
        keepalive: None,
        ..Config::default()
    };
    let (session, mut peer) = raw(Mode::Client, config);
    let _stream = session.open().await.unwrap();
    assert_eq!(
        read_header(&mut peer).await,
        Header::window_update(1, Flags::SYN, 0)
    );
    let err = session.closed().await;
    assert!(matches!(
        err.get_ref().and_then(|e| e.downcast_ref::<SessionError>()),
        Some(SessionError::OpenTimeout(1))
    ));
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_reads_nothing_hits_the_write_timeout() {
    let config = Config {
        keepalive: None,
        ..Config::default()
    };
    // A small pipe that nobody reads.
    let (a, _b) = tokio::io::duplex(1024);
    let session = Session::new(a, Mode::Client, config);
    let mut stream = session.open().await.unwrap();
    let writing = tokio::spawn(async move { stream.write_all(&vec![0u8; 1_000_000]).await });
    let err = session.closed().await;
    assert!(matches!(
        err.get_ref().and_then(|e| e.downcast_ref::<SessionError>()),
        Some(SessionError::WriteTimeout(_))
    ));
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert!(writing.await.unwrap().is_err());
}

#[tokio::test]
async fn the_peer_closing_the_connection_ends_the_session_cleanly() {
    let (session, peer) = raw(Mode::Server, Config::default());
    drop(peer);
    assert!(bounded(session.accept()).await.unwrap().is_none());
    assert_eq!(
        session.closed().await.kind(),
        io::ErrorKind::ConnectionAborted
    );
}

#[tokio::test]
async fn streams_beyond_the_cap_are_refused_with_rst() {
    let config = Config {
        max_streams: 1,
        ..Config::default()
    };
    let (session, mut peer) = raw(Mode::Server, config);
    peer.write_all(&Header::window_update(1, Flags::SYN, 0).encode())
        .await
        .unwrap();
    peer.write_all(&Header::window_update(3, Flags::SYN, 0).encode())
        .await
        .unwrap();
    assert_eq!(
        read_header(&mut peer).await,
        Header::window_update(3, Flags::RST, 0)
    );
    let stream = session.accept().await.unwrap().unwrap();
    assert_eq!(stream.id(), 1);
    assert_eq!(
        read_header(&mut peer).await,
        Header::window_update(1, Flags::ACK, 0)
    );
}

#[tokio::test]
async fn an_invalid_config_gives_an_ended_session() {
    let (session, _peer) = raw(
        Mode::Client,
        Config {
            window: 10,
            ..Config::default()
        },
    );
    assert_eq!(kind_of(session.open().await), io::ErrorKind::InvalidInput);
}
