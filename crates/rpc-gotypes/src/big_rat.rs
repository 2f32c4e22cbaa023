//! [`BigRat`]: Go's `*big.Rat`.
//!
//! Binary codecs carry it as Go's `GobEncoder` named `Rat`: `[1<<1 | sign][numerator length:
//! u32 BE][numerator, big endian][denominator, big endian]` (no denominator bytes means 1; no
//! bytes at all is nil). JSON carries it as Go's `MarshalText` does: a string, `"a/b"`, or
//! `"a"` for an integer.

use std::fmt;
use std::str::FromStr;

use num_bigint::{BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Zero};
use serde::de::{self, Deserializer, Visitor};
use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};

use crate::go_scan::{Reader, parse_int, scan_exponent, scan_nat, scan_sign};
use crate::{Error, MarshalerKind, marshal};

/// Go's name for the type, as gob carries it.
const GO_NAME: &str = "Rat";
/// The version of Go's `Rat.GobEncode` format.
const VERSION: u8 = 1;
/// Go's `Rat.SetString` limits on exponents.
const MAX_EXP5: u64 = 1_000_000;
const MAX_EXP2: i64 = 10_000_000;

/// Go's `*big.Rat`: a fraction in lowest terms with a positive denominator.
///
/// ```
/// use rpc_gotypes::BigRat;
///
/// let r = BigRat::new(-22, 7)?;
/// assert_eq!(r.to_string(), "-22/7");
/// assert_eq!(r.gob_encode()?, [3, 0, 0, 0, 1, 22, 7]);
/// assert_eq!("1.25".parse::<BigRat>()?, BigRat::new(5, 4)?);
/// assert_eq!(BigRat::new(4, 2)?.to_string(), "2");
/// # Ok::<(), rpc_gotypes::Error>(())
/// ```
///
/// [`Default`] is 0 (a nil `*big.Rat` reads as 0 too).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BigRat {
    num: num_bigint::BigInt,
    den: BigUint,
}

impl Default for BigRat {
    fn default() -> BigRat {
        BigRat {
            num: num_bigint::BigInt::zero(),
            den: BigUint::one(),
        }
    }
}

impl BigRat {
    /// `num / den` in lowest terms; fails when `den` is 0 (Go panics).
    pub fn new(
        num: impl Into<num_bigint::BigInt>,
        den: impl Into<num_bigint::BigInt>,
    ) -> Result<BigRat, Error> {
        let (num, den) = (num.into(), den.into());
        if den.is_zero() {
            return Err(Error::DivisionByZero);
        }
        let num = if den.sign() == Sign::Minus { -num } else { num };
        Ok(BigRat::reduced(num, den.into_parts().1))
    }

    /// The integer `n` as a fraction `n/1`.
    pub fn from_integer(n: impl Into<num_bigint::BigInt>) -> BigRat {
        BigRat {
            num: n.into(),
            den: BigUint::one(),
        }
    }

    /// `num / den` with `den > 0`, reduced (Go's `norm`).
    fn reduced(num: num_bigint::BigInt, den: BigUint) -> BigRat {
        if num.is_zero() {
            return BigRat::default();
        }
        let g = num.magnitude().gcd(&den);
        if g.is_one() {
            return BigRat { num, den };
        }
        let sign = num.sign();
        let magnitude = num.into_parts().1 / &g;
        BigRat {
            num: num_bigint::BigInt::from_biguint(sign, magnitude),
            den: den / g,
        }
    }

    /// The numerator (carrying the sign).
    pub fn numer(&self) -> &num_bigint::BigInt {
        &self.num
    }

    /// The denominator, at least 1.
    pub fn denom(&self) -> &BigUint {
        &self.den
    }

    /// Numerator and denominator.
    pub fn into_parts(self) -> (num_bigint::BigInt, BigUint) {
        (self.num, self.den)
    }

    /// Whether the denominator is 1.
    pub fn is_integer(&self) -> bool {
        self.den.is_one()
    }

