//! A gob stream's decoder: messages off the byte stream, type definitions into the stream's
//! table, values out as [`Body`]s that decode later against a snapshot of that table.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use rpc_proto::{Body, BodyFormat, BodySource, CodecError, Limits};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio_util::codec::Decoder as _;

use super::de::with_message;
use super::error::Error;
use super::frame::{Framed, frame};
use super::types::{TypeId, TypeTable, read_wire_type};
use super::wire::{Reader, peek_uint};

/// How gob bodies decode: a value message (`int(typeId)` then the value) against the types the
/// stream had defined when the message arrived.
pub(crate) struct GobFormat {
    types: Arc<TypeTable>,
    max_depth: usize,
}

impl BodyFormat for GobFormat {
    fn decode<'de>(
        &self,
        bytes: &'de [u8],
        visit: &mut dyn FnMut(BodySource<'_, 'de>) -> Result<(), erased_serde::Error>,
    ) -> Result<(), CodecError> {
        with_message(bytes, &self.types, self.max_depth, |de| {
            let mut erased = <dyn erased_serde::Deserializer>::erase(de);
            visit(BodySource::Value(&mut erased)).map_err(|e| Error::new(e.to_string()))
        })
        .map_err(|e| CodecError::Body(e.to_string()))
    }
}

impl fmt::Debug for GobFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GobFormat")
            .field("types", &self.types.len())
            .field("max_depth", &self.max_depth)
            .finish()
    }
}

fn malformed(err: Error) -> CodecError {
    CodecError::Malformed(err.to_string())
}

/// The reading side of one gob stream.
pub(crate) struct Stream {
    types: Arc<TypeTable>,
    /// The format for bodies under the current table, made when first needed.
    format: Option<Arc<GobFormat>>,
    limits: Limits,
    /// Bytes of the item being read (since the last [`Stream::finish`]).
    consumed: usize,
    /// Bytes of all type definitions received.
    definitions: usize,
    /// Whether values of a type may hold interface values, by type id (see
    /// [`Stream::reaches_interface`]).
    reaches: HashMap<TypeId, bool>,
}

