//! Real Go programs against netrpc, both directions.
//!
//! `go/` is a Go module (standard library only, `go 1.19`) with programs written like the Go
//! chapter's code (`../shared/seed/`, section 4.3):
//!
//! - `seedserver` serves the seed's `HelloService` and `KVStoreService` with Go's `net/rpc`
//!   (`-listen ADDR` prints `listening on ADDR`; `-dial ADDR` is the service side of reverse
//!   RPC; `-login user:password` makes `HelloService` per connection with `Login`). `-codec
//!   json` (the default, `net/rpc/jsonrpc`) or `-codec gob` (Go's default codec,
//!   `rpc.ServeConn`) picks the wire format; `-http` serves Go's HTTP transport instead
//!   (`rpc.HandleHTTP` and `http.Serve`: `CONNECT /_goRPC_` then gob, and `GET /debug/rpc`);
//! - `seedclient` runs a scenario of calls and checks (`-scenario seed|shared|login|hello`) over
//!   a link it dials (`-connect ADDR`) or accepts (`-accept ADDR`, the calling side of reverse
//!   RPC), with the same `-codec json|gob`, or `-http` to dial with `rpc.DialHTTP`, and exits 0
//!   only if every check passed (`shared` is the seed scenario for a store other clients change
//!   at the same time, on keys starting with `-prefix`);
//! - `zoo` serves (`-listen`) or calls and checks (`-connect`) a `ZooService` over gob whose
//!   methods echo a zoo of Go types; [`zoo`] is its Rust twin;
//! - `tlspeer` serves net/rpc over Go's `tls.Listen` (`-cert`/`-key`, `-client-ca` for mutual
//!   TLS) or makes one call over `tls.Dial` and `rpc.NewClient` (`-ca`, `-cert`/`-key`,
//!   `-no-close` to exit without TLS close_notify);
//! - `httppaths` serves two `rpc.Server`s on one HTTP mux at paths of their own (`-listen`:
//!   `Server.HandleHTTP("/alpha", "/alpha/debug")` and `("/beta", "/beta/debug")`, each
//!   answering `Hello` with its name), or calls one with `rpc.DialHTTPPath` (`-connect ADDR
//!   -path PATH`);
//! - `jsonvalues` serves (`-listen`) or calls and checks (`-connect`) a `Values` service over
//!   jsonrpc for the values Go's `encoding/json` writes in forms of its own: `[]byte` as base64
//!   (echoed, and the JSON text a method received) and `*big.Int` as a bare number
//!   (`Double`, `Pow2`);
//! - `realgo` serves (`-listen`) or calls and checks (`-connect`) a `Ledger` whose `Event` holds
//!   Go's marshaler types (`time.Time`, `*big.Int`, `*big.Rat`, `*url.URL`), interface values,
//!   `[]byte` and a string that is not UTF-8, over gob or, with `-json`, jsonrpc; [`realgo`] is
//!   its Rust twin.
//!
//! `goplugin/` is a second Go module (`go 1.24`, for HashiCorp's go-plugin stack) whose
//! dependencies come from the Go module proxy, pinned by its `go.sum`: `hashicorp/yamux
//! v0.1.2`. Its `yamuxpeer` listens or dials (`-listen`/`-dial`, `-net tcp|unix`) as a yamux
//! server or client and plays a scenario (`-mode echo|open|order|hold|goaway|expect-goaway|
//! expect-reset|idle|rpc-server|rpc-client`) against netrpc's yamux; [`goplugin_program`] builds
//! it (`tests/yamux.rs`). Its `testhost` and `testplugin` are a go-plugin v1.8.0 host and
//! plugin (broker callbacks both ways, concurrent calls, faults), which [`go_plugin`] runs with
//! go-plugin's own `examples/basic` against netrpc-plugin (`tests/goplugin.rs`).
//!
//! This crate builds them once per test process ([`go_program`], [`goplugin_program`]), finds or builds the `netrpc`
//! command ([`netrpc_command`]), and runs child processes with bounded waits ([`Process`]), so
//! the tests in `tests/` can pit Go against netrpc's library and command.
//!
//! ```no_run
//! use interop::{Process, Stream, go_program, netrpc_command};
//!
//! let mut serve = netrpc_command();
//! serve.args(["serve", "--listen", "tcp://127.0.0.1:0", "--codec", "json"]);
//! let server = Process::spawn("netrpc serve", serve);
//! let addr = server.listening_on(Stream::Stdout);
//!
//! let mut client = go_program("seedclient");
//! client.args(["-connect", &addr, "-scenario", "hello"]);
//! Process::spawn("seedclient", client).wait_success();
//! ```
//!
//! Go is required, never optional: when `go` is missing the tests fail and say so
//! (`scripts/test` installs it). `INTEROP_GO` names another `go` binary (say, Debian's Go 1.19
//! at `/usr/lib/go-1.19/bin/go`). The `go/` build downloads nothing (`GOTOOLCHAIN=local
//! GOPROXY=off`); `goplugin/` needs Go 1.24 or newer (`INTEROP_GOPLUGIN_GO` names one; an older
//! Go fails the tests, saying so) and fetches only what its `go.sum` pins, never a toolchain.
#![deny(missing_docs)]

