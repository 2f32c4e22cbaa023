//! The jsonrpc codec end to end: client encoder -> server decoder -> server encoder -> client
//! decoder, Go's exact bytes, and hostile input.

use bytes::BytesMut;
use rpc_proto::{
    ClientInbound, Codec, CodecError, Limits, Payload, RequestEncoder, RequestHeader,
    ResponseEncoder, ResponseHeader, ServerInbound,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio_util::codec::Decoder;

use super::*;
use crate::test_util::{Args, big_string, decode_all, decode_bytewise, decode_chunked};

fn limits(max_message: usize, max_depth: usize) -> Limits {
    Limits {
        max_message,
        max_depth,
    }
}

/// The success response to `request`, with its token (as the engine makes it).
fn answer(request: &RequestHeader) -> ResponseHeader {
    ResponseHeader::ok(request.seq).with_token(request.token.clone())
}

/// The error response to `request`, with its token.
fn fail(request: &RequestHeader, message: impl Into<String>) -> ResponseHeader {
    ResponseHeader::error(request.seq, message).with_token(request.token.clone())
}

fn request_bytes(method: &str, seq: u64, body: &dyn erased_serde::Serialize) -> Vec<u8> {
    let (mut encoder, _) = Json.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    encoder
        .encode_request(&RequestHeader::new(method, seq), body, &mut buf)
        .unwrap();
    buf.to_vec()
}

fn one_request(
    dec: &mut ServerDecoder,
    text: &[u8],
) -> Result<(RequestHeader, rpc_proto::Body), CodecError> {
    let mut items = decode_all(dec, text)?;
    assert_eq!(items.len(), 1, "{:?}", String::from_utf8_lossy(text));
    match items.pop() {
        Some(ServerInbound::Request { header, body }) => Ok((header, body)),
        other => panic!("expected a request, got {other:?}"),
    }
}

fn one_response(text: &[u8]) -> Result<ClientInbound, CodecError> {
    let (_, mut dec) = Json.client_parts(&Limits::default());
    let mut items = decode_all(&mut dec, text)?;
    assert_eq!(items.len(), 1);
    Ok(items.remove(0))
}

/// Sends `arg` as the argument of a call and `reply` back as its reply, checking both decode
/// to what was sent.
fn round_trip<A, R>(arg: &A, reply: &R)
where
    A: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
    R: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let limits = Limits::default();
    let mut client = Json.client(&limits);
    let mut server = Json.server(&limits);
    let mut wire = BytesMut::new();
    let mut header = RequestHeader::new("Svc.Method", 41);
    header.timeout = Some(std::time::Duration::from_secs(3));
    client
        .encoder
        .encode_request(&header, arg, &mut wire)
        .unwrap();

    let Some(ServerInbound::Request { header: got, body }) =
        server.decoder.decode(&mut wire).unwrap()
    else {
        panic!("no request");
    };
    assert_eq!(
        &wire[..],
        b"\n",
        "the newline is left for the next call to skip"
    );
    wire.clear();
    assert_eq!(got.service_method, "Svc.Method");
    assert_eq!(got.timeout, None, "jsonrpc cannot carry a timeout");
    assert_eq!(&body.decode::<A>().unwrap(), arg);

    server
        .encoder
        .encode_response(&answer(&got), Some(Payload::from(reply)), &mut wire)
        .unwrap();
    let response = client.decoder.decode(&mut wire).unwrap().unwrap();
    assert_eq!(
        client.decoder.decode(&mut wire).unwrap().map(|r| r.header),
        None
    );
    assert!(wire.is_empty());
    assert_eq!(response.header, ResponseHeader::ok(41));
    assert_eq!(&response.body.decode::<R>().unwrap(), reply);
}

#[test]
fn round_trips() {
    round_trip(&"hello".to_string(), &"world".to_string());
    round_trip(
        &["a".to_string(), "b".to_string()],
        &[String::new(), "c".to_string()],
    );
    round_trip(&Args::sample(), &Args::sample());
    round_trip(&i64::MIN, &i64::MAX);
    round_trip(&u64::MAX, &0u8);
    round_trip(
        &"Grüße 世界 🦀 \u{2028} <&> \"\\\n\u{0}".to_string(),
        &"ÿ\u{10FFFF}".to_string(),
    );
    round_trip(&(1.5e-7f64, 1e21f64, -0.0f64), &vec![0.1f64, 1e300]);
    round_trip(&(), &());
    round_trip(&Some(3u8), &None::<u8>);
}

