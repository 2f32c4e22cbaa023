//! Starting the server of a target: a child process (`netrpc-bench serve ...` or Go's
//! `benchpeer -serve`) whose CPU time and memory are read from `/proc`, or, for in-process
//! transports (`mem://`), a task of this process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::plan::{System, Target, transport};
use crate::serve;

/// How long a server may take to print `listening on ADDR`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the programs the benchmark runs are.
#[derive(Clone, Debug)]
pub struct Programs {
    /// This benchmark's own executable (for `serve`).
    pub bench: PathBuf,
    /// Go's `benchpeer`, once built.
    pub benchpeer: Option<PathBuf>,
}

impl Programs {
    /// Go's `benchpeer`, or an error saying Go is needed.
    pub fn benchpeer(&self) -> Result<&Path, String> {
        self.benchpeer
            .as_deref()
            .ok_or_else(|| "Go's benchpeer was not built".to_owned())
    }
}

/// A server being benchmarked. Dropping it stops it.
pub struct RunningServer {
    /// Where clients dial it (`tcp://127.0.0.1:PORT`, `unix:///...`, `mem://...`).
    pub addr: String,
    /// Its process, when it has its own.
    pub pid: Option<u32>,
    child: Option<Child>,
    task: Option<tokio::task::JoinHandle<()>>,
    socket: Option<PathBuf>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(socket) = self.socket.take() {
            let _ = std::fs::remove_file(socket);
        }
    }
}

/// A fresh Unix socket path in the temporary directory.
fn socket_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "netrpc-bench-{}-{}.sock",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Starts the server of `target`.
pub async fn start(target: &Target, programs: &Programs) -> Result<RunningServer, String> {
    let spec = transport(target.transport)
        .ok_or_else(|| format!("unknown transport {:?}", target.transport))?;
    let socket = spec.listen.contains("{sock}").then(socket_path);
    let listen = match &socket {
        Some(path) => spec.listen.replace("{sock}", &path.display().to_string()),
        None => spec.listen.to_owned(),
    };
    if spec.in_process {
        let listener = serve::bind(&listen).await?;
        let addr = listener.local_addr().to_string();
        let task = serve::spawn_in_process(target.system, target.codec, listener)?;
        return Ok(RunningServer {
            addr,
            pid: None,
            child: None,
            task: Some(task),
            socket,
        });
    }
    let mut command = match target.system {
        System::Go => {
            if target.transport != "tcp" {
                return Err(format!(
                    "Go's server is benchmarked over tcp only ({target})"
                ));
            }
            let mut command = Command::new(programs.benchpeer()?);
            command.args(["-serve", "-listen", "127.0.0.1:0", "-codec", target.codec]);
            command
        }
        System::Netrpc | System::Tarpc | System::Echo => {
            let mut command = Command::new(&programs.bench);
            command.args([
                "serve",
                target.system.name(),
                "--codec",
                target.codec,
                "--listen",
                &listen,
                "--exit-on-stdin-eof",
            ]);
            command
        }
    };
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = command
        .spawn()
        .map_err(|err| format!("starting {command:?}: {err}"))?;
    let pid = child.id();
    let stdout = child.stdout.take();
    let mut running = RunningServer {
        addr: String::new(),
        pid: Some(pid),
        child: Some(child),
        task: None,
        socket,
    };
    let Some(stdout) = stdout else {
        return Err("no stdout from the server".to_owned());
    };
    let addr = tokio::task::spawn_blocking(move || listening_on(stdout))
        .await
        .map_err(|err| format!("waiting for the server: {err}"))??;
    // Go prints a bare HOST:PORT.
    running.addr = if addr.contains("://") {
        addr
    } else {
        format!("tcp://{addr}")
    };
    Ok(running)
}

/// Reads `stdout` until `listening on ADDR` and returns ADDR; keeps draining it afterwards.
fn listening_on(stdout: std::process::ChildStdout) -> Result<String, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut sent = false;
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if !sent && let Some(addr) = line.strip_prefix("listening on ") {
                let _ = tx.send(addr.trim().to_owned());
                sent = true;
            }
        }
    });
    rx.recv_timeout(START_TIMEOUT)
        .map_err(|_| format!("the server printed no `listening on ADDR` within {START_TIMEOUT:?}"))
}

/// Builds Go's `benchpeer` (`interop/go/cmd/benchpeer`) into `<target>/netrpc-bench-go/` with
/// `go` (or `$BENCH_GO`), never fetching a toolchain or a module.
pub fn build_benchpeer(bench_exe: &Path) -> Result<PathBuf, String> {
    let go_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/go");
    // <target>/<profile>/netrpc-bench (or <target>/<profile>/deps/... for tests).
    let target_dir = bench_exe
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "target"))
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let out_dir = target_dir.join("netrpc-bench-go");
    std::fs::create_dir_all(&out_dir)
        .map_err(|err| format!("creating {}: {err}", out_dir.display()))?;
    // Build under a name of our own, then rename: concurrent runs never see half a binary.
    let out = out_dir.join("benchpeer");
    let partial = out_dir.join(format!("benchpeer.{}", std::process::id()));
    let go = std::env::var_os("BENCH_GO").unwrap_or_else(|| "go".into());
    let output = Command::new(&go)
        .args(["build", "-o"])
        .arg(&partial)
        .arg("./cmd/benchpeer")
        .current_dir(&go_dir)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOWORK", "off")
        .env("CGO_ENABLED", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => format!(
                "`{}` was not found: the benchmark's Go peers need Go (scripts/test installs \
                 Debian's golang-go; BENCH_GO may name another go binary)",
                Path::new(&go).display()
            ),
            _ => format!("running {}: {err}", Path::new(&go).display()),
        })?;
    if !output.status.success() {
        return Err(format!(
            "go build ./cmd/benchpeer failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::rename(&partial, &out)
        .map_err(|err| format!("renaming {}: {err}", partial.display()))?;
    Ok(out)
}

/// The version of Go used (`go version`), for the report.
pub fn go_version() -> Option<String> {
    let go = std::env::var_os("BENCH_GO").unwrap_or_else(|| "go".into());
    let output = Command::new(go)
        .arg("version")
        .env("GOTOOLCHAIN", "local")
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
