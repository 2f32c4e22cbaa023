//! [`Duration`]: Go's `time.Duration`, a signed count of nanoseconds.
//!
//! Go has no marshaler for it: gob sends an `int`, JSON a number. So does every netrpc codec.

use std::fmt;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;
use crate::rfc3339::quote;

/// Go's `time.Duration`: nanoseconds as `i64`, negative allowed (about ±292 years).
///
/// [`Display`](fmt::Display) is Go's `Duration.String` and [`FromStr`] is
/// `time.ParseDuration`:
///
/// ```
/// use rpc_gotypes::Duration;
///
/// let d: Duration = "1h2m3.5s".parse()?;
/// assert_eq!(d.as_nanos(), 3_723_500_000_000);
/// assert_eq!(d.to_string(), "1h2m3.5s");
/// assert_eq!(Duration::from_nanos(1500).to_string(), "1.5µs");
/// assert_eq!(std::time::Duration::try_from(d)?, std::time::Duration::from_millis(3_723_500));
/// # Ok::<(), rpc_gotypes::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Duration(i64);

impl Duration {
    /// One nanosecond.
    pub const NANOSECOND: Duration = Duration(1);
    /// One microsecond.
    pub const MICROSECOND: Duration = Duration(1_000);
    /// One millisecond.
    pub const MILLISECOND: Duration = Duration(1_000_000);
    /// One second.
    pub const SECOND: Duration = Duration(1_000_000_000);
    /// One minute.
    pub const MINUTE: Duration = Duration(60_000_000_000);
    /// One hour.
    pub const HOUR: Duration = Duration(3_600_000_000_000);

    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Duration {
        Duration(nanos)
    }

    /// The nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whether the duration is negative.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl From<i64> for Duration {
    fn from(nanos: i64) -> Duration {
        Duration(nanos)
    }
}

impl From<Duration> for i64 {
    fn from(d: Duration) -> i64 {
        d.0
    }
}

impl TryFrom<StdDuration> for Duration {
    type Error = Error;

    /// Fails beyond `i64::MAX` nanoseconds (about 292 years).
    fn try_from(d: StdDuration) -> Result<Duration, Error> {
        i64::try_from(d.as_nanos())
            .map(Duration)
            .map_err(|_| Error::OutOfRange("duration for time.Duration"))
    }
}

impl TryFrom<Duration> for StdDuration {
    type Error = Error;

    /// Fails for negative durations.
    fn try_from(d: Duration) -> Result<StdDuration, Error> {
        u64::try_from(d.0)
            .map(StdDuration::from_nanos)
            .map_err(|_| Error::OutOfRange("negative duration for std::time::Duration"))
    }
}

/// Appends the decimal digits of `v` after dropping `prec` fraction digits (without trailing
/// zeros), as Go's `fmtFrac`; returns the integer part.
fn frac(out: &mut Vec<u8>, mut v: u64, prec: u32) -> u64 {
    let mut print = false;
    for _ in 0..prec {
        let digit = (v % 10) as u8;
        print = print || digit != 0;
        if print {
            out.push(b'0' + digit);
        }
        v /= 10;
    }
    if print {
        out.push(b'.');
    }
    v
}

/// Appends the digits of `v`, reversed (as Go's `fmtInt` fills from the end).
fn int(out: &mut Vec<u8>, mut v: u64) {
    if v == 0 {
        out.push(b'0');
    }
    while v > 0 {
        out.push(b'0' + (v % 10) as u8);
        v /= 10;
    }
}

impl fmt::Display for Duration {
    /// Go's `Duration.String`: `72h3m0.5s`, `1.5ms`, `1µs`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Built backwards, as Go does, then reversed.
        let mut rev = Vec::with_capacity(32);
        let mut u = self.0.unsigned_abs();
        if u < 1_000_000_000 {
            rev.push(b's');
            let prec = match u {
                0 => {
                    rev.push(b'0');
                    0
                }
                1..=999 => {
                    rev.push(b'n');
                    0
                }
                1_000..=999_999 => {
                    // 'µ' (U+00B5) is 0xC2 0xB5, reversed.
                    rev.extend_from_slice(&[0xb5, 0xc2]);
                    3
                }
                _ => {
                    rev.push(b'm');
                    6
                }
            };
            if u != 0 {
                u = frac(&mut rev, u, prec);
                int(&mut rev, u);
            }
        } else {
            rev.push(b's');
            u = frac(&mut rev, u, 9);
            int(&mut rev, u % 60);
            u /= 60;
            if u > 0 {
                rev.push(b'm');
                int(&mut rev, u % 60);
                u /= 60;
                if u > 0 {
                    rev.push(b'h');
                    int(&mut rev, u);
                }
            }
        }
        if self.0 < 0 {
            rev.push(b'-');
        }
        rev.reverse();
        f.write_str(&String::from_utf8_lossy(&rev))
    }
}

