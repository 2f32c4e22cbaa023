//! The seed's services over QUIC, server and client in one process: login, Hello, and a Watch
//! woken by a Set on the same connection.
//!
//! Over QUIC each call travels on a stream of its own, so the Watch that waits below holds up
//! nothing: the Set and the other calls pass it on the same connection. The server has a fresh
//! self-signed certificate, which the client trusts explicitly.
//!
//! Run: `cargo run --example quic_demo`.

use netrpc::transport::tls::{TlsClientConfig, TlsServerConfig};
use netrpc::transport::{DialOptions, ListenOptions};
use netrpc::{Auto, Client, Empty, Postcard, Server};
use rpc_services::{Credentials, KvStoreService, LoginHelloService};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The server: a self-signed certificate, KV and the login-guarded HelloService.
    let (tls, cert_pem) = TlsServerConfig::self_signed(&["localhost", "127.0.0.1"])?;
    let listener = netrpc::transport::listen_with(
        &"quic://127.0.0.1:0".parse()?,
        &ListenOptions::new().with_tls(tls),
    )
    .await?;
    let addr = listener.local_addr().to_string();
    let kv = KvStoreService::default();
    let credentials = Credentials::new("user:password");
    let server = Server::builder()
        .register(kv.clone())
        .register_per_connection("HelloService", move |ctx| {
            LoginHelloService::new(ctx, credentials.clone())
        })
        .build();
    tokio::spawn(async move { server.serve(listener, Auto).await });
    println!("serving on {addr}");

    // The client trusts exactly that certificate.
    let trust = TlsClientConfig::from_ca_pem(cert_pem.as_bytes())?;
    let client = Client::builder()
        .dial_options(DialOptions::new().with_tls(trust))
        .dial(&addr, Postcard)
        .await?;
    println!(
        "connected over {} to {}",
        client.peer().transport,
        client.peer().addr
    );

    // Login.
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
    let hello: String = client.call("HelloService.Hello", "hello").await?;
    println!("after login: {hello}");

    // A Watch waits on its own stream; a Set on the same connection wakes it.
    let watch = client.go::<_, String>("KVStoreService.Watch", 30i64);
    while kv.watcher_count() == 0 {
        tokio::task::yield_now().await;
    }
    let meanwhile: String = client
        .call("HelloService.Hello", "while a watch waits")
        .await?;
    println!("{meanwhile}");
    client
        .call::<_, Empty>("KVStoreService.Set", &["abc", "abc-value"])
        .await?;
    let changed = watch.await.reply?;
    println!("watch: key {changed:?} changed");
    Ok(())
}
