//! [`EtcdStore`]: the KV store's operations on etcd, with the semantics of netrpc's in-memory
//! store.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::client::{EtcdClient, Timeouts, revision_of};
use crate::fanout::{self, Fanout, Shared};
use crate::{EtcdAddress, EtcdError, WatchFromReply, proto};

/// Changes kept in memory for `WatchFrom` by default (older ones are read back from etcd).
pub const DEFAULT_HISTORY: usize = 100_000;

/// KVStoreService's store on etcd. Clones share the client and the one etcd watch.
#[derive(Clone)]
pub struct EtcdStore {
    client: EtcdClient,
    prefix: String,
    shared: Arc<Shared>,
    catch_ups: Arc<Semaphore>,
}

impl std::fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStore")
            .field("endpoints", &self.client.endpoints())
            .field("prefix", &self.prefix)
            .field("waiting", &self.shared.fanout.waiting())
            .finish()
    }
}

/// etcd's current revision, read as the header of a linearizable Range of the one key
/// `prefix` (so that a user allowed only the store's prefix may read it; one key, however many
/// the store holds).
async fn revision_under(client: &EtcdClient, prefix: &str) -> Result<u64, EtcdError> {
    let reply = client
        .range(proto::RangeRequest {
            key: prefix.as_bytes().to_vec(),
            count_only: true,
            limit: 1,
            ..Default::default()
        })
        .await?;
    revision_of(reply.header.as_ref())
}

/// What a `WatchFrom` does next.
enum Step<'a> {
    Reply(WatchFromReply),
    CatchUp(u64),
    Wait(tokio::sync::oneshot::Receiver<()>, fanout::Registration<'a>),
}

impl EtcdStore {
    /// Connects to etcd at `address` with the default timeouts and history: reads the current
    /// revision (failing within the request timeout when etcd does not answer) and opens the
    /// store's watch from there. Must be called inside a tokio runtime.
    pub async fn connect(address: &EtcdAddress) -> Result<Self, EtcdError> {
        Self::connect_with(address, Timeouts::default(), DEFAULT_HISTORY).await
    }

    /// [`connect`](Self::connect) with these timeouts, keeping `history` changes in memory.
    pub async fn connect_with(
        address: &EtcdAddress,
        timeouts: Timeouts,
        history: usize,
    ) -> Result<Self, EtcdError> {
        let client = EtcdClient::for_address(address, timeouts)?;
        let revision = revision_under(&client, &address.prefix).await?;
        let fanout = Arc::new(Fanout::new(revision, history));
        let task = tokio::spawn(fanout::run(
            client.clone(),
            address.prefix.clone(),
            Arc::downgrade(&fanout),
        ))
        .abort_handle();
        Ok(EtcdStore {
            client,
            prefix: address.prefix.clone(),
            shared: Arc::new(Shared { fanout, task }),
            catch_ups: Arc::new(Semaphore::new(crate::catchup::MAX_CATCH_UPS)),
        })
    }

    /// The etcd client (for administration, e.g. compaction in tests).
    pub fn client(&self) -> &EtcdClient {
        &self.client
    }

    /// The prefix of the store's keys in etcd.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `Watch` and `WatchFrom` calls waiting on this store (in this process).
    pub fn watcher_count(&self) -> usize {
        self.shared.fanout.waiting()
    }

    /// Why the store's etcd watch is down (reopening), `None` while it is up.
    pub fn watch_down(&self) -> Option<String> {
        self.shared.fanout.lock().down.clone()
    }

    /// The revision up to which this server has seen every change of the store.
    pub fn seen_revision(&self) -> u64 {
        self.shared.fanout.lock().seen
    }

    fn key(&self, key: &str) -> Vec<u8> {
        format!("{}{key}", self.prefix).into_bytes()
    }

    /// The value of `key` (a linearizable read).
    pub async fn get(&self, key: &str) -> Result<Option<String>, EtcdError> {
        let reply = self
            .client
            .range(proto::RangeRequest {
                key: self.key(key),
                ..Default::default()
            })
            .await?;
        match reply.kvs.into_iter().next() {
            None => Ok(None),
            Some(kv) => String::from_utf8(kv.value)
                .map(Some)
                .map_err(|_| EtcdError::NotUtf8 {
                    key: key.to_owned(),
                }),
        }
    }

