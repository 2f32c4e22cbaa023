//! netrpc's own compact binary framing, with postcard-encoded headers and bodies.
//!
//! Use [`Postcard`] between netrpc peers (Rust to Rust): it is smaller and faster than JSON,
//! carries each call's timeout and lets the client cancel calls. Bodies are
//! [postcard](https://postcard.jamesmunns.com/wire-format) encodings of the argument and reply
//! types, so both sides must agree on those types (postcard is not self-describing).
//!
//! # Wire format
//!
//! The client starts its stream with an 8-byte preface, then both directions are a sequence of
//! frames. All integers in headers are postcard varints (unsigned LEB128: 7 bits per byte, least
//! significant group first, high bit set on every byte but the last; at most 10 bytes for a
//! u64); a string is a varint byte length followed by UTF-8 bytes; an `Option` is a byte `0x00`
//! (none) or `0x01` followed by the value.
//!
//! ```text
//! preface   = "NETRPC" 0x01 0x01                  client to server, once, before its first frame:
//!                                                 magic, framing version 1, codec id 1 (postcard)
//! frame     = length:u32 (big-endian) payload     length = payload bytes, at most max_message
//!
//! client to server payload:
//!   call    = 0x00 seq:varint method:string timeout_us:option<varint> argument
//!   cancel  = 0x01 seq:varint
//! server to client payload:
//!   reply   = seq:varint 0x00 reply                a successful call
//!   error   = seq:varint 0x01 message:string        a failed call: nothing follows
//! ```
//!
//! - `call` (postcard enum variant 0) asks for `method` (`"Service.Method"`) under sequence
//!   number `seq`; `timeout_us` is how long the client will wait, in microseconds from when the
//!   server reads the request ([`RequestHeader::timeout`](rpc_proto::RequestHeader), saturating
//!   at `u64::MAX`). The postcard encoding of the argument fills the rest of the payload.
//! - `cancel` (variant 1) says the client gave up on call `seq`: the server stops it and sends
//!   nothing for it. Bytes after it are ignored (reserved).
//! - A response echoes the call's `seq`, then an optional error message; on success the
//!   postcard encoding of the reply fills the rest of the payload.
//! - Bytes left over after a body's value are ignored.
//!
//! For example, call 1 of `S.M` with a 1.5 s timeout and the argument `5u32`, the reply `6u32`,
//! an error reply `oops`, and a cancellation of call 1:
//!
//! ```text
//! 4e 45 54 52 50 43 01 01                          preface "NETRPC" 1 1
//! 00 00 00 0b  00 01 03 53 2e 4d 01 e0 c6 5b 05    call, seq 1, "S.M", Some(1500000), 5
//! 00 00 00 03  01 00 06                            seq 1, no error, 6
//! 00 00 00 07  01 01 04 6f 6f 70 73                seq 1, error "oops"
//! 00 00 00 02  01 01                               cancel, seq 1
//! ```
//!
//! # Limits
//!
//! - A frame announcing more than [`Limits::max_message`](rpc_proto::Limits) bytes fails with
//!   [`CodecError::FrameTooLarge`](rpc_proto::CodecError) before anything is reserved for it; a
//!   frame of exactly that size is accepted. The encoders refuse to write larger frames
//!   ([`CodecError::Encode`](rpc_proto::CodecError)).
//! - Decoding a body follows at most [`Limits::max_depth`](rpc_proto::Limits) levels of nesting
//!   (each struct, tuple, sequence, map, enum variant, `Some` and newtype is a level), so a
//!   recursive type cannot be made to overflow the stack.
//! - A stream that does not start with the preface fails with
//!   [`CodecError::BadPreface`](rpc_proto::CodecError).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//!
//! use bytes::BytesMut;
//! use rpc_codec::Postcard;
//! use rpc_proto::{Codec, Limits, Payload, RequestHeader, ResponseHeader, ServerInbound};
//!
//! let limits = Limits::default();
//! let mut client = Postcard.client(&limits);
//! let mut server = Postcard.server(&limits);
//!
//! let mut to_server = BytesMut::new();
//! let mut header = RequestHeader::new("S.M", 1);
//! header.timeout = Some(Duration::from_millis(1500));
//! client.encoder.encode_request(&header, &5u32, &mut to_server)?;
//! assert_eq!(&to_server[..], b"NETRPC\x01\x01\0\0\0\x0b\0\x01\x03S.M\x01\xe0\xc6\x5b\x05");
//!
//! let Some(ServerInbound::Request { header, body }) = server.decoder.decode(&mut to_server)?
//! else {
//!     panic!("expected a request");
//! };
//! assert_eq!(header.timeout, Some(Duration::from_millis(1500)));
//! let arg: u32 = body.decode()?;
//!
//! let mut to_client = BytesMut::new();
//! server.encoder.encode_response(&ResponseHeader::ok(header.seq), Some(Payload::from(&(arg + 1))), &mut to_client)?;
//! assert_eq!(&to_client[..], b"\0\0\0\x03\x01\x00\x06");
//! let response = client.decoder.decode(&mut to_client)?.expect("a response");
//! assert_eq!((response.header, response.body.decode::<u32>()?), (ResponseHeader::ok(1), 6));
//! # Ok::<(), rpc_proto::CodecError>(())
//! ```

mod body;
mod client;
mod depth;
mod frame;
mod server;
#[cfg(test)]
mod tests;

use rpc_proto::{ClientCodec, Codec, Limits, ServerCodec};
use serde::{Deserialize, Serialize};

pub use self::client::{ClientDecoder, ClientEncoder};
pub use self::server::{ServerDecoder, ServerEncoder};

/// The bytes a client sends before its first frame: `"NETRPC"`, framing version 1, codec id 1
/// (postcard).
pub const PREFACE: [u8; 8] = *b"NETRPC\x01\x01";

/// The header of a client-to-server frame.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
enum ClientFrame<'a> {
    /// A call; the argument follows.
    Call {
        seq: u64,
        method: &'a str,
        timeout_us: Option<u64>,
    },
    /// The client gave up on call `seq`.
    Cancel { seq: u64 },
}

/// The header of a server-to-client frame; the reply follows unless `error` is set.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
struct ServerFrame<'a> {
    seq: u64,
    #[serde(borrow)]
    error: Option<&'a str>,
}

/// netrpc's postcard framing (see the [module documentation](self)). Named `"postcard"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Postcard;

impl Postcard {
    /// The client side of one connection as concrete types: an encoder of requests (which
    /// writes the preface first) and a decoder of responses.
    pub fn client_parts(&self, limits: &Limits) -> (ClientEncoder, ClientDecoder) {
        client::client_parts(limits)
    }

    /// The server side of one connection as concrete types: a decoder of requests (which
    /// checks the preface first) and an encoder of responses.
    pub fn server_parts(&self, limits: &Limits) -> (ServerDecoder, ServerEncoder) {
        server::server_parts(limits)
    }
}

impl Codec for Postcard {
    fn name(&self) -> &'static str {
        "postcard"
    }

    fn client(&self, limits: &Limits) -> ClientCodec {
        let (encoder, decoder) = self.client_parts(limits);
        ClientCodec {
            encoder: Box::new(encoder),
            decoder: Box::new(decoder),
        }
    }

    fn server(&self, limits: &Limits) -> ServerCodec {
        let (decoder, encoder) = self.server_parts(limits);
        ServerCodec {
            decoder: Box::new(decoder),
            encoder: Box::new(encoder),
        }
    }
}
