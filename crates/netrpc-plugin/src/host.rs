//! The host side: go-plugin's `plugin.Client` for net/rpc plugins.
//!
//! [`Client::start`] launches the plugin with the cookie and version environment, reads its
//! handshake line within the start timeout, checks it, connects, starts a yamux session as its
//! client, and opens the control, stdout and stderr streams in that order.
//! [`Client::dispense`] asks `Dispenser.Dispense` for a plugin and dials the broker id it
//! answers with: a netrpc [`netrpc::Client`] speaking gob to the plugin's `Plugin` service.
//! [`Client::kill`] stops the plugin as go-plugin does; dropping the client kills it at once.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use netrpc::Gob;
use rpc_transport::{BoxStream, Connection, Multiplexed, Peer};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio::sync::Mutex;

use crate::control::calls;
use crate::error::{PluginError, StartError};
use crate::handshake::{HandshakeLine, PluginAddr};
use crate::mux::{self, Role};
use crate::negotiate;
use crate::process::{self, FirstLine, Output, Process};
use crate::{Broker, HandshakeConfig};

/// How long a plugin may take to print its handshake line (go-plugin's `StartTimeout`).
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long [`Client::kill`] waits for `Control.Quit`'s reply, and then for the process to
/// exit, before it sends SIGKILL (go-plugin waits 2 s for the exit).
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// How long after the process exits its standard output may take to end, before the start
/// fails with `plugin exited before we could connect`.
const EXIT_GRACE: Duration = Duration::from_millis(500);

/// How a host starts a plugin (go-plugin's `ClientConfig`).
pub struct ClientConfig {
    /// The plugin's command, not yet started. Its environment gets the host's (unless
    /// `skip_host_env`) plus the cookie, `PLUGIN_MIN_PORT`, `PLUGIN_MAX_PORT` and
    /// `PLUGIN_PROTOCOL_VERSIONS`; its standard input is the host's (as go-plugin's) and its
    /// output is piped.
    pub cmd: Command,
    /// The handshake the plugin must match.
    pub handshake: HandshakeConfig,
    /// The protocol versions this host speaks (go-plugin's `VersionedPlugins` keys); empty
    /// means just the handshake's.
    pub versions: Vec<u32>,
    /// How long the plugin may take to print its handshake line (default
    /// [`DEFAULT_START_TIMEOUT`]).
    pub start_timeout: Duration,
    /// The TCP port range offered to the plugin (default 10000..=25000).
    pub ports: (u16, u16),
    /// Give the plugin none of the host's environment, only the plugin variables.
    pub skip_host_env: bool,
    /// Have the kernel SIGKILL the plugin when the host dies, even by SIGKILL (Linux's
    /// `PR_SET_PDEATHSIG`; ignored elsewhere). Off by default, as in go-plugin, whose plugins
    /// outlive a killed host (a netrpc-plugin plugin exits by itself when its host goes away).
    /// Linux ties this to the thread that started the plugin: start it from a thread that lives
    /// as long as the host (a runtime's main or worker thread).
    pub kill_with_host: bool,
    /// Where the plugin process's own standard error goes, line by line, besides the log
    /// (go-plugin's `Stderr`; default: only the log, at the level each hclog line names).
    pub stderr: Option<Output>,
    /// Where the plugin's redirected standard output goes (go-plugin's `SyncStdout`; default
    /// discarded).
    pub sync_stdout: Option<Output>,
    /// Where the plugin's redirected standard error goes (go-plugin's `SyncStderr`; default
    /// discarded).
    pub sync_stderr: Option<Output>,
}

impl ClientConfig {
    /// A configuration with go-plugin's defaults.
    pub fn new(cmd: Command, handshake: HandshakeConfig) -> Self {
        Self {
            cmd,
            handshake,
            versions: Vec::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
            ports: negotiate::DEFAULT_PORTS,
            skip_host_env: false,
            kill_with_host: false,
            stderr: None,
            sync_stdout: None,
            sync_stderr: None,
        }
    }

    /// The start timeout.
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("cmd", &self.cmd)
            .field("handshake", &self.handshake)
            .field("versions", &self.versions)
            .field("start_timeout", &self.start_timeout)
            .finish_non_exhaustive()
    }
}

