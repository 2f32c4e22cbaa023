//! The `quic://host:port` transport: QUIC (quinn) secured by TLS 1.3
//! (rustls, *ring*), with the same certificates as [`tls`](crate::tls).
//!
//! A QUIC connection is a [`Link::Multiplexed`](crate::Link::Multiplexed):
//! it carries many independent byte streams, opened by either side, so a
//! stream that stalls (a slow reply, a lost packet) never holds up the
//! others. netrpc's engine opens one stream per call (see DESIGN.md, "QUIC").
//!
//! - Certificates and trust are [`TlsServerConfig`] and [`TlsClientConfig`]
//!   (given in [`ListenOptions::tls`](crate::ListenOptions::tls) and
//!   [`DialOptions::tls`](crate::DialOptions::tls)); the ALPN protocol is
//!   [`ALPN`]. Mutual TLS and the peer's [`TlsIdentity`](crate::TlsIdentity)
//!   in [`Peer::tls`] work as over TCP. Peers' transport is `"quic"`.
//! - Early data (0-RTT) is off on both sides.
//! - A connection on which nothing arrives for the idle timeout
//!   ([`QuicSettings`], default [`IDLE_TIMEOUT`], 15 s) is closed by QUIC
//!   itself; each side sends a keep-alive every [`KEEP_ALIVE_INTERVAL`]
//!   (5 s), so only a peer that is gone or unreachable (a killed process,
//!   a cut network: UDP has no "connection reset") hits it. A lost
//!   connection fails every stream; its error ([`Multiplexed::closed`])
//!   says why (`quic: connection timed out ...`, `quic: connection closed
//!   by peer ...`).
//! - Each side lets the other open at most [`MAX_STREAMS`] streams at once,
//!   and opens at most [`MAX_OPEN_STREAMS`] itself (more wait in
//!   [`Multiplexed::open`] until one ends): quinn announces freed streams
//!   in steps of an eighth of the limit, so a side that kept the whole
//!   limit open could wait for credit that is never announced.
//! - [`QuicListener`] runs each handshake in a task of its own (a slow or
//!   failing client never delays `accept` for others), with the server
//!   configuration's handshake timeout; failures are logged and never reach
//!   `accept`'s caller.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{ConnectionError, IdleTimeout, TransportConfig, VarInt};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinSet};

use crate::tls::{TlsClientConfig, TlsServerConfig};
use crate::{Address, BoxFuture, BoxStream, Connection, Link, Listener, Multiplexed, Peer};

/// The ALPN protocol name both sides require.
pub const ALPN: &[u8] = b"netrpc";

/// A connection with no packet from the peer for this long is closed
/// (default of [`QuicSettings::idle_timeout`]).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// How often each side proves it is alive when it has nothing else to send
/// (default of [`QuicSettings::keep_alive_interval`]).
pub const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(5);

/// The most streams (calls) each side lets the other have open at once.
pub const MAX_STREAMS: u32 = 1024;

/// The most streams each side keeps open itself: 7/8 of [`MAX_STREAMS`],
/// less one, so that freed streams are always announced before they are
/// needed.
pub const MAX_OPEN_STREAMS: u32 = MAX_STREAMS - MAX_STREAMS / 8 - 1;

/// Timing of a QUIC connection, for [`DialOptions::quic`](crate::DialOptions)
/// and [`ListenOptions::quic`](crate::ListenOptions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuicSettings {
    /// A connection with no packet from the peer for this long is closed,
    /// failing its calls (the lower of the two sides' values applies).
    pub idle_timeout: Duration,
    /// How often to send a keep-alive when there is nothing else to send;
    /// keep it well under `idle_timeout`.
    pub keep_alive_interval: Duration,
}

impl Default for QuicSettings {
    fn default() -> Self {
        Self {
            idle_timeout: IDLE_TIMEOUT,
            keep_alive_interval: KEEP_ALIVE_INTERVAL,
        }
    }
}

/// The application error code of a stream abandoned by its opener, and of a
/// connection closed by [`Multiplexed::close`].
const ABANDONED: u32 = 0;

