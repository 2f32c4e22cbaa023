//! Writing JSON exactly as Go's `encoding/json` does, into a size-limited buffer.

use std::io;

use bytes::BytesMut;
use rpc_proto::CodecError;
use serde::Serialize;
use serde_json::ser::Formatter;

use super::bytes_ser::GoBytes;

/// A serde_json formatter that writes what Go's `json.Encoder` writes for the same data:
///
/// - in strings, `<`, `>` and `&` become `\u003c`, `\u003e`, `\u0026` (Go's default HTML
///   escaping), and U+2028 / U+2029 become `\u2028` / `\u2029`;
/// - floats are written as Go writes them (ES6 number-to-string): the shortest representation
///   that round-trips, without a fractional part when integral (`1`, not `1.0`), in exponent form
///   only below 1e-6 or from 1e21 on, with an explicit sign and no padding (`1e+21`, `1.5e-7`).
///
/// Everything else (integers, control-character escapes, `true`/`false`/`null`) is already the
/// same in serde_json. Non-finite floats, which Go refuses to encode, are written as `null` by
/// serde_json before the formatter sees them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        let abs = value.abs();
        if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
            write_exponent(writer, &format!("{value:e}"))
        } else {
            write!(writer, "{value}")
        }
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        let abs = value.abs();
        if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
            write_exponent(writer, &format!("{value:e}"))
        } else {
            write!(writer, "{value}")
        }
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_html_escaped(writer, fragment.as_bytes())
    }
}

/// Rust writes `1e21` and `1.5e-7`; Go writes `1e+21` and `1.5e-7`.
fn write_exponent<W: ?Sized + io::Write>(writer: &mut W, rust: &str) -> io::Result<()> {
    match rust.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => {
            write!(writer, "{mantissa}e+{exponent}")
        }
        _ => writer.write_all(rust.as_bytes()),
    }
}

/// The bytes that may begin one of Go's extra escapes: `<`, `>`, `&`, and the first byte of
/// U+2028 and U+2029.
const MAY_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'&' as usize] = true;
    table[0xE2] = true;
    table
};

/// Writes `bytes` (part of a JSON string, already escaped otherwise) with Go's extra escapes.
fn write_html_escaped<W: ?Sized + io::Write>(writer: &mut W, bytes: &[u8]) -> io::Result<()> {
    let mut start = 0;
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| MAY_ESCAPE[usize::from(b)]) {
        i += offset;
        let (escape, len): (&[u8], usize) = match bytes[i..] {
            [b'<', ..] => (b"\\u003c", 1),
            [b'>', ..] => (b"\\u003e", 1),
            [b'&', ..] => (b"\\u0026", 1),
            [0xE2, 0x80, 0xA8, ..] => (b"\\u2028", 3),
            [0xE2, 0x80, 0xA9, ..] => (b"\\u2029", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        writer.write_all(&bytes[start..i])?;
        writer.write_all(escape)?;
        i += len;
        start = i;
    }
    writer.write_all(&bytes[start..])
}

/// Go's `json.Compact` with HTML escaping, which Go's encoder applies to a `json.RawMessage`
/// (the echoed request id): whitespace outside strings is dropped, `<`, `>`, `&`, U+2028 and
/// U+2029 inside strings are escaped. `raw` must be valid JSON (it comes from serde_json).
pub(crate) fn compact(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, &byte) in raw.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'"' {
            in_string = true;
        } else if super::scan::is_whitespace(byte) {
            // Writing into a Vec cannot fail.
            let _ = write_html_escaped(&mut out, &raw[start..i]);
            start = i + 1;
        }
    }
    let _ = write_html_escaped(&mut out, &raw[start..]);
    out
}

/// An `io::Write` into a `BytesMut` that refuses to grow it past `limit` bytes in total, so an
/// oversized value fails early instead of being serialized in full.
pub(crate) struct LimitedWriter<'a> {
    dst: &'a mut BytesMut,
    limit: usize,
    exceeded: bool,
}

