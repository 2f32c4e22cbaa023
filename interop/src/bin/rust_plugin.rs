//! A go-plugin net/rpc plugin in Rust for the interop tests, the twin of the Go module's
//! `cmd/testplugin`: handshake `NETRPC_TEST_PLUGIN=yes`, version 1; it serves `test` (Greet,
//! CallHost, ServeBack, Block, Crash, Print, Panic, Pid) and `greeter` (go-plugin's basic greeter).
//! Protocol version 2 has only a `greeter`, which says so. `RUST_PLUGIN_TCP=1` makes it listen on
//! TCP instead of a Unix socket.

use std::convert::Infallible;

use netrpc_plugin::{Broker, HandshakeConfig, Listen, ServeConfig};

/// The `test` plugin, with the broker of its session.
struct Test {
    broker: Broker,
}

netrpc::service! {
    impl Test {
        #[rpc("Greet")]
        async fn greet(&self, _args: Option<()>) -> Result<String, Infallible> {
            Ok("Hello!".into())
        }

        #[rpc("CallHost")]
        /// Dials the host's broker id and calls `Plugin.Hello("plugin")` there.
        async fn call_host(&self, id: u32) -> Result<String, String> {
            let client = self.broker.dial(id).await.map_err(|err| err.to_string())?;
            let reply = client
                .call::<_, String>("Plugin.Hello", "plugin")
                .await
                .map_err(|err| err.to_string());
            client.close();
            reply
        }

        #[rpc("ServeBack")]
        /// Serves a `Hello` from `who` under a new broker id and returns the id.
        async fn serve_back(&self, who: String) -> Result<u32, Infallible> {
            let id = self.broker.next_id();
            tokio::spawn(self.broker.clone().accept_and_serve(id, interop::go_plugin::Hello { who }));
            Ok(id)
        }

        #[rpc("Block")]
        async fn block(&self, _args: Option<()>) -> Result<String, Infallible> {
            std::future::pending::<()>().await;
            Ok(String::new())
        }

        #[rpc("Crash")]
        async fn crash(&self, code: i32) -> Result<String, Infallible> {
            std::process::exit(code)
        }

        #[rpc("Print")]
        /// Prints `text` with `println!` and `eprintln!`, which netrpc-plugin redirects (fd 1
        /// and fd 2) to the host's SyncStdout and SyncStderr.
        async fn print(&self, text: String) -> Result<String, Infallible> {
            println!("{text}");
            eprintln!("{text}");
            Ok(text)
        }

        #[rpc("Panic")]
        /// Panics: the message goes to the host's log (the original standard error), not to
        /// the redirected fd 2.
        async fn panic(&self, text: String) -> Result<String, Infallible> {
            panic!("{text}")
        }

        #[rpc("Pid")]
        async fn pid(&self, _args: Option<()>) -> Result<i64, Infallible> {
            Ok(i64::from(std::process::id()))
        }
    }
}

struct Greeter;

netrpc::service! {
    impl Greeter {
        #[rpc("Greet")]
        async fn greet(&self, _args: Option<()>) -> Result<String, Infallible> {
            Ok("Hello!".into())
        }
    }
}

/// The greeter of protocol version 2.
struct GreeterV2;

netrpc::service! {
    impl GreeterV2 {
        #[rpc("Greet")]
        async fn greet(&self, _args: Option<()>) -> Result<String, Infallible> {
            Ok("Hello, version 2!".into())
        }
    }
}

#[tokio::main]
async fn main() {
    let handshake = HandshakeConfig::new(1, "NETRPC_TEST_PLUGIN", "yes");
    let config = ServeConfig::new(handshake)
        .plugin_with("test", |broker: &Broker| {
            Ok::<_, Infallible>(Test {
                broker: broker.clone(),
            })
        })
        .plugin("greeter", Greeter)
        .versioned_plugin(2, "greeter", |_: &Broker| Ok::<_, Infallible>(GreeterV2));
    // RUST_PLUGIN_TCP=1: listen on TCP 127.0.0.1, as go-plugin does on Windows.
    let config = match std::env::var("RUST_PLUGIN_TCP").as_deref() {
        Ok("1") => config.listen(Listen::Tcp),
        _ => config,
    };
    netrpc_plugin::serve(config).await;
}
