//! The server side of the postcard framing: preface and requests in, responses out.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rpc_proto::{
    Body, BodyFormat, CodecError, Limits, Payload, RequestHeader, ResponseEncoder, ResponseHeader,
    ServerInbound,
};
use tokio_util::codec::Decoder;

use super::body::PostcardFormat;
use super::frame::{take_frame, write_frame};
use super::{ClientFrame, PREFACE, ServerFrame};

/// Reads the client's [`PREFACE`], then `Call` and `Cancel` frames.
///
/// A stream that does not start with the preface fails with [`CodecError::BadPreface`], naming
/// what was received. Made by [`Postcard::server_parts`](super::Postcard::server_parts).
pub struct ServerDecoder {
    /// How many bytes of the preface have been read and matched.
    preface_read: usize,
    limits: Limits,
    format: Arc<dyn BodyFormat>,
}

/// Writes response frames: `{seq, error}` then the reply (nothing after an error).
///
/// A response over `max_message` bytes, or whose reply does not serialize, fails with
/// [`CodecError::Encode`]; `dst` may then hold partial output, which the caller truncates.
#[derive(Debug)]
pub struct ServerEncoder {
    max_message: usize,
}

pub(super) fn server_parts(limits: &Limits) -> (ServerDecoder, ServerEncoder) {
    let decoder = ServerDecoder {
        preface_read: 0,
        limits: *limits,
        format: Arc::new(PostcardFormat {
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
        crate::preface::read(&PREFACE, "1 (postcard)", &mut self.preface_read, src)
    }
}

impl Decoder for ServerDecoder {
    type Item = ServerInbound;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        if self.preface_read < PREFACE.len() && !self.read_preface(src)? {
            return Ok(None);
        }
        let Some(payload) = take_frame(src, self.limits.max_message)? else {
            return Ok(None);
        };
        let (frame, body) = ::postcard::take_from_bytes::<ClientFrame<'_>>(&payload)
            .map_err(|e| CodecError::Malformed(format!("postcard request header: {e}")))?;
        match frame {
            ClientFrame::Call {
                seq,
                method,
                timeout_us,
            } => {
                tracing::trace!(
                    seq,
                    method,
                    timeout_us,
                    len = payload.len(),
                    "postcard request"
                );
                let header = RequestHeader {
                    service_method: method.to_owned(),
                    seq,
                    timeout: timeout_us.map(Duration::from_micros),
                    token: rpc_proto::Token::EMPTY,
                };
                let body = payload.slice(payload.len().saturating_sub(body.len())..);
                Ok(Some(ServerInbound::Request {
                    header,
                    body: Body::new(body, self.format.clone()),
                }))
            }
            ClientFrame::Cancel { seq } => {
                tracing::trace!(seq, "postcard cancel");
                Ok(Some(ServerInbound::Cancel { seq }))
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        if let Some(request) = self.decode(buf)? {
            return Ok(Some(request));
        }
        let partial_preface = match self.preface_read {
            0 => 0,
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
        let frame = ServerFrame {
            seq: header.seq,
            error: header.error.as_deref(),
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
        f.debug_struct("postcard::ServerDecoder")
            .field("preface_read", &self.preface_read)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
