//! Go's `base64.StdEncoding`, the form Go's `encoding/json` gives a `[]byte` (in jsonrpc
//! bodies, and in gob values printed as Go's JSON): the standard alphabet (`A`-`Z`, `a`-`z`,
//! `0`-`9`, `+`, `/`) with `=` padding.
//!
//! Decoding follows Go's `Encoding.Decode` rule for rule, so that what Go refuses is refused with
//! Go's text: `\r` and `\n` are skipped anywhere, padding is required, bits after the last byte
//! are ignored (the encoding is not strict), and the first byte that does not fit is reported as
//! Go's `CorruptInputError` reports it (`illegal base64 data at input byte N`).

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Not a base64 digit.
const INVALID: u8 = 0xff;

/// Each byte's 6-bit value, or [`INVALID`].
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Go's `base64.CorruptInputError`: the offset of the input byte where decoding failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CorruptInput(pub(crate) usize);

impl fmt::Display for CorruptInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "illegal base64 data at input byte {}", self.0)
    }
}

impl std::error::Error for CorruptInput {}

/// Writes `bytes` in base64 to a formatter, a bounded piece at a time (no allocation), so that a
/// serializer's `collect_str` can stream it into its output.
pub(crate) struct Base64<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Base64<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // 768 input bytes make 1024 output bytes.
        let mut buf = [0u8; 1024];
        for chunk in self.0.chunks(768) {
            let len = encode_chunk(chunk, &mut buf);
            // Only ASCII from ALPHABET and `=` was written.
            let text = std::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?;
            f.write_str(text)?;
        }
        Ok(())
    }
}

/// Encodes `input` (at most 768 bytes) into `out`, returning the length written.
fn encode_chunk(input: &[u8], out: &mut [u8; 1024]) -> usize {
    let mut n = 0;
    let mut groups = input.chunks_exact(3);
    for group in &mut groups {
        let v = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        out[n..n + 4].copy_from_slice(&[digit(v >> 18), digit(v >> 12), digit(v >> 6), digit(v)]);
        n += 4;
    }
    match *groups.remainder() {
        [a] => {
            let v = u32::from(a) << 16;
            out[n..n + 4].copy_from_slice(&[digit(v >> 18), digit(v >> 12), b'=', b'=']);
            n += 4;
        }
        [a, b] => {
            let v = u32::from(a) << 16 | u32::from(b) << 8;
            out[n..n + 4].copy_from_slice(&[digit(v >> 18), digit(v >> 12), digit(v >> 6), b'=']);
            n += 4;
        }
        _ => {}
    }
    n
}

fn digit(v: u32) -> u8 {
    ALPHABET[(v & 0x3f) as usize]
}

/// Decodes base64 text as Go's `base64.StdEncoding.Decode` does.
pub(crate) fn decode(src: &[u8]) -> Result<Vec<u8>, CorruptInput> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        si = decode_quantum(src, si, &mut out)?;
    }
    Ok(out)
}

/// Go's `decodeQuantum`: decodes up to four digits from `src[si..]` (skipping newlines, handling
/// padding) into up to three bytes, returning where the next quantum starts.
fn decode_quantum(src: &[u8], mut si: usize, out: &mut Vec<u8>) -> Result<usize, CorruptInput> {
    let mut digits = [0u8; 4];
    let mut len = 4;
    let mut j = 0;
    while j < 4 {
        let Some(&byte) = src.get(si) else {
            // Only newlines were left, or a quantum without its padding.
            return if j == 0 {
                Ok(si)
            } else {
                Err(CorruptInput(si - j))
            };
        };
        si += 1;
        let value = DECODE[usize::from(byte)];
        if value != INVALID {
            digits[j] = value;
            j += 1;
            continue;
        }
        if byte == b'\n' || byte == b'\r' {
            continue;
        }
        if byte != b'=' || j < 2 {
            return Err(CorruptInput(si - 1));
        }
        // Padding: "==" after two digits, "=" after three, then only newlines to the end.
        if j == 2 {
            si = skip_newlines(src, si);
            match src.get(si) {
                None => return Err(CorruptInput(src.len())),
                Some(b'=') => si += 1,
                Some(_) => return Err(CorruptInput(si - 1)),
            }
        }
        si = skip_newlines(src, si);
        if si < src.len() {
            return Err(CorruptInput(si));
        }
        len = j;
        break;
    }
    let v = u32::from(digits[0]) << 18
        | u32::from(digits[1]) << 12
        | u32::from(digits[2]) << 6
        | u32::from(digits[3]);
    let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
    out.extend_from_slice(&bytes[..len - 1]);
    Ok(si)
}

fn skip_newlines(src: &[u8], mut si: usize) -> usize {
    while matches!(src.get(si), Some(b'\n' | b'\r')) {
        si += 1;
    }
    si
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(bytes: &[u8]) -> String {
        Base64(bytes).to_string()
    }

    #[test]
    fn encodes_as_go() {
        // Go: base64.StdEncoding.EncodeToString.
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (&[1, 2, 3, 255], "AQID/w=="),
            (&[0, 1, 2, 127, 128, 255], "AAECf4D/"),
            (&[0xfb, 0xff], "+/8="),
        ] {
            assert_eq!(encode(bytes), text, "{bytes:?}");
            assert_eq!(decode(text.as_bytes()).unwrap(), bytes, "{text}");
        }
    }

    #[test]
    fn long_values_cross_chunk_boundaries() {
        for len in [767usize, 768, 769, 1536, 10_000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(text.len(), len.div_ceil(3) * 4);
            assert_eq!(decode(text.as_bytes()).unwrap(), bytes);
        }
    }

    /// Expected offsets from Go 1.26's `base64.StdEncoding.DecodeString`.
    #[test]
    fn refuses_as_go() {
        for (text, offset) in [
            ("AQID/w=", 7),
            ("AQID/w", 4),
            ("A", 0),
            ("AQ", 0),
            ("AQI", 0),
            ("hello!", 5),
            ("not base64!", 3),
            ("=AAA", 0),
            ("A===", 1),
            ("AA=A", 2),
            ("AA==A", 4),
            ("AAA=A", 4),
            ("AA==\nA", 5),
            ("AQID AQID", 4),
            ("AQIDAQI-", 7),
            ("Zm9v\n\nYg=", 9),
        ] {
            assert_eq!(
                decode(text.as_bytes()),
                Err(CorruptInput(offset)),
                "{text:?}"
            );
        }
        assert_eq!(
            CorruptInput(3).to_string(),
            "illegal base64 data at input byte 3"
        );
    }

    #[test]
    fn newlines_and_trailing_bits_as_go() {
        assert_eq!(decode(b"AQ\r\nID\n").unwrap(), [1, 2, 3]);
        assert_eq!(decode(b"\n\n").unwrap(), b"");
        assert_eq!(decode(b"Zg=\n=\n").unwrap(), b"f");
        // Go's StdEncoding is not strict: "Zh==" is "f" too.
        assert_eq!(decode(b"Zh==").unwrap(), b"f");
    }
}
