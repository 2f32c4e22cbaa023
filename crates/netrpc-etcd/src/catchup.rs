//! `WatchFrom` from a revision older than the server's in-memory history: a short-lived etcd
//! watch from that revision, read up to where the history starts. At most [`MAX_CATCH_UPS`] run
//! at once per store, so old revisions cannot open an etcd watch per call.
//!
//! Where to stop: a range read at the history's start revision, sorted by mod revision, gives
//! the last change in the window; once the watch has delivered it, every earlier one has come
//! (etcd sends a watch's events in revision order). etcd's progress notifications are not used
//! for this: etcd 3.4.23 (Debian 12's) can send one ahead of a catching-up watch's events.

use tokio::time::Instant;

use crate::client::EtcdClient;
use crate::fanout::{MAX_BATCH, changes_in};
use crate::{EtcdError, WatchFromReply, proto};

/// Catch-up watches open at once per store.
pub const MAX_CATCH_UPS: usize = 32;

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
    let key = format!("{store_prefix}{prefix}").into_bytes();
    let range_end = proto::prefix_end(&key);
    let create = proto::WatchCreateRequest {
        key: key.clone(),
        range_end: range_end.clone(),
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
        // The last change in the window; `None` when compacted (the watch then says so).
        let last = client
            .range(proto::RangeRequest {
                key,
                range_end,
                limit: 1,
                revision: i64::try_from(until).unwrap_or(i64::MAX),
                sort_order: proto::SortOrder::Descend as i32,
                sort_target: proto::SortTarget::Mod as i32,
                keys_only: true,
                min_mod_revision: i64::try_from(after.saturating_add(1)).unwrap_or(i64::MAX),
                ..Default::default()
            })
            .await;
        let target = match last {
            Ok(reply) => match reply.kvs.first() {
                None => {
                    return Ok(WatchFromReply {
                        revision: until,
                        changes: Vec::new(),
                    });
                }
                Some(kv) => Some(u64::try_from(kv.mod_revision).unwrap_or(0)),
            },
            Err(EtcdError::Status {
                code: tonic::Code::OutOfRange,
                ..
            }) => None,
            Err(err) => return Err(err),
        };
        let mut changes = Vec::new();
        loop {
            let resp = stream.next(endpoints).await?;
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
                client.token_rejected();
                return Err(EtcdError::WatchDown {
                    endpoints: endpoints.to_owned(),
                    reason: format!("catch-up watch cancelled: {}", resp.cancel_reason),
                });
            }
            let (batch, _) = changes_in(&resp, store_prefix)?;
            changes.extend(batch.into_iter().filter(|c| c.revision <= until));
            let last = changes.last().map(|c| c.revision);
            if last.is_some_and(|last| Some(last) >= target) || changes.len() > MAX_BATCH {
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
