//! Protobuf's wire format: varints, tags, and a message's fields by number.
//!
//! Nothing here allocates for what a length announces: lengths are checked against the bytes
//! that are there and values are borrowed from the input.

use std::fmt;

/// Wire type 0: a varint (`int32`, `int64`, `uint32`, `uint64`, `bool`, enums).
pub(crate) const VARINT: u8 = 0;
/// Wire type 1: 8 little-endian bytes (`double`, `fixed64`, `sfixed64`).
pub(crate) const I64: u8 = 1;
/// Wire type 2: a varint length, then that many bytes (strings, bytes, messages, packed runs).
pub(crate) const LEN: u8 = 2;
/// Wire type 5: 4 little-endian bytes (`float`, `fixed32`, `sfixed32`).
pub(crate) const I32: u8 = 5;

/// The largest field number protobuf allows.
pub(crate) const MAX_FIELD: u32 = (1 << 29) - 1;

/// The error of the body mapping (and of the wire helpers it uses): a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error(pub(crate) String);

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Error(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// What the front of a buffer holds, read as a varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Varint {
    /// The value and how many bytes it took.
    Done(u64, usize),
    /// The buffer ends inside the varint (fewer than 10 bytes, all with the high bit set).
    Incomplete,
    /// More than 10 bytes, or a tenth byte above 1: not a u64.
    Invalid,
}

/// Reads the varint at the front of `buf` (unsigned LEB128, at most 10 bytes). Non-minimal
/// encodings are accepted, as protobuf's parsers do.
pub(crate) fn read_varint(buf: &[u8]) -> Varint {
    let mut value = 0u64;
    for (i, &byte) in buf.iter().enumerate().take(10) {
        if i == 9 && byte > 1 {
            return Varint::Invalid;
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Varint::Done(value, i + 1);
        }
    }
    if buf.len() >= 10 {
        Varint::Invalid
    } else {
        Varint::Incomplete
    }
}

/// Writes `value` as a minimal varint into `out`; returns how many bytes it took.
pub(crate) fn encode_varint(mut value: u64, out: &mut [u8; 10]) -> usize {
    let mut n = 0;
    for slot in out.iter_mut() {
        n += 1;
        if value < 0x80 {
            *slot = value as u8;
            break;
        }
        *slot = (value as u8 & 0x7f) | 0x80;
        value >>= 7;
    }
    n
}

/// One value of a field as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Occ<'de> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1, as the little-endian bits.
    I64(u64),
    /// Wire type 5, as the little-endian bits.
    I32(u32),
    /// Wire type 2: the bytes after the length.
    Len(&'de [u8]),
}

impl Occ<'_> {
    /// The wire type's name, for error messages.
    pub(crate) fn wire_name(&self) -> &'static str {
        match self {
            Occ::Varint(_) => "a varint",
            Occ::I64(_) => "a 64-bit fixed value",
            Occ::I32(_) => "a 32-bit fixed value",
            Occ::Len(_) => "a length-delimited value",
        }
    }
}

/// A cursor over bytes that are read front to back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'de> {
    pub(crate) rest: &'de [u8],
}

