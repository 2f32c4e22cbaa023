//! Results: one [`Row`] per cell, the ratios between peers (with the targets), the
//! machine, and their text table and JSON forms.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::measure::Percentiles;
use crate::plan::{LATENCY_LOAD, Load, TARGET_LOAD};

/// One measured cell.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Row {
    /// The cell's id (what `--only` matches).
    pub id: String,
    /// `W1`...`W6`.
    pub workload: String,
    /// `16x16 64B`, `100000 watches/16 conns`, `1000 idle conns`.
    pub shape: String,
    /// `netrpc`, `tarpc`, `go`, `echo`.
    pub system: String,
    /// The codec.
    pub codec: String,
    /// The transport.
    pub transport: String,
    /// `rust` or `go`.
    pub client: String,
    /// Calls answered without error in the measured window (W5: watches woken; W6:
    /// connections opened).
    pub calls: u64,
    /// Calls that failed (any failure makes the row's figures suspect).
    pub errors: u64,
    /// The first failure.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_error: Option<String>,
    /// The measured window, seconds.
    pub seconds: f64,
    /// Calls per second.
    pub calls_per_sec: f64,
    /// Latencies.
    pub latency: Percentiles,
    /// Server CPU time per call, µs (`None` when the server runs in the benchmark's process).
    pub server_cpu_us_per_call: Option<f64>,
    /// Client CPU time per call, µs (for an in-process server, client and server together).
    pub client_cpu_us_per_call: Option<f64>,
    /// The server's peak RSS, KiB.
    pub server_peak_rss_kib: Option<u64>,
    /// The client's peak RSS in this workload, KiB.
    pub client_peak_rss_kib: Option<u64>,
    /// W5's figures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub watch: Option<WatchFigures>,
    /// W6's figures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub idle: Option<IdleFigures>,
}

/// W5: pending watches woken by one `Set`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WatchFigures {
    /// Pending watches.
    pub watches: usize,
    /// Connections they were spread over.
    pub conns: usize,
    /// From sending the `Set` until every watch's reply was in, ms.
    pub wake_ms: f64,
    /// From the first `Watch` sent until the server had registered them all, ms.
    pub register_ms: f64,
    /// The server's RSS growth per pending watch, bytes.
    pub server_bytes_per_watch: Option<f64>,
    /// The client's RSS growth per pending watch, bytes.
    pub client_bytes_per_watch: Option<f64>,
}

/// W6: idle connections.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IdleFigures {
    /// Connections held open.
    pub conns: usize,
    /// The server's RSS growth per connection, bytes.
    pub server_bytes_per_conn: Option<f64>,
    /// The client's RSS growth per connection, bytes.
    pub client_bytes_per_conn: Option<f64>,
}

/// A comparison between two rows (or a row and a threshold).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ratio {
    /// What is compared.
    pub name: String,
    /// The ratio (or, for a threshold, the figure).
    pub value: f64,
    /// The target, as text (`>= 0.6`), when one applies.
    pub target: Option<String>,
    /// Whether the target is met.
    pub met: Option<bool>,
}

/// The machine the run was on.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs.
    pub cpus: usize,
    /// `/proc/cpuinfo`'s model name.
    pub cpu_model: String,
    /// Kernel release.
    pub kernel: String,
    /// `rustc -V`.
    pub rustc: Option<String>,
    /// `go version`.
    pub go: Option<String>,
    /// Load average when the run started.
    pub load_average: Option<String>,
}

impl Machine {
    /// Reads this machine's description.
    pub fn detect(go: Option<String>) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
            .map(|(_, model)| model.trim().to_owned())
            .unwrap_or_default();
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .ok()
                .map(|s| s.trim().to_owned())
        };
        let rustc = std::process::Command::new("rustc")
            .arg("-V")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            kernel: read("/proc/sys/kernel/osrelease").unwrap_or_default(),
            rustc,
            go,
            load_average: read("/proc/loadavg"),
        }
    }
}

/// Everything a run produced: what `--json` prints.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Report {
    /// The machine.
    pub machine: Machine,
    /// The command line's settings, as text.
    pub settings: String,
    /// One row per cell.
    pub rows: Vec<Row>,
    /// Ratios to the peers.
    pub ratios: Vec<Ratio>,
}