    /// Go's `GobEncode` of a non-nil `*big.Rat`: `[2 | sign][numerator length: u32
    /// BE][numerator][denominator]`. Fails when the numerator passes 4 GiB, as Go does.
    pub fn gob_encode(&self) -> Result<Vec<u8>, Error> {
        let num = if self.num.is_zero() {
            Vec::new()
        } else {
            self.num.magnitude().to_bytes_be()
        };
        let len = u32::try_from(num.len()).map_err(|_| Error::RatTooLarge)?;
        let den = self.den.to_bytes_be();
        let mut out = Vec::with_capacity(5 + num.len() + den.len());
        out.push(VERSION << 1 | u8::from(self.num.sign() == Sign::Minus));
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&num);
        out.extend_from_slice(&den);
        Ok(out)
    }

    /// Go's `GobDecode`, with its errors: no bytes is 0 (nil); no denominator bytes (or a
    /// zero denominator) means 1, as in Go. The fraction is reduced (Go's own encodings
    /// always are).
    pub fn gob_decode(data: &[u8]) -> Result<BigRat, Error> {
        if data.is_empty() {
            return Ok(BigRat::default());
        }
        if data.len() < 5 {
            return Err(Error::RatDecode("buffer too small"));
        }
        let head = data[0];
        if head >> 1 != VERSION {
            return Err(Error::RatVersion(head >> 1));
        }
        let len = u32::from_be_bytes([data[1], data[2], data[3], data[4]]);
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_add(5))
            .ok_or(Error::RatDecode("invalid length"))?;
        let Some(num) = data.get(5..end) else {
            return Err(Error::RatDecode("buffer too small"));
        };
        let sign = if head & 1 != 0 {
            Sign::Minus
        } else {
            Sign::Plus
        };
        let num = num_bigint::BigInt::from_biguint(sign, BigUint::from_bytes_be(num));
        let mut den = BigUint::from_bytes_be(&data[end..]);
        if den.is_zero() {
            den = BigUint::one();
        }
        Ok(BigRat::reduced(num, den))
    }
}

impl From<num_bigint::BigInt> for BigRat {
    fn from(n: num_bigint::BigInt) -> BigRat {
        BigRat::from_integer(n)
    }
}

impl From<crate::BigInt> for BigRat {
    fn from(n: crate::BigInt) -> BigRat {
        BigRat::from_integer(n.into_num())
    }
}

impl From<i64> for BigRat {
    fn from(n: i64) -> BigRat {
        BigRat::from_integer(n)
    }
}

impl fmt::Display for BigRat {
    /// Go's `MarshalText`: `a/b`, or `a` when the denominator is 1.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_integer() {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

impl FromStr for BigRat {
    type Err = Error;

