//! Which peer certificates a TLS endpoint trusts: webpki's chain verification, plus Go's rule
//! for a self-signed certificate given as trusted.
//!
//! webpki (through rustls' `WebPkiServerVerifier` and `WebPkiClientVerifier`) accepts a peer's
//! certificate when it can build a chain from it to one of the trusted certificates (the trust
//! anchors), and refuses an end-entity certificate that calls itself a CA (`basicConstraints
//! CA:TRUE`: `CaUsedAsEndEntity`). `openssl req -x509`, the usual way to make a self-signed
//! certificate, marks it as a CA, and Go's `crypto/x509` trusts such a certificate when it is
//! given as the root (`RootCAs`, `ClientCAs`): a certificate found among the roots is a chain by
//! itself. So that netrpc trusts what Go trusts, [`TrustedCerts`] builds verifiers that wrap
//! webpki's with one rule, Go's narrowed to self-signed certificates:
//!
//! A peer certificate that is **byte for byte one of the trusted certificates, and
//! self-signed** (its issuer is its subject and its signature verifies with its own key, checked
//! once when the trusted certificates are loaded) is accepted when
//!
//! - webpki can parse it as an end-entity certificate (no unknown critical extension),
//! - the time is within its validity period,
//! - it allows the use: if it names extended key usages, they include server authentication
//!   (for a server's certificate) or client authentication (for a client's), and
//! - for a server's certificate, it is valid for the server name (its subject alternative names,
//!   as webpki checks them).
//!
//! Its `basicConstraints` are not looked at: that is all the rule relaxes, and only for a
//! certificate its verifier was told to trust, which is the very trust anchor webpki would chain
//! a `CA:FALSE` self-signed certificate to. Every other certificate (a leaf issued by a trusted
//! CA, an unknown one, an impostor with the same names but another key) goes to webpki
//! unchanged, and the handshake's signatures, which prove the peer holds the certificate's
//! private key, are always checked by webpki's functions.
//!
//! [`hint`] explains webpki's `CaUsedAsEndEntity` where it still applies (a CA certificate that
//! is not itself trusted), for error messages. [`any_server_cert`] is the verifier of
//! [`TlsClientConfig::insecure`](super::TlsClientConfig::insecure), which trusts any server.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ParsedCertificate, VerifierBuilderError, WebPkiClientVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, OtherError, RootCertStore,
    SignatureScheme,
};

/// Certificates trusted as roots, for verifying peers: the trust anchors webpki chains to, and
/// which of them are self-signed (trusted as themselves, see the
/// [module documentation](self)). Cheap to clone.
#[derive(Clone)]
pub(crate) struct TrustedCerts {
    roots: Arc<RootCertStore>,
    /// The DER of each self-signed trusted certificate.
    self_signed: Arc<HashSet<Vec<u8>>>,
}

impl std::fmt::Debug for TrustedCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedCerts")
            .field("roots", &self.roots.len())
            .field("self_signed", &self.self_signed.len())
            .finish()
    }
}

