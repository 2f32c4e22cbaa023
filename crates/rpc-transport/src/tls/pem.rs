//! Reading certificates and keys from PEM (files or memory), and the
//! small error and name helpers the configurations share. Errors say what
//! was read from where (`tls: no usable private key in key.pem: ...`).

use std::io;
use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::trust::TrustedCerts;

/// A certificate chain (end-entity first) and its private key.
pub(super) struct CertKey {
    pub(super) chain: Vec<CertificateDer<'static>>,
    pub(super) key: PrivateKeyDer<'static>,
}

impl CertKey {
    pub(super) fn from_pem(
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

    pub(super) fn from_pem_files(cert: &Path, key: &Path) -> io::Result<Self> {
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

/// Reads a PEM file, naming it and what it should hold in errors.
pub(super) fn read_file(path: &Path, what: &str) -> io::Result<Vec<u8>> {
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
pub(super) fn trusted_certs(pem: &[u8], source: &str) -> io::Result<TrustedCerts> {
    TrustedCerts::new(parse_certs(pem, source)?)
        .map_err(|err| invalid_data(format!("tls: unusable CA certificate in {source}: {err}")))
}

/// `name` as a server name to verify.
pub(super) fn server_name(name: &str) -> io::Result<ServerName<'static>> {
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

pub(super) fn invalid_data(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

pub(super) fn tls_error(what: &str, err: rustls::Error) -> io::Error {
    invalid_data(format!("{what}: {err}"))
}
