//! [`parse_json`]: JSON text to a [`serde_json::Value`] without losing the digits of big
//! integers.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Parses JSON text as `serde_json::from_str` does, except that an integer beyond 64 bits
/// (which a [`Value`] would hold as an `f64`, losing digits) becomes a string of its digits:
/// [`Typed`](super::Typed) takes such a string for `big.Int` (and for the other integer types,
/// only to say the number is out of their range).
///
/// ```
/// use rpc_codec::gob::dynamic::parse_json;
/// use serde_json::json;
///
/// let value = parse_json(r#"{"N": 1267650600228229401496703205376, "M": [1, -2.5]}"#).unwrap();
/// assert_eq!(value, json!({"N": "1267650600228229401496703205376", "M": [1, -2.5]}));
/// ```
pub fn parse_json(text: &str) -> Result<Value, serde_json::Error> {
    // serde_json's checks and errors, numbers' ranges included, before the raw pieces.
    serde_json::from_str::<Value>(text)?;
    let raw: &RawValue = serde_json::from_str(text)?;
    exact(raw)
}

/// One value (serde_json has checked the whole text and bounded its nesting).
fn exact(raw: &RawValue) -> Result<Value, serde_json::Error> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            items
                .into_iter()
                .map(exact)
                .collect::<Result<_, _>>()
                .map(Value::Array)
        }
        Some(b'{') => {
            let mut de = serde_json::Deserializer::from_str(text);
            let entries = (&mut de).deserialize_map(Entries)?;
            let mut map = Map::new();
            for (key, value) in entries {
                map.insert(key, exact(value)?);
            }
            Ok(Value::Object(map))
        }
        Some(b'-' | b'0'..=b'9') if !text.contains(['.', 'e', 'E']) => {
            match serde_json::from_str::<i64>(text) {
                Ok(i) => Ok(i.into()),
                Err(_) => match serde_json::from_str::<u64>(text) {
                    Ok(u) => Ok(u.into()),
                    Err(_) => Ok(Value::String(text.to_owned())),
                },
            }
        }
        _ => serde_json::from_str(text),
    }
}

/// An object's entries in order, their values unparsed.
struct Entries;

impl<'de> Visitor<'de> for Entries {
    type Value = Vec<(String, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::parse_json;

    #[test]
    fn big_integers_keep_their_digits_and_the_rest_is_as_serde_json_reads_it() {
        let text = r#" { "a" : [ 18446744073709551615, -9223372036854775808, 18446744073709551616,
            -9223372036854775809, 1e400000000000000000000 , 0.5, "x\"y", true, null, {} ] } "#;
        assert_eq!(
            parse_json(text).unwrap_err().to_string(),
            serde_json::from_str::<serde_json::Value>(text)
                .unwrap_err()
                .to_string()
        );
        let text = text.replace("1e400000000000000000000", "1e30");
        assert_eq!(
            parse_json(&text).unwrap(),
            json!({"a": [u64::MAX, i64::MIN, "18446744073709551616", "-9223372036854775809",
                1e30, 0.5, "x\"y", true, null, {}]})
        );
        assert!(parse_json("[1,").is_err());
        assert!(parse_json(&"[".repeat(200)).is_err());
    }
}
