//! A throwaway etcd server for tests (feature `testing`): a fresh data directory, free loopback
//! ports, killed when dropped. It needs the `etcd` binary (Debian: `apt-get install
//! etcd-server`) and fails, saying so, when it is missing.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{EtcdAddress, EtcdClient, Timeouts};

/// How long etcd gets to start answering.
const START: Duration = Duration::from_secs(30);

/// A running etcd (or a stopped one that can be started again on the same ports and data).
pub struct TestEtcd {
    child: Option<Child>,
    dir: tempfile::TempDir,
    client_port: u16,
    peer_port: u16,
}

/// A port free now on 127.0.0.1 (bound to port 0, then released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

impl TestEtcd {
    /// Starts etcd and waits until it answers. Retries with other ports when the chosen ones
    /// were taken in between.
    pub async fn start() -> TestEtcd {
        for _attempt in 0..5 {
            let mut etcd = TestEtcd {
                child: None,
                dir: tempfile::tempdir().expect("temp dir"),
                client_port: free_port(),
                peer_port: free_port(),
            };
            if etcd.client_port == etcd.peer_port {
                continue;
            }
            if etcd.run().await {
                return etcd;
            }
        }
        panic!("etcd did not start on free ports in 5 attempts");
    }

    /// The `etcd://` address of the server with `prefix` (e.g. `"/t1"`, or `""`).
    pub fn address(&self, prefix: &str) -> EtcdAddress {
        format!("etcd://127.0.0.1:{}{prefix}", self.client_port)
            .parse()
            .expect("a valid address")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the process (again), returning whether it answered within [`START`].
    async fn run(&mut self) -> bool {
        let client = format!("http://127.0.0.1:{}", self.client_port);
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let child = Command::new("etcd")
            .arg("--name=test")
            .arg(format!("--data-dir={}", self.data_dir().display()))
            .arg(format!("--listen-client-urls={client}"))
            .arg(format!("--advertise-client-urls={client}"))
            .arg(format!("--listen-peer-urls={peer}"))
            .arg(format!("--initial-advertise-peer-urls={peer}"))
            .arg(format!("--initial-cluster=test={peer}"))
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(self.dir.path().join("etcd.log")).expect("etcd.log"),
            ))
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => panic!(
                "the etcd binary is not on PATH: install Debian's etcd-server \
                 (apt-get install etcd-server), or etcd 3.4+ from etcd.io"
            ),
            Err(err) => panic!("starting etcd: {err}"),
        };
        self.child = Some(child);
        let addr = self.address("");
        let timeouts = Timeouts {
            connect: Duration::from_millis(200),
            request: Duration::from_millis(500),
            ..Timeouts::default()
        };
        let deadline = tokio::time::Instant::now() + START;
        while tokio::time::Instant::now() < deadline {
            let exited = match &mut self.child {
                Some(child) => child.try_wait().ok().flatten(),
                None => None,
            };
            if let Some(status) = exited {
                eprintln!("etcd exited: {status}; log:\n{}", self.log());
                self.child = None;
                return false;
            }
            let client = EtcdClient::new(&addr.endpoints, timeouts).expect("a client");
            if client.revision().await.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("etcd did not answer within {START:?}; log:\n{}", self.log());
    }

    /// etcd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("etcd.log")).unwrap_or_default()
    }

    /// Kills the process (SIGKILL) and waits for it; the data stays.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again after [`kill`](Self::kill), on the same ports and data.
    pub async fn restart(&mut self) {
        assert!(
            self.run().await,
            "etcd did not restart; log:\n{}",
            self.log()
        );
    }
}

impl Drop for TestEtcd {
    fn drop(&mut self) {
        self.kill();
    }
}
