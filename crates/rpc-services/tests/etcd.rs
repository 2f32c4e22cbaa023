//! KVStoreService on etcd: netrpc servers over TCP loopback, each with its own etcd store on
//! one real etcd (started by the test; Debian's etcd-server), behave as one store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use netrpc::{Client, Empty, Json, Server};
use netrpc_etcd::testing::TestEtcd;
use netrpc_etcd::{EtcdAddress, EtcdStore};
use rpc_services::{KvStoreService, WatchFromArgs, WatchFromReply};

/// Turns a hang into a failure.
const BOUND: Duration = Duration::from_secs(60);

async fn bounded<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {BOUND:?}"))
}

/// Waits (bounded) for a condition a server reaches on its own.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    bounded(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
}

/// A netrpc server on tcp loopback with its own etcd store.
struct Node {
    addr: String,
    store: EtcdStore,
    server: Server,
}

async fn node(address: &EtcdAddress) -> Node {
    let store = EtcdStore::connect(address).await.unwrap();
    let kv = KvStoreService::builder()
        .backend(Arc::new(store.clone()))
        .build();
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    let server = Server::builder().register(kv).build();
    tokio::spawn({
        let server = server.clone();
        async move { server.serve(listener, Json).await }
    });
    Node {
        addr,
        store,
        server,
    }
}

async fn dial(node: &Node) -> Client {
    Client::dial(&node.addr, Json).await.unwrap()
}

