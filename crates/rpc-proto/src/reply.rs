//! Values to encode, with what a codec may need to know of their Rust type.
//!
//! An encoder takes values as `dyn erased_serde::Serialize`, so one codec chosen at run time
//! encodes any serde type. serde shows a type only through its value, and some formats need
//! more: gob defines each value's type before the value, and an empty `Vec<i64>` shows no
//! element type (Go's client wants `[]int64`, not the `[]string` gob would guess). So a value
//! may come with a [`TypeInfo`]: the type's own serde `Deserialize` implementation, erased, which
//! a codec can drive with a deserializer of its own to learn the type's shape (gob traces it
//! once per type). Codecs that need nothing of the type ignore it.
//!
//! [`Reply`] is what a service method's call yields (owned, `'static`); [`Payload`] is what an
//! encoder sees (borrowed).

use std::any::TypeId;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Drives a type's `Deserialize` implementation with the given deserializer, discarding the
/// value (see [`TypeInfo::deserialize`]).
type DeserializeFn =
    for<'de> fn(&mut dyn erased_serde::Deserializer<'de>) -> Result<(), erased_serde::Error>;

/// What a codec may learn of a Rust type beyond what its values show: its identity and its serde
/// `Deserialize` implementation (which names a struct's fields and asks for a sequence's
/// elements even when a value has none). `Copy`, three function pointers: no allocation.
///
/// ```
/// use rpc_proto::TypeInfo;
///
/// let info = TypeInfo::of::<Vec<i64>>();
/// assert_eq!(info.type_id(), std::any::TypeId::of::<Vec<i64>>());
/// assert_eq!(info.type_name(), "alloc::vec::Vec<i64>");
/// assert_eq!(info, TypeInfo::of::<Vec<i64>>());
/// ```
#[derive(Clone, Copy)]
pub struct TypeInfo {
    id: fn() -> TypeId,
    name: fn() -> &'static str,
    deserialize: DeserializeFn,
}

fn deserialize_as<T: DeserializeOwned>(
    deserializer: &mut dyn erased_serde::Deserializer<'_>,
) -> Result<(), erased_serde::Error> {
    erased_serde::deserialize::<T>(deserializer).map(drop)
}

impl TypeInfo {
    /// The information of `T`.
    pub fn of<T: DeserializeOwned + 'static>() -> TypeInfo {
        TypeInfo {
            id: TypeId::of::<T>,
            name: std::any::type_name::<T>,
            deserialize: deserialize_as::<T>,
        }
    }

    /// The type's identity (to cache what a codec learns of it once per type).
    pub fn type_id(&self) -> TypeId {
        (self.id)()
    }

    /// The type's name, for messages (as `std::any::type_name` gives it).
    pub fn type_name(&self) -> &'static str {
        (self.name)()
    }

    /// Deserializes a value of the type from `deserializer` and drops it: the type's
    /// `Deserialize` implementation asks `deserializer` for what it expects (a struct's name and
    /// fields, a sequence, an `i64`...), which is how a codec learns the type's shape. The
    /// result is the deserializer's error, or the implementation's own (one that validates
    /// what it reads may refuse made-up values).
    pub fn deserialize(
        &self,
        deserializer: &mut dyn erased_serde::Deserializer<'_>,
    ) -> Result<(), erased_serde::Error> {
        (self.deserialize)(deserializer)
    }
}

impl PartialEq for TypeInfo {
    fn eq(&self, other: &Self) -> bool {
        self.type_id() == other.type_id()
    }
}

impl Eq for TypeInfo {}

impl fmt::Debug for TypeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypeInfo").field(&self.type_name()).finish()
    }
}

