//! Length-prefixed frames, and postcard output straight into the connection's buffer.

use ::postcard::ser_flavors::Flavor;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use rpc_proto::CodecError;
use serde::Serialize;

/// Takes the next whole frame's payload off the front of `src`, or reserves room for it.
///
/// The announced length is checked against `max` before anything is reserved.
pub(crate) fn take_frame(src: &mut BytesMut, max: usize) -> Result<Option<Bytes>, CodecError> {
    let Some(head) = src.first_chunk::<4>() else {
        return Ok(None);
    };
    let len = usize::try_from(u32::from_be_bytes(*head)).unwrap_or(usize::MAX);
    let too_large = CodecError::FrameTooLarge { len, max };
    if len > max {
        return Err(too_large);
    }
    let Some(total) = len.checked_add(4) else {
        return Err(too_large);
    };
    if src.len() < total {
        src.reserve(total - src.len());
        return Ok(None);
    }
    src.advance(4);
    Ok(Some(src.split_to(len).freeze()))
}

/// Appends one frame: the length, `header` and then `body`, all postcard-encoded straight into
/// `dst`. Fails without writing past `max` payload bytes (or 4 GiB - 1, what the length can
/// say); `dst` may then hold partial output, which the caller truncates.
pub(crate) fn write_frame<H: Serialize>(
    dst: &mut BytesMut,
    max: usize,
    header: &H,
    body: Option<&dyn erased_serde::Serialize>,
) -> Result<(), CodecError> {
    let max = max.min(usize::try_from(u32::MAX).unwrap_or(usize::MAX));
    let at = dst.len();
    dst.put_u32(0);
    let limit = dst.len().saturating_add(max);
    let mut serializer = ::postcard::Serializer {
        output: BytesFlavor {
            dst: &mut *dst,
            limit,
        },
    };
    let written = header.serialize(&mut serializer).and_then(|()| match body {
        Some(body) => body.serialize(&mut serializer),
        None => Ok(()),
    });
    written.map_err(|err| match err {
        ::postcard::Error::SerializeBufferFull => {
            CodecError::Encode(format!("message exceeds the limit of {max} bytes"))
        }
        other => CodecError::Encode(other.to_string()),
    })?;
    let len = dst.len() - at - 4;
    let len = u32::try_from(len)
        .map_err(|_| CodecError::Encode(format!("message of {len} bytes is too large")))?;
    if let Some(head) = dst.get_mut(at..at + 4) {
        head.copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// A postcard output flavor appending to a `BytesMut`, up to `limit` bytes in total.
struct BytesFlavor<'a> {
    dst: &'a mut BytesMut,
    limit: usize,
}

impl Flavor for BytesFlavor<'_> {
    type Output = ();

    fn try_extend(&mut self, data: &[u8]) -> ::postcard::Result<()> {
        if self.dst.len().saturating_add(data.len()) > self.limit {
            return Err(::postcard::Error::SerializeBufferFull);
        }
        self.dst.extend_from_slice(data);
        Ok(())
    }

    fn try_push(&mut self, data: u8) -> ::postcard::Result<()> {
        self.try_extend(&[data])
    }

    fn finalize(self) -> ::postcard::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let mut buf = BytesMut::new();
        write_frame(&mut buf, 100, &(1u8, "ab"), Some(&7u32)).unwrap();
        write_frame(&mut buf, 100, &(), None).unwrap();
        assert_eq!(&buf[..], b"\x00\x00\x00\x05\x01\x02ab\x07\x00\x00\x00\x00");
        assert_eq!(
            &take_frame(&mut buf, 5).unwrap().unwrap()[..],
            b"\x01\x02ab\x07"
        );
        assert_eq!(&take_frame(&mut buf, 5).unwrap().unwrap()[..], b"");
        assert_eq!(take_frame(&mut buf, 5).unwrap(), None);
    }

    #[test]
    fn limits_are_inclusive() {
        let mut buf = BytesMut::new();
        let err = write_frame(&mut buf, 2, &[1u8, 2, 3], None).unwrap_err();
        assert!(
            matches!(&err, CodecError::Encode(m) if m.contains("limit of 2")),
            "{err:?}"
        );
        buf.clear();
        write_frame(&mut buf, 3, &[1u8, 2, 3], None).unwrap();
        assert_eq!(&buf[..], b"\x00\x00\x00\x03\x01\x02\x03");
        let mut copy = buf.clone();
        assert!(matches!(
            take_frame(&mut copy, 2),
            Err(CodecError::FrameTooLarge { len: 3, max: 2 })
        ));
        assert_eq!(
            &take_frame(&mut buf, 3).unwrap().unwrap()[..],
            b"\x01\x02\x03"
        );
    }

    #[test]
    fn partial_frames_wait_and_reserve() {
        let mut buf = BytesMut::from(&b"\x00\x00"[..]);
        assert_eq!(take_frame(&mut buf, 1000).unwrap(), None);
        buf.extend_from_slice(b"\x03\xe8\x01");
        assert_eq!(take_frame(&mut buf, 1000).unwrap(), None);
        assert!(buf.capacity() >= 1004);
        assert_eq!(buf.len(), 5, "nothing consumed until the frame is whole");
    }

    #[test]
    fn huge_length_is_rejected_before_reserving() {
        let mut buf = BytesMut::from(&b"\xff\xff\xff\xff"[..]);
        let err = take_frame(&mut buf, 16 << 20).unwrap_err();
        assert!(
            matches!(err, CodecError::FrameTooLarge { len: 0xFFFF_FFFF, max } if max == 16 << 20)
        );
        assert!(buf.capacity() < 1024, "{}", buf.capacity());
    }
}
