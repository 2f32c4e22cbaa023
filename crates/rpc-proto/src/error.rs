//! The error every codec operation returns.

use std::io;

/// Why a codec could not read or write a message.
///
/// Errors from a decoder's framing (`FrameTooLarge`, `Malformed`, `BadPreface`, `Io`) end the
/// connection; a `Body` error concerns one call only and becomes an error response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The underlying stream failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// A message announced (or reached) more bytes than the limit allows.
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge {
        /// The size announced or reached so far.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The bytes are not a message of this codec.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A netrpc framing did not start with its preface.
    #[error("bad preface: {0}")]
    BadPreface(String),
    /// The stream ended in the middle of a message.
    #[error("connection closed in the middle of a message ({0} bytes unread)")]
    UnexpectedEof(usize),
    /// A body could not be decoded into the requested type.
    #[error("{0}")]
    Body(String),
    /// A value could not be encoded.
    #[error("encoding failed: {0}")]
    Encode(String),
}

impl CodecError {
    /// True when the error ends the connection (everything except body and encode errors).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, CodecError::Body(_) | CodecError::Encode(_))
    }
}
