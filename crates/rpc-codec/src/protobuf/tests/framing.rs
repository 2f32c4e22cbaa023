//! The protobuf framing end to end: client encoder -> server decoder -> server encoder -> client
//! decoder, the documented bytes, and hostile input.

use std::time::Duration;

use bytes::BytesMut;
use rpc_proto::{
    ClientInbound, Codec, CodecError, Limits, Payload, RequestEncoder, RequestHeader,
    ResponseEncoder, ResponseHeader, ServerInbound,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio_util::codec::Decoder;

use super::super::*;
use super::test_util::{Args, big_string, decode_all, decode_bytewise, decode_chunked};

fn limits(max_message: usize, max_depth: usize) -> Limits {
    Limits {
        max_message,
        max_depth,
    }
}

fn round_trip<A, R>(arg: &A, reply: &R, timeout: Option<Duration>)
where
    A: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
    R: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let limits = Limits::default();
    let mut client = Protobuf.client(&limits);
    let mut server = Protobuf.server(&limits);
    let mut to_server = BytesMut::new();
    let header = RequestHeader {
        service_method: "Svc.Method".into(),
        seq: u64::MAX - 1,
        timeout,
        token: rpc_proto::Token::EMPTY,
    };
    client
        .encoder
        .encode_request(&header, arg, &mut to_server)
        .unwrap();

    let Some(ServerInbound::Request { header: got, body }) =
        server.decoder.decode(&mut to_server).unwrap()
    else {
        panic!("no request");
    };
    assert!(to_server.is_empty());
    assert_eq!(got, header);
    assert_eq!(&body.decode::<A>().unwrap(), arg);

    let mut to_client = BytesMut::new();
    server
        .encoder
        .encode_response(
            &ResponseHeader::ok(got.seq),
            Some(Payload::from(reply)),
            &mut to_client,
        )
        .unwrap();
    let response = client.decoder.decode(&mut to_client).unwrap().unwrap();
    assert!(to_client.is_empty());
    assert_eq!(response.header, ResponseHeader::ok(u64::MAX - 1));
    assert_eq!(&response.body.decode::<R>().unwrap(), reply);
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct WatchFromArgs {
    revision: u64,
    prefix: String,
    timeout_seconds: i64,
}

#[test]
fn round_trips() {
    round_trip(&"hello".to_string(), &"world".to_string(), None);
    round_trip(
        &["a".to_string(), "b".to_string()],
        &[String::new(), "c".to_string()],
        Some(Duration::from_secs(3)),
    );
    round_trip(
        &Args::sample(),
        &Args::sample(),
        Some(Duration::from_micros(1)),
    );
    round_trip(
        &WatchFromArgs {
            revision: 5,
            prefix: "app/".into(),
            timeout_seconds: -1,
        },
        &vec![Some(1u8), None],
        None,
    );
    round_trip(&i64::MIN, &i64::MAX, Some(Duration::ZERO));
    round_trip(
        &"Grüße 世界 🦀 \u{2028} <&> \"\\\n\u{0}".to_string(),
        &"ÿ\u{10FFFF}".to_string(),
        None,
    );
    round_trip(&(1.5e-7f64, f64::MAX, -0.0f64), &vec![0.1f64, 1e300], None);
    round_trip(&(), &(), None);
    round_trip(&Some(3u8), &None::<u8>, None);
}

#[test]
fn round_trip_of_one_mebibyte() {
    let big = big_string(1 << 20);
    round_trip(&big, &big, None);
}

#[test]
fn timeouts_round_trip_in_microseconds() {
    let (mut encoder, _) = Protobuf.client_parts(&Limits::default());
    let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
    let mut buf = BytesMut::new();
    for (sent, received) in [
        (None, None),
        (Some(Duration::ZERO), Some(Duration::ZERO)),
        (
            Some(Duration::from_nanos(1500)),
            Some(Duration::from_micros(1)),
        ),
        (
            Some(Duration::from_secs(86_400)),
            Some(Duration::from_secs(86_400)),
        ),
        (Some(Duration::MAX), Some(Duration::from_micros(u64::MAX))),
    ] {
        let header = RequestHeader {
            service_method: "S.M".into(),
            seq: 1,
            timeout: sent,
            token: rpc_proto::Token::EMPTY,
        };
        encoder.encode_request(&header, &(), &mut buf).unwrap();
        let Some(ServerInbound::Request { header, .. }) = decoder.decode(&mut buf).unwrap() else {
            panic!()
        };
        assert_eq!(header.timeout, received, "{sent:?}");
    }
}

/// The example in the module documentation.
#[test]
fn documented_bytes() {
    let (mut encoder, _) = Protobuf.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    let mut header = RequestHeader::new("S.M", 1);
    header.timeout = Some(Duration::from_millis(1500));
    encoder.encode_request(&header, &5u32, &mut buf).unwrap();
    assert!(encoder.encode_cancel(1, &mut buf).unwrap());
    assert_eq!(
        &buf[..],
        b"NETRPC\x01\x02\
          \x0d\x0a\x0b\x0a\x03S.M\x10\x01\x18\xe0\xc6\x5b\x02\x08\x05\
          \x04\x12\x02\x08\x01\x00"
    );

    let (_, mut encoder) = Protobuf.server_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_response(&ResponseHeader::ok(1), Some(Payload::from(&6u32)), &mut buf)
        .unwrap();
    // The reply of an error response is not written, even if given.
    encoder
        .encode_response(
            &ResponseHeader::error(1, "oops"),
            Some(Payload::from(&6u32)),
            &mut buf,
        )
        .unwrap();
    assert_eq!(
        &buf[..],
        b"\x02\x08\x01\x02\x08\x06\x08\x08\x01\x12\x04oops\x00"
    );

    // Seq 0, no timeout, a zero argument: an empty call header and an empty body.
    let (mut encoder, _) = Protobuf.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new("", 0), &0u8, &mut buf)
        .unwrap();
    assert_eq!(&buf[8..], b"\x02\x0a\x00\x00");
}

