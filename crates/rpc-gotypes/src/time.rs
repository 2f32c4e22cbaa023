//! [`Time`]: Go's `time.Time`.
//!
//! Binary codecs carry it as Go's `GobEncoder` named `Time` whose bytes are
//! `Time.MarshalBinary`'s: version 1 is `[1][seconds since year 1: i64 BE][nanoseconds: u32
//! BE][zone offset in minutes: i16 BE, -1 for UTC]`, and version 2 (used when the offset has
//! seconds) appends the offset's seconds as one byte. JSON carries it as Go's `MarshalJSON`
//! does: an RFC 3339 string with nanoseconds.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};

use crate::rfc3339::{self, UNIX_TO_INTERNAL};
use crate::{Error, MarshalerKind, marshal};

/// Go's `time.Time`: an instant with nanosecond precision and a zone, UTC or a fixed offset.
///
/// The instant is kept as Go keeps it, in seconds since January 1 of year 1 (UTC), so every
/// time a Go program can send round-trips exactly. The zone is UTC or a fixed offset in
/// seconds east of UTC; Go would attach a named location (such as `Local`) where the offset
/// matches one, which only changes how Go prints the zone's name.
///
/// `==` compares the zone too, as Go's `==` does; [`same_instant`](Self::same_instant) is
/// Go's `Equal`. [`Default`] is Go's zero time, January 1, year 1, 00:00:00 UTC.
///
/// ```
/// use rpc_gotypes::Time;
///
/// let t: Time = "2024-03-15T18:00:45.5+05:30".parse()?;
/// assert_eq!(t.unix_seconds(), 1_710_505_845);
/// assert_eq!(t.nanos(), 500_000_000);
/// assert_eq!(t.offset_seconds(), Some(19_800));
/// assert_eq!(t.to_string(), "2024-03-15T18:00:45.5+05:30");
/// assert_eq!(t.with_offset(None).to_string(), "2024-03-15T12:30:45.5Z");
/// assert!(Time::default().is_zero());
/// # Ok::<(), rpc_gotypes::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Time {
    /// Seconds since January 1 of year 1, 00:00:00 UTC.
    sec: i64,
    /// Nanoseconds within the second, below 1e9.
    nsec: u32,
    /// Seconds east of UTC; `None` is UTC.
    offset: Option<i32>,
}

/// Go's name for the type, as gob carries it.
const GO_NAME: &str = "Time";
const NANOS_PER_SEC: i64 = 1_000_000_000;

impl Time {
    /// January 1, 1970, 00:00:00 UTC.
    pub const UNIX_EPOCH: Time = Time {
        sec: UNIX_TO_INTERNAL,
        nsec: 0,
        offset: None,
    };

    /// The UTC time `secs` seconds and `nanos` nanoseconds after the Unix epoch, as Go's
    /// `time.Unix(secs, nanos).UTC()`: `nanos` may be outside `[0, 1e9)` and carries into the
    /// seconds.
    ///
    /// Fails only for times more than 292 billion years after year 1, which Go cannot hold.
    pub fn from_unix(secs: i64, nanos: i64) -> Result<Time, Error> {
        let secs = secs
            .checked_add(nanos.div_euclid(NANOS_PER_SEC))
            .and_then(|s| s.checked_add(UNIX_TO_INTERNAL))
            .ok_or(Error::OutOfRange("time"))?;
        Ok(Time {
            sec: secs,
            nsec: nanos.rem_euclid(NANOS_PER_SEC) as u32,
            offset: None,
        })
    }

    /// Seconds since the Unix epoch (negative before 1970), as Go's `Time.Unix`.
    ///
    /// Times more than 292 billion years before year 1 exist only as hand-made bytes; for
    /// them this saturates at `i64::MIN` (Go's `Unix` wraps).
    pub fn unix_seconds(&self) -> i64 {
        self.sec.saturating_sub(UNIX_TO_INTERNAL)
    }

    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub fn nanos(&self) -> u32 {
        self.nsec
    }

    /// Seconds since January 1 of year 1, 00:00:00 UTC: how Go stores the instant.
    pub fn go_seconds(&self) -> i64 {
        self.sec
    }

    /// The zone as seconds east of UTC, or `None` for UTC.
    pub fn offset_seconds(&self) -> Option<i32> {
        self.offset
    }

