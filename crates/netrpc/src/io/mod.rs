//! The two halves of a link that both client and server use: a read loop that turns bytes into
//! messages with a codec's decoder, and a write queue that many tasks encode into and one task
//! flushes.

mod reader;
mod writer;

pub(crate) use reader::read_message;
pub(crate) use writer::{PushError, WriteQueue, write_within};
