//! The listeners: [`HttpListener`] (every connection makes Go's HTTP
//! handshake) and [`OptionalHttp`] (only connections that begin like HTTP
//! do; others pass through), both the shared accept loop
//! ([`crate::accept`]) over an inner listener with [`HttpHandshake`].

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::HttpPaths;
use super::replay::prefixed;
use super::serve::{Outcome, Site, serve_http};
use super::sniff::{First, decide, first_bytes};
#[cfg(doc)]
use super::{DEFAULT_HANDSHAKE_TIMEOUT, dial};
use crate::accept::{Accepting, Handshake, Start};
use crate::{Address, BoxFuture, BoxStream, Connection, Link, Listener, Peer, StatusPage, tcp};

/// A TCP listener serving Go's HTTP RPC handshake (`http://host:port[/path]`).
///
/// See the [module documentation](super) for what it answers. Unlike plain
/// TCP, a client's [`dial`] completes only once the listener has answered
/// it, which happens while someone is waiting in
/// [`accept`](Listener::accept).
pub struct HttpListener {
    accepting: Accepting<Box<dyn Listener>, HttpHandshake>,
    local: Address,
}

impl HttpListener {
    /// Binds `host_port` (e.g. `"127.0.0.1:0"`; port 0 picks a free port,
    /// reported by [`Listener::local_addr`] as `http://127.0.0.1:PORT`),
    /// serving at Go's default paths.
    pub async fn bind(host_port: &str) -> io::Result<Self> {
        Self::bind_with(host_port, HttpPaths::default()).await
    }

    /// Binds `host_port`, serving RPC and the status page at `paths`. The
    /// [local address](Listener::local_addr) names the RPC path, so that it
    /// can be dialed as it is.
    pub async fn bind_with(host_port: &str, paths: HttpPaths) -> io::Result<Self> {
        let inner = tcp::TcpListener::bind(host_port).await?;
        let local = Address::Http {
            host_port: inner.host_port().to_owned(),
            path: paths.rpc().to_owned(),
        };
        Ok(Self {
            accepting: accepting(Box::new(inner), Mode::Http, paths),
            local,
        })
    }

    /// Where it serves RPC and the status page.
    pub fn paths(&self) -> &HttpPaths {
        &self.accepting.handshake().site.paths
    }

    /// Sets how long each client has to send its request head and take the
    /// answer before it is disconnected (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`]). Applies to connections accepted
    /// from now on.
    pub fn set_handshake_timeout(&mut self, timeout: Duration) {
        self.accepting.set_timeout(timeout);
    }

    /// The current handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        self.accepting.timeout()
    }
}

impl fmt::Debug for HttpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpListener")
            .field("local", &self.local)
            .field("accepting", &self.accepting)
            .finish()
    }
}

impl Listener for HttpListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(self.accepting.accept())
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }

    fn set_status_page(&mut self, page: StatusPage) {
        self.accepting.handshake_mut().site.page = Some(page);
    }
}

/// Wraps `inner` so that HTTP clients and raw clients share its port, with
/// HTTP served at Go's default paths; see [`OptionalHttp`].
pub fn optional(inner: Box<dyn Listener>) -> Box<dyn Listener> {
    Box::new(OptionalHttp::new(inner))
}

/// As [`optional`], with HTTP served at `paths`.
pub fn optional_with(inner: Box<dyn Listener>, paths: HttpPaths) -> Box<dyn Listener> {
    Box::new(OptionalHttp::with_paths(inner, paths))
}

/// A listener wrapper that serves Go's HTTP handshake to connections
/// beginning `CONNECT ` or `GET ` and passes every other connection
/// through unchanged. Made by [`optional`]; see the [module
/// documentation](super#sharing-a-port-with-raw-connections) for how it
/// decides and its bounds.
///
/// Its [`local_addr`](Listener::local_addr) is the inner listener's.
/// Connections that completed a `CONNECT` have [`Peer::transport`]
/// `"http"`; others keep the inner listener's peer unchanged.
pub struct OptionalHttp {
    accepting: Accepting<Box<dyn Listener>, HttpHandshake>,
}

impl OptionalHttp {
    /// Wraps `inner`, serving HTTP at Go's default paths.
    pub fn new(inner: Box<dyn Listener>) -> Self {
        Self::with_paths(inner, HttpPaths::default())
    }