    /// The same instant in another zone: `None` for UTC or seconds east of UTC (Go's
    /// `t.UTC()` and `t.In(time.FixedZone("", offset))`).
    #[must_use]
    pub fn with_offset(self, offset_seconds: Option<i32>) -> Time {
        Time {
            offset: offset_seconds,
            ..self
        }
    }

    /// Whether this is Go's zero time, January 1, year 1, 00:00:00 UTC (in any zone), as Go's
    /// `IsZero`.
    pub fn is_zero(&self) -> bool {
        self.sec == 0 && self.nsec == 0
    }

    /// Whether both are the same instant, whatever their zones (Go's `Equal`).
    pub fn same_instant(&self, other: &Time) -> bool {
        self.sec == other.sec && self.nsec == other.nsec
    }

    /// The date in the time's zone: year (astronomical: 0 is 1 BC), month 1 to 12, day 1 to 31.
    pub fn date(&self) -> (i64, u8, u8) {
        let c = rfc3339::civil(self.sec, self.offset.unwrap_or(0));
        (c.year, c.month as u8, c.day as u8)
    }

    /// The clock in the time's zone: hour, minute, second.
    pub fn clock(&self) -> (u8, u8, u8) {
        let c = rfc3339::civil(self.sec, self.offset.unwrap_or(0));
        (c.hour as u8, c.minute as u8, c.second as u8)
    }

    /// Go's `GobEncode` (the same bytes as `MarshalBinary`).
    ///
    /// Version 1, or version 2 when the offset has seconds. Fails as Go does when the offset's
    /// whole minutes are -1 (between -119 and -60 seconds) or do not fit 16 bits. As in Go,
    /// the seconds byte of version 2 is the offset's seconds as a signed byte, which Go's
    /// decoder reads back unsigned: a negative offset with seconds does not round-trip, in
    /// Go or here.
    pub fn gob_encode(&self) -> Result<Vec<u8>, Error> {
        let (version, minutes, seconds) = match self.offset {
            None => (1u8, -1i16, 0i8),
            Some(offset) => {
                let minutes = offset / 60;
                if minutes == -1 {
                    return Err(Error::TimeZoneOffset);
                }
                let minutes = i16::try_from(minutes).map_err(|_| Error::TimeZoneOffset)?;
                // |offset % 60| < 60: fits i8.
                let seconds = (offset % 60) as i8;
                (if seconds == 0 { 1 } else { 2 }, minutes, seconds)
            }
        };
        let mut b = Vec::with_capacity(16);
        b.push(version);
        b.extend_from_slice(&self.sec.to_be_bytes());
        b.extend_from_slice(&self.nsec.to_be_bytes());
        b.extend_from_slice(&minutes.to_be_bytes());
        if version == 2 {
            b.push(seconds as u8);
        }
        Ok(b)
    }

    /// Go's `GobDecode` (`UnmarshalBinary`): versions 1 and 2, with Go's errors.
    ///
    /// Offset -1 minute is UTC; any other offset becomes a fixed zone (Go would use `Local`
    /// when the offset matches it).
    pub fn gob_decode(data: &[u8]) -> Result<Time, Error> {
        let (&version, rest) = data.split_first().ok_or(Error::TimeNoData)?;
        if version != 1 && version != 2 {
            return Err(Error::TimeVersion);
        }
        let want = if version == 2 { 15 } else { 14 };
        if rest.len() != want {
            return Err(Error::TimeLength);
        }
        let (sec, rest) = rest.split_at(8);
        let (nsec, rest) = rest.split_at(4);
        let (minutes, rest) = rest.split_at(2);
        let sec = i64::from_be_bytes(sec.try_into().map_err(|_| Error::TimeLength)?);
        // Go keeps the nanoseconds as they come; anything from Go is below 1e9. Larger values
        // carry into the seconds so that the invariant holds.
        let nsec = u32::from_be_bytes(nsec.try_into().map_err(|_| Error::TimeLength)?);
        let minutes = i16::from_be_bytes(minutes.try_into().map_err(|_| Error::TimeLength)?);
        let mut offset = i32::from(minutes) * 60;
        if let Some(&s) = rest.first() {
            offset += i32::from(s);
        }
        let carry = i64::from(nsec / 1_000_000_000);
        Ok(Time {
            sec: sec.checked_add(carry).ok_or(Error::OutOfRange("time"))?,
            nsec: nsec % 1_000_000_000,
            offset: if offset == -60 { None } else { Some(offset) },
        })
    }

