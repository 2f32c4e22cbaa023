//! Self-signed certificates made up on the spot, for
//! [`TlsServerConfig::self_signed`](super::TlsServerConfig::self_signed).

use std::io;

use rustls::pki_types::PrivateKeyDer;

use super::pem::{CertKey, invalid_data};

/// Generates a self-signed certificate (a fresh ECDSA P-256 key) valid for
/// `names` (the first is also the subject's common name): the certificate
/// and key, and the certificate's PEM.
pub(super) fn generate(names: &[&str]) -> io::Result<(CertKey, String)> {
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
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .map_err(rcgen_err)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, *first);
    let key = rcgen::KeyPair::generate().map_err(rcgen_err)?;
    let cert = params.self_signed(&key).map_err(rcgen_err)?;
    let pem = cert.pem();
    let cert_key = CertKey {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|err| invalid_data(format!("tls: generated private key unusable: {err}")))?,
    };
    Ok((cert_key, pem))
}
