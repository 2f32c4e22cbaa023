//! Tests of the `http` transport: the parser, the sniffer, dialing, `get`,
//! and both listeners against Go-shaped clients.

use super::*;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::client::check_response;
use super::parse::{HeadScanner, Request, parse_request, plausible_request, read_head};
use super::replay::prefixed;
use super::sniff::{Sniffed, classify};
use crate::{Address, BoxFuture, Connection, Listener, Peer, StatusPage};
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

const GO_CONNECT: &[u8] = b"CONNECT /_goRPC_ HTTP/1.0\n\n";

// ---- helpers ----

async fn http_listener() -> HttpListener {
    HttpListener::bind("127.0.0.1:0").await.unwrap()
}

fn host_port(addr: &Address) -> String {
    match addr {
        Address::Http { host_port: hp, .. } | Address::Tcp(hp) => hp.clone(),
        other => panic!("unexpected address {other}"),
    }
}

fn page(body: &'static str) -> StatusPage {
    Arc::new(move || body.to_owned())
}

/// Sends `request` on a new connection and returns everything the
/// listener answers until it closes, failing if `accept` yields a
/// connection meanwhile.
async fn exchange(listener: &mut dyn Listener, request: &[u8]) -> String {
    let mut client = TcpStream::connect(host_port(listener.local_addr()))
        .await
        .unwrap();
    client.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::select! {
        read = client.read_to_end(&mut answer) => { read.unwrap(); }
        conn = listener.accept() => panic!("accept yielded {conn:?}"),
    }
    String::from_utf8(answer).unwrap()
}

/// Splits an answer into status line, headers (lowercased names) and
/// body, checking Content-Length.
fn split_answer(answer: &str) -> (&str, Vec<(String, &str)>, &str) {
    let (head, body) = answer.split_once("\r\n\r\n").expect("no end of head");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap();
    let headers: Vec<(String, &str)> = lines
        .map(|l| {
            let (n, v) = l.split_once(": ").unwrap();
            (n.to_ascii_lowercase(), v)
        })
        .collect();
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse::<usize>().unwrap());
    assert_eq!(len, Some(body.len()), "{answer:?}");
    (status, headers, body)
}

fn header<'a>(headers: &'a [(String, &'a str)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
}

/// A fake server for `dial`: accepts one connection, checks the
/// request is Go's, writes `answer` in `pieces` and hands the socket
/// back.
async fn fake_server(answer: Vec<u8>) -> (String, tokio::task::JoinHandle<TcpStream>) {
    fake_server_for(GO_CONNECT, answer).await
}

/// [`fake_server`] expecting `expected` as the request.
async fn fake_server_for(
    expected: &'static [u8],
    answer: Vec<u8>,
) -> (String, tokio::task::JoinHandle<TcpStream>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut request = vec![0; expected.len()];
        sock.read_exact(&mut request).await.unwrap();
        assert_eq!(request, expected);
        sock.write_all(&answer).await.unwrap();
        sock
    });
    (addr, task)
}

/// An inner listener fed by hand, for connections over in-memory pipes.
struct FedListener {
    local: Address,
    queue: mpsc::UnboundedReceiver<Connection>,
}

impl Listener for FedListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(async move {
            match self.queue.recv().await {
                Some(conn) => Ok(conn),
                None => std::future::pending().await,
            }
        })
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }
}

/// A sniffing listener over [`FedListener`], and a way to connect to it
/// through a pipe of `capacity` bytes (1 makes every read return one
/// byte).
fn fed_optional() -> (OptionalHttp, impl Fn(usize) -> tokio::io::DuplexStream) {
    let (tx, rx) = mpsc::unbounded_channel();
    let inner = FedListener {
        local: Address::Mem("fed".into()),
        queue: rx,
    };
    let connect = move |capacity| {
        let (client, server) = tokio::io::duplex(capacity);
        let conn = Connection::new(server, Peer::new("mem", "fed"));
        tx.send(conn).unwrap();
        client
    };
    (OptionalHttp::new(Box::new(inner)), connect)
}

/// Writes `bytes` one at a time, yielding in between.
async fn trickle(stream: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) {
    for b in bytes {
        stream.write_all(&[*b]).await.unwrap();
        stream.flush().await.unwrap();
        tokio::task::yield_now().await;
    }
}

// ---- pure parts ----

