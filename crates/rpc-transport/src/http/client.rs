//! The client's side: [`dial`] (Go's `rpc.DialHTTPPath`: send `CONNECT`,
//! check the answer, keep what follows for the RPC stream) and [`get`] (a
//! bounded `GET`, for the status page).

use std::io;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

#[cfg(doc)]
use super::RPC_PATH;
use super::parse::{HeadError, printable, read_head, read_some, status_line, trim_cr};
use super::replay::prefixed;
use super::{CONNECTED, MAX_PAGE_HEAD, MAX_RESPONSE_HEAD, READ_CHUNK};
#[cfg(doc)]
use crate::Address;
use crate::address::check_http_path;
use crate::{Connection, Peer, tcp, with_context};

/// Connects to `host_port` over TCP and performs Go's `CONNECT` handshake
/// for `path` (Go's `rpc.DialHTTPPath`; [`RPC_PATH`] is `rpc.DialHTTP`).
///
/// Errors name the address Go style (`dial-http tcp HOST:PORT: ...`): a
/// path that cannot be sent (see [`Address::Http`]) is
/// [`InvalidInput`](io::ErrorKind::InvalidInput); an answer other than
/// `HTTP/1.x 200 Connected to Go RPC` is
/// [`InvalidData`](io::ErrorKind::InvalidData) with
/// `unexpected HTTP response: STATUS (to CONNECT PATH)`; a connection
/// closed before the answer's head ended is
/// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof).
pub async fn dial(host_port: &str, path: &str) -> io::Result<Connection> {
    let context = |err| with_context(err, "dial-http tcp", host_port);
    check_http_path(path).map_err(|reason| {
        context(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid path {path:?}: {reason}"),
        ))
    })?;
    let mut stream = tcp::connect(host_port).await?;
    let peer = Peer::socket("tcp", stream.peer_addr()?);
    let request = format!("CONNECT {path} HTTP/1.0\n\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(context)?;
    stream.flush().await.map_err(context)?;

    let mut buf = Vec::new();
    let end = match read_head(&mut stream, &mut buf, MAX_RESPONSE_HEAD, |_| true).await {
        Ok(end) => end,
        Err(HeadError::Io(err)) => return Err(context(err)),
        Err(HeadError::Eof) => {
            return Err(context(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "unexpected EOF reading the HTTP response ({} bytes: {:?})",
                    buf.len(),
                    printable(&String::from_utf8_lossy(&buf))
                ),
            )));
        }
        Err(HeadError::TooLarge | HeadError::Malformed) => {
            return Err(context(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("HTTP response head longer than {MAX_RESPONSE_HEAD} bytes"),
            )));
        }
    };
    let rest = buf.split_off(end);
    check_response(&buf, path).map_err(context)?;
    Ok(Connection::boxed(
        prefixed(Box::new(stream), rest),
        Peer {
            transport: "http",
            ..peer
        },
    ))
}

/// Accepts a response head only if it is `HTTP/1.x 200 Connected to Go
/// RPC`.
pub(super) fn check_response(head: &[u8], path: &str) -> io::Result<()> {
    let status = status_line(head)?;
    if status == CONNECTED {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "unexpected HTTP response: {} (to CONNECT {path})",
                printable(status)
            ),
        ))
    }
}

/// A whole answer to [`get`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200.
    pub code: u16,
    /// The status as sent: code and reason, e.g. `200 OK` (control
    /// characters escaped, at most 200 characters).
    pub status: String,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends `GET path HTTP/1.0` (with `Host: host`) over `stream` and reads
/// the whole answer: a head of at most [`MAX_PAGE_HEAD`] bytes, then a body
/// of at most `max_body` bytes (by its `Content-Length`, else to the end of
/// the stream). What Go's `net/http` and netrpc's listeners answer to a
/// browser; nothing in it is trusted.
///
/// Fails with [`InvalidInput`](io::ErrorKind::InvalidInput) for a path
/// that cannot be sent, [`InvalidData`](io::ErrorKind::InvalidData) for an
/// answer that is not HTTP/1, whose head or body is too long, or that is
/// chunked, and [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) when the
/// stream ends early. Like [`dial`] it does not time out.
pub async fn get<S: AsyncRead + AsyncWrite + Unpin + ?Sized>(
    stream: &mut S,
    host: &str,
    path: &str,
    max_body: usize,
) -> io::Result<Response> {
    let invalid = |kind, msg: String| io::Error::new(kind, msg);
    check_http_path(path).map_err(|reason| {
        invalid(
            io::ErrorKind::InvalidInput,
            format!("invalid path {path:?}: {reason}"),
        )
    })?;
    if host.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(invalid(
            io::ErrorKind::InvalidInput,
            format!("invalid host {:?}", printable(host)),
        ));
    }
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;

    let mut buf = Vec::new();
    let end = match read_head(stream, &mut buf, MAX_PAGE_HEAD, |_| true).await {
        Ok(end) => end,
        Err(HeadError::Io(err)) => return Err(err),
        Err(HeadError::Eof) => {
            return Err(invalid(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "unexpected EOF reading the HTTP response ({} bytes)",
                    buf.len()
                ),
            ));
        }
        Err(HeadError::TooLarge | HeadError::Malformed) => {
            return Err(invalid(
                io::ErrorKind::InvalidData,
                format!("HTTP response head longer than {MAX_PAGE_HEAD} bytes"),
            ));
        }
    };
    let mut body = buf.split_off(end);
    let head = buf;
    let status = printable(status_line(&head)?);
    let code = status
        .get(..3)
        .filter(|code| code.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| {
            invalid(
                io::ErrorKind::InvalidData,
                format!("malformed HTTP status {status:?}"),
            )
        })?;
    let too_long = || {
        invalid(
            io::ErrorKind::InvalidData,
            format!("HTTP response body longer than {max_body} bytes"),
        )
    };
    match body_length(&head)? {
        Some(length) => {
            if length > max_body {
                return Err(too_long());
            }
            // Anything past the length is not part of this answer.
            body.truncate(length);
            while body.len() < length {
                let room = (length - body.len()).min(READ_CHUNK);
                if read_some(stream, &mut body, room).await? == 0 {
                    return Err(invalid(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "unexpected EOF after {} of {length} bytes of HTTP response body",
                            body.len()
                        ),
                    ));
                }
            }
        }
        None => loop {
            if body.len() > max_body {
                return Err(too_long());
            }
            let room = (max_body + 1 - body.len()).min(READ_CHUNK);
            if read_some(stream, &mut body, room).await? == 0 {
                break;
            }
        },
    }
    Ok(Response { code, status, body })
}

/// A response head's `Content-Length`, if it has one; refuses a chunked or
/// otherwise encoded body, and a malformed or repeated length.
fn body_length(head: &[u8]) -> io::Result<Option<usize>> {
    let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidData, msg);
    let mut length = None;
    for line in head.split(|&b| b == b'\n').skip(1).map(trim_cr) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = String::from_utf8_lossy(value.get(1..).unwrap_or_default());
        let value = value.trim();
        if name.eq_ignore_ascii_case(b"transfer-encoding")
            && !value.eq_ignore_ascii_case("identity")
        {
            return Err(invalid(format!(
                "unsupported HTTP transfer encoding {:?}",
                printable(value)
            )));
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let parsed = value
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| value.parse::<usize>().ok())
                .flatten()
                .ok_or_else(|| {
                    invalid(format!("malformed Content-Length {:?}", printable(value)))
                })?;
            if length.is_some_and(|known| known != parsed) {
                return Err(invalid("conflicting Content-Length headers".into()));
            }
            length = Some(parsed);
        }
    }
    Ok(length)
}
