//! The fuzz targets.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use netrpc::proto::{Body, Codec, Limits, ServerInbound};
use netrpc::transport::{Connection, Peer};
use netrpc::{Empty, Server, go, service};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::Decoder as _;

/// Something that takes arbitrary bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Go's jsonrpc, server side: requests.
    JsonServer,
    /// Go's jsonrpc, client side: responses.
    JsonClient,
    /// netrpc's postcard framing, server side.
    PostcardServer,
    /// netrpc's postcard framing, client side.
    PostcardClient,
    /// netrpc's protobuf framing, server side.
    ProtobufServer,
    /// netrpc's protobuf framing, client side.
    ProtobufClient,
    /// A server connection speaking protobuf.
    EngineProtobuf,
    /// Go's gob, server side: requests.
    GobServer,
    /// Go's gob, client side: responses.
    GobClient,
    /// A server connection speaking jsonrpc.
    EngineJson,
    /// A server connection speaking postcard.
    EnginePostcard,
    /// A server connection speaking gob.
    EngineGob,
    /// A server connection detecting its codec (`auto`).
    EngineAuto,
    /// A plain gob stream (Go's `gob.Encoder` output), each value decoded into Go's types that
    /// serde does not have (`netrpc::go`'s time, math/big, marshaler and byte-string types,
    /// enums for interface values) and into `serde_json::Value`.
    GobValues,
    /// rpc-yamux's session core (a server), fed frames and driven by the input's own bytes.
    YamuxSession,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 15] = [
        Target::JsonServer,
        Target::JsonClient,
        Target::PostcardServer,
        Target::PostcardClient,
        Target::ProtobufServer,
        Target::ProtobufClient,
        Target::EngineProtobuf,
        Target::GobServer,
        Target::GobClient,
        Target::EngineJson,
        Target::EnginePostcard,
        Target::EngineGob,
        Target::EngineAuto,
        Target::GobValues,
        Target::YamuxSession,
    ];

    /// The name used on the command line and for corpus directories.
    pub fn name(self) -> &'static str {
        match self {
            Target::JsonServer => "json_server",
            Target::JsonClient => "json_client",
            Target::PostcardServer => "postcard_server",
            Target::PostcardClient => "postcard_client",
            Target::ProtobufServer => "protobuf_server",
            Target::ProtobufClient => "protobuf_client",
            Target::EngineProtobuf => "engine_protobuf",
            Target::GobServer => "gob_server",
            Target::GobClient => "gob_client",
            Target::EngineJson => "engine_json",
            Target::EnginePostcard => "engine_postcard",
            Target::EngineGob => "engine_gob",
            Target::EngineAuto => "engine_auto",
            Target::GobValues => "gob_values",
            Target::YamuxSession => "yamux_session",
        }
    }

    /// The target called `name`.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The codec the target's inputs are written in (gob for `yamux_session`, whose inputs are
    /// yamux frames: no codec reads them).
    pub fn codec(self) -> Arc<dyn Codec> {
        match self {
            Target::JsonServer | Target::JsonClient | Target::EngineJson => Arc::new(netrpc::Json),
            Target::PostcardServer | Target::PostcardClient | Target::EnginePostcard => {
                Arc::new(netrpc::Postcard)
            }
            Target::GobServer
            | Target::GobClient
            | Target::EngineGob
            | Target::EngineAuto
            | Target::GobValues
            | Target::YamuxSession => Arc::new(netrpc::Gob),
            Target::ProtobufServer | Target::ProtobufClient | Target::EngineProtobuf => {
                Arc::new(netrpc::Protobuf)
            }
        }
    }

    /// The codec the code under test runs.
    fn codec_under_test(self) -> Arc<dyn Codec> {
        match self {
            Target::EngineAuto => Arc::new(netrpc::Auto),
            _ => self.codec(),
        }
    }

    /// Runs the target on `data` and returns how much it got through: messages decoded, or
    /// bytes the server answered. Returns normally whatever the bytes are; a panic (or, for
    /// engine targets, a connection that does not close) is a finding.
    pub fn run(self, data: &[u8]) -> usize {
        match self {
            Target::JsonServer
            | Target::PostcardServer
            | Target::GobServer
            | Target::ProtobufServer => decode_requests(&*self.codec(), data),
            Target::JsonClient
            | Target::PostcardClient
            | Target::GobClient
            | Target::ProtobufClient => decode_responses(&*self.codec(), data),
            Target::EngineJson
            | Target::EnginePostcard
            | Target::EngineGob
            | Target::EngineAuto
            | Target::EngineProtobuf => serve_bytes(self.codec_under_test(), self.codec(), data),
            Target::GobValues => decode_gob_values(data),
            Target::YamuxSession => {
                let (chunk, stream) = chunking(data);
                crate::yamux::run(chunk, stream)
            }
        }
    }

    /// Whether the target runs a server connection (and so is slower, and allocates a runtime).
    pub fn is_engine(self) -> bool {
        matches!(
            self,
            Target::EngineJson
                | Target::EnginePostcard
                | Target::EngineGob
                | Target::EngineAuto
                | Target::EngineProtobuf
        )
    }

    /// The most bytes the target may hold allocated at once on one input of up to 8 KiB (see
    /// [`alloc`](crate::alloc)). Decoders work within small limits (4 KiB messages): 1 MiB is
    /// plenty, but for postcard, whose bodies serde's own `Deserialize` implementations
    /// preallocate for up to 1 MiB per sequence or map from a length prefix (a `HashMap`
    /// rounds it up to 2 MiB). Engine targets also build a runtime and a server. The yamux
    /// session holds no more than the input's data in its streams' buffers, within 1 MiB.
    pub fn alloc_bound(self) -> usize {
        match self {
            _ if self.is_engine() => 16 << 20,
            Target::PostcardServer | Target::PostcardClient => 4 << 20,
            _ => 1 << 20,
        }
    }
}

