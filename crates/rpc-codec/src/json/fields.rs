//! Reading the fixed-field objects of jsonrpc the way Go's `encoding/json` reads them into a
//! struct: keys match field names exactly or case-insensitively, unknown keys are skipped, and a
//! repeated key overwrites the earlier one.

use std::fmt;

use bytes::Bytes;
use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, Visitor};

/// Which of `names` an object key selects, as Go matches a key to a struct field (`None`: an
/// unknown key, to be skipped).
pub(crate) struct FieldSeed(pub(crate) &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for FieldSeed {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|name| key_selects(key, name)))
    }
}

/// Whether `key` selects the field `name` (ASCII lowercase). Go tries an exact match, then a
/// match under Unicode simple case folding, where besides ASCII letters only 'ſ' (U+017F) folds
/// to 's' and the Kelvin sign (U+212A) to 'k'.
fn key_selects(key: &str, name: &str) -> bool {
    let mut chars = key.chars();
    for expected in name.chars() {
        let folded = match chars.next() {
            None => return false,
            Some('\u{17F}') => 's',
            Some('\u{212A}') => 'k',
            Some(c) => c.to_ascii_lowercase(),
        };
        if folded != expected {
            return false;
        }
    }
    chars.next().is_none()
}

/// Parses one complete object with `visitor`, rejecting anything after it.
pub(crate) fn parse_object<'de, V: Visitor<'de>>(
    frame: &'de [u8],
    visitor: V,
) -> Result<V::Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(frame);
    let value = de.deserialize_map(visitor)?;
    de.end()?;
    Ok(value)
}

/// The part of `frame` that `part` (borrowed from it by the parser) covers, without copying;
/// a copy if `part` is not inside `frame` after all.
pub(crate) fn subslice(frame: &Bytes, part: &[u8]) -> Bytes {
    let start = part.as_ptr().addr().wrapping_sub(frame.as_ptr().addr());
    match start.checked_add(part.len()) {
        Some(end) if start <= frame.len() && end <= frame.len() => frame.slice(start..end),
        _ => Bytes::copy_from_slice(part),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_like_go() {
        assert!(key_selects("method", "method"));
        assert!(key_selects("METHOD", "method"));
        assert!(key_selects("Params", "params"));
        assert!(key_selects("paramſ", "params"));
        assert!(key_selects("\u{212A}", "k"));
        assert!(!key_selects("method ", "method"));
        assert!(!key_selects("metho", "method"));
        assert!(!key_selects("", "id"));
        assert!(!key_selects("ıd", "id"));
    }

    #[test]
    fn subslice_shares_or_copies() {
        let frame = Bytes::from_static(b"0123456789");
        let part = subslice(&frame, &frame[2..5]);
        assert_eq!(&part[..], b"234");
        assert_eq!(part.as_ptr(), frame[2..].as_ptr());
        let elsewhere = b"234".to_vec();
        assert_eq!(&subslice(&frame, &elsewhere)[..], b"234");
    }
}
