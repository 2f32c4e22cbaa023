//! The handshake: the configuration both sides share, and the one line a plugin prints on its
//! standard output to tell its host where to connect.
//!
//! The line is `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT`, as go-plugin's `Serve` prints it:
//! [`CORE_PROTOCOL_VERSION`], the negotiated application protocol version, `unix` or `tcp`, the
//! socket path or `127.0.0.1:PORT`, `netrpc`, and the (here always empty) base64 server
//! certificate of go-plugin's automatic mutual TLS.

use crate::error::StartError;

/// The version of go-plugin's own protocol (Go's `CoreProtocolVersion`): the first field of the
/// handshake line.
pub const CORE_PROTOCOL_VERSION: u32 = 1;

/// The protocol name of net/rpc plugins, the handshake line's fifth field (Go's
/// `ProtocolNetRPC`).
pub const PROTOCOL_NETRPC: &str = "netrpc";

/// What a host and its plugins agree on before they talk (Go's `plugin.HandshakeConfig`).
///
/// The magic cookie is a UX feature, not a security measure: a plugin run by hand, without the
/// cookie in its environment, says that it is a plugin and exits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeConfig {
    /// The application protocol version both sides must speak (Go's `ProtocolVersion`).
    pub protocol_version: u32,
    /// The environment variable carrying the cookie (Go's `MagicCookieKey`).
    pub magic_cookie_key: String,
    /// The cookie's value (Go's `MagicCookieValue`).
    pub magic_cookie_value: String,
}

impl HandshakeConfig {
    /// A handshake configuration.
    pub fn new(
        protocol_version: u32,
        magic_cookie_key: impl Into<String>,
        magic_cookie_value: impl Into<String>,
    ) -> Self {
        Self {
            protocol_version,
            magic_cookie_key: magic_cookie_key.into(),
            magic_cookie_value: magic_cookie_value.into(),
        }
    }
}

/// Where a plugin listens: the handshake line's third and fourth fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PluginAddr {
    /// A Unix socket at this path (`unix`).
    Unix(std::path::PathBuf),
    /// A TCP address, `127.0.0.1:PORT` (`tcp`).
    Tcp(std::net::SocketAddr),
}

impl PluginAddr {
    /// The network name Go uses: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            PluginAddr::Unix(_) => "unix",
            PluginAddr::Tcp(_) => "tcp",
        }
    }
}

impl std::fmt::Display for PluginAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginAddr::Unix(path) => write!(f, "{}", path.display()),
            PluginAddr::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

/// A handshake line: what the plugin prints, what the host reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeLine {
    /// The negotiated application protocol version.
    pub protocol_version: u32,
    /// Where the plugin listens.
    pub addr: PluginAddr,
    /// The protocol (`netrpc`; Go's plugins may say `grpc`).
    pub protocol: String,
}

impl HandshakeLine {
    /// The line as go-plugin's `Serve` prints it, without its newline:
    /// `1|APP|NETWORK|ADDR|PROTOCOL|` (no server certificate).
    pub fn format(&self) -> String {
        format!(
            "{CORE_PROTOCOL_VERSION}|{}|{}|{}|{}|",
            self.protocol_version,
            self.addr.network(),
            self.addr,
            self.protocol
        )
    }

