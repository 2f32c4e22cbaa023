//! [`BigFloat`]: Go's `*big.Float`, readable and passed through unchanged.
//!
//! Binary codecs carry it as Go's `GobEncoder` named `Float`:
//! `[version 1][mode<<5 | (accuracy+1)<<3 | form<<1 | sign][precision: u32 BE]` and, for a
//! finite non-zero value, `[exponent: i32 BE][mantissa words, big endian]`; no bytes for nil.
//! The bytes a value was decoded from are kept and sent back as they came. JSON carries it as
//! Go's `MarshalText` does: a string, `x.Text('g', -1)`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use num_bigint::BigUint;
use num_traits::{ToPrimitive, Zero};
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::{Error, MarshalerKind, float_text, marshal};

/// Go's name for the type, as gob carries it.
const GO_NAME: &str = "Float";
/// The version of Go's `Float.GobEncode` format.
const VERSION: u8 = 1;
/// Bits in a Go word (64-bit Go, which is what the mantissa check assumes, as Go's does).
const WORD: u64 = 64;

/// Go's `big.RoundingMode`: how a result is rounded to the precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum RoundingMode {
    /// Round to nearest, ties to even (IEEE 754; Go's default).
    #[default]
    ToNearestEven = 0,
    /// Round to nearest, ties away from zero.
    ToNearestAway = 1,
    /// Towards zero.
    ToZero = 2,
    /// Away from zero.
    AwayFromZero = 3,
    /// Towards negative infinity.
    ToNegativeInf = 4,
    /// Towards positive infinity.
    ToPositiveInf = 5,
}

/// Go's `big.Accuracy`: how the value compares with the exact result it was rounded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(i8)]
pub enum Accuracy {
    /// Below the exact result.
    Below = -1,
    /// The exact result.
    #[default]
    Exact = 0,
    /// Above the exact result.
    Above = 1,
}

/// What kind of number a [`BigFloat`] is (Go's internal `form`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum FloatForm {
    /// ±0.
    #[default]
    Zero = 0,
    /// A finite non-zero number.
    Finite = 1,
    /// ±Inf.
    Inf = 2,
}

/// Go's `*big.Float`: a binary floating-point number of any precision.
///
/// It is read and passed through rather than computed with: a value decoded from Go's bytes
/// keeps them, and is sent back exactly as it came. Its parts (precision, rounding mode,
/// accuracy, sign, form, exponent, mantissa) are readable, it converts to `f64` (correctly
/// rounded, as Go's `Float64`), prints as Go's `Text('g', -1)` and parses as Go's
/// `UnmarshalText`.
///
/// ```
/// use rpc_gotypes::BigFloat;
///
/// let x = BigFloat::from_f64(1.5)?; // as Go's big.NewFloat(1.5)
/// assert_eq!(x.precision(), 53);
/// assert_eq!(x.gob_encode(), [1, 0x0a, 0, 0, 0, 53, 0, 0, 0, 1, 0xc0, 0, 0, 0, 0, 0, 0, 0]);
/// assert_eq!(x.to_string(), "1.5");
/// let y: BigFloat = "1e6".parse()?;
/// assert_eq!((y.precision(), y.to_f64(), y.to_string()), (64, 1e6, "1e+06".to_string()));
/// # Ok::<(), rpc_gotypes::Error>(())
/// ```
///
/// `==` compares the parts and the bytes: values read from different bytes differ even when
/// they are the same number. [`Default`] is Go's zero `big.Float{}` (precision 0, +0) as a nil
/// pointer arrives: no bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BigFloat {
    pub(crate) prec: u32,
    pub(crate) mode: RoundingMode,
    pub(crate) acc: Accuracy,
    pub(crate) neg: bool,
    pub(crate) form: FloatForm,
    /// Go's exponent: the value is `0.mant × 2^exp` with `0.5 <= 0.mant < 1`.
    pub(crate) exp: i32,
    /// Go's mantissa words as one integer: a multiple of 64 bits with the top bit set
    /// (finite values only; zero otherwise).
    pub(crate) mant: BigUint,
    /// The GobEncode bytes.
    pub(crate) gob: Vec<u8>,
}

