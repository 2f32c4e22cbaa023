//! The yamux session over the host-plugin connection: the plugin is yamux's server, the host
//! its client, both with the default configuration (as go-plugin's `yamux.Server(conn, nil)`
//! and `yamux.Client(conn, nil)`).

use std::sync::Arc;

use rpc_transport::yamux::{Config, Mode, wrap};
use rpc_transport::{BoxStream, Multiplexed};

/// Which end of the session this side is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The host: opens the control, stdout and stderr streams.
    Host,
    /// The plugin: accepts them.
    Plugin,
}

/// Starts a yamux session over `stream` with yamux's default configuration (Go's
/// `DefaultConfig`: 256 KiB windows, keepalive every 30 s), through rpc-transport's
/// [`wrap`].
pub(crate) fn session(stream: BoxStream, role: Role) -> Arc<dyn Multiplexed> {
    let mode = match role {
        Role::Host => Mode::Client,
        Role::Plugin => Mode::Server,
    };
    wrap(stream, mode, Config::default())
}

/// An in-memory stand-in for a session pair, for unit tests of the protocol above yamux:
/// streams are `tokio::io::duplex` pipes, accepted in the order they were opened.
#[cfg(test)]
pub(crate) mod memory {
    use std::io;
    use std::sync::Arc;

    use rpc_transport::{BoxFuture, BoxStream, Multiplexed};
    use tokio::sync::{Mutex, mpsc};
    use tokio_util::sync::CancellationToken;

    pub(crate) struct MemSession {
        tx: mpsc::UnboundedSender<BoxStream>,
        rx: Mutex<mpsc::UnboundedReceiver<BoxStream>>,
        closed: CancellationToken,
    }

    /// Two connected sessions.
    pub(crate) fn pair() -> (Arc<dyn Multiplexed>, Arc<dyn Multiplexed>) {
        let (a_tx, a_rx) = mpsc::unbounded_channel();
        let (b_tx, b_rx) = mpsc::unbounded_channel();
        let closed = CancellationToken::new();
        let a = MemSession {
            tx: b_tx,
            rx: Mutex::new(a_rx),
            closed: closed.clone(),
        };
        let b = MemSession {
            tx: a_tx,
            rx: Mutex::new(b_rx),
            closed,
        };
        (Arc::new(a), Arc::new(b))
    }

    impl Multiplexed for MemSession {
        fn open(&self) -> BoxFuture<'_, io::Result<BoxStream>> {
            Box::pin(async move {
                if self.closed.is_cancelled() {
                    return Err(io::ErrorKind::NotConnected.into());
                }
                let (a, b) = tokio::io::duplex(256 * 1024);
                self.tx
                    .send(Box::new(b))
                    .map_err(|_| io::Error::from(io::ErrorKind::NotConnected))?;
                Ok(Box::new(a) as BoxStream)
            })
        }

        fn accept(&self) -> BoxFuture<'_, io::Result<Option<BoxStream>>> {
            Box::pin(async move {
                let mut rx = self.rx.lock().await;
                tokio::select! {
                    _ = self.closed.cancelled() => Ok(None),
                    stream = rx.recv() => Ok(stream),
                }
            })
        }

        fn closed(&self) -> BoxFuture<'_, io::Error> {
            Box::pin(async move {
                self.closed.cancelled().await;
                io::Error::new(io::ErrorKind::ConnectionAborted, "session closed")
            })
        }

        fn close(&self) {
            self.closed.cancel();
        }
    }
}
