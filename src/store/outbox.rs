//! The durable outbox of the Snowflake live feed (`stream_outbox` in `sql/sqlite_schema.sql`).
//!
//! Live rows that must reach Snowflake are written here as NDJSON objects in the same
//! transaction as the live commit, so a row is either in both the local tables and the outbox or
//! in neither. The feed reads them in `seq` order, sends `seq` as the offset token, and deletes
//! them only once the channel's committed offset has passed them. `seq` is an AUTOINCREMENT key:
//! it never goes back, even after deletes, which is what makes it usable as an offset token.

use rusqlite::{params, OptionalExtension, Transaction};

use super::{Store, StoreError};
use crate::catalog::Catalog;
use crate::model::{dollars, format_time, format_uuid, hours_2dp, Event, EventKind, Session};

/// The Snowflake table a row streams to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamTable {
    /// PARKING_EVENTS.
    Events,
    /// PARKING_SESSIONS (one row per change: active at CAR_IN, completed at CAR_OUT).
    Sessions,
}

impl StreamTable {
    /// Both tables, in the order they are served.
    pub const ALL: [StreamTable; 2] = [StreamTable::Events, StreamTable::Sessions];

    /// The value of the outbox's `tbl` column.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamTable::Events => "EVENTS",
            StreamTable::Sessions => "SESSIONS",
        }
    }
}

/// One row waiting in the outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxRow {
    /// Its position in the outbox (the offset token of the batch that ends with it).
    pub seq: i64,
    /// Wall-clock milliseconds when it was generated.
    pub created_ms: i64,
    /// One JSON object without OFFSET_TOKEN.
    pub row: String,
}

/// How much waits in the outbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Event rows.
    pub events: u64,
    /// Session-change rows.
    pub sessions: u64,
    /// Wall-clock milliseconds of the oldest row, if any.
    pub oldest_created_ms: Option<i64>,
}

impl Backlog {
    /// All rows.
    pub fn total(&self) -> u64 {
        self.events + self.sessions
    }
}

/// Appends `s` as a JSON string literal.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_key(out: &mut String, key: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
}

fn push_num(out: &mut String, key: &str, v: Option<f64>) {
    push_key(out, key);
    match v {
        // Display of a finite f64 is valid JSON (`2.5`, `3`); costs and hours are never NaN.
        Some(v) if v.is_finite() => out.push_str(&v.to_string()),
        _ => out.push_str("null"),
    }
}

fn push_text(out: &mut String, key: &str, v: Option<&str>) {
    push_key(out, key);
    match v {
        Some(v) => push_str(out, v),
        None => out.push_str("null"),
    }
}

/// The JSON object of an event, with the column names of the Snowflake table.
pub fn event_json(catalog: &Catalog, e: &Event) -> String {
    let fac = &catalog.facilities[e.facility as usize];
    let district = &catalog.districts[fac.district].name;
    let mut plate = String::with_capacity(12);
    let state = catalog.plates.render(e.plate, &mut plate).to_string();
    let mut pattern = String::with_capacity(64);
    e.pattern.render(district, e.kind, &mut pattern);
    let (mut id, mut sid, mut time) = ([0u8; 36], [0u8; 36], [0u8; 24]);
    let out_event = e.kind == EventKind::CarOut;
    let mut o = String::with_capacity(400);
    o.push('{');
    push_text(&mut o, "EVENT_ID", Some(format_uuid(e.event_id, &mut id)));
    push_text(&mut o, "EVENT_TYPE", Some(e.kind.as_str()));
    push_text(
        &mut o,
        "SESSION_ID",
        Some(format_uuid(e.session_id, &mut sid)),
    );
    push_num(&mut o, "FACILITY_ID", Some(fac.id as f64));
    push_text(&mut o, "FACILITY_NAME", Some(&fac.name));
    push_text(&mut o, "DISTRICT", Some(district));
    push_text(&mut o, "LICENSE_PLATE", Some(&plate));
    push_text(&mut o, "LICENSE_PLATE_STATE", Some(&state));
    push_text(&mut o, "EVENT_TIME", Some(format_time(e.time, &mut time)));
    push_num(
        &mut o,
        "AVAILABLE_SPOTS_AFTER",
        Some(e.available_after as f64),
    );
    push_num(
        &mut o,
        "PARKING_DURATION_HOURS",
        out_event.then(|| hours_2dp(e.duration_ms)),
    );
    push_num(&mut o, "COST", out_event.then(|| dollars(e.cost_cents)));
    push_text(&mut o, "TRAFFIC_PATTERN", Some(&pattern));
    o.push('}');
    o
}

/// The JSON object of a session's state, with the column names of the Snowflake table.
pub fn session_json(catalog: &Catalog, s: &Session) -> String {
    let fac = &catalog.facilities[s.facility as usize];
    let district = &catalog.districts[fac.district].name;
    let mut plate = String::with_capacity(12);
    let state = catalog.plates.render(s.plate, &mut plate).to_string();
    let (mut id, mut t_in, mut t_out) = ([0u8; 36], [0u8; 24], [0u8; 24]);
    let mut o = String::with_capacity(400);
    o.push('{');
    push_text(
        &mut o,
        "SESSION_ID",
        Some(format_uuid(s.session_id, &mut id)),
    );
    push_text(&mut o, "LICENSE_PLATE", Some(&plate));
    push_text(&mut o, "LICENSE_PLATE_STATE", Some(&state));
    push_num(&mut o, "FACILITY_ID", Some(fac.id as f64));
    push_text(&mut o, "FACILITY_NAME", Some(&fac.name));
    push_text(&mut o, "DISTRICT", Some(district));
    push_text(&mut o, "IN_TIME", Some(format_time(s.in_time, &mut t_in)));
    push_text(
        &mut o,
        "OUT_TIME",
        s.out_time.map(|t| format_time(t, &mut t_out)),
    );
    push_num(
        &mut o,
        "ACTUAL_DURATION_HOURS",
        s.out_time.map(|t| hours_2dp(t - s.in_time)),
    );
    push_num(&mut o, "RATE_PER_HOUR", Some(fac.rate_per_hour()));
    push_num(&mut o, "COST", s.out_time.map(|_| dollars(s.cost_cents)));
    push_text(&mut o, "STATUS", Some(s.status.as_str()));
    o.push('}');
    o
}

