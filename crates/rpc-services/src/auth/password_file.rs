//! A credentials file of argon2 password hashes (`netrpc serve --credentials FILE`).
//!
//! One entry per line; blank lines and lines starting with `#` are skipped:
//!
//! ```text
//! # USER:PHC-HASH, as `netrpc hash-password USER` prints it
//! alice:$argon2id$v=19$m=19456,t=2,p=1$3Zc6pXH0qH3NQ6rPz1zq8A$0Jd8eE1QFwZ5Xr3Qk3cVJ6pP8vU5F1Vt0kq3y8wq9Hc
//! # cert:NAME: a verified client certificate naming NAME logs in as NAME (mutual TLS)
//! cert:build-bot.example
//! ```
//!
//! User names are everything before the first `:` and must be unique; hashes are PHC strings of
//! argon2id (or argon2i/argon2d), with the cost each was made with. A user literally named
//! `cert` is written like any other (its hash starts with `$`).
//!
//! Checking a password runs argon2 on tokio's blocking threads, at most as many at once as the
//! machine has cores (each takes the hash's memory, 19 MiB by default). An unknown user name is
//! checked against a made-up hash with the cost of the file's first, so it takes about as long
//! as a known one.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier};
use password_hash::rand_core::OsRng;
use password_hash::{Output, PasswordHash, Salt, SaltString};
use tokio::sync::Semaphore;

use super::{Authenticator, CertificateLogins, Password, VerifyFuture};

/// The cost of a new argon2id hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB (at least 8 × `parallelism`).
    pub memory_kib: u32,
    /// Passes over the memory (at least 1).
    pub iterations: u32,
    /// Lanes (at least 1).
    pub parallelism: u32,
}

impl HashCost {
    /// argon2's recommended cost (OWASP's): 19 MiB, 2 passes, 1 lane.
    pub const DEFAULT: HashCost = HashCost {
        memory_kib: Params::DEFAULT_M_COST,
        iterations: Params::DEFAULT_T_COST,
        parallelism: Params::DEFAULT_P_COST,
    };

    /// The smallest cost argon2 allows: for tests only, it protects nothing.
    pub const INSECURE_FOR_TESTS: HashCost = HashCost {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for HashCost {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Hashing a password failed (a cost argon2 refuses, say).
#[derive(Debug, thiserror::Error)]
#[error("hashing the password: {0}")]
pub struct HashError(String);

/// A new argon2id PHC hash of `password` with a random salt, as a credentials file holds it
/// (after `USER:`).
///
/// ```
/// use rpc_services::auth::{HashCost, Password, hash_password};
///
/// let hash = hash_password(&Password::new("secret"), HashCost::INSECURE_FOR_TESTS)?;
/// assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
/// # Ok::<(), rpc_services::auth::HashError>(())
/// ```
pub fn hash_password(password: &Password, cost: HashCost) -> Result<String, HashError> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|err| HashError(err.to_string()))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::generate(&mut OsRng);
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| HashError(err.to_string()))
}

/// What is wrong with a line of a credentials file. Never quotes a password or hash (a line
/// could hold a plain password by mistake).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineProblem {
    /// No `:` at all.
    #[error("expected USER:HASH or cert:NAME")]
    MissingColon,
    /// Nothing before the `:`.
    #[error("empty user name")]
    EmptyUser,
    /// `cert:` with nothing after it.
    #[error("empty certificate name after cert:")]
    EmptyCertificateName,
    /// A user named on an earlier line too.
    #[error("user {0:?} appears twice")]
    DuplicateUser(String),
    /// Not a PHC string.
    #[error(
        "user {user:?}: not a PHC password hash ({reason}); make one with `netrpc hash-password`"
    )]
    NotPhc {
        /// The user.
        user: String,
        /// The parser's reason.
        reason: String,
    },
    /// A PHC string of another algorithm, or argon2 with parameters it refuses.
    #[error(
        "user {user:?}: not a usable argon2 hash ({reason}); make one with `netrpc hash-password`"
    )]
    NotArgon2 {
        /// The user.
        user: String,
        /// Why.
        reason: String,
    },
}

