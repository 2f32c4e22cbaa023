//! The command line: subcommands and their options.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use netrpc::Codec;

use crate::Failure;

/// Go's net/rpc for Rust: serve and call the seed's HelloService and KVStoreService.
#[derive(Parser, Debug)]
#[command(name = "netrpc", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Serve HelloService and KVStoreService on an address.
    Serve(ServeArgs),
    /// Serve the same services over outbound links (reverse RPC), redialing until killed.
    Reverse(ReverseArgs),
    /// Make one call and print the reply as JSON.
    Call(CallArgs),
    /// Follow changes to the KV store, one JSON line per change.
    Watch(WatchArgs),
    /// List the services and methods of a server from its /debug/rpc page (Go's or netrpc's).
    List(ListArgs),
    /// Print a --credentials file line, USER:ARGON2-HASH, for a password read from stdin.
    HashPassword(HashPasswordArgs),
    /// Launch a HashiCorp go-plugin net/rpc plugin and talk to it.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Subcommand, Debug)]
pub(crate) enum PluginCommand {
    /// Launch the plugin, dispense one plugin, make one call, print the reply as JSON, and
    /// stop the plugin.
    Call(PluginCallArgs),
}

#[derive(Args, Debug)]
pub(crate) struct PluginCallArgs {
    /// The plugin's executable.
    #[arg(long, value_name = "PATH")]
    pub(crate) cmd: std::path::PathBuf,
    /// An argument for the plugin's command (repeat for more).
    #[arg(long = "cmd-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub(crate) cmd_args: Vec<String>,
    /// The magic cookie the plugin expects in its environment (its HandshakeConfig's
    /// MagicCookieKey and MagicCookieValue).
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_cookie)]
    pub(crate) cookie: Option<(String, String)>,
    /// The plugin protocol version this host speaks (its HandshakeConfig's ProtocolVersion).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) version: u32,
    /// The plugin to dispense (a key of the plugin's plugin map).
    #[arg(long, value_name = "NAME")]
    pub(crate) dispense: String,
    /// The Go type of the argument (as for `netrpc call`); inferred from the JSON when absent,
    /// and `null` sends a nil interface{} value (go-plugin's `new(interface{})`).
    #[arg(long, value_name = "GO_TYPE")]
    pub(crate) arg_type: Option<String>,
    /// Seconds the plugin may take to print its handshake line.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub(crate) start_timeout: f64,
    /// Give up on the call after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,
    /// "Plugin.Method" (the dispensed plugin is served as `Plugin`).
    pub(crate) method: String,
    /// The argument as JSON (default: null).
    pub(crate) args: Option<String>,
}

fn parse_cookie(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((key, value)) if !key.is_empty() && !value.is_empty() => {
            Ok((key.to_owned(), value.to_owned()))
        }
        _ => Err("expected KEY=VALUE (both non-empty)".into()),
    }
}

/// A wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CodecArg {
    /// Go's default, encoding/gob.
    Gob,
    /// Go's net/rpc/jsonrpc.
    Json,
    /// netrpc's compact binary framing (Rust to Rust).
    Postcard,
    /// netrpc's framing with protobuf messages (any language with a protobuf library).
    Protobuf,
    /// Serving only: tell gob, json, postcard and protobuf clients (and Go's HTTP CONNECT)
    /// apart per connection.
    Auto,
}

impl CodecArg {
    pub(crate) fn codec(self) -> Arc<dyn Codec> {
        match self {
            CodecArg::Gob => Arc::new(netrpc::Gob),
            CodecArg::Json => Arc::new(netrpc::Json),
            CodecArg::Postcard => Arc::new(netrpc::Postcard),
            CodecArg::Protobuf => Arc::new(netrpc::Protobuf),
            CodecArg::Auto => Arc::new(netrpc::Auto),
        }
    }

