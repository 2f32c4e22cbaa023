//! netrpc's `tls://` against Go's crypto/tls, both directions, with certificates made as users
//! make them, by the `openssl` command: Go's `tlspeer` serving net/rpc over `tls.Listen` (and
//! requiring client certificates, `tls.RequireAndVerifyClientCert`) for netrpc's client (library
//! and `netrpc call`), and calling over `tls.Dial` and `rpc.NewClient` into `netrpc serve`.
//!
//! `openssl req -x509` marks the self-signed certificates it makes as CAs (`basicConstraints
//! CA:TRUE`); Go trusts one given as the root, and so must netrpc (the rule is in
//! `rpc-transport/src/tls/trust.rs`): as the server's certificate given with `--ca`, and as a
//! client's certificate given with `--client-ca`. Certificates signed by a CA work as before,
//! and a certificate that is not trusted (an impostor with the same names and another key) is
//! still refused. A Go client that exits without TLS close_notify is an ordinary disconnect.
//!
//! The tests need `openssl` and Go, and fail saying so when either is missing. Every test binds
//! loopback port 0, learns addresses from `listening on ADDR` lines, and bounds every wait.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use interop::{Finished, LINE_TIMEOUT, Process, Stream, go_program, netrpc_command};
use netrpc::transport::DialOptions;
use netrpc::transport::tls::TlsClientConfig;
use netrpc::{Client, Gob};

// ---------------------------------------------------------------------------------------------
// Certificates made by openssl

/// A directory of certificates made by `openssl`, removed on drop.
struct Certs {
    dir: PathBuf,
}

/// A certificate file (PEM) and its private key file.
struct Cert {
    pem: String,
    key: String,
}