impl<'a> LimitedWriter<'a> {
    /// Allows `max` more bytes in `dst`.
    pub(crate) fn new(dst: &'a mut BytesMut, max: usize) -> Self {
        let limit = dst.len().saturating_add(max);
        Self {
            dst,
            limit,
            exceeded: false,
        }
    }

    /// Serializes `value` as JSON the way Go does (byte vectors in base64, see [`GoBytes`]).
    pub(crate) fn json<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        value.serialize(GoBytes(&mut serde_json::Serializer::with_formatter(
            self,
            GoFormatter,
        )))
    }

    /// Appends bytes written by hand.
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> Result<(), serde_json::Error> {
        io::Write::write_all(self, bytes).map_err(serde_json::Error::io)
    }

    /// Turns a serialization failure into the codec's error, naming the limit if that was it.
    pub(crate) fn error(&self, err: serde_json::Error, max: usize) -> CodecError {
        if self.exceeded {
            CodecError::Encode(format!("message exceeds the limit of {max} bytes"))
        } else {
            CodecError::Encode(err.to_string())
        }
    }
}

impl io::Write for LimitedWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.dst.len().saturating_add(buf.len()) > self.limit {
            self.exceeded = true;
            return Err(io::Error::other("message too large"));
        }
        self.dst.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_json<T: Serialize>(value: &T) -> String {
        let mut buf = BytesMut::new();
        LimitedWriter::new(&mut buf, usize::MAX)
            .json(value)
            .unwrap();
        String::from_utf8(buf.to_vec()).unwrap()
    }

    /// Expected strings produced by Go 1.26's `json.NewEncoder(os.Stdout).Encode`.
    #[test]
    fn floats_as_go_writes_them() {
        let cases: [(f64, &str); 12] = [
            (1.0, "1"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (1e-6, "0.000001"),
            (0.0, "0"),
            (-0.0, "-0"),
            (0.1, "0.1"),
            (123456789.125, "123456789.125"),
            (-2.5e300, "-2.5e+300"),
            (5e-324, "5e-324"),
            (1e-10, "1e-10"),
        ];
        for (value, want) in cases {
            assert_eq!(go_json(&value), want, "{value:?}");
        }
        assert_eq!(go_json(&0.1f32), "0.1");
        assert_eq!(go_json(&1e21f32), "1e+21");
        assert_eq!(go_json(&16777216f32), "16777216");
    }

    #[test]
    fn strings_as_go_writes_them() {
        assert_eq!(
            go_json(&"x\u{8}\u{c}\u{1}<é&>\u{2028}\u{2029}\"\\\n\u{7f}"),
            "\"x\\b\\f\\u0001\\u003cé\\u0026\\u003e\\u2028\\u2029\\\"\\\\\\n\u{7f}\""
        );
        assert_eq!(
            go_json(&"A.B<&>\u{2028}"),
            r#""A.B\u003c\u0026\u003e\u2028""#
        );
    }

    #[test]
    fn compact_drops_whitespace_outside_strings() {
        assert_eq!(
            compact(b"[1, 2,\n {\"a b\" : \"<x>\"}]"),
            br#"[1,2,{"a b":"\u003cx\u003e"}]"#
        );
        assert_eq!(compact(br#""\" <""#), br#""\" \u003c""#);
        assert_eq!(compact(b"7"), b"7");
    }

    #[test]
    fn writer_stops_at_the_limit() {
        let mut buf = BytesMut::from(&b"ab"[..]);
        let mut w = LimitedWriter::new(&mut buf, 5);
        w.raw(b"12345").unwrap();
        let err = w.raw(b"6").unwrap_err();
        assert!(matches!(w.error(err, 5), CodecError::Encode(m) if m.contains("limit of 5")));
        assert_eq!(&buf[..], b"ab12345");
    }
}
