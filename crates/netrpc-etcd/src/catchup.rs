//! `WatchFrom` from a revision older than the server's in-memory history: a short-lived etcd
//! watch from that revision, read until etcd says it has sent everything up to where the
//! history starts. At most [`MAX_CATCH_UPS`] run at once per store, so old revisions cannot
//! open an etcd watch per call.

use std::time::Duration;

use tokio::time::Instant;

use crate::client::EtcdClient;
use crate::fanout::{MAX_BATCH, changes_in};
use crate::{EtcdError, WatchFromReply, proto};

/// Catch-up watches open at once per store.
pub const MAX_CATCH_UPS: usize = 32;

/// How often to ask an unsynced catch-up watch whether it is done (etcd drops progress requests
/// of watches still catching up).
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// The changes in `(after, until]` under `prefix` (the store's prefix plus the caller's),
/// keys given without `store_prefix`.
pub(crate) async fn catch_up(
    client: &EtcdClient,
    store_prefix: &str,
    prefix: &str,
    after: u64,
    until: u64,
    deadline: Instant,
) -> Result<WatchFromReply, EtcdError> {
    let key = format!("{store_prefix}{prefix}");
    let create = proto::WatchCreateRequest {
        range_end: proto::prefix_end(key.as_bytes()),
        key: key.into_bytes(),
        start_revision: i64::try_from(after.saturating_add(1)).unwrap_or(i64::MAX),
        progress_notify: false,
    };
    let endpoints = client.endpoints();
    let timed_out = || EtcdError::Timeout {
        endpoints: endpoints.to_owned(),
        timeout: client.timeouts().request,
    };
    let work = async {
        let mut stream = client.watch(create).await?;
        let mut ticks = tokio::time::interval(PROGRESS_EVERY);
        let mut changes = Vec::new();
        loop {
            let resp = tokio::select! {
                resp = stream.next(endpoints) => resp?,
                _ = ticks.tick() => {
                    stream.request_progress();
                    continue;
                }
            };
            let Some(resp) = resp else {
                return Err(EtcdError::WatchDown {
                    endpoints: endpoints.to_owned(),
                    reason: "etcd ended a catch-up watch".into(),
                });
            };
            if resp.compact_revision > 0 {
                return Err(EtcdError::Compacted {
                    revision: after,
                    oldest: u64::try_from(resp.compact_revision).unwrap_or(0),
                });
            }
            if resp.canceled {
                return Err(EtcdError::WatchDown {
                    endpoints: endpoints.to_owned(),
                    reason: format!("catch-up watch cancelled: {}", resp.cancel_reason),
                });
            }
            let (batch, seen) = changes_in(&resp, store_prefix)?;
            changes.extend(batch.into_iter().filter(|c| c.revision <= until));
            if seen.is_some_and(|seen| seen >= until) || changes.len() > MAX_BATCH {
                break;
            }
        }
        let mut revision = until;
        if changes.len() > MAX_BATCH {
            revision = changes[MAX_BATCH].revision - 1;
            changes.retain(|c| c.revision <= revision);
        }
        Ok(WatchFromReply { revision, changes })
    };
    // A catch-up gets at least one request timeout, even for a WatchFrom that would not wait.
    let deadline = deadline.max(Instant::now() + client.timeouts().request);
    tokio::time::timeout_at(deadline, work)
        .await
        .map_err(|_| timed_out())?
}
