//! The plugin side: go-plugin's `plugin.Serve` for net/rpc.
//!
//! [`serve`] checks the magic cookie, picks the protocol version, listens on a Unix socket (or
//! TCP on 127.0.0.1), prints the handshake line, redirects standard output and error into the
//! session's streams, accepts the host's connection as yamux's server, serves `Control` and
//! `Dispenser` on the first stream, and returns when the host calls `Control.Quit` or goes
//! away.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use netrpc::{Gob, Server, Service};
use rpc_transport::{BoxStream, Connection, Multiplexed, Peer};
use tokio_util::sync::CancellationToken;

use crate::control::{Control, Dispenser};
use crate::error::ServeError;
use crate::handshake::{HandshakeLine, PROTOCOL_NETRPC, PluginAddr};
use crate::mux::{self, Role};
use crate::negotiate::{self, ENV_CLIENT_CERT, ENV_UNIX_SOCKET_DIR};
use crate::plugin::SharedPlugin;
use crate::stdio::{Capture, Forwarding, Stdio};
use crate::{Broker, HandshakeConfig, Plugin, PluginSet};

/// How long a plugin waits for its host to connect after printing the handshake line.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long, after `Control.Quit`, a plugin waits for the host to close the session (go-plugin's
/// host closes it as soon as the reply is in) before it stops anyway.
pub const QUIT_GRACE: Duration = Duration::from_secs(2);

/// Where a plugin listens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Listen {
    /// A Unix socket (`plugin` followed by digits) in `PLUGIN_UNIX_SOCKET_DIR`, else the
    /// temporary directory (`$TMPDIR`, else `/tmp`), as go-plugin does everywhere but Windows.
    #[default]
    Unix,
    /// TCP on 127.0.0.1, the first free port in `PLUGIN_MIN_PORT`..=`PLUGIN_MAX_PORT` (any
    /// port when both are unset), as go-plugin does on Windows.
    Tcp,
}

