//! The server side of jsonrpc: requests in, responses out.

use std::fmt;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use rpc_proto::{
    Body, BodyFormat, CodecError, Limits, Payload, RequestHeader, ResponseEncoder, ResponseHeader,
    ServerInbound, Token,
};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use tokio_util::codec::Decoder;

use super::body::ParamsFormat;
use super::fields::{FieldSeed, parse_object, subslice};
use super::format::{LimitedWriter, compact};
use super::scan::Scanner;

/// Reads `{"method":"S.M","params":[ARG],"id":ID}` requests (Go's `jsonrpc` server codec).
///
/// Requests are numbered 1, 2, 3... on this connection; that number is the
/// [`RequestHeader::seq`]. The request's JSON `id`, compacted as Go's encoder writes a
/// `json.RawMessage` (`null` when there is none), is the request's [`Token`], which the
/// [`ServerEncoder`] echoes in the response (Go's `serverCodec.pending`, carried by the request
/// instead of a map shared by the two halves). Made by [`Json::server_parts`](super::Json).
pub struct ServerDecoder {
    scanner: Scanner,
    limits: Limits,
    last_seq: u64,
    format: Arc<dyn BodyFormat>,
}

/// Writes `{"id":ID,"result":R,"error":null}` / `{"id":ID,"result":null,"error":"message"}`
/// responses, each followed by `\n`, echoing the id the [`ServerDecoder`] put in the request's
/// token (`header.token`).
///
/// A response with an empty token (no request read by a [`ServerDecoder`]) fails with Go's text
/// `invalid sequence number in response`. A response over `max_message` bytes, or whose reply
/// does not serialize, fails with [`CodecError::Encode`] (so an error response can follow);
/// `dst` may then hold partial output, which the caller truncates.
#[derive(Debug)]
pub struct ServerEncoder {
    max_message: usize,
}

pub(super) fn server_parts(limits: &Limits) -> (ServerDecoder, ServerEncoder) {
    let decoder = ServerDecoder {
        scanner: Scanner::default(),
        limits: *limits,
        last_seq: 0,
        format: Arc::new(ParamsFormat),
    };
    let encoder = ServerEncoder {
        max_message: limits.max_message,
    };
    (decoder, encoder)
}

/// The token of a request id as its raw JSON text: compacted as Go's encoder writes a
/// `json.RawMessage`, with no allocation for short ids that are compact already (Go's client
/// sends numbers).
fn id_token(raw: &[u8]) -> Token {
    let plain = raw
        .iter()
        .all(|&b| !super::scan::is_whitespace(b) && !matches!(b, b'<' | b'>' | b'&' | 0xE2));
    if plain {
        Token::copy_from_slice(raw)
    } else {
        Token::copy_from_slice(&compact(raw))
    }
}

/// A request as Go's `serverRequest` reads it; `params` and `id` borrow from the frame.
#[derive(Default)]
struct Request<'a> {
    method: String,
    params: Option<&'a RawValue>,
    id: Option<&'a RawValue>,
}

struct RequestVisitor;

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = Request<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a jsonrpc request object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut request = Request::default();
        while let Some(field) = map.next_key_seed(FieldSeed(&["method", "params", "id"]))? {
            match field {
                // Go leaves a string field alone when the value is null.
                Some(0) => {
                    if let Some(method) = map.next_value::<Option<String>>()? {
                        request.method = method;
                    }
                }
                Some(1) => request.params = map.next_value()?,
                Some(2) => request.id = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(request)
    }
}

