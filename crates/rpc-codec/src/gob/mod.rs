//! Go's gob encoding and the `net/rpc` codec built on it (Go's default), wire-compatible with
//! Go.
//!
//! Use [`Gob`] to talk to Go programs that use `rpc.Dial` / `rpc.NewClient` or
//! `rpc.ServeConn` / `rpc.NewServer().ServeCodec`-style gob connections. The gob data format is
//! also available on its own: [`Encoder`] and [`Decoder`] for streams, [`to_vec`] and
//! [`from_slice`] for one value, and [`dynamic`] for values whose Go type is known only at run
//! time (JSON in and out).
//!
//! # Wire format
//!
//! Each direction of a connection is one gob stream (Go's `encoding/gob/doc.go`):
//!
//! ```text
//! stream     = message*
//! message    = uint(length) (int(-id) wireType | int(id) value)
//! ```
//!
//! A message either defines type `id` (a `wireType` value: an array, slice, struct or map type
//! whose element and field types are ids) or carries a value of type `id`. Types are defined
//! once per stream, before the first value that needs them, with ids from 65 on; ids 1 to 8 are
//! gob's builtin `bool`, `int`, `uint`, `float`, `[]byte`, `string`, `complex` and `interface`.
//! Integers are gob's variable-length unsigned (`7` is `07`, `256` is `FE 01 00`) and signed
//! (`-129` is `FE 01 01`) encodings; floats are their bits byte-reversed as an unsigned integer;
//! strings and `[]byte` a length then the bytes; slices, arrays and maps a count then the
//! elements (or key/value pairs); a struct its non-zero fields as (field number delta, value)
//! pairs ending with a zero delta. A value whose type is not a struct is preceded by a zero
//! delta (Go's "singleton").
//!
//! The rpc codec writes, per request, Go's `rpc.Request{ServiceMethod string; Seq uint64}` then
//! the argument, and per response Go's `rpc.Response{ServiceMethod string; Seq uint64; Error
//! string}` then the reply (Go's empty `struct{}` after an error), each a value of the stream as
//! Go's `gobClientCodec` / `gobServerCodec` write them. For example the first call of
//! `HelloService.Hello("world")`, as Go's client writes it (but for Go's type ids, which are
//! process-wide):
//!
//! ```text
//! 2f ff 81 03 01 01 07 "Request" 01 ff 82 00 01 02          type 65 = struct Request {
//!   01 0d "ServiceMethod" 01 0c 00                            ServiceMethod string (id 6)
//!   01 03 "Seq" 01 06 00 00 00                                Seq uint (id 3) }
//! 17 ff 82 01 12 "HelloService.Hello" 00                    a Request: field 0, then the end
//!                                                           (Seq 0 is zero: not sent)
//! 08 0c 00 05 "world"                                       a string (id 6): delta 0, "world"
//! ```
//!
//! A response echoes its request's `ServiceMethod`, as Go's server does (the server decoder
//! puts it in the request's [`Token`](rpc_proto::Token), which the engine hands back to the
//! server encoder with the response; Go's client ignores it). An error
//! response has a non-empty `Error` (an empty error message is sent as `unspecified error`,
//! since Go reads `""` as success) and Go's empty struct as its body, which the client decoder
//! hands over undecoded like any body.
//!
//! # Field names
//!
//! Go matches struct fields by their exact names and sees only exported ones (starting with an
//! upper-case letter); Rust fields are encoded and matched under their serde names. To talk to
//! Go, name them as Go does:
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize)]
//! #[serde(rename_all = "PascalCase")]
//! struct WatchFromArgs {
//!     revision: u64,       // Go's Revision
//!     prefix: String,      // Go's Prefix
//!     timeout_seconds: i64, // Go's TimeoutSeconds
//! }
//! ```
//!
//! # What maps to what
//!
//! | Rust (serde) | gob / Go |
//! | --- | --- |
//! | `bool` | `bool` |
//! | `i8`…`i64`, `i128` within `i64`, `char` | `int` (Go's `int*`, `rune`) |
//! | `u8`…`u64`, `u128` within `u64` | `uint` (Go's `uint*`) |
//! | `f32`, `f64` | `float` (Go's `float32`/`float64`) |
//! | `String`, `&str` | `string` |
//! | `serialize_bytes` (`serde_bytes`), and a sequence whose elements are all `u8` (`Vec<u8>`) | `[]byte` |
//! | sequences (`Vec<T>`, sets) | `[]T` |
//! | `[T; N]` and tuples whose elements are all one type, tuple structs | `[N]T` |
//! | maps | `map[K]V` |
//! | structs | structs, named by serde's name |
//! | `Option<T>` | `*T`: `None` is nil (a struct field left out); `Some` is the value |
//! | `()`, unit structs, empty structs | `struct {}` |
//! | newtype structs | the inner value |
//! | enums with newtype variants | `interface{}`: each variant is a concrete type, registered (Go's `gob.Register`) under the variant's serde name (`#[serde(rename = "main.Point")]`; Go's builtin names are `int`, `string`, `[]interface {}`, ...) |
//! | `rpc_gotypes::Time` and any type speaking the `rpc_gotypes` marshaler marker | Go's `GobEncoder`/`BinaryMarshaler` types (`time.Time`, `*big.Int`, `*url.URL`, ...): the named marshaler wire type and its bytes |
//! | a type speaking the `rpc_gotypes::marker::STRING` marker | `string` holding any bytes |
//! | unit, tuple and struct enum variants, tuples of mixed types | an error |
//!
//! Decoding follows Go's rules: struct fields are matched **by name** (see [Field
//! names](#field-names)), fields the Rust type does not know are skipped, fields the wire left out (Go leaves out
//! fields that are zero) get Go's zero value ([`rpc_proto::zero`]), `Option<T>` is `Some` when
//! the wire has the value and `None` when it does not. Integers of either sign go into any
//! integer type that can hold the value (Go insists on matching signedness); a value that does
//! not fit is an error. `[]byte` goes into `Vec<u8>`, `serde_bytes` types and `[u8; N]`;
//! `deserialize_any` (`serde_json::Value`) sees `[]byte` as a sequence of numbers and a
//! `complex128` as a sequence of two floats. Strings must be valid UTF-8 to decode into Rust
//! strings (Go's may hold any bytes; those decode into `Vec<u8>`).
//!
//! Interface values (Go's `interface{}` / `any`, type id 8) are skipped as unknown fields as Go
//! skips them (`ignoreInterface`: the concrete type's name, its id, then a byte count and that
//! many bytes). Into a Rust enum, the concrete type's registered name selects the newtype
//! variant of that serde name (a name the enum does not have is Go's `gob: name not registered
//! for interface: "main.Square"`; a concrete value where an interface is expected is Go's `gob:
//! local interface type ... can only be decoded from remote interface type`), and an
//! `Option<Enum>` is `None` for a nil interface (also as an element of a slice or map, where
//! the encoder writes `None` as a nil interface value). A [`dynamic::Value`] keeps the concrete
//! type's name (and sends it back). Into anything else they decode as their
//! concrete value, whatever Go type that has: into `serde_json::Value` or another
//! self-describing type (`deserialize_any`), an `Option` (a nil interface is `None`), or a Rust
//! type that fits the concrete value (a nil interface is its zero value). The definitions of
//! concrete types that Go sends inside an interface value, the first time a stream carries
//! them, go into the stream's types as Go's decoder adds them; such a value may span several
//! messages (see `frame.rs`), all of which count toward the size limit of its request or
//! response. The encoder sends the definitions of every concrete type before the value's
//! message, as Go does for a top-level value's interface values.
//!
//! Marshaler values (`GobEncoder`, `BinaryMarshaler`) decode into `rpc_gotypes::Time` and other
//! types that ask for them by the marker name `rpc_gotypes::marker::MARSHALER`; self-describing consumers
//! see `{"Kind": 0, "Name": "Time", "Data": [...]}`. A Go `string` is any bytes: a Rust `String`
//! refuses bytes that are not UTF-8 with an error naming the field
//! (`gob: string in field Event.Note is not valid UTF-8 ...`), `Vec<u8>` and
//! types speaking the `rpc_gotypes::marker::STRING` marker take them exactly, and self-describing consumers see each invalid
//! sequence as U+FFFD, as Go's `encoding/json` prints it.
//!
//! Where Go's decoder refuses a value, so does this one, with Go's text: `gob: decoding into
//! local type int64, received remote type Point` (top level), `gob: wrong type (string) for
//! received field Point.X ...` (a field), `value for "X" out of range` (a number that does not
//! fit, a negative number into an unsigned field), `gob: type mismatch: no fields matched
//! compiling decoder for T` (a struct sharing no field with the Rust struct).

