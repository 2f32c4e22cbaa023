//! The protocol above yamux, over an in-memory session pair.

use std::convert::Infallible;
use std::sync::Arc;

use netrpc::{Empty, Gob, service};
use rpc_transport::{Connection, Multiplexed, Peer};
use tokio::io::AsyncReadExt;

use crate::mux::memory;
use crate::plugin::SharedPlugin;
use crate::serve::serve_session;
use crate::stdio::{Capture, Stdio};
use crate::{Broker, BrokerError, Nil, PluginSet};

struct Greeter;

service! {
    impl Greeter {
        #[rpc("Greet")]
        async fn greet(&self, _args: Option<()>) -> Result<String, Infallible> {
            Ok("Hello!".into())
        }
    }
}

/// Calls back into the host through the broker id it is given.
struct Caller {
    broker: Broker,
}

service! {
    impl Caller {
        #[rpc("CallHost")]
        async fn call_host(&self, id: u32) -> Result<String, String> {
            let client = self.broker.dial(id).await.map_err(|err| err.to_string())?;
            client
                .call::<_, String>("Plugin.Greet", &Nil)
                .await
                .map_err(|err| err.to_string())
        }
    }
}

fn plugins() -> Arc<PluginSet> {
    let mut set = PluginSet::new();
    set.insert("greeter".into(), Arc::new(SharedPlugin(Arc::new(Greeter))));
    set.insert(
        "caller".into(),
        Arc::new(|broker: &Broker| {
            Ok::<_, String>(Caller {
                broker: broker.clone(),
            })
        }),
    );
    Arc::new(set)
}

/// A host's side of a session: the three streams opened, the control client and the broker.
struct Host {
    session: Arc<dyn Multiplexed>,
    control: netrpc::Client,
    broker: Broker,
    stdout: rpc_transport::BoxStream,
    /// Kept open: a stream dropped before the plugin accepts it is reset and never accepted.
    _stderr: rpc_transport::BoxStream,
}

async fn host(session: Arc<dyn Multiplexed>) -> Host {
    let control = session.open().await.unwrap();
    let stdout = session.open().await.unwrap();
    let stderr = session.open().await.unwrap();
    let peer = Peer::new("mem", "plugin");
    let broker = Broker::new(session.clone(), peer.clone());
    tokio::spawn(broker.clone().run());
    Host {
        control: netrpc::Client::new(Connection::boxed(control, peer), Gob),
        session,
        broker,
        stdout,
        _stderr: stderr,
    }
}

/// Two ends of a real yamux session over an in-memory pipe.
fn yamux_pair() -> (Arc<dyn Multiplexed>, Arc<dyn Multiplexed>) {
    let (a, b) = tokio::io::duplex(64 * 1024);
    (
        crate::mux::session(Box::new(a), crate::mux::Role::Host),
        crate::mux::session(Box::new(b), crate::mux::Role::Plugin),
    )
}

#[tokio::test]
async fn dispense_call_callback_and_quit_in_memory() {
    dispense_call_callback_and_quit(memory::pair()).await;
}

#[tokio::test]
async fn dispense_call_callback_and_quit_over_yamux() {
    dispense_call_callback_and_quit(yamux_pair()).await;
}

/// The sync writers are process-wide: one serving at a time.
static SERVING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn dispense_call_callback_and_quit(sessions: (Arc<dyn Multiplexed>, Arc<dyn Multiplexed>)) {
    let _one = SERVING.lock().await;
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        dispense_call_callback_and_quit_within(sessions),
    )
    .await
    .expect("the scenario finished within 30 s");
}

