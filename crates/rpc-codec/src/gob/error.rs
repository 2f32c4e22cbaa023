//! The error of the gob data format.

use std::fmt;

/// Why a value could not be encoded to or decoded from gob.
///
/// Messages raised by the format itself start with `gob:`, as Go's do; messages from a type's
/// `Serialize` or `Deserialize` implementation (a missing field, an invalid value) are kept as
/// they are.
///
/// Public operations report it inside a [`CodecError`](rpc_proto::CodecError): `Body` when a
/// value does not decode into the requested type, `Encode` when a value cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Error(String);

impl Error {
    /// An error with this message.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Error(message.into())
    }

    /// The message.
    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Shorthand for `Err(Error::new(format!(...)))`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::gob::error::Error::new(format!($($arg)*)))
    };
}
pub(crate) use bail;