/// Go's `[]byte` is a base64 string; `[N]byte` (a Rust array) is an array of numbers.
#[test]
fn byte_vectors_cross_as_gos_base64() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Blob {
        data: Vec<u8>,
        array: [u8; 4],
        more: Vec<Vec<u8>>,
    }
    let blob = Blob {
        data: vec![0, 1, 2, 127, 128, 255],
        array: [0xde, 0xad, 0xbe, 0xef],
        more: vec![vec![], vec![7; 1000]],
    };
    round_trip(&vec![1u8, 2, 3, 255], &blob);
    round_trip(&Vec::<u8>::new(), &vec![0u8; 1 << 20]);
    // What Go's client writes for client.Call("S.M", []byte{1, 2, 3, 255}, &reply).
    assert_eq!(
        request_bytes("S.M", 1, &vec![1u8, 2, 3, 255]),
        b"{\"method\":\"S.M\",\"params\":[\"AQID/w==\"],\"id\":1}\n"
    );
    // What Go's server writes for a reply of Blob{Data: []byte{1}, Array: [4]byte{9}, More: nil}.
    let response =
        one_response(b"{\"id\":1,\"result\":{\"Data\":\"AQ==\",\"Array\":[9,0,0,0],\"More\":null},\"error\":null}\n")
            .unwrap();
    assert_eq!(
        response.body.decode::<Blob>().unwrap(),
        Blob {
            data: vec![1],
            array: [9, 0, 0, 0],
            more: vec![]
        }
    );
    // A string that is not base64 fails the call with Go's text.
    let mut dec = Json.server_parts(&Limits::default()).0;
    let (_, body) = one_request(
        &mut dec,
        b"{\"method\":\"S.M\",\"params\":[{\"Data\":\"not base64!\"}],\"id\":1}",
    )
    .unwrap();
    let err = body.decode::<Blob>().unwrap_err();
    assert_eq!(err.to_string(), "illegal base64 data at input byte 3");
    assert!(!err.is_fatal());
}

/// A `RawValue` body crosses untouched both ways: its text is sent as is and read as it came.
#[test]
fn raw_values_cross_exactly() {
    use serde_json::value::RawValue;

    let text = r#"{"big": 123456789012345678901234567890, "f": 1.50, "s": "<"}"#;
    let arg = RawValue::from_string(text.into()).unwrap();
    let wire = request_bytes("S.M", 1, &arg);
    assert_eq!(
        String::from_utf8(wire.clone()).unwrap(),
        format!("{{\"method\":\"S.M\",\"params\":[{text}],\"id\":1}}\n")
    );
    let mut dec = Json.server_parts(&Limits::default()).0;
    let (_, body) = one_request(&mut dec, &wire).unwrap();
    assert_eq!(body.decode::<Box<RawValue>>().unwrap().get(), text);

    let big = "1267650600228229401496703205376";
    let response =
        one_response(format!("{{\"id\":1,\"result\":{big},\"error\":null}}").as_bytes()).unwrap();
    assert_eq!(response.body.decode::<Box<RawValue>>().unwrap().get(), big);
    let response = one_response(b"{\"id\":1,\"result\":null,\"error\":null}").unwrap();
    assert_eq!(
        response.body.decode::<Box<RawValue>>().unwrap().get(),
        "null"
    );
}

#[test]
fn round_trip_of_one_mebibyte() {
    let big = big_string(1 << 20);
    round_trip(&big, &big);
}

