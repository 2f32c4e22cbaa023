//! The server: services registered by name, served over any listener and codec.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use netrpc::{Json, Server, service};
//!
//! struct HelloService;
//! service! {
//!     impl HelloService {
//!         #[rpc("Hello")]
//!         async fn hello(&self, request: String) -> Result<String, String> {
//!             Ok(format!("hello:{request}"))
//!         }
//!     }
//! }
//!
//! let server = Server::builder().register(HelloService).build();
//! let listener = netrpc::transport::listen(&"tcp://127.0.0.1:1234".parse().unwrap()).await?;
//! server.serve(listener, Json).await;
//! # Ok(()) }
//! ```

mod conn;
mod context;
mod go_names;
pub mod layer;
pub mod service;
pub(crate) mod status;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use std::time::{Duration, Instant};

use rpc_proto::{Codec, Limits};
use rpc_transport::{Connection, Listener};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use context::{ConnContext, Extensions};
use service::Service;
use status::Stats;
pub use status::{MethodStatus, ServiceStatus};

/// A service as a connection sees it, with the server-wide call counts of its methods.
#[derive(Clone)]
struct Registered {
    service: Arc<dyn Service>,
    stats: Arc<Stats>,
}

/// The services one connection sees, by name.
type Services = HashMap<String, Registered>;

type Factory = Arc<dyn Fn(&ConnContext) -> Arc<dyn Service> + Send + Sync>;

/// A service built for each connection; its call counts are shared by all connections and exist
/// once the first connection built it.
struct PerConnection {
    name: String,
    factory: Factory,
    stats: OnceLock<Arc<Stats>>,
}

/// Serves registered services over any number of listeners and connections. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

/// How long a connection may take for each thing before it is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// From accept to the first whole message.
    pub(crate) handshake: Option<Duration>,
    /// No call running and no byte received.
    pub(crate) idle: Option<Duration>,
    /// One batch of replies written to the peer.
    pub(crate) write: Option<Duration>,
}

impl Timeouts {
    /// When a connection (or a stream of one) opened at `opened` times out: the handshake
    /// timeout while `waiting_first` (no message yet), and the idle timeout from `idle_since`
    /// while nothing runs; `None` when neither applies.
    pub(crate) fn deadline(
        &self,
        waiting_first: bool,
        opened: tokio::time::Instant,
        idle_since: Option<tokio::time::Instant>,
    ) -> Option<tokio::time::Instant> {
        let handshake = self.handshake.filter(|_| waiting_first).map(|t| opened + t);
        let idle = self.idle.zip(idle_since).map(|(t, since)| since + t);
        match (handshake, idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Open connections, in total and per peer IP address.
#[derive(Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// A place among the open connections, given back when dropped.
pub(crate) struct Admitted {
    server: Arc<Inner>,
    ip: Option<IpAddr>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.server.lock_open();
        open.total = open.total.saturating_sub(1);
        if let Some(ip) = self.ip {
            if let Some(n) = open.per_ip.get_mut(&ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.per_ip.remove(&ip);
                }
            }
        }
    }
}

pub(crate) struct Inner {
    /// Services shared by every connection.
    shared: Arc<Services>,
    /// Services built for each connection.
    per_connection: Vec<PerConnection>,
    limits: Limits,
    max_in_flight: usize,
    pub(crate) timeouts: Timeouts,
    max_connections: Option<usize>,
    max_connections_per_peer: Option<usize>,
    open: Mutex<Open>,
    shutdown: CancellationToken,
    deadline: OnceLock<Instant>,
    connections: TaskTracker,
    next_conn: AtomicU64,
}

impl Inner {
    fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    fn services_for(&self, ctx: &ConnContext) -> Arc<Services> {
        if self.per_connection.is_empty() {
            return self.shared.clone();
        }
        let mut services = Services::clone(&self.shared);
        for entry in &self.per_connection {
            let service = (entry.factory)(ctx);
            let stats = entry
                .stats
                .get_or_init(|| Arc::new(Stats::new(service.methods())))
                .clone();
            services.insert(entry.name.clone(), Registered { service, stats });
        }
        Arc::new(services)
    }

    fn shutdown_deadline(&self) -> Instant {
        *self.deadline.get_or_init(Instant::now)
    }

