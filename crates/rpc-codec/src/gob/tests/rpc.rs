//! The gob rpc codec end to end: client encoder -> server decoder -> server encoder -> client
//! decoder, stream boundaries, limits and hostile input.

use std::fmt::Debug;
use std::time::Duration;

use bytes::BytesMut;
use rpc_proto::{
    ClientInbound, Codec, CodecError, Limits, Payload, RequestEncoder, RequestHeader,
    ResponseEncoder, ResponseHeader, ServerInbound, Token,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio_util::codec::Decoder;

use crate::gob::{Gob, ServerDecoder};
use crate::test_util::{Args, big_string, decode_all, decode_bytewise, decode_chunked};

fn limits(max_message: usize, max_depth: usize) -> Limits {
    Limits {
        max_message,
        max_depth,
    }
}

/// Sends `arg` as the argument of a call and `reply` back as its reply, twice (the second time
/// with the types already defined), checking both decode to what was sent.
fn round_trip<A, R>(arg: &A, reply: &R)
where
    A: Serialize + DeserializeOwned + PartialEq + Debug,
    R: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let limits = Limits::default();
    let mut client = Gob.client(&limits);
    let mut server = Gob.server(&limits);
    for seq in [41, 42] {
        let mut wire = BytesMut::new();
        let mut header = RequestHeader::new("Svc.Method", seq);
        header.timeout = Some(Duration::from_secs(3));
        client
            .encoder
            .encode_request(&header, arg, &mut wire)
            .unwrap();
        let Some(ServerInbound::Request { header: got, body }) =
            server.decoder.decode(&mut wire).unwrap()
        else {
            panic!("no request");
        };
        assert!(wire.is_empty());
        assert_eq!(
            got,
            RequestHeader::new("Svc.Method", seq).with_token(Token::from_static(b"Svc.Method")),
            "no timeout in gob; the method is the token"
        );
        assert_eq!(&body.decode::<A>().unwrap(), arg);

        server
            .encoder
            .encode_response(
                &ResponseHeader::ok(seq).with_token(got.token),
                Some(Payload::from(reply)),
                &mut wire,
            )
            .unwrap();
        let response = client.decoder.decode(&mut wire).unwrap().unwrap();
        assert!(wire.is_empty());
        assert_eq!(response.header, ResponseHeader::ok(seq));
        assert_eq!(&response.body.decode::<R>().unwrap(), reply);
    }
}

#[test]
fn round_trips() {
    round_trip(&"hello".to_string(), &"world".to_string());
    round_trip(
        &["a".to_string(), "b".to_string()],
        &[String::new(), "c".to_string()],
    );
    round_trip(&Args::sample(), &Args::sample());
    round_trip(&i64::MIN, &u64::MAX);
    round_trip(&0u8, &String::new());
    round_trip(&(), &());
    round_trip(&vec![1.5f64, -0.0, 1e300], &vec![vec![1u8, 2], vec![]]);
    round_trip(&Some(3u8), &Some(Args::sample()));
}

#[test]
fn round_trip_of_one_mebibyte() {
    let big = big_string(1 << 20);
    round_trip(&big, &big.clone().into_bytes());
}

#[test]
fn requests_are_gos_request_headers() {
    // Go's rpc.Request{ServiceMethod string; Seq uint64}, named "Request", defined once.
    let (mut encoder, _) = Gob.client_parts(&Limits::default());
    let mut wire = BytesMut::new();
    encoder
        .encode_request(
            &RequestHeader::new("HelloService.Hello", 0),
            &"world",
            &mut wire,
        )
        .unwrap();
    let mut expected = vec![0x2f, 0xff, 0x81, 0x03, 0x01, 0x01, 0x07];
    expected.extend_from_slice(b"Request");
    expected.extend_from_slice(&[0x01, 0xff, 0x82, 0x00, 0x01, 0x02, 0x01, 0x0d]);
    expected.extend_from_slice(b"ServiceMethod");
    expected.extend_from_slice(&[0x01, 0x0c, 0x00, 0x01, 0x03]);
    expected.extend_from_slice(b"Seq");
    expected.extend_from_slice(&[0x01, 0x06, 0x00, 0x00, 0x00]);
    expected.extend_from_slice(&[0x17, 0xff, 0x82, 0x01, 0x12]);
    expected.extend_from_slice(b"HelloService.Hello");
    expected.push(0x00); // Seq 0 is zero: not sent
    expected.extend_from_slice(&[0x08, 0x0c, 0x00, 0x05]);
    expected.extend_from_slice(b"world");
    assert_eq!(&wire[..], expected);
    // The second request reuses type 65.
    wire.clear();
    encoder
        .encode_request(&RequestHeader::new("A.B", 1), &"x", &mut wire)
        .unwrap();
    assert_eq!(
        &wire[..],
        b"\x0a\xff\x82\x01\x03A.B\x01\x01\x00\x04\x0c\x00\x01x"
    );
    assert!(!encoder.encode_cancel(1, &mut wire).unwrap());
}

