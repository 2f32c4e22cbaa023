//! [`RequireLogin`]: a service whose methods answer `please login` until the connection's
//! [`Session`](super::Session) is logged in.

use std::sync::Arc;

use netrpc::layer::Layer;
use netrpc::proto::Body;
use netrpc::{ConnContext, HandlerFuture, Method, Service, ServiceError};

use super::{Auth, PLEASE_LOGIN};

/// Wraps a service so that each of its methods, except the open ones, answers
/// [`PLEASE_LOGIN`] until the calling connection is logged in (by [`Auth::login`] or a client
/// certificate). A method the service does not have is still `rpc: can't find method`.
///
/// The session is looked up per call (in the context of the connection the call came on), so
/// one guarded service can be registered once for every connection, or built per connection.
/// The argument of a refused call is never decoded.
pub struct RequireLogin<S: ?Sized> {
    inner: Arc<S>,
    auth: Auth,
    open: &'static [&'static str],
}

impl<S> RequireLogin<S> {
    /// Guards `inner` with `auth`'s sessions.
    pub fn new(inner: S, auth: Auth) -> Self {
        Self::from_arc(Arc::new(inner), auth)
    }
}

impl<S: ?Sized> RequireLogin<S> {
    /// Guards a shared service (`Arc<dyn Service>` too).
    pub fn from_arc(inner: Arc<S>, auth: Auth) -> Self {
        Self {
            inner,
            auth,
            open: &[],
        }
    }

    /// Lets these methods through without a login.
    pub fn open(mut self, methods: &'static [&'static str]) -> Self {
        self.open = methods;
        self
    }

    /// The guarded service.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }
}

impl<S: Service + ?Sized> Service for RequireLogin<S> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn methods(&self) -> &'static [Method] {
        self.inner.methods()
    }

    fn call(self: Arc<Self>, ctx: &ConnContext, method: &str, body: Body) -> Option<HandlerFuture> {
        let handler = self.inner.clone().call(ctx, method, body)?;
        if self.open.contains(&method) {
            return Some(handler);
        }
        let auth = self.auth.clone();
        let ctx = ctx.clone();
        Some(Box::pin(async move {
            // When the call runs, not when it arrives: a login just before counts.
            if !auth.session(&ctx).is_logged_in() {
                return Err(ServiceError::new(PLEASE_LOGIN));
            }
            handler.await
        }))
    }
}

/// The [`Layer`] that makes a [`RequireLogin`].
#[derive(Clone, Debug)]
pub struct RequireLoginLayer {
    auth: Auth,
    open: &'static [&'static str],
}

impl RequireLoginLayer {
    /// Guards services with `auth`'s sessions.
    pub fn new(auth: Auth) -> Self {
        Self { auth, open: &[] }
    }

    /// Lets these methods through without a login.
    pub fn open(mut self, methods: &'static [&'static str]) -> Self {
        self.open = methods;
        self
    }
}

impl<S: Service> Layer<S> for RequireLoginLayer {
    type Service = RequireLogin<S>;

    fn layer(&self, inner: S) -> RequireLogin<S> {
        RequireLogin::new(inner, self.auth.clone()).open(self.open)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use netrpc::service;

    use super::*;
    use crate::auth::{LoggedIn, LoginMethod, PlainPassword, test_ctx, zero_body};

    #[derive(Default)]
    struct Counter {
        calls: AtomicU32,
    }

    service! {
        impl Counter {
            #[rpc("Get")]
            async fn get(&self, _request: String) -> Result<u32, String> {
                Ok(self.calls.fetch_add(1, Ordering::Relaxed) + 1)
            }

            #[rpc("Ping")]
            async fn ping(&self, _request: String) -> Result<u32, String> {
                Ok(self.calls.fetch_add(1, Ordering::Relaxed) + 1)
            }
        }
    }

    #[tokio::test]
    async fn refuses_all_but_open_methods_without_a_session() {
        let auth = Auth::new(PlainPassword::new("user:password"));
        let guarded = Arc::new(
            RequireLoginLayer::new(auth)
                .open(&["Ping"])
                .layer(Counter::default()),
        );
        assert_eq!(guarded.name(), "Counter");
        assert_eq!(guarded.methods(), Counter::default().methods());

        // A connection that has not logged in: refused.
        let ctx = test_ctx(1);
        let refused = guarded
            .clone()
            .call(&ctx, "Get", zero_body())
            .unwrap()
            .await;
        assert_eq!(refused.err().unwrap().message(), PLEASE_LOGIN);
        assert_eq!(guarded.inner().calls.load(Ordering::Relaxed), 0, "not run");

        assert!(
            guarded
                .clone()
                .call(&ctx, "Ping", zero_body())
                .unwrap()
                .await
                .is_ok()
        );
        assert_eq!(guarded.inner().calls.load(Ordering::Relaxed), 1);
        assert!(guarded.clone().call(&ctx, "Nope", zero_body()).is_none());

        // A shared inner service (as `Arc<dyn Service>`) can be guarded too.
        let shared: Arc<dyn Service> = Arc::new(Counter::default());
        let guarded = Arc::new(RequireLogin::from_arc(
            shared,
            Auth::new(PlainPassword::new("u:p")),
        ));
        let refused = guarded.call(&ctx, "Ping", zero_body()).unwrap().await;
        assert_eq!(refused.err().unwrap().message(), PLEASE_LOGIN);
    }

    #[tokio::test]
    async fn the_session_is_the_calling_connections() {
        let auth = Auth::new(PlainPassword::new("user:password"));
        let guarded = Arc::new(RequireLoginLayer::new(auth.clone()).layer(Counter::default()));
        let (alice, other) = (test_ctx(1), test_ctx(2));
        // Checked when the call runs: a login after the call arrived counts.
        let pending = guarded.clone().call(&alice, "Get", zero_body()).unwrap();
        auth.session(&alice).log_in(LoggedIn {
            user: "alice".into(),
            method: LoginMethod::Password,
        });
        assert_eq!(
            pending.await.unwrap().payload().type_info(),
            Some(netrpc::proto::TypeInfo::of::<u32>())
        );
        let refused = guarded
            .clone()
            .call(&other, "Get", zero_body())
            .unwrap()
            .await;
        assert_eq!(refused.err().unwrap().message(), PLEASE_LOGIN);
        assert_eq!(guarded.inner().calls.load(Ordering::Relaxed), 1);
    }
}
