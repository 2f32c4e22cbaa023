//! How postcard bodies decode: the rest of the frame's payload, with bounded nesting.

use rpc_proto::{BodyFormat, BodySource, CodecError};

use super::depth::{Limited, Stash};

/// A postcard-encoded argument or reply. Bytes left over after the value are ignored.
#[derive(Debug)]
pub(crate) struct PostcardFormat {
    pub(crate) max_depth: usize,
}

impl BodyFormat for PostcardFormat {
    fn decode<'de>(
        &self,
        bytes: &'de [u8],
        visit: &mut dyn FnMut(BodySource<'_, 'de>) -> Result<(), erased_serde::Error>,
    ) -> Result<(), CodecError> {
        let stash = Stash::new(self.max_depth);
        let mut deserializer = ::postcard::Deserializer::from_bytes(bytes);
        let mut erased =
            <dyn erased_serde::Deserializer>::erase(Limited::new(&mut deserializer, &stash));
        visit(BodySource::Value(&mut erased))
            .map_err(|err| CodecError::Body(stash.take().unwrap_or_else(|| err.to_string())))
    }
}
