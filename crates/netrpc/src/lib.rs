//! Go's `net/rpc` for Rust.
//!
//! Register a value, call `"Service.Method"`: a [`Server`] serves [`Service`]s by name over any
//! transport (`tcp://`, `unix://`, `mem://`) and codec ([`Json`] is Go's `net/rpc/jsonrpc`
//! exactly; [`Postcard`] is a compact binary framing with deadlines and cancellation); a
//! [`Client`] shares one connection among any number of tasks, with a synchronous-style
//! [`Client::call`] and an asynchronous [`Client::go`] that returns a [`Call`] handle, like Go's.
//!
//! ```
//! use netrpc::{Client, Json, Server, service};
//!
//! struct HelloService;
//!
//! service! {
//!     impl HelloService {
//!         #[rpc("Hello")]
//!         async fn hello(&self, request: String) -> Result<String, String> {
//!             Ok(format!("hello:{request}"))
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::builder().register(HelloService).build();
//! let listener = netrpc::transport::listen(&"mem://".parse()?).await?;
//! let addr = listener.local_addr().to_string();
//! tokio::spawn({
//!     let server = server.clone();
//!     async move { server.serve(listener, Json).await }
//! });
//!
//! let client = Client::dial(&addr, Json).await?;
//! let reply: String = client.call("HelloService.Hello", "world").await?;
//! assert_eq!(reply, "hello:world");
//! # Ok(()) }
//! ```
//!
//! Crate features pick codecs (`gob`, `json`, `postcard`, `protobuf`, `auto`) and transports (`tcp`,
//! `unix`, `mem`, `http` for Go's `rpc.DialHTTPPath`/`HandleHTTP`, `tls`); all are on by default.
//! [`debug_page`] reads a server's `/debug/rpc` page (Go's, or a netrpc [`Server`]'s, which has
//! Go's layout).
#![deny(missing_docs)]

mod client;
pub mod debug_page;
mod error;
mod io;
pub mod reverse;
mod server;

pub use client::{Call, Client, ClientBuilder, Completed};
pub use error::{Error, ServiceError};
pub use server::layer::{self, Layer};
pub use server::service::{self, Empty, HandlerFuture, Method, Reply, Service};
pub use server::{
    ConnContext, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_IN_FLIGHT, DEFAULT_WRITE_TIMEOUT,
    Extensions, MethodStatus, Server, ServerBuilder, ServiceStatus,
};

/// The codecs (`rpc-codec`).
pub use rpc_codec as codec;
/// Go's standard library values that cross `net/rpc`: `time.Time`, `*big.Int`, marshalers
/// (`rpc-gotypes`).
pub use rpc_gotypes as go;
/// Headers, bodies, limits and the codec traits (`rpc-proto`).
pub use rpc_proto as proto;
/// Dialing and listening by address (`rpc-transport`).
pub use rpc_transport as transport;

#[cfg(feature = "auto")]
pub use rpc_codec::Auto;
#[cfg(feature = "gob")]
pub use rpc_codec::Gob;
#[cfg(feature = "json")]
pub use rpc_codec::Json;
#[cfg(feature = "postcard")]
pub use rpc_codec::Postcard;
#[cfg(feature = "protobuf")]
pub use rpc_codec::Protobuf;
pub use rpc_proto::{Codec, Limits};