async fn dispense_call_callback_and_quit_within(
    (host_side, plugin_side): (Arc<dyn Multiplexed>, Arc<dyn Multiplexed>),
) {
    let plugin = tokio::spawn(async move {
        let mut capture = Capture::new(Stdio::Keep).unwrap();
        let forwarding = serve_session(
            plugin_side,
            plugins(),
            Peer::new("mem", "host"),
            &mut capture,
        )
        .await
        .unwrap();
        capture.finish();
        forwarding.finish(std::time::Duration::from_secs(1)).await;
    });
    let mut host = host(host_side).await;
    crate::control::calls::ping(&host.control).await.unwrap();

    let id = crate::control::calls::dispense(&host.control, "greeter")
        .await
        .unwrap();
    assert_eq!(id, 1);
    let greeter = host.broker.dial(id).await.unwrap();
    let greeting: String = greeter.call("Plugin.Greet", &Nil).await.unwrap();
    assert_eq!(greeting, "Hello!");

    let err = crate::control::calls::dispense(&host.control, "nope")
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown plugin type: nope");

    // The plugin dials a server the host serves under an id of its own.
    let id = crate::control::calls::dispense(&host.control, "caller")
        .await
        .unwrap();
    assert_eq!(id, 2);
    let caller = host.broker.dial(id).await.unwrap();
    let host_id = host.broker.next_id();
    tokio::spawn(host.broker.clone().accept_and_serve(host_id, Greeter));
    let through: String = caller.call("Plugin.CallHost", &host_id).await.unwrap();
    assert_eq!(through, "Hello!");

    // What the plugin writes through its sync writer reaches the host's stdout stream.
    {
        use std::io::Write;
        crate::sync_stdout().write_all(b"printed\n").unwrap();
    }
    let mut buf = [0u8; 8];
    host.stdout.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"printed\n");

    let _: Empty = host.control.call("Control.Quit", &true).await.unwrap();
    host.session.close();
    plugin.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn broker_timeouts_and_acks() {
    let (a, b) = memory::pair();
    let a = Broker::new(a, Peer::new("mem", "b"));
    let b = Broker::new(b, Peer::new("mem", "a"));
    tokio::spawn(a.clone().run());
    tokio::spawn(b.clone().run());

    // Nothing dials: the accept gives up after 5 s with go-plugin's text.
    let Err(err) = a.accept_stream(7).await else {
        panic!("accepted")
    };
    assert!(matches!(err, BrokerError::AcceptTimeout));
    assert_eq!(err.to_string(), "timeout waiting for accept");

    // A dial that comes before its accept waits parked.
    let dial = tokio::spawn({
        let b = b.clone();
        async move { b.dial_stream(9).await.map(|_| ()) }
    });
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    a.accept_stream(9).await.unwrap();
    dial.await.unwrap().unwrap();

    // Nobody accepts: the parked stream is closed after 5 s and the dial fails.
    let Err(err) = b.dial_stream(11).await else {
        panic!("dialed")
    };
    assert!(matches!(err, BrokerError::Io(_)), "{err}");
}

#[test]
fn a_nil_interface_decodes_as_none_or_unit() {
    // Nil is what go-plugin's hosts send as `new(interface{})`; the Go side of this is
    // interop/tests/goplugin.rs.
    let bytes = netrpc::codec::gob::to_vec(&Nil).unwrap();
    let none: Option<()> = netrpc::codec::gob::from_slice(&bytes).unwrap();
    assert_eq!(none, None);
    let unit: () = netrpc::codec::gob::from_slice(&bytes).unwrap();
    assert_eq!(unit, ());
    let none: Option<String> = netrpc::codec::gob::from_slice(&bytes).unwrap();
    assert_eq!(none, None);
}

#[tokio::test]
async fn a_wrong_ack_is_go_plugins_error() {
    use tokio::io::AsyncWriteExt;
    let (a, b) = memory::pair();
    let broker = Broker::new(a, Peer::new("mem", "b"));
    let peer = tokio::spawn(async move {
        let mut stream = b.accept().await.unwrap().unwrap();
        let mut id = [0u8; 4];
        stream.read_exact(&mut id).await.unwrap();
        assert_eq!(u32::from_le_bytes(id), 5);
        stream.write_all(&6u32.to_le_bytes()).await.unwrap();
        stream
    });
    let Err(err) = broker.dial_stream(5).await else {
        panic!("dialed");
    };
    assert_eq!(err.to_string(), "bad ack: 6 (expected 5)");
    drop(peer.await.unwrap());
}
