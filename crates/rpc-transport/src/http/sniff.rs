//! Telling HTTP from raw RPC by a connection's first bytes, for
//! [`optional`](super::optional): wait (untimed) for the first bytes, then
//! decide, reading at most [`SNIFF_CHUNK`] bytes, and serve HTTP.

use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use super::parse::read_some;
use super::serve::{Outcome, Site, serve_http};
use super::{HTTP_PREFIXES, SNIFF_CHUNK};
use crate::{BoxStream, Peer};

/// Whether a connection's first bytes are HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sniffed {
    Http,
    Raw,
}

/// Decides from the first bytes, or `None` if they are too few to tell.
pub(super) fn classify(first: &[u8]) -> Option<Sniffed> {
    if HTTP_PREFIXES.iter().any(|p| first.starts_with(p)) {
        Some(Sniffed::Http)
    } else if HTTP_PREFIXES.iter().any(|p| p.starts_with(first)) {
        None
    } else {
        Some(Sniffed::Raw)
    }
}

/// What the first bytes said.
pub(super) enum First {
    /// Undecided or HTTP: go on, within the timeout, with these bytes.
    Maybe(Vec<u8>),
    /// Decided without a handshake.
    Decided(Outcome),
}

/// Waits, with no time limit, for a connection's first bytes (an idle raw
/// client waits here as it would in the server); decides at once if they
/// cannot begin HTTP, or at the end of the stream.
pub(super) async fn first_bytes(stream: &mut BoxStream, peer: &Peer) -> First {
    let mut chunk = [0u8; SNIFF_CHUNK];
    let first = match stream.read(&mut chunk).await {
        Ok(0) => return First::Decided(Outcome::Raw(Vec::new())),
        Ok(n) => chunk.get(..n).unwrap_or_default().to_vec(),
        Err(err) => {
            tracing::debug!(peer = %peer.addr, error = %err, "reading first bytes failed");
            return First::Decided(Outcome::Closed);
        }
    };
    if classify(&first) == Some(Sniffed::Raw) {
        First::Decided(Outcome::Raw(first))
    } else {
        First::Maybe(first)
    }
}

/// Reads on (the caller bounds it by the timeout) until `first` and what
/// follows decide, and serves HTTP.
pub(super) async fn decide(
    stream: &mut BoxStream,
    first: Vec<u8>,
    site: &Site,
    peer: &Peer,
    deadline: Instant,
) -> Outcome {
    let mut buf = first;
    loop {
        match classify(&buf) {
            Some(Sniffed::Raw) => return Outcome::Raw(buf),
            Some(Sniffed::Http) => return serve_http(stream, buf, site, peer, deadline).await,
            None => {}
        }
        // Undecided: buf is a proper prefix of an HTTP_PREFIXES entry, so
        // shorter than SNIFF_CHUNK.
        let room = SNIFF_CHUNK.saturating_sub(buf.len()).max(1);
        match read_some(stream, &mut buf, room).await {
            Ok(0) => return Outcome::Raw(buf),
            Ok(_) => {}
            Err(err) => {
                tracing::debug!(peer = %peer.addr, error = %err, "reading first bytes failed");
                return Outcome::Closed;
            }
        }
    }
}