    /// The codec a calling command speaks; `auto` only makes sense for serving.
    pub(crate) fn client_codec(self) -> Result<Arc<dyn Codec>, Failure> {
        match self {
            CodecArg::Auto => Err(Failure::Usage(
                "--codec auto only applies to serve and reverse; pick gob, json or postcard".into(),
            )),
            other => Ok(other.codec()),
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on: tcp://HOST:PORT, unix:///PATH, http://HOST:PORT[/RPC_PATH],
    /// tls://HOST:PORT, quic://HOST:PORT, yamux+tcp://HOST:PORT, yamux+unix:///PATH, or
    /// HOST:PORT.
    #[arg(long, default_value = "tcp://127.0.0.1:1234")]
    pub(crate) listen: String,
    /// Wire format; auto serves every codec (and Go's HTTP CONNECT) on one port.
    #[arg(long, value_enum, default_value_t = CodecArg::Auto)]
    pub(crate) codec: CodecArg,
    /// Where Go's HTTP clients CONNECT (rpc.DialHTTPPath): on an http:// address (whose path
    /// says the same), or on the tcp:// or unix:// port of --codec auto [default: /_goRPC_].
    #[arg(long, value_name = "PATH")]
    pub(crate) rpc_path: Option<String>,
    /// Where GET shows the status page (the debug path of Go's HandleHTTP), wherever HTTP is
    /// served [default: /debug/rpc].
    #[arg(long, value_name = "PATH")]
    pub(crate) debug_path: Option<String>,
    /// Require HelloService.Login with these credentials before HelloService.Hello.
    #[arg(long, value_name = "USER:PASSWORD", value_parser = parse_login)]
    pub(crate) login: Option<String>,
    /// Require HelloService.Login checked against a file of argon2 password hashes (lines
    /// USER:HASH from `netrpc hash-password`; lines cert:NAME let a client certificate naming
    /// NAME log in).
    #[arg(long, value_name = "FILE", conflicts_with = "login")]
    pub(crate) credentials: Option<PathBuf>,
    /// Let any client certificate verified by --client-ca (mutual TLS) log in, as its common
    /// name.
    #[arg(long, requires = "client_ca")]
    pub(crate) login_by_cert: bool,
    /// KVStoreService's store: `memory` (this process only), or
    /// etcd://HOST:PORT[,HOST:PORT...][/PREFIX] to share one store among servers (keys under
    /// PREFIX/, default netrpc/kv/); etcds://[USER@]... for TLS (README: A KV store on etcd).
    #[arg(long, value_name = "STORE", default_value = "memory")]
    pub(crate) store: String,
    #[command(flatten)]
    pub(crate) etcd: crate::etcd_args::EtcdArgs,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    #[command(flatten)]
    pub(crate) tls: crate::tls::ServerTls,
}

/// Limits on what peers may do; every one has a default.
#[derive(Args, Debug, Clone)]
pub(crate) struct LimitArgs {
    /// Largest message in bytes, either direction.
    #[arg(long, value_name = "BYTES", default_value_t = netrpc::Limits::DEFAULT.max_message)]
    pub(crate) max_message: usize,
    /// Calls running at once per connection; past it the server stops reading that connection.
    #[arg(long, value_name = "N", default_value_t = netrpc::DEFAULT_MAX_IN_FLIGHT)]
    pub(crate) max_in_flight: usize,
    /// Connections open at once (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) max_conns: usize,
    /// Connections open at once from one IP address (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) max_conns_per_peer: usize,
    /// Seconds from accept to a connection's first whole message (0: no limit).
    #[arg(long, value_name = "SECS", default_value_t = netrpc::DEFAULT_HANDSHAKE_TIMEOUT.as_secs_f64())]
    pub(crate) handshake_timeout: f64,
    /// Seconds with no call running and no byte received before a connection is closed (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub(crate) idle_timeout: f64,
    /// Seconds one batch of replies may take to write before the peer counts as not reading.
    #[arg(long, value_name = "SECS", default_value_t = netrpc::DEFAULT_WRITE_TIMEOUT.as_secs_f64())]
    pub(crate) write_timeout: f64,
    /// KVStoreService.Watch and WatchFrom calls waiting at once per connection (0: no limit).
    #[arg(long, value_name = "N", default_value_t = rpc_services::DEFAULT_MAX_WATCHES_PER_CONN)]
    pub(crate) max_watches_per_conn: usize,
}

impl LimitArgs {
    /// The KV service with `--max-watches-per-conn`, over `backend` (`None`: in memory).
    pub(crate) fn kv_service(
        &self,
        backend: Option<Arc<dyn rpc_services::KvBackend>>,
    ) -> rpc_services::KvStoreService {
        let max = self.max_watches_per_conn;
        let mut builder = rpc_services::KvStoreService::builder();
        if let Some(backend) = backend {
            builder = builder.backend(backend);
        }
        builder
            .max_watches_per_conn((max > 0).then_some(max))
            .build()
    }
}

impl LimitArgs {
    /// Applies the limits to a server being built.
    pub(crate) fn apply(
        &self,
        builder: netrpc::ServerBuilder,
    ) -> Result<netrpc::ServerBuilder, Failure> {
        let limits = netrpc::Limits {
            max_message: self.max_message,
            ..netrpc::Limits::DEFAULT
        };
        Ok(builder
            .limits(limits)
            .max_in_flight(self.max_in_flight)
            .max_connections((self.max_conns > 0).then_some(self.max_conns))
            .max_connections_per_peer(
                (self.max_conns_per_peer > 0).then_some(self.max_conns_per_peer),
            )
            .handshake_timeout(seconds("--handshake-timeout", self.handshake_timeout)?)
            .idle_timeout(seconds("--idle-timeout", self.idle_timeout)?)
            .write_timeout(seconds("--write-timeout", self.write_timeout)?))
    }
}

/// A number of seconds as an optional duration (0 is none).
fn seconds(flag: &str, secs: f64) -> Result<Option<std::time::Duration>, Failure> {
    if secs == 0.0 {
        return Ok(None);
    }
    std::time::Duration::try_from_secs_f64(secs)
        .map(Some)
        .map_err(|_| Failure::Usage(format!("{flag} {secs}: not a number of seconds")))
}

#[derive(Args, Debug)]
pub(crate) struct ReverseArgs {
    /// Address of the calling side to dial.
    #[arg(long)]
    pub(crate) dial: String,
    /// Wire format.
    #[arg(long, value_enum, default_value_t = CodecArg::Gob)]
    pub(crate) codec: CodecArg,
    /// Require HelloService.Login with these credentials before HelloService.Hello.
    #[arg(long, value_name = "USER:PASSWORD", value_parser = parse_login)]
    pub(crate) login: Option<String>,
    /// Require HelloService.Login checked against a file of argon2 password hashes.
    #[arg(long, value_name = "FILE", conflicts_with = "login")]
    pub(crate) credentials: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) tls: crate::tls::ClientTls,
}

#[derive(Args, Debug)]
pub(crate) struct CallArgs {
    /// Dial the server at this address.
    #[arg(long, conflicts_with = "accept", required_unless_present = "accept")]
    pub(crate) connect: Option<String>,
    /// Listen here and call over the first inbound link (the calling side of reverse RPC).
    #[arg(long)]
    pub(crate) accept: Option<String>,
    /// Wire format.
    #[arg(long, value_enum, default_value_t = CodecArg::Gob)]
    pub(crate) codec: CodecArg,
    /// The Go type of the argument, for gob (e.g. `[2]string`, `int`, `map[string]int`,
    /// `struct{A int; B string}`, `time.Time`, `time.Duration`, `*big.Int`, `interface{}`);
    /// inferred from the JSON when absent. An `interface{}` value names its concrete type as
    /// `{"main.Point": {...}}` unless it is a string, number, boolean or array.
    #[arg(long, value_name = "GO_TYPE")]
    pub(crate) arg_type: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,
    /// "Service.Method".
    pub(crate) method: String,
    /// The argument as JSON (default: null, Go's zero value).
    pub(crate) args: Option<String>,
    #[command(flatten)]
    pub(crate) tls: crate::tls::ClientTls,
}

#[derive(Args, Debug)]
pub(crate) struct WatchArgs {
    /// Dial the server at this address.
    #[arg(long)]
    pub(crate) connect: String,
    /// Wire format.
    #[arg(long, value_enum, default_value_t = CodecArg::Gob)]
    pub(crate) codec: CodecArg,
    /// Only keys starting with this prefix.
    #[arg(long, default_value = "")]
    pub(crate) prefix: String,
    /// Start after this revision (default: the current one, so only new changes print).
    #[arg(long, value_name = "REV")]
    pub(crate) from: Option<u64>,
    #[command(flatten)]
    pub(crate) tls: crate::tls::ClientTls,
}

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// The server: http://HOST:PORT, or the tcp:// or unix:// port of `netrpc serve` (whose auto
    /// codec also answers HTTP).
    pub(crate) addr: String,
    /// Where the server shows its status page (the debug path of Go's HandleHTTP).
    #[arg(long, value_name = "PATH", default_value = netrpc::transport::http::DEBUG_PATH)]
    pub(crate) debug_path: String,
    /// Print the services and their methods as one JSON value.
    #[arg(long)]
    pub(crate) json: bool,
    /// Give up after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub(crate) timeout: f64,
}

#[derive(Args, Debug)]
pub(crate) struct HashPasswordArgs {
    /// The user name (no `:`, no spaces).
    #[arg(value_parser = parse_user)]
    pub(crate) user: String,
}

fn parse_user(s: &str) -> Result<String, String> {
    if s.is_empty() || s.starts_with('#') || s.contains(':') || s.contains(char::is_whitespace) {
        return Err(
            "a user name needs at least one character, no `:`, no spaces, no leading `#`".into(),
        );
    }
    Ok(s.to_owned())
}

fn parse_login(s: &str) -> Result<String, String> {
    match s.split_once(':') {
        Some((user, _)) if !user.is_empty() => Ok(s.to_owned()),
        _ => Err("expected USER:PASSWORD".into()),
    }
}

/// Parses an address, naming it in the error.
pub(crate) fn parse_addr(addr: &str) -> Result<netrpc::transport::Address, Failure> {
    addr.parse::<netrpc::transport::Address>()
        .map_err(|err| Failure::Usage(err.to_string()))
}