/// A credentials file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordFileError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("{}line {line}: {problem}", path_prefix(.path))]
    Line {
        /// The file, when read from one.
        path: Option<String>,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        problem: LineProblem,
    },
    /// No user and no certificate name: nobody could log in.
    #[error("{}no users (lines USER:HASH or cert:NAME)", path_prefix(.path))]
    Empty {
        /// The file, when read from one.
        path: Option<String>,
    },
}

fn path_prefix(path: &Option<String>) -> String {
    path.as_ref().map(|p| format!("{p}: ")).unwrap_or_default()
}

impl PasswordFileError {
    fn in_file(self, file: &Path) -> Self {
        let name = Some(file.display().to_string());
        match self {
            PasswordFileError::Line { line, problem, .. } => PasswordFileError::Line {
                path: name,
                line,
                problem,
            },
            PasswordFileError::Empty { .. } => PasswordFileError::Empty { path: name },
            other => other,
        }
    }
}

/// Users and their argon2 hashes, and the client certificate names that log in, from a
/// credentials file (see the [module docs](self)). Cheap to clone.
#[derive(Clone)]
pub struct PasswordFile {
    inner: Arc<Inner>,
}

struct Inner {
    /// User name to PHC string.
    users: HashMap<String, String>,
    /// Checked for unknown users: the first hash's cost, a fixed salt, no password.
    dummy: String,
    certificates: CertificateLogins,
    /// Hashes computed at once.
    hashing: Arc<Semaphore>,
}

/// The salt of the made-up hash (any valid one will do).
const DUMMY_SALT: &str = "bmV0cnBjLWR1bW15LXNhbHQ";

impl PasswordFile {
    /// Reads a credentials file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, PasswordFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| PasswordFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|err| err.in_file(path))
    }

    /// Parses the text of a credentials file.
    pub fn parse(text: &str) -> Result<Self, PasswordFileError> {
        let mut users = HashMap::new();
        let mut first_hash: Option<String> = None;
        let mut cert_names = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |problem| PasswordFileError::Line {
                path: None,
                line: index + 1,
                problem,
            };
            let Some((user, value)) = line.split_once(':') else {
                return Err(bad(LineProblem::MissingColon));
            };
            let (user, value) = (user.trim(), value.trim());
            if user.is_empty() {
                return Err(bad(LineProblem::EmptyUser));
            }
            if user == "cert" && !value.starts_with('$') {
                if value.is_empty() {
                    return Err(bad(LineProblem::EmptyCertificateName));
                }
                cert_names.push(value.to_owned());
                continue;
            }
            check_hash(user, value).map_err(bad)?;
            if users.contains_key(user) {
                return Err(bad(LineProblem::DuplicateUser(user.to_owned())));
            }
            first_hash.get_or_insert_with(|| value.to_owned());
            users.insert(user.to_owned(), value.to_owned());
        }
        if users.is_empty() && cert_names.is_empty() {
            return Err(PasswordFileError::Empty { path: None });
        }
        let dummy = first_hash
            .as_deref()
            .and_then(dummy_like)
            .or_else(|| dummy_like(&default_cost_template()))
            .unwrap_or_default();
        let parallel = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Self {
            inner: Arc::new(Inner {
                users,
                dummy,
                certificates: CertificateLogins::names(cert_names),
                hashing: Arc::new(Semaphore::new(parallel)),
            }),
        })
    }

    /// The user names, sorted.
    pub fn users(&self) -> Vec<&str> {
        let mut users: Vec<&str> = self.inner.users.keys().map(String::as_str).collect();
        users.sort_unstable();
        users
    }

    /// The client certificate names of its `cert:` lines.
    pub fn certificate_logins(&self) -> &CertificateLogins {
        &self.inner.certificates
    }
}

