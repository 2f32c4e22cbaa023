//! Seed 4.3.2: a Watch in its own task, woken by a Set on the same connection.
//!
//! Run: `cargo run --example watch`.

use netrpc::{Client, Empty, Json, Server};
use rpc_services::KvStoreService;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse()?).await?;
    let addr = listener.local_addr().to_string();
    let kv = KvStoreService::default();
    let server = Server::builder().register(kv.clone()).build();
    tokio::spawn(async move { server.serve(listener, Json).await });

    let client = Client::dial(&addr, Json).await?;
    let watcher = {
        let client = client.clone();
        tokio::spawn(async move { client.call::<_, String>("KVStoreService.Watch", &30).await })
    };
    // Wait until the watch is registered, so the Set below is sure to be seen by it.
    while kv.watcher_count() == 0 {
        tokio::task::yield_now().await;
    }
    client
        .call::<_, Empty>("KVStoreService.Set", &["abc", "abc-value"])
        .await?;
    let key_changed = watcher.await??;
    println!("watch: {key_changed}");
    Ok(())
}
