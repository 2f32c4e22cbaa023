//! A session's role ([`Mode`]) and settings ([`Config`]), with hashicorp/yamux's defaults.

use std::time::Duration;

use crate::error::ConfigError;

/// The receive window every stream starts with, on both sides (the protocol's, not
/// configurable): 256 KiB.
pub const INITIAL_WINDOW: u32 = 256 * 1024;

/// Which side of the connection a session is: it decides stream ids (the client's are odd from
/// 1, the server's even from 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The dialing side (hashicorp/yamux `Client`).
    Client,
    /// The accepting side (hashicorp/yamux `Server`).
    Server,
}

/// A session's settings. [`Config::default`] is hashicorp/yamux's `DefaultConfig`.
///
/// Memory is bounded by these numbers: each stream buffers at most `window` received bytes,
/// and each side has at most `max_streams` streams of each direction, so a session holds at
/// most about `2 × max_streams × window` of received data (128 MiB at the defaults, only if
/// every stream's reader stalls), plus a send queue of a few hundred KiB.
///
/// Build one from the default: `Config { keepalive: None, ..Config::default() }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The most streams the peer may have open to us at once, accepted or waiting to be
    /// (further SYNs are refused with RST; hashicorp/yamux's `AcceptBacklog` caps only those
    /// waiting), and the most this side opens at once ([`Session::open`](crate::Session::open)
    /// waits for a place). Default 256.
    pub max_streams: usize,
    /// Each stream's largest receive window (`MaxStreamWindowSize`): how many bytes the peer
    /// may send ahead of our reader. At least [`INITIAL_WINDOW`]; default 256 KiB.
    pub window: u32,
    /// The largest Data payload this side sends in one frame and accepts in one frame; a larger
    /// incoming frame is a protocol error, found from its header. A Go peer sends frames as
    /// large as its send window, so keep this at least `window` to talk to Go. Default 256 KiB.
    pub max_frame: u32,
    /// How often to ping the peer (`KeepAliveInterval`); `None` turns keepalive off
    /// (`EnableKeepAlive`). Default 30 s.
    pub keepalive: Option<Duration>,
    /// How long a ping may go unanswered before the session ends (Go waits
    /// `ConnectionWriteTimeout`). Default 10 s.
    pub keepalive_timeout: Duration,
    /// How long a stream we opened may wait for the peer's ACK before the session ends, as
    /// Go's `StreamOpenTimeout` does; `None` waits for ever. Default 75 s.
    pub open_timeout: Option<Duration>,
    /// How long a stream may stay half-closed by us (FIN sent, none received) before it is
    /// reset (`StreamCloseTimeout`); `None` waits for ever. Default 5 min.
    pub close_timeout: Option<Duration>,
    /// How long the connection may refuse to take bytes we have to send before the session
    /// ends (`ConnectionWriteTimeout`). Default 10 s.
    pub write_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_streams: 256,
            window: INITIAL_WINDOW,
            max_frame: INITIAL_WINDOW,
            keepalive: Some(Duration::from_secs(30)),
            keepalive_timeout: Duration::from_secs(10),
            open_timeout: Some(Duration::from_secs(75)),
            close_timeout: Some(Duration::from_secs(300)),
            write_timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// Checks the settings: the window is at least [`INITIAL_WINDOW`] (the peer assumes that
    /// much), and the stream cap, the frame size and every duration are above zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.window < INITIAL_WINDOW {
            return Err(ConfigError::WindowTooSmall(self.window));
        }
        if self.max_streams == 0 {
            return Err(ConfigError::Zero("max_streams"));
        }
        if self.max_frame == 0 {
            return Err(ConfigError::Zero("max_frame"));
        }
        let durations = [
            ("keepalive", self.keepalive),
            ("keepalive_timeout", Some(self.keepalive_timeout)),
            ("open_timeout", self.open_timeout),
            ("close_timeout", self.close_timeout),
            ("write_timeout", Some(self.write_timeout)),
        ];
        for (name, value) in durations {
            if value == Some(Duration::ZERO) {
                return Err(ConfigError::Zero(name));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_gos() {
        let config = Config::default();
        assert_eq!(config.max_streams, 256);
        assert_eq!(config.window, 256 * 1024);
        assert_eq!(config.keepalive, Some(Duration::from_secs(30)));
        assert_eq!(config.write_timeout, Duration::from_secs(10));
        assert_eq!(config.open_timeout, Some(Duration::from_secs(75)));
        assert_eq!(config.close_timeout, Some(Duration::from_secs(300)));
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn bad_settings_are_named() {
        let small = Config {
            window: 1024,
            ..Config::default()
        };
        assert_eq!(small.validate(), Err(ConfigError::WindowTooSmall(1024)));
        let none = Config {
            max_streams: 0,
            ..Config::default()
        };
        assert_eq!(none.validate(), Err(ConfigError::Zero("max_streams")));
        let zero = Config {
            keepalive: Some(Duration::ZERO),
            ..Config::default()
        };
        assert_eq!(zero.validate(), Err(ConfigError::Zero("keepalive")));
        let off = Config {
            keepalive: None,
            open_timeout: None,
            close_timeout: None,
            ..Config::default()
        };
        assert_eq!(off.validate(), Ok(()));
    }
}
