//! `netrpc plugin call`: launch a go-plugin net/rpc plugin, dispense one plugin, make one call
//! with gob (as `netrpc call` does), print the reply as Go's `encoding/json` would, and stop the
//! plugin as go-plugin's host does.

use std::time::Duration;

use netrpc::codec::gob::dynamic::{GoType, Typed, Value as GoValue, infer, parse_json};
use netrpc_plugin::{Client, ClientConfig, HandshakeConfig};
use serde_json::Value;

use crate::Failure;
use crate::cli::PluginCallArgs;

pub(crate) async fn call(args: PluginCallArgs) -> Result<(), Failure> {
    let not_json = |err: serde_json::Error| Failure::Usage(format!("ARGS_JSON is not JSON: {err}"));
    let text = args.args.as_deref().unwrap_or("null");
    let (arg, ty): (Value, GoType) = match &args.arg_type {
        Some(ty) => (
            parse_json(text).map_err(not_json)?,
            GoType::parse(ty).map_err(|err| Failure::Usage(format!("--arg-type: {err}")))?,
        ),
        None => {
            let arg: Value = serde_json::from_str(text).map_err(not_json)?;
            // null: a nil interface value, as go-plugin's hosts send for "no argument".
            let ty = if arg.is_null() {
                GoType::Interface
            } else {
                infer(&arg)
                    .map_err(|err| Failure::Usage(format!("ARGS_JSON: {err} (give --arg-type)")))?
            };
            (arg, ty)
        }
    };
    let seconds = |flag: &str, secs: f64| {
        Duration::try_from_secs_f64(secs)
            .map_err(|_| Failure::Usage(format!("{flag} {secs}: not a duration")))
    };
    let start_timeout = seconds("--start-timeout", args.start_timeout)?;
    let timeout = args
        .timeout
        .map(|secs| seconds("--timeout", secs))
        .transpose()?;

    let (key, value) = args.cookie.clone().unwrap_or_default();
    let handshake = HandshakeConfig::new(args.version, key, value);
    let mut cmd = tokio::process::Command::new(&args.cmd);
    cmd.args(&args.cmd_args);
    let config = ClientConfig::new(cmd, handshake).start_timeout(start_timeout);
    let plugin = match Client::start(config).await {
        Ok(plugin) => plugin,
        Err(err) => {
            if let Some(tail) = err.plugin_stderr().filter(|tail| !tail.is_empty()) {
                eprintln!("plugin stderr:\n{}", tail.trim_end());
            }
            return Err(Failure::Link(format!(
                "starting plugin {}: {err}",
                args.cmd.display()
            )));
        }
    };
    let result = call_plugin(&plugin, &args, &arg, &ty, timeout).await;
    if let Err(Failure::Link(_)) = &result {
        // The plugin's own log often says why.
        let tail = plugin.stderr_tail();
        if !tail.is_empty() {
            eprintln!("plugin stderr:\n{}", tail.trim_end());
        }
    }
    plugin.kill().await;
    let reply = result?;
    println!("{reply}");
    Ok(())
}

async fn call_plugin(
    plugin: &Client,
    args: &PluginCallArgs,
    arg: &Value,
    ty: &GoType,
    timeout: Option<Duration>,
) -> Result<String, Failure> {
    let client = plugin
        .dispense(&args.dispense)
        .await
        .map_err(|err| match err {
            netrpc_plugin::PluginError::Rpc(err) => Failure::from(err),
            other => Failure::Link(other.to_string()),
        })?;
    let client = match timeout {
        Some(timeout) => client.with_timeout(timeout),
        None => client,
    };
    let reply: GoValue = client.call(&args.method, &Typed::new(arg, ty)).await?;
    client.close();
    Ok(reply.to_string())
}