fn transport_config(settings: &QuicSettings) -> io::Result<Arc<TransportConfig>> {
    let mut config = TransportConfig::default();
    config
        .max_concurrent_bidi_streams(VarInt::from_u32(MAX_STREAMS))
        .max_concurrent_uni_streams(VarInt::from_u32(0))
        .max_idle_timeout(Some(IdleTimeout::try_from(settings.idle_timeout).map_err(
            |err| io::Error::new(io::ErrorKind::InvalidInput, format!("quic: {err}")),
        )?))
        .keep_alive_interval(Some(settings.keep_alive_interval));
    Ok(Arc::new(config))
}

fn server_config(
    tls: &TlsServerConfig,
    settings: &QuicSettings,
) -> io::Result<quinn::ServerConfig> {
    let mut rustls = rustls::ServerConfig::clone(tls.rustls());
    rustls.alpn_protocols = vec![ALPN.to_vec()];
    rustls.max_early_data_size = 0;
    let crypto = QuicServerConfig::try_from(rustls).map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("quic: server configuration: {err}"),
        )
    })?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(transport_config(settings)?);
    Ok(config)
}

fn client_config(
    tls: &TlsClientConfig,
    settings: &QuicSettings,
) -> io::Result<quinn::ClientConfig> {
    let mut rustls = rustls::ClientConfig::clone(tls.rustls());
    rustls.alpn_protocols = vec![ALPN.to_vec()];
    rustls.enable_early_data = false;
    let crypto = QuicClientConfig::try_from(rustls).map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("quic: client configuration: {err}"),
        )
    })?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    config.transport_config(transport_config(settings)?);
    Ok(config)
}

/// The first address `host_port` resolves to (an empty host is 127.0.0.1
/// when dialing, every interface when listening).
async fn resolve(host_port: &str, empty_host: &str, op: &str) -> io::Result<SocketAddr> {
    let target = match host_port.strip_prefix(':') {
        Some(port) => format!("{empty_host}:{port}"),
        None => host_port.to_owned(),
    };
    let context = |err| crate::with_context(err, op, host_port);
    tokio::net::lookup_host(target)
        .await
        .map_err(context)?
        .next()
        .ok_or_else(|| {
            context(io::Error::new(
                io::ErrorKind::NotFound,
                "no address found for the host",
            ))
        })
}

/// Why a connection ended, as an [`io::Error`] whose kind a caller can act
/// on and whose text says what happened.
fn connection_error(err: &ConnectionError, idle: Duration) -> io::Error {
    use io::ErrorKind as K;
    let (kind, what) = match err {
        ConnectionError::TimedOut => (
            K::TimedOut,
            format!("quic: connection timed out (nothing from the peer for {idle:?})"),
        ),
        ConnectionError::ApplicationClosed(close) => (
            K::ConnectionAborted,
            format!("quic: connection closed by peer ({close})"),
        ),
        ConnectionError::ConnectionClosed(close) => (
            K::ConnectionAborted,
            format!("quic: connection aborted by peer: {close}"),
        ),
        ConnectionError::Reset => (K::ConnectionReset, "quic: connection reset by peer".into()),
        ConnectionError::LocallyClosed => (K::NotConnected, "quic: connection closed".into()),
        ConnectionError::TransportError(err) => (K::InvalidData, format!("quic: {err}")),
        ConnectionError::VersionMismatch => (
            K::Unsupported,
            "quic: the peer supports no common QUIC version".into(),
        ),
        ConnectionError::CidsExhausted => (K::Other, "quic: connection IDs exhausted".into()),
    };
    io::Error::new(kind, what)
}

/// The verified certificate's identity, if the peer presented one.
fn peer_identity(conn: &quinn::Connection) -> Option<crate::TlsIdentity> {
    let certs = conn
        .peer_identity()?
        .downcast::<Vec<CertificateDer<'static>>>()
        .ok()?;
    certs.first().map(crate::tls::identity)
}

// ---- connections and streams ----

/// A QUIC connection as a [`Multiplexed`] link.
struct QuicConnection {
    conn: quinn::Connection,
    idle: Duration,
    /// Places for streams this side opens ([`MAX_OPEN_STREAMS`]).
    open_slots: Arc<Semaphore>,
    /// The dialing side's own endpoint (its UDP socket), kept as long as the
    /// connection.
    _endpoint: Option<quinn::Endpoint>,
}

impl QuicConnection {
    fn new(conn: quinn::Connection, idle: Duration, endpoint: Option<quinn::Endpoint>) -> Self {
        Self {
            conn,
            idle,
            open_slots: Arc::new(Semaphore::new(MAX_OPEN_STREAMS as usize)),
            _endpoint: endpoint,
        }
    }

