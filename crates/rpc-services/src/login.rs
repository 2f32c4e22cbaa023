//! The per-connection `HelloService` of seed 4.3.4: `Login` first, then `Hello` knows who called.
//!
//! Register it with `ServerBuilder::register_per_connection("HelloService", ...)`: each connection
//! gets its own instance, so a login lasts exactly as long as its connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use netrpc::{ConnContext, service};

/// The expected `"user:password"`, compared in constant time.
#[derive(Clone)]
pub struct Credentials {
    expected: Arc<[u8]>,
}

impl Credentials {
    /// Credentials given as `"user:password"`, the form `Login` receives.
    pub fn new(user_colon_password: &str) -> Self {
        Self {
            expected: user_colon_password.as_bytes().into(),
        }
    }

    /// True when `offered` equals the expected credentials. Takes the same time for every
    /// offered string of a given length whatever its content (it only reveals the length).
    pub fn matches(&self, offered: &str) -> bool {
        constant_time_eq(&self.expected, offered.as_bytes())
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// Compares every byte whatever the first difference, so timing does not reveal where it is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

/// `HelloService` with login, built for one connection.
///
/// - `Login("user:password")`: `auth failed` on a mismatch.
/// - `Hello(request)`: `please login` before a successful login; after it,
///   `"hello:" + request + ", from " + <the peer address as the server sees it>`.
pub struct LoginHelloService {
    ctx: ConnContext,
    credentials: Credentials,
    logged_in: AtomicBool,
}

impl LoginHelloService {
    /// The service for the connection `ctx`.
    pub fn new(ctx: &ConnContext, credentials: Credentials) -> Self {
        Self {
            ctx: ctx.clone(),
            credentials,
            logged_in: AtomicBool::new(false),
        }
    }
}

service! {
    impl LoginHelloService as "HelloService" {
        #[rpc("Login")]
        /// Logs this connection in. The reply is an empty string, as the seed's
        /// `Login(request string, reply *string)` gives.
        pub async fn login(&self, request: String) -> Result<String, String> {
            if !self.credentials.matches(&request) {
                tracing::info!(peer = %self.ctx.remote_addr(), "login failed");
                return Err("auth failed".into());
            }
            tracing::info!(peer = %self.ctx.remote_addr(), "login ok");
            self.logged_in.store(true, Ordering::Release);
            Ok(String::new())
        }

        #[rpc("Hello")]
        /// Greets a logged-in caller, naming its address.
        pub async fn hello(&self, request: String) -> Result<String, String> {
            if !self.logged_in.load(Ordering::Acquire) {
                return Err("please login".into());
            }
            Ok(format!("hello:{request}, from {}", self.ctx.remote_addr()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"user:password", b"user:password"));
        assert!(!constant_time_eq(b"user:password", b"user:passwore"));
        assert!(!constant_time_eq(b"user:password", b"user:password "));
        assert!(!constant_time_eq(b"user:password", b""));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn credentials_do_not_print() {
        let c = Credentials::new("user:secret");
        assert!(!format!("{c:?}").contains("secret"));
        assert!(c.matches("user:secret"));
    }
}