#[test]
fn head_scanner_finds_the_empty_line() {
    let mut s = HeadScanner::default();
    assert_eq!(s.scan(b"CONNECT / HTTP/1.0\n"), None);
    assert_eq!(s.scan(b"CONNECT / HTTP/1.0\n\nrest"), Some(20));
    let mut s = HeadScanner::default();
    assert_eq!(s.scan(b"GET / HTTP/1.1\r\nA: b\r\n\r\nx"), Some(24));
    // Mixed endings, fed a byte at a time.
    let whole = b"GET / HTTP/1.1\r\nA: b\n\r\nbody";
    let mut s = HeadScanner::default();
    let found = (1..=whole.len()).find_map(|n| s.scan(&whole[..n]));
    assert_eq!(found, Some(23));
    // A lone \r does not end a line.
    assert_eq!(HeadScanner::default().scan(b"A\r\rB\n\r\r\n"), None);
}

#[test]
fn parses_requests() {
    let ok = |head: &'static [u8]| parse_request(head).unwrap();
    assert_eq!(
        ok(GO_CONNECT),
        Request {
            method: "CONNECT",
            path: "/_goRPC_"
        }
    );
    assert_eq!(
        ok(b"GET /debug/rpc?x=1 HTTP/1.1\r\nHost: h\r\nX-Y:z\r\n\r\n").path,
        "/debug/rpc"
    );
    assert_eq!(
        ok(b"GET http://h:1/debug/rpc HTTP/1.1\n\n").path,
        "/debug/rpc"
    );
    assert_eq!(ok(b"GET http://h:1 HTTP/1.1\n\n").path, "/");
    for (head, why) in [
        (&b"\n"[..], "malformed request line"),
        (b"GET /\n\n", "malformed request line"),
        (b"GET / HTTP/2.0\n\n", "unsupported HTTP version"),
        (b"GET / HTTP/1.0 x\n\n", "unsupported HTTP version"),
        (b"G(T / HTTP/1.0\n\n", "malformed method"),
        (b"GET  HTTP/1.0\n\n", "malformed request target"),
        (b"GET /\x01 HTTP/1.0\n\n", "malformed request target"),
        (b"GET /\xff HTTP/1.0\n\n", "request line is not ASCII"),
        (b"GET / HTTP/1.0\nno colon\n\n", "malformed header line"),
        (b"GET / HTTP/1.0\n: v\n\n", "malformed header name"),
        (b"GET / HTTP/1.0\n folded: v\n\n", "malformed header name"),
    ] {
        assert_eq!(parse_request(head), Err(why), "{head:?}");
    }
}

#[test]
fn plausibility_and_sniffing() {
    assert!(plausible_request(b""));
    assert!(plausible_request(b"CONN"));
    assert!(plausible_request(b"GET /x"));
    assert!(!plausible_request(b" GET"));
    assert!(!plausible_request(b"\x0c\xff\x81"));
    assert!(!plausible_request(b"{\"method\""));
    assert!(!plausible_request(b"GET\r\n"));

    assert_eq!(classify(b""), None);
    assert_eq!(classify(b"C"), None);
    assert_eq!(classify(b"CONNECT"), None);
    assert_eq!(classify(b"CONNECT "), Some(Sniffed::Http));
    assert_eq!(classify(b"GET /debug/rpc"), Some(Sniffed::Http));
    assert_eq!(classify(b"GE"), None);
    assert_eq!(classify(b"GEX"), Some(Sniffed::Raw));
    assert_eq!(classify(b"C\xff"), Some(Sniffed::Raw));
    assert_eq!(classify(b"POST / HTTP/1.0"), Some(Sniffed::Raw));
    assert_eq!(classify(b"NETRPC\x01\x01"), Some(Sniffed::Raw));
    assert_eq!(classify(b"{\"method\":1}"), Some(Sniffed::Raw));
}

#[test]
fn checks_responses() {
    assert!(check_response(b"HTTP/1.0 200 Connected to Go RPC\n\n", "/p").is_ok());
    assert!(check_response(b"HTTP/1.1 200 Connected to Go RPC\r\nX: y\r\n\r\n", "/p").is_ok());
    let err = |head: &[u8]| check_response(head, "/p").unwrap_err().to_string();
    assert_eq!(
        err(b"HTTP/1.0 404 Not Found\r\n\r\n"),
        "unexpected HTTP response: 404 Not Found (to CONNECT /p)"
    );
    assert_eq!(
        err(b"HTTP/1.0 200 OK\n\n"),
        "unexpected HTTP response: 200 OK (to CONNECT /p)"
    );
    assert!(err(b"HTTP/2.0 200 Connected to Go RPC\n\n").starts_with("malformed HTTP response"));
    assert!(err(b"SSH-2.0-OpenSSH\r\n\r\n").starts_with("malformed HTTP response"));
    assert_eq!(
        err(b"HTTP/1.0 200 Connected\x07\n\n"),
        r"unexpected HTTP response: 200 Connected\u{7} (to CONNECT /p)"
    );
    assert!(err(b"HTTP/1.0 \xff\n\n").starts_with("malformed HTTP response"));
}

