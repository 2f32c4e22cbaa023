//! Transport addresses: parsing and printing the URL-like strings that name
//! where to dial or listen (`tcp://host:port`, `unix:///path`, `mem://name`,
//! `http://host:port[/path]`, `tls://host:port`, `quic://host:port`, `yamux+tcp://host:port`,
//! `yamux+unix:///path`, or a bare `host:port` meaning TCP).
//!
//! Parsing is purely syntactic: it does not resolve host names, touch the
//! file system, or check which transports were compiled in (that is
//! reported by [`dial`](crate::dial) and [`listen`](crate::listen)).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where to dial or listen.
///
/// Parse one with [`str::parse`]; its [`Display`](fmt::Display) form parses
/// back to the same value.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    /// A TCP endpoint, `"host:port"` (host may be a name, an IPv4 address,
    /// a bracketed IPv6 address, or empty for "this machine").
    Tcp(String),
    /// A Unix domain socket at this file system path.
    Unix(PathBuf),
    /// An in-process listener with this name; empty means "assign one" when
    /// listening.
    Mem(String),
    /// Go's HTTP RPC (`rpc.DialHTTPPath` / `Server.HandleHTTP`) at a TCP
    /// endpoint. Written `http://host:port/path`; without a path (or with
    /// just `/`) the path is Go's default, `/_goRPC_` (`rpc.DialHTTP` /
    /// `rpc.HandleHTTP`), and that default is left out when printed.
    Http {
        /// `"host:port"` as for [`Tcp`](Address::Tcp).
        host_port: String,
        /// The path a client's `CONNECT` names and a listener serves RPC
        /// at: Go's `/_goRPC_` unless the address gave another. It starts
        /// with `/` and is printable ASCII without spaces, `?` or `#`
        /// (percent escapes are kept as written). [`dial`](crate::dial)
        /// and [`listen`](crate::listen) refuse any other.
        path: String,
    },
    /// TLS over TCP, `"host:port"` as for [`Tcp`](Address::Tcp). Written
    /// `tls://host:port`. Dialing and listening need certificates, given
    /// with [`dial_with`](crate::dial_with) and
    /// [`listen_with`](crate::listen_with). When dialing, the server's
    /// certificate must be valid for `host` unless configured otherwise.
    Tls(String),
    /// QUIC, `"host:port"` as for [`Tcp`](Address::Tcp) but a UDP port.
    /// Written `quic://host:port`. Needs certificates as
    /// [`Tls`](Address::Tls) does.
    Quic(String),
    /// Yamux (hashicorp/yamux's wire format: many streams) over TCP,
    /// `"host:port"` as for [`Tcp`](Address::Tcp). Written
    /// `yamux+tcp://host:port`. The dialer is the yamux client.
    YamuxTcp(String),
    /// Yamux over a Unix domain socket at this path. Written
    /// `yamux+unix:///path`.
    YamuxUnix(PathBuf),
}

/// Go's `rpc.DefaultRPCPath`: where an `http://` address without a path
/// connects.
pub(crate) const DEFAULT_HTTP_RPC_PATH: &str = "/_goRPC_";

impl Address {
    /// An `http://` address with Go's default RPC path.
    pub fn http(host_port: impl Into<String>) -> Self {
        Address::Http {
            host_port: host_port.into(),
            path: DEFAULT_HTTP_RPC_PATH.to_owned(),
        }
    }

    /// The `"host:port"` of an address over TCP or UDP (`tcp`, `http`,
    /// `tls`, `quic`); `None` for the others.
    pub fn host_port(&self) -> Option<&str> {
        match self {
            Address::Tcp(host_port)
            | Address::Http { host_port, .. }
            | Address::Tls(host_port)
            | Address::Quic(host_port)
            | Address::YamuxTcp(host_port) => Some(host_port),
            Address::Unix(_) | Address::Mem(_) | Address::YamuxUnix(_) => None,
        }
    }

