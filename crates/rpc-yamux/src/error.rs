//! Typed errors: what a peer did wrong ([`ProtocolError`]), why a session ended
//! ([`SessionError`]), why a stream operation failed ([`StreamError`]) and what is wrong with a
//! [`Config`](crate::Config) ([`ConfigError`]).
//!
//! The tokio API reports them as [`std::io::Error`]s whose kind a caller can act on and whose
//! inner error (`get_ref`/`into_inner`) is the typed one.

use std::io;

/// Something the peer sent that the protocol does not allow. The session answers it with a
/// GoAway (protocol error) and ends.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A header's version is not 0.
    #[error("yamux: unsupported protocol version {0}")]
    Version(u8),
    /// A header's type is none of Data, WindowUpdate, Ping, GoAway.
    #[error("yamux: unknown frame type {0}")]
    FrameType(u8),
    /// A Data frame larger than [`Config::max_frame`](crate::Config::max_frame).
    #[error(
        "yamux: data frame of {len} bytes on stream {stream} is larger than the {max} accepted"
    )]
    FrameTooLarge {
        /// The stream.
        stream: u32,
        /// The frame's payload length.
        len: u32,
        /// The largest accepted.
        max: u32,
    },
    /// A Data frame larger than what is left of the stream's receive window.
    #[error(
        "yamux: data frame of {len} bytes on stream {stream} exceeds its receive window ({window} bytes)"
    )]
    WindowExceeded {
        /// The stream.
        stream: u32,
        /// The frame's payload length.
        len: u32,
        /// What was left of the window.
        window: u32,
    },
    /// A WindowUpdate that makes a send window overflow 32 bits.
    #[error("yamux: window update overflows the send window of stream {0}")]
    WindowOverflow(u32),
    /// A SYN for a stream that is open.
    #[error("yamux: duplicate stream {0} opened")]
    DuplicateStream(u32),
    /// A SYN with id 0 or with this side's parity (the client's ids are odd, the server's even).
    #[error("yamux: the peer cannot open stream {0} (wrong id for its side)")]
    BadStreamId(u32),
    /// A second FIN on a stream.
    #[error("yamux: unexpected FIN on stream {0}, already closed by the peer")]
    UnexpectedFin(u32),
}

/// Why a session ended.
#[derive(Clone, Debug, thiserror::Error)]
pub enum SessionError {
    /// Closed by this side ([`Session::close`](crate::Session::close), or every handle
    /// dropped).
    #[error("yamux: session closed")]
    Closed,
    /// The peer closed the connection (end of stream between frames).
    #[error("yamux: session closed by the peer")]
    PeerClosed,
    /// The connection ended in the middle of a frame.
    #[error("yamux: connection closed by the peer in the middle of a frame")]
    Truncated,
    /// The peer broke the protocol; a GoAway (protocol error) was sent.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The peer sent a GoAway with an error code (1: protocol error, 2: internal error).
    #[error("yamux: the peer went away with {}", describe_go_away(*.0))]
    GoAway(u32),
    /// A ping went unanswered for [`Config::keepalive_timeout`](crate::Config).
    #[error("yamux: keepalive timeout (no answer to a ping for {0:?})")]
    KeepaliveTimeout(std::time::Duration),
    /// A stream we opened got no ACK within [`Config::open_timeout`](crate::Config).
    #[error("yamux: stream {0} was not acknowledged in time; closing the session")]
    OpenTimeout(u32),
    /// The connection took no byte for [`Config::write_timeout`](crate::Config).
    #[error("yamux: connection write timeout ({0:?} without progress)")]
    WriteTimeout(std::time::Duration),
    /// Reading or writing the connection failed.
    #[error("yamux: {message}")]
    Io {
        /// The I/O error's kind.
        kind: io::ErrorKind,
        /// Its text.
        message: String,
    },
    /// The session was made with an invalid [`Config`](crate::Config).
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn describe_go_away(code: u32) -> String {
    match code {
        crate::frame::go_away::PROTOCOL_ERROR => "a protocol error (GoAway 1)".into(),
        crate::frame::go_away::INTERNAL_ERROR => "an internal error (GoAway 2)".into(),
        other => format!("unknown GoAway code {other}"),
    }
}

impl SessionError {
    /// Whether the session ended without error (closed by either side between frames): then
    /// [`Session::accept`](crate::Session::accept) returns `None`.
    pub fn is_clean(&self) -> bool {
        matches!(self, SessionError::Closed | SessionError::PeerClosed)
    }