#[test]
fn errors_with_empty_text_stay_errors() {
    let (_, mut encoder) = Protobuf.server_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_response(&ResponseHeader::error(3, ""), None, &mut buf)
        .unwrap();
    assert_eq!(&buf[..], b"\x04\x08\x03\x12\x00\x00");
    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    let response = decoder.decode(&mut buf).unwrap().unwrap();
    assert_eq!(response.header, ResponseHeader::error(3, ""));
}

#[test]
fn preface_is_written_once() {
    let (mut encoder, _) = Protobuf.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    assert!(encoder.encode_cancel(9, &mut buf).unwrap());
    encoder
        .encode_request(&RequestHeader::new("S.M", 10), &1u8, &mut buf)
        .unwrap();
    assert_eq!(&buf[..8], PREFACE);
    assert_eq!(buf.windows(6).filter(|w| w == b"NETRPC").count(), 1);
}

#[test]
fn failed_encode_leaves_the_encoder_as_it_was() {
    let (mut encoder, _) = Protobuf.client_parts(&limits(64, 8));
    let mut buf = BytesMut::new();
    let err = encoder
        .encode_request(&RequestHeader::new("S.M", 1), &big_string(100), &mut buf)
        .unwrap_err();
    assert!(
        matches!(&err, CodecError::Encode(m) if m.contains("limit of 64")),
        "{err:?}"
    );
    buf.clear(); // What the engine does after an error.
    encoder
        .encode_request(&RequestHeader::new("S.M", 2), &1u8, &mut buf)
        .unwrap();
    assert_eq!(
        &buf[..8],
        PREFACE,
        "the preface goes out with the first frame that does"
    );

    #[derive(Serialize)]
    enum Shape {
        Circle(f64),
    }
    let (_, mut encoder) = Protobuf.server_parts(&Limits::default());
    let err = encoder
        .encode_response(
            &ResponseHeader::ok(1),
            Some(Payload::from(&Shape::Circle(1.0))),
            &mut BytesMut::new(),
        )
        .unwrap_err();
    assert!(
        matches!(&err, CodecError::Encode(m) if m.contains("carries data")),
        "{err:?}"
    );
    assert!(!err.is_fatal());
}