#[tokio::test]
async fn prefixed_replays_then_reads_on() {
    let (mut far, near) = tokio::io::duplex(64);
    let mut stream = prefixed(Box::new(near), b"abc".to_vec());
    far.write_all(b"def").await.unwrap();
    let mut two = [0; 2];
    stream.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"ab");
    let mut four = [0; 4];
    stream.read_exact(&mut four).await.unwrap();
    assert_eq!(&four, b"cdef");
    stream.write_all(b"up").await.unwrap();
    far.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"up");
}

// ---- dial against a fake server ----

#[tokio::test]
async fn dial_accepts_go_answer_and_keeps_following_bytes() {
    let mut answer = CONNECT_RESPONSE.to_vec();
    answer.extend_from_slice(b"gob bytes");
    let (addr, server) = fake_server(answer).await;
    let mut conn = dial(&addr, RPC_PATH).await.unwrap();
    assert_eq!(conn.peer.transport, "http");
    assert_eq!(conn.peer.addr, addr);
    assert_eq!(conn.peer.socket_addr.unwrap().to_string(), addr);

    let mut sock = server.await.unwrap();
    let mut got = [0; 9];
    conn.stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"gob bytes");
    conn.stream_mut()
        .unwrap()
        .write_all(b"reply")
        .await
        .unwrap();
    let mut got = [0; 5];
    sock.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"reply");
}

#[tokio::test]
async fn dial_tolerates_crlf_and_headers() {
    let answer = b"HTTP/1.1 200 Connected to Go RPC\r\nServer: x\r\n\r\nafter".to_vec();
    let (addr, _server) = fake_server(answer).await;
    let mut conn = dial(&addr, RPC_PATH).await.unwrap();
    let mut got = [0; 5];
    conn.stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"after");
}

#[tokio::test]
async fn dial_reads_an_answer_trickling_in() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        sock.set_nodelay(true).unwrap();
        let mut request = vec![0; GO_CONNECT.len()];
        sock.read_exact(&mut request).await.unwrap();
        trickle(&mut sock, CONNECT_RESPONSE).await;
        sock.write_all(b"x").await.unwrap();
        std::future::pending::<()>().await;
    });
    let mut conn = dial(&addr, RPC_PATH).await.unwrap();
    let mut got = [0; 1];
    conn.stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"x");
}

#[tokio::test]
async fn dial_rejects_wrong_status() {
    let (addr, _server) = fake_server(b"HTTP/1.0 404 Not Found\r\n\r\n".to_vec()).await;
    let err = dial(&addr, RPC_PATH).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(
        err.to_string(),
        format!(
            "dial-http tcp {addr}: unexpected HTTP response: 404 Not Found (to CONNECT /_goRPC_)"
        )
    );
}

#[tokio::test]
async fn dial_rejects_eof_and_oversized_heads() {
    let (addr, server) = fake_server(b"HTTP/1.0 200 Conn".to_vec()).await;
    let dialing = tokio::spawn(async move { dial(&addr, RPC_PATH).await });
    drop(server.await.unwrap());
    let err = dialing.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(err.to_string().contains("HTTP/1.0 200 Conn"), "{err}");

    let mut answer = b"HTTP/1.0 200 Connected to Go RPC\r\n".to_vec();
    answer.extend(std::iter::repeat_n(b'x', MAX_RESPONSE_HEAD));
    let (addr, _server) = fake_server(answer).await;
    let err = dial(&addr, RPC_PATH).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("longer than 4096 bytes"), "{err}");
}

// ---- the listener against a hand-written client ----

#[tokio::test]
async fn listener_connects_go_clients() {
    let mut listener = http_listener().await;
    let local = listener.local_addr().clone();
    assert!(
        local.to_string().starts_with("http://127.0.0.1:"),
        "{local}"
    );
    assert_eq!(local.to_string().parse::<Address>().unwrap(), local);

    let mut client = TcpStream::connect(host_port(&local)).await.unwrap();
    // The request and the first RPC bytes in one write.
    client
        .write_all(b"CONNECT /_goRPC_ HTTP/1.0\n\nhello")
        .await
        .unwrap();
    let mut server = listener.accept().await.unwrap();
    assert_eq!(server.peer.transport, "http");
    assert_eq!(server.peer.socket_addr, Some(client.local_addr().unwrap()));

    let mut answer = vec![0; CONNECT_RESPONSE.len()];
    client.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer, b"HTTP/1.0 200 Connected to Go RPC\n\n");
    let mut got = [0; 5];
    server
        .stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"hello");
    server
        .stream_mut()
        .unwrap()
        .write_all(b"world")
        .await
        .unwrap();
    client.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"world");

    // HTTP/1.1, CRLF and headers are fine too.
    let mut client = TcpStream::connect(host_port(&local)).await.unwrap();
    client
        .write_all(b"CONNECT /_goRPC_ HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    listener.accept().await.unwrap();
    let mut answer = vec![0; CONNECT_RESPONSE.len()];
    client.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer, CONNECT_RESPONSE);
}

