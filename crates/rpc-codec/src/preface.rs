//! The preface that opens netrpc's own framings (postcard, protobuf): `NETRPC`, a framing
//! version byte and a codec id, checked as it arrives, however it is split.

use bytes::{Buf, BytesMut};
use rpc_proto::CodecError;

/// Matches as much of `preface` as has arrived in `src`, after the `*read` bytes matched
/// before, and consumes it. `Ok(true)` once all of it has arrived. A mismatch names what was
/// received and what it probably means; `speaks` names this side's codec (`"1 (postcard)"`).
pub(crate) fn read(
    preface: &[u8],
    speaks: &str,
    read: &mut usize,
    src: &mut BytesMut,
) -> Result<bool, CodecError> {
    let expected = preface.get(*read..).unwrap_or_default();
    let available = expected.len().min(src.len());
    let (Some(got), Some(want)) = (src.get(..available), expected.get(..available)) else {
        return Ok(false);
    };
    if got != want {
        let mut received = preface.get(..*read).unwrap_or_default().to_vec();
        received.extend_from_slice(got);
        return Err(mismatch(preface, speaks, &received));
    }
    src.advance(available);
    *read += available;
    Ok(*read == preface.len())
}

/// Says what was received instead of `preface`, and what that probably means.
fn mismatch(preface: &[u8], speaks: &str, received: &[u8]) -> CodecError {
    let escaped = received.escape_ascii();
    let expected = preface.escape_ascii();
    let version = preface.get(6).copied().unwrap_or_default();
    let message = match received {
        [b'N', b'E', b'T', b'R', b'P', b'C', got, ..] if *got != version => format!(
            "received \"{escaped}\": netrpc framing version {got}, this peer speaks version {version}"
        ),
        [b'N', b'E', b'T', b'R', b'P', b'C', _, codec, ..] => {
            format!("received \"{escaped}\": codec id {codec}, this peer speaks codec {speaks}")
        }
        _ => format!("expected \"{expected}\", received \"{escaped}\""),
    };
    CodecError::BadPreface(message)
}
