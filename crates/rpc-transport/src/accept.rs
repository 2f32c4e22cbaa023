//! The accept loop every handshaking listener shares (`tls`, `http`,
//! `quic`): take raw connections from a [`Source`], run each one's
//! [`Handshake`] in a task of its own within the handshake timeout, and
//! yield the connections whose handshakes succeeded.
//!
//! What every such listener promises, written once here:
//!
//! - a slow or failing client never delays [`Accepting::accept`] for
//!   others: handshakes run in their own tasks;
//! - a handshake gets the listener's handshake timeout
//!   ([`DEFAULT_HANDSHAKE_TIMEOUT`] unless set), counted from when the
//!   handshake [starts](Handshake::start); one that outlasts it is closed
//!   (logged at `debug`). Failures are logged by the handshake and never
//!   reach `accept`'s caller;
//! - at most [`MAX_PENDING_HANDSHAKES`] handshakes run at once: past
//!   that, one connection is held and nothing more is taken from the
//!   source until one ends, so the kernel's backlog pushes back as it
//!   would on a plain listener. A connection waiting, untimed, for its
//!   peer to begin (an `http` sniffer's idle raw client) does not count;
//!   once it begins it waits for its place before its timeout starts;
//! - raw connections are taken from the source only while someone waits
//!   in `accept`, and the loop is cancel safe (a raw connection is either
//!   handed to a task in the poll that took it, or not taken; a finished
//!   handshake is returned in the poll that collected it);
//! - dropping the listener abandons the handshakes in progress (their
//!   connections are closed); an error from the source is returned as it
//!   is (per connection, or the source's closing).
//!
//! [`linger`] is the shared way to close a connection that is refused with
//! an answer (a TLS alert, an HTTP error page), so that the answer is read.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

use crate::Connection;

/// How long a handshake may take, on either side, unless set otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The most handshakes a listener runs at once (once started; an `http`
/// connection waiting for its first byte does not count).
pub(crate) const MAX_PENDING_HANDSHAKES: usize = 1024;

/// After refusing a connection with an answer, how long to keep reading
/// (and discarding) what the client still sends, so that closing with
/// unread data does not reset the connection before the client has read
/// the answer. Also bounded by the handshake's deadline.
pub(crate) const LINGER: Duration = Duration::from_millis(500);

/// The most bytes discarded while lingering.
pub(crate) const LINGER_BYTES: usize = 64 * 1024;

/// Where a listener's raw connections come from (a TCP socket, an inner
/// listener, a QUIC endpoint).
pub(crate) trait Source: Send + 'static {
    /// One raw connection, before its handshake.
    type Raw: Send + 'static;

    /// Waits for the next raw connection. Must be cancel safe. An error is
    /// returned to `accept`'s caller as it is.
    fn next(&mut self) -> impl Future<Output = io::Result<Self::Raw>> + Send + '_;
}

/// How a handshake's untimed first step ended.
pub(crate) enum Start<T> {
    /// The peer has begun: run the timed handshake on this.
    Handshake(T),
    /// Decided without a handshake: yield this connection, or (`None`)
    /// close it.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    Done(Option<Box<Connection>>),
}

/// One transport's server-side handshake. Cloned for each connection
/// (cheaply: settings changed on the listener apply to connections
/// accepted afterwards).
pub(crate) trait Handshake: Clone + Send + Sync + 'static {
    /// What the [`Source`] yields.
    type Raw: Send + 'static;
    /// What the timed handshake works on.
    type Started: Send + 'static;

    /// The transport's name, for logs (`"tls"`).
    const TRANSPORT: &'static str;

    /// Whether [`start`](Self::start) may wait for the peer (then the
    /// connection gives up its place under the bound while it waits).
    fn waits(&self) -> bool {
        false
    }

    /// The peer's address, for logs.
    fn peer(raw: &Self::Raw) -> String;

    /// Waits, with no time limit, until the peer has begun its handshake
    /// (most transports: at once).
    fn start(&self, raw: Self::Raw) -> impl Future<Output = Start<Self::Started>> + Send;

    /// Runs the handshake; `Some` if the connection is to be yielded. The
    /// accept loop drops it at `deadline` (so lingering must end by then).
    fn run(
        self,
        started: Self::Started,
        deadline: Instant,
    ) -> impl Future<Output = Option<Connection>> + Send;
}

