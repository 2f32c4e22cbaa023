//! The `yamux+tcp://host:port` and `yamux+unix:///path` transports: a TCP or Unix socket
//! carrying yamux ([`rpc_yamux`], wire-compatible with hashicorp/yamux v0.1.2), so one
//! connection carries many independent streams, as QUIC does.
//!
//! A yamux connection is a [`Link::Multiplexed`]: the dialer is the yamux client (odd stream
//! ids), each accepted connection a yamux server (even ids). netrpc's engine opens one stream
//! per call, so a slow reply holds up no other and a forgotten call's stream is reset (RST),
//! which cancels its handler whatever the codec. Peers' transport is `"yamux+tcp"` or
//! `"yamux+unix"`; the rest of [`Peer`] (socket address, Unix credentials) is the socket's.
//!
//! Settings are an [`rpc_yamux::Config`] in [`DialOptions::yamux`](crate::DialOptions) and
//! [`ListenOptions::yamux`](crate::ListenOptions), Go's `DefaultConfig` unless changed (256
//! streams each way, 256 KiB windows, keepalive pings every 30 s).
//!
//! [`wrap`] runs yamux over a stream obtained any other way (a TLS stream, an inherited socket,
//! go-plugin's handshake), as either side.

use std::io;
use std::sync::Arc;

pub use rpc_yamux::{Config, Mode, Session};

use crate::{Address, BoxFuture, BoxStream, Connection, Link, Listener, Multiplexed, Peer};

/// Runs yamux as `mode` over `stream`: the session's driver is spawned on the current tokio
/// runtime (panics outside one).
pub fn wrap(stream: BoxStream, mode: Mode, config: Config) -> Arc<dyn Multiplexed> {
    Arc::new(Session::new(stream, mode, config))
}

/// A connection running yamux as `mode` over `connection`'s stream, the same peer under
/// `transport`'s name. Fails with [`InvalidInput`](io::ErrorKind::InvalidInput) for a
/// connection that is already multiplexed.
pub fn over(
    connection: Connection,
    mode: Mode,
    config: Config,
    transport: &'static str,
) -> io::Result<Connection> {
    let Connection { link, peer } = connection;
    let Link::Stream(stream) = link else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "yamux runs over a single byte stream, not a multiplexed connection",
        ));
    };
    Ok(Connection {
        link: Link::Multiplexed(wrap(stream, mode, config)),
        peer: Peer { transport, ..peer },
    })
}

impl Multiplexed for Session {
    fn open(&self) -> BoxFuture<'_, io::Result<BoxStream>> {
        Box::pin(async move { Ok(Box::new(Session::open(self).await?) as BoxStream) })
    }

    fn accept(&self) -> BoxFuture<'_, io::Result<Option<BoxStream>>> {
        Box::pin(async move {
            Ok(Session::accept(self)
                .await?
                .map(|stream| Box::new(stream) as BoxStream))
        })
    }

    fn closed(&self) -> BoxFuture<'_, io::Error> {
        Box::pin(Session::closed(self))
    }

    fn close(&self) {
        Session::close(self);
    }
}

/// Dials `addr` (a `yamux+tcp://` or `yamux+unix://` address) and starts a yamux client over it.
pub async fn dial(addr: &Address, config: &Config) -> io::Result<Connection> {
    let (connection, transport) = match addr {
        Address::YamuxTcp(host_port) => (crate::tcp::dial(host_port).await?, "yamux+tcp"),
        #[cfg(unix)]
        Address::YamuxUnix(path) => (crate::unix::dial(path).await?, "yamux+unix"),
        other => return Err(not_yamux(other)),
    };
    over(connection, Mode::Client, config.clone(), transport)
}

/// A listener whose connections run yamux as the server.
pub struct YamuxListener {
    inner: Box<dyn Listener>,
    local: Address,
    transport: &'static str,
    config: Config,
}

