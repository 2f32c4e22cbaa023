//! Logins as a layer: services guarded by a per-connection session, instead of an `if` in every
//! method.
//!
//! - [`Auth`] is what a server accepts, built once: an [`Authenticator`] for passwords
//!   ([`PlainPassword`] for demos, [`PasswordFile`] for argon2 hashes), the client certificates
//!   that stand in for a login ([`CertificateLogins`], mutual TLS), and the limits on failed
//!   logins ([`LoginLimits`]).
//! - [`Session`] is one connection's login, kept in its `ConnContext` state.
//! - [`RequireLogin`] (made by [`RequireLoginLayer`]) wraps any service: its methods answer
//!   [`PLEASE_LOGIN`] until the session is logged in.
//! - [`LoginService`] is the `Login` method, which answers `""` or [`AUTH_FAILED`];
//!   [`WithLogin`] adds it to a service under that service's name, and [`LoginLayer`] does both,
//!   which is how the seed's `HelloService` with `Login` is made
//!   ([`LoginHelloService`](crate::LoginHelloService)).
//!
//! Failed logins are slowed down per connection and per peer address (see [`LoginLimits`]:
//! 100 ms doubling to 5 s by default) and logged with the peer and user name; passwords are
//! never logged, and the types holding them print as `<redacted>`.
//!
//! ```
//! use netrpc::{Client, Json, Server, service};
//! use rpc_services::auth::{Auth, PlainPassword};
//!
//! struct Vault;
//! service! {
//!     impl Vault {
//!         #[rpc("Open")]
//!         async fn open(&self, _request: String) -> Result<String, String> {
//!             Ok("treasure".into())
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = Auth::new(PlainPassword::new("user:password"));
//! let server = Server::builder()
//!     // `Vault.Login` and a guarded `Vault.Open`, for every connection.
//!     .register(auth.with_login(Vault))
//!     .build();
//! let listener = netrpc::transport::listen(&"mem://".parse()?).await?;
//! let addr = listener.local_addr().to_string();
//! tokio::spawn(async move { server.serve(listener, Json).await });
//!
//! let client = Client::dial(&addr, Json).await?;
//! let refused = client.call::<_, String>("Vault.Open", "").await.unwrap_err();
//! assert_eq!(refused.server_message(), Some("please login"));
//! client.call::<_, String>("Vault.Login", "user:password").await?;
//! assert_eq!(client.call::<_, String>("Vault.Open", "").await?, "treasure");
//! # Ok(()) }
//! ```

mod authenticator;
mod certificate;
mod guard;
mod limiter;
mod login;
mod password_file;
mod service;
mod session;

pub use authenticator::{Authenticator, NoPasswords, Password, PlainPassword, VerifyFuture};
pub use certificate::CertificateLogins;
pub use guard::{RequireLogin, RequireLoginLayer};
pub use limiter::{LoginLimiter, LoginLimits, PeerKey};
pub use login::{Auth, LoginError};
pub use password_file::{
    HashCost, HashError, LineProblem, PasswordFile, PasswordFileError, hash_password,
};
pub use service::{LoginLayer, LoginService, WithLogin};
pub use session::{LoggedIn, LoginMethod, Session};

pub(crate) use authenticator::constant_time_eq;

/// What a guarded method answers before a login (the seed's text, which Go clients match).
pub const PLEASE_LOGIN: &str = "please login";

/// What a failed `Login` answers (the seed's text).
pub const AUTH_FAILED: &str = "auth failed";

/// A request body that decodes as the zero value of any type, for calling services directly.
#[cfg(test)]
pub(crate) fn zero_body() -> netrpc::proto::Body {
    use netrpc::proto::erased_serde;
    use netrpc::proto::{BodyFormat, BodySource, CodecError};

    #[derive(Debug)]
    struct Zero;

    impl BodyFormat for Zero {
        fn decode<'de>(
            &self,
            _bytes: &'de [u8],
            visit: &mut dyn FnMut(BodySource<'_, 'de>) -> Result<(), erased_serde::Error>,
        ) -> Result<(), CodecError> {
            visit(BodySource::Zero).map_err(|err| CodecError::Body(err.to_string()))
        }
    }

    netrpc::proto::Body::new(bytes::Bytes::new(), std::sync::Arc::new(Zero))
}

/// A request body that decodes as the string `text` (as jsonrpc frames it).
#[cfg(test)]
pub(crate) fn string_body(text: &str) -> netrpc::proto::Body {
    use netrpc::proto::{Codec, Limits, ServerInbound};

    let request = serde_json::json!({"method": "S.M", "params": [text], "id": 1});
    let mut buf = bytes::BytesMut::from(request.to_string().as_bytes());
    let mut server = netrpc::Json.server(&Limits::DEFAULT);
    match server.decoder.decode(&mut buf) {
        Ok(Some(ServerInbound::Request { body, .. })) => body,
        other => panic!("not a request: {other:?}"),
    }
}

/// A connection context of a test's own, with a fresh (logged out) state.
#[cfg(test)]
pub(crate) fn test_ctx(id: u64) -> netrpc::ConnContext {
    let peer = netrpc::transport::Peer::new("mem", format!("mem://test#{id}"));
    netrpc::ConnContext::new(id, peer, "test")
}