    /// Go's `MarshalText`: RFC 3339 with nanoseconds, failing for years outside `[0, 9999]`
    /// and zone offsets of 24 hours or more.
    pub fn marshal_text(&self) -> Result<String, Error> {
        self.strict_text("Time.MarshalText")
    }

    fn strict_text(&self, method: &'static str) -> Result<String, Error> {
        let offset = self.offset.unwrap_or(0);
        if let Some(reason) = rfc3339::strict_error(self.sec, offset) {
            return Err(Error::TimeText { method, reason });
        }
        let mut s = String::with_capacity(35);
        rfc3339::format(&mut s, self.sec, self.nsec, offset);
        Ok(s)
    }
}

impl fmt::Display for Time {
    /// Go's `Format(time.RFC3339Nano)`: `2006-01-02T15:04:05.999999999Z07:00`, the fraction
    /// without trailing zeros, `Z` for offset 0. Any year is printed (unlike
    /// [`marshal_text`](Time::marshal_text)).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(35);
        rfc3339::format(&mut s, self.sec, self.nsec, self.offset.unwrap_or(0));
        f.write_str(&s)
    }
}

impl FromStr for Time {
    type Err = Error;

    /// RFC 3339, as Go's `Time.UnmarshalText` and `UnmarshalJSON` (without the quotes) read
    /// it; `Z` is UTC, any other offset a fixed zone. Errors are Go's `time.ParseError` texts.
    fn from_str(s: &str) -> Result<Time, Error> {
        let (sec, nsec, offset) = rfc3339::parse(s.as_bytes())?;
        Ok(Time { sec, nsec, offset })
    }
}

impl From<SystemTime> for Time {
    /// The same instant, in UTC. Saturates beyond the year 292,277,026,596, which no
    /// `SystemTime` reaches.
    fn from(t: SystemTime) -> Time {
        let (secs, nsec) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos(),
            ),
            Err(before) => {
                let d = before.duration();
                let secs = i64::try_from(d.as_secs()).map_or(i64::MIN, |s| -s);
                match d.subsec_nanos() {
                    0 => (secs, 0),
                    n => (secs.saturating_sub(1), 1_000_000_000 - n),
                }
            }
        };
        Time {
            sec: secs.saturating_add(UNIX_TO_INTERNAL),
            nsec,
            offset: None,
        }
    }
}

impl TryFrom<Time> for SystemTime {
    type Error = Error;

    /// The same instant; fails where `SystemTime` cannot hold it.
    fn try_from(t: Time) -> Result<SystemTime, Error> {
        const RANGE: Error = Error::OutOfRange("time for std::time::SystemTime");
        let unix = i128::from(t.sec) - i128::from(UNIX_TO_INTERNAL);
        let whole = u64::try_from(unix.unsigned_abs()).map_err(|_| RANGE)?;
        let base = if unix >= 0 {
            UNIX_EPOCH.checked_add(StdDuration::from_secs(whole))
        } else {
            UNIX_EPOCH.checked_sub(StdDuration::from_secs(whole))
        };
        base.and_then(|b| b.checked_add(StdDuration::from_nanos(t.nsec.into())))
            .ok_or(RANGE)
    }
}

#[cfg(feature = "chrono")]
mod chrono_conv {
    use chrono::{DateTime, FixedOffset, Utc};

    use super::Time;
    use crate::Error;

    fn from_parts(secs: i64, nanos: u32, offset: Option<i32>) -> Time {
        // chrono marks a leap second with nanoseconds of 1e9 or more: Go has none, so it
        // becomes the start of the next second. chrono's years fit easily.
        let t = Time::from_unix(secs, i64::from(nanos)).unwrap_or_default();
        t.with_offset(offset)
    }

    impl From<DateTime<FixedOffset>> for Time {
        /// The same instant, in a fixed zone of the same offset.
        fn from(dt: DateTime<FixedOffset>) -> Time {
            from_parts(
                dt.timestamp(),
                dt.timestamp_subsec_nanos(),
                Some(dt.offset().local_minus_utc()),
            )
        }
    }