/// What a plugin serves and how (go-plugin's `ServeConfig`).
pub struct ServeConfig {
    /// The handshake the host must match.
    pub handshake: HandshakeConfig,
    /// The plugins by protocol version (go-plugin's `VersionedPlugins`; `plugin` fills the
    /// handshake's version).
    pub versioned_plugins: BTreeMap<u32, PluginSet>,
    /// Where to listen (default: a Unix socket).
    pub listen: Listen,
    /// What becomes of standard output and error (default: redirected to the host).
    pub stdio: Stdio,
    /// How long to wait for the host to connect (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub connect_timeout: Duration,
    /// Ignore SIGINT, as go-plugin does: a Ctrl-C in the host's terminal reaches the whole
    /// process group, and the host decides when its plugins stop (default true).
    pub ignore_interrupts: bool,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plugins: BTreeMap<u32, Vec<&String>> = self
            .versioned_plugins
            .iter()
            .map(|(version, set)| (*version, set.keys().collect()))
            .collect();
        f.debug_struct("ServeConfig")
            .field("handshake", &self.handshake)
            .field("plugins", &plugins)
            .field("listen", &self.listen)
            .field("stdio", &self.stdio)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl ServeConfig {
    /// A configuration with no plugins yet.
    pub fn new(handshake: HandshakeConfig) -> Self {
        Self {
            handshake,
            versioned_plugins: BTreeMap::new(),
            listen: Listen::default(),
            stdio: Stdio::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            ignore_interrupts: true,
        }
    }

    /// Serves `service` as the plugin `name` (one instance for every dispense), under the
    /// handshake's protocol version. The host calls it as `Plugin.Method`.
    pub fn plugin(self, name: impl Into<String>, service: impl Service) -> Self {
        let version = self.handshake.protocol_version;
        self.versioned_plugin(version, name, SharedPlugin(Arc::new(service)))
    }

    /// Serves the plugin `name` built by `plugin` at each dispense (a closure
    /// `|broker: &Broker| Ok::<_, String>(MyService { broker: broker.clone() })`), under the
    /// handshake's protocol version.
    pub fn plugin_with(self, name: impl Into<String>, plugin: impl Plugin) -> Self {
        let version = self.handshake.protocol_version;
        self.versioned_plugin(version, name, plugin)
    }

    /// Serves the plugin `name` under protocol `version`.
    pub fn versioned_plugin(
        mut self,
        version: u32,
        name: impl Into<String>,
        plugin: impl Plugin,
    ) -> Self {
        self.versioned_plugins
            .entry(version)
            .or_default()
            .insert(name.into(), Arc::new(plugin));
        self
    }

    /// Where to listen.
    pub fn listen(mut self, listen: Listen) -> Self {
        self.listen = listen;
        self
    }

    /// What becomes of standard output and error.
    pub fn stdio(mut self, stdio: Stdio) -> Self {
        self.stdio = stdio;
        self
    }
}

/// Serves the plugins as go-plugin's `plugin.Serve` does, and returns once the host has called
/// `Control.Quit` or gone away. A fixable error (the binary run by hand without the cookie, a
/// listener that cannot be made) is printed to standard error and the process exits with
/// status 1, as go-plugin does; [`try_serve`] returns it instead.
pub async fn serve(config: ServeConfig) {
    if let Err(err) = try_serve(config).await {
        let _ = writeln!(crate::host_stderr(), "{err}");
        std::process::exit(1);
    }
}

/// [`serve`], returning its error instead of exiting.
pub async fn try_serve(config: ServeConfig) -> Result<(), ServeError> {
    let env = |name: &str| std::env::var(name).ok();
    negotiate::check_cookie(&config.handshake, env)?;
    let (host_versions, complaints) =
        negotiate::client_versions(&env(negotiate::ENV_PROTOCOL_VERSIONS).unwrap_or_default());
    for complaint in complaints {
        let _ = writeln!(crate::host_stderr(), "{complaint}");
    }
    let ours: Vec<u32> = config.versioned_plugins.keys().copied().collect();
    let version =
        negotiate::negotiate(&ours, &host_versions).unwrap_or(config.handshake.protocol_version);
    let plugins = Arc::new(
        config
            .versioned_plugins
            .get(&version)
            .cloned()
            .unwrap_or_default(),
    );
    if env(ENV_CLIENT_CERT).is_some_and(|cert| !cert.is_empty()) {
        tracing::warn!("plugin: the host asks for AutoMTLS, which netrpc-plugin does not support");
    }

    let listener = PluginListener::bind(&config.listen)
        .await
        .map_err(ServeError::Listen)?;
    let mut capture = Capture::new(config.stdio).map_err(ServeError::Stdio)?;
    let line = HandshakeLine {
        protocol_version: version,
        addr: listener.addr(),
        protocol: PROTOCOL_NETRPC.into(),
    };
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{}", line.format()).map_err(ServeError::Handshake)?;
        stdout.flush().map_err(ServeError::Handshake)?;
    }
    capture.redirect().map_err(ServeError::Stdio)?;
    if config.ignore_interrupts {
        // SAFETY: setting SIGINT's disposition to SIG_IGN installs no handler code.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
        }
    }

    let (stream, peer) = match tokio::time::timeout(config.connect_timeout, listener.accept()).await
    {
        Ok(Ok(accepted)) => accepted,
        Ok(Err(err)) => return Err(ServeError::Accept(err)),
        Err(_) => return Err(ServeError::ConnectTimeout(config.connect_timeout)),
    };
    // One host, one connection: the socket file goes now.
    drop(listener);
    let session = mux::session(stream, Role::Plugin);
    let served = serve_session(session.clone(), plugins, peer, &mut capture).await;
    let forwarding = match served {
        Ok(forwarding) => forwarding,
        Err(err) => {
            session.close();
            return Err(err);
        }
    };
    // What the process printed last is still in the pipes: put fd 1 and fd 2 back so the pipes
    // end, forward the rest, then close the session.
    capture.finish();
    forwarding.finish(Duration::from_secs(1)).await;
    session.close();
    Ok(())
}

