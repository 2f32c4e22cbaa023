//! Charts of a report, as SVG files for BENCHMARKS.md: calls per second of each system per
//! workload, and latency against calls in flight.
//!
//! Drawn with `plotters` (SVG backend only: no fonts or image libraries are loaded).

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::{Report, Row};

/// The systems each chart compares, by the part of a row's id after the workload, with the
/// label and colour they get.
struct Series {
    system: &'static str,
    label: &'static str,
    color: RGBColor,
}

/// Rust peers: netrpc, tarpc and the echo ceiling, over TCP.
const RUST: &[Series] = &[
    Series {
        system: "echo raw/tcp",
        label: "echo ceiling (no RPC)",
        color: RGBColor(160, 160, 160),
    },
    Series {
        system: "netrpc postcard/tcp",
        label: "netrpc postcard",
        color: RGBColor(31, 119, 180),
    },
    Series {
        system: "tarpc bincode/tcp",
        label: "tarpc bincode",
        color: RGBColor(255, 127, 14),
    },
    Series {
        system: "tarpc postcard/tcp",
        label: "tarpc postcard",
        color: RGBColor(214, 39, 40),
    },
];

/// Go peers: netrpc's and Go's servers under Go's client.
const GO: &[Series] = &[
    Series {
        system: "netrpc gob/tcp <- go client",
        label: "netrpc gob server (Go client)",
        color: RGBColor(23, 190, 207),
    },
    Series {
        system: "go gob/tcp <- go client",
        label: "Go net/rpc gob server (Go client)",
        color: RGBColor(44, 160, 44),
    },
    Series {
        system: "netrpc json/tcp <- go client",
        label: "netrpc jsonrpc server (Go client)",
        color: RGBColor(148, 103, 189),
    },
    Series {
        system: "go json/tcp <- go client",
        label: "Go jsonrpc server (Go client)",
        color: RGBColor(140, 86, 75),
    },
];

/// The throughput workloads, in order, with the calls each keeps in flight.
const WORKLOADS: &[(&str, u32)] = &[
    ("W1 1x1 64B", 1),
    ("W2 1x16 64B", 16),
    ("W3 64x1 64B", 64),
    ("W2 1x128 64B", 128),
    ("W3 16x16 64B", 256),
    ("W4 1x16 1KiB", 16),
    ("W4 1x16 64KiB", 16),
    ("W4 1x16 1MiB", 16),
];

/// The workloads of the latency chart: 64-byte calls on one connection, by calls in flight.
fn latency_workloads() -> impl Iterator<Item = (&'static str, u32)> {
    WORKLOADS
        .iter()
        .copied()
        .filter(|(name, _)| name.ends_with("64B") && name.contains(" 1x"))
}

/// The row of `system` in `workload`, if the report has it.
fn find<'r>(report: &'r Report, workload: &str, system: &str) -> Option<&'r Row> {
    report
        .rows
        .iter()
        .find(|row| row.id == format!("{workload} | {system}") && row.calls > 0)
}

