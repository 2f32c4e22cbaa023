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

mod store;

use std::time::Duration;

use netrpc::{Empty, service};
use serde::{Deserialize, Serialize};

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

/// The RPC face of a [`KvStore`], served as `KVStoreService`. Clones share the store.
#[derive(Clone, Debug, Default)]
pub struct KvStoreService {
    store: KvStore,
}

impl KvStoreService {
    /// A service over `store`.
    pub fn new(store: KvStore) -> Self {
        Self { store }
    }

    /// The store behind the service.
    pub fn store(&self) -> &KvStore {
        &self.store
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
            self.store.get(&key).ok_or_else(|| "not found".to_string())
        }

        #[rpc("Set")]
        /// Sets `kv[0]` to `kv[1]`.
        pub async fn set(&self, kv: [String; 2]) -> Result<Empty, String> {
            let [key, value] = kv;
            self.store.set(key, value);
            Ok(Empty {})
        }

        #[rpc("Watch")]
        /// The first key changed after the call, or `timeout`.
        pub async fn watch(&self, timeout_seconds: i64) -> Result<String, String> {
            self.store
                .watch(seconds(timeout_seconds))
                .await
                .ok_or_else(|| "timeout".to_string())
        }

        #[rpc("Revision")]
        /// The current revision.
        pub async fn revision(&self, _arg: Empty) -> Result<u64, String> {
            Ok(self.store.revision())
        }

        #[rpc("WatchFrom")]
        /// The changes after a revision, waiting for the first one.
        pub async fn watch_from(&self, args: WatchFromArgs) -> Result<WatchFromReply, String> {
            self.store
                .watch_from(args.revision, &args.prefix, seconds(args.timeout_seconds))
                .await
        }
    }
}
