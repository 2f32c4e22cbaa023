//! The bounded fuzz run CI does: every target replays its seeds, its saved regressions
//! (`fuzz/regressions/<target>/`) and a fixed number of deterministic mutations. Longer runs:
//! `cargo run --release -p netrpc-fuzz --bin netrpc-fuzz -- TARGET --seconds 600`.

use std::path::PathBuf;

use netrpc_fuzz::{Mutator, Target, seeds};

/// Mutations per decoder target; engine targets get fewer (each runs a server connection).
const DECODER_RUNS: u64 = 20_000;
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

fn run(target: Target) {
    let corpus = seeds(target);
    for input in corpus.iter().chain(regressions(target).iter()) {
        target.run(input);
    }
    let runs = match target {
        Target::EngineJson
        | Target::EnginePostcard
        | Target::EngineGob
        | Target::EngineAuto
        | Target::EngineProtobuf => ENGINE_RUNS,
        _ => DECODER_RUNS,
    };
    let mut mutator = Mutator::new(0x5eed ^ target.name().len() as u64);
    for i in 0..runs {
        let pick = (mutator.next_u64() % corpus.len() as u64) as usize;
        let other = (mutator.next_u64() % corpus.len() as u64) as usize;
        let input = mutator.mutate(&corpus[pick], &corpus[other], 8192);
        let outcome = std::panic::catch_unwind(|| target.run(&input));
        assert!(
            outcome.is_ok(),
            "{} panicked on mutation {i}: {input:?}",
            target.name()
        );
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
