//! The text of a [`BigFloat`] as Go writes and reads it: `Text('g', -1)` (the shortest
//! decimal that reads back to the same value at the float's precision, Go's `decimal` and
//! `roundShortest`), `Text('p', 0)`, and `Parse(s, 0)` into a zero `big.Float`.

use num_bigint::BigUint;
use num_traits::Zero;

use crate::Error;
use crate::big_float::{
    Accuracy, BigFloat, FloatForm, RoundingMode, round_nearest_even, to_go_mantissa,
};
use crate::go_scan::{Reader, scan_exponent, scan_nat, scan_sign};

/// The largest number of bits an exact decimal expansion may need before `format_g` falls
/// back to the `'p'` form (about 40,000 decimal digits).
const DECIMAL_BUDGET_BITS: u64 = 1 << 17;
/// The largest decimal exponent `parse` takes (Go's `Rat.SetString` uses the same bound).
const MAX_DECIMAL_EXPONENT: u64 = 1_000_000;
/// The precision of a parsed value, as Go gives a zero `big.Float`.
const PARSE_PREC: u32 = 64;

/// A decimal `0.mant × 10^exp`, `mant` ASCII digits without trailing zeros (Go's `decimal`).
#[derive(Debug, Default, PartialEq)]
struct Decimal {
    mant: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// The exact decimal of `m × 2^shift`.
    fn new(m: &BigUint, shift: i64) -> Decimal {
        if m.is_zero() {
            return Decimal::default();
        }
        let (n, k) = if shift >= 0 {
            (m << shift as u64, 0)
        } else {
            // m × 2^-k = m × 5^k / 10^k, after dropping trailing zero bits.
            let tz = m.trailing_zeros().unwrap_or(0).min(shift.unsigned_abs());
            let m = m >> tz;
            let k = shift.unsigned_abs() - tz;
            (m * BigUint::from(5u8).pow(k as u32), k as i64)
        };
        let mut mant = n.to_str_radix(10).into_bytes();
        let exp = mant.len() as i64 - k;
        while mant.last() == Some(&b'0') {
            mant.pop();
        }
        Decimal { mant, exp }
    }

    fn at(&self, i: usize) -> u8 {
        self.mant.get(i).copied().unwrap_or(b'0')
    }

    fn should_round_up(&self, n: usize) -> bool {
        if self.mant[n] == b'5' && n + 1 == self.mant.len() {
            // Exactly halfway: to even.
            return n > 0 && (self.mant[n - 1] - b'0') & 1 != 0;
        }
        self.mant[n] >= b'5'
    }

    fn round(&mut self, n: usize) {
        if n >= self.mant.len() {
            return;
        }
        if self.should_round_up(n) {
            self.round_up(n);
        } else {
            self.round_down(n);
        }
    }

    fn round_up(&mut self, mut n: usize) {
        if n >= self.mant.len() {
            return;
        }
        while n > 0 && self.mant[n - 1] >= b'9' {
            n -= 1;
        }
        if n == 0 {
            // All nines: 1 and one more digit of exponent.
            self.mant.truncate(1);
            self.mant[0] = b'1';
            self.exp += 1;
            return;
        }
        self.mant[n - 1] += 1;
        self.mant.truncate(n);
    }

    fn round_down(&mut self, n: usize) {
        if n >= self.mant.len() {
            return;
        }
        self.mant.truncate(n);
        while self.mant.last() == Some(&b'0') {
            self.mant.pop();
        }
    }
}

/// Bits that the exact decimal of `m × 2^shift` takes, roughly.
fn decimal_cost(m_bits: u64, shift: i64) -> u64 {
    let s = shift.unsigned_abs();
    let scale = if shift >= 0 {
        s
    } else {
        s.saturating_mul(7) / 3
    };
    m_bits.saturating_add(scale)
}