/// A client that reuses a sequence number while a call is in flight: each response echoes its
/// own request's method (Go's server echoes `req.ServiceMethod` per request), from the token
/// the request carried, not from a table keyed by sequence number.
#[test]
fn each_response_echoes_its_own_requests_method() {
    let limits = Limits::default();
    let (mut decoder, mut encoder) = Gob.server_parts(&limits);
    let (mut client_encoder, _) = Gob.client_parts(&limits);
    let mut wire = BytesMut::new();
    for method in ["A.First", "B.Second"] {
        client_encoder
            .encode_request(&RequestHeader::new(method, 5), &"x", &mut wire)
            .unwrap();
    }
    let tokens: Vec<Token> = decode_all(&mut decoder, &wire)
        .unwrap()
        .into_iter()
        .map(|request| match request {
            ServerInbound::Request { header, .. } => header.token,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        tokens,
        [
            Token::from_static(b"A.First"),
            Token::from_static(b"B.Second")
        ]
    );
    // Answered in the other order.
    let mut out = BytesMut::new();
    for token in tokens.into_iter().rev() {
        let header = ResponseHeader::ok(5).with_token(token);
        encoder
            .encode_response(&header, Some(Payload::from(&1u8)), &mut out)
            .unwrap();
    }
    let mut stream = crate::gob::Decoder::new(&limits);
    let methods: Vec<String> = std::iter::from_fn(|| stream.decode(&mut out).unwrap())
        .filter_map(|value| value.decode::<serde_json::Value>().ok())
        .filter_map(|value| value.get("ServiceMethod")?.as_str().map(str::to_owned))
        .collect();
    assert_eq!(methods, ["B.Second", "A.First"]);
}

#[test]
fn error_responses_carry_an_empty_struct() {
    let limits = Limits::default();
    let (mut decoder, mut encoder) = Gob.server_parts(&limits);
    let (mut client_encoder, mut client_decoder) = Gob.client_parts(&limits);
    let mut wire = BytesMut::new();
    client_encoder
        .encode_request(&RequestHeader::new("KV.Get", 9), &"missing", &mut wire)
        .unwrap();
    let requests = decode_all(&mut decoder, &wire).unwrap();
    let [ServerInbound::Request { header, .. }] = &requests[..] else {
        panic!("expected one request: {requests:?}");
    };
    wire.clear();
    encoder
        .encode_response(
            &ResponseHeader::error(9, "not found").with_token(header.token.clone()),
            None,
            &mut wire,
        )
        .unwrap();
    // A reply passed with an error is not sent (Go sends invalidRequest instead).
    encoder
        .encode_response(
            &ResponseHeader::error(10, ""),
            Some(Payload::from(&"ignored")),
            &mut wire,
        )
        .unwrap();
    let bytes = wire.to_vec();
    let responses = decode_all(&mut client_decoder, &bytes).unwrap();
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0].header, ResponseHeader::error(9, "not found"));
    assert_eq!(responses[0].body.decode::<()>().unwrap(), ());
    assert_eq!(
        responses[1].header,
        ResponseHeader::error(10, "unspecified error")
    );
    let body: serde_json::Value = responses[1].body.decode().unwrap();
    assert_eq!(body, serde_json::json!({}));

    // The echoed ServiceMethod: the request's for call 9 (its token), "" for call 10 (none).
    let mut stream = crate::gob::Decoder::new(&limits);
    let mut buf = BytesMut::from(&bytes[..]);
    let mut methods = Vec::new();
    while let Some(value) = stream.decode(&mut buf).unwrap() {
        if let Ok(header) = value.decode::<serde_json::Value>() {
            if let Some(method) = header.get("ServiceMethod") {
                methods.push(method.clone());
            } else if header.get("Seq").is_some() {
                methods.push(serde_json::Value::Null);
            }
        }
    }
    assert_eq!(
        methods,
        [serde_json::json!("KV.Get"), serde_json::Value::Null]
    );
}