    fn stream(
        &self,
        (send, recv): (quinn::SendStream, quinn::RecvStream),
        slot: Option<OwnedSemaphorePermit>,
    ) -> BoxStream {
        Box::new(QuicStream {
            send,
            recv,
            conn: self.conn.clone(),
            idle: self.idle,
            _slot: slot,
            shut_down: false,
            acknowledged: None,
        })
    }

    /// The connection's own error when a stream failed because the
    /// connection did.
    fn explain(&self, err: ConnectionError) -> io::Error {
        connection_error(&self.conn.close_reason().unwrap_or(err), self.idle)
    }
}

impl Multiplexed for QuicConnection {
    fn open(&self) -> BoxFuture<'_, io::Result<BoxStream>> {
        Box::pin(async move {
            // The semaphore is never closed.
            let slot = self.open_slots.clone().acquire_owned().await.ok();
            match self.conn.open_bi().await {
                Ok(pair) => Ok(self.stream(pair, slot)),
                Err(err) => Err(self.explain(err)),
            }
        })
    }

    fn accept(&self) -> BoxFuture<'_, io::Result<Option<BoxStream>>> {
        Box::pin(async move {
            match self.conn.accept_bi().await {
                Ok(pair) => Ok(Some(self.stream(pair, None))),
                Err(ConnectionError::ApplicationClosed(_) | ConnectionError::LocallyClosed) => {
                    Ok(None)
                }
                Err(err) => Err(self.explain(err)),
            }
        })
    }

    fn closed(&self) -> BoxFuture<'_, io::Error> {
        Box::pin(async move { connection_error(&self.conn.closed().await, self.idle) })
    }

    fn close(&self) {
        self.conn.close(VarInt::from_u32(ABANDONED), b"closed");
    }
}

/// One bidirectional QUIC stream. Dropped before its write half was shut
/// down, it is reset (the peer's reads fail) instead of finished.
struct QuicStream {
    send: quinn::SendStream,
    recv: quinn::RecvStream,
    conn: quinn::Connection,
    idle: Duration,
    /// This side's place for a stream it opened, given back when the stream is dropped.
    _slot: Option<OwnedSemaphorePermit>,
    shut_down: bool,
    /// Once finished: resolves when the peer has acknowledged everything sent.
    acknowledged: Option<Pin<Box<dyn Future<Output = ()> + Send + Sync>>>,
}

impl QuicStream {
    /// Replaces "connection lost" with why the connection was lost.
    fn map<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::NotConnected => {
                Poll::Ready(Err(match self.conn.close_reason() {
                    Some(reason) => connection_error(&reason, self.idle),
                    None => err,
                }))
            }
            other => other,
        }
    }
}

impl AsyncRead for QuicStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.recv).poll_read(cx, buf);
        self.map(poll)
    }
}