#[tokio::test]
async fn dial_and_listen_by_address() {
    let mut listener = crate::listen(&"http://127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // The handshake needs the listener to be accepting.
    let addr = listener.local_addr().clone();
    let (client, server) = tokio::join!(crate::dial(&addr), listener.accept());
    let (mut client, mut server) = (client.unwrap(), server.unwrap());
    client
        .stream_mut()
        .unwrap()
        .write_all(b"ping")
        .await
        .unwrap();
    let mut got = [0; 4];
    server
        .stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"ping");
    assert_eq!(client.peer.transport, "http");
    assert_eq!(server.peer.transport, "http");
}

#[tokio::test]
async fn debug_page_is_served_when_set() {
    let mut listener = http_listener().await;
    let answer = exchange(&mut listener, b"GET /debug/rpc HTTP/1.0\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.0 404 Not Found\r\n"), "{answer}");

    listener.set_status_page(page("<html>Service Arith</html>"));
    let answer = exchange(&mut listener, b"GET /debug/rpc HTTP/1.1\r\nHost: h\r\n\r\n").await;
    let (status, headers, body) = split_answer(&answer);
    assert_eq!(status, "HTTP/1.0 200 OK");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&headers, "connection"), Some("close"));
    assert_eq!(body, "<html>Service Arith</html>");

    let answer = exchange(&mut listener, b"POST /debug/rpc HTTP/1.0\n\n").await;
    let (status, headers, _) = split_answer(&answer);
    assert_eq!(status, "HTTP/1.0 405 Method Not Allowed");
    assert_eq!(header(&headers, "allow"), Some("GET"));
}

