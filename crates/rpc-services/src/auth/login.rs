//! [`Auth`]: what a server accepts as a login, and the procedure that checks one.

use std::fmt;
use std::sync::Arc;

use netrpc::ConnContext;
use netrpc::layer::Layer;

use super::limiter::{LoginLimiter, LoginLimits, PeerKey};
use super::{
    Authenticator, CertificateLogins, LoggedIn, LoginLayer, LoginMethod, Password, RequireLogin,
    RequireLoginLayer, Session, WithLogin,
};

/// Why a login failed. Callers see only [`AUTH_FAILED`](super::AUTH_FAILED), whichever it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The user name and password do not match.
    #[error("auth failed")]
    Rejected,
    /// `Login` ran outside a server connection, so there is no session to log in.
    #[error("auth failed: no connection to log in")]
    NoConnection,
}

impl LoginError {
    /// True when the credentials were wrong (rather than the call misplaced).
    pub fn is_rejected(&self) -> bool {
        matches!(self, LoginError::Rejected)
    }
}

/// What a server accepts as a login, shared by all its connections: an [`Authenticator`] for
/// passwords, the client certificates that stand in for a login, and the table of failed logins
/// per peer address. Cheap to clone; clones share the table, so build it once per server.
///
/// ```
/// use rpc_services::auth::{Auth, CertificateLogins, LoginLimits, PlainPassword};
///
/// let auth = Auth::new(PlainPassword::new("user:password"))
///     .with_certificate_logins(CertificateLogins::names(["build-bot"]))
///     .with_limits(LoginLimits { max_peers: 1000, ..LoginLimits::DEFAULT });
/// assert_eq!(auth.limits().max_peers, 1000);
/// ```
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    authenticator: Arc<dyn Authenticator>,
    certificates: CertificateLogins,
    limiter: LoginLimiter,
}

/// At most this many characters of a user name go into a log line (names come from peers).
const LOGGED_NAME_CHARS: usize = 64;

/// A user name as logs show it: quoted and escaped (no forged log lines), cut short.
fn log_name(user: &str) -> String {
    let short: String = user.chars().take(LOGGED_NAME_CHARS).collect();
    if short.len() < user.len() {
        format!("{short:?}...")
    } else {
        format!("{short:?}")
    }
}

impl Auth {
    /// Passwords checked by `authenticator`; no certificate logins; [`LoginLimits::DEFAULT`].
    pub fn new(authenticator: impl Authenticator) -> Self {
        Self::from_parts(
            Arc::new(authenticator),
            CertificateLogins::none(),
            LoginLimits::DEFAULT,
        )
    }

    fn from_parts(
        authenticator: Arc<dyn Authenticator>,
        certificates: CertificateLogins,
        limits: LoginLimits,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                authenticator,
                certificates,
                limiter: LoginLimiter::new(limits),
            }),
        }
    }

    /// The same with other limits on failed logins (and an empty table of failures).
    pub fn with_limits(self, limits: LoginLimits) -> Self {
        Self::from_parts(
            self.inner.authenticator.clone(),
            self.inner.certificates.clone(),
            limits,
        )
    }

    /// The same where these client certificates log a connection in (mutual TLS standing in
    /// for a login; an empty table of failures).
    pub fn with_certificate_logins(self, certificates: CertificateLogins) -> Self {
        Self::from_parts(
            self.inner.authenticator.clone(),
            certificates,
            *self.inner.limiter.limits(),
        )
    }

    /// The limits on failed logins.
    pub fn limits(&self) -> &LoginLimits {
        self.inner.limiter.limits()
    }

    /// The failed logins per peer address.
    pub fn limiter(&self) -> &LoginLimiter {
        &self.inner.limiter
    }

    /// The connection's [`Session`], made on first use: logged in at once when the peer's
    /// verified client certificate is one of the [certificate logins](Self::with_certificate_logins),
    /// logged out otherwise. Call it when a connection starts (a per-connection service's
    /// factory) so the certificate is taken into account before any call.
    pub fn session(&self, ctx: &ConnContext) -> Session {
        Session::get_or_create(ctx, || {
            let identity = ctx.peer().tls.as_ref()?;
            let user = self.inner.certificates.user_for(identity)?;
            tracing::info!(
                peer = %ctx.remote_addr(),
                user = %log_name(&user),
                "login by client certificate"
            );
            Some(LoggedIn {
                user,
                method: LoginMethod::Certificate,
            })
        })
    }

    /// Checks `request`, the seed's `"user:password"` (split at the first `:`; without one it
    /// is all user name), and logs the connection in when it is right.
    ///
    /// Logins of one connection, and of one peer address, take turns. A failure is answered
    /// only after a delay that grows with the recent failures of the connection and of its
    /// peer address ([`LoginLimits`]), and is logged with the peer, the user name and the
    /// counts; the password never is.
    pub async fn login(&self, ctx: &ConnContext, request: &str) -> Result<LoggedIn, LoginError> {
        let session = self.session(ctx);
        let mut connection_failures = session.login_turn().await;
        let key = PeerKey::of(ctx.peer());
        let _peer_turn = self.inner.limiter.turn(&key).await;

        let (user, password) = request.split_once(':').unwrap_or((request, ""));
        let password = Password::new(password);
        if self.inner.authenticator.verify(user, &password).await {
            *connection_failures = 0;
            let who = LoggedIn {
                user: user.to_owned(),
                method: LoginMethod::Password,
            };
            session.log_in(who.clone());
            tracing::info!(peer = %ctx.remote_addr(), user = %log_name(user), "login ok");
            return Ok(who);
        }

        *connection_failures = connection_failures.saturating_add(1);
        let on_connection = *connection_failures;
        let limits = *self.limits();
        let from_peer = self
            .inner
            .limiter
            .failed(&key, |n| limits.delay_after(n.max(on_connection)));
        let delay = limits.delay_after(from_peer.max(on_connection));
        // Without a `:` the request may be a password alone: no name is logged then.
        let logged_user = if request.contains(':') {
            log_name(user)
        } else {
            "(none)".to_owned()
        };
        tracing::warn!(
            peer = %ctx.remote_addr(),
            peer_key = %key,
            user = %logged_user,
            connection_failures = on_connection,
            peer_failures = from_peer,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "login failed"
        );
        tokio::time::sleep(delay).await;
        Err(LoginError::Rejected)
    }

    /// `inner` with every method answering [`PLEASE_LOGIN`](super::PLEASE_LOGIN) until the
    /// connection is logged in.
    pub fn require_login<S: netrpc::Service>(&self, inner: S) -> RequireLogin<S> {
        RequireLoginLayer::new(self.clone()).layer(inner)
    }

    /// `inner` guarded as by [`require_login`](Self::require_login), with a `Login` method
    /// added under its name (the seed's `HelloService.Login`).
    pub fn with_login<S: netrpc::Service>(&self, inner: S) -> WithLogin<RequireLogin<S>> {
        LoginLayer::new(self.clone()).layer(inner)
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("certificates", &self.inner.certificates)
            .field("limiter", &self.inner.limiter)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_names_are_escaped_and_short() {
        assert_eq!(log_name("alice"), "\"alice\"");
        assert_eq!(log_name("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(1000);
        let shown = log_name(&long);
        assert!(shown.len() < 80 && shown.ends_with("..."), "{shown}");
        assert!(LoginError::Rejected.is_rejected());
        assert!(!LoginError::NoConnection.is_rejected());
    }
}
