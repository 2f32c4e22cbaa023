//! [`KvBackend`]: what `KVStoreService` needs of a store, so that the in-memory [`KvStore`] and
//! the etcd store (`netrpc-etcd`, feature `etcd`) serve the same methods with the same texts.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::{KvStore, WatchFromReply};

/// A boxed future, as a dyn-compatible trait returns them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A store behind `KVStoreService`. Errors are the texts the caller gets (e.g. `compacted: ...`,
/// or why etcd could not be reached).
pub trait KvBackend: Send + Sync + std::fmt::Debug + 'static {
    /// The value of `key`.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, String>>;
    /// Sets `key` to `value`: the change's revision, `None` when the key already had it.
    fn set(&self, key: String, value: String) -> BoxFuture<'_, Result<Option<u64>, String>>;
    /// The first key changed after the call, `None` when `timeout` passed first.
    fn watch(&self, timeout: Duration) -> BoxFuture<'_, Result<Option<String>, String>>;
    /// The current revision.
    fn revision(&self) -> BoxFuture<'_, Result<u64, String>>;
    /// The changes after `revision` under `prefix`, waiting up to `timeout` for the first.
    fn watch_from<'a>(
        &'a self,
        revision: u64,
        prefix: &'a str,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<WatchFromReply, String>>;
    /// Watch and WatchFrom calls waiting in this process.
    fn watcher_count(&self) -> usize;
}

impl KvBackend for KvStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, String>> {
        Box::pin(async move { Ok(KvStore::get(self, key)) })
    }

    fn set(&self, key: String, value: String) -> BoxFuture<'_, Result<Option<u64>, String>> {
        Box::pin(async move { Ok(KvStore::set(self, key, value)) })
    }

    fn watch(&self, timeout: Duration) -> BoxFuture<'_, Result<Option<String>, String>> {
        Box::pin(async move { Ok(KvStore::watch(self, timeout).await) })
    }

    fn revision(&self) -> BoxFuture<'_, Result<u64, String>> {
        Box::pin(async move { Ok(KvStore::revision(self)) })
    }

    fn watch_from<'a>(
        &'a self,
        revision: u64,
        prefix: &'a str,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<WatchFromReply, String>> {
        Box::pin(KvStore::watch_from(self, revision, prefix, timeout))
    }

    fn watcher_count(&self) -> usize {
        KvStore::watcher_count(self)
    }
}