/// Go's `roundShortest`: the fewest digits that still read back as `x` at its precision.
fn round_shortest(d: &mut Decimal, x: &BigFloat) {
    if d.mant.is_empty() {
        return;
    }
    // The mantissa with prec + 1 bits, so that its lsb is half an ulp.
    let bits = x.mant.bits() as i64;
    let mut exp = i64::from(x.exp) - bits;
    let s = bits - (i64::from(x.prec) + 1);
    let mant = if s < 0 {
        &x.mant << s.unsigned_abs()
    } else {
        &x.mant >> s as u64
    };
    exp += s;
    let lower = Decimal::new(&(&mant - 1u8), exp);
    let upper = Decimal::new(&(&mant + 1u8), exp);
    // The bounds round to x only when its mantissa is even.
    let inclusive = !mant.bit(1);
    for i in 0..d.mant.len() {
        let m = d.mant[i];
        let l = lower.at(i);
        let u = upper.at(i);
        let ok_down = l != m || inclusive && i + 1 == lower.mant.len();
        let ok_up = m != u && (inclusive || m + 1 < u || i + 1 < upper.mant.len());
        match (ok_down, ok_up) {
            (true, true) => return d.round(i + 1),
            (true, false) => return d.round_down(i + 1),
            (false, true) => return d.round_up(i + 1),
            (false, false) => {}
        }
    }
}

