//! The `http://host:port[/path]` transport: Go's `rpc.DialHTTPPath` /
//! `Server.HandleHTTP` handshake over TCP, then the raw RPC byte stream.
//!
//! The protocol is a tiny fixed subset of HTTP/1. A server serves RPC at
//! one path and its status page at another ([`HttpPaths`]; Go's defaults
//! are `/_goRPC_` and `/debug/rpc`, as `rpc.HandleHTTP` registers them):
//!
//! - the client sends exactly `CONNECT PATH HTTP/1.0\n\n` (`rpc.DialHTTP`
//!   sends `CONNECT /_goRPC_ HTTP/1.0\n\n`);
//! - the server answers `HTTP/1.0 200 Connected to Go RPC\n\n` and from
//!   then on both sides speak the RPC codec (gob, for Go peers);
//! - `GET` on the debug path is answered with the server's status page (see
//!   [`Listener::set_status_page`]), in the style of Go's `debug.go`;
//! - other methods on the RPC path get Go's `405 must CONNECT`, other paths
//!   Go's `404 page not found` (what Go's `ServeMux` answers, a `CONNECT` to
//!   a path nothing serves included), and anything malformed 400. Those
//!   connections are answered and closed; they never reach
//!   [`Listener::accept`]'s caller.
//!
//! [`dial`] accepts a response head of at most [`MAX_RESPONSE_HEAD`] bytes
//! whose status line is `HTTP/1.x 200 Connected to Go RPC` (lines may end
//! in `\n` or `\r\n`); anything else fails, Go style, naming the path:
//! `dial-http tcp HOST:PORT: unexpected HTTP response: 404 Not Found (to
//! CONNECT /foo)`. Like Go's client it does not time out waiting for the
//! answer; wrap it in [`tokio::time::timeout`] if the server may not be
//! trusted to reply. Bytes the server sent after the head are kept for the
//! RPC stream.
//!
//! [`get`] fetches a page (the status page, for `netrpc list`) with a plain
//! `GET`, bounded in size.
//!
//! # Listening
//!
//! [`HttpListener`] reads each request head in a task of its own, so a
//! client that dawdles never delays [`accept`](Listener::accept) for
//! others. Each handshake (reading the head and writing the answer) must
//! finish within the [handshake timeout](HttpListener::set_handshake_timeout)
//! ([`DEFAULT_HANDSHAKE_TIMEOUT`], 10 s) or the connection is closed, and
//! buffers at most [`MAX_REQUEST_HEAD`] bytes of head. Connections are
//! taken from the socket only while someone is waiting in `accept` (so a
//! server that stops accepting pushes back on the kernel's backlog as a
//! plain TCP listener would), and dropping the listener abandons the
//! handshakes in progress. Connections that
//! completed the `CONNECT` handshake have [`Peer::transport`] `"http"`.
//!
//! # Sharing a port with raw connections
//!
//! [`optional`] wraps any listener so that HTTP clients (Go's
//! `rpc.DialHTTP`, a browser on `/debug/rpc`) and raw RPC clients can use
//! one port. It peeks at the first bytes of each accepted connection: if
//! they begin `CONNECT ` or `GET ` the connection is handled exactly as
//! [`HttpListener`] would; otherwise it is yielded unchanged, the peeked
//! bytes replayed in front of the rest of the stream. No net/rpc codec can
//! begin that way (gob starts with a length and a type definition, JSON
//! with `{`, netrpc's own framing with `NETRPC`).
//!
//! Timing and memory, so that a slowloris pins neither:
//!
//! - Until its first byte arrives a connection is merely idle: it waits in
//!   its own task (no buffer, nothing in the accept path) for as long as it
//!   likes, exactly as an idle raw connection would wait in the server.
//!   Net/rpc clients speak first but need not do so at once (Go's
//!   `rpc.Dial` sends nothing until the first call), so a silent connection
//!   is neither closed nor passed on undecided, where a late `CONNECT`
//!   would be misread as RPC data.
//! - Once a byte has arrived the handshake timeout starts. Bytes that
//!   cannot begin `CONNECT ` or `GET ` are passed on at once (usually the
//!   very first byte decides); an HTTP request must complete its head and
//!   be answered within the timeout, holding at most [`MAX_REQUEST_HEAD`]
//!   bytes. A connection still undecided when the timeout passes (say,
//!   `GE` and then nothing) is closed.
//! - A connection that closes (EOF) before anything decided it is passed on
//!   with whatever it sent, as a plain listener would have done.
//!
//! At most [`SNIFF_CHUNK`] bytes are read while deciding, so a raw
//! connection carries at most that many replayed bytes.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::task::{JoinError, JoinSet};

use crate::address::{DEFAULT_HTTP_RPC_PATH, check_http_path};
use crate::{
    Address, BoxFuture, BoxStream, Connection, Link, Listener, Peer, StatusPage, tcp, with_context,
};

