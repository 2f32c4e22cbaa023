//! A small etcd v3 client: unary KV calls and watch streams, each call bounded by a timeout,
//! over TLS and with etcd's user/password authentication when the address asks for them.
//!
//! *Failover.* One HTTP/2 channel per endpoint; calls go to the current member and move to the
//! next one when it fails at the transport (refused, reset, TLS) or answers `Unavailable` (no
//! leader, leader changed, request timed out), within [`Timeouts::request`]. Every call is safe
//! to send again: reads, the compare-and-put of `Set` (sent twice it changes the value once) and
//! opening a watch from a revision.
//!
//! *Authentication.* With a user, the client calls `Auth.Authenticate` once and sends the token
//! as the `token` metadata of every call; when etcd rejects it (expired, or etcd restarted) it
//! authenticates again and retries once. Watches are sent with `hasleader: true`, so a member
//! cut off from the leader cancels them rather than going quiet.

use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::client::Grpc;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic_prost::ProstCodec;

use crate::address::{EtcdSecurity, EtcdTls, EtcdUser};
use crate::proto::{self, path};
use crate::{EtcdAddress, EtcdError};

/// Bounds on waiting for etcd.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Dialing one endpoint (the TLS handshake included).
    pub connect: Duration,
    /// One call, from sending it to its answer (also the bound on opening a watch), failover
    /// to other members and authentication included.
    pub request: Duration,
    /// HTTP/2 keep-alive: a ping every this long, the connection dropped when one is not
    /// answered within the same time (a dead etcd behind a live network path is noticed).
    pub keep_alive: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(2),
            request: Duration::from_secs(5),
            keep_alive: Duration::from_secs(5),
        }
    }
}

/// The longest wait before asking a member again after it answered `Unavailable`.
const MAX_RETRY_WAIT: Duration = Duration::from_millis(200);

/// A client of one etcd cluster. Clones share the connections and the token.
#[derive(Clone)]
pub struct EtcdClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EtcdClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdClient")
            .field("endpoints", &self.inner.endpoints)
            .field("tls", &self.inner.tls.is_some())
            .field("user", &self.inner.user.as_ref().map(|u| &u.name))
            .finish()
    }
}

struct Member {
    endpoint: String,
    grpc: Grpc<Channel>,
}

struct Inner {
    members: Vec<Member>,
    /// The member calls go to first.
    current: AtomicUsize,
    endpoints: String,
    timeouts: Timeouts,
    tls: Option<EtcdTls>,
    /// The same TLS configuration for [`probe_tls`].
    probe: Option<Arc<rustls::ClientConfig>>,
    user: Option<EtcdUser>,
    token: Mutex<TokenState>,
    /// Held while authenticating, so that concurrent calls authenticate once.
    authenticating: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
enum Token {
    /// Not asked for yet, or rejected.
    Unknown,
    /// Sent with every call; `None` when etcd has authentication off.
    Known(Option<AsciiMetadataValue>),
}

struct TokenState {
    /// Counts tokens obtained, so that a rejection forgets only the token it was about.
    generation: u64,
    token: Token,
}

/// The sending half of a watch stream and its responses.
pub(crate) struct WatchStream {
    pub(crate) requests: mpsc::Sender<proto::WatchRequest>,
    pub(crate) responses: tonic::Streaming<proto::WatchResponse>,
    endpoint: String,
}

/// How a failed attempt is handled.
enum Failure {
    /// Give up with this error.
    Fatal(EtcdError),
    /// The connection failed: try the next member.
    Transport(EtcdError),
    /// etcd answered `Unavailable`: try the next member, after a short wait once all were tried.
    Unavailable(EtcdError),
    /// The token was rejected: authenticate again.
    TokenRejected(EtcdError),
}

impl EtcdClient {
    /// A client of the members at `endpoints` (`HOST:PORT` each), plain-text and without
    /// authentication. Connects lazily: nothing is dialed until the first call. Must be called
    /// inside a tokio runtime.
    pub fn new(endpoints: &[String], timeouts: Timeouts) -> Result<Self, EtcdError> {
        Self::with_security(endpoints, &EtcdSecurity::default(), timeouts)
    }

