//! The bench smoke: `netrpc-bench --smoke --json` over every workload and peer (a few hundred
//! calls each, no timing assertions), so the harness keeps working. Go is required: without it
//! the benchmark cannot build its Go peer and this test fails.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

fn run_smoke() -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_netrpc-bench"))
        .args([
            "--smoke",
            "--json",
            "--smoke-calls",
            "100",
            "--watches",
            "200",
            "--watch-conns",
            "4",
            "--idle-conns",
            "20",
        ])
        // Go's build must not fetch anything (see scripts/test).
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .output()
        .expect("running netrpc-bench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "netrpc-bench --smoke failed ({}):\n{stderr}",
        output.status
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "netrpc-bench --json printed no JSON ({err}):\n{}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn text<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {row}"))
}

#[test]
fn smoke_runs_every_workload_against_every_peer() {
    let report = run_smoke();
    let rows = report["rows"].as_array().expect("rows");
    assert!(!rows.is_empty());

    for row in rows {
        let id = text(row, "id");
        assert_eq!(row["errors"].as_u64(), Some(0), "{id}: {row}");
        assert!(
            row["calls"].as_u64().is_some_and(|n| n > 0),
            "{id}: no calls: {row}"
        );
        assert!(
            row["calls_per_sec"].as_f64().is_some_and(|x| x > 0.0),
            "{id}: {row}"
        );
        if row.get("watch").is_none() && row.get("idle").is_none() {
            let p50 = row["latency"]["p50_us"].as_f64().expect("p50");
            let p99 = row["latency"]["p99_us"].as_f64().expect("p99");
            assert!(p50 > 0.0 && p99 >= p50, "{id}: latencies {row}");
        }
    }

    // Every workload ran.
    let workloads: BTreeSet<&str> = rows.iter().map(|r| text(r, "workload")).collect();
    assert_eq!(
        workloads,
        BTreeSet::from(["W1", "W2", "W3", "W4", "W5", "W6"])
    );
    // Every peer, and both clients.
    let systems: BTreeSet<(&str, &str)> = rows
        .iter()
        .map(|r| (text(r, "system"), text(r, "client")))
        .collect();
    for peer in [
        ("netrpc", "rust"),
        ("netrpc", "go"),
        ("tarpc", "rust"),
        ("go", "go"),
        ("echo", "rust"),
    ] {
        assert!(systems.contains(&peer), "no row for {peer:?}: {systems:?}");
    }
    // Every netrpc codec over every transport.
    let netrpc: BTreeSet<(&str, &str)> = rows
        .iter()
        .filter(|r| text(r, "system") == "netrpc")
        .map(|r| (text(r, "codec"), text(r, "transport")))
        .collect();
    for codec in ["postcard", "protobuf", "gob", "json"] {
        for transport in ["tcp", "unix", "tls", "mem"] {
            assert!(
                netrpc.contains(&(codec, transport)),
                "no netrpc {codec}/{transport}"
            );
        }
    }
    // Server CPU is measured for child-process servers.
    assert!(rows.iter().any(|r| r["server_cpu_us_per_call"].is_number()));

    // W5 woke every watch and measured its memory; W6 measured per-connection memory.
    let watch = rows
        .iter()
        .find(|r| r.get("watch").is_some())
        .expect("W5 row");
    assert_eq!(watch["calls"].as_u64(), Some(200), "{watch}");
    assert!(
        watch["watch"]["wake_ms"]
            .as_f64()
            .is_some_and(|ms| ms > 0.0)
    );
    assert!(
        watch["watch"]["server_bytes_per_watch"].is_number(),
        "{watch}"
    );
    let idle: Vec<&Value> = rows.iter().filter(|r| r.get("idle").is_some()).collect();
    assert!(idle.len() >= 4, "W6 rows: {idle:?}");
    for row in idle {
        assert!(row["idle"]["server_bytes_per_conn"].is_number(), "{row}");
    }

    // The ratios to the peers, with the targets marked.
    let ratios = report["ratios"].as_array().expect("ratios");
    let names: Vec<&str> = ratios.iter().map(|r| text(r, "name")).collect();
    for wanted in [
        "netrpc postcard/tcp / echo raw/tcp, calls/s",
        "netrpc postcard/tcp / tarpc postcard/tcp, calls/s",
        "netrpc gob/tcp <- go client / go gob/tcp <- go client, calls/s",
        "netrpc json/tcp <- go client / go json/tcp <- go client, calls/s",
        "netrpc postcard/tcp / echo raw/tcp, p50 latency",
    ] {
        assert!(
            names.iter().any(|n| n.contains(wanted)),
            "no ratio {wanted:?} in {names:?}"
        );
    }
    assert!(
        ratios.iter().any(|r| r["met"].is_boolean()),
        "no target evaluated"
    );

    // The machine is described.
    assert!(report["machine"]["cpus"].as_u64().is_some_and(|n| n > 0));
}

#[test]
fn serve_rejects_unknown_systems() {
    let output = Command::new(env!("CARGO_BIN_EXE_netrpc-bench"))
        .args(["serve", "nope"])
        .output()
        .expect("running netrpc-bench serve");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown system"));
}

#[test]
fn list_names_every_cell() {
    let output = Command::new(env!("CARGO_BIN_EXE_netrpc-bench"))
        .arg("--list")
        .output()
        .expect("running netrpc-bench --list");
    assert!(output.status.success());
    let list = String::from_utf8_lossy(&output.stdout);
    assert!(list.contains("W1 1x1 64B | netrpc postcard/tcp"), "{list}");
    assert!(
        list.contains("W5 100000 watches/16 conns | netrpc postcard/tcp"),
        "{list}"
    );
    assert!(
        list.contains("W3 16x16 64B | netrpc json/tcp <- go client"),
        "{list}"
    );
}