impl BigFloat {
    /// Go's `big.NewFloat(x)`: precision 53, exact. Fails for NaN, as Go panics.
    pub fn from_f64(x: f64) -> Result<BigFloat, Error> {
        if x.is_nan() {
            return Err(Error::FloatNaN);
        }
        let neg = x.is_sign_negative();
        let (form, exp, mant) = if x == 0.0 {
            (FloatForm::Zero, 0, BigUint::zero())
        } else if x.is_infinite() {
            (FloatForm::Inf, 0, BigUint::zero())
        } else {
            let bits = x.to_bits();
            let frac = bits & ((1 << 52) - 1);
            let biased = ((bits >> 52) & 0x7ff) as i32;
            let (m, exp2) = if biased == 0 {
                (frac, -1074)
            } else {
                (frac | 1 << 52, biased - 1075)
            };
            let shift = m.leading_zeros();
            (
                FloatForm::Finite,
                exp2 + 64 - shift as i32,
                BigUint::from(m << shift),
            )
        };
        Ok(BigFloat::from_parts(
            53,
            RoundingMode::ToNearestEven,
            Accuracy::Exact,
            neg,
            form,
            exp,
            mant,
        ))
    }

    /// A value from its parts, with Go's `GobEncode` bytes. `mant` is in Go's form (see the
    /// field).
    pub(crate) fn from_parts(
        prec: u32,
        mode: RoundingMode,
        acc: Accuracy,
        neg: bool,
        form: FloatForm,
        exp: i32,
        mant: BigUint,
    ) -> BigFloat {
        let mut x = BigFloat {
            prec,
            mode,
            acc,
            neg,
            form,
            exp,
            mant,
            gob: Vec::new(),
        };
        x.gob = x.encode();
        x
    }