    /// A client of the cluster at `address`, with its TLS and user.
    pub fn for_address(address: &EtcdAddress, timeouts: Timeouts) -> Result<Self, EtcdError> {
        Self::with_security(&address.endpoints, &address.security, timeouts)
    }

    /// A client of the members at `endpoints` with TLS and authentication as `security` says.
    /// The CA, certificate and key files are read now (an unreadable or empty one is an
    /// [`EtcdError::File`] naming it); nothing is dialed until the first call.
    pub fn with_security(
        endpoints: &[String],
        security: &EtcdSecurity,
        timeouts: Timeouts,
    ) -> Result<Self, EtcdError> {
        let (tls, probe) = match &security.tls {
            Some(tls) => {
                let (config, probe) = tls_config(tls, timeouts)?;
                (Some(config), Some(probe))
            }
            None => (None, None),
        };
        let mut members = Vec::new();
        for host in endpoints {
            let scheme = if tls.is_some() { "https" } else { "http" };
            let mut endpoint = Endpoint::from_shared(format!("{scheme}://{host}"))
                .map_err(|err| EtcdError::Address {
                    address: host.clone(),
                    reason: err.to_string(),
                })?
                .connect_timeout(timeouts.connect)
                .tcp_nodelay(true)
                .http2_keep_alive_interval(timeouts.keep_alive)
                .keep_alive_timeout(timeouts.keep_alive)
                .keep_alive_while_idle(true);
            if let Some(tls) = &tls {
                endpoint = endpoint
                    .tls_config(tls.clone())
                    .map_err(|err| EtcdError::Tls {
                        endpoint: host.clone(),
                        reason: chain(&err),
                    })?;
            }
            members.push(Member {
                endpoint: host.clone(),
                grpc: Grpc::new(endpoint.connect_lazy()),
            });
        }
        if members.is_empty() {
            return Err(EtcdError::Address {
                address: String::new(),
                reason: "no endpoint".into(),
            });
        }
        Ok(EtcdClient {
            inner: Arc::new(Inner {
                members,
                current: AtomicUsize::new(0),
                endpoints: endpoints.join(","),
                timeouts,
                tls: security.tls.clone(),
                probe,
                user: security.user.clone(),
                token: Mutex::new(TokenState {
                    generation: 0,
                    token: Token::Unknown,
                }),
                authenticating: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The endpoints, comma-separated (for messages).
    pub fn endpoints(&self) -> &str {
        &self.inner.endpoints
    }

    /// The endpoint calls go to first now (it moves on when a member fails).
    pub fn current_endpoint(&self) -> &str {
        let i = self.inner.current.load(Ordering::Relaxed) % self.inner.members.len();
        &self.inner.members[i].endpoint
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    pub(crate) fn timeout_error(&self) -> EtcdError {
        EtcdError::Timeout {
            endpoints: self.inner.endpoints.clone(),
            timeout: self.inner.timeouts.request,
        }
    }

    /// Member `i` failed: later calls start at the next one.
    fn failed(&self, i: usize) {
        let n = self.inner.members.len();
        let _ = self.inner.current.compare_exchange(
            i,
            (i + 1) % n,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Forgets the token (a watch was cancelled, which is how etcd rejects a stale token on a
    /// watch): the next call authenticates again.
    pub(crate) fn token_rejected(&self) {
        if self.inner.user.is_some() {
            let mut state = lock(&self.inner.token);
            state.token = Token::Unknown;
        }
    }

    /// How a failed attempt on `endpoint` is handled.
    fn classify(&self, endpoint: &str, status: &tonic::Status) -> Failure {
        if let Some(reason) = tls_failure(status, &self.inner) {
            return Failure::Fatal(EtcdError::Tls {
                endpoint: endpoint.to_owned(),
                reason,
            });
        }
        let message = status.message();
        if self.inner.user.is_some()
            && (status.code() == tonic::Code::Unauthenticated
                || message.contains("invalid auth token")
                || message.contains("auth store is old"))
        {
            return Failure::TokenRejected(EtcdError::Auth {
                endpoints: endpoint.to_owned(),
                reason: format!("etcd rejected the token: {message}"),
            });
        }
        if self.inner.user.is_none() && message.contains("user name is empty") {
            return Failure::Fatal(EtcdError::Auth {
                endpoints: endpoint.to_owned(),
                reason: "etcd has authentication on and no user was given (USER:PASSWORD@ \
                         in the address, or --etcd-user)"
                    .into(),
            });
        }
        let err = EtcdError::status(endpoint, status);
        if std::error::Error::source(status).is_some() {
            Failure::Transport(err)
        } else if status.code() == tonic::Code::Unavailable {
            Failure::Unavailable(err)
        } else {
            Failure::Fatal(err)
        }
    }

    /// Runs `op` on the current member with the token, failing over to the others and
    /// authenticating again as needed, all within [`Timeouts::request`].
    async fn call<T, F, Fut>(&self, mut op: F) -> Result<T, EtcdError>
    where
        F: FnMut(Grpc<Channel>, &str, Option<AsciiMetadataValue>, Duration) -> Fut,
        Fut: Future<Output = Result<T, tonic::Status>>,
    {
        let deadline = Instant::now() + self.inner.timeouts.request;
        let n = self.inner.members.len();
        let mut transport_failures = 0;
        let mut tried = 0usize;
        let mut authenticated_again = false;
        let mut wait = Duration::from_millis(10);
        loop {
            let (generation, token) = self.token(deadline).await?;
            let i = self.inner.current.load(Ordering::Relaxed) % n;
            let member = &self.inner.members[i];
            let until = self.attempt_deadline(deadline);
            let left = until.saturating_duration_since(Instant::now());
            let attempt = op(member.grpc.clone(), &member.endpoint, token, left);
            let status = match tokio::time::timeout_at(until, attempt).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(status)) => status,
                Err(_) => {
                    // A member that does not answer (e.g. it forwarded the request to a leader
                    // that just died): the next one.
                    tracing::debug!(endpoint = member.endpoint, "etcd member did not answer");
                    self.failed(i);
                    if Instant::now() >= deadline {
                        return Err(self.timeout_error());
                    }
                    continue;
                }
            };
            tried += 1;
            match self.classify(&member.endpoint, &status) {
                Failure::Fatal(err) => return Err(err),
                Failure::TokenRejected(err) => {
                    if authenticated_again {
                        return Err(err);
                    }
                    authenticated_again = true;
                    self.forget_token(generation);
                }
                Failure::Transport(err) => {
                    tracing::debug!(endpoint = member.endpoint, %err, "etcd member failed");
                    if let Some(err) = self.probe_tls(&member.endpoint).await {
                        return Err(err);
                    }
                    self.failed(i);
                    transport_failures += 1;
                    if transport_failures >= n {
                        return Err(err);
                    }
                }
                Failure::Unavailable(err) => {
                    tracing::debug!(endpoint = member.endpoint, %err, "etcd member unavailable");
                    self.failed(i);
                    transport_failures = 0;
                    if tried % n == 0 {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left <= wait {
                            return Err(err);
                        }
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(MAX_RETRY_WAIT);
                    }
                }
            }
        }
    }

    /// Why a TLS connection to `endpoint` fails, found by a handshake of its own: with TLS 1.3
    /// etcd refuses a client certificate (or its absence) after the client's side of the
    /// handshake is done, so tonic only sees a closed connection. `None`: no TLS failure seen
    /// (not TLS, unreachable, or the handshake works).
    async fn probe_tls(&self, endpoint: &str) -> Option<EtcdError> {
        let config = self.inner.probe.clone()?;
        let tls = self.inner.tls.as_ref()?;
        let host = match &tls.server_name {
            Some(name) => name.clone(),
            None => {
                let host = endpoint.rsplit_once(':').map_or(endpoint, |(host, _)| host);
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned()
            }
        };
        let name = rustls::pki_types::ServerName::try_from(host).ok()?;
        let probe = async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let tcp = tokio::net::TcpStream::connect(endpoint).await.ok()?;
            let connector = tokio_rustls::TlsConnector::from(config);
            let mut stream = match connector.connect(name, tcp).await {
                Ok(stream) => stream,
                Err(err) => return rustls_error(&err).cloned(),
            };
            // etcd's verdict on the client certificate comes as an alert on the first read.
            // HTTP/2's client preface and an empty SETTINGS frame get an accepted client an
            // answer (etcd's SETTINGS) rather than silence.
            let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
            if let Err(err) = stream.write_all(preface).await {
                return rustls_error(&err).cloned();
            }
            let _ = stream.flush().await;
            let mut byte = [0u8; 1];
            match stream.read(&mut byte).await {
                Err(err) => rustls_error(&err).cloned(),
                Ok(_) => None,
            }
        };
        let err = tokio::time::timeout(self.inner.timeouts.connect, probe)
            .await
            .ok()
            .flatten()?;
        Some(EtcdError::Tls {
            endpoint: endpoint.to_owned(),
            reason: tls_reason(&err, tls),
        })
    }

    /// Until when one attempt may run: with several members a third of the request timeout,
    /// so that a member that does not answer leaves time for the others.
    fn attempt_deadline(&self, deadline: Instant) -> Instant {
        if self.inner.members.len() > 1 {
            deadline.min(Instant::now() + self.inner.timeouts.request / 3)
        } else {
            deadline
        }
    }

    fn forget_token(&self, generation: u64) {
        let mut state = lock(&self.inner.token);
        if state.generation == generation {
            state.token = Token::Unknown;
        }
    }

    /// The token to send (authenticating first when there is none), with its generation.
    async fn token(
        &self,
        deadline: Instant,
    ) -> Result<(u64, Option<AsciiMetadataValue>), EtcdError> {
        let Some(user) = &self.inner.user else {
            return Ok((0, None));
        };
        let known = || {
            let state = lock(&self.inner.token);
            match &state.token {
                Token::Known(token) => Some((state.generation, token.clone())),
                Token::Unknown => None,
            }
        };
        if let Some(known) = known() {
            return Ok(known);
        }
        let _guard = tokio::time::timeout_at(deadline, self.inner.authenticating.lock())
            .await
            .map_err(|_| self.timeout_error())?;
        if let Some(known) = known() {
            return Ok(known);
        }
        let token = self.authenticate(user, deadline).await?;
        let mut state = lock(&self.inner.token);
        state.generation += 1;
        state.token = Token::Known(token.clone());
        Ok((state.generation, token))
    }

    /// `Auth.Authenticate`, failing over as [`call`](Self::call) does. `None`: etcd has
    /// authentication off (the user is then not needed; etcd's own client does the same).
    async fn authenticate(
        &self,
        user: &EtcdUser,
        deadline: Instant,
    ) -> Result<Option<AsciiMetadataValue>, EtcdError> {
        let n = self.inner.members.len();
        let mut transport_failures = 0;
        let mut wait = Duration::from_millis(10);
        for tried in 1.. {
            let i = self.inner.current.load(Ordering::Relaxed) % n;
            let member = &self.inner.members[i];
            let req = proto::auth::AuthenticateRequest {
                name: user.name.clone(),
                password: user.password.clone(),
            };
            let until = self.attempt_deadline(deadline);
            let attempt = unary_once::<_, proto::auth::AuthenticateResponse>(
                member.grpc.clone(),
                None,
                until.saturating_duration_since(Instant::now()),
                proto::auth::AUTHENTICATE,
                req,
                false,
            );
            let status = match tokio::time::timeout_at(until, attempt).await {
                Ok(Ok(reply)) => {
                    return AsciiMetadataValue::try_from(reply.token.as_str())
                        .map(Some)
                        .map_err(|_| EtcdError::Malformed("a token that is not ASCII"));
                }
                Ok(Err(status)) => status,
                Err(_) => {
                    self.failed(i);
                    if Instant::now() >= deadline {
                        return Err(self.timeout_error());
                    }
                    continue;
                }
            };
            let message = status.message();
            if message.contains("authentication is not enabled") {
                tracing::warn!(
                    user = user.name,
                    "etcd has authentication off: calls go without a token"
                );
                return Ok(None);
            }
            if message.contains("authentication failed") || message.contains("invalid user") {
                return Err(EtcdError::Auth {
                    endpoints: member.endpoint.clone(),
                    reason: format!("user {:?}: {message}", user.name),
                });
            }
            match self.classify(&member.endpoint, &status) {
                Failure::Fatal(err) | Failure::TokenRejected(err) => return Err(err),
                Failure::Transport(err) => {
                    if let Some(err) = self.probe_tls(&member.endpoint).await {
                        return Err(err);
                    }
                    self.failed(i);
                    transport_failures += 1;
                    if transport_failures >= n {
                        return Err(err);
                    }
                }
                Failure::Unavailable(err) => {
                    self.failed(i);
                    transport_failures = 0;
                    if tried % n == 0 {
                        if deadline.saturating_duration_since(Instant::now()) <= wait {
                            return Err(err);
                        }
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(MAX_RETRY_WAIT);
                    }
                }
            }
        }
        Err(self.timeout_error())
    }

    /// A unary call of `method`, with failover and authentication.
    pub(crate) async fn unary<Req, Resp>(
        &self,
        method: &'static str,
        req: Req,
    ) -> Result<Resp, EtcdError>
    where
        Req: prost::Message + Clone + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        self.call(|grpc, _endpoint, token, left| {
            unary_once::<Req, Resp>(grpc, token, left, method, req.clone(), false)
        })
        .await
    }

    /// Opens a bidirectional stream of `method` whose first request is `first` and waits
    /// (bounded) for etcd to accept it, failing over as unary calls do. `require_leader` sends
    /// `hasleader: true`: a member without a leader refuses or cancels the stream.
    pub(crate) async fn open_stream<Req, Resp>(
        &self,
        method: &'static str,
        first: Req,
        require_leader: bool,
    ) -> Result<(mpsc::Sender<Req>, tonic::Streaming<Resp>, String), EtcdError>
    where
        Req: prost::Message + Clone + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        self.call(|mut grpc, endpoint, token, _left| {
            let (requests, rx) = mpsc::channel(16);
            // The channel is fresh: there is room.
            let _ = requests.try_send(first.clone());
            let endpoint = endpoint.to_owned();
            async move {
                grpc.ready()
                    .await
                    .map_err(|err| tonic::Status::from_error(Box::new(err)))?;
                let mut request = tonic::Request::new(ReceiverStream::new(rx));
                if let Some(token) = token {
                    request.metadata_mut().insert("token", token);
                }
                if require_leader {
                    request
                        .metadata_mut()
                        .insert("hasleader", AsciiMetadataValue::from_static("true"));
                }
                let codec = ProstCodec::<Req, Resp>::default();
                let stream = grpc
                    .streaming(request, PathAndQuery::from_static(method), codec)
                    .await?
                    .into_inner();
                Ok((requests, stream, endpoint))
            }
        })
        .await
    }

    /// `KV.Range`.
    pub async fn range(&self, req: proto::RangeRequest) -> Result<proto::RangeResponse, EtcdError> {
        self.unary(path::RANGE, req).await
    }

    /// `KV.Txn`.
    pub async fn txn(&self, req: proto::TxnRequest) -> Result<proto::TxnResponse, EtcdError> {
        self.unary(path::TXN, req).await
    }

    /// `KV.Compact`: drops the history before `revision` (waiting until it is applied).
    pub async fn compact(&self, revision: i64) -> Result<(), EtcdError> {
        let req = proto::CompactionRequest {
            revision,
            physical: true,
        };
        self.unary::<_, proto::CompactionResponse>(path::COMPACT, req)
            .await
            .map(drop)
    }

    /// The cluster's current revision (a linearizable read).
    pub async fn revision(&self) -> Result<u64, EtcdError> {
        let reply = self
            .range(proto::RangeRequest {
                key: vec![0],
                count_only: true,
                limit: 1,
                ..Default::default()
            })
            .await?;
        revision_of(reply.header.as_ref())
    }

    /// Opens a watch stream whose first request is `create`, and waits (bounded) for etcd to
    /// answer it.
    pub(crate) async fn watch(
        &self,
        create: proto::WatchCreateRequest,
    ) -> Result<WatchStream, EtcdError> {
        let first = proto::WatchRequest {
            request_union: Some(proto::WatchRequestUnion::CreateRequest(create)),
        };
        let (requests, responses, endpoint) = self.open_stream(path::WATCH, first, true).await?;
        Ok(WatchStream {
            requests,
            responses,
            endpoint,
        })
    }
}

/// One unary call on one member.
async fn unary_once<Req, Resp>(
    mut grpc: Grpc<Channel>,
    token: Option<AsciiMetadataValue>,
    left: Duration,
    method: &'static str,
    req: Req,
    require_leader: bool,
) -> Result<Resp, tonic::Status>
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    grpc.ready()
        .await
        .map_err(|err| tonic::Status::from_error(Box::new(err)))?;
    let mut request = tonic::Request::new(req);
    request.set_timeout(left.max(Duration::from_millis(1)));
    if let Some(token) = token {
        request.metadata_mut().insert("token", token);
    }
    if require_leader {
        request
            .metadata_mut()
            .insert("hasleader", AsciiMetadataValue::from_static("true"));
    }
    let codec = ProstCodec::<Req, Resp>::default();
    grpc.unary(request, PathAndQuery::from_static(method), codec)
        .await
        .map(tonic::Response::into_inner)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An error and its causes, `: `-separated.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = cause.source();
    }
    text
}

/// Reads a PEM file for TLS, naming it when it cannot be read.
fn read_pem(what: &'static str, path: &Path) -> Result<Vec<u8>, EtcdError> {
    std::fs::read(path).map_err(|err| EtcdError::File {
        what,
        path: path.to_owned(),
        reason: err.to_string(),
    })
}

/// The certificates in `pem`, at least one (tonic would skip what it cannot parse).
fn check_certificates(
    what: &'static str,
    path: &Path,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, EtcdError> {
    let bad = |reason: String| EtcdError::File {
        what,
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| bad(format!("not PEM: {err}")))?;
    if certs.is_empty() {
        return Err(bad(
            "no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(certs)
}

/// tonic's TLS configuration from the files of `tls`, each read and checked now, and the same
/// as a rustls configuration (for [`EtcdClient::probe_tls`]).
fn tls_config(
    tls: &EtcdTls,
    timeouts: Timeouts,
) -> Result<(ClientTlsConfig, Arc<rustls::ClientConfig>), EtcdError> {
    let mut config = ClientTlsConfig::new().timeout(timeouts.connect);
    let mut roots = rustls::RootCertStore::empty();
    match &tls.ca {
        Some(path) => {
            let pem = read_pem("CA", path)?;
            for cert in check_certificates("CA", path, &pem)? {
                roots.add(cert).map_err(|err| EtcdError::File {
                    what: "CA",
                    path: path.clone(),
                    reason: format!("not a usable CA certificate: {err}"),
                })?;
            }
            config = config.ca_certificate(Certificate::from_pem(pem));
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            config = config.with_native_roots();
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| EtcdError::Tls {
        endpoint: String::new(),
        reason: err.to_string(),
    })?
    .with_root_certificates(roots);
    let mut probe = match (&tls.cert, &tls.key) {
        (Some(cert_path), Some(key_path)) => {
            let cert = read_pem("client certificate", cert_path)?;
            let chain = check_certificates("client certificate", cert_path, &cert)?;
            let key = read_pem("client key", key_path)?;
            let bad_key = |reason: String| EtcdError::File {
                what: "client key",
                path: key_path.clone(),
                reason,
            };
            let der = PrivateKeyDer::from_pem_slice(&key)
                .map_err(|err| bad_key(format!("no PEM private key in it: {err}")))?;
            let probe = builder
                .with_client_auth_cert(chain, der)
                .map_err(|err| bad_key(format!("not the key of {}: {err}", cert_path.display())))?;
            config = config.identity(Identity::from_pem(cert, key));
            probe
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(EtcdError::Address {
                address: String::new(),
                reason: "a client certificate and its key go together (cert= and key=)".into(),
            });
        }
    };
    if let Some(name) = &tls.server_name {
        config = config.domain_name(name.clone());
    }
    probe.alpn_protocols = vec![b"h2".to_vec()];
    Ok((config, Arc::new(probe)))
}

/// The rustls error inside an I/O error of tokio-rustls.
fn rustls_error(err: &std::io::Error) -> Option<&rustls::Error> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// What a TLS failure in `status`'s causes means, `None` when it is not one.
fn tls_failure(status: &tonic::Status, inner: &Inner) -> Option<String> {
    let tls = inner.tls.as_ref()?;
    let mut next = std::error::Error::source(status);
    while let Some(err) = next {
        let rustls_err = err
            .downcast_ref::<rustls::Error>()
            .or_else(|| err.downcast_ref::<std::io::Error>().and_then(rustls_error));
        if let Some(err) = rustls_err {
            return Some(tls_reason(err, tls));
        }
        if err.to_string().contains("HTTP/2 was not negotiated") {
            return Some(format!(
                "{err} (etcd's TLS port answers with HTTP/2; is this etcd?)"
            ));
        }
        next = err.source();
    }
    None
}

fn tls_reason(err: &rustls::Error, tls: &EtcdTls) -> String {
    use rustls::{AlertDescription, CertificateError, Error};
    let roots = match &tls.ca {
        Some(path) => format!("the CA file {}", path.display()),
        None => "the system's roots (no ca= given)".to_owned(),
    };
    match err {
        Error::InvalidCertificate(cert)
            if matches!(cert, CertificateError::NotValidForName)
                || format!("{cert:?}").starts_with("NotValidForName") =>
        {
            format!(
                "the server's certificate is not valid for the endpoint's name ({err}); give \
                 server-name= a name it carries"
            )
        }
        Error::InvalidCertificate(_) => {
            format!("the server's certificate is not trusted by {roots} ({err})")
        }
        Error::AlertReceived(
            alert @ (AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateExpired
            | AlertDescription::AccessDenied
            | AlertDescription::DecryptError
            | AlertDescription::HandshakeFailure),
        ) => {
            let hint = if tls.cert.is_some() {
                "is the client certificate (cert=) signed by a CA that etcd trusts \
                 (--trusted-ca-file)?"
            } else {
                "etcd wants a client certificate (--client-cert-auth): give cert= and key= \
                 (or --etcd-cert and --etcd-key)"
            };
            format!("etcd refused the handshake ({alert:?}): {hint}")
        }
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => {
            format!("{err} (is that port serving TLS? etcds:// needs etcd's https:// port)")
        }
        other => other.to_string(),
    }
}

/// The revision in a response header, which etcd always sends.
pub(crate) fn revision_of(header: Option<&proto::ResponseHeader>) -> Result<u64, EtcdError> {
    let header = header.ok_or(EtcdError::Malformed("a response without a header"))?;
    u64::try_from(header.revision).map_err(|_| EtcdError::Malformed("a negative revision"))
}

impl WatchStream {
    /// The next response, `Ok(None)` when etcd ended the stream.
    pub(crate) async fn next(
        &mut self,
        _endpoints: &str,
    ) -> Result<Option<proto::WatchResponse>, EtcdError> {
        self.responses
            .message()
            .await
            .map_err(|status| EtcdError::status(&self.endpoint, &status))
    }

    /// Asks etcd for a progress notification (answered once the watch has caught up).
    pub(crate) fn request_progress(&self) {
        let req = proto::WatchRequest {
            request_union: Some(proto::WatchRequestUnion::ProgressRequest(
                proto::WatchProgressRequest {},
            )),
        };
        // A full queue already holds a request that will be answered.
        let _ = self.requests.try_send(req);
    }
}