fn find<'a>(rows: &'a [Row], load: &Load, target: &str) -> Option<&'a Row> {
    let id = format!("{} {} | {target}", load.id, load.shape());
    rows.iter().find(|row| row.id == id && row.calls > 0)
}

fn ratio(name: String, value: f64, target: Option<(&str, f64)>) -> Ratio {
    let (target, met) = match target {
        Some((">=", bound)) => (Some(format!(">= {bound}")), Some(value >= bound)),
        Some(("<=", bound)) => (Some(format!("<= {bound}")), Some(value <= bound)),
        Some((op, bound)) => (Some(format!("{op} {bound}")), Some(value < bound)),
        None => (None, None),
    };
    Ratio {
        name,
        value,
        target,
        met,
    }
}

/// The ratios the issue asks for, from whatever rows were measured.
pub fn ratios(
    rows: &[Row],
    core_loads: &[Load],
    matrix_loads: &[Load],
    transports: &[&str],
) -> Vec<Ratio> {
    let mut out = Vec::new();
    let pairs: &[(&str, &str, &str, f64)] = &[
        ("netrpc postcard/tcp", "echo raw/tcp", ">=", 0.6),
        ("netrpc postcard/tcp", "tarpc postcard/tcp", ">=", 2.0),
        ("netrpc postcard/tcp", "tarpc bincode/tcp", "", 0.0),
        ("netrpc json/tcp", "tarpc json/tcp", "", 0.0),
        (
            "netrpc gob/tcp <- go client",
            "go gob/tcp <- go client",
            ">=",
            1.0,
        ),
        (
            "netrpc json/tcp <- go client",
            "go json/tcp <- go client",
            ">=",
            1.0,
        ),
    ];
    for load in core_loads {
        for &(ours, theirs, op, bound) in pairs {
            let (Some(a), Some(b)) = (find(rows, load, ours), find(rows, load, theirs)) else {
                continue;
            };
            if b.calls_per_sec > 0.0 {
                let target = (*load == TARGET_LOAD && !op.is_empty()).then_some((op, bound));
                out.push(ratio(
                    format!("{} {}: {ours} / {theirs}, calls/s", load.id, load.shape()),
                    a.calls_per_sec / b.calls_per_sec,
                    target,
                ));
            }
            if ours.ends_with("<- go client")
                && let (Some(sa), Some(sb)) = (a.server_cpu_us_per_call, b.server_cpu_us_per_call)
                && sb > 0.0
            {
                let target = (*load == TARGET_LOAD).then_some(("<=", 0.5));
                out.push(ratio(
                    format!(
                        "{} {}: {ours} / {theirs}, server CPU per call",
                        load.id,
                        load.shape()
                    ),
                    sa / sb,
                    target,
                ));
            }
        }
        if let (Some(a), Some(b)) = (
            find(rows, load, "netrpc postcard/tcp"),
            find(rows, load, "echo raw/tcp"),
        ) && b.latency.p50_us > 0.0
        {
            let target = (*load == LATENCY_LOAD).then_some(("<=", 1.3));
            out.push(ratio(
                format!(
                    "{} {}: netrpc postcard/tcp / echo raw/tcp, p50 latency",
                    load.id,
                    load.shape()
                ),
                a.latency.p50_us / b.latency.p50_us,
                target,
            ));
        }
    }
    for load in matrix_loads {
        for transport in transports {
            let ours = format!("netrpc postcard/{transport}");
            let theirs = format!("echo raw/{transport}");
            if *transport == "tcp" && core_loads.contains(load) {
                continue;
            }
            if let (Some(a), Some(b)) = (find(rows, load, &ours), find(rows, load, &theirs))
                && b.calls_per_sec > 0.0
            {
                out.push(ratio(
                    format!("{} {}: {ours} / {theirs}, calls/s", load.id, load.shape()),
                    a.calls_per_sec / b.calls_per_sec,
                    None,
                ));
            }
        }
    }
    for row in rows {
        if let Some(watch) = &row.watch
            && watch.watches >= 100_000
            && row.calls > 0
        {
            out.push(ratio(
                format!("W5 {} watches woken, ms ({})", watch.watches, row.system),
                watch.wake_ms,
                Some(("<", 250.0)),
            ));
        }
    }
    out
}

