//! Number, time and money formatting for the window.

use chrono_tz::Tz;

use crate::model::{Millis, HOUR_MS};

/// An integer with thousands separators (`12,345`).
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate with one decimal below 100 and thousands separators above (`12.5`, `3,400`).
pub fn rate(x: f64) -> String {
    if !x.is_finite() || x <= 0.0 {
        "0".into()
    } else if x < 100.0 {
        format!("{x:.1}")
    } else {
        int(x.round() as u64)
    }
}

/// A duration as `2h 05m`, `3d 4h` or `45s`.
pub fn duration(ms: Millis) -> String {
    let s = ms.max(0) / 1000;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else if ms < 48 * HOUR_MS {
        format!("{}h {:02}m", s / 3600, (s / 60) % 60)
    } else {
        format!("{}d {}h", s / 86_400, (s / 3600) % 24)
    }
}

/// Seconds as a time left (`1m 05s`, `2h 10m`).
pub fn seconds_left(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        "?".into()
    } else {
        duration((s * 1000.0) as Millis)
    }
}

/// Cents as `$12.50`.
pub fn dollars(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, (cents % 100).abs())
}

/// New York local time, `HH:MM:SS`.
pub fn clock(tz: Tz, ms: Millis) -> String {
    local(tz, ms, "%H:%M:%S")
}

/// New York local date and time, `2025-03-01 14:05`.
pub fn date_time(tz: Tz, ms: Millis) -> String {
    local(tz, ms, "%Y-%m-%d %H:%M")
}

/// New York local time with a chrono format string.
pub fn local(tz: Tz, ms: Millis, format: &str) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.with_timezone(&tz).format(format).to_string(),
        None => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_read_well() {
        assert_eq!(int(0), "0");
        assert_eq!(int(1234567), "1,234,567");
        assert_eq!(int(999), "999");
        assert_eq!(duration(45_000), "45s");
        assert_eq!(duration(2 * HOUR_MS + 5 * 60_000), "2h 05m");
        assert_eq!(duration(50 * HOUR_MS), "2d 2h");
        assert_eq!(dollars(1250), "$12.50");
        assert_eq!(rate(12.54), "12.5");
        assert_eq!(rate(3400.2), "3,400");
    }
}
