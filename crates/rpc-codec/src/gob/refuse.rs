//! Serializers that accept one kind of value and refuse every other: the methods they refuse,
//! written once.
//!
//! Several gob serializers take a single part of a value (one raw byte of a `[]byte`, a struct
//! field name, the parts of a marker value) and must answer every other serde method with an
//! error. [`refuse!`] writes those methods: list the ones a serializer does not implement
//! itself, and the error to give.
//!
//! ```text
//! impl ser::Serializer for RawByte {
//!     // ... associated types, serialize_u8 ...
//!     refuse! { not_a_byte();
//!         serialize_bool serialize_i8 /* ... */ serialize_struct_variant
//!     }
//! }
//! ```

/// Writes the listed `serde::Serializer` methods, each returning `Err($err)`.
macro_rules! refuse {
    ($err:expr; $($method:ident)*) => {
        $($crate::gob::refuse::refuse!(@one $err; $method);)*
    };
    (@one $err:expr; serialize_bool) => { fn serialize_bool(self, _: bool) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_i8) => { fn serialize_i8(self, _: i8) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_i16) => { fn serialize_i16(self, _: i16) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_i32) => { fn serialize_i32(self, _: i32) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_i64) => { fn serialize_i64(self, _: i64) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_u8) => { fn serialize_u8(self, _: u8) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_u16) => { fn serialize_u16(self, _: u16) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_u32) => { fn serialize_u32(self, _: u32) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_u64) => { fn serialize_u64(self, _: u64) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_f32) => { fn serialize_f32(self, _: f32) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_f64) => { fn serialize_f64(self, _: f64) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_char) => { fn serialize_char(self, _: char) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_str) => { fn serialize_str(self, _: &str) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_bytes) => { fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_none) => { fn serialize_none(self) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_some) => {
        fn serialize_some<T: serde::Serialize + ?Sized>(self, _: &T) -> Result<Self::Ok, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_newtype_struct) => {
        fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result<Self::Ok, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_unit) => { fn serialize_unit(self) -> Result<Self::Ok, Self::Error> { Err($err) } };
    (@one $err:expr; serialize_unit_struct) => {
        fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_unit_variant) => {
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<Self::Ok, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_newtype_variant) => {
        fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> Result<Self::Ok, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_seq) => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_tuple) => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_tuple_struct) => {
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_tuple_variant) => {
        fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeTupleVariant, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_map) => {
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_struct) => {
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Self::Error> { Err($err) }
    };
    (@one $err:expr; serialize_struct_variant) => {
        fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeStructVariant, Self::Error> { Err($err) }
    };
}
pub(crate) use refuse;
