//! What a failed handshake means, in words a user can act on: a server's
//! alert reworded for the client ([`explain`]), rustls' words completed
//! with a hint where they mislead ([`with_hint`]), and the listener's log
//! of a failure ([`log_failure`]).

use std::io;
use std::net::SocketAddr;

use super::trust;

/// Rewords an alert from the server into what it most likely means for
/// us (`None` for other errors).
pub(super) fn explain(err: &io::Error, sent_cert: bool) -> Option<String> {
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
pub(super) fn with_hint(err: &io::Error) -> String {
    match rustls_error(err).and_then(trust::hint) {
        Some(hint) => format!("{err} ({hint})"),
        None => err.to_string(),
    }
}

/// Logs why a handshake failed: at `warn` if it was about certificates
/// (ours refused, theirs missing or refused), else at `debug` (scanners,
/// clients that hung up).
pub(super) fn log_failure(addr: SocketAddr, err: &io::Error) {
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
