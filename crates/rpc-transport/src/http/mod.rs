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
//!
//! # Layout
//!
//! `parse.rs` reads heads and parses the HTTP/1 subset; `client.rs` is
//! [`dial`] and [`get`]; `serve.rs` answers a request; `sniff.rs` tells
//! HTTP from raw RPC; `replay.rs` replays bytes already read; `listener.rs`
//! holds both listeners, run by the crate's shared accept loop
//! (`accept.rs`); `paths.rs` is [`HttpPaths`].

mod client;
mod listener;
mod parse;
mod paths;
mod replay;
mod serve;
mod sniff;
#[cfg(test)]
mod tests;

use crate::address::DEFAULT_HTTP_RPC_PATH;
#[cfg(doc)]
use crate::{Address, Listener, Peer};

pub use crate::accept::DEFAULT_HANDSHAKE_TIMEOUT;
pub use client::{Response, dial, get};
pub use listener::{HttpListener, OptionalHttp, optional, optional_with};
pub use paths::{HttpPathError, HttpPaths};

/// Go's `rpc.DefaultRPCPath`, the path `CONNECT` names unless told otherwise.
pub const RPC_PATH: &str = DEFAULT_HTTP_RPC_PATH;

/// Go's `rpc.DefaultDebugPath`, where `GET` finds the status page.
pub const DEBUG_PATH: &str = "/debug/rpc";

/// The status (code and reason) of the answer to a good `CONNECT`, Go's
/// `connected`.
pub const CONNECTED: &str = "200 Connected to Go RPC";

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
