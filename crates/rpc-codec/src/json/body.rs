//! How jsonrpc bodies decode: request params as Go's `[1]interface{}`, results as plain JSON.

use std::fmt;

use rpc_proto::{BodyFormat, BodySource, CodecError};
use serde::de::{Deserializer as _, IgnoredAny, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::gonull::GoNull;
use super::scan::is_whitespace;

/// A request's `params` (server side).
///
/// Go's server unmarshals params into `[1]interface{}{&arg}`, so: no params or `null` is Go's
/// error `jsonrpc: request body missing params`; an array gives its first element, where a
/// missing or `null` first element gives the zero value and further elements are ignored;
/// anything else is Go's error `json: cannot unmarshal object into Go value of type
/// [1]interface {}`.
#[derive(Debug, Default)]
pub(crate) struct ParamsFormat;

/// A response's `result` (client side): no result or `null` gives the zero value.
#[derive(Debug, Default)]
pub(crate) struct ResultFormat;

impl BodyFormat for ParamsFormat {
    fn decode<'de>(
        &self,
        bytes: &'de [u8],
        visit: &mut dyn FnMut(BodySource<'_, 'de>) -> Result<(), erased_serde::Error>,
    ) -> Result<(), CodecError> {
        let bytes = trim(bytes);
        if bytes.is_empty() || bytes == b"null" {
            return Err(CodecError::Body(
                "jsonrpc: request body missing params".into(),
            ));
        }
        let kind = match bytes.first() {
            Some(b'{') => Some("object"),
            Some(b'"') => Some("string"),
            Some(b't' | b'f') => Some("bool"),
            Some(b'-' | b'0'..=b'9') => Some("number"),
            _ => None,
        };
        if let Some(kind) = kind {
            return Err(CodecError::Body(format!(
                "json: cannot unmarshal {kind} into Go value of type [1]interface {{}}"
            )));
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let first = de
            .deserialize_seq(FirstElement)
            .and_then(|first| de.end().map(|()| first))
            .map_err(|e| CodecError::Body(e.to_string()))?;
        match first {
            Some(element) if element.get() != "null" => {
                let mut de = serde_json::Deserializer::from_str(element.get());
                let mut erased = <dyn erased_serde::Deserializer>::erase(GoNull(&mut de));
                visit(BodySource::Value(&mut erased)).map_err(body_error)
            }
            _ => zero(visit),
        }
    }
}

impl BodyFormat for ResultFormat {
    fn decode<'de>(
        &self,
        bytes: &'de [u8],
        visit: &mut dyn FnMut(BodySource<'_, 'de>) -> Result<(), erased_serde::Error>,
    ) -> Result<(), CodecError> {
        let bytes = trim(bytes);
        if bytes.is_empty() || bytes == b"null" {
            return zero(visit);
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        {
            let mut erased = <dyn erased_serde::Deserializer>::erase(GoNull(&mut de));
            visit(BodySource::Value(&mut erased)).map_err(body_error)?;
        }
        de.end().map_err(|e| CodecError::Body(e.to_string()))
    }
}

/// A missing or `null` body: `null` read through [`GoNull`], which is the zero value of the
/// requested type, `None` for an `Option`, and `null` itself for a `RawValue`.
fn zero<'de>(
    visit: &mut dyn FnMut(BodySource<'_, 'de>) -> Result<(), erased_serde::Error>,
) -> Result<(), CodecError> {
    let mut de = serde_json::Deserializer::from_slice(b"null");
    let mut erased = <dyn erased_serde::Deserializer>::erase(GoNull(&mut de));
    visit(BodySource::Value(&mut erased)).map_err(body_error)
}

/// A body that did not decode, in Go's words where netrpc has them: Go's decoding errors carry
/// no position, so serde_json's ` at line L column C` is dropped (`illegal base64 data at input
/// byte 3` reaches a Go client exactly as Go's own server would word it).
fn body_error(err: erased_serde::Error) -> CodecError {
    let mut text = err.to_string();
    text.truncate(without_position(&text).len());
    CodecError::Body(text)
}

/// `text` without serde_json's trailing ` at line L column C`.
fn without_position(text: &str) -> &str {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some((rest, column)) = text.rsplit_once(" column ") else {
        return text;
    };
    match rest.rsplit_once(" at line ") {
        Some((message, line)) if digits(line) && digits(column) => message,
        _ => text,
    }
}

fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = bytes {
        if !is_whitespace(*first) {
            break;
        }
        bytes = rest;
    }
    while let [rest @ .., last] = bytes {
        if !is_whitespace(*last) {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// Takes an array's first element as raw JSON and skips the rest.
struct FirstElement;

impl<'de> Visitor<'de> for FirstElement {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element::<&'de RawValue>()?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(first)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use rpc_proto::Body;

    use super::*;

    fn params(text: &'static str) -> Body {
        Body::new(Bytes::from_static(text.as_bytes()), Arc::new(ParamsFormat))
    }

    fn result(text: &'static str) -> Body {
        Body::new(Bytes::from_static(text.as_bytes()), Arc::new(ResultFormat))
    }

    #[test]
    fn params_take_the_first_element() {
        assert_eq!(params("[5]").decode::<i64>().unwrap(), 5);
        assert_eq!(params("[5, \"ignored\", {}]").decode::<i64>().unwrap(), 5);
        assert_eq!(
            params(" [ [\"a\",\"b\"] ] ")
                .decode::<[String; 2]>()
                .unwrap(),
            ["a", "b"]
        );
    }

    #[test]
    fn missing_params_fail_as_in_go() {
        for text in ["", "null", " null "] {
            let err = params(text).decode::<i64>().unwrap_err();
            assert_eq!(err.to_string(), "jsonrpc: request body missing params");
        }
    }

    #[test]
    fn empty_params_are_zero() {
        for text in ["[]", "[null]", "[null, 5]", " [ ] "] {
            assert_eq!(params(text).decode::<i64>().unwrap(), 0, "{text:?}");
            assert_eq!(params(text).decode::<String>().unwrap(), "", "{text:?}");
        }
    }

    #[test]
    fn non_array_params_fail_as_in_go() {
        for (text, kind) in [
            ("{\"a\":1}", "object"),
            ("5", "number"),
            ("-5", "number"),
            ("\"s\"", "string"),
            ("true", "bool"),
            ("false", "bool"),
        ] {
            let err = params(text).decode::<i64>().unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("json: cannot unmarshal {kind} into Go value of type [1]interface {{}}")
            );
            assert!(!err.is_fatal());
        }
    }

    #[test]
    fn wrong_element_type_is_a_body_error() {
        let err = params("[\"x\"]").decode::<i64>().unwrap_err();
        assert!(matches!(err, CodecError::Body(_)), "{err:?}");
        let err = params("[1").decode::<i64>().unwrap_err();
        assert!(matches!(err, CodecError::Body(_)), "{err:?}");
    }

    #[test]
    fn bad_base64_fails_with_gos_text() {
        for body in [params(r#"["not base64!"]"#), result(r#""not base64!""#)] {
            let err = body.decode::<Vec<u8>>().unwrap_err();
            assert_eq!(err.to_string(), "illegal base64 data at input byte 3");
        }
        assert_eq!(
            params(r#"["AQID/w=="]"#).decode::<Vec<u8>>().unwrap(),
            [1, 2, 3, 255]
        );
        assert_eq!(
            result(r#""AQID/w==""#).decode::<Vec<u8>>().unwrap(),
            [1, 2, 3, 255]
        );
    }

    #[test]
    fn errors_carry_no_position() {
        let err = result(r#"{"a":"x"}"#)
            .decode::<std::collections::HashMap<String, i64>>()
            .unwrap_err();
        assert_eq!(err.to_string(), r#"invalid type: string "x", expected i64"#);
        assert_eq!(without_position("m at line 1 column 7"), "m");
        for text in [
            "m",
            "m at line x column 7",
            "m column 7",
            "m at line 1 column ",
        ] {
            assert_eq!(without_position(text), text);
        }
    }

    #[test]
    fn raw_values_are_exact() {
        let raw: Box<RawValue> = result("1267650600228229401496703205376").decode().unwrap();
        assert_eq!(raw.get(), "1267650600228229401496703205376");
        let raw: Box<RawValue> = params(r#"[ {"x": 1.50} , 2]"#).decode().unwrap();
        assert_eq!(raw.get(), r#"{"x": 1.50}"#);
        for body in [result(""), result("null"), params("[]"), params("[null]")] {
            let raw: Box<RawValue> = body.decode().unwrap();
            assert_eq!(raw.get(), "null");
        }
    }

    #[test]
    fn results() {
        assert_eq!(result("").decode::<i64>().unwrap(), 0);
        assert_eq!(
            result("null").decode::<Vec<u8>>().unwrap(),
            Vec::<u8>::new()
        );
        assert_eq!(result("[1,2]").decode::<Vec<u8>>().unwrap(), vec![1, 2]);
        let err = result("\"x\"").decode::<i64>().unwrap_err();
        assert!(matches!(err, CodecError::Body(_)), "{err:?}");
        let err = result("1 2").decode::<i64>().unwrap_err();
        assert!(matches!(err, CodecError::Body(_)), "{err:?}");
    }
}