impl<'de> Reader<'de> {
    pub(crate) fn new(bytes: &'de [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn varint(&mut self) -> Result<u64, Error> {
        match read_varint(self.rest) {
            Varint::Done(value, n) => {
                self.rest = self.rest.get(n..).unwrap_or_default();
                Ok(value)
            }
            Varint::Incomplete => Err(Error::new("truncated varint")),
            Varint::Invalid => Err(Error::new("varint longer than 64 bits")),
        }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'de [u8], Error> {
        if n > self.rest.len() {
            return Err(Error(format!(
                "{n} bytes announced, {} left",
                self.rest.len()
            )));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn fixed64(&mut self) -> Result<u64, Error> {
        let bytes = self.take(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        Ok(u64::from_le_bytes(array))
    }

    pub(crate) fn fixed32(&mut self) -> Result<u32, Error> {
        let bytes = self.take(4)?;
        let mut array = [0u8; 4];
        array.copy_from_slice(bytes);
        Ok(u32::from_le_bytes(array))
    }

    /// Reads one field: its number and its value. Groups (wire types 3 and 4, deprecated since
    /// proto2) and unknown wire types are errors.
    pub(crate) fn field(&mut self) -> Result<(u32, Occ<'de>), Error> {
        let tag = self.varint()?;
        let number = tag >> 3;
        if number == 0 || number > u64::from(MAX_FIELD) {
            return Err(Error(format!("invalid field number {number}")));
        }
        let number = number as u32;
        let occ = match (tag & 7) as u8 {
            VARINT => Occ::Varint(self.varint()?),
            I64 => Occ::I64(self.fixed64()?),
            LEN => {
                let len = self.varint()?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                Occ::Len(
                    self.take(len)
                        .map_err(|e| Error(format!("field {number}: {e}")))?,
                )
            }
            I32 => Occ::I32(self.fixed32()?),
            3 | 4 => return Err(Error(format!("field {number}: groups are not supported"))),
            wire => return Err(Error(format!("field {number}: invalid wire type {wire}"))),
        };
        Ok((number, occ))
    }
}

/// The fields numbered 1 to `max_field` of one message, each with its occurrences in wire order.
///
/// A message sent in several parts (an embedded message field that occurs more than once) is
/// their concatenation, which is how protobuf merges them. Fields above `max_field` are checked
/// for well-formedness and skipped.
#[derive(Debug, Default)]
pub(crate) struct Fields<'de> {
    /// Sorted by field number, stably (so each field's occurrences keep their wire order).
    list: Vec<(u32, Occ<'de>)>,
}

impl<'de> Fields<'de> {
    pub(crate) fn scan<I>(parts: I, max_field: usize) -> Result<Self, Error>
    where
        I: IntoIterator<Item = Result<&'de [u8], Error>>,
    {
        let max_field = u32::try_from(max_field).unwrap_or(u32::MAX);
        let mut list = Vec::new();
        for part in parts {
            let mut reader = Reader::new(part?);
            while !reader.rest.is_empty() {
                let (number, occ) = reader.field()?;
                if number <= max_field {
                    list.push((number, occ));
                }
            }
        }
        if !list.is_sorted_by_key(|(number, _)| *number) {
            list.sort_by_key(|(number, _)| *number);
        }
        Ok(Self { list })
    }

    /// The occurrences of field `number`, in wire order (empty when absent).
    pub(crate) fn get(&self, number: u32) -> &[(u32, Occ<'de>)] {
        let start = self.list.partition_point(|(n, _)| *n < number);
        let end = self.list.partition_point(|(n, _)| *n <= number);
        self.list.get(start..end).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        for (value, bytes) in [
            (0u64, &b"\x00"[..]),
            (1, b"\x01"),
            (127, b"\x7f"),
            (128, b"\x80\x01"),
            (300, b"\xac\x02"),
            (1_500_000, b"\xe0\xc6\x5b"),
            (u64::MAX, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
        ] {
            let mut out = [0u8; 10];
            let n = encode_varint(value, &mut out);
            assert_eq!(&out[..n], bytes, "{value}");
            assert_eq!(read_varint(bytes), Varint::Done(value, bytes.len()));
            for cut in 0..bytes.len() {
                assert_eq!(read_varint(&bytes[..cut]), Varint::Incomplete);
            }
        }
        // Non-minimal, as protobuf accepts.
        assert_eq!(read_varint(b"\x81\x80\x00"), Varint::Done(1, 3));
        assert_eq!(
            read_varint(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"),
            Varint::Invalid
        );
        assert_eq!(read_varint(&[0x80; 11]), Varint::Invalid);
        assert_eq!(read_varint(&[0x80; 10]), Varint::Invalid);
        assert_eq!(read_varint(&[0x80; 9]), Varint::Incomplete);
    }

    #[test]
    fn fields_keep_wire_order_per_number() {
        // 1:"a", 3:7 (skipped), 2:5, 1:"b", 2:fixed32 9
        let bytes = b"\x0a\x01a\x18\x07\x10\x05\x0a\x01b\x15\x09\x00\x00\x00";
        let fields = Fields::scan([Ok(&bytes[..])], 2).unwrap();
        assert_eq!(
            fields.get(1),
            &[(1, Occ::Len(b"a")), (1, Occ::Len(b"b"))][..]
        );
        assert_eq!(fields.get(2), &[(2, Occ::Varint(5)), (2, Occ::I32(9))][..]);
        assert!(fields.get(3).is_empty());
        assert!(fields.get(0).is_empty());
    }

    #[test]
    fn malformed_fields() {
        for (bytes, needle) in [
            (&b"\x00\x01"[..], "invalid field number 0"),
            (b"\x0a\x05ab", "5 bytes announced, 2 left"),
            (b"\x0b", "groups"),
            (b"\x0e", "invalid wire type 6"),
            (b"\x08", "truncated varint"),
            (b"\x09\x00", "8 bytes announced, 1 left"),
            (b"\x0a\xff\xff\xff\xff\x0f", "4294967295 bytes announced"),
            (
                b"\x80\x80\x80\x80\x10\x00",
                "invalid field number 536870912",
            ),
        ] {
            let err = Fields::scan([Ok(bytes)], 10).unwrap_err();
            assert!(err.0.contains(needle), "{bytes:?}: {err}");
        }
    }
}
