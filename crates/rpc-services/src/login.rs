//! The per-connection `HelloService` of seed 4.3.4: `Login` first, then `Hello` knows who called.
//!
//! It is the plain greeting behind the [auth layer](crate::auth): `Hello` guarded by
//! [`RequireLogin`](crate::auth::RequireLogin), with `Login` added under the same name
//! ([`LoginLayer`](crate::auth::LoginLayer)). Register it with
//! `ServerBuilder::register_per_connection("HelloService", ...)`: each connection gets its own
//! instance and session, so a login lasts exactly as long as its connection.

use std::sync::Arc;

use netrpc::layer::Layer;
use netrpc::proto::Body;
use netrpc::{ConnContext, HandlerFuture, Method, Service, service};

use crate::auth::{Auth, LoginLayer, LoginLimits, PlainPassword, RequireLogin, WithLogin};

/// The one `"user:password"` a demo server accepts (`netrpc serve --login`), compared in
/// constant time, with its own table of failed logins. Clones share the table, so clone one
/// value into every connection's service.
#[derive(Clone)]
pub struct Credentials {
    expected: Arc<[u8]>,
    auth: Auth,
}

impl Credentials {
    /// Credentials given as `"user:password"`, the form `Login` receives.
    pub fn new(user_colon_password: &str) -> Self {
        Self {
            expected: user_colon_password.as_bytes().into(),
            auth: Auth::new(PlainPassword::new(user_colon_password)),
        }
    }

    /// The same with other limits on failed logins.
    pub fn with_limits(self, limits: LoginLimits) -> Self {
        Self {
            auth: self.auth.with_limits(limits),
            ..self
        }
    }

    /// True when `offered` equals the expected credentials. Takes the same time for every
    /// offered string of a given length whatever its content (it only reveals the length).
    pub fn matches(&self, offered: &str) -> bool {
        crate::auth::constant_time_eq(&self.expected, offered.as_bytes())
    }
}

impl From<Credentials> for Auth {
    fn from(credentials: Credentials) -> Auth {
        credentials.auth
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// The seed's `Hello` once logged in: `"hello:" + request + ", from " + <the peer address>`.
struct HelloFrom {
    ctx: ConnContext,
}

service! {
    impl HelloFrom as "HelloService" {
        #[rpc("Hello")]
        /// Greets the caller, naming its address.
        async fn hello(&self, request: String) -> Result<String, String> {
            Ok(format!("hello:{request}, from {}", self.ctx.remote_addr()))
        }
    }
}

/// `HelloService` with login, built for one connection.
///
/// - `Login("user:password")`: `""`, or `auth failed` on a mismatch (after a delay that grows
///   with recent failures of the connection and of its peer address).
/// - `Hello(request)`: `please login` before a successful login (or without a client
///   certificate that logs in); after it, `"hello:" + request + ", from " + <the peer address
///   as the server sees it>`.
pub struct LoginHelloService {
    inner: Arc<WithLogin<RequireLogin<HelloFrom>>>,
}

impl LoginHelloService {
    /// The service for the connection `ctx`, checking logins with `auth` (a [`Credentials`]
    /// or any [`Auth`]; build it once per server and clone it here, so that failed logins are
    /// counted across connections). Makes the connection's session, so a client certificate
    /// that stands in for a login counts from the first call.
    pub fn new(ctx: &ConnContext, auth: impl Into<Auth>) -> Self {
        let auth = auth.into();
        auth.session(ctx);
        Self {
            inner: Arc::new(LoginLayer::new(auth).layer(HelloFrom { ctx: ctx.clone() })),
        }
    }
}

impl Service for LoginHelloService {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn methods(&self) -> &'static [Method] {
        self.inner.methods()
    }

    fn call(self: Arc<Self>, ctx: &ConnContext, method: &str, body: Body) -> Option<HandlerFuture> {
        self.inner.clone().call(ctx, method, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_do_not_print() {
        let c = Credentials::new("user:secret");
        assert!(!format!("{c:?}").contains("secret"));
        assert!(c.matches("user:secret"));
        assert!(!c.matches("user:secreT"));
        assert!(!format!("{:?}", Auth::from(c)).contains("secret"));
    }
}
