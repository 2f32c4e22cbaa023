//! What a service is to the server: a name, its methods, and a way to call one with an encoded
//! argument. The [`service!`](macro@crate::service) macro writes this for you.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use rpc_proto::Body;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ConnContext, ServiceError};

/// A successful reply, encoded by whichever codec the connection speaks: the value, and its type
/// when the method's reply type is known ([`rpc_proto::Reply`]; the [`service!`](crate::service!)
/// macro gives the type of every reply that is `Deserialize`).
pub use rpc_proto::Reply;

/// A running method call.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Reply, ServiceError>> + Send>>;

/// A set of methods served under one name, like a value given to Go's `rpc.Register`.
///
/// Usually written by [`service!`](macro@crate::service); implement it by hand for generic services or
/// methods chosen at run time.
pub trait Service: Send + Sync + 'static {
    /// The default name to register under (the type's name, as in Go).
    fn name(&self) -> &'static str;

    /// The methods, as callers spell them, with their argument and result types.
    fn methods(&self) -> &'static [Method];

    /// Starts `method` with its still-encoded argument for a caller on the connection `ctx`, or
    /// returns `None` when there is no such method. The argument is decoded inside the returned
    /// future; a decoding failure is the call's error and the connection goes on. A method that
    /// needs the connection (who calls, its session state) clones `ctx` into its future.
    fn call(self: Arc<Self>, ctx: &ConnContext, method: &str, body: Body) -> Option<HandlerFuture>;
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

/// Turns a method's result into a reply or an error text. The reply goes out as it is, its type
/// unknown to the codec; the [`service!`](crate::service!) macro also gives the codec the reply's
/// type when it is `Deserialize` (see [`ReplyProbe`]), which a generic function cannot tell.
pub fn into_reply<R, E>(result: Result<R, E>) -> Result<Reply, ServiceError>
where
    R: Serialize + Send + 'static,
    E: fmt::Display,
{
    match result {
        Ok(reply) => Ok(Reply::new(reply)),
        Err(err) => Err(ServiceError::new(err.to_string())),
    }
}

/// Turns a method's result into a reply that carries its type ([`Reply::typed`]) or an error
/// text.
pub fn into_typed_reply<R, E>(result: Result<R, E>) -> Result<Reply, ServiceError>
where
    R: Serialize + DeserializeOwned + Send + 'static,
    E: fmt::Display,
{
    match result {
        Ok(reply) => Ok(Reply::typed(reply)),
        Err(err) => Err(ServiceError::new(err.to_string())),
    }
}

/// What the [`service!`](crate::service!) macro turns a method's result into a reply with,
/// chosen by the method's result type `T` (`Result<R, E>`) with autoref specialization: on a
/// `&ReplyProbe<T>`, [`TypedReply`] (a reply `R` that is also `Deserialize`, which goes out with
/// its [`TypeInfo`](rpc_proto::TypeInfo) for codecs that need more than the value shows) comes
/// before [`PlainReply`] (any other reply), so replies that are not `Deserialize` still compile
/// and are sent as they are.
#[doc(hidden)]
pub struct ReplyProbe<T>(PhantomData<fn() -> T>);

impl<T> ReplyProbe<T> {
    /// A probe for the result type `T`.
    #[doc(hidden)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(PhantomData)
    }

    /// A probe for the type of `result` (which may be one the macro cannot name, such as
    /// `Result<impl Serialize, E>`).
    #[doc(hidden)]
    pub fn of(_result: &T) -> Self {
        Self(PhantomData)
    }
}

/// See [`ReplyProbe`]: a reply with its type.
#[doc(hidden)]
pub trait TypedReply<R, E> {
    /// The reply, or the error's text.
    fn reply(&self, result: Result<R, E>) -> Result<Reply, ServiceError>;
}

impl<R, E> TypedReply<R, E> for ReplyProbe<Result<R, E>>
where
    R: Serialize + DeserializeOwned + Send + 'static,
    E: fmt::Display,
{
    fn reply(&self, result: Result<R, E>) -> Result<Reply, ServiceError> {
        into_typed_reply(result)
    }
}