/// Go's `rpc.DefaultRPCPath`, the path `CONNECT` names unless told otherwise.
pub const RPC_PATH: &str = DEFAULT_HTTP_RPC_PATH;

/// Go's `rpc.DefaultDebugPath`, where `GET` finds the status page.
pub const DEBUG_PATH: &str = "/debug/rpc";

/// The status (code and reason) of the answer to a good `CONNECT`, Go's
/// `connected`.
pub const CONNECTED: &str = "200 Connected to Go RPC";

/// How long a listener gives a client to send its request head and take
/// the answer, unless set otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest request head (request line and headers, up to and including
/// the empty line) a listener reads; longer ones are answered 400.
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// The longest response head [`dial`] reads.
pub const MAX_RESPONSE_HEAD: usize = 4 * 1024;

/// The longest response head [`get`] reads (a web server's headers may be
/// longer than a Go RPC server's).
pub const MAX_PAGE_HEAD: usize = 16 * 1024;

/// The most bytes [`optional`] reads from a connection before deciding
/// whether it is HTTP (and so the most it replays on a raw connection).
pub const SNIFF_CHUNK: usize = 16;

/// What Go's `ServeHTTP` answers to it, byte for byte.
const CONNECT_RESPONSE: &[u8] = b"HTTP/1.0 200 Connected to Go RPC\n\n";

/// The request-line prefixes that make [`optional`] treat a connection as
/// HTTP.
const HTTP_PREFIXES: [&[u8]; 2] = [b"CONNECT ", b"GET "];

/// How much to read per call while reading a head.
const READ_CHUNK: usize = 1024;

/// After answering and closing our side, how long to keep reading (and
/// discarding) what the client still sends, so that closing with unread
/// data does not reset the connection before the client has read the
/// answer. Also bounded by the handshake timeout.
const LINGER: Duration = Duration::from_millis(500);

/// The most bytes discarded while lingering.
const LINGER_BYTES: usize = 64 * 1024;

/// Connects to `host_port` over TCP and performs Go's `CONNECT` handshake
/// for `path` (Go's `rpc.DialHTTPPath`; [`RPC_PATH`] is `rpc.DialHTTP`).
///
/// Errors name the address Go style (`dial-http tcp HOST:PORT: ...`): a
/// path that cannot be sent (see [`Address::Http`]) is
/// [`InvalidInput`](io::ErrorKind::InvalidInput); an answer other than
/// `HTTP/1.x 200 Connected to Go RPC` is
/// [`InvalidData`](io::ErrorKind::InvalidData) with
/// `unexpected HTTP response: STATUS (to CONNECT PATH)`; a connection
/// closed before the answer's head ended is
/// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof).
pub async fn dial(host_port: &str, path: &str) -> io::Result<Connection> {
    let context = |err| with_context(err, "dial-http tcp", host_port);
    check_http_path(path).map_err(|reason| {
        context(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid path {path:?}: {reason}"),
        ))
    })?;
    let mut stream = tcp::connect(host_port).await?;
    let peer = Peer::socket("tcp", stream.peer_addr()?);
    let request = format!("CONNECT {path} HTTP/1.0\n\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(context)?;
    stream.flush().await.map_err(context)?;

    let mut buf = Vec::new();
    let end = match read_head(&mut stream, &mut buf, MAX_RESPONSE_HEAD, |_| true).await {
        Ok(end) => end,
        Err(HeadError::Io(err)) => return Err(context(err)),
        Err(HeadError::Eof) => {
            return Err(context(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "unexpected EOF reading the HTTP response ({} bytes: {:?})",
                    buf.len(),
                    printable(&String::from_utf8_lossy(&buf))
                ),
            )));
        }
        Err(HeadError::TooLarge | HeadError::Malformed) => {
            return Err(context(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("HTTP response head longer than {MAX_RESPONSE_HEAD} bytes"),
            )));
        }
    };
    let rest = buf.split_off(end);
    check_response(&buf, path).map_err(context)?;
    Ok(Connection::boxed(
        prefixed(Box::new(stream), rest),
        Peer {
            transport: "http",
            ..peer
        },
    ))
}

/// Accepts a response head only if it is `HTTP/1.x 200 Connected to Go
/// RPC`.
fn check_response(head: &[u8], path: &str) -> io::Result<()> {
    let status = status_line(head)?;
    if status == CONNECTED {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "unexpected HTTP response: {} (to CONNECT {path})",
                printable(status)
            ),
        ))
    }
}