/// A running plugin (go-plugin's `plugin.Client` with its `RPCClient`).
///
/// Dropping it kills the process at once (SIGKILL) and reaps it; [`kill`](Self::kill) asks it
/// to quit first. Clients from [`dispense`](Self::dispense) fail once the plugin is gone.
pub struct Client {
    process: Process,
    version: u32,
    addr: PluginAddr,
    session: Arc<dyn Multiplexed>,
    control: netrpc::Client,
    broker: Broker,
    killed: Mutex<Option<Option<ExitStatus>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("pid", &self.process.pid())
            .field("program", &self.process.program())
            .field("version", &self.version)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Launches the plugin and connects to it. On any failure the process is killed and
    /// reaped before the error returns.
    pub async fn start(config: ClientConfig) -> Result<Client, StartError> {
        let ClientConfig {
            mut cmd,
            handshake,
            mut versions,
            start_timeout,
            ports,
            skip_host_env,
            kill_with_host,
            stderr,
            sync_stdout,
            sync_stderr,
        } = config;
        if versions.is_empty() {
            versions.push(handshake.protocol_version);
        }
        if skip_host_env {
            cmd.env_clear();
        }
        if kill_with_host {
            process::kill_with_parent(&mut cmd);
        }
        for (key, value) in negotiate::host_env(&handshake, &versions, ports) {
            cmd.env(key, value);
        }
        let program = PathBuf::from(cmd.as_std().get_program());
        let (process, first_line) =
            Process::spawn(&mut cmd, stderr).map_err(|source| StartError::Spawn {
                command: program.display().to_string(),
                source,
            })?;
        tracing::debug!(plugin = %program.display(), pid = ?process.pid(), "plugin started");
        let deadline = tokio::time::Instant::now() + start_timeout;
        match connect(
            &process,
            first_line,
            &versions,
            deadline,
            sync_stdout,
            sync_stderr,
        )
        .await
        {
            Ok((line, session, control, broker)) => {
                let client = Client {
                    version: line.protocol_version,
                    addr: line.addr,
                    session: session.clone(),
                    control,
                    broker,
                    process,
                    killed: Mutex::new(None),
                };
                client.watch_exit();
                Ok(client)
            }
            Err(err) => {
                process.kill();
                process.wait().await;
                // What it said on its way out is often the reason.
                process.stderr_finished(Duration::from_secs(1)).await;
                Err(err.with_stderr(process.stderr_tail()))
            }
        }
    }

    /// Closes the session when the process exits, so that every pending call fails at once.
    fn watch_exit(&self) {
        let session = self.session.clone();
        let mut status = self.process_status();
        tokio::spawn(async move {
            let _ = status.wait_for(Option::is_some).await;
            session.close();
        });
    }

    fn process_status(&self) -> tokio::sync::watch::Receiver<Option<ExitStatus>> {
        self.process.status_receiver()
    }

    /// The negotiated protocol version.
    pub fn negotiated_version(&self) -> u32 {
        self.version
    }

    /// Where the plugin listens.
    pub fn addr(&self) -> &PluginAddr {
        &self.addr
    }

    /// The plugin's process id.
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// How the process exited, once it has.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.process.exit_status()
    }

    /// True once the process has exited (go-plugin's `Exited`).
    pub fn exited(&self) -> bool {
        self.exit_status().is_some()
    }

    /// Waits for the process to exit on its own.
    pub async fn wait(&self) -> Option<ExitStatus> {
        self.process.wait().await
    }

    /// The last lines the plugin wrote to its own standard error (its log).
    pub fn stderr_tail(&self) -> String {
        self.process.stderr_tail()
    }

    /// The broker of this session: serve a host object for the plugin to dial
    /// ([`Broker::accept_and_serve`]), or dial one the plugin serves.
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// The client of the control stream (`Control` and `Dispenser`).
    pub fn control(&self) -> &netrpc::Client {
        &self.control
    }

    /// `Control.Ping`: the plugin is alive and serving.
    pub async fn ping(&self) -> Result<(), PluginError> {
        Ok(calls::ping(&self.control).await?)
    }

    /// Dispenses the plugin `name`: a gob client for its `Plugin` service (call it as
    /// `Plugin.Method`). A name the plugin does not have fails with the plugin's
    /// `unknown plugin type: NAME`.
    pub async fn dispense(&self, name: &str) -> Result<netrpc::Client, PluginError> {
        let id = calls::dispense(&self.control, name).await?;
        Ok(self.broker.dial(id).await?)
    }

    /// Stops the plugin as go-plugin's `Kill` does: `Control.Quit`, close the streams and the
    /// session, wait up to [`KILL_GRACE`] for the exit, else SIGKILL; the process is always
    /// reaped. Returns its exit status (`None` only when the runtime is shutting down). Calling
    /// it again returns the same status.
    pub async fn kill(&self) -> Option<ExitStatus> {
        let mut killed = self.killed.lock().await;
        if let Some(status) = *killed {
            return status;
        }
        let graceful = !self.exited()
            && matches!(
                tokio::time::timeout(KILL_GRACE, calls::quit(&self.control)).await,
                Ok(Ok(()))
            );
        self.control.close();
        self.session.close();
        let mut status = None;
        if graceful {
            status = tokio::time::timeout(KILL_GRACE, self.process.wait())
                .await
                .ok()
                .flatten();
        }
        if status.is_none() {
            if !self.exited() {
                tracing::warn!(pid = ?self.pid(), "plugin failed to exit gracefully");
            }
            self.process.kill();
            status = self.process.wait().await;
        }
        *killed = Some(status);
        status
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.session.close();
        // The process's supervisor kills and reaps it (see `Process`'s Drop).
    }
}

