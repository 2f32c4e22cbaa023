//! The Rust twin of `go/cmd/realgo`: its `Event` with `netrpc::go`'s typed values for Go's
//! marshaler types (`time.Time`, `*big.Int`, `*big.Rat`, `*url.URL`), its canonical value, and
//! netrpc `Ledger` services answering as Go's does, over gob ([`GobLedger`]) and over jsonrpc
//! ([`JsonLedger`]).
//!
//! Gob and Go's `encoding/json` carry two of `Event`'s kinds of values differently, so
//! [`Event`] is generic over the codec's forms of them ([`Wire`]):
//!
//! - Go's `interface{}` values: gob sends the concrete type's registered name with each value,
//!   which selects a variant of the enum [`Any`] ([`OverGob`]); `encoding/json` writes plain
//!   JSON without type names (a `Point` is an object, and Go reads numbers back as `float64`),
//!   so over jsonrpc they are `serde_json::Value`s ([`OverJson`]).
//! - Go's `*url.URL`: gob sends it as a `BinaryMarshaler` (the URL's text), kept as a
//!   [`Marshaled`] value whose bytes go back exactly; `url.URL` has no JSON or text marshaler, so
//!   `encoding/json` writes the struct's exported fields, which [`Url`] mirrors.
//!
//! Everything else is one Rust type for both: [`Time`] (RFC 3339 over JSON), [`BigInt`] (a bare
//! JSON number of any size), [`BigRat`] (`"-1/3"`), `Vec<u8>` (base64 over JSON) and
//! [`ByteString`] (every byte over gob; over JSON each invalid UTF-8 byte is U+FFFD, as Go
//! writes it).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt::{self, Debug};

use netrpc::go::{BigInt, BigRat, ByteString, Marshaled, MarshalerKind, Time};
use netrpc::service;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Go's `main.Point`, registered with gob under that name.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Point {
    /// Go's `X`.
    pub x: i64,
    /// Go's `Y`.
    pub y: i64,
}

/// Go's `interface{}` over gob, holding the types `realgo` uses: each variant is named as gob
/// names the concrete type (Go's builtin names, and `gob.Register`'s `main.Point`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub enum Any {
    /// Go's `int`.
    #[serde(rename = "int")]
    Int(i64),
    /// Go's `string`.
    #[serde(rename = "string")]
    Str(String),
    /// Go's `main.Point`.
    #[serde(rename = "main.Point")]
    Point(Point),
}

/// Go's `url.URL` as `encoding/json` writes it: the struct's exported fields (it has no JSON or
/// text marshaler). Fields that a Go version does not have are zero.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Url {
    /// Go's `Scheme`.
    pub scheme: String,
    /// Go's `Opaque`.
    pub opaque: String,
    /// Go's `User` (`*url.Userinfo`, whose fields are unexported: `null` or `{}`).
    pub user: Option<serde_json::Value>,
    /// Go's `Host`.
    pub host: String,
    /// Go's `Path`.
    pub path: String,
    /// Go's `RawPath`.
    pub raw_path: String,
    /// Go's `OmitHost` (Go 1.19 on).
    pub omit_host: bool,
    /// Go's `ForceQuery`.
    pub force_query: bool,
    /// Go's `RawQuery`.
    pub raw_query: String,
    /// Go's `Fragment`.
    pub fragment: String,
    /// Go's `RawFragment`.
    pub raw_fragment: String,
}

/// How one codec carries the values of [`Event`] that gob and JSON carry differently (see the
/// [module documentation](self)).
pub trait Wire: Debug + Clone + PartialEq + Send + Sync + 'static {
    /// Go's `interface{}`.
    type Any: Serialize + DeserializeOwned + Debug + Clone + PartialEq + Send + Sync + 'static;
    /// Go's `*url.URL`.
    type Link: Serialize + DeserializeOwned + Debug + Clone + PartialEq + Send + Sync + 'static;

    /// A Go `int` in an interface value.
    fn int(n: i64) -> Self::Any;
    /// A Go `string` in an interface value.
    fn string(s: &str) -> Self::Any;
    /// A `main.Point` in an interface value.
    fn point(x: i64, y: i64) -> Self::Any;
    /// `https://example.com/x?y=1` as a `*url.URL`.
    fn canonical_link() -> Self::Link;
    /// A Go string of these bytes as it arrives.
    fn note(bytes: &[u8]) -> ByteString;
    /// Go's `fmt.Sprintf("%T %v", v, v)` of the interface value as Go's server sees it.
    fn describe(value: &Self::Any) -> String;
}

