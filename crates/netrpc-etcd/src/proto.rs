//! The few messages of etcd's v3 gRPC API that the store uses, written by hand with
//! `#[derive(prost::Message)]` so that building needs no `protoc`.
//!
//! Field numbers and names follow etcd's `api/etcdserverpb/rpc.proto` and `api/mvccpb/kv.proto`
//! (v3.4 and v3.5 agree on all of them). Fields the store never sets or reads are left out:
//! protobuf skips unknown fields, so the messages stay compatible.

pub mod auth;

/// The gRPC paths of the methods called.
pub mod path {
    /// `KV.Range`.
    pub const RANGE: &str = "/etcdserverpb.KV/Range";
    /// `KV.Txn`.
    pub const TXN: &str = "/etcdserverpb.KV/Txn";
    /// `KV.Compact`.
    pub const COMPACT: &str = "/etcdserverpb.KV/Compact";
    /// `Watch.Watch` (a bidirectional stream).
    pub const WATCH: &str = "/etcdserverpb.Watch/Watch";
}

/// `etcdserverpb.ResponseHeader`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResponseHeader {
    /// The cluster's ID.
    #[prost(uint64, tag = "1")]
    pub cluster_id: u64,
    /// The member that answered.
    #[prost(uint64, tag = "2")]
    pub member_id: u64,
    /// The key-value store's revision when the request was applied.
    #[prost(int64, tag = "3")]
    pub revision: i64,
    /// The raft term when the request was applied.
    #[prost(uint64, tag = "4")]
    pub raft_term: u64,
}

/// `mvccpb.KeyValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValue {
    /// The key.
    #[prost(bytes = "vec", tag = "1")]
    pub key: Vec<u8>,
    /// The revision of the key's creation.
    #[prost(int64, tag = "2")]
    pub create_revision: i64,
    /// The revision of its last modification.
    #[prost(int64, tag = "3")]
    pub mod_revision: i64,
    /// Modifications since creation.
    #[prost(int64, tag = "4")]
    pub version: i64,
    /// The value.
    #[prost(bytes = "vec", tag = "5")]
    pub value: Vec<u8>,
    /// The lease attached (0: none).
    #[prost(int64, tag = "6")]
    pub lease: i64,
}

/// `mvccpb.Event`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// `PUT` (0) or `DELETE` (1).
    #[prost(enumeration = "EventType", tag = "1")]
    pub r#type: i32,
    /// The key-value after the event.
    #[prost(message, optional, tag = "2")]
    pub kv: Option<KeyValue>,
}

/// `mvccpb.Event.EventType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum EventType {
    /// A put.
    Put = 0,
    /// A delete.
    Delete = 1,
}

/// `etcdserverpb.RangeRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RangeRequest {
    /// The key, or the start of the range.
    #[prost(bytes = "vec", tag = "1")]
    pub key: Vec<u8>,
    /// The end of the range (exclusive); empty for the one key.
    #[prost(bytes = "vec", tag = "2")]
    pub range_end: Vec<u8>,
    /// The most keys returned (0: no limit).
    #[prost(int64, tag = "3")]
    pub limit: i64,
    /// Read at this revision (0: the latest).
    #[prost(int64, tag = "4")]
    pub revision: i64,
    /// The order, a [`SortOrder`].
    #[prost(enumeration = "SortOrder", tag = "5")]
    pub sort_order: i32,
    /// What is sorted on, a [`SortTarget`].
    #[prost(enumeration = "SortTarget", tag = "6")]
    pub sort_target: i32,
    /// Answer from the member's local data (not linearizable).
    #[prost(bool, tag = "7")]
    pub serializable: bool,
    /// Keys without values.
    #[prost(bool, tag = "8")]
    pub keys_only: bool,
    /// Only the count.
    #[prost(bool, tag = "9")]
    pub count_only: bool,
    /// Only keys last modified at or after this revision.
    #[prost(int64, tag = "10")]
    pub min_mod_revision: i64,
}

