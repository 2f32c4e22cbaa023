//! A plugin's standard output and error after the handshake.
//!
//! go-plugin replaces a Go plugin's `os.Stdout` and `os.Stderr` with pipes whose other ends are
//! copied into the session's second and third streams, which the host copies to its
//! `SyncStdout` and `SyncStderr` (Go hosts discard them unless told otherwise). Loggers made
//! before `Serve` keep the process's real standard error, which the host reads line by line
//! into its log.
//!
//! Rust has no such variables, so with [`Stdio::Redirect`] (the default) this module does the
//! same at the file descriptor level: after printing the handshake line, it points fd 1 and
//! fd 2 at pipes with `dup2` (everything the process prints, `println!` and `eprintln!`
//! included, goes to the host's `SyncStdout` and `SyncStderr`), keeps a copy of the original
//! standard error for [`host_stderr`] (the host's log, where panics are written too), and puts
//! the original descriptors back when serving ends, so that what is still in the pipes is
//! forwarded before the streams close. With [`Stdio::Keep`] nothing is redirected and only
//! what is written through [`sync_stdout`] and [`sync_stderr`] goes to the streams.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use rpc_transport::BoxStream;
use tokio::io::AsyncWriteExt;
use tokio::task::JoinHandle;

/// What becomes of a plugin's standard output and error once it has printed its handshake
/// line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stdio {
    /// fd 1 and fd 2 are redirected into the session's stdout and stderr streams, as go-plugin
    /// redirects a Go plugin's `os.Stdout` and `os.Stderr`; logs meant for the host's log go
    /// through [`host_stderr`], and so do panic messages.
    #[default]
    Redirect,
    /// fd 1 and fd 2 stay as they are (fd 1 is the pipe the host read the handshake from);
    /// only [`sync_stdout`] and [`sync_stderr`] reach the streams.
    Keep,
}

/// The process's original standard error, saved before fd 2 is redirected.
static ORIGINAL_STDERR: OnceLock<Option<File>> = OnceLock::new();

/// The write ends of the stdout and stderr pipes while serving.
static SYNC: Mutex<Option<[File; 2]>> = Mutex::new(None);

fn sync_lock() -> std::sync::MutexGuard<'static, Option<[File; 2]>> {
    SYNC.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn original_stderr() -> Option<&'static File> {
    ORIGINAL_STDERR
        .get_or_init(|| {
            // SAFETY: fcntl with F_DUPFD_CLOEXEC only creates a new descriptor; fd 2 is not
            // consumed. A negative result means fd 2 is not open.
            let fd = unsafe { libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3) };
            // SAFETY: on success fd is a fresh descriptor that nothing else owns.
            (fd >= 0).then(|| unsafe { File::from_raw_fd(fd) })
        })
        .as_ref()
}

/// A writer to the process's original standard error: the host's log, whatever [`Stdio`]
/// does with fd 2. go-plugin's hosts read it line by line into their log (a JSON line in
/// hclog's format, `{"@level":"debug","@message":"..."}`, keeps its level; other lines are
/// logged at debug level). Call it (or [`serve`](crate::serve)) before anything redirects
/// fd 2. Usable as a `tracing_subscriber` writer: `.with_writer(netrpc_plugin::host_stderr)`.
pub fn host_stderr() -> HostStderr {
    let _ = original_stderr();
    HostStderr
}

/// See [`host_stderr`].
#[derive(Clone, Copy, Debug, Default)]
pub struct HostStderr;

impl Write for HostStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match original_stderr() {
            Some(mut file) => file.write(buf),
            None => io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer to the session's stdout stream (the host's `SyncStdout`) while serving; before and
/// after, to standard output.
pub fn sync_stdout() -> SyncWriter {
    SyncWriter(0)
}

/// A writer to the session's stderr stream (the host's `SyncStderr`) while serving; before and
/// after, to standard error.
pub fn sync_stderr() -> SyncWriter {
    SyncWriter(1)
}

/// See [`sync_stdout`] and [`sync_stderr`].
#[derive(Clone, Copy, Debug)]
pub struct SyncWriter(usize);

impl Write for SyncWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let sync = sync_lock();
        match (sync.as_ref(), self.0) {
            (Some(files), which) => (&files[which]).write(buf),
            (None, 0) => io::stdout().write(buf),
            (None, _) => io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if sync_lock().is_none() {
            io::stdout().flush()?;
        }
        Ok(())
    }
}