    /// Go's `GobEncode` of these parts.
    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(18);
        b.push(VERSION);
        b.push(
            (self.mode as u8 & 7) << 5
                | ((self.acc as i8 + 1) as u8 & 3) << 3
                | (self.form as u8 & 3) << 1
                | u8::from(self.neg),
        );
        b.extend_from_slice(&self.prec.to_be_bytes());
        if self.form == FloatForm::Finite {
            b.extend_from_slice(&self.exp.to_be_bytes());
            let words = self.mant.to_bytes_be();
            // The words the precision needs, cutting off unused trailing ones, as Go.
            let n = (u64::from(self.prec).div_ceil(WORD) * 8).min(words.len() as u64) as usize;
            b.extend_from_slice(&words[..n]);
        }
        b
    }

    /// The `GobEncode` bytes: those it was decoded from, or Go's encoding of a value made
    /// here. No bytes for [`Default`] (nil).
    pub fn gob_encode(&self) -> &[u8] {
        &self.gob
    }

    /// Go's `GobDecode`, with its checks and error texts; no bytes is Go's zero `big.Float{}`.
    ///
    /// Go does not check the rounding mode, accuracy and form fields; values Go never writes
    /// (modes 6 and 7, accuracy 2, form 3) are refused here. The mantissa is checked as 64-bit
    /// Go does.
    pub fn gob_decode(data: &[u8]) -> Result<BigFloat, Error> {
        if data.is_empty() {
            return Ok(BigFloat::default());
        }
        let decode = |msg: &str| Error::FloatDecode(msg.to_owned());
        if data.len() < 6 {
            return Err(decode("buffer too small"));
        }
        if data[0] != VERSION {
            return Err(Error::FloatVersion(data[0]));
        }
        let b = data[1];
        let mode = match (b >> 5) & 7 {
            0 => RoundingMode::ToNearestEven,
            1 => RoundingMode::ToNearestAway,
            2 => RoundingMode::ToZero,
            3 => RoundingMode::AwayFromZero,
            4 => RoundingMode::ToNegativeInf,
            5 => RoundingMode::ToPositiveInf,
            m => return Err(Error::FloatDecode(format!("invalid rounding mode {m}"))),
        };
        let acc = match (b >> 3) & 3 {
            0 => Accuracy::Below,
            1 => Accuracy::Exact,
            2 => Accuracy::Above,
            _ => return Err(decode("invalid accuracy")),
        };
        let form = match (b >> 1) & 3 {
            0 => FloatForm::Zero,
            1 => FloatForm::Finite,
            2 => FloatForm::Inf,
            _ => return Err(decode("invalid form")),
        };
        let neg = b & 1 != 0;
        let prec = u32::from_be_bytes([data[2], data[3], data[4], data[5]]);
        let mut x = BigFloat {
            prec,
            mode,
            acc,
            neg,
            form,
            exp: 0,
            mant: BigUint::zero(),
            gob: data.to_vec(),
        };
        if form == FloatForm::Finite {
            if data.len() < 10 {
                return Err(decode("buffer too small for finite form float"));
            }
            x.exp = i32::from_be_bytes([data[6], data[7], data[8], data[9]]);
            x.mant = BigUint::from_bytes_be(&data[10..]);
            // Go's validate0.
            if x.mant.is_zero() {
                return Err(decode("nonzero finite number with empty mantissa"));
            }
            let bits = x.mant.bits();
            if bits % WORD != 0 {
                let top = (&x.mant >> (bits / WORD * WORD))
                    .to_u64()
                    .unwrap_or_default();
                return Err(Error::FloatDecode(format!(
                    "msb not set in last word {top:#x} of {}",
                    float_text::format_p(&x)
                )));
            }
            if prec == 0 {
                return Err(decode("zero precision finite number"));
            }
        }
        Ok(x)
    }

    /// The precision in bits (0 for Go's zero value).
    pub fn precision(&self) -> u32 {
        self.prec
    }

    /// The rounding mode.
    pub fn mode(&self) -> RoundingMode {
        self.mode
    }

    /// The accuracy of the last operation that produced the value.
    pub fn accuracy(&self) -> Accuracy {
        self.acc
    }

    /// Zero, finite or infinite.
    pub fn form(&self) -> FloatForm {
        self.form
    }

    /// Whether the sign bit is set (also for -0 and -Inf).
    pub fn is_sign_negative(&self) -> bool {
        self.neg
    }

    /// Whether the value is ±0.
    pub fn is_zero(&self) -> bool {
        self.form == FloatForm::Zero
    }

    /// Whether the value is ±Inf.
    pub fn is_inf(&self) -> bool {
        self.form == FloatForm::Inf
    }

    /// Go's `MantExp` for a finite value: `(mantissa, exp)` with `|x| = mantissa × 2^(exp −
    /// mantissa.bits())`, the mantissa's top bit set. `None` for ±0 and ±Inf.
    pub fn mant_exp(&self) -> Option<(&BigUint, i32)> {
        (self.form == FloatForm::Finite).then_some((&self.mant, self.exp))
    }

    /// The nearest `f64` (ties to even), ±Inf beyond its range, as Go's `Float64`.
    pub fn to_f64(&self) -> f64 {
        let sign = if self.neg { -1.0 } else { 1.0 };
        match self.form {
            FloatForm::Zero => return sign * 0.0,
            FloatForm::Inf => return sign * f64::INFINITY,
            FloatForm::Finite => {}
        }
        // The exponent of the leading bit, for a mantissa in [1, 2).
        let e = i64::from(self.exp) - 1;
        let mut p: i64 = 53;
        if e < -1022 {
            p = e + 1075;
            let half = self.mant.bits() - 1 == self.mant.trailing_zeros().unwrap_or(0);
            if p < 0 || (p == 0 && half) {
                return sign * 0.0;
            }
            if p == 0 {
                return sign * f64::from_bits(1);
            }
        }
        // 1 <= p <= 53.
        let bits = self.mant.bits() as i64;
        let (q, e2, _) =
            round_nearest_even(&self.mant, i64::from(self.exp) - bits, false, p as u64);
        let top = e2 + q.bits() as i64 - 1;
        if top > 1023 {
            return sign * f64::INFINITY;
        }
        // q < 2^54 is exact in f64, and q × 2^e2 is representable: the product is exact.
        let q = q.to_u64().unwrap_or_default() as f64;
        sign * q * pow2(e2)
    }
}

/// 2^k for k in [-1074, 1023].
fn pow2(k: i64) -> f64 {
    if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074).clamp(0, 51))
    }
}

/// Rounds `m × 2^e` (`m > 0`) to `prec` bits, ties to even. `sticky` means the exact value is
/// a little above `m × 2^e` (in which case `m` must have more than `prec + 1` bits). Returns
/// `(q, e2, order)`: the rounded value is `q × 2^e2` with `q` of at most `prec` bits, and
/// `order` compares it with the exact magnitude.
pub(crate) fn round_nearest_even(
    m: &BigUint,
    e: i64,
    sticky: bool,
    prec: u64,
) -> (BigUint, i64, Ordering) {
    let n = m.bits();
    if n <= prec {
        let order = if sticky {
            Ordering::Less
        } else {
            Ordering::Equal
        };
        return (m.clone(), e, order);
    }
    let s = n - prec;
    let q = m >> s;
    let rem = m - (&q << s);
    let half = BigUint::from(1u8) << (s - 1);
    let up = match rem.cmp(&half) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => sticky || q.bit(0),
    };
    let inexact = sticky || !rem.is_zero();
    let e2 = e + s as i64;
    if up {
        let q = q + 1u8;
        if q.bits() > prec {
            (q >> 1u8, e2 + 1, Ordering::Greater)
        } else {
            (q, e2, Ordering::Greater)
        }
    } else if inexact {
        (q, e2, Ordering::Less)
    } else {
        (q, e2, Ordering::Equal)
    }
}

