//! One etcd watch per store, fanned out in the process: every `Watch` and `WatchFrom` call
//! waiting on this server waits on this module's lists, never on etcd itself.
//!
//! The watch covers the store's whole prefix. Its events go into a bounded in-memory history
//! (the changes after revision `start` up to `seen`, oldest first), then wake the waiting calls
//! whose prefix they match. When the stream breaks (etcd down, a member lost) the task reopens
//! it from `seen + 1`, so nothing is lost or repeated; while it is down, new watch calls fail at
//! once with [`EtcdError::WatchDown`]. When etcd compacted past `seen` in the meantime the
//! history restarts at etcd's compaction revision, and older revisions answer `compacted: ...`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::client::{EtcdClient, WatchStream};
use crate::proto;
use crate::{Change, EtcdError, WatchFromReply};

/// The most changes one `WatchFrom` reply carries (as the in-memory store).
pub const MAX_BATCH: usize = 10_000;

/// How often an idle watch asks etcd for a progress notification, to notice a dead stream.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// The longest wait between attempts to reopen the watch.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

pub(crate) struct Fanout {
    state: Mutex<State>,
}

pub(crate) struct State {
    /// Changes with revisions in `(start, seen]`, oldest first.
    history: VecDeque<Change>,
    history_limit: usize,
    pub(crate) start: u64,
    pub(crate) seen: u64,
    /// Why the watch is down, `None` while it is up.
    pub(crate) down: Option<String>,
    /// `Watch` calls: woken by the first change after their revision.
    watchers: HashMap<u64, (u64, oneshot::Sender<String>)>,
    /// `WatchFrom` calls waiting for a change under their prefix.
    followers: HashMap<u64, (String, oneshot::Sender<()>)>,
    next_id: u64,
}

/// Which list a waiting call is on.
#[derive(Clone, Copy)]
pub(crate) enum List {
    Watchers,
    Followers,
}

/// Takes a waiting call off its list however the call ends.
pub(crate) struct Registration<'a> {
    fanout: &'a Fanout,
    list: List,
    id: u64,
    /// Woken: the fan-out already took it off its list.
    pub(crate) woken: bool,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        if self.woken {
            return;
        }
        let mut state = self.fanout.lock();
        match self.list {
            List::Watchers => drop(state.watchers.remove(&self.id)),
            List::Followers => drop(state.followers.remove(&self.id)),
        }
    }
}

