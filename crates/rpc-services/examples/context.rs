//! Seed 4.3.4: a service built for each connection, which knows its peer and keeps a login.
//!
//! Run: `cargo run --example context`.

use netrpc::{Client, Json, Server};
use rpc_services::{Credentials, LoginHelloService};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse()?).await?;
    let addr = listener.local_addr().to_string();
    let credentials = Credentials::new("user:password");
    let server = Server::builder()
        .register_per_connection("HelloService", move |ctx| {
            LoginHelloService::new(ctx, credentials.clone())
        })
        .build();
    tokio::spawn(async move { server.serve(listener, Json).await });

    let client = Client::dial(&addr, Json).await?;
    let before = client
        .call::<_, String>("HelloService.Hello", "hello")
        .await;
    println!("before login: {}", before.unwrap_err());
    let wrong = client
        .call::<_, String>("HelloService.Login", "user:wrong")
        .await;
    println!("wrong password: {}", wrong.unwrap_err());
    client
        .call::<_, String>("HelloService.Login", "user:password")
        .await?;
    let reply: String = client.call("HelloService.Hello", "hello").await?;
    println!("{reply}");

    // Login state belongs to the connection: a new one starts logged out.
    let other = Client::dial(&addr, Json).await?;
    let fresh = other.call::<_, String>("HelloService.Hello", "hello").await;
    println!("new connection: {}", fresh.unwrap_err());
    Ok(())
}