/// Three calls on one stream: the first defines the header's type and `Args`.
fn request_stream() -> Vec<u8> {
    let (mut encoder, _) = Gob.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new("A.B", 1), &Args::sample(), &mut buf)
        .unwrap();
    encoder
        .encode_request(&RequestHeader::new("A.C", 2), &"x", &mut buf)
        .unwrap();
    encoder
        .encode_request(&RequestHeader::new("A.B", 3), &Args::sample(), &mut buf)
        .unwrap();
    buf.to_vec()
}

fn summarize(items: Vec<ServerInbound>) -> Vec<String> {
    items
        .into_iter()
        .map(|item| match item {
            ServerInbound::Request { header, body } => match header.service_method.as_str() {
                "A.C" => format!("{} {}", header.seq, body.decode::<String>().unwrap()),
                _ => format!("{} {}", header.seq, body.decode::<Args>().unwrap().name),
            },
            ServerInbound::Cancel { seq } => format!("cancel {seq}"),
        })
        .collect()
}

#[test]
fn many_messages_in_one_buffer_and_byte_by_byte() {
    let stream = request_stream();
    let expected = ["1 Grüße, 世界 🦀", "2 x", "3 Grüße, 世界 🦀"];
    let (mut dec, _) = Gob.server_parts(&Limits::default());
    assert_eq!(summarize(decode_all(&mut dec, &stream).unwrap()), expected);
    let (mut dec, _) = Gob.server_parts(&Limits::default());
    assert_eq!(
        summarize(decode_bytewise(&mut dec, &stream).unwrap()),
        expected
    );
    for chunk in [2, 3, 7, 64] {
        let (mut dec, _) = Gob.server_parts(&Limits::default());
        assert_eq!(
            summarize(decode_chunked(&mut dec, &stream, chunk).unwrap()),
            expected,
            "chunk {chunk}"
        );
    }
}

#[test]
fn responses_byte_by_byte() {
    let (_, mut encoder) = Gob.server_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_response(
            &ResponseHeader::ok(1),
            Some(Payload::from(&Args::sample())),
            &mut buf,
        )
        .unwrap();
    encoder
        .encode_response(&ResponseHeader::error(2, "boom"), None, &mut buf)
        .unwrap();
    encoder
        .encode_response(&ResponseHeader::ok(3), Some(Payload::from(&7u16)), &mut buf)
        .unwrap();
    let (_, mut dec) = Gob.client_parts(&Limits::default());
    let items: Vec<ClientInbound> = decode_bytewise(&mut dec, &buf).unwrap();
    let headers: Vec<_> = items.iter().map(|r| r.header.clone()).collect();
    assert_eq!(
        headers,
        [
            ResponseHeader::ok(1),
            ResponseHeader::error(2, "boom"),
            ResponseHeader::ok(3)
        ]
    );
    assert_eq!(items[0].body.decode::<Args>().unwrap(), Args::sample());
    assert_eq!(items[2].body.decode::<u16>().unwrap(), 7);
}

