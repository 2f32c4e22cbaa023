//! The environment a host gives its plugin: the magic cookie, the protocol versions the host
//! speaks, the TCP port range, and where to put the Unix socket; and how a plugin picks its
//! protocol version from them.

use crate::HandshakeConfig;
use crate::error::ServeError;

/// The host's protocol versions, comma-separated (`PLUGIN_PROTOCOL_VERSIONS`).
pub const ENV_PROTOCOL_VERSIONS: &str = "PLUGIN_PROTOCOL_VERSIONS";
/// The lowest TCP port a plugin may listen on (`PLUGIN_MIN_PORT`).
pub const ENV_MIN_PORT: &str = "PLUGIN_MIN_PORT";
/// The highest TCP port a plugin may listen on (`PLUGIN_MAX_PORT`).
pub const ENV_MAX_PORT: &str = "PLUGIN_MAX_PORT";
/// The directory a plugin creates its Unix socket in (`PLUGIN_UNIX_SOCKET_DIR`; default the
/// temporary directory, `$TMPDIR` or `/tmp`).
pub const ENV_UNIX_SOCKET_DIR: &str = "PLUGIN_UNIX_SOCKET_DIR";
/// The client certificate of go-plugin's AutoMTLS (`PLUGIN_CLIENT_CERT`), which this crate
/// does not support.
pub const ENV_CLIENT_CERT: &str = "PLUGIN_CLIENT_CERT";

/// The default TCP port range a host offers (go-plugin's `MinPort` and `MaxPort`).
pub const DEFAULT_PORTS: (u16, u16) = (10000, 25000);

/// Checks the magic cookie in the environment `get` reads, as go-plugin's `Serve` does first.
pub fn check_cookie(
    handshake: &HandshakeConfig,
    get: impl Fn(&str) -> Option<String>,
) -> Result<(), ServeError> {
    if handshake.magic_cookie_key.is_empty() || handshake.magic_cookie_value.is_empty() {
        return Err(ServeError::NoCookie);
    }
    match get(&handshake.magic_cookie_key) {
        Some(value) if value == handshake.magic_cookie_value => Ok(()),
        _ => Err(ServeError::NotAPlugin),
    }
}

/// The versions in `PLUGIN_PROTOCOL_VERSIONS` (`"1,2"`), and Go's complaint about each entry
/// that is not a number (`server sent invalid plugin version "x"`, which Go prints to stderr
/// and skips).
pub fn client_versions(text: &str) -> (Vec<i64>, Vec<String>) {
    let mut versions = Vec::new();
    let mut complaints = Vec::new();
    if text.is_empty() {
        return (versions, complaints);
    }
    for part in text.split(',') {
        match crate::handshake::go_atoi(part) {
            Ok(version) => versions.push(version),
            Err(_) => complaints.push(format!("server sent invalid plugin version {part:?}")),
        }
    }
    (versions, complaints)
}

/// The version a plugin serves (go-plugin's `protocolVersion`): its own versions from the
/// highest down, the first one the host lists; when none is, the lowest (and the host reports
/// the mismatch). `None` only when the plugin has no version at all.
pub fn negotiate(plugin_versions: &[u32], host_versions: &[i64]) -> Option<u32> {
    let mut versions = plugin_versions.to_vec();
    versions.sort_unstable_by(|a, b| b.cmp(a));
    versions.dedup();
    versions
        .iter()
        .copied()
        .find(|version| host_versions.contains(&i64::from(*version)))
        .or_else(|| versions.last().copied())
}

/// The variables a host adds to its plugin's environment (go-plugin's `Client.Start`): the
/// cookie (when it has a key), the port range and the versions it speaks.
pub fn host_env(
    handshake: &HandshakeConfig,
    versions: &[u32],
    ports: (u16, u16),
) -> Vec<(String, String)> {
    let versions: Vec<String> = versions.iter().map(u32::to_string).collect();
    let mut env = Vec::with_capacity(4);
    // No key, no cookie (the plugin will refuse to run, saying why).
    if !handshake.magic_cookie_key.is_empty() {
        env.push((
            handshake.magic_cookie_key.clone(),
            handshake.magic_cookie_value.clone(),
        ));
    }
    env.push((ENV_MIN_PORT.into(), ports.0.to_string()));
    env.push((ENV_MAX_PORT.into(), ports.1.to_string()));
    env.push((ENV_PROTOCOL_VERSIONS.into(), versions.join(",")));
    env
}

/// The port range in `PLUGIN_MIN_PORT` and `PLUGIN_MAX_PORT` (0 when unset), with Go's errors.
pub fn port_range(get: impl Fn(&str) -> Option<String>) -> Result<(u16, u16), String> {
    let port = |name: &str| -> Result<u16, String> {
        match get(name).filter(|text| !text.is_empty()) {
            None => Ok(0),
            Some(text) => text
                .parse::<u16>()
                .map_err(|err| format!("couldn't get value from {name}: {err}")),
        }
    };
    let (min, max) = (port(ENV_MIN_PORT)?, port(ENV_MAX_PORT)?);
    if min > max {
        return Err(format!(
            "PLUGIN_MIN_PORT value of {min} is greater than PLUGIN_MAX_PORT value of {max}"
        ));
    }
    Ok((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie() {
        let hs = HandshakeConfig::new(1, "BASIC_PLUGIN", "hello");
        assert!(check_cookie(&hs, |_| Some("hello".into())).is_ok());
        assert!(matches!(
            check_cookie(&hs, |_| Some("bye".into())),
            Err(ServeError::NotAPlugin)
        ));
        assert!(matches!(
            check_cookie(&hs, |_| None),
            Err(ServeError::NotAPlugin)
        ));
        let text = check_cookie(&hs, |_| None).unwrap_err().to_string() + "\n";
        assert_eq!(
            text,
            "This binary is a plugin. These are not meant to be executed directly.\n\
             Please execute the program that consumes these plugins, which will\n\
             load any plugins automatically\n"
        );
        let bad = HandshakeConfig::new(1, "", "x");
        assert!(matches!(
            check_cookie(&bad, |_| None),
            Err(ServeError::NoCookie)
        ));
    }

    #[test]
    fn versions() {
        assert_eq!(client_versions(""), (vec![], vec![]));
        let (versions, complaints) = client_versions("1,x,3");
        assert_eq!(versions, vec![1, 3]);
        assert_eq!(complaints, vec!["server sent invalid plugin version \"x\""]);
        assert_eq!(negotiate(&[1, 2, 3], &[1, 2]), Some(2));
        assert_eq!(negotiate(&[3, 1, 2], &[3, 1]), Some(3));
        assert_eq!(negotiate(&[2, 5], &[7]), Some(2));
        assert_eq!(negotiate(&[4], &[]), Some(4));
        assert_eq!(negotiate(&[], &[1]), None);
    }

    #[test]
    fn env_and_ports() {
        let hs = HandshakeConfig::new(1, "K", "V");
        let env = host_env(&hs, &[1, 2], DEFAULT_PORTS);
        assert_eq!(env[0], ("K".into(), "V".into()));
        assert_eq!(env[3], ("PLUGIN_PROTOCOL_VERSIONS".into(), "1,2".into()));
        let get = |name: &str| match name {
            "PLUGIN_MIN_PORT" => Some("10".into()),
            "PLUGIN_MAX_PORT" => Some("5".into()),
            _ => None,
        };
        assert_eq!(
            port_range(get).unwrap_err(),
            "PLUGIN_MIN_PORT value of 10 is greater than PLUGIN_MAX_PORT value of 5"
        );
        assert_eq!(port_range(|_| None).unwrap(), (0, 0));
    }
}
