//! Tests of the `tls` transport: configurations, PEM errors, trust, dialing
//! and the listener, against certificates made up per test.

use super::*;

use std::io;
use std::net::IpAddr;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::pem::{default_server_name, trusted_certs};
use crate::{Address, Connection, Listener};
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
        TlsServerConfig::from_pem(issued.cert_pem.as_bytes(), issued.key_pem.as_bytes()).unwrap()
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
        TlsServerConfig::from_pem(issued.cert_pem.as_bytes(), issued.key_pem.as_bytes()).unwrap();
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
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
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
        TlsServerConfig::from_pem(server.cert_pem.as_bytes(), server.key_pem.as_bytes()).unwrap();
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
    assert_eq!(server.rustls().max_early_data_size, 0);
    let client = TlsClientConfig::from_ca_pem(pem.as_bytes()).unwrap();
    assert!(!client.rustls().enable_early_data);
    assert!(!TlsClientConfig::insecure().rustls().enable_early_data);
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
    let err = TlsServerConfig::from_pem(a.cert_pem.as_bytes(), b.key_pem.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("server certificate and key"),
        "{err}"
    );
    let err = TlsServerConfig::from_pem(a.cert_pem.as_bytes(), a.cert_pem.as_bytes()).unwrap_err();
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
