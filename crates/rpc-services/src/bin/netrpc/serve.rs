//! `netrpc serve` and `netrpc reverse`: the seed's services on a listener or over outbound links.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use netrpc::Server;
use netrpc::reverse::Backoff;
use netrpc::transport::Address;
use netrpc::transport::http::{self, HttpPaths};
use rpc_services::auth::{Auth, CertificateLogins, NoPasswords, PasswordFile, PlainPassword};
use rpc_services::{HelloService, KvBackend, KvStoreService, LoginHelloService};

use crate::Failure;
use crate::cli::{CodecArg, LimitArgs, ReverseArgs, ServeArgs, parse_addr};
use crate::etcd_args::EtcdArgs;

/// How long running calls get to finish on Ctrl-C or SIGTERM.
const GRACE: Duration = Duration::from_secs(5);

/// The login options of `serve` and `reverse`.
#[derive(Default)]
struct LoginArgs<'a> {
    /// `--login USER:PASSWORD`.
    login: Option<&'a str>,
    /// `--credentials FILE`.
    credentials: Option<&'a Path>,
    /// `--login-by-cert`.
    by_cert: bool,
    /// Whether clients can present certificates at all (`--client-ca`).
    client_certificates: bool,
}

/// How `HelloService` logins are checked; `None` when no option asks for a login.
fn auth(args: &LoginArgs<'_>) -> Result<Option<Auth>, Failure> {
    let any_cert = if args.by_cert {
        CertificateLogins::any()
    } else {
        CertificateLogins::none()
    };
    let auth = match (args.login, args.credentials) {
        (Some(login), _) => Auth::new(PlainPassword::new(login)).with_certificate_logins(any_cert),
        (None, Some(path)) => {
            let file = PasswordFile::read(path)
                .map_err(|err| Failure::Usage(format!("--credentials {err}")))?;
            let certificates = file.certificate_logins().clone();
            if !certificates.is_none() && !args.client_certificates {
                tracing::warn!(
                    "--credentials names client certificates (cert: lines) but without \
                     --client-ca no client presents one"
                );
            }
            tracing::info!(users = file.users().len(), "credentials file read");
            Auth::new(file).with_certificate_logins(certificates.or(any_cert))
        }
        (None, None) if args.by_cert => Auth::new(NoPasswords).with_certificate_logins(any_cert),
        (None, None) => return Ok(None),
    };
    Ok(Some(auth))
}

/// The store of `--store` (with the `--etcd-*` flags): `None` for `memory`, else connected
/// (bounded by etcd's timeouts).
async fn store(arg: &str, etcd: &EtcdArgs) -> Result<Option<Arc<dyn KvBackend>>, Failure> {
    if arg == "memory" {
        if etcd.any() {
            return Err(Failure::Usage(
                "--etcd-ca, --etcd-cert, --etcd-key and --etcd-user need --store etcd://...".into(),
            ));
        }
        return Ok(None);
    }
    if !arg.starts_with("etcd://") && !arg.starts_with("etcds://") {
        return Err(Failure::Usage(format!(
            "--store {arg}: expected memory or etcd[s]://[USER@]HOST:PORT[,HOST:PORT...][/PREFIX]"
        )));
    }
    #[cfg(not(feature = "etcd"))]
    return Err(Failure::Usage(format!(
        "--store {arg}: this netrpc was built without the etcd feature"
    )));
    #[cfg(feature = "etcd")]
    {
        let mut address: netrpc_etcd::EtcdAddress = arg
            .parse()
            .map_err(|err: netrpc_etcd::EtcdError| Failure::Usage(err.to_string()))?;
        etcd.apply(&mut address).map_err(Failure::Usage)?;
        let store = netrpc_etcd::EtcdStore::connect(&address)
            .await
            .map_err(|err| match err {
                netrpc_etcd::EtcdError::File { .. } | netrpc_etcd::EtcdError::Address { .. } => {
                    Failure::Usage(format!("--store {address}: {err}"))
                }
                err => Failure::Link(format!("--store {address}: {err}")),
            })?;
        tracing::info!(%address, "KVStoreService on etcd");
        Ok(Some(Arc::new(store)))
    }
}