#[test]
fn cancel_frames_decode_as_cancel() {
    let (mut encoder, _) = Protobuf.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new("S.M", 5), &1u8, &mut buf)
        .unwrap();
    assert!(encoder.encode_cancel(5, &mut buf).unwrap());
    assert!(encoder.encode_cancel(u64::MAX, &mut buf).unwrap());
    assert!(encoder.encode_cancel(0, &mut buf).unwrap());
    // A cancel with a body (ignored) and an unknown header field (skipped).
    buf.extend_from_slice(b"\x06\x12\x02\x08\x07\x38\x01\x02\x08\x01");
    let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
    let items = decode_all(&mut decoder, &buf).unwrap();
    assert!(
        matches!(
            &items[..],
            [
                ServerInbound::Request { .. },
                ServerInbound::Cancel { seq: 5 },
                ServerInbound::Cancel { seq: u64::MAX },
                ServerInbound::Cancel { seq: 0 },
                ServerInbound::Cancel { seq: 7 },
            ]
        ),
        "{items:?}"
    );
}

/// A client stream: the preface, calls with varied arguments and cancellations.
fn request_stream() -> Vec<u8> {
    let (mut encoder, _) = Protobuf.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    for i in 0..20u64 {
        let mut header = RequestHeader::new(format!("Svc.M{i}"), i);
        if i % 2 == 0 {
            header.timeout = Some(Duration::from_millis(i * 100));
        }
        match i % 3 {
            0 => encoder.encode_request(&header, &(i as i64 * -1000), &mut buf),
            1 => encoder.encode_request(&header, &Args::sample(), &mut buf),
            _ => encoder.encode_request(&header, &vec!["x".to_string(); i as usize], &mut buf),
        }
        .unwrap();
        if i % 7 == 0 {
            encoder.encode_cancel(i, &mut buf).unwrap();
        }
    }
    buf.to_vec()
}

fn summarize(items: Vec<ServerInbound>) -> Vec<String> {
    items
        .into_iter()
        .map(|item| match item {
            ServerInbound::Request { header, body } => format!("{header:?} {:?}", body.bytes()),
            ServerInbound::Cancel { seq } => format!("cancel {seq}"),
        })
        .collect()
}

#[test]
fn many_messages_in_one_buffer_and_byte_by_byte() {
    let stream = request_stream();
    let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
    let whole = decode_all(&mut decoder, &stream).unwrap();
    assert_eq!(whole.len(), 23);
    let ServerInbound::Request { header, body } = &whole[2] else {
        panic!()
    };
    assert_eq!(header.service_method, "Svc.M1");
    assert_eq!(body.decode::<Args>().unwrap(), Args::sample());
    let ServerInbound::Request { body, .. } = &whole[3] else {
        panic!()
    };
    assert_eq!(body.decode::<Vec<String>>().unwrap(), ["x", "x"]);
    let whole = summarize(whole);

    let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
    assert_eq!(
        summarize(decode_bytewise(&mut decoder, &stream).unwrap()),
        whole
    );
    for chunk in [2, 3, 7, 9, 64] {
        let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
        assert_eq!(
            summarize(decode_chunked(&mut decoder, &stream, chunk).unwrap()),
            whole
        );
    }
}

#[test]
fn responses_byte_by_byte() {
    let (_, mut encoder) = Protobuf.server_parts(&Limits::default());
    let mut buf = BytesMut::new();
    for seq in 0..10u64 {
        if seq % 3 == 0 {
            encoder
                .encode_response(
                    &ResponseHeader::error(seq, format!("e{seq}")),
                    None,
                    &mut buf,
                )
                .unwrap();
        } else {
            encoder
                .encode_response(
                    &ResponseHeader::ok(seq),
                    Some(Payload::from(&[seq; 3])),
                    &mut buf,
                )
                .unwrap();
        }
    }
    let summary = |items: Vec<ClientInbound>| {
        items
            .into_iter()
            .map(|r| (r.header, r.body.bytes().clone()))
            .collect::<Vec<_>>()
    };
    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    let whole = summary(decode_all(&mut decoder, &buf).unwrap());
    assert_eq!(whole.len(), 10);
    assert_eq!(whole[3].0, ResponseHeader::error(3, "e3"));
    assert!(whole[3].1.is_empty());
    assert_eq!(&whole[4].1[..], b"\x0a\x03\x04\x04\x04");
    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    assert_eq!(summary(decode_bytewise(&mut decoder, &buf).unwrap()), whole);
}