#[tokio::test]
async fn other_methods_on_rpc_path_get_405() {
    let mut listener = http_listener().await;
    let answer = exchange(
        &mut listener,
        b"POST /_goRPC_ HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    let (status, headers, body) = split_answer(&answer);
    assert_eq!(status, "HTTP/1.0 405 Method Not Allowed");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(body, "405 must CONNECT\n");
}

#[tokio::test]
async fn unknown_paths_get_404() {
    let mut listener = http_listener().await;
    for request in [
        &b"GET / HTTP/1.0\n\n"[..],
        b"CONNECT /other HTTP/1.0\n\n",
        b"CONNECT 127.0.0.1:80 HTTP/1.1\r\n\r\n",
        b"GET /_goRPC_/ HTTP/1.0\n\n",
    ] {
        let answer = exchange(&mut listener, request).await;
        let (status, _, body) = split_answer(&answer);
        assert_eq!(status, "HTTP/1.0 404 Not Found", "{request:?}");
        assert_eq!(body, "404 page not found\n");
    }
}

#[tokio::test]
async fn malformed_and_oversized_heads_get_400() {
    let mut listener = http_listener().await;
    let mut oversized = b"GET /debug/rpc HTTP/1.0\r\n".to_vec();
    while oversized.len() <= MAX_REQUEST_HEAD + 1000 {
        oversized.extend_from_slice(b"X-Filler: 0123456789abcdef\r\n");
    }
    for (request, reason) in [
        (oversized, "request head longer than 16384 bytes"),
        // Not HTTP at all (a gob stream): answered at once.
        (b"\x0c\xff\x81\x03\x01".to_vec(), "malformed request line"),
        (
            b"GET / HTTP/2.0\r\n\r\n".to_vec(),
            "unsupported HTTP version",
        ),
        (
            b"GET / HTTP/1.0\r\nbad\r\n\r\n".to_vec(),
            "malformed header line",
        ),
    ] {
        let answer = exchange(&mut listener, &request).await;
        let (status, _, body) = split_answer(&answer);
        assert_eq!(status, "HTTP/1.0 400 Bad Request");
        assert_eq!(body, format!("400 Bad Request: {reason}\n"));
    }
    // The listener still works.
    let mut client = TcpStream::connect(host_port(listener.local_addr()))
        .await
        .unwrap();
    client.write_all(GO_CONNECT).await.unwrap();
    listener.accept().await.unwrap();
}

#[tokio::test]
async fn a_dawdler_does_not_hold_up_others() {
    let mut listener = http_listener().await;
    let addr = host_port(listener.local_addr());
    let mut dawdler = TcpStream::connect(&addr).await.unwrap();
    dawdler.write_all(b"CONNECT /_go").await.unwrap();
    let silent = TcpStream::connect(&addr).await.unwrap();
    let mut client = TcpStream::connect(&addr).await.unwrap();
    client.write_all(GO_CONNECT).await.unwrap();
    // The kernel queues connections in order, so this accept has to get
    // past both dawdlers to yield the client.
    let conn = tokio::time::timeout(Duration::from_secs(5), listener.accept())
        .await
        .expect("accept was held up")
        .unwrap();
    assert_eq!(conn.peer.socket_addr, Some(client.local_addr().unwrap()));
    drop((dawdler, silent));
}

#[tokio::test(start_paused = true)]
async fn handshake_timeout_closes_dawdlers() {
    let mut listener = http_listener().await;
    assert_eq!(listener.handshake_timeout(), DEFAULT_HANDSHAKE_TIMEOUT);
    for (timeout, sent) in [
        (DEFAULT_HANDSHAKE_TIMEOUT, &b"CONNECT /_go"[..]),
        (Duration::from_secs(3), b""),
    ] {
        listener.set_handshake_timeout(timeout);
        let mut dawdler = TcpStream::connect(host_port(listener.local_addr()))
            .await
            .unwrap();
        dawdler.write_all(sent).await.unwrap();
        let start = Instant::now();
        let mut buf = [0; 64];
        tokio::select! {
            read = dawdler.read(&mut buf) => assert_eq!(read.unwrap(), 0),
            conn = listener.accept() => panic!("accept yielded {conn:?}"),
        }
        let waited = start.elapsed();
        assert!(
            waited >= timeout && waited < timeout + Duration::from_secs(1),
            "{waited:?}"
        );
    }
}

#[tokio::test]
async fn dropping_the_listener_abandons_handshakes() {
    let mut listener = http_listener().await;
    let addr = host_port(listener.local_addr());
    let mut dawdler = TcpStream::connect(&addr).await.unwrap();
    let mut client = TcpStream::connect(&addr).await.unwrap();
    client.write_all(GO_CONNECT).await.unwrap();
    // Yielding the client means the dawdler's handshake has started.
    listener.accept().await.unwrap();
    drop(listener);
    let mut buf = [0; 8];
    let read = tokio::time::timeout(Duration::from_secs(5), dawdler.read(&mut buf))
        .await
        .expect("dawdler still open");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

// ---- the optional wrapper ----

#[tokio::test]
async fn optional_serves_http_and_raw_on_one_port() {
    let inner = crate::tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut listener = optional(Box::new(inner));
    listener.set_status_page(page("<p>status</p>"));
    let addr = host_port(listener.local_addr());
    assert!(listener.local_addr().to_string().starts_with("tcp://"));

    // A raw (gob-looking) client: its bytes come through intact.
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut raw = TcpStream::connect(&addr).await.unwrap();
    let writer = {
        let payload = payload.clone();
        tokio::spawn(async move {
            raw.write_all(&payload).await.unwrap();
            raw
        })
    };
    let mut conn = listener.accept().await.unwrap();
    assert_eq!(conn.peer.transport, "tcp");
    let mut got = vec![0; payload.len()];
    conn.stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(got, payload);
    let mut raw = writer.await.unwrap();
    conn.stream_mut().unwrap().write_all(b"back").await.unwrap();
    let mut back = [0; 4];
    raw.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"back");

    // Go's rpc.DialHTTP.
    let mut go = TcpStream::connect(&addr).await.unwrap();
    go.write_all(b"CONNECT /_goRPC_ HTTP/1.0\n\n\x0c\xff\x81")
        .await
        .unwrap();
    let mut conn = listener.accept().await.unwrap();
    assert_eq!(conn.peer.transport, "http");
    let mut answer = vec![0; CONNECT_RESPONSE.len()];
    go.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer, CONNECT_RESPONSE);
    let mut got = [0; 3];
    conn.stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"\x0c\xff\x81");

    // A browser.
    let answer = exchange(listener.as_mut(), b"GET /debug/rpc HTTP/1.1\r\n\r\n").await;
    let (status, _, body) = split_answer(&answer);
    assert_eq!(status, "HTTP/1.0 200 OK");
    assert_eq!(body, "<p>status</p>");
    let answer = exchange(listener.as_mut(), b"GET /nothing HTTP/1.1\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.0 404 "), "{answer}");

    // The real crate::dial over the shared port.
    let host = format!("http://{addr}").parse().unwrap();
    let (client, conn) = tokio::join!(crate::dial(&host), listener.accept());
    let (mut client, mut conn) = (client.unwrap(), conn.unwrap());
    client
        .stream_mut()
        .unwrap()
        .write_all(b"rpc")
        .await
        .unwrap();
    conn.stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"rpc");
}