    /// Reads a handshake line as go-plugin's host does (`Client.Start`), checking each field in
    /// Go's order with Go's error texts: at least four `|`-separated fields, the core version,
    /// the application version (one of `accepted`), the network, and the protocol (only
    /// `netrpc` is supported). `eof` tells that the plugin's output ended without a line (it
    /// adds `Failed to read any lines from plugin's stdout` to the error); `diagnose` gives the
    /// notes about the plugin's command that Go adds to an unrecognized line.
    pub fn parse(
        line: &str,
        accepted: &[u32],
        eof: bool,
        diagnose: impl FnOnce() -> String,
    ) -> Result<HandshakeLine, StartError> {
        let line = line.trim();
        let parts: Vec<&str> = line.split('|').collect();
        if parts.len() < 4 {
            let mut text = format!("Unrecognized remote plugin message: {line}");
            if eof {
                text.push_str("\nFailed to read any lines from plugin's stdout");
            }
            let notes = diagnose();
            if !notes.is_empty() {
                text.push('\n');
                text.push_str(&notes);
            }
            return Err(StartError::Unrecognized {
                line: line.to_owned(),
                message: text,
                stderr: String::new(),
            });
        }
        let core = go_atoi(parts[0]).map_err(StartError::CoreVersionSyntax)?;
        if core != i64::from(CORE_PROTOCOL_VERSION) {
            return Err(StartError::CoreVersion {
                plugin: parts[0].to_owned(),
            });
        }
        let version = go_atoi(parts[1]).map_err(|err| StartError::VersionSyntax {
            text: parts[1].to_owned(),
            error: err,
        })?;
        let Some(version) = accepted
            .iter()
            .copied()
            .find(|accepted| i64::from(*accepted) == version)
        else {
            return Err(StartError::Version {
                plugin: version,
                host: accepted.to_vec(),
            });
        };
        let addr = match parts[2] {
            "tcp" => PluginAddr::Tcp(parts[3].parse().map_err(|_| StartError::Address {
                network: "tcp".into(),
                addr: parts[3].to_owned(),
            })?),
            "unix" => PluginAddr::Unix(parts[3].into()),
            _ => return Err(StartError::AddressType(parts[3].to_owned())),
        };
        let protocol = parts.get(4).copied().unwrap_or(PROTOCOL_NETRPC);
        if protocol != PROTOCOL_NETRPC {
            return Err(StartError::Protocol(protocol.to_owned()));
        }
        // Go reads a certificate only when the sixth field is longer than 50 bytes (shorter
        // ones are the "extra" data of older plugins).
        if parts.get(5).is_some_and(|cert| cert.len() > 50) {
            return Err(StartError::AutoMtls);
        }
        Ok(HandshakeLine {
            protocol_version: version,
            addr,
            protocol: protocol.to_owned(),
        })
    }
}

/// Go's `strconv.Atoi`, with its error text (`strconv.Atoi: parsing "x": invalid syntax`).
pub(crate) fn go_atoi(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {text:?}: invalid syntax"));
    }
    text.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {text:?}: value out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<HandshakeLine, StartError> {
        HandshakeLine::parse(line, &[1, 2], false, String::new)
    }

    #[test]
    fn formats_as_go_does_and_reads_back() {
        let line = HandshakeLine {
            protocol_version: 2,
            addr: PluginAddr::Unix("/tmp/plugin123".into()),
            protocol: PROTOCOL_NETRPC.into(),
        };
        assert_eq!(line.format(), "1|2|unix|/tmp/plugin123|netrpc|");
        assert_eq!(parse(&format!("{}\n", line.format())).unwrap(), line);
        let tcp = parse("1|1|tcp|127.0.0.1:10000|netrpc|").unwrap();
        assert_eq!(
            tcp.addr,
            PluginAddr::Tcp("127.0.0.1:10000".parse().unwrap())
        );
        // Old plugins print four fields: net/rpc.
        assert_eq!(parse("1|1|unix|/s").unwrap().protocol, "netrpc");
    }

    #[test]
    fn go_texts_for_bad_lines() {
        let err = HandshakeLine::parse("hello world", &[1], true, || "notes".into()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unrecognized remote plugin message: hello world\n\
             Failed to read any lines from plugin's stdout\nnotes"
        );
        assert_eq!(
            parse("2|1|unix|/s|netrpc|").unwrap_err().to_string(),
            "incompatible core API version with plugin. Plugin version: 2, Core version: 1\n\n\
             To fix this, the plugin usually only needs to be recompiled.\n\
             Please report this to the plugin author"
        );
        assert_eq!(
            parse("x|1|unix|/s").unwrap_err().to_string(),
            "error parsing core protocol version: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse("1|7|unix|/s").unwrap_err().to_string(),
            "incompatible API version with plugin. Plugin version: 7, Client versions: [1 2]"
        );
        assert_eq!(
            parse("1|v|unix|/s").unwrap_err().to_string(),
            "Error parsing protocol version \"v\": strconv.Atoi: parsing \"v\": invalid syntax"
        );
        assert_eq!(
            parse("1|1|udp|1.2.3.4:5").unwrap_err().to_string(),
            "unknown address type: 1.2.3.4:5"
        );
        assert_eq!(
            parse("1|1|unix|/s|grpc|").unwrap_err().to_string(),
            "unsupported plugin protocol \"grpc\". Supported: [netrpc]"
        );
    }
}
