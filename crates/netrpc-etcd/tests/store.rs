//! The etcd store against a real etcd started by the test (Debian's etcd-server).

use std::time::Duration;

use netrpc_etcd::testing::TestEtcd;
use netrpc_etcd::{EtcdError, EtcdStore, Timeouts};

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

fn quick() -> Timeouts {
    Timeouts {
        connect: Duration::from_millis(300),
        request: Duration::from_secs(1),
        keep_alive: Duration::from_secs(1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_get_revision() {
    let etcd = TestEtcd::start().await;
    let store = EtcdStore::connect(&etcd.address("/t")).await.unwrap();
    assert_eq!(store.get("a").await.unwrap(), None);
    let r0 = store.revision().await.unwrap();
    let r1 = store
        .set("a", "1")
        .await
        .unwrap()
        .expect("the first set is a change");
    assert_eq!(r1, r0 + 1);
    assert_eq!(store.revision().await.unwrap(), r1);
    assert_eq!(store.get("a").await.unwrap().as_deref(), Some("1"));
    assert_eq!(
        store.set("a", "1").await.unwrap(),
        None,
        "the same value is no change"
    );
    assert_eq!(store.revision().await.unwrap(), r1);
    // The first set of a key to "" is a change too.
    assert_eq!(store.set("e", "").await.unwrap(), Some(r1 + 1));
    assert_eq!(store.set("e", "").await.unwrap(), None);
    // Another prefix is another store on the same etcd.
    let other = EtcdStore::connect(&etcd.address("/u")).await.unwrap();
    assert_eq!(other.get("a").await.unwrap(), None);

    let reply = store.watch_from(r0, "", Duration::ZERO).await.unwrap();
    let keys: Vec<_> = reply
        .changes
        .iter()
        .map(|c| (c.revision, c.key.as_str()))
        .collect();
    // Up to where this server has seen (its watch may lag the Set's reply a little).
    let want = [(r1, "a"), (r1 + 1, "e")];
    assert_eq!(keys, want[..keys.len()]);
    let reply = bounded("watch_from", store.watch_from(r1, "", BOUND))
        .await
        .unwrap();
    assert_eq!(reply.changes[0].key, "e");
    assert_eq!(reply.changes[0].value, "");
    assert!(reply.revision > r1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_and_watch_from_wake_on_a_set_through_another_store() {
    let etcd = TestEtcd::start().await;
    let a = EtcdStore::connect(&etcd.address("/w")).await.unwrap();
    let b = EtcdStore::connect(&etcd.address("/w")).await.unwrap();
    let from = b.revision().await.unwrap();
    let watch = tokio::spawn({
        let b = b.clone();
        async move { b.watch(BOUND).await }
    });
    let follow = tokio::spawn({
        let b = b.clone();
        async move { b.watch_from(from, "k", BOUND).await }
    });
    eventually("two waiting on b", || b.watcher_count() == 2).await;
    let rev = a.set("other", "x").await.unwrap().unwrap();
    let rev2 = a.set("k1", "v").await.unwrap().unwrap();
    assert_eq!(
        bounded("watch", watch).await.unwrap().unwrap().as_deref(),
        Some("other")
    );
    let reply = bounded("watch_from", follow).await.unwrap().unwrap();
    assert_eq!(reply.changes.len(), 1, "{reply:?}");
    assert_eq!(
        (reply.changes[0].revision, reply.changes[0].key.as_str()),
        (rev2, "k1")
    );
    assert!(rev < rev2);
    assert_eq!(b.watcher_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_revisions_come_from_etcd_and_compaction_says_compacted() {
    let etcd = TestEtcd::start().await;
    let a = EtcdStore::connect(&etcd.address("/c")).await.unwrap();
    let r0 = a.revision().await.unwrap();
    let mut revs = Vec::new();
    for i in 0..5 {
        revs.push(a.set("k", &i.to_string()).await.unwrap().unwrap());
    }
    // A store started now has no history before its start: it reads it back from etcd.
    let late = EtcdStore::connect(&etcd.address("/c")).await.unwrap();
    let reply = late.watch_from(r0, "", Duration::ZERO).await.unwrap();
    let got: Vec<_> = reply
        .changes
        .iter()
        .map(|c| (c.revision, c.value.clone()))
        .collect();
    let want: Vec<_> = revs
        .iter()
        .enumerate()
        .map(|(i, r)| (*r, i.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(reply.revision, revs[4]);

    late.client()
        .compact(i64::try_from(revs[3]).unwrap())
        .await
        .unwrap();
    let err = late.watch_from(r0, "", Duration::ZERO).await.unwrap_err();
    assert!(matches!(err, EtcdError::Compacted { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "compacted: changes after revision {r0} are gone; the oldest kept is {}",
            revs[3]
        )
    );
    // From the compaction revision on, nothing is lost.
    let reply = late.watch_from(revs[3], "", Duration::ZERO).await.unwrap();
    assert_eq!(reply.changes.len(), 1);
    assert_eq!(reply.changes[0].revision, revs[4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_down_fails_promptly_and_the_watch_recovers() {
    let mut etcd = TestEtcd::start().await;
    let addr = etcd.address("/d");
    let a = EtcdStore::connect_with(&addr, quick(), 1000).await.unwrap();
    let from = a.revision().await.unwrap();
    let first = a.set("k", "before").await.unwrap().unwrap();
    // A WatchFrom waiting across the outage.
    let follow = tokio::spawn({
        let a = a.clone();
        async move { a.watch_from(first, "", BOUND).await }
    });
    eventually("one waiting", || a.watcher_count() == 1).await;

    etcd.kill();
    let started = tokio::time::Instant::now();
    let err = a.set("k", "during").await.unwrap_err();
    let err2 = a.get("k").await.unwrap_err();
    let err3 = a.revision().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    for e in [&err, &err2, &err3] {
        assert!(e.to_string().contains("etcd"), "{e}");
    }
    eventually("the watch noticed", || {
        a.watch_from(from, "", Duration::ZERO).now_or_never_is_err()
    })
    .await;

    etcd.restart().await;
    // A store connected after the restart sets a key: the waiting WatchFrom (through the
    // reopened watch) gets it.
    let b = EtcdStore::connect_with(&addr, quick(), 1000).await.unwrap();
    let after = b.set("k", "after").await.unwrap().unwrap();
    let reply = bounded("follow", follow).await.unwrap().unwrap();
    assert_eq!(reply.changes.len(), 1, "{reply:?}");
    assert_eq!(
        (reply.changes[0].revision, reply.changes[0].value.as_str()),
        (after, "after")
    );
    // Nothing lost from before the outage either.
    let all = bounded("watch_from", a.watch_from(from, "", BOUND))
        .await
        .unwrap();
    let values: Vec<_> = all.changes.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(values, ["before", "after"]);
}

/// Polls a future once: whether it is already done with an error.
trait NowOrNever {
    fn now_or_never_is_err(self) -> bool;
}

impl<F, T, E> NowOrNever for F
where
    F: std::future::Future<Output = Result<T, E>>,
{
    fn now_or_never_is_err(self) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut fut = std::pin::pin!(self);
        matches!(fut.as_mut().poll(&mut cx), std::task::Poll::Ready(Err(_)))
    }
}
