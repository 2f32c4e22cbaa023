//! The type zoo over gob, both ways: Go's `zoo` program (`go/cmd/zoo`) and netrpc's
//! `interop::zoo` (the same types, the same canonical value, the same `ZooService`) check that
//! nested structs, maps, slices, arrays, pointers, recursive types, extreme integers, NaN and
//! the infinities, byte slices and unicode survive exactly: Go's client against netrpc's
//! service, netrpc's client against Go's service, and each against itself as a control.
//!
//! Also here: values at the edges of what netrpc's gob can match Go on (empty top-level slices
//! and maps, fields the receiver does not know), where Go's behaviour is the expectation.
//!
//! Every test binds loopback port 0, learns addresses from `listening on ADDR` lines, and bounds
//! every wait; Go must be installed (`scripts/test` installs it).

mod common;

use common::*;
use interop::zoo::{
    Failures, Inner, Tree, Zoo, ZooService, check_empty_containers, check_zoo_service, difference,
};
use interop::{Process, Stream, go_program};
use netrpc::{Client, Codec, Gob, Server};

/// Go's `zoo -listen 127.0.0.1:0` and its address.
fn go_zoo_server() -> (Process, String) {
    let mut command = go_program("zoo");
    command.args(["-listen", "127.0.0.1:0"]);
    let server = Process::spawn("zoo -listen", command);
    let addr = server.listening_on(Stream::Stdout);
    (server, addr)
}

/// Runs Go's `zoo -connect ADDR -cases CASES` to the end; fails the test unless every check
/// passed.
fn go_zoo_client(addr: &str, cases: &str) {
    let mut command = go_program("zoo");
    command.args(["-connect", addr, "-cases", cases]);
    Process::spawn(&format!("zoo -connect -cases {cases}"), command).wait_success();
}

/// Serves netrpc's `ZooService` with `codec` on a loopback port; returns the server, its
/// address and the serve loop.
async fn netrpc_zoo_server(codec: impl Codec) -> (Server, String, tokio::task::JoinHandle<()>) {
    let server = Server::builder().register(ZooService).build();
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().to_string();
    let serving = tokio::spawn({
        let server = server.clone();
        async move { server.serve(listener, codec).await }
    });
    (server, addr, serving)
}

