//! [`MarshalerKind`]: which of Go's marshaler interfaces produced a value's bytes.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// Which Go interface marshaled a value; gob prefers them in this order.
///
/// The number is the `Kind` field of the [marker protocol](crate::marker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum MarshalerKind {
    /// `gob.GobEncoder` (`GobEncode`/`GobDecode`).
    #[default]
    GobEncoder = 0,
    /// `encoding.BinaryMarshaler` (`MarshalBinary`/`UnmarshalBinary`).
    BinaryMarshaler = 1,
    /// `encoding.TextMarshaler` (`MarshalText`/`UnmarshalText`).
    TextMarshaler = 2,
}

impl MarshalerKind {
    /// The interface's name without its package: `GobEncoder`, `BinaryMarshaler` or
    /// `TextMarshaler`.
    pub const fn go_name(self) -> &'static str {
        match self {
            MarshalerKind::GobEncoder => "GobEncoder",
            MarshalerKind::BinaryMarshaler => "BinaryMarshaler",
            MarshalerKind::TextMarshaler => "TextMarshaler",
        }
    }

    /// The number of the marker protocol's `Kind` field.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }
}

impl From<MarshalerKind> for u8 {
    fn from(kind: MarshalerKind) -> u8 {
        kind as u8
    }
}

impl TryFrom<u8> for MarshalerKind {
    type Error = Error;

    fn try_from(n: u8) -> Result<Self, Error> {
        match n {
            0 => Ok(MarshalerKind::GobEncoder),
            1 => Ok(MarshalerKind::BinaryMarshaler),
            2 => Ok(MarshalerKind::TextMarshaler),
            n => Err(Error::MarshalerKind(n)),
        }
    }
}

impl fmt::Display for MarshalerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.go_name())
    }
}

impl FromStr for MarshalerKind {
    type Err = Error;

    /// Reads [`go_name`](Self::go_name), also with its package (`gob.GobEncoder`,
    /// `encoding.BinaryMarshaler`, `encoding.TextMarshaler`).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "GobEncoder" | "gob.GobEncoder" => Ok(MarshalerKind::GobEncoder),
            "BinaryMarshaler" | "encoding.BinaryMarshaler" => Ok(MarshalerKind::BinaryMarshaler),
            "TextMarshaler" | "encoding.TextMarshaler" => Ok(MarshalerKind::TextMarshaler),
            _ => Err(Error::MarshalerKindName(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names() {
        for (kind, n, name) in [
            (MarshalerKind::GobEncoder, 0u8, "GobEncoder"),
            (MarshalerKind::BinaryMarshaler, 1, "BinaryMarshaler"),
            (MarshalerKind::TextMarshaler, 2, "TextMarshaler"),
        ] {
            assert_eq!(kind as u8, n);
            assert_eq!(u8::from(kind), n);
            assert_eq!(MarshalerKind::try_from(n), Ok(kind));
            assert_eq!(kind.to_string(), name);
            assert_eq!(name.parse::<MarshalerKind>(), Ok(kind));
        }
        assert_eq!(
            "encoding.BinaryMarshaler".parse(),
            Ok(MarshalerKind::BinaryMarshaler)
        );
        assert_eq!(MarshalerKind::try_from(3), Err(Error::MarshalerKind(3)));
        assert_eq!(
            MarshalerKind::try_from(3).unwrap_err().to_string(),
            "unknown marshaler kind 3"
        );
        assert!("Stringer".parse::<MarshalerKind>().is_err());
    }
}
