//! The rows the simulator produces: parking events and parking sessions, with their ids,
//! timestamps and plates kept as compact integers until a sink formats them.

use std::fmt::Write as _;

/// Milliseconds since the Unix epoch, UTC. All instants inside the program use this.
pub type Millis = i64;

/// One hour in milliseconds.
pub const HOUR_MS: Millis = 3_600_000;
/// One day (24 hours) in milliseconds.
pub const DAY_MS: Millis = 24 * HOUR_MS;

/// CAR_IN or CAR_OUT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A car entered the facility and a session began.
    CarIn,
    /// A car left the facility and its session was completed.
    CarOut,
}

impl EventKind {
    /// The name used in the tables (`CAR_IN` / `CAR_OUT`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CarIn => "CAR_IN",
            EventKind::CarOut => "CAR_OUT",
        }
    }
}

/// Whether a car is still parked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionStatus {
    /// The car is parked; the session has no CAR_OUT yet.
    Active,
    /// The car left; the session has both events.
    Completed,
}

impl SessionStatus {
    /// The name used in the tables (`active` / `completed`).
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::Completed => "completed",
        }
    }
}

/// A licence plate as an integer: the state's index in the catalog (high 16 bits) and the
/// plate's number within that state's format (low 48 bits). The catalog formats it as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlateCode(pub u64);

impl PlateCode {
    /// Builds a code from a state index and a number within the state's format.
    pub fn new(state: u16, number: u64) -> Self {
        PlateCode(((state as u64) << 48) | (number & 0xFFFF_FFFF_FFFF))
    }
    /// The state's index in the catalog's plate table.
    pub fn state(self) -> u16 {
        (self.0 >> 48) as u16
    }
    /// The number within the state's format.
    pub fn number(self) -> u64 {
        self.0 & 0xFFFF_FFFF_FFFF
    }
}

/// Traffic-pattern facts of an event; the sink renders them as
/// `District|day_tag+hour_tag+extra|mult:M.Mx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatternTag {
    /// True on weekend days and public holidays.
    pub weekend: bool,
    /// The district's day multiplier ×10 (14 = 1.4×).
    pub mult_tenths: u8,
    /// The event happened in one of the district's peak entry (CAR_IN) or exit (CAR_OUT) hours.
    pub peak_hour: bool,
    /// The day is a US public holiday.
    pub holiday: bool,
    /// The day is a random spike day (about twice the normal traffic).
    pub spike: bool,
    /// A burst was in force at the facility (live simulator only).
    pub burst: bool,
}

impl PatternTag {
    /// The day tag: `weekday_busy`, `weekend_slow`, ...
    pub fn day_tag(&self) -> &'static str {
        let busy = self.mult_tenths > 10;
        let slow = self.mult_tenths < 5;
        match (self.weekend, busy, slow) {
            (false, true, _) => "weekday_busy",
            (false, false, true) => "weekday_slow",
            (false, false, false) => "weekday_normal",
            (true, true, _) => "weekend_busy",
            (true, false, true) => "weekend_slow",
            (true, false, false) => "weekend_normal",
        }
    }

    /// Reads a `traffic_pattern` value written by [`PatternTag::render`] (`None`: not one).
    pub fn parse(text: &str) -> Option<PatternTag> {
        let mut parts = text.rsplitn(2, '|');
        let mult = parts.next()?.strip_prefix("mult:")?.strip_suffix('x')?;
        let (whole, tenth) = mult.split_once('.')?;
        let mult_tenths = whole
            .parse::<u8>()
            .ok()?
            .checked_mul(10)?
            .checked_add(tenth.parse().ok()?)?;
        let tags = parts.next()?.rsplit_once('|')?.1;
        let mut flags = tags.split('+');
        let weekend = flags.next()?.starts_with("weekend");
        let mut tag = PatternTag {
            weekend,
            mult_tenths,
            peak_hour: false,
            holiday: false,
            spike: false,
            burst: false,
        };
        for flag in flags {
            match flag {
                "peak_entry_hour" | "peak_exit_hour" => tag.peak_hour = true,
                "holiday" => tag.holiday = true,
                "spike_day" => tag.spike = true,
                "burst" => tag.burst = true,
                _ => return None,
            }
        }
        Some(tag)
    }

    /// Writes the full `traffic_pattern` value into `out` (cleared first).
    pub fn render(&self, district: &str, kind: EventKind, out: &mut String) {
        out.clear();
        out.push_str(district);
        out.push('|');
        out.push_str(self.day_tag());
        if self.peak_hour {
            out.push_str(match kind {
                EventKind::CarIn => "+peak_entry_hour",
                EventKind::CarOut => "+peak_exit_hour",
            });
        }
        if self.holiday {
            out.push_str("+holiday");
        }
        if self.spike {
            out.push_str("+spike_day");
        }
        if self.burst {
            out.push_str("+burst");
        }
        let _ = write!(
            out,
            "|mult:{}.{}x",
            self.mult_tenths / 10,
            self.mult_tenths % 10
        );
    }
}

/// One CAR_IN or CAR_OUT, as the engine emits it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    /// The event's UUID as 128 bits.
    pub event_id: u128,
    /// The session this event belongs to.
    pub session_id: u128,
    /// CAR_IN or CAR_OUT.
    pub kind: EventKind,
    /// Index of the facility in the catalog (not its id).
    pub facility: u16,
    /// The car's plate.
    pub plate: PlateCode,
    /// When it happened.
    pub time: Millis,
    /// Free spots right after this event.
    pub available_after: u32,
    /// For CAR_OUT: time parked (out − in); 0 for CAR_IN.
    pub duration_ms: Millis,
    /// For CAR_OUT: the charge in cents; 0 for CAR_IN.
    pub cost_cents: i64,
    /// Traffic-pattern facts for the `traffic_pattern` column.
    pub pattern: PatternTag,
}

