//! The header messages of package `netrpc.v1`, as `crates/rpc-proto/proto/netrpc.proto` declares
//! them, written by hand for prost (no protoc at build time). Keep the two in sync.

/// What a client sends before each body: a call or a cancellation.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ClientFrame {
    #[prost(oneof = "Kind", tags = "1, 2")]
    pub(crate) kind: Option<Kind>,
}

/// `ClientFrame.kind`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub(crate) enum Kind {
    /// A call; its body is the argument.
    #[prost(message, tag = "1")]
    Call(RequestHeader),
    /// The client gave up on a call; its body is empty.
    #[prost(message, tag = "2")]
    Cancel(Cancel),
}

/// The header of a call.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct RequestHeader {
    /// `"Service.Method"`.
    #[prost(string, tag = "1")]
    pub(crate) service_method: String,
    /// Chosen by the client; the response carries it back.
    #[prost(uint64, tag = "2")]
    pub(crate) seq: u64,
    /// How long the client waits, in microseconds from when the server reads the request.
    /// Absent: no timeout.
    #[prost(uint64, optional, tag = "3")]
    pub(crate) timeout_us: Option<u64>,
}

/// The client gave up on call `seq`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Cancel {
    #[prost(uint64, tag = "1")]
    pub(crate) seq: u64,
}

/// What a server sends before each body.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ResponseHeader {
    /// The `seq` of the call this answers.
    #[prost(uint64, tag = "1")]
    pub(crate) seq: u64,
    /// Present when the call failed (even if empty); its body is then empty.
    #[prost(string, optional, tag = "2")]
    pub(crate) error: Option<String>,
}
