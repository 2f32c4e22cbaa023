//! Where a value ends when its interface values bring type definitions along.
//!
//! Go sends the concrete type of an interface value (`interface{}`, `any`) inside the value, the
//! first time the stream carries that type: after the concrete type's name come the definitions
//! of the types the stream has not defined yet, then the concrete type's id, a byte count and
//! the concrete value (Go's `decode.go`: `decodeInterface`, `ignoreInterface`, and
//! `decodeTypeSequence` in `decoder.go`). Go's encoder writes out what it has of the enclosing
//! value as a message when it sends such a definition, so one value then spans several
//! messages, and the definitions are taken off the stream in the middle of the value:
//!
//! ```text
//! 31 ff80 01 01 "a" 01 0a "main.Inner" ff81 <wireType 65>   the value so far, then type 65
//! 16 ff83 <wireType 66>                                      type 66 (a field of type 65)
//! 0d ff82 07 <an Inner> 01 06 00                             id 65, the count, the Inner,
//!                                                            then the rest of the value
//! ```
//!
//! A definition may also sit inside a message (an interface value nested in the concrete value
//! of another, whose parts Go writes as length-prefixed chunks): Go's decoder then skips the
//! unsigned integer that follows the definition in the message, and so does this.
//!
//! Bodies are decoded later and on their own, so the stream's decoder must know where a value
//! ends when it reads it. A value whose type may hold interface values is walked along its type
//! when it arrives ([`frame`]): if it carries no type definitions (the usual case: each
//! concrete type is defined once per stream), its message is used as it is; otherwise the
//! definitions go into the stream's type table, as Go's decoder adds them, and the value is
//! rebuilt as one message without them: each interface value as its name, the concrete type's
//! id, the byte count of the (rebuilt) concrete value, and that value.
//!
//! Go reads the messages after the first only while looking for the concrete type's id after a
//! definition; so does this (a value message that ends anywhere else is short, and its decoder
//! says so).

use super::error::{Error, bail};
use super::types::{Ty, TypeId, TypeTable, read_wire_type};
use super::wire::{Reader, peek_uint, put_int, put_uint};

/// What [`frame`] found.
#[derive(Debug)]
pub(crate) enum Framed {
    /// The value message holds the whole value and no type definitions: decode it as it is.
    Whole,
    /// The value, rebuilt without the type definitions it carried.
    Joined {
        /// The value message (type id, then the value) to decode.
        body: Vec<u8>,
        /// How many bytes of the stream (length prefixes included) the value took.
        len: usize,
        /// The stream's types with the definitions the value carried.
        types: TypeTable,
        /// How many bytes those definitions took.
        definitions: usize,
    },
    /// The value goes on in a message not (wholly) buffered yet, which ends `Some(n)` bytes into
    /// the stream when its length is known.
    More(Option<usize>),
    /// The value's messages would take `n` bytes of the stream, more than allowed.
    TooLarge(usize),
}

/// Why a walk stopped early.
enum Stop {
    /// The dry run read a type definition: walk again, rebuilding the value.
    Definition,
    More(Option<usize>),
    TooLarge(usize),
    Bad(Error),
}

/// Shorthand for `Err(Stop::Bad(Error::new(format!(...))))`.
macro_rules! bad {
    ($($arg:tt)*) => {
        return Err(Stop::Bad(Error::new(format!($($arg)*))))
    };
}

impl From<Error> for Stop {
    fn from(err: Error) -> Self {
        Stop::Bad(err)
    }
}

/// A type as far as walking its values goes.
enum Kind {
    /// One unsigned integer: `bool`, `int`, `uint`, `float`.
    Number,
    Complex,
    /// A length-prefixed byte string: `[]byte`, `string`, a `GobEncoder`'s bytes.
    Bytes,
    Interface,
    Array(TypeId, usize),
    Slice(TypeId),
    Map(TypeId, TypeId),
    Struct(Vec<TypeId>),
}

