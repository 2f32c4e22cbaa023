//! The errors of the etcd store. Their texts are what `KVStoreService` callers see.

use std::path::PathBuf;
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
    /// A file named for TLS or a password (a CA, a client certificate or key, a password file)
    /// could not be read or holds nothing usable.
    #[error("etcd {what} file {}: {reason}", path.display())]
    File {
        /// What the file is for (`CA`, `client certificate`, `client key`, `password`).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS handshake with an etcd member failed (an untrusted server certificate, a client
    /// certificate etcd refused or did not get, TLS against a plain-text port).
    #[error("etcd TLS with {endpoint} failed: {reason}")]
    Tls {
        /// The member.
        endpoint: String,
        /// What failed, and what to check.
        reason: String,
    },
    /// etcd refused the user and password, or needs a user and none was given.
    #[error("etcd authentication failed at {endpoints}: {reason}")]
    Auth {
        /// The endpoints tried.
        endpoints: String,
        /// etcd's answer, with what to check.
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
            message: status_text(status),
        }
    }
}

/// A status's message with the causes of a transport error (tonic's own message is often just
/// "transport error").
pub(crate) fn status_text(status: &tonic::Status) -> String {
    use std::error::Error as _;
    let mut text = status.message().to_owned();
    let mut next = status.source();
    let mut depth = 0;
    while let Some(err) = next {
        let part = err.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = err.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    text
}
