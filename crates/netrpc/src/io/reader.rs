//! Reading one message at a time from a byte stream with a codec's decoder.

use bytes::BytesMut;
use rpc_proto::CodecError;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;
use tokio_util::codec::Decoder;

/// The smallest free space kept in the read buffer before each read.
const READ_CHUNK: usize = 8 * 1024;

/// Reads until `decoder` yields a message. `Ok(None)` is a clean end of stream; a stream that
/// ends inside a message is an error (the decoder's `decode_eof` decides).
///
/// Cancel-safe: the partial message stays in `buf` and in the decoder's state, so this can be
/// raced in `select!` and called again.
/// `last_read` is set to the time of every read that brought bytes.
pub(crate) async fn read_message<R, D>(
    reader: &mut R,
    buf: &mut BytesMut,
    decoder: &mut D,
    last_read: &mut Instant,
) -> Result<Option<D::Item>, CodecError>
where
    R: AsyncRead + Unpin + ?Sized,
    D: Decoder<Error = CodecError> + ?Sized,
{
    loop {
        if let Some(message) = decoder.decode(buf)? {
            return Ok(Some(message));
        }
        if buf.capacity() - buf.len() < READ_CHUNK {
            buf.reserve(READ_CHUNK);
        }
        if reader.read_buf(buf).await? == 0 {
            return decoder.decode_eof(buf);
        }
        *last_read = Instant::now();
    }
}
