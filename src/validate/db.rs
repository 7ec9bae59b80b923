//! Reading the database: opening it read-only, recognising it, and decoding rows without
//! trusting them (every malformed value becomes a message, never a panic).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, Row};

use super::ValidateError;
use crate::catalog::Pricing;
use crate::model::{parse_time, EventKind, Millis};

/// Opens `path` read-only, after telling a missing path or a directory apart.
pub fn open(path: &Path) -> Result<Connection, ValidateError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ValidateError::NotFound {
                path: path.to_owned(),
            })
        }
        Err(e) => {
            return Err(ValidateError::NotADatabase {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        }
        Ok(m) if m.is_dir() => {
            return Err(ValidateError::NotADatabase {
                path: path.to_owned(),
                reason: "it is a directory".into(),
            })
        }
        Ok(_) => {}
    }
    let conn = crate::store::read_only::open_read_only(path).map_err(|e| classify(path, e))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| classify(path, e))?;
    // A 32 MiB page cache: the event scan, the session merge and the id lookups share it.
    conn.execute_batch("PRAGMA cache_size = -32768")
        .map_err(|e| classify(path, e))?;
    Ok(conn)
}

/// Turns an SQLite error into the matching [`ValidateError`].
pub fn classify(path: &Path, e: rusqlite::Error) -> ValidateError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => ValidateError::NotADatabase {
            path: path.to_owned(),
            reason: e.to_string(),
        },
        Some(ErrorCode::DatabaseCorrupt) => ValidateError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        _ => ValidateError::Sqlite {
            path: path.to_owned(),
            source: e,
        },
    }
}

