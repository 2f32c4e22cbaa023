//! A host for go-plugin's basic greeter (Go's or the Rust `greeter_plugin` example): launches
//! the plugin, dispenses `greeter`, prints what `Plugin.Greet` returns, and stops the plugin.
//! With `--measure N` it also times the start, N calls one after another, N calls at once, and
//! the kill.
//!
//! ```text
//! cargo build --release --examples
//! target/release/examples/greeter_host target/release/examples/greeter_plugin
//! target/release/examples/greeter_host PATH --measure 10000
//! ```

use std::time::{Duration, Instant};

use netrpc_plugin::{Client, ClientConfig, HandshakeConfig, Nil};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "./plugin/greeter".into());
    let measure: Option<usize> = match (args.next().as_deref(), args.next()) {
        (Some("--measure"), Some(n)) => Some(n.parse()?),
        (None, _) => None,
        _ => return Err("usage: greeter_host [PATH [--measure N]]".into()),
    };
    let handshake = HandshakeConfig::new(1, "BASIC_PLUGIN", "hello");
    let config = ClientConfig::new(tokio::process::Command::new(&path), handshake);
    let started = Instant::now();
    let plugin = Client::start(config).await?;
    let greeter = plugin.dispense("greeter").await?;
    let greeting: String = greeter.call("Plugin.Greet", &Nil).await?;
    let first = started.elapsed();
    println!("{greeting}");
    if let Some(n) = measure {
        println!("start + dispense + first call: {first:?}");
        let began = Instant::now();
        for _ in 0..n {
            let _: String = greeter.call("Plugin.Greet", &Nil).await?;
        }
        let one_by_one = began.elapsed();
        println!(
            "{n} calls one after another: {one_by_one:?} ({:?} per call)",
            one_by_one / n.max(1) as u32
        );
        let began = Instant::now();
        let calls: Vec<_> = (0..n)
            .map(|_| greeter.go::<_, String>("Plugin.Greet", Nil))
            .collect();
        for call in calls {
            call.await.reply?;
        }
        let at_once = began.elapsed();
        println!(
            "{n} calls at once: {at_once:?} ({:.0} calls/s)",
            n as f64 / at_once.max(Duration::from_nanos(1)).as_secs_f64()
        );
    }
    let began = Instant::now();
    let status = plugin.kill().await;
    if measure.is_some() {
        println!("kill: {:?} ({status:?})", began.elapsed());
    }
    Ok(())
}
