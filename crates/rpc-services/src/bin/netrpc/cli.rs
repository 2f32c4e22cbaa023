//! The command line: subcommands and their options.

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
    /// Serving only: tell gob, json and postcard clients (and Go's HTTP CONNECT) apart per
    /// connection.
    Auto,
}

impl CodecArg {
    pub(crate) fn codec(self) -> Arc<dyn Codec> {
        match self {
            CodecArg::Gob => Arc::new(netrpc::Gob),
            CodecArg::Json => Arc::new(netrpc::Json),
            CodecArg::Postcard => Arc::new(netrpc::Postcard),
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
    /// Address to listen on: tcp://HOST:PORT, unix:///PATH, http://HOST:PORT, or HOST:PORT.
    #[arg(long, default_value = "tcp://127.0.0.1:1234")]
    pub(crate) listen: String,
    /// Wire format; auto serves every codec (and Go's HTTP CONNECT) on one port.
    #[arg(long, value_enum, default_value_t = CodecArg::Auto)]
    pub(crate) codec: CodecArg,
    /// Require HelloService.Login with these credentials before HelloService.Hello.
    #[arg(long, value_name = "USER:PASSWORD", value_parser = parse_login)]
    pub(crate) login: Option<String>,
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
    /// `struct{A int; B string}`); inferred from the JSON when absent.
    #[arg(long, value_name = "GO_TYPE")]
    pub(crate) arg_type: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,
    /// "Service.Method".
    pub(crate) method: String,
    /// The argument as JSON (default: null, Go's zero value).
    pub(crate) args: Option<String>,
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
}

fn parse_login(s: &str) -> Result<String, String> {
    match s.split_once(':') {
        Some((user, _)) if !user.is_empty() => Ok(s.to_owned()),
        _ => Err("expected USER:PASSWORD".into()),
    }
}

/// Parses an address, naming it in the error.
pub(crate) fn check_addr(addr: &str) -> Result<(), Failure> {
    addr.parse::<netrpc::transport::Address>()
        .map(drop)
        .map_err(|err| Failure::Usage(err.to_string()))
}
