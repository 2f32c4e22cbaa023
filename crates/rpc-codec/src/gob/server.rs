//! The server side of Go's gob rpc codec: requests in, responses out.

use std::fmt;

use bytes::BytesMut;
use rpc_proto::{
    CodecError, Limits, Payload, RequestHeader, ResponseEncoder, ResponseHeader, ServerInbound,
    Token,
};
use tokio_util::codec::Decoder;

use super::client::shrink;
use super::decode::Stream;
use super::encode::Encoder;
use super::rpc::{HeaderWriter, Request, Response};

/// Reads requests as Go's `gobServerCodec` does: an `rpc.Request{ServiceMethod, Seq}` value, then
/// the argument. A request is yielded once its argument's value message is whole (type
/// definitions may come between the two). Its [`Token`] is its `ServiceMethod`, for the
/// [`ServerEncoder`] to echo. Made by [`Gob::server_parts`](super::Gob).
pub struct ServerDecoder {
    stream: Stream,
    header: Option<RequestHeader>,
}

/// Writes responses as Go's `gobServerCodec` does: an `rpc.Response{ServiceMethod, Seq, Error}`
/// value, then the reply, or for an error response Go's empty `invalidRequest` struct.
///
/// `ServiceMethod` echoes the request's, which the [`ServerDecoder`] put in its token
/// (`header.token`; `""` for an empty token, which Go's client ignores). An error response with
/// an empty message is sent as `unspecified error`, since Go reads an empty `Error` as success.
/// A response over `max_message` bytes, or whose reply cannot be encoded, fails with
/// [`CodecError::Encode`] and leaves the stream as it was.
pub struct ServerEncoder {
    encoder: Encoder,
    headers: HeaderWriter,
    /// The response being written (kept to spare an allocation per call).
    out: Vec<u8>,
}

pub(super) fn server_parts(limits: &Limits) -> (ServerDecoder, ServerEncoder) {
    (
        ServerDecoder {
            stream: Stream::new(limits),
            header: None,
        },
        ServerEncoder {
            encoder: Encoder::new(limits),
            headers: HeaderWriter::default(),
            out: Vec::new(),
        },
    )
}

impl Decoder for ServerDecoder {
    type Item = ServerInbound;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        while let Some(message) = self.stream.next_value(src)? {
            match self.header.take() {
                None => {
                    let request: Request<'_> = self
                        .stream
                        .decode_now(&message)
                        .map_err(|e| CodecError::Malformed(format!("gob request header: {e}")))?;
                    tracing::trace!(seq = request.seq, method = %request.service_method, "gob request");
                    let token = Token::copy_from_slice(request.service_method.as_bytes());
                    self.header = Some(
                        RequestHeader::new(request.service_method.into_owned(), request.seq)
                            .with_token(token),
                    );
                }
                Some(header) => {
                    let body = self.stream.body(message);
                    self.stream.finish();
                    return Ok(Some(ServerInbound::Request { header, body }));
                }
            }
        }
        Ok(None)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        match self.decode(buf)? {
            Some(request) => Ok(Some(request)),
            None => self.stream.eof(buf, self.header.is_some()).map(|()| None),
        }
    }
}

impl ResponseEncoder for ServerEncoder {
    fn encode_response(
        &mut self,
        header: &ResponseHeader,
        body: Option<Payload<'_>>,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        // The decoder's token is the method's text, so valid UTF-8.
        let method = std::str::from_utf8(header.token.as_bytes()).unwrap_or_default();
        let error = match header.error.as_deref() {
            Some("") => "unspecified error",
            Some(message) => message,
            None => "",
        };
        let response = Response {
            service_method: method.into(),
            seq: header.seq,
            error: error.into(),
        };
        // Go's server sends its empty `invalidRequest` struct after an error. A reply's type,
        // when the service told it, names what its value cannot show.
        let body = match body {
            Some(body) if header.error.is_none() => body,
            _ => Payload::new(&()),
        };
        let limits = *self.encoder.limits();
        let registry = self.encoder.registry();
        let mut journal = registry.begin();
        let out = &mut self.out;
        out.clear();
        let direct = self.headers.response(&response, out);
        let written = if direct {
            Ok(())
        } else {
            registry.encode_value(&response, None, &limits, out, &mut journal)
        };
        let written = written.and_then(|()| {
            let ty = body.type_info();
            registry.encode_value(body.value(), ty.as_ref(), &limits, out, &mut journal)
        });
        match written {
            Ok(()) => {
                dst.extend_from_slice(out);
                shrink(out);
                if !direct {
                    self.headers.learn(registry, &response, &limits);
                }
                Ok(())
            }
            Err(err) => {
                shrink(out);
                registry.rollback(journal);
                Err(CodecError::Encode(err.to_string()))
            }
        }
    }
}

impl fmt::Debug for ServerDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("gob::ServerDecoder")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ServerEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("gob::ServerEncoder")
            .field("encoder", &self.encoder)
            .finish()
    }
}
