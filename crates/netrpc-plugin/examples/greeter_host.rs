//! A host for go-plugin's basic greeter (Go's or the Rust `greeter_plugin` example): launches
//! the plugin, dispenses `greeter`, prints what `Plugin.Greet` returns, and stops the plugin.
//!
//! ```text
//! cargo build --examples
//! cargo run --example greeter_host -- target/debug/examples/greeter_plugin
//! ```

use netrpc_plugin::{Client, ClientConfig, HandshakeConfig, Nil};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "./plugin/greeter".into());
    let handshake = HandshakeConfig::new(1, "BASIC_PLUGIN", "hello");
    let config = ClientConfig::new(tokio::process::Command::new(path), handshake);
    let plugin = Client::start(config).await?;
    let greeter = plugin.dispense("greeter").await?;
    let greeting: String = greeter.call("Plugin.Greet", &Nil).await?;
    println!("{greeting}");
    plugin.kill().await;
    Ok(())
}