/// Reads the handshake, connects, and opens the first streams.
async fn connect(
    process: &Process,
    first_line: tokio::sync::oneshot::Receiver<FirstLine>,
    versions: &[u32],
    deadline: tokio::time::Instant,
    sync_stdout: Option<Output>,
    sync_stderr: Option<Output>,
) -> Result<(HandshakeLine, Arc<dyn Multiplexed>, netrpc::Client, Broker), StartError> {
    let mut first_line = first_line;
    let first = tokio::select! {
        biased;
        first = &mut first_line => first.unwrap_or(FirstLine::Eof),
        _ = process.wait() => {
            // Its output ends with it, unless something it started holds it open.
            match tokio::time::timeout(EXIT_GRACE, first_line).await {
                Ok(first) => first.unwrap_or(FirstLine::Eof),
                Err(_) => return Err(StartError::Exited { stderr: String::new() }),
            }
        }
        _ = tokio::time::sleep_until(deadline) => return Err(StartError::Timeout { stderr: String::new() }),
    };
    let program = process.program().to_owned();
    let diagnose = || process::diagnose(&program);
    let line = match first {
        FirstLine::Line(line) => HandshakeLine::parse(&line, versions, false, diagnose)?,
        FirstLine::Eof => HandshakeLine::parse("", versions, true, diagnose)?,
        FirstLine::Error(err) => return Err(StartError::Stdout(err)),
    };
    tracing::debug!(version = line.protocol_version, addr = %line.addr, "using plugin");

    let left = deadline
        .saturating_duration_since(tokio::time::Instant::now())
        .max(Duration::from_secs(1));
    let connect_error = |source: io::Error| StartError::Connect {
        addr: line.addr.to_string(),
        source,
    };
    let (stream, peer): (BoxStream, Peer) = match &line.addr {
        PluginAddr::Unix(path) => {
            let stream = tokio::time::timeout(left, tokio::net::UnixStream::connect(path))
                .await
                .map_err(|_| connect_error(io::ErrorKind::TimedOut.into()))?
                .map_err(connect_error)?;
            (
                Box::new(stream),
                Peer::new("unix", path.display().to_string()),
            )
        }
        PluginAddr::Tcp(addr) => {
            let stream = tokio::time::timeout(left, tokio::net::TcpStream::connect(addr))
                .await
                .map_err(|_| connect_error(io::ErrorKind::TimedOut.into()))?
                .map_err(connect_error)?;
            let _ = stream.set_nodelay(true);
            (Box::new(stream), Peer::socket("tcp", *addr))
        }
    };
    let session = mux::session(stream, Role::Host);
    let opened = async {
        let control = session.open().await?;
        let stdout = session.open().await?;
        let stderr = session.open().await?;
        io::Result::Ok((control, stdout, stderr))
    };
    let (control, stdout, stderr) = match tokio::time::timeout(left, opened).await {
        Ok(Ok(streams)) => streams,
        Ok(Err(err)) => {
            session.close();
            return Err(StartError::Session(err));
        }
        Err(_) => {
            session.close();
            return Err(StartError::Session(io::ErrorKind::TimedOut.into()));
        }
    };
    tokio::spawn(copy_stream(stdout, sync_stdout));
    tokio::spawn(copy_stream(stderr, sync_stderr));
    let broker = Broker::new(session.clone(), peer.clone());
    tokio::spawn(broker.clone().run());
    let control = netrpc::Client::new(Connection::boxed(control, peer), Gob);
    Ok((line, session, control, broker))
}

/// Copies one of the plugin's redirected streams to where the host wants it (or nowhere).
async fn copy_stream(mut stream: BoxStream, sink: Option<Output>) {
    let result = match sink {
        Some(mut sink) => {
            let copied = tokio::io::copy(&mut stream, &mut sink).await;
            let _ = sink.flush().await;
            copied
        }
        None => tokio::io::copy(&mut stream, &mut tokio::io::sink()).await,
    };
    if let Err(err) = result {
        tracing::debug!(error = %err, "plugin stream copy ended");
    }
}
