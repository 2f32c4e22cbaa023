//! The configurations both ends take: [`TlsServerConfig`] (the
//! certificate a listener presents and, for mutual TLS, the CA clients'
//! certificates must chain to) and [`TlsClientConfig`] (which servers a
//! dialer trusts and the certificate it presents), each built into a
//! rustls configuration up front so that mistakes show at once.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

use super::pem::{CertKey, invalid_data, read_file, server_name, tls_error, trusted_certs};
use super::trust::{self, TrustedCerts};
use super::{DEFAULT_HANDSHAKE_TIMEOUT, provider, self_signed};
#[cfg(doc)]
use super::{TlsListener, dial};
#[cfg(doc)]
use crate::Peer;

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
        let (cert_key, pem) = self_signed::generate(names)?;
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

    /// The rustls configuration (QUIC adds its ALPN).
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
    /// [Trust](super#trust).
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

    /// The rustls configuration (QUIC adds its ALPN).
    pub(crate) fn rustls(&self) -> &Arc<rustls::ClientConfig> {
        &self.rustls
    }

    /// The name set with [`with_server_name`](Self::with_server_name).
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
