//! What a plugin serves: the [`Plugin`] trait (go-plugin's `Plugin.Server`), turning a name
//! the host dispenses into a netrpc [`Service`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use netrpc::proto::Body;
use netrpc::service::Method;
use netrpc::{ConnContext, HandlerFuture, Service};

use crate::Broker;

/// Builds what a plugin serves each time the host dispenses it (go-plugin's
/// `Plugin.Server(*MuxBroker)`): a netrpc [`Service`], which the host reaches as `Plugin`
/// (`Plugin.Greet`), whatever the service's own name.
///
/// Any `Fn(&Broker) -> Result<S, E>` is a plugin (`S: Service`, `E: Display`); so is a shared
/// service given to [`ServeConfig::plugin`](crate::ServeConfig::plugin). The broker lets the
/// service dial servers of the host's (callbacks) or serve more of its own.
pub trait Plugin: Send + Sync + 'static {
    /// The service for one dispense, or the error text the host's `Dispense` returns.
    fn server(&self, broker: &Broker) -> Result<Arc<dyn Service>, String>;
}

impl<F, S, E> Plugin for F
where
    F: Fn(&Broker) -> Result<S, E> + Send + Sync + 'static,
    S: Service,
    E: fmt::Display,
{
    fn server(&self, broker: &Broker) -> Result<Arc<dyn Service>, String> {
        match self(broker) {
            Ok(service) => Ok(Arc::new(service)),
            Err(err) => Err(err.to_string()),
        }
    }
}

/// One service shared by every dispense.
pub(crate) struct SharedPlugin(pub(crate) Arc<dyn Service>);

impl Plugin for SharedPlugin {
    fn server(&self, _broker: &Broker) -> Result<Arc<dyn Service>, String> {
        Ok(self.0.clone())
    }
}

/// The plugins of one protocol version, by the name the host dispenses (Go's `PluginSet`).
pub type PluginSet = BTreeMap<String, Arc<dyn Plugin>>;

/// A shared service registered as a service of its own (the server takes services by value).
pub(crate) struct Shared(pub(crate) Arc<dyn Service>);

impl Service for Shared {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn methods(&self) -> &'static [Method] {
        self.0.methods()
    }

    fn call(self: Arc<Self>, ctx: &ConnContext, method: &str, body: Body) -> Option<HandlerFuture> {
        self.0.clone().call(ctx, method, body)
    }
}
