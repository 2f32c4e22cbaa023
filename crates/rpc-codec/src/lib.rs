//! netrpc's codecs: how calls and replies look on the wire.
//!
//! Each codec is a unit struct implementing [`rpc_proto::Codec`] and lives in its own module
//! behind a cargo feature of the same name (all on by default):
//!
//! - [`json`] — Go's `net/rpc/jsonrpc`, byte for byte: talk to Go (or anything speaking Go's
//!   jsonrpc) over a bare stream of JSON objects.
//! - [`postcard`](mod@postcard) — netrpc's own compact binary framing (Rust to Rust), with request
//!   timeouts and cancellation.
//! - [`gob`] — Go's `net/rpc` default codec, gob streams with their type definitions: talk to
//!   `rpc.Dial` / `rpc.ServeConn`.
//! - [`protobuf`](mod@protobuf) — netrpc's framing with protobuf headers and bodies (serde types
//!   mapped onto protobuf messages), for peers in any language with a protobuf library; request
//!   timeouts and cancellation as with postcard.
//! - [`auto`] — a server-side codec that tells them apart by a connection's first bytes, so
//!   every client shares one port.
//!
//! A codec makes one encoder/decoder pair per connection and side. The decoders implement
//! [`tokio_util::codec::Decoder`], so they also work on their own with
//! [`FramedRead`](tokio_util::codec::FramedRead); the encoders append to a [`bytes::BytesMut`].
//! Bodies stay encoded ([`rpc_proto::Body`]) until the engine knows their type.
//!
//! Every decoder checks a message's size against [`Limits::max_message`](rpc_proto::Limits)
//! before it buffers or allocates for it, and bounds nesting by
//! [`Limits::max_depth`](rpc_proto::Limits); no input makes a decoder panic.
//!
//! ```
//! # #[cfg(feature = "json")] {
//! use rpc_proto::{Codec, Limits};
//!
//! let codec: Box<dyn Codec> = Box::new(rpc_codec::Json);
//! let client = codec.client(&Limits::default());
//! assert_eq!(codec.name(), "json");
//! # drop(client);
//! # }
//! ```
#![deny(missing_docs)]

#[cfg(feature = "json")]
pub mod json;
#[cfg(feature = "json")]
pub use self::json::Json;

#[cfg(feature = "postcard")]
pub mod postcard;
#[cfg(feature = "postcard")]
pub use self::postcard::Postcard;

#[cfg(feature = "protobuf")]
pub mod protobuf;
#[cfg(feature = "protobuf")]
pub use self::protobuf::Protobuf;

#[cfg(feature = "gob")]
pub mod gob;
#[cfg(feature = "gob")]
pub use self::gob::Gob;

#[cfg(any(feature = "postcard", feature = "protobuf"))]
mod preface;

#[cfg(any(feature = "json", feature = "gob"))]
mod base64;

#[cfg(feature = "auto")]
pub mod auto;
#[cfg(feature = "auto")]
pub use self::auto::Auto;

#[cfg(all(
    test,
    any(
        feature = "json",
        feature = "postcard",
        feature = "gob",
        feature = "protobuf"
    )
))]
mod test_util;