    /// Wraps `inner`, serving HTTP at `paths`.
    pub fn with_paths(inner: Box<dyn Listener>, paths: HttpPaths) -> Self {
        Self {
            accepting: accepting(inner, Mode::Sniff, paths),
        }
    }

    /// Where it serves RPC and the status page to HTTP clients.
    pub fn paths(&self) -> &HttpPaths {
        &self.accepting.handshake().site.paths
    }

    /// Sets the handshake timeout (default [`DEFAULT_HANDSHAKE_TIMEOUT`]),
    /// counted from a connection's first byte. Applies to connections
    /// accepted from now on.
    pub fn set_handshake_timeout(&mut self, timeout: Duration) {
        self.accepting.set_timeout(timeout);
    }

    /// The current handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        self.accepting.timeout()
    }
}

impl fmt::Debug for OptionalHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OptionalHttp")
            .field("accepting", &self.accepting)
            .finish()
    }
}

impl Listener for OptionalHttp {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(self.accepting.accept())
    }

    fn local_addr(&self) -> &Address {
        self.accepting.source().local_addr()
    }

    /// Serves `page` on `GET` of the debug path, and passes it on to the
    /// inner listener too.
    fn set_status_page(&mut self, page: StatusPage) {
        self.accepting.source_mut().set_status_page(page.clone());
        self.accepting.handshake_mut().site.page = Some(page);
    }
}

/// Every connection is HTTP, or only those that look like it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Http,
    Sniff,
}

/// The accept loop of both listeners.
fn accepting(
    inner: Box<dyn Listener>,
    mode: Mode,
    paths: HttpPaths,
) -> Accepting<Box<dyn Listener>, HttpHandshake> {
    let site = Site {
        paths: Arc::new(paths),
        page: None,
    };
    Accepting::new(inner, HttpHandshake { mode, site })
}

/// The server's side of the handshake: answer HTTP (in [`Mode::Sniff`],
/// only to connections that begin like it).
#[derive(Clone)]
struct HttpHandshake {
    mode: Mode,
    site: Site,
}

impl fmt::Debug for HttpHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpHandshake")
            .field("mode", &self.mode)
            .field("paths", &self.site.paths)
            .field("status_page", &self.site.page.is_some())
            .finish()
    }
}

impl Handshake for HttpHandshake {
    type Raw = Connection;
    /// The stream, its peer, and the bytes read so far.
    type Started = (BoxStream, Peer, Vec<u8>);
    const TRANSPORT: &'static str = "http";

    fn peer(conn: &Connection) -> String {
        conn.peer.addr.clone()
    }

    /// A sniffer waits, untimed, for the first bytes.
    fn waits(&self) -> bool {
        self.mode == Mode::Sniff
    }

    async fn start(&self, conn: Connection) -> Start<Self::Started> {
        let Connection { link, peer } = conn;
        // HTTP shares byte streams only; a multiplexed connection is not ours to sniff.
        let mut stream = match link {
            Link::Stream(stream) => stream,
            link @ Link::Multiplexed(_) => {
                return Start::Done(Some(Box::new(Connection { link, peer })));
            }
        };
        match self.mode {
            Mode::Http => Start::Handshake((stream, peer, Vec::new())),
            Mode::Sniff => match first_bytes(&mut stream, &peer).await {
                First::Maybe(first) => Start::Handshake((stream, peer, first)),
                First::Decided(outcome) => Start::Done(finish(outcome, stream, peer).map(Box::new)),
            },
        }
    }

    async fn run(
        self,
        (mut stream, peer, first): Self::Started,
        deadline: Instant,
    ) -> Option<Connection> {
        let outcome = match self.mode {
            Mode::Http => serve_http(&mut stream, first, &self.site, &peer, deadline).await,
            Mode::Sniff => decide(&mut stream, first, &self.site, &peer, deadline).await,
        };
        finish(outcome, stream, peer)
    }
}

/// The connection to yield, if any, after `outcome`.
fn finish(outcome: Outcome, stream: BoxStream, peer: Peer) -> Option<Connection> {
    match outcome {
        Outcome::Raw(replay) => Some(Connection::boxed(prefixed(stream, replay), peer)),
        Outcome::Connected(replay) => Some(Connection::boxed(
            prefixed(stream, replay),
            Peer {
                transport: "http",
                ..peer
            },
        )),
        Outcome::Closed => None,
    }
}