/// A Go server's responses (as `gobServerCodec` writes them) whose replies hold interface values
/// of a type the stream defines inside the first reply:
///
/// ```go
/// type Inner struct { A int; B []string }
/// type WithAny struct { Name string; Any interface{}; After int }
/// gob.Register(Inner{})
/// enc.Encode(rpc.Response{ServiceMethod: "S.M", Seq: 1})
/// enc.Encode(WithAny{Name: "a", Any: Inner{A: 1, B: []string{"x"}}, After: 3})
/// enc.Encode(rpc.Response{ServiceMethod: "S.M", Seq: 2})
/// enc.Encode(map[string]interface{}{"k": Inner{A: 2}})
/// ```
#[rustfmt::skip]
const RESPONSES: &[u8] = &[
    0x39, 0x7f, 0x03, 0x01, 0x01, 0x08, 0x52, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73, 0x65, 0x01, 0xff,
    0x80, 0x00, 0x01, 0x03, 0x01, 0x0d, 0x53, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x4d, 0x65, 0x74,
    0x68, 0x6f, 0x64, 0x01, 0x0c, 0x00, 0x01, 0x03, 0x53, 0x65, 0x71, 0x01, 0x06, 0x00, 0x01, 0x05,
    0x45, 0x72, 0x72, 0x6f, 0x72, 0x01, 0x0c, 0x00, 0x00, 0x00, 0x0a, 0xff, 0x80, 0x01, 0x03, 0x53,
    0x2e, 0x4d, 0x01, 0x01, 0x00, 0x30, 0xff, 0x81, 0x03, 0x01, 0x01, 0x07, 0x57, 0x69, 0x74, 0x68,
    0x41, 0x6e, 0x79, 0x01, 0xff, 0x82, 0x00, 0x01, 0x03, 0x01, 0x04, 0x4e, 0x61, 0x6d, 0x65, 0x01,
    0x0c, 0x00, 0x01, 0x03, 0x41, 0x6e, 0x79, 0x01, 0x10, 0x00, 0x01, 0x05, 0x41, 0x66, 0x74, 0x65,
    0x72, 0x01, 0x04, 0x00, 0x00, 0x00, 0x31, 0xff, 0x82, 0x01, 0x01, 0x61, 0x01, 0x0a, 0x6d, 0x61,
    0x69, 0x6e, 0x2e, 0x49, 0x6e, 0x6e, 0x65, 0x72, 0xff, 0x83, 0x03, 0x01, 0x01, 0x05, 0x49, 0x6e,
    0x6e, 0x65, 0x72, 0x01, 0xff, 0x84, 0x00, 0x01, 0x02, 0x01, 0x01, 0x41, 0x01, 0x04, 0x00, 0x01,
    0x01, 0x42, 0x01, 0xff, 0x86, 0x00, 0x00, 0x00, 0x16, 0xff, 0x85, 0x02, 0x01, 0x01, 0x08, 0x5b,
    0x5d, 0x73, 0x74, 0x72, 0x69, 0x6e, 0x67, 0x01, 0xff, 0x86, 0x00, 0x01, 0x0c, 0x00, 0x00, 0x0d,
    0xff, 0x84, 0x07, 0x01, 0x02, 0x01, 0x01, 0x01, 0x78, 0x00, 0x01, 0x06, 0x00, 0x0a, 0xff, 0x80,
    0x01, 0x03, 0x53, 0x2e, 0x4d, 0x01, 0x02, 0x00, 0x0e, 0xff, 0x87, 0x04, 0x01, 0x02, 0xff, 0x88,
    0x00, 0x01, 0x0c, 0x01, 0x10, 0x00, 0x00, 0x17, 0xff, 0x88, 0x00, 0x01, 0x01, 0x6b, 0x0a, 0x6d,
    0x61, 0x69, 0x6e, 0x2e, 0x49, 0x6e, 0x6e, 0x65, 0x72, 0xff, 0x84, 0x03, 0x01, 0x04, 0x00,
];

#[test]
fn replies_with_types_defined_inside_interface_values() {
    for chunk in [1, 5, RESPONSES.len()] {
        let (_, mut dec) = Gob.client_parts(&Limits::default());
        let items: Vec<ClientInbound> =
            crate::test_util::decode_chunked(&mut dec, RESPONSES, chunk).unwrap();
        let headers: Vec<_> = items.iter().map(|r| r.header.clone()).collect();
        assert_eq!(headers, [ResponseHeader::ok(1), ResponseHeader::ok(2)]);
        assert_eq!(
            items[0].body.decode::<serde_json::Value>().unwrap(),
            serde_json::json!({"Name": "a", "Any": {"A": 1, "B": ["x"]}, "After": 3})
        );
        assert_eq!(
            items[1].body.decode::<serde_json::Value>().unwrap(),
            serde_json::json!({"k": {"A": 2}})
        );
    }
}