/// The columns of `table` with their primary-key position (0 when not part of the key).
pub fn columns(conn: &Connection, table: &str) -> rusqlite::Result<HashMap<String, i64>> {
    let mut stmt = conn.prepare("SELECT name, pk FROM pragma_table_info(?1)")?;
    let rows = stmt.query_map([table], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    rows.collect()
}

/// Fails unless the parking-iot tables and columns exist.
pub fn check_schema(conn: &Connection, path: &Path) -> Result<(), ValidateError> {
    let mut missing = Vec::new();
    // `runs` is optional as a whole: a database without it is checked as one finished run.
    // The streaming outbox is bookkeeping of the live feed, absent from older stores.
    for (table, cols) in crate::store::EXPECTED_COLUMNS
        .iter()
        .filter(|(t, _)| *t != "runs" && *t != "stream_outbox")
    {
        let have = columns(conn, table).map_err(|e| classify(path, e))?;
        if have.is_empty() {
            missing.push(format!("table {table}"));
            continue;
        }
        for c in cols.iter() {
            if !have.contains_key(*c) {
                missing.push(format!("column {table}.{c}"));
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ValidateError::NotParkingIot {
            path: path.to_owned(),
            missing,
        })
    }
}

/// One row of `parking_facilities`, with its pricing rule.
#[derive(Clone, Debug)]
pub struct FacilityInfo {
    /// `facility_id`.
    pub id: i64,
    /// `name`.
    pub name: String,
    /// `district`.
    pub district: String,
    /// Index into [`Facilities::districts`].
    pub district_idx: usize,
    /// `total_spots`.
    pub spots: i64,
    /// `rate_per_hour` in dollars.
    pub rate_per_hour: f64,
    /// The pricing rule, or why the row does not make one.
    pub pricing: Result<Pricing, String>,
}

/// The facility table, indexed.
#[derive(Clone, Debug, Default)]
pub struct Facilities {
    /// Rows in `facility_id` order.
    pub list: Vec<FacilityInfo>,
    /// `facility_id` → index into `list`.
    pub by_id: HashMap<i64, usize>,
    /// District names in order of their first facility.
    pub districts: Vec<String>,
}

/// Reads `parking_facilities`.
pub fn load_facilities(conn: &Connection) -> rusqlite::Result<Facilities> {
    let mut stmt = conn.prepare(
        "SELECT facility_id, name, district, total_spots, rate_per_hour, daily_max, \
         billing_increment_minutes FROM parking_facilities ORDER BY facility_id",
    )?;
    let mut rows = stmt.query([])?;
    let mut f = Facilities::default();
    while let Some(r) = rows.next()? {
        let id = int(r, 0).unwrap_or(-1);
        let name = text(r, 1).unwrap_or_default().to_owned();
        let district = text(r, 2).unwrap_or_default().to_owned();
        let spots = int(r, 3).unwrap_or(0);
        let rate = real(r, 4).ok().flatten().unwrap_or(f64::NAN);
        let daily_max = real(r, 5).ok().flatten().unwrap_or(f64::NAN);
        let increment = int(r, 6).unwrap_or(0);
        let pricing = if !(rate.is_finite() && rate >= 0.0) {
            Err(format!("rate_per_hour is not a number >= 0 ({rate})"))
        } else if !(daily_max.is_finite() && daily_max >= 0.0) {
            Err(format!("daily_max is not a number >= 0 ({daily_max})"))
        } else if !(1..=1440).contains(&increment) {
            Err(format!(
                "billing_increment_minutes is {increment}, not 1-1440"
            ))
        } else {
            Ok(Pricing {
                rate_cents_per_hour: (rate * 100.0).round() as i64,
                increment_minutes: increment as u32,
                daily_max_cents: (daily_max * 100.0).round() as i64,
            })
        };
        let district_idx = match f.districts.iter().position(|d| *d == district) {
            Some(i) => i,
            None => {
                f.districts.push(district.clone());
                f.districts.len() - 1
            }
        };
        f.by_id.insert(id, f.list.len());
        f.list.push(FacilityInfo {
            id,
            name,
            district,
            district_idx,
            spots,
            rate_per_hour: rate,
            pricing,
        });
    }
    Ok(f)
}

/// One row of `runs`.
#[derive(Clone, Debug, Default)]
pub struct RunRow {
    /// `run_id` as stored.
    pub run_id: String,
    /// The tag it names (`run_id` is the tag as 3 hex digits).
    pub tag: Option<u16>,
    /// `kind`.
    pub kind: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `start_date`.
    pub start_date: Option<String>,
    /// `end_date`.
    pub end_date: Option<String>,
    /// `turned_away`.
    pub turned_away: u64,
}

/// The tag named by a `run_id`: 1 to 3 hex digits.
pub fn run_tag(run_id: &str) -> Option<u16> {
    let s = run_id.trim();
    if s.is_empty() || s.len() > 3 {
        return None;
    }
    u16::from_str_radix(s, 16).ok()
}

/// Reads `runs` (absent or partial tables give warnings, not errors).
pub fn load_runs(conn: &Connection, warnings: &mut Vec<String>) -> rusqlite::Result<Vec<RunRow>> {
    let have = columns(conn, "runs")?;
    if have.is_empty() {
        warnings.push(
            "the database has no runs table: every run is treated as finished, and turned-away \
             cars are unknown"
                .into(),
        );
        return Ok(Vec::new());
    }
    if !have.contains_key("run_id") {
        warnings.push("the runs table has no run_id column: it is ignored".into());
        return Ok(Vec::new());
    }
    let col = |c: &str| {
        if have.contains_key(c) {
            c.to_owned()
        } else {
            "NULL".to_owned()
        }
    };
    let sql = format!(
        "SELECT run_id, {}, {}, {}, {}, {} FROM runs ORDER BY run_id",
        col("kind"),
        col("status"),
        col("start_date"),
        col("end_date"),
        col("turned_away")
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let opt = |i: usize| text(r, i).ok().map(str::to_owned);
        let run_id = match r.get_ref(0)? {
            ValueRef::Integer(i) => i.to_string(),
            _ => opt(0).unwrap_or_default(),
        };
        let tag = run_tag(&run_id);
        if tag.is_none() {
            warnings.push(format!(
                "runs.run_id '{run_id}' is not a 3-hex-digit run tag: that row is not matched \
                 with any rows"
            ));
        }
        out.push(RunRow {
            tag,
            kind: opt(1),
            status: opt(2),
            start_date: opt(3),
            end_date: opt(4),
            turned_away: int(r, 5).unwrap_or(0).max(0) as u64,
            run_id,
        });
    }
    Ok(out)
}

/// The events in time order (the `event_time` index; ties are ordered by the validator).
pub const EVENT_SQL: &str = "SELECT event_id, event_type, session_id, facility_id, facility_name, \
     district, license_plate, license_plate_state, event_time, available_spots_after, \
     parking_duration_hours, cost FROM parking_events ORDER BY event_time";

const SESSION_COLUMNS: &str = "session_id, license_plate, license_plate_state, facility_id, \
     facility_name, district, in_time, out_time, actual_duration_hours, rate_per_hour, cost, status";

/// Sessions with an out time, in out-time order (merged with the CAR_OUT events).
pub fn closed_sessions_sql() -> String {
    format!(
        "SELECT {SESSION_COLUMNS} FROM parking_sessions WHERE out_time IS NOT NULL \
         ORDER BY out_time"
    )
}

/// Sessions without an out time (active ones, and malformed completed ones).
pub fn open_sessions_sql() -> String {
    format!("SELECT {SESSION_COLUMNS} FROM parking_sessions WHERE out_time IS NULL")
}

/// One session by id.
pub fn session_by_id_sql() -> String {
    format!("SELECT {SESSION_COLUMNS} FROM parking_sessions WHERE session_id = ?1")
}

/// Parses a hyphenated UUID (either case) without allocating.
pub fn parse_id(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut v: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let d = (c as char).to_digit(16)?;
        v = (v << 4) | d as u128;
    }
    Some(v)
}

fn type_name(v: ValueRef<'_>) -> &'static str {
    match v {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a real",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "a blob",
    }
}

/// Column `i` as text.
pub fn text<'r>(row: &'r Row<'_>, i: usize) -> Result<&'r str, String> {
    match row.get_ref(i) {
        Ok(ValueRef::Text(b)) => std::str::from_utf8(b).map_err(|_| "text is not UTF-8".into()),
        Ok(v) => Err(format!(
            "{} is {}, not text",
            column_name(row, i),
            type_name(v)
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Column `i` as an integer.
pub fn int(row: &Row<'_>, i: usize) -> Result<i64, String> {
    match row.get_ref(i) {
        Ok(ValueRef::Integer(v)) => Ok(v),
        Ok(v) => Err(format!(
            "{} is {}, not an integer",
            column_name(row, i),
            type_name(v)
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Column `i` as a number or NULL.
pub fn real(row: &Row<'_>, i: usize) -> Result<Option<f64>, String> {
    match row.get_ref(i) {
        Ok(ValueRef::Null) => Ok(None),
        Ok(ValueRef::Real(v)) => Ok(Some(v)),
        Ok(ValueRef::Integer(v)) => Ok(Some(v as f64)),
        Ok(v) => Err(format!(
            "{} is {}, not a number",
            column_name(row, i),
            type_name(v)
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn column_name(row: &Row<'_>, i: usize) -> String {
    row.as_ref()
        .column_name(i)
        .map(str::to_owned)
        .unwrap_or_else(|_| format!("column {i}"))
}

fn time(row: &Row<'_>, i: usize) -> Result<Millis, String> {
    let t = text(row, i)?;
    parse_time(t).ok_or_else(|| {
        format!(
            "{} '{t}' is not a timestamp like 2025-01-01T05:00:00.000Z",
            column_name(row, i)
        )
    })
}

fn id(row: &Row<'_>, i: usize) -> Result<u128, String> {
    let t = text(row, i)?;
    parse_id(t).ok_or_else(|| format!("{} '{t}' is not a UUID", column_name(row, i)))
}

fn set(buf: &mut String, s: &str) {
    buf.clear();
    buf.push_str(s);
}

/// One event, decoded into reusable buffers (no allocation per row once warm).
#[derive(Clone, Debug)]
pub struct EventRow {
    /// `event_id` as 128 bits.
    pub event_id: u128,
    /// `event_id` as stored.
    pub event_text: String,
    /// `event_type`.
    pub kind: EventKind,
    /// `session_id` as 128 bits.
    pub session_id: u128,
    /// `session_id` as stored.
    pub session_text: String,
    /// `facility_id`.
    pub facility_id: i64,
    /// `facility_name`.
    pub facility_name: String,
    /// `district`.
    pub district: String,
    /// `license_plate`.
    pub plate: String,
    /// `license_plate_state`.
    pub state: String,
    /// `event_time`.
    pub time: Millis,
    /// `available_spots_after`.
    pub available: i64,
    /// `parking_duration_hours`.
    pub duration: Option<f64>,
    /// `cost`.
    pub cost: Option<f64>,
}

impl Default for EventRow {
    fn default() -> Self {
        EventRow {
            event_id: 0,
            event_text: String::new(),
            kind: EventKind::CarIn,
            session_id: 0,
            session_text: String::new(),
            facility_id: 0,
            facility_name: String::new(),
            district: String::new(),
            plate: String::new(),
            state: String::new(),
            time: 0,
            available: 0,
            duration: None,
            cost: None,
        }
    }
}

impl EventRow {
    /// Decodes a row of [`EVENT_SQL`]; on error `event_text` names the row as far as known.
    pub fn read(&mut self, row: &Row<'_>) -> Result<(), String> {
        self.event_text.clear();
        set(&mut self.event_text, text(row, 0)?);
        self.event_id = id(row, 0)?;
        self.kind = match text(row, 1)? {
            "CAR_IN" => EventKind::CarIn,
            "CAR_OUT" => EventKind::CarOut,
            other => {
                return Err(format!(
                    "event_type '{other}' is neither CAR_IN nor CAR_OUT"
                ))
            }
        };
        set(&mut self.session_text, text(row, 2)?);
        self.session_id = id(row, 2)?;
        self.facility_id = int(row, 3)?;
        set(&mut self.facility_name, text(row, 4)?);
        set(&mut self.district, text(row, 5)?);
        set(&mut self.plate, text(row, 6)?);
        set(&mut self.state, text(row, 7)?);
        self.time = time(row, 8)?;
        self.available = int(row, 9)?;
        self.duration = real(row, 10)?;
        self.cost = real(row, 11)?;
        Ok(())
    }
}

/// One session row.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRow {
    /// `session_id` as 128 bits.
    pub session_id: u128,
    /// `session_id` as stored.
    pub session_text: String,
    /// `license_plate`.
    pub plate: String,
    /// `license_plate_state`.
    pub state: String,
    /// `facility_id`.
    pub facility_id: i64,
    /// `facility_name`.
    pub facility_name: String,
    /// `district`.
    pub district: String,
    /// `in_time`.
    pub in_time: Millis,
    /// `out_time`.
    pub out_time: Option<Millis>,
    /// `actual_duration_hours`.
    pub duration: Option<f64>,
    /// `rate_per_hour`.
    pub rate: f64,
    /// `cost`.
    pub cost: Option<f64>,
    /// `status`.
    pub status: String,
}

impl SessionRow {
    /// Decodes a row of the session queries; the error names the session when it can.
    pub fn read(row: &Row<'_>) -> Result<SessionRow, String> {
        let session_text = text(row, 0)?.to_owned();
        let with_id = |e: String| format!("session {session_text}: {e}");
        let read = || -> Result<SessionRow, String> {
            let out_time = match row.get_ref(7) {
                Ok(ValueRef::Null) => None,
                _ => Some(time(row, 7)?),
            };
            Ok(SessionRow {
                session_id: id(row, 0)?,
                session_text: session_text.clone(),
                plate: text(row, 1)?.to_owned(),
                state: text(row, 2)?.to_owned(),
                facility_id: int(row, 3)?,
                facility_name: text(row, 4)?.to_owned(),
                district: text(row, 5)?.to_owned(),
                in_time: time(row, 6)?,
                out_time,
                duration: real(row, 8)?,
                rate: real(row, 9)?.unwrap_or(f64::NAN),
                cost: real(row, 10)?,
                status: text(row, 11)?.to_owned(),
            })
        };
        read().map_err(with_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_like_the_model_parser() {
        for s in [
            "01234567-89ab-4def-8123-456789abcdef",
            "01234567-89AB-4DEF-8123-456789ABCDEF",
        ] {
            assert_eq!(parse_id(s), crate::model::parse_uuid(s));
            assert!(parse_id(s).is_some());
        }
        assert_eq!(parse_id("0123456789ab-4def-8123-456789abcdef-"), None);
        assert_eq!(parse_id("01234567-89ab-4def-8123-456789abcdeg"), None);
        assert_eq!(parse_id(""), None);
    }

    #[test]
    fn run_ids_name_tags() {
        assert_eq!(run_tag("0ab"), Some(0xab));
        assert_eq!(run_tag("fff"), Some(0xfff));
        assert_eq!(run_tag("1"), Some(1));
        assert_eq!(run_tag("0123abcd"), None);
        assert_eq!(run_tag("xyz"), None);
        assert_eq!(run_tag(""), None);
    }
}
