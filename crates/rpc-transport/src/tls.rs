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

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

use crate::{Address, BoxFuture, Connection, Listener, Peer, TlsIdentity, tcp, with_context};

mod trust;

use trust::TrustedCerts;

/// How long a handshake may take, on either side, unless set otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// After a failed handshake the listener closes its side and keeps reading
/// (and discarding) for at most this long, so that the client gets the
/// alert saying why rather than a connection reset.
const LINGER: Duration = Duration::from_millis(500);

/// The most bytes discarded while lingering.
const LINGER_BYTES: usize = 64 * 1024;

/// The crypto provider every configuration uses (explicitly, so nothing
/// depends on a process-wide default being installed).
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

// ---- configuration ----

/// A certificate chain (end-entity first) and its private key.
struct CertKey {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl CertKey {
    fn from_pem(
        cert_pem: &[u8],
        key_pem: &[u8],
        cert_src: &str,
        key_src: &str,
    ) -> io::Result<Self> {
        let chain = parse_certs(cert_pem, cert_src)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|err| {
            invalid_data(format!("tls: no usable private key in {key_src}: {err}"))
        })?;
        Ok(Self { chain, key })
    }

    fn from_pem_files(cert: &Path, key: &Path) -> io::Result<Self> {
        let cert_pem = read_file(cert, "certificate chain")?;
        let key_pem = read_file(key, "private key")?;
        Self::from_pem(
            &cert_pem,
            &key_pem,
            &cert.display().to_string(),
            &key.display().to_string(),
        )
    }
}

/// What a server or client needs: its certificate, key and, for mutual
/// TLS, the client CA; built into a rustls configuration up front, so that
/// mistakes (a key that does not match the certificate) show at once.
///
/// Cheap to clone.
///
/// ```
/// use rpc_transport::tls::TlsServerConfig;
///
/// // For local use: a fresh certificate, whose PEM clients can trust.
/// let (config, cert_pem) = TlsServerConfig::self_signed(&["localhost", "127.0.0.1"])?;
/// assert!(cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(!config.requires_client_certificate());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct TlsServerConfig {
    rustls: Arc<rustls::ServerConfig>,
    cert_key: Arc<CertKey>,
    client_ca: Option<TrustedCerts>,
    handshake_timeout: Duration,
}

/// A server configuration: the certificate chain and key the server
/// presents, and optionally the CA that clients' certificates must chain to
/// (mutual TLS).
impl TlsServerConfig {
    /// Reads the certificate chain (PEM `CERTIFICATE` blocks, end-entity
    /// first) and its private key (PEM PKCS#8, PKCS#1 or SEC1) from files.
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<Self> {
        Self::new(CertKey::from_pem_files(cert.as_ref(), key.as_ref())?, None)
    }

    /// Like [`from_pem_files`](Self::from_pem_files), from PEM text in
    /// memory.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> io::Result<Self> {
        let cert_key = CertKey::from_pem(
            cert_pem,
            key_pem,
            "the certificate PEM",
            "the private key PEM",
        )?;
        Self::new(cert_key, None)
    }

    /// Generates a self-signed certificate (a fresh ECDSA P-256 key) valid
    /// for `names`, DNS names or IP addresses (e.g. `["localhost",
    /// "127.0.0.1"]`; the first is also the subject's common name), for
    /// local use.
    ///
    /// Returns the configuration and the certificate's PEM, which clients
    /// can trust as their CA ([`TlsClientConfig::from_ca_pem`], or write it
    /// to a file for [`TlsClientConfig::from_ca_file`]).
    pub fn self_signed(names: &[&str]) -> io::Result<(Self, String)> {
        let Some(first) = names.first() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "tls: a self-signed certificate needs at least one name",
            ));
        };
        let rcgen_err = |err: rcgen::Error| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("tls: generating a self-signed certificate for {names:?}: {err}"),
            )
        };
        let mut params = rcgen::CertificateParams::new(
            names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>(),
        )
        .map_err(rcgen_err)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, *first);
        let key = rcgen::KeyPair::generate().map_err(rcgen_err)?;
        let cert = params.self_signed(&key).map_err(rcgen_err)?;
        let pem = cert.pem();
        let cert_key = CertKey {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der()).map_err(|err| {
                invalid_data(format!("tls: generated private key unusable: {err}"))
            })?,
        };
        Ok((Self::new(cert_key, None)?, pem))
    }

    /// Turns on mutual TLS: clients must present a certificate that chains
    /// to one of the CA certificates in this PEM file, or the handshake
    /// fails.
    pub fn with_client_ca_file(self, path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let pem = read_file(path, "client CA")?;
        let roots = trusted_certs(&pem, &path.display().to_string())?;
        Self::new_with_timeout(self.cert_key, Some(roots), self.handshake_timeout)
    }

    /// Like [`with_client_ca_file`](Self::with_client_ca_file), from PEM
    /// text in memory.
    pub fn with_client_ca_pem(self, pem: &[u8]) -> io::Result<Self> {
        let roots = trusted_certs(pem, "the client CA PEM")?;
        Self::new_with_timeout(self.cert_key, Some(roots), self.handshake_timeout)
    }

    /// Sets how long a client has to complete its handshake (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`]); a [`TlsListener`] starts with this
    /// and can [change it](TlsListener::set_handshake_timeout).
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The handshake timeout a listener starts with.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The rustls configuration (for QUIC, which adds its ALPN).
    #[cfg_attr(not(feature = "quic"), allow(dead_code))]
    pub(crate) fn rustls(&self) -> &Arc<rustls::ServerConfig> {
        &self.rustls
    }

    /// Whether clients must present a certificate (mutual TLS).
    pub fn requires_client_certificate(&self) -> bool {
        self.client_ca.is_some()
    }

    fn new(cert_key: CertKey, client_ca: Option<TrustedCerts>) -> io::Result<Self> {
        Self::new_with_timeout(Arc::new(cert_key), client_ca, DEFAULT_HANDSHAKE_TIMEOUT)
    }

    fn new_with_timeout(
        cert_key: Arc<CertKey>,
        client_ca: Option<TrustedCerts>,
        handshake_timeout: Duration,
    ) -> io::Result<Self> {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|err| tls_error("tls: server configuration", err))?;
        let builder = match &client_ca {
            Some(roots) => {
                let verifier = roots.client_verifier(provider()).map_err(|err| {
                    invalid_data(format!("tls: client CA unusable for verification: {err}"))
                })?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(cert_key.chain.clone(), cert_key.key.clone_key())
            .map_err(|err| tls_error("tls: server certificate and key", err))?;
        // No 0-RTT (rustls' default, stated): early data can be replayed.
        config.max_early_data_size = 0;
        Ok(Self {
            rustls: Arc::new(config),
            cert_key,
            client_ca,
            handshake_timeout,
        })
    }
}

impl fmt::Debug for TlsServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsServerConfig")
            .field("chain_len", &self.cert_key.chain.len())
            .field(
                "client_ca_roots",
                &self.client_ca.as_ref().map(|roots| roots.len()),
            )
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