    /// Go's `Rat.SetString` (and `UnmarshalText`): `a/b` with integers as Go's
    /// `Int.SetString(s, 0)` reads them (base prefixes, `_`), or a number with an optional
    /// fraction and exponent (`1.25`, `-.5`, `1e-3`, `0x1.8p1`), with Go's limits on
    /// exponents.
    fn from_str(s: &str) -> Result<BigRat, Error> {
        parse(s.as_bytes()).ok_or_else(|| Error::RatText(s.to_owned()))
    }
}

/// Go's `Rat.SetString`.
fn parse(s: &[u8]) -> Option<BigRat> {
    if s.is_empty() {
        return None;
    }
    if let Some(sep) = s.iter().position(|&c| c == b'/') {
        let (neg, a) = parse_int(&s[..sep], 0)?;
        let mut r = Reader::new(&s[sep + 1..]);
        let b = scan_nat(&mut r, 0, false).ok()?.mant;
        if !r.at_end() || b.is_zero() {
            return None;
        }
        let sign = if neg { Sign::Minus } else { Sign::Plus };
        return Some(BigRat::reduced(
            num_bigint::BigInt::from_biguint(sign, a),
            b,
        ));
    }
    let mut r = Reader::new(s);
    let neg = scan_sign(&mut r).ok()?;
    let n = scan_nat(&mut r, 0, true).ok()?;
    let (exp, ebase) = scan_exponent(&mut r, true, true).ok()?;
    if !r.at_end() {
        return None;
    }
    if n.mant.is_zero() {
        return Some(BigRat::default());
    }
    let (mut exp2, mut exp5) = (0i64, 0i64);
    if n.count < 0 {
        let d = n.count;
        match n.base {
            10 => (exp2, exp5) = (d, d),
            2 => exp2 = d,
            8 => exp2 = d.checked_mul(3)?,
            _ => exp2 = d.checked_mul(4)?,
        }
    }
    exp2 = exp2.checked_add(exp)?;
    if ebase == 10 {
        exp5 = exp5.checked_add(exp)?;
    }
    let mut a = n.mant;
    let mut b = BigUint::one();
    if exp5 != 0 {
        if exp5.unsigned_abs() > MAX_EXP5 {
            return None;
        }
        // At most 1e6: fits u32.
        let pow5 = BigUint::from(5u8).pow(exp5.unsigned_abs() as u32);
        if exp5 > 0 {
            a *= pow5;
        } else {
            b = pow5;
        }
    }
    if !(-MAX_EXP2..=MAX_EXP2).contains(&exp2) {
        return None;
    }
    if exp2 > 0 {
        a <<= exp2 as u64;
    } else if exp2 < 0 {
        b <<= exp2.unsigned_abs();
    }
    let sign = if neg { Sign::Minus } else { Sign::Plus };
    Some(BigRat::reduced(
        num_bigint::BigInt::from_biguint(sign, a),
        b,
    ))
}

impl Serialize for BigRat {
    /// Human-readable formats: Go's `MarshalText` string. Others: the marker form,
    /// `GobEncoder` `Rat` with [`gob_encode`](BigRat::gob_encode)'s bytes.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            let data = self.gob_encode().map_err(ser::Error::custom)?;
            marshal::serialize(serializer, MarshalerKind::GobEncoder, GO_NAME, &data)
        }
    }
}

impl<'de> Deserialize<'de> for BigRat {
    /// Human-readable formats: a string as [`FromStr`] reads it (the empty string is 0), or an
    /// integer. Others: the marker form; no bytes is 0.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BigRat, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(TextVisitor)
        } else {
            let parts = marshal::deserialize(deserializer)?;
            BigRat::gob_decode(&parts.data).map_err(de::Error::custom)
        }
    }
}