//! Encoding follows Go's too: fields that are zero (`false`, `0`, `""`, empty slices and maps,
//! `None`) are left out; nested structs and arrays are always sent; `None` cannot be a top-level
//! value nor an element of a slice, array or map (Go's nil pointers cannot be either).
//!
//! # Types from values
//!
//! serde shows a value's type only through the value, and gob must define the type before
//! sending the value, so the encoder goes over each value twice: first to learn its type from
//! the value itself, then to write it. A struct's type lists the fields serialized (zero or
//! not) whose type the value tells; a sequence's or map's element type is the merge of its
//! elements' (structs merged field by field); structs of the same serde name share one type
//! (so recursive types are one recursive gob type) unless their fields conflict. Identical types
//! get one id per stream, defined once.
//!
//! Types are named as Go names them: structs by their serde names, marshaler types by their
//! marker names, and slice, array and map types as Go's `reflect.Type.String()` writes them
//! (`[]string`, `[2]string`, `map[string]int64`, `[]interface {}`, `[]struct { A int64 }`),
//! from the Rust types of the numbers (`i64` is `int64`, `char` `int32`, `u8` `uint8`; numbers
//! of several types in one container are Go's `int`, `uint`, `float64`) and the names of the
//! structs (unqualified: Go's would be `[]main.Inner`). Go's encoder names the types of struct
//! fields so; its decoder matches types by structure alone and shows the names in its errors
//! (`received remote type [2]string`), as this decoder does with the names a peer sends
//! (building one from the element types for a type sent without a name, as Go sends the types
//! of top-level values). A type is defined once per stream, under the name it first has: a
//! `Vec<i64>` after a `Vec<i32>` is the same `[]int` on the wire, defined as `[]int32`.
//!
//! The limits of this, all for values that show nothing of their type:
//!
//! - A sequence or map with no elements anywhere in the value (an empty top-level `Vec`, a
//!   `Vec<Vec<u8>>` whose inner vectors are all empty) is sent with `string` as its unknown
//!   element (or key) type, which a Go receiver of another element type rejects (`[]string`
//!   into `[]int`), unless its type comes with it (below). A struct field that is `None` or
//!   empty everywhere in the value is simply left out of the type, which Go accepts.
//!   [`dynamic::Typed`] values do not have this limit.
//! - Values whose parts differ in type where Go's cannot (`serde_json::Value` arrays of mixed
//!   kinds, untagged enums) are an error; give such values a Go type with
//!   [`dynamic::Typed`].
//!
//! # Types from Rust types
//!
//! A value whose Rust type comes with it also brings the type's gob type, traced once per type
//! through the type's `Deserialize` implementation (which names a struct's fields and asks for
//! a sequence's elements even when there are none): what the value leaves unknown (the element,
//! key and value types of empty sequences and maps, and the structs they hold) is taken from
//! it, so Go receives an empty `Vec<i64>` as an `[]int64`. Where the value tells its type, the
//! value's stands. The type comes
//!
//! - with a reply: the server encoder takes the [`TypeInfo`](rpc_proto::TypeInfo) of the
//!   [`Payload`](rpc_proto::Payload) it is given, which netrpc's `service!` sets for every reply
//!   whose type is `Deserialize` ([`Reply::typed`](rpc_proto::Reply::typed));
//! - with a [`Hinted`] value, anywhere: a client hints an argument with
//!   `client.call(method, &Hinted::new(&args))`, and [`to_vec`] and [`Encoder`] take hinted
//!   values too.
//!
//! Other codecs see the value itself.
//!
//! # Not supported
//!
//! - `complex64`/`complex128` values are decoded (as two floats) but not encoded.
//! - Interface types with methods (`error`, `fmt.Stringer`) in [`dynamic::GoType`]: gob sends
//!   them as `interface{}` values, which a Rust enum or a [`dynamic::Value`] receives.
//! - serde's `#[serde(flatten)]`, untagged enums and field aliases do not combine with the
//!   zero values given to fields the wire left out (`missing field` or `duplicate field`
//!   errors).

