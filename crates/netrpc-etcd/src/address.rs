//! `etcd[s]://[USER[:PASSWORD]@]HOST:PORT[,HOST:PORT...][/PREFIX][?OPTIONS]`: where etcd is,
//! how to reach it securely, and which keys are the store's.
//!
//! - `etcd://` is plain-text gRPC; `etcds://` is TLS, the server verified against `ca=FILE`
//!   (PEM), or the system's roots without it.
//! - `cert=FILE&key=FILE`: a client certificate and its key (PEM), for etcd's
//!   `--client-cert-auth` (`etcds://` only).
//! - `server-name=NAME`: the name the servers' certificates must carry, when it is not the
//!   host of the endpoint (`etcds://` only).
//! - `USER[:PASSWORD]@`, or `user=USER`: etcd's user/password authentication. The password
//!   comes from the address, from `password-file=FILE` (its first line), or from the
//!   environment variable named by `password-env=VAR`; percent-encode `@`, `:`, `/`, `%` in
//!   one given in the address.
//!
//! The address's [`Display`](fmt::Display) never shows the password.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::EtcdError;

/// The prefix of the store's keys when the address names none.
pub const DEFAULT_PREFIX: &str = "netrpc/kv/";

/// A parsed `etcd://` or `etcds://` address.
///
/// Every key of the store lives in etcd under the prefix: `KVStoreService.Set("a", ..)` writes
/// `PREFIX` + `a`. A prefix that does not end with `/` gets one (`etcd://h:2379/app` stores
/// under `app/`); no path, or `/` alone, means [`DEFAULT_PREFIX`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdAddress {
    /// `HOST:PORT` of each member to try.
    pub endpoints: Vec<String>,
    /// The prefix of the store's keys in etcd (never empty, ends with `/`).
    pub prefix: String,
    /// TLS and authentication (none for a plain `etcd://HOST:PORT` address).
    pub security: EtcdSecurity,
}

/// How to reach etcd securely: TLS, and a user to authenticate as.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EtcdSecurity {
    /// TLS (`etcds://`); `None` is plain-text gRPC.
    pub tls: Option<EtcdTls>,
    /// etcd's user/password authentication; `None` sends no token.
    pub user: Option<EtcdUser>,
}

/// TLS to etcd: PEM files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EtcdTls {
    /// The CA certificates that sign the members' certificates; `None`: the system's roots.
    pub ca: Option<PathBuf>,
    /// A client certificate (chain) to present, with [`key`](Self::key).
    pub cert: Option<PathBuf>,
    /// The client certificate's private key.
    pub key: Option<PathBuf>,
    /// The name the members' certificates must carry; `None`: each endpoint's host.
    pub server_name: Option<String>,
}

/// A user of etcd's authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct EtcdUser {
    /// The user name.
    pub name: String,
    /// The password (never shown by `Debug` or `Display`).
    pub password: String,
}

impl fmt::Debug for EtcdUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtcdUser")
            .field("name", &self.name)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl EtcdUser {
    /// A user whose password is the first line of `path` (a trailing newline, or CRLF, is not
    /// part of it).
    pub fn from_password_file(name: &str, path: &Path) -> Result<EtcdUser, EtcdError> {
        Ok(EtcdUser {
            name: name.to_owned(),
            password: read_password_file(path)?,
        })
    }
}

/// The first line of a password file.
pub fn read_password_file(path: &Path) -> Result<String, EtcdError> {
    let text = std::fs::read_to_string(path).map_err(|err| EtcdError::File {
        what: "password",
        path: path.to_owned(),
        reason: err.to_string(),
    })?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(EtcdError::File {
            what: "password",
            path: path.to_owned(),
            reason: "empty (the password is its first line)".into(),
        });
    }
    Ok(line.to_owned())
}

/// `%XX` decoding (user names, passwords and option values).
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `%XX` encoding of what would be read as syntax in a user name (`user`) or an option value.
fn percent_encode(s: &str, user: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let syntax = match c {
            '%' | '&' | '=' | '#' | ' ' => true,
            '@' | ':' | '/' | '?' | ',' => user,
            _ => false,
        };
        match c {
            c if syntax => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `s` as shown in errors: the password in `USER:PASSWORD@` left out.
fn without_password(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{hosts}{tail}")
        }
        None => s.to_owned(),
    }
}

impl FromStr for EtcdAddress {
    type Err = EtcdError;

