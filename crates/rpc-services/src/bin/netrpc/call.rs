//! `netrpc call`: one call, the reply printed as JSON.
//!
//! With a self-describing codec any method works and the reply is printed as it comes: json sends
//! ARGS_JSON's text as given and prints the reply's JSON text as received, on one line (so a
//! number keeps every digit, as a Go `*big.Int` needs); gob sends the argument as a value of the
//! Go type `--arg-type` names (`time.Time`, `*big.Int`, `interface{}` too), or one inferred from
//! the JSON (string, int, float64, bool, slices, structs for objects), and prints the reply as
//! Go's `encoding/json` would print the Go value (a time in RFC 3339, a big integer with every
//! digit, `[]byte` in base64). A codec
//! that is not self-describing (postcard, protobuf) needs the method's types, which `netrpc call` knows for
//! the seed's services.

use std::time::Duration;

use netrpc::codec::gob::dynamic::{GoType, Typed, Value as GoValue, infer, parse_json};
use netrpc::reverse::ReverseListener;
use netrpc::{Client, Empty};
use rpc_services::{WatchFromArgs, WatchFromReply};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::Failure;
use crate::cli::{CallArgs, CodecArg, parse_addr};

pub(crate) async fn call(args: CallArgs) -> Result<(), Failure> {
    let not_json = |err: serde_json::Error| Failure::Usage(format!("ARGS_JSON is not JSON: {err}"));
    // json sends the argument's text (checked to be JSON) as given; the other codecs need its
    // value.
    let raw_arg: Box<RawValue> =
        serde_json::from_str(args.args.as_deref().unwrap_or("null")).map_err(not_json)?;
    let arg: Value = match (args.codec, &args.arg_type) {
        (CodecArg::Json, _) => Value::Null,
        // A Go type is given: integers beyond 64 bits keep their digits (for `big.Int`).
        (_, Some(_)) => parse_json(raw_arg.get()).map_err(not_json)?,
        _ => serde_json::from_str(raw_arg.get()).map_err(not_json)?,
    };
    let timeout = match args.timeout {
        None => None,
        Some(secs) => Some(
            Duration::try_from_secs_f64(secs)
                .map_err(|_| Failure::Usage(format!("--timeout {secs}: not a duration")))?,
        ),
    };
    let codec = args.codec.client_codec()?;
    let go_type = match (&args.arg_type, args.codec) {
        (None, CodecArg::Gob) => Some(
            infer(&arg)
                .map_err(|err| Failure::Usage(format!("ARGS_JSON: {err} (give --arg-type)")))?,
        ),
        (Some(text), CodecArg::Gob) => {
            Some(GoType::parse(text).map_err(|err| Failure::Usage(format!("--arg-type: {err}")))?)
        }
        (Some(_), _) => {
            return Err(Failure::Usage(
                "--arg-type only applies to --codec gob".into(),
            ));
        }
        (None, _) => None,
    };
    let client = match (&args.connect, &args.accept) {
        (Some(addr), _) => {
            let options = args.tls.dial_options(&parse_addr(addr)?)?;
            Client::builder()
                .dial_options(options)
                .dial(addr, codec)
                .await?
        }
        (None, Some(addr)) => {
            let options = args.tls.accept_options(&parse_addr(addr)?)?;
            let mut listener = ReverseListener::bind_with(addr, &options, codec).await?;
            eprintln!("listening on {}", listener.local_addr());
            listener
                .accept()
                .await
                .map_err(|err| Failure::Link(format!("accept: {err}")))?
        }
        (None, None) => return Err(Failure::Usage("--connect or --accept is required".into())),
    };
    let client = match timeout {
        Some(timeout) => client.with_timeout(timeout),
        None => client,
    };
    let text = match (args.codec, &go_type) {
        (CodecArg::Json, _) => {
            let reply: Box<RawValue> = client.call(&args.method, &raw_arg).await?;
            one_line(reply.get())
        }
        (CodecArg::Gob, Some(ty)) => client
            .call::<_, GoValue>(&args.method, &Typed::new(&arg, ty))
            .await?
            .to_string(),
        (CodecArg::Postcard | CodecArg::Protobuf, _) => {
            to_text(&typed_call(&client, &args.method, arg, args.codec).await?)?
        }
        _ => to_text(&client.call::<Value, Value>(&args.method, &arg).await?)?,
    };
    println!("{text}");
    client.close();
    Ok(())
}