//! # Limits
//!
//! - The messages of one request or response (its header, its body and any type definitions
//!   before them, length prefixes included) may take at most
//!   [`Limits::max_message`](rpc_proto::Limits) bytes; each message's length is checked before
//!   anything is buffered for it, so `FC FF FF FF FF`… fails at once with
//!   [`CodecError::FrameTooLarge`](rpc_proto::CodecError). The type definitions of a stream
//!   may take at most `max_message` bytes in all. The encoders refuse to write more.
//! - Every count on the wire (string lengths, element counts) is checked against the bytes
//!   left in its message before it is used.
//! - Values nest at most [`Limits::max_depth`](rpc_proto::Limits) levels (each struct, slice,
//!   array and map is one), when encoding and decoding; recursive type definitions are
//!   followed only as far as a value goes.
//! - Timeouts and cancellations cannot be carried (Go's format has no place for them).
//!
//! # Example
//!
//! ```
//! use bytes::BytesMut;
//! use rpc_codec::Gob;
//! use rpc_proto::{Codec, Limits, Payload, RequestHeader, ResponseHeader, ServerInbound};
//!
//! let limits = Limits::default();
//! let mut client = Gob.client(&limits);
//! let mut server = Gob.server(&limits);
//!
//! let mut to_server = BytesMut::new();
//! let kv = ["key".to_string(), "value".to_string()];
//! client.encoder.encode_request(&RequestHeader::new("KVStoreService.Set", 1), &kv, &mut to_server)?;
//!
//! let Some(ServerInbound::Request { header, body }) = server.decoder.decode(&mut to_server)?
//! else {
//!     panic!("expected a request");
//! };
//! assert_eq!((header.service_method.as_str(), header.seq), ("KVStoreService.Set", 1));
//! assert_eq!(body.decode::<[String; 2]>()?, kv);
//!
//! // The request's token is its method, which the response echoes as Go's server does.
//! assert_eq!(header.token.as_bytes(), b"KVStoreService.Set");
//!
//! let mut to_client = BytesMut::new();
//! let response = ResponseHeader::ok(1).with_token(header.token);
//! server.encoder.encode_response(&response, Some(Payload::from(&())), &mut to_client)?;
//! server.encoder.encode_response(&ResponseHeader::error(2, "not found"), None, &mut to_client)?;
//! let ok = client.decoder.decode(&mut to_client)?.expect("a response");
//! assert_eq!(ok.header, ResponseHeader::ok(1));
//! let failed = client.decoder.decode(&mut to_client)?.expect("a response");
//! assert_eq!(failed.header, ResponseHeader::error(2, "not found"));
//! # Ok::<(), rpc_proto::CodecError>(())
//! ```