/// Checks that `value` is a PHC string of an argon2 variant with parameters argon2 accepts.
fn check_hash(user: &str, value: &str) -> Result<(), LineProblem> {
    let hash = PasswordHash::new(value).map_err(|err| LineProblem::NotPhc {
        user: user.to_owned(),
        reason: err.to_string(),
    })?;
    let not_argon2 = |reason: String| LineProblem::NotArgon2 {
        user: user.to_owned(),
        reason,
    };
    Algorithm::try_from(hash.algorithm).map_err(|err| not_argon2(err.to_string()))?;
    Params::try_from(&hash).map_err(|err| not_argon2(err.to_string()))?;
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err(not_argon2("no salt or no hash".into()));
    }
    Ok(())
}

/// A PHC string of argon2 with the default cost, to copy the shape of.
fn default_cost_template() -> String {
    format!(
        "$argon2id$v=19$m={},t={},p={}${DUMMY_SALT}${}",
        Params::DEFAULT_M_COST,
        Params::DEFAULT_T_COST,
        Params::DEFAULT_P_COST,
        "A".repeat(43)
    )
}

/// A hash of the same algorithm, version, cost and length as `template` that no password
/// matches (its output is all zeros, not the hash of anything).
fn dummy_like(template: &str) -> Option<String> {
    let template = PasswordHash::new(template).ok()?;
    let len = template
        .hash
        .map_or(Params::DEFAULT_OUTPUT_LEN, |h| h.len());
    let dummy = PasswordHash {
        algorithm: template.algorithm,
        version: template.version,
        params: template.params.clone(),
        salt: Some(Salt::from_b64(DUMMY_SALT).ok()?),
        hash: Some(Output::new(&vec![0u8; len]).ok()?),
    };
    Some(dummy.to_string())
}

/// Runs argon2 on `password` with `phc`'s salt and cost and compares (in constant time).
fn verify_phc(phc: &str, password: &[u8]) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default().verify_password(password, &hash).is_ok(),
        Err(_) => false,
    }
}

impl Authenticator for PasswordFile {
    fn verify<'a>(&'a self, user: &'a str, password: &'a Password) -> VerifyFuture<'a> {
        let (known, phc) = match self.inner.users.get(user) {
            Some(phc) => (true, phc.clone()),
            None => (false, self.inner.dummy.clone()),
        };
        let password = password.clone();
        let hashing = self.inner.hashing.clone();
        Box::pin(async move {
            let Ok(_permit) = hashing.acquire_owned().await else {
                return false;
            };
            let verified =
                tokio::task::spawn_blocking(move || verify_phc(&phc, password.as_bytes()))
                    .await
                    .unwrap_or(false);
            known & verified
        })
    }
}

