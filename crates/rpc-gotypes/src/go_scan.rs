//! Go's `math/big` number scanning (`scanSign`, `nat.scan`, `scanExponent`), so that
//! [`BigInt`](crate::BigInt), [`BigRat`](crate::BigRat) and [`BigFloat`](crate::BigFloat)
//! read text exactly as Go's `SetString`, `UnmarshalText` and `Parse` do: base prefixes
//! (`0b`, `0o`, `0x`, and `0` for octal integers), `_` between digits when the base comes from
//! the text, fractions and `e`/`p` exponents.

use num_bigint::BigUint;
use num_traits::Zero;

/// Why scanning stopped, in Go's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// The text ended where a sign or digit was needed (Go's `io.EOF`).
    Eof,
    /// No digits (Go's `errNoDigits`).
    NoDigits,
    /// A misplaced `_` (Go's `errInvalSep`).
    InvalidSeparator,
    /// An exponent beyond `i64` (Go's `strconv.ParseInt` range error).
    ExponentRange,
}

impl ScanError {
    /// Go's error text.
    pub(crate) fn message(self) -> &'static str {
        match self {
            ScanError::Eof => "EOF",
            ScanError::NoDigits => "number has no digits",
            ScanError::InvalidSeparator => "'_' must separate successive digits",
            ScanError::ExponentRange => "exponent out of range",
        }
    }
}

/// A cursor over text, as Go's `strings.Reader` used as an `io.ByteScanner`.
pub(crate) struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        Reader { text, at: 0 }
    }

    /// The next byte, if any.
    pub(crate) fn read(&mut self) -> Option<u8> {
        let b = self.text.get(self.at).copied();
        if b.is_some() {
            self.at += 1;
        }
        b
    }

    /// Steps back over the byte just read.
    fn unread(&mut self) {
        self.at = self.at.saturating_sub(1);
    }

    /// Whether all the text has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.at >= self.text.len()
    }
}

/// Go's `scanSign`: an optional `+` or `-`; `true` for `-`.
pub(crate) fn scan_sign(r: &mut Reader<'_>) -> Result<bool, ScanError> {
    match r.read() {
        None => Err(ScanError::Eof),
        Some(b'-') => Ok(true),
        Some(b'+') => Ok(false),
        Some(_) => {
            r.unread();
            Ok(false)
        }
    }
}

/// A scanned unsigned number.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// All its digits as one integer (the fraction's too).
    pub(crate) mant: BigUint,
    /// The base of the digits: 2, 8, 10 or 16 (or the base asked for).
    pub(crate) base: u32,
    /// The number of digits, or minus the number of fraction digits when there was a point.
    pub(crate) count: i64,
}

/// Go's `nat.scan`: digits in `base` (0: from the prefix, with `_` separators), and a `.`
/// fraction when `frac_ok`.
pub(crate) fn scan_nat(r: &mut Reader<'_>, base: u32, frac_ok: bool) -> Result<Scanned, ScanError> {
    let mut frac_ok = frac_ok;
    // The previous character: '_', '0' (a digit) or '.' (anything else).
    let mut prev = b'.';
    let mut invalid_sep = false;
    let mut ch = r.read();
    let (mut b, mut prefix) = (base, 0u8);
    let mut count: i64 = 0;
    if base == 0 {
        b = 10;
        if ch == Some(b'0') {
            prev = b'0';
            count = 1;
            ch = r.read();
            if let Some(c) = ch {
                match c {
                    b'b' | b'B' => (b, prefix) = (2, b'b'),
                    b'o' | b'O' => (b, prefix) = (8, b'o'),
                    b'x' | b'X' => (b, prefix) = (16, b'x'),
                    _ if !frac_ok => (b, prefix) = (8, b'0'),
                    _ => {}
                }
                if prefix != 0 {
                    count = 0;
                    if prefix != b'0' {
                        ch = r.read();
                    }
                }
            }
        }
    }
    let mut digits = Vec::new();
    let mut dp: i64 = -1;
    while let Some(c) = ch {
        if c == b'.' && frac_ok {
            frac_ok = false;
            if prev == b'_' {
                invalid_sep = true;
            }
            prev = b'.';
            dp = count;
        } else if c == b'_' && base == 0 {
            if prev != b'0' {
                invalid_sep = true;
            }
            prev = b'_';
        } else {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'z' => c - b'a' + 10,
                b'A'..=b'Z' => c - b'A' + 10,
                _ => u8::MAX,
            };
            if u32::from(d) >= b {
                r.unread();
                break;
            }
            prev = b'0';
            count += 1;
            digits.push(d);
        }
        ch = r.read();
    }
    let mut err = (invalid_sep || prev == b'_').then_some(ScanError::InvalidSeparator);
    if count == 0 {
        if prefix == b'0' {
            // Only the octal prefix "0": decimal zero.
            return match err {
                Some(e) => Err(e),
                None => Ok(Scanned {
                    mant: BigUint::zero(),
                    base: 10,
                    count: 1,
                }),
            };
        }
        err = Some(ScanError::NoDigits);
    }
    if let Some(e) = err {
        return Err(e);
    }
    // Every digit is below b, and b is 2..=36.
    let mant = BigUint::from_radix_be(&digits, b).ok_or(ScanError::NoDigits)?;
    if dp >= 0 {
        count = dp - count;
    }
    Ok(Scanned {
        mant,
        base: b,
        count,
    })
}

