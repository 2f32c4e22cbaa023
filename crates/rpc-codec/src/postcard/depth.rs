//! A serde `Deserializer` adapter that bounds nesting depth, for formats that have no bound of
//! their own.
//!
//! postcard is not self-describing, so how deep a value nests is decided by the target type; but
//! a recursive type (`enum Tree { Leaf, Node(Box<Tree>) }`, `struct List(Option<Box<List>>)`)
//! lets the input choose, one byte per level, and 16 MiB of such input overflows any stack.
//! [`Limited`] counts the levels as they are entered and fails past the bound.
//!
//! Each struct, tuple, sequence, map, enum variant, `Some` and newtype counts as one level.
//!
//! The adapter also keeps error messages: postcard replaces every custom error message with
//! "Serde Deserialization Error", so a message raised on the type's side of the adapter (a
//! missing field, an invalid value, the depth bound) is stashed on its way into postcard and
//! reported instead.

use std::cell::RefCell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// State shared by one value's adapters: the bound and the first error message raised.
#[derive(Debug)]
pub(crate) struct Stash {
    max_depth: usize,
    message: RefCell<Option<String>>,
}

impl Stash {
    pub(crate) fn new(max_depth: usize) -> Self {
        Self {
            max_depth,
            message: RefCell::new(None),
        }
    }

    /// The first error message raised on the type's side, if any.
    pub(crate) fn take(&self) -> Option<String> {
        self.message.borrow_mut().take()
    }

    /// Converts an error of the adapter into the wrapped format's error, keeping its message.
    fn outer<E: de::Error>(&self, err: Error) -> E {
        let mut message = self.message.borrow_mut();
        if message.is_none() {
            *message = Some(err.0.clone());
        }
        E::custom(err.0)
    }

    fn too_deep(&self) -> Error {
        Error(format!("nesting deeper than {} levels", self.max_depth))
    }
}

/// The adapter's error: a message.
#[derive(Debug)]
pub(crate) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Converts an error of the wrapped format into the adapter's.
fn from_inner<E: fmt::Display>(err: E) -> Error {
    Error(err.to_string())
}

/// A deserializer that allows `left` more levels of nesting below it.
pub(crate) struct Limited<'s, D> {
    inner: D,
    left: usize,
    stash: &'s Stash,
}

impl<'s, D> Limited<'s, D> {
    /// Wraps a whole value's deserializer.
    pub(crate) fn new(inner: D, stash: &'s Stash) -> Self {
        Self {
            inner,
            left: stash.max_depth,
            stash,
        }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Error> {
            let Limited { inner, left, stash } = self;
            inner
                .$method($($arg,)* Wrap { inner: visitor, left, stash })
                .map_err(from_inner)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Limited<'_, D> {
    type Error = Error;

    forward_deserialize! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A visitor that wraps whatever it is handed to go one level deeper.
struct Wrap<'s, V> {
    inner: V,
    left: usize,
    stash: &'s Stash,
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            let stash = self.stash;
            self.inner.$method::<Error>(v).map_err(|e| stash.outer(e))
        }
    )*};
}

impl<'s, V> Wrap<'s, V> {
    /// The budget for what this visitor is handed, one level down.
    fn deeper<E: de::Error>(&self) -> Result<usize, E> {
        match self.left.checked_sub(1) {
            Some(left) => Ok(left),
            None => Err(self.stash.outer(self.stash.too_deep())),
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        let stash = self.stash;
        self.inner.visit_none::<Error>().map_err(|e| stash.outer(e))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        let stash = self.stash;
        self.inner.visit_unit::<Error>().map_err(|e| stash.outer(e))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let left = self.deeper()?;
        let stash = self.stash;
        self.inner
            .visit_some(Limited {
                inner: deserializer,
                left,
                stash,
            })
            .map_err(|e| stash.outer(e))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        let left = self.deeper()?;
        let stash = self.stash;
        self.inner
            .visit_newtype_struct(Limited {
                inner: deserializer,
                left,
                stash,
            })
            .map_err(|e| stash.outer(e))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let left = self.deeper()?;
        let stash = self.stash;
        self.inner
            .visit_seq(Access {
                inner: seq,
                left,
                stash,
            })
            .map_err(|e| stash.outer(e))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let left = self.deeper()?;
        let stash = self.stash;
        self.inner
            .visit_map(Access {
                inner: map,
                left,
                stash,
            })
            .map_err(|e| stash.outer(e))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let left = self.deeper()?;
        let stash = self.stash;
        self.inner
            .visit_enum(Access {
                inner: data,
                left,
                stash,
            })
            .map_err(|e| stash.outer(e))
    }
}

/// A sequence, map, enum or variant whose elements get `left` levels.
struct Access<'s, A> {
    inner: A,
    left: usize,
    stash: &'s Stash,
}