pub mod go_plugin;
pub mod realgo;
pub mod zoo;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use netrpc::Client;
use netrpc::transport::{Connection, Peer};

/// How long a child may take to print an expected line (`listening on ...`) before the test
/// fails.
pub const LINE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a child may take to exit before the test fails.
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(120);

/// The Go module's directory.
pub fn go_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("go")
}

/// Cargo's target directory, found from the running test executable
/// (`<target>/<profile>/deps/<test>-<hash>`).
pub fn target_dir() -> PathBuf {
    profile_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("no target directory above {}", profile_dir().display()))
}

/// `<target>/<profile>`: where cargo puts the workspace's binaries.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("{} is not in <target>/<profile>/deps", exe.display()))
}

/// A command running the Go program `go/cmd/<name>`, built (once per process, all programs
/// together) into `<target>/interop-go/<pid>/`. Panics with Go's output if the build fails, and
/// when Go is missing.
pub fn go_program(name: &str) -> Command {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = BUILT.get_or_init(|| build_go_programs(&GoModule::standard_library()));
    program_in(dir, name)
}

/// The `goplugin/` Go module's directory (hashicorp/yamux, Go 1.24 or newer).
pub fn goplugin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("goplugin")
}

/// The oldest Go that builds `goplugin/` (its go.mod says `go 1.24`, as go-plugin v1.8 needs).
pub const GOPLUGIN_MIN_GO: (u32, u32) = (1, 24);

/// A command running the Go program `goplugin/cmd/<name>` (hashicorp/yamux v0.1.2, pinned by
/// `goplugin/go.sum` and fetched through the Go module proxy into the module cache when it is not
/// there yet), built once per process into `<target>/interop-goplugin/<pid>/`.
///
/// Uses `INTEROP_GOPLUGIN_GO`, else the `go` on `PATH`. Panics, naming Go 1.24, when that Go is
/// older (the module does not build with it), and with Go's output if the build fails.
pub fn goplugin_program(name: &str) -> Command {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = BUILT.get_or_init(|| build_go_programs(&GoModule::goplugin()));
    program_in(dir, name)
}

fn program_in(built: &Result<PathBuf, String>, name: &str) -> Command {
    let dir = match built {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    };
    let path = dir.join(name);
    assert!(
        path.exists(),
        "no Go program {name}: expected {}",
        path.display()
    );
    Command::new(path)
}

/// A Go module whose `cmd/*` programs the tests run.
struct GoModule {
    dir: PathBuf,
    /// Where under the target directory its programs are built.
    out: &'static str,
    /// The variable naming the `go` binary to use.
    go_var: &'static str,
    /// The oldest Go it builds with, checked first to say so plainly.
    min_go: Option<(u32, u32)>,
    /// Whether the build may fetch modules (through the Go module proxy, as `go.sum` pins them).
    fetch: bool,
}

impl GoModule {
    fn standard_library() -> GoModule {
        GoModule {
            dir: go_dir(),
            out: "interop-go",
            go_var: "INTEROP_GO",
            min_go: None,
            fetch: false,
        }
    }

    fn goplugin() -> GoModule {
        GoModule {
            dir: goplugin_dir(),
            out: "interop-goplugin",
            go_var: "INTEROP_GOPLUGIN_GO",
            min_go: Some(GOPLUGIN_MIN_GO),
            fetch: true,
        }
    }
}