/// `q × 2^e2` as Go's mantissa words and exponent: the mantissa shifted to a multiple of 64
/// bits, and the exponent of `0.mant`.
pub(crate) fn to_go_mantissa(q: BigUint, e2: i64) -> (BigUint, i64) {
    let bits = q.bits();
    let exp = e2 + bits as i64;
    let pad = bits.div_ceil(WORD) * WORD - bits;
    (q << pad, exp)
}

impl TryFrom<f64> for BigFloat {
    type Error = Error;

    /// [`BigFloat::from_f64`].
    fn try_from(x: f64) -> Result<BigFloat, Error> {
        BigFloat::from_f64(x)
    }
}

impl fmt::Display for BigFloat {
    /// Go's `Text('g', -1)`: the shortest decimal that reads back to the same value at its
    /// precision, `%e` form for exponents below -4 or from 6 up (`1e+06`, `0.0001`, `1.5`),
    /// `+Inf`, `-Inf`, `-0`. Values whose exact decimal expansion would pass about 40,000
    /// digits print in Go's `'p'` form (`0x.8p+1000001`), which Go reads back too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&float_text::format_g(self))
    }
}

impl FromStr for BigFloat {
    type Err = Error;

    /// Go's `UnmarshalText` into a zero `big.Float`: precision 64, nearest even. Accepts
    /// Go's `Parse(s, 0)` forms: decimal with `e` exponent, `0x`/`0b`/`0o` mantissas with `p`
    /// exponent, `_` between digits, `Inf`/`inf` with a sign. Decimal exponents are limited
    /// to ±1,000,000 (Go has no such limit).
    fn from_str(s: &str) -> Result<BigFloat, Error> {
        float_text::parse(s)
    }
}

impl Serialize for BigFloat {
    /// Human-readable formats: Go's `MarshalText` string (the [`Display`](fmt::Display)
    /// text). Others: the marker form, `GobEncoder` `Float` with
    /// [`gob_encode`](BigFloat::gob_encode)'s bytes.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&float_text::format_g(self))
        } else {
            marshal::serialize(serializer, MarshalerKind::GobEncoder, GO_NAME, &self.gob)
        }
    }
}

impl<'de> Deserialize<'de> for BigFloat {
    /// Human-readable formats: a string as [`FromStr`] reads it (the empty string is the
    /// zero value); a number is taken as its `f64` at precision 53. Others: the marker form;
    /// no bytes is the zero value.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BigFloat, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(TextVisitor)
        } else {
            let parts = marshal::deserialize(deserializer)?;
            BigFloat::gob_decode(&parts.data).map_err(de::Error::custom)
        }
    }
}