#[test]
fn request_bytes_are_gos() {
    assert!(
        request_bytes(
            "Arith.Multiply",
            0,
            &Args {
                a: 7,
                b: 8,
                ..Args::sample()
            }
        )
        .starts_with(br#"{"method":"Arith.Multiply","params":[{"a":7,"b":8,"name":"Gr"#)
    );
    // From Go 1.26: json.NewEncoder(os.Stdout).Encode(&clientRequest{...}).
    let params = (
        1.0f64,
        1e21f64,
        1e20f64,
        1.5e-7f64,
        1e-6f64,
        0.0f64,
        0.1f64,
        123456789.125f64,
        0.1f32,
        1e21f32,
        "x\u{8}\u{c}\u{1}\u{7f}<é",
    );
    let want = "{\"method\":\"A.B\\u003c\\u0026\\u003e\\u2028\",\"params\":[[1,1e+21,100000000000000000000,1.5e-7,0.000001,0,0.1,123456789.125,0.1,1e+21,\"x\\b\\f\\u0001\u{7f}\\u003cé\"]],\"id\":18446744073709551615}\n";
    assert_eq!(
        String::from_utf8(request_bytes("A.B<&>\u{2028}", u64::MAX, &params)).unwrap(),
        want
    );
    assert_eq!(
        request_bytes("S.M", 3, &()),
        b"{\"method\":\"S.M\",\"params\":[null],\"id\":3}\n"
    );
}

#[test]
fn cancel_and_timeout_are_not_sent() {
    let (mut encoder, _) = Json.client_parts(&Limits::default());
    let mut buf = BytesMut::new();
    assert!(!encoder.encode_cancel(5, &mut buf).unwrap());
    assert!(buf.is_empty());
    let mut header = RequestHeader::new("S.M", 1);
    header.timeout = Some(std::time::Duration::from_millis(10));
    encoder.encode_request(&header, &1, &mut buf).unwrap();
    assert_eq!(&buf[..], b"{\"method\":\"S.M\",\"params\":[1],\"id\":1}\n");
}

/// Go's `jsonrpc.ServeCodec`, given these requests and a service with `Echo` (appends "<&>"),
/// `Fail` and `Zero` (returns its argument), wrote exactly these responses; so does netrpc.
#[test]
fn server_responses_are_gos() {
    let input = br#"{"method":"S.Echo","params":["hi"],"id":1}
{"method":"S.Echo","params":["x"],"id":"abc"}
{"method":"S.Echo","params":["x"],"id":{"a": [1, 2], "b":"<"}}
{"method":"S.Echo","params":["x"],"id":null}
{"method":"S.Echo","params":["x"]}
{"method":"S.Fail","params":[1],"id":2}
{"method":"S.Zero","params":[],"id":3}
{"method":"S.Zero","params":{"a":1},"id":4}
{"method":"S.Zero","params":[null],"id":5}
{"METHOD":"S.Zero","Params":[7],"iD":7,"extra":1}
{"method":"Nope","params":[1],"id":8}
"#;
    // Go 1.26's jsonrpc.ServeCodec output for the same input, in request order.
    let want = r#"{"id":1,"result":"hi\u003c\u0026\u003e","error":null}
{"id":"abc","result":"x\u003c\u0026\u003e","error":null}
{"id":{"a":[1,2],"b":"\u003c"},"result":"x\u003c\u0026\u003e","error":null}
{"id":null,"result":"x\u003c\u0026\u003e","error":null}
{"id":null,"result":"x\u003c\u0026\u003e","error":null}
{"id":2,"result":null,"error":"bad \u003cthing\u003e \"q\""}
{"id":3,"result":0,"error":null}
{"id":4,"result":null,"error":"json: cannot unmarshal object into Go value of type [1]interface {}"}
{"id":5,"result":0,"error":null}
{"id":7,"result":7,"error":null}
{"id":8,"result":null,"error":"rpc: service/method request ill-formed: Nope"}
"#;
    let (mut decoder, mut encoder) = Json.server_parts(&Limits::default());
    let mut out = BytesMut::new();
    for (i, item) in decode_all(&mut decoder, input)
        .unwrap()
        .into_iter()
        .enumerate()
    {
        let ServerInbound::Request { header, body } = item else {
            panic!("not a request");
        };
        assert_eq!(
            header.seq,
            i as u64 + 1,
            "the server numbers requests itself"
        );
        let response = match header.service_method.as_str() {
            "S.Echo" => body.decode::<String>().map(|s| s + "<&>").map(|s| {
                encoder.encode_response(&answer(&header), Some(Payload::from(&s)), &mut out)
            }),
            "S.Fail" => {
                Ok(encoder.encode_response(&fail(&header, "bad <thing> \"q\""), None, &mut out))
            }
            "S.Zero" => body.decode::<i64>().map(|n| {
                encoder.encode_response(&answer(&header), Some(Payload::from(&n)), &mut out)
            }),
            other => Ok(encoder.encode_response(
                &fail(
                    &header,
                    format!("rpc: service/method request ill-formed: {other}"),
                ),
                None,
                &mut out,
            )),
        };
        match response {
            Ok(written) => written.unwrap(),
            Err(body_error) => {
                assert!(!body_error.is_fatal());
                encoder
                    .encode_response(&fail(&header, body_error.to_string()), None, &mut out)
                    .unwrap();
            }
        }
    }
    assert_eq!(std::str::from_utf8(&out).unwrap(), want);
}

#[test]
fn ids_are_echoed() {
    for (id_json, echoed) in [
        ("1", "1"),
        ("18446744073709551615", "18446744073709551615"),
        ("-1.5e3", "-1.5e3"),
        ("\"abc\"", "\"abc\""),
        ("\"\\u00e9\\n\"", "\"\\u00e9\\n\""),
        ("{\"x\":[1,{}]}", "{\"x\":[1,{}]}"),
        ("[ 1 ,\t2 ]", "[1,2]"),
        ("null", "null"),
        ("true", "true"),
    ] {
        let (mut dec, mut enc) = Json.server_parts(&Limits::default());
        let text = format!("{{\"id\":{id_json},\"method\":\"S.M\",\"params\":[0]}}");
        let (header, _) = one_request(&mut dec, text.as_bytes()).unwrap();
        let mut out = BytesMut::new();
        enc.encode_response(&answer(&header), Some(Payload::from(&0)), &mut out)
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            format!("{{\"id\":{echoed},\"result\":0,\"error\":null}}\n")
        );
    }
    // Without an id.
    let (mut dec, mut enc) = Json.server_parts(&Limits::default());
    let (header, _) = one_request(&mut dec, b"{\"method\":\"S.M\",\"params\":[0]}").unwrap();
    let mut out = BytesMut::new();
    enc.encode_response(&fail(&header, "no"), None, &mut out)
        .unwrap();
    assert_eq!(
        &out[..],
        b"{\"id\":null,\"result\":null,\"error\":\"no\"}\n"
    );
}

