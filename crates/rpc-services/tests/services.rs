//! The seed's services served by netrpc, called through real connections: the Watch fixes
//! (nothing left behind, Set never held up, nothing missed by WatchFrom) and per-connection login.

use std::time::Duration;

use futures_util::future::join_all;
use netrpc::{Client, Empty, Json, Postcard, Server};
use rpc_services::{
    Credentials, KvStore, KvStoreService, LoginHelloService, WatchFromArgs, WatchFromReply,
};
use tokio::io::AsyncWriteExt;

/// Turns a hang into a failure.
const BOUND: Duration = Duration::from_secs(60);

async fn bounded<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {BOUND:?}"))
}

/// Waits for a condition the server reaches on its own (handlers registering or being dropped).
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    bounded(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

/// A KV service without the per-connection watch limit, for the tests that park thousands of
/// watches on one connection.
fn unlimited() -> KvStoreService {
    KvStoreService::builder().max_watches_per_conn(None).build()
}

async fn serve_kv(kv: KvStoreService, codec: impl netrpc::Codec) -> String {
    let listener = netrpc::transport::listen(&"mem://".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    let server = Server::builder().register(kv).build();
    tokio::spawn(async move { server.serve(listener, codec).await });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_timed_out_watches_leave_no_watcher() {
    let kv = KvStoreService::default();
    let addr = serve_kv(kv.clone(), Json).await;
    let client = Client::dial(&addr, Json).await.unwrap();
    let calls: Vec<_> = (0..10_000)
        .map(|_| client.go::<_, String>("KVStoreService.Watch", 0i64))
        .collect();
    for done in bounded("watches", join_all(calls)).await {
        assert_eq!(done.reply.unwrap_err().server_message(), Some("timeout"));
    }
    assert_eq!(kv.watcher_count(), 0);
    // A real (one second) timeout takes the same path.
    let err = client
        .call::<_, String>("KVStoreService.Watch", &1i64)
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some("timeout"));
    assert_eq!(kv.watcher_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_abandoned_watches_leave_no_watcher() {
    let kv = unlimited();
    let addr = serve_kv(kv.clone(), Json).await;
    // Abandoned by closing the connection (any codec).
    let client = Client::dial(&addr, Json).await.unwrap();
    let calls: Vec<_> = (0..10_000)
        .map(|_| client.go::<_, String>("KVStoreService.Watch", 30i64))
        .collect();
    eventually("10,000 watchers registered", || {
        kv.watcher_count() == 10_000
    })
    .await;
    drop(calls);
    drop(client);
    eventually("watchers removed on close", || kv.watcher_count() == 0).await;

    // Abandoned by dropping the handles on a framing that carries cancellation.
    let addr = serve_kv(kv.clone(), Postcard).await;
    let client = Client::dial(&addr, Postcard).await.unwrap();
    let calls: Vec<_> = (0..10_000)
        .map(|_| client.go::<_, String>("KVStoreService.Watch", 30i64))
        .collect();
    eventually("10,000 watchers registered", || {
        kv.watcher_count() == 10_000
    })
    .await;
    drop(calls);
    eventually("watchers removed on cancel", || kv.watcher_count() == 0).await;
    let v = client
        .call::<_, String>("KVStoreService.Watch", &0i64)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(v, "timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_unaffected_by_ten_thousand_idle_watchers() {
    let kv = unlimited();
    let addr = serve_kv(kv.clone(), Json).await;
    // A peer that asks for 10,000 watches and then never reads a reply.
    let mut idle = netrpc::transport::dial(&addr.parse().unwrap())
        .await
        .unwrap();
    let requests: String = (0..10_000)
        .map(|i| format!("{{\"method\":\"KVStoreService.Watch\",\"params\":[30],\"id\":{i}}}\n"))
        .collect();
    let writer = tokio::spawn(async move {
        idle.stream_mut()
            .unwrap()
            .write_all(requests.as_bytes())
            .await
            .unwrap();
        idle
    });
    eventually("10,000 watchers registered", || {
        kv.watcher_count() == 10_000
    })
    .await;
    let client = Client::dial(&addr, Json).await.unwrap();
    for i in 0..100 {
        let key = format!("k{i}");
        bounded(
            "set",
            client.call::<_, Empty>("KVStoreService.Set", &[key.as_str(), "v"]),
        )
        .await
        .unwrap();
        let got: String = client.call("KVStoreService.Get", &key).await.unwrap();
        assert_eq!(got, "v");
    }
    assert_eq!(kv.watcher_count(), 0, "the first set woke every watcher");
    drop(bounded("writer", writer).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_watchers_on_one_connection_do_not_block_it() {
    let kv = unlimited();
    let addr = serve_kv(kv.clone(), Json).await;
    let client = Client::dial(&addr, Json).await.unwrap();
    let calls: Vec<_> = (0..5_000)
        .map(|_| client.go::<_, String>("KVStoreService.Watch", 30i64))
        .collect();
    eventually("watchers registered", || kv.watcher_count() == 5_000).await;
    // The same connection goes on serving other calls.
    let err = client
        .call::<_, String>("KVStoreService.Get", "abc")
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some("not found"));
    client
        .call::<_, Empty>("KVStoreService.Set", &["abc", ""])
        .await
        .unwrap();
    // The first set of a key is a change even with an empty value: it woke everyone.
    for done in bounded("watchers woken", join_all(calls)).await {
        assert_eq!(done.reply.unwrap(), "abc");
    }
    assert_eq!(kv.watcher_count(), 0);
    // Setting a key to its current value is not a change.
    assert_eq!(
        kv.store()
            .expect("an in-memory store")
            .set("abc".into(), String::new()),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_watchers_woken_by_one_set() {
    let kv = KvStoreService::default();
    let addr = serve_kv(kv.clone(), Postcard).await;
    let clients: Vec<Client> = join_all((0..5).map(|_| Client::dial(&addr, Postcard)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let calls: Vec<_> = (0..50)
        .map(|i| clients[i % 5].go::<_, String>("KVStoreService.Watch", 30i64))
        .collect();
    eventually("50 watchers", || kv.watcher_count() == 50).await;
    clients[0]
        .call::<_, Empty>("KVStoreService.Set", &["key", "value"])
        .await
        .unwrap();
    for done in bounded("woken", join_all(calls)).await {
        assert_eq!(done.reply.unwrap(), "key");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_loses_nothing_across_100_000_sets() {
    const SETS: u64 = 100_000;
    let kv = KvStoreService::default();
    let addr = serve_kv(kv.clone(), Postcard).await;
    let client = Client::dial(&addr, Postcard).await.unwrap();
    let start: u64 = client
        .call("KVStoreService.Revision", &Empty {})
        .await
        .unwrap();

    let follow = |prefix: &'static str, want: u64| {
        let client = client.clone();
        tokio::spawn(async move {
            let mut revision = start;
            let mut seen = Vec::new();
            while (seen.len() as u64) < want {
                let args = WatchFromArgs {
                    revision,
                    prefix: prefix.into(),
                    timeout_seconds: 30,
                };
                let reply: WatchFromReply = client
                    .call("KVStoreService.WatchFrom", &args)
                    .await
                    .unwrap();
                assert!(
                    !reply.changes.is_empty(),
                    "a 30 s long poll came back empty"
                );
                for change in &reply.changes {
                    assert!(change.revision > revision && change.revision <= reply.revision);
                    assert!(change.key.starts_with(prefix));
                }
                seen.extend(reply.changes);
                revision = reply.revision;
            }
            seen
        })
    };
    let all = follow("", SETS);
    let sevens = follow("k7", SETS / 10);
    let store: KvStore = kv.store().expect("an in-memory store").clone();
    let setter = tokio::task::spawn_blocking(move || {
        for i in 0..SETS {
            store.set(format!("k{}", i % 10), format!("v{i}"));
        }
    });
    bounded("setter", setter).await.unwrap();
    let all = bounded("follower", all).await.unwrap();
    let sevens = bounded("prefix follower", sevens).await.unwrap();
    assert_eq!(all.len() as u64, SETS);
    for (i, change) in all.iter().enumerate() {
        let i = i as u64;
        assert_eq!(
            change.revision,
            start + i + 1,
            "no change skipped or repeated"
        );
        assert_eq!(change.key, format!("k{}", i % 10));
        assert_eq!(change.value, format!("v{i}"));
    }
    assert_eq!(sevens.len() as u64, SETS / 10);
    assert!(sevens.iter().all(|c| c.key == "k7"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_reports_compaction_instead_of_skipping() {
    let kv = KvStoreService::new(KvStore::with_history(10));
    let addr = serve_kv(kv.clone(), Json).await;
    let client = Client::dial(&addr, Json).await.unwrap();
    for i in 0..20 {
        client
            .call::<_, Empty>("KVStoreService.Set", &["k".to_string(), i.to_string()])
            .await
            .unwrap();
    }
    let args = WatchFromArgs {
        revision: 5,
        prefix: String::new(),
        timeout_seconds: 0,
    };
    let err = client
        .call::<_, WatchFromReply>("KVStoreService.WatchFrom", &args)
        .await
        .unwrap_err();
    assert!(
        err.server_message().unwrap().starts_with("compacted:"),
        "{err}"
    );
    let args = WatchFromArgs {
        revision: 10,
        ..args
    };
    let reply: WatchFromReply = client
        .call("KVStoreService.WatchFrom", &args)
        .await
        .unwrap();
    assert_eq!(reply.revision, 20);
    let revisions: Vec<u64> = reply.changes.iter().map(|c| c.revision).collect();
    assert_eq!(revisions, (11..=20).collect::<Vec<_>>());
    // Timeout 0 with nothing new: an empty reply at the current revision.
    let args = WatchFromArgs {
        revision: 20,
        ..args
    };
    let reply: WatchFromReply = client
        .call("KVStoreService.WatchFrom", &args)
        .await
        .unwrap();
    assert_eq!((reply.revision, reply.changes.len()), (20, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_is_per_connection() {
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    let credentials = Credentials::new("user:password");
    let server = Server::builder()
        .register_per_connection("HelloService", move |ctx| {
            LoginHelloService::new(ctx, credentials.clone())
        })
        .build();
    tokio::spawn(async move { server.serve(listener, Json).await });

    let client = Client::dial(&addr, Json).await.unwrap();
    let err = client
        .call::<_, String>("HelloService.Hello", "hi")
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some("please login"));
    let err = client
        .call::<_, String>("HelloService.Login", "user:passwore")
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some("auth failed"));
    let err = client
        .call::<_, String>("HelloService.Login", "user:password ")
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some("auth failed"));
    client
        .call::<_, String>("HelloService.Login", "user:password")
        .await
        .unwrap();
    let reply: String = client.call("HelloService.Hello", "hi").await.unwrap();
    // The peer address as the server sees it: this client's loopback address and port.
    let port = reply
        .strip_prefix("hello:hi, from 127.0.0.1:")
        .expect(&reply);
    port.parse::<u16>().expect(&reply);

    let other = Client::dial(&addr, Json).await.unwrap();
    let err = other
        .call::<_, String>("HelloService.Hello", "hi")
        .await
        .unwrap_err();
    assert_eq!(
        err.server_message(),
        Some("please login"),
        "login never outlives its connection"
    );
}
