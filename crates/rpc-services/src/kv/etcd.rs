//! The etcd store ([`netrpc_etcd::EtcdStore`]) as a [`KvBackend`] (feature `etcd`).

use std::time::Duration;

use netrpc_etcd::EtcdStore;

use super::backend::{BoxFuture, KvBackend};
use super::{Change, WatchFromReply};

impl KvBackend for EtcdStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, String>> {
        Box::pin(async move { EtcdStore::get(self, key).await.map_err(|e| e.to_string()) })
    }

    fn set(&self, key: String, value: String) -> BoxFuture<'_, Result<Option<u64>, String>> {
        Box::pin(async move {
            EtcdStore::set(self, &key, &value)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn watch(&self, timeout: Duration) -> BoxFuture<'_, Result<Option<String>, String>> {
        Box::pin(async move {
            EtcdStore::watch(self, timeout)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn revision(&self) -> BoxFuture<'_, Result<u64, String>> {
        Box::pin(async move { EtcdStore::revision(self).await.map_err(|e| e.to_string()) })
    }

    fn watch_from<'a>(
        &'a self,
        revision: u64,
        prefix: &'a str,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<WatchFromReply, String>> {
        Box::pin(async move {
            let reply = EtcdStore::watch_from(self, revision, prefix, timeout)
                .await
                .map_err(|e| e.to_string())?;
            Ok(WatchFromReply {
                revision: reply.revision,
                changes: reply
                    .changes
                    .into_iter()
                    .map(|c| Change {
                        revision: c.revision,
                        key: c.key,
                        value: c.value,
                    })
                    .collect(),
            })
        })
    }

    fn watcher_count(&self) -> usize {
        EtcdStore::watcher_count(self)
    }
}
