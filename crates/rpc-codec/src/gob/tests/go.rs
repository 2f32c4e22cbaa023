//! Go reads what we write: streams encoded here are checked by `testdata/gob/gen -verify`,
//! which decodes them with Go's encoding/gob and net/rpc and compares with the values Go
//! expects. These tests need `go` (1.19 or later) and fail without it.

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::BytesMut;
use rpc_proto::{
    Limits, Payload, RequestEncoder, RequestHeader, ResponseEncoder, ResponseHeader, ServerInbound,
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
    go_verify_with(bytes, kind, &[]);
}

/// [`go_verify`] with more arguments for `gen`.
fn go_verify_with(bytes: &[u8], kind: &str, args: &[&str]) {
    static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!(
        "rpc-codec-gob-{}-{kind}-{n}.gob",
        std::process::id()
    ));
    std::fs::write(&file, bytes).unwrap();
    let output = Command::new("go")
        .args(["run", "./gen", "-verify"])
        .arg(&file)
        .args(["-kind", kind])
        .args(args)
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

/// Go's decoder names a remote type by the name its definition gives it: netrpc gives slices,
/// arrays and maps Go's names, so Go's errors read as between Go programs.
#[test]
fn gos_errors_name_our_types() {
    #[derive(serde::Serialize)]
    enum Any {
        #[serde(rename = "int")]
        Int(i64),
    }
    let ty = GoType::parse("[]struct{A int; B []string}").unwrap();
    let empty = json!([]);
    let values: [(Box<dyn erased_serde::Serialize>, &str); 6] = [
        (Box::new(["k", "v"]), "[2]string"),
        (Box::new(vec![vec![1i32]]), "[][]int32"),
        (
            Box::new(std::collections::BTreeMap::from([("a", 1i64)])),
            "map[string]int64",
        ),
        (Box::new(vec![Any::Int(1)]), "[]interface {}"),
        (Box::new(vec![[1u8, 2]]), "[][2]uint8"),
        (
            Box::new(Typed::new(&empty, &ty)),
            "[]struct { A int; B []string }",
        ),
    ];
    for (value, name) in values {
        let mut wire = BytesMut::new();
        Encoder::new(&Limits::default())
            .encode(&value, &mut wire)
            .unwrap();
        go_verify_with(&wire, "remote-type", &["-want", name]);
    }
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
            Ok(reply) => {
                let response = ResponseHeader::ok(header.seq).with_token(header.token.clone());
                encoder
                    .encode_response(&response, Some(Payload::from(&*reply)), &mut wire)
                    .unwrap()
            }
            Err(message) => {
                let response =
                    ResponseHeader::error(header.seq, message).with_token(header.token.clone());
                encoder.encode_response(&response, None, &mut wire).unwrap()
            }
        }
    }
    go_verify(&wire, "rpc-responses");
}