    impl From<DateTime<Utc>> for Time {
        /// The same instant, in UTC.
        fn from(dt: DateTime<Utc>) -> Time {
            from_parts(dt.timestamp(), dt.timestamp_subsec_nanos(), None)
        }
    }

    impl TryFrom<Time> for DateTime<FixedOffset> {
        type Error = Error;

        /// The same instant and offset (UTC becomes `+00:00`); fails beyond chrono's years
        /// (±262,142) or for offsets of a day or more.
        fn try_from(t: Time) -> Result<Self, Error> {
            let offset = FixedOffset::east_opt(t.offset_seconds().unwrap_or(0))
                .ok_or(Error::OutOfRange("zone offset for chrono::FixedOffset"))?;
            let utc = DateTime::from_timestamp(t.unix_seconds(), t.nanos())
                .ok_or(Error::OutOfRange("time for chrono::DateTime"))?;
            Ok(utc.with_timezone(&offset))
        }
    }

    impl TryFrom<Time> for DateTime<Utc> {
        type Error = Error;

        /// The same instant; fails beyond chrono's years (±262,142).
        fn try_from(t: Time) -> Result<Self, Error> {
            DateTime::from_timestamp(t.unix_seconds(), t.nanos())
                .ok_or(Error::OutOfRange("time for chrono::DateTime"))
        }
    }
}

impl Serialize for Time {
    /// Human-readable formats: Go's `MarshalJSON` text (fails as Go does for years outside
    /// `[0, 9999]`). Others: the marker form, `GobEncoder` `Time` with
    /// [`gob_encode`](Time::gob_encode)'s bytes.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let text = self
                .strict_text("Time.MarshalJSON")
                .map_err(ser::Error::custom)?;
            serializer.serialize_str(&text)
        } else {
            let data = self.gob_encode().map_err(ser::Error::custom)?;
            marshal::serialize(serializer, MarshalerKind::GobEncoder, GO_NAME, &data)
        }
    }
}

impl<'de> Deserialize<'de> for Time {
    /// Human-readable formats: an RFC 3339 string (the empty string, which netrpc's jsonrpc
    /// codec makes of `null`, is the zero time). Others: the marker form; no bytes is the zero
    /// time. The marker's kind and name are not checked.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(TextVisitor)
        } else {
            let parts = marshal::deserialize(deserializer)?;
            if parts.data.is_empty() {
                return Ok(Time::default());
            }
            Time::gob_decode(&parts.data).map_err(de::Error::custom)
        }
    }
}

