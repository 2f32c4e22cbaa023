//! HashiCorp go-plugin v1.8.0 against netrpc-plugin, both roles: go-plugin's unchanged basic
//! host loading the Rust greeter, netrpc's host (library and `netrpc plugin call`) loading Go
//! plugins, broker callbacks both ways, many concurrent calls, and faults.
//!
//! These tests need Go 1.24 or newer (go-plugin v1.8.0's go.mod says so) and fail, saying so,
//! without it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use interop::go_plugin::{Hello, process_exists, process_running};
use interop::go_plugin::{path as goplugin_path, program as goplugin_program};
use interop::{Process, Stream, netrpc_command};
use netrpc_plugin::{Client, ClientConfig, HandshakeConfig, Nil, StartError};

/// Bound on every call and start in these tests.
const BOUND: Duration = Duration::from_secs(30);

fn basic_handshake() -> HandshakeConfig {
    HandshakeConfig::new(1, "BASIC_PLUGIN", "hello")
}

fn test_handshake() -> HandshakeConfig {
    HandshakeConfig::new(1, "NETRPC_TEST_PLUGIN", "yes")
}

/// The Rust greeter (netrpc-plugin's `greeter_plugin` example).
fn rust_greeter() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_greeter_plugin"))
}

/// The Rust twin of the Go test plugin.
fn rust_test_plugin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rust_plugin"))
}

/// A fresh directory under the target directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = interop::target_dir()
            .join("interop-goplugin-tmp")
            .join(format!("{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating a temporary directory");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start(path: &Path, handshake: HandshakeConfig) -> Client {
    let config = ClientConfig::new(tokio::process::Command::new(path), handshake);
    tokio::time::timeout(BOUND, Client::start(config))
        .await
        .expect("started within the bound")
        .unwrap_or_else(|err| panic!("starting {}: {err}", path.display()))
}

async fn bounded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {BOUND:?}"))
}

