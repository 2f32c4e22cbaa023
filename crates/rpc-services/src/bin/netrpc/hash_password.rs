//! `netrpc hash-password USER`: a line for a `--credentials` file, from a password on stdin.

use std::io::{BufRead, IsTerminal};

use rpc_services::auth::{HashCost, Password, hash_password as hash};

use crate::Failure;
use crate::cli::HashPasswordArgs;

/// Reads one line from stdin (the password, without its line ending) and prints
/// `USER:$argon2id$...`.
pub(crate) fn hash_password(args: HashPasswordArgs) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "password for {} (shown as typed; pipe it in to hide it): ",
            args.user
        );
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|err| Failure::Usage(format!("reading the password from stdin: {err}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(Failure::Usage(
            "no password on stdin: give it as one line".into(),
        ));
    }
    let hash = hash(&Password::new(password), HashCost::DEFAULT)
        .map_err(|err| Failure::Usage(err.to_string()))?;
    println!("{}:{hash}", args.user);
    Ok(())
}