/// Finds where the value whose message is `src[start..end]` (its length prefix before `start`)
/// ends: in that message, or in later messages of `src` when its interface values carry type
/// definitions. All its messages may take at most `limit` bytes of `src`.
///
/// An error means the value's later messages cannot be read. A value that is wrong within its
/// own message is [`Framed::Whole`], for its decoder to report.
pub(crate) fn frame(
    src: &[u8],
    start: usize,
    end: usize,
    types: &TypeTable,
    max_depth: usize,
    limit: usize,
) -> Result<Framed, Error> {
    let mut dry = Scan::new(src, start, end, types, max_depth, limit, None);
    match dry.run() {
        Err(Stop::Definition) => {}
        // Without definitions the walk stays in the first message.
        Ok(()) | Err(Stop::Bad(_) | Stop::More(_) | Stop::TooLarge(_)) => return Ok(Framed::Whole),
    }
    let out = Vec::with_capacity(end - start);
    let mut scan = Scan::new(src, start, end, types, max_depth, limit, Some(out));
    match scan.run() {
        Ok(()) => Ok(Framed::Joined {
            body: scan.out.unwrap_or_default(),
            len: scan.next,
            types: scan.table.unwrap_or_else(|| types.clone()),
            definitions: scan.definitions,
        }),
        Err(Stop::More(end)) => Ok(Framed::More(end)),
        Err(Stop::TooLarge(end)) => Ok(Framed::TooLarge(end)),
        Err(Stop::Bad(_)) | Err(Stop::Definition) if !scan.pulled => Ok(Framed::Whole),
        Err(Stop::Bad(err)) => Err(err),
        Err(Stop::Definition) => bail!("gob: internal error: a definition in the rebuilding walk"),
    }
}

/// A walk over one value along its type.
struct Scan<'s, 't> {
    src: &'s [u8],
    /// What is left of the message being read.
    cur: Reader<'s>,
    /// Where the next message's length prefix is in `src`.
    next: usize,
    limit: usize,
    base: &'t TypeTable,
    /// `base` with the definitions read so far, copied at the first one.
    table: Option<TypeTable>,
    /// The rebuilt value, or `None` in the dry run (which stops at the first definition).
    out: Option<Vec<u8>>,
    definitions: usize,
    /// Whether the walk has gone past the first message.
    pulled: bool,
    depth: usize,
    max_depth: usize,
}

impl<'s, 't> Scan<'s, 't> {
    fn new(
        src: &'s [u8],
        start: usize,
        end: usize,
        base: &'t TypeTable,
        max_depth: usize,
        limit: usize,
        out: Option<Vec<u8>>,
    ) -> Self {
        Self {
            src,
            cur: Reader::new(src.get(start..end).unwrap_or_default()),
            next: end,
            limit,
            base,
            table: None,
            out,
            definitions: 0,
            pulled: false,
            depth: 0,
            max_depth,
        }
    }

    /// Walks the value message: its type id, the singleton's delta, the value.
    fn run(&mut self) -> Result<(), Stop> {
        let id = self.read(Reader::int)?;
        if !matches!(self.kind(id)?, Kind::Struct(_)) && self.read(Reader::uint)? != 0 {
            bad!("gob: corrupted data: non-zero delta for singleton");
        }
        self.value(id)
    }

    fn kind(&self, id: TypeId) -> Result<Kind, Error> {
        let table = self.table.as_ref().unwrap_or(self.base);
        Ok(match table.get(id)? {
            Ty::Bool | Ty::Int | Ty::Uint | Ty::Float => Kind::Number,
            Ty::Complex => Kind::Complex,
            Ty::Bytes | Ty::String | Ty::Marshaler { .. } => Kind::Bytes,
            Ty::Interface => Kind::Interface,
            Ty::Array { elem, len } => Kind::Array(elem, len),
            Ty::Slice { elem } => Kind::Slice(elem),
            Ty::Map { key, elem } => Kind::Map(key, elem),
            Ty::Struct { fields, .. } => {
                Kind::Struct(fields.iter().map(|field| field.id).collect())
            }
        })
    }

