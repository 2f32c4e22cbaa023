//! The protobuf framing and mapping end to end: round trips, byte-exact messages, protobuf's
//! decoding rules and hostile input.

mod framing;
mod mapping;

// The crate's shared test helpers, compiled here when no other codec's feature compiles them.
#[cfg(not(any(feature = "json", feature = "postcard", feature = "gob")))]
#[path = "../../test_util.rs"]
mod test_util;
#[cfg(any(feature = "json", feature = "postcard", feature = "gob"))]
use crate::test_util;
