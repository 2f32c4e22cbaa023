//! Runs the soak program (`src/bin/soak.rs`) briefly: five seconds of 16 connections mixing
//! calls, watches, cancellations, disconnects and reconnects over TCP. It must report no
//! unexpected error and nothing left behind (watchers, connections, tasks), and exit 0.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The soak runs 5 s and then waits at most 10 s for each leftover to settle: 60 s means a hang.
const BOUND: Duration = Duration::from_secs(60);

#[test]
fn soak_for_five_seconds_leaves_nothing_behind() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_soak"))
        .args(["--seconds", "5", "--conns", "16", "--transport", "tcp"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting soak");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("soak still running after {BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (report, errors) = (out.join().unwrap(), err.join().unwrap());
    eprintln!("{report}");
    assert!(
        status.success(),
        "soak failed ({status}):\n{report}\n{errors}"
    );
    assert!(report.contains("unexpected errors: 0\n"), "{report}");
    assert!(
        report.contains("left behind: watchers 0, connections 0, tasks 0\n"),
        "{report}"
    );
    assert!(report.ends_with("result: ok\n"), "{report}");
}
