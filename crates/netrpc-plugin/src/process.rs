//! The plugin process as its host runs it: started with piped output, its standard output read
//! line by line (the first line is the handshake, the rest is logged), its standard error read
//! into the host's log, its exit watched, killed on demand or when dropped, and always reaped.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};

/// The longest line read from the plugin's output (Go's `bufio.Scanner` limit for the
/// handshake line, and hclog's default buffer for the log).
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// How many lines of the plugin's standard error are kept for error reports.
const TAIL_LINES: usize = 20;

/// A writer the host copies plugin output to.
pub type Output = Box<dyn AsyncWrite + Send + Unpin>;

/// A running (or exited) plugin process.
pub(crate) struct Process {
    pid: Option<u32>,
    program: PathBuf,
    status: watch::Receiver<Option<ExitStatus>>,
    /// Sending (or dropping) it makes the waiting task SIGKILL the process.
    kill: Mutex<Option<oneshot::Sender<()>>>,
    tail: Arc<Mutex<VecDeque<String>>>,
    /// True once the standard error reader reached the end.
    stderr_done: watch::Receiver<bool>,
}

/// What the plugin printed on its standard output: the first line, or why there is none.
pub(crate) enum FirstLine {
    /// A line (without its newline).
    Line(String),
    /// The output ended before a line.
    Eof,
    /// Reading failed (or the line was too long).
    Error(io::Error),
}

impl Process {
    /// Starts `cmd` with piped output and the host's standard input (as go-plugin does). Its
    /// standard error goes to the log (and to `stderr` when given); the first line of its
    /// standard output comes back through the receiver.
    pub(crate) fn spawn(
        cmd: &mut Command,
        stderr: Option<Output>,
    ) -> io::Result<(Process, oneshot::Receiver<FirstLine>)> {
        cmd.stdin(std::process::Stdio::inherit())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let program = PathBuf::from(cmd.as_std().get_program());
        let mut child = cmd.spawn()?;
        let pid = child.id();
        let name = program
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (first_tx, first_rx) = oneshot::channel();
        let (tail_for_reader, name_for_reader) = (tail.clone(), name.clone());
        if let Some(out) = child.stdout.take() {
            tokio::spawn(read_stdout(BufReader::new(out), first_tx, name.clone()));
        }
        let (stderr_done_tx, stderr_done) = watch::channel(false);
        if let Some(err) = child.stderr.take() {
            tokio::spawn(async move {
                read_stderr(
                    BufReader::new(err),
                    stderr,
                    tail_for_reader,
                    name_for_reader,
                )
                .await;
                stderr_done_tx.send_replace(true);
            });
        }
        let (status_tx, status_rx) = watch::channel(None);
        let (kill_tx, kill_rx) = oneshot::channel();
        tokio::spawn(supervise(child, kill_rx, status_tx, name));
        Ok((
            Process {
                pid,
                program,
                status: status_rx,
                kill: Mutex::new(Some(kill_tx)),
                tail,
                stderr_done,
            },
            first_rx,
        ))
    }

    /// The process id (`None` once tokio has reaped it before we asked).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The command's program, as given.
    pub(crate) fn program(&self) -> &Path {
        &self.program
    }

    /// Watches the exit status (`Some` once exited and reaped).
    pub(crate) fn status_receiver(&self) -> watch::Receiver<Option<ExitStatus>> {
        self.status.clone()
    }

    /// How it exited, once it has (and has been reaped).
    pub(crate) fn exit_status(&self) -> Option<ExitStatus> {
        *self.status.borrow()
    }

    /// Sends SIGKILL (once; nothing if it has exited).
    pub(crate) fn kill(&self) {
        let sender = self
            .kill
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(sender) = sender {
            let _ = sender.send(());
        }
    }

    /// Waits for the exit (the process is reaped by then).
    pub(crate) async fn wait(&self) -> Option<ExitStatus> {
        let mut status = self.status.clone();
        match status.wait_for(Option::is_some).await {
            Ok(status) => *status,
            // The supervising task is gone (the runtime is shutting down).
            Err(_) => None,
        }
    }

    /// Waits up to `limit` for its standard error to end (it ends with the process, unless
    /// something the process started holds it open).
    pub(crate) async fn stderr_finished(&self, limit: std::time::Duration) {
        let mut done = self.stderr_done.clone();
        let _ = tokio::time::timeout(limit, done.wait_for(|done| *done)).await;
    }