/// Go's gob: interface values as [`Any`], `*url.URL` as [`Marshaled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OverGob;

impl Wire for OverGob {
    type Any = Any;
    type Link = Marshaled;

    fn int(n: i64) -> Any {
        Any::Int(n)
    }

    fn string(s: &str) -> Any {
        Any::Str(s.into())
    }

    fn point(x: i64, y: i64) -> Any {
        Any::Point(Point { x, y })
    }

    /// `*url.URL` is a `BinaryMarshaler` whose bytes are the URL's text; gob names the type as
    /// Go's encoder found it, and a pointer type has no name (`""`).
    fn canonical_link() -> Marshaled {
        Marshaled::new(
            MarshalerKind::BinaryMarshaler,
            "",
            "https://example.com/x?y=1",
        )
    }

    fn note(bytes: &[u8]) -> ByteString {
        ByteString::from(bytes)
    }

    fn describe(value: &Any) -> String {
        match value {
            Any::Int(n) => format!("int {n}"),
            Any::Str(s) => format!("string {s}"),
            Any::Point(p) => format!("main.Point {{{} {}}}", p.x, p.y),
        }
    }
}

/// Go's `net/rpc/jsonrpc`: interface values as `serde_json::Value` (plain JSON, as Go's
/// `encoding/json` writes and reads them), `*url.URL` as [`Url`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OverJson;

impl Wire for OverJson {
    type Any = serde_json::Value;
    type Link = Url;

    fn int(n: i64) -> serde_json::Value {
        n.into()
    }

    fn string(s: &str) -> serde_json::Value {
        s.into()
    }

    fn point(x: i64, y: i64) -> serde_json::Value {
        serde_json::json!({"X": x, "Y": y})
    }

    fn canonical_link() -> Url {
        Url {
            scheme: "https".into(),
            host: "example.com".into(),
            path: "/x".into(),
            raw_query: "y=1".into(),
            ..Url::default()
        }
    }

    /// Go's `encoding/json` writes each invalid UTF-8 byte as U+FFFD.
    fn note(bytes: &[u8]) -> ByteString {
        ByteString::from(ByteString::from(bytes).to_string_lossy().into_owned())
    }

    /// What Go's `encoding/json` makes of the value in an `interface{}`: `map[string]interface
    /// {}`, `[]interface {}`, `float64`, `string`, `bool` or nil.
    fn describe(value: &serde_json::Value) -> String {
        let kind = match value {
            serde_json::Value::Null => "<nil>",
            serde_json::Value::Bool(_) => "bool",
            serde_json::Value::Number(_) => "float64",
            serde_json::Value::String(_) => "string",
            serde_json::Value::Array(_) => "[]interface {}",
            serde_json::Value::Object(_) => "map[string]interface {}",
        };
        format!("{kind} {}", GoValue(value))
    }
}

/// Go's `%v` of a value `encoding/json` decoded into an `interface{}`.
struct GoValue<'a>(&'a serde_json::Value);