/// Writes live rows to the outbox inside the live commit's transaction: events first, then
/// the sessions that began, then those that completed, so a session's active row always has a
/// lower `seq` than its completed row.
pub(crate) fn write(
    tx: &Transaction,
    catalog: &Catalog,
    events: &[Event],
    started: &[Session],
    completed: &[Session],
    created_ms: i64,
) -> rusqlite::Result<()> {
    let mut stmt =
        tx.prepare_cached("INSERT INTO stream_outbox (tbl, created_ms, row) VALUES (?1, ?2, ?3)")?;
    for e in events {
        stmt.execute(params!["EVENTS", created_ms, event_json(catalog, e)])?;
    }
    for s in started.iter().chain(completed) {
        stmt.execute(params!["SESSIONS", created_ms, session_json(catalog, s)])?;
    }
    Ok(())
}

impl Store {
    /// This store file's installation id (16 hex digits), created on first use. Streaming
    /// channels are named after it so that the same file reopens the same channels (and
    /// resumes from their committed offsets), while another file never shares them.
    pub fn installation_id(&mut self) -> Result<String, StoreError> {
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let conn = self.conn();
        let found: Option<String> = conn
            .query_row(
                "SELECT value FROM store_meta WHERE key = 'installation_id'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        if let Some(id) = found {
            return Ok(id);
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let id = format!(
            "{:016x}",
            crate::engine::rng::mix64(nanos ^ (std::process::id() as u64) << 32 ^ 0x1D5E_ED00)
        );
        // INSERT OR IGNORE + re-read: two processes racing agree on the first id written.
        conn.execute(
            "INSERT OR IGNORE INTO store_meta (key, value) VALUES ('installation_id', ?1)",
            params![id],
        )
        .map_err(err)?;
        conn.query_row(
            "SELECT value FROM store_meta WHERE key = 'installation_id'",
            [],
            |r| r.get(0),
        )
        .map_err(err)
    }

    /// Appends prepared rows (creation time, JSON object) to the outbox in one transaction.
    /// The live runner writes through its commit instead; this serves tools and benchmarks.
    pub fn outbox_push(
        &mut self,
        table: StreamTable,
        rows: &[(i64, String)],
    ) -> Result<(), StoreError> {
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn().transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO stream_outbox (tbl, created_ms, row) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?;
            for (created, row) in rows {
                stmt.execute(params![table.as_str(), created, row])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Up to `max_rows` rows of `table` after `after_seq`, stopping before `max_bytes` of row
    /// text (at least one row is returned when any is waiting).
    pub fn outbox_batch(
        &mut self,
        table: StreamTable,
        after_seq: i64,
        max_rows: usize,
        max_bytes: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT seq, created_ms, row FROM stream_outbox WHERE tbl = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(
                params![table.as_str(), after_seq, max_rows.max(1) as i64],
                |r| {
                    Ok(OutboxRow {
                        seq: r.get(0)?,
                        created_ms: r.get(1)?,
                        row: r.get(2)?,
                    })
                },
            )
            .map_err(err)?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for row in rows {
            let row = row.map_err(err)?;
            bytes += row.row.len() + 1;
            if !out.is_empty() && bytes > max_bytes {
                break;
            }
            out.push(row);
        }
        Ok(out)
    }

    /// Deletes the rows of `table` up to and including `upto_seq` (Snowflake committed them)
    /// and returns their creation times, oldest first.
    pub fn outbox_ack(
        &mut self,
        table: StreamTable,
        upto_seq: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn().transaction().map_err(err)?;
        let created = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT created_ms FROM stream_outbox WHERE tbl = ?1 AND seq <= ?2 ORDER BY seq",
                )
                .map_err(err)?;
            let rows = stmt
                .query_map(params![table.as_str(), upto_seq], |r| r.get::<_, i64>(0))
                .map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)?
        };
        tx.execute(
            "DELETE FROM stream_outbox WHERE tbl = ?1 AND seq <= ?2",
            params![table.as_str(), upto_seq],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(created)
    }

    /// How many rows wait in the outbox.
    pub fn outbox_backlog(&mut self) -> Result<Backlog, StoreError> {
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT tbl, count(*), min(created_ms) FROM stream_outbox GROUP BY tbl")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .map_err(err)?;
        let mut b = Backlog::default();
        for row in rows {
            let (tbl, n, oldest) = row.map_err(err)?;
            match tbl.as_str() {
                "EVENTS" => b.events = n as u64,
                _ => b.sessions += n as u64,
            }
            b.oldest_created_ms = match (b.oldest_created_ms, oldest) {
                (Some(a), Some(o)) => Some(a.min(o)),
                (a, o) => a.or(o),
            };
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_quotes_backslashes_and_controls() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\nd");
        assert_eq!(s, r#""a\"b\\c\u000ad""#);
        let v: serde_json::Value = serde_json::from_str(&s).expect("valid JSON");
        assert_eq!(v, serde_json::json!("a\"b\\c\nd"));
    }
}
