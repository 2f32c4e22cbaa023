//! `etcd://HOST:PORT[,HOST:PORT...][/PREFIX]`: where etcd is and which keys are the store's.

use std::fmt;
use std::str::FromStr;

use crate::EtcdError;

/// The prefix of the store's keys when the address names none.
pub const DEFAULT_PREFIX: &str = "netrpc/kv/";

/// A parsed `etcd://` address.
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
}

impl FromStr for EtcdAddress {
    type Err = EtcdError;

    fn from_str(s: &str) -> Result<Self, EtcdError> {
        let bad = |reason: &str| EtcdError::Address {
            address: s.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = s
            .strip_prefix("etcd://")
            .ok_or_else(|| bad("expected etcd://HOST:PORT[,HOST:PORT...][/PREFIX]"))?;
        let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
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
        Ok(EtcdAddress { endpoints, prefix })
    }
}

impl fmt::Display for EtcdAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "etcd://{}/{}", self.endpoints.join(","), self.prefix)
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
        let a: EtcdAddress = "etcd://a:1,[::1]:2/app".parse().unwrap();
        assert_eq!(a.endpoints, ["a:1", "[::1]:2"]);
        assert_eq!(a.prefix, "app/");
        assert_eq!(a.to_string(), "etcd://a:1,[::1]:2/app/");
        let a: EtcdAddress = "etcd://a:1/x/y/".parse().unwrap();
        assert_eq!(a.prefix, "x/y/");
        for bad in [
            "http://a:1",
            "etcd://a",
            "etcd://a:x",
            "etcd://:1",
            "etcd://a:1,",
        ] {
            assert!(bad.parse::<EtcdAddress>().is_err(), "{bad}");
        }
    }
}
