//! A go-plugin host in Rust for the interop tests: `rust_host PLUGIN [--kill-with-host]`
//! launches the plugin (the test programs' handshake), dispenses `test`, prints
//! `plugin pid PID` (from `Plugin.Pid`) and waits until killed.

use netrpc_plugin::{Client, ClientConfig, HandshakeConfig, Nil};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: rust_host PLUGIN [--kill-with-host]")?;
    let mut config = ClientConfig::new(
        tokio::process::Command::new(path),
        HandshakeConfig::new(1, "NETRPC_TEST_PLUGIN", "yes"),
    );
    config.kill_with_host = args.next().as_deref() == Some("--kill-with-host");
    let plugin = Client::start(config).await?;
    let test = plugin.dispense("test").await?;
    let pid: i64 = test.call("Plugin.Pid", &Nil).await?;
    println!("plugin pid {pid}");
    std::future::pending::<()>().await;
    Ok(())
}
