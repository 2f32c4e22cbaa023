//! The protobuf framing against an independent implementation: Go's net/rpc with the goproto
//! codec (`interop/goproto`, written with nothing but the stock protowire package), both ways.
//!
//! The test builds `interop/goproto/cmd/protopeer` with the `go` on `PATH` (or `$NETRPC_GO`)
//! from the vendored module, offline (`GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local`). It fails, rather than skips, when Go is missing. The
//! netrpc engine is not a dependency of this crate, so each side here is a small loop over the
//! codec and a blocking TCP socket.
#![cfg(feature = "protobuf")]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use bytes::BytesMut;
use rpc_codec::Protobuf;
use rpc_proto::{
    ClientInbound, Codec, CodecError, Limits, Payload, RequestHeader, ResponseHeader, ServerInbound,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Go's `Inner` in protopeer.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(rename_all = "PascalCase")]
struct Inner {
    #[serde(rename = "ID")]
    id: u32,
    label: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
enum Color {
    Red,
    Green,
    Blue,
}

/// Go's `Sample` in protopeer: the same fields in the same order.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(rename_all = "PascalCase")]
struct Sample {
    flag: bool,
    count: i64,
    negative: i32,
    unsigned: u64,
    ratio: f64,
    small: f32,
    name: String,
    data: Vec<u8>,
    tags: Vec<String>,
    numbers: Vec<i64>,
    inner: Inner,
    items: Vec<Inner>,
    counts: BTreeMap<String, i64>,
    maybe: Option<i64>,
    pair: [String; 2],
    color: Color,
    nested: Vec<Vec<String>>,
    missing: Option<Inner>,
}

/// protopeer's `ExampleSample`.
fn example_sample() -> Sample {
    Sample {
        flag: true,
        count: 1 << 40,
        negative: -7,
        unsigned: u64::MAX,
        ratio: 0.25,
        small: -1.5,
        name: "Grüße, 世界".into(),
        data: vec![0, 1, 200, 255],
        tags: vec!["a".into(), String::new(), "c".into()],
        numbers: vec![-1, 0, 300],
        inner: Inner {
            id: 9,
            label: "inner".into(),
        },
        items: vec![
            Inner {
                id: 1,
                label: String::new(),
            },
            Inner {
                id: 0,
                label: "two".into(),
            },
        ],
        counts: BTreeMap::from([("x".into(), 1), ("zero".into(), 0)]),
        maybe: Some(0),
        pair: ["k".into(), String::new()],
        color: Color::Blue,
        nested: vec![vec!["p".into(), "q".into()], vec![]],
        missing: None,
    }
}

fn goproto_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/goproto")
}

/// Builds protopeer once per test binary, offline from the vendored module.
fn protopeer() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let go = std::env::var("NETRPC_GO").unwrap_or_else(|_| "go".into());
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("protopeer");
        let status = Command::new(&go)
            .args(["build", "-o"])
            .arg(&out)
            .arg("./cmd/protopeer")
            .current_dir(goproto_dir())
            .env("GOFLAGS", "-mod=vendor -buildvcs=false")
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GOWORK", "off")
            .env("GO111MODULE", "on")
            .status()
            .unwrap_or_else(|e| {
                panic!("running `{go} build` failed ({e}): these tests need Go (set NETRPC_GO)")
            });
        assert!(status.success(), "`{go} build ./cmd/protopeer` failed");
        out
    })
}

/// A child process killed when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A blocking protobuf client on one TCP connection.
struct Client {
    stream: TcpStream,
    encoder: Box<dyn rpc_proto::RequestEncoder>,
    decoder: Box<dyn rpc_proto::ResponseDecoder>,
    inbox: BytesMut,
    seq: u64,
}

