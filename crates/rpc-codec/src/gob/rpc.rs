//! Go's `rpc.Request` and `rpc.Response` headers as gob sends them, and a fast path that writes
//! them straight to the wire once a stream has defined their types.
//!
//! Every call on a gob stream sends one of these headers, so [`HeaderWriter`] skips the generic
//! encoder's work (finding the value's shape, looking its type up) for all but a stream's first:
//! the header's type id is learnt from the first header the generic encoder wrote, and each
//! later one is written field by field, exactly as the generic encoder would write it (a unit
//! test compares the two).

use serde::{Deserialize, Serialize};

use super::encode::Registry;
use super::types::TypeId;
use super::wire::{put_bytes, put_int, put_uint};
use rpc_proto::Limits;

/// Go's `rpc.Request` (its unexported `next` field is not sent).
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq)]
#[serde(rename = "Request", rename_all = "PascalCase")]
pub(crate) struct Request<'a> {
    #[serde(borrow)]
    pub(crate) service_method: std::borrow::Cow<'a, str>,
    pub(crate) seq: u64,
}

/// Go's `rpc.Response`.
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq)]
#[serde(rename = "Response", rename_all = "PascalCase")]
pub(crate) struct Response<'a> {
    #[serde(borrow)]
    pub(crate) service_method: std::borrow::Cow<'a, str>,
    pub(crate) seq: u64,
    #[serde(borrow)]
    pub(crate) error: std::borrow::Cow<'a, str>,
}

/// One field of a header, in field order.
enum Field<'a> {
    Str(&'a str),
    Uint(u64),
}

impl Field<'_> {
    /// Gob sends no zero field.
    fn is_zero(&self) -> bool {
        match self {
            Field::Str(s) => s.is_empty(),
            Field::Uint(u) => *u == 0,
        }
    }
}

/// Writes a stream's headers (one kind: requests or responses): through the generic encoder
/// until the stream has defined the header's type, then directly.
#[derive(Debug, Default)]
pub(crate) struct HeaderWriter {
    /// The header type's id in this stream, once defined.
    id: Option<TypeId>,
    /// The message being written (kept to spare an allocation per header).
    scratch: Vec<u8>,
}

impl HeaderWriter {
    /// Appends the message of `request` to `out`, or returns `false` (writing nothing) when the
    /// stream has not defined the type yet: the generic encoder must write it.
    pub(crate) fn request(&mut self, request: &Request<'_>, out: &mut Vec<u8>) -> bool {
        self.write(
            &[
                Field::Str(&request.service_method),
                Field::Uint(request.seq),
            ],
            out,
        )
    }

    /// As [`request`](Self::request), for a response.
    pub(crate) fn response(&mut self, response: &Response<'_>, out: &mut Vec<u8>) -> bool {
        self.write(
            &[
                Field::Str(&response.service_method),
                Field::Uint(response.seq),
                Field::Str(&response.error),
            ],
            out,
        )
    }

    /// After a message whose header went through the generic encoder was written whole (so
    /// the stream keeps the header's type for good), learns the type's id from `header`.
    pub(crate) fn learn<T: Serialize>(&mut self, registry: &Registry, header: &T, limits: &Limits) {
        if self.id.is_none() {
            self.id = registry.defined_id(header, limits);
        }
    }

    fn write(&mut self, fields: &[Field<'_>], out: &mut Vec<u8>) -> bool {
        let Some(id) = self.id else {
            return false;
        };
        let msg = &mut self.scratch;
        msg.clear();
        put_int(msg, id);
        let mut last: i64 = -1;
        for (i, field) in (0i64..).zip(fields) {
            if field.is_zero() {
                continue;
            }
            put_uint(msg, (i - last) as u64);
            last = i;
            match field {
                Field::Str(s) => put_bytes(msg, s.as_bytes()),
                Field::Uint(u) => put_uint(msg, *u),
            }
        }
        put_uint(msg, 0);
        put_uint(out, msg.len() as u64);
        out.extend_from_slice(msg);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the generic encoder writes for `header` on a stream that has defined its type.
    fn generic<T: Serialize>(registry: &mut Registry, header: &T) -> Vec<u8> {
        let mut out = Vec::new();
        let mut journal = registry.begin();
        registry
            .encode_value(header, None, &Limits::default(), &mut out, &mut journal)
            .unwrap();
        out
    }

    #[test]
    fn direct_headers_are_the_generic_encoders_bytes() {
        let limits = Limits::default();
        let mut registry = Registry::default();
        let mut writer = HeaderWriter::default();
        let first = Request {
            service_method: "Arith.Multiply".into(),
            seq: 0,
        };
        assert!(
            !writer.request(&first, &mut Vec::new()),
            "type not defined yet"
        );
        let defined = generic(&mut registry, &first);
        writer.learn(&registry, &first, &limits);
        for (method, seq) in [
            ("Arith.Multiply", 1),
            ("", 7),
            ("S.M", 0),
            ("é.ü", u64::MAX),
        ] {
            let request = Request {
                service_method: method.into(),
                seq,
            };
            let mut direct = Vec::new();
            assert!(writer.request(&request, &mut direct));
            assert_eq!(direct, generic(&mut registry, &request), "{method} {seq}");
        }
        assert!(defined.len() > generic(&mut registry, &first).len());

        // Responses, on a stream of their own.
        let mut registry = Registry::default();
        let mut writer = HeaderWriter::default();
        let first = Response::default();
        generic(&mut registry, &first);
        writer.learn(&registry, &first, &limits);
        for (method, seq, error) in [
            ("A.B", 3, ""),
            ("A.B", 0, "boom"),
            ("", 0, ""),
            ("x", 300, "e"),
        ] {
            let response = Response {
                service_method: method.into(),
                seq,
                error: error.into(),
            };
            let mut direct = Vec::new();
            assert!(writer.response(&response, &mut direct));
            assert_eq!(
                direct,
                generic(&mut registry, &response),
                "{method} {seq} {error}"
            );
        }
    }

    #[test]
    fn a_stream_that_defined_other_types_first_gets_the_headers_own_id() {
        let limits = Limits::default();
        let mut registry = Registry::default();
        #[derive(Serialize)]
        struct Other {
            #[serde(rename = "X")]
            x: i64,
        }
        generic(&mut registry, &Other { x: 1 });
        let first = Request::default();
        generic(&mut registry, &first);
        let mut writer = HeaderWriter::default();
        writer.learn(&registry, &first, &limits);
        let request = Request {
            service_method: "S.M".into(),
            seq: 9,
        };
        let mut direct = Vec::new();
        assert!(writer.request(&request, &mut direct));
        assert_eq!(direct, generic(&mut registry, &request));
    }
}
