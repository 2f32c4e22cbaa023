//! The primitives of the gob encoding: unsigned and signed integers, floats and byte strings.
//!
//! An unsigned integer below 128 is one byte; a larger one is the negated count of its bytes
//! followed by its minimal big-endian bytes (`256` is `FE 01 00`). A signed integer `i` is the
//! unsigned `i << 1` when `i >= 0` and `(!i << 1) | 1` otherwise. A float is its IEEE 754 bits,
//! byte-reversed, as an unsigned integer. Strings and byte slices are an unsigned length followed
//! by the bytes.

use super::error::{Error, bail};

/// Appends the gob encoding of an unsigned integer.
pub(crate) fn put_uint(out: &mut Vec<u8>, x: u64) {
    if x < 0x80 {
        out.push(x as u8);
        return;
    }
    let bytes = x.to_be_bytes();
    let skip = (x.leading_zeros() / 8) as usize;
    let len = 8 - skip;
    out.push((len as u8).wrapping_neg());
    out.extend_from_slice(&bytes[skip..]);
}

/// Appends the gob encoding of a signed integer.
pub(crate) fn put_int(out: &mut Vec<u8>, i: i64) {
    let u = if i < 0 {
        (!(i as u64) << 1) | 1
    } else {
        (i as u64) << 1
    };
    put_uint(out, u);
}

/// Appends the gob encoding of a float: its bits, byte-reversed, as an unsigned integer.
pub(crate) fn put_float(out: &mut Vec<u8>, f: f64) {
    put_uint(out, f.to_bits().swap_bytes());
}

/// Appends a length-prefixed byte string.
pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_uint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// The signed integer an unsigned wire integer stands for.
pub(crate) fn int_from_uint(x: u64) -> i64 {
    if x & 1 != 0 {
        !((x >> 1) as i64)
    } else {
        (x >> 1) as i64
    }
}

/// Reads an unsigned integer from the front of a buffer that may hold only part of it:
/// `Ok(None)` when more bytes are needed, otherwise the value and how many bytes it took.
pub(crate) fn peek_uint(buf: &[u8]) -> Result<Option<(u64, usize)>, Error> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first < 0x80 {
        return Ok(Some((u64::from(first), 1)));
    }
    let len = usize::from(first.wrapping_neg());
    if len > 8 {
        bail!("gob: invalid unsigned integer (length byte {first:#04x})");
    }
    let Some(bytes) = buf.get(1..=len) else {
        return Ok(None);
    };
    let value = bytes.iter().fold(0u64, |x, &b| (x << 8) | u64::from(b));
    Ok(Some((value, len + 1)))
}

/// A cursor over a whole gob message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'de> {
    buf: &'de [u8],
}

impl<'de> Reader<'de> {
    pub(crate) fn new(buf: &'de [u8]) -> Self {
        Self { buf }
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The bytes left.
    pub(crate) fn rest(&self) -> &'de [u8] {
        self.buf
    }

    /// Reads an unsigned integer.
    pub(crate) fn uint(&mut self) -> Result<u64, Error> {
        match peek_uint(self.buf)? {
            Some((value, len)) => {
                self.buf = self.buf.get(len..).unwrap_or_default();
                Ok(value)
            }
            None => Err(Error::new("gob: unexpected end of message")),
        }
    }

    /// Reads a signed integer.
    pub(crate) fn int(&mut self) -> Result<i64, Error> {
        self.uint().map(int_from_uint)
    }

    /// Reads a float.
    pub(crate) fn float(&mut self) -> Result<f64, Error> {
        self.uint().map(|bits| f64::from_bits(bits.swap_bytes()))
    }

    /// Reads a count of things that each take at least one byte: it may not exceed the bytes
    /// left.
    pub(crate) fn count(&mut self) -> Result<usize, Error> {
        let n = self.uint()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.buf.len() => Ok(n),
            _ => bail!(
                "gob: count {n} exceeds the {} bytes left in the message",
                self.buf.len()
            ),
        }
    }

    /// Reads a length-prefixed byte string, borrowed from the message.
    pub(crate) fn bytes(&mut self) -> Result<&'de [u8], Error> {
        let n = self.count()?;
        let (bytes, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uint_bytes(x: u64) -> Vec<u8> {
        let mut out = Vec::new();
        put_uint(&mut out, x);
        out
    }

    fn int_bytes(i: i64) -> Vec<u8> {
        let mut out = Vec::new();
        put_int(&mut out, i);
        out
    }

    #[test]
    fn documented_examples() {
        assert_eq!(uint_bytes(0), [0x00]);
        assert_eq!(uint_bytes(7), [0x07]);
        assert_eq!(uint_bytes(127), [0x7f]);
        assert_eq!(uint_bytes(128), [0xff, 0x80]);
        assert_eq!(uint_bytes(256), [0xfe, 0x01, 0x00]);
        assert_eq!(int_bytes(-129), [0xfe, 0x01, 0x01]);
        assert_eq!(int_bytes(65), [0xff, 0x82]);
        assert_eq!(int_bytes(-65), [0xff, 0x81]);
        let mut out = Vec::new();
        put_float(&mut out, 17.0);
        assert_eq!(out, [0xfe, 0x31, 0x40]);
    }

    #[test]
    fn round_trips() {
        for x in [
            0,
            1,
            127,
            128,
            255,
            256,
            65535,
            1 << 32,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let bytes = uint_bytes(x);
            assert_eq!(Reader::new(&bytes).uint().unwrap(), x);
            assert_eq!(peek_uint(&bytes).unwrap(), Some((x, bytes.len())));
            assert_eq!(peek_uint(&bytes[..bytes.len() - 1]).unwrap(), None);
        }
        for i in [0, 1, -1, 63, -64, 64, -65, i64::MIN, i64::MAX, i64::MIN + 1] {
            assert_eq!(Reader::new(&int_bytes(i)).int().unwrap(), i);
        }
        for f in [0.0, -0.0, 1.5, f64::MAX, f64::MIN_POSITIVE, f64::INFINITY] {
            let mut out = Vec::new();
            put_float(&mut out, f);
            assert_eq!(Reader::new(&out).float().unwrap().to_bits(), f.to_bits());
        }
    }

    #[test]
    fn bad_input() {
        assert!(peek_uint(&[0x80]).is_err(), "a length of 128 bytes");
        assert!(
            peek_uint(&[0xf7, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err(),
            "9 bytes"
        );
        assert!(Reader::new(&[]).uint().is_err());
        assert!(Reader::new(&[0xfe, 1]).uint().is_err());
        let err = Reader::new(&[5, b'a']).bytes().unwrap_err();
        assert_eq!(
            err.message(),
            "gob: count 5 exceeds the 1 bytes left in the message"
        );
        // A length of 2^64 - 1 is rejected before anything is allocated.
        let huge = uint_bytes(u64::MAX);
        assert!(Reader::new(&huge).count().is_err());
        // Go does not insist on minimal encodings.
        assert_eq!(Reader::new(&[0xfe, 0x00, 0x05]).uint().unwrap(), 5);
    }
}