fn assert_no_failures(what: &str, failures: Failures) {
    assert!(
        failures.0.is_empty(),
        "{what}: {} failed checks:\n{}",
        failures.0.len(),
        failures.0.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The zoo

#[test]
fn control_go_zoo_client_against_go_zoo_server() {
    let (_server, addr) = go_zoo_server();
    for cases in ["all", "empty", "skip"] {
        go_zoo_client(&addr, cases);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn control_netrpc_zoo_client_against_netrpc_zoo_service() {
    let (server, addr, serving) = netrpc_zoo_server(Gob).await;
    let client = bounded("dial", Client::dial(&addr, Gob)).await.unwrap();
    assert_no_failures("netrpc against netrpc", check_zoo_service(&client).await);
    client.close();
    bounded(
        "shutdown",
        server.shutdown(std::time::Duration::from_secs(5)),
    )
    .await;
    bounded("serve loop", serving).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn zoo_netrpc_client_against_go_zoo_server() {
    let (_server, addr) = blocking(go_zoo_server).await;
    let client = bounded("dial", Client::dial(&addr, Gob)).await.unwrap();
    assert_no_failures("netrpc against Go", check_zoo_service(&client).await);
    // Go's canonical zoo, decoded here, has its NaNs and extremes.
    let zoo: Zoo = call(&client, "ZooService.Canonical", &netrpc::Empty {})
        .await
        .unwrap();
    assert!(zoo.nan.is_nan() && zoo.floats[0].is_nan() && zoo.matrix[1][0].is_nan());
    assert_eq!(
        (zoo.int64_min, zoo.int64_max, zoo.uint64_max),
        (i64::MIN, i64::MAX, u64::MAX)
    );
    assert_eq!(
        (zoo.pos_inf, zoo.neg_inf),
        (f64::INFINITY, f64::NEG_INFINITY)
    );
    assert_eq!(difference(&zoo, &Zoo::canonical()), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn zoo_go_client_against_netrpc_zoo_service() {
    for auto in [false, true] {
        let (server, addr, serving) = if auto {
            netrpc_zoo_server(netrpc::Auto).await
        } else {
            netrpc_zoo_server(Gob).await
        };
        blocking(move || go_zoo_client(&addr, "all")).await;
        bounded(
            "shutdown",
            server.shutdown(std::time::Duration::from_secs(5)),
        )
        .await;
        bounded("serve loop", serving).await.unwrap();
    }
}

// Fields the receiver does not know: Go's gob skips them, whatever their kind (Go's
// `ignoreInterface` skips a non-nil interface value: its name, the concrete type's id after any
// type definitions, then a byte count and that many bytes); netrpc's gob must too, including a
// non-nil interface value.

#[tokio::test(flavor = "multi_thread")]
async fn zoo_netrpc_client_skips_fields_it_does_not_know_from_go() {
    let (_server, addr) = blocking(go_zoo_server).await;
    let client = bounded("dial", Client::dial(&addr, Gob)).await.unwrap();
    // The canonical zoo read as a few of its fields: the rest (maps, arrays, pointers,
    // recursive types) is skipped.
    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Few {
        int64_min: i64,
        text: String,
        tree: Tree,
    }
    let few: Few = call(&client, "ZooService.Canonical", &netrpc::Empty {})
        .await
        .unwrap();
    let zoo = Zoo::canonical();
    assert_eq!((few.int64_min, &few.text), (zoo.int64_min, &zoo.text));
    assert_eq!(difference(&few.tree, &zoo.tree), None);

    // Go's InnerPlus: Inner's fields and, between them, a slice, an interface holding an int, a
    // map of structs, a struct, a time.Time (GobEncoder) and a []byte.
    let inner: Inner = call(&client, "ZooService.Extras", &netrpc::Empty {})
        .await
        .unwrap();
    let want = Inner {
        name: "n".into(),
        tags: vec!["t".into()],
        score: 1.5,
    };
    assert_eq!(difference(&inner, &want), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn zoo_go_client_sends_fields_netrpc_does_not_know() {
    let (server, addr, serving) = netrpc_zoo_server(Gob).await;
    blocking(move || go_zoo_client(&addr, "skip")).await;
    bounded(
        "shutdown",
        server.shutdown(std::time::Duration::from_secs(5)),
    )
    .await;
    bounded("serve loop", serving).await.unwrap();
}

// Empty slices and maps as top-level values. serde shows a value's type only through the value,
// so an empty `Vec<T>` or map alone cannot show its element type; Go refuses one of the wrong
// element type (its server answers with a decoding error; its client shuts the whole connection
// down). netrpc's replies carry the type traced from the reply type's `Deserialize`, and the
// client side sends its arguments through `gob::Hinted` for the same reason.

#[tokio::test(flavor = "multi_thread")]
async fn control_netrpc_empty_containers_against_netrpc_zoo_service() {
    let (server, addr, serving) = netrpc_zoo_server(Gob).await;
    let dial = || async { bounded("dial", Client::dial(&addr, Gob)).await.unwrap() };
    assert_no_failures("netrpc against netrpc", check_empty_containers(dial).await);
    bounded(
        "shutdown",
        server.shutdown(std::time::Duration::from_secs(5)),
    )
    .await;
    bounded("serve loop", serving).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn zoo_netrpc_client_sends_empty_slices_and_maps_to_go() {
    let (_server, addr) = blocking(go_zoo_server).await;
    let dial = || async { bounded("dial", Client::dial(&addr, Gob)).await.unwrap() };
    assert_no_failures("netrpc against Go", check_empty_containers(dial).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn zoo_go_client_gets_empty_slices_and_maps_back_from_netrpc() {
    let (server, addr, serving) = netrpc_zoo_server(Gob).await;
    blocking(move || go_zoo_client(&addr, "empty")).await;
    bounded(
        "shutdown",
        server.shutdown(std::time::Duration::from_secs(5)),
    )
    .await;
    bounded("serve loop", serving).await.unwrap();
}