impl YamuxListener {
    /// Binds `addr` (a `yamux+tcp://` or `yamux+unix://` address).
    pub async fn bind(addr: &Address, config: Config) -> io::Result<YamuxListener> {
        let (inner, transport): (Box<dyn Listener>, _) = match addr {
            Address::YamuxTcp(host_port) => (
                Box::new(crate::tcp::TcpListener::bind(host_port).await?),
                "yamux+tcp",
            ),
            #[cfg(unix)]
            Address::YamuxUnix(path) => (
                Box::new(crate::unix::UnixListener::bind(path).await?),
                "yamux+unix",
            ),
            other => return Err(not_yamux(other)),
        };
        let local = match inner.local_addr() {
            Address::Tcp(host_port) => Address::YamuxTcp(host_port.clone()),
            Address::Unix(path) => Address::YamuxUnix(path.clone()),
            other => other.clone(),
        };
        Ok(YamuxListener {
            inner,
            local,
            transport,
            config,
        })
    }
}

impl std::fmt::Debug for YamuxListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YamuxListener")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

impl Listener for YamuxListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(async move {
            let connection = self.inner.accept().await?;
            over(
                connection,
                Mode::Server,
                self.config.clone(),
                self.transport,
            )
        })
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }
}

fn not_yamux(addr: &Address) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{addr} is not a yamux+tcp:// or yamux+unix:// address"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn round_trip(listen: &str, transport: &str) {
        let addr: Address = listen.parse().unwrap();
        let mut listener = crate::listen(&addr).await.unwrap();
        assert_eq!(listener.local_addr().transport(), transport);
        let client = crate::dial(listener.local_addr()).await.unwrap();
        let server = listener.accept().await.unwrap();
        assert_eq!(client.peer.transport, transport);
        assert_eq!(server.peer.transport, transport);
        let (Link::Multiplexed(client), Link::Multiplexed(server)) = (client.link, server.link)
        else {
            panic!("yamux connections are multiplexed");
        };
        // Either side opens; the other accepts.
        let mut a = client.open().await.unwrap();
        a.write_all(b"from the client").await.unwrap();
        a.shutdown().await.unwrap();
        let mut b = server.accept().await.unwrap().unwrap();
        let mut text = String::new();
        b.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "from the client");
        let mut c = server.open().await.unwrap();
        c.write_all(b"and back").await.unwrap();
        c.shutdown().await.unwrap();
        let mut d = client.accept().await.unwrap().unwrap();
        text.clear();
        d.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "and back");
        client.close();
        assert!(server.accept().await.unwrap().is_none());
        assert_eq!(
            server.closed().await.kind(),
            io::ErrorKind::ConnectionAborted
        );
    }

    #[tokio::test]
    async fn yamux_over_tcp() {
        round_trip("yamux+tcp://127.0.0.1:0", "yamux+tcp").await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn yamux_over_unix() {
        let path = std::env::temp_dir().join(format!("rpc-yamux-{}.sock", std::process::id()));
        round_trip(&format!("yamux+unix://{}", path.display()), "yamux+unix").await;
    }

    #[tokio::test]
    async fn wrap_runs_yamux_over_any_stream() {
        let (a, b) = tokio::io::duplex(4096);
        let client = wrap(Box::new(a), Mode::Client, Config::default());
        let server = wrap(Box::new(b), Mode::Server, Config::default());
        let mut s = client.open().await.unwrap();
        s.write_all(b"x").await.unwrap();
        let mut t = server.accept().await.unwrap().unwrap();
        let mut one = [0u8; 1];
        t.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"x");
    }

    #[tokio::test]
    async fn over_refuses_a_multiplexed_connection() {
        let (a, _b) = tokio::io::duplex(64);
        let multiplexed = Connection {
            link: Link::Multiplexed(wrap(Box::new(a), Mode::Client, Config::default())),
            peer: Peer::new("mem", "x"),
        };
        let err = over(multiplexed, Mode::Client, Config::default(), "yamux+tcp").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
