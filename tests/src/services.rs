//! Services whose calls a test controls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use netrpc::{ConnContext, Empty, service};
use tokio::sync::{mpsc, oneshot};

/// Calls parked until the test releases them, by id.
#[derive(Default)]
pub struct Gates {
    open: Mutex<HashMap<u64, oneshot::Sender<()>>>,
}

impl Gates {
    /// Releases the call parked under `id`; false if none is.
    pub fn release(&self, id: u64) -> bool {
        let gate = self.open.lock().expect("gates").remove(&id);
        gate.is_some_and(|tx| tx.send(()).is_ok())
    }
}

/// Signals from handlers to the test.
pub struct Probe {
    entered: mpsc::UnboundedReceiver<u64>,
    dropped: mpsc::UnboundedReceiver<u64>,
}

impl Probe {
    /// Waits until a handler entered (`Block` or `Hang`); returns its id.
    pub async fn entered(&mut self) -> u64 {
        self.entered.recv().await.expect("service alive")
    }

    /// Waits until a handler was dropped before finishing (cancelled); returns its id.
    pub async fn dropped(&mut self) -> u64 {
        self.dropped.recv().await.expect("service alive")
    }

    /// A handler dropped so far, if any, without waiting.
    pub fn try_dropped(&mut self) -> Option<u64> {
        self.dropped.try_recv().ok()
    }
}

/// The service the suite calls: `Test.Echo`, `Test.Big`, `Test.Add`, `Test.Fail`, `Test.Block`, `Test.Hang`,
/// `Test.Panic`.
#[derive(Clone)]
pub struct TestService {
    /// Parked `Block` calls.
    pub gates: Arc<Gates>,
    entered: mpsc::UnboundedSender<u64>,
    dropped: mpsc::UnboundedSender<u64>,
}

impl TestService {
    /// A service and the probe that observes its handlers.
    pub fn new() -> (TestService, Probe) {
        let (entered_tx, entered) = mpsc::unbounded_channel();
        let (dropped_tx, dropped) = mpsc::unbounded_channel();
        let svc = TestService {
            gates: Arc::default(),
            entered: entered_tx,
            dropped: dropped_tx,
        };
        (svc, Probe { entered, dropped })
    }
}

/// Reports a handler dropped before it finished.
struct DropSignal {
    id: u64,
    finished: bool,
    tx: mpsc::UnboundedSender<u64>,
}

impl Drop for DropSignal {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.tx.send(self.id);
        }
    }
}

service! {
    impl TestService {
        #[rpc("Echo")]
        async fn echo(&self, text: String) -> Result<String, String> {
            Ok(text)
        }

        #[rpc("Big")]
        /// A reply of `len` bytes.
        async fn big(&self, len: u64) -> Result<String, String> {
            Ok("b".repeat(usize::try_from(len).map_err(|e| e.to_string())?))
        }

        #[rpc("Add")]
        async fn add(&self, pair: [i64; 2]) -> Result<i64, String> {
            pair[0].checked_add(pair[1]).ok_or_else(|| "overflow".to_string())
        }

        #[rpc("Fail")]
        async fn fail(&self, message: String) -> Result<Empty, String> {
            Err(message)
        }

        #[rpc("Block")]
        /// Parks until the test releases `id`, then returns it.
        async fn block(&self, id: u64) -> Result<u64, String> {
            let (tx, rx) = oneshot::channel();
            self.gates.open.lock().map_err(|e| e.to_string())?.insert(id, tx);
            let mut signal = DropSignal { id, finished: false, tx: self.dropped.clone() };
            let _ = self.entered.send(id);
            rx.await.map_err(|_| "gate dropped".to_string())?;
            signal.finished = true;
            Ok(id)
        }

        #[rpc("Hang")]
        /// Never returns; reports when it is cancelled.
        async fn hang(&self, id: u64) -> Result<Empty, String> {
            let _signal = DropSignal { id, finished: false, tx: self.dropped.clone() };
            let _ = self.entered.send(id);
            std::future::pending::<()>().await;
            Ok(Empty {})
        }

        #[rpc("Peer")]
        /// The caller's address, as the call's `ConnContext` gives it to a shared service.
        async fn peer(&self, ctx: &ConnContext, _arg: Empty) -> Result<String, String> {
            Ok(ctx.remote_addr().to_string())
        }

        #[rpc("Panic")]
        async fn panic(&self, message: String) -> Result<Empty, String> {
            panic!("{message}")
        }
    }
}

/// A per-connection service: reports the connection it was built for, counts its calls, and
/// reports when its connection ends.
pub struct Tracked {
    ctx: ConnContext,
    calls: AtomicUsize,
    closed: mpsc::UnboundedSender<u64>,
}

impl Tracked {
    /// A factory for `register_per_connection`, and the receiver of closed connection ids.
    pub fn factory() -> (
        impl Fn(&ConnContext) -> Tracked + Send + Sync + 'static,
        mpsc::UnboundedReceiver<u64>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        let factory = move |ctx: &ConnContext| Tracked {
            ctx: ctx.clone(),
            calls: AtomicUsize::new(0),
            closed: tx.clone(),
        };
        (factory, rx)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let _ = self.closed.send(self.ctx.id());
    }
}

/// Who a connection is, as `Tracked.Whoami` reports it.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Whoami {
    /// The connection id.
    pub id: u64,
    /// The peer address the server sees.
    pub peer: String,
    /// Calls this connection has made so far, this one included.
    pub calls: u64,
}

service! {
    impl Tracked {
        #[rpc("Whoami")]
        /// Who this connection is.
        async fn whoami(&self, _arg: Empty) -> Result<Whoami, String> {
            let calls = self.calls.fetch_add(1, Ordering::Relaxed) as u64 + 1;
            Ok(Whoami { id: self.ctx.id(), peer: self.ctx.remote_addr().to_string(), calls })
        }
    }
}
