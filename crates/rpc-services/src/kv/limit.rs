//! The per-connection bound on pending watches.
//!
//! A `Watch` or `WatchFrom` that waits holds a [`WatchPermit`] for as long as it waits. Permits
//! are counted per connection (in the connection's [`ConnContext::state`], so the count lives
//! exactly as long as the connection) and per service instance (two `KvStoreService`s served on
//! one connection each apply their own limit). Past the limit a watch is refused at once, before
//! it registers anything, so one peer cannot park an unbounded number of waiting calls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use netrpc::ConnContext;

/// Pending `Watch` and `WatchFrom` calls one connection may have by default.
pub const DEFAULT_MAX_WATCHES_PER_CONN: usize = 1024;

/// A number unique to each service instance (clones share it): the key of its count.
pub(super) fn next_service_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Pending watches on one connection, by service instance.
#[derive(Clone, Default)]
struct ConnWatches(Arc<Mutex<HashMap<u64, usize>>>);

impl ConnWatches {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, usize>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The counts of the connection `ctx`, created on first use (two calls racing on a fresh
    /// connection share one).
    fn of(ctx: &ConnContext) -> ConnWatches {
        ctx.state().get_or_insert_with(ConnWatches::default)
    }
}

/// One pending watch counted against its connection's limit; given back when dropped (the
/// watch answered, timed out, or was cancelled with its connection).
pub(super) struct WatchPermit {
    counts: ConnWatches,
    service: u64,
}

impl Drop for WatchPermit {
    fn drop(&mut self) {
        let mut counts = self.counts.lock();
        if let Some(n) = counts.get_mut(&self.service) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.service);
            }
        }
    }
}

/// A permit for one more pending watch on the calling connection `ctx`, or the error to answer
/// with. With no limit there is nothing to count: `Ok(None)`.
pub(super) fn acquire(
    ctx: &ConnContext,
    service: u64,
    max: Option<usize>,
) -> Result<Option<WatchPermit>, String> {
    let Some(max) = max else {
        return Ok(None);
    };
    let counts = ConnWatches::of(ctx);
    {
        let mut map = counts.lock();
        let n = map.entry(service).or_insert(0);
        if *n >= max {
            return Err(format!(
                "too many pending watches on this connection (the limit is {max})"
            ));
        }
        *n += 1;
    }
    Ok(Some(WatchPermit { counts, service }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(id: u64) -> ConnContext {
        ConnContext::new(id, netrpc::transport::Peer::new("mem", "mem://t"), "test")
    }

    #[test]
    fn permits_are_counted_per_connection_and_service() {
        let (one, two) = (ctx(1), ctx(2));
        let service = next_service_id();
        // No limit: nothing counted.
        assert!(acquire(&one, service, None).unwrap().is_none());
        let first = acquire(&one, service, Some(2)).unwrap().unwrap();
        let second = acquire(&one, service, Some(2)).unwrap().unwrap();
        let err = acquire(&one, service, Some(2)).err().unwrap();
        assert_eq!(
            err,
            "too many pending watches on this connection (the limit is 2)"
        );
        // Another connection, or another service on this one, counts on its own.
        assert!(acquire(&two, service, Some(2)).unwrap().is_some());
        assert!(acquire(&one, next_service_id(), Some(2)).unwrap().is_some());
        // A permit given back makes room.
        drop(first);
        let third = acquire(&one, service, Some(2)).unwrap();
        assert!(third.is_some());
        drop((second, third));
        assert!(ConnWatches::of(&one).lock().is_empty());
    }
}