/// HelloService (per connection with login, shared without) and KVStoreService.
fn server(
    auth: Option<Auth>,
    limits: Option<&LimitArgs>,
    backend: Option<Arc<dyn KvBackend>>,
) -> Result<Server, Failure> {
    let kv = match limits {
        Some(limits) => limits.kv_service(backend),
        None => KvStoreService::default(),
    };
    let mut builder = Server::builder().register(kv);
    if let Some(limits) = limits {
        builder = limits.apply(builder)?;
    }
    Ok(match auth {
        None => builder.register(HelloService),
        Some(auth) => builder.register_per_connection("HelloService", move |ctx| {
            LoginHelloService::new(ctx, auth.clone())
        }),
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

/// Where `serve` answers Go's HTTP clients: the address to listen on (an `http://` one with
/// `--rpc-path` as its path) and the paths HTTP is served at, `None` when it is not served at
/// all.
fn http_paths(addr: Address, args: &ServeArgs) -> Result<(Address, Option<HttpPaths>), Failure> {
    let usage = |err: http::HttpPathError| Failure::Usage(err.to_string());
    let debug = args.debug_path.as_deref().unwrap_or(http::DEBUG_PATH);
    match addr {
        Address::Http { host_port, path } => {
            let path = match &args.rpc_path {
                Some(flag) if path != http::RPC_PATH && *flag != path => {
                    return Err(Failure::Usage(format!(
                        "--rpc-path {flag} and the path of --listen {} differ: give the RPC                          path once",
                        args.listen
                    )));
                }
                Some(flag) => flag.clone(),
                None => path,
            };
            let paths = HttpPaths::new(path.as_str(), debug).map_err(usage)?;
            Ok((Address::Http { host_port, path }, Some(paths)))
        }
        addr @ (Address::Tcp(_) | Address::Unix(_)) if args.codec == CodecArg::Auto => {
            let rpc = args.rpc_path.as_deref().unwrap_or(http::RPC_PATH);
            let paths = HttpPaths::new(rpc, debug).map_err(usage)?;
            Ok((addr, Some(paths)))
        }
        addr if args.rpc_path.is_some() || args.debug_path.is_some() => {
            Err(Failure::Usage(format!(
                "--rpc-path and --debug-path need HTTP: an http:// address, or tcp:// or unix://              with --codec auto (not {} with --codec {:?})",
                addr.transport(),
                args.codec
            )))
        }
        addr => Ok((addr, None)),
    }
}

pub(crate) async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let addr = args
        .listen
        .parse::<Address>()
        .map_err(|err| Failure::Usage(err.to_string()))?;
    let (addr, paths) = http_paths(addr, &args)?;
    let auth = auth(&LoginArgs {
        login: args.login.as_deref(),
        credentials: args.credentials.as_deref(),
        by_cert: args.login_by_cert,
        client_certificates: args.tls.client_ca.is_some(),
    })?;
    let backend = store(&args.store, &args.etcd).await?;
    let server = server(auth, Some(&args.limits), backend)?;
    let mut options = args.tls.listen_options(&addr)?;
    if let Some(paths) = &paths {
        options = options.with_http_debug_path(paths.debug());
    }
    let mut listener = netrpc::transport::listen_with(&addr, &options)
        .await
        .map_err(|err| Failure::Link(format!("listen {addr}: {err}")))?;
    if let (Some(paths), Address::Tcp(_) | Address::Unix(_)) = (paths, &addr) {
        // Go's rpc.DialHTTP clients share the port: an HTTP CONNECT is answered, then gob.
        listener = http::optional_with(listener, paths);
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
    let auth = auth(&LoginArgs {
        login: args.login.as_deref(),
        credentials: args.credentials.as_deref(),
        ..LoginArgs::default()
    })?;
    let server = server(auth, None, None)?;
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
