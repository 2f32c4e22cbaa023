//! The errors of the etcd store. Their texts are what `KVStoreService` callers see.

use std::time::Duration;

/// What went wrong talking to etcd, or with what it holds.
#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    /// The `etcd://` address could not be used.
    #[error("etcd address {address:?}: {reason}")]
    Address {
        /// The address given.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// etcd did not answer in time (down, unreachable, or overloaded).
    #[error("etcd unavailable: {endpoints} did not answer within {timeout:?}")]
    Timeout {
        /// The endpoints tried.
        endpoints: String,
        /// The bound that passed.
        timeout: Duration,
    },
    /// etcd (or the connection to it) answered with a gRPC error.
    #[error("etcd error from {endpoints}: {code:?}: {message}")]
    Status {
        /// The endpoints tried.
        endpoints: String,
        /// The gRPC status code.
        code: tonic::Code,
        /// Its message.
        message: String,
    },
    /// The server's watch on etcd is down (etcd unreachable); it is being re-established.
    #[error("etcd unavailable: the watch on {endpoints} is down ({reason}); retrying")]
    WatchDown {
        /// The endpoints tried.
        endpoints: String,
        /// Why it went down.
        reason: String,
    },
    /// The changes asked for were compacted away by etcd. The text is the in-memory store's.
    #[error("compacted: changes after revision {revision} are gone; the oldest kept is {oldest}")]
    Compacted {
        /// The revision asked for.
        revision: u64,
        /// The oldest revision etcd still keeps.
        oldest: u64,
    },
    /// A key or value in etcd is not UTF-8 (netrpc's keys and values are strings).
    #[error("etcd holds a key or value that is not UTF-8 under {key:?}")]
    NotUtf8 {
        /// The key, lossily decoded.
        key: String,
    },
    /// etcd's answer lacked something it always sends.
    #[error("etcd sent a malformed answer: {0}")]
    Malformed(&'static str),
}

impl EtcdError {
    pub(crate) fn status(endpoints: &str, status: &tonic::Status) -> Self {
        EtcdError::Status {
            endpoints: endpoints.to_owned(),
            code: status.code(),
            message: status.message().to_owned(),
        }
    }
}