/// Serves one host session: accepts the control, stdout and stderr streams, starts the broker
/// and the forwarding of standard output and error, serves `Control` and `Dispenser`, and
/// returns once the host called `Control.Quit` (and then closed the session, or
/// [`QUIT_GRACE`] passed) or the session or control stream ended.
pub(crate) async fn serve_session(
    session: Arc<dyn Multiplexed>,
    plugins: Arc<PluginSet>,
    peer: Peer,
    capture: &mut Capture,
) -> Result<Forwarding, ServeError> {
    let control = accept_stream(&session).await?;
    let stdout = accept_stream(&session).await?;
    let stderr = accept_stream(&session).await?;
    let forwarding = capture.forward(stdout, stderr);

    let broker = Broker::new(session.clone(), peer.clone());
    tokio::spawn(broker.clone().run());

    let quit = CancellationToken::new();
    let server = Server::builder()
        .register(Control { quit: quit.clone() })
        .register(Dispenser {
            broker,
            plugins: plugins.clone(),
        })
        .handshake_timeout(None)
        .build();
    let serving = tokio::spawn({
        let server = server.clone();
        async move {
            server
                .serve_connection(Connection::boxed(control, peer), Arc::new(Gob))
                .await
        }
    });
    tokio::select! {
        _ = quit.cancelled() => {
            // The reply to Quit goes out before the control stream closes.
            server.shutdown(Duration::from_secs(1)).await;
            let _ = tokio::time::timeout(QUIT_GRACE, session.closed()).await;
        }
        err = session.closed() => {
            tracing::debug!(error = %err, "plugin: the host's session ended");
        }
        _ = serving => {
            tracing::debug!("plugin: the host closed the control stream");
        }
    }
    Ok(forwarding)
}

async fn accept_stream(session: &Arc<dyn Multiplexed>) -> Result<BoxStream, ServeError> {
    match session.accept().await {
        Ok(Some(stream)) => Ok(stream),
        Ok(None) => Err(ServeError::Session(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the host closed the session",
        ))),
        Err(err) => Err(ServeError::Session(err)),
    }
}

/// The plugin's listener: a Unix socket (removed when dropped) or a TCP port.
enum PluginListener {
    Unix {
        listener: tokio::net::UnixListener,
        path: PathBuf,
    },
    Tcp(tokio::net::TcpListener),
}

impl PluginListener {
    async fn bind(listen: &Listen) -> io::Result<PluginListener> {
        match listen {
            Listen::Unix => {
                let dir = std::env::var_os(ENV_UNIX_SOCKET_DIR)
                    .filter(|dir| !dir.is_empty())
                    .map(PathBuf::from)
                    .unwrap_or_else(std::env::temp_dir);
                let path = temp_name(&dir)?;
                let listener = tokio::net::UnixListener::bind(&path)?;
                Ok(PluginListener::Unix { listener, path })
            }
            Listen::Tcp => {
                let (min, max) = negotiate::port_range(|name| std::env::var(name).ok())
                    .map_err(io::Error::other)?;
                for port in min..=max {
                    if let Ok(listener) = tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                        return Ok(PluginListener::Tcp(listener));
                    }
                }
                Err(io::Error::other("couldn't bind plugin TCP listener"))
            }
        }
    }

    fn addr(&self) -> PluginAddr {
        match self {
            PluginListener::Unix { path, .. } => PluginAddr::Unix(path.clone()),
            PluginListener::Tcp(listener) => PluginAddr::Tcp(
                listener
                    .local_addr()
                    .unwrap_or_else(|_| ([127, 0, 0, 1], 0).into()),
            ),
        }
    }

    async fn accept(&self) -> io::Result<(BoxStream, Peer)> {
        match self {
            PluginListener::Unix { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                Ok((Box::new(stream), Peer::new("unix", "host")))
            }
            PluginListener::Tcp(listener) => {
                let (stream, addr) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                Ok((Box::new(stream), Peer::socket("tcp", addr)))
            }
        }
    }
}

impl Drop for PluginListener {
    fn drop(&mut self) {
        if let PluginListener::Unix { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A fresh path for the socket, as Go's `os.CreateTemp(dir, "plugin")` makes one: `plugin`
/// and random digits, created to claim the name, then removed for the socket to take.
fn temp_name(dir: &Path) -> io::Result<PathBuf> {
    use std::hash::{BuildHasher, Hasher};
    for attempt in 0u32..10_000 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.write_u32(attempt);
        let path = dir.join(format!("plugin{}", hasher.finish() as u32));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => {
                drop(file);
                std::fs::remove_file(&path)?;
                return Ok(path);
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary name for the plugin's socket",
    ))
}