#[tokio::test]
async fn optional_handles_a_byte_at_a_time() {
    let (mut listener, connect) = fed_optional();
    listener.set_status_page(page("page"));

    // CONNECT, one byte per read (and the answer read a byte at a time).
    let mut client = connect(1);
    let handshaking = tokio::spawn(async move {
        trickle(&mut client, GO_CONNECT).await;
        let mut answer = vec![0; CONNECT_RESPONSE.len()];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(answer, CONNECT_RESPONSE);
        client.write_all(b"gob").await.unwrap();
        client
    });
    let mut conn = listener.accept().await.unwrap();
    assert_eq!(conn.peer.transport, "http");
    let mut got = [0; 3];
    conn.stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"gob");
    let _client = handshaking.await.unwrap();

    // Raw bytes that begin like a method, one byte per read.
    for sent in [&b"CONNECTx"[..], b"GE\x00\x01", b"C\xff\x81"] {
        let mut client = connect(1);
        let sent_owned = sent.to_vec();
        let sending = tokio::spawn(async move {
            trickle(&mut client, &sent_owned).await;
            client
        });
        let mut conn = listener.accept().await.unwrap();
        assert_eq!(conn.peer.transport, "mem");
        let mut got = vec![0; sent.len()];
        conn.stream_mut()
            .unwrap()
            .read_exact(&mut got)
            .await
            .unwrap();
        assert_eq!(got, sent);
        drop(sending.await.unwrap());
    }

    // GET, one byte per read, while accept is waiting.
    let mut client = connect(1);
    let sending = async move {
        trickle(&mut client, b"GET /debug/rpc HTTP/1.0\n\n").await;
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        String::from_utf8(answer).unwrap()
    };
    let answer = tokio::select! {
        answer = sending => answer,
        conn = listener.accept() => panic!("accept yielded {conn:?}"),
    };
    let (status, _, body) = split_answer(&answer);
    assert_eq!(status, "HTTP/1.0 200 OK");
    assert_eq!(body, "page");
}

#[tokio::test]
async fn optional_passes_on_eof() {
    let (mut listener, connect) = fed_optional();
    drop(connect(64));
    let mut conn = listener.accept().await.unwrap();
    let mut rest = Vec::new();
    conn.stream_mut()
        .unwrap()
        .read_to_end(&mut rest)
        .await
        .unwrap();
    assert!(rest.is_empty());

    let mut client = connect(64);
    client.write_all(b"GE").await.unwrap();
    drop(client);
    let mut conn = listener.accept().await.unwrap();
    conn.stream_mut()
        .unwrap()
        .read_to_end(&mut rest)
        .await
        .unwrap();
    assert_eq!(rest, b"GE");
}

#[tokio::test(start_paused = true)]
async fn optional_waits_for_silent_clients_but_times_out_partial_requests() {
    let (mut listener, connect) = fed_optional();
    let timeout = listener.handshake_timeout();

    // Silent for an hour, then a raw call: passed on intact.
    let mut idle = connect(64);
    let speak_later = async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        idle.write_all(b"\x0c\xff\x81late").await.unwrap();
        std::future::pending::<()>().await;
    };
    let mut conn = tokio::select! {
        conn = listener.accept() => conn.unwrap(),
        () = speak_later => unreachable!(),
    };
    let mut got = [0; 7];
    conn.stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"\x0c\xff\x81late");

    // The start of a request line, then nothing: closed at the timeout.
    for sent in [&b"GE"[..], b"GET /debug/rp"] {
        let mut dawdler = connect(64);
        dawdler.write_all(sent).await.unwrap();
        let start = Instant::now();
        let mut buf = [0; 8];
        tokio::select! {
            read = dawdler.read(&mut buf) => assert_eq!(read.unwrap(), 0),
            conn = listener.accept() => panic!("accept yielded {conn:?}"),
        }
        let waited = start.elapsed();
        assert!(
            waited >= timeout && waited < timeout + Duration::from_secs(1),
            "{waited:?}"
        );
    }
}

// ---- paths other than Go's defaults ----

#[test]
fn http_paths_are_validated() {
    let paths = HttpPaths::new("/a", "/a/debug").unwrap();
    assert_eq!((paths.rpc(), paths.debug()), ("/a", "/a/debug"));
    assert_eq!(
        (HttpPaths::default().rpc(), HttpPaths::default().debug()),
        (RPC_PATH, DEBUG_PATH)
    );
    assert_eq!(
        HttpPaths::new("/x", "/x").unwrap_err(),
        HttpPathError::Same { path: "/x".into() }
    );
    let err = HttpPaths::new("/ok", "no-slash").unwrap_err();
    assert!(
        matches!(err, HttpPathError::Invalid { which: "debug", .. }),
        "{err:?}"
    );
    assert_eq!(
        HttpPaths::new("/a b", "/d").unwrap_err().to_string(),
        r#"invalid RPC path "/a b": the path must be printable ASCII without spaces"#
    );
}

