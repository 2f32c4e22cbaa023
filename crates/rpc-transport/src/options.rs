//! Per-transport settings for [`dial_with`](crate::dial_with) and
//! [`listen_with`](crate::listen_with), for transports that need more than
//! an [`Address`](crate::Address) (TLS needs certificates).
//!
//! Both structs are `#[non_exhaustive]` so that transports can add their
//! settings later: build them from [`Default::default`] (or `new`) and the
//! `with_*` methods. Settings for a transport other than the address's are
//! ignored.

/// Settings for dialing; see [`dial_with`](crate::dial_with).
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct DialOptions {
    /// How to verify the server and, for mutual TLS, which certificate to
    /// present. Required for `tls://` and `quic://` addresses.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::TlsClientConfig>,
    /// QUIC's timing (idle timeout, keep-alives) for `quic://` addresses.
    #[cfg(feature = "quic")]
    pub quic: crate::quic::QuicSettings,
    /// Yamux's settings (windows, stream cap, keepalive) for `yamux+tcp://`
    /// and `yamux+unix://` addresses.
    #[cfg(feature = "yamux")]
    pub yamux: crate::yamux::Config,
}

impl DialOptions {
    /// No settings: what [`dial`](crate::dial) uses.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `config` for `tls://` and `quic://` addresses.
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, config: crate::tls::TlsClientConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// Uses `settings` for `quic://` addresses.
    #[cfg(feature = "quic")]
    pub fn with_quic(mut self, settings: crate::quic::QuicSettings) -> Self {
        self.quic = settings;
        self
    }

    /// Uses `config` for `yamux+tcp://` and `yamux+unix://` addresses.
    #[cfg(feature = "yamux")]
    pub fn with_yamux(mut self, config: crate::yamux::Config) -> Self {
        self.yamux = config;
        self
    }
}

/// Settings for listening; see [`listen_with`](crate::listen_with).
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct ListenOptions {
    /// Where an `http://` listener serves the status page (Go's
    /// `HandleHTTP` debug path); `None` is Go's `/debug/rpc`. The RPC path
    /// is the address's.
    #[cfg(feature = "http")]
    pub http_debug_path: Option<String>,
    /// The server's certificate and, for mutual TLS, the CA its clients'
    /// certificates must chain to. Required for `tls://` and `quic://`
    /// addresses.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::TlsServerConfig>,
    /// QUIC's timing (idle timeout, keep-alives) for `quic://` addresses.
    #[cfg(feature = "quic")]
    pub quic: crate::quic::QuicSettings,
    /// Yamux's settings for `yamux+tcp://` and `yamux+unix://` addresses.
    #[cfg(feature = "yamux")]
    pub yamux: crate::yamux::Config,
}

impl ListenOptions {
    /// No settings: what [`listen`](crate::listen) uses.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves the status page of `http://` addresses at `path`.
    #[cfg(feature = "http")]
    pub fn with_http_debug_path(mut self, path: impl Into<String>) -> Self {
        self.http_debug_path = Some(path.into());
        self
    }

    /// Uses `config` for `tls://` and `quic://` addresses.
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, config: crate::tls::TlsServerConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// Uses `settings` for `quic://` addresses.
    #[cfg(feature = "quic")]
    pub fn with_quic(mut self, settings: crate::quic::QuicSettings) -> Self {
        self.quic = settings;
        self
    }

    /// Uses `config` for `yamux+tcp://` and `yamux+unix://` addresses.
    #[cfg(feature = "yamux")]
    pub fn with_yamux(mut self, config: crate::yamux::Config) -> Self {
        self.yamux = config;
        self
    }
}