/// The status (code and reason) of a response head's first line, which must
/// be `HTTP/1.x STATUS`.
fn status_line(head: &[u8]) -> io::Result<&str> {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = trim_cr(line);
    let malformed = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "malformed HTTP response {:?}",
                printable(&String::from_utf8_lossy(line))
            ),
        )
    };
    let line = std::str::from_utf8(line).map_err(|_| malformed())?;
    match line.split_once(' ') {
        Some((proto, status)) if is_http1(proto) => Ok(status.trim_start_matches(' ')),
        _ => Err(malformed()),
    }
}

/// A whole answer to [`get`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200.
    pub code: u16,
    /// The status as sent: code and reason, e.g. `200 OK` (control
    /// characters escaped, at most 200 characters).
    pub status: String,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends `GET path HTTP/1.0` (with `Host: host`) over `stream` and reads
/// the whole answer: a head of at most [`MAX_PAGE_HEAD`] bytes, then a body
/// of at most `max_body` bytes (by its `Content-Length`, else to the end of
/// the stream). What Go's `net/http` and netrpc's listeners answer to a
/// browser; nothing in it is trusted.
///
/// Fails with [`InvalidInput`](io::ErrorKind::InvalidInput) for a path
/// that cannot be sent, [`InvalidData`](io::ErrorKind::InvalidData) for an
/// answer that is not HTTP/1, whose head or body is too long, or that is
/// chunked, and [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) when the
/// stream ends early. Like [`dial`] it does not time out.
pub async fn get<S: AsyncRead + AsyncWrite + Unpin + ?Sized>(
    stream: &mut S,
    host: &str,
    path: &str,
    max_body: usize,
) -> io::Result<Response> {
    let invalid = |kind, msg: String| io::Error::new(kind, msg);
    check_http_path(path).map_err(|reason| {
        invalid(
            io::ErrorKind::InvalidInput,
            format!("invalid path {path:?}: {reason}"),
        )
    })?;
    if host.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(invalid(
            io::ErrorKind::InvalidInput,
            format!("invalid host {:?}", printable(host)),
        ));
    }
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;

    let mut buf = Vec::new();
    let end = match read_head(stream, &mut buf, MAX_PAGE_HEAD, |_| true).await {
        Ok(end) => end,
        Err(HeadError::Io(err)) => return Err(err),
        Err(HeadError::Eof) => {
            return Err(invalid(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "unexpected EOF reading the HTTP response ({} bytes)",
                    buf.len()
                ),
            ));
        }
        Err(HeadError::TooLarge | HeadError::Malformed) => {
            return Err(invalid(
                io::ErrorKind::InvalidData,
                format!("HTTP response head longer than {MAX_PAGE_HEAD} bytes"),
            ));
        }
    };
    let mut body = buf.split_off(end);
    let head = buf;
    let status = printable(status_line(&head)?);
    let code = status
        .get(..3)
        .filter(|code| code.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| {
            invalid(
                io::ErrorKind::InvalidData,
                format!("malformed HTTP status {status:?}"),
            )
        })?;
    let too_long = || {
        invalid(
            io::ErrorKind::InvalidData,
            format!("HTTP response body longer than {max_body} bytes"),
        )
    };
    match body_length(&head)? {
        Some(length) => {
            if length > max_body {
                return Err(too_long());
            }
            // Anything past the length is not part of this answer.
            body.truncate(length);
            while body.len() < length {
                let room = (length - body.len()).min(READ_CHUNK);
                if read_some(stream, &mut body, room).await? == 0 {
                    return Err(invalid(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "unexpected EOF after {} of {length} bytes of HTTP response body",
                            body.len()
                        ),
                    ));
                }
            }
        }
        None => loop {
            if body.len() > max_body {
                return Err(too_long());
            }
            let room = (max_body + 1 - body.len()).min(READ_CHUNK);
            if read_some(stream, &mut body, room).await? == 0 {
                break;
            }
        },
    }
    Ok(Response { code, status, body })
}

/// A response head's `Content-Length`, if it has one; refuses a chunked or
/// otherwise encoded body, and a malformed or repeated length.
fn body_length(head: &[u8]) -> io::Result<Option<usize>> {
    let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidData, msg);
    let mut length = None;
    for line in head.split(|&b| b == b'\n').skip(1).map(trim_cr) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = String::from_utf8_lossy(value.get(1..).unwrap_or_default());
        let value = value.trim();
        if name.eq_ignore_ascii_case(b"transfer-encoding")
            && !value.eq_ignore_ascii_case("identity")
        {
            return Err(invalid(format!(
                "unsupported HTTP transfer encoding {:?}",
                printable(value)
            )));
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let parsed = value
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| value.parse::<usize>().ok())
                .flatten()
                .ok_or_else(|| {
                    invalid(format!("malformed Content-Length {:?}", printable(value)))
                })?;
            if length.is_some_and(|known| known != parsed) {
                return Err(invalid("conflicting Content-Length headers".into()));
            }
            length = Some(parsed);
        }
    }
    Ok(length)
}