fn opt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "-".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0))
}

fn target_name(row: &Row) -> String {
    let mut name = format!("{} {}/{}", row.system, row.codec, row.transport);
    if row.client == "go" {
        name.push_str(" <- go client");
    }
    name
}

/// The report as text tables.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let _ = writeln!(
        out,
        "machine: {} CPUs, {}, Linux {}, {}, {}",
        m.cpus,
        m.cpu_model,
        m.kernel,
        m.rustc.as_deref().unwrap_or("rustc ?"),
        m.go.as_deref().unwrap_or("go ?")
    );
    let _ = writeln!(out, "settings: {}", report.settings);
    let _ = writeln!(out);
    let calls: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.watch.is_none() && r.idle.is_none())
        .collect();
    if !calls.is_empty() {
        let _ = writeln!(
            out,
            "| workload | load | system | calls/s | p50 µs | p99 µs | p99.9 µs | server CPU µs/call | client CPU µs/call | server peak RSS MiB | client peak RSS MiB |"
        );
        let _ = writeln!(out, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        for row in calls {
            let errors = if row.errors > 0 {
                format!(
                    " ({} errors: {})",
                    row.errors,
                    row.first_error.as_deref().unwrap_or("")
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {}{} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} |",
                row.workload,
                row.shape,
                target_name(row),
                errors,
                row.calls_per_sec,
                row.latency.p50_us,
                row.latency.p99_us,
                row.latency.p999_us,
                opt(row.server_cpu_us_per_call, 1),
                opt(row.client_cpu_us_per_call, 1),
                mib(row.server_peak_rss_kib),
                mib(row.client_peak_rss_kib),
            );
        }
        let _ = writeln!(out);
    }
    let watches: Vec<&Row> = report.rows.iter().filter(|r| r.watch.is_some()).collect();
    if !watches.is_empty() {
        let _ = writeln!(
            out,
            "| W5 watch fan-out | system | woken | all woken ms | p50 ms | p99 ms | registering ms | server bytes/watch | client bytes/watch | server CPU µs/watch |"
        );
        let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        for row in watches {
            let Some(w) = &row.watch else { continue };
            let _ = writeln!(
                out,
                "| {} | {} | {}{} | {:.1} | {:.1} | {:.1} | {:.0} | {} | {} | {} |",
                row.shape,
                target_name(row),
                row.calls,
                errors_note(row),
                w.wake_ms,
                row.latency.p50_us / 1000.0,
                row.latency.p99_us / 1000.0,
                w.register_ms,
                opt(w.server_bytes_per_watch, 0),
                opt(w.client_bytes_per_watch, 0),
                opt(row.server_cpu_us_per_call, 2),
            );
        }
        let _ = writeln!(out);
    }
    let idle: Vec<&Row> = report.rows.iter().filter(|r| r.idle.is_some()).collect();
    if !idle.is_empty() {
        let _ = writeln!(
            out,
            "| W6 idle connections | system | conns | server bytes/conn | client bytes/conn | server peak RSS MiB |"
        );
        let _ = writeln!(out, "|---|---|--:|--:|--:|--:|");
        for row in idle {
            let Some(i) = &row.idle else { continue };
            let _ = writeln!(
                out,
                "| {} | {} | {}{} | {} | {} | {} |",
                row.shape,
                target_name(row),
                row.calls,
                errors_note(row),
                opt(i.server_bytes_per_conn, 0),
                opt(i.client_bytes_per_conn, 0),
                mib(row.server_peak_rss_kib),
            );
        }
        let _ = writeln!(out);
    }
    if !report.ratios.is_empty() {
        let _ = writeln!(out, "| ratio | value | target | status |");
        let _ = writeln!(out, "|---|--:|---|---|");
        for r in &report.ratios {
            let status = match r.met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "",
            };
            let _ = writeln!(
                out,
                "| {} | {:.2} | {} | {} |",
                r.name,
                r.value,
                r.target.as_deref().unwrap_or(""),
                status
            );
        }
    }
    out
}

/// `" (N errors)"` after a row's call count, when it had any.
fn errors_note(row: &Row) -> String {
    if row.errors > 0 {
        format!(" ({} errors)", row.errors)
    } else {
        String::new()
    }
}
