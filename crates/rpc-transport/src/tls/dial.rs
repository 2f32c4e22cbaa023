//! Dialing `tls://host:port`: TCP, then the client's side of the
//! handshake within its timeout.

use std::io;

use super::TlsClientConfig;
use super::explain::{explain, with_hint};
use rustls::pki_types::{CertificateDer, ServerName};

use super::identity::first_identity;
use super::pem::default_server_name;
use super::stream::ClientStream;
use crate::accept::dial_handshake;
use crate::{Connection, Peer, TlsIdentity, tcp, with_context};

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
    let name = server_name_for(config, host_port, "tls").map_err(context)?;
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
    let tls = server_identity(config, stream.get_ref().1.peer_certificates());
    Ok(Connection::new(
        ClientStream::new(stream, host_port, sent_cert),
        Peer {
            tls,
            ..Peer::socket("tls", socket_addr)
        },
    ))
}

/// The name to verify the server at `host_port` as: the configured one,
/// else the address's host. Warns when `config` verifies nothing
/// (`transport` names the dialer in the warning).
pub(crate) fn server_name_for(
    config: &TlsClientConfig,
    host_port: &str,
    transport: &str,
) -> io::Result<ServerName<'static>> {
    let name = match config.server_name() {
        Some(name) => name.clone(),
        None => default_server_name(host_port)?,
    };
    if config.is_insecure() {
        tracing::warn!(
            addr = host_port,
            "dialing {transport} without verifying the server's certificate (TlsClientConfig::insecure)"
        );
    }
    Ok(name)
}

/// The server's identity from its certificates, unless `config` verified
/// nothing.
pub(crate) fn server_identity(
    config: &TlsClientConfig,
    certs: Option<&[CertificateDer<'_>]>,
) -> Option<TlsIdentity> {
    if config.is_insecure() {
        None
    } else {
        first_identity(certs)
    }
}
