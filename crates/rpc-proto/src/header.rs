//! Request and response headers, and the messages a decoder yields on each side of a link.

use std::time::Duration;

use crate::{Body, Token};

/// The header of a request, as Go's `rpc.Request` plus netrpc's optional timeout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHeader {
    /// `"Service.Method"`.
    pub service_method: String,
    /// Sequence number chosen by the client; the response carries it back.
    pub seq: u64,
    /// How long the client will wait, relative to when the server reads the request. Only
    /// netrpc's own framings carry it; Go's codecs always decode `None`.
    pub timeout: Option<Duration>,
    /// What the server decoder wants its encoder to get back with the response ([`Token`]):
    /// jsonrpc's request id, gob's `ServiceMethod`; empty for other codecs and on the client
    /// side. The engine does not look into it.
    pub token: Token,
}

impl RequestHeader {
    /// A header with no timeout.
    pub fn new(service_method: impl Into<String>, seq: u64) -> Self {
        Self {
            service_method: service_method.into(),
            seq,
            timeout: None,
            token: Token::EMPTY,
        }
    }

    /// This header with `token` (see [`RequestHeader::token`]).
    pub fn with_token(mut self, token: Token) -> Self {
        self.token = token;
        self
    }

    /// Splits `"Service.Method"` at its last dot, as Go's server does. `None` when there is no
    /// dot (Go's `rpc: service/method request ill-formed`).
    pub fn split_method(&self) -> Option<(&str, &str)> {
        self.service_method.rsplit_once('.')
    }
}

/// The header of a response, as Go's `rpc.Response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHeader {
    /// The sequence number of the request this answers.
    pub seq: u64,
    /// The error string of a failed call (Go's `ServerError`); `None` on success.
    pub error: Option<String>,
    /// The token of the request this answers, as the server decoder made it
    /// ([`RequestHeader::token`]), for the server encoder; empty on the client side.
    pub token: Token,
}

impl ResponseHeader {
    /// A successful response header.
    pub fn ok(seq: u64) -> Self {
        Self {
            seq,
            error: None,
            token: Token::EMPTY,
        }
    }

    /// A failed response header carrying `message`.
    pub fn error(seq: u64, message: impl Into<String>) -> Self {
        Self {
            seq,
            error: Some(message.into()),
            token: Token::EMPTY,
        }
    }

    /// This header with `token`: the request's (see [`ResponseHeader::token`]).
    pub fn with_token(mut self, token: Token) -> Self {
        self.token = token;
        self
    }
}

/// What a server-side decoder yields.
#[derive(Debug)]
pub enum ServerInbound {
    /// A call: its header and its still-encoded argument.
    Request {
        /// The request header.
        header: RequestHeader,
        /// The argument, decoded once the method's type is known.
        body: Body,
    },
    /// The client gave up on call `seq` (netrpc framings only): stop its handler, send nothing.
    Cancel {
        /// The sequence number of the abandoned call.
        seq: u64,
    },
}

/// What a client-side decoder yields: a response header and its still-encoded reply.
#[derive(Debug)]
pub struct ClientInbound {
    /// The response header.
    pub header: ResponseHeader,
    /// The reply (meaningless when `header.error` is set).
    pub body: Body,
}
