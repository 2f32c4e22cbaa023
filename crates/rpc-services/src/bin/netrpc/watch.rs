//! `netrpc watch`: follow changes with the revisioned watch, one JSON line per change.

use std::io::Write;

use netrpc::{Client, Empty};
use rpc_services::{WatchFromArgs, WatchFromReply};

use crate::Failure;
use crate::cli::{WatchArgs, parse_addr};

/// How long each long poll waits before asking again.
const POLL_SECONDS: i64 = 30;

pub(crate) async fn watch(args: WatchArgs) -> Result<(), Failure> {
    let options = args.tls.dial_options(&parse_addr(&args.connect)?)?;
    let client = Client::builder()
        .dial_options(options)
        .dial(&args.connect, args.codec.client_codec()?)
        .await?;
    let mut revision = match args.from {
        Some(revision) => revision,
        None => client.call("KVStoreService.Revision", &Empty {}).await?,
    };
    let mut stdout = std::io::stdout();
    loop {
        let request = WatchFromArgs {
            revision,
            prefix: args.prefix.clone(),
            timeout_seconds: POLL_SECONDS,
        };
        let reply: WatchFromReply = client.call("KVStoreService.WatchFrom", &request).await?;
        for change in &reply.changes {
            let line =
                serde_json::to_string(change).map_err(|err| Failure::Link(err.to_string()))?;
            writeln!(stdout, "{line}").map_err(|err| Failure::Link(format!("stdout: {err}")))?;
        }
        stdout
            .flush()
            .map_err(|err| Failure::Link(format!("stdout: {err}")))?;
        revision = reply.revision;
    }
}
