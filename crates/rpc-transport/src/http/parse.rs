//! The subset of HTTP/1 the transport speaks, parsed without trusting the
//! peer: reading a head within a limit ([`read_head`]), request lines and
//! headers ([`parse_request`]), response status lines ([`status_line`]),
//! and peer text made fit for error messages ([`printable`]).

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::READ_CHUNK;

/// A request line and headers, parsed as far as routing needs.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Request<'a> {
    pub(super) method: &'a str,
    /// The target's path: no query, and no scheme or authority if it was in
    /// absolute form.
    pub(super) path: &'a str,
}

/// Parses a whole request head (as [`read_head`] found it), or says what is
/// wrong with it.
pub(super) fn parse_request(head: &[u8]) -> Result<Request<'_>, &'static str> {
    let mut lines = head.split(|&b| b == b'\n').map(trim_cr);
    let line = lines.next().unwrap_or_default();
    let line = std::str::from_utf8(line)
        .ok()
        .filter(|line| line.is_ascii())
        .ok_or("request line is not ASCII")?;
    let mut parts = line.splitn(3, ' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line");
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err("malformed method");
    }
    if target.is_empty() || target.bytes().any(|b| b.is_ascii_control()) {
        return Err("malformed request target");
    }
    if version != "HTTP/1.0" && version != "HTTP/1.1" {
        return Err("unsupported HTTP version");
    }
    for line in lines.take_while(|line| !line.is_empty()) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err("malformed header line");
        };
        let name = line.get(..colon).unwrap_or_default();
        if name.is_empty() || !name.iter().copied().all(is_tchar) {
            return Err("malformed header name");
        }
    }
    Ok(Request {
        method,
        path: request_path(target),
    })
}

/// The path of a request target in origin form (`/p?q`) or absolute form
/// (`http://host/p?q`).
fn request_path(target: &str) -> &str {
    let path = match target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        Some(after_scheme) => match after_scheme.find('/') {
            Some(slash) => after_scheme.get(slash..).unwrap_or("/"),
            None => "/",
        },
        None => target,
    };
    match path.find(['?', '#']) {
        Some(end) => path.get(..end).unwrap_or(path),
        None => path,
    }
}

/// Whether the bytes so far could begin a request line: a method made of
/// token characters, then a space (checked before the head is complete, so
/// that a client speaking something else is answered at once).
pub(super) fn plausible_request(buf: &[u8]) -> bool {
    let method_end = buf.iter().position(|&b| b == b' ').unwrap_or(buf.len());
    let method = buf.get(..method_end).unwrap_or_default();
    (method_end > 0 || buf.is_empty()) && method.iter().copied().all(is_tchar)
}

/// RFC 9110 `tchar`: what a method or header name is made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub(super) fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Why [`read_head`] stopped.
#[derive(Debug)]
pub(super) enum HeadError {
    /// No empty line within the limit.
    TooLarge,
    /// The bytes so far failed the caller's plausibility check.
    Malformed,
    /// The peer closed the connection first.
    Eof,
    Io(io::Error),
}

/// Reads into `buf` (which may already hold bytes) until it holds a whole
/// head, i.e. lines ending in `\n` or `\r\n` up to and including the
/// first empty one, and returns the head's length; bytes after it stay in
/// `buf`. Never grows `buf` past `limit` bytes. `plausible` is checked on
/// the bytes so far before each read.
pub(super) async fn read_head<S: AsyncRead + Unpin + ?Sized>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    limit: usize,
    plausible: fn(&[u8]) -> bool,
) -> Result<usize, HeadError> {
    let mut scanner = HeadScanner::default();
    loop {
        if let Some(end) = scanner.scan(buf) {
            return Ok(end);
        }
        if !plausible(buf) {
            return Err(HeadError::Malformed);
        }
        let room = limit.saturating_sub(buf.len()).min(READ_CHUNK);
        if room == 0 {
            return Err(HeadError::TooLarge);
        }
        match read_some(stream, buf, room).await {
            Ok(0) => return Err(HeadError::Eof),
            Ok(_) => {}
            Err(err) => return Err(HeadError::Io(err)),
        }
    }
}

/// Finds the end of a head incrementally, so that a head trickling in a
/// byte at a time is scanned once.
#[derive(Debug, Default)]
pub(super) struct HeadScanner {
    /// Bytes already scanned.
    scanned: usize,
    /// Where the current (incomplete) line starts.
    line_start: usize,
}

impl HeadScanner {
    /// The head's length, if `buf` holds a whole one.
    pub(super) fn scan(&mut self, buf: &[u8]) -> Option<usize> {
        let new = buf.get(self.scanned..).unwrap_or_default();
        for (offset, &b) in new.iter().enumerate() {
            if b != b'\n' {
                continue;
            }
            let newline = self.scanned + offset;
            let line = buf.get(self.line_start..newline).unwrap_or_default();
            if trim_cr(line).is_empty() {
                return Some(newline + 1);
            }
            self.line_start = newline + 1;
        }
        self.scanned = buf.len();
        None
    }
}

/// Appends at most `max` bytes read from `stream` to `buf`, returning how
/// many (0 at EOF).
pub(super) async fn read_some<S: AsyncRead + Unpin + ?Sized>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<usize> {
    let start = buf.len();
    // Exact, so that a head's capacity stays within its limit too.
    buf.reserve_exact(max);
    buf.resize(start + max, 0);
    let result = match buf.get_mut(start..) {
        Some(space) => stream.read(space).await,
        None => Ok(0),
    };
    let n = *result.as_ref().unwrap_or(&0);
    buf.truncate(start + n.min(max));
    result
}

/// The status (code and reason) of a response head's first line, which must
/// be `HTTP/1.x STATUS`.
pub(super) fn status_line(head: &[u8]) -> io::Result<&str> {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = trim_cr(line);
    let malformed = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "malformed HTTP response {:?}",
                printable(&String::from_utf8_lossy(line))
            ),
        )
    };
    let line = std::str::from_utf8(line).map_err(|_| malformed())?;
    match line.split_once(' ') {
        Some((proto, status)) if is_http1(proto) => Ok(status.trim_start_matches(' ')),
        _ => Err(malformed()),
    }
}

/// `HTTP/1.0`, `HTTP/1.1`, ... .
fn is_http1(proto: &str) -> bool {
    proto
        .strip_prefix("HTTP/1.")
        .is_some_and(|minor| minor.len() == 1 && minor.bytes().all(|b| b.is_ascii_digit()))
}

/// Peer-supplied text made fit for an error message: control characters
/// escaped, at most 200 characters.
pub(super) fn printable(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX_CHARS {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