/// Small limits, so the size checks are reached by short inputs.
const LIMITS: Limits = Limits {
    max_message: 4096,
    max_depth: 32,
};

/// Splits `data` into the chunk size (its first byte) and the stream.
fn chunking(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 64) + 1, rest),
        None => (1, data),
    }
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Sample {
    a: i64,
    name: String,
    tags: Vec<String>,
    maybe: Option<Box<Sample>>,
    map: HashMap<String, u8>,
}

/// Decodes a body into several types; every outcome is fine as long as nothing panics.
fn decode_body(body: &Body) {
    let _ = body.decode::<String>();
    let _ = body.decode::<i64>();
    let _ = body.decode::<u8>();
    let _ = body.decode::<[String; 2]>();
    let _ = body.decode::<Vec<u64>>();
    let _ = body.decode::<HashMap<String, i32>>();
    let _ = body.decode::<Sample>();
    let _ = body.decode::<Empty>();
    let _ = body.decode::<f64>();
    let _ = body.decode::<serde_json::Value>();
}

/// A Go `interface{}` holding one of the types gob's corpus registers.
#[derive(Deserialize, Debug)]
#[allow(dead_code)]
enum Any {
    #[serde(rename = "int")]
    Int(i64),
    #[serde(rename = "string")]
    Str(String),
    #[serde(rename = "[]string")]
    Strings(Vec<String>),
    #[serde(rename = "main.Point")]
    Point(Point),
    #[serde(rename = "[]interface {}")]
    List(Vec<Any>),
    #[serde(rename = "map[string]interface {}")]
    Map(BTreeMap<String, Any>),
    #[serde(rename = "time.Time")]
    Time(go::Time),
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Point {
    x: i64,
    y: i64,
}

/// A struct of every type `netrpc::go` has, under the field names of gob's corpus
/// (`crates/rpc-codec/testdata/gob/gen`), so that mutated corpus values reach each of them.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct GoTypes {
    name: go::ByteString,
    when: go::Time,
    #[serde(rename = "UTC")]
    utc: go::Time,
    zone_sec: Option<go::Time>,
    zero: go::BigInt,
    neg: Option<go::BigInt>,
    rat: go::BigRat,
    float: Option<go::BigFloat>,
    third: go::BigFloat,
    link: go::Marshaled,
    price: go::Marshaled,
    level: go::Duration,
    note: go::ByteString,
    any: Option<Any>,
    payload: Any,
    items: Vec<Any>,
    attrs: BTreeMap<String, Any>,
}

/// Decodes a gob value into Go's types that serde does not have, and into JSON.
fn decode_go_types(body: &Body) {
    let _ = body.decode::<GoTypes>();
    let _ = body.decode::<go::Time>();
    let _ = body.decode::<Vec<go::Time>>();
    let _ = body.decode::<go::BigInt>();
    let _ = body.decode::<go::BigRat>();
    let _ = body.decode::<go::BigFloat>();
    let _ = body.decode::<go::Marshaled>();
    let _ = body.decode::<go::ByteString>();
    let _ = body.decode::<Any>();
    let _ = body.decode::<Option<Any>>();
    let _ = body.decode::<Vec<Any>>();
    let _ = body.decode::<HashMap<String, Any>>();
    let _ = body.decode::<serde_json::Value>();
    let _ = body.decode::<serde::de::IgnoredAny>();
    // What the numbers hold, as a Go program would use them (formatting is where big values
    // cost: it must stay bounded too).
    if let Ok(n) = body.decode::<go::BigFloat>() {
        let _ = (n.to_f64(), n.to_string());
    }
    if let Ok(n) = body.decode::<go::BigRat>() {
        let _ = n.to_string();
    }
    if let Ok(t) = body.decode::<go::Time>() {
        let _ = (t.to_string(), t.date(), t.clock(), t.gob_encode());
    }
}

