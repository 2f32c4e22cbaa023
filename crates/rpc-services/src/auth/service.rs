//! The `Login` method: [`LoginService`] on its own, or added to another service under that
//! service's name by [`WithLogin`] (the seed's `HelloService.Login`).

use std::sync::{Arc, Mutex};

use netrpc::layer::Layer;
use netrpc::proto::Body;
use netrpc::{ConnContext, HandlerFuture, Method, Service, service};

use super::{AUTH_FAILED, Auth, RequireLogin};

/// `Login(string) string`: logs the calling connection in with `"user:password"` through
/// [`Auth::login`]. Register it on its own (`register_name("Auth", ...)`) to log in for every
/// [`RequireLogin`] service of the connection, or add it to one with [`WithLogin`].
#[derive(Clone, Debug)]
pub struct LoginService {
    auth: Auth,
}

impl LoginService {
    /// `Login` checked by `auth`.
    pub fn new(auth: Auth) -> Self {
        Self { auth }
    }
}

service! {
    impl LoginService {
        #[rpc("Login")]
        /// Logs this connection in. The reply is an empty string, as the seed's
        /// `Login(request string, reply *string)` gives; a failure is `auth failed`, after a
        /// delay that grows with recent failures.
        pub async fn login(
            &self,
            ctx: &ConnContext,
            request: String,
        ) -> Result<String, &'static str> {
            match self.auth.login(ctx, &request).await {
                Ok(_) => Ok(String::new()),
                Err(_) => Err(AUTH_FAILED),
            }
        }
    }
}

/// A service with a `Login` method added under its name: `Login` goes to a [`LoginService`],
/// every other method to the inner service (usually a [`RequireLogin`]).
pub struct WithLogin<S: ?Sized> {
    login: Arc<LoginService>,
    inner: Arc<S>,
}

impl<S> WithLogin<S> {
    /// `inner` with `Login` checked by `auth`.
    pub fn new(inner: S, auth: Auth) -> Self {
        Self {
            login: Arc::new(LoginService::new(auth)),
            inner: Arc::new(inner),
        }
    }
}

impl<S: ?Sized> WithLogin<S> {
    /// The inner service.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }
}

impl<S: Service + ?Sized> Service for WithLogin<S> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn methods(&self) -> &'static [Method] {
        merged_methods(self.login.methods(), self.inner.methods())
    }

    fn call(self: Arc<Self>, ctx: &ConnContext, method: &str, body: Body) -> Option<HandlerFuture> {
        if method == "Login" {
            return self.login.clone().call(ctx, method, body);
        }
        self.inner.clone().call(ctx, method, body)
    }
}

/// The [`Layer`] that guards a service with [`RequireLogin`] and adds `Login` to it
/// ([`WithLogin`]): the seed's per-connection `HelloService` of 4.3.4 in one step.
#[derive(Clone, Debug)]
pub struct LoginLayer {
    auth: Auth,
}

impl LoginLayer {
    /// Logins checked by `auth`.
    pub fn new(auth: Auth) -> Self {
        Self { auth }
    }
}

impl<S: Service> Layer<S> for LoginLayer {
    type Service = WithLogin<RequireLogin<S>>;

    fn layer(&self, inner: S) -> Self::Service {
        WithLogin::new(
            RequireLogin::new(inner, self.auth.clone()),
            self.auth.clone(),
        )
    }
}

/// `first` then those of `then` not named in `first`, as one `'static` list. `Service::methods`
/// gives `'static` lists, so each distinct merged list is made (leaked) once and reused: the
/// lists come from the program's services, so there are few.
fn merged_methods(first: &'static [Method], then: &'static [Method]) -> &'static [Method] {
    static MERGED: Mutex<Vec<&'static [Method]>> = Mutex::new(Vec::new());
    let wanted: Vec<Method> = first
        .iter()
        .chain(
            then.iter()
                .filter(|method| !first.iter().any(|f| f.name == method.name)),
        )
        .copied()
        .collect();
    let mut merged = MERGED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = merged.iter().find(|list| ***list == wanted[..]) {
        return found;
    }
    let list: &'static [Method] = Box::leak(wanted.into_boxed_slice());
    merged.push(list);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Method = Method {
        name: "Login",
        arg: "String",
        reply: "String",
    };
    const B: Method = Method {
        name: "Hello",
        arg: "String",
        reply: "String",
    };

    struct Greeter;

    service! {
        impl Greeter {
            #[rpc("Hello")]
            async fn hello(&self, _request: String) -> Result<String, String> {
                Ok("hi".into())
            }
        }
    }

    // Paused time: a failed login waits before it answers.
    #[tokio::test(start_paused = true)]
    async fn login_is_added_under_the_inner_name() {
        use crate::auth::{PlainPassword, string_body, test_ctx};

        let auth = Auth::new(PlainPassword::new("user:password"));
        let service = Arc::new(LoginLayer::new(auth).layer(Greeter));
        assert_eq!(service.name(), "Greeter");
        let names: Vec<_> = service.methods().iter().map(|m| m.name).collect();
        assert_eq!(names, ["Login", "Hello"]);
        let (ctx, other) = (test_ctx(1), test_ctx(2));
        let call = |ctx: &ConnContext, method: &str, arg: &str| {
            service.clone().call(ctx, method, string_body(arg)).unwrap()
        };
        let failed = call(&ctx, "Login", "user:wrong").await;
        assert_eq!(failed.err().unwrap().message(), AUTH_FAILED);
        let refused = call(&ctx, "Hello", "hi").await;
        assert_eq!(refused.err().unwrap().message(), crate::auth::PLEASE_LOGIN);
        // The login is the calling connection's.
        assert!(call(&ctx, "Login", "user:password").await.is_ok());
        assert!(call(&ctx, "Hello", "hi").await.is_ok());
        let refused = call(&other, "Hello", "hi").await;
        assert_eq!(refused.err().unwrap().message(), crate::auth::PLEASE_LOGIN);
        assert!(
            service
                .clone()
                .call(&ctx, "Nope", string_body(""))
                .is_none()
        );
    }

    #[test]
    fn merged_lists_are_made_once() {
        static FIRST: [Method; 1] = [A];
        static THEN: [Method; 2] = [B, A];
        let merged = merged_methods(&FIRST, &THEN);
        assert_eq!(merged, [A, B]);
        assert!(std::ptr::eq(merged, merged_methods(&FIRST, &THEN)));
        assert_eq!(merged_methods(&[], &THEN), [B, A]);
    }
}
