//! RFC 3339 text of a time as Go writes and reads it.
//!
//! Writing follows Go's `Time.Format(time.RFC3339Nano)` (`2006-01-02T15:04:05.999999999Z07:00`)
//! and the extra checks of `MarshalJSON`/`MarshalText`. Reading follows
//! `Time.UnmarshalJSON`/`UnmarshalText`, which accept what `time.Parse(time.RFC3339, s)`
//! accepts: besides strict RFC 3339, a one-digit hour, a comma before the fraction, any number
//! of fraction digits (those past the ninth are dropped) and zone offsets up to `±24:60`.
//! Failures carry Go's `time.ParseError` text.

use std::fmt::Write as _;

use crate::Error;
use crate::civil::{civil_from_days, days_from_civil, days_in_month};

/// Seconds from January 1 of year 1 (Go's internal epoch) to the Unix epoch.
pub(crate) const UNIX_TO_INTERNAL: i64 = 62_135_596_800;
/// Days from January 1 of year 1 to the Unix epoch.
const UNIX_TO_INTERNAL_DAYS: i128 = (UNIX_TO_INTERNAL / 86_400) as i128;

/// The layout Go names in its parse errors.
const LAYOUT: &str = "2006-01-02T15:04:05Z07:00";

/// A time's civil fields in its own zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
}

/// The civil fields of `sec` (seconds since January 1 of year 1, UTC) seen at `offset`
/// seconds east of UTC.
pub(crate) fn civil(sec: i64, offset: i32) -> Civil {
    let local = i128::from(sec) + i128::from(offset);
    let days = local.div_euclid(86_400) - UNIX_TO_INTERNAL_DAYS;
    let of_day = local.rem_euclid(86_400) as u32;
    // |days| < 2^47: i64 seconds over 86400, so the cast keeps the value.
    let (year, month, day) = civil_from_days(days as i64);
    Civil {
        year,
        month,
        day,
        hour: of_day / 3600,
        minute: of_day / 60 % 60,
        second: of_day % 60,
    }
}

/// Appends Go's `appendInt(b, x, width)`: a sign for negatives, then at least `width` digits.
fn append_int(out: &mut String, x: i64, width: usize) {
    if x < 0 {
        out.push('-');
    }
    // Infallible: writing to a String.
    let _ = write!(out, "{:0width$}", x.unsigned_abs());
}

/// Appends Go's `Format(RFC3339Nano)` of a time.
pub(crate) fn format(out: &mut String, sec: i64, nsec: u32, offset: i32) {
    let c = civil(sec, offset);
    append_int(out, c.year, 4);
    out.push('-');
    append_int(out, c.month.into(), 2);
    out.push('-');
    append_int(out, c.day.into(), 2);
    out.push('T');
    append_int(out, c.hour.into(), 2);
    out.push(':');
    append_int(out, c.minute.into(), 2);
    out.push(':');
    append_int(out, c.second.into(), 2);
    if nsec > 0 {
        let digits = format!("{nsec:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    if offset == 0 {
        out.push('Z');
        return;
    }
    let zone = offset / 60; // whole minutes, towards zero, as Go
    out.push(if zone < 0 { '-' } else { '+' });
    let zone = zone.unsigned_abs();
    append_int(out, (zone / 60).into(), 2);
    out.push(':');
    append_int(out, (zone % 60).into(), 2);
}

/// Why Go's `MarshalJSON`/`MarshalText` refuse a time, if they do.
pub(crate) fn strict_error(sec: i64, offset: i32) -> Option<&'static str> {
    let year = civil(sec, offset).year;
    if !(0..=9999).contains(&year) {
        return Some("year outside of range [0,9999]");
    }
    if offset != 0 && (offset / 60).unsigned_abs() / 60 >= 24 {
        return Some("timezone hour outside of range [0,23]");
    }
    None
}

/// Go's `time.quote`: in double quotes, `"` and `\` escaped, control and non-ASCII bytes as
/// `\xNN`.
pub(crate) fn quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7f => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// A parsed time: seconds since January 1 of year 1 (UTC), nanoseconds, and the zone (`None`
/// for `Z`).
pub(crate) type Parsed = (i64, u32, Option<i32>);

/// Reads RFC 3339 text as Go's `Time.UnmarshalText` does.
pub(crate) fn parse(text: &[u8]) -> Result<Parsed, Error> {
    Parser { text, at: 0 }.run()
}