    fn from_str(s: &str) -> Result<Self, EtcdError> {
        let shown = without_password(s);
        let bad = |reason: &str| EtcdError::Address {
            address: shown.clone(),
            reason: reason.to_owned(),
        };
        let (tls, rest) = if let Some(rest) = s.strip_prefix("etcd://") {
            (false, rest)
        } else if let Some(rest) = s.strip_prefix("etcds://") {
            (true, rest)
        } else {
            return Err(bad(
                "expected etcd://HOST:PORT[,HOST:PORT...][/PREFIX], or etcds:// for TLS",
            ));
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(userinfo), hosts),
            None => (None, authority),
        };
        let mut endpoints = Vec::new();
        for host in hosts.split(',') {
            let Some((name, port)) = host.rsplit_once(':') else {
                return Err(bad(&format!("{host:?} is not HOST:PORT")));
            };
            if name.is_empty() || port.parse::<u16>().is_err() {
                return Err(bad(&format!("{host:?} is not HOST:PORT")));
            }
            endpoints.push(host.to_owned());
        }
        let prefix = match path {
            "" => DEFAULT_PREFIX.to_owned(),
            p if p.ends_with('/') => p.to_owned(),
            p => format!("{p}/"),
        };

        let mut user_name = None;
        let mut password = None;
        if let Some(userinfo) = userinfo {
            let (name, pass) = match userinfo.split_once(':') {
                Some((name, pass)) => (name, Some(pass)),
                None => (userinfo, None),
            };
            let name = percent_decode(name).ok_or_else(|| bad("bad %-encoding in the user"))?;
            if name.is_empty() {
                return Err(bad("an empty user name before @"));
            }
            user_name = Some(name);
            if let Some(pass) = pass {
                password = Some(
                    percent_decode(pass).ok_or_else(|| bad("bad %-encoding in the password"))?,
                );
            }
        }
        let mut files = EtcdTls::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value =
                percent_decode(value).ok_or_else(|| bad(&format!("bad %-encoding in {name}=")))?;
            if value.is_empty() {
                return Err(bad(&format!("{name}= needs a value")));
            }
            let set = |slot: &mut Option<String>| {
                if slot.replace(value.clone()).is_some() {
                    Err(bad(&format!("{name}= given twice")))
                } else {
                    Ok(())
                }
            };
            match name {
                "ca" => files.ca = Some(PathBuf::from(&value)),
                "cert" => files.cert = Some(PathBuf::from(&value)),
                "key" => files.key = Some(PathBuf::from(&value)),
                "server-name" => files.server_name = Some(value.clone()),
                "user" => set(&mut user_name)?,
                "password-file" => {
                    if password.is_some() {
                        return Err(bad("the password is given twice"));
                    }
                    password = Some(read_password_file(Path::new(&value))?);
                }
                "password-env" => {
                    if password.is_some() {
                        return Err(bad("the password is given twice"));
                    }
                    let got = std::env::var(&value).map_err(|_| {
                        bad(&format!("password-env={value}: that variable is not set"))
                    })?;
                    password = Some(got);
                }
                other => {
                    return Err(bad(&format!(
                        "unknown option {other:?} (known: ca, cert, key, server-name, user, \
                         password-file, password-env)"
                    )));
                }
            }
        }
        if !tls && files != EtcdTls::default() {
            return Err(bad(
                "ca=, cert=, key= and server-name= are TLS options: use etcds://",
            ));
        }
        if files.cert.is_some() != files.key.is_some() {
            return Err(bad("cert= and key= go together"));
        }
        let user = match (user_name, password) {
            (None, None) => None,
            (Some(name), Some(password)) => Some(EtcdUser { name, password }),
            (Some(name), None) => {
                return Err(bad(&format!(
                    "user {name:?} has no password: give USER:PASSWORD@, password-file= or \
                     password-env="
                )));
            }
            (None, Some(_)) => return Err(bad("a password without a user")),
        };
        Ok(EtcdAddress {
            endpoints,
            prefix,
            security: EtcdSecurity {
                tls: tls.then_some(files),
                user,
            },
        })
    }
}

