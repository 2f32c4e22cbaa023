//! go-plugin's `examples/basic` greeter plugin, in Rust: go-plugin's unchanged basic host loads
//! it as `./plugin/greeter`.
//!
//! ```text
//! cargo build --release --examples
//! mkdir -p /tmp/basic/plugin && cp target/release/examples/greeter_plugin /tmp/basic/plugin/greeter
//! (cd /tmp/basic && ./basic)    # go-plugin's host, built from examples/basic: prints Hello!
//! ```
//!
//! Like the Go plugin, it logs hclog JSON lines to its standard error, which the host reads
//! into its own log, and answers `Plugin.Greet` with `Hello!`. Run by hand (without
//! `BASIC_PLUGIN=hello` in its environment) it says it is a plugin and exits with status 1.

use std::convert::Infallible;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use netrpc_plugin::{HandshakeConfig, ServeConfig};

/// The greeter: `Greet` takes the host's `new(interface{})` (a nil interface value, `None`
/// here) and returns a `string`.
struct Greeter;

netrpc::service! {
    impl Greeter {
        #[rpc("Greet")]
        async fn greet(&self, _args: Option<()>) -> Result<String, Infallible> {
            log("message from GreeterHello.Greet", &[]);
            Ok("Hello!".into())
        }
    }
}

/// The handshake of go-plugin's basic example.
fn handshake() -> HandshakeConfig {
    HandshakeConfig::new(1, "BASIC_PLUGIN", "hello")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    log("message from plugin", &[("foo", "bar")]);
    netrpc_plugin::serve(ServeConfig::new(handshake()).plugin("greeter", Greeter)).await;
}

/// Writes a debug line as hclog's JSON logger does, to the host's log.
fn log(message: &str, pairs: &[(&str, &str)]) {
    let mut line = format!(
        "{{\"@level\":\"debug\",\"@message\":{},\"@timestamp\":\"{}\"",
        json_string(message),
        timestamp()
    );
    for (key, value) in pairs {
        line.push_str(&format!(",{}:{}", json_string(key), json_string(value)));
    }
    line.push_str("}\n");
    let _ = netrpc_plugin::host_stderr().write_all(line.as_bytes());
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Now in UTC, as hclog writes it (`2006-01-02T15:04:05.000000Z07:00`).
fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        now.subsec_micros()
    )
}
