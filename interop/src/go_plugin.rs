//! The go-plugin side of the interop tests: the `goplugin/` module's `testhost` and
//! `testplugin` (HashiCorp go-plugin v1.8.0, which needs Go 1.24), go-plugin's own unchanged
//! `examples/basic` host and greeter plugin, and the Rust twin of the test programs' `Hello`.
//!
//! [`path`] gives a built program: `testhost` and `testplugin` as [`goplugin_program`] builds
//! every `goplugin/cmd/*`; `basic` (go-plugin's basic host) and `greeter` (its basic
//! plugin) built once per test process from the go-plugin module that `goplugin/go.sum` pins, with
//! `go build github.com/hashicorp/go-plugin/examples/basic[/plugin]`, into
//! `<target>/interop-goplugin-examples/<pid>/`. Modules come from the module cache or the Go
//! module proxy, as pinned; no toolchain is ever downloaded (`GOTOOLCHAIN=local`): when the Go
//! in use (`INTEROP_GOPLUGIN_GO`, else `go`) is older than 1.24, or missing, the tests fail and
//! say that go-plugin v1.8.0 needs Go 1.24.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::{GOPLUGIN_MIN_GO, goplugin_dir, goplugin_program};

/// A command running a go-plugin program: `testhost`, `testplugin`, `basic` or `greeter`.
pub fn program(name: &str) -> Command {
    Command::new(path(name))
}

/// The path of a go-plugin program (see [`program`]). Panics with the reason when Go is
/// missing, older than 1.24, or a build fails.
pub fn path(name: &str) -> PathBuf {
    match name {
        "basic" | "greeter" => {
            static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
            let dir = match BUILT.get_or_init(build_examples) {
                Ok(dir) => dir,
                Err(message) => panic!("{message}"),
            };
            dir.join(name)
        }
        _ => PathBuf::from(goplugin_program(name).get_program()),
    }
}

fn go() -> std::ffi::OsString {
    std::env::var_os("INTEROP_GOPLUGIN_GO").unwrap_or_else(|| "go".into())
}

/// A `go` command in the module: local toolchain only, modules as go.sum pins them.
fn go_command() -> Command {
    let mut command = Command::new(go());
    command
        .current_dir(goplugin_dir())
        .env("GOTOOLCHAIN", "local")
        .env_remove("GOPROXY")
        .env("GOFLAGS", "-mod=readonly")
        .env("GOWORK", "off")
        .env("CGO_ENABLED", "0")
        .stdin(Stdio::null());
    command
}

/// Checks that Go is there and at least 1.24; its version.
pub fn check_go_version() -> Result<String, String> {
    let (major, minor) = GOPLUGIN_MIN_GO;
    let need = format!(
        "the go-plugin interop tests need Go {major}.{minor} or newer (go-plugin v1.8.0's go.mod \
         says go 1.24)"
    );
    let output = go_command()
        .args(["env", "GOVERSION"])
        .output()
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => format!(
                "{need}, and `{}` was not found (scripts/test installs Debian's golang-go; \
                 INTEROP_GOPLUGIN_GO may name another go binary)",
                Path::new(&go()).display()
            ),
            _ => format!("{need}; running {}: {err}", Path::new(&go()).display()),
        })?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    match crate::parse_go_version(&version) {
        Some(found) if found >= GOPLUGIN_MIN_GO => Ok(version),
        _ => Err(format!(
            "{need}; `{}` is {version:?}. Install Go 1.24 or newer (or name one with \
             INTEROP_GOPLUGIN_GO); the tests download no toolchain",
            Path::new(&go()).display(),
        )),
    }
}

fn build_examples() -> Result<PathBuf, String> {
    check_go_version()?;
    let root = crate::target_dir().join("interop-goplugin-examples");
    crate::remove_stale_builds(&root);
    let out = root.join(std::process::id().to_string());
    std::fs::create_dir_all(&out).map_err(|err| format!("creating {}: {err}", out.display()))?;
    for (name, package) in [
        ("basic", "github.com/hashicorp/go-plugin/examples/basic"),
        (
            "greeter",
            "github.com/hashicorp/go-plugin/examples/basic/plugin",
        ),
    ] {
        let output = go_command()
            .args(["build", "-o"])
            .arg(out.join(name))
            .arg(package)
            .output()
            .map_err(|err| format!("running go build {package}: {err}"))?;
        if !output.status.success() {
            return Err(format!(
                "go build {package} failed ({}); go-plugin v1.8.0 and its modules come from the \
                 module cache or the Go module proxy, as goplugin/go.sum pins them:\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    Ok(out)
}

/// The test programs' `Hello` object (served through the broker): `Hello(name)` answers
/// `"WHO says hello to NAME"`.
pub struct Hello {
    /// Who says hello.
    pub who: String,
}

netrpc::service! {
    impl Hello {
        #[rpc("Hello")]
        async fn hello(&self, name: String) -> Result<String, std::convert::Infallible> {
            Ok(format!("{} says hello to {name}", self.who))
        }
    }
}

/// True while process `pid` exists, reaped or not (Linux: `/proc/<pid>`). A zombie counts:
/// a process its parent has not reaped is still left behind.
pub fn process_exists(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// True while `pid` runs: it exists and is not a zombie (an exited process nobody reaped).
pub fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
        Err(_) => false,
    }
}