/// `HTTP/1.0`, `HTTP/1.1`, ... .
fn is_http1(proto: &str) -> bool {
    proto
        .strip_prefix("HTTP/1.")
        .is_some_and(|minor| minor.len() == 1 && minor.bytes().all(|b| b.is_ascii_digit()))
}

/// Peer-supplied text made fit for an error message: control characters
/// escaped, at most 200 characters.
fn printable(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX_CHARS {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Where a listener serves RPC and its status page: the two paths of Go's
/// `Server.HandleHTTP(rpcPath, debugPath)`. The default is Go's
/// `rpc.HandleHTTP`: [`RPC_PATH`] and [`DEBUG_PATH`].
///
/// ```
/// use rpc_transport::http::HttpPaths;
///
/// let paths = HttpPaths::new("/alpha", "/alpha/debug")?;
/// assert_eq!(paths.rpc(), "/alpha");
/// assert_eq!(HttpPaths::default().debug(), "/debug/rpc");
/// assert!(HttpPaths::new("/x", "/x").is_err());
/// # Ok::<(), rpc_transport::http::HttpPathError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpPaths {
    rpc: String,
    debug: String,
}

impl HttpPaths {
    /// RPC at `rpc` (where clients `CONNECT`) and the status page at
    /// `debug` (where `GET` finds it). Each must start with `/` and be
    /// printable ASCII without spaces, `?` or `#`, and they must differ.
    pub fn new(rpc: impl Into<String>, debug: impl Into<String>) -> Result<Self, HttpPathError> {
        let (rpc, debug) = (rpc.into(), debug.into());
        for (which, path) in [("RPC", &rpc), ("debug", &debug)] {
            check_http_path(path).map_err(|reason| HttpPathError::Invalid {
                which,
                path: path.clone(),
                reason,
            })?;
        }
        if rpc == debug {
            return Err(HttpPathError::Same { path: rpc });
        }
        Ok(Self { rpc, debug })
    }

    /// Where clients `CONNECT`.
    pub fn rpc(&self) -> &str {
        &self.rpc
    }

    /// Where `GET` finds the status page.
    pub fn debug(&self) -> &str {
        &self.debug
    }
}

impl Default for HttpPaths {
    fn default() -> Self {
        Self {
            rpc: RPC_PATH.to_owned(),
            debug: DEBUG_PATH.to_owned(),
        }
    }
}

/// Why [`HttpPaths::new`] refused its paths.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HttpPathError {
    /// A path that cannot be routed on.
    #[error("invalid {which} path {path:?}: {reason}")]
    Invalid {
        /// `"RPC"` or `"debug"`.
        which: &'static str,
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Both paths are the same.
    #[error("the RPC path and the debug path are both {path:?}")]
    Same {
        /// The path.
        path: String,
    },
}

/// A TCP listener serving Go's HTTP RPC handshake (`http://host:port[/path]`).
///
/// See the [module documentation](self) for what it answers. Unlike plain
/// TCP, a client's [`dial`] completes only once the listener has answered
/// it, which happens while someone is waiting in
/// [`accept`](Listener::accept).
pub struct HttpListener {
    core: Core,
    local: Address,
}

impl HttpListener {
    /// Binds `host_port` (e.g. `"127.0.0.1:0"`; port 0 picks a free port,
    /// reported by [`Listener::local_addr`] as `http://127.0.0.1:PORT`),
    /// serving at Go's default paths.
    pub async fn bind(host_port: &str) -> io::Result<Self> {
        Self::bind_with(host_port, HttpPaths::default()).await
    }

    /// Binds `host_port`, serving RPC and the status page at `paths`. The
    /// [local address](Listener::local_addr) names the RPC path, so that it
    /// can be dialed as it is.
    pub async fn bind_with(host_port: &str, paths: HttpPaths) -> io::Result<Self> {
        let inner = tcp::TcpListener::bind(host_port).await?;
        let local = match inner.local_addr() {
            Address::Tcp(bound) => Address::Http {
                host_port: bound.clone(),
                path: paths.rpc.clone(),
            },
            other => {
                return Err(io::Error::other(format!(
                    "listen http {host_port}: unexpected local address {other}"
                )));
            }
        };
        Ok(Self {
            core: Core::new(Box::new(inner), Mode::Http, paths),
            local,
        })
    }

    /// Where it serves RPC and the status page.
    pub fn paths(&self) -> &HttpPaths {
        &self.core.paths
    }

    /// Sets how long each client has to send its request head and take the
    /// answer before it is disconnected (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`]). Applies to connections accepted
    /// from now on.
    pub fn set_handshake_timeout(&mut self, timeout: Duration) {
        self.core.timeout = timeout;
    }

    /// The current handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        self.core.timeout
    }
}

impl fmt::Debug for HttpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpListener")
            .field("local", &self.local)
            .field("core", &self.core)
            .finish()
    }
}