    /// Sets `key` to `value` unless it already has it, in one etcd transaction (compare the
    /// value, else put). Returns the change's revision, `None` when it was no change.
    pub async fn set(&self, key: &str, value: &str) -> Result<Option<u64>, EtcdError> {
        let k = self.key(key);
        let reply = self
            .client
            .txn(proto::TxnRequest {
                // A missing key never compares equal (etcd), so its first set is a change.
                compare: vec![proto::Compare {
                    result: proto::CompareResult::Equal as i32,
                    target: proto::CompareTarget::Value as i32,
                    key: k.clone(),
                    target_union: Some(proto::TargetUnion::Value(value.as_bytes().to_vec())),
                }],
                success: vec![],
                failure: vec![proto::RequestOp {
                    request: Some(proto::Request::RequestPut(proto::PutRequest {
                        key: k,
                        value: value.as_bytes().to_vec(),
                        lease: 0,
                    })),
                }],
            })
            .await?;
        if reply.succeeded {
            return Ok(None);
        }
        revision_of(reply.header.as_ref()).map(Some)
    }

    /// etcd's current revision (a linearizable read).
    pub async fn revision(&self) -> Result<u64, EtcdError> {
        revision_under(&self.client, &self.prefix).await
    }

    /// Waits up to `timeout` for the next change after the call (through any server); its key,
    /// or `None` on timeout.
    pub async fn watch(&self, timeout: Duration) -> Result<Option<String>, EtcdError> {
        let fanout = &self.shared.fanout;
        self.check_up()?;
        // Changes up to etcd's revision now happened before the call.
        let after = self.revision().await?;
        let (rx, mut registration) = {
            let mut state = fanout.lock();
            if let Some(change) = state.first_after(after) {
                return Ok(Some(change.key.clone()));
            }
            fanout.add_watcher(&mut state, after)
        };
        let key = tokio::time::timeout(timeout, rx)
            .await
            .ok()
            .and_then(Result::ok);
        registration.woken = true;
        Ok(key)
    }

    fn check_up(&self) -> Result<(), EtcdError> {
        match &self.shared.fanout.lock().down {
            None => Ok(()),
            Some(reason) => Err(EtcdError::WatchDown {
                endpoints: self.client.endpoints().to_owned(),
                reason: reason.clone(),
            }),
        }
    }

    /// The changes after `revision` whose key starts with `prefix`, waiting up to `timeout` for
    /// the first: the in-memory store's `WatchFrom` on etcd's revisions.
    pub async fn watch_from(
        &self,
        revision: u64,
        prefix: &str,
        timeout: Duration,
    ) -> Result<WatchFromReply, EtcdError> {
        let fanout = &self.shared.fanout;
        let deadline = Instant::now() + timeout;
        let mut revision = revision;
        loop {
            let step = {
                let mut state = fanout.lock();
                if let Some(reason) = &state.down {
                    return Err(EtcdError::WatchDown {
                        endpoints: self.client.endpoints().to_owned(),
                        reason: reason.clone(),
                    });
                }
                if revision < state.start {
                    Step::CatchUp(state.start)
                } else {
                    let reply = state.changes_after(revision, prefix);
                    if !reply.changes.is_empty() || timeout.is_zero() {
                        Step::Reply(reply)
                    } else {
                        let (rx, registration) = fanout.add_follower(&mut state, prefix);
                        Step::Wait(rx, registration)
                    }
                }
            };
            match step {
                Step::Reply(reply) => return Ok(reply),
                Step::CatchUp(until) => {
                    let _permit = self
                        .catch_ups
                        .acquire()
                        .await
                        .map_err(|_| EtcdError::Malformed("catch-up semaphore closed"))?;
                    let reply = crate::catchup::catch_up(
                        &self.client,
                        &self.prefix,
                        prefix,
                        revision,
                        until,
                        deadline,
                    )
                    .await?;
                    if !reply.changes.is_empty() {
                        return Ok(reply);
                    }
                    revision = reply.revision;
                }
                Step::Wait(rx, mut registration) => {
                    if tokio::time::timeout_at(deadline, rx).await.is_err() {
                        return Ok(fanout.lock().changes_after(revision, prefix));
                    }
                    registration.woken = true;
                }
            }
        }
    }
}
