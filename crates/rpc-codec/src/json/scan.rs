//! Finding where each top-level JSON object of a stream ends, without parsing it.
//!
//! The scanner keeps its place between calls, so a message that arrives in many pieces is looked
//! at once in total (O(n)), not re-read from its start each time more bytes come in.

use bytes::{Buf, BytesMut};
use rpc_proto::{CodecError, Limits};

/// A resumable scanner over a stream of JSON objects.
///
/// It tracks only what is needed to find the object's end: nesting depth and whether it is inside
/// a string (and just after a backslash there). Anything else wrong with the text is left to the
/// parser that reads the complete object.
#[derive(Debug, Default)]
pub(crate) struct Scanner {
    /// Whether the first byte (`{`) of an object has been seen at the front of the buffer.
    in_value: bool,
    /// Bytes of the current object already scanned.
    scanned: usize,
    /// Open objects and arrays at `scanned`.
    depth: usize,
    /// Whether `scanned` is inside a string.
    in_string: bool,
    /// Whether the previous byte was a backslash inside a string.
    escaped: bool,
}

impl Scanner {
    /// Skips (consumes) whitespace ahead of the next object, then scans on from where the last
    /// call stopped. Returns the length of the object at the front of `src` once it is complete.
    ///
    /// Errors: a value that is not an object, nesting deeper than `limits.max_depth` (the object
    /// itself is level 1), or more than `limits.max_message` bytes without the object ending.
    pub(crate) fn next_object(
        &mut self,
        src: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<usize>, CodecError> {
        if !self.in_value {
            let blank = src.iter().take_while(|b| is_whitespace(**b)).count();
            src.advance(blank);
            match src.first() {
                None => return Ok(None),
                Some(b'{') => {
                    *self = Scanner {
                        in_value: true,
                        ..Scanner::default()
                    }
                }
                Some(&other) => {
                    return Err(CodecError::Malformed(format!(
                        "expected a JSON object, found '{}'",
                        [other].escape_ascii()
                    )));
                }
            }
        }

        // Never look past the limit: an object that has not ended by then is too large anyway.
        let end = src.len().min(limits.max_message);
        let start = self.scanned.min(end);
        let window = src.get(start..end).unwrap_or_default();
        for (offset, &byte) in window.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth > limits.max_depth {
                        return Err(CodecError::Malformed(format!(
                            "JSON nested deeper than {} levels",
                            limits.max_depth
                        )));
                    }
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        *self = Scanner::default();
                        return Ok(Some(start + offset + 1));
                    }
                }
                _ => {}
            }
        }
        self.scanned = end;
        if src.len() > limits.max_message {
            return Err(CodecError::FrameTooLarge {
                len: src.len(),
                max: limits.max_message,
            });
        }
        Ok(None)
    }
}

/// JSON's insignificant whitespace (RFC 8259): space, tab, line feed, carriage return.
pub(crate) fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_message: usize, max_depth: usize) -> Limits {
        Limits {
            max_message,
            max_depth,
        }
    }

    fn scan_all(input: &[u8], limits: &Limits) -> Result<Vec<Vec<u8>>, CodecError> {
        let mut scanner = Scanner::default();
        let mut src = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(len) = scanner.next_object(&mut src, limits)? {
            out.push(src.split_to(len).to_vec());
        }
        Ok(out)
    }

    #[test]
    fn finds_objects_with_tricky_strings() {
        let input = br#" {"a":"}]\"{"} {"b":["\\",{"c":"\\\""}]}
{}"#;
        let got = scan_all(input, &Limits::default()).unwrap();
        assert_eq!(
            got,
            vec![
                br#"{"a":"}]\"{"}"#.to_vec(),
                br#"{"b":["\\",{"c":"\\\""}]}"#.to_vec(),
                b"{}".to_vec()
            ]
        );
    }

    #[test]
    fn resumes_where_it_stopped() {
        let input = br#"{"a":[1,2,{"b":"x\"y"}]}"#;
        let limits = Limits::default();
        let mut scanner = Scanner::default();
        let mut src = BytesMut::new();
        for (i, byte) in input.iter().enumerate() {
            src.extend_from_slice(&[*byte]);
            let got = scanner.next_object(&mut src, &limits).unwrap();
            if i + 1 < input.len() {
                assert_eq!(got, None);
                assert_eq!(scanner.scanned, i + 1);
            } else {
                assert_eq!(got, Some(input.len()));
            }
        }
    }

    #[test]
    fn rejects_values_that_are_not_objects() {
        for input in [&b"[1]"[..], b"1", b"\"s\"", b"null", b"\xff", b"}"] {
            let err = scan_all(input, &Limits::default()).unwrap_err();
            assert!(
                matches!(err, CodecError::Malformed(_)),
                "{input:?}: {err:?}"
            );
        }
    }

    #[test]
    fn depth_bound_counts_the_outer_object() {
        let nested = |depth: usize| {
            let mut s = String::from("{\"a\":");
            s.push_str(&"[".repeat(depth - 1));
            s.push_str(&"]".repeat(depth - 1));
            s.push('}');
            s
        };
        assert_eq!(
            scan_all(nested(5).as_bytes(), &limits(1000, 5))
                .unwrap()
                .len(),
            1
        );
        let err = scan_all(nested(6).as_bytes(), &limits(1000, 5)).unwrap_err();
        assert!(matches!(err, CodecError::Malformed(_)), "{err:?}");
        // Brackets inside strings do not count.
        let in_string = format!("{{\"a\":\"{}\"}}", "[".repeat(100));
        assert_eq!(
            scan_all(in_string.as_bytes(), &limits(1000, 1))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn size_bound_is_inclusive() {
        let exact = br#"{"a":"0123"}"#; // 12 bytes
        assert_eq!(scan_all(exact, &limits(12, 8)).unwrap().len(), 1);
        let err = scan_all(exact, &limits(11, 8)).unwrap_err();
        assert!(
            matches!(err, CodecError::FrameTooLarge { len: 12, max: 11 }),
            "{err:?}"
        );
        // Whitespace between objects is not part of either.
        let spaced = b"   \n\n  {\"a\":\"0123\"}   \n  {\"a\":\"0123\"}\n";
        assert_eq!(scan_all(spaced, &limits(12, 8)).unwrap().len(), 2);
    }

    #[test]
    fn incomplete_object_over_the_limit_stops_buffering() {
        let mut scanner = Scanner::default();
        let mut src = BytesMut::from(&b"{\"a\":\""[..]);
        let limits = limits(16, 8);
        assert_eq!(scanner.next_object(&mut src, &limits).unwrap(), None);
        src.extend_from_slice(&[b'x'; 10]);
        assert_eq!(scanner.next_object(&mut src, &limits).unwrap(), None);
        src.extend_from_slice(b"x");
        let err = scanner.next_object(&mut src, &limits).unwrap_err();
        assert!(
            matches!(err, CodecError::FrameTooLarge { len: 17, max: 16 }),
            "{err:?}"
        );
    }
}