impl Listener for HttpListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(self.core.accept())
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }

    fn set_status_page(&mut self, page: StatusPage) {
        self.core.page = Some(page);
    }
}

/// Wraps `inner` so that HTTP clients and raw clients share its port, with
/// HTTP served at Go's default paths; see [`OptionalHttp`].
pub fn optional(inner: Box<dyn Listener>) -> Box<dyn Listener> {
    Box::new(OptionalHttp::new(inner))
}

/// As [`optional`], with HTTP served at `paths`.
pub fn optional_with(inner: Box<dyn Listener>, paths: HttpPaths) -> Box<dyn Listener> {
    Box::new(OptionalHttp::with_paths(inner, paths))
}

/// A listener wrapper that serves Go's HTTP handshake to connections
/// beginning `CONNECT ` or `GET ` and passes every other connection
/// through unchanged. Made by [`optional`]; see the [module
/// documentation](self#sharing-a-port-with-raw-connections) for how it
/// decides and its bounds.
///
/// Its [`local_addr`](Listener::local_addr) is the inner listener's.
/// Connections that completed a `CONNECT` have [`Peer::transport`]
/// `"http"`; others keep the inner listener's peer unchanged.
pub struct OptionalHttp {
    core: Core,
}

impl OptionalHttp {
    /// Wraps `inner`, serving HTTP at Go's default paths.
    pub fn new(inner: Box<dyn Listener>) -> Self {
        Self::with_paths(inner, HttpPaths::default())
    }

    /// Wraps `inner`, serving HTTP at `paths`.
    pub fn with_paths(inner: Box<dyn Listener>, paths: HttpPaths) -> Self {
        Self {
            core: Core::new(inner, Mode::Sniff, paths),
        }
    }

    /// Where it serves RPC and the status page to HTTP clients.
    pub fn paths(&self) -> &HttpPaths {
        &self.core.paths
    }

    /// Sets the handshake timeout (default [`DEFAULT_HANDSHAKE_TIMEOUT`]),
    /// counted from a connection's first byte. Applies to connections
    /// accepted from now on.
    pub fn set_handshake_timeout(&mut self, timeout: Duration) {
        self.core.timeout = timeout;
    }

    /// The current handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        self.core.timeout
    }
}

impl fmt::Debug for OptionalHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OptionalHttp")
            .field("core", &self.core)
            .finish()
    }
}

impl Listener for OptionalHttp {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(self.core.accept())
    }

    fn local_addr(&self) -> &Address {
        self.core.inner.local_addr()
    }

    /// Serves `page` on `GET` of the debug path, and passes it on to the
    /// inner listener too.
    fn set_status_page(&mut self, page: StatusPage) {
        self.core.inner.set_status_page(page.clone());
        self.core.page = Some(page);
    }
}

/// Every connection is HTTP, or only those that look like it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Http,
    Sniff,
}

/// The accept loop both listeners share: accepts from `inner` and runs
/// each connection's handshake in a task of `pending`.
struct Core {
    inner: Box<dyn Listener>,
    mode: Mode,
    timeout: Duration,
    paths: Arc<HttpPaths>,
    page: Option<StatusPage>,
    pending: JoinSet<Option<Connection>>,
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("inner", self.inner.local_addr())
            .field("mode", &self.mode)
            .field("timeout", &self.timeout)
            .field("paths", &self.paths)
            .field("status_page", &self.page.is_some())
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// What woke the accept loop.
enum Event {
    Accepted(io::Result<Connection>),
    Handshaken(Result<Option<Connection>, JoinError>),
}

impl Core {
    fn new(inner: Box<dyn Listener>, mode: Mode, paths: HttpPaths) -> Self {
        Self {
            inner,
            mode,
            timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            paths: Arc::new(paths),
            page: None,
            pending: JoinSet::new(),
        }
    }

    /// Accepts and starts handshakes until one yields a connection.
    ///
    /// Cancel safe: a connection is either in `pending` or returned, and
    /// the inner accept is cancel safe by [`Listener`]'s contract.
    async fn accept(&mut self) -> io::Result<Connection> {
        loop {
            match self.next_event().await {
                Event::Accepted(Ok(conn)) => {
                    let config = Config {
                        timeout: self.timeout,
                        paths: self.paths.clone(),
                        page: self.page.clone(),
                    };
                    self.pending.spawn(handshake(conn, self.mode, config));
                }
                Event::Accepted(Err(err)) => return Err(err),
                Event::Handshaken(Ok(Some(conn))) => return Ok(conn),
                Event::Handshaken(Ok(None)) => {}
                Event::Handshaken(Err(err)) => {
                    // Only a panicking status page can get here.
                    tracing::warn!(error = %err, "http handshake task failed");
                }
            }
        }
    }