/// A value for an encoder: the value, and its [`TypeInfo`] when the sender knows it. `Copy`.
///
/// ```
/// use rpc_proto::{Payload, TypeInfo};
///
/// let ids: Vec<i64> = Vec::new();
/// let plain = Payload::from(&ids);
/// assert_eq!(plain.type_info(), None);
/// let typed = Payload::typed(&ids);
/// assert_eq!(typed.type_info(), Some(TypeInfo::of::<Vec<i64>>()));
/// assert_eq!(serde_json::to_string(typed.value()).unwrap(), "[]");
/// ```
#[derive(Clone, Copy)]
pub struct Payload<'a> {
    value: &'a dyn erased_serde::Serialize,
    ty: Option<TypeInfo>,
}

impl<'a> Payload<'a> {
    /// `value`, its type unknown to the codec (it sees what the value shows).
    pub fn new(value: &'a dyn erased_serde::Serialize) -> Self {
        Self { value, ty: None }
    }

    /// `value` with its type `T`.
    pub fn typed<T: Serialize + DeserializeOwned + 'static>(value: &'a T) -> Self {
        Self {
            value,
            ty: Some(TypeInfo::of::<T>()),
        }
    }

    /// This payload with `ty` as its type information.
    pub fn with_type(self, ty: Option<TypeInfo>) -> Self {
        Self { ty, ..self }
    }

    /// The value.
    pub fn value(&self) -> &'a dyn erased_serde::Serialize {
        self.value
    }

    /// The value's type, if the sender told it.
    pub fn type_info(&self) -> Option<TypeInfo> {
        self.ty
    }
}

impl<'a, T: Serialize> From<&'a T> for Payload<'a> {
    fn from(value: &'a T) -> Self {
        Payload::new(value)
    }
}

impl<'a> From<&'a dyn erased_serde::Serialize> for Payload<'a> {
    fn from(value: &'a dyn erased_serde::Serialize) -> Self {
        Payload::new(value)
    }
}

impl<'a> From<&'a (dyn erased_serde::Serialize + Send)> for Payload<'a> {
    fn from(value: &'a (dyn erased_serde::Serialize + Send)) -> Self {
        Payload::new(value)
    }
}

impl fmt::Debug for Payload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("type", &self.ty)
            .finish_non_exhaustive()
    }
}

/// A successful call's reply, owned: the value, and its [`TypeInfo`] when the service knows it
/// (netrpc's `service!` macro gives the type of every reply that is `Deserialize`). Whichever
/// codec the connection speaks encodes it ([`Reply::payload`]).
///
/// ```
/// use rpc_proto::{Reply, TypeInfo};
///
/// let reply = Reply::typed(vec![1i64, 2]);
/// assert_eq!(reply.type_info(), Some(TypeInfo::of::<Vec<i64>>()));
/// assert_eq!(serde_json::to_string(reply.value()).unwrap(), "[1,2]");
/// assert_eq!(Reply::new("hi").type_info(), None);
/// ```
pub struct Reply {
    value: Box<dyn erased_serde::Serialize + Send>,
    ty: Option<TypeInfo>,
}

