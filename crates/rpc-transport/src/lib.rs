//! Byte-stream transports for netrpc: dial and listen by URL-like
//! [`Address`], getting back a [`Connection`]: its [`Link`] (one boxed
//! `AsyncRead + AsyncWrite` stream, or for QUIC and yamux a [`Multiplexed`]
//! source of such streams) plus the [`Peer`]'s identity.
//!
//! This crate knows nothing about RPC. Each transport is a module behind a
//! cargo feature (all on by default):
//!
//! | feature | address                                          | module |
//! |---------|--------------------------------------------------|--------|
//! | `tcp`   | `tcp://host:port` or `host:port`                 | `tcp`  |
//! | `unix`  | `unix:///path/to.sock` (Unix only)               | `unix` |
//! | `mem`   | `mem://name` (in-process)                        | `mem`  |
//! | `http`  | `http://host:port[/path]` (Go's `rpc.DialHTTPPath`; + `tcp`) | `http` |
//! | `tls`   | `tls://host:port` (TLS over TCP; + `tcp`)        | `tls`  |
//! | `quic`  | `quic://host:port` (QUIC, many streams; + `tls`) | `quic` |
//! | `yamux` | `yamux+tcp://host:port`, `yamux+unix:///path` (hashicorp/yamux, many streams; + `tcp`, `unix`) | `yamux` |
//!
//! [`yamux::wrap`] runs yamux over any other stream, as client or server.
//!
//! [`http::optional`] wraps any listener so that Go's HTTP clients and raw
//! clients share one port. An `http://` address's path is where RPC is
//! served (Go's `/_goRPC_` when it has none); the status page's path is
//! [`ListenOptions::http_debug_path`] (Go's `/debug/rpc` by default).
//!
//! Transports that need more than an address (TLS needs certificates) take
//! their settings from [`dial_with`] and [`listen_with`]'s [`DialOptions`]
//! and [`ListenOptions`]; [`dial`] and [`listen`] use the defaults, which
//! have none.
//!
//! Dialing or listening on an address whose transport is not compiled in
//! fails with [`std::io::ErrorKind::Unsupported`], wrapping
//! [`AddressError::NotCompiledIn`].
//!
//! ```
//! use rpc_transport::{Address, dial, listen};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # #[cfg(feature = "mem")] {
//! // An empty mem:// name asks for a fresh, unique one.
//! let addr: Address = "mem://".parse()?;
//! let mut listener = listen(&addr).await?;
//!
//! let mut client = dial(listener.local_addr()).await?;
//! let mut client = client.into_stream().await?;
//! client.write_all(b"ping").await?;
//!
//! let mut server = listener.accept().await?;
//! let mut buf = [0u8; 4];
//! let mut server_stream = server.stream_mut().expect("mem:// carries one stream");
//! server_stream.read_exact(&mut buf).await?;
//! assert_eq!(&buf, b"ping");
//! assert_eq!(server.peer.transport, "mem");
//! # }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

#[cfg(any(feature = "http", feature = "tls"))]
mod accept;
mod address;
mod options;
mod peer;

#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "mem")]
pub mod mem;
#[cfg(feature = "quic")]
pub mod quic;
#[cfg(feature = "tcp")]
pub mod tcp;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(all(feature = "unix", unix))]
pub mod unix;
#[cfg(feature = "yamux")]
pub mod yamux;

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

pub use address::{Address, AddressError};
pub use options::{DialOptions, ListenOptions};
pub use peer::{Peer, TlsIdentity, UnixCred};

/// Renders a server's status page: the HTML body served at Go's
/// `/debug/rpc` (services, methods and call counts). Called once per
/// request, from a task of the listener's.
pub type StatusPage = Arc<dyn Fn() -> String + Send + Sync>;

/// A bidirectional byte stream that can be boxed and moved between tasks.
pub trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// A type-erased [`Stream`].
pub type BoxStream = Box<dyn Stream>;

/// A boxed, sendable future (used where traits cannot have `async fn`s that
/// stay object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What an established connection carries.
pub enum Link {
    /// One byte stream, both ways, carrying every call (tcp, unix, mem,
    /// http, tls).
    Stream(BoxStream),
    /// Any number of independent byte streams, opened by either side
    /// (QUIC, yamux). Each stream is ordered and reliable on its own; a stream
    /// that stalls or is reset does not hold up the others.
    Multiplexed(Arc<dyn Multiplexed>),
}

/// A connection that carries many independent bidirectional byte streams,
/// each opened by either side (QUIC's streams, yamux's).
///
/// Dropping a stream before shutting down its write half abandons it: the
/// peer's reads fail (a reset) instead of ending cleanly, so it can stop
/// the work the stream was for. Shutting the write half down ends it
/// cleanly.
pub trait Multiplexed: Send + Sync + 'static {
    /// Opens a new stream to the peer. Waits while the peer's limit on
    /// concurrent streams is reached.
    fn open(&self) -> BoxFuture<'_, io::Result<BoxStream>>;

    /// Waits for the next stream the peer opens; `Ok(None)` once the
    /// connection has been closed by either side without error.
    fn accept(&self) -> BoxFuture<'_, io::Result<Option<BoxStream>>>;

    /// Resolves when the connection has ended, with why (closed by either
    /// side, idle timeout, lost).
    fn closed(&self) -> BoxFuture<'_, io::Error>;

    /// Closes the connection at once: every stream fails on both sides.
    fn close(&self);
}