    /// The last lines of its standard error.
    pub(crate) fn stderr_tail(&self) -> String {
        let tail = self
            .tail
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut text = String::new();
        for line in tail.iter() {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Never leave a process behind: the supervising task kills and reaps it.
        self.kill();
    }
}

/// Has the kernel SIGKILL the child when this thread dies (Linux's `PR_SET_PDEATHSIG`); a
/// host that died before the child asked is noticed (the child's parent changed) and the start
/// fails.
#[cfg(target_os = "linux")]
pub(crate) fn kill_with_parent(cmd: &mut Command) {
    // SAFETY: getpid cannot fail.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the child between fork and exec; it calls only prctl and
    // getppid, which are async-signal-safe, and allocates nothing (its errors are errno
    // values).
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                // The host died while the plugin started.
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Elsewhere there is no such thing: the plugin outlives a killed host.
#[cfg(not(target_os = "linux"))]
pub(crate) fn kill_with_parent(_cmd: &mut Command) {}

/// Waits for the process to exit, or kills it when asked (or when the [`Process`] is gone),
/// and always reaps it.
async fn supervise(
    mut child: Child,
    kill: oneshot::Receiver<()>,
    status: watch::Sender<Option<ExitStatus>>,
    name: String,
) {
    let exited = tokio::select! {
        exited = child.wait() => exited,
        _ = kill => {
            if let Err(err) = child.start_kill() {
                tracing::debug!(plugin = %name, error = %err, "killing plugin");
            }
            child.wait().await
        }
    };
    match exited {
        Ok(exit) => {
            tracing::debug!(plugin = %name, status = %exit, "plugin process exited");
            status.send_replace(Some(exit));
        }
        Err(err) => {
            tracing::error!(plugin = %name, error = %err, "waiting for the plugin process");
        }
    }
}

/// Reads a line of at most [`MAX_LINE`] bytes (without its `\n` or `\r\n`); `None` at the end.
pub(crate) async fn read_line(
    reader: &mut (impl AsyncBufRead + Unpin),
) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok((!line.is_empty()).then_some(line));
        }
        let (chunk, found) = match buf.iter().position(|b| *b == b'\n') {
            Some(at) => (&buf[..at], true),
            None => (buf, false),
        };
        if line.len() + chunk.len() > MAX_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bufio.Scanner: token too long",
            ));
        }
        line.extend_from_slice(chunk);
        let used = chunk.len() + usize::from(found);
        reader.consume(used);
        if found {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(line));
        }
    }
}

/// The plugin's standard output: the first line to the handshake, the rest to the log.
async fn read_stdout(
    mut out: impl AsyncBufRead + Unpin,
    first: oneshot::Sender<FirstLine>,
    name: String,
) {
    let first_line = match read_line(&mut out).await {
        Ok(Some(line)) => FirstLine::Line(String::from_utf8_lossy(&line).into_owned()),
        Ok(None) => FirstLine::Eof,
        Err(err) => FirstLine::Error(err),
    };
    let failed = matches!(first_line, FirstLine::Error(_));
    let _ = first.send(first_line);
    if failed {
        let _ = tokio::io::copy(&mut out, &mut tokio::io::sink()).await;
        return;
    }
    // Drained for as long as the plugin writes, so it never blocks on a full pipe.
    loop {
        match read_line(&mut out).await {
            Ok(Some(line)) => {
                tracing::debug!(plugin = %name, "stdout: {}", String::from_utf8_lossy(&line));
            }
            Ok(None) => break,
            Err(_) => {
                let _ = tokio::io::copy(&mut out, &mut tokio::io::sink()).await;
                break;
            }
        }
    }
}

/// The plugin's standard error, line by line: to the log (an hclog JSON line at its level),
/// to `sink` when given, and into the tail kept for error reports.
async fn read_stderr(
    mut err: impl AsyncBufRead + Unpin,
    mut sink: Option<Output>,
    tail: Arc<Mutex<VecDeque<String>>>,
    name: String,
) {
    loop {
        let line = match read_line(&mut err).await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(_) => {
                // A line longer than the limit: pass the bytes on as they come.
                let mut rest = Vec::new();
                let _ = tokio::io::AsyncReadExt::read_to_end(&mut err, &mut rest).await;
                if let Some(sink) = sink.as_mut() {
                    let _ = sink.write_all(&rest).await;
                }
                break;
            }
        };
        if let Some(out) = sink.as_mut()
            && (out.write_all(&line).await.is_err() || out.write_all(b"\n").await.is_err())
        {
            sink = None;
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        log_line(&name, &text);
        let mut tail = tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(text);
    }
    if let Some(mut sink) = sink {
        let _ = sink.flush().await;
    }
}

/// Logs a line of the plugin's standard error at the level it names (hclog's JSON
/// `"@level"`, or a `[LEVEL]` prefix), else at debug level, as go-plugin's host does.
fn log_line(name: &str, line: &str) {
    let level = json_level(line).unwrap_or_else(|| {
        for (prefix, level) in [
            ("[TRACE]", "trace"),
            ("[DEBUG]", "debug"),
            ("[INFO]", "info"),
            ("[WARN]", "warn"),
            ("[ERROR]", "error"),
            ("panic: ", "error"),
            ("thread '", "error"),
        ] {
            if line.starts_with(prefix) {
                return level;
            }
        }
        "debug"
    });
    match level {
        "trace" => tracing::trace!(plugin = %name, "{line}"),
        "info" => tracing::info!(plugin = %name, "{line}"),
        "warn" => tracing::warn!(plugin = %name, "{line}"),
        "error" => tracing::error!(plugin = %name, "{line}"),
        _ => tracing::debug!(plugin = %name, "{line}"),
    }
}