#[test]
fn end_of_stream() {
    let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
    assert!(decode_all(&mut decoder, b"").unwrap().is_empty());
    let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
    assert!(decode_all(&mut decoder, &PREFACE).unwrap().is_empty());

    let stream = request_stream();
    let header_len = usize::from(stream[8]);
    let body_len = usize::from(stream[9 + header_len]);
    let first_frame_end = 8 + 1 + header_len + 1 + body_len;
    for cut in 1..first_frame_end {
        let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
        let result = decode_bytewise(&mut decoder, &stream[..cut]);
        if cut == 8 {
            assert!(
                result.unwrap().is_empty(),
                "a stream of just the preface is clean"
            );
            continue;
        }
        let unread = if cut < 8 { cut } else { cut - 8 };
        assert!(
            matches!(result, Err(CodecError::UnexpectedEof(n)) if n == unread),
            "{cut}: {result:?}"
        );
    }
    let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
    assert_eq!(
        decode_bytewise(&mut decoder, &stream[..first_frame_end])
            .unwrap()
            .len(),
        1
    );

    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    let err = decode_all(&mut decoder, b"\x02\x08\x01\x02\x08").unwrap_err();
    assert!(matches!(err, CodecError::UnexpectedEof(5)), "{err:?}");
    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    let err = decode_all(&mut decoder, b"\x80").unwrap_err();
    assert!(matches!(err, CodecError::UnexpectedEof(1)), "{err:?}");
    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    let err = decode_all(&mut decoder, b"\x02\x08\x01").unwrap_err();
    assert!(matches!(err, CodecError::UnexpectedEof(3)), "{err:?}");
}

#[test]
fn bad_prefaces() {
    for (input, needle) in [
        (
            &b"GET / HTTP/1.1\r\n"[..],
            "expected \"NETRPC\\x01\\x02\", received \"G",
        ),
        (b"{\"method\":\"S.M\"}", "received \"{"),
        (b"NETRPC\x02\x02\x00\x00", "framing version 2"),
        (
            b"NETRPC\x01\x01\x00\x00",
            "codec id 1, this peer speaks codec 2 (protobuf)",
        ),
        (b"NETRPD", "received \"NETRPD\""),
        (b"\x00\xff", "received \"\\x00"),
    ] {
        for feed in [
            decode_all::<ServerDecoder>,
            decode_bytewise::<ServerDecoder>,
        ] {
            let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
            let err = feed(&mut decoder, input).unwrap_err();
            assert!(matches!(err, CodecError::BadPreface(_)), "{err:?}");
            assert!(err.to_string().contains(needle), "{err} lacks {needle}");
            assert!(err.is_fatal());
        }
    }
}

