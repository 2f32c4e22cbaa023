//! Who may log in with a password: the [`Authenticator`] trait, and the plain `user:password`
//! of demos ([`PlainPassword`]). Password hashes from a file are in
//! [`PasswordFile`](super::PasswordFile).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A password as a client sent it. Its `Debug` is redacted and it has no `Display`, so it
/// cannot end up in a log by accident.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password's bytes, for checking it.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The future of [`Authenticator::verify`].
pub type VerifyFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// Checks a user's password.
///
/// Implementations must not log the password, should take about as long for an unknown user as
/// for a known one (so timing does not tell which names exist), and should run slow work
/// (password hashing) off the async threads, with `tokio::task::spawn_blocking`.
pub trait Authenticator: Send + Sync + 'static {
    /// True when `password` is `user`'s.
    fn verify<'a>(&'a self, user: &'a str, password: &'a Password) -> VerifyFuture<'a>;
}

/// Rejects every password: for servers where only client certificates log in.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPasswords;

impl Authenticator for NoPasswords {
    fn verify<'a>(&'a self, _user: &'a str, _password: &'a Password) -> VerifyFuture<'a> {
        Box::pin(std::future::ready(false))
    }
}

/// One user and a password in plain text, compared in constant time: the seed's
/// `"user:password"`, for demos (`netrpc serve --login`). Prefer
/// [`PasswordFile`](super::PasswordFile) for anything real.
#[derive(Clone)]
pub struct PlainPassword {
    user: Box<[u8]>,
    password: Box<[u8]>,
}

impl PlainPassword {
    /// Credentials as `"user:password"` (split at the first `:`; without one the whole text
    /// is the user name and the password is empty).
    pub fn new(user_colon_password: &str) -> Self {
        let (user, password) = user_colon_password
            .split_once(':')
            .unwrap_or((user_colon_password, ""));
        Self {
            user: user.as_bytes().into(),
            password: password.as_bytes().into(),
        }
    }

    /// The user name, for logs.
    pub fn user(&self) -> String {
        String::from_utf8_lossy(&self.user).into_owned()
    }

    /// True when `user` and `password` are the expected ones. Takes the same time whatever the
    /// content of each (it only reveals their lengths), and checks both whatever the first.
    pub fn matches(&self, user: &[u8], password: &[u8]) -> bool {
        let user_ok = constant_time_eq(&self.user, user);
        let password_ok = constant_time_eq(&self.password, password);
        user_ok & password_ok
    }
}

impl Authenticator for PlainPassword {
    fn verify<'a>(&'a self, user: &'a str, password: &'a Password) -> VerifyFuture<'a> {
        Box::pin(std::future::ready(
            self.matches(user.as_bytes(), password.as_bytes()),
        ))
    }
}

impl fmt::Debug for PlainPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainPassword")
            .field("user", &self.user())
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Compares every byte whatever the first difference, so timing does not reveal where it is
/// (only the longer length).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
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
        assert!(!constant_time_eq(b"", b"\0"));
        assert!(!constant_time_eq(b"a\0", b"a"));
        assert!(constant_time_eq(b"", b""));
    }

    #[tokio::test]
    async fn plain_password_checks_user_and_password() {
        let plain = PlainPassword::new("user:pass:word");
        assert!(plain.verify("user", &Password::new("pass:word")).await);
        assert!(!plain.verify("user", &Password::new("pass:wore")).await);
        assert!(!plain.verify("usex", &Password::new("pass:word")).await);
        assert!(!plain.verify("", &Password::new("")).await);
        assert_eq!(plain.user(), "user");
        assert!(
            !NoPasswords
                .verify("user", &Password::new("pass:word"))
                .await
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let plain = PlainPassword::new("user:hunter2");
        let shown = format!("{plain:?} {:?}", Password::new("hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("user"), "{shown}");
    }
}
