//! netrpc's protobuf framing: protobuf headers and bodies that any language's stock protobuf
//! library can read and write.
//!
//! Use [`Protobuf`] to talk to peers in other languages with netrpc's features (each call's
//! timeout, cancellation): the headers are the messages of `crates/rpc-proto/proto/netrpc.proto`
//! (package `netrpc.v1`), every frame is two length-delimited messages (the form of Go's
//! `protodelim`, Java's `writeDelimitedTo`/`parseDelimitedFrom`, C++'s
//! `SerializeDelimitedToOstream`), and the bodies are serde types mapped to protobuf messages,
//! so a peer describes each argument and reply as a `.proto` message. Like postcard, protobuf
//! is not self-describing: both sides must agree on the types.
//!
//! # Wire format
//!
//! The client starts its stream with an 8-byte preface, then both directions are a sequence of
//! frames. Every length is a protobuf varint (unsigned LEB128: 7 bits per byte, least
//! significant group first, high bit set on every byte but the last; at most 10 bytes).
//!
//! ```text
//! preface = "NETRPC" 0x01 0x02                      client to server, once, before its first frame:
//!                                                   magic, framing version 1, codec id 2 (protobuf)
//! frame   = header_len:varint header                a length-delimited header message
//!           body_len:varint body                    then a length-delimited body message, always
//!
//! client to server: header = netrpc.v1.ClientFrame
//!   ClientFrame { oneof kind { RequestHeader call = 1; Cancel cancel = 2; } }
//!   RequestHeader { string service_method = 1; uint64 seq = 2; optional uint64 timeout_us = 3; }
//!   Cancel { uint64 seq = 1; }
//! server to client: header = netrpc.v1.ResponseHeader
//!   ResponseHeader { uint64 seq = 1; optional string error = 2; }
//! ```
//!
//! - A `call` asks for `service_method` (`"Service.Method"`) under sequence number `seq`; its
//!   body is the argument. `timeout_us`, when present, is how long the client will wait, in
//!   microseconds from when the server reads the request
//!   ([`RequestHeader::timeout`](rpc_proto::RequestHeader), saturating at `u64::MAX`); absent
//!   means no timeout, and a present `0` has already expired. A writer without field presence
//!   (plain proto3 `uint64`) simply never sends a timeout of 0.
//! - A `cancel` says the client gave up on call `seq`: the server stops it and sends nothing for
//!   it. Its body is empty (the single byte `0x00`); a reader ignores whatever body it has.
//! - A `ClientFrame` with neither `call` nor `cancel` is malformed; with both, the last one on the
//!   wire wins (protobuf's `oneof` rule).
//! - A response echoes the call's `seq`. The call failed exactly when `error` is *present*, even
//!   if empty ([`ResponseHeader::error`](rpc_proto::ResponseHeader) is `Some`); the body is then
//!   empty and ignored. Otherwise the body is the reply. (Go's `net/rpc` cannot represent an
//!   empty error: a Go client reads one as a non-empty placeholder.)
//! - Every header is followed by a body, so a reader always reads two messages per frame.
//! - Unknown header fields are skipped, as protobuf does; new fields may be added that way.
//!
//! For example, call 1 of `S.M` with a 1.5 s timeout and the argument `5u32`, the reply `6u32`,
//! an error reply `oops`, and a cancellation of call 1:
//!
//! ```text
//! 4e 45 54 52 50 43 01 02                            preface "NETRPC" 1 2
//! 0d  0a 0b 0a 03 53 2e 4d 10 01 18 e0 c6 5b         ClientFrame{call{"S.M", seq 1, timeout_us 1500000}}
//! 02  08 05                                          body: field 1 = 5
//! 02  08 01   02 08 06                               ResponseHeader{seq 1}, body: field 1 = 6
//! 08  08 01 12 04 6f 6f 70 73   00                   ResponseHeader{seq 1, error "oops"}, empty body
//! 04  12 02 08 01   00                               ClientFrame{cancel{seq 1}}, empty body
//! ```
//!
//! # Bodies: serde types as protobuf messages
//!
//! A body is always one message. A struct is that message, its fields numbered 1, 2, 3... in
//! declaration order; any other value is wrapped in a message as field 1, so a `String` argument
//! is `google.protobuf.StringValue`-shaped (`message { string value = 1; }`) and `[String; 2]`
//! is `message { repeated string value = 1; }`. The field names never go on the wire.
//!
//! | Rust (serde) | protobuf | on the wire |
//! | --- | --- | --- |
//! | `bool` | `bool` | varint 0 or 1 |
//! | `i8`, `i16`, `i32`, `i64` (`i128` within `i64`) | `int64` (or `int32`) | varint of the two's complement: a negative number takes 10 bytes (not `sint64`'s zigzag) |
//! | `u16`, `u32`, `u64` (`u128` within `u64`), a lone `u8` | `uint64` (or `uint32`) | varint |
//! | `f32` / `f64` | `float` / `double` | 4 / 8 bytes little-endian |
//! | `char` | `uint32` | varint of the code point |
//! | `String`, `&str` | `string` | length-delimited UTF-8 |
//! | `Vec<u8>`, `[u8; N]`, `serde_bytes` | `bytes` | length-delimited |
//! | struct, tuple struct | a message, fields 1, 2, 3... | embedded: length-delimited |
//! | `()`, unit struct, `struct {}` | an empty message (`google.protobuf.Empty`) | embedded: `0x00` length |
//! | enum of unit variants | `enum`, numbered 0, 1, 2... in declaration order | varint of the variant index |
//! | `Option<T>` | `optional T` | the field present (`Some`) or absent (`None`) |
//! | `Vec<T>`, `[T; N]`, tuples, sets | `repeated T` | numbers packed into one length-delimited run; others one occurrence each |
//! | `HashMap<K, V>`, `BTreeMap<K, V>` | `map<K, V>` | `repeated Entry { K key = 1; V value = 2; }` |
//! | newtype struct `struct Id(u64)` | its content | as the content |
//!
//! Presence follows proto3. A struct field (and a wrapped top-level value) has implicit
//! presence: a zero scalar (`false`, `0`, `+0.0`, `""`, empty bytes, enum variant 0) is not
//! written, an empty sequence or map writes nothing, `None` writes nothing. Values with explicit
//! presence are always written: the content of `Some`, and a map entry's key and value (as Go
//! writes them). Embedded messages (structs, `()`) are always written, even when empty.
//!
//! A value that cannot be a field of its own is wrapped in a message as field 1 (implicit
//! presence): a sequence, map or `Option` that is an element of a sequence, the content of
//! `Some`, or a map value. So `Vec<Vec<T>>` is `repeated Wrapper` with
//! `message Wrapper { repeated T value = 1; }`, `Vec<Option<T>>` is `repeated` of
//! `message { optional T value = 1; }`, `Option<Vec<T>>` is `optional` such a wrapper
//! (`Some(vec![])` stays distinct from `None`), and `HashMap<String, Vec<String>>` is
//! `map<string, StringList>`, exactly the message a `.proto` file needs there. (A `Vec<u8>`
//! inside a sequence is such a wrapper too: use `serde_bytes::ByteBuf` for `repeated bytes`.)
//!
//! Decoding, like protobuf's own parsers:
//!
//! - an absent field reads as the zero value of the type asked for (Go's zero values, as with
//!   [`rpc_proto::zero`], and variant 0 for an enum, proto3's default), so an empty body is the
//!   zero value of any type and fields added at the end of a struct stay compatible;
//! - unknown field numbers are skipped; a scalar field that occurs more than once takes the last
//!   value, an embedded message that occurs more than once is their merge;
//! - repeated numbers are accepted packed or unpacked (or both), integers are accepted as
//!   varints or fixed-width (`fixed64`/`sfixed64`, `fixed32`/`sfixed32`), floats as either width;
//! - every length is checked against the bytes left; strings must be UTF-8; groups (wire types
//!   3 and 4, deprecated) are rejected.
//!
//! Limits of the mapping: serde's data model decides the message, not a `.proto` file, so
//!
//! - enum variants that carry data, untagged and internally tagged enums, `#[serde(flatten)]`,
//!   and self-describing targets (`serde_json::Value`, `deserialize_any`) are not supported; a
//!   struct is read in serde's sequence form (field by position), which every derived struct
//!   accepts;
//! - field numbers are positions: `#[serde(skip)]` a field on both sides or not at all, and
//!   prefer adding fields at the end (`skip_serializing_if` keeps the numbering);
//! - `sint32`/`sint64` (zigzag) and packed `fixed*` runs are not decoded as such: declare such
//!   fields `int64` / `uint64` on the other side;
//! - heterogeneous tuples round-trip between netrpc peers but have no `.proto` equivalent: use a
//!   struct (or tuple struct, which is a message with fields 1, 2, ...).
//!
//! [`to_vec`] and [`from_slice`] apply the mapping outside a connection.
//!
//! # Limits
//!
//! - A frame whose header, or header and body together (their bytes, not counting the two
//!   lengths), exceed [`Limits::max_message`](rpc_proto::Limits) fails with
//!   [`CodecError::FrameTooLarge`](rpc_proto::CodecError) before anything is reserved for it; a
//!   frame of exactly that size is accepted. The encoders refuse to write larger frames
//!   ([`CodecError::Encode`](rpc_proto::CodecError)). A length that is not a varint of at most 10
//!   bytes is [`CodecError::Malformed`](rpc_proto::CodecError). (Go's `protodelim` reads at most
//!   4 MiB by default: a Go peer sets `MaxSize` to match.)
//! - Decoding a body follows at most [`Limits::max_depth`](rpc_proto::Limits) levels of nesting
//!   (each struct, sequence, map, `Some` and newtype is a level), so a recursive type cannot be
//!   made to overflow the stack.
//! - A stream that does not start with the preface fails with
//!   [`CodecError::BadPreface`](rpc_proto::CodecError).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//!
//! use bytes::BytesMut;
//! use rpc_codec::Protobuf;
//! use rpc_proto::{Codec, Limits, Payload, RequestHeader, ResponseHeader, ServerInbound};
//!
//! let limits = Limits::default();
//! let mut client = Protobuf.client(&limits);
//! let mut server = Protobuf.server(&limits);
//!
//! let mut to_server = BytesMut::new();
//! let mut header = RequestHeader::new("S.M", 1);
//! header.timeout = Some(Duration::from_millis(1500));
//! client.encoder.encode_request(&header, &5u32, &mut to_server)?;
//! assert_eq!(
//!     &to_server[..],
//!     b"NETRPC\x01\x02\x0d\x0a\x0b\x0a\x03S.M\x10\x01\x18\xe0\xc6\x5b\x02\x08\x05"
//! );
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
//! assert_eq!(&to_client[..], b"\x02\x08\x01\x02\x08\x06");
//! let response = client.decoder.decode(&mut to_client)?.expect("a response");
//! assert_eq!((response.header, response.body.decode::<u32>()?), (ResponseHeader::ok(1), 6));
//! # Ok::<(), rpc_proto::CodecError>(())
//! ```