#[test]
fn responses_echo_their_requests_tokens() {
    let (mut dec, mut enc) = Json.server_parts(&Limits::default());
    let input = b"{\"method\":\"S.M\",\"params\":[1],\"id\":\"a\"}{\"method\":\"S.M\",\"params\":[2],\"id\":\"b\"}";
    let headers: Vec<RequestHeader> = decode_all(&mut dec, input)
        .unwrap()
        .into_iter()
        .map(|item| match item {
            ServerInbound::Request { header, .. } => header,
            other => panic!("{other:?}"),
        })
        .collect();
    let seqs: Vec<u64> = headers.iter().map(|header| header.seq).collect();
    assert_eq!(seqs, [1, 2]);
    // Each request carries its id, raw: the halves share no table.
    assert_eq!(headers[0].token.as_bytes(), b"\"a\"");
    assert_eq!(headers[1].token.as_bytes(), b"\"b\"");
    let mut out = BytesMut::new();
    // Answered out of order.
    enc.encode_response(&answer(&headers[1]), Some(Payload::from(&"two")), &mut out)
        .unwrap();
    enc.encode_response(&answer(&headers[0]), Some(Payload::from(&"one")), &mut out)
        .unwrap();
    assert_eq!(
        &out[..],
        b"{\"id\":\"b\",\"result\":\"two\",\"error\":null}\n{\"id\":\"a\",\"result\":\"one\",\"error\":null}\n"
    );
    // A response without a request's token is Go's error and writes nothing.
    out.clear();
    for seq in [1, 3] {
        let err = enc
            .encode_response(&ResponseHeader::ok(seq), Some(Payload::from(&0)), &mut out)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "encoding failed: invalid sequence number in response"
        );
        assert!(!err.is_fatal());
    }
    assert!(out.is_empty());
}

#[test]
fn failed_encode_keeps_the_request_pending() {
    use std::collections::BTreeMap;
    let (mut dec, mut enc) = Json.server_parts(&Limits::default());
    let (header, _) =
        one_request(&mut dec, b"{\"method\":\"S.M\",\"params\":[1],\"id\":9}").unwrap();
    let mut out = BytesMut::new();
    let bad: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
    let err = enc
        .encode_response(&answer(&header), Some(Payload::from(&bad)), &mut out)
        .unwrap_err();
    assert!(matches!(err, CodecError::Encode(_)), "{err:?}");
    out.clear(); // What the engine does with partial output.
    enc.encode_response(&fail(&header, err.to_string()), None, &mut out)
        .unwrap();
    assert!(out.starts_with(b"{\"id\":9,\"result\":null,\"error\":\"encoding failed: "));
}

#[test]
fn absent_params_decode_as_zero() {
    #[derive(Deserialize, Debug, PartialEq, Default)]
    struct Point {
        x: i32,
        label: String,
    }
    for params in ["", ",\"params\":null"] {
        let (mut dec, _) = Json.server_parts(&Limits::default());
        let text = format!("{{\"method\":\"S.M\",\"id\":1{params}}}");
        let (_, body) = one_request(&mut dec, text.as_bytes()).unwrap();
        let err = body.decode::<Point>().unwrap_err();
        assert_eq!(err.to_string(), "jsonrpc: request body missing params");
    }
    for params in [
        ",\"params\":[]",
        ",\"params\":[null]",
        ",\"params\":[null,{\"x\":1}]",
    ] {
        let (mut dec, _) = Json.server_parts(&Limits::default());
        let text = format!("{{\"method\":\"S.M\",\"id\":1{params}}}");
        let (_, body) = one_request(&mut dec, text.as_bytes()).unwrap();
        assert_eq!(
            body.decode::<Point>().unwrap(),
            Point::default(),
            "{params}"
        );
        assert_eq!(body.decode::<u64>().unwrap(), 0, "{params}");
    }
}