    /// The transport's name: `"tcp"`, `"unix"`, `"mem"`, `"http"`, `"tls"`,
    /// `"quic"`, `"yamux+tcp"` or `"yamux+unix"`
    /// (the URL scheme, and [`Peer::transport`](crate::Peer::transport) of
    /// its connections).
    pub fn transport(&self) -> &'static str {
        match self {
            Address::Tcp(_) => "tcp",
            Address::Unix(_) => "unix",
            Address::Mem(_) => "mem",
            Address::Http { .. } => "http",
            Address::Tls(_) => "tls",
            Address::Quic(_) => "quic",
            Address::YamuxTcp(_) => "yamux+tcp",
            Address::YamuxUnix(_) => "yamux+unix",
        }
    }
}

/// Why a string is not a valid [`Address`], or why an address cannot be used.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    /// The text before `://` is not a known transport.
    #[error(
        "unknown address scheme {scheme:?} in {input:?} (expected tcp://, unix://, mem://, http://, tls://, quic://, yamux+tcp:// or yamux+unix://)"
    )]
    UnknownScheme {
        /// The scheme as written.
        scheme: String,
        /// The whole address as written.
        input: String,
    },
    /// A TCP, HTTP or TLS address without a `:port`.
    #[error("missing port in tcp address {input:?} (expected host:port)")]
    MissingPort {
        /// The whole address as written.
        input: String,
    },
    /// A TCP (or HTTP or TLS) address whose host or port is malformed.
    #[error("invalid tcp address {input:?}: {reason}")]
    InvalidHostPort {
        /// The whole address as written.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An `http://` address whose path cannot be sent in a `CONNECT` line
    /// (see [`Address::Http`]'s `path`).
    #[error("invalid path {path:?} in http address {input:?}: {reason}")]
    InvalidHttpPath {
        /// The path as written, from its `/`.
        path: String,
        /// The whole address as written.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `unix://` (or `yamux+unix://`) with nothing after it.
    #[error("empty socket path in unix address {input:?} (expected unix:///path/to.sock)")]
    EmptyUnixPath {
        /// The whole address as written.
        input: String,
    },
    /// The address is valid but its transport was not compiled into this
    /// build (cargo feature disabled, or not supported on this platform).
    #[error(
        "{transport}:// transport is not available in this build (enable rpc-transport's \"{transport}\" feature)"
    )]
    NotCompiledIn {
        /// The transport's name, e.g. `"unix"`.
        transport: &'static str,
    },
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let Some((scheme, rest)) = input.split_once("://") else {
            check_host_port(input, input)?;
            return Ok(Address::Tcp(input.to_owned()));
        };
        match scheme {
            "tcp" => {
                check_host_port(rest, input)?;
                Ok(Address::Tcp(rest.to_owned()))
            }
            "unix" if rest.is_empty() => Err(AddressError::EmptyUnixPath {
                input: input.to_owned(),
            }),
            "unix" => Ok(Address::Unix(PathBuf::from(rest))),
            "mem" => Ok(Address::Mem(rest.to_owned())),
            "http" => {
                let (host_port, path) = match rest.find('/') {
                    Some(slash) => rest.split_at(slash),
                    None => (rest, ""),
                };
                check_host_port(host_port, input)?;
                let path = match path {
                    "" | "/" => DEFAULT_HTTP_RPC_PATH,
                    path => path,
                };
                check_http_path(path).map_err(|reason| AddressError::InvalidHttpPath {
                    path: path.to_owned(),
                    input: input.to_owned(),
                    reason,
                })?;
                Ok(Address::Http {
                    host_port: host_port.to_owned(),
                    path: path.to_owned(),
                })
            }
            "tls" => {
                check_host_port(rest, input)?;
                Ok(Address::Tls(rest.to_owned()))
            }
            "quic" => {
                check_host_port(rest, input)?;
                Ok(Address::Quic(rest.to_owned()))
            }
            "yamux+tcp" => {
                check_host_port(rest, input)?;
                Ok(Address::YamuxTcp(rest.to_owned()))
            }
            "yamux+unix" if rest.is_empty() => Err(AddressError::EmptyUnixPath {
                input: input.to_owned(),
            }),
            "yamux+unix" => Ok(Address::YamuxUnix(PathBuf::from(rest))),
            _ => Err(AddressError::UnknownScheme {
                scheme: scheme.to_owned(),
                input: input.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp(host_port) => write!(f, "tcp://{host_port}"),
            Address::Unix(path) => write!(f, "unix://{}", path.display()),
            Address::Mem(name) => write!(f, "mem://{name}"),
            Address::Http { host_port, path } if path == DEFAULT_HTTP_RPC_PATH => {
                write!(f, "http://{host_port}")
            }
            Address::Http { host_port, path } => write!(f, "http://{host_port}{path}"),
            Address::Tls(host_port) => write!(f, "tls://{host_port}"),
            Address::Quic(host_port) => write!(f, "quic://{host_port}"),
            Address::YamuxTcp(host_port) => write!(f, "yamux+tcp://{host_port}"),
            Address::YamuxUnix(path) => write!(f, "yamux+unix://{}", path.display()),
        }
    }
}

