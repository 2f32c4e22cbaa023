//! `netrpc-fuzz TARGET [--seconds N] [--seed S]`: mutation fuzzing on stable Rust.
//!
//! Starts from the built-in seeds and `fuzz/corpus/TARGET/*`, mutates, and runs the target until
//! the time is up. An input that panics (or hangs an engine target, or holds more memory at
//! once than the target's allocation bound) is written to `fuzz/artifacts/TARGET/` and the run
//! exits 1; copy it to `fuzz/regressions/TARGET/` once fixed so the test suite replays it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use netrpc_fuzz::alloc::{Counting, measure};
use netrpc_fuzz::{Mutator, Target, seeds};

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(name) = args.next() else {
        let names: Vec<_> = Target::ALL.iter().map(|t| t.name()).collect();
        eprintln!(
            "usage: netrpc-fuzz TARGET [--seconds N] [--seed S]; targets: {}",
            names.join(", ")
        );
        return ExitCode::from(2);
    };
    let Some(target) = Target::from_name(&name) else {
        eprintln!("error: unknown target {name:?}");
        return ExitCode::from(2);
    };
    let mut seconds = 60u64;
    let mut seed = 1u64;
    while let Some(flag) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--seconds", Some(v)) => seconds = v,
            ("--seed", Some(v)) => seed = v,
            _ => {
                eprintln!("error: bad option {flag:?} (expected --seconds N or --seed S)");
                return ExitCode::from(2);
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut corpus = seeds(target);
    if let Ok(entries) = std::fs::read_dir(root.join("corpus").join(name.as_str())) {
        for entry in entries.flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                corpus.push(bytes);
            }
        }
    }
    // Quiet the default hook: findings are reported below.
    std::panic::set_hook(Box::new(|_| {}));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut mutator = Mutator::new(seed);
    let mut runs = 0u64;
    let mut kept = 0u64;
    while Instant::now() < deadline {
        let pick = (mutator.next_u64() % corpus.len() as u64) as usize;
        let other = (mutator.next_u64() % corpus.len() as u64) as usize;
        let input = mutator.mutate(&corpus[pick], &corpus[other], 8192);
        runs += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| measure(|| target.run(&input))));
        let finding = match &outcome {
            Err(_) => Some("panicked".to_string()),
            Ok((_, peak)) if *peak > target.alloc_bound() => Some(format!(
                "held {peak} bytes at once (bound {})",
                target.alloc_bound()
            )),
            Ok(_) => None,
        };
        if let Some(finding) = finding {
            let dir = root.join("artifacts").join(name.as_str());
            let path = dir.join(format!("crash-{seed}-{runs}"));
            let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &input));
            eprintln!(
                "{name}: input {runs} {finding}; saved to {} ({saved:?})",
                path.display()
            );
            return ExitCode::from(1);
        }
        let got_through = outcome.map_or(0, |(got_through, _)| got_through);
        // Crude feedback: keep inputs that still get some messages through, so mutations
        // build on streams the code under test parses rather than on garbage.
        if got_through > 0 && corpus.len() < 4096 {
            corpus.push(input);
            kept += 1;
        }
    }
    println!("{name}: {runs} inputs in {seconds} s ({kept} kept as seeds), no finding");
    ExitCode::SUCCESS
}