/// A time's text.
struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = Time;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 time")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
        if v.is_empty() {
            return Ok(Time::default());
        }
        v.parse().map_err(E::custom)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Time, E> {
        if v.is_empty() {
            return Ok(Time::default());
        }
        let (sec, nsec, offset) = rfc3339::parse(v).map_err(E::custom)?;
        Ok(Time { sec, nsec, offset })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Time, E> {
        Ok(Time::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<Time, E> {
        Ok(Time::default())
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

    /// Vectors printed by testdata/gen.go (Go 1.26): Unix seconds, nanoseconds, zone
    /// (`None` = time.UTC), Go's `MarshalBinary` in hex, Go's `MarshalJSON` (without quotes;
    /// `Err` is Go's error).
    type Vector = (
        &'static str,
        i64,
        u32,
        Option<i32>,
        &'static str,
        Result<&'static str, &'static str>,
    );

    const VECTORS: &[Vector] = &[
        (
            "zero",
            -62_135_596_800,
            0,
            None,
            "01000000000000000000000000ffff",
            Ok("0001-01-01T00:00:00Z"),
        ),
        (
            "utc-nanos",
            1_710_505_845,
            123_456_789,
            None,
            "010000000edd863675075bcd15ffff",
            Ok("2024-03-15T12:30:45.123456789Z"),
        ),
        (
            "+05:30",
            1_710_505_845,
            500_000_000,
            Some(19_800),
            "010000000edd8636751dcd6500014a",
            Ok("2024-03-15T18:00:45.5+05:30"),
        ),
        (
            "-07:00",
            1_136_239_445,
            0,
            Some(-25_200),
            "010000000ebb4b9a5500000000fe5c",
            Ok("2006-01-02T15:04:05-07:00"),
        ),
        (
            "+01:00:07",
            1_590_965_993,
            0,
            Some(3607),
            "020000000ed6662de900000000003c07",
            Ok("2020-06-01T00:00:00+01:00"),
        ),
        (
            "fixed-zero",
            1_590_969_600,
            0,
            Some(0),
            "010000000ed6663c00000000000000",
            Ok("2020-06-01T00:00:00Z"),
        ),
        (
            "year1",
            -62_132_730_894,
            7,
            None,
            "0100000000002bbaf200000007ffff",
            Ok("0001-02-03T04:05:06.000000007Z"),
        ),
        (
            "year9999",
            253_402_300_799,
            999_999_999,
            None,
            "01000000497786387f3b9ac9ffffff",
            Ok("9999-12-31T23:59:59.999999999Z"),
        ),
        (
            "year10000",
            253_402_300_800,
            0,
            None,
            "01000000497786388000000000ffff",
            Err("Time.MarshalJSON: year outside of range [0,9999]"),
        ),
        (
            "year-1",
            -62_198_755_200,
            0,
            None,
            "01fffffffffc3c478000000000ffff",
            Err("Time.MarshalJSON: year outside of range [0,9999]"),
        ),
        (
            "neg-unix",
            -1,
            0,
            None,
            "010000000e7791f6ff00000000ffff",
            Ok("1969-12-31T23:59:59Z"),
        ),
        (
            "1950-nanos",
            -618_066_000,
            250_000_000,
            Some(-10_800),
            "010000000e52bb06b00ee6b280ff4c",
            Ok("1950-06-01T08:00:00.25-03:00"),
        ),
        (
            "offset-25h",
            1_590_879_600,
            0,
            Some(90_000),
            "010000000ed664dc700000000005dc",
            Err("Time.MarshalJSON: timezone hour outside of range [0,23]"),
        ),
    ];

    fn time_of(v: &Vector) -> Time {
        Time::from_unix(v.1, v.2.into()).unwrap().with_offset(v.3)
    }

    #[test]
    fn go_vectors_binary() {
        for v in VECTORS {
            let t = time_of(v);
            assert_eq!(t.gob_encode().unwrap(), hex(v.4), "{}", v.0);
            assert_eq!(Time::gob_decode(&hex(v.4)), Ok(t), "{}", v.0);
        }
        assert!(Time::default().is_zero());
        assert_eq!(time_of(&VECTORS[0]), Time::default());
    }

    #[test]
    fn go_vectors_json() {
        for v in VECTORS {
            let t = time_of(v);
            match v.5 {
                Ok(text) => {
                    let json = serde_json::to_string(&t).unwrap();
                    assert_eq!(json, format!("\"{text}\""), "{}", v.0);
                    let back: Time = serde_json::from_str(&json).unwrap();
                    // RFC 3339 has no offset seconds: Go's text is then another instant.
                    assert_eq!(back.same_instant(&t), t.offset.unwrap_or(0) % 60 == 0);
                    // Go reads `Z` as UTC, so only the offset 0 zone changes.
                    let want = match t.offset {
                        Some(0) => None,
                        o => o.map(|o| o / 60 * 60),
                    };
                    assert_eq!(back.offset, want, "{}", v.0);
                    assert_eq!(t.to_string(), text);
                }
                Err(e) => {
                    let err = serde_json::to_string(&t).unwrap_err();
                    assert_eq!(err.to_string(), e, "{}", v.0);
                }
            }
        }
        assert_eq!(
            Time::from_unix(253_402_300_800, 0).unwrap().to_string(),
            "10000-01-01T00:00:00Z"
        );
        assert_eq!(
            Time::from_unix(253_402_300_800, 0)
                .unwrap()
                .marshal_text()
                .unwrap_err()
                .to_string(),
            "Time.MarshalText: year outside of range [0,9999]"
        );
    }

    #[test]
    fn negative_offset_with_seconds_decodes_as_go() {
        // FixedZone("y", -3607): Go writes minutes -60 and seconds byte 0xf9 (-7), and reads
        // it back as -3600 + 249 = -3351 seconds.
        let t = Time::from_unix(1_590_973_207, 0)
            .unwrap()
            .with_offset(Some(-3607));
        let bytes = t.gob_encode().unwrap();
        assert_eq!(bytes, hex("020000000ed6664a1700000000ffc4f9"));
        let back = Time::gob_decode(&bytes).unwrap();
        assert_eq!(back.offset_seconds(), Some(-3351));
        assert!(back.same_instant(&t));
    }

    #[test]
    fn unexpected_zone_offsets() {
        let t = Time::from_unix(1_590_969_660, 0).unwrap();
        for offset in [-60, -119, 32_768 * 60, -32_769 * 60] {
            assert_eq!(
                t.with_offset(Some(offset)).gob_encode(),
                Err(Error::TimeZoneOffset),
                "{offset}"
            );
        }
        assert_eq!(
            Error::TimeZoneOffset.to_string(),
            "Time.MarshalBinary: unexpected zone offset"
        );
        assert!(t.with_offset(Some(-59)).gob_encode().is_ok());
        assert!(t.with_offset(Some(-120)).gob_encode().is_ok());
        assert!(t.with_offset(Some(32_767 * 60)).gob_encode().is_ok());
    }

    #[test]
    fn decode_errors_as_go() {
        // Messages from testdata/gen.go.
        let cases = [
            ("", "Time.UnmarshalBinary: no data"),
            ("03", "Time.UnmarshalBinary: unsupported version"),
            ("01", "Time.UnmarshalBinary: invalid length"),
            (
                "010000000000000000000000fffe",
                "Time.UnmarshalBinary: invalid length",
            ),
            (
                "0200000000000000000000000000000000",
                "Time.UnmarshalBinary: invalid length",
            ),
        ];
        for (h, msg) in cases {
            assert_eq!(Time::gob_decode(&hex(h)).unwrap_err().to_string(), msg);
        }
        // Every length and version from hand-made bytes: errors or values, never panics.
        for len in 0..20 {
            for version in 0..4u8 {
                let mut b = vec![0xffu8; len];
                if let Some(first) = b.first_mut() {
                    *first = version;
                }
                let _ = Time::gob_decode(&b);
            }
        }
        // Nanoseconds of 1e9 or more (never from Go) carry into the seconds.
        let t = Time::gob_decode(&hex("01000000000000000affffffffffff")).unwrap();
        assert_eq!((t.go_seconds(), t.nanos()), (14, 294_967_295));
        assert_eq!(
            Time::gob_decode(&hex("017fffffffffffffffffffffffffff")),
            Err(Error::OutOfRange("time"))
        );
    }

    #[test]
    fn extreme_go_seconds_round_trip() {
        for sec in [i64::MIN, -1, i64::MAX] {
            let mut b = vec![1u8];
            b.extend_from_slice(&sec.to_be_bytes());
            b.extend_from_slice(&[0, 0, 0, 1, 0xff, 0xff]);
            let t = Time::gob_decode(&b).unwrap();
            assert_eq!(t.go_seconds(), sec);
            assert_eq!(t.gob_encode().unwrap(), b);
            let _ = t.to_string();
            assert!(t.marshal_text().is_err() || sec == -1);
        }
        let t = Time::gob_decode(&hex("01800000000000000000000000ffff")).unwrap();
        assert_eq!(t.unix_seconds(), i64::MIN);
    }

    #[test]
    fn postcard_round_trip_uses_the_marker_form() {
        for v in VECTORS {
            let t = time_of(v);
            let bytes = postcard::to_allocvec(&t).unwrap();
            // Kind 0, name "Time", then the Go bytes with their length.
            let mut want = vec![0, 4];
            want.extend_from_slice(b"Time");
            want.push(hex(v.4).len() as u8);
            want.extend_from_slice(&hex(v.4));
            assert_eq!(bytes, want, "{}", v.0);
            assert_eq!(postcard::from_bytes::<Time>(&bytes).unwrap(), t, "{}", v.0);
        }
        // The zero value of the marker form (no bytes) is the zero time.
        assert_eq!(
            postcard::from_bytes::<Time>(&[0, 0, 0]).unwrap(),
            Time::default()
        );
        assert!(postcard::from_bytes::<Time>(&[0, 4, b'T', b'i', b'm', b'e', 1, 3]).is_err());
    }

    #[test]
    fn json_edge_cases() {
        assert_eq!(
            serde_json::from_str::<Time>("\"\"").unwrap(),
            Time::default()
        );
        let err = serde_json::from_str::<Time>("\"2006-13-01T00:00:00Z\"").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("parsing time \"2006-13-01T00:00:00Z\": month out of range")
        );
        assert!(serde_json::from_str::<Time>("12").is_err());
        let t: Time = serde_json::from_str("\"2006-01-02T15:04:05+00:00\"").unwrap();
        assert_eq!(t.offset_seconds(), Some(0));
    }

    #[test]
    fn unix_and_system_time() {
        let t = Time::from_unix(-1, 1_500_000_000).unwrap();
        assert_eq!((t.unix_seconds(), t.nanos()), (0, 500_000_000));
        let t = Time::from_unix(0, -1).unwrap();
        assert_eq!((t.unix_seconds(), t.nanos()), (-1, 999_999_999));
        assert!(Time::from_unix(i64::MAX, 0).is_err());
        assert_eq!(Time::from_unix(0, 0).unwrap(), Time::UNIX_EPOCH);

        let before = UNIX_EPOCH - StdDuration::new(1, 250_000_000);
        let t = Time::from(before);
        assert_eq!((t.unix_seconds(), t.nanos()), (-2, 750_000_000));
        assert_eq!(SystemTime::try_from(t), Ok(before));
        let after = UNIX_EPOCH + StdDuration::new(1_710_505_845, 123_456_789);
        let t = Time::from(after);
        assert_eq!(t.to_string(), "2024-03-15T12:30:45.123456789Z");
        assert_eq!(SystemTime::try_from(t), Ok(after));
        assert_eq!(
            SystemTime::try_from(Time::default()),
            Ok(UNIX_EPOCH - StdDuration::from_secs(62_135_596_800))
        );
        let far = Time::gob_decode(&hex("01800000000000000000000000ffff")).unwrap();
        assert_eq!(
            SystemTime::try_from(far),
            Err(Error::OutOfRange("time for std::time::SystemTime"))
        );
    }

    #[test]
    fn date_and_clock() {
        let t: Time = "2024-03-15T18:00:45.5+05:30".parse().unwrap();
        assert_eq!(t.date(), (2024, 3, 15));
        assert_eq!(t.clock(), (18, 0, 45));
        assert_eq!(t.with_offset(None).date(), (2024, 3, 15));
        assert_eq!(t.with_offset(None).clock(), (12, 30, 45));
        assert_eq!(Time::default().date(), (1, 1, 1));
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_conversions_agree_with_the_civil_math() {
        use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};

        // A deterministic walk over ±10,000 years with odd steps and offsets.
        let mut secs: i64 = -377_705_116_800; // year -10000
        let mut step: i64 = 7_777_777;
        let mut n = 0u32;
        while secs < 253_402_300_800 * 2 {
            let offset = ((n as i32 * 7919) % 86_399) - 43_199;
            let nanos = (n * 104_729) % 1_000_000_000;
            let t = Time::from_unix(secs, nanos.into())
                .unwrap()
                .with_offset(Some(offset));
            let dt = DateTime::<FixedOffset>::try_from(t).unwrap();
            assert_eq!(
                (i64::from(dt.year()), dt.month() as u8, dt.day() as u8),
                t.date()
            );
            assert_eq!(
                (dt.hour() as u8, dt.minute() as u8, dt.second() as u8),
                t.clock()
            );
            assert_eq!(Time::from(dt), t);
            if (0..=9999).contains(&dt.year()) && offset % 60 == 0 {
                // chrono writes nine fraction digits; Go's parser takes them.
                let text = dt.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
                let back: Time = text.parse().unwrap();
                assert!(back.same_instant(&t), "{text}");
                assert_eq!(back.offset_seconds().unwrap_or(0), offset, "{text}");
                assert!(back.to_string().len() <= text.len());
            }
            let utc = DateTime::<Utc>::try_from(t).unwrap();
            assert_eq!(Time::from(utc), t.with_offset(None));
            secs += step;
            step = step * 48_271 % 2_147_483_647 + 1;
            n += 1;
        }
        assert!(n > 500);
        let far = Time::from_unix(1 << 45, 0).unwrap();
        assert!(DateTime::<Utc>::try_from(far).is_err());
        assert!(DateTime::<FixedOffset>::try_from(far.with_offset(Some(90_000))).is_err());
    }
}
