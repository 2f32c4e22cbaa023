//! The `quic://host:port` transport: QUIC (quinn) secured by TLS 1.3
//! (rustls, *ring*), with the same certificates as [`tls`](crate::tls).
//!
//! A QUIC connection is a [`Link::Multiplexed`]:
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
//!
//! # Layout
//!
//! This file holds the settings, the quinn configurations and [`dial`];
//! `connection.rs` the connection and its streams; `listener.rs` the
//! listener, run by the crate's shared accept loop (`accept.rs`).

mod connection;
mod listener;
#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{ConnectionError, IdleTimeout, TransportConfig, VarInt};
use rustls::pki_types::CertificateDer;

use crate::accept::dial_handshake;
use crate::tls::{TlsClientConfig, TlsServerConfig};
use crate::{Connection, Link, Peer};
#[cfg(doc)]
use crate::{Listener, Multiplexed};
use connection::QuicConnection;
pub use listener::QuicListener;

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

/// The peer's verified certificates, if it presented any.
fn peer_certificates(conn: &quinn::Connection) -> Option<Vec<CertificateDer<'static>>> {
    let certs = conn
        .peer_identity()?
        .downcast::<Vec<CertificateDer<'static>>>();
    certs.ok().map(|certs| *certs)
}

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
    let name = crate::tls::server_name_for(config, host_port, "quic")
        .map_err(context)?
        .to_str()
        .into_owned();
    let local: SocketAddr = if addr.is_ipv6() {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    };
    let endpoint = quinn::Endpoint::client(local).map_err(context)?;
    let connecting = endpoint
        .connect_with(client_config(config, settings)?, addr, &name)
        .map_err(|err| context(io::Error::new(io::ErrorKind::InvalidInput, err)))?;
    let handshake = async {
        connecting
            .await
            .map_err(|err| connection_error(&err, settings.idle_timeout))
    };
    let conn = dial_handshake("quic", config.handshake_timeout(), handshake)
        .await
        .map_err(context)?;
    let peer = Peer {
        tls: crate::tls::server_identity(config, peer_certificates(&conn).as_deref()),
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