mod client;
mod de;
mod decode;
pub mod dynamic;
mod encode;
mod error;
mod frame;
mod hint;
mod marker;
mod refuse;
mod rpc;
mod ser;
mod server;
mod shape;
#[cfg(test)]
mod tests;
mod trace;
mod types;
mod wire;

use rpc_proto::{ClientCodec, Codec, Limits, ServerCodec};

pub use self::client::{ClientDecoder, ClientEncoder};
pub use self::decode::{Decoder, from_slice, to_vec};
pub use self::encode::Encoder;
pub use self::hint::Hinted;
pub use self::server::{ServerDecoder, ServerEncoder};

/// Go's `net/rpc` gob codec (see the [module documentation](self)). Named `"gob"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Gob;

impl Gob {
    /// The client side of one connection as concrete types: an encoder of requests and a
    /// decoder of responses, each with its own gob stream.
    pub fn client_parts(&self, limits: &Limits) -> (ClientEncoder, ClientDecoder) {
        client::client_parts(limits)
    }

    /// The server side of one connection as concrete types: a decoder of requests and an
    /// encoder of responses (which echoes each request's method, as Go's server does).
    pub fn server_parts(&self, limits: &Limits) -> (ServerDecoder, ServerEncoder) {
        server::server_parts(limits)
    }
}

impl Codec for Gob {
    fn name(&self) -> &'static str {
        "gob"
    }

    fn client(&self, limits: &Limits) -> ClientCodec {
        let (encoder, decoder) = self.client_parts(limits);
        ClientCodec {
            encoder: Box::new(encoder),
            decoder: Box::new(decoder),
        }
    }

    fn server(&self, limits: &Limits) -> ServerCodec {
        let (decoder, encoder) = self.server_parts(limits);
        ServerCodec {
            decoder: Box::new(decoder),
            encoder: Box::new(encoder),
        }
    }
}