impl Decoder for ServerDecoder {
    type Item = ServerInbound;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        let Some(len) = self.scanner.next_object(src, &self.limits)? else {
            return Ok(None);
        };
        let frame = src.split_to(len).freeze();
        let request = parse_object(&frame, RequestVisitor)
            .map_err(|e| CodecError::Malformed(format!("jsonrpc request: {e}")))?;
        // The id is copied (it is small) so that it does not keep the whole frame alive until
        // the response is written; the params are shared with the frame.
        let token = match request.id {
            Some(raw) => id_token(raw.get().as_bytes()),
            None => Token::from_static(b"null"),
        };
        let params = match request.params {
            Some(raw) => subslice(&frame, raw.get().as_bytes()),
            None => Bytes::new(),
        };
        self.last_seq = self.last_seq.wrapping_add(1);
        let seq = self.last_seq;
        tracing::trace!(seq, method = %request.method, len, "jsonrpc request");
        Ok(Some(ServerInbound::Request {
            header: RequestHeader {
                service_method: request.method,
                seq,
                timeout: None,
                token,
            },
            body: Body::new(params, self.format.clone()),
        }))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        match self.decode(buf)? {
            Some(request) => Ok(Some(request)),
            None if buf.is_empty() => Ok(None),
            None => Err(CodecError::UnexpectedEof(buf.len())),
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
        let id = header.token.as_bytes();
        if id.is_empty() {
            return Err(CodecError::Encode(
                "invalid sequence number in response".into(),
            ));
        }
        let mut writer = LimitedWriter::new(dst, self.max_message);
        write_response(&mut writer, id, header, body.map(|body| body.value()))
            .map_err(|e| writer.error(e, self.max_message))?;
        dst.put_u8(b'\n');
        Ok(())
    }
}

fn write_response(
    w: &mut LimitedWriter<'_>,
    id: &[u8],
    header: &ResponseHeader,
    body: Option<&dyn erased_serde::Serialize>,
) -> Result<(), serde_json::Error> {
    w.raw(b"{\"id\":")?;
    w.raw(id)?;
    match (&header.error, body) {
        (Some(message), _) => {
            w.raw(b",\"result\":null,\"error\":")?;
            w.json(message.as_str())?;
        }
        (None, Some(reply)) => {
            w.raw(b",\"result\":")?;
            w.json(reply)?;
            w.raw(b",\"error\":null")?;
        }
        (None, None) => w.raw(b",\"result\":null,\"error\":null")?,
    }
    w.raw(b"}")
}

impl fmt::Debug for ServerDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("json::ServerDecoder")
            .field("limits", &self.limits)
            .field("last_seq", &self.last_seq)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_tokens_are_the_ids_as_go_re_encodes_them() {
        for (id, token) in [
            (&b"7"[..], &b"7"[..]),
            (br#""abc""#, br#""abc""#),
            (b"18446744073709551616", b"18446744073709551616"),
            // Compacted and escaped as Go writes a json.RawMessage.
            (b"[ 1 ,\t2 ]", b"[1,2]"),
            (br#""<a&b>""#, br#""\u003ca\u0026b\u003e""#),
            ("\"\u{2028}\"".as_bytes(), br#""\u2028""#),
        ] {
            assert_eq!(id_token(id).as_bytes(), token, "{}", id.escape_ascii());
        }
    }

    /// Each request carries its own id, so a response needs nothing from the decoder: a fresh
    /// encoder answers requests read by another decoder, in any order, repeatedly.
    #[test]
    fn the_halves_share_nothing() {
        let limits = Limits::default();
        let (mut decoder, _) = server_parts(&limits);
        let (_, mut encoder) = server_parts(&limits);
        let mut src = BytesMut::from(&br#"{"method":"A.B","params":[1],"id":"x"}"#[..]);
        let Some(ServerInbound::Request { header, .. }) = decoder.decode(&mut src).unwrap() else {
            panic!("expected a request");
        };
        let mut out = BytesMut::new();
        let response = ResponseHeader::error(header.seq, "e").with_token(header.token);
        encoder.encode_response(&response, None, &mut out).unwrap();
        encoder.encode_response(&response, None, &mut out).unwrap();
        assert_eq!(
            &out[..],
            &b"{\"id\":\"x\",\"result\":null,\"error\":\"e\"}\n{\"id\":\"x\",\"result\":null,\"error\":\"e\"}\n"[..]
        );
    }
}
