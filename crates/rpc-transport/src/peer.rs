//! Who is on the other end of a connection: the transport, a printable
//! address, and whatever identity the transport can vouch for (the socket
//! address for TCP, the kernel-reported credentials for Unix sockets).

use std::net::SocketAddr;

/// The other side of a [`Connection`](crate::Connection).
#[derive(Clone, Debug)]
pub struct Peer {
    /// The transport's name: `"tcp"`, `"unix"`, `"mem"`, or `"http"` for a
    /// TCP connection that made Go's HTTP `CONNECT` handshake.
    pub transport: &'static str,
    /// The other side's address in Go's style, for logs and messages:
    /// - tcp and http: the socket address, e.g. `"127.0.0.1:54321"`;
    /// - unix: the peer's socket path if it has one, else `"@"`;
    /// - mem: `"mem://NAME#N"`, the listener's address and the connection's
    ///   sequence number (from 1) on that listener.
    pub addr: String,
    /// The other side's socket address (tcp and http only).
    pub socket_addr: Option<SocketAddr>,
    /// The other process's credentials as reported by the kernel (unix
    /// only; `None` if the platform could not tell).
    pub unix_cred: Option<UnixCred>,
}

/// Credentials of the process on the other end of a Unix socket, taken when
/// the connection was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnixCred {
    /// Effective user id.
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
    /// Process id, where the platform reports it.
    pub pid: Option<i32>,
}
