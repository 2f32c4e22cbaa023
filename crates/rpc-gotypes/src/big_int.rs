//! [`BigInt`]: Go's `*big.Int`.
//!
//! Binary codecs carry it as Go's `GobEncoder` named `Int`: `[1<<1 | sign][magnitude, big
//! endian]`, no bytes for nil. JSON carries it as Go's `MarshalJSON` does: a bare number with
//! every digit (see [`raw_json`](crate::raw_json) for how that passes through serde).

use std::fmt;
use std::str::FromStr;

use num_bigint::{BigUint, Sign};
use num_traits::{FromPrimitive, ToPrimitive, Zero};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::{Error, MarshalerKind, go_scan, marshal, raw_json};

/// Go's name for the type, as gob carries it.
const GO_NAME: &str = "Int";
/// The version of Go's `Int.GobEncode` format.
const VERSION: u8 = 1;

/// Go's `*big.Int`: an integer of any size, wrapping [`num_bigint::BigInt`] for arithmetic.
///
/// ```
/// use rpc_gotypes::BigInt;
///
/// let n: BigInt = "1267650600228229401496703205376".parse()?;
/// assert_eq!(n, BigInt::from(1u128 << 100));
/// assert_eq!(serde_json::to_string(&n).unwrap(), "1267650600228229401496703205376");
/// assert_eq!(n.gob_encode()[0], 2); // version 1, positive
/// assert_eq!(u64::try_from(BigInt::from(7))?, 7);
/// # Ok::<(), rpc_gotypes::Error>(())
/// ```
///
/// A nil `*big.Int` has no value of its own here: it reads as zero. Go's odd "negative zero"
/// (sign byte 3 with no magnitude) reads as zero too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BigInt(num_bigint::BigInt);

impl BigInt {
    /// Wraps a [`num_bigint::BigInt`].
    pub fn new(n: num_bigint::BigInt) -> BigInt {
        BigInt(n)
    }

    /// The number, for arithmetic.
    pub fn as_num(&self) -> &num_bigint::BigInt {
        &self.0
    }

    /// The number, for arithmetic.
    pub fn into_num(self) -> num_bigint::BigInt {
        self.0
    }

    /// Go's `GobEncode` of a non-nil `*big.Int`: `[2 | sign][magnitude, big endian]` (zero is
    /// `[2]`).
    pub fn gob_encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION << 1 | u8::from(self.0.sign() == Sign::Minus)];
        if !self.0.is_zero() {
            out.extend_from_slice(&self.0.magnitude().to_bytes_be());
        }
        out
    }

    /// Go's `GobDecode`: no bytes is zero (nil); the version must be 1.
    pub fn gob_decode(data: &[u8]) -> Result<BigInt, Error> {
        let Some((&head, magnitude)) = data.split_first() else {
            return Ok(BigInt::default());
        };
        if head >> 1 != VERSION {
            return Err(Error::IntVersion(head >> 1));
        }
        let sign = if head & 1 != 0 {
            Sign::Minus
        } else {
            Sign::Plus
        };
        Ok(BigInt(num_bigint::BigInt::from_biguint(
            sign,
            BigUint::from_bytes_be(magnitude),
        )))
    }

    /// Go's `UnmarshalText` (and `UnmarshalJSON` of anything but `null`): an optional sign,
    /// then digits with an optional base prefix (`0b`, `0o`, `0x`, or `0` for octal) and `_`
    /// between digits.
    pub fn from_go_text(text: &str) -> Result<BigInt, Error> {
        from_go_bytes(text.as_bytes())
    }
}

/// [`BigInt::from_go_text`] of bytes.
fn from_go_bytes(text: &[u8]) -> Result<BigInt, Error> {
    go_scan::parse_int(text, 0)
        .map(signed)
        .ok_or_else(|| Error::IntText(String::from_utf8_lossy(text).into_owned()))
}

fn signed((neg, magnitude): (bool, BigUint)) -> BigInt {
    let sign = if neg { Sign::Minus } else { Sign::Plus };
    BigInt(num_bigint::BigInt::from_biguint(sign, magnitude))
}

impl From<num_bigint::BigInt> for BigInt {
    fn from(n: num_bigint::BigInt) -> BigInt {
        BigInt(n)
    }
}

