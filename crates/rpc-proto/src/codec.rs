//! The traits a codec implements: framing and encoding, separated from the link.
//!
//! A codec turns a byte stream into messages and messages into bytes, and knows nothing of
//! sockets. Decoding follows `tokio_util::codec::Decoder`: `decode` returns `Ok(None)` until a
//! whole message is buffered, so a codec fits length-prefixed frames (postcard), a bare stream of
//! JSON values (Go's jsonrpc) and a stream carrying its own type definitions (gob) alike. Bodies
//! stay encoded ([`crate::Body`]) until the engine knows their types. Encoders write one message
//! at a time into a buffer the engine shares between tasks and flushes in batches; they take the
//! value as `&dyn erased_serde::Serialize`, so a codec chosen at run time encodes any serde type,
//! and a reply as a [`Payload`], which may add the value's [`TypeInfo`](crate::TypeInfo) for
//! what the value cannot show (gob's types of empty sequences and maps).
//!
//! The two directions of a link are independent objects (the engine reads and writes
//! concurrently), and a codec is a factory that makes one pair per connection, so per-stream state
//! (gob's type tables) lives in that pair. The two halves of a pair share nothing: what a
//! response must echo of its request (jsonrpc's id, gob's `ServiceMethod`) travels with the call,
//! in the request's [`Token`](crate::Token), which the engine hands back in the
//! [`ResponseHeader`].

use std::fmt;

use bytes::BytesMut;
use tokio_util::codec::Decoder;

use crate::{
    ClientInbound, CodecError, Limits, Payload, RequestHeader, ResponseHeader, ServerInbound,
};

/// A server-side decoder: bytes in, requests (and cancellations) out. Whatever the paired
/// encoder must echo of a request goes into the request's [`Token`](crate::Token)
/// (`header.token`).
///
/// `decode_eof` must return `Ok(None)` at a clean end of stream and
/// [`CodecError::UnexpectedEof`] when part of a message is left over.
pub trait RequestDecoder: Decoder<Item = ServerInbound, Error = CodecError> + Send {}
impl<T: Decoder<Item = ServerInbound, Error = CodecError> + Send> RequestDecoder for T {}

/// A client-side decoder: bytes in, responses out. Same end-of-stream contract as
/// [`RequestDecoder`].
pub trait ResponseDecoder: Decoder<Item = ClientInbound, Error = CodecError> + Send {}
impl<T: Decoder<Item = ClientInbound, Error = CodecError> + Send> ResponseDecoder for T {}

/// A client-side encoder.
///
/// On error the encoder's own state must be as if the call never happened; the caller truncates
/// `dst` back to its length before the call.
pub trait RequestEncoder: Send {
    /// Appends a request (header, then `body`) to `dst`.
    fn encode_request(
        &mut self,
        header: &RequestHeader,
        body: &dyn erased_serde::Serialize,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError>;

    /// Appends a cancellation of call `seq` to `dst`. Returns `Ok(false)` (writing nothing) when
    /// the wire format cannot carry one, as with Go's codecs.
    fn encode_cancel(&mut self, seq: u64, dst: &mut BytesMut) -> Result<bool, CodecError> {
        let _ = (seq, dst);
        Ok(false)
    }
}

/// A server-side encoder. Same error contract as [`RequestEncoder`].
pub trait ResponseEncoder: Send {
    /// Appends a response to `dst`. `header.token` is the token the paired decoder gave the
    /// request (empty if there was none). `body` is the reply of a successful call, with its
    /// type when the service told it, and `None` for an error response (`header.error` set),
    /// which each codec writes the way Go does.
    fn encode_response(
        &mut self,
        header: &ResponseHeader,
        body: Option<Payload<'_>>,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError>;
}

/// The client half of a codec for one connection.
pub struct ClientCodec {
    /// Writes requests.
    pub encoder: Box<dyn RequestEncoder>,
    /// Reads responses.
    pub decoder: Box<dyn ResponseDecoder>,
}

/// The server half of a codec for one connection.
pub struct ServerCodec {
    /// Reads requests.
    pub decoder: Box<dyn RequestDecoder>,
    /// Writes responses.
    pub encoder: Box<dyn ResponseEncoder>,
}

/// A wire format: makes a fresh encoder/decoder pair for each connection.
pub trait Codec: Send + Sync + fmt::Debug + 'static {
    /// A short name (`"json"`, `"postcard"`), used in logs and on the command line.
    fn name(&self) -> &'static str;
    /// The client side of a new connection.
    fn client(&self, limits: &Limits) -> ClientCodec;
    /// The server side of a new connection.
    fn server(&self, limits: &Limits) -> ServerCodec;
}

impl fmt::Debug for ClientCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientCodec")
    }
}

impl fmt::Debug for ServerCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerCodec")
    }
}

/// A reference to a codec that lives forever (such as `&Json`) is a codec.
impl<C: Codec + ?Sized> Codec for &'static C {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn client(&self, limits: &Limits) -> ClientCodec {
        (**self).client(limits)
    }
    fn server(&self, limits: &Limits) -> ServerCodec {
        (**self).server(limits)
    }
}

/// A shared codec is a codec, so one chosen at run time (`Arc<dyn Codec>`) goes wherever
/// `impl Codec` is expected.
impl<C: Codec + ?Sized> Codec for std::sync::Arc<C> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn client(&self, limits: &Limits) -> ClientCodec {
        (**self).client(limits)
    }
    fn server(&self, limits: &Limits) -> ServerCodec {
        (**self).server(limits)
    }
}
