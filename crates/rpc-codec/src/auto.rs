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
//! As a client codec `Auto` speaks gob, Go's default.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::BytesMut;
use rpc_proto::{
    ClientCodec, Codec, CodecError, Limits, RequestDecoder, ResponseEncoder, ResponseHeader,
    ServerCodec, ServerInbound,
};
use tokio_util::codec::Decoder;

/// Detects the client's codec on each connection (server side); speaks gob as a client.
#[derive(Clone, Copy, Debug, Default)]
pub struct Auto;

/// The codecs `Auto` can detect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Detected {
    Json,
    Postcard,
    Protobuf,
    Gob,
}

/// The encoder of the detected codec, handed from the decoder to the encoder once known.
type EncoderSlot = Arc<Mutex<Option<Box<dyn ResponseEncoder>>>>;

fn lock(slot: &EncoderSlot) -> MutexGuard<'_, Option<Box<dyn ResponseEncoder>>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Codec for Auto {
    fn name(&self) -> &'static str {
        "auto"
    }

    fn client(&self, limits: &Limits) -> ClientCodec {
        crate::Gob.client(limits)
    }

    fn server(&self, limits: &Limits) -> ServerCodec {
        let slot: EncoderSlot = Arc::new(Mutex::new(None));
        ServerCodec {
            decoder: Box::new(AutoDecoder {
                limits: *limits,
                inner: None,
                slot: slot.clone(),
            }),
            encoder: Box::new(AutoEncoder { inner: None, slot }),
        }
    }
}

/// Decides from the first bytes, then delegates.
struct AutoDecoder {
    limits: Limits,
    inner: Option<Box<dyn RequestDecoder>>,
    slot: EncoderSlot,
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
            let ServerCodec { decoder, encoder } = match detected {
                Detected::Json => crate::Json.server(&self.limits),
                Detected::Postcard => crate::Postcard.server(&self.limits),
                Detected::Protobuf => crate::Protobuf.server(&self.limits),
                Detected::Gob => crate::Gob.server(&self.limits),
            };
            *lock(&self.slot) = Some(encoder);
            self.inner = Some(decoder);
        }
        match self.inner.as_mut() {
            Some(inner) => inner.decode(src),
            None => Ok(None),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<ServerInbound>, CodecError> {
        if let Some(message) = self.decode(src)? {
            return Ok(Some(message));
        }
        match self.inner.as_mut() {
            Some(inner) => inner.decode_eof(src),
            None if src.iter().all(|b| is_json_space(*b)) => Ok(None),
            None => Err(CodecError::UnexpectedEof(src.len())),
        }
    }
}

/// Answers in the codec the decoder detected.
struct AutoEncoder {
    inner: Option<Box<dyn ResponseEncoder>>,
    slot: EncoderSlot,
}

impl ResponseEncoder for AutoEncoder {
    fn encode_response(
        &mut self,
        header: &ResponseHeader,
        body: Option<&dyn erased_serde::Serialize>,
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        if self.inner.is_none() {
            self.inner = lock(&self.slot).take();
        }
        match self.inner.as_mut() {
            Some(inner) => inner.encode_response(header, body, dst),
            None => Err(CodecError::Encode(
                "auto: no request has been read, so the codec is unknown".into(),
            )),
        }
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
}