/// Waits (bounded) until `pid` no longer runs.
fn wait_gone(pid: u32, what: &str) {
    let deadline = Instant::now() + BOUND;
    while process_running(pid) {
        assert!(
            Instant::now() < deadline,
            "{what}: process {pid} still running after {BOUND:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

// -------------------------------------------------------------------------------------------
// go-plugin's basic example

#[test]
fn go_basic_host_loads_the_rust_greeter() {
    let dir = TempDir::new("basic");
    std::fs::create_dir_all(dir.0.join("plugin")).unwrap();
    std::fs::copy(rust_greeter(), dir.0.join("plugin/greeter")).unwrap();
    let mut host = Command::new(goplugin_path("basic"));
    host.current_dir(&dir.0);
    let finished = Process::spawn("go-plugin basic host", host).wait_success();
    let lines: Vec<&str> = finished.stdout.lines().collect();
    assert!(
        lines.contains(&"Hello!"),
        "no Hello! line:\n{}",
        finished.stdout
    );
    // The plugin's hclog lines reached the host's log at debug level, and it exited on Quit.
    assert!(
        finished
            .stdout
            .contains("plugin.greeter: message from plugin: foo=bar")
            && finished.stdout.contains("message from GreeterHello.Greet")
            && finished.stdout.contains("plugin: plugin exited"),
        "{}",
        finished.stdout
    );
    assert!(
        !finished.stdout.contains("failed to exit gracefully"),
        "{}",
        finished.stdout
    );
}

#[test]
fn the_rust_greeter_run_by_hand_says_it_is_a_plugin() {
    let mut greeter = Command::new(rust_greeter());
    greeter.env_remove("BASIC_PLUGIN");
    let finished = Process::spawn("greeter by hand", greeter).wait();
    assert_eq!(finished.code(), Some(1));
    assert!(
        finished.stderr.ends_with(
            "This binary is a plugin. These are not meant to be executed directly.\n\
             Please execute the program that consumes these plugins, which will\n\
             load any plugins automatically\n"
        ),
        "{}",
        finished.stderr
    );
    assert_eq!(finished.stdout, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_host_loads_go_and_rust_greeters() {
    for path in [goplugin_path("greeter"), rust_greeter()] {
        let plugin = start(&path, basic_handshake()).await;
        assert_eq!(plugin.negotiated_version(), 1);
        bounded("ping", plugin.ping()).await.unwrap();
        let greeter = bounded("dispense", plugin.dispense("greeter"))
            .await
            .unwrap();
        let greeting: String = bounded("Greet", greeter.call("Plugin.Greet", &Nil))
            .await
            .unwrap();
        assert_eq!(greeting, "Hello!", "{}", path.display());
        let err = bounded("dispense", plugin.dispense("nope"))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "unknown plugin type: nope");
        let pid = plugin.pid().unwrap();
        let status = bounded("kill", plugin.kill())
            .await
            .expect("an exit status");
        // Both exit on Control.Quit by themselves, with status 0.
        assert!(status.success(), "{}: {status}", path.display());
        assert!(!process_exists(pid), "{} was not reaped", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_highest_common_protocol_version_wins() {
    for (host, negotiated, greeting) in [
        (vec![1, 2], 2, "Hello, version 2!"),
        (vec![2], 2, "Hello, version 2!"),
        (vec![1], 1, "Hello!"),
    ] {
        let mut config = ClientConfig::new(
            tokio::process::Command::new(rust_test_plugin()),
            test_handshake(),
        );
        config.versions = host.clone();
        let plugin = bounded("start", Client::start(config)).await.unwrap();
        assert_eq!(
            plugin.negotiated_version(),
            negotiated,
            "host speaks {host:?}"
        );
        let greeter = bounded("dispense", plugin.dispense("greeter"))
            .await
            .unwrap();
        let reply: String = bounded("Greet", greeter.call("Plugin.Greet", &Nil))
            .await
            .unwrap();
        assert_eq!(reply, greeting);
        bounded("kill", plugin.kill()).await;
    }
    // No version in common: the plugin offers its lowest, and the host says no.
    let mut config = ClientConfig::new(
        tokio::process::Command::new(rust_test_plugin()),
        test_handshake(),
    );
    config.versions = vec![3];
    let Err(err) = bounded("start", Client::start(config)).await else {
        panic!("started");
    };
    assert_eq!(
        err.to_string(),
        "incompatible API version with plugin. Plugin version: 1, Client versions: [3]"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_plugin_listens_on_tcp_in_the_hosts_port_range() {
    let mut cmd = tokio::process::Command::new(rust_test_plugin());
    cmd.env("RUST_PLUGIN_TCP", "1");
    let plugin = bounded(
        "start",
        Client::start(ClientConfig::new(cmd, test_handshake())),
    )
    .await
    .unwrap();
    match plugin.addr() {
        netrpc_plugin::PluginAddr::Tcp(addr) => {
            assert!(addr.ip().is_loopback(), "{addr}");
            assert!((10000..=25000).contains(&addr.port()), "{addr}");
        }
        other => panic!("not TCP: {other:?}"),
    }
    let test = bounded("dispense", plugin.dispense("test")).await.unwrap();
    let greeting: String = bounded("Greet", test.call("Plugin.Greet", &Nil))
        .await
        .unwrap();
    assert_eq!(greeting, "Hello!");
    let status = bounded("kill", plugin.kill()).await.unwrap();
    assert!(status.success());
}

// -------------------------------------------------------------------------------------------
// netrpc plugin call

fn plugin_call(args: &[&str]) -> interop::Finished {
    let mut command = netrpc_command();
    command.args(["plugin", "call"]).args(args);
    Process::spawn(&format!("netrpc plugin call {args:?}"), command).wait()
}

#[test]
fn netrpc_plugin_call_greets() {
    let go = goplugin_path("greeter");
    let rust = rust_greeter();
    for path in [&go, &rust] {
        let path = path.to_str().unwrap();
        let finished = plugin_call(&[
            "--cmd",
            path,
            "--cookie",
            "BASIC_PLUGIN=hello",
            "--dispense",
            "greeter",
            "Plugin.Greet",
        ]);
        assert_eq!(finished.code(), Some(0), "{path}: {}", finished.stderr);
        assert_eq!(finished.stdout, "\"Hello!\"\n");
        // An explicit null is the same nil interface.
        let finished = plugin_call(&[
            "--cmd",
            path,
            "--cookie",
            "BASIC_PLUGIN=hello",
            "--dispense",
            "greeter",
            "Plugin.Greet",
            "null",
        ]);
        assert_eq!(finished.stdout, "\"Hello!\"\n", "{}", finished.stderr);
    }
    // A service error: exit 1.
    let finished = plugin_call(&[
        "--cmd",
        go.to_str().unwrap(),
        "--cookie",
        "BASIC_PLUGIN=hello",
        "--dispense",
        "nope",
        "Plugin.Greet",
    ]);
    assert_eq!(finished.code(), Some(1));
    assert_eq!(finished.stderr, "error: unknown plugin type: nope\n");
    // Arguments of other types, and replies that are not strings.
    let test = goplugin_path("testplugin");
    let finished = plugin_call(&[
        "--cmd",
        test.to_str().unwrap(),
        "--cookie",
        "NETRPC_TEST_PLUGIN=yes",
        "--dispense",
        "test",
        "Plugin.ServeBack",
        "\"x\"",
    ]);
    assert_eq!(
        (finished.code(), finished.stdout.as_str()),
        (Some(0), "2\n"),
        "{}",
        finished.stderr
    );
    // A wrong cookie: go-plugin's error, the plugin's own words, exit 2.
    let finished = plugin_call(&[
        "--cmd",
        go.to_str().unwrap(),
        "--cookie",
        "BASIC_PLUGIN=bye",
        "--dispense",
        "greeter",
        "Plugin.Greet",
    ]);
    assert_eq!(finished.code(), Some(2));
    assert!(
        finished.stderr.contains(
            "Unrecognized remote plugin message: \nFailed to read any lines from plugin's stdout"
        ) && finished.stderr.contains("This binary is a plugin."),
        "{}",
        finished.stderr
    );
}

// -------------------------------------------------------------------------------------------
// The broker, both ways

#[test]
fn go_host_and_rust_plugin_call_back_through_the_broker() {
    let mut host = goplugin_program("testhost");
    host.args(["-scenario", "callbacks", "-plugin"])
        .arg(rust_test_plugin());
    let finished = Process::spawn("testhost callbacks", host).wait_success();
    assert_eq!(
        finished.stdout,
        "CallHost: host says hello to plugin\nServeBack: plugin says hello to host\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_host_and_go_plugin_call_back_through_the_broker() {
    for path in [goplugin_path("testplugin"), rust_test_plugin()] {
        let plugin = start(&path, test_handshake()).await;
        let test = bounded("dispense", plugin.dispense("test")).await.unwrap();
        // The plugin dials a Hello the host serves.
        let id = plugin.broker().next_id();
        tokio::spawn(
            plugin
                .broker()
                .clone()
                .accept_and_serve(id, Hello { who: "host".into() }),
        );
        let reply: String = bounded("CallHost", test.call("Plugin.CallHost", &id))
            .await
            .unwrap();
        assert_eq!(reply, "host says hello to plugin", "{}", path.display());
        // The host dials a Hello the plugin serves.
        let served: u32 = bounded("ServeBack", test.call("Plugin.ServeBack", "plugin"))
            .await
            .unwrap();
        let back = bounded("dial", plugin.broker().dial(served)).await.unwrap();
        let reply: String = bounded("Hello", back.call("Plugin.Hello", "host"))
            .await
            .unwrap();
        assert_eq!(reply, "plugin says hello to host");
        // An id nobody serves: go-plugin's text after its 5 s.
        let err = bounded("accept", plugin.broker().accept_stream(99))
            .await
            .err()
            .unwrap();
        assert_eq!(err.to_string(), "timeout waiting for accept");
        bounded("kill", plugin.kill()).await;
    }
}

// -------------------------------------------------------------------------------------------
// Standard output and error after the handshake

/// Reads `reader` until `expected` has come (bounded).
async fn read_until(reader: &mut tokio::io::DuplexStream, expected: &str, what: &str) -> String {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains(expected) {
        let n = bounded(what, reader.read(&mut buf)).await.unwrap();
        assert!(
            n > 0,
            "{what}: ended with {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_plugin_prints_reaches_the_hosts_sync_writers() {
    for path in [goplugin_path("testplugin"), rust_test_plugin()] {
        let (out_writer, mut out) = tokio::io::duplex(64 * 1024);
        let (err_writer, mut err) = tokio::io::duplex(64 * 1024);
        let mut config = ClientConfig::new(tokio::process::Command::new(&path), test_handshake());
        config.sync_stdout = Some(Box::new(out_writer));
        config.sync_stderr = Some(Box::new(err_writer));
        let plugin = bounded("start", Client::start(config)).await.unwrap();
        let test = bounded("dispense", plugin.dispense("test")).await.unwrap();
        let printed: String = bounded(
            "Print",
            test.call("Plugin.Print", "printed after the handshake"),
        )
        .await
        .unwrap();
        assert_eq!(printed, "printed after the handshake");
        let what = format!("{} stdout", path.display());
        assert_eq!(
            read_until(&mut out, "\n", &what).await,
            "printed after the handshake\n"
        );
        let what = format!("{} stderr", path.display());
        assert_eq!(
            read_until(&mut err, "\n", &what).await,
            "printed after the handshake\n"
        );
        bounded("kill", plugin.kill()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_plugins_panic_reaches_the_hosts_log_not_its_sync_stderr() {
    let (log_writer, mut log) = tokio::io::duplex(64 * 1024);
    let mut config = ClientConfig::new(
        tokio::process::Command::new(rust_test_plugin()),
        test_handshake(),
    );
    config.stderr = Some(Box::new(log_writer));
    let plugin = bounded("start", Client::start(config)).await.unwrap();
    let test = bounded("dispense", plugin.dispense("test")).await.unwrap();
    let call = test.go::<_, String>("Plugin.Panic", "the plugin panics".to_string());
    let seen = read_until(&mut log, "the plugin panics\n", "the host's log").await;
    assert!(seen.contains("panicked at "), "{seen}");
    // The plugin serves on (netrpc answers a panicked handler with an error or drops it).
    drop(call);
    bounded("ping", plugin.ping()).await.unwrap();
    bounded("kill", plugin.kill()).await;
}

// -------------------------------------------------------------------------------------------
// Many calls at once

#[test]
fn go_host_calls_the_rust_plugin_concurrently() {
    let mut host = goplugin_program("testhost");
    host.args([
        "-scenario",
        "concurrent",
        "-n",
        "16",
        "-calls",
        "50",
        "-plugin",
    ])
    .arg(rust_test_plugin());
    let finished = Process::spawn("testhost concurrent", host).wait_success();
    assert_eq!(finished.stdout, "800 calls ok\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_host_calls_go_and_rust_plugins_concurrently() {
    for path in [goplugin_path("testplugin"), rust_test_plugin()] {
        let plugin = Arc::new(start(&path, test_handshake()).await);
        let mut tasks = Vec::new();
        // 8 dispensed clients (8 broker streams), 50 calls in flight on each.
        for _ in 0..8 {
            let client = bounded("dispense", plugin.dispense("test")).await.unwrap();
            for _ in 0..50 {
                let client = client.clone();
                tasks.push(tokio::spawn(async move {
                    client.call::<_, String>("Plugin.Greet", &Nil).await
                }));
            }
        }
        for task in tasks {
            let reply = bounded("Greet", task).await.unwrap().unwrap();
            assert_eq!(reply, "Hello!");
        }
        bounded("kill", plugin.kill()).await;
    }
}

// -------------------------------------------------------------------------------------------
// Faults

#[test]
fn a_rust_plugin_exits_when_its_host_is_killed() {
    let mut host = goplugin_program("testhost");
    host.args(["-scenario", "hold", "-plugin"])
        .arg(rust_test_plugin());
    let host = Process::spawn("testhost hold", host);
    let line = host.line(Stream::Stdout, BOUND).expect("a pid line");
    let pid: u32 = line
        .strip_prefix("plugin pid ")
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("not a pid line: {line:?}"));
    assert!(process_running(pid));
    let status = Command::new("kill")
        .args(["-KILL", &host.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    host.wait();
    // The session ends with the host: the plugin returns from serve and exits.
    wait_gone(pid, "the plugin after its host was killed");
}

/// Starts `rust_host` on the Go test plugin, kills the host with SIGKILL, and returns the
/// plugin's pid.
fn kill_a_rust_host(extra: &[&str]) -> u32 {
    let mut host = Command::new(env!("CARGO_BIN_EXE_rust_host"));
    host.arg(goplugin_path("testplugin")).args(extra);
    let host = Process::spawn("rust_host", host);
    let line = host.line(Stream::Stdout, BOUND).expect("a pid line");
    let pid: u32 = line
        .strip_prefix("plugin pid ")
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("not a pid line: {line:?}"));
    let status = Command::new("kill")
        .args(["-KILL", &host.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    host.wait();
    pid
}

#[test]
fn kill_with_host_takes_a_go_plugin_down_with_a_killed_rust_host() {
    let pid = kill_a_rust_host(&["--kill-with-host"]);
    wait_gone(pid, "a Go plugin whose host was killed (kill_with_host)");
}

#[test]
fn without_kill_with_host_a_go_plugin_outlives_a_killed_host_as_in_go() {
    let pid = kill_a_rust_host(&[]);
    // go-plugin's plugins wait for Control.Quit, whatever happens to their host.
    assert!(process_running(pid), "the Go plugin exited");
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_gone(pid, "the Go plugin, killed by the test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_plugin_fails_pending_calls_at_once_and_is_reaped() {
    for path in [goplugin_path("testplugin"), rust_test_plugin()] {
        let plugin = start(&path, test_handshake()).await;
        let test = bounded("dispense", plugin.dispense("test")).await.unwrap();
        let other = bounded("dispense", plugin.dispense("test")).await.unwrap();
        let pending: Vec<_> = (0..5)
            .map(|_| test.go::<_, String>("Plugin.Block", Nil))
            .chain((0..5).map(|_| other.go::<_, String>("Plugin.Block", Nil)))
            .collect();
        let pid = plugin.pid().unwrap();
        let crashed = Instant::now();
        let crash = test.go::<_, String>("Plugin.Crash", 3);
        for call in pending {
            let done = bounded("a pending call", call).await;
            let err = done.reply.expect_err("the plugin crashed");
            assert!(err.is_shutdown(), "{}: {err}", path.display());
        }
        assert!(bounded("Crash", crash).await.reply.is_err());
        let failed_after = crashed.elapsed();
        let status = bounded("exit", plugin.wait())
            .await
            .expect("an exit status");
        assert_eq!(status.code(), Some(3), "{}", path.display());
        assert!(!process_exists(pid), "not reaped");
        assert!(
            failed_after < Duration::from_secs(5),
            "calls failed after {failed_after:?}"
        );
        // Calls after the crash fail at once too.
        let err = bounded("ping", plugin.ping()).await.unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
        bounded("kill", plugin.kill()).await;
    }
}

/// Starts the Go test plugin with `env`, expecting a start error; checks that the process
/// (whose pid it wrote to a file) is gone and reaped.
async fn failed_start(
    handshake: HandshakeConfig,
    env: &[(&str, &str)],
    timeout: Duration,
) -> StartError {
    let dir = TempDir::new("pidfile");
    let pidfile = dir.0.join("pid");
    let mut cmd = tokio::process::Command::new(goplugin_path("testplugin"));
    cmd.env("TESTPLUGIN_PIDFILE", &pidfile);
    for (key, value) in env {
        cmd.env(key, value);
    }
    let config = ClientConfig::new(cmd, handshake).start_timeout(timeout);
    let Err(err) = bounded("start", Client::start(config)).await else {
        panic!("started");
    };
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .expect("the plugin wrote its pid")
        .trim()
        .parse()
        .unwrap();
    assert!(
        !process_exists(pid),
        "process {pid} left behind after: {err}"
    );
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_cookie_is_go_plugins_error_with_the_plugins_words() {
    let err = failed_start(
        HandshakeConfig::new(1, "NETRPC_TEST_PLUGIN", "no"),
        &[],
        BOUND,
    )
    .await;
    assert!(matches!(err, StartError::Unrecognized { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "Unrecognized remote plugin message: \nFailed to read any lines from plugin's stdout\n\
             This usually means\n  the plugin was not compiled for this architecture,"
        ) && text.contains("Additional notes about plugin:\n  Path: "),
        "{text}"
    );
    assert!(
        err.plugin_stderr()
            .unwrap()
            .contains("This binary is a plugin."),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_handshake_line_is_refused_and_the_plugin_killed() {
    let err = failed_start(test_handshake(), &[("TESTPLUGIN_MODE", "garbage")], BOUND).await;
    assert!(
        err.to_string().starts_with(
            "Unrecognized remote plugin message: hello there, I am not a plugin\nThis usually means"
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_slower_than_the_start_timeout_is_killed() {
    let started = Instant::now();
    let err = failed_start(
        test_handshake(),
        &[("TESTPLUGIN_MODE", "silent")],
        Duration::from_millis(500),
    )
    .await;
    assert!(matches!(err, StartError::Timeout { .. }), "{err:?}");
    assert_eq!(err.to_string(), "timeout while waiting for plugin to start");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incompatible_version_is_go_plugins_error() {
    let err = failed_start(
        HandshakeConfig::new(7, "NETRPC_TEST_PLUGIN", "yes"),
        &[],
        BOUND,
    )
    .await;
    assert_eq!(
        err.to_string(),
        "incompatible API version with plugin. Plugin version: 1, Client versions: [7]"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_client_kills_and_reaps_the_plugin() {
    for path in [goplugin_path("testplugin"), rust_test_plugin()] {
        let plugin = start(&path, test_handshake()).await;
        let pid = plugin.pid().unwrap();
        assert!(process_running(pid));
        drop(plugin);
        let deadline = Instant::now() + BOUND;
        while process_exists(pid) {
            assert!(Instant::now() < deadline, "{} left behind", path.display());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
