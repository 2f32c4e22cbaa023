//! Decoding a gob value of any type into a [`Value`], which keeps everything the wire says.

use rpc_gotypes::{ByteString, Marshaled, MarshalerKind};

use super::{De, next_field};
use crate::gob::dynamic::Value;
use crate::gob::error::{Error, bail};
use crate::gob::types::{Marshaler, Ty, TypeId};

/// At most this many elements are reserved ahead of reading them: counts come from the peer.
const RESERVE: usize = 64;

impl De<'_, '_> {
    /// Decodes a value of wire type `id` as the wire describes it.
    pub(super) fn dynamic(&mut self, id: TypeId) -> Result<Value, Error> {
        Ok(match self.types.get(id)? {
            Ty::Bool => Value::Bool(self.r.uint()? != 0),
            Ty::Int => Value::Int(self.r.int()?),
            Ty::Uint => Value::Uint(self.r.uint()?),
            Ty::Float => Value::Float(self.r.float()?),
            Ty::Complex => Value::Complex(self.r.float()?, self.r.float()?),
            Ty::String => Value::String(ByteString::from(self.r.bytes()?)),
            Ty::Bytes => Value::Bytes(self.r.bytes()?.to_vec()),
            Ty::Marshaler { name, kind } => {
                let kind = match kind {
                    Marshaler::Gob => MarshalerKind::GobEncoder,
                    Marshaler::Binary => MarshalerKind::BinaryMarshaler,
                    Marshaler::Text => MarshalerKind::TextMarshaler,
                };
                Value::Marshaled(Marshaled::new(kind, name, self.r.bytes()?))
            }
            Ty::Interface => match self.open_interface()? {
                None => Value::Nil,
                Some((name, concrete, rest)) => {
                    let value = self.dynamic(concrete)?;
                    self.close_interface(rest);
                    let Ok(name) = std::str::from_utf8(name) else {
                        bail!("gob: interface type name is not UTF-8");
                    };
                    Value::Interface(name.to_owned(), Box::new(value))
                }
            },
            Ty::Array { elem, len } => {
                self.enter()?;
                let n = self.r.count()?;
                if n != len {
                    bail!("gob: array of {len} elements holds {n}");
                }
                let items = self.elements(elem, n)?;
                self.leave();
                Value::Array(items)
            }
            Ty::Slice { elem } => {
                self.enter()?;
                let n = self.r.count()?;
                let items = self.elements(elem, n)?;
                self.leave();
                Value::Slice(items)
            }
            Ty::Map { key, elem } => {
                self.enter()?;
                let n = self.r.count()?;
                let mut entries = Vec::with_capacity(n.min(RESERVE));
                for _ in 0..n {
                    let k = self.dynamic(key)?;
                    entries.push((k, self.dynamic(elem)?));
                }
                self.leave();
                Value::Map(entries)
            }
            Ty::Struct { name, fields } => {
                self.enter()?;
                let mut values = Vec::new();
                let mut num = -1;
                while let Some(field) = next_field(&mut self.r, fields, &mut num)? {
                    values.push((field.name.clone(), self.dynamic(field.id)?));
                }
                self.leave();
                Value::Struct(name.to_owned(), values)
            }
        })
    }

    /// `n` values of type `elem` (the reader's count checks bound `n` by the bytes left).
    fn elements(&mut self, elem: TypeId, n: usize) -> Result<Vec<Value>, Error> {
        let mut items = Vec::with_capacity(n.min(RESERVE));
        for _ in 0..n {
            items.push(self.dynamic(elem)?);
        }
        Ok(items)
    }
}
