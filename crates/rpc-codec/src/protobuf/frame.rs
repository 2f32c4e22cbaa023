//! Frames: a length-delimited header message, then a length-delimited body message.

use bytes::{Bytes, BytesMut};
use rpc_proto::CodecError;

use super::ser::{Out, write_message};
use super::wire::{Varint, read_varint};

/// A length at the front of `src`: `Ok(None)` while incomplete.
fn length(src: &[u8], what: &str) -> Result<Option<(usize, usize)>, CodecError> {
    match read_varint(src) {
        Varint::Done(len, n) => Ok(Some((usize::try_from(len).unwrap_or(usize::MAX), n))),
        Varint::Incomplete => Ok(None),
        Varint::Invalid => Err(CodecError::Malformed(format!(
            "the {what} length is not a varint"
        ))),
    }
}

/// Takes the next whole frame off the front of `src` as its header and body messages, or
/// reserves room for it.
///
/// The header length, then header plus body, are checked against `max` before anything is
/// reserved; the two varint lengths do not count.
pub(crate) fn take_frame(
    src: &mut BytesMut,
    max: usize,
) -> Result<Option<(Bytes, Bytes)>, CodecError> {
    let Some((header_len, header_at)) = length(src, "header")? else {
        return Ok(None);
    };
    if header_len > max {
        return Err(CodecError::FrameTooLarge {
            len: header_len,
            max,
        });
    }
    let header_end = header_at + header_len;
    let body_len = match src.get(header_end..).map(|rest| length(rest, "body")) {
        Some(Err(err)) => return Err(err),
        Some(Ok(Some(found))) => Some(found),
        _ => None,
    };
    let Some((body_len, body_len_size)) = body_len else {
        // Room for the header and the body's length (one byte at least).
        src.reserve((header_end + 1).saturating_sub(src.len()));
        return Ok(None);
    };
    let total = header_len.saturating_add(body_len);
    if total > max {
        return Err(CodecError::FrameTooLarge { len: total, max });
    }
    let body_at = header_end + body_len_size;
    let end = body_at + body_len;
    if src.len() < end {
        src.reserve(end - src.len());
        return Ok(None);
    }
    let frame = src.split_to(end).freeze();
    Ok(Some((
        frame.slice(header_at..header_end),
        frame.slice(body_at..end),
    )))
}

/// Appends one frame: `header` and then `body` (an empty message when `None`), each
/// length-delimited. Fails without writing past `max` bytes of messages; `dst` may then hold
/// partial output, which the caller truncates.
pub(crate) fn write_frame<H: prost::Message>(
    dst: &mut BytesMut,
    max: usize,
    header: &H,
    body: Option<&dyn erased_serde::Serialize>,
) -> Result<(), CodecError> {
    let too_large = || CodecError::Encode(format!("message exceeds the limit of {max} bytes"));
    let header_len = header.encoded_len();
    if header_len > max {
        return Err(too_large());
    }
    header
        .encode_length_delimited(dst)
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    let mut out = Out::new(dst, usize::MAX, max);
    let at = out.open().map_err(|e| CodecError::Encode(e.to_string()))?;
    if let Some(body) = body {
        out.limit = at.saturating_add(max - header_len);
        write_message(body, &mut out).map_err(|e| CodecError::Encode(e.to_string()))?;
        // The body's own length is outside the limit.
        out.limit = usize::MAX;
    }
    out.close(at)
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(())
}
