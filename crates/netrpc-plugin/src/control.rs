//! The control stream's services, which a plugin serves on the session's first stream with Go's
//! net/rpc and gob (go-plugin's `controlServer` and `dispenseServer`):
//!
//! - `Control.Ping(bool) -> struct{}`: the plugin is alive;
//! - `Control.Quit(bool) -> struct{}`: the plugin should exit;
//! - `Dispenser.Dispense(string) -> uint32`: builds the named plugin, and serves it as `Plugin`
//!   on the broker stream whose id it returns (`unknown plugin type: NAME` for a name the
//!   plugin does not have).

use std::convert::Infallible;
use std::sync::Arc;

use netrpc::{Empty, service};
use tokio_util::sync::CancellationToken;

use crate::{Broker, PluginSet};

/// `Control`: Ping and Quit.
pub(crate) struct Control {
    /// Cancelled by Quit.
    pub(crate) quit: CancellationToken,
}

service! {
    impl Control {
        #[rpc("Ping")]
        async fn ping(&self, _null: bool) -> Result<Empty, Infallible> {
            Ok(Empty {})
        }

        #[rpc("Quit")]
        async fn quit_call(&self, _null: bool) -> Result<Empty, Infallible> {
            tracing::debug!("plugin: the host asked the plugin to quit");
            self.quit.cancel();
            Ok(Empty {})
        }
    }
}

/// `Dispenser`: Dispense.
pub(crate) struct Dispenser {
    pub(crate) broker: Broker,
    pub(crate) plugins: Arc<PluginSet>,
}

service! {
    impl Dispenser {
        #[rpc("Dispense")]
        async fn dispense(&self, name: String) -> Result<u32, String> {
            let Some(plugin) = self.plugins.get(&name) else {
                return Err(format!("unknown plugin type: {name}"));
            };
            // Built first, so that its error is the call's.
            let service = plugin.server(&self.broker)?;
            let id = self.broker.next_id();
            let broker = self.broker.clone();
            tokio::spawn(async move {
                if let Err(err) = broker.accept_and_serve_shared(id, service).await {
                    tracing::error!("go-plugin: plugin dispense error: {name}: {err}");
                }
            });
            Ok(id)
        }
    }
}

/// The host's side of the control stream.
pub(crate) mod calls {
    use netrpc::{Client, Empty, Error};

    /// `Control.Ping`.
    pub(crate) async fn ping(control: &Client) -> Result<(), Error> {
        control.call::<bool, Empty>("Control.Ping", &true).await?;
        Ok(())
    }

    /// `Control.Quit`.
    pub(crate) async fn quit(control: &Client) -> Result<(), Error> {
        control.call::<bool, Empty>("Control.Quit", &true).await?;
        Ok(())
    }

    /// `Dispenser.Dispense`: the broker id the plugin serves `name` on.
    pub(crate) async fn dispense(control: &Client, name: &str) -> Result<u32, Error> {
        control.call::<str, u32>("Dispenser.Dispense", name).await
    }
}