    /// Waits for a finished handshake or a new connection, preferring the
    /// former.
    fn next_event(&mut self) -> impl Future<Output = Event> + '_ {
        let Core { inner, pending, .. } = self;
        let mut accept = inner.accept();
        poll_fn(move |cx| {
            if let Poll::Ready(Some(done)) = pending.poll_join_next(cx) {
                return Poll::Ready(Event::Handshaken(done));
            }
            accept.as_mut().poll(cx).map(Event::Accepted)
        })
    }
}

/// What a handshake task needs from its listener.
struct Config {
    timeout: Duration,
    paths: Arc<HttpPaths>,
    page: Option<StatusPage>,
}

/// How a connection's handshake ended.
enum Outcome {
    /// Not HTTP: pass it on with these bytes replayed.
    Raw(Vec<u8>),
    /// `CONNECT` answered: pass it on with these bytes (sent after the
    /// head) replayed.
    Connected(Vec<u8>),
    /// Answered and closed, or given up on.
    Closed,
}

/// One accepted connection's handshake; `Some` if it is to be yielded.
async fn handshake(conn: Connection, mode: Mode, config: Config) -> Option<Connection> {
    let Connection { link, peer } = conn;
    // HTTP shares byte streams only; a multiplexed connection is not ours to sniff.
    let mut stream = match link {
        Link::Stream(stream) => stream,
        link @ Link::Multiplexed(_) => return Some(Connection { link, peer }),
    };
    let outcome = match mode {
        Mode::Http => tokio::time::timeout(
            config.timeout,
            serve_http(&mut stream, Vec::new(), &config, &peer),
        )
        .await
        .unwrap_or_else(|_| {
            tracing::debug!(peer = %peer.addr, "http handshake timed out");
            Outcome::Closed
        }),
        Mode::Sniff => sniff_and_serve(&mut stream, &config, &peer).await,
    };
    match outcome {
        Outcome::Raw(replay) => Some(Connection::boxed(prefixed(stream, replay), peer)),
        Outcome::Connected(replay) => Some(Connection::boxed(
            prefixed(stream, replay),
            Peer {
                transport: "http",
                ..peer
            },
        )),
        Outcome::Closed => None,
    }
}

/// [`Mode::Sniff`]: waits (unbounded) for the first bytes, then decides
/// and, for HTTP, serves it, within the timeout.
async fn sniff_and_serve(stream: &mut BoxStream, config: &Config, peer: &Peer) -> Outcome {
    let mut chunk = [0u8; SNIFF_CHUNK];
    let first = match stream.read(&mut chunk).await {
        Ok(0) => return Outcome::Raw(Vec::new()),
        Ok(n) => chunk.get(..n).unwrap_or_default().to_vec(),
        Err(err) => {
            tracing::debug!(peer = %peer.addr, error = %err, "reading first bytes failed");
            return Outcome::Closed;
        }
    };
    if classify(&first) == Some(Sniffed::Raw) {
        return Outcome::Raw(first);
    }
    let bounded = async move {
        let mut buf = first;
        loop {
            match classify(&buf) {
                Some(Sniffed::Raw) => return Outcome::Raw(buf),
                Some(Sniffed::Http) => return serve_http(stream, buf, config, peer).await,
                None => {}
            }
            // Undecided: buf is a proper prefix of an HTTP_PREFIXES entry,
            // so shorter than SNIFF_CHUNK.
            let room = SNIFF_CHUNK.saturating_sub(buf.len()).max(1);
            match read_some(stream, &mut buf, room).await {
                Ok(0) => return Outcome::Raw(buf),
                Ok(_) => {}
                Err(err) => {
                    tracing::debug!(peer = %peer.addr, error = %err, "reading first bytes failed");
                    return Outcome::Closed;
                }
            }
        }
    };
    tokio::time::timeout(config.timeout, bounded)
        .await
        .unwrap_or_else(|_| {
            tracing::debug!(peer = %peer.addr, "http handshake timed out");
            Outcome::Closed
        })
}

/// Whether a connection's first bytes are HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sniffed {
    Http,
    Raw,
}

/// Decides from the first bytes, or `None` if they are too few to tell.
fn classify(first: &[u8]) -> Option<Sniffed> {
    if HTTP_PREFIXES.iter().any(|p| first.starts_with(p)) {
        Some(Sniffed::Http)
    } else if HTTP_PREFIXES.iter().any(|p| p.starts_with(first)) {
        None
    } else {
        Some(Sniffed::Raw)
    }
}

