//! Tests of the `quic` transport: streams both ways, resets, closing,
//! refusals, addresses.

use super::*;
use crate::tls::tests::Ca;
use crate::{Address, Listener, Multiplexed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn bind(config: TlsServerConfig) -> QuicListener {
    QuicListener::bind("127.0.0.1:0", config, QuicSettings::default())
        .await
        .unwrap()
}

fn host_port(listener: &QuicListener) -> String {
    match listener.local_addr() {
        Address::Quic(host_port) => host_port.clone(),
        other => panic!("unexpected local address {other}"),
    }
}

fn streams(conn: &Connection) -> Arc<dyn Multiplexed> {
    match &conn.link {
        Link::Multiplexed(streams) => streams.clone(),
        Link::Stream(_) => panic!("a quic connection carries many streams"),
    }
}

/// Dials and accepts one connection.
async fn pair(listener: &mut QuicListener, client: &TlsClientConfig) -> (Connection, Connection) {
    let addr = host_port(listener);
    let settings = QuicSettings::default();
    let (dialed, accepted) = tokio::join!(dial(&addr, client, &settings), listener.accept());
    (dialed.unwrap(), accepted.unwrap())
}

#[tokio::test]
async fn streams_both_ways_with_identities() {
    let ca = Ca::new("test ca");
    let alice = ca.client("alice");
    let server_config = ca.server().with_client_ca_pem(ca.pem().as_bytes()).unwrap();
    let mut listener = bind(server_config).await;
    let client_config = ca
        .trusted_by()
        .with_client_cert_pem(alice.cert_pem.as_bytes(), alice.key_pem.as_bytes())
        .unwrap();
    let (client, server) = pair(&mut listener, &client_config).await;
    assert_eq!(client.peer.transport, "quic");
    assert_eq!(server.peer.transport, "quic");
    let id = server.peer.tls.as_ref().expect("client identity");
    assert_eq!(id.common_name.as_deref(), Some("alice"));
    assert_eq!(id.certificate_der, alice.der);
    assert!(client.peer.tls.is_some());

    let (client, server) = (streams(&client), streams(&server));
    // Client to server, then server to client: either side opens streams.
    for (opener, acceptor) in [(&client, &server), (&server, &client)] {
        let mut out = opener.open().await.unwrap();
        out.write_all(b"ping").await.unwrap();
        let mut inc = acceptor.accept().await.unwrap().unwrap();
        let mut buf = [0; 4];
        inc.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        inc.write_all(b"pong").await.unwrap();
        inc.shutdown().await.unwrap();
        let mut back = Vec::new();
        out.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"pong");
        out.shutdown().await.unwrap();
        let mut rest = Vec::new();
        assert_eq!(inc.read_to_end(&mut rest).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_dropped_stream_is_reset_not_finished() {
    let ca = Ca::new("test ca");
    let mut listener = bind(ca.server()).await;
    let (client, server) = pair(&mut listener, &ca.trusted_by()).await;
    let (client, server) = (streams(&client), streams(&server));
    let mut out = client.open().await.unwrap();
    out.write_all(b"half a request").await.unwrap();
    let mut inc = server.accept().await.unwrap().unwrap();
    let mut buf = [0; 4];
    inc.read_exact(&mut buf).await.unwrap();
    drop(out);
    let mut rest = Vec::new();
    let err = inc.read_to_end(&mut rest).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
}

#[tokio::test]
async fn close_ends_the_peer_with_a_reason() {
    let ca = Ca::new("test ca");
    let mut listener = bind(ca.server()).await;
    let (client, server) = pair(&mut listener, &ca.trusted_by()).await;
    let (client, server) = (streams(&client), streams(&server));
    let mut out = client.open().await.unwrap();
    out.write_all(b"x").await.unwrap();
    let mut inc = server.accept().await.unwrap().unwrap();
    client.close();
    let err = server.closed().await;
    assert_eq!(err.kind(), io::ErrorKind::ConnectionAborted, "{err}");
    assert!(err.to_string().contains("closed by peer"), "{err}");
    assert!(server.accept().await.unwrap().is_none());
    let mut rest = Vec::new();
    let err = inc.read_to_end(&mut rest).await.unwrap_err();
    assert!(err.to_string().contains("closed by peer"), "{err}");
    let err = client.open().await.err().unwrap();
    assert_eq!(err.kind(), io::ErrorKind::NotConnected, "{err}");
}

#[tokio::test]
async fn refusals_are_clear_and_the_listener_goes_on() {
    let ca = Ca::new("test ca");
    let other = Ca::new("other ca");
    let server_config = ca.server().with_client_ca_pem(ca.pem().as_bytes()).unwrap();
    let mut listener = bind(server_config).await;
    let addr = host_port(&listener);
    let accepting = tokio::spawn(async move {
        let conn = listener.accept().await;
        (listener, conn)
    });

    // A server certificate from an unknown CA.
    let err = dial(&addr, &other.trusted_by(), &QuicSettings::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("dial quic {addr}: quic handshake failed")),
        "{text}"
    );
    assert!(text.contains("UnknownIssuer"), "{text}");

    // No client certificate: refused by the server (after the client's
    // handshake, as with TLS 1.3 over TCP).
    let refused = match dial(&addr, &ca.trusted_by(), &QuicSettings::default()).await {
        Err(err) => err,
        Ok(conn) => streams(&conn).closed().await,
    };
    assert!(
        refused.to_string().to_lowercase().contains("certificate"),
        "{refused}"
    );

    // The listener still serves a good client.
    let bob = ca.client("bob");
    let good = ca
        .trusted_by()
        .with_client_cert_pem(bob.cert_pem.as_bytes(), bob.key_pem.as_bytes())
        .unwrap();
    let client = dial(&addr, &good, &QuicSettings::default()).await.unwrap();
    let (_listener, accepted) = accepting.await.unwrap();
    let accepted = accepted.unwrap();
    let id = accepted.peer.tls.unwrap();
    assert_eq!(id.common_name.as_deref(), Some("bob"));
    drop(client);
}

#[tokio::test]
async fn address_round_trip() {
    let (config, _pem) = TlsServerConfig::self_signed(&["localhost"]).unwrap();
    let listener = crate::listen_with(
        &"quic://127.0.0.1:0".parse().unwrap(),
        &crate::ListenOptions::new().with_tls(config),
    )
    .await
    .unwrap();
    let addr = listener.local_addr().to_string();
    assert!(addr.starts_with("quic://127.0.0.1:"), "{addr}");
    assert_eq!(addr.parse::<Address>().unwrap().to_string(), addr);
    let err = crate::dial(&addr.parse().unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("DialOptions::tls"), "{err}");
}