/// A listener's accept loop: `source`'s raw connections, each through
/// `handshake` in a task of its own.
pub(crate) struct Accepting<S: Source, H> {
    source: S,
    handshake: H,
    timeout: Duration,
    /// Places for running handshakes.
    places: Arc<Semaphore>,
    /// A raw connection taken from the source, waiting for a place.
    held: Option<S::Raw>,
    /// The handshakes in progress (boxed: a connection is large).
    pending: JoinSet<Option<Box<Connection>>>,
}

/// What woke the accept loop.
enum Event<R> {
    Accepted(R, Option<OwnedSemaphorePermit>),
    Failed(io::Error),
    Handshaken(Result<Option<Box<Connection>>, JoinError>),
}

impl<S, H> Accepting<S, H>
where
    S: Source,
    H: Handshake<Raw = S::Raw>,
{
    /// A loop over `source` with the default timeout and bound.
    pub(crate) fn new(source: S, handshake: H) -> Self {
        Self {
            source,
            handshake,
            timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            places: Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES)),
            held: None,
            pending: JoinSet::new(),
        }
    }

    /// Sets the handshake timeout, for connections accepted from now on.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the most handshakes run at once.
    #[cfg(test)]
    fn with_max_pending(mut self, max_pending: usize) -> Self {
        self.places = Arc::new(Semaphore::new(max_pending));
        self
    }

    /// Where raw connections come from.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn source(&self) -> &S {
        &self.source
    }

    /// The source, to change.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// The handshake's settings.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn handshake(&self) -> &H {
        &self.handshake
    }

    /// The handshake's settings, to change for connections accepted from
    /// now on.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn handshake_mut(&mut self) -> &mut H {
        &mut self.handshake
    }

    /// The handshake timeout.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sets the handshake timeout, for connections accepted from now on.
    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Accepts and starts handshakes until one yields a connection.
    ///
    /// Cancel safe: see the [module documentation](self).
    pub(crate) async fn accept(&mut self) -> io::Result<Connection> {
        loop {
            match self.next_event().await {
                Event::Accepted(raw, place) => self.spawn(raw, place),
                Event::Failed(err) => return Err(err),
                Event::Handshaken(Ok(Some(conn))) => return Ok(*conn),
                Event::Handshaken(Ok(None)) => {}
                Event::Handshaken(Err(err)) => {
                    tracing::warn!(error = %err, "{} handshake task failed", H::TRANSPORT);
                }
            }
        }
    }

    /// Starts `raw`'s handshake in a task of its own.
    fn spawn(&mut self, raw: S::Raw, mut place: Option<OwnedSemaphorePermit>) {
        let handshake = self.handshake.clone();
        let timeout = self.timeout;
        let places = self.places.clone();
        self.pending.spawn(async move {
            let peer = H::peer(&raw);
            if handshake.waits() {
                place = None;
            }
            let raw = match handshake.start(raw).await {
                Start::Handshake(raw) => raw,
                Start::Done(conn) => return conn,
            };
            if place.is_none() {
                // The semaphore is never closed.
                place = places.acquire_owned().await.ok();
            }
            let _place = place;
            let deadline = Instant::now() + timeout;
            match tokio::time::timeout_at(deadline, handshake.run(raw, deadline)).await {
                Ok(conn) => conn.map(Box::new),
                Err(_) => {
                    tracing::debug!(
                        peer = %peer,
                        ?timeout,
                        "{} handshake timed out; closing the connection",
                        H::TRANSPORT
                    );
                    None
                }
            }
        });
    }

    /// Waits for a finished handshake or a new raw connection with a place
    /// for its handshake, preferring the former. A raw connection taken
    /// while every place is in use is held (in `self`, so nothing is lost
    /// on cancel) until one frees.
    async fn next_event(&mut self) -> Event<S::Raw> {
        let Self {
            source,
            pending,
            places,
            held,
            ..
        } = self;
        let mut next = std::pin::pin!(source.next());
        let mut acquire = std::pin::pin!(places.clone().acquire_owned());
        poll_fn(|cx| {
            if let Poll::Ready(Some(done)) = pending.poll_join_next(cx) {
                return Poll::Ready(Event::Handshaken(done));
            }
            if held.is_none() {
                match next.as_mut().poll(cx) {
                    Poll::Ready(Ok(raw)) => *held = Some(raw),
                    Poll::Ready(Err(err)) => return Poll::Ready(Event::Failed(err)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            let place = std::task::ready!(acquire.as_mut().poll(cx));
            match held.take() {
                // The semaphore is never closed.
                Some(raw) => Poll::Ready(Event::Accepted(raw, place.ok())),
                None => Poll::Pending,
            }
        })
        .await
    }
}

impl<S: Source, H: fmt::Debug> fmt::Debug for Accepting<S, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accepting")
            .field("handshake", &self.handshake)
            .field("timeout", &self.timeout)
            .field("free_places", &self.places.available_permits())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

/// Closes our side of a refused connection (its answer, if any, already
/// written) and discards what the client still sends, for at most
/// [`LINGER`] (and not past `deadline`) and [`LINGER_BYTES`], so that
/// closing with unread data does not reset the connection before the
/// client has read the answer.
pub(crate) async fn linger<S: AsyncRead + AsyncWrite + Unpin + ?Sized>(
    stream: &mut S,
    deadline: Instant,
) {
    let until = deadline.min(Instant::now() + LINGER);
    let drain = async {
        if stream.shutdown().await.is_err() {
            return;
        }
        let mut sink = [0u8; 1024];
        let mut total = 0;
        while total < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout_at(until, drain).await;
}

/// Runs a dialing side's handshake within `timeout`, wording its failure
/// as `{transport} handshake failed: ...` or `{transport} handshake timed
/// out after ...` ([`TimedOut`](io::ErrorKind::TimedOut)).
#[cfg(feature = "tls")]
pub(crate) async fn dial_handshake<T>(
    transport: &str,
    timeout: Duration,
    handshake: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match tokio::time::timeout(timeout, handshake).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(err)) => Err(io::Error::new(
            err.kind(),
            format!("{transport} handshake failed: {err}"),
        )),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{transport} handshake timed out after {timeout:?}"),
        )),
    }
}

