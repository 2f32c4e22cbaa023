//! What a server knows about one connection: who the peer is and room for session state.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use rpc_transport::Peer;

/// One connection as a service sees it (seed 4.3.4: the `conn` a per-connection service keeps).
///
/// Cheap to clone. Every call receives it ([`Service::call`](crate::Service::call); a
/// [`service!`](crate::service!) method asks for it with a `ctx: &ConnContext` parameter), and a
/// per-connection service receives it in its factory; its [`state`](Self::state) holds session
/// data (a login, say) that lives exactly as long as the connection.
#[derive(Clone)]
pub struct ConnContext {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    peer: Peer,
    codec: &'static str,
    state: Extensions,
}

impl ConnContext {
    /// A connection numbered `id` from `peer`, speaking the codec named `codec`, with empty
    /// state. The server makes one for each connection it serves; make one yourself to call a
    /// [`Service`](crate::Service) in-process or in a test (`id` is then yours to choose).
    ///
    /// ```
    /// use netrpc::ConnContext;
    /// use netrpc::transport::Peer;
    ///
    /// let ctx = ConnContext::new(7, Peer::new("mem", "mem://test#1"), "json");
    /// assert_eq!((ctx.id(), ctx.remote_addr(), ctx.codec()), (7, "mem://test#1", "json"));
    /// ```
    pub fn new(id: u64, peer: Peer, codec: &'static str) -> Self {
        Self {
            inner: Arc::new(Inner {
                id,
                peer,
                codec,
                state: Extensions::default(),
            }),
        }
    }

    /// A number unique to this connection within its server.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The peer's identity as the transport reports it.
    pub fn peer(&self) -> &Peer {
        &self.inner.peer
    }

    /// The peer's address as Go's `conn.RemoteAddr().String()` would give it.
    pub fn remote_addr(&self) -> &str {
        &self.inner.peer.addr
    }

    /// The transport's name: `"tcp"`, `"unix"`, `"mem"`.
    pub fn transport(&self) -> &'static str {
        self.inner.peer.transport
    }

    /// The codec's name: `"json"`, `"postcard"`.
    pub fn codec(&self) -> &'static str {
        self.inner.codec
    }

    /// Session state of this connection, dropped when the connection ends.
    pub fn state(&self) -> &Extensions {
        &self.inner.state
    }
}

impl fmt::Debug for ConnContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnContext")
            .field("id", &self.inner.id)
            .field("peer", &self.inner.peer.addr)
            .field("transport", &self.inner.peer.transport)
            .field("codec", &self.inner.codec)
            .finish()
    }
}

/// A map from type to one value of that type, shared by the tasks of a connection.
#[derive(Default)]
pub struct Extensions {
    map: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl Extensions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TypeId, Box<dyn Any + Send + Sync>>> {
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores `value`, returning the previous value of its type.
    pub fn insert<T: Any + Send + Sync>(&self, value: T) -> Option<T> {
        self.lock()
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|old| *old))
    }

    /// A copy of the stored value of type `T`.
    pub fn get<T: Any + Send + Sync + Clone>(&self) -> Option<T> {
        self.lock()
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref::<T>().cloned())
    }

    /// A copy of the stored value of type `T`, storing `make()` first if there is none: two
    /// tasks racing on a fresh connection get the same value. `make` runs under these
    /// extensions' lock, so it must not use them.
    pub fn get_or_insert_with<T: Any + Send + Sync + Clone>(&self, make: impl FnOnce() -> T) -> T {
        let mut map = self.lock();
        let key = TypeId::of::<T>();
        if let Some(value) = map.get(&key).and_then(|value| value.downcast_ref::<T>()) {
            return value.clone();
        }
        let value = make();
        map.insert(key, Box::new(value.clone()));
        value
    }

    /// Removes and returns the stored value of type `T`.
    pub fn remove<T: Any + Send + Sync>(&self) -> Option<T> {
        self.lock()
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast().ok().map(|old| *old))
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.lock().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_store_one_value_per_type() {
        let ext = Extensions::default();
        assert_eq!(ext.insert(7u32), None);
        assert_eq!(ext.insert(8u32), Some(7));
        ext.insert(String::from("user"));
        assert_eq!(ext.get::<u32>(), Some(8));
        assert_eq!(ext.remove::<String>().as_deref(), Some("user"));
        assert_eq!(ext.get::<String>(), None);
        assert_eq!(ext.get_or_insert_with(|| 1u64), 1);
        assert_eq!(ext.get_or_insert_with(|| 2u64), 1);
    }
}
