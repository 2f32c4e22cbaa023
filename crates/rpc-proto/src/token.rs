//! [`Token`]: what a server decoder hands the engine with a request, for the paired encoder to
//! get back with the response.
//!
//! Some wire formats make a response repeat something of its request that the engine has no
//! use for: Go's jsonrpc echoes the request's JSON `id` (any JSON value), Go's gob server echoes
//! the request's `ServiceMethod`. The decoder puts that into the request's token
//! ([`RequestHeader::token`](crate::RequestHeader)); the engine keeps the token with the call
//! and gives it back, untouched, in the [`ResponseHeader`](crate::ResponseHeader) it asks the
//! encoder to write. So the two halves of a codec share nothing: each request carries its own.
//!
//! A token is opaque bytes to the engine. It is cheap: the empty token (postcard, protobuf)
//! and tokens of up to [`Token::INLINE`] bytes (a jsonrpc id such as `7`, most method names)
//! are held inline, with no allocation; longer ones are shared [`Bytes`].

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Bound, RangeBounds};

use bytes::Bytes;

/// Opaque per-request bytes, from a server decoder back to its encoder (see the [module
/// documentation](self)). Cheap to clone; compares by its bytes.
///
/// ```
/// use rpc_proto::Token;
///
/// let id = Token::copy_from_slice(b"\"abc\"");
/// assert_eq!(id.as_bytes(), b"\"abc\"");
/// assert!(Token::EMPTY.is_empty());
/// assert_eq!(Token::default(), Token::EMPTY);
/// ```
#[derive(Clone, Default)]
pub struct Token(Repr);

#[derive(Clone, Default)]
enum Repr {
    #[default]
    Empty,
    Inline {
        len: u8,
        bytes: [u8; Token::INLINE],
    },
    Shared(Bytes),
}

impl Token {
    /// The most bytes a token holds without allocating.
    pub const INLINE: usize = 38;

    /// The empty token: what codecs that echo nothing (and every client-side header) carry.
    pub const EMPTY: Token = Token(Repr::Empty);

    /// A token holding a copy of `bytes` (inline when short, else one allocation). Copying
    /// detaches the token from the buffer `bytes` was read from, so a call that runs long does
    /// not keep a large read buffer alive.
    pub fn copy_from_slice(bytes: &[u8]) -> Token {
        if bytes.is_empty() {
            return Token::EMPTY;
        }
        match inline(bytes) {
            Some(token) => token,
            None => Token(Repr::Shared(Bytes::copy_from_slice(bytes))),
        }
    }

    /// A token holding `bytes`: copied inline when short, else kept as they are (sharing, and
    /// keeping alive, whatever buffer they are a slice of).
    pub fn from_bytes(bytes: Bytes) -> Token {
        if bytes.is_empty() {
            return Token::EMPTY;
        }
        match inline(&bytes) {
            Some(token) => token,
            None => Token(Repr::Shared(bytes)),
        }
    }

    /// A token of bytes that live forever (no allocation, whatever their length).
    pub const fn from_static(bytes: &'static [u8]) -> Token {
        if bytes.is_empty() {
            return Token::EMPTY;
        }
        Token(Repr::Shared(Bytes::from_static(bytes)))
    }

    /// The bytes the decoder put in.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Empty => &[],
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Shared(bytes) => bytes,
        }
    }

    /// True for the empty token.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// The token of a part of these bytes (for a codec that wraps another's tokens). Shares
    /// the bytes of a long token instead of copying them.
    ///
    /// # Panics
    ///
    /// When `range` is out of bounds, as slicing does.
    pub fn slice(&self, range: impl RangeBounds<usize>) -> Token {
        match &self.0 {
            Repr::Shared(bytes) => Token::from_bytes(bytes.slice(range)),
            _ => {
                let bytes = self.as_bytes();
                let start = match range.start_bound() {
                    Bound::Included(&n) => n,
                    Bound::Excluded(&n) => n + 1,
                    Bound::Unbounded => 0,
                };
                let end = match range.end_bound() {
                    Bound::Included(&n) => n + 1,
                    Bound::Excluded(&n) => n,
                    Bound::Unbounded => bytes.len(),
                };
                Token::copy_from_slice(&bytes[start..end])
            }
        }
    }
}