async fn set(client: &Client, key: &str, value: &str) {
    let _: Empty = client
        .call("KVStoreService.Set", &[key.to_owned(), value.to_owned()])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_through_one_server_wakes_watches_on_the_others() {
    let etcd = TestEtcd::start().await;
    let address = etcd.address("/app");
    let nodes = [
        node(&address).await,
        node(&address).await,
        node(&address).await,
    ];
    let clients = [
        dial(&nodes[0]).await,
        dial(&nodes[1]).await,
        dial(&nodes[2]).await,
    ];

    let from: u64 = clients[0]
        .call("KVStoreService.Revision", &Empty {})
        .await
        .unwrap();
    let mut watches = Vec::new();
    let mut follows = Vec::new();
    for client in &clients[1..] {
        watches.push(client.go::<_, String>("KVStoreService.Watch", 60i64));
        let args = WatchFromArgs {
            revision: from,
            prefix: String::new(),
            timeout_seconds: 60,
        };
        follows.push(client.go::<_, WatchFromReply>("KVStoreService.WatchFrom", args));
    }
    for node in &nodes[1..] {
        eventually("two waiting", || node.store.watcher_count() == 2).await;
    }
    let started = Instant::now();
    set(&clients[0], "k", "v1").await;
    for call in watches {
        let key = bounded("Watch", call).await.reply.unwrap();
        assert_eq!(key, "k");
    }
    for call in follows {
        let reply = bounded("WatchFrom", call).await.reply.unwrap();
        assert_eq!(reply.changes.len(), 1, "{reply:?}");
        assert_eq!(reply.changes[0].key, "k");
        assert_eq!(reply.changes[0].value, "v1");
        assert_eq!(reply.changes[0].revision, from + 1);
    }
    eprintln!(
        "Set through server 0 to Watch and WatchFrom woken on servers 1 and 2: {:?}",
        started.elapsed()
    );
    let got: String = clients[2].call("KVStoreService.Get", &"k").await.unwrap();
    assert_eq!(got, "v1");
    // The same value again is no change: the revision stays.
    set(&clients[1], "k", "v1").await;
    let rev: u64 = clients[2]
        .call("KVStoreService.Revision", &Empty {})
        .await
        .unwrap();
    assert_eq!(rev, from + 1);
    let err = clients[1]
        .call::<_, String>("KVStoreService.Get", &"missing")
        .await
        .unwrap_err();
    assert_eq!(err.server_message(), Some("not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_loses_nothing_across_a_server_restart() {
    let etcd = TestEtcd::start().await;
    let address = etcd.address("/r");
    let writer = node(&address).await;
    let writer_client = dial(&writer).await;
    let mut reader = node(&address).await;
    let mut revision: u64 = writer_client
        .call("KVStoreService.Revision", &Empty {})
        .await
        .unwrap();
    let mut seen = Vec::new();
    const N: usize = 30;
    for round in 0..3 {
        let client = dial(&reader).await;
        // Writes while the reader is up, followed with WatchFrom.
        for i in 0..N / 3 {
            set(
                &writer_client,
                &format!("k{}", round * 10 + i),
                &format!("v{round}-{i}"),
            )
            .await;
        }
        while seen.len() < (round + 1) * N / 3 {
            let args = WatchFromArgs {
                revision,
                prefix: "k".into(),
                timeout_seconds: 30,
            };
            let reply: WatchFromReply =
                bounded("WatchFrom", client.call("KVStoreService.WatchFrom", &args))
                    .await
                    .unwrap();
            assert!(!reply.changes.is_empty(), "timed out at {revision}");
            revision = reply.revision;
            seen.extend(reply.changes.into_iter().map(|c| c.value));
        }
        // The reader goes away; writes go on meanwhile; a new reader resumes from `revision`.
        drop(client);
        reader.server.shutdown(Duration::from_secs(1)).await;
        drop(reader);
        set(&writer_client, &format!("gap{round}"), "x").await;
        reader = node(&address).await;
    }
    let want: Vec<_> = (0..3)
        .flat_map(|round| (0..N / 3).map(move |i| format!("v{round}-{i}")))
        .collect();
    assert_eq!(seen, want, "every change once, in order");
    // The `gap` keys (not under the prefix "k") were written while no reader ran: found from the
    // start revision on a server started after them.
    let client = dial(&reader).await;
    let args = WatchFromArgs {
        revision: 0,
        prefix: "gap".into(),
        timeout_seconds: 0,
    };
    let reply: WatchFromReply = client
        .call("KVStoreService.WatchFrom", &args)
        .await
        .unwrap();
    let keys: Vec<_> = reply.changes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["gap0", "gap1", "gap2"]);
    drop(writer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_and_an_etcd_outage_answer_with_clear_errors() {
    let mut etcd = TestEtcd::start().await;
    let address = etcd.address("/x");
    let a = node(&address).await;
    let client = dial(&a).await;
    set(&client, "k", "1").await;
    set(&client, "k", "2").await;
    let rev: u64 = client
        .call("KVStoreService.Revision", &Empty {})
        .await
        .unwrap();
    a.store
        .client()
        .compact(i64::try_from(rev).unwrap())
        .await
        .unwrap();
    let args = WatchFromArgs {
        revision: 0,
        prefix: String::new(),
        timeout_seconds: 0,
    };
    let err = client
        .call::<_, WatchFromReply>("KVStoreService.WatchFrom", &args)
        .await
        .unwrap_err();
    let text = err.server_message().unwrap_or_default().to_owned();
    assert_eq!(
        text,
        format!("compacted: changes after revision 0 are gone; the oldest kept is {rev}")
    );

    etcd.kill();
    let started = Instant::now();
    let err = client
        .call::<_, String>("KVStoreService.Get", &"k")
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    let text = err.server_message().unwrap_or_default().to_owned();
    assert!(
        text.starts_with("etcd unavailable") || text.starts_with("etcd error"),
        "{text}"
    );
    assert!(elapsed < Duration::from_secs(7), "{elapsed:?}");
    etcd.restart().await;
    eventually("the watch reopened", || a.store.watch_down().is_none()).await;
    let args = WatchFromArgs {
        revision: rev,
        prefix: String::new(),
        timeout_seconds: 30,
    };
    let follow = client.go::<_, WatchFromReply>("KVStoreService.WatchFrom", args);
    eventually("one waiting", || a.store.watcher_count() == 1).await;
    set(&client, "k", "3").await;
    let reply = bounded("WatchFrom", follow).await.reply.unwrap();
    assert_eq!(reply.changes.len(), 1, "{reply:?}");
    assert_eq!(reply.changes[0].value, "3");
}

/// A change as a WatchFrom chain saw it.
type Seen = Vec<(u64, String, String)>;

/// Follows every change under `w` from `from` through `node` until `total` came, calling
/// WatchFrom again from the same revision when a call fails (etcd down).
async fn follow_through_outage(node: &Node, from: u64, total: usize) -> Seen {
    let client = dial(node).await;
    let mut revision = from;
    let mut seen = Vec::new();
    for _ in 0..100_000 {
        if seen.len() >= total {
            return seen;
        }
        let args = WatchFromArgs {
            revision,
            prefix: "w".into(),
            timeout_seconds: 5,
        };
        match client
            .call::<_, WatchFromReply>("KVStoreService.WatchFrom", &args)
            .await
        {
            Ok(reply) => {
                assert!(reply.revision >= revision, "{reply:?} after {revision}");
                revision = reply.revision;
                seen.extend(
                    reply
                        .changes
                        .into_iter()
                        .map(|c| (c.revision, c.key, c.value)),
                );
            }
            Err(err) => {
                let text = err.to_string();
                assert!(text.contains("etcd"), "{text}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    panic!("{} of {total} changes after 100000 calls", seen.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_restarted_under_load_every_change_once_in_order() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let mut etcd = TestEtcd::start().await;
    let address = etcd.address("/load");
    let nodes = Arc::new([
        node(&address).await,
        node(&address).await,
        node(&address).await,
    ]);
    const SETS: usize = 40;
    let total = nodes.len() * SETS;
    let from: u64 = dial(&nodes[0])
        .await
        .call("KVStoreService.Revision", &Empty {})
        .await
        .unwrap();

    // A WatchFrom chain per server, from before the restart.
    let readers: Vec<_> = (0..nodes.len())
        .map(|i| {
            let nodes = nodes.clone();
            tokio::spawn(async move { follow_through_outage(&nodes[i], from, total).await })
        })
        .collect();
    // A writer per server: key wI set to 0, 1, ... SETS-1, each Set repeated until it succeeds
    // (a repeat of one that was applied is no change).
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..nodes.len())
        .map(|i| {
            let (nodes, done, failed) = (nodes.clone(), done.clone(), failed.clone());
            tokio::spawn(async move {
                let client = dial(&nodes[i]).await;
                for n in 0..SETS {
                    let args = [format!("w{i}"), n.to_string()];
                    let mut attempts = 0;
                    while let Err(err) = client.call::<_, Empty>("KVStoreService.Set", &args).await
                    {
                        assert!(err.to_string().contains("etcd"), "{err}");
                        attempts += 1;
                        assert!(attempts < 10_000, "Set {args:?} kept failing: {err}");
                        failed.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    // A third of the way through, etcd goes down; once every server noticed, it comes back.
    eventually("a third of the sets", || {
        done.load(Ordering::Relaxed) >= total / 3
    })
    .await;
    etcd.kill();
    eventually("every server's watch is down", || {
        nodes.iter().all(|n| n.store.watch_down().is_some())
    })
    .await;
    etcd.restart().await;

    for writer in writers {
        bounded("writer", writer).await.unwrap();
    }
    let mut chains = Vec::new();
    for reader in readers {
        chains.push(bounded("reader", reader).await.unwrap());
    }
    eprintln!(
        "{} Sets failed and were repeated during the outage",
        failed.load(Ordering::Relaxed)
    );
    let first = &chains[0];
    assert_eq!(first.len(), total, "{first:?}");
    assert!(
        first.windows(2).all(|w| w[0].0 < w[1].0),
        "revisions in order: {first:?}"
    );
    for i in 0..nodes.len() {
        let key = format!("w{i}");
        let values: Vec<&str> = first
            .iter()
            .filter(|c| c.1 == key)
            .map(|c| c.2.as_str())
            .collect();
        let want: Vec<String> = (0..SETS).map(|n| n.to_string()).collect();
        assert_eq!(values, want, "every value of {key} once, in order");
    }
    for chain in &chains[1..] {
        assert_eq!(chain, first, "every server saw the same changes");
    }
    for node in nodes.iter() {
        eventually("the watch is up", || node.store.watch_down().is_none()).await;
        let got: String = dial(node)
            .await
            .call("KVStoreService.Get", &"w0")
            .await
            .unwrap();
        assert_eq!(got, (SETS - 1).to_string());
    }
}

/// `netrpc serve ARGS` (the binary), stdout piped, stderr captured.
fn netrpc_serve(args: &[String]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_netrpc"))
        .arg("serve")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting netrpc")
}

/// Waits (bounded) for `netrpc serve` to exit and returns its stderr; it must fail.
async fn serve_fails(args: &[String]) -> String {
    let child = netrpc_serve(args);
    let output = bounded(
        "netrpc serve to exit",
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(!output.status.success(), "netrpc serve {args:?} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_etcd_with_tls_and_a_user_from_flags() {
    use netrpc_etcd::testing::TestCerts;
    use std::io::BufRead;

    let certs = TestCerts::new();
    let mut etcd = TestEtcd::start_tls(&certs).await;
    etcd.enable_auth("pw0rd").await;
    let password = certs.dir().join("password");
    std::fs::write(&password, "pw0rd\n").unwrap();
    let wrong = certs.dir().join("wrong");
    std::fs::write(&wrong, "nope-nope\n").unwrap();
    let path = |name: &str| certs.path(name).display().to_string();
    let base = |password: &std::path::Path| -> Vec<String> {
        [
            "--listen",
            "tcp://127.0.0.1:0",
            "--codec",
            "json",
            "--store",
            &format!("etcds://{}/cli", etcd.endpoint()),
            "--etcd-ca",
            &path("ca.pem"),
            "--etcd-user",
            "root",
            "--etcd-password-file",
            &password.display().to_string(),
        ]
        .map(String::from)
        .to_vec()
    };
    let client_cert = [
        "--etcd-cert",
        &path("client.pem"),
        "--etcd-key",
        &path("client.key"),
    ]
    .map(String::from);

    let mut args = base(&password);
    args.extend(client_cert.clone());
    let mut child = netrpc_serve(&args);
    let stdout = child.stdout.take().unwrap();
    let line = bounded(
        "the listening line",
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .map(|_| line)
        }),
    )
    .await
    .unwrap()
    .unwrap();
    let Some(addr) = line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        panic!(
            "netrpc serve: {line:?}; stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let client = Client::dial(addr, Json).await.unwrap();
    set(&client, "k", "over TLS").await;
    let got: String = client.call("KVStoreService.Get", &"k").await.unwrap();
    assert_eq!(got, "over TLS");
    // It is in etcd, under the prefix.
    let store = EtcdStore::connect(&etcd.address("/cli")).await.unwrap();
    assert_eq!(store.get("k").await.unwrap().as_deref(), Some("over TLS"));
    let _ = child.kill();
    let _ = child.wait();

    // A wrong password, no client certificate, a missing CA file: serve fails at start,
    // saying why (and never shows the password).
    let mut args = base(&wrong);
    args.extend(client_cert.clone());
    let stderr = serve_fails(&args).await;
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(!stderr.contains("nope-nope"), "{stderr}");
    let stderr = serve_fails(&base(&password)).await;
    assert!(stderr.contains("client certificate"), "{stderr}");
    let mut args = base(&password);
    args.extend(client_cert);
    let ca = args.iter().position(|a| a == "--etcd-ca").unwrap() + 1;
    args[ca] = path("missing-ca.pem");
    let stderr = serve_fails(&args).await;
    assert!(stderr.contains("missing-ca.pem"), "{stderr}");
    // The flags need an etcd store.
    let stderr = serve_fails(&["--etcd-user".into(), "root".into()]).await;
    assert!(stderr.contains("--store etcd"), "{stderr}");
}
