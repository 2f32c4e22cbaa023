//! The client side of Go's gob rpc codec: requests out, responses in.

use bytes::BytesMut;
use rpc_proto::{
    ClientInbound, CodecError, Limits, RequestEncoder, RequestHeader, ResponseHeader, Token,
};
use tokio_util::codec::Decoder;

use super::decode::Stream;
use super::encode::Encoder;
use super::rpc::{HeaderWriter, Request, Response};

/// Writes requests as Go's `gobClientCodec` does: an `rpc.Request{ServiceMethod, Seq}` value,
/// then the argument, on one gob stream (type definitions first, once per stream).
///
/// The header's timeout is not sent and cancellations are not written (Go's format has no place
/// for them). A request over `max_message` bytes (its type definitions included), or whose
/// argument cannot be encoded, fails with [`CodecError::Encode`] and leaves the stream as it
/// was.
#[derive(Debug)]
pub struct ClientEncoder {
    encoder: Encoder,
    headers: HeaderWriter,
    /// The request being written (kept to spare an allocation per call).
    out: Vec<u8>,
}

/// Reads responses as Go's `gobClientCodec` does: an `rpc.Response{ServiceMethod, Seq, Error}`
/// value, then the reply. A non-empty `Error` is the call's error (its reply, Go's empty
/// `invalidRequest` struct, is still read and handed over, meaningless); the response's
/// `ServiceMethod` is ignored, as Go's client does.
#[derive(Debug)]
pub struct ClientDecoder {
    stream: Stream,
    header: Option<ResponseHeader>,
}

pub(super) fn client_parts(limits: &Limits) -> (ClientEncoder, ClientDecoder) {
    (
        ClientEncoder {
            encoder: Encoder::new(limits),
            headers: HeaderWriter::default(),
            out: Vec::new(),
        },
        ClientDecoder {
            stream: Stream::new(limits),
            header: None,
        },
    )
}

impl RequestEncoder for ClientEncoder {
    fn encode_request(
        &mut self,
        header: &RequestHeader,
        body: &dyn erased_serde::Serialize,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        let request = Request {
            service_method: header.service_method.as_str().into(),
            seq: header.seq,
        };
        let limits = *self.encoder.limits();
        let registry = self.encoder.registry();
        let mut journal = registry.begin();
        let out = &mut self.out;
        out.clear();
        let direct = self.headers.request(&request, out);
        let written = if direct {
            Ok(())
        } else {
            registry.encode_value(&request, None, &limits, out, &mut journal)
        };
        let written =
            written.and_then(|()| registry.encode_value(body, None, &limits, out, &mut journal));
        match written {
            Ok(()) => {
                dst.extend_from_slice(out);
                shrink(out);
                if !direct {
                    self.headers.learn(registry, &request, &limits);
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

/// Lets a buffer that held a large message go, so that one big call does not keep its memory
/// for the connection's life.
pub(super) fn shrink(out: &mut Vec<u8>) {
    const KEEP: usize = 64 * 1024;
    if out.capacity() > KEEP {
        *out = Vec::new();
    }
}

impl Decoder for ClientDecoder {
    type Item = ClientInbound;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ClientInbound>, CodecError> {
        while let Some(message) = self.stream.next_value(src)? {
            match self.header.take() {
                None => {
                    let response: Response<'_> = self
                        .stream
                        .decode_now(&message)
                        .map_err(|e| CodecError::Malformed(format!("gob response header: {e}")))?;
                    tracing::trace!(seq = response.seq, error = %response.error, "gob response");
                    self.header = Some(ResponseHeader {
                        seq: response.seq,
                        error: (!response.error.is_empty()).then(|| response.error.into_owned()),
                        token: Token::EMPTY,
                    });
                }
                Some(header) => {
                    let body = self.stream.body(message);
                    self.stream.finish();
                    return Ok(Some(ClientInbound { header, body }));
                }
            }
        }
        Ok(None)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<ClientInbound>, CodecError> {
        match self.decode(buf)? {
            Some(response) => Ok(Some(response)),
            None => self.stream.eof(buf, self.header.is_some()).map(|()| None),
        }
    }
}
