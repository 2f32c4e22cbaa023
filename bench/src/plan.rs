//! What one run measures: workloads (W1–W6), the systems under test, and which pairs of them
//! run.
//!
//! Every transport the matrix covers is one line of [`TRANSPORTS`]; a transport that
//! `rpc_transport` learns later (QUIC) is added there and needs nothing else here, as long as
//! its addresses parse as `SCHEME://127.0.0.1:0` (or the transport is listed as needing a
//! certificate or a socket path).

use std::fmt;

/// How a transport is listened on in the benchmark.
#[derive(Clone, Copy, Debug)]
pub struct TransportSpec {
    /// The address scheme, `Peer::transport` of its connections (`tcp`, `unix`, ...).
    pub name: &'static str,
    /// The listen address: `{sock}` is replaced by a fresh socket path in the temporary
    /// directory.
    pub listen: &'static str,
    /// The server needs a certificate (a self-signed one is made; the client skips verifying
    /// it).
    pub certificate: bool,
    /// Dialable only from inside the server's process (`mem://`): the server runs inside the
    /// benchmark, so its CPU time cannot be told from the client's.
    pub in_process: bool,
}

/// The transports of the codec × transport matrix, one line each.
#[rustfmt::skip]
pub const TRANSPORTS: &[TransportSpec] = &[
    TransportSpec { name: "tcp", listen: "tcp://127.0.0.1:0", certificate: false, in_process: false },
    TransportSpec { name: "unix", listen: "unix://{sock}", certificate: false, in_process: false },
    TransportSpec { name: "tls", listen: "tls://127.0.0.1:0", certificate: true, in_process: false },
    TransportSpec { name: "quic", listen: "quic://127.0.0.1:0", certificate: true, in_process: false },
    TransportSpec { name: "yamux+tcp", listen: "yamux+tcp://127.0.0.1:0", certificate: false, in_process: false },
    TransportSpec { name: "mem", listen: "mem://", in_process: true, certificate: false },
];

/// Go's HTTP CONNECT transport (gob only): in the matrix for the gob codec.
pub const HTTP: TransportSpec = TransportSpec {
    name: "http",
    listen: "http://127.0.0.1:0",
    certificate: false,
    in_process: false,
};

/// The transport named `name`, among [`TRANSPORTS`] and [`HTTP`].
pub fn transport(name: &str) -> Option<TransportSpec> {
    TRANSPORTS
        .iter()
        .chain(std::iter::once(&HTTP))
        .find(|t| t.name == name)
        .copied()
}

/// netrpc's codecs, by `--codec` name.
pub const NETRPC_CODECS: &[&str] = &["postcard", "protobuf", "gob", "json"];

/// Closed-loop call load: `conns` connections, `in_flight` calls in flight on each, requests of
/// `payload` bytes (a string, `HelloService.Hello`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load {
    /// The workload's name in the issue (`W1`...).
    pub id: &'static str,
    /// Connections.
    pub conns: usize,
    /// Calls in flight per connection.
    pub in_flight: usize,
    /// Request size in bytes.
    pub payload: usize,
}

impl Load {
    const fn new(id: &'static str, conns: usize, in_flight: usize, payload: usize) -> Self {
        Self {
            id,
            conns,
            in_flight,
            payload,
        }
    }

    /// `1x16 64B`.
    pub fn shape(&self) -> String {
        format!("{}x{} {}", self.conns, self.in_flight, bytes(self.payload))
    }
}

/// `64B`, `1KiB`, `64KiB`, `1MiB`.
pub fn bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{}MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{}KiB", n >> 10),
        n => format!("{n}B"),
    }
}

/// W1–W4, run against every peer.
pub const CORE_LOADS: &[Load] = &[
    Load::new("W1", 1, 1, 64),
    Load::new("W2", 1, 16, 64),
    Load::new("W2", 1, 128, 64),
    Load::new("W3", 64, 1, 64),
    Load::new("W3", 16, 16, 64),
    Load::new("W4", 1, 16, 1 << 10),
    Load::new("W4", 1, 16, 64 << 10),
    Load::new("W4", 1, 16, 1 << 20),
];