/// Draws every chart of `report` into `dir`, returning the files written.
pub fn draw(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let charts: [(&str, &str, &[Series]); 2] = [
        (
            "calls-rust.svg",
            "calls/s over TCP: netrpc, tarpc and the echo ceiling",
            RUST,
        ),
        (
            "calls-go.svg",
            "calls/s under Go's client: netrpc's and Go's servers",
            GO,
        ),
    ];
    let mut written = Vec::new();
    for (file, title, series) in charts {
        let path = dir.join(file);
        calls_chart(report, &path, title, series).map_err(|err| format!("{file}: {err}"))?;
        written.push(path);
    }
    let path = dir.join("latency.svg");
    latency_chart(report, &path).map_err(|err| format!("latency.svg: {err}"))?;
    written.push(path);
    Ok(written)
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Grouped bars: one group per workload, one bar per system, calls/s on a log scale (the
/// figures span three orders of magnitude).
fn calls_chart(report: &Report, path: &Path, title: &str, series: &[Series]) -> DrawResult {
    let workloads: Vec<(&str, u32)> = WORKLOADS
        .iter()
        .copied()
        .filter(|(w, _)| series.iter().any(|s| find(report, w, s.system).is_some()))
        .collect();
    let max = workloads
        .iter()
        .flat_map(|(w, _)| series.iter().filter_map(|s| find(report, w, s.system)))
        .map(|row| row.calls_per_sec)
        .fold(1.0, f64::max);
    let min = workloads
        .iter()
        .flat_map(|(w, _)| series.iter().filter_map(|s| find(report, w, s.system)))
        .map(|row| row.calls_per_sec)
        .fold(f64::INFINITY, f64::min);
    // The axis starts at the power of ten below the smallest bar, and leaves room above the
    // tallest for the legend.
    let floor = if min.is_finite() && min >= 1.0 {
        10f64.powf(min.log10().floor())
    } else {
        1.0
    };
    let root = SVGBackend::new(path, (960, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let groups = workloads.len().max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..groups as f64, (floor..max * 8.0).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("calls/s (log scale)")
        .y_label_formatter(&|y| format_count(*y))
        .draw()?;
    // One label under each group (plotters' own labels fall on round numbers only).
    for (g, (w, _)) in workloads.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(g as f64 + 0.5, floor));
        root.draw(&Text::new(
            w.replace(" 64B", ""),
            (x, y + 8),
            ("sans-serif", 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    let width = 0.8 / series.len() as f64;
    for (i, s) in series.iter().enumerate() {
        let bars: Vec<(f64, f64)> = workloads
            .iter()
            .enumerate()
            .filter_map(|(g, (w, _))| {
                find(report, w, s.system).map(|row| (g as f64, row.calls_per_sec))
            })
            .collect();
        let color = s.color;
        chart
            .draw_series(bars.iter().map(|&(g, value)| {
                let left = g + 0.1 + width * i as f64;
                Rectangle::new([(left, floor), (left + width, value)], color.filled())
            }))?
            .label(s.label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Lines: median latency against calls in flight (64-byte calls), one line per system.
fn latency_chart(report: &Report, path: &Path) -> DrawResult {
    let series: Vec<&Series> = RUST.iter().chain(&GO[..2]).collect();
    let mut lines: Vec<(&Series, Vec<(f64, f64)>)> = Vec::new();
    for s in series {
        let mut points: Vec<(f64, f64)> = latency_workloads()
            .filter_map(|(w, in_flight)| {
                find(report, w, s.system).map(|row| (f64::from(in_flight), row.latency.p50_us))
            })
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !points.is_empty() {
            lines.push((s, points));
        }
    }
    let max = lines
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.1))
        .fold(1.0, f64::max);
    let root = SVGBackend::new(path, (960, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "median latency against calls in flight on one connection (64-byte calls, TCP)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((1f64..160f64).log_scale(), (10f64..max * 2.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("calls in flight (log scale)")
        .y_desc("p50 latency, µs (log scale)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (s, points) in lines {
        let color = s.color;
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(s.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2)));
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// `2.5M`, `160k`, `900`.
fn format_count(n: f64) -> String {
    if n >= 1e6 {
        format!("{}M", trim(n / 1e6))
    } else if n >= 1e3 {
        format!("{}k", trim(n / 1e3))
    } else {
        format!("{n:.0}")
    }
}

fn trim(x: f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_short() {
        assert_eq!(format_count(2_946_216.0), "2.9M");
        assert_eq!(format_count(160_000.0), "160k");
        assert_eq!(format_count(1_000_000.0), "1M");
        assert_eq!(format_count(999.0), "999");
    }

    #[test]
    fn the_saved_report_draws() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("results/latest.json"),
        )
        .unwrap();
        let report: Report = serde_json::from_str(&text).unwrap();
        let dir = std::env::temp_dir().join(format!("netrpc-bench-charts-{}", std::process::id()));
        let files = draw(&report, &dir).unwrap();
        assert_eq!(files.len(), 3);
        for file in &files {
            let svg = std::fs::read_to_string(file).unwrap();
            assert!(svg.starts_with("<svg"), "{}", file.display());
            // Every series of the chart is in its legend.
            assert!(svg.contains("netrpc"), "{}", file.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