impl Fanout {
    /// A fan-out whose history starts after `revision`.
    pub(crate) fn new(revision: u64, history_limit: usize) -> Self {
        Fanout {
            state: Mutex::new(State {
                history: VecDeque::new(),
                history_limit: history_limit.max(1),
                start: revision,
                seen: revision,
                down: None,
                watchers: HashMap::new(),
                followers: HashMap::new(),
                next_id: 0,
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a `Watch` call woken by the first change after `after`.
    pub(crate) fn add_watcher(
        &self,
        state: &mut State,
        after: u64,
    ) -> (oneshot::Receiver<String>, Registration<'_>) {
        let (tx, rx) = oneshot::channel();
        state.next_id += 1;
        let id = state.next_id;
        state.watchers.insert(id, (after, tx));
        let registration = Registration {
            fanout: self,
            list: List::Watchers,
            id,
            woken: false,
        };
        (rx, registration)
    }

    /// Registers a `WatchFrom` call woken by a change under `prefix`.
    pub(crate) fn add_follower(
        &self,
        state: &mut State,
        prefix: &str,
    ) -> (oneshot::Receiver<()>, Registration<'_>) {
        let (tx, rx) = oneshot::channel();
        state.next_id += 1;
        let id = state.next_id;
        state.followers.insert(id, (prefix.to_owned(), tx));
        let registration = Registration {
            fanout: self,
            list: List::Followers,
            id,
            woken: false,
        };
        (rx, registration)
    }

    /// Calls waiting.
    pub(crate) fn waiting(&self) -> usize {
        let state = self.lock();
        state.watchers.len() + state.followers.len()
    }

    /// Takes in a batch of changes etcd reported up to `seen`, waking who they concern.
    fn apply(&self, changes: Vec<Change>, seen: u64) {
        let mut woken = Vec::new();
        {
            let mut state = self.lock();
            for change in changes {
                if change.revision <= state.seen {
                    continue; // Already had it (never expected: the watch resumes after `seen`).
                }
                state
                    .followers
                    .retain(|_, (prefix, _)| !change.key.starts_with(prefix.as_str()));
                let revision = change.revision;
                let ids: Vec<u64> = state
                    .watchers
                    .iter()
                    .filter(|(_, (after, _))| revision > *after)
                    .map(|(id, _)| *id)
                    .collect();
                for id in ids {
                    if let Some((_, tx)) = state.watchers.remove(&id) {
                        woken.push((tx, change.key.clone()));
                    }
                }
                while state.history.len() >= state.history_limit {
                    if let Some(old) = state.history.pop_front() {
                        state.start = old.revision;
                    }
                }
                // Never split one revision (a transaction) across the history's start.
                while state
                    .history
                    .front()
                    .is_some_and(|c| c.revision <= state.start)
                {
                    state.history.pop_front();
                }
                state.history.push_back(change);
            }
            state.seen = state.seen.max(seen);
        }
        for (tx, key) in woken {
            let _ = tx.send(key);
        }
    }

    fn set_down(&self, reason: Option<String>) {
        self.lock().down = reason;
    }

    /// etcd compacted past `seen` while the watch was down: restart the history at `oldest`.
    fn compacted(&self, oldest: u64) {
        let mut state = self.lock();
        let resume = oldest.saturating_sub(1).max(state.seen);
        state.history.clear();
        state.start = resume;
        state.seen = resume;
    }
}

impl State {
    /// The changes after `revision` under `prefix` in the history (`revision >= start`).
    pub(crate) fn changes_after(&self, revision: u64, prefix: &str) -> WatchFromReply {
        let skip = self.history.partition_point(|c| c.revision <= revision);
        let mut changes = Vec::new();
        let mut covered = self.seen.max(revision);
        for change in self.history.iter().skip(skip) {
            if change.key.starts_with(prefix) {
                if changes.len() == MAX_BATCH {
                    covered = change.revision - 1;
                    break;
                }
                changes.push(change.clone());
            }
        }
        WatchFromReply {
            revision: covered,
            changes,
        }
    }

    /// The first change after `after` in the history, if the history reaches back to it.
    pub(crate) fn first_after(&self, after: u64) -> Option<&Change> {
        if after < self.start {
            return None;
        }
        let i = self.history.partition_point(|c| c.revision <= after);
        self.history.get(i)
    }
}

/// The store's changes in a watch response: puts under `prefix`, keys without it. Returns them
/// with the revision of the response's last event (`None` without events).
pub(crate) fn changes_in(
    resp: &proto::WatchResponse,
    prefix: &str,
) -> Result<(Vec<Change>, Option<u64>), EtcdError> {
    let mut changes = Vec::new();
    let mut last = None;
    for event in &resp.events {
        let Some(kv) = &event.kv else { continue };
        let revision = u64::try_from(kv.mod_revision)
            .map_err(|_| EtcdError::Malformed("a negative revision"))?;
        last = Some(revision);
        if event.r#type != proto::EventType::Put as i32 {
            continue; // Deletes (made outside netrpc) are not changes of this store.
        }
        let key = utf8(&kv.key)?;
        let Some(key) = key.strip_prefix(prefix) else {
            continue;
        };
        changes.push(Change {
            revision,
            key: key.to_owned(),
            value: utf8(&kv.value).map_err(|_| EtcdError::NotUtf8 {
                key: key.to_owned(),
            })?,
        });
    }
    // Progress notifications are not trusted to move `seen`: etcd 3.4.23 (Debian 12's) can
    // send one ahead of the events of a watch still catching up. Only events do.
    Ok((changes, last))
}

fn utf8(bytes: &[u8]) -> Result<String, EtcdError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| EtcdError::NotUtf8 {
        key: String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// Keeps the store's watch on etcd open until the store is dropped (`fanout` gone).
pub(crate) async fn run(client: EtcdClient, prefix: String, fanout: Weak<Fanout>) {
    let mut backoff = Duration::from_millis(20);
    let mut last_break: Option<tokio::time::Instant> = None;
    loop {
        let Some(from) = fanout.upgrade().map(|f| f.lock().seen + 1) else {
            return;
        };
        let (opened, result) = match client.watch(watch_create(&prefix, from)).await {
            Ok(stream) => (true, follow(&client, stream, &prefix, &fanout).await),
            Err(err) => (false, Err(err)),
        };
        let Some(f) = fanout.upgrade() else { return };
        let reason = match result {
            Ok(()) => "etcd ended the watch".to_owned(),
            Err(err) => err.to_string(),
        };
        if opened {
            // An open watch broke (a member lost, a connection reset): reopen it at once (on
            // the next member), before anyone is told it is down; unless it broke moments ago
            // too (etcd keeps cancelling it): then it backs off as below.
            let recent = last_break.is_some_and(|at| at.elapsed() < MAX_BACKOFF);
            last_break = Some(tokio::time::Instant::now());
            if !recent {
                backoff = Duration::from_millis(20);
                tracing::info!(endpoints = client.endpoints(), %reason, "etcd watch broke; reopening");
                continue;
            }
        }
        tracing::warn!(endpoints = client.endpoints(), %reason, "etcd watch down; reopening");
        f.set_down(Some(reason));
        drop(f);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// The store's watch from revision `from`.
fn watch_create(prefix: &str, from: u64) -> proto::WatchCreateRequest {
    proto::WatchCreateRequest {
        key: prefix.as_bytes().to_vec(),
        range_end: proto::prefix_end(prefix.as_bytes()),
        start_revision: i64::try_from(from).unwrap_or(i64::MAX),
        progress_notify: true,
    }
}

/// Reads one watch stream until it breaks.
async fn follow(
    client: &EtcdClient,
    mut stream: WatchStream,
    prefix: &str,
    fanout: &Weak<Fanout>,
) -> Result<(), EtcdError> {
    let mut ticks = tokio::time::interval(PROGRESS_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Progress requests sent since etcd last answered anything: too many mean a dead stream.
    let mut unanswered = 0u32;
    loop {
        let resp = tokio::select! {
            resp = stream.next(client.endpoints()) => resp?,
            _ = ticks.tick() => {
                if unanswered >= 2 + client.timeouts().request.as_secs() as u32 {
                    return Err(EtcdError::Timeout {
                        endpoints: client.endpoints().to_owned(),
                        timeout: client.timeouts().request,
                    });
                }
                unanswered += 1;
                stream.request_progress();
                continue;
            }
        };
        let Some(resp) = resp else { return Ok(()) };
        unanswered = 0;
        let Some(f) = fanout.upgrade() else {
            return Ok(());
        };
        if resp.created {
            f.set_down(None);
            tracing::debug!(endpoints = client.endpoints(), "etcd watch open");
        }
        if resp.compact_revision > 0 {
            let oldest = u64::try_from(resp.compact_revision).unwrap_or(0);
            tracing::warn!(
                oldest,
                "etcd compacted past this server's watch; history restarts"
            );
            f.compacted(oldest);
            return Err(EtcdError::Compacted {
                revision: f.lock().seen,
                oldest,
            });
        }
        if resp.canceled {
            // How etcd refuses a watch sent with a stale token (e.g. after etcd restarted).
            client.token_rejected();
            return Err(EtcdError::WatchDown {
                endpoints: client.endpoints().to_owned(),
                reason: format!("cancelled: {}", resp.cancel_reason),
            });
        }
        // Any answer (a progress notification included) shows the stream is alive.
        let (changes, seen) = changes_in(&resp, prefix)?;
        if let Some(seen) = seen {
            f.apply(changes, seen);
        }
    }
}

/// Keeps `Arc<Fanout>` and stops the watch task when the last store clone goes.
pub(crate) struct Shared {
    pub(crate) fanout: Arc<Fanout>,
    pub(crate) task: tokio::task::AbortHandle,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.task.abort();
    }
}