/// `go1.26.8` (or `go1.24`, `go1.25rc1`) as (1, 26).
pub(crate) fn parse_go_version(text: &str) -> Option<(u32, u32)> {
    let rest = text.trim().strip_prefix("go")?;
    let mut parts = rest.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

/// Builds every `cmd/<name>` of `module` with `go build -o <dir>/<name> ./cmd/<name>`.
fn build_go_programs(module: &GoModule) -> Result<PathBuf, String> {
    let root = target_dir().join(module.out);
    remove_stale_builds(&root);
    let out = root.join(std::process::id().to_string());
    std::fs::create_dir_all(&out).map_err(|err| format!("creating {}: {err}", out.display()))?;
    let go = std::env::var_os(module.go_var).unwrap_or_else(|| "go".into());
    let go_command = || {
        let mut command = Command::new(&go);
        command
            .current_dir(&module.dir)
            // Never fetch a toolchain.
            .env("GOTOOLCHAIN", "local")
            .env("GOWORK", "off")
            .env("CGO_ENABLED", "0")
            .stdin(Stdio::null());
        if module.fetch {
            // Modules as go.sum pins them, from the module cache or the module proxy; go.mod and
            // go.sum are never changed.
            command
                .env_remove("GOPROXY")
                .env("GOFLAGS", "-mod=readonly");
        } else {
            // Standard library only.
            command.env("GOPROXY", "off").env("GOFLAGS", "-mod=mod");
        }
        command
    };
    let not_found = |err: std::io::Error| match err.kind() {
        std::io::ErrorKind::NotFound => format!(
            "`{}` was not found: the interop tests need Go (scripts/test installs Debian's \
             golang-go; {} may name another go binary)",
            Path::new(&go).display(),
            module.go_var
        ),
        _ => format!("running {}: {err}", Path::new(&go).display()),
    };
    if let Some((major, minor)) = module.min_go {
        let output = go_command()
            .args(["env", "GOVERSION"])
            .output()
            .map_err(not_found)?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        match parse_go_version(&version) {
            Some(found) if found >= (major, minor) => {}
            _ => {
                return Err(format!(
                    "{} needs Go {major}.{minor} or newer (hashicorp/yamux and go-plugin), but \
                     `{}` is {version:?}: install a newer Go or name one with {}",
                    module.dir.display(),
                    Path::new(&go).display(),
                    module.go_var
                ));
            }
        }
    }
    let cmd_dir = module.dir.join("cmd");
    let mut names: Vec<String> = std::fs::read_dir(&cmd_dir)
        .map_err(|err| format!("reading {}: {err}", cmd_dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let output = go_command()
            .args(["build", "-o"])
            .arg(out.join(&name))
            .arg(format!("./cmd/{name}"))
            .output()
            .map_err(not_found)?;
        if !output.status.success() {
            return Err(format!(
                "go build ./cmd/{name} in {} failed ({}):\n{}{}",
                module.dir.display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    Ok(out)
}

/// Removes the build directories of test processes that are gone (Linux: no `/proc/<pid>`).
pub(crate) fn remove_stale_builds(root: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A command running the `netrpc` binary (rpc-services' command).
///
/// Uses `<target>/<profile>/netrpc`, next to the test executable, which `cargo test` builds for
/// the workspace. When it is missing or older than the workspace's sources (`cargo test -p
/// interop` alone builds no `netrpc`), builds it once with `$CARGO build -p rpc-services --bin
/// netrpc` into `<target>/interop-netrpc` (the running cargo holds the lock on the main target
/// directory). `NETRPC_BIN` names another binary to test.
pub fn netrpc_command() -> Command {
    static PATH: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PATH.get_or_init(find_or_build_netrpc) {
        Ok(path) => Command::new(path),
        Err(message) => panic!("{message}"),
    }
}

fn find_or_build_netrpc() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("NETRPC_BIN") {
        return Ok(path.into());
    }
    let exe = format!("netrpc{}", std::env::consts::EXE_SUFFIX);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("interop/ is in the workspace");
    let beside = profile_dir().join(&exe);
    let built_at = std::fs::metadata(&beside).and_then(|m| m.modified()).ok();
    if built_at.is_some_and(|built_at| built_at >= newest_source(&workspace.join("crates"))) {
        return Ok(beside);
    }
    let target = target_dir().join("interop-netrpc");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let output = Command::new(&cargo)
        .args(["build", "-p", "rpc-services", "--bin", "netrpc"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(workspace)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("running {}: {err}", Path::new(&cargo).display()))?;
    if !output.status.success() {
        return Err(format!(
            "building netrpc failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let built = target.join("debug").join(&exe);
    if built.exists() {
        Ok(built)
    } else {
        Err(format!(
            "cargo built netrpc but {} is missing",
            built.display()
        ))
    }
}

/// When the newest `.rs` or `Cargo.toml` file under `dir` was modified.
fn newest_source(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return newest;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        let modified = if meta.is_dir() {
            if entry.file_name() == "target" {
                continue;
            }
            newest_source(&path)
        } else if path.extension().is_some_and(|e| e == "rs") || entry.file_name() == "Cargo.toml" {
            meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)
        } else {
            continue;
        };
        newest = newest.max(modified);
    }
    newest
}

/// Dials a jsonrpc server over TCP and returns the client with its own local address (what a
/// Go server's `conn.RemoteAddr()` reports for it).
pub async fn dial_json(addr: &str) -> (Client, SocketAddr) {
    dial_tcp(addr, netrpc::Json).await
}

/// Dials a server speaking `codec` over TCP (`addr` is `HOST:PORT` or `tcp://HOST:PORT`) and
/// returns the client with its own local address (what a Go server's `conn.RemoteAddr()`
/// reports for it).
pub async fn dial_tcp(addr: &str, codec: impl netrpc::Codec) -> (Client, SocketAddr) {
    let host_port = addr.strip_prefix("tcp://").unwrap_or(addr);
    let stream = tokio::net::TcpStream::connect(host_port)
        .await
        .unwrap_or_else(|err| panic!("dial {host_port}: {err}"));
    let local = stream.local_addr().expect("local address");
    let remote = stream.peer_addr().expect("peer address");
    let connection = Connection::new(stream, Peer::socket("tcp", remote));
    (Client::new(connection, codec), local)
}

/// Fetches `path` from the HTTP server at `host_port` (`HOST:PORT`, `tcp://` or `http://`
/// prefixed) with a plain `GET PATH HTTP/1.0` over a raw TCP connection, and returns the
/// status line and the body. Fails the test if the answer does not come (to EOF) within
/// [`LINE_TIMEOUT`].
pub fn http_get(host_port: &str, path: &str) -> (String, String) {
    use std::io::Write;
    let host_port = host_port
        .strip_prefix("tcp://")
        .or_else(|| host_port.strip_prefix("http://"))
        .unwrap_or(host_port);
    let mut stream = std::net::TcpStream::connect(host_port)
        .unwrap_or_else(|err| panic!("GET {path}: dial {host_port}: {err}"));
    stream
        .set_read_timeout(Some(LINE_TIMEOUT))
        .expect("set_read_timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host_port}\r\n\r\n")
        .unwrap_or_else(|err| panic!("GET {path}: write: {err}"));
    let deadline = Instant::now() + LINE_TIMEOUT;
    let mut response = Vec::new();
    let mut buf = [0; 4096];
    loop {
        assert!(
            Instant::now() < deadline,
            "GET {path} from {host_port}: no EOF within {LINE_TIMEOUT:?}"
        );
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => panic!("GET {path} from {host_port}: read: {err}"),
        }
    }
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .or_else(|| response.split_once("\n\n"))
        .unwrap_or_else(|| panic!("GET {path} from {host_port}: no end of head in {response:?}"));
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, body.to_owned())
}

/// The services, methods and call counts of a `/debug/rpc` page in the layout of Go's
/// `net/rpc/debug.go` (which netrpc's page follows), read with [`netrpc::debug_page::parse`].
/// Fails the test if it is not such a page, or a count is not a number.
pub fn debug_page_calls(page: &str) -> BTreeMap<String, BTreeMap<String, u64>> {
    let services = netrpc::debug_page::parse(page)
        .unwrap_or_else(|| panic!("not a net/rpc debug page:\n{page}"));
    services
        .into_iter()
        .map(|service| {
            let methods = service
                .methods
                .into_iter()
                .map(|method| {
                    let calls = method
                        .calls
                        .unwrap_or_else(|| panic!("{}: no call count in\n{page}", method.name));
                    (method.name, calls)
                })
                .collect();
            (service.name, methods)
        })
        .collect()
}

/// One of a child's output streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Lines read from one of a child's streams: each line is both queued (for [`Process::line`])
/// and logged (for the final output and for failure messages).
struct Lines {
    rx: mpsc::Receiver<String>,
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
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    match source.read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            let line = String::from_utf8_lossy(&buf).into_owned();
                            lock(&log).push_str(&line);
                            let _ = tx.send(line.trim_end_matches(['\n', '\r']).to_owned());
                        }
                    }
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
        lock(&self.log).clone()
    }
}

fn lock(log: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A child process whose output is read line by line, with every wait bounded, killed when
/// dropped.
pub struct Process {
    name: String,
    child: Child,
    stdout: Lines,
    stderr: Lines,
}

/// How a [`Process`] ended, with everything it printed.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// All of its standard output.
    pub stdout: String,
    /// All of its standard error.
    pub stderr: String,
}

impl Finished {
    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

impl Process {
    /// Starts `command` with its standard output and error piped and its input closed.
    /// `name` names it in failure messages.
    pub fn spawn(name: &str, mut command: Command) -> Self {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|err| panic!("{name}: cannot start {command:?}: {err}"));
        let stdout = Lines::new(child.stdout.take().expect("piped stdout"));
        let stderr = Lines::new(child.stderr.take().expect("piped stderr"));
        Self {
            name: name.to_owned(),
            child,
            stdout,
            stderr,
        }
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    fn lines(&self, stream: Stream) -> &Lines {
        match stream {
            Stream::Stdout => &self.stdout,
            Stream::Stderr => &self.stderr,
        }
    }

    /// The next line on `stream` (without its line ending), or `None` once the stream has
    /// ended. Fails the test if no line comes within `timeout`.
    pub fn line(&self, stream: Stream, timeout: Duration) -> Option<String> {
        match self.lines(stream).rx.recv_timeout(timeout) {
            Ok(line) => Some(line),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                panic!(
                    "{}: no line on {stream:?} within {timeout:?}\n{}",
                    self.name,
                    self.report()
                )
            }
        }
    }

    /// Waits (up to [`LINE_TIMEOUT`]) for the line `listening on ADDR` on `stream`, skipping
    /// other lines, and returns `ADDR`.
    pub fn listening_on(&self, stream: Stream) -> String {
        let deadline = Instant::now() + LINE_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.line(stream, left) {
                Some(line) => {
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        return addr.trim().to_owned();
                    }
                }
                None => panic!(
                    "{}: {stream:?} ended without `listening on ADDR`\n{}",
                    self.name,
                    self.report()
                ),
            }
        }
    }

    /// Everything printed so far, for failure messages.
    pub fn report(&self) -> String {
        format!(
            "--- {} stdout ---\n{}--- {} stderr ---\n{}",
            self.name,
            self.stdout.text(),
            self.name,
            self.stderr.text()
        )
    }

    /// Sends SIGTERM (with the `kill` command).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM {} failed", self.id());
    }

    /// Waits up to `timeout` for the child to exit and returns how it ended; fails the test
    /// (after killing it) if it is still running then.
    pub fn wait_timeout(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!(
                        "{}: still running after {timeout:?}\n{}",
                        self.name,
                        self.report()
                    );
                }
                Err(err) => panic!("{}: waiting: {err}", self.name),
            }
        };
        // The streams end with the child; collect the rest of what it printed.
        for lines in [&mut self.stdout, &mut self.stderr] {
            if let Some(reader) = lines.reader.take() {
                let _ = reader.join();
            }
        }
        Finished {
            status,
            stdout: self.stdout.text(),
            stderr: self.stderr.text(),
        }
    }

    /// Waits up to [`EXIT_TIMEOUT`] for the child to exit.
    pub fn wait(self) -> Finished {
        self.wait_timeout(EXIT_TIMEOUT)
    }

    /// Waits up to [`EXIT_TIMEOUT`] for the child to exit, and fails the test with its output
    /// unless it exited with status 0.
    pub fn wait_success(self) -> Finished {
        let name = self.name.clone();
        let finished = self.wait();
        assert!(
            finished.status.success(),
            "{name} failed ({}):\n--- stdout ---\n{}--- stderr ---\n{}",
            finished.status,
            finished.stdout,
            finished.stderr
        );
        finished
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

#[cfg(test)]
mod tests {
    use super::parse_go_version;

    #[test]
    fn go_versions_parse() {
        assert_eq!(parse_go_version("go1.26.8\n"), Some((1, 26)));
        assert_eq!(parse_go_version("go1.24"), Some((1, 24)));
        assert_eq!(parse_go_version("go1.25rc1"), Some((1, 25)));
        assert_eq!(parse_go_version("go1.19.8"), Some((1, 19)));
        assert!(parse_go_version("go1.19.8") < Some((1, 24)));
        assert_eq!(parse_go_version("devel"), None);
    }
}