impl Client {
    fn connect(addr: &str) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let codec = Protobuf.client(&Limits::default());
        Self {
            stream,
            encoder: codec.encoder,
            decoder: codec.decoder,
            inbox: BytesMut::new(),
            seq: 0,
        }
    }

    fn send(&mut self, header: &RequestHeader, arg: &dyn erased_serde::Serialize) {
        let mut out = BytesMut::new();
        self.encoder.encode_request(header, arg, &mut out).unwrap();
        self.stream.write_all(&out).unwrap();
    }

    fn receive(&mut self) -> ClientInbound {
        loop {
            if let Some(response) = self.decoder.decode(&mut self.inbox).unwrap() {
                return response;
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).unwrap();
            assert!(n > 0, "the Go server closed the connection");
            self.inbox.extend_from_slice(&chunk[..n]);
        }
    }

    fn call<A: Serialize, R: DeserializeOwned>(
        &mut self,
        method: &str,
        arg: &A,
    ) -> Result<R, String> {
        self.seq += 1;
        let mut header = RequestHeader::new(method, self.seq);
        if self.seq % 2 == 0 {
            header.timeout = Some(Duration::from_secs(30));
        }
        self.send(&header, arg);
        let response = self.receive();
        assert_eq!(response.header.seq, self.seq);
        match response.header.error {
            Some(error) => Err(error),
            None => Ok(response.body.decode().unwrap()),
        }
    }

    fn cancel(&mut self, seq: u64) {
        let mut out = BytesMut::new();
        assert!(self.encoder.encode_cancel(seq, &mut out).unwrap());
        self.stream.write_all(&out).unwrap();
    }
}

