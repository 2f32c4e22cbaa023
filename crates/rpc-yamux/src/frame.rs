//! Yamux frame headers: 12 bytes, big-endian (hashicorp/yamux `spec.md`, `const.go`).
//!
//! ```text
//! version u8 (0) | type u8 | flags u16 | stream id u32 | length u32
//! ```
//!
//! `length` is the payload size of a Data frame, the window delta of a WindowUpdate, the opaque
//! value of a Ping (echoed in the reply) and the error code of a GoAway. Decoding checks the
//! version and the type; lengths are checked by the session, before anything is allocated.

use crate::error::ProtocolError;

/// The size of every frame header.
pub const HEADER_LEN: usize = 12;

/// The only protocol version.
pub const VERSION: u8 = 0;

/// The stream id of Ping and GoAway frames (the session itself).
pub const SESSION_ID: u32 = 0;

/// A frame's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameType {
    /// Stream data: `length` bytes of payload follow the header.
    Data = 0,
    /// A stream's window grows by `length` (and flags open, accept, close or reset it).
    WindowUpdate = 1,
    /// A ping (SYN) or its reply (ACK), carrying an opaque value in `length`.
    Ping = 2,
    /// The session is going away, with an error code in `length`.
    GoAway = 3,
}

impl FrameType {
    /// The type with this wire value.
    pub fn from_u8(value: u8) -> Option<FrameType> {
        match value {
            0 => Some(FrameType::Data),
            1 => Some(FrameType::WindowUpdate),
            2 => Some(FrameType::Ping),
            3 => Some(FrameType::GoAway),
            _ => None,
        }
    }
}

/// A header's flags (a set of SYN, ACK, FIN, RST).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(pub u16);

impl Flags {
    /// No flag.
    pub const NONE: Flags = Flags(0);
    /// Opens a stream; on a Ping, asks for a reply.
    pub const SYN: Flags = Flags(1);
    /// Accepts a stream; on a Ping, is the reply.
    pub const ACK: Flags = Flags(2);
    /// Half-closes a stream: the sender sends no more data.
    pub const FIN: Flags = Flags(4);
    /// Resets a stream: both directions end at once.
    pub const RST: Flags = Flags(8);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

/// GoAway codes.
pub mod go_away {
    /// Normal termination: no new streams; existing ones go on.
    pub const NORMAL: u32 = 0;
    /// The sender found a protocol error.
    pub const PROTOCOL_ERROR: u32 = 1;
    /// The sender had an internal error.
    pub const INTERNAL_ERROR: u32 = 2;
}

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The frame's type.
    pub kind: FrameType,
    /// Its flags.
    pub flags: Flags,
    /// The stream it is for (0 for Ping and GoAway).
    pub stream_id: u32,
    /// Payload length, window delta, ping value or GoAway code, by type.
    pub length: u32,
}

impl Header {
    /// A Data header for `len` payload bytes.
    pub fn data(stream_id: u32, flags: Flags, len: u32) -> Header {
        Header {
            kind: FrameType::Data,
            flags,
            stream_id,
            length: len,
        }
    }

    /// A WindowUpdate header.
    pub fn window_update(stream_id: u32, flags: Flags, delta: u32) -> Header {
        Header {
            kind: FrameType::WindowUpdate,
            flags,
            stream_id,
            length: delta,
        }
    }

    /// A Ping (`SYN`) or its reply (`ACK`).
    pub fn ping(flags: Flags, value: u32) -> Header {
        Header {
            kind: FrameType::Ping,
            flags,
            stream_id: SESSION_ID,
            length: value,
        }
    }

    /// A GoAway with `code`.
    pub fn go_away(code: u32) -> Header {
        Header {
            kind: FrameType::GoAway,
            flags: Flags::NONE,
            stream_id: SESSION_ID,
            length: code,
        }
    }

    /// The 12 bytes on the wire.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = VERSION;
        out[1] = self.kind as u8;
        out[2..4].copy_from_slice(&self.flags.0.to_be_bytes());
        out[4..8].copy_from_slice(&self.stream_id.to_be_bytes());
        out[8..12].copy_from_slice(&self.length.to_be_bytes());
        out
    }

    /// Decodes 12 bytes, checking the version and the type.
    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Header, ProtocolError> {
        if bytes[0] != VERSION {
            return Err(ProtocolError::Version(bytes[0]));
        }
        let kind = FrameType::from_u8(bytes[1]).ok_or(ProtocolError::FrameType(bytes[1]))?;
        let [_, _, f0, f1, s0, s1, s2, s3, l0, l1, l2, l3] = *bytes;
        Ok(Header {
            kind,
            flags: Flags(u16::from_be_bytes([f0, f1])),
            stream_id: u32::from_be_bytes([s0, s1, s2, s3]),
            length: u32::from_be_bytes([l0, l1, l2, l3]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_big_endian() {
        let header = Header::window_update(0x0102_0304, Flags::SYN | Flags::FIN, 0x0a0b_0c0d);
        assert_eq!(
            header.encode(),
            [0, 1, 0, 5, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d]
        );
        assert_eq!(Header::decode(&header.encode()), Ok(header));
    }

    #[test]
    fn every_type_round_trips() {
        for header in [
            Header::data(1, Flags::NONE, 7),
            Header::window_update(2, Flags::RST, 0),
            Header::ping(Flags::ACK, u32::MAX),
            Header::go_away(go_away::PROTOCOL_ERROR),
        ] {
            assert_eq!(Header::decode(&header.encode()), Ok(header));
        }
        assert_eq!(Header::ping(Flags::SYN, 9).encode()[1], 2);
        assert_eq!(
            Header::go_away(2).encode(),
            [0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
        );
    }

    #[test]
    fn bad_version_and_type_are_errors() {
        let mut bytes = Header::data(1, Flags::NONE, 0).encode();
        bytes[0] = 1;
        assert_eq!(Header::decode(&bytes), Err(ProtocolError::Version(1)));
        bytes[0] = 0;
        bytes[1] = 4;
        assert_eq!(Header::decode(&bytes), Err(ProtocolError::FrameType(4)));
    }

    #[test]
    fn flags() {
        let f = Flags::SYN | Flags::ACK;
        assert!(f.contains(Flags::SYN) && f.contains(Flags::ACK));
        assert!(!f.contains(Flags::FIN));
        assert!(f.contains(Flags::NONE));
        assert_eq!((Flags::FIN | Flags::RST).0, 12);
    }
}
