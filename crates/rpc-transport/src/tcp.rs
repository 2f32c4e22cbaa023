//! The `tcp://host:port` transport: TCP sockets with `TCP_NODELAY` set on
//! both dialed and accepted connections (RPC traffic is small messages that
//! must not wait for Nagle's algorithm).
//!
//! An empty host (`":1234"`, as in Go) listens on all IPv4 interfaces and
//! dials the loopback address.

use std::borrow::Cow;
use std::io;
use std::net::SocketAddr;

use tokio::net::TcpStream;

use crate::{Address, BoxFuture, Connection, Listener, Peer, with_context};

/// A bound TCP listener.
#[derive(Debug)]
pub struct TcpListener {
    inner: tokio::net::TcpListener,
    local: Address,
}

impl TcpListener {
    /// Binds `host_port` (e.g. `"127.0.0.1:0"`; port 0 picks a free port,
    /// reported by [`Listener::local_addr`]).
    pub async fn bind(host_port: &str) -> io::Result<Self> {
        let target = with_default_host(host_port, "0.0.0.0");
        let inner = tokio::net::TcpListener::bind(target.as_ref())
            .await
            .map_err(|e| with_context(e, "listen tcp", host_port))?;
        let local = Address::Tcp(inner.local_addr()?.to_string());
        Ok(Self { inner, local })
    }

    /// The address actually bound, as `host:port`.
    #[cfg_attr(not(any(feature = "http", feature = "tls")), allow(dead_code))]
    pub(crate) fn host_port(&self) -> &str {
        match &self.local {
            Address::Tcp(host_port) => host_port,
            _ => "",
        }
    }

    /// Accepts one socket and configures it. Cancel safe.
    pub(crate) async fn accept_stream(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self.inner.accept().await?;
        configure(&stream)?;
        Ok((stream, peer))
    }
}

impl Listener for TcpListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(async move {
            let (stream, peer) = self.accept_stream().await?;
            Ok(connection(stream, peer))
        })
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }
}

/// Connects to `host_port` (host names are resolved; each resolved address
/// is tried in turn).
pub async fn dial(host_port: &str) -> io::Result<Connection> {
    let stream = connect(host_port).await?;
    let peer = stream.peer_addr()?;
    Ok(connection(stream, peer))
}

/// Connects and configures the socket, before it is boxed.
pub(crate) async fn connect(host_port: &str) -> io::Result<TcpStream> {
    let target = with_default_host(host_port, "127.0.0.1");
    let stream = TcpStream::connect(target.as_ref())
        .await
        .map_err(|e| with_context(e, "dial tcp", host_port))?;
    configure(&stream)?;
    Ok(stream)
}

/// Socket options every netrpc TCP connection gets.
fn configure(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)
}

fn connection(stream: TcpStream, peer: SocketAddr) -> Connection {
    Connection::new(stream, Peer::socket("tcp", peer))
}

/// `":port"` becomes `"{host}:port"`; anything else is left alone.
fn with_default_host<'a>(host_port: &'a str, host: &str) -> Cow<'a, str> {
    match host_port.strip_prefix(':') {
        Some(port) => Cow::Owned(format!("{host}:{port}")),
        None => Cow::Borrowed(host_port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn loopback() -> TcpListener {
        TcpListener::bind("127.0.0.1:0").await.unwrap()
    }

    fn host_port(listener: &TcpListener) -> &str {
        match listener.local_addr() {
            Address::Tcp(hp) => hp,
            other => panic!("unexpected local address {other}"),
        }
    }

    #[tokio::test]
    async fn port_zero_reports_real_port() {
        let listener = loopback().await;
        let addr: SocketAddr = host_port(&listener).parse().unwrap();
        assert_eq!(addr.ip().to_string(), "127.0.0.1");
        assert_ne!(addr.port(), 0);
        assert!(
            listener
                .local_addr()
                .to_string()
                .starts_with("tcp://127.0.0.1:")
        );
    }

    #[tokio::test]
    async fn round_trip_both_ways() {
        let mut listener = loopback().await;
        let mut client = dial(host_port(&listener)).await.unwrap();
        let mut server = listener.accept().await.unwrap();

        client
            .stream_mut()
            .unwrap()
            .write_all(b"request")
            .await
            .unwrap();
        let mut buf = [0; 7];
        server
            .stream_mut()
            .unwrap()
            .read_exact(&mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"request");

        server
            .stream_mut()
            .unwrap()
            .write_all(b"reply")
            .await
            .unwrap();
        let mut buf = [0; 5];
        client
            .stream_mut()
            .unwrap()
            .read_exact(&mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"reply");

        assert_eq!(client.peer.transport, "tcp");
        assert_eq!(client.peer.addr, host_port(&listener));
        assert_eq!(
            client.peer.socket_addr.map(|a| a.to_string()).as_deref(),
            Some(host_port(&listener))
        );
        assert!(client.peer.unix_cred.is_none());
    }

    #[tokio::test]
    async fn nodelay_on_both_ends_and_peer_is_dialer() {
        let listener = loopback().await;
        let dialed = connect(host_port(&listener)).await.unwrap();
        let (accepted, peer) = listener.accept_stream().await.unwrap();

        assert!(dialed.nodelay().unwrap());
        assert!(accepted.nodelay().unwrap());

        let dialer_local = dialed.local_addr().unwrap();
        assert_eq!(peer, dialer_local);
        let conn = connection(accepted, peer);
        assert_eq!(conn.peer.addr, dialer_local.to_string());
        assert_eq!(conn.peer.socket_addr, Some(dialer_local));
    }

    #[tokio::test]
    async fn dial_resolves_names() {
        let mut listener = loopback().await;
        let port = host_port(&listener).rsplit_once(':').unwrap().1.to_owned();
        // "localhost" may resolve to ::1 first; connect tries each address.
        let client = dial(&format!("localhost:{port}")).await.unwrap();
        let server = listener.accept().await.unwrap();
        assert_eq!(
            client.peer.socket_addr.map(|a| a.port()),
            Some(port.parse().unwrap())
        );
        assert!(server.peer.socket_addr.is_some());
    }

    #[tokio::test]
    async fn refused_dial_names_address_and_keeps_kind() {
        // Bind then drop to find a port nothing listens on.
        let listener = loopback().await;
        let addr = host_port(&listener).to_owned();
        drop(listener);
        let err = dial(&addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert!(err.to_string().contains(&addr), "{err}");
    }

    #[test]
    fn empty_host_gets_default() {
        assert_eq!(with_default_host(":80", "127.0.0.1"), "127.0.0.1:80");
        assert_eq!(with_default_host("h:80", "127.0.0.1"), "h:80");
        assert_eq!(with_default_host("[::1]:80", "127.0.0.1"), "[::1]:80");
    }
}
