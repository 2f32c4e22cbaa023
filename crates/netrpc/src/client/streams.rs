//! The task that owns a client's multiplexed connection (QUIC): one stream per call.
//!
//! Each call's request, encoded by a fresh encoder (so the stream stands alone: a postcard
//! preface, gob's type definitions), goes out on a stream of its own, and the reply comes back
//! on it; a slow reply never holds up another, and a lost packet stalls only its own call. A
//! call that is forgotten (its handle dropped, its timeout passed) has its task aborted, which
//! resets the stream: a netrpc server cancels the handler. When the connection ends, every
//! pending call fails with why.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rpc_proto::{CodecError, ResponseDecoder};
use rpc_transport::Multiplexed;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use super::shared::Shared;
use crate::io::{read_message, write_within};

/// What a caller asks of the connection task.
pub(crate) enum Job {
    /// Send this encoded request on a new stream and read the reply with `decoder`.
    Call {
        seq: u64,
        request: Bytes,
        decoder: Box<dyn ResponseDecoder>,
    },
    /// Abandon call `seq`.
    Cancel(u64),
}

/// Runs until the connection ends or the client stops; then every pending call has failed and
/// later calls fail fast.
pub(crate) async fn run(
    shared: Arc<Shared>,
    streams: Arc<dyn Multiplexed>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    write_timeout: Option<Duration>,
) {
    let mut calls = JoinSet::new();
    let mut by_seq: HashMap<u64, AbortHandle> = HashMap::new();
    let closed = streams.closed();
    tokio::pin!(closed);
    let cause = loop {
        tokio::select! {
            biased;
            _ = shared.stop.cancelled() => break None,
            err = &mut closed => {
                tracing::debug!(peer = %shared.peer.addr, error = %err, "connection ended");
                break Some(Arc::new(CodecError::Io(err)));
            }
            Some(done) = calls.join_next_with_id(), if !calls.is_empty() => {
                if let Ok((id, seq)) = done {
                    if by_seq.get(&seq).is_some_and(|call| call.id() == id) {
                        by_seq.remove(&seq);
                    }
                }
            }
            job = jobs.recv() => match job {
                Some(Job::Call { seq, request, decoder }) => {
                    let call = calls.spawn(call(
                        shared.clone(),
                        streams.clone(),
                        seq,
                        request,
                        decoder,
                        write_timeout,
                    ));
                    by_seq.insert(seq, call);
                }
                Some(Job::Cancel(seq)) => {
                    if let Some(call) = by_seq.remove(&seq) {
                        call.abort();
                    }
                }
                // The sender lives in `shared`, which this task holds: not reached.
                None => break None,
            },
        }
    };
    shared.fail_all(cause);
    calls.abort_all();
    while calls.join_next().await.is_some() {}
    streams.close();
    shared.ended.cancel();
}

/// One call on its own stream; returns its sequence number.
async fn call(
    shared: Arc<Shared>,
    streams: Arc<dyn Multiplexed>,
    seq: u64,
    request: Bytes,
    mut decoder: Box<dyn ResponseDecoder>,
    write_timeout: Option<Duration>,
) -> u64 {
    let exchange = async {
        let mut stream = streams.open().await?;
        write_within(&mut stream, &request, write_timeout).await?;
        drop(request);
        let mut buf = BytesMut::new();
        let mut last_read = tokio::time::Instant::now();
        loop {
            match read_message(&mut stream, &mut buf, &mut *decoder, &mut last_read).await? {
                Some(response) if response.header.seq == seq => return Ok((response, stream)),
                // A reply to another call on this call's stream: discarded, as on a
                // connection's one stream.
                Some(stray) => {
                    tracing::debug!(
                        seq = stray.header.seq,
                        "discarding response nobody waits for"
                    )
                }
                None => {
                    return Err(CodecError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the call's stream without replying",
                    )));
                }
            }
        }
    };
    match exchange.await {
        Ok((response, mut stream)) => {
            shared.dispatch(response);
            // Done with the stream: end it cleanly (a reset would read as a cancellation).
            let _ = stream.shutdown().await;
        }
        Err(err) => shared.fail_one(seq, err),
    }
    seq
}
