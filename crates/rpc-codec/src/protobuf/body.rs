//! How protobuf bodies decode: a whole message, read into the type asked for.

use rpc_proto::{BodyFormat, BodySource, CodecError};

use super::de::De;

/// A protobuf-encoded argument or reply (see the mapping in the module documentation).
#[derive(Debug)]
pub(crate) struct ProtobufFormat {
    pub(crate) max_depth: usize,
}

impl BodyFormat for ProtobufFormat {
    fn decode<'de>(
        &self,
        bytes: &'de [u8],
        visit: &mut dyn FnMut(BodySource<'_, 'de>) -> Result<(), erased_serde::Error>,
    ) -> Result<(), CodecError> {
        let mut erased =
            <dyn erased_serde::Deserializer>::erase(De::message(bytes, self.max_depth));
        visit(BodySource::Value(&mut erased)).map_err(|err| CodecError::Body(err.to_string()))
    }
}