impl Stream {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            types: Arc::default(),
            format: None,
            limits: *limits,
            consumed: 0,
            definitions: 0,
            reaches: HashMap::new(),
        }
    }

    /// Takes whole messages off the front of `src`, adding type definitions to the table, until
    /// a value message: returns it (`int(typeId)` and the value). `Ok(None)` when `src` holds no
    /// whole value message (after reserving room for the next message).
    ///
    /// A value whose interface values carry type definitions may go on in later messages: it is
    /// returned once all of them are in, as one value message without the definitions (which
    /// go into the table; see `frame.rs`).
    ///
    /// All messages of one item (since [`Stream::finish`]), length prefixes included, may take
    /// at most `max_message` bytes; each length is checked before anything is reserved.
    pub(crate) fn next_value(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        loop {
            let Some((len, width)) = peek_uint(src).map_err(malformed)? else {
                return Ok(None);
            };
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len == 0 {
                return Err(CodecError::Malformed("gob: empty message".into()));
            }
            let total = self.consumed.saturating_add(width).saturating_add(len);
            if total > self.limits.max_message {
                return Err(CodecError::FrameTooLarge {
                    len: total,
                    max: self.limits.max_message,
                });
            }
            let whole = width + len;
            if src.len() < whole {
                src.reserve(whole - src.len());
                return Ok(None);
            }
            let id = Reader::new(&src[width..whole]).int().map_err(malformed)?;
            if id >= 0 {
                if !self.types.knows(id) {
                    return Err(CodecError::Malformed(format!(
                        "gob: value of unknown type id {id}"
                    )));
                }
                if self.reaches_interface(id) {
                    if let Some(joined) = self.frame(src, width, whole)? {
                        return Ok(joined);
                    }
                }
                src.advance(width);
                let message = src.split_to(len).freeze();
                self.consumed = total;
                return Ok(Some(message));
            }
            src.advance(width);
            let message = src.split_to(len).freeze();
            self.consumed = total;
            let mut r = Reader::new(&message);
            r.int().map_err(malformed)?;
            self.definitions = self.definitions.saturating_add(whole);
            if self.definitions > self.limits.max_message {
                return Err(CodecError::Malformed(format!(
                    "gob: the stream's type definitions exceed {} bytes",
                    self.limits.max_message
                )));
            }
            let wire = read_wire_type(&mut r).map_err(malformed)?;
            if r.remaining() > 0 {
                return Err(CodecError::Malformed(
                    "gob: extra data after a type definition".into(),
                ));
            }
            // Bodies already handed out keep their snapshot; the table is copied only if one
            // is still alive.
            self.format = None;
            self.reaches.clear();
            Arc::make_mut(&mut self.types)
                .define(id.checked_neg().unwrap_or(0), wire)
                .map_err(malformed)?;
            tracing::trace!(id = -id, "gob type definition");
        }
    }

    /// Whether a value of type `id` may hold interface values (remembered until the next
    /// definition).
    fn reaches_interface(&mut self, id: TypeId) -> bool {
        let types = &self.types;
        *self
            .reaches
            .entry(id)
            .or_insert_with(|| types.reaches_interface(id))
    }

    /// Frames a value that may hold interface values, whose message is `src[width..whole]`
    /// (see [`frame`](super::frame)): `None` when that message is the whole value, `Some` of
    /// what [`Stream::next_value`] returns otherwise (having taken the value's messages off
    /// `src` and its type definitions into the table).
    fn frame(
        &mut self,
        src: &mut BytesMut,
        width: usize,
        whole: usize,
    ) -> Result<Option<Option<Bytes>>, CodecError> {
        let limit = self.limits.max_message.saturating_sub(self.consumed);
        let framed = frame(src, width, whole, &self.types, self.limits.max_depth, limit)
            .map_err(malformed)?;
        match framed {
            Framed::Whole => Ok(None),
            Framed::More(end) => {
                if let Some(end) = end {
                    src.reserve(end.saturating_sub(src.len()));
                }
                Ok(Some(None))
            }
            Framed::TooLarge(end) => Err(CodecError::FrameTooLarge {
                len: self.consumed.saturating_add(end),
                max: self.limits.max_message,
            }),
            Framed::Joined {
                body,
                len,
                types,
                definitions,
            } => {
                self.definitions = self.definitions.saturating_add(definitions);
                if self.definitions > self.limits.max_message {
                    return Err(CodecError::Malformed(format!(
                        "gob: the stream's type definitions exceed {} bytes",
                        self.limits.max_message
                    )));
                }
                src.advance(len);
                self.consumed = self.consumed.saturating_add(len);
                self.format = None;
                self.reaches.clear();
                self.types = Arc::new(types);
                tracing::trace!(definitions, "gob value with type definitions inside");
                Ok(Some(Some(Bytes::from(body))))
            }
        }
    }

    /// Marks the end of an item (an rpc header and body, or one value): the size limit starts
    /// over.
    pub(crate) fn finish(&mut self) {
        self.consumed = 0;
    }

    /// A body for a value message, decodable later against the current types.
    pub(crate) fn body(&mut self, message: Bytes) -> Body {
        let format = self
            .format
            .get_or_insert_with(|| {
                Arc::new(GobFormat {
                    types: self.types.clone(),
                    max_depth: self.limits.max_depth,
                })
            })
            .clone();
        Body::new(message, format)
    }

    /// Decodes a value message right away.
    pub(crate) fn decode_now<'de, T: Deserialize<'de>>(
        &self,
        message: &'de [u8],
    ) -> Result<T, Error> {
        with_message(message, &self.types, self.limits.max_depth, |de| {
            T::deserialize(de)
        })
    }

    /// `decode_eof`'s verdict when `decode` yielded nothing: a clean end, or part of an item.
    pub(crate) fn eof(&self, buf: &BytesMut, item_started: bool) -> Result<(), CodecError> {
        let unread = buf.len() + self.consumed;
        if unread == 0 && !item_started {
            Ok(())
        } else {
            Err(CodecError::UnexpectedEof(unread))
        }
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("types", &self.types.len())
            .field("limits", &self.limits)
            .field("consumed", &self.consumed)
            .finish_non_exhaustive()
    }
}

