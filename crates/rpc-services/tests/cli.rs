//! The `netrpc` command's contract (DESIGN.md, "The `netrpc` command"), checked by running the
//! binary: `serve` prints one `listening on ADDR` line and exits 0 on SIGTERM, `call` prints the
//! reply as JSON (exit 0), a service error as `error: MESSAGE` (exit 1), and bad arguments or a
//! failed link as one line on stderr (exit 2); `watch` prints one JSON line per change.
//!
//! Every address is loopback port 0 or a fresh Unix socket path, and every wait is bounded.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a child may take to print an expected line.
const LINE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a child may take to exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);

fn netrpc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netrpc"))
}

/// One output stream of a child, read line by line on a thread: each line is queued (to wait
/// for it) and logged (for the final output).
struct Lines {
    rx: Receiver<String>,
    log: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Lines {
    fn new(source: impl Read + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel();
        let log = Arc::new(Mutex::new(String::new()));
        let reader = std::thread::spawn({
            let log = log.clone();
            move || {
                let mut source = BufReader::new(source);
                let mut line = String::new();
                while matches!(source.read_line(&mut line), Ok(n) if n > 0) {
                    log.lock().unwrap().push_str(&line);
                    let _ = tx.send(line.trim_end().to_owned());
                    line.clear();
                }
            }
        });
        Self {
            rx,
            log,
            reader: Some(reader),
        }
    }

    fn text(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// A running `netrpc`, killed when dropped.
struct Process {
    what: String,
    child: Child,
    stdout: Lines,
    stderr: Lines,
}

/// How a process ended and what it printed.
#[derive(Debug)]
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Process {
    fn spawn(args: &[&str]) -> Self {
        let mut child = netrpc()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting netrpc");
        Self {
            what: format!("netrpc {}", args.join(" ")),
            stdout: Lines::new(child.stdout.take().unwrap()),
            stderr: Lines::new(child.stderr.take().unwrap()),
            child,
        }
    }

    /// The next stdout line; fails the test if none comes in time.
    fn stdout_line(&self) -> String {
        match self.stdout.rx.recv_timeout(LINE_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                panic!(
                    "{}: no line within {LINE_TIMEOUT:?}; stderr:\n{}",
                    self.what,
                    self.stderr.text()
                )
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!(
                    "{}: stdout ended; stderr:\n{}",
                    self.what,
                    self.stderr.text()
                )
            }
        }
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success());
    }

    /// Waits for the exit, bounded; fails the test (after killing it) on a hang.
    fn wait(mut self) -> Finished {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("{}: still running after {EXIT_TIMEOUT:?}", self.what);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        for lines in [&mut self.stdout, &mut self.stderr] {
            if let Some(reader) = lines.reader.take() {
                reader.join().unwrap();
            }
        }
        Finished {
            status,
            stdout: self.stdout.text(),
            stderr: self.stderr.text(),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `netrpc serve --listen ADDR EXTRA...`, and the address from its one `listening on` line.
fn serve(listen: &str, extra: &[&str]) -> (Process, String) {
    let mut args = vec!["serve", "--listen", listen];
    args.extend_from_slice(extra);
    let server = Process::spawn(&args);
    let line = server.stdout_line();
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("serve printed {line:?}"))
        .to_owned();
    (server, addr)
}

/// Runs `netrpc ARGS...` to the end.
fn run(args: &[&str]) -> Finished {
    Process::spawn(args).wait()
}

/// `netrpc call --connect ADDR --codec CODEC METHOD [ARGS]`.
fn call(addr: &str, codec: &str, method_and_args: &[&str]) -> Finished {
    let mut args = vec!["call", "--connect", addr, "--codec", codec];
    args.extend_from_slice(method_and_args);
    run(&args)
}

/// Asserts a successful call printed `reply` as its one line of JSON.
fn assert_reply(done: &Finished, reply: &str) {
    assert_eq!(done.status.code(), Some(0), "{done:?}");
    assert_eq!(done.stdout, format!("{reply}\n"), "{done:?}");
}

/// Asserts a call failed with the service error `message`: exit 1.
fn assert_service_error(done: &Finished, message: &str) {
    assert_eq!(done.status.code(), Some(1), "{done:?}");
    assert_eq!(done.stderr, format!("error: {message}\n"), "{done:?}");
    assert_eq!(done.stdout, "", "{done:?}");
}

/// Asserts bad usage or a failed link: one line on stderr, exit 2.
fn assert_usage_error(done: &Finished) {
    assert_eq!(done.status.code(), Some(2), "{done:?}");
    assert_eq!(
        done.stderr.lines().count(),
        1,
        "one line on stderr: {done:?}"
    );
    assert!(done.stderr.starts_with("error"), "{done:?}");
    assert_eq!(done.stdout, "", "{done:?}");
}

/// A fresh Unix socket path under the temporary directory.
fn socket_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("netrpc-cli-{}-{n}.sock", std::process::id()))
}

#[test]
fn serve_prints_one_listening_line_and_exits_0_on_sigterm() {
    let (server, addr) = serve("tcp://127.0.0.1:0", &[]);
    let port = addr
        .strip_prefix("tcp://127.0.0.1:")
        .unwrap_or_else(|| panic!("listening on {addr:?}"));
    assert!(port.parse::<u16>().is_ok_and(|p| p != 0), "port {port:?}");
    assert_reply(
        &call(&addr, "json", &["HelloService.Hello", r#""hi""#]),
        r#""hello:hi""#,
    );
    server.terminate();
    let done = server.wait();
    assert_eq!(done.status.code(), Some(0), "{done:?}");
    assert_eq!(done.stdout, format!("listening on {addr}\n"));
}

#[test]
fn call_over_json() {
    let (_server, addr) = serve("tcp://127.0.0.1:0", &["--codec", "json"]);
    assert_reply(
        &call(&addr, "json", &["HelloService.Hello", r#""hi""#]),
        r#""hello:hi""#,
    );
    assert_service_error(
        &call(&addr, "json", &["KVStoreService.Get", r#""missing""#]),
        "not found",
    );
    let set = call(&addr, "json", &["KVStoreService.Set", r#"["k","v"]"#]);
    assert_eq!(set.status.code(), Some(0), "{set:?}");
    assert_reply(
        &call(&addr, "json", &["KVStoreService.Get", r#""k""#]),
        r#""v""#,
    );
    assert_service_error(
        &call(&addr, "json", &["HelloService.Nope", r#""x""#]),
        "rpc: can't find method HelloService.Nope",
    );
    // Without ARGS the argument is Go's zero value.
    assert_reply(&call(&addr, "json", &["HelloService.Hello"]), r#""hello:""#);
    // ARGS_JSON goes as given (whitespace too); the reply is printed on one line, its strings
    // as serde_json writes them (the server sent "v\u003c\u0026\u003e", as Go would).
    let set = call(
        &addr,
        "json",
        &["KVStoreService.Set", "[ \"k2\" ,\n \"v<&>\" ]"],
    );
    assert_eq!(set.status.code(), Some(0), "{set:?}");
    assert_reply(
        &call(&addr, "json", &["KVStoreService.Get", r#""k2""#]),
        r#""v<&>""#,
    );
    assert_usage_error(&call(&addr, "json", &["KVStoreService.Get", "[1,"]));
}

#[test]
fn call_over_postcard() {
    let (_server, addr) = serve("tcp://127.0.0.1:0", &["--codec", "postcard"]);
    assert_reply(
        &call(&addr, "postcard", &["HelloService.Hello", r#""hi""#]),
        r#""hello:hi""#,
    );
    assert_service_error(
        &call(&addr, "postcard", &["KVStoreService.Get", r#""missing""#]),
        "not found",
    );
    let set = call(&addr, "postcard", &["KVStoreService.Set", r#"["k","v"]"#]);
    assert_eq!(set.status.code(), Some(0), "{set:?}");
    assert_reply(
        &call(&addr, "postcard", &["KVStoreService.Get", r#""k""#]),
        r#""v""#,
    );
}

#[test]
fn watch_prints_one_json_line_per_change() {
    let (server, addr) = serve("tcp://127.0.0.1:0", &[]);
    // Start from a revision read first, so that no change can slip in before the watch.
    let revision = call(&addr, "json", &["KVStoreService.Revision"]);
    assert_eq!(revision.status.code(), Some(0), "{revision:?}");
    let revision: u64 = revision.stdout.trim().parse().expect("a revision");
    let from = revision.to_string();
    let watch = Process::spawn(&["watch", "--connect", &addr, "--from", &from]);

    for kv in [r#"["a","1"]"#, r#"["b","2"]"#] {
        let set = call(&addr, "json", &["KVStoreService.Set", kv]);
        assert_eq!(set.status.code(), Some(0), "{set:?}");
    }
    let lines: Vec<Value> = (0..2)
        .map(|_| serde_json::from_str(&watch.stdout_line()).expect("a JSON line"))
        .collect();
    assert_eq!(
        lines,
        [
            json!({"Revision": revision + 1, "Key": "a", "Value": "1"}),
            json!({"Revision": revision + 2, "Key": "b", "Value": "2"}),
        ]
    );

    // Shutting the server down ends the watch too (a link error: exit 2), within the bounds.
    server.terminate();
    assert_eq!(server.wait().status.code(), Some(0));
    assert_eq!(watch.wait().status.code(), Some(2));
}

#[test]
fn bad_arguments_print_one_line_and_exit_2() {
    let (_server, addr) = serve("tcp://127.0.0.1:0", &[]);
    // Each case, and a word its one line of stderr must name (any of them, ignoring case).
    let cases: &[(&[&str], &[&str])] = &[
        (&["frobnicate"], &["frobnicate"]),
        (&["call", "--connect", &addr], &["method"]),
        (
            &[
                "call",
                "--connect",
                &addr,
                "--codec",
                "nope",
                "HelloService.Hello",
            ],
            &["nope"],
        ),
        (
            &[
                "call",
                "--connect",
                &addr,
                "--accept",
                "tcp://127.0.0.1:0",
                "HelloService.Hello",
            ],
            &["--accept", "--connect"],
        ),
        (
            &[
                "call",
                "--connect",
                "nope://x",
                "HelloService.Hello",
                r#""x""#,
            ],
            &["nope"],
        ),
        (
            &["call", "--connect", &addr, "HelloService.Hello", "not json"],
            &["json"],
        ),
        (&["serve", "--listen", "nope://x"], &["nope"]),
        (
            &["serve", "--login", "no-colon"],
            &["user:password", "login"],
        ),
        (&["watch"], &["--connect"]),
    ];
    for (args, words) in cases {
        let done = run(args);
        assert_usage_error(&done);
        let line = done.stderr.to_lowercase();
        assert!(
            words.iter().any(|word| line.contains(&word.to_lowercase())),
            "netrpc {}: {:?} names none of {words:?}",
            args.join(" "),
            done.stderr
        );
    }
}

#[test]
fn unreachable_address_is_a_link_error() {
    // A port nothing listens on: bind one, then free it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let done = call(
        &format!("tcp://{closed}"),
        "json",
        &["HelloService.Hello", r#""x""#],
    );
    assert_usage_error(&done);
    assert!(done.stderr.to_lowercase().contains("refused"), "{done:?}");
}

#[cfg(unix)]
#[test]
fn serve_on_unix_socket_removes_it_after_sigterm() {
    let path = socket_path();
    let listen = format!("unix://{}", path.display());
    let (server, addr) = serve(&listen, &[]);
    assert_eq!(addr, listen);
    assert!(path.exists(), "{} missing while serving", path.display());
    assert_reply(
        &call(&addr, "json", &["HelloService.Hello", r#""hi""#]),
        r#""hello:hi""#,
    );
    // The auto codec answers HTTP on the socket too: its status page.
    let listed = run(&["list", &addr]);
    assert_eq!(listed.status.code(), Some(0), "{listed:?}");
    assert!(
        listed
            .stdout
            .starts_with("HelloService.Hello(string, *string) calls=1\n"),
        "{listed:?}"
    );
    server.terminate();
    assert_eq!(server.wait().status.code(), Some(0));
    assert!(
        !path.exists(),
        "{} left behind after SIGTERM",
        path.display()
    );
}

/// Certificates made up for a test, as PEM files in a fresh directory.
mod certs {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose, SanType,
    };

    pub struct Dir(pub PathBuf);

    impl Dir {
        pub fn new() -> Self {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("netrpc-cli-certs-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        pub fn file(&self, name: &str, contents: &str) -> String {
            let path = self.0.join(name);
            std::fs::write(&path, contents).unwrap();
            path.display().to_string()
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A CA whose certificate is written to `DIR/NAME.pem`.
    pub struct Ca {
        cert: rcgen::Certificate,
        key: KeyPair,
        pub pem_file: String,
    }

    impl Ca {
        pub fn new(dir: &Dir, name: &str) -> Self {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            let key = KeyPair::generate().unwrap();
            let cert = params.self_signed(&key).unwrap();
            let pem_file = dir.file(&format!("{name}.pem"), &cert.pem());
            Self {
                cert,
                key,
                pem_file,
            }
        }

        /// A certificate for `cn` (a server's for localhost and 127.0.0.1, or a client's):
        /// the paths of its certificate and key files.
        pub fn issue(&self, dir: &Dir, cn: &str, server: bool) -> (String, String) {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(DnType::CommonName, cn);
            if server {
                params.subject_alt_names = vec![
                    SanType::DnsName("localhost".try_into().unwrap()),
                    SanType::IpAddress([127, 0, 0, 1].into()),
                ];
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            } else {
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
            (
                dir.file(&format!("{cn}.pem"), &cert.pem()),
                dir.file(&format!("{cn}.key"), &key.serialize_pem()),
            )
        }
    }

    #[allow(dead_code)]
    pub fn exists(path: &str) -> bool {
        Path::new(path).exists()
    }
}

impl Process {
    /// The next stderr line; fails the test if none comes in time.
    fn stderr_line(&self) -> String {
        self.stderr
            .rx
            .recv_timeout(LINE_TIMEOUT)
            .unwrap_or_else(|err| panic!("{}: no stderr line: {err:?}", self.what))
    }
}

/// `serve` without `--cert` makes a self-signed certificate and says where it wrote it; `call`
/// and `watch` trust it with `--ca`, refuse the server without it, and take it with a warning
/// under `--insecure`. Over TLS and over QUIC.
#[test]
fn secure_links_with_a_self_signed_certificate() {
    for scheme in ["tls", "quic"] {
        let (server, addr) = serve(&format!("{scheme}://127.0.0.1:0"), &[]);
        assert!(
            addr.starts_with(&format!("{scheme}://127.0.0.1:")),
            "{addr}"
        );
        let said = server.stderr_line();
        let pem = said
            .split("--ca ")
            .nth(1)
            .and_then(|rest| rest.strip_suffix(')'))
            .unwrap_or_else(|| panic!("serve said {said:?}"))
            .to_owned();
        assert!(said.starts_with("self-signed certificate for "), "{said}");
        for codec in ["gob", "json", "postcard", "protobuf"] {
            let done = run(&[
                "call",
                "--connect",
                &addr,
                "--ca",
                &pem,
                "--codec",
                codec,
                "HelloService.Hello",
                r#""hi""#,
            ]);
            assert_reply(&done, r#""hello:hi""#);
        }
        let set = run(&[
            "call",
            "--connect",
            &addr,
            "--ca",
            &pem,
            "KVStoreService.Set",
            r#"["k","v"]"#,
        ]);
        assert_eq!(set.status.code(), Some(0), "{set:?}");
        assert_reply(
            &run(&[
                "call",
                "--connect",
                &addr,
                "--ca",
                &pem,
                "KVStoreService.Get",
                r#""k""#,
            ]),
            r#""v""#,
        );

        // Not trusted: the system roots do not know a self-signed certificate.
        let refused = run(&["call", "--connect", &addr, "HelloService.Hello", r#""hi""#]);
        assert_usage_error(&refused);
        assert!(refused.stderr.contains("handshake failed"), "{refused:?}");

        // --insecure connects, and says it is insecure.
        let insecure = run(&[
            "call",
            "--connect",
            &addr,
            "--insecure",
            "HelloService.Hello",
            r#""hi""#,
        ]);
        assert_eq!(insecure.status.code(), Some(0), "{insecure:?}");
        assert_eq!(insecure.stdout, "\"hello:hi\"\n");
        assert!(
            insecure.stderr.contains("warning: --insecure"),
            "{insecure:?}"
        );

        server.terminate();
        let done = server.wait();
        assert_eq!(done.status.code(), Some(0), "{done:?}");
        let _ = std::fs::remove_file(&pem);
    }
}

/// Mutual TLS from the command line: `serve --cert --key --client-ca` serves clients whose
/// certificate the CA signed and refuses the others, with a clear one-line error. Over TLS and
/// over QUIC.
#[test]
fn mutual_tls_from_the_command_line() {
    let dir = certs::Dir::new();
    let ca = certs::Ca::new(&dir, "ca");
    let stranger_ca = certs::Ca::new(&dir, "stranger-ca");
    let (server_cert, server_key) = ca.issue(&dir, "server", true);
    let (alice_cert, alice_key) = ca.issue(&dir, "alice", false);
    let (mallory_cert, mallory_key) = stranger_ca.issue(&dir, "mallory", false);
    for scheme in ["tls", "quic"] {
        let (server, addr) = serve(
            &format!("{scheme}://127.0.0.1:0"),
            &[
                "--cert",
                &server_cert,
                "--key",
                &server_key,
                "--client-ca",
                &ca.pem_file,
            ],
        );
        let hello = |extra: &[&str]| {
            let mut args = vec![
                "call",
                "--connect",
                addr.as_str(),
                "--ca",
                ca.pem_file.as_str(),
            ];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["HelloService.Hello", r#""hi""#]);
            run(&args)
        };
        assert_reply(
            &hello(&["--cert", &alice_cert, "--key", &alice_key]),
            r#""hello:hi""#,
        );

        let anonymous = hello(&[]);
        assert_usage_error(&anonymous);
        assert!(
            anonymous.stderr.to_lowercase().contains("certificate"),
            "{anonymous:?}"
        );

        let stranger = hello(&["--cert", &mallory_cert, "--key", &mallory_key]);
        assert_usage_error(&stranger);

        // A server certificate from a CA the client does not trust.
        let unknown = run(&[
            "call",
            "--connect",
            &addr,
            "--ca",
            &stranger_ca.pem_file,
            "--cert",
            &alice_cert,
            "--key",
            &alice_key,
            "HelloService.Hello",
            r#""hi""#,
        ]);
        assert_usage_error(&unknown);
        assert!(unknown.stderr.contains("UnknownIssuer"), "{unknown:?}");

        // The server went on serving through the refusals.
        assert_reply(
            &hello(&["--cert", &alice_cert, "--key", &alice_key]),
            r#""hello:hi""#,
        );
        server.terminate();
        assert_eq!(server.wait().status.code(), Some(0));
    }
}

impl Process {
    /// The address of the `listening on ADDR` line on stderr, skipping other lines before it.
    fn stderr_listening_on(&self) -> String {
        loop {
            let line = self.stderr_line();
            if let Some(addr) = line.strip_prefix("listening on ") {
                return addr.to_owned();
            }
        }
    }
}

/// `serve --rpc-path --debug-path` on an `http://` address: the printed address (with its path)
/// is what `call` dials; Go's default path is not served there; `list` reads the page at its
/// path, and says where to look when it is not at Go's.
#[test]
fn serve_http_on_chosen_paths_for_call_and_list() {
    let (_server, addr) = serve(
        "http://127.0.0.1:0",
        &["--rpc-path", "/foo", "--debug-path", "/foo/debug"],
    );
    let host_port = addr
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/foo"))
        .unwrap_or_else(|| panic!("listening on {addr:?}"));
    assert_reply(
        &call(&addr, "gob", &["HelloService.Hello", r#""hi""#]),
        r#""hello:hi""#,
    );
    // The same, with the path in --listen instead.
    let (_other, other_addr) = serve("http://127.0.0.1:0/foo", &["--debug-path", "/foo/debug"]);
    assert!(other_addr.ends_with("/foo"), "{other_addr}");
    assert_reply(
        &call(&other_addr, "gob", &["HelloService.Hello", r#""hi""#]),
        r#""hello:hi""#,
    );

    let default_path = call(
        &format!("http://{host_port}"),
        "gob",
        &["HelloService.Hello", r#""hi""#],
    );
    assert_usage_error(&default_path);
    assert!(
        default_path
            .stderr
            .contains("404 Not Found (to CONNECT /_goRPC_)"),
        "{default_path:?}"
    );

    let listed = run(&["list", &addr, "--debug-path", "/foo/debug"]);
    assert_eq!(listed.status.code(), Some(0), "{listed:?}");
    assert_eq!(
        listed.stdout,
        "HelloService.Hello(string, *string) calls=1\n\
         KVStoreService.Get(string, *string) calls=0\n\
         KVStoreService.Revision(struct {}, *uint64) calls=0\n\
         KVStoreService.Set([2]string, *struct {}) calls=0\n\
         KVStoreService.Watch(int64, *string) calls=0\n\
         KVStoreService.WatchFrom(WatchFromArgs, *WatchFromReply) calls=0\n"
    );
    let missing = run(&["list", &addr]);
    assert_usage_error(&missing);
    assert!(
        missing.stderr.contains("404 Not Found") && missing.stderr.contains("--debug-path"),
        "{missing:?}"
    );
}

/// `list` on the default `serve` (auto codec on TCP, which answers HTTP too) and `--json`; with
/// a login the per-connection HelloService lists its methods once a connection has built it.
#[test]
fn list_reads_serve_s_page_on_the_auto_port() {
    let (_server, addr) = serve("tcp://127.0.0.1:0", &["--login", "user:password"]);
    let before = run(&["list", &addr]);
    assert_eq!(before.status.code(), Some(0), "{before:?}");
    let mut lines = before.stdout.lines();
    assert_eq!(lines.next(), Some("HelloService (no methods listed)"));
    assert_eq!(
        lines.next(),
        Some("KVStoreService.Get(string, *string) calls=0")
    );

    assert_service_error(
        &call(&addr, "json", &["HelloService.Hello", r#""hi""#]),
        "please login",
    );
    let after = run(&["list", &addr, "--json"]);
    assert_eq!(after.status.code(), Some(0), "{after:?}");
    let services: Value = serde_json::from_str(&after.stdout).expect("one JSON value");
    assert_eq!(
        services[0],
        json!({
            "name": "HelloService",
            "methods": [
                {"name": "Hello", "arg": "string", "reply": "*string", "calls": 1},
                {"name": "Login", "arg": "string", "reply": "*string", "calls": 0},
            ]
        })
    );
    assert_eq!(services[1]["name"], "KVStoreService");
}

/// `--rpc-path` on the auto port: `http://` with that path reaches it, raw clients too.
#[test]
fn serve_auto_port_on_a_chosen_rpc_path() {
    let (_server, addr) = serve("tcp://127.0.0.1:0", &["--rpc-path", "/shared"]);
    let host_port = addr.strip_prefix("tcp://").unwrap();
    assert_reply(
        &call(
            &format!("http://{host_port}/shared"),
            "gob",
            &["HelloService.Hello", r#""hi""#],
        ),
        r#""hello:hi""#,
    );
    assert_reply(
        &call(&addr, "json", &["HelloService.Hello", r#""raw""#]),
        r#""hello:raw""#,
    );
    let wrong = call(
        &format!("http://{host_port}"),
        "gob",
        &["HelloService.Hello", r#""hi""#],
    );
    assert_usage_error(&wrong);
}

#[test]
fn bad_http_paths_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "serve",
                "--listen",
                "http://127.0.0.1:0/a",
                "--rpc-path",
                "/b",
            ],
            "differ",
        ),
        (
            &[
                "serve",
                "--listen",
                "http://127.0.0.1:0",
                "--rpc-path",
                "/x",
                "--debug-path",
                "/x",
            ],
            "both",
        ),
        (
            &[
                "serve",
                "--listen",
                "http://127.0.0.1:0",
                "--debug-path",
                "x",
            ],
            "must start with /",
        ),
        (&["serve", "--listen", "http://127.0.0.1:0/a?b"], "query"),
        (
            &[
                "serve",
                "--listen",
                "tcp://127.0.0.1:0",
                "--codec",
                "gob",
                "--rpc-path",
                "/x",
            ],
            "--codec auto",
        ),
        (&["list", "quic://127.0.0.1:1"], "http://"),
        (
            &["list", "tcp://127.0.0.1:1", "--timeout", "0"],
            "--timeout",
        ),
    ];
    for (args, word) in cases {
        let done = run(args);
        assert_usage_error(&done);
        assert!(
            done.stderr.contains(word),
            "netrpc {}: {:?} does not name {word:?}",
            args.join(" "),
            done.stderr
        );
    }
}

/// `call --accept`: the `listening on` line (and a self-signed certificate's notice) go to
/// stderr; stdout carries only the reply, whatever the transport. The serving side is `netrpc
/// reverse --dial`.
#[test]
fn call_accept_prints_only_the_reply_on_stdout() {
    for listen in [
        "tcp://127.0.0.1:0",
        "http://127.0.0.1:0/reverse",
        "tls://127.0.0.1:0",
    ] {
        let calling =
            Process::spawn(&["call", "--accept", listen, "HelloService.Hello", r#""hi""#]);
        // Over TLS, call first says where it wrote its self-signed certificate.
        let ca = listen.starts_with("tls").then(|| {
            let said = calling.stderr_line();
            said.split("--ca ")
                .nth(1)
                .and_then(|rest| rest.strip_suffix(')'))
                .unwrap_or_else(|| panic!("call said {said:?}"))
                .to_owned()
        });
        let addr = calling.stderr_listening_on();
        let scheme = listen.split("://").next().unwrap();
        assert!(
            addr.starts_with(&format!("{scheme}://127.0.0.1:")),
            "{addr}"
        );
        assert_eq!(listen.ends_with("/reverse"), addr.ends_with("/reverse"));
        let mut reverse = vec!["reverse", "--dial", &addr];
        if let Some(ca) = &ca {
            reverse.extend_from_slice(&["--ca", ca]);
        }
        let _serving = Process::spawn(&reverse);
        let done = calling.wait();
        assert_eq!(done.status.code(), Some(0), "{listen}: {done:?}");
        assert_eq!(done.stdout, "\"hello:hi\"\n", "{listen}: {done:?}");
        assert!(
            done.stderr.contains(&format!("listening on {addr}\n")),
            "{listen}: {done:?}"
        );
        if let Some(ca) = ca {
            let _ = std::fs::remove_file(ca);
        }
    }
}

#[test]
fn plugin_call_bad_arguments_and_missing_plugins_exit_2() {
    // Bad arguments: one line, exit 2 (the plugin is never started).
    for args in [
        &["plugin", "call", "--cmd", "/bin/true", "Plugin.Greet"][..],
        &[
            "plugin",
            "call",
            "--cmd",
            "/bin/true",
            "--cookie",
            "NOEQUALS",
            "--dispense",
            "x",
            "Plugin.Greet",
        ],
        &[
            "plugin",
            "call",
            "--cmd",
            "/bin/true",
            "--dispense",
            "x",
            "Plugin.Greet",
            "{not json",
        ],
        &[
            "plugin",
            "call",
            "--cmd",
            "/bin/true",
            "--dispense",
            "x",
            "--arg-type",
            "chan int",
            "Plugin.Greet",
        ],
    ] {
        assert_usage_error(&run(args));
    }
    // No such program.
    let missing = std::env::temp_dir().join(format!("netrpc-no-plugin-{}", std::process::id()));
    let done = run(&[
        "plugin",
        "call",
        "--cmd",
        missing.to_str().unwrap(),
        "--dispense",
        "greeter",
        "Plugin.Greet",
    ]);
    assert_usage_error(&done);
    assert!(done.stderr.contains("starting plugin"), "{done:?}");
    // A program that exits without a handshake line: go-plugin's text, exit 2.
    let done = run(&[
        "plugin",
        "call",
        "--cmd",
        "/bin/true",
        "--dispense",
        "greeter",
        "Plugin.Greet",
    ]);
    assert_eq!(done.status.code(), Some(2), "{done:?}");
    assert!(
        done.stderr.starts_with(
            "error: starting plugin /bin/true: Unrecognized remote plugin message: \n\
             Failed to read any lines from plugin's stdout\nThis usually means"
        ),
        "{done:?}"
    );
}
