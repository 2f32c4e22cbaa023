//! HashiCorp go-plugin's net/rpc protocol (go-plugin v1.8.0), both roles: write plugins in
//! Rust that Go hosts load, and load go-plugin plugins (Go's or Rust's) from a Rust host.
//!
//! A go-plugin plugin is a program the host runs as a child process. The plugin checks the
//! magic cookie in its environment, listens on a Unix socket (or TCP on 127.0.0.1), prints one
//! handshake line (`1|1|unix|/tmp/plugin123|netrpc|`) and waits. The host connects and runs
//! yamux over the connection, the host as yamux's client: the first stream it opens carries
//! Go's net/rpc with gob (`Control.Ping`, `Control.Quit`, `Dispenser.Dispense`), the next two
//! the plugin's standard output and error. Dispensing a plugin returns a broker id; the host
//! opens another stream for it, and the plugin serves its implementation there as `Plugin`.
//! Either side can serve more objects for the other through the [`Broker`].
//!
//! | go-plugin | here |
//! | --- | --- |
//! | `plugin.Serve(&ServeConfig{...})` | [`serve`]`(`[`ServeConfig`]`)` |
//! | `Plugin.Server(*MuxBroker)` | [`Plugin`] (any netrpc [`Service`](netrpc::Service)) |
//! | `plugin.NewClient(&ClientConfig{...})`, `Client()` | [`Client::start`]`(`[`ClientConfig`]`)` |
//! | `rpcClient.Dispense("greeter")` | [`Client::dispense`]: a [`netrpc::Client`] (gob) |
//! | `client.Kill()` | [`Client::kill`] (dropping the client kills the process too) |
//! | `MuxBroker.NextId`, `Accept`, `Dial`, `AcceptAndServe` | [`Broker`] |
//!
//! # Write a go-plugin plugin in Rust in five minutes
//!
//! go-plugin's `examples/basic` has a host that loads a `greeter` plugin and prints what its
//! `Greet` returns. Here is that plugin in Rust (the whole of
//! `examples/greeter_plugin.rs`, less its log line).
//!
//! 1. A new binary crate (`cargo new greeter`) depending on `netrpc` and `netrpc-plugin` (path
//!    or git dependencies on this workspace) and on `tokio` with its `rt` and `macros`
//!    features.
//! 2. The service, with netrpc's [`service!`](macro@netrpc::service) macro. The host calls
//!    `Plugin.Greet` with `new(interface{})`, a nil interface value, which decodes into an
//!    `Option` as `None` (`()` works too); the reply is a Go `string`:
//!
//!    ```
//!    use std::convert::Infallible;
//!
//!    struct Greeter;
//!
//!    netrpc::service! {
//!        impl Greeter {
//!            #[rpc("Greet")]
//!            async fn greet(&self, _args: Option<()>) -> Result<String, Infallible> {
//!                Ok("Hello!".into())
//!            }
//!        }
//!    }
//!    ```
//! 3. `main` serves it under the name the host dispenses, with the host's handshake:
//!
//!    ```no_run
//!    # use std::convert::Infallible;
//!    # struct Greeter;
//!    # netrpc::service! { impl Greeter {
//!    #     #[rpc("Greet")]
//!    #     async fn greet(&self, _args: Option<()>) -> Result<String, Infallible> { Ok("Hello!".into()) }
//!    # } }
//!    use netrpc_plugin::{HandshakeConfig, ServeConfig};
//!
//!    #[tokio::main(flavor = "current_thread")]
//!    async fn main() {
//!        let handshake = HandshakeConfig::new(1, "BASIC_PLUGIN", "hello");
//!        netrpc_plugin::serve(ServeConfig::new(handshake).plugin("greeter", Greeter)).await;
//!    }
//!    ```
//! 4. `cargo build --release`, then copy `target/release/greeter` to `plugin/greeter` beside
//!    go-plugin's basic host (`go build -o basic github.com/hashicorp/go-plugin/examples/basic`
//!    in a module that requires go-plugin v1.8.0) and run `./basic`: it prints `Hello!`.
//!    Run by hand, the plugin says `This binary is a plugin. These are not meant to be
//!    executed directly.` and exits with status 1, as a Go plugin does.
//! 5. Log to the host's log with [`host_stderr`] (go-plugin's hosts read hclog's JSON lines
//!    there at their level); what the plugin prints after the handshake (`println!`,
//!    `eprintln!`) goes to the host's `SyncStdout` and `SyncStderr`, which Go hosts discard
//!    unless they set them (see [`Stdio`]).
//!
//! To load it (or a Go plugin) from Rust:
//!
//! ```no_run
//! use netrpc_plugin::{Client, ClientConfig, HandshakeConfig};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let handshake = HandshakeConfig::new(1, "BASIC_PLUGIN", "hello");
//! let cmd = tokio::process::Command::new("./plugin/greeter");
//! let plugin = Client::start(ClientConfig::new(cmd, handshake)).await?;
//! let greeter = plugin.dispense("greeter").await?;
//! let greeting: String = greeter.call("Plugin.Greet", &netrpc_plugin::Nil).await?;
//! assert_eq!(greeting, "Hello!");
//! plugin.kill().await;
//! # Ok(()) }
//! ```
//!
//! # Limits and defaults
//!
//! - net/rpc plugins only (not gRPC); no AutoMTLS or TLS; no reattach; Unix only (the plugin
//!   listens on a Unix socket by default, or on TCP 127.0.0.1 with [`Listen::Tcp`]).
//! - A plugin serves one host connection; it returns from [`serve`] when the host calls
//!   `Control.Quit` or the session ends (the host went away), and waits at most
//!   [`DEFAULT_CONNECT_TIMEOUT`] for the host to connect. It ignores SIGINT, as go-plugin's do.
//! - A host waits [`DEFAULT_START_TIMEOUT`] (1 minute) for the handshake line; [`Client::kill`]
//!   waits [`KILL_GRACE`] (2 s) for `Control.Quit` and then for the exit, then sends SIGKILL.
//!   Dropping the [`Client`] kills the plugin at once; a host killed by a signal leaves a Go
//!   plugin running (as go-plugin does) unless [`ClientConfig::kill_with_host`] is set.
//! - The broker waits [`BROKER_TIMEOUT`] (5 s) for a stream to be accepted, and an accept
//!   waits as long for its stream (go-plugin's timeouts).
#![deny(missing_docs)]

