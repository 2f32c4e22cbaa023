//! `KVStoreService` (seed 4.3.2): an in-memory key-value store whose `Watch` waits for a change.
//!
//! The seed's methods keep their names, signatures and error texts:
//!
//! - `Get(key string) string`, the error `not found` for a missing key;
//! - `Set([2]string{key, value}) struct{}`; a change (the first set of a key included) wakes
//!   watchers, setting a key to its current value is not a change;
//! - `Watch(timeoutSeconds int) string`: the first key changed after the call, or the error
//!   `timeout`.
//!
//! The seed's leaks are fixed: a watcher is removed on every return path, including when its
//! call is cancelled because its connection closed; `Set` only hands the key to each watcher's
//! one-shot channel and never waits on one; watchers cost no task and no timer beyond their
//! call's own.
//!
//! Beyond the seed, a watch that misses nothing, the way etcd's does: every change gets a
//! revision, the store keeps the recent history, and
//!
//! - `Revision(struct{}) uint64` is the current revision;
//! - `WatchFrom(WatchFromArgs{Revision, Prefix, TimeoutSeconds}) WatchFromReply{Revision, Changes}`
//!   returns the changes after `Revision` whose key starts with `Prefix`, waiting up to
//!   `TimeoutSeconds` for the first one. Resuming from the reply's `Revision` never skips or
//!   repeats a change. When the history no longer reaches back to `Revision` the call fails with
//!   `compacted: ...` rather than silently skipping changes.
//!
//! The store is the in-memory [`KvStore`] by default; any [`KvBackend`] can be served instead
//! ([`KvStoreServiceBuilder::backend`]), such as the etcd store of `netrpc-etcd` (feature
//! `etcd`, on by default), which several servers share.
//!
//! One connection may have at most [`DEFAULT_MAX_WATCHES_PER_CONN`] `Watch` and `WatchFrom`
//! calls waiting at once (set with [`KvStoreServiceBuilder::max_watches_per_conn`]); past it a
//! watch is answered at once with the error `too many pending watches on this connection (the
//! limit is N)`. A watch with a timeout of 0 does not wait and is not counted.

mod backend;
#[cfg(feature = "etcd")]
mod etcd;
mod limit;
mod store;

use std::sync::Arc;
use std::time::Duration;

use netrpc::{ConnContext, Empty, service};
use serde::{Deserialize, Serialize};

pub use backend::{BoxFuture, KvBackend};
pub use limit::DEFAULT_MAX_WATCHES_PER_CONN;
pub use store::KvStore;

/// A change to one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Change {
    /// The revision this change created.
    pub revision: u64,
    /// The key.
    pub key: String,
    /// Its new value.
    pub value: String,
}

/// The argument of `KVStoreService.WatchFrom` (Go: `struct{Revision uint64; Prefix string;
/// TimeoutSeconds int}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct WatchFromArgs {
    /// Return changes after this revision.
    pub revision: u64,
    /// Only keys starting with this prefix ("" for all).
    pub prefix: String,
    /// How long to wait for a first change; 0 returns at once.
    pub timeout_seconds: i64,
}

/// The reply of `KVStoreService.WatchFrom` (Go: `struct{Revision uint64; Changes []Change}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct WatchFromReply {
    /// Every matching change up to this revision is in `changes`; resume from it.
    pub revision: u64,
    /// The changes, oldest first.
    pub changes: Vec<Change>,
}

/// The RPC face of a [`KvStore`], served as `KVStoreService`. Clones share the store and the
/// per-connection watch limit.
#[derive(Clone, Debug)]
pub struct KvStoreService {
    /// The in-memory store, when that is the backend.
    store: Option<KvStore>,
    backend: Arc<dyn KvBackend>,
    max_watches_per_conn: Option<usize>,
    /// Identifies this service (and its clones) in each connection's count of pending watches.
    id: u64,
}

impl Default for KvStoreService {
    /// A service over a fresh store, with the default limits.
    fn default() -> Self {
        Self::builder().build()
    }
}

impl KvStoreService {
    /// A service over `store`, with the default limits.
    pub fn new(store: KvStore) -> Self {
        Self::builder().store(store).build()
    }

    /// Options for a new service.
    pub fn builder() -> KvStoreServiceBuilder {
        KvStoreServiceBuilder {
            store: None,
            backend: None,
            max_watches_per_conn: Some(DEFAULT_MAX_WATCHES_PER_CONN),
        }
    }