/// `etcdserverpb.RangeRequest.SortOrder`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SortOrder {
    /// Unsorted.
    None = 0,
    /// Ascending.
    Ascend = 1,
    /// Descending.
    Descend = 2,
}

/// `etcdserverpb.RangeRequest.SortTarget`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SortTarget {
    /// The key.
    Key = 0,
    /// Its version.
    Version = 1,
    /// Its create revision.
    Create = 2,
    /// Its mod revision.
    Mod = 3,
    /// Its value.
    Value = 4,
}

/// `etcdserverpb.RangeResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RangeResponse {
    /// The header.
    #[prost(message, optional, tag = "1")]
    pub header: Option<ResponseHeader>,
    /// The keys found.
    #[prost(message, repeated, tag = "2")]
    pub kvs: Vec<KeyValue>,
    /// More keys than returned.
    #[prost(bool, tag = "3")]
    pub more: bool,
    /// Keys in the range.
    #[prost(int64, tag = "4")]
    pub count: i64,
}

/// `etcdserverpb.PutRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PutRequest {
    /// The key.
    #[prost(bytes = "vec", tag = "1")]
    pub key: Vec<u8>,
    /// The value.
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
    /// The lease to attach (0: none).
    #[prost(int64, tag = "3")]
    pub lease: i64,
}

/// `etcdserverpb.PutResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PutResponse {
    /// The header.
    #[prost(message, optional, tag = "1")]
    pub header: Option<ResponseHeader>,
}

/// `etcdserverpb.Compare`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Compare {
    /// The comparison, a [`CompareResult`].
    #[prost(enumeration = "CompareResult", tag = "1")]
    pub result: i32,
    /// What is compared, a [`CompareTarget`].
    #[prost(enumeration = "CompareTarget", tag = "2")]
    pub target: i32,
    /// The key compared.
    #[prost(bytes = "vec", tag = "3")]
    pub key: Vec<u8>,
    /// What it is compared with.
    #[prost(oneof = "TargetUnion", tags = "4, 5, 6, 7, 8")]
    pub target_union: Option<TargetUnion>,
}

/// `etcdserverpb.Compare.CompareResult`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum CompareResult {
    /// Equal.
    Equal = 0,
    /// Greater.
    Greater = 1,
    /// Less.
    Less = 2,
    /// Not equal.
    NotEqual = 3,
}

/// `etcdserverpb.Compare.CompareTarget`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum CompareTarget {
    /// The key's version.
    Version = 0,
    /// Its create revision.
    Create = 1,
    /// Its mod revision.
    Mod = 2,
    /// Its value.
    Value = 3,
    /// Its lease.
    Lease = 4,
}

/// `etcdserverpb.Compare.target_union`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum TargetUnion {
    /// Compare with a version.
    #[prost(int64, tag = "4")]
    Version(i64),
    /// Compare with a create revision.
    #[prost(int64, tag = "5")]
    CreateRevision(i64),
    /// Compare with a mod revision.
    #[prost(int64, tag = "6")]
    ModRevision(i64),
    /// Compare with a value.
    #[prost(bytes = "vec", tag = "7")]
    Value(Vec<u8>),
    /// Compare with a lease.
    #[prost(int64, tag = "8")]
    Lease(i64),
}

/// `etcdserverpb.RequestOp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RequestOp {
    /// The request.
    #[prost(oneof = "Request", tags = "1, 2")]
    pub request: Option<Request>,
}

/// `etcdserverpb.RequestOp.request` (range and put only).
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Request {
    /// A range.
    #[prost(message, tag = "1")]
    RequestRange(RangeRequest),
    /// A put.
    #[prost(message, tag = "2")]
    RequestPut(PutRequest),
}

/// `etcdserverpb.TxnRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TxnRequest {
    /// All must hold for `success` to run, else `failure` runs.
    #[prost(message, repeated, tag = "1")]
    pub compare: Vec<Compare>,
    /// Run when every comparison holds.
    #[prost(message, repeated, tag = "2")]
    pub success: Vec<RequestOp>,
    /// Run otherwise.
    #[prost(message, repeated, tag = "3")]
    pub failure: Vec<RequestOp>,
}

