//! Reverse RPC (seed 4.3.3): the serving side dials out, the calling side listens.
//!
//! A service inside a private network cannot be reached, but it can reach out: it dials the
//! calling side and serves RPC over that link ([`Server::serve_reverse`]), redialing with
//! exponential backoff and jitter whenever the link drops. The calling side listens and turns
//! each inbound link into a [`Client`] ([`ReverseListener`]); [`Clients`] is the seed's
//! `clientChan`, handing out live clients and dropping dead ones.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use netrpc::reverse::{Backoff, ReverseListener};
//! use netrpc::{Json, Server};
//!
//! // Calling side (public):
//! let mut clients = ReverseListener::bind("tcp://127.0.0.1:1234", Json).await?.into_clients();
//! // Service side (private), elsewhere:
//! let server = Server::builder().build();
//! tokio::spawn(async move { server.serve_reverse("tcp://127.0.0.1:1234", Json, Backoff::default()).await });
//! // Back on the calling side:
//! let client = clients.next().await.expect("a link");
//! let reply: String = client.call("HelloService.Hello", "hello").await?;
//! # Ok(()) }
//! ```

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use rpc_proto::Codec;
use rpc_transport::{Address, DialOptions, ListenOptions, Listener};
use tokio::sync::mpsc;

use crate::{Client, ClientBuilder, Error, Server};

/// How long to wait between dials: doubling from `initial` up to `max`, each wait drawn at random
/// from its upper half so that many services restarting together do not redial in step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure, and after a link that worked drops.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for Backoff {
    /// 100 ms doubling to 30 s.
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The wait before attempt `failures + 1`, with jitter from `random` (any `u64`).
    pub fn delay(&self, failures: u32, random: u64) -> Duration {
        let base = self
            .initial
            .saturating_mul(1u32.checked_shl(failures.min(31)).unwrap_or(u32::MAX))
            .min(self.max);
        let half = base / 2;
        let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if spread == 0 {
            0
        } else {
            random % (spread + 1)
        };
        half + Duration::from_nanos(jitter)
    }
}

/// A random `u64` from the standard library's per-process random hash keys.
fn random() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x9e37_79b9_7f4a_7c15);
    hasher.finish()
}

impl Server {
    /// Dials `addr` and serves this server's services over the link (Go's `rpc.ServeConn` on a
    /// dialed connection); when the link drops or a dial fails, waits per `backoff` and dials
    /// again. Returns when [`shutdown`](Server::shutdown) begins, or at once if `addr` is not an
    /// address.
    pub async fn serve_reverse(
        &self,
        addr: &str,
        codec: impl Codec,
        backoff: Backoff,
    ) -> Result<(), Error> {
        self.serve_reverse_with(addr, &DialOptions::default(), codec, backoff)
            .await
    }

    /// [`serve_reverse`](Self::serve_reverse) with transport settings (TLS for `tls://`).
    pub async fn serve_reverse_with(
        &self,
        addr: &str,
        options: &DialOptions,
        codec: impl Codec,
        backoff: Backoff,
    ) -> Result<(), Error> {
        let addr: Address = addr.parse()?;
        let codec: Arc<dyn Codec> = Arc::new(codec);
        let mut failures = 0u32;
        while !self.is_shutting_down() {
            match rpc_transport::dial_with(&addr, options).await {
                Ok(connection) => {
                    tracing::info!(%addr, "reverse link up");
                    failures = 0;
                    self.serve_connection(connection, codec.clone()).await;
                    tracing::info!(%addr, "reverse link down");
                }
                Err(err) => {
                    tracing::warn!(%addr, error = %err, "reverse dial failed");
                    failures = failures.saturating_add(1);
                }
            }
            let wait = backoff.delay(failures.saturating_sub(1), random());
            tokio::select! {
                _ = self.shutdown_started() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        Ok(())
    }
}

/// The calling side of reverse RPC: a listener whose inbound links become [`Client`]s.
pub struct ReverseListener {
    listener: Box<dyn Listener>,
    codec: Arc<dyn Codec>,
    builder: ClientBuilder,
}

impl ReverseListener {
    /// Listens on `addr` for services dialing in.
    pub async fn bind(addr: &str, codec: impl Codec) -> Result<Self, Error> {
        Self::bind_with(addr, &ListenOptions::default(), codec).await
    }

    /// [`bind`](Self::bind) with transport settings (a certificate for `tls://`).
    pub async fn bind_with(
        addr: &str,
        options: &ListenOptions,
        codec: impl Codec,
    ) -> Result<Self, Error> {
        let addr: Address = addr.parse()?;
        let listener = rpc_transport::listen_with(&addr, options)
            .await
            .map_err(Error::Connect)?;
        Ok(Self::new(
            listener,
            Arc::new(codec),
            ClientBuilder::default(),
        ))
    }

    /// Wraps a listener; each accepted link becomes a client built by `builder`.
    pub fn new(listener: Box<dyn Listener>, codec: Arc<dyn Codec>, builder: ClientBuilder) -> Self {
        Self {
            listener,
            codec,
            builder,
        }
    }

    /// The address services should dial.
    pub fn local_addr(&self) -> &Address {
        self.listener.local_addr()
    }

    /// Waits for the next service to dial in and returns a client calling it.
    pub async fn accept(&mut self) -> io::Result<Client> {
        let connection = self.listener.accept().await?;
        tracing::info!(peer = %connection.peer.addr, "reverse link accepted");
        Ok(self.builder.clone().connect(connection, self.codec.clone()))
    }

    /// Accepts in a background task and hands out clients through [`Clients`] (the seed's
    /// `clientChan`). Accept errors are logged and accepting goes on.
    pub fn into_clients(mut self) -> Clients {
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tx.closed() => break,
                    accepted = self.accept() => match accepted {
                        Ok(client) => {
                            if tx.send(client).await.is_err() {
                                break;
                            }
                        }
                        Err(err) => tracing::warn!(error = %err, "reverse accept failed"),
                    },
                }
            }
        });
        Clients { rx }
    }
}

/// Clients for inbound reverse links, oldest first; links that died while waiting are skipped.
pub struct Clients {
    rx: mpsc::Receiver<Client>,
}

impl Clients {
    /// The next live client; `None` once the listener task has stopped.
    pub async fn next(&mut self) -> Option<Client> {
        while let Some(client) = self.rx.recv().await {
            if !client.is_closed() {
                return Some(client);
            }
            tracing::debug!(peer = %client.peer().addr, "dropping dead reverse link");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_max_with_jitter_in_upper_half() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(b.delay(0, 0), Duration::from_millis(50));
        assert!(b.delay(0, u64::MAX) <= Duration::from_millis(100));
        assert_eq!(b.delay(1, 0), Duration::from_millis(100));
        assert_eq!(b.delay(3, 0), Duration::from_millis(400));
        assert_eq!(b.delay(10, 0), Duration::from_millis(500));
        assert_eq!(b.delay(u32::MAX, 0), Duration::from_millis(500));
        for r in [1, 12345, u64::MAX / 3] {
            let d = b.delay(2, r);
            assert!(
                d >= Duration::from_millis(200) && d <= Duration::from_millis(400),
                "{d:?}"
            );
        }
    }
}