impl<'s, A> Access<'s, A> {
    fn seed<T>(&self, seed: T) -> Seed<'s, T> {
        Seed {
            inner: seed,
            left: self.left,
            stash: self.stash,
        }
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Access<'_, A> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let seed = self.seed(seed);
        self.inner.next_element_seed(seed).map_err(from_inner)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Access<'_, A> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let seed = self.seed(seed);
        self.inner.next_key_seed(seed).map_err(from_inner)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let seed = self.seed(seed);
        self.inner.next_value_seed(seed).map_err(from_inner)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, 's, A: EnumAccess<'de>> EnumAccess<'de> for Access<'s, A> {
    type Error = Error;
    type Variant = Access<'s, A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), Error> {
        let seed = self.seed(seed);
        let Access { inner, left, stash } = self;
        let (value, variant) = inner.variant_seed(seed).map_err(from_inner)?;
        Ok((
            value,
            Access {
                inner: variant,
                left,
                stash,
            },
        ))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Access<'_, A> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        self.inner.unit_variant().map_err(from_inner)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        let seed = self.seed(seed);
        self.inner.newtype_variant_seed(seed).map_err(from_inner)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        let Access { inner, left, stash } = self;
        inner
            .tuple_variant(
                len,
                Wrap {
                    inner: visitor,
                    left,
                    stash,
                },
            )
            .map_err(from_inner)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let Access { inner, left, stash } = self;
        inner
            .struct_variant(
                fields,
                Wrap {
                    inner: visitor,
                    left,
                    stash,
                },
            )
            .map_err(from_inner)
    }
}

/// A seed whose deserializer gets `left` levels.
struct Seed<'s, T> {
    inner: T,
    left: usize,
    stash: &'s Stash,
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T::Value, D::Error> {
        let stash = self.stash;
        self.inner
            .deserialize(Limited {
                inner: deserializer,
                left: self.left,
                stash,
            })
            .map_err(|e| stash.outer(e))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum Tree {
        Leaf(u8),
        Node(Box<Tree>, Box<Tree>),
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct List(Option<Box<List>>);

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Record {
        id: u32,
        names: Vec<String>,
        kind: Kind,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum Kind {
        A,
        B { x: i8 },
        C(u16, u16),
    }

    fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], max_depth: usize) -> Result<T, String> {
        let stash = Stash::new(max_depth);
        let mut de = ::postcard::Deserializer::from_bytes(bytes);
        T::deserialize(Limited::new(&mut de, &stash))
            .map_err(|e| stash.take().unwrap_or_else(|| e.to_string()))
    }

    fn list(depth: usize) -> List {
        let mut list = List(None);
        for _ in 0..depth {
            list = List(Some(Box::new(list)));
        }
        list
    }

    #[test]
    fn passes_values_through() {
        for kind in [Kind::A, Kind::B { x: -3 }, Kind::C(1, 65535)] {
            let record = Record {
                id: 7,
                names: vec!["a".into(), "βγ".into()],
                kind,
            };
            let bytes = ::postcard::to_stdvec(&record).unwrap();
            assert_eq!(decode::<Record>(&bytes, 8).unwrap(), record);
        }
        let tree = Tree::Node(Box::new(Tree::Leaf(1)), Box::new(Tree::Leaf(2)));
        let bytes = ::postcard::to_stdvec(&tree).unwrap();
        assert_eq!(decode::<Tree>(&bytes, 8).unwrap(), tree);
    }

    #[test]
    fn bounds_recursive_types() {
        // List(Some(List(None))): newtype, some, newtype, none = 3 levels entered.
        let bytes = ::postcard::to_stdvec(&list(1)).unwrap();
        assert_eq!(decode::<List>(&bytes, 3).unwrap(), list(1));
        assert_eq!(
            decode::<List>(&bytes, 2).unwrap_err(),
            "nesting deeper than 2 levels"
        );

        // A hostile input: a million levels in a million bytes.
        let hostile = vec![1u8; 1_000_000];
        assert_eq!(
            decode::<List>(&hostile, 128).unwrap_err(),
            "nesting deeper than 128 levels"
        );
        let mut hostile = vec![1u8; 1_000_000]; // Tree::Node, Tree::Node, ...
        hostile.push(0);
        assert_eq!(
            decode::<Tree>(&hostile, 128).unwrap_err(),
            "nesting deeper than 128 levels"
        );
    }

    #[test]
    fn keeps_error_messages() {
        // Variant index 9 of Kind.
        let err = decode::<Kind>(&[9], 8).unwrap_err();
        assert!(err.contains("variant index"), "{err}");
        let err = decode::<Record>(&[1, 1, 2, 0xff, 0xfe], 8).unwrap_err();
        assert!(
            err.contains("utf-8") || err.contains("UTF-8") || err.contains("utf8"),
            "{err}"
        );
        let err = decode::<Record>(&[1], 8).unwrap_err();
        assert_eq!(err, "Hit the end of buffer, expected more data");
    }
}