impl From<BigInt> for num_bigint::BigInt {
    fn from(n: BigInt) -> num_bigint::BigInt {
        n.0
    }
}

impl From<BigUint> for BigInt {
    fn from(n: BigUint) -> BigInt {
        BigInt(n.into())
    }
}

macro_rules! primitive_conversions {
    ($($t:ty => $to:ident),* $(,)?) => {$(
        impl From<$t> for BigInt {
            fn from(n: $t) -> BigInt {
                BigInt(n.into())
            }
        }

        impl TryFrom<BigInt> for $t {
            type Error = Error;

            /// Fails when the number does not fit.
            fn try_from(n: BigInt) -> Result<$t, Error> {
                n.0.$to().ok_or(Error::OutOfRange(concat!("big.Int for ", stringify!($t))))
            }
        }

        impl TryFrom<&BigInt> for $t {
            type Error = Error;

            /// Fails when the number does not fit.
            fn try_from(n: &BigInt) -> Result<$t, Error> {
                n.0.$to().ok_or(Error::OutOfRange(concat!("big.Int for ", stringify!($t))))
            }
        }
    )*};
}

primitive_conversions! {
    i8 => to_i8, i16 => to_i16, i32 => to_i32, i64 => to_i64, i128 => to_i128,
    isize => to_isize,
    u8 => to_u8, u16 => to_u16, u32 => to_u32, u64 => to_u64, u128 => to_u128,
    usize => to_usize,
}

impl fmt::Display for BigInt {
    /// Decimal, as Go's `String` and `MarshalText`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for BigInt {
    type Err = Error;

    /// Decimal with an optional sign, as Go's `SetString(s, 10)`. For Go's other text forms
    /// (base prefixes, `_`) see [`BigInt::from_go_text`].
    fn from_str(s: &str) -> Result<BigInt, Error> {
        go_scan::parse_int(s.as_bytes(), 10)
            .map(signed)
            .ok_or_else(|| Error::IntText(s.to_owned()))
    }
}

impl Serialize for BigInt {
    /// Human-readable formats: a number, as Go's `MarshalJSON`; beyond 64 bits through
    /// serde_json's raw-value protocol so that JSON gets every digit (other human-readable
    /// serializers then see a one-field struct). Others: the marker form, `GobEncoder` `Int`
    /// with [`gob_encode`](BigInt::gob_encode)'s bytes.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            if let Some(n) = self.0.to_i64() {
                serializer.serialize_i64(n)
            } else if let Some(n) = self.0.to_u64() {
                serializer.serialize_u64(n)
            } else {
                raw_json::serialize(serializer, &self.0.to_string())
            }
        } else {
            marshal::serialize(
                serializer,
                MarshalerKind::GobEncoder,
                GO_NAME,
                &self.gob_encode(),
            )
        }
    }
}

impl<'de> Deserialize<'de> for BigInt {
    /// Human-readable formats: a JSON number of any size, read exactly from serde_json's raw
    /// text (Go's `UnmarshalJSON`: `null` is zero, base prefixes and `_` are accepted); from
    /// other deserializers an integer, an integral float, or a string as
    /// [`from_go_text`](BigInt::from_go_text) reads it (the empty string is zero). Numbers
    /// that serde_json's `Value` holds as floats are taken when they are integral. Others: the
    /// marker form; no bytes is zero.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BigInt, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_newtype_struct(raw_json::TOKEN, NumberVisitor)
        } else {
            let parts = marshal::deserialize(deserializer)?;
            BigInt::gob_decode(&parts.data).map_err(de::Error::custom)
        }
    }
}

/// Reads the raw text of a JSON value as Go's `Int.UnmarshalJSON`, leniently.
fn from_json_text(raw: &str) -> Result<BigInt, Error> {
    let text = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    if text == "null" || text.is_empty() {
        return Ok(BigInt::default());
    }
    // A JSON string of plain digits (Go would refuse the quotes).
    let text = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => inner,
        _ => text,
    };
    from_go_text(text)
}

/// Go's integer text, or failing that an integral float (`1e3`, or how serde_json's `Value`
/// prints a number it holds as `f64`).
fn from_go_text(text: &str) -> Result<BigInt, Error> {
    from_go_bytes(text.as_bytes()).or_else(|e| {
        text.parse::<f64>()
            .ok()
            .and_then(from_integral_f64)
            .ok_or(e)
    })
}