/// Feeds a plain gob stream to gob's stream decoder.
fn decode_gob_values(data: &[u8]) -> usize {
    let (chunk, stream) = chunking(data);
    let mut decoder = netrpc::codec::gob::Decoder::new(&LIMITS);
    let mut buf = BytesMut::new();
    let mut decoded = 0;
    for piece in stream.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(body)) => {
                    decode_go_types(&body);
                    decoded += 1;
                }
                Ok(None) => break,
                Err(_) => return decoded,
            }
        }
    }
    decoded
}

fn decode_requests(codec: &dyn Codec, data: &[u8]) -> usize {
    let (chunk, stream) = chunking(data);
    let mut decoder = codec.server(&LIMITS).decoder;
    let mut buf = BytesMut::new();
    let mut decoded = 0;
    for piece in stream.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(ServerInbound::Request { header, body })) => {
                    let _ = header.split_method();
                    decode_body(&body);
                    decoded += 1;
                }
                Ok(Some(ServerInbound::Cancel { .. })) => decoded += 1,
                Ok(None) => break,
                Err(_) => return decoded,
            }
        }
    }
    while let Ok(Some(_)) = decoder.decode_eof(&mut buf) {}
    decoded
}

fn decode_responses(codec: &dyn Codec, data: &[u8]) -> usize {
    let (chunk, stream) = chunking(data);
    let mut decoder = codec.client(&LIMITS).decoder;
    let mut buf = BytesMut::new();
    let mut decoded = 0;
    for piece in stream.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(message)) => {
                    decode_body(&message.body);
                    decoded += 1;
                }
                Ok(None) => break,
                Err(_) => return decoded,
            }
        }
    }
    while let Ok(Some(_)) = decoder.decode_eof(&mut buf) {}
    decoded
}

/// The service the engine targets call.
struct FuzzService;

service! {
    impl FuzzService {
        #[rpc("Echo")]
        async fn echo(&self, text: String) -> Result<String, String> {
            Ok(text)
        }

        #[rpc("Add")]
        async fn add(&self, pair: [i64; 2]) -> Result<i64, String> {
            pair[0].checked_add(pair[1]).ok_or_else(|| "overflow".to_string())
        }

        #[rpc("Fail")]
        async fn fail(&self, message: String) -> Result<Empty, String> {
            Err(message)
        }
    }
}

/// How long one engine input may take before it counts as a hang.
const ENGINE_BOUND: Duration = Duration::from_secs(10);

/// How long to wait for the sentinel's reply before closing a stream the input left broken.
const BROKEN_STREAM_WAIT: Duration = Duration::from_millis(20);

/// The sequence number (jsonrpc id) of the sentinel call that ends every engine seed.
pub(crate) const SENTINEL: u64 = 987_654_321;

/// Serves one connection that receives `data` and then end of stream; the connection must close.
fn serve_bytes(codec: Arc<dyn Codec>, client_codec: Arc<dyn Codec>, data: &[u8]) -> usize {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => panic!("cannot build a runtime: {err}"),
    };
    let server = Server::builder()
        .register(FuzzService)
        .limits(LIMITS)
        .max_in_flight(64)
        .build();
    let data = data.to_vec();
    let codec_for_sentinel = client_codec;
    runtime.block_on(async move {
        let (client, served) = tokio::io::duplex(64 * 1024);
        let peer = Peer::new("mem", "fuzz");
        let connection = Connection::new(served, peer);
        let serving = server.serve_connection(connection, codec);
        let talking = async move {
            // Seeds end with a sentinel call: once its reply is in, everything the server could
            // parse has been answered. An input whose sentinel a mutation destroyed gets a short
            // wait instead.
            let (chunk, stream) = chunking(&data);
            let (mut rd, mut wr) = tokio::io::split(client);
            for piece in stream.chunks(chunk) {
                let _ = wr.write_all(piece).await;
            }
            let mut decoder = codec_for_sentinel.client(&LIMITS).decoder;
            let mut buf = BytesMut::new();
            let mut answered = 0;
            let until_sentinel = async {
                loop {
                    match decoder.decode(&mut buf) {
                        Ok(Some(reply)) if reply.header.seq == SENTINEL => return,
                        Ok(Some(_)) => answered += 1,
                        Ok(None) => {}
                        Err(_) => return,
                    }
                    match rd.read_buf(&mut buf).await {
                        Ok(n) if n > 0 => {}
                        _ => return,
                    }
                }
            };
            let _ = tokio::time::timeout(BROKEN_STREAM_WAIT, until_sentinel).await;
            let _ = wr.shutdown().await;
            let mut rest = Vec::new();
            let _ = rd.read_to_end(&mut rest).await;
            answered
        };
        let both = async { tokio::join!(serving, talking) };
        match tokio::time::timeout(ENGINE_BOUND, both).await {
            Ok(((), answered)) => answered,
            Err(_) => panic!("the server connection did not close within {ENGINE_BOUND:?}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_get_through() {
        for target in Target::ALL {
            for seed in crate::seeds(target) {
                assert!(
                    target.run(&seed) >= 2,
                    "{}: a seed got nowhere",
                    target.name()
                );
            }
        }
    }
}