#[cfg(feature = "tcp")]
impl Source for crate::tcp::TcpListener {
    type Raw = (tokio::net::TcpStream, std::net::SocketAddr);

    fn next(&mut self) -> impl Future<Output = io::Result<Self::Raw>> + Send + '_ {
        self.accept_stream()
    }
}

/// An inner listener's connections (for listeners that wrap another).
#[cfg(feature = "http")]
impl Source for Box<dyn crate::Listener> {
    type Raw = Connection;

    fn next(&mut self) -> impl Future<Output = io::Result<Connection>> + Send + '_ {
        self.accept()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Peer;
    use tokio::sync::{mpsc, oneshot};

    /// Raw connections fed by the test.
    struct Fed(mpsc::UnboundedReceiver<Raw>);

    /// A raw connection whose handshake ends when the test says.
    struct Raw {
        name: &'static str,
        /// `Some(true)`: yield it; `Some(false)`: refuse it; dropped: stall
        /// until the deadline.
        outcome: oneshot::Receiver<bool>,
        /// If set, the untimed start waits for it.
        begun: Option<oneshot::Receiver<()>>,
    }

    impl Source for Fed {
        type Raw = Raw;

        async fn next(&mut self) -> io::Result<Raw> {
            self.0
                .recv()
                .await
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "fed source closed"))
        }
    }

    /// Whether `start` waits for the peer.
    #[derive(Clone, Debug)]
    struct Test(bool);

    impl Handshake for Test {
        type Raw = Raw;
        type Started = Raw;
        const TRANSPORT: &'static str = "test";

        fn peer(raw: &Raw) -> String {
            raw.name.to_owned()
        }

        fn waits(&self) -> bool {
            self.0
        }

        async fn start(&self, mut raw: Raw) -> Start<Raw> {
            if let Some(begun) = raw.begun.take() {
                if begun.await.is_err() {
                    return Start::Done(None);
                }
            }
            Start::Handshake(raw)
        }

        async fn run(self, raw: Raw, _deadline: Instant) -> Option<Connection> {
            match raw.outcome.await {
                Ok(true) => {
                    let (stream, _) = tokio::io::duplex(1);
                    Some(Connection::new(stream, Peer::new("test", raw.name)))
                }
                Ok(false) => None,
                Err(_) => std::future::pending().await,
            }
        }
    }

    fn feed(tx: &mpsc::UnboundedSender<Raw>, name: &'static str) -> oneshot::Sender<bool> {
        let (done, outcome) = oneshot::channel();
        tx.send(Raw {
            name,
            outcome,
            begun: None,
        })
        .unwrap();
        done
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_handshake_holds_up_no_other_and_times_out() {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut loop_ = Accepting::new(Fed(rx), Test(false)).with_timeout(Duration::from_secs(5));
        let _stalled = feed(&tx, "stalled");
        let refused = feed(&tx, "refused");
        let good = feed(&tx, "good");
        refused.send(false).unwrap();
        good.send(true).unwrap();
        let conn = loop_.accept().await.unwrap();
        assert_eq!(conn.peer.addr, "good");
        assert_eq!(loop_.pending.len(), 1);

        // The stalled one is closed at the deadline, not yielded.
        let started = Instant::now();
        let late = feed(&tx, "late");
        drop(late); // Stalls too.
        let waiting = tokio::time::timeout(Duration::from_secs(60), loop_.accept()).await;
        assert!(waiting.is_err(), "nothing should be yielded");
        assert!(started.elapsed() >= Duration::from_secs(5));
        assert_eq!(loop_.pending.len(), 0);
        assert_eq!(loop_.places.available_permits(), MAX_PENDING_HANDSHAKES);
    }

    #[tokio::test(start_paused = true)]
    async fn the_bound_stops_taking_connections_until_one_ends() {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut loop_ = Accepting::new(Fed(rx), Test(false)).with_max_pending(1);
        let first = feed(&tx, "first");
        let second = feed(&tx, "second");
        second.send(true).unwrap();
        let third = feed(&tx, "third");
        third.send(true).unwrap();
        // "first" runs and fills the bound, so "second" waits, held, and
        // "third" stays in the source.
        let waiting = tokio::time::timeout(Duration::from_secs(1), loop_.accept()).await;
        assert!(waiting.is_err());
        assert_eq!(loop_.pending.len(), 1);
        assert!(loop_.held.is_some(), "second was not taken");
        assert_eq!(loop_.source.0.len(), 1, "third was taken past the bound");

        first.send(false).unwrap();
        let conn = loop_.accept().await.unwrap();
        assert_eq!(conn.peer.addr, "second");
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_waiting_to_begin_holds_no_place() {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut loop_ = Accepting::new(Fed(rx), Test(true)).with_max_pending(1);
        let (_idle_done, outcome) = oneshot::channel();
        let (_idle_begins, begun) = oneshot::channel();
        tx.send(Raw {
            name: "idle",
            outcome,
            begun: Some(begun),
        })
        .unwrap();
        feed(&tx, "good").send(true).unwrap();
        let conn = tokio::time::timeout(Duration::from_secs(60), loop_.accept())
            .await
            .expect("an idle connection held the only place")
            .unwrap();
        assert_eq!(conn.peer.addr, "good");
        assert_eq!(loop_.pending.len(), 1);
        assert_eq!(loop_.places.available_permits(), 1);
    }

    #[tokio::test]
    async fn a_source_error_is_returned_and_the_loop_goes_on() {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut loop_ = Accepting::new(Fed(rx), Test(false));
        feed(&tx, "good").send(true).unwrap();
        assert_eq!(loop_.accept().await.unwrap().peer.addr, "good");
        drop(tx);
        let err = loop_.accept().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotConnected);
    }

    #[tokio::test(start_paused = true)]
    async fn linger_ends_by_the_deadline() {
        let (mut ours, _theirs) = tokio::io::duplex(64);
        let started = Instant::now();
        linger(&mut ours, started + Duration::from_millis(100)).await;
        assert_eq!(started.elapsed(), Duration::from_millis(100));
        let (mut ours, theirs) = tokio::io::duplex(64);
        drop(theirs);
        linger(&mut ours, started + Duration::from_secs(60)).await;
    }

    #[cfg(feature = "tls")]
    #[tokio::test(start_paused = true)]
    async fn dial_handshake_words_failures() {
        let err = dial_handshake("x", Duration::from_secs(1), async {
            Err::<(), _>(io::Error::new(io::ErrorKind::InvalidData, "bad"))
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(err.to_string(), "x handshake failed: bad");
        let err = dial_handshake(
            "x",
            Duration::from_secs(1),
            std::future::pending::<io::Result<()>>(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(err.to_string(), "x handshake timed out after 1s");
    }
}