/// Go's `leadingInt`: digits up to 2^63; `None` on overflow.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `leadingFraction`: digits as a value and a power-of-ten scale, ignoring digits past
/// overflow.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut x: u64 = 0;
    let mut scale = 1.0;
    let mut overflow = false;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        i += 1;
        if overflow {
            continue;
        }
        if x > ((1u64 << 63) - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > 1 << 63 {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[i..])
}

/// The nanoseconds of Go's duration units.
fn unit(u: &[u8]) -> Option<u64> {
    Some(match u {
        b"ns" => 1,
        // "us", then U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU with "s".
        b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
        b"ms" => 1_000_000,
        b"s" => 1_000_000_000,
        b"m" => 60_000_000_000,
        b"h" => 3_600_000_000_000,
        _ => return None,
    })
}

impl FromStr for Duration {
    type Err = Error;

    /// Go's `time.ParseDuration`: a sign, then numbers with units (`ns`, `us`/`µs`, `ms`, `s`,
    /// `m`, `h`), such as `300ms`, `-1.5h` or `2h45m`. Errors are Go's texts.
    fn from_str(text: &str) -> Result<Duration, Error> {
        let orig = text.as_bytes();
        let fail = |msg: &str| Error::DurationParse(format!("time: {msg} {}", quote(orig)));
        let invalid = || fail("invalid duration");
        let mut s = orig;
        let mut neg = false;
        if let Some((&c, rest)) = s.split_first() {
            if c == b'-' || c == b'+' {
                neg = c == b'-';
                s = rest;
            }
        }
        if s == b"0" {
            return Ok(Duration(0));
        }
        if s.is_empty() {
            return Err(invalid());
        }
        let mut d: u64 = 0;
        while let Some(&first) = s.first() {
            if !(first == b'.' || first.is_ascii_digit()) {
                return Err(invalid());
            }
            let before = s.len();
            let (mut v, rest) = leading_int(s).ok_or_else(invalid)?;
            s = rest;
            let pre = before != s.len();
            let (mut f, mut scale, mut post) = (0u64, 1.0f64, false);
            if let Some((b'.', rest)) = s.split_first() {
                let before = rest.len();
                (f, scale, s) = leading_fraction(rest);
                post = before != s.len();
            }
            if !pre && !post {
                return Err(invalid());
            }
            let i = s
                .iter()
                .position(|&c| c == b'.' || c.is_ascii_digit())
                .unwrap_or(s.len());
            if i == 0 {
                return Err(fail("missing unit in duration"));
            }
            let (u, rest) = s.split_at(i);
            s = rest;
            let Some(unit) = unit(u) else {
                return Err(fail(&format!("unknown unit {} in duration", quote(u))));
            };
            if v > (1 << 63) / unit {
                return Err(invalid());
            }
            v *= unit;
            if f > 0 {
                // As Go: float64 keeps nanosecond accuracy for fractions of an hour.
                v += (f as f64 * (unit as f64 / scale)) as u64;
                if v > 1 << 63 {
                    return Err(invalid());
                }
            }
            d += v;
            if d > 1 << 63 {
                return Err(invalid());
            }
        }
        if neg {
            // d <= 2^63: the negation fits.
            return Ok(Duration((d as i64).wrapping_neg()));
        }
        i64::try_from(d).map(Duration).map_err(|_| invalid())
    }
}

