//! Helpers shared by the codecs' unit tests: feeding a decoder whole, in chunks or byte by byte.

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use tokio_util::codec::Decoder;

/// Decodes everything in `bytes` delivered at once, then signals end of stream.
pub(crate) fn decode_all<D: Decoder>(dec: &mut D, bytes: &[u8]) -> Result<Vec<D::Item>, D::Error> {
    decode_chunked(dec, bytes, bytes.len().max(1))
}

/// Decodes `bytes` delivered one byte at a time, then signals end of stream.
pub(crate) fn decode_bytewise<D: Decoder>(
    dec: &mut D,
    bytes: &[u8],
) -> Result<Vec<D::Item>, D::Error> {
    decode_chunked(dec, bytes, 1)
}

/// Decodes `bytes` delivered in chunks of `chunk` bytes, as `FramedRead` would: after each chunk,
/// `decode` until it yields nothing; at the end, `decode_eof` until it yields nothing.
pub(crate) fn decode_chunked<D: Decoder>(
    dec: &mut D,
    bytes: &[u8],
    chunk: usize,
) -> Result<Vec<D::Item>, D::Error> {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(item) = dec.decode(&mut buf)? {
            out.push(item);
        }
    }
    while let Some(item) = dec.decode_eof(&mut buf)? {
        out.push(item);
    }
    Ok(out)
}

/// A struct argument, as a service would take.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub(crate) struct Args {
    pub(crate) a: i64,
    pub(crate) b: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) ratio: f64,
    pub(crate) maybe: Option<u32>,
}

impl Args {
    pub(crate) fn sample() -> Self {
        Args {
            a: 7,
            b: -8,
            name: "Grüße, 世界 🦀".into(),
            tags: vec!["x".into(), "\"quoted\"\n".into()],
            ratio: 0.25,
            maybe: Some(3),
        }
    }
}

/// A string of `len` bytes that is not all one character.
pub(crate) fn big_string(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}
