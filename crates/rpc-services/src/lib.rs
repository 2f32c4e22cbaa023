//! The services of the Go chapter (`../shared/seed/`, section 4.3) as reusable netrpc services,
//! with the seed's names, signatures and error texts so Go programs work unchanged:
//!
//! - [`HelloService`]: `Hello(string) string` returns `"hello:" + request`.
//! - [`LoginHelloService`]: the per-connection `HelloService` of seed 4.3.4, with `Login`.
//! - [`auth`]: logins as a layer over any service (sessions per connection, argon2 password
//!   files, client certificates, limits on failed logins).
//! - [`KvStoreService`]: `KVStoreService.Get/Set/Watch` of seed 4.3.2, without its leaks, plus a
//!   revisioned `WatchFrom` that never misses a change.
//!
//! The `netrpc` command (`src/bin/netrpc`) serves and calls them.
#![deny(missing_docs)]

pub mod auth;
mod hello;
pub mod kv;
mod login;

pub use hello::HelloService;
pub use kv::{
    Change, DEFAULT_MAX_WATCHES_PER_CONN, KvBackend, KvStore, KvStoreService,
    KvStoreServiceBuilder, WatchFromArgs, WatchFromReply,
};
pub use login::{Credentials, LoginHelloService};
