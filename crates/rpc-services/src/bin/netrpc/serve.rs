//! `netrpc serve` and `netrpc reverse`: the seed's services on a listener or over outbound links.

use std::io::Write;
use std::time::Duration;

use netrpc::Server;
use netrpc::reverse::Backoff;
use netrpc::transport::Address;
use rpc_services::{Credentials, HelloService, KvStoreService, LoginHelloService};

use crate::Failure;
use crate::cli::{CodecArg, LimitArgs, ReverseArgs, ServeArgs, parse_addr};

/// How long running calls get to finish on Ctrl-C or SIGTERM.
const GRACE: Duration = Duration::from_secs(5);

/// HelloService (per connection with login, shared without) and KVStoreService.
fn server(login: Option<&str>, limits: Option<&LimitArgs>) -> Result<Server, Failure> {
    let kv = limits.map_or_else(KvStoreService::default, LimitArgs::kv_service);
    let mut builder = Server::builder().register(kv);
    if let Some(limits) = limits {
        builder = limits.apply(builder)?;
    }
    Ok(match login {
        None => builder.register(HelloService),
        Some(login) => {
            let credentials = Credentials::new(login);
            builder.register_per_connection("HelloService", move |ctx| {
                LoginHelloService::new(ctx, credentials.clone())
            })
        }
    }
    .build())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub(crate) async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let addr = args
        .listen
        .parse::<Address>()
        .map_err(|err| Failure::Usage(err.to_string()))?;
    let server = server(args.login.as_deref(), Some(&args.limits))?;
    let options = args.tls.listen_options(&addr)?;
    let mut listener = netrpc::transport::listen_with(&addr, &options)
        .await
        .map_err(|err| Failure::Link(format!("listen {addr}: {err}")))?;
    if args.codec == CodecArg::Auto && matches!(addr, Address::Tcp(_) | Address::Unix(_)) {
        // Go's rpc.DialHTTP clients share the port: an HTTP CONNECT is answered, then gob.
        listener = netrpc::transport::http::optional(listener);
    }
    println!("listening on {}", listener.local_addr());
    let _ = std::io::stdout().flush();
    let codec = args.codec.codec();
    tokio::select! {
        _ = server.serve(listener, codec) => {}
        _ = terminated() => {}
    }
    tracing::info!("shutting down");
    server.shutdown(GRACE).await;
    Ok(())
}

pub(crate) async fn reverse(args: ReverseArgs) -> Result<(), Failure> {
    let addr = parse_addr(&args.dial)?;
    let options = args.tls.dial_options(&addr)?;
    let server = server(args.login.as_deref(), None)?;
    let codec = args.codec.codec();
    tokio::select! {
        result = server.serve_reverse_with(&args.dial, &options, codec, Backoff::default()) => {
            result.map_err(|err| Failure::Usage(err.to_string()))?;
        }
        _ = terminated() => {}
    }
    server.shutdown(GRACE).await;
    Ok(())
}