impl Reply {
    /// `value`, its type unknown to the codec.
    pub fn new<T: Serialize + Send + 'static>(value: T) -> Self {
        Self {
            value: Box::new(value),
            ty: None,
        }
    }

    /// `value` with its type `T`, for codecs that need more than the value shows (gob, for
    /// empty sequences and maps).
    pub fn typed<T: Serialize + DeserializeOwned + Send + 'static>(value: T) -> Self {
        Self {
            value: Box::new(value),
            ty: Some(TypeInfo::of::<T>()),
        }
    }

    /// A value already boxed, with the type information given (if any).
    pub fn from_boxed(
        value: Box<dyn erased_serde::Serialize + Send>,
        ty: Option<TypeInfo>,
    ) -> Self {
        Self { value, ty }
    }

    /// The value.
    pub fn value(&self) -> &(dyn erased_serde::Serialize + Send) {
        &*self.value
    }

    /// The value's type, if the service told it.
    pub fn type_info(&self) -> Option<TypeInfo> {
        self.ty
    }

    /// What an encoder takes.
    pub fn payload(&self) -> Payload<'_> {
        Payload {
            value: &*self.value,
            ty: self.ty,
        }
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("type", &self.ty)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

    use super::*;

    /// A deserializer that records what it is asked for, answering sequences and maps with no
    /// elements and structs with no fields (a miniature of what gob's trace does).
    struct Recorder<'a>(&'a mut Vec<String>);

    impl<'de> Deserializer<'de> for Recorder<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.0.push("any".into());
            v.visit_unit()
        }
        fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.0.push("i64".into());
            v.visit_i64(0)
        }
        fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.0.push("seq".into());
            v.visit_seq(Empty)
        }
        fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.0.push("map".into());
            v.visit_map(Empty)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.push(format!("struct {name} {fields:?}"));
            v.visit_map(Empty)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct tuple tuple_struct enum identifier
            ignored_any
        }
    }

    struct Empty;

    impl<'de> SeqAccess<'de> for Empty {
        type Error = de::value::Error;
        fn next_element_seed<T: de::DeserializeSeed<'de>>(
            &mut self,
            _: T,
        ) -> Result<Option<T::Value>, Self::Error> {
            Ok(None)
        }
    }

    impl<'de> MapAccess<'de> for Empty {
        type Error = de::value::Error;
        fn next_key_seed<K: de::DeserializeSeed<'de>>(
            &mut self,
            _: K,
        ) -> Result<Option<K::Value>, Self::Error> {
            Ok(None)
        }
        fn next_value_seed<V: de::DeserializeSeed<'de>>(
            &mut self,
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("no value"))
        }
    }

    fn asks(info: TypeInfo) -> (Vec<String>, bool) {
        let mut asked = Vec::new();
        let mut de = <dyn erased_serde::Deserializer>::erase(Recorder(&mut asked));
        let ok = info.deserialize(&mut de).is_ok();
        (asked, ok)
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Point {
        x: i64,
        y: i64,
    }

    #[test]
    fn type_info_drives_the_types_deserialize() {
        assert_eq!(asks(TypeInfo::of::<i64>()), (vec!["i64".to_string()], true));
        assert_eq!(
            asks(TypeInfo::of::<Vec<i64>>()),
            (vec!["seq".to_string()], true)
        );
        assert_eq!(
            asks(TypeInfo::of::<BTreeMap<String, i64>>()),
            (vec!["map".to_string()], true)
        );
        // The struct's name and fields; then it misses its fields.
        let (asked, ok) = asks(TypeInfo::of::<Point>());
        assert_eq!(asked, [r#"struct Point ["x", "y"]"#]);
        assert!(!ok);
        assert!(TypeInfo::of::<Point>().type_name().ends_with("Point"));
        assert_ne!(TypeInfo::of::<i64>(), TypeInfo::of::<u64>());
        assert_eq!(format!("{:?}", TypeInfo::of::<i64>()), r#"TypeInfo("i64")"#);
    }

    #[test]
    fn replies_and_payloads_carry_the_type_they_were_given() {
        let reply = Reply::typed(vec![String::from("a")]);
        let payload = reply.payload();
        assert_eq!(payload.type_info(), Some(TypeInfo::of::<Vec<String>>()));
        assert_eq!(serde_json::to_string(payload.value()).unwrap(), r#"["a"]"#);
        let plain = Reply::new(7u8);
        assert_eq!(plain.payload().type_info(), None);
        assert_eq!(serde_json::to_string(plain.value()).unwrap(), "7");
        let boxed = Reply::from_boxed(Box::new(1i64), Some(TypeInfo::of::<i64>()));
        assert_eq!(boxed.type_info(), Some(TypeInfo::of::<i64>()));
        assert_eq!(
            Payload::from(&3u16)
                .with_type(Some(TypeInfo::of::<u16>()))
                .type_info(),
            Some(TypeInfo::of::<u16>())
        );
        let erased: &dyn erased_serde::Serialize = &"x";
        assert_eq!(
            serde_json::to_string(Payload::from(erased).value()).unwrap(),
            r#""x""#
        );
        assert!(format!("{reply:?}").contains("Vec<alloc::string::String>"));
    }
}
