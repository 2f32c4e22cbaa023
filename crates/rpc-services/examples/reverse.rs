//! Seed 4.3.3: reverse RPC. The service side dials out and serves over that link; the calling
//! side listens and calls through the client each inbound link becomes.
//!
//! Run: `cargo run --example reverse`.

use netrpc::reverse::{Backoff, ReverseListener};
use netrpc::{Json, Server};
use rpc_services::HelloService;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The calling side, reachable by the service.
    let listener = ReverseListener::bind("tcp://127.0.0.1:0", Json).await?;
    let addr = listener.local_addr().to_string();
    let mut client_chan = listener.into_clients();

    // The service side, which cannot be reached but can reach out.
    let server = Server::builder().register(HelloService).build();
    tokio::spawn(async move { server.serve_reverse(&addr, Json, Backoff::default()).await });

    let client = client_chan.next().await.ok_or("listener stopped")?;
    let reply: String = client.call("HelloService.Hello", "hello").await?;
    println!("{reply}");
    client.close();
    Ok(())
}
