//! Throwaway etcd servers for tests (feature `testing`): fresh data directories, free loopback
//! ports, killed when dropped. They need the `etcd` binary (Debian: `apt-get install
//! etcd-server`) and fail, saying so, when it is missing.
//!
//! - [`TestEtcd`]: one member, plain or with TLS and client certificates ([`TestCerts`]), and
//!   with etcd's authentication turned on ([`TestEtcd::enable_auth`]).
//! - [`TestCluster`]: several members on loopback, any of which can be killed and restarted.
//! - [`TestCerts`]: a CA, a server certificate for `127.0.0.1`/`localhost` and client
//!   certificates, made by the `openssl` command as deployments make them.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::proto::auth as pa;
use crate::{EtcdAddress, EtcdClient, EtcdSecurity, EtcdTls, EtcdUser, Timeouts};

/// How long etcd gets to start answering.
const START: Duration = Duration::from_secs(30);

/// A port free now on 127.0.0.1 (bound to port 0, then released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// The server side of TLS for a test etcd.
#[derive(Clone, Debug)]
struct ServerTls {
    cert: PathBuf,
    key: PathBuf,
    ca: PathBuf,
}

/// One etcd process.
struct Process {
    child: Option<Child>,
    dir: tempfile::TempDir,
    name: String,
    client_port: u16,
    peer_port: u16,
    tls: Option<ServerTls>,
}

impl Process {
    fn new(name: &str, tls: Option<ServerTls>) -> Process {
        Process {
            child: None,
            dir: tempfile::tempdir().expect("temp dir"),
            name: name.to_owned(),
            client_port: free_port(),
            peer_port: free_port(),
            tls,
        }
    }

