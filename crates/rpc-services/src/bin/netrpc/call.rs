//! `netrpc call`: one call, the reply printed as JSON.
//!
//! With a self-describing codec any method works and the reply is printed as it comes: json sends
//! the argument as the JSON given; gob sends it as a value of the Go type `--arg-type` names, or
//! one inferred from the JSON (string, int, float64, bool, slices, structs for objects). A codec
//! that is not self-describing (postcard, protobuf) needs the method's types, which `netrpc call` knows for
//! the seed's services.

use std::time::Duration;

use netrpc::codec::gob::dynamic::{GoType, Typed, infer};
use netrpc::reverse::ReverseListener;
use netrpc::{Client, Empty};
use rpc_services::{WatchFromArgs, WatchFromReply};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Failure;
use crate::cli::{CallArgs, CodecArg, parse_addr};

pub(crate) async fn call(args: CallArgs) -> Result<(), Failure> {
    let arg: Value = match &args.args {
        None => Value::Null,
        Some(text) => serde_json::from_str(text)
            .map_err(|err| Failure::Usage(format!("ARGS_JSON is not JSON: {err}")))?,
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
    let reply = match (args.codec, &go_type) {
        (CodecArg::Gob, Some(ty)) => {
            client
                .call::<_, Value>(&args.method, &Typed::new(&arg, ty))
                .await?
        }
        (CodecArg::Postcard | CodecArg::Protobuf, _) => {
            typed_call(&client, &args.method, arg, args.codec).await?
        }
        _ => client.call::<Value, Value>(&args.method, &arg).await?,
    };
    let text = serde_json::to_string(&reply).map_err(|err| Failure::Link(err.to_string()))?;
    println!("{text}");
    client.close();
    Ok(())
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
