//! Logins as a layer, end to end over real server connections: the guard and its session per
//! connection, failed logins slowed down per connection and per peer address (under tokio's
//! paused clock, over `mem://`, so every delay is exact virtual time and nothing sleeps for
//! real), argon2 credentials files, client certificates standing in for a login over `tls://`,
//! and the `netrpc serve` options.
//!
//! Every network address is loopback port 0; every wait on a child process is bounded.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use netrpc::transport::tls::{TlsClientConfig, TlsServerConfig};
use netrpc::transport::{DialOptions, ListenOptions};
use netrpc::{Client, ConnContext, Json, Layer, Server, service};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rpc_services::LoginHelloService;
use rpc_services::auth::{
    Auth, CertificateLogins, HashCost, LoggedIn, LoginLimits, LoginService, Password, PasswordFile,
    PeerKey, PlainPassword, RequireLoginLayer, Session, hash_password,
};
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// 100 ms doubling to 800 ms; failures of a peer address last (an hour's half-life).
const LIMITS: LoginLimits = LoginLimits {
    first_delay: Duration::from_millis(100),
    max_delay: Duration::from_millis(800),
    half_life: Duration::from_secs(3600),
    max_peers: 64,
};

fn plain_auth() -> Auth {
    Auth::new(PlainPassword::new("user:password")).with_limits(LIMITS)
}

/// A server of the seed's `HelloService` with login, with no timers of its own (under the
/// paused clock only the login delays move time).
fn hello_server(auth: Auth) -> Server {
    Server::builder()
        .handshake_timeout(None)
        .write_timeout(None)
        .register_per_connection("HelloService", move |ctx| {
            LoginHelloService::new(ctx, auth.clone())
        })
        .build()
}

