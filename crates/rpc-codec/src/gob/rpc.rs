//! Go's `rpc.Request` and `rpc.Response` headers as gob sends them.

use serde::{Deserialize, Serialize};

/// Go's `rpc.Request` (its unexported `next` field is not sent).
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq)]
#[serde(rename = "Request", rename_all = "PascalCase")]
pub(crate) struct Request<'a> {
    #[serde(borrow)]
    pub(crate) service_method: std::borrow::Cow<'a, str>,
    pub(crate) seq: u64,
}

/// Go's `rpc.Response`.
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq)]
#[serde(rename = "Response", rename_all = "PascalCase")]
pub(crate) struct Response<'a> {
    #[serde(borrow)]
    pub(crate) service_method: std::borrow::Cow<'a, str>,
    pub(crate) seq: u64,
    #[serde(borrow)]
    pub(crate) error: std::borrow::Cow<'a, str>,
}