/// Go's `fmtE` with `prec` digits after the point.
fn fmt_e(out: &mut String, prec: usize, d: &Decimal) {
    out.push(char::from(d.mant.first().copied().unwrap_or(b'0')));
    if prec > 0 {
        out.push('.');
        let end = d.mant.len().min(prec + 1);
        let mut i = 1;
        if i < end {
            out.extend(d.mant[i..end].iter().map(|&c| char::from(c)));
            i = end;
        }
        while i <= prec {
            out.push('0');
            i += 1;
        }
    }
    out.push('e');
    let exp = if d.mant.is_empty() { 0 } else { d.exp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

/// Go's `fmtF` with `prec` digits after the point.
fn fmt_f(out: &mut String, prec: i64, d: &Decimal) {
    if d.exp > 0 {
        let m = d.mant.len().min(d.exp as usize);
        out.extend(d.mant[..m].iter().map(|&c| char::from(c)));
        for _ in m as i64..d.exp {
            out.push('0');
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            let at = d.exp + i;
            out.push(char::from(if at < 0 { b'0' } else { d.at(at as usize) }));
        }
    }
}

/// Go's `x.Text('g', -1)`, or its `'p'` form when the decimal would be too long to compute.
pub(crate) fn format_g(x: &BigFloat) -> String {
    let mut out = String::new();
    if x.neg {
        out.push('-');
    }
    let d = match x.form {
        FloatForm::Inf => {
            if !x.neg {
                out.push('+');
            }
            out.push_str("Inf");
            return out;
        }
        FloatForm::Zero => Decimal::default(),
        FloatForm::Finite => {
            let bits = x.mant.bits();
            let shift = i64::from(x.exp) - bits as i64;
            // The value itself, and the bounds of round_shortest (prec + 2 bits).
            let bound_shift = i64::from(x.exp) - i64::from(x.prec) - 1;
            if decimal_cost(bits, shift) > DECIMAL_BUDGET_BITS
                || decimal_cost(u64::from(x.prec) + 2, bound_shift) > DECIMAL_BUDGET_BITS
            {
                out.push_str(&format_p_magnitude(x));
                return out;
            }
            let mut d = Decimal::new(&x.mant, shift);
            round_shortest(&mut d, x);
            d
        }
    };
    // %g with the shortest precision: %e when the exponent is below -4 or from 6 up.
    let prec = d.mant.len();
    let exp = d.exp - 1;
    if (-4..6).contains(&exp) {
        fmt_f(&mut out, (prec as i64 - d.exp).max(0), &d);
    } else {
        fmt_e(&mut out, prec.saturating_sub(1), &d);
    }
    out
}

/// Go's `x.Text('p', 0)`: `0x.<mantissa hex>p<exponent>`, `0` for zero.
pub(crate) fn format_p(x: &BigFloat) -> String {
    let mut out = String::new();
    if x.neg {
        out.push('-');
    }
    match x.form {
        FloatForm::Inf => {
            if !x.neg {
                out.push('+');
            }
            out.push_str("Inf");
        }
        FloatForm::Zero => out.push('0'),
        FloatForm::Finite => out.push_str(&format_p_magnitude(x)),
    }
    out
}

fn format_p_magnitude(x: &BigFloat) -> String {
    let hex = x.mant.to_str_radix(16);
    let sign = if x.exp >= 0 { "+" } else { "" };
    format!("0x.{}p{sign}{}", hex.trim_end_matches('0'), x.exp)
}

/// Go's `%q` of one byte, for parse errors.
fn quote_byte(b: u8) -> String {
    match b {
        b'\'' => "'\\''".to_owned(),
        b'\\' => "'\\\\'".to_owned(),
        0x20..=0x7e => format!("'{}'", char::from(b)),
        _ => format!("'\\x{b:02x}'"),
    }
}

/// Go's `UnmarshalText` into a zero `big.Float`: `Parse(s, 0)` at precision 64, nearest even.
pub(crate) fn parse(text: &str) -> Result<BigFloat, Error> {
    let fail = |reason: &str| Error::FloatText {
        text: text.to_owned(),
        reason: reason.to_owned(),
    };
    let make = |neg, form, acc, exp, mant| {
        BigFloat::from_parts(
            PARSE_PREC,
            RoundingMode::ToNearestEven,
            acc,
            neg,
            form,
            exp,
            mant,
        )
    };
    match text {
        "Inf" | "inf" | "+Inf" | "+inf" | "-Inf" | "-inf" => {
            // Go's SetInf leaves a zero value's precision at 0.
            return Ok(BigFloat::from_parts(
                0,
                RoundingMode::ToNearestEven,
                Accuracy::Exact,
                text.starts_with('-'),
                FloatForm::Inf,
                0,
                BigUint::zero(),
            ));
        }
        _ => {}
    }
    let mut r = Reader::new(text.as_bytes());
    let neg = scan_sign(&mut r).map_err(|e| fail(e.message()))?;
    let n = scan_nat(&mut r, 0, true).map_err(|e| fail(e.message()))?;
    let (exp, ebase) = scan_exponent(&mut r, true, true).map_err(|e| fail(e.message()))?;

    // value = mant × 2^e2 × 5^e5
    let (mut e2, mut e5) = (0i64, 0i64);
    if n.count < 0 {
        let d = n.count;
        match n.base {
            10 => (e2, e5) = (d, d),
            2 => e2 = d,
            8 => e2 = d * 3,
            _ => e2 = d * 4,
        }
    }
    let overflow = || fail("exponent overflow");
    e2 = e2.checked_add(exp).ok_or_else(overflow)?;
    if ebase == 10 {
        e5 = e5.checked_add(exp).ok_or_else(overflow)?;
    }
    if !n.mant.is_zero() {
        // Go's range check on the binary exponent before the decimal scaling.
        let go_exp = (n.mant.bits() as i64)
            .checked_add(e2)
            .ok_or_else(overflow)?;
        if i32::try_from(go_exp).is_err() {
            return Err(overflow());
        }
    }
    if let Some(b) = r.read() {
        return Err(fail(&format!(
            "expected end of string, found {}",
            quote_byte(b)
        )));
    }
    if n.mant.is_zero() {
        return Ok(make(
            neg,
            FloatForm::Zero,
            Accuracy::Exact,
            0,
            BigUint::zero(),
        ));
    }
    if e5.unsigned_abs() > MAX_DECIMAL_EXPONENT {
        return Err(fail("decimal exponent too large"));
    }
    let prec = u64::from(PARSE_PREC);
    let (q, e2, order) = if e5 >= 0 {
        let m = n.mant * BigUint::from(5u8).pow(e5 as u32);
        round_nearest_even(&m, e2, false, prec)
    } else {
        let pow5 = BigUint::from(5u8).pow(e5.unsigned_abs() as u32);
        // Enough quotient bits for rounding, plus a sticky remainder.
        let shift = (prec + 3 + pow5.bits()).saturating_sub(n.mant.bits());
        let num = n.mant << shift;
        let q = &num / &pow5;
        let sticky = !(&num - &q * &pow5).is_zero();
        round_nearest_even(&q, e2 - shift as i64, sticky, prec)
    };
    let (mant, go_exp) = to_go_mantissa(q, e2);
    let exp = i32::try_from(go_exp).map_err(|_| overflow())?;
    let acc = match (order, neg) {
        (std::cmp::Ordering::Equal, _) => Accuracy::Exact,
        (std::cmp::Ordering::Greater, false) | (std::cmp::Ordering::Less, true) => Accuracy::Above,
        _ => Accuracy::Below,
    };
    Ok(make(neg, FloatForm::Finite, acc, exp, mant))
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

    #[test]
    fn parses_as_go() {
        // From testdata/gen.go: UnmarshalText, then Text('g', -1), GobEncode and Acc.
        let cases = [
            ("1.5", "1.5", "010a0000004000000001c000000000000000"),
            ("0x.8p+1", "1", "010a00000040000000018000000000000000"),
            ("1e10", "1e+10", "010a00000040000000229502f90000000000"),
            ("-Inf", "-Inf", "010d00000000"),
            ("+Inf", "+Inf", "010c00000000"),
            ("inf", "+Inf", "010c00000000"),
            ("0.1", "0.1", "011200000040fffffffdcccccccccccccccd"),
            ("-0", "-0", "010900000040"),
            ("1e-400", "1e-400", "010200000040fffffad095fe7e07c91efafa"),
            (
                "123456789012345678901234567890",
                "1.234567890123456789e+29",
                "01020000004000000061c77487fb61b9f077",
            ),
            ("0x1p-3", "0.125", "010a00000040fffffffe8000000000000000"),
            ("1_000.5", "1000.5", "010a000000400000000afa20000000000000"),
            ("0b1.1", "1.5", "010a0000004000000001c000000000000000"),
        ];
        for (s, text, gob) in cases {
            let x = parse(s).unwrap();
            assert_eq!(x.gob_encode(), hex(gob), "{s}");
            assert_eq!(format_g(&x), text, "{s}");
        }
    }

    #[test]
    fn parse_errors_as_go() {
        assert_eq!(
            parse("1/3").unwrap_err().to_string(),
            r#"math/big: cannot unmarshal "1/3" into a *big.Float (expected end of string, found '/')"#
        );
        assert_eq!(
            parse("abc").unwrap_err().to_string(),
            r#"math/big: cannot unmarshal "abc" into a *big.Float (number has no digits)"#
        );
        assert_eq!(
            parse("").unwrap_err().to_string(),
            r#"math/big: cannot unmarshal "" into a *big.Float (EOF)"#
        );
        assert_eq!(
            parse("1e99999999999").unwrap_err().to_string(),
            r#"math/big: cannot unmarshal "1e99999999999" into a *big.Float (exponent overflow)"#
        );
        assert_eq!(
            parse("0x1p9999999999").unwrap_err().to_string(),
            r#"math/big: cannot unmarshal "0x1p9999999999" into a *big.Float (exponent overflow)"#
        );
        // Go takes this one; beyond the decimal exponent limit here.
        assert!(parse("1e-1000001").is_err());
        assert!(parse("1__0").is_err());
        assert!(parse("1e").is_err());
        assert!(parse("NaN").is_err());
        assert!(parse("1.5\u{e9}").is_err());
    }

    #[test]
    fn parse_rounds_to_nearest_even() {
        // From testdata/gen.go: Go's text, bytes and accuracy.
        let cases = [
            // 2^64 + 1: a tie between 2^64 and 2^64 + 2, to even.
            (
                "18446744073709551617",
                "1.8446744073709551616e+19",
                "010200000040000000418000000000000000",
                Accuracy::Below,
            ),
            (
                "18446744073709551618",
                "1.8446744073709551618e+19",
                "010a00000040000000418000000000000001",
                Accuracy::Exact,
            ),
            // 2^64 + 3 rounds (away from zero) to 2^64 + 4: below, being negative.
            (
                "-18446744073709551619",
                "-1.844674407370955162e+19",
                "010300000040000000418000000000000002",
                Accuracy::Below,
            ),
            (
                "2.2250738585072014e-308",
                "2.2250738585072014e-308",
                "010200000040fffffc038000000000000046",
                Accuracy::Below,
            ),
        ];
        for (s, text, gob, acc) in cases {
            let x = parse(s).unwrap();
            assert_eq!(x.gob_encode(), hex(gob), "{s}");
            assert_eq!(format_g(&x), text, "{s}");
            assert_eq!(x.accuracy(), acc, "{s}");
        }
        assert_eq!(parse("1e-7").unwrap().to_f64(), 1e-7);
        assert_eq!(
            parse("2.2250738585072014e-308").unwrap().to_f64(),
            f64::MIN_POSITIVE
        );
    }

    #[test]
    fn shortest_text_round_trips_at_precision_64() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..500 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let exp = (seed >> 40) as i64 % 700 - 350;
            let text = format!("{}e{exp}", seed >> 1);
            let x = parse(&text).unwrap();
            let shown = format_g(&x);
            let back = parse(&shown).unwrap();
            assert_eq!(back.mant_exp(), x.mant_exp(), "{text} -> {shown}");
        }
    }

    #[test]
    fn huge_exponents_use_the_p_form() {
        // Go prints these in decimal (9.900656229295898251e+301029); same value and bytes.
        let x = parse("0x1p+1000000").unwrap();
        assert_eq!(x.gob_encode(), hex("010a00000040000f42418000000000000000"));
        assert_eq!(format_g(&x), "0x.8p+1000001");
        let back = parse(&format_g(&x)).unwrap();
        assert_eq!(back.mant_exp(), x.mant_exp());
        let x = parse("-0x1p-1000000").unwrap();
        assert_eq!(format_g(&x), "-0x.8p-999999");
        assert_eq!(format_p(&x), "-0x.8p-999999");
        assert_eq!(format_p(&parse("0").unwrap()), "0");
        assert_eq!(format_p(&parse("-inf").unwrap()), "-Inf");
        // A huge precision with a short mantissa (hand-made bytes) would need huge bounds.
        let wide = BigFloat::gob_decode(&hex("010affffffff00000001c000000000000000")).unwrap();
        assert_eq!(format_g(&wide), "0x.cp+1");
        // A large precision alone stays decimal.
        let third = BigFloat::gob_decode(&hex(
            "0112000000c8ffffffffaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab00000000000000",
        ))
        .unwrap();
        assert_eq!(
            format_p(&third),
            "0x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabp-1"
        );
    }

    #[test]
    fn decimal_rounding() {
        let mut d = Decimal {
            mant: b"1995".to_vec(),
            exp: 1,
        };
        d.round(3);
        assert_eq!(
            d,
            Decimal {
                mant: b"2".to_vec(),
                exp: 1
            }
        );
        let mut d = Decimal {
            mant: b"999".to_vec(),
            exp: 0,
        };
        d.round_up(2);
        assert_eq!(
            d,
            Decimal {
                mant: b"1".to_vec(),
                exp: 1
            }
        );
        let mut d = Decimal {
            mant: b"125".to_vec(),
            exp: 0,
        };
        d.round(2);
        assert_eq!(
            d,
            Decimal {
                mant: b"12".to_vec(),
                exp: 0
            }
        );
        assert_eq!(
            Decimal::new(&BigUint::from(3u8), -2),
            Decimal {
                mant: b"75".to_vec(),
                exp: 0
            }
        );
        assert_eq!(
            Decimal::new(&BigUint::from(5u8), 3),
            Decimal {
                mant: b"4".to_vec(),
                exp: 2
            }
        );
    }
}
