//! Go reads what we write: streams encoded here are checked by `testdata/gob/gen -verify`,
//! which decodes them with Go's encoding/gob and net/rpc and compares with the values Go
//! expects. These tests need `go` (1.19 or later) and fail without it.

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::BytesMut;
use rpc_proto::{
    Limits, RequestEncoder, RequestHeader, ResponseEncoder, ResponseHeader, ServerInbound,
};
use serde_json::json;

use super::corpus::{RPC_CLIENT, calls, gotypes, replies, singles, zoo};
use super::hint::hinted_values;
use crate::gob::dynamic::{GoType, Typed};
use crate::gob::{Encoder, Gob};
use crate::test_util::decode_all;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/gob")
}

/// Runs `go run ./gen -verify FILE -kind KIND` on `bytes`; panics with Go's complaint if Go does
/// not read the expected values, or if `go` cannot be run.
fn go_verify(bytes: &[u8], kind: &str) {
    let file =
        std::env::temp_dir().join(format!("rpc-codec-gob-{}-{kind}.gob", std::process::id()));
    std::fs::write(&file, bytes).unwrap();
    let output = Command::new("go")
        .args(["run", "./gen", "-verify"])
        .arg(&file)
        .args(["-kind", kind])
        .current_dir(testdata())
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .output();
    let _ = std::fs::remove_file(&file);
    let output = output.unwrap_or_else(|err| {
        panic!("cannot run `go` (needed to check that Go reads netrpc's gob): {err}")
    });
    assert!(
        output.status.success(),
        "Go does not read our {kind} stream as expected:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn go_reads_our_zoo() {
    let mut encoder = Encoder::new(&Limits::default());
    let mut wire = BytesMut::new();
    encoder.encode(&zoo(), &mut wire).unwrap();
    for single in singles() {
        encoder.encode(&single.encode, &mut wire).unwrap();
    }
    go_verify(&wire, "zoo");
}

/// gotypes.gob's values as the Rust types hold them (time.Time, math/big, marshalers, interface
/// values, strings that are not UTF-8): Go reads them as the values it wrote.
#[test]
fn go_reads_our_gotypes() {
    let mut encoder = Encoder::new(&Limits::default());
    let mut wire = BytesMut::new();
    for value in gotypes() {
        encoder.encode(&value.encode, &mut wire).unwrap();
    }
    go_verify(&wire, "gotypes");
}

#[test]
fn go_reads_our_dynamic_values() {
    let values = [
        (json!([]), "[]int"),
        (json!({}), "map[int]string"),
        (json!([]), "[]struct{A int; B string}"),
        (json!({"A": 1, "B": "x"}), "struct{A int; B string}"),
        (json!({"k": [1]}), "map[string][]int"),
        (
            json!({"Name": "n", "Limit": 10}),
            "struct{Name string; Tags []string; Limit *int32; Flags map[string]bool}",
        ),
        (json!([1, 2.5, -3]), "[3]float64"),
        (json!([1, 2, 3]), "[]byte"),
        (json!([[], []]), "[][]int"),
    ];
    let mut encoder = Encoder::new(&Limits::default());
    let mut wire = BytesMut::new();
    for (value, ty) in &values {
        let ty = GoType::parse(ty).unwrap();
        encoder.encode(&Typed::new(value, &ty), &mut wire).unwrap();
    }
    go_verify(&wire, "dynamic");
}

#[test]
fn go_reads_our_hinted_values() {
    let mut encoder = Encoder::new(&Limits::default());
    let mut wire = BytesMut::new();
    for value in hinted_values() {
        encoder.encode(&*value, &mut wire).unwrap();
    }
    go_verify(&wire, "hinted");
}

#[test]
fn gos_server_answers_our_requests() {
    let (mut encoder, _) = Gob.client_parts(&Limits::default());
    let mut wire = BytesMut::new();
    for (seq, (method, arg)) in calls().into_iter().enumerate() {
        encoder
            .encode_request(&RequestHeader::new(method, seq as u64), &*arg, &mut wire)
            .unwrap();
    }
    go_verify(&wire, "rpc-requests");
}

#[test]
fn gos_client_reads_our_responses() {
    // Our server reads Go's client stream (so it knows each call's method) and answers.
    let (mut decoder, mut encoder) = Gob.server_parts(&Limits::default());
    let requests = decode_all(&mut decoder, RPC_CLIENT).unwrap();
    let mut wire = BytesMut::new();
    for (request, reply) in requests.iter().zip(replies()) {
        let ServerInbound::Request { header, .. } = request else {
            unreachable!()
        };
        match reply {
            Ok(reply) => encoder
                .encode_response(&ResponseHeader::ok(header.seq), Some(&*reply), &mut wire)
                .unwrap(),
            Err(message) => encoder
                .encode_response(&ResponseHeader::error(header.seq, message), None, &mut wire)
                .unwrap(),
        }
    }
    go_verify(&wire, "rpc-responses");
}
