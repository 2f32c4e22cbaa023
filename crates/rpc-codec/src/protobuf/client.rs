//! The client side of the protobuf framing: preface and requests out, responses in.

use std::sync::Arc;

use bytes::BytesMut;
use rpc_proto::{
    Body, BodyFormat, ClientInbound, CodecError, Limits, RequestEncoder, RequestHeader,
    ResponseHeader,
};
use tokio_util::codec::Decoder;

use super::PREFACE;
use super::body::ProtobufFormat;
use super::frame::{take_frame, write_frame};
use super::header;

/// Writes the [`PREFACE`] ahead of its first frame, then call frames (with the header's
/// timeout) and cancel frames.
///
/// A request over `max_message` bytes, or whose argument has no protobuf mapping, fails with
/// [`CodecError::Encode`] and leaves the encoder as it was (the preface is written again with
/// the next frame if it went out with the failed one); `dst` may hold partial output, which the
/// caller truncates.
#[derive(Debug)]
pub struct ClientEncoder {
    preface_sent: bool,
    max_message: usize,
}

/// Reads response frames. Made by [`Protobuf::client_parts`](super::Protobuf::client_parts).
#[derive(Debug)]
pub struct ClientDecoder {
    limits: Limits,
    format: Arc<dyn BodyFormat>,
}

pub(super) fn client_parts(limits: &Limits) -> (ClientEncoder, ClientDecoder) {
    let encoder = ClientEncoder {
        preface_sent: false,
        max_message: limits.max_message,
    };
    let decoder = ClientDecoder {
        limits: *limits,
        format: Arc::new(ProtobufFormat {
            max_depth: limits.max_depth,
        }),
    };
    (encoder, decoder)
}

impl ClientEncoder {
    fn write(
        &mut self,
        kind: header::Kind,
        body: Option<&dyn erased_serde::Serialize>,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        if !self.preface_sent {
            dst.extend_from_slice(&PREFACE);
        }
        let frame = header::ClientFrame { kind: Some(kind) };
        write_frame(dst, self.max_message, &frame, body)?;
        self.preface_sent = true;
        Ok(())
    }
}

impl RequestEncoder for ClientEncoder {
    fn encode_request(
        &mut self,
        header: &RequestHeader,
        body: &dyn erased_serde::Serialize,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        let call = header::RequestHeader {
            service_method: header.service_method.clone(),
            seq: header.seq,
            timeout_us: header
                .timeout
                .map(|timeout| u64::try_from(timeout.as_micros()).unwrap_or(u64::MAX)),
        };
        self.write(header::Kind::Call(call), Some(body), dst)
    }

    fn encode_cancel(&mut self, seq: u64, dst: &mut BytesMut) -> Result<bool, CodecError> {
        self.write(header::Kind::Cancel(header::Cancel { seq }), None, dst)?;
        Ok(true)
    }
}

impl Decoder for ClientDecoder {
    type Item = ClientInbound;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ClientInbound>, CodecError> {
        let Some((head, body)) = take_frame(src, self.limits.max_message)? else {
            return Ok(None);
        };
        let frame = <header::ResponseHeader as prost::Message>::decode(head)
            .map_err(|e| CodecError::Malformed(format!("protobuf response header: {e}")))?;
        tracing::trace!(
            seq = frame.seq,
            error = frame.error.as_deref(),
            len = body.len(),
            "protobuf response"
        );
        let header = ResponseHeader {
            seq: frame.seq,
            error: frame.error,
            token: rpc_proto::Token::EMPTY,
        };
        Ok(Some(ClientInbound {
            header,
            body: Body::new(body, self.format.clone()),
        }))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<ClientInbound>, CodecError> {
        match self.decode(buf)? {
            Some(response) => Ok(Some(response)),
            None if buf.is_empty() => Ok(None),
            None => Err(CodecError::UnexpectedEof(buf.len())),
        }
    }
}
