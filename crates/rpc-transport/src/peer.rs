//! Who is on the other end of a connection: the transport, a printable
//! address, and whatever identity the transport can vouch for (the socket
//! address for TCP, the kernel-reported credentials for Unix sockets, the
//! verified certificate for TLS).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// The other side of a [`Connection`](crate::Connection).
#[derive(Clone, Debug)]
pub struct Peer {
    /// The transport's name: `"tcp"`, `"unix"`, `"mem"`, `"tls"`,
    /// `"quic"`, `"yamux+tcp"`, `"yamux+unix"`, or `"http"` for a TCP
    /// connection that made Go's HTTP `CONNECT` handshake.
    pub transport: &'static str,
    /// The other side's address in Go's style, for logs and messages:
    /// - tcp, http, tls, quic and yamux+tcp: the socket address, e.g.
    ///   `"127.0.0.1:54321"`;
    /// - unix and yamux+unix: the peer's socket path if it has one, else `"@"`;
    /// - mem: `"mem://NAME#N"`, the listener's address and the connection's
    ///   sequence number (from 1) on that listener.
    pub addr: String,
    /// The other side's socket address (tcp, http, tls, quic and yamux+tcp).
    pub socket_addr: Option<SocketAddr>,
    /// The other process's credentials as reported by the kernel (unix
    /// and yamux+unix; `None` if the platform could not tell).
    pub unix_cred: Option<UnixCred>,
    /// The identity in the other side's TLS certificate, when the TLS
    /// handshake verified one (tls only):
    /// - on a dialed connection, the server's certificate (`None` if the
    ///   client was configured not to verify it);
    /// - on an accepted connection, the client's certificate under mutual
    ///   TLS (`None` when the listener does not ask for client
    ///   certificates).
    ///
    /// A server can authorize each connection by it.
    pub tls: Option<TlsIdentity>,
}

impl Peer {
    /// A peer known only by its address text: no socket address, credentials or certificate
    /// (in-process pipes, connections made by hand).
    pub fn new(transport: &'static str, addr: impl Into<String>) -> Self {
        Self {
            transport,
            addr: addr.into(),
            socket_addr: None,
            unix_cred: None,
            tls: None,
        }
    }

    /// A peer at a socket address, which is also its address text.
    pub fn socket(transport: &'static str, addr: SocketAddr) -> Self {
        Self {
            socket_addr: Some(addr),
            ..Self::new(transport, addr.to_string())
        }
    }
}

/// The identity a verified TLS certificate vouches for: its subject's
/// common name and subject alternative names, and the certificate itself.
///
/// Only end-entity (leaf) certificates that passed verification against the
/// configured roots are reported; the names are as written in the
/// certificate (DNS names are not normalised).
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub struct TlsIdentity {
    /// The subject's common name (`CN`), if it has a readable one.
    pub common_name: Option<String>,
    /// The DNS names among the subject alternative names.
    pub dns_names: Vec<String>,
    /// The URIs among the subject alternative names (e.g. SPIFFE IDs).
    pub uris: Vec<String>,
    /// The IP addresses among the subject alternative names.
    pub ip_addresses: Vec<IpAddr>,
    /// The end-entity certificate, DER encoded, for anything the fields
    /// above do not cover.
    pub certificate_der: Vec<u8>,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("common_name", &self.common_name)
            .field("dns_names", &self.dns_names)
            .field("uris", &self.uris)
            .field("ip_addresses", &self.ip_addresses)
            .field(
                "certificate_der",
                &format_args!("<{} bytes>", self.certificate_der.len()),
            )
            .finish()
    }
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
