//! The store itself: values, revisions, history and watchers, behind one short lock.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;

use super::{Change, WatchFromReply};

/// Changes kept for `WatchFrom` by default.
pub const DEFAULT_HISTORY: usize = 1 << 20;

/// The most changes one `WatchFrom` reply carries; the rest follow on the next call.
pub const MAX_BATCH: usize = 10_000;

/// An in-memory key-value store with watches. Clones share the store.
#[derive(Clone)]
pub struct KvStore {
    inner: Arc<Mutex<State>>,
}

struct State {
    map: HashMap<String, String>,
    revision: u64,
    /// The last changes, revisions `revision - history.len() + 1 ..= revision`, oldest first.
    history: VecDeque<Change>,
    history_limit: usize,
    /// Seed `Watch` calls waiting for any change.
    watchers: HashMap<u64, oneshot::Sender<String>>,
    /// `WatchFrom` calls waiting for a change under their prefix.
    followers: HashMap<u64, (String, oneshot::Sender<()>)>,
    next_id: u64,
}

impl Default for KvStore {
    fn default() -> Self {
        Self::with_history(DEFAULT_HISTORY)
    }
}

impl std::fmt::Debug for KvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("KvStore")
            .field("keys", &state.map.len())
            .field("revision", &state.revision)
            .field("watchers", &(state.watchers.len() + state.followers.len()))
            .finish()
    }
}

/// Which waiting list a watcher is on.
#[derive(Clone, Copy)]
enum List {
    Watchers,
    Followers,
}

/// Removes a watcher from its list however its call ends (reply, timeout or cancellation).
struct Registration<'a> {
    store: &'a KvStore,
    list: List,
    id: u64,
    /// Woken: `set` has already taken it off its list (no lock needed to leave).
    woken: bool,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        if self.woken {
            return;
        }
        let mut state = self.store.lock();
        match self.list {
            List::Watchers => drop(state.watchers.remove(&self.id)),
            List::Followers => drop(state.followers.remove(&self.id)),
        }
    }
}

impl KvStore {
    /// A store keeping the last `history_limit` changes for `WatchFrom` (at least 1).
    pub fn with_history(history_limit: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(State {
                map: HashMap::new(),
                revision: 0,
                history: VecDeque::new(),
                history_limit: history_limit.max(1),
                watchers: HashMap::new(),
                followers: HashMap::new(),
                next_id: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.lock().map.get(key).cloned()
    }

    /// The current revision (0 before the first change).
    pub fn revision(&self) -> u64 {
        self.lock().revision
    }

    /// Watch and WatchFrom calls currently waiting.
    pub fn watcher_count(&self) -> usize {
        let state = self.lock();
        state.watchers.len() + state.followers.len()
    }

    /// Sets `key` to `value`. A change gets the next revision and wakes every watcher (and every
    /// follower of a matching prefix) without waiting on any of them. Returns the revision of
    /// the change, or `None` when the key already had this value.
    pub fn set(&self, key: String, value: String) -> Option<u64> {
        let (revision, watchers) = {
            let mut state = self.lock();
            if state.map.get(&key) == Some(&value) {
                return None;
            }
            state.revision += 1;
            let revision = state.revision;
            state.map.insert(key.clone(), value.clone());
            if state.history.len() >= state.history_limit {
                state.history.pop_front();
            }
            state.history.push_back(Change {
                revision,
                key: key.clone(),
                value,
            });
            // A follower is woken by dropping its sender: it then reads the history itself.
            state
                .followers
                .retain(|_, (prefix, _)| !key.starts_with(prefix.as_str()));
            (revision, std::mem::take(&mut state.watchers))
        };
        for tx in watchers.into_values() {
            let _ = tx.send(key.clone());
        }
        Some(revision)
    }

    /// Waits up to `timeout` for the next change; returns its key, or `None` on timeout.
    pub async fn watch(&self, timeout: Duration) -> Option<String> {
        let (tx, rx) = oneshot::channel();
        let mut registration = {
            let mut state = self.lock();
            state.next_id += 1;
            let id = state.next_id;
            state.watchers.insert(id, tx);
            Registration {
                store: self,
                list: List::Watchers,
                id,
                woken: false,
            }
        };
        let key = tokio::time::timeout(timeout, rx).await.ok()?.ok();
        // A value (or a dropped sender) comes only from `set`, which took the whole list.
        registration.woken = true;
        key
    }

    /// The changes after `revision` whose key starts with `prefix`, waiting up to `timeout` for
    /// the first. An empty reply means the timeout passed; its `revision` is where to resume.
    pub async fn watch_from(
        &self,
        revision: u64,
        prefix: &str,
        timeout: Duration,
    ) -> Result<WatchFromReply, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (rx, mut registration) = {
                let mut state = self.lock();
                let reply = state.changes_after(revision, prefix)?;
                if !reply.changes.is_empty() || timeout.is_zero() {
                    return Ok(reply);
                }
                let (tx, rx) = oneshot::channel();
                state.next_id += 1;
                let id = state.next_id;
                state.followers.insert(id, (prefix.to_owned(), tx));
                let registration = Registration {
                    store: self,
                    list: List::Followers,
                    id,
                    woken: false,
                };
                (rx, registration)
            };
            if tokio::time::timeout_at(deadline, rx).await.is_err() {
                return self.lock().changes_after(revision, prefix);
            }
            // Woken: `set` took it off the list.
            registration.woken = true;
        }
    }
}

impl State {
    fn changes_after(&self, revision: u64, prefix: &str) -> Result<WatchFromReply, String> {
        let oldest = self.revision + 1 - self.history.len() as u64;
        if revision + 1 < oldest {
            return Err(format!(
                "compacted: changes after revision {revision} are gone; the oldest kept is {oldest}"
            ));
        }
        let skip = usize::try_from(revision.saturating_add(1).saturating_sub(oldest))
            .unwrap_or(usize::MAX);
        let mut changes = Vec::new();
        let mut covered = self.revision.max(revision);
        for change in self.history.iter().skip(skip) {
            if change.key.starts_with(prefix) {
                if changes.len() == MAX_BATCH {
                    covered = change.revision - 1;
                    break;
                }
                changes.push(change.clone());
            }
        }
        Ok(WatchFromReply {
            revision: covered,
            changes,
        })
    }
}