#[test]
fn rust_client_calls_go_server() {
    let mut child = Command::new(protopeer())
        .args(["-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let peer = Peer(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("protopeer printed {line:?}"))
        .to_string();

    let mut client = Client::connect(&addr);
    assert_eq!(
        client.call::<_, String>("HelloService.Hello", &"rust".to_string()),
        Ok("hello:rust".to_string())
    );
    #[derive(Deserialize, Debug, PartialEq)]
    struct Empty {}
    assert_eq!(
        client.call::<_, Empty>(
            "KVStoreService.Set",
            &["key".to_string(), "value".to_string()]
        ),
        Ok(Empty {})
    );
    assert_eq!(
        client.call::<_, String>("KVStoreService.Get", &"key".to_string()),
        Ok("value".to_string())
    );
    assert_eq!(
        client.call::<_, String>("KVStoreService.Get", &"missing".to_string()),
        Err("not found".to_string())
    );
    // An empty key and value are still two elements of the repeated field.
    assert_eq!(
        client.call::<_, ()>("KVStoreService.Set", &[String::new(), String::new()]),
        Ok(())
    );
    assert_eq!(
        client.call::<_, String>("KVStoreService.Get", &String::new()),
        Ok(String::new())
    );
    let err = client
        .call::<_, String>("NoSuchService.Hello", &"x".to_string())
        .unwrap_err();
    assert!(err.contains("can't find service"), "{err}");

    // Go decodes what Rust encodes and back, field by field.
    let sample = example_sample();
    assert_eq!(
        client.call("MappingService.Echo", &sample),
        Ok(sample.clone())
    );
    assert_eq!(
        client.call("MappingService.Echo", &zero_sample()),
        Ok(zero_sample())
    );

    // A cancel is read (and dropped: net/rpc cannot stop a call), and the connection goes on.
    client.cancel(1);
    client.cancel(u64::MAX);
    assert_eq!(
        client.call::<_, String>("HelloService.Hello", &String::new()),
        Ok("hello:".to_string())
    );

    // A second connection, calls in flight at once.
    let mut second = Client::connect(&addr);
    for i in 0..10u64 {
        second.send(
            &RequestHeader::new("HelloService.Hello", 100 + i),
            &i.to_string(),
        );
    }
    let mut seqs: Vec<u64> = (0..10)
        .map(|_| {
            let response = second.receive();
            let reply: String = response.body.decode().unwrap();
            assert_eq!(reply, format!("hello:{}", response.header.seq - 100));
            response.header.seq
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (100..110).collect::<Vec<_>>());
    drop(peer);
}

fn zero_sample() -> Sample {
    Sample {
        flag: false,
        count: 0,
        negative: 0,
        unsigned: 0,
        ratio: 0.0,
        small: 0.0,
        name: String::new(),
        data: vec![],
        tags: vec![],
        numbers: vec![],
        inner: Inner {
            id: 0,
            label: String::new(),
        },
        items: vec![],
        counts: BTreeMap::new(),
        maybe: None,
        pair: [String::new(), String::new()],
        color: Color::Red,
        nested: vec![],
        missing: None,
    }
}

/// What the in-test server saw, for the checks after the Go client is done.
#[derive(Debug, Default)]
struct Seen {
    methods: Vec<String>,
    cancels: Vec<u64>,
    timeouts: Vec<Duration>,
}

/// Serves one connection with the seed's services (and MappingService.Echo) until it closes.
fn serve(mut stream: TcpStream) -> Result<Seen, CodecError> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let codec = Protobuf.server(&Limits::default());
    let (mut decoder, mut encoder) = (codec.decoder, codec.encoder);
    let mut store = HashMap::new();
    let mut seen = Seen::default();
    let mut inbox = BytesMut::new();
    let mut eof = false;
    loop {
        let item = if eof {
            decoder.decode_eof(&mut inbox)?
        } else {
            decoder.decode(&mut inbox)?
        };
        let Some(item) = item else {
            if eof {
                return Ok(seen);
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk)?;
            eof = n == 0;
            inbox.extend_from_slice(&chunk[..n]);
            continue;
        };
        let (header, body) = match item {
            ServerInbound::Cancel { seq } => {
                seen.cancels.push(seq);
                continue;
            }
            ServerInbound::Request { header, body } => (header, body),
        };
        seen.methods.push(header.service_method.clone());
        seen.timeouts.extend(header.timeout);
        let reply: Result<Box<dyn erased_serde::Serialize>, String> = match header
            .service_method
            .as_str()
        {
            "HelloService.Hello" => body
                .decode::<String>()
                .map(|name| Box::new(format!("hello:{name}")) as Box<dyn erased_serde::Serialize>)
                .map_err(|e| e.to_string()),
            "KVStoreService.Set" => body
                .decode::<[String; 2]>()
                .map(|[key, value]| {
                    store.insert(key, value);
                    Box::new(()) as Box<dyn erased_serde::Serialize>
                })
                .map_err(|e| e.to_string()),
            "KVStoreService.Get" => match body.decode::<String>() {
                Ok(key) => match store.get(&key) {
                    Some(value) => Ok(Box::new(value.clone()) as Box<dyn erased_serde::Serialize>),
                    None => Err("not found".to_string()),
                },
                Err(e) => Err(e.to_string()),
            },
            "MappingService.Echo" => body
                .decode::<Sample>()
                .map(|sample| Box::new(sample) as Box<dyn erased_serde::Serialize>)
                .map_err(|e| e.to_string()),
            other => Err(format!("rpc: can't find service {other}")),
        };
        let mut out = BytesMut::new();
        match &reply {
            Ok(value) => encoder.encode_response(
                &ResponseHeader::ok(header.seq),
                Some(Payload::from(value.as_ref())),
                &mut out,
            )?,
            Err(message) => encoder.encode_response(
                &ResponseHeader::error(header.seq, message.clone()),
                None,
                &mut out,
            )?,
        }
        stream.write_all(&out)?;
    }
}

#[test]
fn go_client_calls_rust_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        serve(stream)
    });
    let output = Command::new(protopeer())
        .args(["-connect", &addr.to_string(), "-extended"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "protopeer -connect failed: {}\n{stdout}{stderr}",
        output.status
    );
    assert!(stdout.contains("ok MappingService.Echo"), "{stdout}");
    let seen = server.join().unwrap().unwrap();
    assert_eq!(
        seen.methods,
        [
            "HelloService.Hello",
            "KVStoreService.Set",
            "KVStoreService.Get",
            "KVStoreService.Get",
            "MappingService.Echo",
            "HelloService.Hello",
        ]
    );
    assert_eq!(seen.cancels, [1 << 40]);
    assert_eq!(seen.timeouts, [Duration::from_millis(1500)]);
}

/// Go's encoding of protopeer's sample is the one this crate's mapping produces, byte for byte.
#[test]
fn go_and_rust_write_the_same_sample_bytes() {
    // protopeer echoes through Go; compare what comes back on the wire with our own encoding.
    let mut child = Command::new(protopeer())
        .args(["-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _peer = Peer(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let mut client = Client::connect(&addr);
    client.seq = 1;
    client.send(
        &RequestHeader::new("MappingService.Echo", 1),
        &example_sample(),
    );
    let response = client.receive();
    assert_eq!(response.header, ResponseHeader::ok(1));
    let ours = rpc_codec::protobuf::to_vec(&example_sample()).unwrap();
    // Go sorts map keys; BTreeMap does too, so the bytes match exactly.
    assert_eq!(&response.body.bytes()[..], &ours[..]);
}
