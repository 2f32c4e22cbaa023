//! The etcd store over TLS with client certificates, and with etcd's user/password
//! authentication, against real etcd servers started by the tests (certificates made by
//! `openssl` at test time); misconfigurations fail at once with errors that say what is wrong.

use std::time::Duration;

use netrpc_etcd::testing::{TestCerts, TestEtcd};
use netrpc_etcd::{EtcdAddress, EtcdError, EtcdStore, EtcdTls, EtcdUser, Timeouts};

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

/// Set, Get, and a WatchFrom woken by a Set through another store.
async fn store_works(address: &EtcdAddress) {
    let a = bounded("connect", EtcdStore::connect(address))
        .await
        .unwrap_or_else(|err| panic!("connect {address}: {err}"));
    let b = EtcdStore::connect(address).await.unwrap();
    let from = a.revision().await.unwrap();
    let follow = tokio::spawn({
        let b = b.clone();
        async move { b.watch_from(from, "", BOUND).await }
    });
    eventually("one waiting", || b.watcher_count() == 1).await;
    let rev = a.set("k", "v").await.unwrap().expect("a change");
    assert_eq!(a.get("k").await.unwrap().as_deref(), Some("v"));
    let reply = bounded("watch_from", follow).await.unwrap().unwrap();
    assert_eq!(reply.changes.len(), 1, "{reply:?}");
    assert_eq!(
        (reply.changes[0].revision, reply.changes[0].key.as_str()),
        (rev, "k")
    );
}