impl AsyncWrite for QuicStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = AsyncWrite::poll_write(Pin::new(&mut self.send), cx, buf);
        self.map(poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = AsyncWrite::poll_flush(Pin::new(&mut self.send), cx);
        self.map(poll)
    }

    /// Finishes the stream, then waits until the peer has acknowledged all of it (as a TCP
    /// shutdown flushes), so that closing the connection afterwards loses nothing.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.acknowledged.is_none() {
            let poll = AsyncWrite::poll_shutdown(Pin::new(&mut self.send), cx);
            match self.map(poll) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
            self.shut_down = true;
            let stopped = self.send.stopped();
            self.acknowledged = Some(Box::pin(async move {
                // Stopped by the peer or the connection gone: nothing more to wait for.
                let _ = stopped.await;
            }));
        }
        match &mut self.acknowledged {
            Some(acknowledged) => acknowledged.as_mut().poll(cx).map(Ok),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl Drop for QuicStream {
    fn drop(&mut self) {
        if !self.shut_down {
            // Abandoned: tell the peer, rather than letting quinn finish the
            // stream as if it were complete. (The receive side is stopped
            // by quinn when dropped unread.)
            let _ = self.send.reset(VarInt::from_u32(ABANDONED));
        }
    }
}

// ---- dialing ----

/// Connects to `host_port` over QUIC, verifying the server as `config`
/// says (as [`tls::dial`](crate::tls::dial) does).
///
/// Errors name the address and the cause (`dial quic HOST:PORT: quic
/// handshake failed: ...`); a handshake that outlasts the configuration's
/// handshake timeout is [`TimedOut`](io::ErrorKind::TimedOut).
pub async fn dial(
    host_port: &str,
    config: &TlsClientConfig,
    settings: &QuicSettings,
) -> io::Result<Connection> {
    let context = |err| crate::with_context(err, "dial quic", host_port);
    let addr = resolve(host_port, "127.0.0.1", "dial quic").await?;
    let name = match config.server_name() {
        Some(name) => name.to_str().into_owned(),
        None => crate::tls::default_server_name(host_port)
            .map_err(context)?
            .to_str()
            .into_owned(),
    };
    if config.is_insecure() {
        tracing::warn!(
            addr = host_port,
            "dialing quic without verifying the server's certificate (TlsClientConfig::insecure)"
        );
    }
    let local: SocketAddr = if addr.is_ipv6() {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    };
    let endpoint = quinn::Endpoint::client(local).map_err(context)?;
    let connecting = endpoint
        .connect_with(client_config(config, settings)?, addr, &name)
        .map_err(|err| context(io::Error::new(io::ErrorKind::InvalidInput, err)))?;
    let timeout = config.handshake_timeout();
    let conn = match tokio::time::timeout(timeout, connecting).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(err)) => {
            let err = connection_error(&err, settings.idle_timeout);
            return Err(context(io::Error::new(
                err.kind(),
                format!("quic handshake failed: {err}"),
            )));
        }
        Err(_) => {
            return Err(context(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("quic handshake timed out after {timeout:?}"),
            )));
        }
    };
    let tls = if config.is_insecure() {
        None
    } else {
        peer_identity(&conn)
    };
    let peer = Peer {
        tls,
        ..Peer::socket("quic", conn.remote_address())
    };
    Ok(Connection {
        link: Link::Multiplexed(Arc::new(QuicConnection::new(
            conn,
            settings.idle_timeout,
            Some(endpoint),
        ))),
        peer,
    })
}

// ---- listening ----

/// A QUIC endpoint accepting connections (`quic://host:port`).
///
/// Handshakes run in tasks of their own while someone waits in
/// [`accept`](Listener::accept); dropping the listener stops accepting
/// (connections already accepted go on).
pub struct QuicListener {
    endpoint: quinn::Endpoint,
    timeout: Duration,
    idle: Duration,
    pending: JoinSet<Option<Connection>>,
    local: Address,
}

impl QuicListener {
    /// Binds the UDP port `host_port` (port 0 picks a free one, reported by
    /// [`Listener::local_addr`] as `quic://IP:PORT`), serving `config`'s
    /// certificate.
    pub async fn bind(
        host_port: &str,
        config: TlsServerConfig,
        settings: QuicSettings,
    ) -> io::Result<Self> {
        let addr = resolve(host_port, "0.0.0.0", "listen quic").await?;
        let context = |err| crate::with_context(err, "listen quic", host_port);
        let endpoint =
            quinn::Endpoint::server(server_config(&config, &settings)?, addr).map_err(context)?;
        let bound = endpoint.local_addr().map_err(context)?;
        Ok(Self {
            endpoint,
            timeout: config.handshake_timeout(),
            idle: settings.idle_timeout,
            pending: JoinSet::new(),
            local: Address::Quic(bound.to_string()),
        })
    }

    async fn accept_quic(&mut self) -> io::Result<Connection> {
        loop {
            match self.next_event().await {
                Event::Incoming(Some(incoming)) => {
                    self.pending
                        .spawn(handshake(incoming, self.timeout, self.idle));
                }
                Event::Incoming(None) => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotConnected,
                        format!("quic listener {} closed", self.local),
                    ));
                }
                Event::Handshaken(Ok(Some(conn))) => return Ok(conn),
                Event::Handshaken(Ok(None)) => {}
                Event::Handshaken(Err(err)) => {
                    tracing::warn!(error = %err, "quic handshake task failed");
                }
            }
        }
    }

    /// Waits for a finished handshake or a new connection attempt,
    /// preferring the former.
    async fn next_event(&mut self) -> Event {
        let Self {
            endpoint, pending, ..
        } = self;
        let mut accept = std::pin::pin!(endpoint.accept());
        poll_fn(|cx| {
            if let Poll::Ready(Some(done)) = pending.poll_join_next(cx) {
                return Poll::Ready(Event::Handshaken(done));
            }
            accept.as_mut().poll(cx).map(Event::Incoming)
        })
        .await
    }
}

