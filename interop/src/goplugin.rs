//! The go-plugin side of the interop tests: the Go module `goplugin/` (HashiCorp go-plugin
//! v1.8.0, which needs Go 1.24) with its test host and plugin, go-plugin's own unchanged
//! `examples/basic` host and greeter plugin, and the Rust twin of the test programs' `Hello`.
//!
//! [`goplugin_program`] builds them all once per test process into
//! `<target>/interop-goplugin/<pid>/`: `testhost`, `testplugin`, `basic` (go-plugin's basic
//! host) and `greeter` (its basic plugin). Unlike the standard-library module `go/`, this one
//! has dependencies, which come from the Go module proxy as configured (`GOPROXY`; the default
//! is Go's), pinned by `goplugin/go.sum` (`-mod=readonly`). No toolchain is ever downloaded
//! (`GOTOOLCHAIN=local`): when the machine's Go is older than 1.24, or missing, the tests fail
//! and say that go-plugin v1.8.0 needs Go 1.24.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The Go version go-plugin v1.8.0 needs.
pub const GO_NEEDED: (u32, u32) = (1, 24);

/// The Go module's directory.
pub fn goplugin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("goplugin")
}

/// A command running one of the go-plugin programs (`testhost`, `testplugin`, `basic`,
/// `greeter`), built once per process. Panics with the reason when Go is missing, older than
/// 1.24, or the build fails.
pub fn goplugin_program(name: &str) -> Command {
    Command::new(goplugin_path(name))
}

/// The path of a go-plugin program (see [`goplugin_program`]).
pub fn goplugin_path(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = match BUILT.get_or_init(build) {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    };
    let path = dir.join(name);
    assert!(
        path.exists(),
        "no go-plugin program {name} at {}",
        path.display()
    );
    path
}

fn go() -> std::ffi::OsString {
    std::env::var_os("INTEROP_GO").unwrap_or_else(|| "go".into())
}

/// A `go` command for the module: local toolchain only, go.sum as it is.
fn go_command() -> Command {
    let mut command = Command::new(go());
    command
        .current_dir(goplugin_dir())
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=readonly")
        .env("GOWORK", "off")
        .env("CGO_ENABLED", "0")
        .stdin(Stdio::null());
    command
}

/// `go1.26.8` -> (1, 26).
pub fn parse_go_version(text: &str) -> Option<(u32, u32)> {
    let rest = text.trim().strip_prefix("go")?;
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()
        .and_then(|minor| minor.parse().ok())
        .unwrap_or(0);
    Some((major, minor))
}

/// Checks that Go is there and at least 1.24.
pub fn check_go_version() -> Result<String, String> {
    let need = format!(
        "the go-plugin interop tests need Go {}.{} or newer (go-plugin v1.8.0's go.mod says go 1.24)",
        GO_NEEDED.0, GO_NEEDED.1
    );
    let output = go_command()
        .args(["env", "GOVERSION"])
        .output()
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => format!(
                "{need}, and `{}` was not found (scripts/test installs Debian's golang-go; \
                 INTEROP_GO may name another go binary)",
                Path::new(&go()).display()
            ),
            _ => format!("{need}; running {}: {err}", Path::new(&go()).display()),
        })?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    match parse_go_version(&version) {
        Some(found) if found >= GO_NEEDED => Ok(version),
        _ => Err(format!(
            "{need}; this machine's Go is {:?} ({}). Install Go 1.24 or newer (or point \
             INTEROP_GO at one); nothing is downloaded by the tests",
            version,
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}

fn build() -> Result<PathBuf, String> {
    check_go_version()?;
    let root = crate::target_dir().join("interop-goplugin");
    crate::remove_stale_builds(&root);
    let out = root.join(std::process::id().to_string());
    std::fs::create_dir_all(&out).map_err(|err| format!("creating {}: {err}", out.display()))?;
    let builds: [(&str, &str); 4] = [
        ("testhost", "./cmd/testhost"),
        ("testplugin", "./cmd/testplugin"),
        ("basic", "github.com/hashicorp/go-plugin/examples/basic"),
        (
            "greeter",
            "github.com/hashicorp/go-plugin/examples/basic/plugin",
        ),
    ];
    for (name, package) in builds {
        let output = go_command()
            .args(["build", "-o"])
            .arg(out.join(name))
            .arg(package)
            .output()
            .map_err(|err| format!("running go build {package}: {err}"))?;
        if !output.status.success() {
            return Err(format!(
                "go build {package} failed ({}); go-plugin v1.8.0 and its modules come from the \
                 Go module proxy (GOPROXY) unless already in the module cache:\n{}{}",
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

#[cfg(test)]
mod tests {
    use super::parse_go_version;

    #[test]
    fn go_versions() {
        assert_eq!(parse_go_version("go1.26.8"), Some((1, 26)));
        assert_eq!(parse_go_version("go1.24"), Some((1, 24)));
        assert_eq!(parse_go_version("go1.19.8\n"), Some((1, 19)));
        assert!(parse_go_version("go1.19") < Some((1, 24)));
        assert_eq!(parse_go_version("devel"), None);
    }
}