/// A fraction's text.
struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = BigRat;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a fraction as text")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<BigRat, E> {
        if v.is_empty() {
            return Ok(BigRat::default());
        }
        v.parse().map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<BigRat, E> {
        Ok(BigRat::from_integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<BigRat, E> {
        Ok(BigRat::from_integer(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<BigRat, E> {
        Ok(BigRat::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<BigRat, E> {
        Ok(BigRat::default())
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

    fn rat(n: i64, d: i64) -> BigRat {
        BigRat::new(n, d).unwrap()
    }

    #[test]
    fn go_vectors() {
        // From testdata/gen.go: Go's GobEncode (hex) and MarshalText.
        let two100 = num_bigint::BigInt::from(1u128 << 100);
        let cases = [
            (rat(0, 1), "020000000001", "0"),
            (rat(1, 3), "02000000010103", "1/3"),
            (rat(-22, 7), "03000000011607", "-22/7"),
            (rat(5, 1), "02000000010501", "5"),
            (
                BigRat::new(two100, 3).unwrap(),
                "020000000d1000000000000000000000000003",
                "1267650600228229401496703205376/3",
            ),
            (rat(-4, 2), "03000000010201", "-2"),
        ];
        for (r, gob, text) in cases {
            assert_eq!(r.gob_encode().unwrap(), hex(gob), "{text}");
            assert_eq!(BigRat::gob_decode(&hex(gob)), Ok(r.clone()));
            assert_eq!(r.to_string(), text);
            assert_eq!(text.parse::<BigRat>(), Ok(r.clone()));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{text}\""));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<BigRat>(&json).unwrap(), r);
            let bytes = postcard::to_allocvec(&r).unwrap();
            assert_eq!(postcard::from_bytes::<BigRat>(&bytes).unwrap(), r);
        }
        // Go's zero Rat{} has no denominator bytes.
        assert_eq!(
            BigRat::gob_decode(&hex("0200000000")),
            Ok(BigRat::default())
        );
        assert_eq!(BigRat::gob_decode(&[]), Ok(BigRat::default()));
    }

    #[test]
    fn gob_decode_errors_as_go() {
        // From testdata/gen.go.
        let cases = [
            ("02", Some("Rat.GobDecode: buffer too small")),
            (
                "0400000000",
                Some("Rat.GobDecode: encoding version 2 not supported"),
            ),
            ("02000000", Some("Rat.GobDecode: buffer too small")),
            ("02ffffffff", Some("Rat.GobDecode: buffer too small")),
            ("0200000002ab", Some("Rat.GobDecode: buffer too small")),
            ("0200000001", Some("Rat.GobDecode: buffer too small")),
            ("0300000001030a", None),
        ];
        for (h, want) in cases {
            match want {
                Some(msg) => {
                    assert_eq!(BigRat::gob_decode(&hex(h)).unwrap_err().to_string(), msg)
                }
                None => assert_eq!(BigRat::gob_decode(&hex(h)), Ok(rat(-3, 10))),
            }
        }
        // Not reduced on the wire (never from Go): reduced here. Zero denominator is 1.
        assert_eq!(BigRat::gob_decode(&hex("02000000010406")), Ok(rat(2, 3)));
        assert_eq!(
            BigRat::gob_decode(&hex("020000000107000000")),
            Ok(rat(7, 1))
        );
        assert_eq!(
            BigRat::gob_decode(&hex("0300000000")),
            Ok(BigRat::default())
        );
        for len in 0..12 {
            let _ = BigRat::gob_decode(&vec![2u8; len]);
            let _ = BigRat::gob_decode(&vec![0xffu8; len]);
        }
    }

    #[test]
    fn text_as_go() {
        // From testdata/gen.go: Rat.UnmarshalText, shown with RatString.
        let ok = [
            ("1/3", rat(1, 3)),
            ("-0x10/4", rat(-4, 1)),
            ("1.25", rat(5, 4)),
            ("1e-3", rat(1, 1000)),
            ("3", rat(3, 1)),
            ("-.5", rat(-1, 2)),
            ("0.1e1", rat(1, 1)),
            ("1_0/2", rat(5, 1)),
            ("0x1.8p1", rat(3, 1)),
            ("010/3", rat(8, 3)),
            ("1E2", rat(100, 1)),
            ("-0", rat(0, 1)),
        ];
        for (s, r) in ok {
            assert_eq!(s.parse::<BigRat>(), Ok(r), "{s}");
        }
        for s in [
            "1/0",
            "",
            "2/-3",
            "3/",
            "/3",
            "1/3/4",
            "1e1000001",
            "0x1p10000001",
            "x",
        ] {
            assert_eq!(
                s.parse::<BigRat>().unwrap_err().to_string(),
                format!("math/big: cannot unmarshal {s:?} into a *big.Rat"),
                "{s}"
            );
        }
        assert_eq!(
            serde_json::from_str::<BigRat>("\"\"").unwrap(),
            BigRat::default()
        );
        assert_eq!(serde_json::from_str::<BigRat>("7").unwrap(), rat(7, 1));
    }

    #[test]
    fn construction() {
        assert_eq!(BigRat::new(1, 0), Err(Error::DivisionByZero));
        assert_eq!(rat(2, -4), rat(-1, 2));
        assert_eq!(rat(0, -4), BigRat::default());
        let r = rat(-6, 4);
        assert_eq!(r.numer(), &num_bigint::BigInt::from(-3));
        assert_eq!(r.denom(), &BigUint::from(2u8));
        assert!(!r.is_integer());
        assert!(BigRat::from(4).is_integer());
        assert_eq!(BigRat::from(crate::BigInt::from(9)), rat(9, 1));
        assert_eq!(
            r.into_parts(),
            (num_bigint::BigInt::from(-3), BigUint::from(2u8))
        );
    }
}
