//! A server in a process of its own, for the fault suite's kill test (`tests/faults.rs`): it
//! serves `KVStoreService` and `Fault.Watchers` (the store's live watcher count) on a fresh
//! loopback address of one transport, detecting each client's codec.
//!
//! ```text
//! fault-server TRANSPORT      # a TransportKind as Debug prints it: Tcp, Unix, Http, Tls, ...
//! ```
//!
//! It prints `listening on ADDR`; for transports that need one, the PEM certificate a client
//! must trust; then `ready`. It serves until killed, or until its stdin closes (so a test that
//! dies cannot leave it behind).

use std::io::{Read, Write};
use std::process::ExitCode;

use netrpc::transport::tls::TlsServerConfig;
use netrpc::transport::{Address, ListenOptions};
use netrpc::{Empty, Server, service};
use rpc_services::{KvStore, KvStoreService};
use tests::TransportKind;

/// Reports the store's watchers, so the test knows when the server holds every watch.
struct Fault {
    kv: KvStore,
}

service! {
    impl Fault {
        #[rpc("Watchers")]
        /// Watch and WatchFrom calls waiting in the store.
        async fn watchers(&self, _arg: Empty) -> Result<u64, String> {
            Ok(self.kv.watcher_count() as u64)
        }
    }
}

/// How to listen on `transport`, and the certificate (PEM) a client must trust, if any.
fn listen_options(transport: TransportKind) -> Result<(ListenOptions, Option<String>), String> {
    match transport {
        TransportKind::Tls | TransportKind::Quic => {
            let (config, pem) = TlsServerConfig::self_signed(&["localhost", "127.0.0.1"])
                .map_err(|err| format!("self-signed certificate: {err}"))?;
            Ok((ListenOptions::new().with_tls(config), Some(pem)))
        }
        TransportKind::Tcp
        | TransportKind::Unix
        | TransportKind::Mem
        | TransportKind::Http
        | TransportKind::YamuxTcp
        | TransportKind::YamuxUnix => Ok((ListenOptions::new(), None)),
    }
}

async fn run(name: &str) -> Result<(), String> {
    let transport = TransportKind::ALL
        .iter()
        .copied()
        .find(|t| format!("{t:?}") == name)
        .ok_or_else(|| format!("unknown transport {name:?}"))?;
    let (options, pem) = listen_options(transport)?;
    let addr: Address = transport
        .listen_addr()
        .parse()
        .map_err(|err| format!("address: {err}"))?;
    let listener = netrpc::transport::listen_with(&addr, &options)
        .await
        .map_err(|err| format!("listen: {err}"))?;
    let kv = KvStoreService::default();
    let server = Server::builder()
        .register(kv.clone())
        .register(Fault {
            kv: kv.store().expect("an in-memory store").clone(),
        })
        .build();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", listener.local_addr());
    if let Some(pem) = pem {
        let _ = write!(out, "{pem}");
    }
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    drop(out);
    server.serve(listener, netrpc::Auto).await;
    Ok(())
}

fn main() -> ExitCode {
    let Some(name) = std::env::args().nth(1) else {
        eprintln!("usage: fault-server TRANSPORT");
        return ExitCode::from(2);
    };
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("fault-server: runtime: {err}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(&name)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("fault-server: {err}");
            ExitCode::from(2)
        }
    }
}