    /// The [`io::ErrorKind`] this error is reported with.
    pub fn kind(&self) -> io::ErrorKind {
        use io::ErrorKind as K;
        match self {
            SessionError::Closed => K::NotConnected,
            SessionError::PeerClosed | SessionError::GoAway(_) => K::ConnectionAborted,
            SessionError::Truncated => K::UnexpectedEof,
            SessionError::Protocol(_) => K::InvalidData,
            SessionError::KeepaliveTimeout(_)
            | SessionError::OpenTimeout(_)
            | SessionError::WriteTimeout(_) => K::TimedOut,
            SessionError::Io { kind, .. } => *kind,
            SessionError::Config(_) => K::InvalidInput,
        }
    }

    /// From an I/O error of the connection.
    pub fn io(err: &io::Error) -> SessionError {
        SessionError::Io {
            kind: err.kind(),
            message: err.to_string(),
        }
    }
}

impl From<SessionError> for io::Error {
    fn from(err: SessionError) -> io::Error {
        io::Error::new(err.kind(), err)
    }
}

/// Why a stream operation failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StreamError {
    /// The stream was reset: by the peer (RST), or by this side when it stayed half-closed
    /// past [`Config::close_timeout`](crate::Config).
    #[error("yamux: stream {0} reset")]
    Reset(u32),
    /// A write after this side's FIN.
    #[error("yamux: stream {0} closed for writing")]
    WriteClosed(u32),
    /// [`Session::open`](crate::Session::open) after the peer's GoAway.
    #[error("yamux: the peer accepts no new streams (GoAway)")]
    RemoteGoAway,
    /// Every stream id of this side has been used.
    #[error("yamux: stream ids exhausted")]
    IdsExhausted,
    /// The session ended.
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl StreamError {
    /// The [`io::ErrorKind`] this error is reported with.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            StreamError::Reset(_) => io::ErrorKind::ConnectionReset,
            StreamError::WriteClosed(_) => io::ErrorKind::BrokenPipe,
            StreamError::RemoteGoAway => io::ErrorKind::ConnectionRefused,
            StreamError::IdsExhausted => io::ErrorKind::Other,
            StreamError::Session(err) => err.kind(),
        }
    }
}

impl From<StreamError> for io::Error {
    fn from(err: StreamError) -> io::Error {
        io::Error::new(err.kind(), err)
    }
}

/// What is wrong with a [`Config`](crate::Config).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `window` is below the protocol's initial window.
    #[error("yamux: window {0} is below the initial window of 262144 bytes")]
    WindowTooSmall(u32),
    /// A count, a size or a duration that must be above zero.
    #[error("yamux: {0} must be above zero")]
    Zero(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_keep_kind_and_type() {
        let err: io::Error = StreamError::Reset(3).into();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        assert!(matches!(
            err.get_ref().and_then(|e| e.downcast_ref::<StreamError>()),
            Some(StreamError::Reset(3))
        ));
        let err: io::Error =
            SessionError::KeepaliveTimeout(std::time::Duration::from_secs(10)).into();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("keepalive"), "{err}");
        let err: io::Error =
            StreamError::from(SessionError::Protocol(ProtocolError::Version(9))).into();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(err.to_string(), "yamux: unsupported protocol version 9");
    }

    #[test]
    fn go_away_codes_are_described() {
        assert!(
            SessionError::GoAway(1)
                .to_string()
                .contains("protocol error")
        );
        assert!(
            SessionError::GoAway(2)
                .to_string()
                .contains("internal error")
        );
        assert!(SessionError::GoAway(7).to_string().contains("code 7"));
        assert!(SessionError::PeerClosed.is_clean() && SessionError::Closed.is_clean());
        assert!(!SessionError::Truncated.is_clean());
    }
}
