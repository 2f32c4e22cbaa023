//! [`Hinted`]: a value that tells the gob encoder its Rust type, for what the value cannot show,
//! when it is encoded on its own or as a client's argument.
//!
//! A reply needs no hint: it reaches the encoder with its type ([`rpc_proto::Payload`]). A value
//! inside serde's traversal can tell the serializer nothing but values, so a [`Hinted`] value
//! hands its [`TypeInfo`] over through a thread-local, set and taken around one
//! `serialize_newtype_struct` call on one thread.

use std::cell::Cell;
use std::fmt;

use rpc_proto::TypeInfo;
use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};

/// The serde name of the newtype struct a [`Hinted`] serializes as: the gob encoder takes the
/// value's type from [`take_trace`]; other formats see the inner value.
pub(crate) const HINT_MARKER: &str = "\0gob::hinted";

thread_local! {
    /// The type of the value being serialized by [`Hinted::serialize`] under [`HINT_MARKER`].
    static TRACE: Cell<Option<TypeInfo>> = const { Cell::new(None) };
}

/// The type that goes with the [`HINT_MARKER`] newtype being serialized, if any. The gob
/// encoder's first pass takes it on meeting the marker, before serializing what is inside (which
/// may hold hints of its own).
pub(crate) fn take_trace() -> Option<TypeInfo> {
    TRACE.with(Cell::take)
}

/// A value serialized with its Rust type's gob type: what an empty sequence or map, or a
/// `None`, cannot show of its type (see [Types from values](super#types-from-values)) is taken
/// from the type `T`, traced through its `Deserialize` implementation (see [Types from Rust
/// types](super#types-from-rust-types)).
///
/// Any other format sees the value itself (a [`Hinted`] serializes as a newtype struct around
/// it, which serde formats such as JSON and postcard write as the inner value).
///
/// A service's replies need no hint: netrpc's `service!` macro gives each reply whose type is
/// `Deserialize` to the encoder with its type ([`rpc_proto::Reply::typed`]). A client hints an
/// argument by passing `&Hinted::new(&args)` instead of `&args`
/// (`client.call("Service.Method", &Hinted::new(&args))`):
///
/// ```
/// use rpc_codec::gob::{self, Hinted};
///
/// // Go's []int64{}: without a hint an empty Vec has no element type to send (it goes out as a
/// // []string, which Go refuses to decode into a []int64).
/// let ids: Vec<i64> = Vec::new();
/// let bytes = gob::to_vec(&Hinted::new(&ids))?;
/// // The stream defines type 65 named "[]int64", a slice of int (id 2), and sends an empty one.
/// assert_eq!(bytes, [&[0x15, 0xff, 0x81, 0x02, 0x01, 0x01, 0x07][..], b"[]int64",
///                    &[0x01, 0xff, 0x82, 0x00, 0x01, 0x04, 0x00, 0x00],
///                    &[0x04, 0xff, 0x82, 0x00, 0x00]].concat());
/// let back: Vec<i64> = gob::from_slice(&bytes)?;
/// assert!(back.is_empty());
/// # Ok::<(), rpc_proto::CodecError>(())
/// ```
///
/// The trace is made the first time the gob encoder asks for a type's (never for other formats)
/// and kept for the life of the program. A type whose `Deserialize` implementation refuses the
/// made-up values the trace feeds it (one that validates them) is traced as far as it went; what
/// the trace cannot tell is taken from the value, as without a hint. The value always wins
/// where it tells its type itself.
#[derive(Clone, Copy)]
pub struct Hinted<T> {
    value: T,
    ty: TypeInfo,
}

impl<'a, T: DeserializeOwned + 'static> Hinted<&'a T> {
    /// `value`, hinted with its type `T`.
    pub fn new(value: &'a T) -> Self {
        Self {
            value,
            ty: TypeInfo::of::<T>(),
        }
    }
}

impl<T: DeserializeOwned + 'static> Hinted<T> {
    /// `value`, owned, hinted with its type `T` (for a value that must be `'static`, such as a
    /// boxed reply).
    pub fn owned(value: T) -> Self {
        Self {
            value,
            ty: TypeInfo::of::<T>(),
        }
    }
}

impl<T> Hinted<T> {
    /// The value.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// The value, unwrapped.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Serialize> Serialize for Hinted<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Set around this one call: the gob encoder takes it at once; for any other serializer it
        // is cleared again here.
        TRACE.with(|trace| trace.set(Some(self.ty)));
        let result = serializer.serialize_newtype_struct(HINT_MARKER, &self.value);
        TRACE.with(|trace| trace.set(None));
        result
    }
}

impl<T: fmt::Debug> fmt::Debug for Hinted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Hinted").field(&self.value).finish()
    }
}
