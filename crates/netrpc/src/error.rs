//! The errors a call can end with, shaped so a caller can act on them.

use std::fmt;
use std::io;
use std::sync::Arc;

use rpc_proto::CodecError;

/// Why a call did not produce a reply.
///
/// Use the predicates (`is_shutdown`, `is_timeout`, `server_message`) rather than matching on
/// display text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error (Go's `rpc.ServerError`); the text is exactly what the
    /// server sent, e.g. `rpc: can't find method HelloService.Nope`.
    #[error("{0}")]
    Server(String),
    /// The connection is closed: the call was made after it closed, or it closed while the call
    /// was pending. Displays as Go's `ErrShutdown`, followed by the cause when there is one.
    #[error("connection is shut down{}", ShutdownCause(.0))]
    Shutdown(Option<Arc<CodecError>>),
    /// The call's timeout passed before its reply arrived. On netrpc's own framings the server
    /// was told (its handler is cancelled); on Go's codecs the reply, if it comes, is discarded.
    #[error("deadline exceeded")]
    DeadlineExceeded,
    /// The arguments could not be encoded; nothing was sent.
    #[error("encoding the request: {0}")]
    Encode(#[source] CodecError),
    /// The reply arrived but could not be decoded into the requested type.
    #[error("decoding the reply: {0}")]
    Decode(#[source] CodecError),
    /// [`Client::go_with`](crate::Client::go_with) found no free slot in its done channel, so the
    /// call was refused before anything was sent (the engine never blocks on, or drops from, a
    /// full done channel).
    #[error("done channel is full; call not sent")]
    DoneChannelFull,
    /// The client's in-flight limit ([`ClientBuilder::max_in_flight`](crate::ClientBuilder::max_in_flight))
    /// was reached, so [`Client::go`](crate::Client::go) or
    /// [`Client::go_with`](crate::Client::go_with) refused the call before anything was sent.
    #[error("too many calls in flight; call not sent")]
    TooManyPending,
    /// [`Client::go_with`](crate::Client::go_with) was given a done channel whose receiver is
    /// gone; the call was not sent.
    #[error("done channel is closed; call not sent")]
    DoneChannelClosed,
    /// The address could not be parsed.
    #[error(transparent)]
    Address(#[from] rpc_transport::AddressError),
    /// The transport could not connect.
    #[error("connect: {0}")]
    Connect(#[source] io::Error),
}

struct ShutdownCause<'a>(&'a Option<Arc<CodecError>>);

impl fmt::Display for ShutdownCause<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(cause) => write!(f, ": {cause}"),
            None => Ok(()),
        }
    }
}

impl Error {
    /// True when the connection is gone and retrying on it is pointless.
    pub fn is_shutdown(&self) -> bool {
        matches!(self, Error::Shutdown(_))
    }

    /// True when the call's timeout passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::DeadlineExceeded)
    }

    /// The service's error text, when the service answered with an error.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Error::Server(message) => Some(message),
            _ => None,
        }
    }
}

/// An error a service method returns; its text travels to the caller as Go's `ServerError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError(String);

impl ServiceError {
    /// An error with this exact text.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// The text sent to the caller.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServiceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_reads_like_go_and_names_its_cause() {
        assert_eq!(Error::Shutdown(None).to_string(), "connection is shut down");
        let cause = Arc::new(CodecError::FrameTooLarge { len: 20, max: 10 });
        assert_eq!(
            Error::Shutdown(Some(cause)).to_string(),
            "connection is shut down: message of 20 bytes exceeds the limit of 10 bytes"
        );
    }

    #[test]
    fn predicates() {
        assert!(Error::Shutdown(None).is_shutdown());
        assert!(Error::DeadlineExceeded.is_timeout());
        assert_eq!(
            Error::Server("not found".into()).server_message(),
            Some("not found")
        );
        assert_eq!(Error::DeadlineExceeded.server_message(), None);
    }
}
