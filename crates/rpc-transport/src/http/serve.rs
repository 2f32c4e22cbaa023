//! The server's side of an HTTP request: read its head, then answer
//! `CONNECT` on the RPC path (the connection goes on as RPC), `GET` on the
//! debug path (the status page), and anything else as Go's `ServeMux`
//! would (405, 404, 400), closing the connection.

use std::io;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use super::parse::{HeadError, parse_request, plausible_request, read_head};
use super::{CONNECT_RESPONSE, HttpPaths, MAX_REQUEST_HEAD};
use crate::accept::linger;
use crate::{BoxStream, Peer, StatusPage};

/// What a listener serves over HTTP.
#[derive(Clone)]
pub(super) struct Site {
    /// Where RPC and the status page are.
    pub(super) paths: Arc<HttpPaths>,
    /// The status page, once the server has given it.
    pub(super) page: Option<StatusPage>,
}

/// How a connection's handshake ended.
pub(super) enum Outcome {
    /// Not HTTP: pass it on with these bytes replayed.
    Raw(Vec<u8>),
    /// `CONNECT` answered: pass it on with these bytes (sent after the
    /// head) replayed.
    Connected(Vec<u8>),
    /// Answered and closed, or given up on.
    Closed,
}

/// Reads a request head (`buf` holds any bytes of it already read) and
/// answers it.
pub(super) async fn serve_http(
    stream: &mut BoxStream,
    mut buf: Vec<u8>,
    site: &Site,
    peer: &Peer,
    deadline: Instant,
) -> Outcome {
    let end = match read_head(stream, &mut buf, MAX_REQUEST_HEAD, plausible_request).await {
        Ok(end) => end,
        Err(HeadError::TooLarge) => {
            tracing::debug!(peer = %peer.addr, "http request head too large");
            let reason = format!("request head longer than {MAX_REQUEST_HEAD} bytes");
            reject_bad_request(stream, &reason, deadline).await;
            return Outcome::Closed;
        }
        Err(HeadError::Malformed) => {
            tracing::debug!(peer = %peer.addr, "not an http request");
            reject_bad_request(stream, "malformed request line", deadline).await;
            return Outcome::Closed;
        }
        Err(HeadError::Eof) => {
            tracing::debug!(peer = %peer.addr, "connection closed before the http request head ended");
            return Outcome::Closed;
        }
        Err(HeadError::Io(err)) => {
            tracing::debug!(peer = %peer.addr, error = %err, "reading http request failed");
            return Outcome::Closed;
        }
    };
    let rest = buf.split_off(end);
    let request = match parse_request(&buf) {
        Ok(request) => request,
        Err(reason) => {
            tracing::debug!(peer = %peer.addr, reason, "bad http request");
            reject_bad_request(stream, reason, deadline).await;
            return Outcome::Closed;
        }
    };
    tracing::debug!(peer = %peer.addr, method = request.method, path = request.path, "http request");

    let on_rpc_path = request.path == site.paths.rpc();
    let on_debug_path = request.path == site.paths.debug() && site.page.is_some();
    let response = match request.method {
        "CONNECT" if on_rpc_path => {
            return match write_all_flush(stream, CONNECT_RESPONSE).await {
                Ok(()) => Outcome::Connected(rest),
                Err(err) => {
                    tracing::debug!(peer = %peer.addr, error = %err, "writing http CONNECT answer failed");
                    Outcome::Closed
                }
            };
        }
        // Go's ServeHTTP.
        _ if on_rpc_path => response(
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            &[("Allow", "CONNECT")],
            "405 must CONNECT\n",
        ),
        "GET" if on_debug_path => {
            let body = site.page.as_ref().map(|page| page()).unwrap_or_default();
            response("200 OK", "text/html; charset=utf-8", &[], &body)
        }
        _ if on_debug_path => response(
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            &[("Allow", "GET")],
            "405 method not allowed\n",
        ),
        // Go's http.NotFound.
        _ => response(
            "404 Not Found",
            "text/plain; charset=utf-8",
            &[],
            "404 page not found\n",
        ),
    };
    answer_and_close(stream, &response, deadline).await;
    Outcome::Closed
}

/// Answers 400 and closes.
async fn reject_bad_request(stream: &mut BoxStream, reason: &str, deadline: Instant) {
    let body = format!("400 Bad Request: {reason}\n");
    let response = response("400 Bad Request", "text/plain; charset=utf-8", &[], &body);
    answer_and_close(stream, &response, deadline).await;
}

/// A whole HTTP/1.0 response that closes the connection.
pub(super) fn response(
    status: &str,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Writes `response`, then closes and lingers (see [`linger`]) before the
/// caller drops the stream.
async fn answer_and_close(stream: &mut BoxStream, response: &[u8], deadline: Instant) {
    if write_all_flush(stream, response).await.is_ok() {
        linger(stream, deadline).await;
    }
}

async fn write_all_flush(stream: &mut BoxStream, bytes: &[u8]) -> io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}