mod body;
mod client;
mod de;
mod frame;
mod header;
mod ser;
mod server;
#[cfg(test)]
mod tests;
mod wire;

use bytes::BytesMut;
use rpc_proto::{ClientCodec, Codec, CodecError, Limits, ServerCodec};
use serde::{Deserialize, Serialize};

pub use self::client::{ClientDecoder, ClientEncoder};
pub use self::server::{ServerDecoder, ServerEncoder};

/// This framing's codec id in the preface (postcard's is 1).
pub const CODEC_ID: u8 = 2;

/// The bytes a client sends before its first frame: `"NETRPC"`, framing version 1, codec id 2
/// (protobuf).
pub const PREFACE: [u8; 8] = *b"NETRPC\x01\x02";

/// netrpc's protobuf framing (see the [module documentation](self)). Named `"protobuf"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Protobuf;

impl Protobuf {
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

impl Codec for Protobuf {
    fn name(&self) -> &'static str {
        "protobuf"
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

/// The protobuf encoding of `value` as a body: one whole message, following the
/// [mapping](self#bodies-serde-types-as-protobuf-messages).
///
/// ```
/// #[derive(serde::Serialize)]
/// #[serde(rename_all = "PascalCase")]
/// struct WatchFromArgs { revision: u64, prefix: String, timeout_seconds: i64 }
///
/// let args = WatchFromArgs { revision: 7, prefix: "k".into(), timeout_seconds: -1 };
/// assert_eq!(
///     rpc_codec::protobuf::to_vec(&args)?,
///     b"\x08\x07\x12\x01k\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
/// );
/// assert_eq!(rpc_codec::protobuf::to_vec("hi")?, b"\x0a\x02hi");
/// # Ok::<(), rpc_proto::CodecError>(())
/// ```
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut buf = BytesMut::new();
    let mut out = ser::Out::new(&mut buf, usize::MAX, usize::MAX);
    ser::write_message(value, &mut out).map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(buf.to_vec())
}

/// Decodes a body (one whole message) into `T`, following the
/// [mapping](self#bodies-serde-types-as-protobuf-messages) and at most `max_depth` levels of
/// nesting. Errors are [`CodecError::Body`].
///
/// ```
/// let words: Vec<String> = rpc_codec::protobuf::from_slice(b"\x0a\x01a\x0a\x00", 16)?;
/// assert_eq!(words, ["a", ""]);
/// // An empty message is the zero value of any type.
/// assert_eq!(rpc_codec::protobuf::from_slice::<(i64, String)>(b"", 16)?, (0, String::new()));
/// # Ok::<(), rpc_proto::CodecError>(())
/// ```
pub fn from_slice<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    max_depth: usize,
) -> Result<T, CodecError> {
    T::deserialize(de::De::message(bytes, max_depth)).map_err(|e| CodecError::Body(e.to_string()))
}
