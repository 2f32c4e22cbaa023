//! [`QuicListener`]: a QUIC endpoint whose connection attempts run their
//! handshakes in the shared accept loop ([`crate::accept`]).

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use quinn::ConnectionError;
use tokio::time::Instant;

use super::{
    QuicConnection, QuicSettings, connection_error, peer_certificates, resolve, server_config,
};
use crate::accept::{Accepting, Handshake, Source, Start};
use crate::tls::{TlsServerConfig, first_identity};
use crate::{Address, BoxFuture, Connection, Link, Listener, Peer};

/// A QUIC endpoint accepting connections (`quic://host:port`).
///
/// Handshakes run in tasks of their own while someone waits in
/// [`accept`](Listener::accept); dropping the listener stops accepting
/// (connections already accepted go on).
pub struct QuicListener {
    accepting: Accepting<Endpoint, QuicHandshake>,
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
        let local = Address::Quic(bound.to_string());
        let source = Endpoint {
            endpoint,
            local: local.clone(),
        };
        let handshake = QuicHandshake {
            idle: settings.idle_timeout,
        };
        Ok(Self {
            accepting: Accepting::new(source, handshake).with_timeout(config.handshake_timeout()),
            local,
        })
    }
}

impl fmt::Debug for QuicListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuicListener")
            .field("local", &self.local)
            .field("accepting", &self.accepting)
            .finish()
    }
}

impl Listener for QuicListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(self.accepting.accept())
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }
}

/// The endpoint's connection attempts.
struct Endpoint {
    endpoint: quinn::Endpoint,
    local: Address,
}

impl Source for Endpoint {
    type Raw = quinn::Incoming;

    async fn next(&mut self) -> io::Result<quinn::Incoming> {
        self.endpoint.accept().await.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                format!("quic listener {} closed", self.local),
            )
        })
    }
}

/// The server's side of a QUIC handshake.
#[derive(Clone, Debug)]
struct QuicHandshake {
    idle: Duration,
}

impl Handshake for QuicHandshake {
    type Raw = quinn::Incoming;
    type Started = quinn::Incoming;
    const TRANSPORT: &'static str = "quic";

    fn peer(incoming: &quinn::Incoming) -> String {
        incoming.remote_address().to_string()
    }

    async fn start(&self, incoming: quinn::Incoming) -> Start<quinn::Incoming> {
        Start::Handshake(incoming)
    }

    async fn run(self, incoming: quinn::Incoming, _deadline: Instant) -> Option<Connection> {
        let addr = incoming.remote_address();
        let connecting = match incoming.accept() {
            Ok(connecting) => connecting,
            Err(err) => {
                tracing::debug!(peer = %addr, error = %err, "quic connection attempt refused");
                return None;
            }
        };
        match connecting.await {
            Ok(conn) => {
                let peer = Peer {
                    tls: first_identity(peer_certificates(&conn).as_deref()),
                    ..Peer::socket("quic", conn.remote_address())
                };
                let conn = QuicConnection::new(conn, self.idle, None);
                Some(Connection {
                    link: Link::Multiplexed(Arc::new(conn)),
                    peer,
                })
            }
            Err(err) => {
                let about_certificates = matches!(
                    err,
                    ConnectionError::TransportError(_) | ConnectionError::ConnectionClosed(_)
                );
                let error = connection_error(&err, self.idle);
                if about_certificates {
                    tracing::warn!(peer = %addr, %error, "quic handshake failed");
                } else {
                    tracing::debug!(peer = %addr, %error, "quic handshake failed");
                }
                None
            }
        }
    }
}
