//! Yamux for netrpc: many independent byte streams over one connection, wire-compatible with
//! [hashicorp/yamux](https://github.com/hashicorp/yamux) v0.1.2 (the multiplexer under
//! HashiCorp's go-plugin, Consul and Nomad).
//!
//! A [`Session`] runs over any tokio `AsyncRead + AsyncWrite` (a TCP or Unix socket, a TLS
//! stream), as the [`Mode::Client`] (the side that dialed: odd stream ids) or the
//! [`Mode::Server`] (even ids). Either side [opens](Session::open) streams and
//! [accepts](Session::accept) the peer's; each [`Stream`] is a tokio byte stream with its own
//! flow control, half-close ([`shutdown`](tokio::io::AsyncWriteExt::shutdown) sends FIN) and
//! reset (dropping it unfinished sends RST).
//!
//! ```
//! use rpc_yamux::{Config, Mode, Session};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let (a, b) = tokio::io::duplex(64 * 1024);
//! let client = Session::new(a, Mode::Client, Config::default());
//! let server = Session::new(b, Mode::Server, Config::default());
//!
//! let mut stream = client.open().await?;
//! stream.write_all(b"hello").await?;
//! stream.shutdown().await?; // FIN: the server reads to the end
//!
//! let mut accepted = server.accept().await?.expect("a stream");
//! let mut text = String::new();
//! accepted.read_to_string(&mut text).await?;
//! assert_eq!((accepted.id(), text.as_str()), (1, "hello"));
//! # Ok(())
//! # }
//! ```
//!
//! # Compatibility with hashicorp/yamux
//!
//! Frames, flags, stream ids, the 256 KiB initial window and Go's window-update rule (top the
//! window up once half of it was read), ping echo and GoAway codes are Go's. As in Go, a stream
//! is opened eagerly: [`Session::open`] sends its SYN at once, so the peer accepts streams in
//! the order they were opened (go-plugin relies on it), and accepting sends the ACK at once. A
//! GoAway with code 0 (normal) only stops new streams; codes 1 and 2 end the session.
//! [`Session::close`] sends no GoAway (Go's `Close` does not either).
//!
//! # Defaults and limits
//!
//! [`Config::default`] is Go's `DefaultConfig`: 256 streams, a 256 KiB window, keepalive pings
//! every 30 s (10 s for the answer), 75 s for the peer to acknowledge a stream, 5 min for a
//! half-closed stream to be closed by the peer, 10 s for the connection to take bytes.
//!
//! Memory is bounded whatever the peer does. A stream buffers at most its window (a Data frame
//! beyond it, or beyond [`Config::max_frame`], is a protocol error, found from its header,
//! before anything is allocated); a stream whose reader stalls stops granting window and holds
//! up no other stream (the session always reads on). The peer may have at most
//! [`Config::max_streams`] streams open to us (more are refused with RST), and
//! [`Session::open`] waits at the same number. Writes wait for send window and for the send
//! queue (256 KiB) to drain. A peer that breaks the protocol gets a GoAway (protocol error) and
//! ends only its own session; nothing it sends can make this crate panic.
//!
//! # Design
//!
//! The protocol is an I/O-free state machine (`proto::Core`, public with the `proto` feature):
//! bytes and the time go in; bytes to send, events and the next deadline come out. It is tested
//! without sockets under a clock the tests move, and fuzzed. A small tokio task
//! (the driver) owns the connection and feeds it. Errors are typed: [`SessionError`],
//! [`StreamError`], [`ProtocolError`], [`ConfigError`], reported as [`std::io::Error`]s with a
//! meaningful kind and the typed error inside.
#![deny(missing_docs)]

mod config;
mod driver;
mod error;
pub mod frame;
#[cfg(feature = "proto")]
pub mod proto;
#[cfg(not(feature = "proto"))]
mod proto;
mod session;
mod stream;

pub use config::{Config, INITIAL_WINDOW, Mode};
pub use error::{ConfigError, ProtocolError, SessionError, StreamError};
pub use session::Session;
pub use stream::Stream;

#[cfg(test)]
mod tests;