/// `etcdserverpb.TxnResponse` (the per-op responses are not read).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TxnResponse {
    /// The header; its revision is the store's after the transaction.
    #[prost(message, optional, tag = "1")]
    pub header: Option<ResponseHeader>,
    /// Whether `success` ran.
    #[prost(bool, tag = "2")]
    pub succeeded: bool,
}

/// `etcdserverpb.CompactionRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CompactionRequest {
    /// Drop history before this revision.
    #[prost(int64, tag = "1")]
    pub revision: i64,
    /// Wait until the compaction is applied to the backend.
    #[prost(bool, tag = "2")]
    pub physical: bool,
}

/// `etcdserverpb.CompactionResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CompactionResponse {
    /// The header.
    #[prost(message, optional, tag = "1")]
    pub header: Option<ResponseHeader>,
}

/// `etcdserverpb.WatchRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WatchRequest {
    /// Create, cancel, or ask for progress.
    #[prost(oneof = "WatchRequestUnion", tags = "1, 2, 3")]
    pub request_union: Option<WatchRequestUnion>,
}

/// `etcdserverpb.WatchRequest.request_union`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum WatchRequestUnion {
    /// Create a watch.
    #[prost(message, tag = "1")]
    CreateRequest(WatchCreateRequest),
    /// Cancel one.
    #[prost(message, tag = "2")]
    CancelRequest(WatchCancelRequest),
    /// Ask for a progress notification (etcd 3.4+).
    #[prost(message, tag = "3")]
    ProgressRequest(WatchProgressRequest),
}

/// `etcdserverpb.WatchCreateRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WatchCreateRequest {
    /// The key, or the start of the range.
    #[prost(bytes = "vec", tag = "1")]
    pub key: Vec<u8>,
    /// The end of the range (exclusive).
    #[prost(bytes = "vec", tag = "2")]
    pub range_end: Vec<u8>,
    /// The first revision to report (0: from the next change).
    #[prost(int64, tag = "3")]
    pub start_revision: i64,
    /// Send periodic progress notifications when idle.
    #[prost(bool, tag = "4")]
    pub progress_notify: bool,
}

/// `etcdserverpb.WatchCancelRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WatchCancelRequest {
    /// The watch to cancel.
    #[prost(int64, tag = "1")]
    pub watch_id: i64,
}

/// `etcdserverpb.WatchProgressRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WatchProgressRequest {}

/// `etcdserverpb.WatchResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WatchResponse {
    /// The header; for a progress notification, the revision every event up to has been sent.
    #[prost(message, optional, tag = "1")]
    pub header: Option<ResponseHeader>,
    /// The watch this answers.
    #[prost(int64, tag = "2")]
    pub watch_id: i64,
    /// The answer to a create.
    #[prost(bool, tag = "3")]
    pub created: bool,
    /// The watch was cancelled (see `compact_revision` and `cancel_reason`).
    #[prost(bool, tag = "4")]
    pub canceled: bool,
    /// Set when the start revision was compacted: the oldest revision still kept.
    #[prost(int64, tag = "5")]
    pub compact_revision: i64,
    /// Why the watch was cancelled.
    #[prost(string, tag = "6")]
    pub cancel_reason: String,
    /// The events, oldest first.
    #[prost(message, repeated, tag = "11")]
    pub events: Vec<Event>,
}

/// The end of the range of keys starting with `prefix` (etcd's `clientv3.GetPrefixRangeEnd`):
/// the prefix with its last byte below 0xff incremented and what follows dropped; `[0]` (every
/// key from `prefix` on) when there is no such byte.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end(b"a/"), b"a0");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b""), b"\0");
        assert_eq!(prefix_end(b"\xff\xff"), b"\0");
    }
}