mod broker;
mod control;
mod error;
mod handshake;
mod host;
mod mux;
pub mod negotiate;
mod plugin;
mod process;
mod serve;
mod stdio;

pub use broker::{ACK_TIMEOUT, BROKER_TIMEOUT, Broker, SERVICE_NAME};
pub use error::{BrokerError, PluginError, ServeError, StartError};
pub use handshake::{
    CORE_PROTOCOL_VERSION, HandshakeConfig, HandshakeLine, PROTOCOL_NETRPC, PluginAddr,
};
pub use host::{Client, ClientConfig, DEFAULT_START_TIMEOUT, KILL_GRACE};
pub use plugin::{Plugin, PluginSet};
pub use process::Output;
pub use serve::{DEFAULT_CONNECT_TIMEOUT, Listen, QUIT_GRACE, ServeConfig, serve, try_serve};
pub use stdio::{HostStderr, Stdio, SyncWriter, host_stderr, sync_stderr, sync_stdout};

/// Go's nil interface value, as go-plugin's hosts send for "no argument"
/// (`client.Call("Plugin.Greet", new(interface{}), &resp)`): pass `&Nil` as the argument of
/// a call to a Go method taking `interface{}`. A Rust service receives it as `None` in an
/// `Option`, or as `()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nil;

impl serde::Serialize for Nil {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        netrpc::codec::gob::dynamic::Value::Nil.serialize(serializer)
    }
}

#[cfg(test)]
mod tests;