impl fmt::Display for EtcdAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.security.tls.is_some() {
            "etcds"
        } else {
            "etcd"
        };
        write!(f, "{scheme}://")?;
        if let Some(user) = &self.security.user {
            write!(f, "{}@", percent_encode(&user.name, true))?;
        }
        write!(f, "{}/{}", self.endpoints.join(","), self.prefix)?;
        let mut options = Vec::new();
        if let Some(tls) = &self.security.tls {
            let mut path = |name: &str, p: &Option<PathBuf>| {
                if let Some(p) = p {
                    options.push(format!(
                        "{name}={}",
                        percent_encode(&p.display().to_string(), false)
                    ));
                }
            };
            path("ca", &tls.ca);
            path("cert", &tls.cert);
            path("key", &tls.key);
            if let Some(name) = &tls.server_name {
                options.push(format!("server-name={}", percent_encode(name, false)));
            }
        }
        if !options.is_empty() {
            write!(f, "?{}", options.join("&"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let a: EtcdAddress = "etcd://127.0.0.1:2379".parse().unwrap();
        assert_eq!(a.endpoints, ["127.0.0.1:2379"]);
        assert_eq!(a.prefix, DEFAULT_PREFIX);
        assert_eq!(a.security, EtcdSecurity::default());
        let a: EtcdAddress = "etcd://a:1,[::1]:2/app".parse().unwrap();
        assert_eq!(a.endpoints, ["a:1", "[::1]:2"]);
        assert_eq!(a.prefix, "app/");
        assert_eq!(a.to_string(), "etcd://a:1,[::1]:2/app/");
        let a: EtcdAddress = "etcd://a:1/x/y/".parse().unwrap();
        assert_eq!(a.prefix, "x/y/");
        let a: EtcdAddress = "etcd://a:1/x@y".parse().unwrap();
        assert_eq!((a.prefix.as_str(), a.security.user), ("x@y/", None));
        for bad in [
            "http://a:1",
            "etcd://a",
            "etcd://a:x",
            "etcd://:1",
            "etcd://a:1,",
            "etcd://a:1?ca=x",
            "etcds://a:1?cert=c",
            "etcds://a:1?bogus=1",
            "etcd://u@a:1",
            "etcd://:p@a:1",
            "etcd://a:1?password-env=NETRPC_TEST_SURELY_UNSET",
        ] {
            assert!(bad.parse::<EtcdAddress>().is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_security_and_hides_the_password() {
        let a: EtcdAddress = "etcds://root:p%40ss%3Aw@h:1,h:2/app?ca=/c/ca.pem&cert=/c/c.pem&key=/c/c.key&server-name=etcd.local"
            .parse()
            .unwrap();
        let tls = a.security.tls.clone().unwrap();
        assert_eq!(tls.ca.as_deref(), Some(Path::new("/c/ca.pem")));
        assert_eq!(tls.cert.as_deref(), Some(Path::new("/c/c.pem")));
        assert_eq!(tls.key.as_deref(), Some(Path::new("/c/c.key")));
        assert_eq!(tls.server_name.as_deref(), Some("etcd.local"));
        let user = a.security.user.clone().unwrap();
        assert_eq!(
            (user.name.as_str(), user.password.as_str()),
            ("root", "p@ss:w")
        );
        let shown = a.to_string();
        assert_eq!(
            shown,
            "etcds://root@h:1,h:2/app/?ca=/c/ca.pem&cert=/c/c.pem&key=/c/c.key&server-name=etcd.local"
        );
        assert!(!format!("{a:?}").contains("p@ss"));
        // Display parses back, but without the password a user needs one again.
        let err = shown.parse::<EtcdAddress>().unwrap_err();
        assert!(err.to_string().contains("has no password"), "{err}");
        let plain: EtcdAddress = "etcd://h:1/p".parse().unwrap();
        assert_eq!(plain.to_string().parse::<EtcdAddress>().unwrap(), plain);
        // etcds:// alone: TLS with the system's roots.
        let a: EtcdAddress = "etcds://h:1".parse().unwrap();
        assert_eq!(a.security.tls, Some(EtcdTls::default()));
        // An error never shows the password.
        let err = "etcd://u:secret@h".parse::<EtcdAddress>().unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(err.to_string().contains("etcd://u@h"), "{err}");
    }

    #[test]
    fn password_file() {
        let dir = std::env::temp_dir().join(format!("netrpc-etcd-pw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::fs::write(&file, "s3cret\r\n").unwrap();
        let a: EtcdAddress = format!("etcd://h:1?user=bob&password-file={}", file.display())
            .parse()
            .unwrap();
        let user = a.security.user.unwrap();
        assert_eq!(
            (user.name.as_str(), user.password.as_str()),
            ("bob", "s3cret")
        );
        // From the environment (PATH: a variable every test run has).
        if let Ok(path) = std::env::var("PATH") {
            let a: EtcdAddress = "etcd://bob@h:1?password-env=PATH".parse().unwrap();
            assert_eq!(a.security.user.unwrap().password, path);
        }
        let missing = dir.join("missing");
        let err = format!("etcd://h:1?user=bob&password-file={}", missing.display())
            .parse::<EtcdAddress>()
            .unwrap_err();
        assert!(
            err.to_string().contains(&missing.display().to_string()),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