/// Go's `time.parse` specialised to the layout `2006-01-02T15:04:05Z07:00`.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &[u8] {
        self.text.get(self.at..).unwrap_or_default()
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.rest().get(i).copied()
    }

    fn digit(&self, i: usize) -> Option<u32> {
        self.byte(i)
            .filter(u8::is_ascii_digit)
            .map(|b| u32::from(b - b'0'))
    }

    /// `cannot parse "<value from hold>" as "<element>"`.
    fn cannot(&self, hold: usize, elem: &str) -> Error {
        let value = self.text.get(hold..).unwrap_or_default();
        Error::TimeParse(format!(
            "parsing time {} as {}: cannot parse {} as {}",
            quote(self.text),
            quote(LAYOUT.as_bytes()),
            quote(value),
            quote(elem.as_bytes())
        ))
    }

    /// `parsing time "<text>"<message>`.
    fn message(&self, message: &str) -> Error {
        Error::TimeParse(format!("parsing time {}{message}", quote(self.text)))
    }

    fn out_of_range(&self, what: &str) -> Error {
        self.message(&format!(": {what} out of range"))
    }

    /// Go's `skip` of one literal byte.
    fn literal(&mut self, c: u8) -> Result<(), Error> {
        if self.byte(0) == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            let lit = [c];
            Err(self.cannot(self.at, std::str::from_utf8(&lit).unwrap_or_default()))
        }
    }

    /// Go's `getnum`: one or two digits (exactly two when `fixed`).
    fn number(&mut self, fixed: bool, elem: &str) -> Result<u32, Error> {
        let Some(first) = self.digit(0) else {
            return Err(self.cannot(self.at, elem));
        };
        match self.digit(1) {
            Some(second) => {
                self.at += 2;
                Ok(first * 10 + second)
            }
            None if fixed => Err(self.cannot(self.at, elem)),
            None => {
                self.at += 1;
                Ok(first)
            }
        }
    }

    fn run(mut self) -> Result<Parsed, Error> {
        // "2006": four bytes, all digits.
        let year = match self.rest().get(..4) {
            Some(y) if y.iter().all(u8::is_ascii_digit) => {
                y.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'))
            }
            _ => return Err(self.cannot(self.at, "2006")),
        };
        self.at += 4;
        self.literal(b'-')?;
        let month = self.number(true, "01")?;
        if !(1..=12).contains(&month) {
            return Err(self.out_of_range("month"));
        }
        self.literal(b'-')?;
        let day = self.number(true, "02")?;
        self.literal(b'T')?;
        let hour = self.number(false, "15")?;
        if hour >= 24 {
            return Err(self.out_of_range("hour"));
        }
        self.literal(b':')?;
        let minute = self.number(true, "04")?;
        if minute >= 60 {
            return Err(self.out_of_range("minute"));
        }
        self.literal(b':')?;
        let second = self.number(true, "05")?;
        if second >= 60 {
            return Err(self.out_of_range("second"));
        }
        let nsec = self.fraction();
        let offset = self.zone()?;
        if !self.rest().is_empty() {
            let extra = quote(self.rest());
            return Err(self.message(&format!(": extra text: {extra}")));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(self.out_of_range("day"));
        }
        let days = days_from_civil(year, month, day);
        let secs_of_day = i64::from(hour * 3600 + minute * 60 + second);
        // Years 0..=9999 and offsets within a day: no overflow.
        let sec = days * 86_400 + secs_of_day + UNIX_TO_INTERNAL - i64::from(offset.unwrap_or(0));
        Ok((sec, nsec, offset))
    }

    /// A fraction after the seconds (`.` or `,` and at least one digit); nanoseconds.
    fn fraction(&mut self) -> u32 {
        if !matches!(self.byte(0), Some(b'.' | b',')) || self.digit(1).is_none() {
            return 0;
        }
        let mut n = 1;
        let mut nsec = 0u32;
        while let Some(d) = self.digit(n) {
            if n <= 9 {
                nsec = nsec * 10 + d;
            }
            n += 1;
        }
        for _ in n.min(10)..10 {
            nsec *= 10;
        }
        self.at += n;
        nsec
    }

    /// "Z07:00": `Z` (UTC, `None`) or `±hh:mm`, seconds east.
    fn zone(&mut self) -> Result<Option<i32>, Error> {
        let hold = self.at;
        if self.byte(0) == Some(b'Z') {
            self.at += 1;
            return Ok(None);
        }
        let rest = self.rest();
        if rest.len() < 6 || rest[3] != b':' {
            return Err(self.cannot(hold, "Z07:00"));
        }
        let sign = rest[0];
        let two = |s: &[u8]| match s {
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                Some(i32::from(a - b'0') * 10 + i32::from(b - b'0'))
            }
            _ => None,
        };
        let hours = two(&rest[1..3]);
        let minutes = hours.and_then(|_| two(&rest[4..6]));
        self.at += 6;
        // Go checks the ranges before reporting bad digits or a bad sign.
        if hours.unwrap_or(0) > 24 {
            return Err(self.out_of_range("time zone offset hour"));
        }
        if minutes.unwrap_or(0) > 60 {
            return Err(self.out_of_range("time zone offset minute"));
        }
        let (Some(h), Some(m)) = (hours, minutes) else {
            return Err(self.cannot(hold, "Z07:00"));
        };
        let offset = (h * 60 + m) * 60;
        match sign {
            b'+' => Ok(Some(offset)),
            b'-' => Ok(Some(-offset)),
            _ => Err(self.cannot(hold, "Z07:00")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(sec: i64, nsec: u32, offset: i32) -> String {
        let mut s = String::new();
        format(&mut s, sec, nsec, offset);
        s
    }

    #[test]
    fn formats_as_go() {
        // Expected texts from testdata/gen.go (Go's Format(time.RFC3339Nano)).
        let unix = |s: i64| s + UNIX_TO_INTERNAL;
        assert_eq!(text(0, 0, 0), "0001-01-01T00:00:00Z");
        assert_eq!(
            text(unix(1_710_505_845), 123_456_789, 0),
            "2024-03-15T12:30:45.123456789Z"
        );
        assert_eq!(
            text(unix(1_710_505_845), 500_000_000, 19_800),
            "2024-03-15T18:00:45.5+05:30"
        );
        assert_eq!(
            text(unix(1_136_239_445), 0, -25_200),
            "2006-01-02T15:04:05-07:00"
        );
        assert_eq!(
            text(unix(1_590_965_993), 0, 3607),
            "2020-06-01T00:00:00+01:00"
        );
        assert_eq!(
            text(unix(1_590_973_207), 0, -3607),
            "2020-06-01T00:00:00-01:00"
        );
        assert_eq!(text(unix(253_402_300_800), 0, 0), "10000-01-01T00:00:00Z");
        assert_eq!(text(unix(-62_198_755_200), 0, 0), "-0001-01-01T00:00:00Z");
        assert_eq!(
            text(unix(1_590_879_600), 0, 90_000),
            "2020-06-01T00:00:00+25:00"
        );
        assert_eq!(
            text(unix(1_590_969_660), 0, -60),
            "2020-06-01T00:00:00-00:01"
        );
        assert_eq!(text(unix(0), 0, 7), "1970-01-01T00:00:07+00:00");
    }

    #[test]
    fn extreme_seconds_do_not_overflow() {
        for sec in [i64::MIN, i64::MAX] {
            for offset in [i32::MIN, 0, i32::MAX] {
                let s = text(sec, 999_999_999, offset);
                assert!(s.contains('T'));
                assert!(strict_error(sec, offset).is_some());
            }
        }
    }

    #[test]
    fn strict_checks() {
        let unix = |s: i64| s + UNIX_TO_INTERNAL;
        assert_eq!(strict_error(0, 0), None);
        assert_eq!(strict_error(unix(253_402_300_799), 0), None);
        assert_eq!(
            strict_error(unix(253_402_300_800), 0),
            Some("year outside of range [0,9999]")
        );
        assert_eq!(
            strict_error(unix(-62_198_755_200), 0),
            Some("year outside of range [0,9999]")
        );
        assert_eq!(
            strict_error(unix(1_590_879_600), 90_000),
            Some("timezone hour outside of range [0,23]")
        );
        assert_eq!(strict_error(unix(0), 23 * 3600 + 59 * 60), None);
        assert_eq!(strict_error(unix(0), -60), None);
    }

    fn unix_of(s: &str) -> Result<(i64, u32, Option<i32>), String> {
        parse(s.as_bytes())
            .map(|(sec, nsec, off)| (sec - UNIX_TO_INTERNAL, nsec, off))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_as_go() {
        // Results from testdata/gen.go (Go's Time.UnmarshalText).
        let ok = [
            ("2006-01-02T15:04:05Z", (1_136_214_245, 0, None)),
            (
                "2006-01-02T15:04:05.1234567891+01:00",
                (1_136_210_645, 123_456_789, Some(3600)),
            ),
            (
                "2006-01-02T15:04:05.5-00:30",
                (1_136_216_045, 500_000_000, Some(-1800)),
            ),
            ("2006-01-02T5:04:05Z", (1_136_178_245, 0, None)),
            (
                "2006-01-02T15:04:05,25Z",
                (1_136_214_245, 250_000_000, None),
            ),
            (
                "2006-01-02T15:04:05+24:00",
                (1_136_127_845, 0, Some(86_400)),
            ),
            ("2006-01-02T15:04:05+00:00", (1_136_214_245, 0, Some(0))),
            ("0000-01-01T00:00:00Z", (-62_167_219_200, 0, None)),
            ("2000-02-29T00:00:00Z", (951_782_400, 0, None)),
            (
                "9999-12-31T23:59:59.999999999Z",
                (253_402_300_799, 999_999_999, None),
            ),
        ];
        for (s, want) in ok {
            assert_eq!(unix_of(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn errors_as_go() {
        // Messages from testdata/gen.go.
        let bad = [
            (
                "-001-01-01T00:00:00Z",
                r#"parsing time "-001-01-01T00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "-001-01-01T00:00:00Z" as "2006""#,
            ),
            (
                "2006-13-01T00:00:00Z",
                r#"parsing time "2006-13-01T00:00:00Z": month out of range"#,
            ),
            (
                "2001-02-29T00:00:00Z",
                r#"parsing time "2001-02-29T00:00:00Z": day out of range"#,
            ),
            (
                "x",
                r#"parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006""#,
            ),
            (
                "",
                r#"parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006""#,
            ),
            (
                "2006-01-02T15:04:05",
                r#"parsing time "2006-01-02T15:04:05" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00""#,
            ),
            (
                "2006-01-02t15:04:05Z",
                r#"parsing time "2006-01-02t15:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse "t15:04:05Z" as "T""#,
            ),
            (
                "2006-01-02T15:04:05Zjunk",
                r#"parsing time "2006-01-02T15:04:05Zjunk": extra text: "junk""#,
            ),
            (
                "2006-01-02T24:00:00Z",
                r#"parsing time "2006-01-02T24:00:00Z": hour out of range"#,
            ),
            (
                "2006-01-02T15:04:05+25:00",
                r#"parsing time "2006-01-02T15:04:05+25:00": time zone offset hour out of range"#,
            ),
            (
                "2006-01-02T15:04:60Z",
                r#"parsing time "2006-01-02T15:04:60Z": second out of range"#,
            ),
            (
                "2006-01-02T15:04:05.Z",
                r#"parsing time "2006-01-02T15:04:05.Z" as "2006-01-02T15:04:05Z07:00": cannot parse ".Z" as "Z07:00""#,
            ),
            (
                "2006-01-02 15:04:05Z",
                r#"parsing time "2006-01-02 15:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 15:04:05Z" as "T""#,
            ),
            (
                "2006-1-02T15:04:05Z",
                r#"parsing time "2006-1-02T15:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse "1-02T15:04:05Z" as "01""#,
            ),
            (
                "2006-01-02T15:04:05+0100",
                r#"parsing time "2006-01-02T15:04:05+0100" as "2006-01-02T15:04:05Z07:00": cannot parse "+0100" as "Z07:00""#,
            ),
        ];
        for (s, want) in bad {
            assert_eq!(unix_of(s), Err(want.to_string()), "{s}");
        }
    }

    #[test]
    fn odd_bytes_never_panic() {
        let inputs: [&[u8]; 6] = [
            b"2006-01-02T15:04:05\xff",
            "2006-01-02T15:04:05é".as_bytes(),
            b"2006-01-02T15:04:05+0\xe9:00",
            b"\x00\x01",
            b"2006-01-02T15:04:05.\xff",
            b"2006-01-02T15:04:05+01:0",
        ];
        for s in inputs {
            assert!(parse(s).is_err());
        }
        assert_eq!(quote(b"a\"\\\x01\xc3\xa9"), r#""a\"\\\x01\xc3\xa9""#);
    }
}