/// An established connection: what it carries and who is on the other end.
pub struct Connection {
    /// The bytes: one stream, or many.
    pub link: Link,
    /// The other side.
    pub peer: Peer,
}

impl Connection {
    /// A connection carrying one byte stream.
    pub fn new(stream: impl Stream, peer: Peer) -> Self {
        Self {
            link: Link::Stream(Box::new(stream)),
            peer,
        }
    }

    /// A connection carrying one boxed byte stream.
    pub fn boxed(stream: BoxStream, peer: Peer) -> Self {
        Self {
            link: Link::Stream(stream),
            peer,
        }
    }

    /// The byte stream of a single-stream connection; `None` for a
    /// multiplexed one.
    pub fn stream_mut(&mut self) -> Option<&mut BoxStream> {
        match &mut self.link {
            Link::Stream(stream) => Some(stream),
            Link::Multiplexed(_) => None,
        }
    }

    /// A byte stream to the peer: the connection's own stream, or a newly
    /// opened one on a multiplexed connection (which stays open while the
    /// stream does). For raw access, as in tests of what a server does
    /// with arbitrary bytes.
    pub async fn into_stream(self) -> io::Result<BoxStream> {
        match self.link {
            Link::Stream(stream) => Ok(stream),
            Link::Multiplexed(streams) => streams.open().await,
        }
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

/// A bound endpoint accepting inbound connections.
///
/// Dropping the listener stops listening (and, for unix and mem, frees the
/// address for reuse).
pub trait Listener: Send + 'static {
    /// Waits for the next inbound connection. An error here is
    /// per-connection (e.g. EMFILE); the caller keeps accepting.
    ///
    /// The returned future is cancel safe: dropping it before it completes
    /// loses no connection.
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>>;

    /// The address actually bound (port 0 resolved to the real port;
    /// `mem://` with an empty name resolved to the assigned name), in a form
    /// [`dial`] accepts.
    fn local_addr(&self) -> &Address;

    /// Gives the listener the server's status page, for transports that can
    /// serve one (the `http` transport answers `GET /debug/rpc` with it).
    /// The default ignores it.
    fn set_status_page(&mut self, page: StatusPage) {
        let _ = page;
    }
}

/// Connects to `addr`, with default [`DialOptions`] (so `tls://` fails:
/// use [`dial_with`]).
///
/// Errors keep the OS error's [`kind`](io::Error::kind) and name the
/// address, Go style (`dial tcp 127.0.0.1:1: Connection refused ...`).
pub async fn dial(addr: &Address) -> io::Result<Connection> {
    dial_with(addr, &DialOptions::default()).await
}

/// Connects to `addr`, with `options` for transports that need settings.
///
/// A `tls://` address needs `DialOptions::tls`; without it this fails
/// with [`InvalidInput`](io::ErrorKind::InvalidInput), saying so. Other
/// errors are as for [`dial`].
pub async fn dial_with(addr: &Address, options: &DialOptions) -> io::Result<Connection> {
    let _ = options; // Unused when no transport has settings.
    match addr {
        #[cfg(feature = "tcp")]
        Address::Tcp(host_port) => tcp::dial(host_port).await,
        #[cfg(all(feature = "unix", unix))]
        Address::Unix(path) => unix::dial(path).await,
        #[cfg(feature = "mem")]
        Address::Mem(name) => mem::dial(name).await,
        #[cfg(feature = "http")]
        Address::Http { host_port, path } => http::dial(host_port, path).await,
        #[cfg(feature = "tls")]
        Address::Tls(host_port) => match &options.tls {
            Some(config) => tls::dial(host_port, config).await,
            None => Err(missing_option(
                "dial",
                addr,
                "tls:// needs a client TLS configuration: set DialOptions::tls \
                 (TlsClientConfig::from_ca_file, ::system_roots, or ::insecure for tests)",
            )),
        },
        #[cfg(feature = "quic")]
        Address::Quic(host_port) => match &options.tls {
            Some(config) => quic::dial(host_port, config, &options.quic).await,
            None => Err(missing_option(
                "dial",
                addr,
                "quic:// needs a client TLS configuration: set DialOptions::tls \
                 (TlsClientConfig::from_ca_file, ::system_roots, or ::insecure for tests)",
            )),
        },
        #[cfg(feature = "yamux")]
        Address::YamuxTcp(_) => yamux::dial(addr, &options.yamux).await,
        #[cfg(all(feature = "yamux", unix))]
        Address::YamuxUnix(_) => yamux::dial(addr, &options.yamux).await,
        #[allow(unreachable_patterns)]
        other => Err(not_compiled_in(other)),
    }
}

/// Binds `addr` and starts listening on it, with default
/// [`ListenOptions`] (so `tls://` fails: use [`listen_with`]).
///
/// Errors keep the OS error's [`kind`](io::Error::kind) (notably
/// [`AddrInUse`](io::ErrorKind::AddrInUse)) and name the address.
pub async fn listen(addr: &Address) -> io::Result<Box<dyn Listener>> {
    listen_with(addr, &ListenOptions::default()).await
}

/// Binds `addr` and starts listening on it, with `options` for transports
/// that need settings.
///
/// A `tls://` address needs `ListenOptions::tls`; without it this fails
/// with [`InvalidInput`](io::ErrorKind::InvalidInput), saying so. So does an
/// `http://` address whose path and `ListenOptions::http_debug_path` are
/// not valid [`http::HttpPaths`]. Other errors are as for [`listen`].
pub async fn listen_with(addr: &Address, options: &ListenOptions) -> io::Result<Box<dyn Listener>> {
    let _ = options; // Unused when no transport has settings.
    match addr {
        #[cfg(feature = "tcp")]
        Address::Tcp(host_port) => Ok(Box::new(tcp::TcpListener::bind(host_port).await?)),
        #[cfg(all(feature = "unix", unix))]
        Address::Unix(path) => Ok(Box::new(unix::UnixListener::bind(path).await?)),
        #[cfg(feature = "mem")]
        Address::Mem(name) => Ok(Box::new(mem::MemListener::bind(name)?)),
        #[cfg(feature = "http")]
        Address::Http { host_port, path } => {
            let debug = options
                .http_debug_path
                .as_deref()
                .unwrap_or(http::DEBUG_PATH);
            let paths = http::HttpPaths::new(path.as_str(), debug).map_err(|err| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("listen {addr}: {err}"))
            })?;
            Ok(Box::new(
                http::HttpListener::bind_with(host_port, paths).await?,
            ))
        }
        #[cfg(feature = "tls")]
        Address::Tls(host_port) => match &options.tls {
            Some(config) => Ok(Box::new(
                tls::TlsListener::bind(host_port, config.clone()).await?,
            )),
            None => Err(missing_option(
                "listen",
                addr,
                "tls:// needs a server certificate: set ListenOptions::tls \
                 (TlsServerConfig::from_pem_files or ::self_signed)",
            )),
        },
        #[cfg(feature = "quic")]
        Address::Quic(host_port) => match &options.tls {
            Some(config) => Ok(Box::new(
                quic::QuicListener::bind(host_port, config.clone(), options.quic).await?,
            )),
            None => Err(missing_option(
                "listen",
                addr,
                "quic:// needs a server certificate: set ListenOptions::tls \
                 (TlsServerConfig::from_pem_files or ::self_signed)",
            )),
        },
        #[cfg(feature = "yamux")]
        Address::YamuxTcp(_) => Ok(Box::new(
            yamux::YamuxListener::bind(addr, options.yamux.clone()).await?,
        )),
        #[cfg(all(feature = "yamux", unix))]
        Address::YamuxUnix(_) => Ok(Box::new(
            yamux::YamuxListener::bind(addr, options.yamux.clone()).await?,
        )),
        #[allow(unreachable_patterns)]
        other => Err(not_compiled_in(other)),
    }
}

