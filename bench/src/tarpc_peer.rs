//! tarpc as a peer: the same `Hello` service over tarpc's serde transports (TCP,
//! length-delimited frames) with its bincode and JSON formats, and with postcard through the
//! small tokio-serde format below, so that netrpc's postcard is compared with tarpc's postcard.
//!
//! bincode (1.x) comes in through tarpc's own `serde-transport-bincode` feature and is used only
//! here, in the benchmark.

use std::io;
use std::marker::PhantomData;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, future};
use serde::{Deserialize, Serialize};
use tarpc::client;
use tarpc::context;
use tarpc::server::{BaseChannel, Channel};
use tarpc::tokio_serde::formats::{Bincode, Json};
use tarpc::tokio_serde::{Deserializer, Serializer};

use crate::serve::{MAX_FRAME, spawn_each};

/// The benchmark's service, tarpc's way: `hello(name) -> "hello:" + name`.
#[tarpc::service]
pub trait Hello {
    /// Returns `"hello:" + name`.
    async fn hello(name: String) -> String;
}

/// The server side of [`Hello`].
#[derive(Clone, Copy)]
pub struct HelloServer;

impl Hello for HelloServer {
    async fn hello(self, _: context::Context, name: String) -> String {
        format!("hello:{name}")
    }
}

/// postcard as a tokio-serde format (tarpc's messages are plain serde data, which postcard
/// encodes as it does netrpc's: varints, length-prefixed strings, no field names).
pub struct Postcard<Item, SinkItem> {
    ghost: PhantomData<fn(SinkItem) -> Item>,
}

impl<Item, SinkItem> Default for Postcard<Item, SinkItem> {
    fn default() -> Self {
        Self { ghost: PhantomData }
    }
}

impl<Item, SinkItem> Deserializer<Item> for Postcard<Item, SinkItem>
where
    for<'de> Item: Deserialize<'de>,
{
    type Error = io::Error;

    fn deserialize(self: Pin<&mut Self>, src: &BytesMut) -> Result<Item, io::Error> {
        postcard::from_bytes(src).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))
    }
}

impl<Item, SinkItem: Serialize> Serializer<SinkItem> for Postcard<Item, SinkItem> {
    type Error = io::Error;

    fn serialize(self: Pin<&mut Self>, item: &SinkItem) -> Result<Bytes, io::Error> {
        postcard::to_stdvec(item)
            .map(Bytes::from)
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))
    }
}

/// Serves [`Hello`] with `codec` (`bincode`, `json` or `postcard`) on `listener` until killed.
pub async fn serve(listener: tokio::net::TcpListener, codec: &str) -> Result<(), String> {
    macro_rules! serve_with {
        ($format:expr) => {{
            let mut incoming = tarpc::serde_transport::tcp::listen_on(listener, $format)
                .await
                .map_err(|err| format!("tarpc listen: {err}"))?;
            incoming.config_mut().max_frame_length(MAX_FRAME);
            incoming
                .filter_map(|conn| future::ready(conn.ok()))
                .map(BaseChannel::with_defaults)
                .for_each(|channel| async move {
                    tokio::spawn(spawn_each(channel.execute(HelloServer.serve())));
                })
                .await;
        }};
    }
    match codec {
        "bincode" => serve_with!(Bincode::default),
        "json" => serve_with!(Json::default),
        "postcard" => serve_with!(Postcard::default),
        other => {
            return Err(format!(
                "unknown tarpc codec {other:?} (bincode, json, postcard)"
            ));
        }
    }
    Ok(())
}

/// A connected tarpc client.
pub async fn connect(addr: &str, codec: &str) -> Result<HelloClient, String> {
    let host_port = addr.strip_prefix("tcp://").unwrap_or(addr);
    macro_rules! connect_with {
        ($format:expr) => {{
            let mut connecting = tarpc::serde_transport::tcp::connect(host_port, $format);
            connecting.config_mut().max_frame_length(MAX_FRAME);
            let transport = connecting
                .await
                .map_err(|err| format!("tarpc connect {host_port}: {err}"))?;
            HelloClient::new(client::Config::default(), transport).spawn()
        }};
    }
    Ok(match codec {
        "bincode" => connect_with!(Bincode::default),
        "json" => connect_with!(Json::default),
        "postcard" => connect_with!(Postcard::default),
        other => {
            return Err(format!(
                "unknown tarpc codec {other:?} (bincode, json, postcard)"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_format_round_trips() {
        for codec in ["bincode", "json", "postcard"] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("address");
            let server = tokio::spawn(async move { serve(listener, codec).await });
            let client = connect(&addr.to_string(), codec).await.expect("connect");
            let reply = client
                .hello(context::current(), "x".repeat(100))
                .await
                .expect("call");
            assert_eq!(reply, format!("hello:{}", "x".repeat(100)), "{codec}");
            server.abort();
        }
    }
}
