//! `auto`: one server port for every client, the codec told apart by the stream's first bytes.
//!
//! A server decoder that buffers the first bytes of a connection, decides which codec the client
//! speaks, and from then on is that codec's decoder; the paired encoder answers in the same codec.
//!
//! | first bytes | codec |
//! | --- | --- |
//! | `NETRPC\x01\x01` | postcard (netrpc's framing) |
//! | `NETRPC\x01\x02` | protobuf (netrpc's framing) |
//! | optional JSON whitespace, then `{` not followed by `0xFF` | json (Go's jsonrpc) |
//! | anything else | gob (Go's default) |
//!
//! Go's gob client starts with the type definition of `rpc.Request`: a message length (one byte
//! below 128, or `0xFE`/`0xFD`...) followed by the type id -65 encoded as `0xFF 0x81`, so a first
//! byte that happens to be `{` (a length of 123) is told apart from JSON by the `0xFF` after it.
//! An HTTP `CONNECT` on the same port is handled before the codec, by the transport
//! (`rpc_transport::http::optional`).
//!
//! The detected codec's encoder answers: the decoder prefixes the token of every request
//! ([`rpc_proto::Token`]) with one byte naming the codec it detected, and the encoder makes
//! that codec's encoder from the first response's token and hands each the inner codec's own
//! token. The two halves share nothing.
//!
//! As a client codec `Auto` speaks gob, Go's default.

use bytes::BytesMut;
use rpc_proto::{
    ClientCodec, Codec, CodecError, Limits, Payload, RequestDecoder, ResponseEncoder,
    ResponseHeader, ServerCodec, ServerInbound, Token,
};
use tokio_util::codec::Decoder;

/// Detects the client's codec on each connection (server side); speaks gob as a client.
#[derive(Clone, Copy, Debug, Default)]
pub struct Auto;

/// The codecs `Auto` can detect; the number is the first byte of the tokens it makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Detected {
    Json = 1,
    Postcard = 2,
    Protobuf = 3,
    Gob = 4,
}

impl Detected {
    fn from_tag(tag: u8) -> Option<Detected> {
        [
            Detected::Json,
            Detected::Postcard,
            Detected::Protobuf,
            Detected::Gob,
        ]
        .into_iter()
        .find(|detected| *detected as u8 == tag)
    }

    fn server(self, limits: &Limits) -> ServerCodec {
        match self {
            Detected::Json => crate::Json.server(limits),
            Detected::Postcard => crate::Postcard.server(limits),
            Detected::Protobuf => crate::Protobuf.server(limits),
            Detected::Gob => crate::Gob.server(limits),
        }
    }
}

/// `token` prefixed with the byte of `detected` (no allocation while it stays short).
fn tagged(detected: Detected, token: &Token) -> Token {
    let inner = token.as_bytes();
    if inner.len() < Token::INLINE {
        let mut buf = [0; Token::INLINE];
        buf[0] = detected as u8;
        buf[1..=inner.len()].copy_from_slice(inner);
        return Token::copy_from_slice(&buf[..=inner.len()]);
    }
    let mut buf = Vec::with_capacity(inner.len() + 1);
    buf.push(detected as u8);
    buf.extend_from_slice(inner);
    Token::from_bytes(buf.into())
}

impl Codec for Auto {
    fn name(&self) -> &'static str {
        "auto"
    }

    fn client(&self, limits: &Limits) -> ClientCodec {
        crate::Gob.client(limits)
    }

    fn server(&self, limits: &Limits) -> ServerCodec {
        ServerCodec {
            decoder: Box::new(AutoDecoder {
                limits: *limits,
                inner: None,
            }),
            encoder: Box::new(AutoEncoder {
                limits: *limits,
                inner: None,
            }),
        }
    }
}

/// Decides from the first bytes, then delegates, tagging each request's token with the
/// codec.
struct AutoDecoder {
    limits: Limits,
    inner: Option<(Detected, Box<dyn RequestDecoder>)>,
}

/// netrpc's framings start with this, then a version byte and a codec id.
const PREFACE: &[u8] = b"NETRPC";

fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The codec the buffered bytes belong to, or `None` while they could still be either.
fn detect(buf: &[u8]) -> Option<Detected> {
    let first = *buf.first()?;
    if first == PREFACE[0] {
        let n = buf.len().min(PREFACE.len());
        if buf[..n] != PREFACE[..n] {
            return Some(Detected::Gob);
        }
        // The codec id follows the version byte; an unknown one goes to postcard, whose
        // decoder rejects the preface with a clear error.
        return match buf.get(PREFACE.len() + 1)? {
            2 => Some(Detected::Protobuf),
            _ => Some(Detected::Postcard),
        };
    }
    if first == b'{' {
        let second = *buf.get(1)?;
        return Some(if second == 0xFF {
            Detected::Gob
        } else {
            Detected::Json
        });
    }
    if is_json_space(first) {
        let second = *buf.get(1)?;
        if second == 0xFF {
            return Some(Detected::Gob);
        }
        return match buf.iter().find(|b| !is_json_space(**b)) {
            None => None,
            Some(b'{') => Some(Detected::Json),
            Some(_) => Some(Detected::Gob),
        };
    }
    Some(Detected::Gob)
}