/// The loads of the codec × transport matrix: latency and throughput.
pub const MATRIX_LOADS: &[Load] = &[Load::new("W1", 1, 1, 64), Load::new("W3", 16, 16, 64)];

/// The load the throughput targets are stated at.
pub const TARGET_LOAD: Load = Load::new("W3", 16, 16, 64);

/// The latency load.
pub const LATENCY_LOAD: Load = Load::new("W1", 1, 1, 64);

/// Which implementation serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum System {
    /// netrpc's `Server`, in a child process (`netrpc-bench serve netrpc`), or in-process on
    /// `mem://`.
    Netrpc,
    /// tarpc over its serde transports (TCP, length-delimited frames).
    Tarpc,
    /// Go's `net/rpc` (`benchpeer -serve`).
    Go,
    /// No RPC: frames echoed as they come (the ceiling).
    Echo,
}

impl System {
    /// Its name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            System::Netrpc => "netrpc",
            System::Tarpc => "tarpc",
            System::Go => "go",
            System::Echo => "echo",
        }
    }
}

/// Which program calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKind {
    /// A Rust client inside this process: netrpc's `Client` for netrpc and Go servers, tarpc's
    /// for tarpc, a pipelining frame writer for the echo server.
    Rust,
    /// Go's `net/rpc` client (`benchpeer -connect`).
    Go,
}

impl ClientKind {
    /// Its name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            ClientKind::Rust => "rust",
            ClientKind::Go => "go",
        }
    }
}

/// A server and the client that drives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The server.
    pub system: System,
    /// Its codec (`postcard`, `gob`, `bincode`, ...; `raw` for echo).
    pub codec: &'static str,
    /// Its transport's name (see [`TRANSPORTS`]).
    pub transport: &'static str,
    /// The client.
    pub client: ClientKind,
}

impl Target {
    /// A target driven by the Rust client.
    pub const fn rust(system: System, codec: &'static str, transport: &'static str) -> Self {
        Self {
            system,
            codec,
            transport,
            client: ClientKind::Rust,
        }
    }

    /// A target driven by Go's client.
    pub const fn go_client(system: System, codec: &'static str) -> Self {
        Self {
            system,
            codec,
            transport: "tcp",
            client: ClientKind::Go,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.system.name(),
            self.codec,
            self.transport
        )?;
        if self.client == ClientKind::Go {
            write!(f, " <- go client")?;
        }
        Ok(())
    }
}

/// The peers of W1–W4, in table order.
pub const CORE_TARGETS: &[Target] = &[
    Target::rust(System::Netrpc, "postcard", "tcp"),
    Target::rust(System::Echo, "raw", "tcp"),
    Target::rust(System::Tarpc, "postcard", "tcp"),
    Target::rust(System::Tarpc, "bincode", "tcp"),
    Target::rust(System::Netrpc, "json", "tcp"),
    Target::rust(System::Tarpc, "json", "tcp"),
    Target::go_client(System::Netrpc, "gob"),
    Target::go_client(System::Go, "gob"),
    Target::go_client(System::Netrpc, "json"),
    Target::go_client(System::Go, "json"),
];

/// The servers of W6 (idle connections), each with a Rust client.
pub const IDLE_TARGETS: &[Target] = &[
    Target::rust(System::Netrpc, "postcard", "tcp"),
    Target::rust(System::Netrpc, "gob", "tcp"),
    Target::rust(System::Tarpc, "bincode", "tcp"),
    Target::rust(System::Go, "gob", "tcp"),
    Target::rust(System::Echo, "raw", "tcp"),
];

/// The server of W5 (Watch fan-out).
pub const WATCH_TARGET: Target = Target::rust(System::Netrpc, "postcard", "tcp");

/// One measurement to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Closed-loop calls (W1–W4 and the matrix).
    Calls(Load),
    /// W5: this many pending `KVStoreService.Watch` calls woken by one `Set`.
    Watch {
        /// Pending watches.
        watches: usize,
        /// Connections they are spread over.
        conns: usize,
    },
    /// W6: this many idle connections, each after one call.
    Idle {
        /// Connections.
        conns: usize,
    },
}