/// How a client verifies servers.
#[derive(Clone)]
enum Trust {
    Roots(TrustedCerts),
    Insecure,
}

/// A client configuration: which servers to trust and, for mutual TLS, the
/// certificate to present.
///
/// The name the server's certificate must be valid for is the host of the
/// dialed address (an IP address or a DNS name; `localhost` for an empty
/// host) unless [set](Self::with_server_name). Cheap to clone.
#[derive(Clone)]
pub struct TlsClientConfig {
    rustls: Arc<rustls::ClientConfig>,
    trust: Trust,
    client_cert: Option<Arc<CertKey>>,
    server_name: Option<ServerName<'static>>,
    handshake_timeout: Duration,
}

impl TlsClientConfig {
    /// Trusts servers whose certificates chain to a CA certificate in this
    /// PEM file (which may hold several). A self-signed server certificate
    /// serves as its own CA, even one marked as a CA (`basicConstraints
    /// CA:TRUE`, as `openssl req -x509` makes them), as in Go: see
    /// [Trust](self#trust).
    pub fn from_ca_file(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let pem = read_file(path, "CA certificates")?;
        Self::new(Trust::Roots(trusted_certs(
            &pem,
            &path.display().to_string(),
        )?))
    }

    /// Like [`from_ca_file`](Self::from_ca_file), from PEM text in memory.
    pub fn from_ca_pem(pem: &[u8]) -> io::Result<Self> {
        Self::new(Trust::Roots(trusted_certs(pem, "the CA PEM")?))
    }

    /// Trusts the operating system's root certificates (as found by
    /// `rustls-native-certs`: on Linux the usual bundle files, honouring
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR`). Fails if none can be loaded.
    pub fn system_roots() -> io::Result<Self> {
        let found = rustls_native_certs::load_native_certs();
        for err in &found.errors {
            tracing::debug!(error = %err, "loading a system root certificate failed");
        }
        let (roots, ignored) = TrustedCerts::parsable(found.certs);
        if roots.len() == 0 {
            let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "tls: no usable system root certificates ({ignored} unparsable; errors: {})",
                    if errors.is_empty() {
                        "none".to_owned()
                    } else {
                        errors.join("; ")
                    }
                ),
            ));
        }
        Self::new(Trust::Roots(roots))
    }

    /// **For tests only**: accepts any server certificate, whoever it names
    /// and whoever signed it, so the connection is encrypted but the server
    /// is not authenticated (anyone on the path can impersonate it). Every
    /// dial with it logs a warning. [`Peer::tls`] of its connections is
    /// `None`, since nothing was verified.
    pub fn insecure() -> Self {
        tracing::warn!(
            "TlsClientConfig::insecure: server certificates will not be verified (for tests only)"
        );
        match Self::new(Trust::Insecure) {
            Ok(config) => config,
            // Building a client configuration without certificates only
            // fails if the provider supports no protocol version, and ring
            // supports both.
            Err(err) => unreachable!("insecure TLS client configuration: {err}"),
        }
    }

    /// Presents this certificate chain (PEM, end-entity first) and private
    /// key (PEM) to servers that ask for one (mutual TLS).
    pub fn with_client_cert_files(
        self,
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> io::Result<Self> {
        let cert_key = CertKey::from_pem_files(cert.as_ref(), key.as_ref())?;
        self.with_cert_key(cert_key)
    }

    /// Like [`with_client_cert_files`](Self::with_client_cert_files), from
    /// PEM text in memory.
    pub fn with_client_cert_pem(self, cert_pem: &[u8], key_pem: &[u8]) -> io::Result<Self> {
        let cert_key = CertKey::from_pem(
            cert_pem,
            key_pem,
            "the client certificate PEM",
            "the client key PEM",
        )?;
        self.with_cert_key(cert_key)
    }

    /// Verifies the server's certificate for `name` (a DNS name or an IP
    /// address) instead of the dialed address's host.
    pub fn with_server_name(mut self, name: &str) -> io::Result<Self> {
        self.server_name = Some(server_name(name)?);
        Ok(self)
    }

    /// Sets how long [`dial`] waits for the handshake, after the TCP
    /// connection is made (default [`DEFAULT_HANDSHAKE_TIMEOUT`]).
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Whether this configuration skips verifying servers
    /// ([`insecure`](Self::insecure)).
    pub fn is_insecure(&self) -> bool {
        matches!(self.trust, Trust::Insecure)
    }

    /// The rustls configuration (for QUIC, which adds its ALPN).
    #[cfg_attr(not(feature = "quic"), allow(dead_code))]
    pub(crate) fn rustls(&self) -> &Arc<rustls::ClientConfig> {
        &self.rustls
    }

    /// The name set with [`with_server_name`](Self::with_server_name).
    #[cfg_attr(not(feature = "quic"), allow(dead_code))]
    pub(crate) fn server_name(&self) -> Option<&ServerName<'static>> {
        self.server_name.as_ref()
    }

    /// Whether it presents a client certificate.
    pub fn has_client_certificate(&self) -> bool {
        self.client_cert.is_some()
    }

    fn new(trust: Trust) -> io::Result<Self> {
        Ok(Self {
            rustls: build_client(&trust, None)?,
            trust,
            client_cert: None,
            server_name: None,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        })
    }

    fn with_cert_key(mut self, cert_key: CertKey) -> io::Result<Self> {
        self.rustls = build_client(&self.trust, Some(&cert_key))?;
        self.client_cert = Some(Arc::new(cert_key));
        Ok(self)
    }
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trust = match &self.trust {
            Trust::Roots(roots) => format!("{} roots", roots.len()),
            Trust::Insecure => "INSECURE (any server certificate)".to_owned(),
        };
        f.debug_struct("TlsClientConfig")
            .field("trust", &format_args!("{trust}"))
            .field("client_certificate", &self.client_cert.is_some())
            .field("server_name", &self.server_name)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

fn build_client(
    trust: &Trust,
    cert_key: Option<&CertKey>,
) -> io::Result<Arc<rustls::ClientConfig>> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| tls_error("tls: client configuration", err))?;
    let builder = match trust {
        Trust::Roots(roots) => {
            let verifier = roots
                .server_verifier(provider())
                .map_err(|err| invalid_data(format!("tls: CA unusable for verification: {err}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
        }
        Trust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(trust::any_server_cert(provider())),
    };
    let mut config = match cert_key {
        Some(ck) => builder
            .with_client_auth_cert(ck.chain.clone(), ck.key.clone_key())
            .map_err(|err| tls_error("tls: client certificate and key", err))?,
        None => builder.with_no_client_auth(),
    };
    // No 0-RTT (rustls' default, stated): early data can be replayed.
    config.enable_early_data = false;
    Ok(Arc::new(config))
}

/// Reads a PEM file, naming it and what it should hold in errors.
fn read_file(path: &Path, what: &str) -> io::Result<Vec<u8>> {
    std::fs::read(path).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("tls: reading {what} from {}: {err}", path.display()),
        )
    })
}

/// The `CERTIFICATE` blocks of `pem`; at least one.
fn parse_certs(pem: &[u8], source: &str) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| invalid_data(format!("tls: reading certificates from {source}: {err}")))?;
    if certs.is_empty() {
        return Err(invalid_data(format!(
            "tls: no PEM certificate (-----BEGIN CERTIFICATE-----) in {source}"
        )));
    }
    Ok(certs)
}

/// Trusts every certificate in `pem`.
fn trusted_certs(pem: &[u8], source: &str) -> io::Result<TrustedCerts> {
    TrustedCerts::new(parse_certs(pem, source)?)
        .map_err(|err| invalid_data(format!("tls: unusable CA certificate in {source}: {err}")))
}

/// `name` as a server name to verify.
fn server_name(name: &str) -> io::Result<ServerName<'static>> {
    ServerName::try_from(name.to_owned()).map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "tls: {name:?} is not a valid server name ({err}); \
                 set one with TlsClientConfig::with_server_name"
            ),
        )
    })
}

/// The host of `host_port` as the server name to verify (`localhost` for
/// an empty host, brackets stripped from IPv6 addresses).
pub(crate) fn default_server_name(host_port: &str) -> io::Result<ServerName<'static>> {
    let host = host_port
        .rsplit_once(':')
        .map_or(host_port, |(host, _)| host);
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    server_name(if host.is_empty() { "localhost" } else { host })
}

fn invalid_data(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn tls_error(what: &str, err: rustls::Error) -> io::Error {
    invalid_data(format!("{what}: {err}"))
}

// ---- dialing ----

/// Connects to `host_port` over TCP and runs the TLS handshake, verifying
/// the server as `config` says.
///
/// Errors name the address and the cause (`dial tls HOST:PORT: tls
/// handshake failed: invalid peer certificate: ...`; a handshake that
/// outlasts the timeout is [`TimedOut`](io::ErrorKind::TimedOut)). Under
/// mutual TLS 1.3 a refusal of our certificate arrives after the handshake:
/// see the [module documentation](self#handshakes-and-errors).
pub async fn dial(host_port: &str, config: &TlsClientConfig) -> io::Result<Connection> {
    let context = |err| with_context(err, "dial tls", host_port);
    let name = match &config.server_name {
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
    let connector = tokio_rustls::TlsConnector::from(config.rustls.clone());
    let timeout = config.handshake_timeout;
    let sent_cert = config.has_client_certificate();
    let stream = match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(err)) => {
            let msg = explain(&err, sent_cert).unwrap_or_else(|| with_hint(&err));
            return Err(context(io::Error::new(
                err.kind(),
                format!("tls handshake failed: {msg}"),
            )));
        }
        Err(_) => {
            return Err(context(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("tls handshake timed out after {timeout:?}"),
            )));
        }
    };
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
        ClientStream {
            inner: CleanEnd::new(stream, host_port),
            host_port: host_port.to_owned(),
            sent_cert,
        },
        Peer {
            tls,
            ..Peer::socket("tls", socket_addr)
        },
    ))
}

