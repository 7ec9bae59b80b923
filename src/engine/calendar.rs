//! Local time: days, hours, weekdays and US public holidays in the catalog's time zone
//! (America/New_York), including the 23- and 25-hour days when clocks change.

use chrono::{Datelike, NaiveDate, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::model::{days_from_civil, Millis, HOUR_MS};

/// Facts about one local calendar day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalDay {
    /// The date.
    pub date: NaiveDate,
    /// Day number since 1970-01-01 of the local date.
    pub day_number: i64,
    /// 0 = Monday ... 6 = Sunday.
    pub weekday: u8,
    /// 1-12.
    pub month: u8,
    /// A US federal holiday (on its actual date).
    pub holiday: bool,
    /// The instant the day begins (local midnight), UTC.
    pub start: Millis,
    /// The instant the next day begins; `end - start` is 23, 24 or 25 hours.
    pub end: Millis,
}

impl LocalDay {
    /// Weekend or holiday: the day follows the weekend pattern.
    pub fn weekend_like(&self) -> bool {
        self.weekday >= 5 || self.holiday
    }
}

/// The UTC instant of local midnight starting `date` (midnight always exists in zones that
/// change clocks at 02:00; elsewhere the earliest valid instant of that hour is used).
pub fn local_midnight(tz: Tz, date: NaiveDate) -> Millis {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.timestamp_millis(),
        chrono::LocalResult::Ambiguous(a, _) => a.timestamp_millis(),
        chrono::LocalResult::None => {
            let later = naive + chrono::Duration::hours(1);
            tz.from_local_datetime(&later)
                .earliest()
                .map(|t| t.timestamp_millis())
                .unwrap_or_else(|| naive.and_utc().timestamp_millis())
        }
    }
}

/// The local day containing instant `t`.
pub fn local_day(tz: Tz, t: Millis) -> LocalDay {
    let date = local_date(tz, t);
    day_info(tz, date)
}

/// Facts about a local date.
pub fn day_info(tz: Tz, date: NaiveDate) -> LocalDay {
    let next = date.succ_opt().unwrap_or(date);
    LocalDay {
        date,
        day_number: days_from_civil(date.year() as i64, date.month(), date.day()),
        weekday: date.weekday().num_days_from_monday() as u8,
        month: date.month() as u8,
        holiday: is_us_holiday(date),
        start: local_midnight(tz, date),
        end: local_midnight(tz, next),
    }
}

/// The local date of instant `t`.
pub fn local_date(tz: Tz, t: Millis) -> NaiveDate {
    match chrono::DateTime::from_timestamp_millis(t) {
        Some(utc) => utc.with_timezone(&tz).date_naive(),
        None => NaiveDate::default(),
    }
}

/// The local hour (0-23) of instant `t`.
pub fn local_hour(tz: Tz, t: Millis) -> u8 {
    match chrono::DateTime::from_timestamp_millis(t) {
        Some(utc) => utc.with_timezone(&tz).hour() as u8,
        None => 0,
    }
}

/// The UTC offset in whole hours at instant `t` (−5 or −4 in New York).
pub fn utc_offset_ms(tz: Tz, t: Millis) -> Millis {
    match chrono::DateTime::from_timestamp_millis(t) {
        Some(utc) => {
            tz.offset_from_utc_datetime(&utc.naive_utc())
                .fix()
                .local_minus_utc() as i64
                * 1000
        }
        None => 0,
    }
}

/// The start of the hour containing `t` (hours are whole in UTC for whole-hour offsets, and
/// this program only uses such zones' hours as segments).
pub fn hour_start(t: Millis) -> Millis {
    t.div_euclid(HOUR_MS) * HOUR_MS
}

fn nth_weekday(year: i32, month: u32, weekday: chrono::Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

fn last_weekday(year: i32, month: u32, weekday: chrono::Weekday) -> Option<NaiveDate> {
    (1..=5)
        .rev()
        .find_map(|n| NaiveDate::from_weekday_of_month_opt(year, month, weekday, n))
}

/// US federal holidays on their actual dates: New Year, MLK Day, Presidents Day, Memorial Day,
/// Juneteenth, Independence Day, Labor Day, Columbus Day, Veterans Day, Thanksgiving, Christmas.
pub fn is_us_holiday(date: NaiveDate) -> bool {
    use chrono::Weekday::*;
    let (y, m, d) = (date.year(), date.month(), date.day());
    let fixed = matches!((m, d), (1, 1) | (6, 19) | (7, 4) | (11, 11) | (12, 25));
    if fixed {
        return true;
    }
    let floating = [
        nth_weekday(y, 1, Mon, 3),
        nth_weekday(y, 2, Mon, 3),
        last_weekday(y, 5, Mon),
        nth_weekday(y, 9, Mon, 1),
        nth_weekday(y, 10, Mon, 2),
        nth_weekday(y, 11, Thu, 4),
    ];
    floating.contains(&Some(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny() -> Tz {
        chrono_tz::America::New_York
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn dst_days_have_23_and_25_hours() {
        let spring = day_info(ny(), date(2025, 3, 9));
        assert_eq!(spring.end - spring.start, 23 * HOUR_MS);
        let fall = day_info(ny(), date(2025, 11, 2));
        assert_eq!(fall.end - fall.start, 25 * HOUR_MS);
        let normal = day_info(ny(), date(2025, 6, 1));
        assert_eq!(normal.end - normal.start, 24 * HOUR_MS);
        // 2025-01-01 00:00 EST is 05:00 UTC.
        assert_eq!(day_info(ny(), date(2025, 1, 1)).start, 1_735_707_600_000);
        // On the fall-back day the local hour 1 happens twice.
        let hours: Vec<u8> = (0..25)
            .map(|h| local_hour(ny(), fall.start + h * HOUR_MS))
            .collect();
        assert_eq!(hours.iter().filter(|h| **h == 1).count(), 2);
        let hours: Vec<u8> = (0..23)
            .map(|h| local_hour(ny(), spring.start + h * HOUR_MS))
            .collect();
        assert!(
            !hours.contains(&2),
            "02:00 does not exist on the spring-forward day"
        );
    }

    #[test]
    fn holidays_and_weekdays() {
        assert!(is_us_holiday(date(2025, 11, 27)), "Thanksgiving 2025");
        assert!(is_us_holiday(date(2025, 5, 26)), "Memorial Day 2025");
        assert!(is_us_holiday(date(2025, 1, 20)), "MLK Day 2025");
        assert!(is_us_holiday(date(2025, 12, 25)));
        assert!(!is_us_holiday(date(2025, 11, 28)));
        let d = day_info(ny(), date(2025, 1, 4));
        assert_eq!(d.weekday, 5, "2025-01-04 is a Saturday");
        assert!(d.weekend_like());
        assert_eq!(local_day(ny(), d.start + 1).date, date(2025, 1, 4));
        assert_eq!(local_day(ny(), d.start - 1).date, date(2025, 1, 3));
    }
}