/// Reads a request head (`buf` holds any bytes of it already read) and
/// answers it.
async fn serve_http(
    stream: &mut BoxStream,
    mut buf: Vec<u8>,
    config: &Config,
    peer: &Peer,
) -> Outcome {
    let end = match read_head(stream, &mut buf, MAX_REQUEST_HEAD, plausible_request).await {
        Ok(end) => end,
        Err(HeadError::TooLarge) => {
            tracing::debug!(peer = %peer.addr, "http request head too large");
            let reason = format!("request head longer than {MAX_REQUEST_HEAD} bytes");
            reject_bad_request(stream, &reason).await;
            return Outcome::Closed;
        }
        Err(HeadError::Malformed) => {
            tracing::debug!(peer = %peer.addr, "not an http request");
            reject_bad_request(stream, "malformed request line").await;
            return Outcome::Closed;
        }
        Err(HeadError::Eof) => {
            tracing::debug!(peer = %peer.addr, "connection closed before the http request head ended");
            return Outcome::Closed;
        }
        Err(HeadError::Io(err)) => {
            tracing::debug!(peer = %peer.addr, error = %err, "reading http request failed");
            return Outcome::Closed;
        }
    };
    let rest = buf.split_off(end);
    let request = match parse_request(&buf) {
        Ok(request) => request,
        Err(reason) => {
            tracing::debug!(peer = %peer.addr, reason, "bad http request");
            reject_bad_request(stream, reason).await;
            return Outcome::Closed;
        }
    };
    tracing::debug!(peer = %peer.addr, method = request.method, path = request.path, "http request");

    let on_rpc_path = request.path == config.paths.rpc();
    let on_debug_path = request.path == config.paths.debug() && config.page.is_some();
    let response = match request.method {
        "CONNECT" if on_rpc_path => {
            return match write_all_flush(stream, CONNECT_RESPONSE).await {
                Ok(()) => Outcome::Connected(rest),
                Err(err) => {
                    tracing::debug!(peer = %peer.addr, error = %err, "writing http CONNECT answer failed");
                    Outcome::Closed
                }
            };
        }
        // Go's ServeHTTP.
        _ if on_rpc_path => response(
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            &[("Allow", "CONNECT")],
            "405 must CONNECT\n",
        ),
        "GET" if on_debug_path => {
            let body = config.page.as_ref().map(|page| page()).unwrap_or_default();
            response("200 OK", "text/html; charset=utf-8", &[], &body)
        }
        _ if on_debug_path => response(
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            &[("Allow", "GET")],
            "405 method not allowed\n",
        ),
        // Go's http.NotFound.
        _ => response(
            "404 Not Found",
            "text/plain; charset=utf-8",
            &[],
            "404 page not found\n",
        ),
    };
    answer_and_close(stream, &response).await;
    Outcome::Closed
}

/// Answers 400 and closes.
async fn reject_bad_request(stream: &mut BoxStream, reason: &str) {
    let body = format!("400 Bad Request: {reason}\n");
    let response = response("400 Bad Request", "text/plain; charset=utf-8", &[], &body);
    answer_and_close(stream, &response).await;
}

/// A whole HTTP/1.0 response that closes the connection.
fn response(status: &str, content_type: &str, extra: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Writes `response`, closes our side, then discards what the client still
/// sends for a moment (see [`LINGER`]) before the caller drops the stream.
async fn answer_and_close(stream: &mut BoxStream, response: &[u8]) {
    if write_all_flush(stream, response).await.is_err() {
        return;
    }
    if stream.shutdown().await.is_err() {
        return;
    }
    let drain = async {
        let mut sink = [0u8; 1024];
        let mut total = 0;
        while total < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

async fn write_all_flush(stream: &mut BoxStream, bytes: &[u8]) -> io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// A request line and headers, parsed as far as routing needs.
#[derive(Debug, PartialEq, Eq)]
struct Request<'a> {
    method: &'a str,
    /// The target's path: no query, and no scheme or authority if it was in
    /// absolute form.
    path: &'a str,
}

/// Parses a whole request head (as [`read_head`] found it), or says what is
/// wrong with it.
fn parse_request(head: &[u8]) -> Result<Request<'_>, &'static str> {
    let mut lines = head.split(|&b| b == b'\n').map(trim_cr);
    let line = lines.next().unwrap_or_default();
    let line = std::str::from_utf8(line)
        .ok()
        .filter(|line| line.is_ascii())
        .ok_or("request line is not ASCII")?;
    let mut parts = line.splitn(3, ' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line");
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err("malformed method");
    }
    if target.is_empty() || target.bytes().any(|b| b.is_ascii_control()) {
        return Err("malformed request target");
    }
    if version != "HTTP/1.0" && version != "HTTP/1.1" {
        return Err("unsupported HTTP version");
    }
    for line in lines.take_while(|line| !line.is_empty()) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err("malformed header line");
        };
        let name = line.get(..colon).unwrap_or_default();
        if name.is_empty() || !name.iter().copied().all(is_tchar) {
            return Err("malformed header name");
        }
    }
    Ok(Request {
        method,
        path: request_path(target),
    })
}