/// Go's `scanExponent`: an optional `e`/`E` (base 10) or, when `base2_ok`, `p`/`P` (base 2)
/// exponent, with `_` separators when `sep_ok`. Returns the exponent and its base (10 when
/// there is none).
pub(crate) fn scan_exponent(
    r: &mut Reader<'_>,
    base2_ok: bool,
    sep_ok: bool,
) -> Result<(i64, u32), ScanError> {
    let base = match r.read() {
        None => return Ok((0, 10)),
        Some(b'e' | b'E') => 10,
        Some(b'p' | b'P') if base2_ok => 2,
        Some(_) => {
            r.unread();
            return Ok((0, 10));
        }
    };
    let mut digits = String::new();
    let mut ch = r.read();
    if let Some(c @ (b'+' | b'-')) = ch {
        if c == b'-' {
            digits.push('-');
        }
        ch = r.read();
    }
    let mut prev = b'.';
    let mut invalid_sep = false;
    let mut has_digits = false;
    while let Some(c) = ch {
        if c.is_ascii_digit() {
            digits.push(char::from(c));
            prev = b'0';
            has_digits = true;
        } else if c == b'_' && sep_ok {
            if prev != b'0' {
                invalid_sep = true;
            }
            prev = b'_';
        } else {
            r.unread();
            break;
        }
        ch = r.read();
    }
    if !has_digits {
        return Err(ScanError::NoDigits);
    }
    let exp = digits
        .parse::<i64>()
        .map_err(|_| ScanError::ExponentRange)?;
    if invalid_sep || prev == b'_' {
        return Err(ScanError::InvalidSeparator);
    }
    Ok((exp, base))
}

/// Go's `Int.SetString(s, base)` with `base` 0 (as `UnmarshalText`) or 10: sign and magnitude.
pub(crate) fn parse_int(text: &[u8], base: u32) -> Option<(bool, BigUint)> {
    let mut r = Reader::new(text);
    let neg = scan_sign(&mut r).ok()?;
    let n = scan_nat(&mut r, base, false).ok()?;
    if !r.at_end() {
        return None;
    }
    Some((neg, n.mant))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(s: &str, base: u32) -> Option<String> {
        parse_int(s.as_bytes(), base).map(|(neg, m)| {
            let sign = if neg && !m.is_zero() { "-" } else { "" };
            format!("{sign}{m}")
        })
    }

    #[test]
    fn integers_as_go() {
        // From testdata/gen.go: Int.UnmarshalText (base 0) and SetString(s, 10).
        let cases: &[(&str, Option<&str>, bool)] = &[
            ("0x10", Some("16"), false),
            ("1_000", Some("1000"), false),
            ("010", Some("8"), true),
            ("-0b101", Some("-5"), false),
            ("0o17", Some("15"), false),
            ("+7", Some("7"), true),
            ("1e3", None, false),
            ("\"12\"", None, false),
            ("", None, false),
            ("-", None, false),
            ("0x", None, false),
            ("1__0", None, false),
            ("_1", None, false),
            ("1_", None, false),
            ("0_7", Some("7"), false),
            ("08", None, true),
            ("0X_f", Some("15"), false),
        ];
        for &(s, base0, base10_ok) in cases {
            assert_eq!(int(s, 0).as_deref(), base0, "{s}");
            assert_eq!(int(s, 10).is_some(), base10_ok, "{s}");
        }
        assert_eq!(int("010", 10).as_deref(), Some("10"));
        assert_eq!(int("0", 0).as_deref(), Some("0"));
        assert_eq!(int("-0", 0).as_deref(), Some("0"));
        assert_eq!(
            int("-123456789012345678901234567890", 10).as_deref(),
            Some("-123456789012345678901234567890")
        );
    }

    #[test]
    fn fractions_and_exponents() {
        let mut r = Reader::new(b"12.50e-3x");
        let n = scan_nat(&mut r, 0, true).unwrap();
        assert_eq!((n.mant, n.base, n.count), (BigUint::from(1250u32), 10, -2));
        assert_eq!(scan_exponent(&mut r, true, true), Ok((-3, 10)));
        assert_eq!(r.read(), Some(b'x'));

        let mut r = Reader::new(b"0x1.8p1");
        let n = scan_nat(&mut r, 0, true).unwrap();
        assert_eq!((n.mant, n.base, n.count), (BigUint::from(0x18u32), 16, -1));
        assert_eq!(scan_exponent(&mut r, true, true), Ok((1, 2)));
        assert!(r.at_end());

        for bad in ["e", "e+", "e1_", "e_1", "p1"] {
            let mut r = Reader::new(bad.as_bytes());
            let got = scan_exponent(&mut r, bad != "p1", true);
            if bad == "p1" {
                assert_eq!(got, Ok((0, 10)));
            } else {
                assert!(got.is_err(), "{bad}");
            }
        }
        let mut r = Reader::new(b"e99999999999999999999");
        assert_eq!(
            scan_exponent(&mut r, true, true),
            Err(ScanError::ExponentRange)
        );
        let mut r = Reader::new(b".");
        assert_eq!(scan_nat(&mut r, 0, true).unwrap_err(), ScanError::NoDigits);
        let mut r = Reader::new(b"");
        assert_eq!(scan_sign(&mut r), Err(ScanError::Eof));
    }
}
