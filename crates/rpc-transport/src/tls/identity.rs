//! The [`TlsIdentity`] of a verified peer certificate: what its subject
//! and subject alternative names say.

use std::net::IpAddr;

use rustls::pki_types::CertificateDer;

use crate::TlsIdentity;

/// What the first (end-entity) of a peer's verified certificates says, if
/// it presented any.
pub(crate) fn first_identity(certs: Option<&[CertificateDer<'_>]>) -> Option<TlsIdentity> {
    certs.and_then(|certs| certs.first()).map(identity)
}

/// What a verified end-entity certificate says about its subject.
fn identity(der: &CertificateDer<'_>) -> TlsIdentity {
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
