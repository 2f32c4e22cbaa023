//! [`HttpPaths`]: where a listener serves RPC and its status page.

use crate::address::check_http_path;

use super::{DEBUG_PATH, RPC_PATH};

/// Where a listener serves RPC and its status page: the two paths of Go's
/// `Server.HandleHTTP(rpcPath, debugPath)`. The default is Go's
/// `rpc.HandleHTTP`: [`RPC_PATH`] and [`DEBUG_PATH`].
///
/// ```
/// use rpc_transport::http::HttpPaths;
///
/// let paths = HttpPaths::new("/alpha", "/alpha/debug")?;
/// assert_eq!(paths.rpc(), "/alpha");
/// assert_eq!(HttpPaths::default().debug(), "/debug/rpc");
/// assert!(HttpPaths::new("/x", "/x").is_err());
/// # Ok::<(), rpc_transport::http::HttpPathError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpPaths {
    rpc: String,
    debug: String,
}

impl HttpPaths {
    /// RPC at `rpc` (where clients `CONNECT`) and the status page at
    /// `debug` (where `GET` finds it). Each must start with `/` and be
    /// printable ASCII without spaces, `?` or `#`, and they must differ.
    pub fn new(rpc: impl Into<String>, debug: impl Into<String>) -> Result<Self, HttpPathError> {
        let (rpc, debug) = (rpc.into(), debug.into());
        for (which, path) in [("RPC", &rpc), ("debug", &debug)] {
            check_http_path(path).map_err(|reason| HttpPathError::Invalid {
                which,
                path: path.clone(),
                reason,
            })?;
        }
        if rpc == debug {
            return Err(HttpPathError::Same { path: rpc });
        }
        Ok(Self { rpc, debug })
    }

    /// Where clients `CONNECT`.
    pub fn rpc(&self) -> &str {
        &self.rpc
    }

    /// Where `GET` finds the status page.
    pub fn debug(&self) -> &str {
        &self.debug
    }
}

impl Default for HttpPaths {
    fn default() -> Self {
        Self {
            rpc: RPC_PATH.to_owned(),
            debug: DEBUG_PATH.to_owned(),
        }
    }
}

/// Why [`HttpPaths::new`] refused its paths.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HttpPathError {
    /// A path that cannot be routed on.
    #[error("invalid {which} path {path:?}: {reason}")]
    Invalid {
        /// `"RPC"` or `"debug"`.
        which: &'static str,
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Both paths are the same.
    #[error("the RPC path and the debug path are both {path:?}")]
    Same {
        /// The path.
        path: String,
    },
}