#[tokio::test]
async fn listener_serves_rpc_and_page_at_its_paths() {
    let paths = HttpPaths::new("/alpha", "/alpha/debug").unwrap();
    let mut listener = HttpListener::bind_with("127.0.0.1:0", paths).await.unwrap();
    assert_eq!(listener.paths().rpc(), "/alpha");
    let local = listener.local_addr().clone();
    assert!(local.to_string().ends_with("/alpha"), "{local}");
    assert_eq!(local.to_string().parse::<Address>().unwrap(), local);
    listener.set_status_page(page("alpha page"));

    for (request, status, body) in [
        // Go's mux: nothing at Go's default paths here.
        (
            &b"CONNECT /_goRPC_ HTTP/1.0\n\n"[..],
            "404 Not Found",
            "404 page not found\n",
        ),
        (
            b"GET /debug/rpc HTTP/1.0\n\n",
            "404 Not Found",
            "404 page not found\n",
        ),
        (
            b"CONNECT /alpha/ HTTP/1.0\n\n",
            "404 Not Found",
            "404 page not found\n",
        ),
        // Go's rpc handler on its own path.
        (
            b"GET /alpha HTTP/1.0\n\n",
            "405 Method Not Allowed",
            "405 must CONNECT\n",
        ),
        (
            b"GET /alpha/debug?x HTTP/1.1\r\n\r\n",
            "200 OK",
            "alpha page",
        ),
    ] {
        let answer = exchange(&mut listener, request).await;
        let (got_status, _, got_body) = split_answer(&answer);
        assert_eq!(got_status, format!("HTTP/1.0 {status}"), "{request:?}");
        assert_eq!(got_body, body, "{request:?}");
    }

    let (client, server) = tokio::join!(crate::dial(&local), listener.accept());
    let (mut client, mut server) = (client.unwrap(), server.unwrap());
    assert_eq!(server.peer.transport, "http");
    client
        .stream_mut()
        .unwrap()
        .write_all(b"rpc")
        .await
        .unwrap();
    let mut got = [0; 3];
    server
        .stream_mut()
        .unwrap()
        .read_exact(&mut got)
        .await
        .unwrap();
    assert_eq!(&got, b"rpc");
}

#[tokio::test]
async fn dial_connects_to_the_address_path() {
    let (addr, _server) =
        fake_server_for(b"CONNECT /beta HTTP/1.0\n\n", CONNECT_RESPONSE.to_vec()).await;
    let address: Address = format!("http://{addr}/beta").parse().unwrap();
    let conn = crate::dial(&address).await.unwrap();
    assert_eq!(conn.peer.transport, "http");

    let (addr, _server) = fake_server_for(
        b"CONNECT /gamma HTTP/1.0\n\n",
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 19\r\n\r\n404 page not found\n".to_vec(),
    )
    .await;
    let err = dial(&addr, "/gamma").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "dial-http tcp {addr}: unexpected HTTP response: 404 Not Found (to CONNECT /gamma)"
        )
    );
}

#[tokio::test]
async fn dial_refuses_a_path_it_cannot_send() {
    // Refused before connecting: nothing listens on port 1.
    let err = dial("127.0.0.1:1", "/a\r\nX: y").await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("invalid path"), "{err}");
}

#[tokio::test]
async fn listen_with_takes_the_debug_path_from_options() {
    let addr: Address = "http://127.0.0.1:0/rpc".parse().unwrap();
    let options = crate::ListenOptions::new().with_http_debug_path("/status");
    let mut listener = crate::listen_with(&addr, &options).await.unwrap();
    assert!(listener.local_addr().to_string().ends_with("/rpc"));
    listener.set_status_page(page("status"));
    let answer = exchange(listener.as_mut(), b"GET /status HTTP/1.0\n\n").await;
    assert_eq!(split_answer(&answer).2, "status");

    let clash = crate::ListenOptions::new().with_http_debug_path("/rpc");
    let err = crate::listen_with(&addr, &clash).await.err().unwrap();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("both \"/rpc\""), "{err}");
}

#[tokio::test]
async fn optional_serves_http_at_its_paths() {
    let inner = crate::tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let paths = HttpPaths::new("/rpc/one", "/rpc/one/debug").unwrap();
    let mut listener = optional_with(Box::new(inner), paths);
    listener.set_status_page(page("one"));
    let answer = exchange(listener.as_mut(), b"CONNECT /_goRPC_ HTTP/1.0\n\n").await;
    assert!(answer.starts_with("HTTP/1.0 404 Not Found\r\n"), "{answer}");
    let answer = exchange(listener.as_mut(), b"GET /rpc/one/debug HTTP/1.0\n\n").await;
    assert_eq!(split_answer(&answer).2, "one");

    let host: Address = format!("http://{}/rpc/one", host_port(listener.local_addr()))
        .parse()
        .unwrap();
    let (client, conn) = tokio::join!(crate::dial(&host), listener.accept());
    client.unwrap();
    assert_eq!(conn.unwrap().peer.transport, "http");
}