#[test]
fn non_array_params_fail_the_call_with_gos_text() {
    for (params, kind) in [
        ("{\"a\":1}", "object"),
        ("12", "number"),
        ("\"s\"", "string"),
        ("false", "bool"),
    ] {
        let (mut dec, _) = Json.server_parts(&Limits::default());
        let text = format!("{{\"method\":\"S.M\",\"params\":{params},\"id\":1}}");
        let (_, body) = one_request(&mut dec, text.as_bytes()).unwrap();
        let err = body.decode::<i64>().unwrap_err();
        assert!(!err.is_fatal());
        assert_eq!(
            err.to_string(),
            format!("json: cannot unmarshal {kind} into Go value of type [1]interface {{}}")
        );
    }
}

#[test]
fn bad_body_under_good_header_is_not_fatal() {
    let (mut dec, _) = Json.server_parts(&Limits::default());
    let input = b"{\"method\":\"S.M\",\"params\":[\"not a number\"],\"id\":1}\n{\"method\":\"S.N\",\"params\":[2],\"id\":2}\n";
    let items = decode_all(&mut dec, input).unwrap();
    assert_eq!(items.len(), 2);
    let ServerInbound::Request { body, .. } = &items[0] else {
        panic!()
    };
    let err = body.decode::<i64>().unwrap_err();
    assert!(
        matches!(err, CodecError::Body(_)) && !err.is_fatal(),
        "{err:?}"
    );
    let ServerInbound::Request { header, body } = &items[1] else {
        panic!()
    };
    assert_eq!(
        (
            header.service_method.as_str(),
            body.decode::<i64>().unwrap()
        ),
        ("S.N", 2)
    );

    // Same on the client side.
    let response = one_response(b"{\"id\":1,\"result\":\"text\",\"error\":null}").unwrap();
    assert!(matches!(
        response.body.decode::<Vec<i32>>(),
        Err(CodecError::Body(_))
    ));
}