/// A pipe: (read end, write end), both close-on-exec.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `dup2(from, to)`, retried on EINTR.
fn dup2(from: RawFd, to: RawFd) -> io::Result<()> {
    loop {
        // SAFETY: dup2 only changes the descriptor table; `to` is 1 or 2, which std's stdout
        // and stderr write to by number and never close.
        if unsafe { libc::dup2(from, to) } >= 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// A copy of fd `fd`, close-on-exec.
fn dup(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: as in `original_stderr`.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// The pipes of one serving, before and after the redirection.
pub(crate) struct Capture {
    mode: Stdio,
    readers: Option<[OwnedFd; 2]>,
    /// The original fd 1 and fd 2 while they are redirected.
    saved: Option<[OwnedFd; 2]>,
}

impl Capture {
    /// Makes the pipes (nothing is redirected yet).
    pub(crate) fn new(mode: Stdio) -> io::Result<Capture> {
        let _ = original_stderr();
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = pipe()?;
        *sync_lock() = Some([File::from(out_w), File::from(err_w)]);
        Ok(Capture {
            mode,
            readers: Some([out_r, err_r]),
            saved: None,
        })
    }

    /// Points fd 1 and fd 2 at the pipes ([`Stdio::Redirect`]); call after the handshake line
    /// is out. Also sends panic messages to [`host_stderr`].
    pub(crate) fn redirect(&mut self) -> io::Result<()> {
        if self.mode != Stdio::Redirect {
            return Ok(());
        }
        let _ = io::stdout().flush();
        let saved = [dup(1)?, dup(2)?];
        {
            let sync = sync_lock();
            let Some(files) = sync.as_ref() else {
                return Ok(());
            };
            dup2(files[0].as_raw_fd(), 1)?;
            if let Err(err) = dup2(files[1].as_raw_fd(), 2) {
                let _ = dup2(saved[0].as_raw_fd(), 1);
                return Err(err);
            }
        }
        self.saved = Some(saved);
        std::panic::set_hook(Box::new(|info| {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("<unnamed>");
            let _ = writeln!(host_stderr(), "thread '{name}' {info}");
        }));
        Ok(())
    }

    /// Copies the pipes into the session's stdout and stderr streams until every write end is
    /// closed ([`finish`](Self::finish)).
    pub(crate) fn forward(&mut self, stdout: BoxStream, stderr: BoxStream) -> Forwarding {
        let tasks = match self.readers.take() {
            Some([out, err]) => vec![
                tokio::spawn(copy_pipe("stdout", out, stdout)),
                tokio::spawn(copy_pipe("stderr", err, stderr)),
            ],
            None => Vec::new(),
        };
        Forwarding { tasks }
    }

    /// Ends the capture: flushes standard output, puts fd 1 and fd 2 back and closes the pipes'
    /// write ends, so that the forwarding tasks read what is left and end.
    pub(crate) fn finish(&mut self) {
        let _ = io::stdout().flush();
        if let Some([out, err]) = self.saved.take() {
            let _ = dup2(out.as_raw_fd(), 1);
            let _ = dup2(err.as_raw_fd(), 2);
            let _ = std::panic::take_hook();
        }
        sync_lock().take();
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The tasks copying the pipes into the streams.
pub(crate) struct Forwarding {
    tasks: Vec<JoinHandle<()>>,
}

impl Forwarding {
    /// Waits up to `grace` for the copies to reach the pipes' ends, then stops them.
    pub(crate) async fn finish(self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        for mut task in self.tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

/// Copies a pipe's read end into a stream, then shuts the stream down. Once the stream fails
/// (the host went away) the pipe is still drained, so writers never block on it.
async fn copy_pipe(name: &'static str, read: OwnedFd, mut stream: BoxStream) {
    let mut pipe = match tokio::net::unix::pipe::Receiver::from_owned_fd(read) {
        Ok(pipe) => pipe,
        Err(err) => {
            tracing::warn!(error = %err, "plugin: cannot read the {name} pipe");
            return;
        }
    };
    match tokio::io::copy(&mut pipe, &mut stream).await {
        Ok(_) => {
            let _ = stream.shutdown().await;
        }
        Err(err) => {
            tracing::debug!(error = %err, "plugin: forwarding {name} stopped");
            drop(stream);
            let _ = tokio::io::copy(&mut pipe, &mut tokio::io::sink()).await;
        }
    }
}