impl TrustedCerts {
    /// Trusts every one of `certs`; fails on the first that webpki cannot use as a trust anchor.
    pub(crate) fn new(
        certs: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> Result<Self, Error> {
        let mut roots = RootCertStore::empty();
        let mut self_signed = HashSet::new();
        for cert in certs {
            roots.add(cert.clone())?;
            if is_self_signed(&cert) {
                self_signed.insert(cert.to_vec());
            }
        }
        Ok(Self::from_parts(roots, self_signed))
    }

    /// Trusts those of `certs` that webpki can use as trust anchors (for the system's roots,
    /// where one bad certificate should not spoil the rest); returns how many were ignored.
    pub(crate) fn parsable(
        certs: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> (Self, usize) {
        let mut roots = RootCertStore::empty();
        let mut self_signed = HashSet::new();
        let mut ignored = 0;
        for cert in certs {
            let self_signed_der = is_self_signed(&cert).then(|| cert.to_vec());
            match roots.add(cert) {
                Ok(()) => self_signed.extend(self_signed_der),
                Err(err) => {
                    tracing::debug!(error = %err, "ignoring an unusable root certificate");
                    ignored += 1;
                }
            }
        }
        (Self::from_parts(roots, self_signed), ignored)
    }

    fn from_parts(roots: RootCertStore, self_signed: HashSet<Vec<u8>>) -> Self {
        Self {
            roots: Arc::new(roots),
            self_signed: Arc::new(self_signed),
        }
    }

    /// How many certificates are trusted.
    pub(crate) fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether `cert` is one of the self-signed trusted certificates, byte for byte.
    fn trusts_as_itself(&self, cert: &CertificateDer<'_>) -> bool {
        self.self_signed.contains(cert.as_ref())
    }

    /// A verifier of servers' certificates.
    pub(crate) fn server_verifier(
        &self,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ServerCertVerifier>, VerifierBuilderError> {
        let webpki =
            WebPkiServerVerifier::builder_with_provider(self.roots.clone(), provider).build()?;
        Ok(Arc::new(ServerVerifier {
            webpki,
            trusted: self.clone(),
        }))
    }

    /// A verifier of clients' certificates that requires one.
    pub(crate) fn client_verifier(
        &self,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ClientCertVerifier>, VerifierBuilderError> {
        let webpki =
            WebPkiClientVerifier::builder_with_provider(self.roots.clone(), provider).build()?;
        Ok(Arc::new(ClientVerifier {
            webpki,
            trusted: self.clone(),
        }))
    }
}

/// Whether `cert` names itself as its issuer and its signature verifies with its own key.
fn is_self_signed(cert: &CertificateDer<'_>) -> bool {
    match x509_parser::parse_x509_certificate(cert) {
        Ok((_, parsed)) => {
            parsed.issuer().as_raw() == parsed.subject().as_raw()
                && parsed.verify_signature(None).is_ok()
        }
        Err(_) => false,
    }
}

/// What a peer's certificate is used for.
#[derive(Clone, Copy, Debug)]
enum Usage {
    ServerAuth,
    ClientAuth,
}

/// The checks for a certificate trusted as itself, but the server name (see the
/// [module documentation](self)); returns webpki's parse of it. `now` is the verification
/// time.
fn check_trusted_as_itself<'a>(
    cert: &'a CertificateDer<'a>,
    usage: Usage,
    now: UnixTime,
) -> Result<ParsedCertificate<'a>, Error> {
    // webpki's parse: well-formed, no critical extension it does not know.
    let webpki_parsed = ParsedCertificate::try_from(cert)?;
    let (_, parsed) = x509_parser::parse_x509_certificate(cert)
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let validity = parsed.validity();
    let time = now.as_secs();
    let at = |timestamp: i64| {
        UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(timestamp).unwrap_or(0)))
    };
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    if i128::from(time) < i128::from(not_before) {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: at(not_before),
        }
        .into());
    }
    if i128::from(time) > i128::from(not_after) {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: at(not_after),
        }
        .into());
    }
    let usages = parsed
        .extended_key_usage()
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
    if let Some(usages) = usages {
        let allowed = match usage {
            Usage::ServerAuth => usages.value.server_auth,
            Usage::ClientAuth => usages.value.client_auth,
        };
        if !allowed {
            return Err(CertificateError::InvalidPurpose.into());
        }
    }
    Ok(webpki_parsed)
}

