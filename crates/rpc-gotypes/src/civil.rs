//! Proleptic Gregorian calendar arithmetic (Howard Hinnant's `days_from_civil` and
//! `civil_from_days`), so that times format and parse without a date library.
//!
//! Days count from 1970-01-01; years are astronomical (year 0 is 1 BC, as in Go).

/// Whether `year` is a leap year.
pub(crate) const fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days of `month` (1 to 12) in `year`.
pub(crate) const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to `year`-`month`-`day` (`month` 1 to 12, `day` 1 to 31).
///
/// Exact for years within ±2^54 (far beyond any `Time`).
pub(crate) const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (month as i64 + 9) % 12; // March is 0
    let doy = (153 * mp + 2) / 5 + day as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The date (`year`, `month` 1 to 12, `day` 1 to 31) that is `days` after 1970-01-01.
///
/// Exact for any `days` within ±2^60.
pub(crate) const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        // Go's zero time, January 1 of year 1: 62135596800 seconds before the epoch.
        assert_eq!(days_from_civil(1, 1, 1) * 86_400, -62_135_596_800);
        assert_eq!(civil_from_days(-719_162), (1, 1, 1));
        assert_eq!(civil_from_days(days_from_civil(0, 2, 29)), (0, 2, 29));
        assert_eq!(civil_from_days(days_from_civil(-1, 12, 31) + 1), (0, 1, 1));
        assert_eq!(
            civil_from_days(days_from_civil(9999, 12, 31) + 1),
            (10000, 1, 1)
        );
    }

    #[test]
    fn round_trip_every_day_over_two_eras() {
        // 800 years around the epoch and around year 1, day by day, against a plain counter.
        for start_year in [1600i64, -400] {
            let mut days = days_from_civil(start_year, 1, 1);
            for year in start_year..start_year + 800 {
                for month in 1..=12 {
                    for day in 1..=days_in_month(year, month) {
                        assert_eq!(days_from_civil(year, month, day), days);
                        assert_eq!(civil_from_days(days), (year, month, day));
                        days += 1;
                    }
                }
            }
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let max_days = i64::MAX / 86_400 + 1;
        let (y, m, d) = civil_from_days(max_days);
        assert_eq!(days_from_civil(y, m, d), max_days);
        let (y, m, d) = civil_from_days(-max_days);
        assert_eq!(days_from_civil(y, m, d), -max_days);
    }

    #[test]
    fn leap_years() {
        assert!(is_leap(2000) && is_leap(2024) && is_leap(0) && is_leap(-4));
        assert!(!is_leap(1900) && !is_leap(2023) && !is_leap(-1));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2023, 4), 30);
        assert_eq!(days_in_month(2023, 12), 31);
    }
}
