//! Mutual TLS standing in for a login: a connection whose verified client certificate names an
//! allowed user starts logged in as that user.
//!
//! Only certificates the TLS listener verified against its client CA reach here (see
//! `rpc_transport::Peer::tls`), so which CA a server trusts decides who can hold such a name.

use std::collections::BTreeSet;

use netrpc::transport::TlsIdentity;

/// Which client certificates log a connection in, and as whom.
///
/// ```
/// use rpc_services::auth::CertificateLogins;
///
/// let none = CertificateLogins::none();
/// let some = CertificateLogins::names(["alice", "spiffe://example.org/bob"]);
/// let any = CertificateLogins::any();
/// # let _ = (none, some, any);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateLogins {
    any: bool,
    names: BTreeSet<String>,
}

impl CertificateLogins {
    /// No certificate logs in (the default).
    pub fn none() -> Self {
        Self::default()
    }

    /// Every verified client certificate logs in, as its subject's common name (or, without
    /// one, its first DNS name, then its first URI).
    pub fn any() -> Self {
        Self {
            any: true,
            names: BTreeSet::new(),
        }
    }

    /// A certificate logs in when its common name, one of its DNS names or one of its URIs is
    /// one of `names`, as that name (checked in that order). Names are compared exactly.
    pub fn names<I, N>(names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: Into<String>,
    {
        Self {
            any: false,
            names: names.into_iter().map(Into::into).collect(),
        }
    }

    /// These and `other`'s certificates.
    pub fn or(mut self, other: CertificateLogins) -> Self {
        self.any |= other.any;
        self.names.extend(other.names);
        self
    }

    /// True when no certificate logs in.
    pub fn is_none(&self) -> bool {
        !self.any && self.names.is_empty()
    }

    /// The user a verified certificate with `identity` logs in as, if any.
    pub fn user_for(&self, identity: &TlsIdentity) -> Option<String> {
        self.pick(
            identity
                .common_name
                .iter()
                .chain(&identity.dns_names)
                .chain(&identity.uris),
        )
    }

    /// The first of a certificate's names (common name, DNS names, URIs) that logs in.
    fn pick<'a>(&self, names: impl Iterator<Item = &'a String>) -> Option<String> {
        let mut candidates = names.filter(|name| !name.is_empty());
        if self.any {
            return candidates.next().cloned();
        }
        candidates.find(|name| self.names.contains(*name)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate's names in the order `user_for` reads them (`TlsIdentity` itself is
    /// `#[non_exhaustive]`; the end-to-end tests use real ones).
    fn identity(cn: Option<&str>, dns: &[&str], uris: &[&str]) -> Vec<String> {
        cn.into_iter()
            .chain(dns.iter().copied())
            .chain(uris.iter().copied())
            .map(str::to_owned)
            .collect()
    }

    fn user(logins: &CertificateLogins, names: &[String]) -> Option<String> {
        logins.pick(names.iter())
    }

    #[test]
    fn names_pick_a_matching_name() {
        let alice = identity(Some("alice"), &["alice.example"], &["spiffe://t/alice"]);
        let bob = identity(None, &["bob.example"], &["spiffe://t/bob"]);
        let nameless = identity(Some(""), &[], &[]);

        assert_eq!(user(&CertificateLogins::none(), &alice), None);
        assert_eq!(
            user(&CertificateLogins::any(), &alice).as_deref(),
            Some("alice")
        );
        assert_eq!(
            user(&CertificateLogins::any(), &bob).as_deref(),
            Some("bob.example")
        );
        assert_eq!(user(&CertificateLogins::any(), &nameless), None);

        let some = CertificateLogins::names(["spiffe://t/bob", "alice.example"]);
        assert_eq!(user(&some, &alice).as_deref(), Some("alice.example"));
        assert_eq!(user(&some, &bob).as_deref(), Some("spiffe://t/bob"));
        assert_eq!(user(&CertificateLogins::names(["carol"]), &alice), None);
        assert!(CertificateLogins::none().is_none());
        assert!(!some.clone().or(CertificateLogins::none()).is_none());
        assert_eq!(
            user(&some.or(CertificateLogins::any()), &alice).as_deref(),
            Some("alice")
        );
    }
}