    /// The in-memory store behind the service, `None` when it was built over another backend
    /// ([`KvStoreServiceBuilder::backend`]).
    pub fn store(&self) -> Option<&KvStore> {
        self.store.as_ref()
    }

    /// `Watch` and `WatchFrom` calls waiting in this process, whatever the backend.
    pub fn watcher_count(&self) -> usize {
        self.backend.watcher_count()
    }

    /// The backend behind the service.
    pub fn backend(&self) -> &Arc<dyn KvBackend> {
        &self.backend
    }

    /// The most `Watch` and `WatchFrom` calls one connection may have waiting (`None`: no
    /// limit).
    pub fn max_watches_per_conn(&self) -> Option<usize> {
        self.max_watches_per_conn
    }

    /// A permit for one more waiting watch on the calling connection `ctx`.
    fn permit(
        &self,
        ctx: &ConnContext,
        timeout_seconds: i64,
    ) -> Result<Option<limit::WatchPermit>, String> {
        if timeout_seconds <= 0 {
            // Returns at once: never pending, never counted.
            return Ok(None);
        }
        limit::acquire(ctx, self.id, self.max_watches_per_conn)
    }
}

/// Options for a [`KvStoreService`].
#[derive(Debug)]
pub struct KvStoreServiceBuilder {
    store: Option<KvStore>,
    backend: Option<Arc<dyn KvBackend>>,
    max_watches_per_conn: Option<usize>,
}

impl KvStoreServiceBuilder {
    /// Serve this store (default: a fresh one, [`KvStore::default`]).
    pub fn store(mut self, store: KvStore) -> Self {
        self.store = Some(store);
        self.backend = None;
        self
    }

    /// Serve this backend instead of an in-memory store (e.g. `netrpc_etcd::EtcdStore`).
    pub fn backend(mut self, backend: Arc<dyn KvBackend>) -> Self {
        self.backend = Some(backend);
        self.store = None;
        self
    }

    /// The most `Watch` and `WatchFrom` calls one connection may have waiting at once (default
    /// [`DEFAULT_MAX_WATCHES_PER_CONN`]; `None`: no limit). Past it a watch is answered at once
    /// with an error; a watch with a timeout of 0 never waits and is not counted.
    pub fn max_watches_per_conn(mut self, max: Option<usize>) -> Self {
        self.max_watches_per_conn = max;
        self
    }

    /// The service.
    pub fn build(self) -> KvStoreService {
        let (store, backend) = match self.backend {
            Some(backend) => (None, backend),
            None => {
                let store = self.store.unwrap_or_default();
                (Some(store.clone()), Arc::new(store) as Arc<dyn KvBackend>)
            }
        };
        KvStoreService {
            store,
            backend,
            max_watches_per_conn: self.max_watches_per_conn,
            id: limit::next_service_id(),
        }
    }
}

/// A Go `int` of seconds as a duration; zero or negative is zero, as with Go's `time.After`.
fn seconds(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or(0))
}

service! {
    impl KvStoreService as "KVStoreService" {
        #[rpc("Get")]
        /// The value of `key`, or `not found`.
        pub async fn get(&self, key: String) -> Result<String, String> {
            self.backend.get(&key).await?.ok_or_else(|| "not found".to_string())
        }

        #[rpc("Set")]
        /// Sets `kv[0]` to `kv[1]`.
        pub async fn set(&self, kv: [String; 2]) -> Result<Empty, String> {
            let [key, value] = kv;
            self.backend.set(key, value).await?;
            Ok(Empty {})
        }

        #[rpc("Watch")]
        /// The first key changed after the call, or `timeout`. Counted against the calling
        /// connection's limit of pending watches.
        pub async fn watch(&self, ctx: &ConnContext, timeout_seconds: i64) -> Result<String, String> {
            let _permit = self.permit(ctx, timeout_seconds)?;
            self.backend
                .watch(seconds(timeout_seconds))
                .await?
                .ok_or_else(|| "timeout".to_string())
        }

        #[rpc("Revision")]
        /// The current revision.
        pub async fn revision(&self, _arg: Empty) -> Result<u64, String> {
            self.backend.revision().await
        }

        #[rpc("WatchFrom")]
        /// The changes after a revision, waiting for the first one. Counted against the calling
        /// connection's limit of pending watches.
        pub async fn watch_from(
            &self,
            ctx: &ConnContext,
            args: WatchFromArgs,
        ) -> Result<WatchFromReply, String> {
            let _permit = self.permit(ctx, args.timeout_seconds)?;
            self.backend
                .watch_from(args.revision, &args.prefix, seconds(args.timeout_seconds))
                .await
        }
    }
}