#[test]
fn end_of_stream() {
    let stream = request_stream();
    // A clean end after whole requests.
    let (mut dec, _) = Gob.server_parts(&Limits::default());
    assert_eq!(decode_all(&mut dec, &stream).unwrap().len(), 3);
    assert!(dec.decode_eof(&mut BytesMut::new()).unwrap().is_none());
    // Cut anywhere inside the first request: the definitions, the header, between header and
    // body, inside the body.
    let first = {
        let (mut encoder, _) = Gob.client_parts(&Limits::default());
        let mut buf = BytesMut::new();
        encoder
            .encode_request(&RequestHeader::new("A.B", 1), &Args::sample(), &mut buf)
            .unwrap();
        buf.len()
    };
    for cut in 1..first {
        let (mut dec, _) = Gob.server_parts(&Limits::default());
        let err = decode_all(&mut dec, &stream[..cut]).unwrap_err();
        assert!(
            matches!(err, CodecError::UnexpectedEof(n) if n == cut),
            "cut at {cut}: {err:?}"
        );
    }
    // Cut inside the second request.
    let (mut dec, _) = Gob.server_parts(&Limits::default());
    let err = decode_all(&mut dec, &stream[..first + 3]).unwrap_err();
    assert!(matches!(err, CodecError::UnexpectedEof(3)), "{err:?}");
    // The client side too.
    let (_, mut encoder) = Gob.server_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_response(&ResponseHeader::ok(1), Some(Payload::from(&"x")), &mut buf)
        .unwrap();
    let (_, mut dec) = Gob.client_parts(&Limits::default());
    let err = decode_all(&mut dec, &buf[..buf.len() - 1]).unwrap_err();
    assert!(matches!(err, CodecError::UnexpectedEof(_)), "{err:?}");
}

#[test]
fn max_message_is_inclusive_and_covers_definitions_header_and_body() {
    let header = RequestHeader::new("A.B", 1);
    let arg = big_string(1000);
    let wire = {
        let (mut encoder, _) = Gob.client_parts(&Limits::default());
        let mut buf = BytesMut::new();
        encoder.encode_request(&header, &arg, &mut buf).unwrap();
        buf
    };
    let exact = wire.len();

    let (mut encoder, _) = Gob.client_parts(&limits(exact, 8));
    let mut buf = BytesMut::new();
    encoder.encode_request(&header, &arg, &mut buf).unwrap();
    assert_eq!(buf, wire);
    let (mut encoder, _) = Gob.client_parts(&limits(exact - 1, 8));
    let err = encoder
        .encode_request(&header, &arg, &mut BytesMut::new())
        .unwrap_err();
    assert!(matches!(err, CodecError::Encode(_)), "{err:?}");

    let (mut dec, _) = Gob.server_parts(&limits(exact, 8));
    assert_eq!(decode_all(&mut dec, &wire).unwrap().len(), 1);
    let (mut dec, _) = Gob.server_parts(&limits(exact - 1, 8));
    let err = decode_all(&mut dec, &wire).unwrap_err();
    assert!(
        matches!(err, CodecError::FrameTooLarge { len, max } if len == exact && max == exact - 1),
        "{err:?}"
    );
    // Delivered byte by byte, the message is refused as soon as its last length arrives.
    let (mut dec, _) = Gob.server_parts(&limits(exact - 1, 8));
    assert!(matches!(
        decode_bytewise(&mut dec, &wire),
        Err(CodecError::FrameTooLarge { .. })
    ));
}