/// What connecting to `address` fails with (bounded).
async fn connect_error(address: &EtcdAddress) -> EtcdError {
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_secs(10),
        keep_alive: Duration::from_secs(5),
    };
    bounded("connect", EtcdStore::connect_with(address, timeouts, 10))
        .await
        .expect_err("the connection should fail")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_client_certificates() {
    let certs = TestCerts::new();
    let etcd = TestEtcd::start_tls(&certs).await;
    let good = etcd.address("/tls");
    assert!(good.to_string().starts_with("etcds://"), "{good}");
    store_works(&good).await;

    // The same address written by hand parses to the same thing.
    let text = format!(
        "etcds://{}/tls?ca={}&cert={}&key={}",
        etcd.endpoint(),
        certs.path("ca.pem").display(),
        certs.path("client.pem").display(),
        certs.path("client.key").display()
    );
    assert_eq!(text.parse::<EtcdAddress>().unwrap(), good);

    let with_tls = |f: &dyn Fn(&mut EtcdTls)| {
        let mut address = good.clone();
        f(address.security.tls.as_mut().unwrap());
        address
    };

    // A CA that did not sign the server's certificate: the error names the CA file. A timeout
    // would mean the handshake failure was retried instead of reported.
    let other_ca = certs.path("other-ca.pem");
    let err = connect_error(&with_tls(&|t| t.ca = Some(other_ca.clone()))).await;
    let text = err.to_string();
    eprintln!("{text}");
    assert!(matches!(err, EtcdError::Tls { .. }), "{text}");
    assert!(text.contains("not trusted by the CA file"), "{text}");
    assert!(text.contains(&other_ca.display().to_string()), "{text}");

    // No client certificate: etcd refuses the handshake; the error says to give one.
    let err = connect_error(&with_tls(&|t| {
        t.cert = None;
        t.key = None;
    }))
    .await;
    let text = err.to_string();
    eprintln!("{text}");
    assert!(matches!(err, EtcdError::Tls { .. }), "{text}");
    assert!(text.contains("client certificate"), "{text}");

    // A client certificate from a CA etcd does not trust.
    let err = connect_error(&with_tls(&|t| {
        t.cert = Some(certs.path("other-client.pem"));
        t.key = Some(certs.path("other-client.key"));
    }))
    .await;
    let text = err.to_string();
    eprintln!("{text}");
    assert!(matches!(err, EtcdError::Tls { .. }), "{text}");
    assert!(text.contains("refused"), "{text}");

    // A name the server's certificate does not carry.
    let err = connect_error(&with_tls(&|t| {
        t.server_name = Some("elsewhere.example".into())
    }))
    .await;
    let text = err.to_string();
    eprintln!("{text}");
    assert!(matches!(err, EtcdError::Tls { .. }), "{text}");
    assert!(text.contains("server-name="), "{text}");

    // CA files that are missing or hold no certificate: named, before anything is dialed.
    let missing = certs.path("missing.pem");
    let err = connect_error(&with_tls(&|t| t.ca = Some(missing.clone()))).await;
    assert!(
        matches!(&err, EtcdError::File { what: "CA", path, .. } if path == &missing),
        "{err}"
    );
    assert!(err.to_string().contains(&missing.display().to_string()));
    let garbage = certs.path("client.ext");
    let err = connect_error(&with_tls(&|t| t.ca = Some(garbage.clone()))).await;
    assert!(
        matches!(&err, EtcdError::File { what: "CA", path, .. } if path == &garbage),
        "{err}"
    );
    let err = connect_error(&with_tls(&|t| t.key = Some(certs.path("client.pem")))).await;
    assert!(
        matches!(
            &err,
            EtcdError::File {
                what: "client key",
                ..
            }
        ),
        "{err}"
    );

    // Plain text to the TLS port fails (not a hang).
    let mut plain = good.clone();
    plain.security.tls = None;
    let _ = connect_error(&plain).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_and_password_and_a_token_renewed_after_an_etcd_restart() {
    let mut etcd = TestEtcd::start().await;
    etcd.enable_auth("s3cret").await;
    let address = etcd.address("/auth");
    assert_eq!(
        address.security.user.as_ref().map(|u| u.name.as_str()),
        Some("root")
    );
    store_works(&address).await;

    // A user allowed only the store's prefix, as deployments give netrpc.
    etcd.add_user("netrpc", "pw2", "limited/").await;
    let limited: EtcdAddress = format!("etcd://netrpc:pw2@{}/limited", etcd.endpoint())
        .parse()
        .unwrap();
    store_works(&limited).await;
    let elsewhere: EtcdAddress = format!("etcd://netrpc:pw2@{}/other", etcd.endpoint())
        .parse()
        .unwrap();
    let err = connect_error(&elsewhere).await;
    let text = err.to_string();
    eprintln!("{text}");
    assert!(text.contains("permission denied"), "{text}");

    // A wrong password: an authentication error, at once.
    let mut wrong = address.clone();
    wrong.security.user = Some(EtcdUser {
        name: "root".into(),
        password: "wrong".into(),
    });
    let err = connect_error(&wrong).await;
    let text = err.to_string();
    eprintln!("{text}");
    assert!(matches!(err, EtcdError::Auth { .. }), "{text}");
    assert!(text.contains("authentication failed"), "{text}");
    assert!(!text.contains("wrong"), "the password is not shown: {text}");

    // No user while etcd has authentication on.
    let mut anonymous = address.clone();
    anonymous.security.user = None;
    let err = connect_error(&anonymous).await;
    let text = err.to_string();
    eprintln!("{text}");
    assert!(matches!(err, EtcdError::Auth { .. }), "{text}");
    assert!(text.contains("no user was given"), "{text}");

    // The password from a file, as in `?user=root&password-file=FILE`.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, "s3cret\n").unwrap();
    let from_file: EtcdAddress = format!(
        "etcd://{}/auth?user=root&password-file={}",
        etcd.endpoint(),
        file.display()
    )
    .parse()
    .unwrap();
    assert_eq!(from_file, address);

    // etcd restarts: its tokens are gone. The store authenticates again; its watch reopens and
    // a WatchFrom waiting across the restart loses nothing.
    let store = EtcdStore::connect(&address).await.unwrap();
    let first = store.set("r", "before").await.unwrap().unwrap();
    let follow = tokio::spawn({
        let store = store.clone();
        async move { store.watch_from(first, "r", BOUND).await }
    });
    eventually("one waiting", || store.watcher_count() == 1).await;
    etcd.kill();
    etcd.restart().await;
    let after = bounded("set after the restart", async {
        loop {
            match store.set("r", "after").await {
                Ok(rev) => break rev.expect("a change"),
                // The store's token was issued by the etcd that was killed: renewed here.
                Err(err) => {
                    assert!(
                        !matches!(err, EtcdError::Auth { .. } | EtcdError::Tls { .. }),
                        "{err}"
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    })
    .await;
    let reply = bounded("follow", follow).await.unwrap().unwrap();
    assert_eq!(reply.changes.len(), 1, "{reply:?}");
    assert_eq!(
        (reply.changes[0].revision, reply.changes[0].value.as_str()),
        (after, "after")
    );
    assert_eq!(store.get("r").await.unwrap().as_deref(), Some("after"));
    eventually("the watch is up", || store.watch_down().is_none()).await;
}