/// A float's text.
struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = BigFloat;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number as text")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<BigFloat, E> {
        if v.is_empty() {
            return Ok(BigFloat::default());
        }
        v.parse().map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<BigFloat, E> {
        BigFloat::from_f64(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<BigFloat, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<BigFloat, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<BigFloat, E> {
        Ok(BigFloat::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<BigFloat, E> {
        Ok(BigFloat::default())
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

    /// From testdata/gen.go: Go's GobEncode (hex), MarshalText and Float64 of non-nil values.
    const VECTORS: &[(&str, &str, f64)] = &[
        ("010800000000", "0", 0.0),
        ("010a0000003500000001c000000000000000", "1.5", 1.5),
        ("010b00000035fffffffdccccccccccccd000", "-0.1", -0.1),
        ("010800000035", "0", 0.0),
        ("010900000035", "-0", -0.0),
        ("010c00000035", "+Inf", f64::INFINITY),
        ("010d00000035", "-Inf", f64::NEG_INFINITY),
        (
            "0112000000c8ffffffffaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab00000000000000",
            "0.3333333333333333333333333333333333333333333333333333333333334",
            0.333_333_333_333_333_3,
        ),
        (
            "011200000018fffffffdcccccd0000000000",
            "0.1",
            0.100_000_001_490_116_12,
        ),
        ("010a0000003500000014f424000000000000", "1e+06", 1e6),
        ("010a0000003500000011f120000000000000", "123456", 123_456.0),
        ("010a0000003500000007f6e978d4fdf3b800", "123.456", 123.456),
        ("010a00000035ffffffe9d6bf94d5e57a4000", "1e-07", 1e-7),
        ("010a00000035fffffff3d1b71758e2196800", "0.0001", 1e-4),
        (
            "010a000000650000006580000000000000000000000000000000",
            "1.267650600228229401496703205376e+30",
            1.267_650_600_228_229_4e30,
        ),
        (
            "010a00000035fffffbcf8000000000000000",
            "4.940656458412465e-324",
            5e-324,
        ),
        (
            "010a0000003500000400fffffffffffff800",
            "1.7976931348623157e+308",
            f64::MAX,
        ),
        ("010a0000003500000046d8d726b7177a8000", "1e+21", 1e21),
        ("010a0000003500000007c800000000000000", "100", 100.0),
    ];

    #[test]
    fn go_vectors() {
        for &(gob, text, f) in VECTORS {
            let x = BigFloat::gob_decode(&hex(gob)).unwrap();
            assert_eq!(x.gob_encode(), hex(gob), "{text}");
            assert_eq!(x.to_string(), text);
            assert_eq!(x.to_f64().to_bits(), f.to_bits(), "{text}");
            assert_eq!(
                serde_json::to_string(&x).unwrap(),
                format!("\"{text}\""),
                "{text}"
            );
            // Re-encoding from the parts gives Go's bytes too.
            let again =
                BigFloat::from_parts(x.prec, x.mode, x.acc, x.neg, x.form, x.exp, x.mant.clone());
            assert_eq!(again.gob, hex(gob), "{text}");
        }
        // The precision-200 third (1/3 by Go's Quo) was rounded up.
        let third = BigFloat::gob_decode(&hex(VECTORS[7].0)).unwrap();
        assert_eq!(
            (third.precision(), third.accuracy(), third.mode()),
            (200, Accuracy::Above, RoundingMode::ToNearestEven)
        );
    }

    #[test]
    fn from_f64_is_big_new_float() {
        // big.NewFloat bytes for the f64 vectors (all prec 53).
        for &(gob, _, f) in VECTORS.iter().filter(|v| v.0[4..12] == *"00000035") {
            let x = BigFloat::from_f64(f).unwrap();
            assert_eq!(x.gob_encode(), hex(gob), "{f}");
            assert_eq!(x.to_f64().to_bits(), f.to_bits());
        }
        assert_eq!(BigFloat::from_f64(f64::NAN), Err(Error::FloatNaN));
        // Every f64 class round-trips through the parts.
        let mut bits: u64 = 1;
        for _ in 0..2000 {
            let f = f64::from_bits(bits);
            if !f.is_nan() {
                let x = BigFloat::try_from(f).unwrap();
                assert_eq!(x.to_f64().to_bits(), f.to_bits(), "{f:e}");
                let back = BigFloat::gob_decode(x.gob_encode()).unwrap();
                assert_eq!(back, x);
                assert_eq!(x.to_string().parse::<f64>().unwrap().to_bits(), f.to_bits());
            }
            bits = bits
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
        }
    }

    #[test]
    fn gob_decode_errors_as_go() {
        // From testdata/gen.go.
        let cases = [
            ("01", "Float.GobDecode: buffer too small"),
            ("0100000000", "Float.GobDecode: buffer too small"),
            (
                "020a00000035",
                "Float.GobDecode: encoding version 2 not supported",
            ),
            (
                "010a00000035",
                "Float.GobDecode: buffer too small for finite form float",
            ),
            (
                "010a0000003500000001",
                "Float.GobDecode: nonzero finite number with empty mantissa",
            ),
            (
                "010a000000350000000140",
                "Float.GobDecode: msb not set in last word 0x40 of 0x.4p+1",
            ),
            (
                "010a00000000000000018000000000000000",
                "Float.GobDecode: zero precision finite number",
            ),
            (
                "01020000003500000001",
                "Float.GobDecode: nonzero finite number with empty mantissa",
            ),
        ];
        for (h, msg) in cases {
            assert_eq!(
                BigFloat::gob_decode(&hex(h)).unwrap_err().to_string(),
                msg,
                "{h}"
            );
        }
        assert!(BigFloat::gob_decode(&hex("01ea00000035")).is_err()); // mode 7
        assert!(BigFloat::gob_decode(&hex("011a00000035")).is_err()); // accuracy 2
        assert!(BigFloat::gob_decode(&hex("010e00000035")).is_err()); // form 3
        assert_eq!(BigFloat::gob_decode(&[]), Ok(BigFloat::default()));
        // Nine mantissa bytes leave the top word without its msb.
        assert!(BigFloat::gob_decode(&hex("010a000000350000000180000000000000000000")).is_err());
        // A leading zero word is dropped, as Go's setBytes does.
        let x = BigFloat::gob_decode(&hex("010a00000035000000010000000000000000c000000000000000"))
            .unwrap();
        assert_eq!(x.to_f64(), 1.5);
        for len in 0..24 {
            let _ = BigFloat::gob_decode(&vec![1u8; len]);
            let _ = BigFloat::gob_decode(&vec![0xffu8; len]);
        }
    }

    #[test]
    fn to_f64_rounds_as_go() {
        let make = |neg: bool, exp: i32, mant: BigUint| {
            BigFloat::from_parts(
                200,
                RoundingMode::ToNearestEven,
                Accuracy::Exact,
                neg,
                FloatForm::Finite,
                exp,
                mant,
            )
        };
        let top = BigUint::from(1u8) << 191u8;
        // 0.5 × 2^1025 = 2^1024: overflow.
        assert_eq!(make(false, 1025, top.clone()).to_f64(), f64::INFINITY);
        assert_eq!(make(true, 1025, top.clone()).to_f64(), f64::NEG_INFINITY);
        // 2^-1075 is half the smallest subnormal: ties to even, 0.
        assert_eq!(make(false, -1074, top.clone()).to_f64(), 0.0);
        // A little more rounds up to the smallest subnormal.
        assert_eq!(make(false, -1074, &top + 1u8).to_f64(), 5e-324);
        assert_eq!(make(true, -1074, &top + 1u8).to_f64(), -5e-324);
        assert_eq!(make(false, -1075, (&top << 1u8) - 1u8).to_f64(), 0.0);
        // 1 + 2^-53 (a tie) rounds to 1; a hair more rounds up.
        let one_and_half_ulp = (&top) + (&top >> 53u8);
        assert_eq!(make(false, 1, one_and_half_ulp.clone()).to_f64(), 1.0);
        assert_eq!(
            make(false, 1, one_and_half_ulp + 1u8).to_f64(),
            1.0 + f64::EPSILON
        );
        // Just below f64::MAX's rounding edge stays finite.
        let max = BigUint::from(f64::MAX.to_bits() & ((1 << 52) - 1) | 1 << 52) << 139u8;
        assert_eq!(make(false, 1024, max).to_f64(), f64::MAX);
        assert_eq!(make(false, i32::MIN, top.clone()).to_f64(), 0.0);
        assert_eq!(make(false, i32::MAX, top).to_f64(), f64::INFINITY);
    }

    #[test]
    fn serde_round_trips() {
        for &(gob, text, _) in VECTORS {
            let x = BigFloat::gob_decode(&hex(gob)).unwrap();
            let bytes = postcard::to_allocvec(&x).unwrap();
            assert_eq!(postcard::from_bytes::<BigFloat>(&bytes).unwrap(), x);
            // JSON reads Go's text back at precision 64, as Go's UnmarshalText.
            let json = serde_json::to_string(&x).unwrap();
            let back: BigFloat = serde_json::from_str(&json).unwrap();
            if x.precision() <= 64 {
                assert_eq!(back.to_string(), text);
            }
            if x.precision() >= 53 {
                assert_eq!(back.to_f64().to_bits(), x.to_f64().to_bits());
            }
        }
        assert_eq!(
            serde_json::from_str::<BigFloat>("\"\"").unwrap(),
            BigFloat::default()
        );
        assert_eq!(
            serde_json::from_str::<BigFloat>("2.5").unwrap().to_f64(),
            2.5
        );
        assert!(serde_json::from_str::<BigFloat>("\"x\"").is_err());
        assert_eq!(
            postcard::from_bytes::<BigFloat>(&[0, 0, 0]).unwrap(),
            BigFloat::default()
        );
    }
}