impl fmt::Display for GoValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            serde_json::Value::Null => f.write_str("<nil>"),
            serde_json::Value::Bool(b) => write!(f, "{b}"),
            serde_json::Value::Number(n) => write_go_float(f, n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => f.write_str(s),
            serde_json::Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{}", GoValue(item))?;
                }
                f.write_str("]")
            }
            serde_json::Value::Object(map) => {
                // Go's fmt prints maps sorted by key.
                let sorted: BTreeMap<_, _> = map.iter().collect();
                f.write_str("map[")?;
                for (i, (key, value)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{key}:{}", GoValue(value))?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Go's `%v` of a `float64` (`%g` with the shortest digits): exponent form when the decimal
/// exponent is below -4 or at least 6 (`1e+06`, `1.5e-07`), plain otherwise (`7`, `0.25`).
fn write_go_float(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    let sci = format!("{v:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if v.is_finite() && v != 0.0 && !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        write!(f, "{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    } else {
        write!(f, "{v}")
    }
}

/// Go's `main.Event`, with `W`'s forms of interface values and `*url.URL`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "PascalCase", bound = "")]
pub struct Event<W: Wire> {
    /// Go's `Name string`.
    pub name: String,
    /// Go's `When time.Time`.
    pub when: Time,
    /// Go's `Amount *big.Int`.
    pub amount: BigInt,
    /// Go's `Ratio *big.Rat`.
    pub ratio: BigRat,
    /// Go's `Payload interface{}` (`None` is nil).
    pub payload: Option<W::Any>,
    /// Go's `Items []interface{}`.
    pub items: Vec<W::Any>,
    /// Go's `Attrs map[string]interface{}`.
    pub attrs: BTreeMap<String, W::Any>,
    /// Go's `Raw []byte`.
    pub raw: Vec<u8>,
    /// Go's `Note string`, which is not UTF-8.
    pub note: ByteString,
    /// Go's `Link *url.URL`.
    pub link: W::Link,
}

impl<W: Wire> Event<W> {
    /// Go's `Canonical()` as it arrives over `W`'s codec (Go's `CanonicalJSON()` for
    /// [`OverJson`]).
    pub fn canonical() -> Event<W> {
        Event {
            name: "deposit".into(),
            when: "2024-02-29T13:14:15.123456789+05:30"
                .parse()
                .expect("a constant time"),
            amount: BigInt::from(1u128 << 100),
            ratio: BigRat::new(-1, 3).expect("a constant fraction"),
            payload: Some(W::point(3, 4)),
            items: vec![W::int(7), W::string("two"), W::point(5, 6)],
            attrs: [("n".into(), W::int(8)), ("s".into(), W::string("x"))]
                .into_iter()
                .collect(),
            raw: vec![1, 2, 3, 255],
            note: W::note(b"a\xff\xfeb"),
            link: W::canonical_link(),
        }
    }

    /// How `self` differs from `want`, as Go's `Diff` says it (`None` when they are the same):
    /// `Amount 5, want 6; Items [...], want [...]`. Times compare as Go's `Equal` and their zone
    /// offsets, as Go's `Diff` does.
    pub fn diff(&self, want: &Event<W>) -> Option<String> {
        let mut out = Vec::new();
        let mut field =
            |name: &str, same: bool, got: &dyn fmt::Display, want: &dyn fmt::Display| {
                if !same {
                    out.push(format!("{name} {got}, want {want}"));
                }
            };
        let same_when = self.when.same_instant(&want.when)
            && self.when.offset_seconds().unwrap_or(0) == want.when.offset_seconds().unwrap_or(0);
        field(
            "Name",
            self.name == want.name,
            &Dbg(&self.name),
            &Dbg(&want.name),
        );
        field("When", same_when, &self.when, &want.when);
        field(
            "Amount",
            self.amount == want.amount,
            &self.amount,
            &want.amount,
        );
        field("Ratio", self.ratio == want.ratio, &self.ratio, &want.ratio);
        let (got_payload, want_payload) = (Dbg(&self.payload), Dbg(&want.payload));
        field(
            "Payload",
            self.payload == want.payload,
            &got_payload,
            &want_payload,
        );
        field(
            "Items",
            self.items == want.items,
            &Dbg(&self.items),
            &Dbg(&want.items),
        );
        field(
            "Attrs",
            self.attrs == want.attrs,
            &Dbg(&self.attrs),
            &Dbg(&want.attrs),
        );
        field(
            "Raw",
            self.raw == want.raw,
            &Dbg(&self.raw),
            &Dbg(&want.raw),
        );
        field(
            "Note",
            self.note == want.note,
            &Dbg(&self.note),
            &Dbg(&want.note),
        );
        field(
            "Link",
            self.link == want.link,
            &Dbg(&self.link),
            &Dbg(&want.link),
        );
        (!out.is_empty()).then(|| out.join("; "))
    }
}

/// A value's `Debug` text as `Display`.
struct Dbg<'a>(&'a dyn Debug);

impl fmt::Display for Dbg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Go's `Ledger.Double`: twice `x`.
fn double(x: BigInt) -> BigInt {
    BigInt::from(x.into_num() * 2)
}

/// Go's `Ledger.Later`: `t` plus 90 minutes, in `t`'s zone.
fn later(t: Time) -> Result<Time, String> {
    Time::from_unix(t.unix_seconds() + 90 * 60, i64::from(t.nanos()))
        .map(|later| later.with_offset(t.offset_seconds()))
        .map_err(|err| err.to_string())
}

/// Go's `Ledger.Check`: true for the canonical event, an error saying how it differs otherwise.
fn check<W: Wire>(event: &Event<W>) -> Result<bool, String> {
    match event.diff(&Event::canonical()) {
        None => Ok(true),
        Some(diff) => Err(diff),
    }
}

/// Defines a netrpc `Ledger` service for one [`Wire`], answering as Go's `realgo -listen`.
macro_rules! ledger {
    ($(#[$doc:meta])* $svc:ident, $wire:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $svc;

        service! {
            impl $svc as "Ledger" {
                #[rpc("Sample")]
                /// The canonical event.
                pub async fn sample(&self, _arg: i64) -> Result<Event<$wire>, Infallible> {
                    Ok(Event::canonical())
                }

                #[rpc("Echo")]
                /// Returns its argument.
                pub async fn echo(&self, event: Event<$wire>) -> Result<Event<$wire>, Infallible> {
                    Ok(event)
                }

                #[rpc("Check")]
                /// True when `event` is the canonical event, an error saying how it differs
                /// otherwise.
                pub async fn check(&self, event: Event<$wire>) -> Result<bool, String> {
                    check(&event)
                }

                #[rpc("Double")]
                /// Twice `x`.
                pub async fn double(&self, x: BigInt) -> Result<BigInt, Infallible> {
                    Ok(double(x))
                }

                #[rpc("Later")]
                /// `t` plus 90 minutes, in `t`'s zone.
                pub async fn later(&self, t: Time) -> Result<Time, String> {
                    later(t)
                }

                #[rpc("Describe")]
                /// The interface value's Go type and value, as Go's `%T %v` prints them.
                pub async fn describe(&self, value: <$wire as Wire>::Any) -> Result<String, Infallible> {
                    Ok(<$wire>::describe(&value))
                }
            }
        }
    };
}

ledger!(
    /// netrpc's `Ledger` over gob, with [`OverGob`]'s values.
    GobLedger,
    OverGob
);

ledger!(
    /// netrpc's `Ledger` over jsonrpc, with [`OverJson`]'s values.
    JsonLedger,
    OverJson
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_json_values_as_go_prints_them() {
        let cases = [
            (
                serde_json::json!({"Y": 2, "X": 1}),
                "map[string]interface {} map[X:1 Y:2]",
            ),
            (serde_json::json!("hi"), "string hi"),
            (serde_json::json!(7), "float64 7"),
            (serde_json::json!(-0.25), "float64 -0.25"),
            (serde_json::json!(1234567), "float64 1.234567e+06"),
            (serde_json::json!(0.00001), "float64 1e-05"),
            (serde_json::json!(null), "<nil> <nil>"),
            (
                serde_json::json!([1, "a", {"k": [true]}, null]),
                "[]interface {} [1 a map[k:[true]] <nil>]",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(OverJson::describe(&value), want, "{value}");
        }
    }

    #[test]
    fn check_says_what_differs() {
        assert_eq!(check(&Event::<OverGob>::canonical()), Ok(true));
        let mut event = Event::<OverJson>::canonical();
        assert_eq!(check(&event), Ok(true));
        event.items[0] = OverJson::int(70);
        event.when = event.when.with_offset(None);
        let err = check(&event).unwrap_err();
        assert!(
            err.starts_with("When ") && err.contains("; Items "),
            "{err}"
        );
        assert_eq!(
            later("1969-12-31T23:59:59.000000005Z".parse().unwrap())
                .unwrap()
                .to_string(),
            "1970-01-01T01:29:59.000000005Z"
        );
        assert_eq!(double(BigInt::from(-5)), BigInt::from(-10));
    }
}