impl Workload {
    /// `W1`...
    pub fn id(&self) -> &'static str {
        match self {
            Workload::Calls(load) => load.id,
            Workload::Watch { .. } => "W5",
            Workload::Idle { .. } => "W6",
        }
    }

    /// The workload's shape: `16x16 64B`, `100000 watches`, `1000 idle conns`.
    pub fn shape(&self) -> String {
        match self {
            Workload::Calls(load) => load.shape(),
            Workload::Watch { watches, conns } => format!("{watches} watches/{conns} conns"),
            Workload::Idle { conns } => format!("{conns} idle conns"),
        }
    }
}

/// A workload against a target: one row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Cell {
    /// What to do.
    pub workload: Workload,
    /// Against what.
    pub target: Target,
}

impl Cell {
    /// `W3 16x16 64B | netrpc postcard/tcp`: what `--only` matches.
    pub fn id(&self) -> String {
        format!(
            "{} {} | {}",
            self.workload.id(),
            self.workload.shape(),
            self.target
        )
    }
}

/// Settings that choose the cells.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// Transports of the matrix.
    pub transports: Vec<TransportSpec>,
    /// W5's watch counts.
    pub watches: Vec<usize>,
    /// Connections the watches are spread over.
    pub watch_conns: usize,
    /// W6's connection count.
    pub idle_conns: usize,
}

/// Every cell of a run, in order: W1–W4 against every peer, the codec × transport matrix, W5,
/// W6.
pub fn cells(options: &PlanOptions) -> Vec<Cell> {
    let mut cells = Vec::new();
    for load in CORE_LOADS {
        for target in CORE_TARGETS {
            cells.push(Cell {
                workload: Workload::Calls(*load),
                target: *target,
            });
        }
    }
    for load in MATRIX_LOADS {
        for transport in &options.transports {
            let mut targets: Vec<Target> = NETRPC_CODECS
                .iter()
                .map(|codec| Target::rust(System::Netrpc, codec, transport.name))
                .collect();
            targets.push(Target::rust(System::Echo, "raw", transport.name));
            for target in targets {
                let cell = Cell {
                    workload: Workload::Calls(*load),
                    target,
                };
                if !cells.iter().any(|c| c.id() == cell.id()) {
                    cells.push(cell);
                }
            }
        }
        cells.push(Cell {
            workload: Workload::Calls(*load),
            target: Target::rust(System::Netrpc, "gob", HTTP.name),
        });
    }
    for &watches in &options.watches {
        cells.push(Cell {
            workload: Workload::Watch {
                watches,
                conns: options.watch_conns.min(watches).max(1),
            },
            target: WATCH_TARGET,
        });
    }
    for target in IDLE_TARGETS {
        cells.push(Cell {
            workload: Workload::Idle {
                conns: options.idle_conns,
            },
            target: *target,
        });
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_unique_and_cover_the_matrix() {
        let options = PlanOptions {
            transports: TRANSPORTS.to_vec(),
            watches: vec![10, 100],
            watch_conns: 4,
            idle_conns: 10,
        };
        let cells = cells(&options);
        let mut ids: Vec<String> = cells.iter().map(Cell::id).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate cells");
        for transport in TRANSPORTS {
            for codec in NETRPC_CODECS {
                let target = Target::rust(System::Netrpc, codec, transport.name);
                assert!(cells.iter().any(|c| c.target == target), "{target}");
            }
        }
    }

    #[test]
    fn every_listen_address_parses() {
        for transport in TRANSPORTS.iter().chain([&HTTP]) {
            let addr = transport.listen.replace("{sock}", "/tmp/x.sock");
            let parsed: Result<netrpc::transport::Address, _> = addr.parse();
            assert!(parsed.is_ok(), "{addr}: {parsed:?}");
            assert_eq!(parsed.map(|a| a.transport()).ok(), Some(transport.name));
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(64), "64B");
        assert_eq!(bytes(1024), "1KiB");
        assert_eq!(bytes(1 << 20), "1MiB");
    }
}