/// The path of a request target in origin form (`/p?q`) or absolute form
/// (`http://host/p?q`).
fn request_path(target: &str) -> &str {
    let path = match target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        Some(after_scheme) => match after_scheme.find('/') {
            Some(slash) => after_scheme.get(slash..).unwrap_or("/"),
            None => "/",
        },
        None => target,
    };
    match path.find(['?', '#']) {
        Some(end) => path.get(..end).unwrap_or(path),
        None => path,
    }
}

/// Whether the bytes so far could begin a request line: a method made of
/// token characters, then a space (checked before the head is complete, so
/// that a client speaking something else is answered at once).
fn plausible_request(buf: &[u8]) -> bool {
    let method_end = buf.iter().position(|&b| b == b' ').unwrap_or(buf.len());
    let method = buf.get(..method_end).unwrap_or_default();
    (method_end > 0 || buf.is_empty()) && method.iter().copied().all(is_tchar)
}

/// RFC 9110 `tchar`: what a method or header name is made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Why [`read_head`] stopped.
#[derive(Debug)]
enum HeadError {
    /// No empty line within the limit.
    TooLarge,
    /// The bytes so far failed the caller's plausibility check.
    Malformed,
    /// The peer closed the connection first.
    Eof,
    Io(io::Error),
}

/// Reads into `buf` (which may already hold bytes) until it holds a whole
/// head, i.e. lines ending in `\n` or `\r\n` up to and including the
/// first empty one, and returns the head's length; bytes after it stay in
/// `buf`. Never grows `buf` past `limit` bytes. `plausible` is checked on
/// the bytes so far before each read.
async fn read_head<S: AsyncRead + Unpin + ?Sized>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    limit: usize,
    plausible: fn(&[u8]) -> bool,
) -> Result<usize, HeadError> {
    let mut scanner = HeadScanner::default();
    loop {
        if let Some(end) = scanner.scan(buf) {
            return Ok(end);
        }
        if !plausible(buf) {
            return Err(HeadError::Malformed);
        }
        let room = limit.saturating_sub(buf.len()).min(READ_CHUNK);
        if room == 0 {
            return Err(HeadError::TooLarge);
        }
        match read_some(stream, buf, room).await {
            Ok(0) => return Err(HeadError::Eof),
            Ok(_) => {}
            Err(err) => return Err(HeadError::Io(err)),
        }
    }
}

/// Finds the end of a head incrementally, so that a head trickling in a
/// byte at a time is scanned once.
#[derive(Debug, Default)]
struct HeadScanner {
    /// Bytes already scanned.
    scanned: usize,
    /// Where the current (incomplete) line starts.
    line_start: usize,
}

impl HeadScanner {
    /// The head's length, if `buf` holds a whole one.
    fn scan(&mut self, buf: &[u8]) -> Option<usize> {
        let new = buf.get(self.scanned..).unwrap_or_default();
        for (offset, &b) in new.iter().enumerate() {
            if b != b'\n' {
                continue;
            }
            let newline = self.scanned + offset;
            let line = buf.get(self.line_start..newline).unwrap_or_default();
            if trim_cr(line).is_empty() {
                return Some(newline + 1);
            }
            self.line_start = newline + 1;
        }
        self.scanned = buf.len();
        None
    }
}

/// Appends at most `max` bytes read from `stream` to `buf`, returning how
/// many (0 at EOF).
async fn read_some<S: AsyncRead + Unpin + ?Sized>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<usize> {
    let start = buf.len();
    // Exact, so that a head's capacity stays within its limit too.
    buf.reserve_exact(max);
    buf.resize(start + max, 0);
    let result = match buf.get_mut(start..) {
        Some(space) => stream.read(space).await,
        None => Ok(0),
    };
    let n = *result.as_ref().unwrap_or(&0);
    buf.truncate(start + n.min(max));
    result
}

/// `stream` with `prefix` to be read before anything from it.
fn prefixed(stream: BoxStream, prefix: Vec<u8>) -> BoxStream {
    if prefix.is_empty() {
        stream
    } else {
        Box::new(Prefixed {
            prefix,
            pos: 0,
            inner: stream,
        })
    }
}

/// A stream whose first bytes were already read: replays them, then reads
/// on from the stream. Writes go straight through.
struct Prefixed {
    prefix: Vec<u8>,
    pos: usize,
    inner: BoxStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let rest = this.prefix.get(this.pos..).unwrap_or_default();
        if rest.is_empty() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let n = rest.len().min(buf.remaining());
        buf.put_slice(rest.get(..n).unwrap_or_default());
        this.pos += n;
        if this.pos >= this.prefix.len() {
            // Free the replayed bytes.
            this.prefix = Vec::new();
            this.pos = 0;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert!(
            err(b"HTTP/2.0 200 Connected to Go RPC\n\n").starts_with("malformed HTTP response")
        );
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
}