/// See [`ReplyProbe`]: a reply as it is.
#[doc(hidden)]
pub trait PlainReply<R, E> {
    /// The reply, or the error's text.
    fn reply(&self, result: Result<R, E>) -> Result<Reply, ServiceError>
    where
        R: Serialize + Send + 'static,
        E: fmt::Display;
}

impl<R, E> PlainReply<R, E> for &ReplyProbe<Result<R, E>> {
    fn reply(&self, result: Result<R, E>) -> Result<Reply, ServiceError>
    where
        R: Serialize + Send + 'static,
        E: fmt::Display,
    {
        into_reply(result)
    }
}

/// Defines a service: an `impl` block whose `async fn`s, each marked `#[rpc("Method")]`, become
/// the methods of a [`Service`] named after the type, or as given with `impl Type as "Name"`.
///
/// Each method takes `&self`, optionally `ctx: &ConnContext` (the connection the call came on:
/// its peer, its session state), and one argument, and returns `Result<Reply, E>` where the
/// argument and reply are serde types and `E: Display` (its text is what the caller sees, as
/// Go's `ServerError`). A reply whose type is also `Deserialize` goes to the codec with its type
/// ([`Reply::typed`]), for codecs that need more than the value shows (gob's empty sequences
/// and maps).
///
/// ```
/// use netrpc::{ConnContext, Empty, service};
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
///
///         #[rpc("WhoAmI")]
///         /// The caller's address, from the connection the call came on.
///         async fn who_am_i(&self, ctx: &ConnContext, _request: Empty) -> Result<String, String> {
///             Ok(ctx.remote_addr().to_string())
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
/// assert_eq!(names, ["Hello", "Fail", "WhoAmI"]);
/// assert_eq!(HelloService.methods()[2].arg, "Empty");
/// assert_eq!(HelloService.methods()[0].arg, "String");
/// assert_eq!(KvStore.name(), "KVStoreService");
/// ```
#[macro_export]
macro_rules! service {
    // A method's argument type as written, with or without the connection parameter.
    (@arg_name &$self:ident, $ctx:ident : &$ctx_ty:ty, $arg:ident : $arg_ty:ty $(,)?) => {
        ::std::stringify!($arg_ty)
    };
    (@arg_name &$self:ident, $arg:ident : $arg_ty:ty $(,)?) => {
        ::std::stringify!($arg_ty)
    };
    // A call of a method on `$this` (an `Arc<Self>`) for the connection `$ctx` (a
    // `&ConnContext`), with its argument decoded from `$body`: a method that takes the
    // connection gets its own clone of the context.
    (
        @call $this:ident, $ctx:ident, $body:ident, $fn_name:ident,
        (&$self:ident, $ctx_param:ident : &$ctx_ty:ty, $arg:ident : $arg_ty:ty $(,)?)
    ) => {{
        let ctx: $crate::ConnContext = ::std::clone::Clone::clone($ctx);
        ::std::boxed::Box::pin(async move {
            #[allow(unused_imports)]
            use $crate::service::{PlainReply as _, TypedReply as _};
            let $arg: $arg_ty = $crate::service::decode_arg(&$body)?;
            let result = $this.$fn_name(&ctx, $arg).await;
            // The reply with its type when it is `Deserialize` (see `ReplyProbe`).
            let probe = $crate::service::ReplyProbe::of(&result);
            (&probe).reply(result)
        })
    }};
    (
        @call $this:ident, $ctx:ident, $body:ident, $fn_name:ident,
        (&$self:ident, $arg:ident : $arg_ty:ty $(,)?)
    ) => {{
        let _ = $ctx;
        ::std::boxed::Box::pin(async move {
            #[allow(unused_imports)]
            use $crate::service::{PlainReply as _, TypedReply as _};
            let $arg: $arg_ty = $crate::service::decode_arg(&$body)?;
            let result = $this.$fn_name($arg).await;
            // The reply with its type when it is `Deserialize` (see `ReplyProbe`).
            let probe = $crate::service::ReplyProbe::of(&result);
            (&probe).reply(result)
        })
    }};
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
                $vis:vis async fn $fn_name:ident($($params:tt)*) -> $ret:ty $body:block
            )*
        }
    ) => {
        $(#[$impl_attr])*
        impl $svc {
            $(
                $(#[$fn_attr])*
                $vis async fn $fn_name($($params)*) -> $ret $body
            )*
        }

        impl $crate::Service for $svc {
            fn name(&self) -> &'static str {
                $name
            }

            fn methods(&self) -> &'static [$crate::service::Method] {
                &[$($crate::service::Method {
                    name: $method,
                    arg: $crate::service!(@arg_name $($params)*),
                    reply: ::std::stringify!($ret),
                }),*]
            }

            fn call(
                self: ::std::sync::Arc<Self>,
                ctx: &$crate::ConnContext,
                method: &str,
                body: $crate::proto::Body,
            ) -> ::std::option::Option<$crate::HandlerFuture> {
                match method {
                    $(
                        $method => ::std::option::Option::Some(
                            $crate::service!(@call self, ctx, body, $fn_name, ($($params)*))
                        ),
                    )*
                    _ => ::std::option::Option::None,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::convert::Infallible;

    use rpc_proto::TypeInfo;
    use serde::Serialize;

    use super::*;

    /// A reply type that is not `Deserialize`: sent as it is.
    #[derive(Serialize)]
    struct Report {
        lines: Vec<String>,
    }

    struct Replies;

    service! {
        impl Replies {
            #[rpc("Ints")]
            async fn ints(&self, _arg: Empty) -> Result<Vec<i64>, Infallible> {
                Ok(Vec::new())
            }

            #[rpc("Report")]
            async fn report(&self, _arg: Empty) -> Result<Report, String> {
                Ok(Report { lines: Vec::new() })
            }

            #[rpc("Opaque")]
            async fn opaque(&self, _arg: Empty) -> Result<impl Serialize + Send + 'static, String> {
                Ok(vec![1u8])
            }

            #[rpc("Peer")]
            /// Takes the connection (and a trailing comma).
            async fn peer(&self, ctx: &ConnContext, greeting: String,) -> Result<String, String> {
                ctx.state().insert(greeting.clone());
                Ok(format!("{greeting} {} #{}", ctx.remote_addr(), ctx.id()))
            }

            #[rpc("Count")]
            /// Counts the calls on the connection, in its state.
            async fn count(&self, ctx: &crate::ConnContext, _arg: Empty) -> Result<u64, String> {
                let n = ctx.state().get::<u64>().unwrap_or(0) + 1;
                ctx.state().insert(n);
                Ok(n)
            }
        }
    }

    fn ctx(id: u64) -> ConnContext {
        ConnContext::new(
            id,
            rpc_transport::Peer::new("mem", format!("mem://t#{id}")),
            "test",
        )
    }

    fn json(reply: &Reply) -> String {
        serde_json::to_string(reply.value()).unwrap()
    }

    #[test]
    // `(&probe)` as the macro writes it, which picks the reply's kind.
    #[allow(clippy::needless_borrow)]
    fn replies_that_are_deserialize_carry_their_type() {
        let probe = ReplyProbe::<Result<Vec<i64>, Infallible>>::new();
        let reply = (&probe).reply(Ok(Vec::new())).unwrap();
        assert_eq!(reply.type_info(), Some(TypeInfo::of::<Vec<i64>>()));
        assert_eq!(json(&reply), "[]");

        let probe = ReplyProbe::<Result<HashMap<String, Vec<u8>>, String>>::new();
        let reply = (&probe).reply(Ok(HashMap::new())).unwrap();
        assert_eq!(
            reply.type_info(),
            Some(TypeInfo::of::<HashMap<String, Vec<u8>>>())
        );
        let err = (&probe).reply(Err("no".into())).err().unwrap();
        assert_eq!(err.to_string(), "no");

        // Not `Deserialize`: as it is.
        let probe = ReplyProbe::<Result<Report, String>>::new();
        let reply = (&probe).reply(Ok(Report { lines: Vec::new() })).unwrap();
        assert_eq!(reply.type_info(), None);
        assert_eq!(json(&reply), r#"{"lines":[]}"#);

        assert_eq!(into_reply::<_, String>(Ok(1u8)).unwrap().type_info(), None);
        assert_eq!(
            into_typed_reply::<_, String>(Ok(1u8)).unwrap().type_info(),
            Some(TypeInfo::of::<u8>())
        );
    }

    /// A body whose every decode is the zero value.
    fn zero_body() -> rpc_proto::Body {
        #[derive(Debug)]
        struct Zero;
        impl rpc_proto::BodyFormat for Zero {
            fn decode<'de>(
                &self,
                _: &'de [u8],
                visit: &mut dyn FnMut(
                    rpc_proto::BodySource<'_, 'de>,
                ) -> Result<(), erased_serde::Error>,
            ) -> Result<(), rpc_proto::CodecError> {
                visit(rpc_proto::BodySource::Zero)
                    .map_err(|e| rpc_proto::CodecError::Body(e.to_string()))
            }
        }
        rpc_proto::Body::new(bytes::Bytes::new(), Arc::new(Zero))
    }

    #[tokio::test]
    async fn service_replies_carry_their_types() {
        let ctx = ctx(1);
        let call = |method: &'static str| {
            let ctx = ctx.clone();
            async move {
                Arc::new(Replies)
                    .call(&ctx, method, zero_body())
                    .unwrap()
                    .await
                    .unwrap()
            }
        };
        let ints = call("Ints").await;
        assert_eq!(ints.type_info(), Some(TypeInfo::of::<Vec<i64>>()));
        assert_eq!(json(&ints), "[]");
        let report = call("Report").await;
        assert_eq!(report.type_info(), None);
        assert_eq!(json(&report), r#"{"lines":[]}"#);
        let opaque = call("Opaque").await;
        assert_eq!(opaque.type_info(), None);
        assert_eq!(json(&opaque), "[1]");
    }

    #[test]
    fn service_methods_with_either_kind_of_reply() {
        let names: Vec<_> = Replies.methods().iter().map(|m| m.reply).collect();
        assert_eq!(names.len(), 5);
        assert_eq!(
            names[..2],
            ["Result<Vec<i64>, Infallible>", "Result<Report, String>"]
        );
        // A method taking the connection lists its argument, not the connection.
        let args: Vec<_> = Replies.methods().iter().map(|m| m.arg).collect();
        assert_eq!(args, ["Empty", "Empty", "Empty", "String", "Empty"]);
    }

    /// A string body decoding as `text`.
    fn string_body(text: &str) -> rpc_proto::Body {
        #[derive(Debug)]
        struct Json;
        impl rpc_proto::BodyFormat for Json {
            fn decode<'de>(
                &self,
                bytes: &'de [u8],
                visit: &mut dyn FnMut(
                    rpc_proto::BodySource<'_, 'de>,
                ) -> Result<(), erased_serde::Error>,
            ) -> Result<(), rpc_proto::CodecError> {
                let mut de = serde_json::Deserializer::from_slice(bytes);
                let mut erased = <dyn erased_serde::Deserializer>::erase(&mut de);
                visit(rpc_proto::BodySource::Value(&mut erased))
                    .map_err(|e| rpc_proto::CodecError::Body(e.to_string()))
            }
        }
        let json = serde_json::to_vec(text).unwrap();
        rpc_proto::Body::new(json.into(), Arc::new(Json))
    }

    #[tokio::test]
    async fn methods_that_take_the_connection_get_the_callers() {
        let service = Arc::new(Replies);
        let (one, two) = (ctx(1), ctx(2));
        let reply = service
            .clone()
            .call(&one, "Peer", string_body("hi"))
            .unwrap()
            .await
            .unwrap();
        assert_eq!(json(&reply), r#""hi mem://t#1 #1""#);
        assert_eq!(reply.type_info(), Some(TypeInfo::of::<String>()));
        assert_eq!(one.state().get::<String>().as_deref(), Some("hi"));
        assert_eq!(two.state().get::<String>(), None);

        // Each connection's own state; the handler holds its own clone of the context.
        let count = |ctx: &ConnContext| service.clone().call(ctx, "Count", zero_body()).unwrap();
        let first = count(&one);
        let second = count(&one);
        let other = count(&two);
        drop((one, two));
        assert_eq!(json(&first.await.unwrap()), "1");
        assert_eq!(json(&second.await.unwrap()), "2");
        assert_eq!(json(&other.await.unwrap()), "1");
        assert!(service.clone().call(&ctx(3), "Nope", zero_body()).is_none());
    }
}