// ---- get ----

#[tokio::test]
async fn get_fetches_the_status_page_and_other_answers() {
    let mut listener = http_listener().await;
    listener.set_status_page(page("<html>page</html>"));
    let addr = host_port(listener.local_addr());
    let fetch = |path: &'static str, limit: usize| {
        let addr = addr.clone();
        async move {
            let mut stream = TcpStream::connect(&addr).await.unwrap();
            get(&mut stream, &addr, path, limit).await
        }
    };
    let (page, not_found, too_long) = tokio::select! {
        got = async {
            (
                fetch("/debug/rpc", 1024).await,
                fetch("/nothing", 1024).await,
                fetch("/debug/rpc", 16).await,
            )
        } => got,
        conn = listener.accept() => panic!("accept yielded {conn:?}"),
    };
    let page = page.unwrap();
    assert_eq!((page.code, page.status.as_str()), (200, "200 OK"));
    assert_eq!(page.body, b"<html>page</html>");
    let not_found = not_found.unwrap();
    assert_eq!(not_found.code, 404);
    assert_eq!(not_found.body, b"404 page not found\n");
    let err = too_long.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("longer than 16 bytes"), "{err}");
}

/// `get` over a pipe to a server that reads the request and answers
/// `answer`, then closes.
async fn get_answered(answer: &'static [u8], limit: usize) -> io::Result<Response> {
    let (mut client, mut server) = tokio::io::duplex(64 * 1024);
    let serving = tokio::spawn(async move {
        let mut head = Vec::new();
        read_head(&mut server, &mut head, MAX_REQUEST_HEAD, |_| true)
            .await
            .unwrap();
        assert!(
            head.starts_with(b"GET /p HTTP/1.0\r\nHost: h\r\n"),
            "{head:?}"
        );
        server.write_all(answer).await.unwrap();
    });
    let got = get(&mut client, "h", "/p", limit).await;
    serving.await.unwrap();
    got
}

#[tokio::test]
async fn get_reads_bodies_by_length_or_to_the_end_within_the_limit() {
    let got = get_answered(b"HTTP/1.0 200 OK\r\n\r\nto the end", 10)
        .await
        .unwrap();
    assert_eq!(got.body, b"to the end");
    let got = get_answered(b"HTTP/1.1 200 OK\nContent-length: 3\n\nabcdef", 3)
        .await
        .unwrap();
    assert_eq!(got.body, b"abc");
    let got = get_answered(b"HTTP/1.0 500 Oops\r\n\r\n", 0).await.unwrap();
    assert_eq!((got.code, got.status.as_str()), (500, "500 Oops"));

    for (answer, kind, text) in [
        (
            &b"HTTP/1.0 200 OK\r\n\r\neleven bytes"[..],
            io::ErrorKind::InvalidData,
            "longer than 10 bytes",
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n",
            io::ErrorKind::InvalidData,
            "longer than 10 bytes",
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nabc",
            io::ErrorKind::UnexpectedEof,
            "after 3 of 5 bytes",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            io::ErrorKind::InvalidData,
            "transfer encoding",
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n",
            io::ErrorKind::InvalidData,
            "Content-Length",
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            io::ErrorKind::InvalidData,
            "conflicting",
        ),
        (
            b"HTTP/1.0 2x OK\r\n\r\n",
            io::ErrorKind::InvalidData,
            "malformed HTTP status",
        ),
        (
            b"SSH-2.0-OpenSSH\r\n\r\n",
            io::ErrorKind::InvalidData,
            "malformed HTTP response",
        ),
        (
            b"HTTP/1.0 200 OK\r\nX: y",
            io::ErrorKind::UnexpectedEof,
            "unexpected EOF",
        ),
    ] {
        let err = get_answered(answer, 10).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{answer:?}: {err}");
        assert!(err.to_string().contains(text), "{answer:?}: {err}");
    }

    let mut huge = b"HTTP/1.0 200 OK\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'x', MAX_PAGE_HEAD));
    let (mut client, mut server) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let mut sink = [0; 64];
        let _ = server.read(&mut sink).await;
        let _ = server.write_all(&huge).await;
    });
    let err = get(&mut client, "h", "/p", 10).await.unwrap_err();
    assert!(err.to_string().contains("head longer than 16384"), "{err}");

    let (mut unused, _far) = tokio::io::duplex(64);
    let err = get(&mut unused, "h", "no slash", 10).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}
