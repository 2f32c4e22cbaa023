//! netrpc's `KVStoreService` store on etcd (`netrpc serve --store etcd://...`).
//!
//! Several netrpc servers given the same etcd and prefix serve one store: a `Set` through any
//! of them wakes `Watch` and `WatchFrom` calls on all of them, and revisions are etcd's, so a
//! `WatchFrom` resumes on any server, and across restarts, without losing or repeating a change.
//!
//! - [`EtcdAddress`]: `etcd://HOST:PORT{,HOST:PORT...}{/PREFIX}` (keys under `PREFIX/`);
//!   `etcds://` for TLS, `USER:PASSWORD@` and `?ca=&cert=&key=` options ([`EtcdSecurity`]).
//! - [`EtcdClient`]: etcd's v3 gRPC API over tonic's generic client, with messages written by
//!   hand ([`proto`]) so that building needs no `protoc`; every call bounded by [`Timeouts`];
//!   failover among the endpoints; TLS (rustls, ring) with a CA and a client certificate;
//!   etcd's user/password authentication (a token, renewed when etcd rejects it).
//! - [`EtcdStore`]: Get (a range), Set (a transaction: put unless the value is already the
//!   same), Revision, Watch and WatchFrom.
//! - One etcd watch per store, fanned out in the process to every waiting call, with a bounded
//!   in-memory history; a `WatchFrom` from before that history reads it back from etcd with a
//!   short-lived watch (at most [`MAX_CATCH_UPS`] at once). When etcd compacted the revision
//!   away the call fails with `compacted: ...`, as with the in-memory store.
//! - etcd unreachable: calls fail within [`Timeouts::request`] (new watches at once, while the
//!   store's watch is down); the watch is reopened from the last revision seen when etcd is
//!   back.
#![deny(missing_docs)]

mod address;
mod catchup;
mod client;
mod error;
mod fanout;
pub mod proto;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use address::{
    DEFAULT_PREFIX, EtcdAddress, EtcdSecurity, EtcdTls, EtcdUser, read_password_file,
};
pub use catchup::MAX_CATCH_UPS;
pub use client::{EtcdClient, Timeouts};
pub use error::EtcdError;
pub use fanout::MAX_BATCH;
pub use store::{DEFAULT_HISTORY, EtcdStore};

/// A change to one key of the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// etcd's revision of the change.
    pub revision: u64,
    /// The key, without the store's prefix.
    pub key: String,
    /// Its new value.
    pub value: String,
}

/// What `WatchFrom` answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchFromReply {
    /// Every matching change up to this revision is in `changes`; resume from it.
    pub revision: u64,
    /// The changes, oldest first.
    pub changes: Vec<Change>,
}
