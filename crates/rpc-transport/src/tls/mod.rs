//! The `tls://host:port` transport: TLS 1.2 or 1.3 (rustls, with the
//! *ring* crypto provider) over TCP with `TCP_NODELAY`.
//!
//! An address has no room for certificates, so both ends take a
//! configuration: [`dial`] a [`TlsClientConfig`], [`TlsListener::bind`] a
//! [`TlsServerConfig`] (through the crate's [`dial_with`](crate::dial_with)
//! and [`listen_with`](crate::listen_with), in
//! [`DialOptions::tls`](crate::DialOptions::tls) and
//! [`ListenOptions::tls`](crate::ListenOptions::tls)).
//!
//! - The server presents a certificate chain read from PEM
//!   ([`TlsServerConfig::from_pem_files`]) or made up on the spot
//!   ([`TlsServerConfig::self_signed`]).
//! - The client verifies it against a CA read from PEM
//!   ([`TlsClientConfig::from_ca_file`]) or the system's roots
//!   ([`TlsClientConfig::system_roots`]), for the host of the address
//!   unless told another name ([`TlsClientConfig::with_server_name`]).
//!   [`TlsClientConfig::insecure`] skips that, for tests only.
//! - Mutual TLS: a server given a client CA
//!   ([`TlsServerConfig::with_client_ca_file`]) requires every client to
//!   present a certificate that chains to it
//!   ([`TlsClientConfig::with_client_cert_files`]).
//!
//! Each side's [`Peer::tls`] reports what the other side's verified
//! certificate says ([`TlsIdentity`]: common name, subject alternative
//! names, the DER), so a per-connection service can authorize by it.
//! Peers' [`transport`](Peer::transport) is `"tls"`.
//!
//! Early data (0-RTT) is off on both sides; session resumption is on.
//!
//! # Trust
//!
//! A peer's certificate is verified by webpki: it must chain to one of the
//! trusted certificates (a client's CA file or the system's roots, a
//! server's client CA), be valid now, allow its use (server or client
//! authentication) and, for a server, name the server. One rule is added, as
//! Go's `crypto/x509` has it: a **self-signed certificate given as trusted
//! is trusted as itself**, even when it calls itself a CA (`basicConstraints
//! CA:TRUE`, which `openssl req -x509` sets and webpki refuses in an
//! end-entity certificate). So the certificate of a Go server made with
//! `openssl req -x509 ... -addext subjectAltName=...` works with
//! `--ca cert.pem`, as with Go's `RootCAs`, and so does such a client
//! certificate given as the client CA. It is still checked for its validity
//! period, its usage and (for a server) its names, and the handshake proves
//! the peer holds its key; nothing else is relaxed (`trust.rs` has the
//! details). A CA certificate that is not itself trusted is refused with a
//! hint saying so.
//!
//! A peer that closes the connection without TLS `close_notify` (a Go
//! program that exits with a connection open) ends the stream as a TCP
//! close would; a message cut short still fails in the codec.
//!
//! # Handshakes and errors
//!
//! [`dial`] connects, then runs the handshake within the client's
//! [handshake timeout](TlsClientConfig::with_handshake_timeout)
//! ([`DEFAULT_HANDSHAKE_TIMEOUT`], 10 s). Its errors name the address and
//! the cause in rustls' words (`dial tls HOST:PORT: tls handshake failed:
//! invalid peer certificate: ...`).
//!
//! [`TlsListener`] runs each handshake in a task of its own, so a slow or
//! failing client never delays [`accept`](Listener::accept) for others; a
//! handshake that fails is logged (`warn` for certificate problems, `debug`
//! for the rest, with the peer's address and the reason) and the
//! connection closed, and one that outlasts the listener's handshake
//! timeout is closed. Neither reaches `accept`'s caller. As with the
//! `http` transport, connections are taken from the socket only while
//! someone is waiting in `accept`, and dropping the listener abandons the
//! handshakes in progress.
//!
//! With TLS 1.3 a client finishes its handshake before the server has
//! checked the client's certificate, so under mutual TLS a refused client's
//! `dial` can succeed; the refusal then fails its first read, with an error
//! that names the server's alert (`tls: the server refused the connection:
//! received fatal alert: CertificateRequired (...)`).
//!
//! ```no_run
//! use rpc_transport::tls::{TlsClientConfig, TlsServerConfig};
//! use rpc_transport::{DialOptions, ListenOptions, dial_with, listen_with};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let server = TlsServerConfig::from_pem_files("server.pem", "server.key")?
//!     .with_client_ca_file("clients-ca.pem")?;
//! let listener = listen_with(
//!     &"tls://0.0.0.0:4443".parse().unwrap(),
//!     &ListenOptions::new().with_tls(server),
//! )
//! .await?;
//!
//! let client = TlsClientConfig::from_ca_file("server-ca.pem")?
//!     .with_client_cert_files("alice.pem", "alice.key")?;
//! let conn = dial_with(
//!     &"tls://rpc.example.com:4443".parse().unwrap(),
//!     &DialOptions::new().with_tls(client),
//! )
//! .await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! `config.rs` builds the two configurations; `pem.rs` reads certificates
//! and keys; `self_signed.rs` makes certificates up; `trust.rs` holds the
//! verifiers; `explain.rs` words failures; `identity.rs` reads a verified
//! certificate; `dial.rs`, `stream.rs` and `listener.rs` are the
//! connection's two sides (the listener runs in the crate's shared accept
//! loop, `accept.rs`).

mod config;
mod dial;
mod explain;
mod identity;
mod listener;
mod pem;
mod self_signed;
mod stream;
#[cfg(test)]
pub(crate) mod tests;
mod trust;

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;

pub use crate::accept::DEFAULT_HANDSHAKE_TIMEOUT;
pub use config::{TlsClientConfig, TlsServerConfig};
pub use dial::dial;
#[cfg(feature = "quic")]
pub(crate) use dial::{server_identity, server_name_for};
#[cfg(feature = "quic")]
pub(crate) use identity::first_identity;
pub use listener::TlsListener;

#[cfg(doc)]
use crate::{Listener, Peer, TlsIdentity};

/// The crypto provider every configuration uses (explicitly, so nothing
/// depends on a process-wide default being installed).
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}
