//! Seed 4.3.1: an asynchronous call with `Client::go`, its result collected later.
//!
//! Run: `cargo run --example async_call` (starts its own server on a free loopback port).

use netrpc::{Client, Json, Server};
use rpc_services::HelloService;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse()?).await?;
    let addr = listener.local_addr().to_string();
    let server = Server::builder().register(HelloService).build();
    tokio::spawn(async move { server.serve(listener, Json).await });

    let client = Client::dial(&addr, Json).await?;
    // The request goes out now ...
    let hello_call = client.go::<_, String>("HelloService.Hello", "hello".to_string());
    // ... do something else ...
    // ... and collect the finished call, which carries its method, args and reply.
    let done = hello_call.await;
    let reply = done.reply?;
    println!("{} {}", done.args, reply);
    Ok(())
}
