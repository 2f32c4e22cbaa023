//! Valid inputs to start mutating from, made with the codecs themselves.

use bytes::BytesMut;
use netrpc::Empty;
use netrpc::proto::{Limits, Payload, RequestHeader, ResponseHeader, ServerInbound};

use crate::Target;

/// Streams Go itself wrote (`crates/rpc-codec/testdata/gob`): what Go's gob client and server
/// codecs send.
const GO_CLIENT_STREAM: &[u8] =
    include_bytes!("../../crates/rpc-codec/testdata/gob/rpc_client.gob");
const GO_SERVER_STREAM: &[u8] =
    include_bytes!("../../crates/rpc-codec/testdata/gob/rpc_server.gob");
/// Plain gob streams Go wrote: Go's types that serde does not have (time.Time, math/big,
/// marshalers, interface values, strings that are not UTF-8), and a zoo of every kind.
const GO_GOTYPES_STREAM: &[u8] = include_bytes!("../../crates/rpc-codec/testdata/gob/gotypes.gob");
const GO_ZOO_STREAM: &[u8] = include_bytes!("../../crates/rpc-codec/testdata/gob/zoo.gob");

/// Seeds for `target`: well-formed streams of several messages (with a chunk-size byte first).
pub fn seeds(target: Target) -> Vec<Vec<u8>> {
    if target == Target::GobValues {
        let mut out = Vec::new();
        for chunk in [0u8, 7, 63] {
            for stream in [GO_GOTYPES_STREAM, GO_ZOO_STREAM] {
                out.push([&[chunk][..], stream].concat());
            }
        }
        return out;
    }
    if target == Target::YamuxSession {
        return crate::yamux::seeds();
    }
    let codec = target.codec();
    let mut out = Vec::new();
    match target {
        Target::GobServer => out.push([&[5u8][..], GO_CLIENT_STREAM].concat()),
        Target::GobClient => out.push([&[5u8][..], GO_SERVER_STREAM].concat()),
        _ => {}
    }
    for chunk in [0u8, 7, 63] {
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&[chunk]);
        match target {
            Target::JsonClient
            | Target::PostcardClient
            | Target::ProtobufClient
            | Target::GobClient => {
                // Responses as a server writes them, to requests a client sent.
                let mut client = codec.client(&Limits::DEFAULT);
                let mut server = codec.server(&Limits::DEFAULT);
                let mut requests = BytesMut::new();
                for seq in 0..3u64 {
                    let header = RequestHeader::new("Fuzz.Echo", seq);
                    let _ = client.encoder.encode_request(&header, &"x", &mut requests);
                }
                // Each response carries a request's token, as the engine hands it back.
                let mut tokens = Vec::new();
                while let Ok(Some(message)) = server.decoder.decode(&mut requests) {
                    if let ServerInbound::Request { header, .. } = message {
                        tokens.push(header.token);
                    }
                }
                let token = |i: usize| tokens.get(i).cloned().unwrap_or_default();
                let _ = server.encoder.encode_response(
                    &ResponseHeader::ok(1).with_token(token(0)),
                    Some(Payload::from(&"hello")),
                    &mut buf,
                );
                let _ = server.encoder.encode_response(
                    &ResponseHeader::error(2, "not found").with_token(token(1)),
                    None,
                    &mut buf,
                );
                let _ = server.encoder.encode_response(
                    &ResponseHeader::ok(3).with_token(token(2)),
                    Some(Payload::from(&[1i64, -2])),
                    &mut buf,
                );
            }
            _ => {
                let mut client = codec.client(&Limits::DEFAULT);
                let requests: [(&str, &dyn netrpc::proto::erased_serde::Serialize); 5] = [
                    ("FuzzService.Echo", &"hello"),
                    ("FuzzService.Add", &[1i64, 2]),
                    ("FuzzService.Fail", &"boom"),
                    ("FuzzService.Nope", &Empty {}),
                    ("Nope", &0u8),
                ];
                for (seq, (method, arg)) in requests.into_iter().enumerate() {
                    let mut header = RequestHeader::new(method, seq as u64);
                    header.timeout = Some(std::time::Duration::from_secs(5));
                    let _ = client.encoder.encode_request(&header, arg, &mut buf);
                }
                let _ = client.encoder.encode_cancel(1, &mut buf);
                let sentinel = RequestHeader::new("FuzzService.Echo", crate::targets::SENTINEL);
                let _ = client
                    .encoder
                    .encode_request(&sentinel, &"sentinel", &mut buf);
            }
        }
        out.push(buf.to_vec());
    }
    out
}