impl Serialize for Duration {
    /// An `i64` of nanoseconds in every format, as Go's gob and JSON write it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Duration {
    /// An `i64` of nanoseconds.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        i64::deserialize(deserializer).map(Duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_as_go() {
        // From testdata/gen.go (Go's Duration.String).
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (999, "999ns"),
            (1000, "1µs"),
            (1500, "1.5µs"),
            (1_000_000, "1ms"),
            (1_500_000, "1.5ms"),
            (1_000_000_000, "1s"),
            (3_723_500_000_000, "1h2m3.5s"),
            (-5_400_000_000_000, "-1h30m0s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
            (360_000_000_000_000, "100h0m0s"),
        ];
        for (n, s) in cases {
            assert_eq!(Duration(n).to_string(), s);
        }
    }

    #[test]
    fn parse_as_go() {
        // From testdata/gen.go (Go's time.ParseDuration).
        let ok = [
            ("0", 0),
            ("-0", 0),
            ("+0", 0),
            ("1h2m3.5s", 3_723_500_000_000),
            ("1.5µs", 1500),
            ("1.5μs", 1500),
            ("1.5us", 1500),
            ("300ms", 300_000_000),
            ("-1.5h", -5_400_000_000_000),
            (".5s", 500_000_000),
            ("1.s", 1_000_000_000),
            ("2h45m", 9_900_000_000_000),
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("2562047h47m16.854775807s", i64::MAX),
            ("0.0000000001s", 0),
            ("1.0000000009s", 1_000_000_000),
            ("1.00000000000000000000000001h", 3_600_000_000_000),
        ];
        for (s, n) in ok {
            assert_eq!(s.parse::<Duration>(), Ok(Duration(n)), "{s}");
        }
        let bad = [
            (
                "9223372036854775808ns",
                r#"time: invalid duration "9223372036854775808ns""#,
            ),
            (
                "2562047h47m16.854775808s",
                r#"time: invalid duration "2562047h47m16.854775808s""#,
            ),
            ("", r#"time: invalid duration """#),
            ("1", r#"time: missing unit in duration "1""#),
            ("1x", r#"time: unknown unit "x" in duration "1x""#),
            (".s", r#"time: invalid duration ".s""#),
            ("s", r#"time: invalid duration "s""#),
            ("1h-2m", r#"time: unknown unit "h-" in duration "1h-2m""#),
            ("1e3s", r#"time: unknown unit "e" in duration "1e3s""#),
            ("-", r#"time: invalid duration "-""#),
            (
                "1\u{e9}",
                r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#,
            ),
            (
                "99999999999999999999h",
                r#"time: invalid duration "99999999999999999999h""#,
            ),
        ];
        for (s, msg) in bad {
            assert_eq!(s.parse::<Duration>().unwrap_err().to_string(), msg, "{s}");
        }
    }

    #[test]
    fn string_round_trips() {
        let mut n: i64 = 1;
        for _ in 0..200 {
            for d in [Duration(n), Duration(-n)] {
                assert_eq!(d.to_string().parse::<Duration>(), Ok(d), "{d}");
            }
            n = n.wrapping_mul(3).wrapping_add(7) & i64::MAX;
        }
    }

    #[test]
    fn std_conversions() {
        let d = StdDuration::new(3, 5);
        assert_eq!(Duration::try_from(d), Ok(Duration(3_000_000_005)));
        assert_eq!(StdDuration::try_from(Duration(3_000_000_005)), Ok(d));
        assert!(StdDuration::try_from(Duration(-1)).is_err());
        assert!(Duration::try_from(StdDuration::from_secs(u64::MAX)).is_err());
        assert_eq!(
            Duration::try_from(StdDuration::from_nanos(i64::MAX as u64)),
            Ok(Duration(i64::MAX))
        );
    }

    #[test]
    fn serde_is_an_integer_everywhere() {
        let d = Duration::from_nanos(-1_500);
        assert_eq!(serde_json::to_string(&d).unwrap(), "-1500");
        assert_eq!(serde_json::from_str::<Duration>("-1500").unwrap(), d);
        assert!(serde_json::from_str::<Duration>("1.5").is_err());
        assert!(serde_json::from_str::<Duration>("9223372036854775808").is_err());
        let bytes = postcard::to_allocvec(&d).unwrap();
        assert_eq!(postcard::from_bytes::<Duration>(&bytes).unwrap(), d);
    }
}