#[test]
fn request_fields_as_go_reads_them() {
    let (mut dec, _) = Json.server_parts(&Limits::default());
    // Keys fold case, unknown keys are skipped, the last of a repeated key wins.
    let (header, body) = one_request(
        &mut dec,
        br#"{"x":{"method":"no"},"Method":"A.B","PARAMS":[1],"method":"S.M","params":[2],"id":1}"#,
    )
    .unwrap();
    assert_eq!(header.service_method, "S.M");
    assert_eq!(body.decode::<i32>().unwrap(), 2);
    // A missing or null method is "", for the engine to reject as Go's server does.
    let (header, _) = one_request(&mut dec, br#"{"params":[1],"id":1}"#).unwrap();
    assert_eq!(header.service_method, "");
    let (header, _) = one_request(&mut dec, br#"{"method":null,"params":[1],"id":1}"#).unwrap();
    assert_eq!(header.service_method, "");
    // The body is a slice of the frame, not a copy: exactly the params' text.
    let (_, body) =
        one_request(&mut dec, br#"{"method":"S.M","params": [ 1, 2 ] ,"id":1}"#).unwrap();
    assert_eq!(&body.bytes()[..], b"[ 1, 2 ]");
}

#[test]
fn request_with_bad_method_type_is_fatal() {
    for text in [
        &br#"{"method":5,"params":[1],"id":1}"#[..],
        br#"{"method":["S.M"],"id":1}"#,
        br#"{"method":"S.M","params":[1],"id":1,}"#,
        br#"{"method":"S.M" "id":1}"#,
        br#"{"method":"S.M","id":1]"#,
        b"{\"method\":\"\xff\"}",
    ] {
        let (mut dec, _) = Json.server_parts(&Limits::default());
        let err = decode_all(&mut dec, text).unwrap_err();
        assert!(matches!(err, CodecError::Malformed(_)), "{err:?}");
        assert!(err.is_fatal());
    }
}

#[test]
fn response_errors_as_gos_client_reads_them() {
    let cases: [(&[u8], Option<&str>); 7] = [
        (br#"{"id":1,"result":5,"error":null}"#, None),
        (br#"{"id":1,"result":5}"#, None),
        (br#"{"id":1,"result":null,"error":"boom"}"#, Some("boom")),
        (
            br#"{"id":1,"result":null,"error":""}"#,
            Some("unspecified error"),
        ),
        (
            br#"{"id":1,"result":null,"error":42}"#,
            Some("invalid error 42"),
        ),
        (
            br#"{"id":1,"error":{"code":-1}}"#,
            Some("invalid error {\"code\":-1}"),
        ),
        (
            br#"{"ID":1,"Result":1,"ERROR":"esc\u00e9\n","x":[]}"#,
            Some("escé\n"),
        ),
    ];
    for (text, error) in cases {
        let response = one_response(text).unwrap();
        assert_eq!(response.header.seq, 1);
        assert_eq!(
            response.header.error.as_deref(),
            error,
            "{}",
            String::from_utf8_lossy(text)
        );
    }
    // A missing or null result decodes as the zero value.
    for text in [
        &br#"{"id":1}"#[..],
        br#"{"id":1,"result":null,"error":null}"#,
    ] {
        let response = one_response(text).unwrap();
        assert_eq!(response.header, ResponseHeader::ok(1));
        assert_eq!(response.body.decode::<String>().unwrap(), "");
    }
}

#[test]
fn response_without_numeric_id_is_fatal() {
    for text in [
        &br#"{"result":1,"error":null}"#[..],
        br#"{"id":null,"result":1,"error":null}"#,
        br#"{"id":"1","result":1,"error":null}"#,
        br#"{"id":-1,"result":1,"error":null}"#,
        br#"{"id":1.5,"result":1,"error":null}"#,
        br#"{"id":18446744073709551616,"result":1}"#,
    ] {
        let err = one_response(text).unwrap_err();
        assert!(matches!(err, CodecError::Malformed(_)), "{err:?}");
    }
}

/// A stream of requests and their expected (method, argument) pairs.
fn request_stream() -> (Vec<u8>, Vec<(String, i64)>) {
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for i in 0..20i64 {
        let method = format!("Svc.M{i}");
        stream.extend_from_slice(&request_bytes(&method, i as u64, &(i * 1000 - 7)));
        if i % 3 == 0 {
            stream.extend_from_slice(b" \t\r\n\n");
        }
        expected.push((method, i * 1000 - 7));
    }
    stream.extend_from_slice(b"{\"method\":\"Svc.Str\",\"params\":[\"}]{[\\\"\"],\"id\":\"x\"}");
    (stream, expected)
}

fn summarize(items: Vec<ServerInbound>) -> Vec<(String, u64, String)> {
    items
        .into_iter()
        .map(|item| match item {
            ServerInbound::Request { header, body } => (
                header.service_method,
                header.seq,
                String::from_utf8(body.bytes().to_vec()).unwrap(),
            ),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn many_messages_in_one_buffer_and_byte_by_byte() {
    let (stream, expected) = request_stream();
    let (mut dec, _) = Json.server_parts(&Limits::default());
    let whole = summarize(decode_all(&mut dec, &stream).unwrap());
    assert_eq!(whole.len(), expected.len() + 1);
    for ((method, seq, params), (want_method, want_arg)) in whole.iter().zip(&expected) {
        assert_eq!(method, want_method);
        assert_eq!(params, &format!("[{want_arg}]"));
        assert!(*seq >= 1);
    }
    assert_eq!(whole.last().unwrap().2, "[\"}]{[\\\"\"]");

    let (mut dec, _) = Json.server_parts(&Limits::default());
    assert_eq!(
        summarize(decode_bytewise(&mut dec, &stream).unwrap()),
        whole
    );
    for chunk in [2, 3, 7, 64] {
        let (mut dec, _) = Json.server_parts(&Limits::default());
        assert_eq!(
            summarize(decode_chunked(&mut dec, &stream, chunk).unwrap()),
            whole
        );
    }
}

#[test]
fn big_message_in_chunks() {
    let big = big_string(1 << 20);
    let stream = request_bytes("S.Big", 1, &big);
    let (mut dec, _) = Json.server_parts(&Limits::default());
    let items = decode_chunked(&mut dec, &stream, 64 * 1024).unwrap();
    let [ServerInbound::Request { body, .. }] = &items[..] else {
        panic!()
    };
    assert_eq!(body.decode::<String>().unwrap(), big);
}

#[test]
fn responses_byte_by_byte() {
    let stream = b"{\"id\":1,\"result\":[1,2],\"error\":null}\n{\"id\":2,\"result\":null,\"error\":\"e\"}\n  {\"id\":3,\"result\":\"}\"}";
    let (_, mut dec) = Json.client_parts(&Limits::default());
    let whole = decode_all(&mut dec, stream).unwrap();
    let (_, mut dec) = Json.client_parts(&Limits::default());
    let bytewise = decode_bytewise(&mut dec, stream).unwrap();
    let summary = |items: &[ClientInbound]| {
        items
            .iter()
            .map(|r| (r.header.clone(), r.body.bytes().clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&whole), summary(&bytewise));
    assert_eq!(whole.len(), 3);
    assert_eq!(whole[1].header, ResponseHeader::error(2, "e"));
    assert_eq!(whole[2].body.decode::<String>().unwrap(), "}");
}

#[test]
fn end_of_stream() {
    let (mut dec, _) = Json.server_parts(&Limits::default());
    let items = decode_all(&mut dec, b"{\"method\":\"S.M\",\"params\":[1],\"id\":1}\n").unwrap();
    assert_eq!(items.len(), 1);
    let (mut dec, _) = Json.server_parts(&Limits::default());
    assert!(decode_all(&mut dec, b"  \n\r\t ").unwrap().is_empty());

    let message = b"{\"method\":\"S.M\",\"params\":[1],\"id\":1}";
    for cut in 1..message.len() {
        let (mut dec, _) = Json.server_parts(&Limits::default());
        let mut input = b"\n ".to_vec();
        input.extend_from_slice(&message[..cut]);
        let err = decode_all(&mut dec, &input).unwrap_err();
        assert!(
            matches!(err, CodecError::UnexpectedEof(n) if n == cut),
            "{cut}: {err:?}"
        );
    }
    let (_, mut dec) = Json.client_parts(&Limits::default());
    let err = decode_all(&mut dec, b"{\"id\":1,\"result\":").unwrap_err();
    assert!(matches!(err, CodecError::UnexpectedEof(17)), "{err:?}");
}

#[test]
fn garbage_is_malformed() {
    for input in [
        &b"hello"[..],
        b"[1,2]",
        b"\"str\"",
        b"null",
        b"42",
        b"}",
        b"\x00\x01\x02",
        b"\xff\xfe{",
        b"GET / HTTP/1.1\r\n\r\n",
        b"{}}",
        b"{\"method\":\"S.M\"}]",
    ] {
        let (mut dec, _) = Json.server_parts(&Limits::default());
        let err = decode_all(&mut dec, input).unwrap_err();
        assert!(
            matches!(err, CodecError::Malformed(_)),
            "{input:?}: {err:?}"
        );
        let (_, mut dec) = Json.client_parts(&Limits::default());
        let err = decode_all(&mut dec, input).unwrap_err();
        assert!(
            matches!(err, CodecError::Malformed(_)),
            "{input:?}: {err:?}"
        );
    }
}

/// Deterministic pseudo-random mutations of valid streams: every outcome is fine except a panic.
#[test]
fn mutated_input_never_panics() {
    let (stream, _) = request_stream();
    let responses =
        b"{\"id\":1,\"result\":[1,{\"a\":\"b\"}],\"error\":null}\n{\"id\":2,\"error\":\"x\"}"
            .to_vec();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"{}[]\",:\\ \n0123456789-.eEnulltrfa\xff\x00";
    for round in 0..400 {
        let base = if round % 2 == 0 { &stream } else { &responses };
        let mut input = base.clone();
        for _ in 0..(next() % 8 + 1) {
            let pos = (next() as usize) % input.len();
            let byte = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 => input[pos] = byte,
                1 => input.insert(pos, byte),
                _ => {
                    input.remove(pos);
                }
            }
        }
        let small = limits(256, 6);
        let (mut dec, _) = Json.server_parts(&small);
        if let Ok(items) = decode_chunked(&mut dec, &input, 1 + round % 5) {
            for item in items {
                if let ServerInbound::Request { body, .. } = item {
                    let _ = body.decode::<serde_json::Value>();
                    let _ = body.decode::<Args>();
                }
            }
        }
        let (_, mut dec) = Json.client_parts(&small);
        if let Ok(items) = decode_chunked(&mut dec, &input, 1 + round % 3) {
            for item in items {
                let _ = item.body.decode::<serde_json::Value>();
                let _ = item.body.decode::<Vec<i8>>();
            }
        }
    }
}

#[test]
fn max_message_is_inclusive() {
    let message = b"{\"method\":\"S.M\",\"params\":[\"0123456789\"],\"id\":1}";
    let len = message.len();
    let mut stream = message.to_vec();
    stream.extend_from_slice(b"\n\n");
    stream.extend_from_slice(message);

    let (mut dec, _) = Json.server_parts(&limits(len, 8));
    assert_eq!(decode_all(&mut dec, &stream).unwrap().len(), 2);
    let (mut dec, _) = Json.server_parts(&limits(len, 8));
    assert_eq!(decode_bytewise(&mut dec, &stream).unwrap().len(), 2);

    let (mut dec, _) = Json.server_parts(&limits(len - 1, 8));
    let err = decode_all(&mut dec, &stream).unwrap_err();
    assert!(
        matches!(err, CodecError::FrameTooLarge { max, .. } if max == len - 1),
        "{err:?}"
    );
    let (mut dec, _) = Json.server_parts(&limits(len - 1, 8));
    let err = decode_bytewise(&mut dec, &stream).unwrap_err();
    assert!(
        matches!(err, CodecError::FrameTooLarge { len: l, .. } if l == len),
        "{err:?}"
    );

    // The encoders refuse what the peer would refuse (the newline is not counted).
    let (mut enc, _) = Json.client_parts(&limits(len, 8));
    let mut buf = BytesMut::new();
    enc.encode_request(&RequestHeader::new("S.M", 1), &"0123456789", &mut buf)
        .unwrap();
    assert_eq!(&buf[..len], message);
    let (mut enc, _) = Json.client_parts(&limits(len - 1, 8));
    let err = enc
        .encode_request(
            &RequestHeader::new("S.M", 1),
            &"0123456789",
            &mut BytesMut::new(),
        )
        .unwrap_err();
    assert!(
        matches!(&err, CodecError::Encode(m) if m.contains("exceeds the limit")),
        "{err:?}"
    );
}

#[test]
fn oversized_message_stops_buffering() {
    let max = 1024;
    let (mut dec, _) = Json.server_parts(&limits(max, 8));
    let mut buf = BytesMut::new();
    buf.extend_from_slice(b"{\"method\":\"");
    let mut result = Ok(None);
    for _ in 0..100 {
        buf.extend_from_slice(&[b'x'; 100]);
        result = dec.decode(&mut buf);
        if result.is_err() {
            break;
        }
    }
    assert!(
        matches!(result, Err(CodecError::FrameTooLarge { max: 1024, .. })),
        "{result:?}"
    );
    assert!(buf.len() <= max + 100);
}

#[test]
fn nesting_depth_is_bounded() {
    // The request object is level 1, the params array level 2.
    let nested = |depth: usize| {
        format!(
            "{{\"method\":\"S.M\",\"params\":{}{},\"id\":1}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    let (mut dec, _) = Json.server_parts(&Limits::default());
    assert_eq!(
        decode_all(&mut dec, nested(128).as_bytes()).unwrap().len(),
        1
    );
    let (mut dec, _) = Json.server_parts(&Limits::default());
    let err = decode_all(&mut dec, nested(129).as_bytes()).unwrap_err();
    assert!(matches!(err, CodecError::Malformed(_)), "{err:?}");
    // A hostile depth fails as soon as the limit is crossed, without buffering the rest.
    let (mut dec, _) = Json.server_parts(&Limits::default());
    let mut buf = BytesMut::from(format!("{{\"params\":{}", "[".repeat(1_000)).as_bytes());
    assert!(matches!(
        dec.decode(&mut buf),
        Err(CodecError::Malformed(_))
    ));
    let (_, mut dec) = Json.client_parts(&limits(1 << 20, 3));
    let err = decode_all(&mut dec, b"{\"id\":1,\"result\":[[[1]]]}").unwrap_err();
    assert!(matches!(err, CodecError::Malformed(_)), "{err:?}");
    let (_, mut dec) = Json.client_parts(&limits(1 << 20, 3));
    assert_eq!(
        decode_all(&mut dec, b"{\"id\":1,\"result\":[[]]}")
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn codec_trait() {
    assert_eq!(Json.name(), "json");
    let codec: &dyn Codec = &Json;
    let mut client = codec.client(&Limits::default());
    let mut buf = BytesMut::new();
    client
        .encoder
        .encode_request(&RequestHeader::new("S.M", 1), &1, &mut buf)
        .unwrap();
    let mut server = codec.server(&Limits::default());
    assert!(server.decoder.decode(&mut buf).unwrap().is_some());
}

#[tokio::test]
async fn works_with_framed_read() {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    use tokio_util::codec::FramedRead;

    let (mut writer, reader) = tokio::io::duplex(16);
    let (stream, _) = request_stream();
    let sender = tokio::spawn(async move {
        writer.write_all(&stream).await.unwrap();
    });
    let (decoder, _) = Json.server_parts(&Limits::default());
    let items: Vec<_> = FramedRead::new(reader, decoder).collect().await;
    sender.await.unwrap();
    assert_eq!(items.len(), 21);
    assert!(items.iter().all(Result::is_ok));
}

#[test]
fn debug_output() {
    let (dec, enc) = Json.server_parts(&Limits::default());
    assert!(format!("{dec:?}").contains("ServerDecoder"));
    assert!(format!("{enc:?}").contains("ServerEncoder"));
    let (enc, dec) = Json.client_parts(&Limits::default());
    assert!(format!("{enc:?} {dec:?}").contains("ClientDecoder"));
}
