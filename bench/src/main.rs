//! `netrpc-bench`: netrpc against its peers (tarpc, Go's net/rpc, a raw echo ceiling) in one
//! run on one machine, closed-loop workloads W1–W6 of issue 6, as a table or JSON.
//!
//! ```text
//! netrpc-bench [--seconds S] [--warmup S] [--repeat N] [--json] [--json-out FILE] [--only TEXT]... [--smoke]
//! netrpc-bench --from-json FILE [--charts DIR]
//! netrpc-bench --list
//! netrpc-bench serve (netrpc|tarpc|echo) [--codec C] --listen ADDR
//! ```
//!
//! Every server runs in a child process (`netrpc-bench serve ...`, Go's `benchpeer -serve`) so
//! its CPU time and memory are read apart from the client's; `mem://` servers run inside the
//! benchmark. BENCHMARKS.md at the repository root has the method and the latest figures.
#![deny(missing_docs)]

mod charts;
mod clients;
mod driver;
mod measure;
mod plan;
mod report;
mod runner;
mod serve;
mod servers;
mod tarpc_peer;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::plan::{ClientKind, PlanOptions, System, TransportSpec};
use crate::report::{Machine, Report, Row};
use crate::runner::RunLength;
use crate::servers::Programs;

/// netrpc's benchmark: netrpc, tarpc, Go net/rpc and a raw echo ceiling, side by side.
#[derive(Parser, Debug)]
#[command(name = "netrpc-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve one system until killed (what the benchmark starts in child processes).
    Serve(ServeArgs),
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// netrpc, tarpc or echo.
    system: String,
    /// The codec: netrpc's postcard, protobuf, gob, json or auto; tarpc's bincode, json or
    /// postcard; ignored by echo.
    #[arg(long, default_value = "postcard")]
    codec: String,
    /// Where to listen (tcp://, unix://, tls://, http://; tarpc: tcp:// only).
    #[arg(long, default_value = "tcp://127.0.0.1:0")]
    listen: String,
    /// Exit when standard input closes (so the server never outlives its benchmark).
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Length of each measured window, seconds.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Unmeasured calls before each window, seconds.
    #[arg(long, default_value_t = 0.5)]
    warmup: f64,
    /// Run each cell N times and keep the run with the median calls/s.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// A few hundred calls per workload, no timing (checks that the harness works).
    #[arg(long)]
    smoke: bool,
    /// Calls per workload in --smoke.
    #[arg(long, default_value_t = 200)]
    smoke_calls: u64,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json_out: Option<std::path::PathBuf>,
    /// Also draw the report's charts (SVG) into this directory: calls/s per workload and
    /// latency against calls in flight (with --from-json, of the saved report).
    #[arg(long, value_name = "DIR")]
    charts: Option<std::path::PathBuf>,
    /// Measure nothing: print the tables of a report saved with --json or --json-out.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["json_out", "list"])]
    from_json: Option<std::path::PathBuf>,
    /// Run only cells whose id contains one of these texts (see --list); repeatable.
    #[arg(long)]
    only: Vec<String>,
    /// Skip cells whose id contains one of these texts; repeatable.
    #[arg(long)]
    skip: Vec<String>,
    /// Print the cells' ids and exit.
    #[arg(long)]
    list: bool,
    /// Transports of the codec x transport matrix (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "tcp,unix,tls,quic,yamux+tcp,mem"
    )]
    transports: Vec<String>,
    /// W5: pending watch counts (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    watches: Vec<usize>,
    /// W5: connections the watches are spread over.
    #[arg(long, default_value_t = 16)]
    watch_conns: usize,
    /// W6: idle connections.
    #[arg(long, default_value_t = 1000)]
    idle_conns: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("netrpc-bench: tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::Serve(args)) => runtime.block_on(serve::serve(
            &args.system,
            &args.codec,
            &args.listen,
            args.exit_on_stdin_eof,
        )),
        None => runtime.block_on(run(cli.run)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("netrpc-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn transports(names: &[String]) -> Result<Vec<TransportSpec>, String> {
    names
        .iter()
        .map(|name| {
            plan::TRANSPORTS
                .iter()
                .find(|t| t.name == name.as_str())
                .copied()
                .ok_or_else(|| {
                    let known: Vec<&str> = plan::TRANSPORTS.iter().map(|t| t.name).collect();
                    format!("unknown transport {name:?} (known: {})", known.join(", "))
                })
        })
        .collect()
}

async fn run(args: RunArgs) -> Result<(), String> {
    if let Some(path) = &args.from_json {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("reading {}: {err}", path.display()))?;
        let report: Report = serde_json::from_str(&text)
            .map_err(|err| format!("{}: not a netrpc-bench report: {err}", path.display()))?;
        print!("{}", report::table(&report));
        return draw_charts(&report, args.charts.as_deref());
    }
    let options = PlanOptions {
        transports: transports(&args.transports)?,
        watches: {
            let mut watches: Vec<usize> = args
                .watches
                .iter()
                .map(|&n| if args.smoke { n.min(1000) } else { n })
                .collect();
            watches.dedup();
            watches
        },
        watch_conns: args.watch_conns,
        idle_conns: if args.smoke {
            args.idle_conns.min(50)
        } else {
            args.idle_conns
        },
    };
    let cells: Vec<_> = plan::cells(&options)
        .into_iter()
        .filter(|cell| {
            let id = cell.id();
            (args.only.is_empty() || args.only.iter().any(|text| id.contains(text.as_str())))
                && !args.skip.iter().any(|text| id.contains(text.as_str()))
        })
        .collect();
    if args.list {
        for cell in &cells {
            println!("{}", cell.id());
        }
        return Ok(());
    }
    if cells.is_empty() {
        return Err("no cell matches --only/--skip (see --list)".to_owned());
    }
    let bench = std::env::current_exe().map_err(|err| format!("own executable: {err}"))?;
    let needs_go = cells
        .iter()
        .any(|c| c.target.system == System::Go || c.target.client == ClientKind::Go);
    let benchpeer = if needs_go {
        Some(servers::build_benchpeer(&bench)?)
    } else {
        None
    };
    let programs = Programs { bench, benchpeer };
    let length = if args.smoke {
        RunLength::Smoke {
            calls: args.smoke_calls,
        }
    } else {
        RunLength::Timed {
            warmup: Duration::from_secs_f64(args.warmup.max(0.0)),
            measure: Duration::from_secs_f64(args.seconds.max(0.01)),
        }
    };
    let machine = Machine::detect(servers::go_version());
    let mut rows = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        let mut runs = Vec::new();
        for _ in 0..args.repeat.max(1) {
            runs.push(runner::run(cell, length, &programs).await);
        }
        let row = median(runs);
        eprintln!(
            "[{}/{}] {}: {:.0} calls/s, p50 {:.1} µs{}",
            i + 1,
            cells.len(),
            row.id,
            row.calls_per_sec,
            row.latency.p50_us,
            match &row.first_error {
                Some(err) => format!(", {} errors: {err}", row.errors),
                None => String::new(),
            }
        );
        rows.push(row);
    }
    let transport_names: Vec<&str> = options.transports.iter().map(|t| t.name).collect();
    let ratios = report::ratios(
        &rows,
        plan::CORE_LOADS,
        plan::MATRIX_LOADS,
        &transport_names,
    );
    let settings = if args.smoke {
        format!("--smoke ({} calls per workload)", args.smoke_calls)
    } else {
        format!(
            "--seconds {} --warmup {} --repeat {}",
            args.seconds, args.warmup, args.repeat
        )
    };
    let report = Report {
        machine,
        settings,
        rows,
        ratios,
    };
    let json = serde_json::to_string_pretty(&report).map_err(|err| format!("JSON: {err}"))?;
    if let Some(path) = &args.json_out {
        std::fs::write(path, format!("{json}\n"))
            .map_err(|err| format!("writing {}: {err}", path.display()))?;
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{}", report::table(&report));
    }
    draw_charts(&report, args.charts.as_deref())
}

/// Draws the charts of `report` into `dir`, if one was asked for, naming the files on stderr.
fn draw_charts(report: &Report, dir: Option<&std::path::Path>) -> Result<(), String> {
    let Some(dir) = dir else {
        return Ok(());
    };
    for file in charts::draw(report, dir)? {
        eprintln!("chart: {}", file.display());
    }
    Ok(())
}

/// The run with the median calls/s.
fn median(mut runs: Vec<Row>) -> Row {
    runs.sort_by(|a, b| a.calls_per_sec.total_cmp(&b.calls_per_sec));
    let middle = runs.len() / 2;
    runs.swap_remove(middle)
}
