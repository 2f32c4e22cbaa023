//! The task that owns a client connection's byte stream: it reads responses and hands them to
//! waiting calls, and it writes the requests callers queued.

use std::sync::Arc;

use bytes::BytesMut;
use rpc_proto::{CodecError, ResponseDecoder};
use rpc_transport::BoxStream;
use tokio::io::AsyncWriteExt;

use super::shared::Shared;
use crate::io::read_message;

/// Runs until the connection ends; then every pending call has failed and later calls fail fast.
pub(crate) async fn run(
    shared: Arc<Shared>,
    stream: BoxStream,
    mut decoder: Box<dyn ResponseDecoder>,
    write_timeout: Option<std::time::Duration>,
) {
    let (mut rd, mut wr) = tokio::io::split(stream);
    let reading = async {
        let mut buf = BytesMut::new();
        let mut last_read = tokio::time::Instant::now();
        let stop = shared.stop.cancelled();
        tokio::pin!(stop);
        let cause = loop {
            tokio::select! {
                biased;
                _ = &mut stop => break None,
                message = read_message(&mut rd, &mut buf, &mut *decoder, &mut last_read) => match message {
                    Ok(Some(response)) => shared.dispatch(response),
                    Ok(None) => {
                        tracing::debug!(peer = %shared.peer.addr, "server closed the connection");
                        break None;
                    }
                    Err(err) => {
                        tracing::warn!(peer = %shared.peer.addr, error = %err, "closing client connection");
                        break Some(Arc::new(err));
                    }
                },
            }
        };
        shared.fail_all(cause);
    };
    let writing = async {
        let super::shared::Outbound::Queue(writer) = &shared.outbound else {
            return;
        };
        match writer.run(&mut wr, write_timeout).await {
            // Close politely, but never wait longer than a write may take on a peer that
            // does not read.
            Ok(()) => match write_timeout {
                Some(limit) => drop(tokio::time::timeout(limit, wr.shutdown()).await),
                None => drop(wr.shutdown().await),
            },
            Err(err) => {
                tracing::warn!(peer = %shared.peer.addr, error = %err, "client connection write failed");
                shared.fail_all(Some(Arc::new(CodecError::Io(err))));
            }
        }
    };
    tokio::join!(reading, writing);
    shared.ended.cancel();
}