    fn lock_open(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A place for a new connection from `peer`, or why there is none.
    fn admit(self: &Arc<Self>, peer: &rpc_transport::Peer) -> Result<Admitted, String> {
        let ip = peer.socket_addr.map(|addr| addr.ip());
        let mut open = self.lock_open();
        if let Some(max) = self.max_connections {
            if open.total >= max {
                return Err(format!("{} connections open, the limit", open.total));
            }
        }
        if let (Some(max), Some(ip)) = (self.max_connections_per_peer, ip) {
            let from_peer = open.per_ip.get(&ip).copied().unwrap_or(0);
            if from_peer >= max {
                return Err(format!("{from_peer} connections open from {ip}, the limit"));
            }
        }
        open.total += 1;
        if let Some(ip) = ip {
            *open.per_ip.entry(ip).or_insert(0) += 1;
        }
        Ok(Admitted {
            server: self.clone(),
            ip,
        })
    }
}

/// Registers services and sets limits for a [`Server`].
pub struct ServerBuilder {
    shared: Services,
    per_connection: Vec<PerConnection>,
    limits: Limits,
    max_in_flight: usize,
    timeouts: Timeouts,
    max_connections: Option<usize>,
    max_connections_per_peer: Option<usize>,
}

/// The default time from accept to a connection's first whole message.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default time one batch of replies may take to write before the peer counts as not
/// reading.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The default bound on calls running at once on one connection.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 100_000;

impl ServerBuilder {
    /// Registers `service` under its own name (the type's name), like Go's `rpc.Register`.
    pub fn register(self, service: impl Service) -> Self {
        let name = service.name();
        self.register_name(name, service)
    }

    /// Registers `service` under `name`, like Go's `rpc.RegisterName`. A later registration
    /// under the same name replaces the earlier one.
    pub fn register_name(mut self, name: impl Into<String>, service: impl Service) -> Self {
        let name = name.into();
        self.per_connection.retain(|entry| entry.name != name);
        let stats = Arc::new(Stats::new(service.methods()));
        let service = Arc::new(service);
        self.shared.insert(name, Registered { service, stats });
        self
    }

    /// Registers a service built anew for every connection from its [`ConnContext`] (seed
    /// 4.3.4), so it can keep per-connection state such as a login.
    pub fn register_per_connection<S, F>(mut self, name: impl Into<String>, factory: F) -> Self
    where
        S: Service,
        F: Fn(&ConnContext) -> S + Send + Sync + 'static,
    {
        let name = name.into();
        self.shared.remove(&name);
        self.per_connection.retain(|entry| entry.name != name);
        self.per_connection.push(PerConnection {
            name,
            factory: Arc::new(move |ctx| Arc::new(factory(ctx)) as Arc<dyn Service>),
            stats: OnceLock::new(),
        });
        self
    }

    /// Limits applied to requests (default: [`Limits::DEFAULT`], 16 MiB messages).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The most calls running at once on one connection (default
    /// [`DEFAULT_MAX_IN_FLIGHT`]); past it the server stops reading that connection until one
    /// finishes.
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max.max(1);
        self
    }

    /// How long an accepted connection may take to send its first whole message (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`]; `None`: no limit). Links given to
    /// [`Server::serve_connection`] (reverse RPC) are not held to it.
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeouts.handshake = timeout;
        self
    }

    /// How long a connection may have no call running and receive no byte before it is closed
    /// (default `None`: idle connections stay open, as in Go; a peer that trickles a message
    /// more slowly than this is closed too).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeouts.idle = timeout;
        self
    }

    /// How long writing one batch of replies may take before the peer counts as not reading and
    /// the connection is closed (default [`DEFAULT_WRITE_TIMEOUT`]). Meanwhile handlers wait
    /// once 1 MiB of replies is queued, so memory stays bounded.
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeouts.write = timeout;
        self
    }

    /// The most connections open at once (default `None`: no limit); a connection past it is
    /// closed at once, with a warning logged.
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.max_connections = max;
        self
    }

    /// The most connections open at once from one IP address (default `None`: no limit).
    pub fn max_connections_per_peer(mut self, max: Option<usize>) -> Self {
        self.max_connections_per_peer = max;
        self
    }

    /// The server.
    pub fn build(self) -> Server {
        Server {
            inner: Arc::new(Inner {
                shared: Arc::new(self.shared),
                per_connection: self.per_connection,
                limits: self.limits,
                max_in_flight: self.max_in_flight,
                timeouts: self.timeouts,
                max_connections: self.max_connections,
                max_connections_per_peer: self.max_connections_per_peer,
                open: Mutex::new(Open::default()),
                shutdown: CancellationToken::new(),
                deadline: OnceLock::new(),
                connections: TaskTracker::new(),
                next_conn: AtomicU64::new(1),
            }),
        }
    }
}

