//! The `mem://name` transport: in-process connections over
//! [`tokio::io::duplex`] pipes, for tests and for embedding a server and
//! its clients in one process.
//!
//! A process-wide registry maps names to listeners. Dialing an unknown name
//! is refused; listening on a name in use fails with `AddrInUse`; an empty
//! name is replaced by a fresh one (`mem-N`). Dropping the listener frees
//! the name and closes connections it had not yet accepted.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;

use crate::{Address, BoxFuture, Connection, Listener, Peer};

/// Bytes buffered in each direction of a mem connection.
const PIPE_CAPACITY: usize = 64 * 1024;

/// Registered listeners by name.
static REGISTRY: LazyLock<Mutex<HashMap<String, Entry>>> = LazyLock::new(Default::default);

/// Source of `mem-N` names for `mem://`.
static NEXT_AUTO_NAME: AtomicU64 = AtomicU64::new(1);

/// Source of listener identities, so a listener only unregisters itself.
static NEXT_LISTENER_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Debug)]
struct Entry {
    id: u64,
    /// Unbounded, so that dialing never waits on a listener that is not
    /// accepting.
    queue: mpsc::UnboundedSender<Connection>,
    /// Connections dialed so far.
    dialed: u64,
}

fn registry() -> MutexGuard<'static, HashMap<String, Entry>> {
    // No code panics while holding the lock, but a poisoned map is still
    // consistent: every update is a single insert or remove.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An in-process listener registered under a name.
#[derive(Debug)]
pub struct MemListener {
    id: u64,
    name: String,
    local: Address,
    queue: mpsc::UnboundedReceiver<Connection>,
}

impl MemListener {
    /// Registers a listener under `name`, or under a fresh `mem-N` name if
    /// `name` is empty.
    ///
    /// Fails with [`io::ErrorKind::AddrInUse`] if `name` is taken.
    pub fn bind(name: &str) -> io::Result<Self> {
        let id = NEXT_LISTENER_ID.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        let entry = Entry {
            id,
            queue: tx,
            dialed: 0,
        };
        let mut registry = registry();
        let name = if name.is_empty() {
            loop {
                let n = NEXT_AUTO_NAME.fetch_add(1, Ordering::Relaxed);
                let candidate = format!("mem-{n}");
                if !registry.contains_key(&candidate) {
                    break candidate;
                }
            }
        } else if registry.contains_key(name) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("listen mem://{name}: name already in use"),
            ));
        } else {
            name.to_owned()
        };
        registry.insert(name.clone(), entry);
        Ok(Self {
            id,
            local: Address::Mem(name.clone()),
            name,
            queue: rx,
        })
    }
}

impl Listener for MemListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(async move {
            // The registry holds the sender until this listener is dropped,
            // so the queue cannot close while we can still be called.
            self.queue.recv().await.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotConnected,
                    format!("mem://{}: listener closed", self.name),
                )
            })
        })
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }
}

impl Drop for MemListener {
    fn drop(&mut self) {
        let mut registry = registry();
        if registry.get(&self.name).is_some_and(|e| e.id == self.id) {
            registry.remove(&self.name);
        }
    }
}

/// Connects to the listener registered as `name`.
///
/// Fails with [`io::ErrorKind::ConnectionRefused`] if there is none. Never
/// waits for the listener to accept.
pub async fn dial(name: &str) -> io::Result<Connection> {
    connect(name)
}

fn connect(name: &str) -> io::Result<Connection> {
    let refused = || {
        io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("dial mem://{name}: no listener with that name"),
        )
    };
    let mut registry = registry();
    let entry = registry.get_mut(name).ok_or_else(refused)?;
    entry.dialed = entry.dialed.wrapping_add(1);
    let peer = Peer::new("mem", format!("mem://{name}#{}", entry.dialed));
    let (client, server) = tokio::io::duplex(PIPE_CAPACITY);
    entry
        .queue
        .send(Connection::new(server, peer.clone()))
        .map_err(|_| refused())?;
    Ok(Connection::new(client, peer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // The registry is process-wide and tests run in parallel: each test uses
    // its own names.

    #[tokio::test]
    async fn round_trip_both_ways() {
        let mut listener = MemListener::bind("test-round-trip").unwrap();
        assert_eq!(listener.local_addr().to_string(), "mem://test-round-trip");
        let mut client = dial("test-round-trip").await.unwrap();
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

        assert_eq!(client.peer.transport, "mem");
        assert_eq!(client.peer.addr, "mem://test-round-trip#1");
        assert_eq!(server.peer.addr, "mem://test-round-trip#1");
        assert!(server.peer.socket_addr.is_none() && server.peer.unix_cred.is_none());

        let _second = dial("test-round-trip").await.unwrap();
        let server2 = listener.accept().await.unwrap();
        assert_eq!(server2.peer.addr, "mem://test-round-trip#2");
    }

    #[tokio::test]
    async fn unknown_name_is_refused() {
        let err = dial("test-nobody-here").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert!(err.to_string().contains("mem://test-nobody-here"), "{err}");
        let err = dial("").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[tokio::test]
    async fn duplicate_name_is_addr_in_use() {
        let _first = MemListener::bind("test-duplicate").unwrap();
        let err = MemListener::bind("test-duplicate").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    }

    #[tokio::test]
    async fn auto_names_are_unique_and_dialable() {
        let mut a = MemListener::bind("").unwrap();
        let b = MemListener::bind("").unwrap();
        let (Address::Mem(name_a), Address::Mem(name_b)) =
            (a.local_addr().clone(), b.local_addr().clone())
        else {
            panic!("mem listeners report mem addresses");
        };
        assert!(name_a.starts_with("mem-"), "{name_a}");
        assert!(name_b.starts_with("mem-"), "{name_b}");
        assert_ne!(name_a, name_b);

        let _client = crate::dial(a.local_addr()).await.unwrap();
        let server = a.accept().await.unwrap();
        assert_eq!(server.peer.addr, format!("mem://{name_a}#1"));
    }

    #[tokio::test]
    async fn auto_name_skips_taken_names() {
        // Take the next auto name explicitly; the auto listener must get
        // another one. (Other tests may advance the counter meanwhile, which
        // only makes the collision less likely, never a failure.)
        let next = format!("mem-{}", NEXT_AUTO_NAME.load(Ordering::Relaxed));
        let _explicit = MemListener::bind(&next);
        let auto = MemListener::bind("").unwrap();
        assert_ne!(auto.local_addr(), &Address::Mem(next));
    }

    #[tokio::test]
    async fn name_is_freed_on_drop() {
        let listener = MemListener::bind("test-freed").unwrap();
        let pending = dial("test-freed").await.unwrap();
        drop(listener);

        let err = dial("test-freed").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);

        // A connection that was never accepted reads end-of-stream.
        let mut stream = pending.into_stream().await.unwrap();
        let mut buf = Vec::new();
        assert_eq!(stream.read_to_end(&mut buf).await.unwrap(), 0);

        let mut again = MemListener::bind("test-freed").unwrap();
        let _client = dial("test-freed").await.unwrap();
        let server = again.accept().await.unwrap();
        assert_eq!(server.peer.addr, "mem://test-freed#1");
    }

    #[tokio::test]
    async fn dialing_never_waits_for_accept() {
        let mut listener = MemListener::bind("test-backlog").unwrap();
        let mut clients = Vec::new();
        for _ in 0..1000 {
            clients.push(dial("test-backlog").await.unwrap());
        }
        for n in 1..=1000 {
            let server = listener.accept().await.unwrap();
            assert_eq!(server.peer.addr, format!("mem://test-backlog#{n}"));
        }
    }
}