/// Checks that `path` can be an HTTP RPC or debug path: it starts with `/`
/// and is printable ASCII (no spaces or control characters, which would
/// break the request line) without `?` or `#` (a query or fragment is not
/// part of the path a server routes on). Percent escapes are kept as
/// written, on both sides. Returns what is wrong.
pub(crate) fn check_http_path(path: &str) -> Result<(), &'static str> {
    if !path.starts_with('/') {
        return Err("the path must start with /");
    }
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the path must be printable ASCII without spaces");
    }
    if path.contains(['?', '#']) {
        return Err("a query or fragment is not part of the path");
    }
    Ok(())
}

/// Checks that `host_port` looks like `host:port`, `[v6]:port` or `:port`.
fn check_host_port(host_port: &str, input: &str) -> Result<(), AddressError> {
    let invalid = |reason| AddressError::InvalidHostPort {
        input: input.to_owned(),
        reason,
    };
    if host_port.is_empty() {
        return Err(invalid("empty address"));
    }
    let Some((host, port)) = host_port.rsplit_once(':') else {
        return Err(AddressError::MissingPort {
            input: input.to_owned(),
        });
    };
    if port.is_empty() {
        return Err(AddressError::MissingPort {
            input: input.to_owned(),
        });
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err() {
        return Err(invalid("port must be a number from 0 to 65535"));
    }
    if let Some(inner) = host.strip_prefix('[') {
        if !inner.ends_with(']') || inner.len() < 2 {
            return Err(invalid("unterminated '[' in IPv6 host"));
        }
    } else if host.contains(':') {
        return Err(invalid("IPv6 hosts must be bracketed, as in [::1]:1234"));
    } else if host.contains(']') {
        return Err(invalid("unexpected ']' in host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Address, AddressError> {
        s.parse()
    }

    #[test]
    fn parses_every_scheme() {
        assert_eq!(
            parse("tcp://127.0.0.1:1234").unwrap(),
            Address::Tcp("127.0.0.1:1234".into())
        );
        assert_eq!(
            parse("tcp://localhost:80").unwrap(),
            Address::Tcp("localhost:80".into())
        );
        assert_eq!(
            parse("tcp://[::1]:0").unwrap(),
            Address::Tcp("[::1]:0".into())
        );
        assert_eq!(parse("tcp://:8080").unwrap(), Address::Tcp(":8080".into()));
        assert_eq!(
            parse("unix:///tmp/x.sock").unwrap(),
            Address::Unix(PathBuf::from("/tmp/x.sock"))
        );
        assert_eq!(
            parse("unix://relative.sock").unwrap(),
            Address::Unix(PathBuf::from("relative.sock"))
        );
        assert_eq!(parse("mem://name").unwrap(), Address::Mem("name".into()));
        assert_eq!(parse("mem://").unwrap(), Address::Mem(String::new()));
        assert_eq!(
            parse("http://127.0.0.1:1234").unwrap(),
            Address::http("127.0.0.1:1234")
        );
        assert_eq!(parse("http://[::1]:80").unwrap(), Address::http("[::1]:80"));
        assert_eq!(
            parse("tls://127.0.0.1:1234").unwrap(),
            Address::Tls("127.0.0.1:1234".into())
        );
        assert_eq!(
            parse("tls://example.com:443").unwrap(),
            Address::Tls("example.com:443".into())
        );
        assert_eq!(
            parse("tls://[::1]:0").unwrap(),
            Address::Tls("[::1]:0".into())
        );
    }

    #[test]
    fn bad_tls_addresses_are_rejected() {
        assert!(matches!(
            parse("tls://h"),
            Err(AddressError::MissingPort { .. })
        ));
        for s in ["tls://", "tls://h:x", "tls://h:1/path", "tls://::1:1"] {
            assert!(
                matches!(parse(s), Err(AddressError::InvalidHostPort { .. })),
                "{s:?} -> {:?}",
                parse(s)
            );
        }
    }

    #[test]
    fn http_address_path_is_the_rpc_path() {
        let with_path = |host_port: &str, path: &str| Address::Http {
            host_port: host_port.into(),
            path: path.into(),
        };
        for (s, host_port, path) in [
            ("http://h:1", "h:1", "/_goRPC_"),
            ("http://h:1/", "h:1", "/_goRPC_"),
            ("http://h:1/_goRPC_", "h:1", "/_goRPC_"),
            ("http://h:1/foo", "h:1", "/foo"),
            ("http://h:1/foo/", "h:1", "/foo/"),
            ("http://[::1]:1/a/b%20c", "[::1]:1", "/a/b%20c"),
        ] {
            assert_eq!(parse(s).unwrap(), with_path(host_port, path), "{s}");
        }
        assert_eq!(
            parse("http://h:1/foo").unwrap().to_string(),
            "http://h:1/foo"
        );
        // Go's default path is left out.
        assert_eq!(parse("http://h:1/").unwrap().to_string(), "http://h:1");
        assert_eq!(
            parse("http://h:1/_goRPC_").unwrap().to_string(),
            "http://h:1"
        );
    }

    #[test]
    fn bad_http_addresses_are_rejected() {
        for (s, path) in [
            ("http://h:1/debug/rpc?x=1", "/debug/rpc?x=1"),
            ("http://h:1/a#b", "/a#b"),
            ("http://h:1/a b", "/a b"),
            ("http://h:1/a\nb", "/a\nb"),
            ("http://h:1/\u{e9}", "/\u{e9}"),
        ] {
            let err = parse(s).unwrap_err();
            assert!(
                matches!(err, AddressError::InvalidHttpPath { path: ref p, .. } if p == path),
                "{s:?} -> {err:?}"
            );
            assert!(!err.to_string().contains('\n'), "{err}");
        }
        assert!(matches!(
            parse("http://h"),
            Err(AddressError::MissingPort { .. })
        ));
        assert!(matches!(
            parse("http://h:x"),
            Err(AddressError::InvalidHostPort { .. })
        ));
        for s in ["http://", "http:///x"] {
            assert!(
                matches!(parse(s), Err(AddressError::InvalidHostPort { .. })),
                "{s}"
            );
        }
    }

    #[test]
    fn http_paths_are_checked() {
        assert_eq!(check_http_path("/"), Ok(()));
        assert_eq!(check_http_path("/a/b_c-d.e%41~"), Ok(()));
        for bad in ["", "a", "/a b", "/a\tb", "/a?b", "/a#b", "/\u{e9}", "/a\0"] {
            assert!(check_http_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bare_host_port_is_tcp() {
        assert_eq!(
            parse("127.0.0.1:1234").unwrap(),
            Address::Tcp("127.0.0.1:1234".into())
        );
        assert_eq!(
            parse("example.com:443").unwrap(),
            Address::Tcp("example.com:443".into())
        );
        assert_eq!(parse("[::1]:9").unwrap(), Address::Tcp("[::1]:9".into()));
        assert_eq!(parse(":1").unwrap(), Address::Tcp(":1".into()));
    }

    #[test]
    fn unknown_scheme_is_named() {
        let err = parse("foo://x").unwrap_err();
        assert!(matches!(err, AddressError::UnknownScheme { ref scheme, .. } if scheme == "foo"));
        assert_eq!(
            err.to_string(),
            r#"unknown address scheme "foo" in "foo://x" (expected tcp://, unix://, mem://, http://, tls://, quic://, yamux+tcp:// or yamux+unix://)"#
        );
        // Schemes are lowercase only.
        assert!(matches!(
            parse("TCP://h:1"),
            Err(AddressError::UnknownScheme { .. })
        ));
    }

    #[test]
    fn tcp_without_port_is_rejected() {
        for s in ["tcp://localhost", "localhost", "tcp://host:", "host:"] {
            assert!(
                matches!(parse(s), Err(AddressError::MissingPort { .. })),
                "{s}"
            );
        }
        let msg = parse("tcp://localhost").unwrap_err().to_string();
        assert!(msg.contains("missing port"), "{msg}");
    }

    #[test]
    fn bad_host_port_is_rejected() {
        for s in [
            "",
            "tcp://",
            "tcp://h:x",
            "tcp://h:+80",
            "tcp://h:65536",
            "tcp://h:-1",
            "tcp://::1",
            "tcp://::1:80",
            "tcp://[::1:80",
            "tcp://[]:80",
            "tcp://h]:80",
            "tcp://h:80/path",
        ] {
            assert!(
                matches!(parse(s), Err(AddressError::InvalidHostPort { .. })),
                "{s:?} -> {:?}",
                parse(s)
            );
        }
    }

    #[test]
    fn empty_unix_path_is_rejected() {
        let err = parse("unix://").unwrap_err();
        assert!(matches!(err, AddressError::EmptyUnixPath { .. }));
        assert!(err.to_string().contains("empty socket path"));
    }

    #[test]
    fn error_messages_are_one_line() {
        let err = parse("foo\nbar://x\ny").unwrap_err().to_string();
        assert!(!err.contains('\n'), "{err}");
        let err = AddressError::NotCompiledIn { transport: "unix" }.to_string();
        assert!(err.contains("\"unix\" feature"), "{err}");
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "tcp://127.0.0.1:1234",
            "tcp://[::1]:0",
            "tcp://:80",
            "unix:///tmp/x.sock",
            "unix://rel/x.sock",
            "mem://name",
            "mem://",
            "http://127.0.0.1:1234",
            "http://[::1]:0",
            "http://:80",
            "http://h:80/rpc/path",
            "tls://127.0.0.1:1234",
            "tls://[::1]:0",
            "tls://localhost:443",
            "tls://:443",
            "yamux+tcp://127.0.0.1:9",
            "yamux+tcp://[::1]:0",
            "yamux+unix:///tmp/y.sock",
        ] {
            let addr = parse(s).unwrap();
            assert_eq!(addr.to_string(), s);
            assert_eq!(parse(&addr.to_string()).unwrap(), addr);
        }
        let bare = parse("localhost:9").unwrap();
        assert_eq!(bare.to_string(), "tcp://localhost:9");
        assert_eq!(parse(&bare.to_string()).unwrap(), bare);
    }

    #[test]
    fn transport_names() {
        assert_eq!(parse("h:1").unwrap().transport(), "tcp");
        assert_eq!(parse("unix:///x").unwrap().transport(), "unix");
        assert_eq!(parse("mem://x").unwrap().transport(), "mem");
        assert_eq!(parse("http://h:1").unwrap().transport(), "http");
        assert_eq!(parse("http://h:1/x").unwrap().host_port(), Some("h:1"));
        assert_eq!(parse("quic://h:2").unwrap().host_port(), Some("h:2"));
        assert_eq!(parse("unix:///x").unwrap().host_port(), None);
        assert_eq!(parse("tls://h:1").unwrap().transport(), "tls");
        assert_eq!(parse("yamux+tcp://h:1").unwrap().transport(), "yamux+tcp");
        assert_eq!(parse("yamux+tcp://h:1").unwrap().host_port(), Some("h:1"));
        assert_eq!(parse("yamux+unix:///x").unwrap().transport(), "yamux+unix");
        assert_eq!(parse("yamux+unix:///x").unwrap().host_port(), None);
    }

    #[test]
    fn yamux_addresses_are_checked_as_their_sockets() {
        assert_eq!(
            parse("yamux+unix:///run/p.sock").unwrap(),
            Address::YamuxUnix(PathBuf::from("/run/p.sock"))
        );
        assert!(matches!(
            parse("yamux+unix://"),
            Err(AddressError::EmptyUnixPath { .. })
        ));
        assert!(matches!(
            parse("yamux+tcp://h"),
            Err(AddressError::MissingPort { .. })
        ));
        assert!(matches!(
            parse("yamux+tcp://h:x"),
            Err(AddressError::InvalidHostPort { .. })
        ));
        assert!(matches!(
            parse("yamux://h:1"),
            Err(AddressError::UnknownScheme { .. })
        ));
    }
}