/// A dialed TLS stream whose errors explain the server's alerts.
struct ClientStream {
    inner: CleanEnd<tokio_rustls::client::TlsStream<TcpStream>>,
    host_port: String,
    sent_cert: bool,
}

impl ClientStream {
    fn map<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        poll.map(|result| {
            result.map_err(|err| match explain(&err, self.sent_cert) {
                Some(msg) => io::Error::new(err.kind(), format!("tls {}: {msg}", self.host_port)),
                None => err,
            })
        })
    }
}

impl AsyncRead for ClientStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.map(poll)
    }
}

impl AsyncWrite for ClientStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.map(poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.map(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.map(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.map(poll)
    }
}

/// Rewords an alert from the server into what it most likely means for
/// us (`None` for other errors).
fn explain(err: &io::Error, sent_cert: bool) -> Option<String> {
    use rustls::AlertDescription as A;
    let Some(rustls::Error::AlertReceived(alert)) = rustls_error(err) else {
        return None;
    };
    let hint = match alert {
        A::CertificateRequired => Some(
            "the server requires a client certificate: see TlsClientConfig::with_client_cert_files",
        ),
        A::HandshakeFailure if !sent_cert => Some(
            "the server may require a client certificate: see TlsClientConfig::with_client_cert_files",
        ),
        A::BadCertificate
        | A::UnknownCA
        | A::CertificateUnknown
        | A::CertificateExpired
        | A::CertificateRevoked
        | A::UnsupportedCertificate
        | A::AccessDenied
            if sent_cert =>
        {
            Some("the server did not accept our client certificate")
        }
        _ => None,
    };
    Some(match hint {
        Some(hint) => format!("the server refused the connection: {err} ({hint})"),
        None => format!("the server refused the connection: {err}"),
    })
}

/// The rustls error inside `err`, if it is one.
fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// `err` as text, with what it means when rustls' words alone would
/// mislead (see [`trust::hint`]).
fn with_hint(err: &io::Error) -> String {
    match rustls_error(err).and_then(trust::hint) {
        Some(hint) => format!("{err} ({hint})"),
        None => err.to_string(),
    }
}

// ---- the end of a stream ----

/// A TLS stream that reads the peer's closing the connection without a
/// TLS `close_notify` as the end of the stream, logged at `debug`.
///
/// rustls reports such an end as an [`UnexpectedEof`](io::ErrorKind::UnexpectedEof)
/// error, because it could be a truncation for a protocol that ends its
/// last message by closing. Every netrpc codec frames its messages, so a
/// message cut short still fails (as the codec's own unexpected end of
/// message), and between messages such an end is an ordinary disconnect:
/// it is how a Go program that exits with a connection open (without
/// `Close`, which sends `close_notify`) leaves.
struct CleanEnd<S> {
    inner: S,
    /// The peer, for the log.
    peer: String,
    /// Whether the unclean end has been logged.
    logged: bool,
}

impl<S> CleanEnd<S> {
    fn new(inner: S, peer: &str) -> Self {
        Self {
            inner,
            peer: peer.to_owned(),
            logged: false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CleanEnd<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::UnexpectedEof => {
                if !self.logged {
                    self.logged = true;
                    tracing::debug!(
                        peer = %self.peer,
                        "tls: the peer closed the connection without close_notify; \
                         reading it as the end of the stream"
                    );
                }
                Poll::Ready(Ok(()))
            }
            poll => poll,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CleanEnd<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

// ---- listening ----

/// A TCP listener that runs the TLS handshake on each connection
/// (`tls://host:port`).
///
/// See the [module documentation](self) for how handshakes run. Unlike
/// plain TCP, a client's [`dial`] completes only once the listener has
/// handshaken with it, which happens while someone is waiting in
/// [`accept`](Listener::accept).
pub struct TlsListener {
    inner: tcp::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    mutual: bool,
    timeout: Duration,
    pending: JoinSet<Option<Connection>>,
    local: Address,
}

impl TlsListener {
    /// Binds `host_port` (e.g. `"127.0.0.1:0"`; port 0 picks a free port,
    /// reported by [`Listener::local_addr`] as `tls://127.0.0.1:PORT`),
    /// serving `config`'s certificate. The handshake timeout starts as
    /// `config`'s.
    pub async fn bind(host_port: &str, config: TlsServerConfig) -> io::Result<Self> {
        let inner = tcp::TcpListener::bind(host_port).await?;
        let local = match inner.local_addr() {
            Address::Tcp(bound) => Address::Tls(bound.clone()),
            other => {
                return Err(io::Error::other(format!(
                    "listen tls {host_port}: unexpected local address {other}"
                )));
            }
        };
        Ok(Self {
            inner,
            acceptor: tokio_rustls::TlsAcceptor::from(config.rustls.clone()),
            mutual: config.requires_client_certificate(),
            timeout: config.handshake_timeout,
            pending: JoinSet::new(),
            local,
        })
    }

    /// Sets how long each client has to complete its handshake before it is
    /// disconnected. Applies to connections accepted from now on.
    pub fn set_handshake_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The current handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        self.timeout
    }

    /// Accepts and starts handshakes until one yields a connection.
    ///
    /// Cancel safe: a socket is either handed to a task in `pending` in the
    /// same poll that accepted it, or not accepted; finished handshakes are
    /// returned in the poll that collected them.
    async fn accept_tls(&mut self) -> io::Result<Connection> {
        loop {
            match self.next_event().await {
                Event::Accepted(Ok((stream, addr))) => {
                    self.pending.spawn(handshake(
                        self.acceptor.clone(),
                        stream,
                        addr,
                        self.timeout,
                    ));
                }
                Event::Accepted(Err(err)) => return Err(err),
                Event::Handshaken(Ok(Some(conn))) => return Ok(conn),
                Event::Handshaken(Ok(None)) => {}
                Event::Handshaken(Err(err)) => {
                    tracing::warn!(error = %err, "tls handshake task failed");
                }
            }
        }
    }

    /// Waits for a finished handshake or a new connection, preferring the
    /// former.
    async fn next_event(&mut self) -> Event {
        let Self { inner, pending, .. } = self;
        let mut accept = std::pin::pin!(inner.accept_stream());
        poll_fn(|cx| {
            if let Poll::Ready(Some(done)) = pending.poll_join_next(cx) {
                return Poll::Ready(Event::Handshaken(done));
            }
            accept.as_mut().poll(cx).map(Event::Accepted)
        })
        .await
    }
}

impl fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("local", &self.local)
            .field("mutual", &self.mutual)
            .field("timeout", &self.timeout)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Listener for TlsListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(self.accept_tls())
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }
}

/// What woke the accept loop.
enum Event {
    Accepted(io::Result<(TcpStream, SocketAddr)>),
    Handshaken(Result<Option<Connection>, JoinError>),
}

/// One accepted connection's handshake; `Some` if it succeeded.
async fn handshake(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: TcpStream,
    addr: SocketAddr,
    timeout: Duration,
) -> Option<Connection> {
    let deadline = Instant::now() + timeout;
    let accepting = acceptor.accept(stream).into_fallible();
    match tokio::time::timeout_at(deadline, accepting).await {
        Ok(Ok(stream)) => {
            let tls = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(identity);
            Some(Connection::new(
                CleanEnd::new(stream, &addr.to_string()),
                Peer {
                    tls,
                    ..Peer::socket("tls", addr)
                },
            ))
        }
        Ok(Err((err, stream))) => {
            log_failure(addr, &err);
            linger(stream, deadline).await;
            None
        }
        Err(_) => {
            tracing::debug!(peer = %addr, ?timeout, "tls handshake timed out; closing the connection");
            None
        }
    }
}

/// Logs why a handshake failed: at `warn` if it was about certificates
/// (ours refused, theirs missing or refused), else at `debug` (scanners,
/// clients that hung up).
fn log_failure(addr: SocketAddr, err: &io::Error) {
    let about_certificates = matches!(
        rustls_error(err),
        Some(
            rustls::Error::InvalidCertificate(_)
                | rustls::Error::NoCertificatesPresented
                | rustls::Error::AlertReceived(_)
        )
    );
    if about_certificates {
        tracing::warn!(peer = %addr, error = %with_hint(err), "tls handshake failed");
    } else {
        tracing::debug!(peer = %addr, error = %err, "tls handshake failed");
    }
}

/// Closes our side of a failed connection (the alert, if any, was sent)
/// and discards what the client still sends for a moment, so that closing
/// with unread data does not reset the connection before the client read
/// the alert.
async fn linger(mut stream: TcpStream, deadline: Instant) {
    let until = deadline.min(Instant::now() + LINGER);
    let drain = async {
        let _ = stream.shutdown().await;
        let mut buf = [0u8; 1024];
        let mut total = 0;
        while total < LINGER_BYTES {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout_at(until, drain).await;
}

// ---- identities ----

/// What a verified end-entity certificate says about its subject.
pub(crate) fn identity(der: &CertificateDer<'_>) -> TlsIdentity {
    use x509_parser::extensions::GeneralName;

    let mut id = TlsIdentity {
        common_name: None,
        dns_names: Vec::new(),
        uris: Vec::new(),
        ip_addresses: Vec::new(),
        certificate_der: der.to_vec(),
    };
    let cert = match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert,
        Err(err) => {
            tracing::debug!(error = %err, "parsing a verified peer certificate failed");
            return id;
        }
    };
    id.common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    match cert.subject_alternative_name() {
        Ok(Some(san)) => {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(dns) => id.dns_names.push((*dns).to_owned()),
                    GeneralName::URI(uri) => id.uris.push((*uri).to_owned()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            id.ip_addresses.push(ip);
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(None) => {}
        Err(err) => {
            tracing::debug!(error = %err, "parsing a peer certificate's subject alternative names failed");
        }
    }
    id
}

/// An IP address SAN: 4 or 16 bytes.
fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        Some(IpAddr::from(v4))
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        Some(IpAddr::from(v6))
    } else {
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose, SanType,
    };
    use std::path::PathBuf;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tokio::sync::Notify;

    // ---- fixtures ----

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "rpc-transport-tls-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn write(&self, name: &str, contents: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, contents).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A certificate authority made up for a test.
    pub(crate) struct Ca {
        cert: rcgen::Certificate,
        key: KeyPair,
    }

    /// A certificate issued by a [`Ca`], with its key.
    pub(crate) struct Issued {
        pub(crate) cert_pem: String,
        pub(crate) key_pem: String,
        pub(crate) der: Vec<u8>,
    }

    fn dns(name: &str) -> SanType {
        SanType::DnsName(name.try_into().unwrap())
    }

    impl Ca {
        pub(crate) fn new(name: &str) -> Self {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            let key = KeyPair::generate().unwrap();
            let cert = params.self_signed(&key).unwrap();
            Self { cert, key }
        }

        pub(crate) fn pem(&self) -> String {
            self.cert.pem()
        }

        fn issue_with(
            &self,
            cn: &str,
            sans: Vec<SanType>,
            usage: ExtendedKeyUsagePurpose,
            tweak: impl FnOnce(&mut CertificateParams),
        ) -> Issued {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(DnType::CommonName, cn);
            params.subject_alt_names = sans;
            params.extended_key_usages = vec![usage];
            tweak(&mut params);
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
            Issued {
                cert_pem: cert.pem(),
                key_pem: key.serialize_pem(),
                der: cert.der().to_vec(),
            }
        }

        /// A server certificate for `localhost` and 127.0.0.1.
        pub(crate) fn server(&self) -> TlsServerConfig {
            let issued = self.issue_with(
                "server",
                vec![dns("localhost"), SanType::IpAddress([127, 0, 0, 1].into())],
                ExtendedKeyUsagePurpose::ServerAuth,
                |_| {},
            );
            TlsServerConfig::from_pem(issued.cert_pem.as_bytes(), issued.key_pem.as_bytes())
                .unwrap()
        }

        pub(crate) fn client(&self, cn: &str) -> Issued {
            self.issue_with(
                cn,
                vec![
                    dns(&format!("{cn}.example")),
                    SanType::URI(format!("spiffe://netrpc.test/{cn}").try_into().unwrap()),
                    SanType::IpAddress([10, 0, 0, 7].into()),
                ],
                ExtendedKeyUsagePurpose::ClientAuth,
                |_| {},
            )
        }

        pub(crate) fn trusted_by(&self) -> TlsClientConfig {
            TlsClientConfig::from_ca_pem(self.pem().as_bytes()).unwrap()
        }
    }

    /// Log lines captured from this test's thread (tokio tests run their
    /// tasks on it), with a way to wait for one.
    #[derive(Clone, Default)]
    struct Logs {
        text: Arc<Mutex<String>>,
        written: Arc<Notify>,
    }

    impl io::Write for Logs {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.text
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(buf));
            self.written.notify_waiters();
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
        type Writer = Logs;
        fn make_writer(&'a self) -> Logs {
            self.clone()
        }
    }

    impl Logs {
        fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
            let logs = Logs::default();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(logs.clone())
                .with_max_level(tracing::Level::DEBUG)
                .with_ansi(false)
                .finish();
            let guard = tracing::subscriber::set_default(subscriber);
            (logs, guard)
        }

        /// Waits until a line containing every one of `needles` is logged,
        /// and returns it.
        async fn wait_for(&self, needles: &[&str]) -> String {
            let wait = async {
                loop {
                    let written = self.written.notified();
                    tokio::pin!(written);
                    written.as_mut().enable();
                    let found = self
                        .text
                        .lock()
                        .unwrap()
                        .lines()
                        .find(|line| needles.iter().all(|n| line.contains(n)))
                        .map(str::to_owned);
                    if let Some(line) = found {
                        return line;
                    }
                    written.await;
                }
            };
            match tokio::time::timeout(Duration::from_secs(10), wait).await {
                Ok(line) => line,
                Err(_) => panic!(
                    "no log line with {needles:?} in:\n{}",
                    self.text.lock().unwrap()
                ),
            }
        }
    }

    async fn bind(config: TlsServerConfig) -> (TlsListener, String) {
        let listener = TlsListener::bind("127.0.0.1:0", config).await.unwrap();
        let host_port = match listener.local_addr() {
            Address::Tls(hp) => hp.clone(),
            other => panic!("unexpected local address {other}"),
        };
        (listener, host_port)
    }

    /// Dials and accepts together (the handshake needs both).
    async fn connect(
        listener: &mut TlsListener,
        host_port: &str,
        config: &TlsClientConfig,
    ) -> (Connection, Connection) {
        let (client, server) = tokio::time::timeout(Duration::from_secs(10), async {
            tokio::join!(dial(host_port, config), listener.accept())
        })
        .await
        .expect("handshake held up");
        (client.unwrap(), server.unwrap())
    }

    /// Dials expecting a refusal, during the handshake or (TLS 1.3 client
    /// certificates) at the first read; the listener yields nothing.
    async fn refused(
        listener: &mut TlsListener,
        host_port: &str,
        config: &TlsClientConfig,
    ) -> io::Error {
        let attempt = async {
            let mut conn = dial(host_port, config).await?;
            let mut buf = [0u8; 1];
            conn.stream_mut().unwrap().read(&mut buf).await
        };
        tokio::select! {
            result = attempt => match result {
                Err(err) => err,
                Ok(n) => panic!("connection accepted (read {n} bytes)"),
            },
            conn = listener.accept() => panic!("accept yielded {conn:?}"),
        }
    }

    async fn ping_pong(client: &mut Connection, server: &mut Connection) {
        client
            .stream_mut()
            .unwrap()
            .write_all(b"ping")
            .await
            .unwrap();
        let mut buf = [0; 4];
        server
            .stream_mut()
            .unwrap()
            .read_exact(&mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"ping");
        server
            .stream_mut()
            .unwrap()
            .write_all(b"pong")
            .await
            .unwrap();
        client
            .stream_mut()
            .unwrap()
            .read_exact(&mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"pong");
    }

    /// The first bytes of a TLS ClientHello record, and then nothing.
    const PARTIAL_HELLO: &[u8] = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";

    // ---- tests ----

    #[tokio::test]
    async fn self_signed_round_trip() {
        let dir = TempDir::new();
        let (config, pem) = TlsServerConfig::self_signed(&["localhost", "127.0.0.1"]).unwrap();
        assert!(!config.requires_client_certificate());
        let ca_file = dir.write("server.pem", &pem);
        let client_config = TlsClientConfig::from_ca_file(&ca_file).unwrap();

        let (mut listener, host_port) = bind(config).await;
        assert!(
            listener
                .local_addr()
                .to_string()
                .starts_with("tls://127.0.0.1:")
        );
        let (mut client, mut server) = connect(&mut listener, &host_port, &client_config).await;
        ping_pong(&mut client, &mut server).await;

        assert_eq!(client.peer.transport, "tls");
        assert_eq!(server.peer.transport, "tls");
        assert_eq!(client.peer.addr, host_port);
        assert_eq!(
            server
                .peer
                .socket_addr
                .map(|a| a.ip().to_string())
                .as_deref(),
            Some("127.0.0.1")
        );
        // The client verified the server's certificate and reports it; the
        // server asked for none.
        let id = client.peer.tls.as_ref().expect("server identity");
        assert_eq!(id.common_name.as_deref(), Some("localhost"));
        assert_eq!(id.dns_names, ["localhost"]);
        assert_eq!(id.ip_addresses, [IpAddr::from([127, 0, 0, 1])]);
        assert!(id.uris.is_empty());
        let pem_der = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        assert_eq!(id.certificate_der, pem_der.as_ref());
        assert!(server.peer.tls.is_none());
        let debug = format!("{:?}", client.peer);
        assert!(debug.contains("bytes>") && debug.len() < 1000, "{debug}");

        // By DNS name too ("localhost" may resolve to ::1 first; each
        // address is tried).
        let port = host_port.rsplit_once(':').unwrap().1;
        let (mut client, mut server) =
            connect(&mut listener, &format!("localhost:{port}"), &client_config).await;
        ping_pong(&mut client, &mut server).await;
    }

    #[tokio::test]
    async fn dial_and_listen_by_address() {
        let (config, pem) = TlsServerConfig::self_signed(&["localhost", "127.0.0.1"]).unwrap();
        let client_config = TlsClientConfig::from_ca_pem(pem.as_bytes()).unwrap();
        let mut listener = crate::listen_with(
            &"tls://127.0.0.1:0".parse().unwrap(),
            &crate::ListenOptions::new().with_tls(config),
        )
        .await
        .unwrap();
        let addr = listener.local_addr().clone();
        assert_eq!(addr.transport(), "tls");
        let options = crate::DialOptions::new().with_tls(client_config);
        let (client, server) = tokio::join!(crate::dial_with(&addr, &options), listener.accept());
        let (mut client, mut server) = (client.unwrap(), server.unwrap());
        ping_pong(&mut client, &mut server).await;

        // Without TLS settings: an error saying what is missing.
        let err = crate::dial(&addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("dial {addr}: ")), "{msg}");
        assert!(msg.contains("DialOptions::tls"), "{msg}");
        let err = crate::listen(&"tls://127.0.0.1:0".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let msg = err.to_string();
        assert!(msg.contains("tls:// needs a server certificate: "), "{msg}");
        assert!(msg.contains("ListenOptions::tls"), "{msg}");
    }

    #[tokio::test]
    async fn wrong_server_name_is_refused() {
        let (logs, _guard) = Logs::capture();
        let (config, pem) = TlsServerConfig::self_signed(&["localhost"]).unwrap();
        let (mut listener, host_port) = bind(config).await;
        let trusting = TlsClientConfig::from_ca_pem(pem.as_bytes()).unwrap();

        // 127.0.0.1 is not among the certificate's names.
        let err = refused(&mut listener, &host_port, &trusting).await;
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("dial tls {host_port}: tls handshake failed: ")),
            "{msg}"
        );
        assert!(msg.contains("not valid for name"), "{msg}");
        assert!(msg.contains("127.0.0.1"), "{msg}");
        // The server logs the client's refusal.
        logs.wait_for(&[
            "WARN",
            "tls handshake failed",
            "peer=127.0.0.1:",
            "BadCertificate",
        ])
        .await;

        let other = trusting.clone().with_server_name("other.example").unwrap();
        let err = refused(&mut listener, &host_port, &other).await;
        assert!(err.to_string().contains("other.example"), "{err}");

        // The right name works, and the listener is still accepting.
        let right = trusting.with_server_name("localhost").unwrap();
        let (mut client, mut server) = connect(&mut listener, &host_port, &right).await;
        ping_pong(&mut client, &mut server).await;
    }

    #[tokio::test]
    async fn unknown_ca_is_refused() {
        let (mut listener, host_port) = bind(Ca::new("server CA").server()).await;
        let err = refused(&mut listener, &host_port, &Ca::new("other CA").trusted_by()).await;
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let msg = err.to_string();
        assert!(
            msg.contains("tls handshake failed: invalid peer certificate"),
            "{msg}"
        );
        assert!(msg.contains("UnknownIssuer"), "{msg}");
    }

    #[tokio::test]
    async fn expired_certificate_is_refused() {
        let ca = Ca::new("server CA");
        let issued = ca.issue_with(
            "server",
            vec![SanType::IpAddress([127, 0, 0, 1].into())],
            ExtendedKeyUsagePurpose::ServerAuth,
            |params| {
                params.not_before = rcgen::date_time_ymd(2000, 1, 1);
                params.not_after = rcgen::date_time_ymd(2001, 1, 1);
            },
        );
        let config =
            TlsServerConfig::from_pem(issued.cert_pem.as_bytes(), issued.key_pem.as_bytes())
                .unwrap();
        let (mut listener, host_port) = bind(config).await;
        let err = refused(&mut listener, &host_port, &ca.trusted_by()).await;
        let msg = err.to_string();
        assert!(msg.contains("expired"), "{msg}");
    }

    #[tokio::test]
    async fn mutual_tls() {
        let (logs, _guard) = Logs::capture();
        let dir = TempDir::new();
        let server_ca = Ca::new("server CA");
        let client_ca = Ca::new("client CA");
        let client_ca_file = dir.write("client-ca.pem", &client_ca.pem());
        let server_ca_file = dir.write("server-ca.pem", &server_ca.pem());
        let server_cert = server_ca.issue_with(
            "server",
            vec![dns("localhost"), SanType::IpAddress([127, 0, 0, 1].into())],
            ExtendedKeyUsagePurpose::ServerAuth,
            |_| {},
        );
        let config = TlsServerConfig::from_pem_files(
            dir.write("server.pem", &server_cert.cert_pem),
            dir.write("server.key", &server_cert.key_pem),
        )
        .unwrap()
        .with_client_ca_file(&client_ca_file)
        .unwrap();
        assert!(config.requires_client_certificate());
        let (mut listener, host_port) = bind(config).await;
        let trusting = TlsClientConfig::from_ca_file(&server_ca_file).unwrap();

        // No client certificate.
        let err = refused(&mut listener, &host_port, &trusting).await;
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "tls {host_port}: the server refused the connection: "
            )),
            "{msg}"
        );
        assert!(msg.contains("CertificateRequired"), "{msg}");
        assert!(msg.contains("requires a client certificate"), "{msg}");
        logs.wait_for(&[
            "WARN",
            "tls handshake failed",
            "peer=127.0.0.1:",
            "no certificates",
        ])
        .await;

        // A certificate from another CA.
        let stranger = Ca::new("other CA").client("mallory");
        let with_stranger = trusting
            .clone()
            .with_client_cert_pem(stranger.cert_pem.as_bytes(), stranger.key_pem.as_bytes())
            .unwrap();
        let err = refused(&mut listener, &host_port, &with_stranger).await;
        let msg = err.to_string();
        assert!(msg.contains("UnknownCA"), "{msg}");
        assert!(
            msg.contains("did not accept our client certificate"),
            "{msg}"
        );
        logs.wait_for(&["WARN", "tls handshake failed", "UnknownIssuer"])
            .await;

        // The right certificate: accepted, and its identity visible.
        let alice = client_ca.client("alice");
        let with_alice = trusting
            .with_client_cert_files(
                dir.write("alice.pem", &alice.cert_pem),
                dir.write("alice.key", &alice.key_pem),
            )
            .unwrap();
        assert!(with_alice.has_client_certificate());
        let (mut client, mut server) = connect(&mut listener, &host_port, &with_alice).await;
        ping_pong(&mut client, &mut server).await;
        let id = server.peer.tls.as_ref().expect("client identity");
        assert_eq!(id.common_name.as_deref(), Some("alice"));
        assert_eq!(id.dns_names, ["alice.example"]);
        assert_eq!(id.uris, ["spiffe://netrpc.test/alice"]);
        assert_eq!(id.ip_addresses, [IpAddr::from([10, 0, 0, 7])]);
        assert_eq!(id.certificate_der, alice.der);
        let id = client.peer.tls.as_ref().expect("server identity");
        assert_eq!(id.common_name.as_deref(), Some("server"));
        assert_eq!(id.certificate_der, server_cert.der);
    }

    /// A self-signed certificate that calls itself a CA, as `openssl req
    /// -x509 -subj /CN=CN -addext subjectAltName=...` makes them, with its
    /// key.
    fn openssl_like(cn: &str, names: &[&str]) -> Issued {
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }

    #[tokio::test]
    async fn a_self_signed_ca_certificate_is_trusted_as_itself() {
        let server = openssl_like("localhost", &["localhost", "127.0.0.1"]);
        let config =
            TlsServerConfig::from_pem(server.cert_pem.as_bytes(), server.key_pem.as_bytes())
                .unwrap();
        let (mut listener, host_port) = bind(config).await;
        let trusting = TlsClientConfig::from_ca_pem(server.cert_pem.as_bytes()).unwrap();
        let (mut client, mut server_side) = connect(&mut listener, &host_port, &trusting).await;
        ping_pong(&mut client, &mut server_side).await;
        let id = client.peer.tls.as_ref().expect("server identity");
        assert_eq!(id.certificate_der, server.der);

        // An impostor: the same names, another key.
        let impostor = openssl_like("localhost", &["localhost", "127.0.0.1"]);
        let trusting_impostor = TlsClientConfig::from_ca_pem(impostor.cert_pem.as_bytes()).unwrap();
        let err = refused(&mut listener, &host_port, &trusting_impostor).await;
        let msg = err.to_string();
        assert!(msg.contains("CaUsedAsEndEntity"), "{msg}");
        assert!(
            msg.contains("not itself among the trusted certificates"),
            "{msg}"
        );
        // And its names are checked.
        let other_name = trusting.with_server_name("other.example").unwrap();
        let err = refused(&mut listener, &host_port, &other_name).await;
        assert!(err.to_string().contains("not valid for name"), "{err}");
    }

    #[tokio::test]
    async fn mutual_tls_with_a_self_signed_ca_client_certificate() {
        let (logs, _guard) = Logs::capture();
        let alice = openssl_like("alice", &["alice.example"]);
        let (config, pem) = TlsServerConfig::self_signed(&["127.0.0.1"]).unwrap();
        let config = config
            .with_client_ca_pem(alice.cert_pem.as_bytes())
            .unwrap();
        let (mut listener, host_port) = bind(config).await;
        let trusting = TlsClientConfig::from_ca_pem(pem.as_bytes()).unwrap();

        let as_alice = trusting
            .clone()
            .with_client_cert_pem(alice.cert_pem.as_bytes(), alice.key_pem.as_bytes())
            .unwrap();
        let (mut client, mut server) = connect(&mut listener, &host_port, &as_alice).await;
        ping_pong(&mut client, &mut server).await;
        let id = server.peer.tls.as_ref().expect("client identity");
        assert_eq!(id.common_name.as_deref(), Some("alice"));
        assert_eq!(id.certificate_der, alice.der);

        // Another "alice", not trusted.
        let mallory = openssl_like("alice", &["alice.example"]);
        let as_mallory = trusting
            .with_client_cert_pem(mallory.cert_pem.as_bytes(), mallory.key_pem.as_bytes())
            .unwrap();
        let err = refused(&mut listener, &host_port, &as_mallory).await;
        assert!(
            err.to_string()
                .contains("did not accept our client certificate"),
            "{err}"
        );
        logs.wait_for(&[
            "WARN",
            "tls handshake failed",
            "not itself among the trusted certificates",
        ])
        .await;
    }

    #[tokio::test]
    async fn an_end_without_close_notify_reads_as_the_end() {
        let (logs, _guard) = Logs::capture();
        let (config, pem) = TlsServerConfig::self_signed(&["127.0.0.1"]).unwrap();
        let (mut listener, host_port) = bind(config).await;
        let trusting = TlsClientConfig::from_ca_pem(pem.as_bytes()).unwrap();

        // The client goes without close_notify (dropping a stream sends none),
        // having read all the server sent (or its kernel would reset the
        // connection): the session tickets, then the pong.
        let (mut client, mut server) = connect(&mut listener, &host_port, &trusting).await;
        ping_pong(&mut client, &mut server).await;
        let client_addr = server.peer.addr.clone();
        client
            .stream_mut()
            .unwrap()
            .write_all(b"last words")
            .await
            .unwrap();
        client.stream_mut().unwrap().flush().await.unwrap();
        drop(client);
        let mut read = Vec::new();
        server
            .stream_mut()
            .unwrap()
            .read_to_end(&mut read)
            .await
            .unwrap();
        assert_eq!(read, b"last words");
        logs.wait_for(&[
            "DEBUG",
            "without close_notify",
            &format!("peer={client_addr}"),
        ])
        .await;

        // The server goes the same way: the client reads the end.
        let (mut client, mut server) = connect(&mut listener, &host_port, &trusting).await;
        ping_pong(&mut client, &mut server).await;
        drop(server);
        let mut read = Vec::new();
        client
            .stream_mut()
            .unwrap()
            .read_to_end(&mut read)
            .await
            .unwrap();
        assert!(read.is_empty());
        logs.wait_for(&[
            "DEBUG",
            "without close_notify",
            &format!("peer={host_port}"),
        ])
        .await;

        // A polite end (close_notify) is the end too, and nothing is logged about it.
        let (mut client, mut server) = connect(&mut listener, &host_port, &trusting).await;
        let polite_addr = server.peer.addr.clone();
        client.stream_mut().unwrap().shutdown().await.unwrap();
        let mut read = Vec::new();
        server
            .stream_mut()
            .unwrap()
            .read_to_end(&mut read)
            .await
            .unwrap();
        assert!(read.is_empty());
        assert!(
            !logs
                .text
                .lock()
                .unwrap()
                .contains(&format!("peer={polite_addr}")),
            "{}",
            logs.text.lock().unwrap()
        );
    }

    #[tokio::test]
    async fn insecure_client_connects() {
        let (config, _pem) = TlsServerConfig::self_signed(&["somewhere.example"]).unwrap();
        let (mut listener, host_port) = bind(config).await;
        let insecure = TlsClientConfig::insecure();
        assert!(insecure.is_insecure());
        assert!(format!("{insecure:?}").contains("INSECURE"));
        let (mut client, mut server) = connect(&mut listener, &host_port, &insecure).await;
        ping_pong(&mut client, &mut server).await;
        // Nothing was verified, so no identity is claimed.
        assert!(client.peer.tls.is_none());
    }

    #[tokio::test]
    async fn a_stalled_handshake_does_not_hold_up_others() {
        let (config, pem) = TlsServerConfig::self_signed(&["127.0.0.1"]).unwrap();
        let (mut listener, host_port) = bind(config).await;
        let mut staller = TcpStream::connect(&host_port).await.unwrap();
        staller.write_all(PARTIAL_HELLO).await.unwrap();
        let silent = TcpStream::connect(&host_port).await.unwrap();
        // The kernel queues connections in order, so accept has to get past
        // both stallers to yield the client.
        let trusting = TlsClientConfig::from_ca_pem(pem.as_bytes()).unwrap();
        let (mut client, mut server) = connect(&mut listener, &host_port, &trusting).await;
        ping_pong(&mut client, &mut server).await;
        drop((staller, silent));
    }

    #[tokio::test]
    async fn a_failed_handshake_does_not_stop_the_listener() {
        let (logs, _guard) = Logs::capture();
        let (config, pem) = TlsServerConfig::self_signed(&["127.0.0.1"]).unwrap();
        let (mut listener, host_port) = bind(config).await;

        // Not TLS at all: the server answers with an alert and closes.
        let mut garbage = TcpStream::connect(&host_port).await.unwrap();
        let garbage_addr = garbage.local_addr().unwrap().to_string();
        garbage.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        tokio::select! {
            read = garbage.read_to_end(&mut answer) => { let _ = read; }
            conn = listener.accept() => panic!("accept yielded {conn:?}"),
        }
        assert!(answer.len() < 16, "{answer:?}");
        logs.wait_for(&[
            "DEBUG",
            "tls handshake failed",
            &format!("peer={garbage_addr}"),
        ])
        .await;

        let trusting = TlsClientConfig::from_ca_pem(pem.as_bytes()).unwrap();
        let (mut client, mut server) = connect(&mut listener, &host_port, &trusting).await;
        ping_pong(&mut client, &mut server).await;
    }

    #[tokio::test(start_paused = true)]
    async fn handshake_timeout_closes_a_stall() {
        let (config, _pem) = TlsServerConfig::self_signed(&["127.0.0.1"]).unwrap();
        let config = config.with_handshake_timeout(Duration::from_secs(7));
        assert_eq!(config.handshake_timeout(), Duration::from_secs(7));
        let (mut listener, host_port) = bind(config).await;
        assert_eq!(listener.handshake_timeout(), Duration::from_secs(7));
        for (timeout, sent) in [
            (Duration::from_secs(7), PARTIAL_HELLO),
            (DEFAULT_HANDSHAKE_TIMEOUT, b""),
        ] {
            listener.set_handshake_timeout(timeout);
            let mut staller = TcpStream::connect(&host_port).await.unwrap();
            staller.write_all(sent).await.unwrap();
            let start = Instant::now();
            let mut buf = [0; 64];
            tokio::select! {
                read = staller.read(&mut buf) => assert_eq!(read.unwrap(), 0),
                conn = listener.accept() => panic!("accept yielded {conn:?}"),
            }
            let waited = start.elapsed();
            assert!(
                waited >= timeout && waited < timeout + Duration::from_secs(1),
                "{waited:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn dial_gives_up_on_a_silent_server() {
        // A TCP listener that never answers (the kernel completes the TCP
        // handshake on its own).
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host_port = silent.local_addr().unwrap().to_string();
        let config = TlsClientConfig::insecure().with_handshake_timeout(Duration::from_secs(3));
        let start = Instant::now();
        let err = dial(&host_port, &config).await.unwrap_err();
        let waited = start.elapsed();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("timed out after 3s"), "{err}");
        assert!(
            waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn tls12_clients_are_served() {
        let (config, pem) = TlsServerConfig::self_signed(&["localhost"]).unwrap();
        let (mut listener, host_port) = bind(config).await;
        let client = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(
                trusted_certs(pem.as_bytes(), "test")
                    .unwrap()
                    .server_verifier(provider())
                    .unwrap(),
            )
            .with_no_client_auth();
        let tcp = TcpStream::connect(&host_port).await.unwrap();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let name = ServerName::try_from("localhost").unwrap();
        let (client, server) = tokio::join!(connector.connect(name, tcp), listener.accept());
        let (mut client, mut server) = (client.unwrap(), server.unwrap());
        assert_eq!(
            client.get_ref().1.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_2)
        );
        client.write_all(b"v1.2").await.unwrap();
        client.flush().await.unwrap();
        let mut buf = [0; 4];
        server
            .stream_mut()
            .unwrap()
            .read_exact(&mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"v1.2");
    }

    #[test]
    fn no_early_data() {
        let (server, pem) = TlsServerConfig::self_signed(&["localhost"]).unwrap();
        assert_eq!(server.rustls.max_early_data_size, 0);
        let client = TlsClientConfig::from_ca_pem(pem.as_bytes()).unwrap();
        assert!(!client.rustls.enable_early_data);
        assert!(!TlsClientConfig::insecure().rustls.enable_early_data);
    }

    #[test]
    fn pem_errors_say_what_and_where() {
        let dir = TempDir::new();
        let missing = dir.0.join("missing.pem");
        let err = TlsClientConfig::from_ca_file(&missing).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(
            err.to_string().contains(&missing.display().to_string()),
            "{err}"
        );
        assert!(err.to_string().contains("CA certificates"), "{err}");

        let junk = dir.write("junk.pem", "not a certificate\n");
        let err = TlsClientConfig::from_ca_file(&junk).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        let err = TlsServerConfig::from_pem_files(&junk, &junk).unwrap_err();
        assert!(err.to_string().contains("junk.pem"), "{err}");

        // A key that does not belong to the certificate.
        let ca = Ca::new("ca");
        let (a, b) = (ca.client("a"), ca.client("b"));
        let err =
            TlsServerConfig::from_pem(a.cert_pem.as_bytes(), b.key_pem.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("server certificate and key"),
            "{err}"
        );
        let err =
            TlsServerConfig::from_pem(a.cert_pem.as_bytes(), a.cert_pem.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("no usable private key"), "{err}");

        let err = TlsServerConfig::self_signed(&[]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = TlsClientConfig::insecure()
            .with_server_name("bad name!")
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn server_name_defaults_to_the_host() {
        let name = |hp| default_server_name(hp).unwrap().to_str().into_owned();
        assert_eq!(name("example.com:443"), "example.com");
        assert_eq!(name("127.0.0.1:1"), "127.0.0.1");
        assert_eq!(name("[::1]:1"), "::1");
        assert_eq!(name(":1"), "localhost");
        assert!(matches!(
            default_server_name("[::1]:1").unwrap(),
            ServerName::IpAddress(_)
        ));
    }

    #[test]
    fn system_roots_load_or_say_why_not() {
        match TlsClientConfig::system_roots() {
            Ok(config) => assert!(!config.is_insecure()),
            Err(err) => {
                assert_eq!(err.kind(), io::ErrorKind::NotFound);
                assert!(err.to_string().contains("system root"), "{err}");
            }
        }
    }
}
