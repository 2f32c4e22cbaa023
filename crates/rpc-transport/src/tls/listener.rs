//! [`TlsListener`]: a TCP listener that runs the server's side of the TLS
//! handshake on each connection, in the shared accept loop
//! ([`crate::accept`]), refusing with an alert and a moment's linger.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::TlsServerConfig;
#[cfg(doc)]
use super::dial;
use super::explain::log_failure;
use super::identity::first_identity;
use super::stream::CleanEnd;
use crate::accept::{Accepting, Handshake, Start, linger};
use crate::{Address, BoxFuture, Connection, Listener, Peer, tcp};

/// A TCP listener that runs the TLS handshake on each connection
/// (`tls://host:port`).
///
/// See the [module documentation](super) for how handshakes run. Unlike
/// plain TCP, a client's [`dial`] completes only once the listener has
/// handshaken with it, which happens while someone is waiting in
/// [`accept`](Listener::accept).
pub struct TlsListener {
    accepting: Accepting<tcp::TcpListener, TlsHandshake>,
    local: Address,
}

impl TlsListener {
    /// Binds `host_port` (e.g. `"127.0.0.1:0"`; port 0 picks a free port,
    /// reported by [`Listener::local_addr`] as `tls://127.0.0.1:PORT`),
    /// serving `config`'s certificate. The handshake timeout starts as
    /// `config`'s.
    pub async fn bind(host_port: &str, config: TlsServerConfig) -> io::Result<Self> {
        let inner = tcp::TcpListener::bind(host_port).await?;
        let local = Address::Tls(inner.host_port().to_owned());
        let handshake = TlsHandshake {
            acceptor: tokio_rustls::TlsAcceptor::from(config.rustls().clone()),
            mutual: config.requires_client_certificate(),
        };
        Ok(Self {
            accepting: Accepting::new(inner, handshake).with_timeout(config.handshake_timeout()),
            local,
        })
    }

    /// Sets how long each client has to complete its handshake before it is
    /// disconnected. Applies to connections accepted from now on.
    pub fn set_handshake_timeout(&mut self, timeout: Duration) {
        self.accepting.set_timeout(timeout);
    }

    /// The current handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        self.accepting.timeout()
    }
}

impl fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("local", &self.local)
            .field("accepting", &self.accepting)
            .finish()
    }
}

impl Listener for TlsListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(self.accepting.accept())
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }
}

/// The server's side of the handshake.
#[derive(Clone)]
struct TlsHandshake {
    acceptor: tokio_rustls::TlsAcceptor,
    mutual: bool,
}

impl fmt::Debug for TlsHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsHandshake")
            .field("mutual", &self.mutual)
            .finish_non_exhaustive()
    }
}

impl Handshake for TlsHandshake {
    type Raw = (TcpStream, SocketAddr);
    type Started = (TcpStream, SocketAddr);
    const TRANSPORT: &'static str = "tls";

    fn peer((_, addr): &Self::Raw) -> String {
        addr.to_string()
    }

    async fn start(&self, raw: Self::Raw) -> Start<Self::Started> {
        Start::Handshake(raw)
    }

    async fn run(self, (stream, addr): Self::Started, deadline: Instant) -> Option<Connection> {
        match self.acceptor.accept(stream).into_fallible().await {
            Ok(stream) => {
                let tls = first_identity(stream.get_ref().1.peer_certificates());
                Some(Connection::new(
                    CleanEnd::new(stream, &addr.to_string()),
                    Peer {
                        tls,
                        ..Peer::socket("tls", addr)
                    },
                ))
            }
            Err((err, mut stream)) => {
                log_failure(addr, &err);
                linger(&mut stream, deadline).await;
                None
            }
        }
    }
}
