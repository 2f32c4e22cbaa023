//! [`ByteString`]: a Go `string`, which may hold any bytes.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::marker;
use crate::marshal::{ByteBufVisitor, Bytes};

/// A Go `string`: bytes that are usually, but not necessarily, UTF-8.
///
/// Binary codecs carry the bytes exactly (gob writes a Go `string` with them). JSON carries
/// text, as Go's `encoding/json` does: each byte of an invalid UTF-8 sequence becomes U+FFFD.
///
/// ```
/// use rpc_gotypes::ByteString;
///
/// let s = ByteString::from(b"caf\xe9".to_vec());
/// assert_eq!(s.as_bytes(), b"caf\xe9");
/// assert_eq!(s.to_string_lossy(), "caf\u{fffd}");
/// assert_eq!(format!("{s:?}"), r#""caf\xe9""#);
/// assert_eq!(serde_json::to_string(&s).unwrap(), "\"caf\u{fffd}\"");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ByteString(Vec<u8>);

impl ByteString {
    /// A string of these bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> ByteString {
        ByteString(bytes.into())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The text, if the bytes are UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The text with each byte of an invalid UTF-8 sequence replaced by U+FFFD, as Go's
    /// `encoding/json` writes it (and as ranging over the string in Go decodes it).
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        if let Ok(s) = std::str::from_utf8(&self.0) {
            return Cow::Borrowed(s);
        }
        let mut out = String::with_capacity(self.0.len() + 8);
        for chunk in self.0.utf8_chunks() {
            out.push_str(chunk.valid());
            for _ in chunk.invalid() {
                out.push(char::REPLACEMENT_CHARACTER);
            }
        }
        Cow::Owned(out)
    }
}

impl Deref for ByteString {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for ByteString {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<String> for ByteString {
    fn from(s: String) -> ByteString {
        ByteString(s.into_bytes())
    }
}

impl From<&str> for ByteString {
    fn from(s: &str) -> ByteString {
        ByteString(s.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for ByteString {
    fn from(b: Vec<u8>) -> ByteString {
        ByteString(b)
    }
}

impl From<&[u8]> for ByteString {
    fn from(b: &[u8]) -> ByteString {
        ByteString(b.to_vec())
    }
}

impl From<ByteString> for Vec<u8> {
    fn from(s: ByteString) -> Vec<u8> {
        s.0
    }
}

impl fmt::Debug for ByteString {
    /// Quoted, with `\xNN` for bytes outside printable ASCII (Rust's `escape_ascii`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

impl fmt::Display for ByteString {
    /// [`to_string_lossy`](ByteString::to_string_lossy).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl Serialize for ByteString {
    /// Human-readable formats: the lossy text. Others: a newtype struct named
    /// [`marker::STRING`] around the bytes (`serialize_bytes`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.to_string_lossy())
        } else {
            serializer.serialize_newtype_struct(marker::STRING, &Bytes(&self.0))
        }
    }
}

impl<'de> Deserialize<'de> for ByteString {
    /// Human-readable formats: a string (or bytes). Others: the [`marker::STRING`] newtype
    /// around bytes, a string or a sequence of `u8` (or any of those without the newtype).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ByteString, D::Error> {
        if deserializer.is_human_readable() {
            deserializer
                .deserialize_string(StringVisitor)
                .map(ByteString)
        } else {
            deserializer
                .deserialize_newtype_struct(marker::STRING, StringVisitor)
                .map(ByteString)
        }
    }
}

/// Bytes in any form, inside the marker newtype or not.
struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_byte_buf(ByteBufVisitor)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        ByteBufVisitor.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Vec<u8>, E> {
        ByteBufVisitor.visit_string(v)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        ByteBufVisitor.visit_bytes(v)
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        ByteBufVisitor.visit_byte_buf(v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<u8>, A::Error> {
        ByteBufVisitor.visit_seq(seq)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<u8>, E> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_replaces_each_invalid_byte_as_go() {
        // From testdata/gen.go: json.Marshal(string(those bytes)).
        let s = ByteString::from(b"a\xff\xe2\x82b\xf0\x9f\x98\x80\xed\xa0\x80\xc0\xaf".to_vec());
        let want = "a\u{fffd}\u{fffd}\u{fffd}b\u{1f600}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}";
        assert_eq!(s.to_string_lossy(), want);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), want);
        assert_eq!(
            serde_json::from_str::<ByteString>(&json)
                .unwrap()
                .as_bytes(),
            want.as_bytes()
        );
        assert!(matches!(
            ByteString::from("ok").to_string_lossy(),
            Cow::Borrowed("ok")
        ));
    }

    #[test]
    fn binary_codecs_keep_the_bytes() {
        let s = ByteString::from(b"\x00\xff\xfe".to_vec());
        let bytes = postcard::to_allocvec(&s).unwrap();
        assert_eq!(bytes, b"\x03\x00\xff\xfe");
        assert_eq!(postcard::from_bytes::<ByteString>(&bytes).unwrap(), s);
        assert!(postcard::from_bytes::<ByteString>(b"\x05\x00").is_err());
    }

    #[test]
    fn accessors() {
        let s = ByteString::new(b"hi\n\"".to_vec());
        assert_eq!(format!("{s:?}"), r#""hi\n\"""#);
        assert_eq!(s.to_string(), "hi\n\"");
        assert_eq!(&s[..2], b"hi");
        assert_eq!(s.as_str(), Some("hi\n\""));
        assert_eq!(ByteString::from(String::from("x")), ByteString::from("x"));
        assert_eq!(ByteString::from(&b"x"[..]).into_bytes(), b"x");
        assert_eq!(Vec::from(ByteString::from("y")), b"y");
        assert_eq!(ByteString::from(vec![0xff]).as_str(), None);
        assert_eq!(ByteString::default().as_ref(), b"");
    }
}