#[test]
fn huge_length_prefix_is_rejected_without_allocating() {
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(&[0xfc, 0xff, 0xff, 0xff, 0xff, 0x00]);
    let (mut decoder, _) = Gob.server_parts(&Limits::default());
    let err = decoder.decode(&mut buf).unwrap_err();
    assert!(
        matches!(err, CodecError::FrameTooLarge { len, max } if len == 0xFFFF_FFFF + 5 && max == 16 << 20),
        "{err:?}"
    );
    assert!(buf.capacity() <= 64, "{}", buf.capacity());

    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(&[0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    let (_, mut decoder) = Gob.client_parts(&Limits::default());
    assert!(matches!(
        decoder.decode(&mut buf),
        Err(CodecError::FrameTooLarge { .. })
    ));
    assert!(buf.capacity() <= 64, "{}", buf.capacity());
}

#[test]
fn failed_encode_leaves_the_encoder_as_it_was() {
    #[derive(Serialize)]
    struct Fails;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Fresh {
        a: Vec<Fails>,
        b: u8,
    }
    impl Serialize for Fails2 {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("nope"))
        }
    }
    struct Fails2;
    let (mut encoder, mut server_enc) = {
        let (enc, _) = Gob.client_parts(&Limits::default());
        let (_, senc) = Gob.server_parts(&Limits::default());
        (enc, senc)
    };
    let mut buf = BytesMut::new();
    // A body that fails after its type was worked out: the header's and body's new types are
    // forgotten, so the next request defines them again.
    assert!(
        encoder
            .encode_request(
                &RequestHeader::new("A.B", 1),
                &(
                    Fresh {
                        a: vec![Fails],
                        b: 1
                    },
                    1
                ),
                &mut buf
            )
            .is_err()
    );
    assert!(
        encoder
            .encode_request(&RequestHeader::new("A.B", 1), &Fails2, &mut buf)
            .is_err()
    );
    assert!(buf.is_empty());
    encoder
        .encode_request(&RequestHeader::new("A.B", 2), &Args::sample(), &mut buf)
        .unwrap();
    let (mut dec, _) = Gob.server_parts(&Limits::default());
    assert_eq!(
        summarize(decode_all(&mut dec, &buf).unwrap()),
        ["2 Grüße, 世界 🦀"]
    );

    buf.clear();
    assert!(
        server_enc
            .encode_response(
                &ResponseHeader::ok(1),
                Some(Payload::from(&Fails2)),
                &mut buf
            )
            .is_err()
    );
    server_enc
        .encode_response(
            &ResponseHeader::ok(1),
            Some(Payload::from(&Args::sample())),
            &mut buf,
        )
        .unwrap();
    let (_, mut dec) = Gob.client_parts(&Limits::default());
    let responses = decode_all(&mut dec, &buf).unwrap();
    assert_eq!(responses[0].body.decode::<Args>().unwrap(), Args::sample());
}

#[test]
fn bad_body_under_good_header_is_not_fatal() {
    let (mut encoder, _) = Gob.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new("A.B", 1), &"text", &mut buf)
        .unwrap();
    encoder
        .encode_request(&RequestHeader::new("A.B", 2), &5u32, &mut buf)
        .unwrap();
    let (mut dec, _) = Gob.server_parts(&Limits::default());
    let items = decode_all(&mut dec, &buf).unwrap();
    let ServerInbound::Request { body, .. } = &items[0] else {
        panic!()
    };
    let err = body.decode::<u32>().unwrap_err();
    assert!(!err.is_fatal());
    assert_eq!(
        err.to_string(),
        "gob: decoding into local type uint32, received remote type string"
    );
    let ServerInbound::Request { body, .. } = &items[1] else {
        panic!()
    };
    assert_eq!(body.decode::<u32>().unwrap(), 5);
}

#[test]
fn malformed_headers_are_fatal() {
    // A header that is not a struct, and a header whose struct is not rpc.Request-like.
    let mut buf = BytesMut::new();
    let mut encoder = crate::gob::Encoder::new(&Limits::default());
    encoder.encode(&"not a header", &mut buf).unwrap();
    let (mut dec, _) = Gob.server_parts(&Limits::default());
    let err = decode_all(&mut dec, &buf).unwrap_err();
    assert!(err.is_fatal());
    assert_eq!(
        err.to_string(),
        "malformed message: gob request header: gob: decoding into local type Request, received remote type string"
    );
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Odd {
        seq: String,
    }
    let mut buf = BytesMut::new();
    encoder.encode(&Odd { seq: "x".into() }, &mut buf).unwrap();
    let (mut dec, _) = Gob.server_parts(&Limits::default());
    assert!(decode_all(&mut dec, &buf).unwrap_err().is_fatal());
}

#[test]
fn headers_from_other_senders() {
    // A header with extra fields and without Seq (zero): Go's rules apply to it too.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Request<'a> {
        service_method: &'a str,
        trace: &'a str,
    }
    let mut buf = BytesMut::new();
    let mut encoder = crate::gob::Encoder::new(&Limits::default());
    encoder
        .encode(
            &Request {
                service_method: "S.M",
                trace: "abc",
            },
            &mut buf,
        )
        .unwrap();
    encoder.encode(&1u8, &mut buf).unwrap();
    let (mut dec, _) = Gob.server_parts(&Limits::default());
    let items = decode_all(&mut dec, &buf).unwrap();
    let ServerInbound::Request { header, body } = &items[0] else {
        panic!()
    };
    assert_eq!(
        header,
        &RequestHeader::new("S.M", 0).with_token(Token::from_static(b"S.M"))
    );
    assert_eq!(body.decode::<u8>().unwrap(), 1);
}