/// The error for an address whose transport needs settings it was not
/// given.
#[cfg(feature = "tls")]
fn missing_option(op: &str, addr: &Address, what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{op} {addr}: {what}"))
}

/// The error for an address whose transport is not in this build.
#[allow(dead_code)] // Unused when every transport is compiled in.
fn not_compiled_in(addr: &Address) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        AddressError::NotCompiledIn {
            transport: addr.transport(),
        },
    )
}

/// Prefixes `err` with the operation and address, keeping its kind.
#[allow(dead_code)] // Unused when no socket transport is compiled in.
fn with_context(err: io::Error, op: &str, addr: impl fmt::Display) -> io::Error {
    io::Error::new(err.kind(), format!("{op} {addr}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(feature = "mem"))]
    #[tokio::test]
    async fn disabled_transport_is_unsupported() {
        let addr: Address = "mem://x".parse().unwrap();
        let err = dial(&addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        let err = listen(&addr).await.err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        assert!(err.to_string().contains("\"mem\" feature"), "{err}");
    }

    #[cfg(feature = "mem")]
    #[tokio::test]
    async fn dial_and_listen_dispatch_by_address() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let mut listener = listen(&"mem://".parse().unwrap()).await.unwrap();
        let mut client = dial(listener.local_addr()).await.unwrap();
        let mut server = listener.accept().await.unwrap();
        client.stream_mut().unwrap().write_all(b"hi").await.unwrap();
        let mut buf = [0; 2];
        server
            .stream_mut()
            .unwrap()
            .read_exact(&mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"hi");
        let debug = format!("{server:?}");
        assert!(
            debug.contains("peer") && !debug.contains("stream"),
            "{debug}"
        );
    }

    #[test]
    fn context_keeps_kind() {
        let err = with_context(
            io::Error::from(io::ErrorKind::ConnectionRefused),
            "dial tcp",
            "h:1",
        );
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert!(err.to_string().starts_with("dial tcp h:1: "), "{err}");
    }
}
