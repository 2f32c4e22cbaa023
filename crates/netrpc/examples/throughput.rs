//! A quick closed-loop load: CONNS connections × INFLIGHT calls in flight of a 64-byte Hello,
//! server and client in one process over loopback TCP, for 5 seconds.
//!
//! Run: `cargo run --release -p netrpc --example throughput -- [gob|json|postcard|protobuf] [CONNS] [INFLIGHT]`.
//! An informal figure until the benchmark harness exists; it shares two cores between both ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use netrpc::{Client, Codec, Server, service};

struct HelloService;

service! {
    impl HelloService {
        #[rpc("Hello")]
        async fn hello(&self, request: String) -> Result<String, std::convert::Infallible> {
            Ok(format!("hello:{request}"))
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let codec_name = args.get(1).map(String::as_str).unwrap_or("postcard");
    let conns: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(16);
    let in_flight: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(16);
    let codec: Arc<dyn Codec> = match codec_name {
        "json" => Arc::new(netrpc::Json),
        "postcard" => Arc::new(netrpc::Postcard),
        "gob" => Arc::new(netrpc::Gob),
        "protobuf" => Arc::new(netrpc::Protobuf),
        other => return Err(format!("unknown codec {other:?}").into()),
    };
    let listener = netrpc::transport::listen(&"tcp://127.0.0.1:0".parse()?).await?;
    let addr = listener.local_addr().to_string();
    let server = Server::builder().register(HelloService).build();
    tokio::spawn({
        let codec = codec.clone();
        async move { server.serve(listener, codec).await }
    });

    let calls = Arc::new(AtomicU64::new(0));
    let duration = Duration::from_secs(5);
    let payload = "x".repeat(64);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let client = Client::dial(&addr, codec.clone()).await?;
        for _ in 0..in_flight {
            let (client, calls, payload) = (client.clone(), calls.clone(), payload.clone());
            tasks.push(tokio::spawn(async move {
                while start.elapsed() < duration {
                    let reply: Result<String, _> =
                        client.call("HelloService.Hello", &payload).await;
                    if reply.is_ok() {
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
    }
    for task in tasks {
        task.await?;
    }
    let n = calls.load(Ordering::Relaxed) as f64;
    println!(
        "{codec_name} {conns}x{in_flight}: {:.0} calls/s",
        n / start.elapsed().as_secs_f64()
    );
    Ok(())
}
