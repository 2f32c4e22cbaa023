//! Dialing `tls://host:port`: TCP, then the client's side of the
//! handshake within its timeout.

use std::io;

use super::TlsClientConfig;
use super::explain::{explain, with_hint};
use super::identity::identity;
use super::pem::default_server_name;
use super::stream::ClientStream;
use crate::accept::dial_handshake;
use crate::{Connection, Peer, tcp, with_context};

/// Connects to `host_port` over TCP and runs the TLS handshake, verifying
/// the server as `config` says.
///
/// Errors name the address and the cause (`dial tls HOST:PORT: tls
/// handshake failed: invalid peer certificate: ...`; a handshake that
/// outlasts the timeout is [`TimedOut`](io::ErrorKind::TimedOut)). Under
/// mutual TLS 1.3 a refusal of our certificate arrives after the handshake:
/// see the [module documentation](super#handshakes-and-errors).
pub async fn dial(host_port: &str, config: &TlsClientConfig) -> io::Result<Connection> {
    let context = |err| with_context(err, "dial tls", host_port);
    let name = match config.server_name() {
        Some(name) => name.clone(),
        None => default_server_name(host_port).map_err(context)?,
    };
    if config.is_insecure() {
        tracing::warn!(
            addr = host_port,
            "dialing tls without verifying the server's certificate (TlsClientConfig::insecure)"
        );
    }
    let tcp = tcp::connect(host_port).await?;
    let socket_addr = tcp.peer_addr().map_err(context)?;
    let connector = tokio_rustls::TlsConnector::from(config.rustls().clone());
    let sent_cert = config.has_client_certificate();
    let handshake = async {
        connector.connect(name, tcp).await.map_err(|err| {
            let msg = explain(&err, sent_cert).unwrap_or_else(|| with_hint(&err));
            io::Error::new(err.kind(), msg)
        })
    };
    let stream = dial_handshake("tls", config.handshake_timeout(), handshake)
        .await
        .map_err(context)?;
    let tls = if config.is_insecure() {
        None
    } else {
        stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|certs| certs.first())
            .map(identity)
    };
    Ok(Connection::new(
        ClientStream::new(stream, host_port, sent_cert),
        Peer {
            tls,
            ..Peer::socket("tls", socket_addr)
        },
    ))
}
