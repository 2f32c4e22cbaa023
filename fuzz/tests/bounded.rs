//! The bounded fuzz run CI does: every target replays its seeds, its saved regressions
//! (`fuzz/regressions/<target>/`) and a fixed number of deterministic mutations, each within
//! the target's allocation bound. Longer runs:
//! `cargo run --release -p netrpc-fuzz --bin netrpc-fuzz -- TARGET --seconds 600`.

use std::path::PathBuf;

use netrpc_fuzz::alloc::{Counting, measure};
use netrpc_fuzz::{Mutator, Target, seeds};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Mutations per decoder target; engine targets get fewer (each runs a server connection), and
/// so does `gob_values` (each value is decoded into some twenty types, and its numbers and
/// times formatted).
const DECODER_RUNS: u64 = 20_000;
const GOB_VALUES_RUNS: u64 = 5_000;
const ENGINE_RUNS: u64 = 300;

fn regressions(target: Target) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target.name());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect()
}

/// Runs `target` on `input`, which must stay within the target's allocation bound.
fn run_bounded(target: Target, input: &[u8], what: &dyn std::fmt::Display) {
    let ((), peak) = measure(|| {
        target.run(input);
    });
    assert!(
        peak <= target.alloc_bound(),
        "{} held {peak} bytes at once on {what} (bound {}): {input:?}",
        target.name(),
        target.alloc_bound()
    );
}

fn run(target: Target) {
    let corpus = seeds(target);
    for (i, input) in corpus.iter().enumerate() {
        run_bounded(target, input, &format_args!("seed {i}"));
    }
    for (i, input) in regressions(target).iter().enumerate() {
        run_bounded(target, input, &format_args!("regression {i}"));
    }
    let runs = match target {
        _ if target.is_engine() => ENGINE_RUNS,
        Target::GobValues => GOB_VALUES_RUNS,
        _ => DECODER_RUNS,
    };
    let mut mutator = Mutator::new(0x5eed ^ target.name().len() as u64);
    for i in 0..runs {
        let pick = (mutator.next_u64() % corpus.len() as u64) as usize;
        let other = (mutator.next_u64() % corpus.len() as u64) as usize;
        let input = mutator.mutate(&corpus[pick], &corpus[other], 8192);
        let outcome =
            std::panic::catch_unwind(|| run_bounded(target, &input, &format_args!("mutation {i}")));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            panic!(
                "{} failed on mutation {i}: {message}\ninput: {input:?}",
                target.name()
            );
        }
    }
}

#[test]
fn json_server() {
    run(Target::JsonServer);
}

#[test]
fn json_client() {
    run(Target::JsonClient);
}

#[test]
fn postcard_server() {
    run(Target::PostcardServer);
}

#[test]
fn postcard_client() {
    run(Target::PostcardClient);
}

#[test]
fn engine_json() {
    run(Target::EngineJson);
}

#[test]
fn engine_postcard() {
    run(Target::EnginePostcard);
}

#[test]
fn gob_server() {
    run(Target::GobServer);
}

#[test]
fn gob_client() {
    run(Target::GobClient);
}

#[test]
fn engine_gob() {
    run(Target::EngineGob);
}

#[test]
fn engine_auto() {
    run(Target::EngineAuto);
}

#[test]
fn protobuf_server() {
    run(Target::ProtobufServer);
}

#[test]
fn protobuf_client() {
    run(Target::ProtobufClient);
}

#[test]
fn engine_protobuf() {
    run(Target::EngineProtobuf);
}

#[test]
fn gob_values() {
    run(Target::GobValues);
}

/// The bound is real: `measure` sees what a run holds at once, not what it allocated in all.
#[test]
fn allocations_are_counted() {
    let (len, peak) = measure(|| vec![1u8; 3 << 20].len());
    assert_eq!(len, 3 << 20);
    assert!((3 << 20..4 << 20).contains(&peak), "{peak}");
    let ((), peak) = measure(|| {
        for _ in 0..100 {
            drop(std::hint::black_box(vec![1u8; 1 << 20]));
        }
    });
    assert!((1 << 20..2 << 20).contains(&peak), "{peak}");
}

#[test]
fn yamux_session() {
    run(Target::YamuxSession);
}
