//! The client side of jsonrpc: requests out, responses in.

use std::fmt;
use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use rpc_proto::{
    Body, BodyFormat, ClientInbound, CodecError, Limits, RequestEncoder, RequestHeader,
    ResponseHeader,
};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use tokio_util::codec::Decoder;

use super::body::ResultFormat;
use super::fields::{FieldSeed, parse_object, subslice};
use super::format::LimitedWriter;
use super::scan::Scanner;

/// Writes `{"method":"S.M","params":[ARG],"id":SEQ}` requests, each followed by `\n`, as Go's
/// `jsonrpc` client codec does. The header's timeout is not sent (the format has no place for
/// it) and cancellations are not written ([`RequestEncoder::encode_cancel`] returns `false`).
///
/// A request over `max_message` bytes, or whose argument does not serialize, fails with
/// [`CodecError::Encode`]; `dst` may then hold partial output, which the caller truncates.
#[derive(Debug)]
pub struct ClientEncoder {
    max_message: usize,
}

/// Reads `{"id":SEQ,"result":R,"error":E}` responses (Go's `jsonrpc` client codec).
#[derive(Debug)]
pub struct ClientDecoder {
    scanner: Scanner,
    limits: Limits,
    format: Arc<dyn BodyFormat>,
}

pub(super) fn client_parts(limits: &Limits) -> (ClientEncoder, ClientDecoder) {
    let encoder = ClientEncoder {
        max_message: limits.max_message,
    };
    let decoder = ClientDecoder {
        scanner: Scanner::default(),
        limits: *limits,
        format: Arc::new(ResultFormat),
    };
    (encoder, decoder)
}

impl RequestEncoder for ClientEncoder {
    fn encode_request(
        &mut self,
        header: &RequestHeader,
        body: &dyn erased_serde::Serialize,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        let mut writer = LimitedWriter::new(dst, self.max_message);
        write_request(&mut writer, header, body).map_err(|e| writer.error(e, self.max_message))?;
        dst.put_u8(b'\n');
        Ok(())
    }
}

fn write_request(
    w: &mut LimitedWriter<'_>,
    header: &RequestHeader,
    body: &dyn erased_serde::Serialize,
) -> Result<(), serde_json::Error> {
    w.raw(b"{\"method\":")?;
    w.json(header.service_method.as_str())?;
    w.raw(b",\"params\":[")?;
    w.json(body)?;
    w.raw(b"],\"id\":")?;
    w.json(&header.seq)?;
    w.raw(b"}")
}

/// A response as Go's `clientResponse` reads it; `result` and `error` borrow from the frame.
#[derive(Default)]
struct Response<'a> {
    id: Option<u64>,
    result: Option<&'a RawValue>,
    error: Option<&'a RawValue>,
}

struct ResponseVisitor;

impl<'de> Visitor<'de> for ResponseVisitor {
    type Value = Response<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a jsonrpc response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut response = Response::default();
        while let Some(field) = map.next_key_seed(FieldSeed(&["id", "result", "error"]))? {
            match field {
                // Go leaves a number field alone when the value is null.
                Some(0) => {
                    if let Some(id) = map.next_value::<Option<u64>>()? {
                        response.id = Some(id);
                    }
                }
                Some(1) => response.result = map.next_value()?,
                Some(2) => response.error = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(response)
    }
}

/// The call's error as Go's client reports it: a string as is (`"unspecified error"` when
/// empty), any other JSON value as `invalid error V` with V its JSON text.
fn error_text(raw: &RawValue) -> Result<String, CodecError> {
    let text = raw.get();
    if !text.starts_with('"') {
        return Ok(format!("invalid error {text}"));
    }
    let message: String = serde_json::from_str(text)
        .map_err(|e| CodecError::Malformed(format!("jsonrpc response error: {e}")))?;
    if message.is_empty() {
        Ok("unspecified error".into())
    } else {
        Ok(message)
    }
}

impl Decoder for ClientDecoder {
    type Item = ClientInbound;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ClientInbound>, CodecError> {
        let Some(len) = self.scanner.next_object(src, &self.limits)? else {
            return Ok(None);
        };
        let frame = src.split_to(len).freeze();
        let response = parse_object(&frame, ResponseVisitor)
            .map_err(|e| CodecError::Malformed(format!("jsonrpc response: {e}")))?;
        let Some(seq) = response.id else {
            return Err(CodecError::Malformed(
                "jsonrpc response: no numeric id".into(),
            ));
        };
        let error = response.error.map(error_text).transpose()?;
        let result = match response.result {
            Some(raw) => subslice(&frame, raw.get().as_bytes()),
            None => bytes::Bytes::new(),
        };
        tracing::trace!(seq, error = error.as_deref(), len, "jsonrpc response");
        Ok(Some(ClientInbound {
            header: ResponseHeader {
                seq,
                error,
                token: rpc_proto::Token::EMPTY,
            },
            body: Body::new(result, self.format.clone()),
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
