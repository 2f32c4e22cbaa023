//! Limits that decoders enforce on untrusted input, before allocating.

/// Bounds applied to everything read from a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest message (header plus body) a decoder accepts, in bytes. A larger one closes
    /// the connection. Checked against the announced length before any buffer grows.
    pub max_message: usize,
    /// The deepest nesting of arrays, objects or structs a decoder follows.
    pub max_depth: usize,
}

impl Limits {
    /// 16 MiB messages, nesting depth 128.
    pub const DEFAULT: Limits = Limits {
        max_message: 16 * 1024 * 1024,
        max_depth: 128,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