impl Server {
    /// Starts registering services.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            shared: Services::new(),
            per_connection: Vec::new(),
            limits: Limits::DEFAULT,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            timeouts: Timeouts {
                handshake: Some(DEFAULT_HANDSHAKE_TIMEOUT),
                idle: None,
                write: Some(DEFAULT_WRITE_TIMEOUT),
            },
            max_connections: None,
            max_connections_per_peer: None,
        }
    }

    /// The registered services with their methods and call counts, sorted by name (methods
    /// too), as Go's `/debug/rpc` page lists them. A per-connection service's methods are known
    /// once a connection has built it.
    pub fn status(&self) -> Vec<ServiceStatus> {
        let shared = self
            .inner
            .shared
            .iter()
            .map(|(name, registered)| registered.stats.status(name));
        let per_connection =
            self.inner
                .per_connection
                .iter()
                .map(|entry| match entry.stats.get() {
                    Some(stats) => stats.status(&entry.name),
                    None => ServiceStatus {
                        name: entry.name.clone(),
                        methods: Vec::new(),
                    },
                });
        let mut out: Vec<ServiceStatus> = shared.chain(per_connection).collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The `/debug/rpc` page: [`status`](Self::status) as HTML in the layout of Go's.
    pub fn status_page(&self) -> String {
        status::render(&self.status())
    }

    /// Accepts connections from `listener` and serves each with `codec` until
    /// [`shutdown`](Self::shutdown) begins. An accept error (a failed handshake, too many open
    /// files) is logged and the loop goes on, backing off while errors repeat.
    ///
    /// A listener that can show a status page (`http://` answers `GET /debug/rpc`) shows
    /// [`status_page`](Self::status_page).
    pub async fn serve(&self, mut listener: Box<dyn Listener>, codec: impl Codec) {
        let codec: Arc<dyn Codec> = Arc::new(codec);
        let server = self.clone();
        listener.set_status_page(Arc::new(move || server.status_page()));
        let mut backoff = Duration::ZERO;
        tracing::info!(addr = %listener.local_addr(), codec = codec.name(), "serving");
        loop {
            tokio::select! {
                biased;
                _ = self.inner.shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(connection) => {
                        backoff = Duration::ZERO;
                        match self.inner.admit(&connection.peer) {
                            Ok(admitted) => {
                                self.inner.connections.spawn(conn::serve(
                                    self.inner.clone(),
                                    connection,
                                    codec.clone(),
                                    Some(admitted),
                                ));
                            }
                            Err(why) => {
                                tracing::warn!(peer = %connection.peer.addr, "refusing connection: {why}");
                            }
                        }
                    }
                    Err(err) => {
                        backoff = (backoff * 2).clamp(Duration::from_millis(5), Duration::from_secs(1));
                        tracing::warn!(error = %err, retry_in = ?backoff, "accept failed");
                        tokio::select! {
                            _ = self.inner.shutdown.cancelled() => break,
                            _ = tokio::time::sleep(backoff) => {}
                        }
                    }
                },
            }
        }
    }

    /// Serves one established connection until it ends (Go's `ServeConn`); used for reverse
    /// RPC, where the serving side dialed out.
    pub async fn serve_connection(&self, connection: Connection, codec: Arc<dyn Codec>) {
        self.inner
            .connections
            .track_future(conn::serve(self.inner.clone(), connection, codec, None))
            .await
    }

    /// Shuts down gracefully: stops accepting and reading new requests, lets running calls
    /// finish for up to `grace`, cancels the rest, flushes replies and closes every connection.
    /// Resolves when all connections are closed: within `grace` plus one second (for writing the
    /// last replies) even when peers do not read.
    pub async fn shutdown(&self, grace: Duration) {
        let _ = self.inner.deadline.set(Instant::now() + grace);
        self.inner.shutdown.cancel();
        self.inner.connections.close();
        self.inner.connections.wait().await;
    }

    /// True once shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }

    /// Resolves when shutdown begins.
    pub async fn shutdown_started(&self) {
        self.inner.shutdown.cancelled().await
    }

    /// Number of connections being served.
    pub fn connections(&self) -> usize {
        self.inner.connections.len()
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("services", &self.status())
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}
