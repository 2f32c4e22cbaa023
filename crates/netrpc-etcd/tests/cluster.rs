//! The etcd store on a three-member etcd cluster (three etcd processes on loopback) that loses a
//! member: Get, Set, Watch and WatchFrom go on through the others, and no change is lost.

use std::time::Duration;

use netrpc_etcd::testing::TestCluster;
use netrpc_etcd::{Change, EtcdStore};

/// Turns a hang into a failure.
const BOUND: Duration = Duration::from_secs(60);

async fn bounded<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {BOUND:?}"))
}

/// Waits (bounded) for a condition the store reaches on its own.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    bounded(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
}

/// Every change after `from` through WatchFrom calls on `store`, until `count` came.
async fn follow_all(store: &EtcdStore, from: u64, count: usize) -> Vec<Change> {
    let mut revision = from;
    let mut seen = Vec::new();
    for _ in 0..1000 {
        if seen.len() >= count {
            return seen;
        }
        let reply = bounded("WatchFrom", store.watch_from(revision, "", BOUND))
            .await
            .unwrap_or_else(|err| panic!("WatchFrom({revision}): {err}"));
        assert!(reply.revision >= revision);
        revision = reply.revision;
        seen.extend(reply.changes);
    }
    panic!("only {} of {count} changes after 1000 calls", seen.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_losing_a_member_keeps_serving_and_loses_no_change() {
    let mut cluster = TestCluster::start(3).await;
    let address = cluster.address("/c");
    assert_eq!(address.endpoints.len(), 3);
    let a = EtcdStore::connect(&address).await.unwrap();
    let b = EtcdStore::connect(&address).await.unwrap();
    // Both use the first member, the one about to go.
    let first = address.endpoints[0].clone();
    assert_eq!(a.client().current_endpoint(), first);
    assert_eq!(b.client().current_endpoint(), first);

    let from = a.revision().await.unwrap();
    let mut want = Vec::new();
    for i in 0..10 {
        let key = format!("k{i:02}");
        let rev = a.set(&key, "v").await.unwrap().expect("a change");
        want.push((rev, key));
    }
    // Calls waiting on `b` across the loss.
    let last = want[9].0;
    let follow = tokio::spawn({
        let b = b.clone();
        async move { b.watch_from(last, "", BOUND).await }
    });
    let watch = tokio::spawn({
        let b = b.clone();
        async move { b.watch(BOUND).await }
    });
    eventually("two waiting on b", || b.watcher_count() == 2).await;

    cluster.kill(0);
    for i in 10..20 {
        let key = format!("k{i:02}");
        // `None` ("no change") when a first attempt reached the dead leader's log and was
        // committed after all: the retry then found the value set. Its revision comes from
        // the watch below.
        let rev = a.set(&key, "v").await.unwrap_or_else(|err| {
            panic!("Set {key} with a member down: {err}\n{}", cluster.logs())
        });
        want.push((rev.unwrap_or(0), key));
    }
    assert_ne!(a.client().current_endpoint(), first, "a failed over");
    assert_eq!(a.get("k15").await.unwrap().as_deref(), Some("v"));

    let key = bounded("watch", watch).await.unwrap().unwrap();
    assert_eq!(key.as_deref(), Some("k10"));
    let reply = bounded("follow", follow).await.unwrap().unwrap();
    assert_eq!(reply.changes[0].key, "k10");

    // A Watch begun after the loss is woken too.
    let watch = tokio::spawn({
        let b = b.clone();
        async move { b.watch(BOUND).await }
    });
    eventually("one waiting on b", || b.watcher_count() == 1).await;
    let rev = a.set("k20", "v").await.unwrap().expect("a change");
    want.push((rev, "k20".to_owned()));
    assert_eq!(
        bounded("watch", watch).await.unwrap().unwrap().as_deref(),
        Some("k20")
    );

    // Every change once, in order: through b's own watch (reopened on another member), and
    // read back from etcd by a store connected after the loss (its first endpoint is dead).
    let keys = |changes: Vec<Change>| -> Vec<(u64, String)> {
        changes.into_iter().map(|c| (c.revision, c.key)).collect()
    };
    let seen = keys(follow_all(&b, from, want.len()).await);
    assert_eq!(seen.len(), want.len(), "{seen:?}");
    for ((rev, key), (want_rev, want_key)) in seen.iter().zip(&want) {
        assert_eq!(key, want_key, "{seen:?}");
        assert!(*want_rev == 0 || rev == want_rev, "{seen:?} {want:?}");
    }
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
    let c = bounded("connect after the loss", EtcdStore::connect(&address))
        .await
        .unwrap();
    assert_eq!(keys(follow_all(&c, from, want.len()).await), seen);
    assert_eq!(c.get("k20").await.unwrap().as_deref(), Some("v"));
    assert!(b.watch_down().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sets_in_flight_when_a_member_dies_all_land_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let mut cluster = TestCluster::start(3).await;
    let address = cluster.address("/f");
    let writer = EtcdStore::connect(&address).await.unwrap();
    let reader = EtcdStore::connect(&address).await.unwrap();
    let from = writer.revision().await.unwrap();
    const SETS: usize = 60;
    let done = Arc::new(AtomicUsize::new(0));
    // Every Set must succeed: the member's loss is the client's business, not the caller's.
    let writes = tokio::spawn({
        let done = done.clone();
        async move {
            for n in 0..SETS {
                writer
                    .set("key", &n.to_string())
                    .await
                    .unwrap_or_else(|err| panic!("Set {n}: {err}"));
                done.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    eventually("a third of the sets", || {
        done.load(Ordering::Relaxed) >= SETS / 3
    })
    .await;
    cluster.kill(0);
    bounded("the writer", writes)
        .await
        .unwrap_or_else(|err| panic!("{err}\n{}", cluster.logs()));
    let seen = follow_all(&reader, from, SETS).await;
    // Every value once, in order (a repeated Set that had landed is no change).
    let values: Vec<&str> = seen.iter().map(|c| c.value.as_str()).collect();
    let want: Vec<String> = (0..SETS).map(|n| n.to_string()).collect();
    assert_eq!(values, want);
    assert!(
        seen.windows(2).all(|w| w[0].revision < w[1].revision),
        "{seen:?}"
    );
    assert_eq!(
        reader.get("key").await.unwrap().as_deref(),
        Some((SETS - 1).to_string().as_str())
    );
}
