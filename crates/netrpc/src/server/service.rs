//! What a service is to the server: a name, its methods, and a way to call one with an encoded
//! argument. The [`service!`](crate::service) macro writes this for you.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rpc_proto::Body;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ServiceError;

/// A successful reply, encoded by whichever codec the connection speaks.
pub type Reply = Box<dyn erased_serde::Serialize + Send>;

/// A running method call.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Reply, ServiceError>> + Send>>;

/// A set of methods served under one name, like a value given to Go's `rpc.Register`.
///
/// Usually written by [`service!`](crate::service); implement it by hand for generic services or
/// methods chosen at run time.
pub trait Service: Send + Sync + 'static {
    /// The default name to register under (the type's name, as in Go).
    fn name(&self) -> &'static str;

    /// The methods, as callers spell them, with their argument and result types.
    fn methods(&self) -> &'static [Method];

    /// Starts `method` with its still-encoded argument, or returns `None` when there is no such
    /// method. The argument is decoded inside the returned future; a decoding failure is the
    /// call's error and the connection goes on.
    fn call(self: Arc<Self>, method: &str, body: Body) -> Option<HandlerFuture>;
}

impl fmt::Debug for dyn Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("name", &self.name())
            .field("methods", &self.methods())
            .finish()
    }
}

/// One method of a [`Service`], for listings such as the `/debug/rpc` page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Method {
    /// The name callers use after the dot.
    pub name: &'static str,
    /// The argument type, as written in the source.
    pub arg: &'static str,
    /// The result type, as written in the source.
    pub reply: &'static str,
}

/// Go's `struct{}`: an empty argument or reply (`{}` in JSON, nothing in postcard).
///
/// Prefer it to `()` as a reply: a Go jsonrpc client rejects the `null` that `()` encodes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Empty {}

/// Decodes a method's argument; a failure becomes the call's error text.
pub fn decode_arg<T: DeserializeOwned>(body: &Body) -> Result<T, ServiceError> {
    body.decode()
        .map_err(|err| ServiceError::new(err.to_string()))
}

/// Turns a method's result into a reply or an error text.
pub fn into_reply<R, E>(result: Result<R, E>) -> Result<Reply, ServiceError>
where
    R: Serialize + Send + 'static,
    E: fmt::Display,
{
    match result {
        Ok(reply) => Ok(Box::new(reply)),
        Err(err) => Err(ServiceError::new(err.to_string())),
    }
}

/// Defines a service: an `impl` block whose `async fn`s, each marked `#[rpc("Method")]`, become
/// the methods of a [`Service`] named after the type, or as given with `impl Type as "Name"`.
///
/// Each method takes `&self` and one argument and returns `Result<Reply, E>` where the argument
/// and reply are serde types and `E: Display` (its text is what the caller sees, as Go's
/// `ServerError`).
///
/// ```
/// use netrpc::{Empty, service};
///
/// struct HelloService;
///
/// service! {
///     impl HelloService {
///         #[rpc("Hello")]
///         /// Greets the caller.
///         pub async fn hello(&self, request: String) -> Result<String, std::convert::Infallible> {
///             Ok(format!("hello:{request}"))
///         }
///
///         #[rpc("Fail")]
///         async fn fail(&self, _request: Empty) -> Result<Empty, String> {
///             Err("no".into())
///         }
///     }
/// }
///
/// struct KvStore;
///
/// service! {
///     impl KvStore as "KVStoreService" {
///         #[rpc("Get")]
///         async fn get(&self, key: String) -> Result<String, String> {
///             Err("not found".into())
///         }
///     }
/// }
///
/// use netrpc::Service;
/// assert_eq!(HelloService.name(), "HelloService");
/// let names: Vec<_> = HelloService.methods().iter().map(|m| m.name).collect();
/// assert_eq!(names, ["Hello", "Fail"]);
/// assert_eq!(HelloService.methods()[0].arg, "String");
/// assert_eq!(KvStore.name(), "KVStoreService");
/// ```
#[macro_export]
macro_rules! service {
    (
        $(#[$impl_attr:meta])*
        impl $svc:ident as $name:literal { $($body:tt)* }
    ) => {
        $crate::service!(@impl [$name] $(#[$impl_attr])* impl $svc { $($body)* });
    };
    (
        $(#[$impl_attr:meta])*
        impl $svc:ident { $($body:tt)* }
    ) => {
        $crate::service!(@impl [::std::stringify!($svc)] $(#[$impl_attr])* impl $svc { $($body)* });
    };
    (
        @impl [$name:expr]
        $(#[$impl_attr:meta])*
        impl $svc:ident {
            $(
                #[rpc($method:literal)]
                $(#[$fn_attr:meta])*
                $vis:vis async fn $fn_name:ident(&$self:ident, $arg:ident : $arg_ty:ty) -> $ret:ty $body:block
            )*
        }
    ) => {
        $(#[$impl_attr])*
        impl $svc {
            $(
                $(#[$fn_attr])*
                $vis async fn $fn_name(&$self, $arg: $arg_ty) -> $ret $body
            )*
        }

        impl $crate::Service for $svc {
            fn name(&self) -> &'static str {
                $name
            }

            fn methods(&self) -> &'static [$crate::service::Method] {
                &[$($crate::service::Method {
                    name: $method,
                    arg: ::std::stringify!($arg_ty),
                    reply: ::std::stringify!($ret),
                }),*]
            }

            fn call(
                self: ::std::sync::Arc<Self>,
                method: &str,
                body: $crate::proto::Body,
            ) -> ::std::option::Option<$crate::HandlerFuture> {
                match method {
                    $(
                        $method => ::std::option::Option::Some(::std::boxed::Box::pin(async move {
                            let $arg: $arg_ty = $crate::service::decode_arg(&body)?;
                            $crate::service::into_reply(self.$fn_name($arg).await)
                        })),
                    )*
                    _ => ::std::option::Option::None,
                }
            }
        }
    };
}
