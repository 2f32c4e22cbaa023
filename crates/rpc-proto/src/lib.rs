//! The vocabulary of netrpc, with no I/O: what a call looks like on every wire.
//!
//! netrpc follows Go's `net/rpc`: a request is a header (`"Service.Method"` and a sequence number)
//! followed by a body (the argument); a response is a header (the same sequence number and an
//! optional error string) followed by a body (the reply). This crate defines those headers, the
//! [`Body`] that stays encoded until the engine knows the method's types, the [`Limits`] every
//! decoder enforces, and the [`Codec`] traits that codecs (in `rpc-codec`) implement and the engine
//! (in `netrpc`) drives.
//!
//! ```
//! use rpc_proto::{RequestHeader, ResponseHeader};
//!
//! let req = RequestHeader::new("HelloService.Hello", 7);
//! assert_eq!(req.split_method(), Some(("HelloService", "Hello")));
//! let resp = ResponseHeader::error(req.seq, "not found");
//! assert_eq!(resp.error.as_deref(), Some("not found"));
//! ```
#![deny(missing_docs)]

mod body;
mod codec;
mod error;
mod header;
mod limits;
mod reply;
mod token;
pub mod zero;

pub use body::{Body, BodyFormat, BodySource};
pub use codec::{
    ClientCodec, Codec, RequestDecoder, RequestEncoder, ResponseDecoder, ResponseEncoder,
    ServerCodec,
};
pub use error::CodecError;
pub use header::{ClientInbound, RequestHeader, ResponseHeader, ServerInbound};
pub use limits::Limits;
pub use reply::{Payload, Reply, TypeInfo};
pub use token::Token;

/// Re-exported so codecs and the engine name the same erased serde traits.
pub use erased_serde;