/// Serves `server` on a fresh `mem://` listener; returns its address.
async fn serve_mem(server: &Server) -> String {
    let listener = netrpc::transport::listen(&"mem://".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    let server = server.clone();
    tokio::spawn(async move { server.serve(listener, Json).await });
    addr
}

async fn dial(addr: &str) -> Client {
    Client::builder()
        .write_timeout(None)
        .dial(addr, Json)
        .await
        .unwrap()
}

async fn login(client: &Client, credentials: &str) -> Result<String, String> {
    client
        .call::<_, String>("HelloService.Login", credentials)
        .await
        .map_err(|err| {
            err.server_message()
                .unwrap_or("not a service error")
                .to_owned()
        })
}

/// A login and how long (virtual time) its answer took.
async fn timed_login(client: &Client, credentials: &str) -> (Result<String, String>, Duration) {
    let start = Instant::now();
    let result = login(client, credentials).await;
    (result, start.elapsed())
}

async fn hello(client: &Client) -> Result<String, String> {
    client
        .call::<_, String>("HelloService.Hello", "x")
        .await
        .map_err(|err| {
            err.server_message()
                .unwrap_or("not a service error")
                .to_owned()
        })
}

/// `actual` is `expected` up to the paused clock's millisecond rounding.
#[track_caller]
fn assert_delay(actual: Duration, expected: Duration, what: &str) {
    assert!(
        actual >= expected && actual <= expected + ms(2),
        "{what}: took {actual:?}, expected {expected:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The guard

struct Vault;

service! {
    impl Vault {
        #[rpc("Open")]
        async fn open(&self, _request: String) -> Result<String, String> {
            Ok("treasure".into())
        }

        #[rpc("Ping")]
        async fn ping(&self, _request: String) -> Result<String, String> {
            Ok("pong".into())
        }
    }
}

/// Tells who the connection is logged in as.
struct WhoAmI;

service! {
    impl WhoAmI {
        #[rpc("Get")]
        async fn get(&self, ctx: &ConnContext, _request: String) -> Result<String, String> {
            Ok(match Session::of(ctx).and_then(|session| session.user()) {
                Some(LoggedIn { user, method }) => format!("{user} by {method:?}"),
                None => "nobody".into(),
            })
        }
    }
}

async fn call(client: &Client, method: &str) -> Result<String, String> {
    client
        .call::<_, String>(method, "")
        .await
        .map_err(|err| err.to_string())
}

#[tokio::test(start_paused = true)]
async fn guarded_services_answer_please_login_until_the_connection_logs_in() {
    let auth = plain_auth();
    let server = Server::builder()
        .handshake_timeout(None)
        .write_timeout(None)
        // `Auth.Login` logs in for every guarded service of the connection.
        .register_name("Auth", LoginService::new(auth.clone()))
        // Registered once for all connections: the session is found per call.
        .register(
            RequireLoginLayer::new(auth.clone())
                .open(&["Ping"])
                .layer(Vault),
        )
        .register(WhoAmI)
        .build();
    let addr = serve_mem(&server).await;

    let client = dial(&addr).await;
    assert_eq!(
        call(&client, "Vault.Open").await.unwrap_err(),
        "please login"
    );
    assert_eq!(
        call(&client, "Vault.Ping").await.unwrap(),
        "pong",
        "an open method"
    );
    assert_eq!(
        call(&client, "Vault.Nope").await.unwrap_err(),
        "rpc: can't find method Vault.Nope",
        "a missing method is still missing"
    );
    assert_eq!(call(&client, "WhoAmI.Get").await.unwrap(), "nobody");
    let failed = client
        .call::<_, String>("Auth.Login", "user:wrong")
        .await
        .unwrap_err();
    assert_eq!(failed.server_message(), Some("auth failed"));
    assert_eq!(
        call(&client, "Vault.Open").await.unwrap_err(),
        "please login"
    );
    let ok: String = client.call("Auth.Login", "user:password").await.unwrap();
    assert_eq!(ok, "");
    assert_eq!(call(&client, "Vault.Open").await.unwrap(), "treasure");
    assert_eq!(
        call(&client, "WhoAmI.Get").await.unwrap(),
        "user by Password"
    );

    // Another connection has a session of its own.
    let other = dial(&addr).await;
    assert_eq!(
        call(&other, "Vault.Open").await.unwrap_err(),
        "please login"
    );
    assert_eq!(call(&client, "Vault.Open").await.unwrap(), "treasure");
}

#[tokio::test(start_paused = true)]
async fn login_hello_service_keeps_the_seeds_wire_behaviour() {
    let server = hello_server(plain_auth());
    let addr = serve_mem(&server).await;
    let client = dial(&addr).await;
    assert_eq!(hello(&client).await.unwrap_err(), "please login");
    assert_eq!(
        login(&client, "user:wrong").await.unwrap_err(),
        "auth failed"
    );
    assert_eq!(hello(&client).await.unwrap_err(), "please login");
    assert_eq!(login(&client, "user:password").await.unwrap(), "");
    let reply = hello(&client).await.unwrap();
    assert!(reply.starts_with("hello:x, from mem://"), "{reply}");
    let names: Vec<_> = server.status()[0]
        .methods
        .iter()
        .map(|m| m.method.name)
        .collect();
    assert_eq!(names, ["Hello", "Login"]);
}

// ---------------------------------------------------------------------------------------------
// Failed logins: growing delays

#[tokio::test(start_paused = true)]
async fn brute_force_on_one_connection_meets_growing_delays() {
    let auth = plain_auth();
    let server = hello_server(auth.clone());
    let addr = serve_mem(&server).await;
    let client = dial(&addr).await;

    for (attempt, expected) in [100, 200, 400, 800, 800, 800].into_iter().enumerate() {
        let (result, took) = timed_login(&client, &format!("user:guess{attempt}")).await;
        assert_eq!(result.unwrap_err(), "auth failed");
        assert_delay(took, ms(expected), &format!("failure {}", attempt + 1));
        // Other calls are not slowed down.
        let start = Instant::now();
        assert_eq!(hello(&client).await.unwrap_err(), "please login");
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
    // Success is answered at once, and clears the connection's count but not the address's.
    let (result, took) = timed_login(&client, "user:password").await;
    assert_eq!(result.unwrap(), "");
    assert_eq!(took, Duration::ZERO);
    let key = PeerKey::of(&netrpc::transport::Peer::new("mem", format!("{addr}#1")));
    assert_eq!(auth.limiter().failures(&key), 6);
    let (result, took) = timed_login(&client, "user:again-wrong").await;
    assert_eq!(result.unwrap_err(), "auth failed");
    assert_delay(
        took,
        ms(800),
        "after a success, the address's failures still count",
    );
    assert!(
        hello(&client).await.is_ok(),
        "a failed login does not log out"
    );

    // Two half-lives later the address's 7 failures are down to 1: a failure now is its
    // 2nd, 200 ms.
    tokio::time::advance(Duration::from_secs(2 * 3600)).await;
    assert_eq!(auth.limiter().failures(&key), 1);
    let fresh = dial(&addr).await;
    let (_, took) = timed_login(&fresh, "user:x").await;
    assert_delay(took, ms(200), "after two half-lives");
}

#[tokio::test(start_paused = true)]
async fn brute_force_over_many_connections_of_one_address_meets_growing_delays() {
    let auth = plain_auth();
    let server = hello_server(auth.clone());
    let addr = serve_mem(&server).await;
    // Another address served by the same server (another mem listener).
    let elsewhere = serve_mem(&server).await;

    // One failure per connection, one connection after another: the address's count grows.
    for (n, expected) in [100, 200, 400, 800, 800].into_iter().enumerate() {
        let client = dial(&addr).await;
        let (result, took) = timed_login(&client, "user:guess").await;
        assert_eq!(result.unwrap_err(), "auth failed");
        assert_delay(took, ms(expected), &format!("connection {}", n + 1));
    }
    // Another address is not slowed down by this one.
    let client = dial(&elsewhere).await;
    let (_, took) = timed_login(&client, "user:guess").await;
    assert_delay(took, ms(100), "another address");
}

#[tokio::test(start_paused = true)]
async fn logins_sent_at_once_over_many_connections_take_turns() {
    let server = hello_server(plain_auth());
    let addr = serve_mem(&server).await;
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(dial(&addr).await);
    }
    let start = Instant::now();
    let attempts = clients.iter().map(|client| async move {
        let result = login(client, "user:guess").await;
        (result, start.elapsed())
    });
    let mut answered: Vec<Duration> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|(result, at)| {
            assert_eq!(result.unwrap_err(), "auth failed");
            at
        })
        .collect();
    answered.sort();
    // One after another: each waits for the previous answer, then its own delay.
    for (at, expected) in answered.iter().zip([100, 300, 700, 1500]) {
        assert_delay(*at, ms(expected), "answer");
    }

    // Many at once on one connection take turns too.
    let client = dial(&addr).await;
    let start = Instant::now();
    let attempts = (0..3).map(|_| {
        let client = &client;
        async move {
            let _ = login(client, "user:guess").await;
            start.elapsed()
        }
    });
    let mut answered = futures_util::future::join_all(attempts).await;
    answered.sort();
    // The address is at 4 failures: 800 ms each (the cap), one after another.
    for (at, expected) in answered.iter().zip([800, 1600, 2400]) {
        assert_delay(*at, ms(expected), "answer on one connection");
    }
}

#[tokio::test(start_paused = true)]
async fn hanging_up_during_the_delay_leaves_it_behind() {
    let auth = plain_auth();
    let server = hello_server(auth.clone());
    let addr = serve_mem(&server).await;
    let key = PeerKey::Addr(addr.clone());
    let warm = dial(&addr).await;
    for _ in 0..3 {
        let _ = login(&warm, "user:guess").await;
    }
    assert_eq!(auth.limiter().failures(&key), 3);

    // The 4th failure (800 ms) is sent, and its connection closed while it waits.
    let quitter = dial(&addr).await;
    let start = Instant::now();
    let pending = quitter.go::<_, String>("HelloService.Login", "user:guess".to_owned());
    let mut spins = 0;
    while auth.limiter().failures(&key) < 4 {
        spins += 1;
        assert!(spins < 100_000, "the failure was never counted");
        tokio::task::yield_now().await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    drop(pending);
    quitter.close();

    // The next attempt still waits out those 800 ms before it is even checked.
    let next = dial(&addr).await;
    let (result, _) = timed_login(&next, "user:guess").await;
    assert_eq!(result.unwrap_err(), "auth failed");
    assert_delay(
        start.elapsed(),
        ms(1600),
        "800 ms left behind, then 800 ms of its own",
    );
}

/// Log lines written on this thread (current-thread tests run their tasks on it).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(start_paused = true)]
async fn failed_logins_are_logged_without_passwords() {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = hello_server(plain_auth());
    let addr = serve_mem(&server).await;
    let client = dial(&addr).await;
    let _ = login(&client, "alice:hunter2-guess").await;
    let _ = login(&client, "just-a-hunter2-password").await;
    let _ = login(&client, "user\nFAKE LINE:hunter2").await;
    login(&client, "user:password").await.unwrap();

    let text = logs.text();
    assert!(!text.contains("hunter2"), "a password was logged:\n{text}");
    assert!(
        !text.contains(":password"),
        "a password was logged:\n{text}"
    );
    let failed: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("login failed"))
        .collect();
    assert_eq!(failed.len(), 3, "{text}");
    assert!(failed[0].contains(r#"user="alice""#), "{}", failed[0]);
    assert!(failed[0].contains("connection_failures=1"), "{}", failed[0]);
    assert!(failed[0].contains("peer_failures=1"), "{}", failed[0]);
    assert!(failed[0].contains("delay_ms=100"), "{}", failed[0]);
    assert!(
        failed[0].contains(&format!("peer={addr}#1")),
        "{}",
        failed[0]
    );
    assert!(failed[1].contains("user=(none)"), "{}", failed[1]);
    assert!(
        failed[2].contains(r#"user="user\nFAKE LINE""#),
        "{}",
        failed[2]
    );
    assert!(!text.contains("\nFAKE LINE"), "a forged log line:\n{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("login ok") && l.contains(r#"user="user""#)),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// argon2 credentials files over TCP

fn cheap_hash(password: &str) -> String {
    hash_password(&Password::new(password), HashCost::INSECURE_FOR_TESTS).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_file_logins_over_tcp() {
    let file = PasswordFile::parse(&format!(
        "alice:{}\nbob:{}\n",
        cheap_hash("alice's password"),
        cheap_hash("bob's password")
    ))
    .unwrap();
    let auth = Auth::new(file).with_limits(LoginLimits {
        first_delay: ms(1),
        max_delay: ms(4),
        ..LIMITS
    });
    let server = hello_server(auth);
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    tokio::spawn({
        let server = server.clone();
        async move { server.serve(listener, Json).await }
    });

    let client = Client::dial(&addr, Json).await.unwrap();
    assert_eq!(hello(&client).await.unwrap_err(), "please login");
    for wrong in [
        "alice:bob's password",
        "carol:alice's password",
        "alice",
        "",
    ] {
        assert_eq!(
            login(&client, wrong).await.unwrap_err(),
            "auth failed",
            "{wrong}"
        );
    }
    assert_eq!(login(&client, "alice:alice's password").await.unwrap(), "");
    let reply = hello(&client).await.unwrap();
    assert!(reply.starts_with("hello:x, from 127.0.0.1:"), "{reply}");

    let bob = Client::dial(&addr, Json).await.unwrap();
    assert_eq!(login(&bob, "bob:bob's password").await.unwrap(), "");
    server.shutdown(Duration::from_secs(5)).await;
}

// ---------------------------------------------------------------------------------------------
// Client certificates standing in for a login (mutual TLS)

/// A certificate authority made up for a test.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// A certificate and its key, PEM.
struct Issued {
    cert_pem: String,
    key_pem: String,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "netrpc test CA");
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

    fn pem(&self) -> String {
        self.cert.pem()
    }

    fn issue(&self, cn: &str, sans: Vec<SanType>, usage: ExtendedKeyUsagePurpose) -> Issued {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.subject_alt_names = sans;
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    fn client(&self, cn: &str) -> Issued {
        self.issue(cn, Vec::new(), ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn server(&self) -> Issued {
        self.issue(
            "server",
            vec![
                SanType::DnsName("localhost".try_into().unwrap()),
                SanType::IpAddress([127, 0, 0, 1].into()),
            ],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_client_certificate_stands_in_for_a_login() {
    let clients_ca = Ca::new();
    let (server_tls, server_pem) =
        TlsServerConfig::self_signed(&["localhost", "127.0.0.1"]).unwrap();
    let server_tls = server_tls
        .with_client_ca_pem(clients_ca.pem().as_bytes())
        .unwrap();
    let auth = Auth::new(PlainPassword::new("user:password"))
        .with_certificate_logins(CertificateLogins::names(["alice"]))
        .with_limits(LoginLimits {
            first_delay: ms(1),
            ..LIMITS
        });
    let server = Server::builder()
        .register_per_connection("HelloService", {
            let auth = auth.clone();
            move |ctx| LoginHelloService::new(ctx, auth.clone())
        })
        .register(WhoAmI)
        .build();
    let listener = netrpc::transport::listen_with(
        &"tls://127.0.0.1:0".parse().unwrap(),
        &ListenOptions::new().with_tls(server_tls),
    )
    .await
    .unwrap();
    let addr = listener.local_addr().to_string();
    tokio::spawn({
        let server = server.clone();
        async move { server.serve(listener, Json).await }
    });
    let dial_as = |who: Issued| {
        let addr = addr.clone();
        let server_pem = server_pem.clone();
        async move {
            let tls = TlsClientConfig::from_ca_pem(server_pem.as_bytes())
                .unwrap()
                .with_client_cert_pem(who.cert_pem.as_bytes(), who.key_pem.as_bytes())
                .unwrap();
            Client::builder()
                .dial_options(DialOptions::new().with_tls(tls))
                .dial(&addr, Json)
                .await
                .unwrap()
        }
    };

    // alice's certificate is allowed: logged in from the first call, no Login.
    let alice = dial_as(clients_ca.client("alice")).await;
    let reply = hello(&alice).await.unwrap();
    assert!(reply.starts_with("hello:x, from 127.0.0.1:"), "{reply}");
    assert_eq!(
        call(&alice, "WhoAmI.Get").await.unwrap(),
        "alice by Certificate"
    );

    // mallory's is verified but not allowed: a password is still needed.
    let mallory = dial_as(clients_ca.client("mallory")).await;
    assert_eq!(hello(&mallory).await.unwrap_err(), "please login");
    assert_eq!(call(&mallory, "WhoAmI.Get").await.unwrap(), "nobody");
    assert_eq!(login(&mallory, "user:password").await.unwrap(), "");
    assert!(hello(&mallory).await.is_ok());
    assert_eq!(
        call(&mallory, "WhoAmI.Get").await.unwrap(),
        "user by Password"
    );

    // With every verified certificate allowed, mallory's logs in as its common name.
    let any = auth.with_certificate_logins(CertificateLogins::any());
    let server = Server::builder()
        .register_per_connection("HelloService", move |ctx| {
            LoginHelloService::new(ctx, any.clone())
        })
        .register(WhoAmI)
        .build();
    let (server_tls, server_pem) = TlsServerConfig::self_signed(&["127.0.0.1"]).unwrap();
    let listener = netrpc::transport::listen_with(
        &"tls://127.0.0.1:0".parse().unwrap(),
        &ListenOptions::new().with_tls(
            server_tls
                .with_client_ca_pem(clients_ca.pem().as_bytes())
                .unwrap(),
        ),
    )
    .await
    .unwrap();
    let addr = listener.local_addr().to_string();
    tokio::spawn(async move { server.serve(listener, Json).await });
    let who = clients_ca.client("mallory");
    let tls = TlsClientConfig::from_ca_pem(server_pem.as_bytes())
        .unwrap()
        .with_client_cert_pem(who.cert_pem.as_bytes(), who.key_pem.as_bytes())
        .unwrap();
    let mallory = Client::builder()
        .dial_options(DialOptions::new().with_tls(tls))
        .dial(&addr, Json)
        .await
        .unwrap();
    assert!(hello(&mallory).await.is_ok());
    assert_eq!(
        call(&mallory, "WhoAmI.Get").await.unwrap(),
        "mallory by Certificate"
    );
}

// ---------------------------------------------------------------------------------------------
// `netrpc serve --credentials`, `--login-by-cert`, `netrpc hash-password`

/// How long a child may take to print an expected line or to exit.
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rpc-services-auth-{}-{}",
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

fn netrpc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netrpc"))
}

/// `netrpc serve`, killed when dropped.
struct Serving {
    child: Child,
    addr: String,
}

impl Serving {
    fn start(args: &[&str]) -> Self {
        let mut child = netrpc()
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(CHILD_TIMEOUT).unwrap_or_default();
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            panic!("netrpc serve {args:?} printed {line:?}");
        };
        Self {
            addr: addr.to_owned(),
            child,
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `netrpc ARGS` with `stdin`; returns the exit code, stdout and stderr.
fn run(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let mut child = netrpc()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The command may exit before reading (bad arguments).
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = rx
        .recv_timeout(CHILD_TIMEOUT)
        .unwrap_or_else(|_| panic!("netrpc {args:?} did not exit"))
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn serve_with_a_credentials_file_made_by_hash_password() {
    let (code, line, stderr) = run(&["hash-password", "alice"], "correct horse\n");
    assert_eq!(code, Some(0), "{stderr}");
    let line = line.trim();
    assert!(line.starts_with("alice:$argon2id$v=19$"), "{line}");
    assert!(!line.contains("correct horse"));
    let dir = TempDir::new();
    let file = dir.write("credentials", &format!("# made by hash-password\n{line}\n"));
    let file = file.to_str().unwrap();

    let server = Serving::start(&["--listen", "tcp://127.0.0.1:0", "--credentials", file]);
    let login = |credentials: &str| {
        run(
            &[
                "call",
                "--connect",
                &server.addr,
                "--codec",
                "json",
                "HelloService.Login",
                &serde_json::to_string(credentials).unwrap(),
            ],
            "",
        )
    };
    let (code, stdout, stderr) = login("alice:correct horse");
    assert_eq!((code, stdout.trim()), (Some(0), r#""""#), "{stderr}");
    let (code, _, stderr) = login("alice:wrong");
    assert_eq!((code, stderr.trim()), (Some(1), "error: auth failed"));
}

#[test]
fn hash_password_and_credentials_errors_are_one_line_exit_2() {
    let (code, stdout, stderr) = run(&["hash-password", "alice"], "");
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no password"), "{stderr}");
    let (code, _, stderr) = run(&["hash-password", "al:ice"], "pw\n");
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let dir = TempDir::new();
    let bad = dir.write("bad", &format!("alice:{}\nbob:hunter2\n", cheap_hash("pw")));
    let missing = dir.0.join("missing");
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec!["--credentials", bad.to_str().unwrap()],
            "line 2: user \"bob\": not a PHC password hash",
        ),
        (vec!["--credentials", missing.to_str().unwrap()], "missing"),
        (
            vec!["--credentials", bad.to_str().unwrap(), "--login", "a:b"],
            "cannot be used with",
        ),
        (vec!["--login-by-cert"], "--client-ca"),
    ];
    for (args, words) in cases {
        let mut all = vec!["serve", "--listen", "tcp://127.0.0.1:0"];
        all.extend(args.iter().copied());
        let (code, stdout, stderr) = run(&all, "");
        assert_eq!(code, Some(2), "{all:?}: {stderr}");
        assert!(stdout.is_empty(), "{all:?}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{all:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{all:?}: {stderr}");
        assert!(stderr.contains(words), "{all:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}

#[test]
fn serve_login_by_cert_over_tls() {
    let ca = Ca::new();
    let dir = TempDir::new();
    let file = |name: &str, contents: &str| dir.write(name, contents).display().to_string();
    let ca_pem = file("ca.pem", &ca.pem());
    let server_cert = ca.server();
    let server_pem = file("server.pem", &server_cert.cert_pem);
    let server_key = file("server.key", &server_cert.key_pem);
    let alice = ca.client("alice");
    let alice_pem = file("alice.pem", &alice.cert_pem);
    let alice_key = file("alice.key", &alice.key_pem);

    let server = Serving::start(&[
        "--listen",
        "tls://127.0.0.1:0",
        "--cert",
        &server_pem,
        "--key",
        &server_key,
        "--client-ca",
        &ca_pem,
        "--login-by-cert",
    ]);
    let (code, stdout, stderr) = run(
        &[
            "call",
            "--connect",
            &server.addr,
            "--ca",
            &ca_pem,
            "--cert",
            &alice_pem,
            "--key",
            &alice_key,
            "HelloService.Hello",
            r#""x""#,
        ],
        "",
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.starts_with(r#""hello:x, from 127.0.0.1:"#),
        "{stdout}"
    );

    // With --login-by-cert alone no password logs in.
    let (code, _, stderr) = run(
        &[
            "call",
            "--connect",
            &server.addr,
            "--ca",
            &ca_pem,
            "--cert",
            &alice_pem,
            "--key",
            &alice_key,
            "HelloService.Login",
            r#""user:password""#,
        ],
        "",
    );
    assert_eq!((code, stderr.trim()), (Some(1), "error: auth failed"));
}