/// A reply value as compact JSON.
fn to_text(reply: &Value) -> Result<String, Failure> {
    serde_json::to_string(reply).map_err(|err| Failure::Link(err.to_string()))
}

/// Valid JSON text as one compact line, as `serde_json::to_string` writes a value: whitespace
/// outside strings dropped and string escapes written as serde_json writes them (`"<"`, not Go's
/// `"\u003c"`), while numbers and the order of object keys stay exactly as they came.
fn one_line(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(at) = rest.find(['"', ' ', '\t', '\n', '\r']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if !rest.starts_with('"') {
            rest = rest.trim_start_matches([' ', '\t', '\n', '\r']);
            continue;
        }
        let len = string_len(rest);
        let string = &rest[..len];
        rest = &rest[len..];
        match serde_json::from_str::<String>(string) {
            Ok(value) if string.contains('\\') => {
                // A String always serializes.
                out.push_str(&serde_json::to_string(&value).unwrap_or_else(|_| string.into()));
            }
            _ => out.push_str(string),
        }
    }
    out.push_str(rest);
    out
}

/// The length of the JSON string literal at the start of `text`, quotes included (all of
/// `text` if it does not end).
fn string_len(text: &str) -> usize {
    let mut escaped = false;
    for (i, byte) in text.bytes().enumerate().skip(1) {
        match byte {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return i + 1,
            _ => {}
        }
    }
    text.len()
}

/// Calls a method whose types are known, converting the JSON argument and the reply.
async fn typed_call(
    client: &Client,
    method: &str,
    arg: Value,
    codec: CodecArg,
) -> Result<Value, Failure> {
    match method {
        "HelloService.Hello" => typed::<String, String>(client, method, arg).await,
        "HelloService.Login" => typed::<String, String>(client, method, arg).await,
        "KVStoreService.Get" => typed::<String, String>(client, method, arg).await,
        "KVStoreService.Set" => typed::<[String; 2], Empty>(client, method, arg).await,
        "KVStoreService.Watch" => typed::<i64, String>(client, method, arg).await,
        "KVStoreService.Revision" => typed::<Empty, u64>(client, method, arg).await,
        "KVStoreService.WatchFrom" => {
            typed::<WatchFromArgs, WatchFromReply>(client, method, arg).await
        }
        _ => Err(Failure::Usage(format!(
            "{method}: the {codec:?} codec is not self-describing and netrpc call does not know \
             this method's types (use --codec gob or json)"
        ))),
    }
}

async fn typed<A, R>(client: &Client, method: &str, arg: Value) -> Result<Value, Failure>
where
    A: DeserializeOwned + Serialize,
    R: DeserializeOwned + Serialize,
{
    let arg: A = if arg.is_null() {
        netrpc::proto::zero::value()
            .map_err(|err| Failure::Usage(format!("ARGS_JSON for {method}: {err}")))?
    } else {
        serde_json::from_value(arg)
            .map_err(|err| Failure::Usage(format!("ARGS_JSON for {method}: {err}")))?
    };
    let reply: R = client.call(method, &arg).await?;
    serde_json::to_value(reply).map_err(|err| Failure::Link(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn one_line_is_compact_with_numbers_as_they_came() {
        assert_eq!(
            one_line(
                "{ \"a b\" : [1 ,\n 2.50e+30 ],\r\n\t\"c\\\" d\":\"\\u003c\\u0026 \\u00e9\\n\"}"
            ),
            "{\"a b\":[1,2.50e+30],\"c\\\" d\":\"<& é\\n\"}"
        );
        assert_eq!(
            one_line("1267650600228229401496703205376"),
            "1267650600228229401496703205376"
        );
        assert_eq!(one_line(" \"é 🦀\" "), "\"é 🦀\"");
        assert_eq!(one_line(r#"{"z":1e+21,"a":[]}"#), r#"{"z":1e+21,"a":[]}"#);
        // serde_json's own compact text is left as it is.
        for value in [
            serde_json::json!({"k": ["\u{1}\"\\/\t", null, true, -0.5, {}]}),
            serde_json::json!("\u{2028}<>&"),
        ] {
            let text = serde_json::to_string(&value).unwrap();
            assert_eq!(one_line(&text), text);
            assert_eq!(
                one_line(&serde_json::to_string_pretty(&value).unwrap()),
                text
            );
        }
    }
}