impl fmt::Debug for QuicListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuicListener")
            .field("local", &self.local)
            .field("timeout", &self.timeout)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Listener for QuicListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(self.accept_quic())
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }
}

/// What woke the accept loop.
enum Event {
    Incoming(Option<quinn::Incoming>),
    Handshaken(Result<Option<Connection>, JoinError>),
}

/// One connection attempt's handshake; `Some` if it succeeded.
async fn handshake(
    incoming: quinn::Incoming,
    timeout: Duration,
    idle: Duration,
) -> Option<Connection> {
    let addr = incoming.remote_address();
    let connecting = match incoming.accept() {
        Ok(connecting) => connecting,
        Err(err) => {
            tracing::debug!(peer = %addr, error = %err, "quic connection attempt refused");
            return None;
        }
    };
    match tokio::time::timeout(timeout, connecting).await {
        Ok(Ok(conn)) => {
            let peer = Peer {
                tls: peer_identity(&conn),
                ..Peer::socket("quic", conn.remote_address())
            };
            Some(Connection {
                link: Link::Multiplexed(Arc::new(QuicConnection::new(conn, idle, None))),
                peer,
            })
        }
        Ok(Err(err)) => {
            let about_certificates = matches!(err, ConnectionError::TransportError(_))
                || matches!(err, ConnectionError::ConnectionClosed(_));
            if about_certificates {
                tracing::warn!(peer = %addr, error = %connection_error(&err, idle), "quic handshake failed");
            } else {
                tracing::debug!(peer = %addr, error = %connection_error(&err, idle), "quic handshake failed");
            }
            None
        }
        Err(_) => {
            tracing::debug!(peer = %addr, ?timeout, "quic handshake timed out; closing the connection");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::tests::Ca;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn bind(config: TlsServerConfig) -> QuicListener {
        QuicListener::bind("127.0.0.1:0", config, QuicSettings::default())
            .await
            .unwrap()
    }

    fn host_port(listener: &QuicListener) -> String {
        match listener.local_addr() {
            Address::Quic(host_port) => host_port.clone(),
            other => panic!("unexpected local address {other}"),
        }
    }

    fn streams(conn: &Connection) -> Arc<dyn Multiplexed> {
        match &conn.link {
            Link::Multiplexed(streams) => streams.clone(),
            Link::Stream(_) => panic!("a quic connection carries many streams"),
        }
    }

    /// Dials and accepts one connection.
    async fn pair(
        listener: &mut QuicListener,
        client: &TlsClientConfig,
    ) -> (Connection, Connection) {
        let addr = host_port(listener);
        let settings = QuicSettings::default();
        let (dialed, accepted) = tokio::join!(dial(&addr, client, &settings), listener.accept());
        (dialed.unwrap(), accepted.unwrap())
    }

    #[tokio::test]
    async fn streams_both_ways_with_identities() {
        let ca = Ca::new("test ca");
        let alice = ca.client("alice");
        let server_config = ca.server().with_client_ca_pem(ca.pem().as_bytes()).unwrap();
        let mut listener = bind(server_config).await;
        let client_config = ca
            .trusted_by()
            .with_client_cert_pem(alice.cert_pem.as_bytes(), alice.key_pem.as_bytes())
            .unwrap();
        let (client, server) = pair(&mut listener, &client_config).await;
        assert_eq!(client.peer.transport, "quic");
        assert_eq!(server.peer.transport, "quic");
        let id = server.peer.tls.as_ref().expect("client identity");
        assert_eq!(id.common_name.as_deref(), Some("alice"));
        assert_eq!(id.certificate_der, alice.der);
        assert!(client.peer.tls.is_some());

        let (client, server) = (streams(&client), streams(&server));
        // Client to server, then server to client: either side opens streams.
        for (opener, acceptor) in [(&client, &server), (&server, &client)] {
            let mut out = opener.open().await.unwrap();
            out.write_all(b"ping").await.unwrap();
            let mut inc = acceptor.accept().await.unwrap().unwrap();
            let mut buf = [0; 4];
            inc.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ping");
            inc.write_all(b"pong").await.unwrap();
            inc.shutdown().await.unwrap();
            let mut back = Vec::new();
            out.read_to_end(&mut back).await.unwrap();
            assert_eq!(back, b"pong");
            out.shutdown().await.unwrap();
            let mut rest = Vec::new();
            assert_eq!(inc.read_to_end(&mut rest).await.unwrap(), 0);
        }
    }

    #[tokio::test]
    async fn a_dropped_stream_is_reset_not_finished() {
        let ca = Ca::new("test ca");
        let mut listener = bind(ca.server()).await;
        let (client, server) = pair(&mut listener, &ca.trusted_by()).await;
        let (client, server) = (streams(&client), streams(&server));
        let mut out = client.open().await.unwrap();
        out.write_all(b"half a request").await.unwrap();
        let mut inc = server.accept().await.unwrap().unwrap();
        let mut buf = [0; 4];
        inc.read_exact(&mut buf).await.unwrap();
        drop(out);
        let mut rest = Vec::new();
        let err = inc.read_to_end(&mut rest).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
    }

    #[tokio::test]
    async fn close_ends_the_peer_with_a_reason() {
        let ca = Ca::new("test ca");
        let mut listener = bind(ca.server()).await;
        let (client, server) = pair(&mut listener, &ca.trusted_by()).await;
        let (client, server) = (streams(&client), streams(&server));
        let mut out = client.open().await.unwrap();
        out.write_all(b"x").await.unwrap();
        let mut inc = server.accept().await.unwrap().unwrap();
        client.close();
        let err = server.closed().await;
        assert_eq!(err.kind(), io::ErrorKind::ConnectionAborted, "{err}");
        assert!(err.to_string().contains("closed by peer"), "{err}");
        assert!(server.accept().await.unwrap().is_none());
        let mut rest = Vec::new();
        let err = inc.read_to_end(&mut rest).await.unwrap_err();
        assert!(err.to_string().contains("closed by peer"), "{err}");
        let err = client.open().await.err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::NotConnected, "{err}");
    }

    #[tokio::test]
    async fn refusals_are_clear_and_the_listener_goes_on() {
        let ca = Ca::new("test ca");
        let other = Ca::new("other ca");
        let server_config = ca.server().with_client_ca_pem(ca.pem().as_bytes()).unwrap();
        let mut listener = bind(server_config).await;
        let addr = host_port(&listener);
        let accepting = tokio::spawn(async move {
            let conn = listener.accept().await;
            (listener, conn)
        });

        // A server certificate from an unknown CA.
        let err = dial(&addr, &other.trusted_by(), &QuicSettings::default())
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("dial quic {addr}: quic handshake failed")),
            "{text}"
        );
        assert!(text.contains("UnknownIssuer"), "{text}");

        // No client certificate: refused by the server (after the client's
        // handshake, as with TLS 1.3 over TCP).
        let refused = match dial(&addr, &ca.trusted_by(), &QuicSettings::default()).await {
            Err(err) => err,
            Ok(conn) => streams(&conn).closed().await,
        };
        assert!(
            refused.to_string().to_lowercase().contains("certificate"),
            "{refused}"
        );

        // The listener still serves a good client.
        let bob = ca.client("bob");
        let good = ca
            .trusted_by()
            .with_client_cert_pem(bob.cert_pem.as_bytes(), bob.key_pem.as_bytes())
            .unwrap();
        let client = dial(&addr, &good, &QuicSettings::default()).await.unwrap();
        let (_listener, accepted) = accepting.await.unwrap();
        let accepted = accepted.unwrap();
        let id = accepted.peer.tls.unwrap();
        assert_eq!(id.common_name.as_deref(), Some("bob"));
        drop(client);
    }

    #[tokio::test]
    async fn address_round_trip() {
        let (config, _pem) = TlsServerConfig::self_signed(&["localhost"]).unwrap();
        let listener = crate::listen_with(
            &"quic://127.0.0.1:0".parse().unwrap(),
            &crate::ListenOptions::new().with_tls(config),
        )
        .await
        .unwrap();
        let addr = listener.local_addr().to_string();
        assert!(addr.starts_with("quic://127.0.0.1:"), "{addr}");
        assert_eq!(addr.parse::<Address>().unwrap().to_string(), addr);
        let err = crate::dial(&addr.parse().unwrap()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("DialOptions::tls"), "{err}");
    }
}
