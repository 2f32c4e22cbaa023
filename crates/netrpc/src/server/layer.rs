//! Layers: behaviour wrapped around a [`Service`] without touching its methods, in the shape of
//! tower's `Layer` (authentication, timeouts, limits, metrics).
//!
//! A layer is a value that turns a service into another service, usually one that does
//! something before or after calling the inner one (the wrapper implements [`Service`] itself,
//! delegating `name` and `methods`). Layers compose with [`Stack`]; [`Identity`] adds nothing.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use netrpc::layer::{Layer, Stack};
//! use netrpc::proto::Body;
//! use netrpc::{ConnContext, HandlerFuture, Method, Service, service};
//!
//! /// Counts the calls of the service it wraps.
//! struct Counted<S> {
//!     inner: Arc<S>,
//!     calls: Arc<AtomicU64>,
//! }
//!
//! impl<S: Service> Service for Counted<S> {
//!     fn name(&self) -> &'static str {
//!         self.inner.name()
//!     }
//!     fn methods(&self) -> &'static [Method] {
//!         self.inner.methods()
//!     }
//!     fn call(self: Arc<Self>, ctx: &ConnContext, method: &str, body: Body) -> Option<HandlerFuture> {
//!         let handler = self.inner.clone().call(ctx, method, body)?;
//!         self.calls.fetch_add(1, Ordering::Relaxed);
//!         Some(handler)
//!     }
//! }
//!
//! /// The layer that makes a [`Counted`].
//! #[derive(Clone, Default)]
//! struct CountLayer {
//!     calls: Arc<AtomicU64>,
//! }
//!
//! impl<S: Service> Layer<S> for CountLayer {
//!     type Service = Counted<S>;
//!     fn layer(&self, inner: S) -> Counted<S> {
//!         Counted { inner: Arc::new(inner), calls: self.calls.clone() }
//!     }
//! }
//!
//! struct HelloService;
//! service! {
//!     impl HelloService {
//!         #[rpc("Hello")]
//!         async fn hello(&self, request: String) -> Result<String, String> {
//!             Ok(format!("hello:{request}"))
//!         }
//!     }
//! }
//!
//! let outer = CountLayer::default();
//! let layers = Stack::new(CountLayer::default(), outer.clone());
//! let service = layers.layer(HelloService);
//! assert_eq!(service.name(), "HelloService");
//! let server = netrpc::Server::builder().register(service).build();
//! # drop(server);
//! ```

use crate::Service;

/// Wraps a service in another, adding behaviour (tower's `Layer`).
pub trait Layer<S> {
    /// The wrapping service.
    type Service: Service;

    /// Wraps `inner`.
    fn layer(&self, inner: S) -> Self::Service;
}

impl<S, L: Layer<S>> Layer<S> for &L {
    type Service = L::Service;

    fn layer(&self, inner: S) -> Self::Service {
        (**self).layer(inner)
    }
}

/// The layer that adds nothing: the service as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl<S: Service> Layer<S> for Identity {
    type Service = S;

    fn layer(&self, inner: S) -> S {
        inner
    }
}

/// Two layers in one: `inner` wraps the service first, then `outer` wraps the result, so a
/// call passes through `outer` before `inner`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stack<Inner, Outer> {
    inner: Inner,
    outer: Outer,
}

impl<Inner, Outer> Stack<Inner, Outer> {
    /// `inner` applied first, then `outer`.
    pub fn new(inner: Inner, outer: Outer) -> Self {
        Self { inner, outer }
    }
}

impl<S, Inner, Outer> Layer<S> for Stack<Inner, Outer>
where
    Inner: Layer<S>,
    Outer: Layer<Inner::Service>,
{
    type Service = Outer::Service;

    fn layer(&self, service: S) -> Self::Service {
        self.outer.layer(self.inner.layer(service))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::proto::Body;
    use crate::{ConnContext, HandlerFuture, Method};

    struct Named(&'static str);

    impl Service for Named {
        fn name(&self) -> &'static str {
            self.0
        }
        fn methods(&self) -> &'static [Method] {
            &[]
        }
        fn call(
            self: Arc<Self>,
            _ctx: &ConnContext,
            _method: &str,
            _body: Body,
        ) -> Option<HandlerFuture> {
            None
        }
    }

    /// Prefixes nothing but records its order in the name.
    struct Rename(&'static str);

    impl Layer<Named> for Rename {
        type Service = Named;
        fn layer(&self, _inner: Named) -> Named {
            Named(self.0)
        }
    }

    impl Layer<Named> for &'static str {
        type Service = Named;
        fn layer(&self, inner: Named) -> Named {
            // The outer layer sees what the inner one made.
            assert_eq!(inner.0, "inner");
            Named(self)
        }
    }

    #[test]
    fn stack_applies_inner_then_outer() {
        let stack = Stack::new(Rename("inner"), "outer");
        assert_eq!(stack.layer(Named("service")).name(), "outer");
        assert_eq!(Identity.layer(Named("same")).name(), "same");
        fn apply(layer: impl Layer<Named, Service = Named>) -> Named {
            layer.layer(Named("x"))
        }
        let by_ref = Rename("by ref");
        assert_eq!(apply(&by_ref).name(), "by ref");
    }
}