fn from_integral_f64(v: f64) -> Option<BigInt> {
    if v.is_finite() && v.fract() == 0.0 {
        num_bigint::BigInt::from_f64(v).map(BigInt)
    } else {
        None
    }
}

/// The visitor for human-readable formats.
struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = BigInt;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<BigInt, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BigInt, A::Error> {
        // serde_json's raw value: one entry, key TOKEN, value the JSON text.
        match map.next_key::<String>()? {
            Some(key) if key == raw_json::TOKEN => {
                let raw: String = map.next_value()?;
                from_json_text(&raw).map_err(de::Error::custom)
            }
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<BigInt, E> {
        Ok(BigInt::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<BigInt, E> {
        Ok(BigInt::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<BigInt, E> {
        Ok(BigInt::from(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<BigInt, E> {
        Ok(BigInt::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<BigInt, E> {
        from_integral_f64(v)
            .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Float(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<BigInt, E> {
        if v.is_empty() {
            return Ok(BigInt::default());
        }
        BigInt::from_go_text(v).map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<BigInt, E> {
        Ok(BigInt::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<BigInt, E> {
        Ok(BigInt::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// From testdata/gen.go: Go's GobEncode (hex) and MarshalJSON of non-nil values.
    const VECTORS: &[(&str, &str)] = &[
        ("0", "02"),
        ("1", "0201"),
        ("-1", "0301"),
        ("255", "02ff"),
        ("256", "020100"),
        (
            "1267650600228229401496703205376",
            "0210000000000000000000000000",
        ),
        (
            "-123456789012345678901234567890",
            "03018ee90ff6c373e0ee4e3f0ad2",
        ),
        (
            "1606938044258990275541962092341162602522202993782792835301376",
            "020100000000000000000000000000000000000000000000000000",
        ),
    ];

    #[test]
    fn go_vectors() {
        for &(text, gob) in VECTORS {
            let n: BigInt = text.parse().unwrap();
            assert_eq!(n.to_string(), text);
            assert_eq!(n.gob_encode(), hex(gob), "{text}");
            assert_eq!(BigInt::gob_decode(&hex(gob)), Ok(n.clone()));
            // Go's MarshalJSON is the decimal text.
            let json = serde_json::to_string(&n).unwrap();
            assert_eq!(json, text);
            assert_eq!(serde_json::from_str::<BigInt>(&json).unwrap(), n);
            assert_eq!(
                serde_json::from_slice::<BigInt>(json.as_bytes()).unwrap(),
                n
            );
        }
        assert_eq!(BigInt::gob_decode(&[]), Ok(BigInt::default()));
    }

    #[test]
    fn gob_decode_errors_as_go() {
        assert_eq!(
            BigInt::gob_decode(&[4]).unwrap_err().to_string(),
            "Int.GobDecode: encoding version 2 not supported"
        );
        assert_eq!(BigInt::gob_decode(&[0xff, 1]), Err(Error::IntVersion(127)));
        // Go's negative zero reads as zero.
        assert_eq!(BigInt::gob_decode(&[3]), Ok(BigInt::default()));
        assert_eq!(BigInt::gob_decode(&[3, 0]), Ok(BigInt::default()));
        assert_eq!(BigInt::gob_decode(&[2, 0, 0, 5]), Ok(BigInt::from(5)));
    }

    #[test]
    fn json_numbers_of_any_size_are_exact() {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct Reply {
            #[serde(rename = "N")]
            n: BigInt,
            #[serde(rename = "List")]
            list: Vec<BigInt>,
        }
        let big = "-123456789012345678901234567890123456789012345678901234567890";
        let r = Reply {
            n: "1267650600228229401496703205376".parse().unwrap(),
            list: vec![
                big.parse().unwrap(),
                BigInt::from(-5),
                BigInt::from(u64::MAX),
            ],
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"N":1267650600228229401496703205376,"List":[{big},-5,18446744073709551615]}}"#
            )
        );
        assert_eq!(serde_json::from_str::<Reply>(&json).unwrap(), r);
        let pretty = serde_json::to_string_pretty(&r).unwrap();
        assert_eq!(serde_json::from_str::<Reply>(&pretty).unwrap(), r);
        // From a reader too (serde_json buffers the raw text).
        let from_reader: Reply = serde_json::from_reader(json.as_bytes()).unwrap();
        assert_eq!(from_reader, r);
    }

    #[test]
    fn json_inputs_go_accepts_and_lenient_ones() {
        let read = |s: &str| serde_json::from_str::<BigInt>(s).map_err(|e| e.to_string());
        assert_eq!(read("null"), Ok(BigInt::default()));
        assert_eq!(read(" 42 "), Ok(BigInt::from(42)));
        assert_eq!(read("-0"), Ok(BigInt::default()));
        // Lenient: quoted digits and integral floats (Go refuses both).
        assert_eq!(read("\"12\""), Ok(BigInt::from(12)));
        assert_eq!(read("\"0x10\""), Ok(BigInt::from(16)));
        assert_eq!(read("1e3"), Ok(BigInt::from(1000)));
        assert_eq!(
            read("1.5"),
            Err("math/big: cannot unmarshal \"1.5\" into a *big.Int".into())
        );
        assert!(read("[1]").is_err());
        assert!(read("{\"a\":1}").is_err());
        assert!(read("\"x\"").is_err());
        assert!(read("true").is_err());
    }

    #[test]
    fn serde_json_value_round_trip() {
        // Value holds numbers beyond 64 bits as f64 (parsed by serde_json, within an ulp).
        let n = BigInt::from(1u128 << 100);
        let v = serde_json::to_value(&n).unwrap();
        assert!(v.is_f64());
        let back = serde_json::from_value::<BigInt>(v).unwrap();
        let diff = (back.into_num() - n.into_num()).magnitude().clone();
        assert!(diff < BigUint::from(1u64 << 50));
        let n = BigInt::from(-77i64);
        let v = serde_json::to_value(&n).unwrap();
        assert_eq!(v, serde_json::json!(-77));
        assert_eq!(serde_json::from_value::<BigInt>(v).unwrap(), n);
        assert_eq!(
            serde_json::from_value::<BigInt>(serde_json::json!("123")).unwrap(),
            BigInt::from(123)
        );
    }

    #[test]
    fn postcard_uses_the_marker_form() {
        for &(text, gob) in VECTORS {
            let n: BigInt = text.parse().unwrap();
            let bytes = postcard::to_allocvec(&n).unwrap();
            let mut want = vec![0, 3];
            want.extend_from_slice(b"Int");
            want.push(hex(gob).len() as u8);
            want.extend_from_slice(&hex(gob));
            assert_eq!(bytes, want);
            assert_eq!(postcard::from_bytes::<BigInt>(&bytes).unwrap(), n);
        }
        assert_eq!(
            postcard::from_bytes::<BigInt>(&[0, 0, 0]).unwrap(),
            BigInt::default()
        );
        assert!(postcard::from_bytes::<BigInt>(&[0, 3, b'I', b'n', b't', 1, 4]).is_err());
    }

    #[test]
    fn text_forms() {
        assert_eq!(BigInt::from_go_text("0x10"), Ok(BigInt::from(16)));
        assert_eq!(BigInt::from_go_text("010"), Ok(BigInt::from(8)));
        assert_eq!("010".parse::<BigInt>(), Ok(BigInt::from(10)));
        assert_eq!("+7".parse::<BigInt>(), Ok(BigInt::from(7)));
        assert_eq!(
            "0x10".parse::<BigInt>().unwrap_err().to_string(),
            "math/big: cannot unmarshal \"0x10\" into a *big.Int"
        );
        assert!("".parse::<BigInt>().is_err());
        assert!(BigInt::from_go_text("1__0").is_err());
    }

    #[test]
    fn conversions() {
        assert_eq!(i64::try_from(BigInt::from(i64::MIN)), Ok(i64::MIN));
        assert!(i64::try_from(BigInt::from(u64::MAX)).is_err());
        assert_eq!(u128::try_from(&BigInt::from(u128::MAX)), Ok(u128::MAX));
        assert_eq!(
            u8::try_from(BigInt::from(-1)).unwrap_err().to_string(),
            "big.Int for u8 out of range"
        );
        let n = num_bigint::BigInt::from(5);
        assert_eq!(BigInt::from(n.clone()).as_num(), &n);
        assert_eq!(num_bigint::BigInt::from(BigInt::new(n.clone())), n);
        assert_eq!(BigInt::from(BigUint::from(9u8)), BigInt::from(9));
    }
}
