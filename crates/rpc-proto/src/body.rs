//! A message body that stays encoded until the engine knows which type to decode it into.
//!
//! The reader of a connection cannot know a method's argument type (the server) or a call's reply
//! type (the client) when it splits the byte stream into messages, so it hands the engine a
//! [`Body`]: the body's bytes plus the [`BodyFormat`] that can turn them into any serde type later,
//! on the task that knows the type.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::{CodecError, zero};

/// Where a decoded value comes from: an encoded value, or Go's zero value of the requested type
/// (jsonrpc's missing or `null` params and results decode that way, as in Go).
pub enum BodySource<'a, 'de> {
    /// Use the zero value of the requested type (see [`zero`]).
    Zero,
    /// Deserialize from this deserializer.
    Value(&'a mut dyn erased_serde::Deserializer<'de>),
}

/// How one codec decodes the bodies it framed. Implemented by codecs; called by [`Body::decode`].
pub trait BodyFormat: Send + Sync + fmt::Debug + 'static {
    /// Presents `bytes` to `visit` as a deserializer (or as "zero value"), exactly once.
    ///
    /// Errors returned by `visit` and by the format itself become [`CodecError::Body`].
    fn decode<'de>(
        &self,
        bytes: &'de [u8],
        visit: &mut dyn FnMut(BodySource<'_, 'de>) -> Result<(), erased_serde::Error>,
    ) -> Result<(), CodecError>;
}

/// An encoded request argument or response reply, decodable into any serde type.
#[derive(Clone)]
pub struct Body {
    bytes: Bytes,
    format: Arc<dyn BodyFormat>,
}

impl Body {
    /// Wraps encoded bytes with the format that decodes them.
    pub fn new(bytes: Bytes, format: Arc<dyn BodyFormat>) -> Self {
        Self { bytes, format }
    }

    /// The encoded bytes, exactly as framed.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Decodes the body into `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, CodecError> {
        let mut out = None;
        self.format.decode(&self.bytes, &mut |source| {
            out = Some(match source {
                BodySource::Zero => {
                    zero::value::<T>().map_err(<erased_serde::Error as serde::de::Error>::custom)?
                }
                BodySource::Value(de) => erased_serde::deserialize::<T>(de)?,
            });
            Ok(())
        })?;
        out.ok_or_else(|| CodecError::Body("the codec produced no value".into()))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("len", &self.bytes.len())
            .field("format", &self.format)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A format whose bodies are JSON text and whose empty body means "zero value".
    #[derive(Debug)]
    struct TestJson;

    impl BodyFormat for TestJson {
        fn decode<'de>(
            &self,
            bytes: &'de [u8],
            visit: &mut dyn FnMut(BodySource<'_, 'de>) -> Result<(), erased_serde::Error>,
        ) -> Result<(), CodecError> {
            if bytes.is_empty() {
                return visit(BodySource::Zero).map_err(|e| CodecError::Body(e.to_string()));
            }
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let mut erased = <dyn erased_serde::Deserializer>::erase(&mut de);
            visit(BodySource::Value(&mut erased)).map_err(|e| CodecError::Body(e.to_string()))
        }
    }

    #[test]
    fn decodes_into_the_requested_type() {
        let body = Body::new(Bytes::from_static(b"[\"a\",\"b\"]"), Arc::new(TestJson));
        let kv: [String; 2] = body.decode().unwrap();
        assert_eq!(kv, ["a".to_string(), "b".to_string()]);
        let as_vec: Vec<String> = body.decode().unwrap();
        assert_eq!(as_vec.len(), 2);
    }

    #[test]
    fn zero_source_gives_zero_value() {
        let body = Body::new(Bytes::new(), Arc::new(TestJson));
        assert_eq!(body.decode::<i64>().unwrap(), 0);
        assert_eq!(body.decode::<String>().unwrap(), "");
    }

    #[test]
    fn type_mismatch_is_a_body_error() {
        let body = Body::new(Bytes::from_static(b"42"), Arc::new(TestJson));
        let err = body.decode::<String>().unwrap_err();
        assert!(matches!(err, CodecError::Body(_)), "{err:?}");
        assert!(!err.is_fatal());
    }
}