/// A gob stream decoder, as Go's `gob.Decoder`: a [`tokio_util::codec::Decoder`] yielding each
/// value of the stream as a [`Body`] (decode it with [`Body::decode`], now or later).
///
/// Type definitions are kept for the stream's life; they may take at most
/// `limits.max_message` bytes in all. A value with the definitions before it may take at most
/// `limits.max_message` bytes (checked before anything is buffered), and nests at most
/// `limits.max_depth` levels.
///
/// ```
/// use bytes::BytesMut;
/// use rpc_codec::gob;
/// use rpc_proto::Limits;
///
/// let mut wire = BytesMut::new();
/// let mut encoder = gob::Encoder::new(&Limits::default());
/// encoder.encode(&vec!["a".to_string(), "b".to_string()], &mut wire)?;
/// encoder.encode(&-129i32, &mut wire)?;
///
/// let mut decoder = gob::Decoder::new(&Limits::default());
/// assert_eq!(decoder.decode_value::<Vec<String>>(&mut wire)?, Some(vec!["a".into(), "b".into()]));
/// assert_eq!(decoder.decode_value::<i64>(&mut wire)?, Some(-129));
/// assert_eq!(decoder.decode_value::<i64>(&mut wire)?, None);
/// # Ok::<(), rpc_proto::CodecError>(())
/// ```
#[derive(Debug)]
pub struct Decoder {
    stream: Stream,
}

impl Decoder {
    /// A decoder for a new stream.
    pub fn new(limits: &Limits) -> Self {
        Self {
            stream: Stream::new(limits),
        }
    }

    /// Decodes the next value into `T`, if a whole one is buffered. A value that does not fit
    /// `T` is [`CodecError::Body`] (and is consumed).
    pub fn decode_value<T: DeserializeOwned>(
        &mut self,
        src: &mut BytesMut,
    ) -> Result<Option<T>, CodecError> {
        match self.decode(src)? {
            Some(body) => body.decode().map(Some),
            None => Ok(None),
        }
    }
}

impl tokio_util::codec::Decoder for Decoder {
    type Item = Body;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Body>, CodecError> {
        let Some(message) = self.stream.next_value(src)? else {
            return Ok(None);
        };
        self.stream.finish();
        Ok(Some(self.stream.body(message)))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Body>, CodecError> {
        match self.decode(buf)? {
            Some(body) => Ok(Some(body)),
            None => self.stream.eof(buf, false).map(|()| None),
        }
    }
}

/// Encodes `value` as a whole gob stream of its own: its type definitions, then the value (what
/// Go's `gob.NewEncoder(w).Encode(value)` writes), with the default [`Limits`].
pub fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = BytesMut::new();
    super::Encoder::new(&Limits::default()).encode(value, &mut out)?;
    Ok(out.to_vec())
}

/// Decodes the first value of a gob stream (what Go's `gob.NewDecoder(r).Decode(&value)`
/// reads), with the default [`Limits`]. Bytes after that value are not looked at.
pub fn from_slice<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, CodecError> {
    let mut buf = BytesMut::from(bytes);
    let mut decoder = Decoder::new(&Limits::default());
    match decoder.decode(&mut buf)? {
        Some(body) => body.decode(),
        None => Err(CodecError::UnexpectedEof(bytes.len())),
    }
}