    fn client_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.client_port)
    }

    fn peer(&self) -> String {
        format!("{}=http://127.0.0.1:{}", self.name, self.peer_port)
    }

    fn spawn(&mut self, initial_cluster: &str) {
        let client = self.client_url();
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let mut command = Command::new("etcd");
        command
            .arg(format!("--name={}", self.name))
            .arg(format!(
                "--data-dir={}",
                self.dir.path().join("data").display()
            ))
            .arg(format!("--listen-client-urls={client}"))
            .arg(format!("--advertise-client-urls={client}"))
            .arg(format!("--listen-peer-urls={peer}"))
            .arg(format!("--initial-advertise-peer-urls={peer}"))
            .arg(format!("--initial-cluster={initial_cluster}"))
            .arg("--initial-cluster-state=new")
            .arg("--heartbeat-interval=50")
            .arg("--election-timeout=500");
        if let Some(tls) = &self.tls {
            command
                .arg(format!("--cert-file={}", tls.cert.display()))
                .arg(format!("--key-file={}", tls.key.display()))
                .arg(format!("--trusted-ca-file={}", tls.ca.display()))
                .arg("--client-cert-auth");
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("etcd.log"))
            .expect("etcd.log");
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn();
        self.child = Some(match child {
            Ok(child) => child,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => panic!(
                "the etcd binary is not on PATH: install Debian's etcd-server \
                 (apt-get install etcd-server), or etcd 3.4+ from etcd.io"
            ),
            Err(err) => panic!("starting etcd: {err}"),
        });
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok().flatten();
        if status.is_some() {
            self.child = None;
        }
        status
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("etcd.log")).unwrap_or_default()
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until the members answer through `address` (any answer from etcd counts), or one
/// exits (`false`).
async fn wait_ready(procs: &mut [&mut Process], address: &EtcdAddress) -> bool {
    let timeouts = Timeouts {
        connect: Duration::from_millis(200),
        request: Duration::from_millis(500),
        ..Timeouts::default()
    };
    let deadline = tokio::time::Instant::now() + START;
    while tokio::time::Instant::now() < deadline {
        for proc in procs.iter_mut() {
            if let Some(status) = proc.exited() {
                eprintln!("etcd {} exited: {status}; log:\n{}", proc.name, proc.log());
                return false;
            }
        }
        let client = EtcdClient::for_address(address, timeouts).expect("a client");
        if client.revision().await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs: Vec<String> = procs.iter().map(|p| p.log()).collect();
    panic!(
        "etcd did not answer within {START:?}; logs:\n{}",
        logs.join("\n----\n")
    );
}

/// The `etcd://` (or `etcds://`) address of `ports` with `prefix` and `security`.
fn address_of(ports: &[u16], prefix: &str, security: &EtcdSecurity) -> EtcdAddress {
    let hosts: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let mut address: EtcdAddress = format!("etcd://{}{prefix}", hosts.join(","))
        .parse()
        .expect("a valid address");
    address.security = security.clone();
    address
}

/// A running etcd (or a stopped one that can be started again on the same ports and data).
pub struct TestEtcd {
    proc: Process,
    security: EtcdSecurity,
}

impl TestEtcd {
    /// Starts a plain-text etcd and waits until it answers. Retries with other ports when the
    /// chosen ones were taken in between.
    pub async fn start() -> TestEtcd {
        Self::start_with(None, EtcdSecurity::default()).await
    }

    /// Starts an etcd serving TLS with `certs`' server certificate and requiring client
    /// certificates signed by `certs`' CA (`--client-cert-auth`). Its
    /// [`address`](Self::address) trusts that CA and presents `certs`' client certificate.
    pub async fn start_tls(certs: &TestCerts) -> TestEtcd {
        let tls = ServerTls {
            cert: certs.path("server.pem"),
            key: certs.path("server.key"),
            ca: certs.path("ca.pem"),
        };
        let security = EtcdSecurity {
            tls: Some(EtcdTls {
                ca: Some(certs.path("ca.pem")),
                cert: Some(certs.path("client.pem")),
                key: Some(certs.path("client.key")),
                server_name: None,
            }),
            user: None,
        };
        Self::start_with(Some(tls), security).await
    }

    async fn start_with(tls: Option<ServerTls>, security: EtcdSecurity) -> TestEtcd {
        for _attempt in 0..5 {
            let proc = Process::new("test", tls.clone());
            if proc.client_port == proc.peer_port {
                continue;
            }
            let mut etcd = TestEtcd {
                proc,
                security: security.clone(),
            };
            if etcd.run().await {
                return etcd;
            }
        }
        panic!("etcd did not start on free ports in 5 attempts");
    }

    /// The address of the server with `prefix` (e.g. `"/t1"`, or `""`), with its TLS and
    /// user.
    pub fn address(&self, prefix: &str) -> EtcdAddress {
        address_of(&[self.proc.client_port], prefix, &self.security)
    }

    /// The `HOST:PORT` of its client port.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.proc.client_port)
    }

    /// Turns on etcd's authentication: adds the user `root` with `password` and the root role,
    /// then enables auth. From then on [`address`](Self::address) carries that user.
    pub async fn enable_auth(&mut self, password: &str) {
        let client =
            EtcdClient::for_address(&self.address(""), Timeouts::default()).expect("a client");
        let _: pa::AuthAdminResponse = client
            .unary(
                pa::USER_ADD,
                pa::UserAddRequest {
                    name: "root".into(),
                    password: password.into(),
                },
            )
            .await
            .expect("UserAdd root");
        let _: pa::AuthAdminResponse = client
            .unary(
                pa::USER_GRANT_ROLE,
                pa::UserGrantRoleRequest {
                    user: "root".into(),
                    role: "root".into(),
                },
            )
            .await
            .expect("UserGrantRole root root");
        let _: pa::AuthAdminResponse = client
            .unary(pa::AUTH_ENABLE, pa::AuthEnableRequest {})
            .await
            .expect("AuthEnable");
        self.security.user = Some(EtcdUser {
            name: "root".into(),
            password: password.into(),
        });
    }

    /// Adds the user `name` with `password` and a role of the same name allowed to read and
    /// write the keys under `prefix` only (after [`enable_auth`](Self::enable_auth), as root).
    pub async fn add_user(&self, name: &str, password: &str, prefix: &str) {
        let client =
            EtcdClient::for_address(&self.address(""), Timeouts::default()).expect("a client");
        let _: pa::AuthAdminResponse = client
            .unary(
                pa::USER_ADD,
                pa::UserAddRequest {
                    name: name.into(),
                    password: password.into(),
                },
            )
            .await
            .expect("UserAdd");
        let _: pa::AuthAdminResponse = client
            .unary(pa::ROLE_ADD, pa::RoleAddRequest { name: name.into() })
            .await
            .expect("RoleAdd");
        let _: pa::AuthAdminResponse = client
            .unary(
                pa::ROLE_GRANT_PERMISSION,
                pa::RoleGrantPermissionRequest {
                    name: name.into(),
                    perm: Some(pa::Permission {
                        perm_type: 2,
                        key: prefix.as_bytes().to_vec(),
                        range_end: crate::proto::prefix_end(prefix.as_bytes()),
                    }),
                },
            )
            .await
            .expect("RoleGrantPermission");
        let _: pa::AuthAdminResponse = client
            .unary(
                pa::USER_GRANT_ROLE,
                pa::UserGrantRoleRequest {
                    user: name.into(),
                    role: name.into(),
                },
            )
            .await
            .expect("UserGrantRole");
    }

    /// Starts the process (again), returning whether it answered within [`START`].
    async fn run(&mut self) -> bool {
        let peer = self.proc.peer();
        self.proc.spawn(&peer);
        let address = self.address("");
        wait_ready(&mut [&mut self.proc], &address).await
    }

    /// etcd's log so far.
    pub fn log(&self) -> String {
        self.proc.log()
    }

    /// Kills the process (SIGKILL) and waits for it; the data stays.
    pub fn kill(&mut self) {
        self.proc.kill();
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

/// A cluster of plain-text etcd members on loopback.
pub struct TestCluster {
    members: Vec<Process>,
    initial_cluster: String,
}

impl TestCluster {
    /// Starts `size` members and waits until the cluster answers.
    pub async fn start(size: usize) -> TestCluster {
        for _attempt in 0..5 {
            let members: Vec<Process> = (0..size)
                .map(|i| Process::new(&format!("m{i}"), None))
                .collect();
            let mut ports: Vec<u16> = members
                .iter()
                .flat_map(|m| [m.client_port, m.peer_port])
                .collect();
            ports.sort_unstable();
            ports.dedup();
            if ports.len() != 2 * size {
                continue;
            }
            let initial_cluster = members
                .iter()
                .map(Process::peer)
                .collect::<Vec<_>>()
                .join(",");
            let mut cluster = TestCluster {
                members,
                initial_cluster,
            };
            for i in 0..size {
                let initial = cluster.initial_cluster.clone();
                cluster.members[i].spawn(&initial);
            }
            let address = cluster.address("");
            let mut procs: Vec<&mut Process> = cluster.members.iter_mut().collect();
            if wait_ready(&mut procs, &address).await {
                return cluster;
            }
        }
        panic!("an etcd cluster did not start on free ports in 5 attempts");
    }

    /// The address naming every member, with `prefix`.
    pub fn address(&self, prefix: &str) -> EtcdAddress {
        let ports: Vec<u16> = self.members.iter().map(|m| m.client_port).collect();
        address_of(&ports, prefix, &EtcdSecurity::default())
    }

    /// The address of member `i` alone.
    pub fn member_address(&self, i: usize, prefix: &str) -> EtcdAddress {
        address_of(
            &[self.members[i].client_port],
            prefix,
            &EtcdSecurity::default(),
        )
    }

    /// Kills member `i` (SIGKILL); its data stays.
    pub fn kill(&mut self, i: usize) {
        self.members[i].kill();
    }

    /// The logs of every member.
    pub fn logs(&self) -> String {
        let logs: Vec<String> = self.members.iter().map(Process::log).collect();
        logs.join("\n----\n")
    }
}

/// Certificates made by `openssl` in a temporary directory: `ca.pem`/`ca.key`, `server.pem`/
/// `server.key` (for `IP:127.0.0.1` and `DNS:localhost`, signed by the CA), `client.pem`/
/// `client.key` (signed by the CA), and `other-ca.pem` with `other-client.pem`/
/// `other-client.key` signed by it (what etcd does not trust).
pub struct TestCerts {
    dir: tempfile::TempDir,
}

impl TestCerts {
    /// Makes them (a few `openssl` runs); panics, saying so, when openssl is missing.
    pub fn new() -> TestCerts {
        let certs = TestCerts {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        certs.self_signed("ca", "netrpc test CA");
        certs.self_signed("other-ca", "another CA");
        certs.issued(
            "server",
            "ca",
            "etcd",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
        );
        certs.issued("client", "ca", "netrpc", "extendedKeyUsage=clientAuth\n");
        certs.issued(
            "other-client",
            "other-ca",
            "netrpc",
            "extendedKeyUsage=clientAuth\n",
        );
        certs
    }

    /// The file `name` in the directory (e.g. `"ca.pem"`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn openssl(&self, args: &[&str]) {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|err| match err.kind() {
                std::io::ErrorKind::NotFound => panic!(
                    "`openssl` was not found: these tests make their certificates with it \
                     (Debian: apt-get install openssl)"
                ),
                _ => panic!("running openssl: {err}"),
            });
        assert!(
            output.status.success(),
            "openssl {args:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn self_signed(&self, name: &str, cn: &str) {
        let (pem, key) = (format!("{name}.pem"), format!("{name}.key"));
        let subject = format!("/CN={cn}");
        self.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-subj",
            &subject,
        ]);
    }

    fn issued(&self, name: &str, ca: &str, cn: &str, extensions: &str) {
        let (pem, key) = (format!("{name}.pem"), format!("{name}.key"));
        let (csr, ext) = (format!("{name}.csr"), format!("{name}.ext"));
        std::fs::write(self.path(&ext), extensions).expect("an extensions file");
        let subject = format!("/CN={cn}");
        self.openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &subject,
        ]);
        let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &pem,
        ]);
    }
}

impl Default for TestCerts {
    fn default() -> Self {
        Self::new()
    }
}