    /// Reads with `f` from the current message, copying what it read to the rebuilt value.
    fn read<T>(&mut self, f: impl FnOnce(&mut Reader<'s>) -> Result<T, Error>) -> Result<T, Stop> {
        let before = self.cur;
        let value = f(&mut self.cur)?;
        if let Some(out) = &mut self.out {
            let read = before.remaining() - self.cur.remaining();
            out.extend_from_slice(&before.rest()[..read]);
        }
        Ok(value)
    }

    /// Reads an element count. Not checked against the bytes left in the message, as Go does
    /// not (the elements of a slice of interface values may go on in later messages): against
    /// all the bytes the value may take. Each element takes at least a byte, so the walk ends.
    fn count(&mut self) -> Result<usize, Stop> {
        let n = self.read(Reader::uint)?;
        match usize::try_from(n) {
            Ok(n) if n <= self.limit => Ok(n),
            _ => bad!("gob: count {n} exceeds the message size limit"),
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        if self.depth >= self.max_depth {
            bail!("gob: nesting deeper than {} levels", self.max_depth);
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn value(&mut self, id: TypeId) -> Result<(), Stop> {
        match self.kind(id)? {
            Kind::Number => {
                self.read(Reader::uint)?;
            }
            Kind::Complex => {
                self.read(Reader::uint)?;
                self.read(Reader::uint)?;
            }
            Kind::Bytes => {
                self.read(Reader::bytes)?;
            }
            Kind::Interface => self.interface()?,
            Kind::Array(elem, len) => {
                self.enter()?;
                let n = self.count()?;
                if n != len {
                    bad!("gob: array of {len} elements holds {n}");
                }
                for _ in 0..n {
                    self.value(elem)?;
                }
                self.leave();
            }
            Kind::Slice(elem) => {
                self.enter()?;
                for _ in 0..self.count()? {
                    self.value(elem)?;
                }
                self.leave();
            }
            Kind::Map(key, elem) => {
                self.enter()?;
                for _ in 0..self.count()? {
                    self.value(key)?;
                    self.value(elem)?;
                }
                self.leave();
            }
            Kind::Struct(fields) => {
                self.enter()?;
                let mut num: i64 = -1;
                loop {
                    let delta = self.read(Reader::uint)?;
                    if delta == 0 {
                        break;
                    }
                    let left = fields.len() as i64 - 1 - num;
                    if delta > left as u64 {
                        bad!("gob: field number out of range");
                    }
                    num += delta as i64;
                    self.value(fields[num as usize])?;
                }
                self.leave();
            }
        }
        Ok(())
    }

    /// An interface value: the concrete type's name (empty: nil), definitions, the concrete
    /// type's id, a byte count and the concrete value (a singleton unless a struct).
    fn interface(&mut self) -> Result<(), Stop> {
        let name = self.read(Reader::bytes)?;
        if name.is_empty() {
            return Ok(());
        }
        let id = self.type_sequence()?;
        // Go's decoder does not use the count; the rebuilt value gets its own.
        self.cur.uint()?;
        self.enter()?;
        let outer = self.out.as_mut().map(std::mem::take);
        if !matches!(self.kind(id)?, Kind::Struct(_)) && self.read(Reader::uint)? != 0 {
            bad!("gob: corrupted data: non-zero delta for singleton");
        }
        self.value(id)?;
        if let Some(mut outer) = outer {
            let inner = self.out.take().unwrap_or_default();
            put_int(&mut outer, id);
            put_uint(&mut outer, inner.len() as u64);
            outer.extend_from_slice(&inner);
            self.out = Some(outer);
        }
        self.leave();
        Ok(())
    }

    /// Go's `decodeTypeSequence` inside an interface value: type definitions (going on to the
    /// next message when one ends the current message), then the concrete type's id.
    fn type_sequence(&mut self) -> Result<TypeId, Stop> {
        let mut defined = false;
        loop {
            if self.cur.remaining() == 0 {
                if !defined {
                    bad!("gob: unexpected end of message in an interface value");
                }
                self.next_message()?;
            }
            let before = self.cur.remaining();
            let id = self.cur.int()?;
            if id >= 0 {
                return Ok(id);
            }
            if self.out.is_none() {
                return Err(Stop::Definition);
            }
            let wire = read_wire_type(&mut self.cur)?;
            let table = self.table.get_or_insert_with(|| self.base.clone());
            table.define(id.checked_neg().unwrap_or(0), wire)?;
            self.definitions += before - self.cur.remaining();
            defined = true;
            // Go: "after a type there may be a DelimitedValue still in the buffer. Skip its
            // count."
            if self.cur.remaining() > 0 {
                self.cur.uint()?;
            }
        }
    }

    /// Goes on to the next message of `src`.
    fn next_message(&mut self) -> Result<(), Stop> {
        let rest = self.src.get(self.next..).unwrap_or_default();
        let Some((len, width)) = peek_uint(rest)? else {
            return Err(Stop::More(None));
        };
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len == 0 {
            bad!("gob: empty message");
        }
        let end = self.next.saturating_add(width).saturating_add(len);
        if end > self.limit {
            return Err(Stop::TooLarge(end));
        }
        if self.src.len() < end {
            return Err(Stop::More(Some(end)));
        }
        self.cur = Reader::new(&self.src[self.next + width..end]);
        self.next = end;
        self.pulled = true;
        Ok(())
    }
}