/// `bytes` inline, if they fit.
fn inline(bytes: &[u8]) -> Option<Token> {
    let len = u8::try_from(bytes.len())
        .ok()
        .filter(|&len| usize::from(len) <= Token::INLINE)?;
    let mut buf = [0; Token::INLINE];
    buf[..bytes.len()].copy_from_slice(bytes);
    Some(Token(Repr::Inline { len, bytes: buf }))
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Token {}

impl Hash for Token {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl From<&[u8]> for Token {
    fn from(bytes: &[u8]) -> Self {
        Token::copy_from_slice(bytes)
    }
}

impl From<Bytes> for Token {
    fn from(bytes: Bytes) -> Self {
        Token::from_bytes(bytes)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(\"{}\")", self.as_bytes().escape_ascii())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tokens_are_inline_long_ones_shared() {
        assert!(matches!(Token::copy_from_slice(b"").0, Repr::Empty));
        assert!(matches!(
            Token::copy_from_slice(b"7").0,
            Repr::Inline { .. }
        ));
        let longest = [b'x'; Token::INLINE];
        let token = Token::copy_from_slice(&longest);
        assert!(matches!(token.0, Repr::Inline { .. }));
        assert_eq!(token.as_bytes(), longest);
        let long = vec![b'y'; Token::INLINE + 1];
        let token = Token::copy_from_slice(&long);
        assert!(matches!(token.0, Repr::Shared(_)));
        assert_eq!(token.as_bytes(), &long[..]);
        assert_eq!(token.len(), Token::INLINE + 1);

        // From `Bytes`: short ones are copied (the buffer is let go), long ones kept.
        let frame = Bytes::from(vec![b'z'; 100]);
        let short = Token::from_bytes(frame.slice(..5));
        assert!(matches!(short.0, Repr::Inline { .. }));
        let kept = Token::from_bytes(frame.slice(..60));
        match &kept.0 {
            Repr::Shared(bytes) => assert_eq!(bytes.as_ptr(), frame.as_ptr()),
            _ => panic!("expected a shared token"),
        }
        assert!(Token::from_bytes(Bytes::new()).is_empty());
        assert_eq!(Token::from_static(b"static").as_bytes(), b"static");
        assert!(Token::from_static(b"").is_empty());
    }

    #[test]
    fn slices_share_long_tokens() {
        let long = Token::from_bytes(Bytes::from(vec![b'a'; 90]));
        let tail = long.slice(1..);
        assert_eq!(tail.len(), 89);
        match (&long.0, &tail.0) {
            (Repr::Shared(all), Repr::Shared(part)) => {
                assert_eq!(part.as_ptr(), all[1..].as_ptr())
            }
            _ => panic!("expected shared tokens"),
        }
        let short = Token::copy_from_slice(b"\x01abc");
        assert_eq!(short.slice(1..).as_bytes(), b"abc");
        assert_eq!(short.slice(..=1).as_bytes(), b"\x01a");
        assert!(short.slice(4..).is_empty());
        assert!(Token::EMPTY.slice(..).is_empty());
    }

    #[test]
    fn tokens_compare_by_bytes_and_stay_small() {
        let long = vec![b'q'; 50];
        assert_eq!(
            Token::copy_from_slice(&long),
            Token::from_bytes(Bytes::from(long.clone()))
        );
        assert_eq!(Token::from_static(b"ab"), Token::copy_from_slice(b"ab"));
        assert_ne!(Token::copy_from_slice(b"ab"), Token::EMPTY);
        assert_eq!(Token::from(&b""[..]), Token::EMPTY);
        assert_eq!(
            format!("{:?}", Token::copy_from_slice(b"\"a\"\n")),
            r#"Token("\"a\"\n")"#
        );
        // No bigger than the `Bytes` it may hold plus a word.
        assert!(std::mem::size_of::<Token>() <= 40);
    }
}