#[test]
fn malformed_frames() {
    for frame in [
        &b"\x00\x00"[..],                        // a ClientFrame with no kind
        b"\x02\x08\x01\x00",                     // field 1 as a varint: wrong wire type
        b"\x03\x0a\x05S\x00",                    // call shorter than announced
        b"\x07\x0a\x05\x0a\x02\xff\xfe\x00\x00", // method not UTF-8
        b"\x02\x0b\x0c\x00",                     // a group
        b"\x02\x12\x01\x00",                     // cancel longer than the header
    ] {
        let mut input = PREFACE.to_vec();
        input.extend_from_slice(frame);
        let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
        let err = decode_all(&mut decoder, &input).unwrap_err();
        assert!(
            matches!(err, CodecError::Malformed(_)),
            "{frame:02x?}: {err:?}"
        );
        assert!(err.is_fatal());
    }
    // Lengths that are not varints.
    for frame in [
        &[0xffu8; 10][..],
        b"\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02",
    ] {
        let mut input = PREFACE.to_vec();
        input.extend_from_slice(frame);
        let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
        let err = decode_all(&mut decoder, &input).unwrap_err();
        assert!(
            matches!(&err, CodecError::Malformed(m) if m.contains("not a varint")),
            "{frame:02x?}: {err:?}"
        );
    }
    for frame in [
        &b"\x01\x08\x00"[..],        // seq varint cut short
        b"\x02\x12\x05\x00",         // error shorter than announced
        b"\x02\x10\x01\x00",         // field 2 as a varint
        b"\x04\x12\x02\xc3\x28\x00", // error not UTF-8
    ] {
        let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
        let err = decode_all(&mut decoder, frame).unwrap_err();
        assert!(
            matches!(err, CodecError::Malformed(_)),
            "{frame:02x?}: {err:?}"
        );
    }
    // An empty response header is seq 0, success.
    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    let items = decode_all(&mut decoder, b"\x00\x00").unwrap();
    assert_eq!(items[0].header, ResponseHeader::ok(0));
}

#[test]
fn bad_body_under_good_header_is_not_fatal() {
    let (mut encoder, _) = Protobuf.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new("S.M", 1), &"not a number", &mut buf)
        .unwrap();
    encoder
        .encode_request(&RequestHeader::new("S.N", 2), &7i64, &mut buf)
        .unwrap();
    // A body that is not a message at all.
    buf.extend_from_slice(b"\x07\x0a\x05\x0a\x03S.O\x03\x0a\x05a");
    let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
    let items = decode_all(&mut decoder, &buf).unwrap();
    let [
        ServerInbound::Request { body: bad, .. },
        ServerInbound::Request { body: good, .. },
        ServerInbound::Request { body: broken, .. },
    ] = &items[..]
    else {
        panic!("{items:?}")
    };
    let err = bad.decode::<i64>().unwrap_err();
    assert!(
        matches!(err, CodecError::Body(_)) && !err.is_fatal(),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "field 1: expected an integer, found a length-delimited value"
    );
    assert_eq!(bad.decode::<String>().unwrap(), "not a number");
    assert_eq!(good.decode::<i64>().unwrap(), 7);
    let err = broken.decode::<String>().unwrap_err();
    assert_eq!(err.to_string(), "field 1: 5 bytes announced, 1 left");
    // An empty body is the zero value.
    let (_, mut encoder) = Protobuf.server_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_response(&ResponseHeader::ok(2), None, &mut buf)
        .unwrap();
    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    let response = decoder.decode(&mut buf).unwrap().unwrap();
    assert_eq!(response.body.decode::<u8>().unwrap(), 0);
    assert_eq!(response.body.decode::<Args>().unwrap().name, "");
}

#[test]
fn nesting_depth_is_bounded() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct List(Option<Box<List>>);
    fn list(depth: usize) -> List {
        (0..depth).fold(List(None), |inner, _| List(Some(Box::new(inner))))
    }
    // List(None) is 2 levels (the newtype, the option), every Some(List) adds 2.
    let body_of = |value: &List, max_depth: usize| {
        let (_, mut encoder) = Protobuf.server_parts(&limits(1 << 24, max_depth));
        let mut buf = BytesMut::new();
        encoder
            .encode_response(&ResponseHeader::ok(1), Some(Payload::from(value)), &mut buf)
            .unwrap();
        let (_, mut decoder) = Protobuf.client_parts(&limits(1 << 24, max_depth));
        decoder.decode(&mut buf).unwrap().unwrap().body
    };
    assert_eq!(body_of(&list(63), 128).decode::<List>().unwrap(), list(63));
    let err = body_of(&list(64), 128).decode::<List>().unwrap_err();
    assert_eq!(err.to_string(), "nesting deeper than 128 levels");
}