/// webpki's server verifier, plus the trusted self-signed certificates as themselves.
#[derive(Debug)]
struct ServerVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    trusted: TrustedCerts,
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.trusted.trusts_as_itself(end_entity) {
            let parsed = check_trusted_as_itself(end_entity, Usage::ServerAuth, now)?;
            verify_server_name(&parsed, server_name)?;
            return Ok(ServerCertVerified::assertion());
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// webpki's client verifier (a certificate required), plus the trusted self-signed
/// certificates as themselves.
#[derive(Debug)]
struct ClientVerifier {
    webpki: Arc<dyn ClientCertVerifier>,
    trusted: TrustedCerts,
}

impl ClientCertVerifier for ClientVerifier {
    fn offer_client_auth(&self) -> bool {
        self.webpki.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.webpki.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.webpki.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        if self.trusted.trusts_as_itself(end_entity) {
            check_trusted_as_itself(end_entity, Usage::ClientAuth, now)?;
            return Ok(ClientCertVerified::assertion());
        }
        self.webpki
            .verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// What webpki's `CaUsedAsEndEntity` means here, for error messages: `None` for other errors.
pub(crate) fn hint(err: &Error) -> Option<&'static str> {
    let Error::InvalidCertificate(CertificateError::Other(OtherError(other))) = err else {
        return None;
    };
    match other.downcast_ref::<webpki::Error>() {
        Some(webpki::Error::CaUsedAsEndEntity) => Some(
            "the certificate is a CA certificate (basicConstraints CA:TRUE) and not itself \
             among the trusted certificates; a self-signed one is trusted when that very \
             certificate is given as the CA",
        ),
        _ => None,
    }
}

/// The verifier behind [`TlsClientConfig::insecure`](super::TlsClientConfig::insecure): any
/// certificate passes, but handshake signatures are still checked (so the session is at least
/// bound to the certificate's key).
pub(crate) fn any_server_cert(provider: Arc<CryptoProvider>) -> Arc<dyn ServerCertVerifier> {
    Arc::new(AnyServerCert(provider))
}

#[derive(Debug)]
struct AnyServerCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// What a certificate is made like.
    struct Spec {
        cn: &'static str,
        names: &'static [&'static str],
        ca: bool,
        usages: Vec<ExtendedKeyUsagePurpose>,
    }

    impl Spec {
        /// Like `openssl req -x509 -subj /CN=CN -addext subjectAltName=...`: a CA.
        fn openssl_like(cn: &'static str, names: &'static [&'static str]) -> Self {
            Self {
                cn,
                names,
                ca: true,
                usages: Vec::new(),
            }
        }

        fn params(&self) -> CertificateParams {
            let names = self
                .names
                .iter()
                .map(|n| (*n).to_owned())
                .collect::<Vec<_>>();
            let mut params = CertificateParams::new(names).unwrap();
            params.distinguished_name.push(DnType::CommonName, self.cn);
            if self.ca {
                params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            }
            params.extended_key_usages = self.usages.clone();
            params
        }

        fn self_signed(&self) -> (CertificateDer<'static>, rcgen::Certificate, KeyPair) {
            let key = KeyPair::generate().unwrap();
            let cert = self.params().self_signed(&key).unwrap();
            (cert.der().clone(), cert, key)
        }

        fn signed_by(&self, issuer: &rcgen::Certificate, key: &KeyPair) -> CertificateDer<'static> {
            let own = KeyPair::generate().unwrap();
            self.params()
                .signed_by(&own, issuer, key)
                .unwrap()
                .der()
                .clone()
        }
    }

    fn localhost() -> Spec {
        Spec::openssl_like("localhost", &["localhost", "127.0.0.1"])
    }

    fn name(name: &str) -> ServerName<'static> {
        ServerName::try_from(name.to_owned()).unwrap()
    }

    fn verify_server(
        trusted: &TrustedCerts,
        cert: &CertificateDer<'_>,
        server: &str,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verifier = trusted.server_verifier(provider()).unwrap();
        verifier.verify_server_cert(cert, &[], &name(server), &[], now)
    }

    fn verify_client(
        trusted: &TrustedCerts,
        cert: &CertificateDer<'_>,
    ) -> Result<ClientCertVerified, Error> {
        let verifier = trusted.client_verifier(provider()).unwrap();
        verifier.verify_client_cert(cert, &[], UnixTime::now())
    }

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn webpki_alone_refuses_a_self_signed_ca_certificate() {
        // Why this module exists.
        let (der, _, _) = localhost().self_signed();
        let mut roots = RootCertStore::empty();
        roots.add(der.clone()).unwrap();
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .unwrap();
        let err = webpki
            .verify_server_cert(&der, &[], &name("localhost"), &[], UnixTime::now())
            .unwrap_err();
        assert!(format!("{err}").contains("CaUsedAsEndEntity"), "{err}");
        assert!(hint(&err).unwrap().contains("CA:TRUE"));
    }

    #[test]
    fn a_self_signed_ca_certificate_is_trusted_as_itself() {
        let (der, _, _) = localhost().self_signed();
        let trusted = TrustedCerts::new([der.clone()]).unwrap();
        assert!(trusted.trusts_as_itself(&der));
        assert_eq!(trusted.len(), 1);
        for server in ["localhost", "127.0.0.1"] {
            verify_server(&trusted, &der, server, UnixTime::now()).unwrap();
        }
        // Its names are still checked.
        let err = verify_server(&trusted, &der, "other.example", UnixTime::now()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
            ),
            "{err}"
        );
        let err = verify_server(&trusted, &der, "127.0.0.2", UnixTime::now()).unwrap_err();
        assert!(err.to_string().contains("not valid for name"), "{err}");
        // As a client's certificate too.
        verify_client(&trusted, &der).unwrap();
    }

    #[test]
    fn its_validity_period_is_checked() {
        let mut spec = localhost().params();
        spec.not_before = rcgen::date_time_ymd(2020, 1, 1);
        spec.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let key = KeyPair::generate().unwrap();
        let der = spec.self_signed(&key).unwrap().der().clone();
        let trusted = TrustedCerts::new([der.clone()]).unwrap();
        // 2020-06-01 and a second after 2021-01-01.
        verify_server(&trusted, &der, "localhost", at(1_590_969_600)).unwrap();
        let err = verify_server(&trusted, &der, "localhost", at(1_609_459_201)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidCertificate(CertificateError::ExpiredContext { .. })
            ),
            "{err}"
        );
        assert!(err.to_string().contains("expired"), "{err}");
        let err = verify_server(&trusted, &der, "localhost", at(1_500_000_000)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidCertificate(CertificateError::NotValidYetContext { .. })
            ),
            "{err}"
        );
        let verifier = trusted.client_verifier(provider()).unwrap();
        let err = verifier
            .verify_client_cert(&der, &[], at(1_609_459_201))
            .unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
    }

    #[test]
    fn its_usages_are_checked() {
        let client_only = Spec {
            usages: vec![ExtendedKeyUsagePurpose::ClientAuth],
            ..localhost()
        };
        let (der, _, _) = client_only.self_signed();
        let trusted = TrustedCerts::new([der.clone()]).unwrap();
        let err = verify_server(&trusted, &der, "localhost", UnixTime::now()).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidCertificate(CertificateError::InvalidPurpose)
        );
        verify_client(&trusted, &der).unwrap();

        let server_only = Spec {
            usages: vec![ExtendedKeyUsagePurpose::ServerAuth],
            ..localhost()
        };
        let (der, _, _) = server_only.self_signed();
        let trusted = TrustedCerts::new([der.clone()]).unwrap();
        verify_server(&trusted, &der, "localhost", UnixTime::now()).unwrap();
        let err = verify_client(&trusted, &der).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidCertificate(CertificateError::InvalidPurpose)
        );
    }

    #[test]
    fn an_impostor_with_the_same_names_is_refused() {
        let (der, _, _) = localhost().self_signed();
        let (impostor, _, _) = localhost().self_signed();
        let trusted = TrustedCerts::new([der]).unwrap();
        assert!(!trusted.trusts_as_itself(&impostor));
        let err = verify_server(&trusted, &impostor, "localhost", UnixTime::now()).unwrap_err();
        assert!(hint(&err).is_some(), "{err}");
        let err = verify_client(&trusted, &impostor).unwrap_err();
        assert!(hint(&err).is_some(), "{err}");

        // And one that is not a CA: webpki's verdict, the trusted certificate of that name
        // did not sign it.
        let (plain, _, _) = Spec {
            ca: false,
            ..localhost()
        }
        .self_signed();
        let err = verify_server(&trusted, &plain, "localhost", UnixTime::now()).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidCertificate(CertificateError::BadSignature)
        );
        assert_eq!(hint(&err), None);
    }

    #[test]
    fn only_self_signed_certificates_are_trusted_as_themselves() {
        // A CA certificate issued by another CA, trusted on its own: webpki's rules.
        let (_, issuer, issuer_key) = Spec::openssl_like("issuer", &[]).self_signed();
        let issued = localhost().signed_by(&issuer, &issuer_key);
        let trusted = TrustedCerts::new([issued.clone()]).unwrap();
        assert!(!trusted.trusts_as_itself(&issued));
        let err = verify_server(&trusted, &issued, "localhost", UnixTime::now()).unwrap_err();
        assert!(hint(&err).is_some(), "{err}");

        // A self-signed certificate whose signature does not verify.
        let (der, _, _) = localhost().self_signed();
        let mut bytes = der.to_vec();
        *bytes.last_mut().unwrap() ^= 1;
        let broken = CertificateDer::from(bytes);
        let trusted = TrustedCerts::new([broken.clone()]).unwrap();
        assert!(!trusted.trusts_as_itself(&broken));
        verify_server(&trusted, &broken, "localhost", UnixTime::now()).unwrap_err();
    }

    #[test]
    fn chains_are_still_webpkis() {
        // A CA and the leaves it issues: the usual case, unchanged.
        let (ca, issuer, issuer_key) = Spec::openssl_like("CA", &[]).self_signed();
        let trusted = TrustedCerts::new([ca]).unwrap();
        let leaf = Spec {
            ca: false,
            ..localhost()
        }
        .signed_by(&issuer, &issuer_key);
        verify_server(&trusted, &leaf, "localhost", UnixTime::now()).unwrap();
        verify_client(&trusted, &leaf).unwrap();
        let err = verify_server(&trusted, &leaf, "other.example", UnixTime::now()).unwrap_err();
        assert!(err.to_string().contains("not valid for name"), "{err}");
    }

    #[test]
    fn the_client_verifier_requires_a_certificate_and_names_its_roots() {
        let (der, _, _) = Spec::openssl_like("alice", &["alice.example"]).self_signed();
        let trusted = TrustedCerts::new([der]).unwrap();
        let verifier = trusted.client_verifier(provider()).unwrap();
        assert!(verifier.offer_client_auth());
        assert!(verifier.client_auth_mandatory());
        // Go's client sends its certificate only if its issuer is among these.
        assert_eq!(verifier.root_hint_subjects().len(), 1);
        assert!(!verifier.supported_verify_schemes().is_empty());
    }

    #[test]
    fn unusable_certificates() {
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        assert!(TrustedCerts::new([garbage.clone()]).is_err());
        let (der, _, _) = localhost().self_signed();
        let (trusted, ignored) = TrustedCerts::parsable([garbage, der.clone()]);
        assert_eq!((trusted.len(), ignored), (1, 1));
        assert!(trusted.trusts_as_itself(&der));
        assert!(format!("{trusted:?}").contains("self_signed: 1"));
    }
}