impl Certs {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "netrpc-interop-tls-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Runs `openssl ARGS...` in the directory and returns its standard output; fails the test
    /// when openssl is missing or fails.
    fn openssl(&self, args: &[&str]) -> String {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|err| match err.kind() {
                std::io::ErrorKind::NotFound => panic!(
                    "`openssl` was not found: these tests make their certificates as users do, \
                     with the openssl command (Debian: apt-get install openssl)"
                ),
                _ => panic!("running openssl: {err}"),
            });
        assert!(
            output.status.success(),
            "openssl {args:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=CN [-addext subjectAltName=SAN]`:
    /// a self-signed certificate, which openssl marks as a CA.
    fn self_signed(&self, name: &str, cn: &str, san: Option<&str>) -> Cert {
        let cert = Cert {
            pem: self.path(&format!("{name}.pem")),
            key: self.path(&format!("{name}.key")),
        };
        let subject = format!("/CN={cn}");
        let mut args = vec![
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", &cert.key,
            "-out", &cert.pem, "-subj", &subject,
        ];
        let san = san.map(|san| format!("subjectAltName={san}"));
        if let Some(san) = &san {
            args.extend(["-addext", san]);
        }
        self.openssl(&args);
        cert
    }

    /// A certificate for `cn` signed by `ca` (`openssl req` then `openssl x509 -req`), with
    /// `extensions` (lines of an openssl extensions file, e.g. `subjectAltName=DNS:localhost`).
    fn issued(&self, name: &str, ca: &Cert, cn: &str, extensions: &str) -> Cert {
        let cert = Cert {
            pem: self.path(&format!("{name}.pem")),
            key: self.path(&format!("{name}.key")),
        };
        let csr = self.path(&format!("{name}.csr"));
        let ext = self.path(&format!("{name}.ext"));
        std::fs::write(&ext, extensions).unwrap_or_else(|err| panic!("{ext}: {err}"));
        let subject = format!("/CN={cn}");
        self.openssl(&[
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &cert.key, "-out", &csr, "-subj",
            &subject,
        ]);
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca.pem,
            "-CAkey",
            &ca.key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &cert.pem,
        ]);
        cert
    }

    /// What openssl says of a certificate (`openssl x509 -noout -text`).
    fn text(&self, cert: &Cert) -> String {
        self.openssl(&["x509", "-noout", "-text", "-in", &cert.pem])
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The names a loopback server's certificate carries.
const LOCALHOST: &str = "DNS:localhost,IP:127.0.0.1";

/// A server certificate for localhost and 127.0.0.1 made by `openssl req -x509`, as a Go user
/// makes one.
fn openssl_server_cert(certs: &Certs, name: &str) -> Cert {
    certs.self_signed(name, "localhost", Some(LOCALHOST))
}

// ---------------------------------------------------------------------------------------------
// Go's tlspeer

/// `tlspeer -listen 127.0.0.1:0 -cert CERT -key KEY EXTRA...` (Go's `tls.Listen`) and its
/// address, `127.0.0.1:PORT`.
fn go_tls_server(cert: &Cert, extra: &[&str]) -> (Process, String) {
    let mut command = go_program("tlspeer");
    command.args([
        "-listen",
        "127.0.0.1:0",
        "-cert",
        &cert.pem,
        "-key",
        &cert.key,
    ]);
    command.args(extra);
    let server = Process::spawn(&format!("tlspeer -listen {extra:?}"), command);
    let addr = server.listening_on(Stream::Stdout);
    (server, addr)
}

/// Runs `tlspeer -connect HOST_PORT -ca CA EXTRA...` (Go's `tls.Dial`, `rpc.NewClient`, one
/// `HelloService.Hello`) to its end.
fn go_tls_client(host_port: &str, ca: &str, extra: &[&str]) -> Finished {
    let mut command = go_program("tlspeer");
    command.args(["-connect", host_port, "-ca", ca]);
    command.args(extra);
    Process::spawn(&format!("tlspeer -connect {extra:?}"), command).wait()
}

/// The Go client's reply and its own address, from a successful run.
fn go_reply(finished: &Finished) -> (String, String) {
    assert_eq!(
        finished.code(),
        Some(0),
        "tlspeer failed:\n{}{}",
        finished.stdout,
        finished.stderr
    );
    let mut lines = finished.stdout.lines();
    let local = lines
        .next()
        .and_then(|line| line.strip_prefix("local "))
        .unwrap_or_else(|| panic!("no `local ADDR` line in {:?}", finished.stdout));
    let reply = lines.next().unwrap_or_default();
    (reply.to_owned(), local.to_owned())
}

/// `netrpc serve --listen tls://127.0.0.1:0 --cert CERT --key KEY EXTRA...` and its address
/// as Go dials it, `127.0.0.1:PORT`.
fn netrpc_tls_serve(cert: &Cert, extra: &[&str]) -> (Process, String) {
    let mut args = vec!["--cert", &cert.pem, "--key", &cert.key];
    args.extend_from_slice(extra);
    let (server, addr) = netrpc_serve("tls://127.0.0.1:0", &args);
    let host_port = addr.strip_prefix("tls://").unwrap_or(&addr).to_owned();
    (server, host_port)
}

/// `netrpc call --connect tls://HOST_PORT ARGS...`: exit code, stdout, stderr.
fn netrpc_tls_call(host_port: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let addr = format!("tls://{host_port}");
    let mut all = vec!["--connect", &addr];
    all.extend_from_slice(args);
    let done = netrpc_call(&all);
    (done.code(), done.stdout, done.stderr)
}

/// A netrpc gob client dialed to `tls://HOST_PORT` with `tls`.
async fn netrpc_tls_client(host_port: &str, tls: TlsClientConfig) -> Result<Client, netrpc::Error> {
    let addr = format!("tls://{host_port}");
    let builder = Client::builder().dial_options(DialOptions::new().with_tls(tls));
    bounded("dial", builder.dial(&addr, Gob)).await
}

// ---------------------------------------------------------------------------------------------
// Go against Go: the premise, by Go's own behaviour.

#[test]
fn control_go_trusts_openssls_self_signed_ca_certificates() {
    let certs = Certs::new();
    let server = openssl_server_cert(&certs, "server");
    let alice = certs.self_signed("alice", "alice", None);
    for cert in [&server, &alice] {
        let text = certs.text(cert);
        assert!(text.contains("CA:TRUE"), "openssl made no CA:\n{text}");
    }
    let text = certs.text(&server);
    assert!(
        text.contains("DNS:localhost, IP Address:127.0.0.1"),
        "{text}"
    );

    let (_server, addr) = go_tls_server(&server, &["-client-ca", &alice.pem]);
    let done = go_tls_client(
        &addr,
        &server.pem,
        &["-cert", &alice.pem, "-key", &alice.key],
    );
    assert_eq!(go_reply(&done).0, "hello:world");
}

// ---------------------------------------------------------------------------------------------
// netrpc's client against Go's tls.Listen

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_trusts_a_go_servers_self_signed_ca_certificate() {
    let certs = Certs::new();
    let server = openssl_server_cert(&certs, "server");
    let (_go, addr) = blocking({
        let (pem, key) = (server.pem.clone(), server.key.clone());
        move || go_tls_server(&Cert { pem, key }, &[])
    })
    .await;

    // The library, trusting the certificate as its CA.
    let tls = TlsClientConfig::from_ca_file(&server.pem).unwrap();
    let client = netrpc_tls_client(&addr, tls).await.unwrap();
    assert_eq!(hello(&client, "world").await.unwrap(), "hello:world");
    assert_eq!(
        call::<String>(&client, "HelloService.Peer", "")
            .await
            .unwrap(),
        ""
    );
    let id = client.peer().tls.as_ref().expect("the server's identity");
    assert_eq!(id.common_name.as_deref(), Some("localhost"));
    assert_eq!(id.dns_names, ["localhost"]);

    // The command.
    let ca = server.pem.clone();
    let done = blocking(move || {
        netrpc_tls_call(&addr, &["--ca", &ca, "HelloService.Hello", r#""world""#])
    })
    .await;
    assert_eq!(done, (Some(0), "\"hello:world\"\n".into(), String::new()));
}

#[test]
fn netrpc_client_refuses_a_go_server_it_does_not_trust() {
    let certs = Certs::new();
    let server = openssl_server_cert(&certs, "server");
    // The same names, another key.
    let impostor = openssl_server_cert(&certs, "impostor");
    let (_go, addr) = go_tls_server(&server, &[]);

    let (code, stdout, stderr) = netrpc_tls_call(
        &addr,
        &["--ca", &impostor.pem, "HelloService.Hello", r#""x""#],
    );
    assert_eq!((code, stdout.as_str()), (Some(2), ""), "{stderr}");
    assert!(
        stderr.contains("tls handshake failed: invalid peer certificate"),
        "{stderr}"
    );
    assert!(stderr.contains("CaUsedAsEndEntity"), "{stderr}");
    assert!(
        stderr.contains("not itself among the trusted certificates"),
        "{stderr}"
    );

    // Trusted, but not for this name.
    let elsewhere = certs.self_signed("elsewhere", "elsewhere", Some("DNS:elsewhere.example"));
    let (_go, addr) = go_tls_server(&elsewhere, &[]);
    let (code, _, stderr) = netrpc_tls_call(
        &addr,
        &["--ca", &elsewhere.pem, "HelloService.Hello", r#""x""#],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not valid for name"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn netrpc_client_against_a_go_server_with_a_ca_signed_certificate() {
    let certs = Certs::new();
    let ca = certs.self_signed("ca", "netrpc interop CA", None);
    let leaf = certs.issued(
        "leaf",
        &ca,
        "localhost",
        &format!("subjectAltName={LOCALHOST}\n"),
    );
    let other_ca = certs.self_signed("other-ca", "netrpc interop CA", None);
    let text = certs.text(&leaf);
    assert!(!text.contains("CA:TRUE"), "{text}");
    assert!(text.contains("Issuer: CN = netrpc interop CA"), "{text}");
    let (_go, addr) = blocking({
        let (pem, key) = (leaf.pem.clone(), leaf.key.clone());
        move || go_tls_server(&Cert { pem, key }, &[])
    })
    .await;

    let client = netrpc_tls_client(&addr, TlsClientConfig::from_ca_file(&ca.pem).unwrap())
        .await
        .unwrap();
    assert_eq!(hello(&client, "leaf").await.unwrap(), "hello:leaf");

    let (ca_pem, other_pem) = (ca.pem.clone(), other_ca.pem.clone());
    let (good, bad) = blocking(move || {
        (
            netrpc_tls_call(&addr, &["--ca", &ca_pem, "HelloService.Hello", r#""leaf""#]),
            netrpc_tls_call(
                &addr,
                &["--ca", &other_pem, "HelloService.Hello", r#""leaf""#],
            ),
        )
    })
    .await;
    assert_eq!(good, (Some(0), "\"hello:leaf\"\n".into(), String::new()));
    // A CA of the same name that did not sign it.
    assert_eq!(bad.0, Some(2), "{}", bad.2);
    assert!(bad.2.contains("invalid peer certificate"), "{}", bad.2);
}

// ---------------------------------------------------------------------------------------------
// Go's tls.Dial + rpc.NewClient against netrpc serve

#[test]
fn go_client_against_netrpc_serve_with_an_openssl_certificate() {
    let certs = Certs::new();
    let server = openssl_server_cert(&certs, "server");
    let (_netrpc, addr) = netrpc_tls_serve(&server, &[]);
    let done = go_tls_client(&addr, &server.pem, &["-arg", "from go"]);
    assert_eq!(go_reply(&done).0, "hello:from go");

    let ca = certs.self_signed("ca", "netrpc interop CA", None);
    let leaf = certs.issued(
        "leaf",
        &ca,
        "localhost",
        &format!("subjectAltName={LOCALHOST}\n"),
    );
    let (_netrpc, addr) = netrpc_tls_serve(&leaf, &[]);
    let done = go_tls_client(&addr, &ca.pem, &[]);
    assert_eq!(go_reply(&done).0, "hello:world");
}

// ---------------------------------------------------------------------------------------------
// Mutual TLS

/// Certificates for mutual TLS with a Go server: the server's, alice's (its own CA), bob's
/// (signed by a CA), mallory's (named alice, not trusted), and `clients.pem` holding alice's
/// certificate and the CA's, the server's `-client-ca`.
struct MutualCerts {
    /// Holds the files.
    _dir: Certs,
    server: Cert,
    alice: Cert,
    bob: Cert,
    mallory: Cert,
    clients: String,
}

impl MutualCerts {
    fn new() -> Self {
        let certs = Certs::new();
        let server = openssl_server_cert(&certs, "server");
        let alice = certs.self_signed("alice", "alice", None);
        let ca = certs.self_signed("ca", "netrpc interop client CA", None);
        let bob = certs.issued("bob", &ca, "bob", "extendedKeyUsage=clientAuth\n");
        let mallory = certs.self_signed("mallory", "alice", None);
        let clients = certs.path("clients.pem");
        let both = [&alice.pem, &ca.pem]
            .map(|pem| std::fs::read_to_string(pem).unwrap())
            .concat();
        std::fs::write(&clients, both).unwrap();
        Self {
            _dir: certs,
            server,
            alice,
            bob,
            mallory,
            clients,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mutual_tls_netrpc_library_against_a_go_server() {
    let (certs, go, addr) = blocking(|| {
        let certs = MutualCerts::new();
        let (go, addr) = go_tls_server(&certs.server, &["-client-ca", &certs.clients]);
        (certs, go, addr)
    })
    .await;

    // Go verified each certificate and names its holder.
    for (cert, name) in [(&certs.alice, "alice"), (&certs.bob, "bob")] {
        let tls = TlsClientConfig::from_ca_file(&certs.server.pem)
            .unwrap()
            .with_client_cert_files(&cert.pem, &cert.key)
            .unwrap();
        let client = netrpc_tls_client(&addr, tls).await.unwrap();
        let peer = call::<String>(&client, "HelloService.Peer", "")
            .await
            .unwrap();
        assert_eq!(peer, name);
    }

    // Go refuses mallory: under TLS 1.3 the handshake ends before the server has checked the
    // client's certificate, so the refusal fails the call.
    let tls = TlsClientConfig::from_ca_file(&certs.server.pem)
        .unwrap()
        .with_client_cert_files(&certs.mallory.pem, &certs.mallory.key)
        .unwrap();
    let refused = match netrpc_tls_client(&addr, tls).await {
        Ok(client) => hello(&client, "x").await.map(drop),
        Err(err) => Err(err),
    };
    assert!(refused.is_err(), "mallory was let in");
    blocking(move || {
        wait_for_stderr(&go, &["handshake failed", "unknown authority"]);
    })
    .await;
}

#[test]
fn mutual_tls_netrpc_call_against_a_go_server() {
    let certs = MutualCerts::new();
    let (go, addr) = go_tls_server(&certs.server, &["-client-ca", &certs.clients]);
    let call_peer = |cert: Option<&Cert>| {
        let mut args = vec!["--ca", &certs.server.pem];
        if let Some(cert) = cert {
            args.extend(["--cert", &cert.pem, "--key", &cert.key]);
        }
        args.extend(["HelloService.Peer", r#""""#]);
        netrpc_tls_call(&addr, &args)
    };
    assert_eq!(
        call_peer(Some(&certs.alice)),
        (Some(0), "\"alice\"\n".into(), String::new())
    );
    assert_eq!(
        call_peer(Some(&certs.bob)),
        (Some(0), "\"bob\"\n".into(), String::new())
    );
    // Without a certificate, and as mallory: Go refuses the handshake (and says so), and the
    // call fails as a link error.
    for (who, cert, why) in [
        ("nobody", None, "didn't provide a certificate"),
        ("mallory", Some(&certs.mallory), "unknown authority"),
    ] {
        let (code, stdout, stderr) = call_peer(cert);
        assert_eq!((code, stdout.as_str()), (Some(2), ""), "{who}: {stderr}");
        assert!(stderr.starts_with("error: "), "{who}: {stderr}");
        wait_for_stderr(&go, &["handshake failed", why]);
    }
}

#[test]
fn mutual_tls_go_client_against_netrpc_serve() {
    let certs = Certs::new();
    let server = openssl_server_cert(&certs, "server");
    let alice = certs.self_signed("alice", "alice", None);
    let mallory = certs.self_signed("mallory", "alice", None);
    let (netrpc, addr) = netrpc_tls_serve(&server, &["--client-ca", &alice.pem, "--login-by-cert"]);

    // alice's certificate, its own CA, logs her in: Hello answers as to a logged-in client.
    let done = go_tls_client(
        &addr,
        &server.pem,
        &["-cert", &alice.pem, "-key", &alice.key],
    );
    let (reply, local) = go_reply(&done);
    assert_eq!(reply, format!("hello:world, from {local}"));

    // Another "alice": Go sends the certificate (its issuer is the name the server asks for),
    // and netrpc refuses it.
    let done = go_tls_client(
        &addr,
        &server.pem,
        &["-cert", &mallory.pem, "-key", &mallory.key],
    );
    assert_eq!(done.code(), Some(1), "{}{}", done.stdout, done.stderr);
    assert!(done.stderr.starts_with("error: "), "{}", done.stderr);
    wait_for_stderr(&netrpc, &["tls handshake failed", "CaUsedAsEndEntity"]);

    // A client certificate signed by a CA.
    let ca = certs.self_signed("ca", "netrpc interop client CA", None);
    let bob = certs.issued("bob", &ca, "bob", "extendedKeyUsage=clientAuth\n");
    let (_netrpc, addr) = netrpc_tls_serve(&server, &["--client-ca", &ca.pem, "--login-by-cert"]);
    let done = go_tls_client(&addr, &server.pem, &["-cert", &bob.pem, "-key", &bob.key]);
    let (reply, local) = go_reply(&done);
    assert_eq!(reply, format!("hello:world, from {local}"));
}

/// Waits (up to [`LINE_TIMEOUT`]) for a line on `process`'s stderr containing every one of
/// `needles`, and returns the lines read up to it.
fn wait_for_stderr(process: &Process, needles: &[&str]) -> Vec<String> {
    let deadline = std::time::Instant::now() + LINE_TIMEOUT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match process.line(Stream::Stderr, left) {
            Some(line) => {
                let found = needles.iter().all(|needle| line.contains(needle));
                seen.push(line);
                if found {
                    return seen;
                }
            }
            None => panic!(
                "stderr ended without a line with {needles:?}\n{}",
                process.report()
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Disconnects

#[test]
fn a_go_client_exiting_without_close_notify_is_no_warning() {
    let certs = Certs::new();
    let server = openssl_server_cert(&certs, "server");
    // At debug level the server also says when it is done with a connection; a warning would
    // show at any level.
    let mut command = netrpc_command();
    command
        .args(["serve", "--listen", "tls://127.0.0.1:0"])
        .args(["--cert", &server.pem, "--key", &server.key])
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1");
    let netrpc = Process::spawn("netrpc serve tls (debug)", command);
    let addr = netrpc.listening_on(Stream::Stdout);
    let host_port = addr.strip_prefix("tls://").unwrap_or(&addr);

    let done = go_tls_client(host_port, &server.pem, &["-no-close"]);
    let (reply, local) = go_reply(&done);
    assert_eq!(reply, "hello:world");
    // The connection's end, however it is logged.
    let seen = wait_for_end(&netrpc, &local);
    let warnings: Vec<&String> = seen.iter().filter(|line| line.contains("WARN")).collect();
    assert!(
        warnings.is_empty(),
        "warnings for a client that exited:\n{warnings:#?}\n{}",
        netrpc.report()
    );
    assert!(
        seen.iter().any(|line| line.contains("DEBUG")
            && line.contains("without close_notify")
            && line.contains(&local)),
        "{}",
        netrpc.report()
    );

    // A Go client that closes (close_notify) ends as quietly.
    let done = go_tls_client(host_port, &server.pem, &[]);
    let (_, local) = go_reply(&done);
    let seen = wait_for_end(&netrpc, &local);
    assert!(
        !seen
            .iter()
            .any(|line| line.contains("WARN") || line.contains("close_notify")),
        "{}",
        netrpc.report()
    );
}

/// Reads `netrpc`'s stderr up to the line where the server ends its connection from `peer`
/// (`peer closed the connection`, or a warning `closing connection`), and returns the lines.
fn wait_for_end(netrpc: &Process, peer: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + LINE_TIMEOUT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let Some(line) = netrpc.line(Stream::Stderr, left) else {
            panic!(
                "stderr ended before the connection from {peer} did\n{}",
                netrpc.report()
            );
        };
        let end = line.contains(peer)
            && (line.contains("peer closed the connection") || line.contains("closing connection"));
        seen.push(line);
        if end {
            return seen;
        }
    }
}