/// Deterministic pseudo-random mutations of valid streams: every outcome is fine except a panic.
#[test]
fn mutated_input_never_panics() {
    let stream = request_stream();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..400 {
        let mut input = stream.clone();
        for _ in 0..(next() % 6 + 1) {
            let pos = (next() as usize) % input.len();
            let byte = (next() & 0xff) as u8;
            match next() % 3 {
                0 => input[pos] = byte,
                1 => input.insert(pos, byte),
                _ => {
                    input.remove(pos);
                }
            }
        }
        let (mut decoder, _) = Gob.server_parts(&limits(4096, 16));
        let items = match decode_chunked(&mut decoder, &input, 1 + round % 7) {
            Ok(items) => items,
            Err(err) => {
                assert!(err.is_fatal());
                continue;
            }
        };
        for item in items {
            if let ServerInbound::Request { body, .. } = item {
                let _ = body.decode::<Args>();
                let _ = body.decode::<Vec<String>>();
                let _ = body.decode::<i64>();
                let _ = body.decode::<serde_json::Value>();
            }
        }
    }
}

#[test]
fn codec_trait() {
    assert_eq!(Gob.name(), "gob");
    let codec: Box<dyn Codec> = Box::new(Gob);
    let mut client = codec.client(&Limits::default());
    let mut server = codec.server(&Limits::default());
    let mut buf = BytesMut::new();
    client
        .encoder
        .encode_request(&RequestHeader::new("A.B", 5), &Args::sample(), &mut buf)
        .unwrap();
    let request = server.decoder.decode(&mut buf).unwrap();
    assert!(matches!(request, Some(ServerInbound::Request { .. })));
}

#[tokio::test]
async fn works_with_framed_read() {
    use futures_util::StreamExt;
    let stream = request_stream();
    let (dec, _) = Gob.server_parts(&Limits::default());
    let reader = tokio_util::codec::FramedRead::new(&stream[..], dec);
    let items: Vec<ServerInbound> = reader.map(Result::unwrap).collect().await;
    assert_eq!(summarize(items).len(), 3);

    // The stream decoder on its own yields every value.
    let mut wire = Vec::new();
    for value in ["a", "b"] {
        wire.extend(crate::gob::to_vec(value).unwrap());
    }
    let reader =
        tokio_util::codec::FramedRead::new(&wire[..], crate::gob::Decoder::new(&Limits::default()));
    let bodies: Vec<rpc_proto::Body> = reader.map(Result::unwrap).collect().await;
    assert_eq!(bodies.len(), 2);
}

#[test]
fn debug_output() {
    let (dec, enc) = Gob.server_parts(&Limits::default());
    let text = format!("{dec:?} {enc:?}");
    assert!(text.contains("gob::ServerDecoder"), "{text}");
    assert!(text.contains("gob::ServerEncoder"), "{text}");
    let (enc, dec) = Gob.client_parts(&Limits::default());
    let text = format!("{enc:?} {dec:?}");
    assert!(text.contains("ClientEncoder"), "{text}");
    let _: &ServerDecoder = &Gob.server_parts(&Limits::default()).0;
}

#[test]
fn nested_values_in_requests_are_bounded() {
    #[derive(Serialize, Deserialize)]
    struct Deep(Vec<Deep>);
    let mut value = Deep(vec![]);
    for _ in 0..20 {
        value = Deep(vec![value]);
    }
    let (mut encoder, _) = Gob.client_parts(&limits(1 << 20, 10));
    let err = encoder
        .encode_request(&RequestHeader::new("A.B", 1), &value, &mut BytesMut::new())
        .unwrap_err();
    assert!(
        err.to_string().contains("nesting deeper than 10 levels"),
        "{err}"
    );
    let (mut encoder, _) = Gob.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new("A.B", 1), &value, &mut buf)
        .unwrap();
    let (mut dec, _) = Gob.server_parts(&limits(1 << 20, 10));
    let items = decode_all(&mut dec, &buf).unwrap();
    let ServerInbound::Request { body, .. } = &items[0] else {
        panic!()
    };
    let err = body.decode::<Deep>().err().unwrap();
    assert_eq!(err.to_string(), "gob: nesting deeper than 10 levels");
}
