//! The server side of the protobuf framing: preface and requests in, responses out.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rpc_proto::{
    Body, BodyFormat, CodecError, Limits, Payload, RequestHeader, ResponseEncoder, ResponseHeader,
    ServerInbound,
};
use tokio_util::codec::Decoder;

use super::body::ProtobufFormat;
use super::frame::{take_frame, write_frame};
use super::{PREFACE, header};

/// Reads the client's [`PREFACE`], then call and cancel frames.
///
/// A stream that does not start with the preface fails with [`CodecError::BadPreface`], naming
/// what was received. Made by [`Protobuf::server_parts`](super::Protobuf::server_parts).
pub struct ServerDecoder {
    /// How many bytes of the preface have been read and matched.
    preface_read: usize,
    limits: Limits,
    format: Arc<dyn BodyFormat>,
}

/// Writes response frames: a `ResponseHeader`, then the reply (an empty body after an error).
///
/// A response over `max_message` bytes, or whose reply has no protobuf mapping, fails with
/// [`CodecError::Encode`]; `dst` may then hold partial output, which the caller truncates.
#[derive(Debug)]
pub struct ServerEncoder {
    max_message: usize,
}

pub(super) fn server_parts(limits: &Limits) -> (ServerDecoder, ServerEncoder) {
    let decoder = ServerDecoder {
        preface_read: 0,
        limits: *limits,
        format: Arc::new(ProtobufFormat {
            max_depth: limits.max_depth,
        }),
    };
    let encoder = ServerEncoder {
        max_message: limits.max_message,
    };
    (decoder, encoder)
}

impl ServerDecoder {
    /// Matches as much of the preface as has arrived. `Ok(true)` once all of it has.
    fn read_preface(&mut self, src: &mut BytesMut) -> Result<bool, CodecError> {
        crate::preface::read(&PREFACE, "2 (protobuf)", &mut self.preface_read, src)
    }
}

impl Decoder for ServerDecoder {
    type Item = ServerInbound;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        if self.preface_read < PREFACE.len() && !self.read_preface(src)? {
            return Ok(None);
        }
        let Some((head, body)) = take_frame(src, self.limits.max_message)? else {
            return Ok(None);
        };
        let frame = <header::ClientFrame as prost::Message>::decode(head)
            .map_err(|e| CodecError::Malformed(format!("protobuf request header: {e}")))?;
        match frame.kind {
            Some(header::Kind::Call(call)) => {
                tracing::trace!(
                    seq = call.seq,
                    method = call.service_method,
                    timeout_us = call.timeout_us,
                    len = body.len(),
                    "protobuf request"
                );
                let header = RequestHeader {
                    service_method: call.service_method,
                    seq: call.seq,
                    timeout: call.timeout_us.map(Duration::from_micros),
                    token: rpc_proto::Token::EMPTY,
                };
                Ok(Some(ServerInbound::Request {
                    header,
                    body: Body::new(body, self.format.clone()),
                }))
            }
            Some(header::Kind::Cancel(header::Cancel { seq })) => {
                tracing::trace!(seq, "protobuf cancel");
                Ok(Some(ServerInbound::Cancel { seq }))
            }
            None => Err(CodecError::Malformed(
                "protobuf request header: a ClientFrame with neither call nor cancel".into(),
            )),
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        if let Some(request) = self.decode(buf)? {
            return Ok(Some(request));
        }
        let partial_preface = match self.preface_read {
            n if n == PREFACE.len() => 0,
            n => n,
        };
        match buf.len() + partial_preface {
            0 => Ok(None),
            unread => Err(CodecError::UnexpectedEof(unread)),
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
        let frame = header::ResponseHeader {
            seq: header.seq,
            error: header.error.clone(),
        };
        // The codec needs nothing of the reply's type.
        let body = if header.error.is_some() {
            None
        } else {
            body.map(|body| body.value())
        };
        write_frame(dst, self.max_message, &frame, body)
    }
}

impl fmt::Debug for ServerDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("protobuf::ServerDecoder")
            .field("preface_read", &self.preface_read)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
