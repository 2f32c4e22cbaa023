//! `netrpc`: serve the seed's services, call them, follow changes.
//!
//! ```text
//! netrpc serve   [--listen ADDR] [--codec C] [--rpc-path P] [--debug-path P] [--login USER:PASSWORD | --credentials FILE] [--login-by-cert]
//! netrpc reverse --dial ADDR [--codec C] [--login USER:PASSWORD | --credentials FILE]
//! netrpc call    (--connect ADDR | --accept ADDR) [--codec C] METHOD [ARGS_JSON]
//! netrpc watch   --connect ADDR [--codec C] [--prefix P] [--from REV]
//! netrpc list    ADDR [--debug-path P] [--json]
//! netrpc hash-password USER   < password
//! netrpc plugin call --cmd PATH [--cookie KEY=VALUE] [--version N] --dispense NAME METHOD [ARGS_JSON]
//! ```
//!
//! Exit status: 0 on success; 1 when the service answered with an error (printed as
//! `error: MESSAGE` on stderr); 2 for bad arguments and for link or protocol errors.

mod call;
mod cli;
mod etcd_args;
mod hash_password;
mod list;
mod plugin;
mod serve;
mod tls;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// How a command failed, which decides the exit status.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The service answered with an error: exit 1.
    Service(String),
    /// Bad arguments, or the link or protocol failed: exit 2.
    Usage(String),
    /// The link or protocol failed: exit 2.
    Link(String),
}

impl From<netrpc::Error> for Failure {
    fn from(err: netrpc::Error) -> Self {
        match err.server_message() {
            Some(message) => Failure::Service(message.to_owned()),
            None => Failure::Link(err.to_string()),
        }
    }
}

/// clap's message on one line: its lines up to the usage, joined.
fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:"))
        .filter(|line| !line.is_empty())
        .collect();
    if parts.is_empty() {
        "error: bad arguments".into()
    } else {
        parts.join(" ")
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) || matches!(
                err.kind(),
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = err.print();
                return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
            }
            eprintln!("{}", one_line(&err.to_string()));
            return ExitCode::from(2);
        }
    };
    // A one-shot command reports its failure in its one error line; the log would repeat it.
    let default_level = match cli.command {
        Command::Call(_) | Command::Watch(_) | Command::List(_) | Command::Plugin(_) => "error",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::serve(args).await,
            Command::Reverse(args) => serve::reverse(args).await,
            Command::Call(args) => call::call(args).await,
            Command::Watch(args) => watch::watch(args).await,
            Command::List(args) => list::list(args).await,
            Command::HashPassword(args) => hash_password::hash_password(args),
            Command::Plugin(cli::PluginCommand::Call(args)) => plugin::call(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Service(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message) | Failure::Link(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