impl Decoder for AutoDecoder {
    type Item = ServerInbound;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        if self.inner.is_none() {
            if src.len() > self.limits.max_message {
                return Err(CodecError::FrameTooLarge {
                    len: src.len(),
                    max: self.limits.max_message,
                });
            }
            let Some(detected) = detect(src) else {
                return Ok(None);
            };
            tracing::debug!(codec = ?detected, "auto: detected codec");
            self.inner = Some((detected, detected.server(&self.limits).decoder));
        }
        match self.inner.as_mut() {
            Some((detected, inner)) => {
                Ok(inner.decode(src)?.map(|message| tag(*detected, message)))
            }
            None => Ok(None),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        if let Some(message) = self.decode(src)? {
            return Ok(Some(message));
        }
        match self.inner.as_mut() {
            Some((detected, inner)) => Ok(inner
                .decode_eof(src)?
                .map(|message| tag(*detected, message))),
            None if src.iter().all(|b| is_json_space(*b)) => Ok(None),
            None => Err(CodecError::UnexpectedEof(src.len())),
        }
    }
}

/// A request's token tagged with the codec that read it.
fn tag(detected: Detected, mut message: ServerInbound) -> ServerInbound {
    if let ServerInbound::Request { header, .. } = &mut message {
        header.token = tagged(detected, &header.token);
    }
    message
}

/// Answers in the codec the decoder detected, as the tokens tell.
struct AutoEncoder {
    limits: Limits,
    inner: Option<(Detected, Box<dyn ResponseEncoder>)>,
}

impl ResponseEncoder for AutoEncoder {
    fn encode_response(
        &mut self,
        header: &ResponseHeader,
        body: Option<Payload<'_>>,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        let unknown =
            || CodecError::Encode("auto: no request has been read, so the codec is unknown".into());
        let detected = header
            .token
            .as_bytes()
            .first()
            .and_then(|&tag| Detected::from_tag(tag))
            .ok_or_else(unknown)?;
        let (made, inner) = self
            .inner
            .get_or_insert_with(|| (detected, detected.server(&self.limits).encoder));
        if *made != detected {
            return Err(unknown());
        }
        let header = ResponseHeader {
            seq: header.seq,
            error: header.error.clone(),
            token: header.token.slice(1..),
        };
        inner.encode_response(&header, body, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert_eq!(detect(b""), None);
        assert_eq!(detect(b"NET"), None);
        assert_eq!(detect(b"NETRPC\x01"), None);
        assert_eq!(detect(b"NETRPC\x01\x01"), Some(Detected::Postcard));
        assert_eq!(detect(b"NETRPC\x01\x02"), Some(Detected::Protobuf));
        assert_eq!(detect(b"NEXT"), Some(Detected::Gob));
        assert_eq!(detect(b"{"), None);
        assert_eq!(detect(b"{\"method\""), Some(Detected::Json));
        assert_eq!(detect(b"{\xff\x81"), Some(Detected::Gob));
        assert_eq!(detect(b" \n\t"), None);
        assert_eq!(detect(b" \n{"), Some(Detected::Json));
        assert_eq!(detect(b"\n\xff\x81"), Some(Detected::Gob));
        assert_eq!(detect(b"\x2f\xff\x81\x03"), Some(Detected::Gob));
        assert_eq!(detect(b"\xfe\x01\x00\xff\x81"), Some(Detected::Gob));
    }

    #[test]
    fn tokens_carry_the_codec() {
        for detected in [
            Detected::Json,
            Detected::Postcard,
            Detected::Protobuf,
            Detected::Gob,
        ] {
            assert_eq!(Detected::from_tag(detected as u8), Some(detected));
        }
        assert_eq!(Detected::from_tag(0), None);
        let token = tagged(Detected::Json, &Token::copy_from_slice(b"7"));
        assert_eq!(token.as_bytes(), b"\x017");
        let token = tagged(Detected::Postcard, &Token::EMPTY);
        assert_eq!(token.as_bytes(), b"\x02");
        let long = [b'm'; Token::INLINE + 5];
        let token = tagged(Detected::Gob, &Token::copy_from_slice(&long));
        assert_eq!(token.as_bytes()[0], 4);
        assert_eq!(token.slice(1..).as_bytes(), long);
        let edge = [b'e'; Token::INLINE];
        assert_eq!(
            tagged(Detected::Gob, &Token::copy_from_slice(&edge)).len(),
            Token::INLINE + 1
        );
    }

    /// Each half works from what the requests carry: the encoder answers in the codec the
    /// decoder detected, echoing each request's own id, whatever order the responses go in.
    #[test]
    fn the_encoder_answers_in_the_detected_codec() {
        let limits = Limits::default();
        let ServerCodec {
            mut decoder,
            mut encoder,
        } = Auto.server(&limits);
        let mut dst = BytesMut::new();
        // A response before any request: the codec is unknown.
        let err = encoder
            .encode_response(&ResponseHeader::ok(1), Some(Payload::from(&1)), &mut dst)
            .unwrap_err();
        assert!(err.to_string().contains("codec is unknown"), "{err}");
        let mut src = BytesMut::from(
            &br#"{"method":"A.B","params":[1],"id":"x"} {"method":"A.B","params":[2],"id":9}"#[..],
        );
        let mut tokens = Vec::new();
        while let Some(ServerInbound::Request { header, .. }) = decoder.decode(&mut src).unwrap() {
            tokens.push(header.token);
        }
        assert_eq!(tokens.len(), 2);
        for (seq, token) in [(2, &tokens[1]), (1, &tokens[0])] {
            let header = ResponseHeader::ok(seq).with_token(token.clone());
            encoder
                .encode_response(&header, Some(Payload::from(&"r")), &mut dst)
                .unwrap();
        }
        assert_eq!(
            &dst[..],
            &b"{\"id\":9,\"result\":\"r\",\"error\":null}\n{\"id\":\"x\",\"result\":\"r\",\"error\":null}\n"[..]
        );
    }
}