/// A parking session, emitted when it completes (or, still active, at the end of a run).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Session {
    /// The session's UUID as 128 bits.
    pub session_id: u128,
    /// The car's plate.
    pub plate: PlateCode,
    /// Index of the facility in the catalog.
    pub facility: u16,
    /// When the car entered.
    pub in_time: Millis,
    /// When the car left; `None` while active.
    pub out_time: Option<Millis>,
    /// The charge in cents (0 while active).
    pub cost_cents: i64,
    /// Active or completed.
    pub status: SessionStatus,
}

/// Formats a 128-bit id as a lower-case hyphenated UUID into a fixed buffer.
pub fn format_uuid(id: u128, buf: &mut [u8; 36]) -> &str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = id.to_be_bytes();
    let mut pos = 0;
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            buf[pos] = b'-';
            pos += 1;
        }
        buf[pos] = HEX[(b >> 4) as usize];
        buf[pos + 1] = HEX[(b & 0xF) as usize];
        pos += 2;
    }
    // Only ASCII hex digits and hyphens were written.
    std::str::from_utf8(&buf[..]).unwrap_or_default()
}

/// Parses a hyphenated UUID back into 128 bits.
pub fn parse_uuid(text: &str) -> Option<u128> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || text.len() != 36 {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

/// Formats an instant as fixed-width ISO-8601 UTC text (`2025-01-01T05:00:00.000Z`), so that
/// text order is time order.
pub fn format_time(ms: Millis, buf: &mut [u8; 24]) -> &str {
    let days = ms.div_euclid(DAY_MS);
    let rem = ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let h = rem / HOUR_MS;
    let mi = (rem / 60_000) % 60;
    let s = (rem / 1000) % 60;
    let milli = rem % 1000;
    let y = y.clamp(0, 9999);
    let fields: [(usize, i64, usize); 7] = [
        (0, y, 4),
        (5, m as i64, 2),
        (8, d as i64, 2),
        (11, h, 2),
        (14, mi, 2),
        (17, s, 2),
        (20, milli, 3),
    ];
    buf.copy_from_slice(b"0000-00-00T00:00:00.000Z");
    for (start, mut value, width) in fields {
        for i in (0..width).rev() {
            buf[start + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    std::str::from_utf8(&buf[..]).unwrap_or_default()
}

/// Formats an instant as an owned string (see [`format_time`]).
pub fn time_string(ms: Millis) -> String {
    let mut buf = [0u8; 24];
    format_time(ms, &mut buf).to_owned()
}

/// Parses the fixed-width text written by [`format_time`].
pub fn parse_time(text: &str) -> Option<Millis> {
    let b = text.as_bytes();
    if b.len() != 24 || b[4] != b'-' || b[10] != b'T' || b[23] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { text.get(r)?.parse::<i64>().ok() };
    let days = days_from_civil(num(0..4)?, num(5..7)? as u32, num(8..10)? as u32);
    Some(
        days * DAY_MS
            + num(11..13)? * HOUR_MS
            + num(14..16)? * 60_000
            + num(17..19)? * 1000
            + num(20..23)?,
    )
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Hours between two instants, rounded to 2 decimals as the tables show them.
pub fn hours_2dp(duration_ms: Millis) -> f64 {
    (duration_ms as f64 / HOUR_MS as f64 * 100.0).round() / 100.0
}

/// Cents as dollars.
pub fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_text_round_trips_and_has_fixed_width() {
        for ms in [0, 1_735_707_600_123, 1_762_063_199_999, 4_102_444_800_000] {
            let mut buf = [0u8; 24];
            let text = format_time(ms, &mut buf).to_owned();
            assert_eq!(text.len(), 24);
            assert_eq!(parse_time(&text), Some(ms), "{text}");
        }
        assert_eq!(time_string(1_735_707_600_123), "2025-01-01T05:00:00.123Z");
    }

    #[test]
    fn uuid_text_round_trips() {
        let id = 0x0123_4567_89ab_4def_8123_4567_89ab_cdefu128;
        let mut buf = [0u8; 36];
        assert_eq!(
            format_uuid(id, &mut buf),
            "01234567-89ab-4def-8123-456789abcdef"
        );
        assert_eq!(parse_uuid("01234567-89ab-4def-8123-456789abcdef"), Some(id));
        assert_eq!(parse_uuid("not-a-uuid"), None);
    }

    #[test]
    fn pattern_tag_renders_like_the_original() {
        let tag = PatternTag {
            weekend: false,
            mult_tenths: 14,
            peak_hour: true,
            holiday: false,
            spike: false,
            burst: false,
        };
        let mut s = String::new();
        tag.render("Manhattan", EventKind::CarIn, &mut s);
        assert_eq!(s, "Manhattan|weekday_busy+peak_entry_hour|mult:1.4x");
        let slow = PatternTag {
            weekend: true,
            mult_tenths: 4,
            peak_hour: true,
            ..tag
        };
        slow.render("Airport", EventKind::CarOut, &mut s);
        assert_eq!(s, "Airport|weekend_slow+peak_exit_hour|mult:0.4x");
        assert_eq!(PatternTag::parse(&s), Some(slow));
        let every = PatternTag {
            holiday: true,
            spike: true,
            burst: true,
            mult_tenths: 21,
            ..tag
        };
        every.render("Odd|Name", EventKind::CarIn, &mut s);
        assert_eq!(PatternTag::parse(&s), Some(every), "{s}");
        assert_eq!(PatternTag::parse("Manhattan|weekday_busy|mult:x"), None);
        assert_eq!(
            PatternTag::parse("Manhattan|weekday_busy+teleport|mult:1.0x"),
            None
        );
    }
}
