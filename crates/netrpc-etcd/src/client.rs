//! A small etcd v3 client: unary KV calls and watch streams over one HTTP/2 channel that
//! spreads over every endpoint given, each call bounded by a timeout.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::client::Grpc;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};
use tonic_prost::ProstCodec;

use crate::EtcdError;
use crate::proto::{self, path};

/// Bounds on waiting for etcd.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Dialing one endpoint.
    pub connect: Duration,
    /// One call, from sending it to its answer (also the bound on opening a watch).
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

/// A client of one etcd cluster. Clones share the connections.
#[derive(Clone, Debug)]
pub struct EtcdClient {
    grpc: Grpc<Channel>,
    endpoints: String,
    timeouts: Timeouts,
}

/// The sending half of a watch stream and its responses.
pub(crate) struct WatchStream {
    pub(crate) requests: mpsc::Sender<proto::WatchRequest>,
    pub(crate) responses: tonic::Streaming<proto::WatchResponse>,
}

impl EtcdClient {
    /// A client of the members at `endpoints` (`HOST:PORT` each). Connects lazily: nothing is
    /// dialed until the first call. Must be called inside a tokio runtime.
    pub fn new(endpoints: &[String], timeouts: Timeouts) -> Result<Self, EtcdError> {
        let mut list = Vec::new();
        for host in endpoints {
            let endpoint = Endpoint::from_shared(format!("http://{host}"))
                .map_err(|err| EtcdError::Address {
                    address: host.clone(),
                    reason: err.to_string(),
                })?
                .connect_timeout(timeouts.connect)
                .tcp_nodelay(true)
                .http2_keep_alive_interval(timeouts.keep_alive)
                .keep_alive_timeout(timeouts.keep_alive)
                .keep_alive_while_idle(true);
            list.push(endpoint);
        }
        if list.is_empty() {
            return Err(EtcdError::Address {
                address: String::new(),
                reason: "no endpoint".into(),
            });
        }
        let channel = if list.len() == 1 {
            list.remove(0).connect_lazy()
        } else {
            Channel::balance_list(list.into_iter())
        };
        Ok(EtcdClient {
            grpc: Grpc::new(channel),
            endpoints: endpoints.join(","),
            timeouts,
        })
    }

    /// The endpoints, comma-separated (for messages).
    pub fn endpoints(&self) -> &str {
        &self.endpoints
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    fn timeout_error(&self) -> EtcdError {
        EtcdError::Timeout {
            endpoints: self.endpoints.clone(),
            timeout: self.timeouts.request,
        }
    }

    async fn unary<Req, Resp>(&self, method: &'static str, req: Req) -> Result<Resp, EtcdError>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = self.grpc.clone();
        let call = async {
            grpc.ready().await.map_err(|err| EtcdError::Status {
                endpoints: self.endpoints.clone(),
                code: tonic::Code::Unavailable,
                message: err.to_string(),
            })?;
            let mut request = tonic::Request::new(req);
            request.set_timeout(self.timeouts.request);
            let codec = ProstCodec::<Req, Resp>::default();
            grpc.unary(request, PathAndQuery::from_static(method), codec)
                .await
                .map(tonic::Response::into_inner)
                .map_err(|status| EtcdError::status(&self.endpoints, &status))
        };
        tokio::time::timeout(self.timeouts.request, call)
            .await
            .map_err(|_| self.timeout_error())?
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
        let (requests, rx) = mpsc::channel(16);
        let first = proto::WatchRequest {
            request_union: Some(proto::WatchRequestUnion::CreateRequest(create)),
        };
        // The channel is fresh: there is room.
        let _ = requests.try_send(first);
        let mut grpc = self.grpc.clone();
        let open = async {
            grpc.ready().await.map_err(|err| EtcdError::Status {
                endpoints: self.endpoints.clone(),
                code: tonic::Code::Unavailable,
                message: err.to_string(),
            })?;
            let codec = ProstCodec::<proto::WatchRequest, proto::WatchResponse>::default();
            grpc.streaming(
                tonic::Request::new(ReceiverStream::new(rx)),
                PathAndQuery::from_static(path::WATCH),
                codec,
            )
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| EtcdError::status(&self.endpoints, &status))
        };
        let responses = tokio::time::timeout(self.timeouts.request, open)
            .await
            .map_err(|_| self.timeout_error())??;
        Ok(WatchStream {
            requests,
            responses,
        })
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
        endpoints: &str,
    ) -> Result<Option<proto::WatchResponse>, EtcdError> {
        self.responses
            .message()
            .await
            .map_err(|status| EtcdError::status(endpoints, &status))
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
