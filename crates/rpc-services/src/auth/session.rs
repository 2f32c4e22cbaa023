//! The login state of one connection, kept in its [`ConnContext`]'s state so it lasts exactly
//! as long as the connection.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use netrpc::ConnContext;

/// How a session was logged in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginMethod {
    /// `Login` with a user name and password.
    Password,
    /// The verified client certificate of a mutual TLS connection.
    Certificate,
}

/// Who a session is logged in as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedIn {
    /// The user name (a certificate's matching name for [`LoginMethod::Certificate`]).
    pub user: String,
    /// How.
    pub method: LoginMethod,
}

/// One connection's login: logged out until a login succeeds, for as long as the connection
/// lasts. Cheap to clone; clones share the state.
///
/// Made by [`Auth::session`](super::Auth::session) (which logs a trusted client certificate in
/// at once); read anywhere on the connection with [`Session::of`] (a service method asks for the
/// calling connection with a `ctx: &ConnContext` parameter).
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    user: Mutex<Option<LoggedIn>>,
    /// Failed logins on this connection since its last success. Held for the whole of a login,
    /// so a connection's logins take turns.
    attempts: tokio::sync::Mutex<u32>,
}

impl Session {
    fn new(user: Option<LoggedIn>) -> Self {
        Self {
            inner: Arc::new(SessionInner {
                user: Mutex::new(user),
                attempts: tokio::sync::Mutex::new(0),
            }),
        }
    }

    /// The session of the connection `ctx`, if one was made.
    pub fn of(ctx: &ConnContext) -> Option<Session> {
        ctx.state().get::<Session>()
    }

    /// `ctx`'s session, made with `initial` as its login if it has none yet.
    pub(crate) fn get_or_create(
        ctx: &ConnContext,
        initial: impl FnOnce() -> Option<LoggedIn>,
    ) -> Session {
        ctx.state().get_or_insert_with(|| Session::new(initial()))
    }

    fn lock(&self) -> MutexGuard<'_, Option<LoggedIn>> {
        self.inner
            .user
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Who is logged in, if anyone.
    pub fn user(&self) -> Option<LoggedIn> {
        self.lock().clone()
    }

    /// True once a login succeeded.
    pub fn is_logged_in(&self) -> bool {
        self.lock().is_some()
    }

    /// Logs the connection in as `user` (for a login method of your own; [`Auth`](super::Auth)
    /// calls it after checking a password or certificate).
    pub fn log_in(&self, user: LoggedIn) {
        *self.lock() = Some(user);
    }

    /// Logs the connection out.
    pub fn log_out(&self) {
        *self.lock() = None;
    }

    /// Waits for this connection's turn to log in: the count of its failed logins, held until
    /// the attempt is answered.
    pub(crate) async fn login_turn(&self) -> tokio::sync::MutexGuard<'_, u32> {
        self.inner.attempts.lock().await
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn log_in_and_out() {
        let session = Session::new(None);
        assert!(!session.is_logged_in());
        let alice = LoggedIn {
            user: "alice".into(),
            method: LoginMethod::Password,
        };
        session.clone().log_in(alice.clone());
        assert_eq!(session.user(), Some(alice));
        assert!(format!("{session:?}").contains("alice"));
        session.log_out();
        assert!(!session.is_logged_in());
        *session.login_turn().await += 1;
        assert_eq!(*session.login_turn().await, 1);
        let ctx = crate::auth::test_ctx(1);
        assert!(Session::of(&ctx).is_none());
        let made = Session::get_or_create(&ctx, || None);
        made.log_in(LoggedIn {
            user: "bob".into(),
            method: LoginMethod::Password,
        });
        assert_eq!(
            Session::of(&ctx).and_then(|s| s.user()).unwrap().user,
            "bob"
        );
    }
}