#[test]
fn max_message_is_inclusive() {
    let (mut encoder, _) = Protobuf.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new("S.M", 1), &big_string(100), &mut buf)
        .unwrap();
    // preface, header length (1 byte), header, body length (1 byte), body.
    let len = buf.len() - 8 - 2;

    let (mut decoder, _) = Protobuf.server_parts(&limits(len, 8));
    assert_eq!(decode_all(&mut decoder, &buf).unwrap().len(), 1);
    let (mut decoder, _) = Protobuf.server_parts(&limits(len - 1, 8));
    let err = decode_all(&mut decoder, &buf).unwrap_err();
    assert!(
        matches!(err, CodecError::FrameTooLarge { len: l, max } if l == len && max == len - 1),
        "{err:?}"
    );
    // The same, one byte at a time: the error comes as soon as the body length is read.
    let (mut decoder, _) = Protobuf.server_parts(&limits(len - 1, 8));
    let mut partial = BytesMut::new();
    let header_end = 8 + 1 + usize::from(buf[8]);
    for (i, byte) in buf.iter().enumerate() {
        partial.extend_from_slice(&[*byte]);
        match decoder.decode(&mut partial) {
            Ok(None) => assert!(i < header_end, "{i}"),
            Err(CodecError::FrameTooLarge { .. }) => {
                assert_eq!(i, header_end, "the body length is one byte");
                break;
            }
            other => panic!("{other:?}"),
        }
    }

    let (mut encoder, _) = Protobuf.client_parts(&limits(len, 8));
    let mut exact = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new("S.M", 1), &big_string(100), &mut exact)
        .unwrap();
    assert_eq!(exact, buf);
    let (mut encoder, _) = Protobuf.client_parts(&limits(len - 1, 8));
    let err = encoder
        .encode_request(
            &RequestHeader::new("S.M", 1),
            &big_string(100),
            &mut BytesMut::new(),
        )
        .unwrap_err();
    assert!(matches!(err, CodecError::Encode(_)), "{err:?}");

    // A header alone over the limit.
    let (mut encoder, _) = Protobuf.client_parts(&limits(10, 8));
    let err = encoder
        .encode_request(
            &RequestHeader::new("Service.Method", 1),
            &(),
            &mut BytesMut::new(),
        )
        .unwrap_err();
    assert!(matches!(err, CodecError::Encode(_)), "{err:?}");

    // Responses: header 2 bytes (08 01), body 8 bytes (0a 06 + 6 bytes).
    let (_, mut encoder) = Protobuf.server_parts(&limits(10, 8));
    let mut buf = BytesMut::new();
    encoder
        .encode_response(
            &ResponseHeader::ok(1),
            Some(Payload::from(&[7u8; 6])),
            &mut buf,
        )
        .unwrap();
    assert_eq!(buf.len(), 2 + 10);
    let (_, mut decoder) = Protobuf.client_parts(&limits(10, 8));
    assert_eq!(decode_all(&mut decoder, &buf).unwrap().len(), 1);
    let (_, mut decoder) = Protobuf.client_parts(&limits(9, 8));
    assert!(matches!(
        decode_all(&mut decoder, &buf),
        Err(CodecError::FrameTooLarge { len: 10, max: 9 })
    ));
    let err = encoder
        .encode_response(
            &ResponseHeader::ok(1),
            Some(Payload::from(&[7u8; 7])),
            &mut BytesMut::new(),
        )
        .unwrap_err();
    assert!(matches!(err, CodecError::Encode(_)), "{err:?}");
    // A body of 129 bytes needs a 2-byte length: the limit is on the messages only.
    let (_, mut encoder) = Protobuf.server_parts(&limits(2 + 129, 8));
    let mut buf = BytesMut::new();
    encoder
        .encode_response(
            &ResponseHeader::ok(1),
            Some(Payload::from(&vec![7u8; 127])),
            &mut buf,
        )
        .unwrap();
    assert_eq!(buf.len(), 1 + 2 + 2 + 129);
    let (_, mut decoder) = Protobuf.client_parts(&limits(2 + 129, 8));
    assert_eq!(decode_all(&mut decoder, &buf).unwrap().len(), 1);
}