impl fmt::Debug for PasswordFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordFile")
            .field("users", &self.users())
            .field("certificates", &self.inner.certificates)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(password: &str) -> String {
        hash_password(&Password::new(password), HashCost::INSECURE_FOR_TESTS).unwrap()
    }

    #[tokio::test]
    async fn verifies_argon2_hashes() {
        let text = format!(
            "# users\n\nalice:{}\n  bob : {}\ncert:build-bot\n",
            cheap("alice pw"),
            cheap("bob pw")
        );
        let file = PasswordFile::parse(&text).unwrap();
        assert_eq!(file.users(), ["alice", "bob"]);
        assert!(file.verify("alice", &Password::new("alice pw")).await);
        assert!(file.verify("bob", &Password::new("bob pw")).await);
        assert!(!file.verify("alice", &Password::new("bob pw")).await);
        assert!(!file.verify("alice", &Password::new("")).await);
        assert!(!file.verify("carol", &Password::new("alice pw")).await);
        assert!(!file.verify("cert", &Password::new("build-bot")).await);
        assert_eq!(
            file.certificate_logins(),
            &CertificateLogins::names(["build-bot"])
        );
        let shown = format!("{file:?}");
        assert!(
            shown.contains("alice") && !shown.contains("argon2"),
            "{shown}"
        );
    }

    #[test]
    fn new_hashes_are_salted_argon2id() {
        let a = cheap("same");
        let b = cheap("same");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_phc(&a, b"same") && verify_phc(&b, b"same"));
        assert!(!verify_phc(&a, b"Same"));
        assert_eq!(
            (HashCost::DEFAULT.memory_kib, HashCost::DEFAULT.iterations),
            (19456, 2)
        );
        let err = hash_password(
            &Password::new("x"),
            HashCost {
                memory_kib: 1,
                ..HashCost::INSECURE_FOR_TESTS
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("memory"), "{err}");
    }

    #[test]
    fn unknown_users_check_a_hash_of_the_same_cost() {
        let alice = cheap("pw");
        let file = PasswordFile::parse(&format!("alice:{alice}")).unwrap();
        let dummy = PasswordHash::new(&file.inner.dummy).unwrap();
        let real = PasswordHash::new(&alice).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert!(!verify_phc(&file.inner.dummy, b""));
        assert!(!verify_phc(&file.inner.dummy, b"pw"));

        // Only certificates: the dummy has argon2's default cost.
        let certs = PasswordFile::parse("cert:x").unwrap();
        let dummy = PasswordHash::new(&certs.inner.dummy).unwrap();
        assert_eq!(
            Params::try_from(&dummy).unwrap().m_cost(),
            Params::DEFAULT_M_COST
        );
    }

    #[test]
    fn bad_lines_are_named_without_their_secrets() {
        let good = cheap("pw");
        let cases = [
            ("alice", 1, "expected USER:HASH"),
            (":hash", 1, "empty user name"),
            ("# c\nalice:hunter2", 2, "not a PHC password hash"),
            (
                "alice:$5$rounds=1000$salt$hash",
                1,
                "not a PHC password hash",
            ),
            (
                "alice:$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
                1,
                "not a usable argon2",
            ),
            (
                "alice:$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
                1,
                "not a usable argon2",
            ),
            ("cert:", 1, "empty certificate name"),
        ];
        for (text, line, words) in cases {
            let err = PasswordFile::parse(text).err().unwrap();
            let shown = err.to_string();
            assert!(
                shown.starts_with(&format!("line {line}: ")),
                "{text:?}: {shown}"
            );
            assert!(shown.contains(words), "{text:?}: {shown}");
            assert!(
                !shown.contains("hunter2") && !shown.contains("aGFz"),
                "{shown}"
            );
        }
        let twice = format!("alice:{good}\nalice:{good}");
        let err = PasswordFile::parse(&twice).err().unwrap();
        assert!(matches!(
            err,
            PasswordFileError::Line { line: 2, problem: LineProblem::DuplicateUser(ref u), .. } if u == "alice"
        ));
        assert!(matches!(
            PasswordFile::parse("# nobody\n"),
            Err(PasswordFileError::Empty { .. })
        ));
        // A user named `cert` has a hash like anyone.
        let file = PasswordFile::parse(&format!("cert:{good}")).unwrap();
        assert_eq!(file.users(), ["cert"]);
        assert!(file.certificate_logins().is_none());
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("rpc-services-pwfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("creds");
        std::fs::write(&path, "alice\n").unwrap();
        let err = PasswordFile::read(&path).err().unwrap().to_string();
        assert_eq!(
            err,
            format!(
                "{}: line 1: expected USER:HASH or cert:NAME",
                path.display()
            )
        );
        let missing = dir.join("missing");
        let err = PasswordFile::read(&missing).err().unwrap();
        assert!(matches!(err, PasswordFileError::Read { .. }));
        assert!(err.to_string().starts_with(&missing.display().to_string()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
