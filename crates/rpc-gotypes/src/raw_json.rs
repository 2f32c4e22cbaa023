//! Bare JSON numbers of any size through serde, without depending on `serde_json`.
//!
//! Go writes a `*big.Int` as a bare JSON number with every digit. serde has no number type
//! beyond 128 bits, but `serde_json` (with its `raw_value` feature, which the netrpc
//! workspace enables) passes raw JSON text through a private protocol that its `RawValue`
//! uses, and this module speaks it:
//!
//! - Serializing: `serialize_struct(TOKEN, 1)` with one field named `TOKEN` whose value is
//!   the text; serde_json's serializer writes the text as it is (its `Value` serializer
//!   parses it). Another serializer sees a one-field struct.
//! - Deserializing: `deserialize_newtype_struct(TOKEN, visitor)`; serde_json's deserializers
//!   answer `visit_map` with one entry, key `TOKEN`, value the raw text of the next JSON value
//!   (for `serde_json::Value`, its `to_string()`). Other deserializers, and serde_json
//!   without `raw_value`, call `visit_newtype_struct` as for any newtype.

use serde::ser::{SerializeStruct, Serializer};

/// serde_json's private name for raw JSON text (`serde_json::raw::TOKEN`).
pub(crate) const TOKEN: &str = "$serde_json::private::RawValue";

/// Writes `text` as raw JSON through serde_json's `RawValue` protocol.
pub(crate) fn serialize<S: Serializer>(serializer: S, text: &str) -> Result<S::Ok, S::Error> {
    let mut s = serializer.serialize_struct(TOKEN, 1)?;
    s.serialize_field(TOKEN, text)?;
    s.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Raw(&'static str);

    impl serde::Serialize for Raw {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(s, self.0)
        }
    }

    #[test]
    fn serde_json_writes_the_text_raw() {
        let v = vec![Raw("123456789012345678901234567890"), Raw("-1")];
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            "[123456789012345678901234567890,-1]"
        );
        // The token is serde_json's own: its RawValue serializes the same way.
        let raw = serde_json::value::RawValue::from_string("[1, 2]".into()).unwrap();
        assert_eq!(serde_json::to_string(&raw).unwrap(), "[1, 2]");
    }
}
