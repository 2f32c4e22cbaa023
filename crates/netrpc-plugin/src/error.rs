//! The errors, with go-plugin's texts where go-plugin has one.

use std::io;

/// Why a host could not start a plugin ([`Client::start`](crate::Client::start)). The process
/// is killed and reaped before this is returned.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The command could not be started (not found, not executable).
    #[error("starting plugin {command}: {source}")]
    Spawn {
        /// The command's program.
        command: String,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// No handshake line within the start timeout.
    #[error("timeout while waiting for plugin to start")]
    Timeout {
        /// The last lines of the plugin's standard error.
        stderr: String,
    },
    /// The process exited before printing a handshake line, and its output was still open.
    #[error("plugin exited before we could connect")]
    Exited {
        /// The last lines of the plugin's standard error.
        stderr: String,
    },
    /// The first line is not a handshake line (fewer than four `|`-separated fields), or the
    /// plugin's standard output ended without one (a plugin run without the right cookie
    /// prints nothing there and exits). `message` is Go's whole text, with the notes about
    /// the command that Go adds.
    #[error("{message}")]
    Unrecognized {
        /// The line as read, trimmed (empty when there was none).
        line: String,
        /// The whole error text.
        message: String,
        /// The last lines of the plugin's standard error (a plugin run without the right
        /// cookie says so there).
        stderr: String,
    },
    /// The core protocol version is not a number.
    #[error("error parsing core protocol version: {0}")]
    CoreVersionSyntax(String),
    /// The plugin speaks another core protocol version.
    #[error(
        "incompatible core API version with plugin. Plugin version: {plugin}, Core version: {core}\n\n\
         To fix this, the plugin usually only needs to be recompiled.\n\
         Please report this to the plugin author",
        core = crate::CORE_PROTOCOL_VERSION
    )]
    CoreVersion {
        /// The plugin's core version field, as printed.
        plugin: String,
    },
    /// The application protocol version is not a number.
    #[error("Error parsing protocol version {text:?}: {error}")]
    VersionSyntax {
        /// The field as printed.
        text: String,
        /// Go's `strconv` error text.
        error: String,
    },
    /// The plugin chose a protocol version the host does not speak.
    #[error("incompatible API version with plugin. Plugin version: {plugin}, Client versions: {}", go_list(.host))]
    Version {
        /// The plugin's version.
        plugin: i64,
        /// The versions the host speaks.
        host: Vec<u32>,
    },
    /// The network is neither `unix` nor `tcp` (Go names the address).
    #[error("unknown address type: {0}")]
    AddressType(String),
    /// A `tcp` address that is not `HOST:PORT`.
    #[error("bad {network} address from plugin: {addr}")]
    Address {
        /// The network.
        network: String,
        /// The address as printed.
        addr: String,
    },
    /// The plugin speaks another protocol (gRPC).
    #[error("unsupported plugin protocol {0:?}. Supported: [netrpc]")]
    Protocol(String),
    /// The plugin sent a server certificate (go-plugin's AutoMTLS), which this crate does not
    /// speak.
    #[error(
        "the plugin sent a TLS server certificate (go-plugin's AutoMTLS), which netrpc-plugin does not support"
    )]
    AutoMtls,
    /// Reading the plugin's standard output failed.
    #[error("reading the plugin's stdout: {0}")]
    Stdout(#[source] io::Error),
    /// The plugin's address could not be dialed.
    #[error("connecting to plugin at {addr}: {source}")]
    Connect {
        /// The address.
        addr: String,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The yamux session failed before the control, stdout and stderr streams were open.
    #[error("opening the plugin's streams: {0}")]
    Session(#[source] io::Error),
}

impl StartError {
    /// The last lines the plugin wrote to its standard error before the start failed, where
    /// known (not part of the error's text, which is go-plugin's).
    pub fn plugin_stderr(&self) -> Option<&str> {
        match self {
            StartError::Timeout { stderr }
            | StartError::Exited { stderr }
            | StartError::Unrecognized { stderr, .. } => Some(stderr),
            _ => None,
        }
    }

    /// Fills in the plugin's standard error.
    pub(crate) fn with_stderr(mut self, tail: String) -> Self {
        match &mut self {
            StartError::Timeout { stderr }
            | StartError::Exited { stderr }
            | StartError::Unrecognized { stderr, .. } => *stderr = tail,
            _ => {}
        }
        self
    }
}

/// Go's `%d` of an `[]int`: `[1 2]`.
fn go_list(versions: &[u32]) -> String {
    let items: Vec<String> = versions.iter().map(u32::to_string).collect();
    format!("[{}]", items.join(" "))
}

/// Why a plugin stopped serving ([`try_serve`](crate::try_serve)).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration has no magic cookie key or value.
    #[error(
        "Misconfigured ServeConfig given to serve this plugin: no magic cookie\n\
         key or value was set. Please notify the plugin author and report\n\
         this as a bug."
    )]
    NoCookie,
    /// The magic cookie is not in the environment: the binary was run by hand.
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins, which will\n\
         load any plugins automatically"
    )]
    NotAPlugin,
    /// The listener could not be set up.
    #[error("plugin init error: {0}")]
    Listen(#[source] io::Error),
    /// Standard output or error could not be redirected.
    #[error("Error preparing plugin: {0}")]
    Stdio(#[source] io::Error),
    /// Printing the handshake line failed.
    #[error("printing the handshake line: {0}")]
    Handshake(#[source] io::Error),
    /// The host did not connect in time.
    #[error("the host did not connect within {0:?}")]
    ConnectTimeout(std::time::Duration),
    /// Accepting the host's connection failed.
    #[error("accepting the host's connection: {0}")]
    Accept(#[source] io::Error),
    /// The host's session ended before the control, stdout and stderr streams were open.
    #[error("accepting the host's streams: {0}")]
    Session(#[source] io::Error),
}

/// A failure of the broker ([`Broker`](crate::Broker)), with go-plugin's texts.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// No stream with the id arrived within the broker's timeout (5 s).
    #[error("timeout waiting for accept")]
    AcceptTimeout,
    /// The other side answered a dial with another id.
    #[error("bad ack: {ack} (expected {expected})")]
    BadAck {
        /// The id received.
        ack: u32,
        /// The id sent.
        expected: u32,
    },
    /// The other side did not acknowledge a dial in time.
    #[error("timeout waiting for the ack of stream {0}")]
    AckTimeout(u32),
    /// Something already waits to accept this id.
    #[error("already accepting stream {0}")]
    Busy(u32),
    /// The stream or session failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// A failure of a call to a running plugin ([`Client`](crate::Client)'s methods).
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The call failed: the plugin's error text (`unknown plugin type: NAME`), or a link error
    /// (the plugin exited, the session closed).
    #[error("{0}")]
    Rpc(#[from] netrpc::Error),
    /// Connecting to the dispensed plugin through the broker failed.
    #[error("{0}")]
    Broker(#[from] BrokerError),
    /// The plugin has been killed or has exited.
    #[error("plugin exited")]
    Exited,
}