/// The `"@level":"..."` of an hclog JSON line.
fn json_level(line: &str) -> Option<&'static str> {
    if !line.starts_with('{') {
        return None;
    }
    let rest = &line[line.find("\"@level\"")? + "\"@level\"".len()..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let value = &rest[..rest.find('"')?];
    ["trace", "debug", "info", "warn", "error"]
        .into_iter()
        .find(|level| *level == value)
}

/// The notes go-plugin adds to an unrecognized handshake (its `CmdRunner.Diagnose`), about the
/// command's file.
pub(crate) fn diagnose(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let resolved = resolve(path);
    let Ok(meta) = std::fs::metadata(&resolved) else {
        return "This usually means\n  the plugin was not compiled for this architecture,\n  \
                the plugin is missing dynamic-link libraries necessary to run,\n  the plugin is \
                not executable by this process due to file permissions, or\n  the plugin failed \
                to negotiate the initial go-plugin protocol handshake\n"
            .into();
    };
    // SAFETY: getuid and getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let mut notes = String::from("\nAdditional notes about plugin:\n");
    notes.push_str(&format!("  Path: {}\n", resolved.display()));
    notes.push_str(&format!("  Mode: {}\n", go_mode(meta.mode())));
    notes.push_str(&format!(
        "  Owner: {} [{}] (current: {} [{}])\n",
        meta.uid(),
        name_of("/etc/passwd", meta.uid()),
        uid,
        name_of("/etc/passwd", uid)
    ));
    notes.push_str(&format!(
        "  Group: {} [{}] (current: {} [{}])\n",
        meta.gid(),
        name_of("/etc/group", meta.gid()),
        gid,
        name_of("/etc/group", gid)
    ));
    if let Some(machine) = elf_machine(&resolved) {
        notes.push_str(&format!(
            "  ELF architecture: {machine} (current architecture: {})\n",
            go_arch()
        ));
    }
    format!(
        "This usually means\n  the plugin was not compiled for this architecture,\n  the plugin \
         is missing dynamic-link libraries necessary to run,\n  the plugin is not executable by \
         this process due to file permissions, or\n  the plugin failed to negotiate the initial \
         go-plugin protocol handshake\n{notes}"
    )
}

/// A program name as the OS would find it: on `$PATH` when it has no slash.
fn resolve(path: &Path) -> PathBuf {
    if path.components().count() > 1 {
        return path.to_owned();
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(path))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| path.to_owned())
}

/// Go's `FileMode.String` for a regular file or directory (`-rwxr-xr-x`).
fn go_mode(mode: u32) -> String {
    let mut text = String::new();
    text.push(if mode & 0o170000 == 0o040000 {
        'd'
    } else {
        '-'
    });
    for (bit, c) in [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ] {
        text.push(if mode & bit != 0 { c } else { '-' });
    }
    text
}

/// The name of `id` in `/etc/passwd` or `/etc/group`, `?` when it has none.
fn name_of(file: &str, id: u32) -> String {
    let id = id.to_string();
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                (fields.nth(1)? == id).then(|| name.to_owned())
            })
        })
        .unwrap_or_else(|| "?".into())
}

/// An ELF file's machine, as Go's `elf.Machine` prints it.
fn elf_machine(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = [0u8; 20];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    if &head[..4] != b"\x7fELF" {
        return None;
    }
    let machine = if head[5] == 2 {
        u16::from_be_bytes([head[18], head[19]])
    } else {
        u16::from_le_bytes([head[18], head[19]])
    };
    Some(match machine {
        3 => "EM_386",
        40 => "EM_ARM",
        62 => "EM_X86_64",
        183 => "EM_AARCH64",
        243 => "EM_RISCV",
        258 => "EM_LOONGARCH",
        _ => "unknown",
    })
}

/// `runtime.GOARCH` of this machine.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_bounded() {
        let mut input: &[u8] = b"one\r\ntwo\nthree";
        assert_eq!(read_line(&mut input).await.unwrap().unwrap(), b"one");
        assert_eq!(read_line(&mut input).await.unwrap().unwrap(), b"two");
        assert_eq!(read_line(&mut input).await.unwrap().unwrap(), b"three");
        assert!(read_line(&mut input).await.unwrap().is_none());
        let long = vec![b'x'; MAX_LINE + 1];
        let mut input: &[u8] = &long;
        assert!(read_line(&mut input).await.is_err());
    }

    #[test]
    fn levels_and_modes() {
        assert_eq!(
            json_level(r#"{"@level":"debug","@message":"hi"}"#),
            Some("debug")
        );
        assert_eq!(json_level(r#"{"@level": "warn"}"#), Some("warn"));
        assert_eq!(json_level("plain"), None);
        assert_eq!(go_mode(0o100755), "-rwxr-xr-x");
        assert_eq!(go_mode(0o040700), "drwx------");
        let notes = diagnose(Path::new("/bin/sh"));
        assert!(
            notes.contains("Additional notes about plugin:\n  Path: /bin/sh\n"),
            "{notes}"
        );
    }
}
