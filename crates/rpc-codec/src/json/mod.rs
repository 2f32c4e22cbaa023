//! Go's `net/rpc/jsonrpc` wire format, byte for byte.
//!
//! Use [`Json`] to talk to Go programs that use `jsonrpc.Dial` / `jsonrpc.NewClient` or
//! `jsonrpc.ServeConn` / `jsonrpc.NewServerCodec`, or to anything else speaking that format
//! (it is close to JSON-RPC 1.0).
//!
//! # Wire format
//!
//! Each direction of a connection is a stream of JSON objects with no length prefix or other
//! framing; whitespace between objects is ignored. The encoders end every object with `\n`, as
//! Go's `json.Encoder` does.
//!
//! A request (client to server), fields in this order:
//!
//! ```text
//! {"method":"Service.Method","params":[ARG],"id":SEQ}
//! ```
//!
//! A response (server to client), fields in this order:
//!
//! ```text
//! {"id":ID,"result":REPLY,"error":null}          a successful call
//! {"id":ID,"result":null,"error":"message"}      a failed call
//! ```
//!
//! The details, as Go's `jsonrpc` codecs have them:
//!
//! - Object keys match field names exactly or case-insensitively (`"Method"` is `method`);
//!   unknown keys are ignored; a repeated key overwrites the earlier one.
//! - **Request `method`**: a string; a missing or `null` method is `""` (the engine then answers
//!   `rpc: service/method request ill-formed`); any other type ends the connection.
//! - **Request `id`**: any JSON value. The server decoder numbers requests 1, 2, 3... per
//!   connection (that number is [`RequestHeader::seq`](rpc_proto::RequestHeader)), keeps the
//!   `id` in the request's [`Token`](rpc_proto::Token), and the response echoes the `id` its
//!   token carries, compacted (whitespace outside strings removed, `<`, `>`,
//!   `&` in strings escaped) as Go re-encodes a `json.RawMessage`. A request without `id` (or
//!   with `"id":null`) is answered with `"id":null`.
//! - **Request `params`**: an array whose first element is the argument; further elements are
//!   ignored. `[]` and `[null]` give the argument type's zero value ([`rpc_proto::zero`]);
//!   missing params or `null` fail that call (not the connection) with Go's text
//!   `jsonrpc: request body missing params`; an object, string, number or bool fails it with
//!   Go's text `json: cannot unmarshal object into Go value of type [1]interface {}`.
//! - **Response `id`**: an unsigned 64-bit integer, the request's `id`; anything else (including
//!   `null` or no `id`) ends the connection.
//! - **Response `error`**: missing or `null` means success; a string is the call's error (an
//!   empty string becomes `unspecified error`, as in Go's client); any other value fails the call
//!   with `invalid error V`, V being the value's JSON text.
//! - **Response `result`**: the reply; missing or `null` gives the reply type's zero value.
//! - **`null` inside a body** decodes as Go does: into the zero value of the requested type (a
//!   nil slice that Go wrote as `"Changes":null` becomes an empty `Vec`); `Option` still reads it
//!   as `None`. A missing or `null` body read as a `serde_json::value::RawValue` is `null`.
//! - **`[]byte`** is a base64 string (standard alphabet, padded), as Go's `encoding/json` has
//!   it. Decoding, a type that asks for a sequence (`Vec<u8>`) or for bytes
//!   (`serde_bytes::ByteBuf`, `bytes::Bytes`) takes a base64 string as well as an array of
//!   numbers; a string that is not base64 fails the call with Go's text (`illegal base64 data at
//!   input byte N`); only `u8` elements take a string (a `Vec<u16>` refuses one, as Go's
//!   `[]uint16` does). Encoding, bytes (`serialize_bytes`) and a sequence whose elements are all
//!   `u8` (`Vec<u8>`, `&[u8]`) are written as a base64 string, except an empty one, written `[]`
//!   (Go writes `""`, and reads either). Rust arrays (`[u8; N]`, Go's `[N]byte`) stay arrays of
//!   numbers, as does any sequence with an element that is not a `u8`. `serde_json::Value` and
//!   `RawValue` are not affected. Both ways this reaches a `Vec<u8>` at any depth of a value,
//!   except, when decoding, inside what serde buffers before deciding the type
//!   (`#[serde(flatten)]` fields, untagged and internally tagged enums): there only an array
//!   reads into a `Vec<u8>`.
//! - The encoders write JSON as Go's `encoding/json` does: `<`, `>`, `&`, U+2028 and U+2029
//!   escaped in strings (`\u003c`...), floats in Go's notation (`1`, `0.000001`, `1e+21`,
//!   `1.5e-7`). Struct field order and map key order follow the value's `Serialize`
//!   implementation, which is not Go's for maps (Go sorts map keys).
//! - Errors decoding a body are serde's texts without serde_json's position (Go's carry none),
//!   or Go's own where netrpc has them.
//! - [`RequestHeader::timeout`](rpc_proto::RequestHeader) is not sent and cancellations are not
//!   written: the format has no place for them.
//!
//! Where netrpc is more lenient than Go: Go's client drops the connection on a response whose
//! `result` and `error` are both `null` or whose `error` is not a string. netrpc decodes the
//! zero value in the first case and fails only that call in the second. Where it is stricter: every top-level value must be an object (Go's server reads a bare
//! `null` as an empty request), and strings must be valid UTF-8 (Go substitutes U+FFFD).
//!
//! # Limits
//!
//! - An object may be at most [`Limits::max_message`](rpc_proto::Limits) bytes from its `{` to
//!   its `}`; once more than that is buffered without the object ending, decoding fails with
//!   [`CodecError::FrameTooLarge`](rpc_proto::CodecError) (whitespace between objects is
//!   consumed and does not count). The encoders refuse to write a larger object
//!   ([`CodecError::Encode`](rpc_proto::CodecError)).
//! - Objects and arrays may nest [`Limits::max_depth`](rpc_proto::Limits) deep, the message's
//!   own object being level 1; deeper is [`CodecError::Malformed`](rpc_proto::CodecError).
//!   Decoding a body also stops at serde_json's own recursion limit (128).
//! - A decoder finds the end of an object with a scanner that keeps its place between calls, so
//!   a message arriving in many pieces is scanned once in total.
//!
//! # Example
//!
//! ```
//! use bytes::BytesMut;
//! use rpc_codec::Json;
//! use rpc_proto::{Codec, Limits, Payload, RequestHeader, ResponseHeader, ServerInbound};
//!
//! let limits = Limits::default();
//! let mut client = Json.client(&limits);
//! let mut server = Json.server(&limits);
//!
//! // The client writes a request...
//! let mut to_server = BytesMut::new();
//! let args = ["key".to_string(), "value".to_string()];
//! client.encoder.encode_request(&RequestHeader::new("KV.Put", 7), &args, &mut to_server)?;
//! assert_eq!(&to_server[..], b"{\"method\":\"KV.Put\",\"params\":[[\"key\",\"value\"]],\"id\":7}\n");
//!
//! // ...the server reads it (numbering it 1, its id in its token) and answers, handing the
//! // token back...
//! let Some(ServerInbound::Request { header, body }) = server.decoder.decode(&mut to_server)?
//! else {
//!     panic!("expected a request");
//! };
//! assert_eq!((header.service_method.as_str(), header.seq), ("KV.Put", 1));
//! assert_eq!(header.token.as_bytes(), b"7");
//! let [key, value]: [String; 2] = body.decode()?;
//! let mut to_client = BytesMut::new();
//! let response = ResponseHeader::ok(header.seq).with_token(header.token);
//! server.encoder.encode_response(&response, Some(Payload::from(&true)), &mut to_client)?;
//! assert_eq!(&to_client[..], b"{\"id\":7,\"result\":true,\"error\":null}\n");
//!
//! // ...and the client reads the reply to call 7.
//! let response = client.decoder.decode(&mut to_client)?.expect("a response");
//! assert_eq!(response.header, ResponseHeader::ok(7));
//! assert!(response.body.decode::<bool>()?);
//! # let _ = (key, value);
//! # Ok::<(), rpc_proto::CodecError>(())
//! ```

mod body;
mod bytes_de;
mod bytes_ser;
mod client;
mod fields;
mod format;
mod gonull;
mod scan;
mod server;
#[cfg(test)]
mod tests;

use rpc_proto::{ClientCodec, Codec, Limits, ServerCodec};

pub use self::client::{ClientDecoder, ClientEncoder};
pub use self::server::{ServerDecoder, ServerEncoder};

/// Go's `net/rpc/jsonrpc` codec (see the [module documentation](self)). Named `"json"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Json;

impl Json {
    /// The client side of one connection as concrete types: an encoder of requests and a
    /// decoder of responses.
    pub fn client_parts(&self, limits: &Limits) -> (ClientEncoder, ClientDecoder) {
        client::client_parts(limits)
    }

    /// The server side of one connection as concrete types: a decoder of requests and an
    /// encoder of responses, sharing the ids of the requests in flight.
    pub fn server_parts(&self, limits: &Limits) -> (ServerDecoder, ServerEncoder) {
        server::server_parts(limits)
    }
}

impl Codec for Json {
    fn name(&self) -> &'static str {
        "json"
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