#[test]
fn huge_length_prefix_is_rejected_without_allocating() {
    for (frame, len) in [
        (&b"\xff\xff\xff\xff\x0f"[..], 0xFFFF_FFFF_usize),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", usize::MAX),
        (b"\x81\x80\x80\x08", (16 << 20) + 1),
    ] {
        let mut buf = BytesMut::with_capacity(64);
        buf.extend_from_slice(&PREFACE);
        buf.extend_from_slice(frame);
        let (mut decoder, _) = Protobuf.server_parts(&Limits::default());
        let err = decoder.decode(&mut buf).unwrap_err();
        assert!(
            matches!(err, CodecError::FrameTooLarge { len: l, max } if l == len && max == 16 << 20),
            "{err:?}"
        );
        assert!(buf.capacity() <= 64, "{}", buf.capacity());
    }
    // A small header followed by a huge body length.
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(b"\x02\x08\x01\xff\xff\xff\xff\x0f");
    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    assert!(matches!(
        decoder.decode(&mut buf),
        Err(CodecError::FrameTooLarge {
            len: 0x1_0000_0001,
            ..
        })
    ));
    assert!(buf.capacity() <= 64, "{}", buf.capacity());
    // Exactly 16 MiB of header announced: accepted, waited for (and room reserved).
    let mut buf = BytesMut::from(&b"\x80\x80\x80\x08"[..]);
    let (_, mut decoder) = Protobuf.client_parts(&Limits::default());
    assert!(decoder.decode(&mut buf).unwrap().is_none());
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
    for round in 0..1000 {
        let mut input = stream.clone();
        for _ in 0..(next() % 6 + 1) {
            // Mostly after the preface, so the frames themselves get mutated.
            let pos = 8 + (next() as usize) % (input.len() - 8);
            let byte = (next() & 0xff) as u8;
            match next() % 3 {
                0 => input[pos] = byte,
                1 => input.insert(pos, byte),
                _ => {
                    input.remove(pos);
                }
            }
        }
        let (mut decoder, _) = Protobuf.server_parts(&limits(4096, 16));
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
                let _ = body.decode::<WatchFromArgs>();
                let _ = body.decode::<Vec<Vec<Option<u8>>>>();
                let _ = body.decode::<std::collections::HashMap<String, Vec<f32>>>();
            }
        }
    }
}

#[test]
fn codec_trait() {
    assert_eq!(Protobuf.name(), "protobuf");
    let codec: &dyn Codec = &Protobuf;
    let mut client = codec.client(&Limits::default());
    let mut buf = BytesMut::new();
    client
        .encoder
        .encode_request(&RequestHeader::new("S.M", 1), &1, &mut buf)
        .unwrap();
    assert!(client.encoder.encode_cancel(1, &mut buf).unwrap());
    let mut server = codec.server(&Limits::default());
    assert!(server.decoder.decode(&mut buf).unwrap().is_some());
    assert!(matches!(
        server.decoder.decode(&mut buf).unwrap(),
        Some(ServerInbound::Cancel { seq: 1 })
    ));
}

#[tokio::test]
async fn works_with_framed_read() {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    use tokio_util::codec::FramedRead;

    let (mut writer, reader) = tokio::io::duplex(16);
    let stream = request_stream();
    let sender = tokio::spawn(async move {
        writer.write_all(&stream).await.unwrap();
    });
    let (decoder, _) = Protobuf.server_parts(&Limits::default());
    let items: Vec<_> = FramedRead::new(reader, decoder).collect().await;
    sender.await.unwrap();
    assert_eq!(items.len(), 23);
    assert!(items.iter().all(Result::is_ok));
}

#[test]
fn debug_output() {
    let (dec, enc) = Protobuf.server_parts(&Limits::default());
    assert!(format!("{dec:?} {enc:?}").contains("ServerDecoder"));
    let (enc, dec) = Protobuf.client_parts(&Limits::default());
    assert!(format!("{enc:?} {dec:?}").contains("ClientDecoder"));
}
