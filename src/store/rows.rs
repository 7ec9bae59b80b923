//! Writing events and sessions: the engine's compact rows formatted into the table columns,
//! inserted with multi-row statements of `batch` rows bound in place (no per-row allocation).

use rusqlite::{Statement, Transaction};

use crate::catalog::Catalog;
use crate::model::{dollars, format_time, format_uuid, hours_2dp, Event, EventKind, Session};

/// SQLite allows 32,766 bound values per statement; 13 columns a row caps a batch here.
pub const MAX_ROWS_PER_STATEMENT: usize = 2_500;

const EVENT_COLUMNS: usize = 13;
const SESSION_COLUMNS: usize = 12;

fn multi_row_sql(head: &str, columns: usize, rows: usize) -> String {
    let one = format!("({})", vec!["?"; columns].join(","));
    let mut sql = String::with_capacity(head.len() + rows * (one.len() + 1));
    sql.push_str(head);
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&one);
    }
    sql
}

/// Reusable text buffers for formatting one row.
struct Scratch {
    id: [u8; 36],
    id2: [u8; 36],
    time: [u8; 24],
    time2: [u8; 24],
    plate: String,
    pattern: String,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            id: [0; 36],
            id2: [0; 36],
            time: [0; 24],
            time2: [0; 24],
            plate: String::with_capacity(12),
            pattern: String::with_capacity(64),
        }
    }
}

/// Formats and inserts rows for one catalog.
pub struct RowWriter<'a> {
    catalog: &'a Catalog,
    batch: usize,
    scratch: Scratch,
}

impl<'a> RowWriter<'a> {
    /// A writer using statements of `batch` rows (capped at [`MAX_ROWS_PER_STATEMENT`]).
    pub fn new(catalog: &'a Catalog, batch: usize) -> Self {
        RowWriter {
            catalog,
            batch: batch.clamp(1, MAX_ROWS_PER_STATEMENT),
            scratch: Scratch::default(),
        }
    }

    /// Inserts events.
    pub fn insert_events(&mut self, tx: &Transaction, events: &[Event]) -> rusqlite::Result<()> {
        let head = "INSERT INTO parking_events (event_id, event_type, session_id, facility_id, facility_name, district, license_plate, license_plate_state, event_time, available_spots_after, parking_duration_hours, cost, traffic_pattern) VALUES ";
        for chunk in events.chunks(self.batch) {
            let mut stmt = tx.prepare_cached(&multi_row_sql(head, EVENT_COLUMNS, chunk.len()))?;
            for (i, e) in chunk.iter().enumerate() {
                self.bind_event(&mut stmt, i * EVENT_COLUMNS, e)?;
            }
            stmt.raw_execute()?;
        }
        Ok(())
    }

    /// Inserts sessions; with `replace`, a session already stored (an active row) is replaced.
    pub fn insert_sessions(
        &mut self,
        tx: &Transaction,
        sessions: &[Session],
        replace: bool,
    ) -> rusqlite::Result<()> {
        let head = if replace {
            "INSERT OR REPLACE INTO parking_sessions (session_id, license_plate, license_plate_state, facility_id, facility_name, district, in_time, out_time, actual_duration_hours, rate_per_hour, cost, status) VALUES "
        } else {
            "INSERT INTO parking_sessions (session_id, license_plate, license_plate_state, facility_id, facility_name, district, in_time, out_time, actual_duration_hours, rate_per_hour, cost, status) VALUES "
        };
        for chunk in sessions.chunks(self.batch) {
            let mut stmt = tx.prepare_cached(&multi_row_sql(head, SESSION_COLUMNS, chunk.len()))?;
            for (i, s) in chunk.iter().enumerate() {
                self.bind_session(&mut stmt, i * SESSION_COLUMNS, s)?;
            }
            stmt.raw_execute()?;
        }
        Ok(())
    }

    fn bind_event(&mut self, stmt: &mut Statement, base: usize, e: &Event) -> rusqlite::Result<()> {
        let fac = &self.catalog.facilities[e.facility as usize];
        let district = &self.catalog.districts[fac.district].name;
        let sc = &mut self.scratch;
        let state = self.catalog.plates.render(e.plate, &mut sc.plate);
        e.pattern.render(district, e.kind, &mut sc.pattern);
        stmt.raw_bind_parameter(base + 1, format_uuid(e.event_id, &mut sc.id))?;
        stmt.raw_bind_parameter(base + 2, e.kind.as_str())?;
        stmt.raw_bind_parameter(base + 3, format_uuid(e.session_id, &mut sc.id2))?;
        stmt.raw_bind_parameter(base + 4, fac.id)?;
        stmt.raw_bind_parameter(base + 5, fac.name.as_str())?;
        stmt.raw_bind_parameter(base + 6, district.as_str())?;
        stmt.raw_bind_parameter(base + 7, sc.plate.as_str())?;
        stmt.raw_bind_parameter(base + 8, state)?;
        stmt.raw_bind_parameter(base + 9, format_time(e.time, &mut sc.time))?;
        stmt.raw_bind_parameter(base + 10, e.available_after)?;
        if e.kind == EventKind::CarOut {
            stmt.raw_bind_parameter(base + 11, hours_2dp(e.duration_ms))?;
            stmt.raw_bind_parameter(base + 12, dollars(e.cost_cents))?;
        } else {
            stmt.raw_bind_parameter(base + 11, rusqlite::types::Null)?;
            stmt.raw_bind_parameter(base + 12, rusqlite::types::Null)?;
        }
        stmt.raw_bind_parameter(base + 13, sc.pattern.as_str())
    }

    fn bind_session(
        &mut self,
        stmt: &mut Statement,
        base: usize,
        s: &Session,
    ) -> rusqlite::Result<()> {
        let fac = &self.catalog.facilities[s.facility as usize];
        let district = &self.catalog.districts[fac.district].name;
        let sc = &mut self.scratch;
        let state = self.catalog.plates.render(s.plate, &mut sc.plate);
        stmt.raw_bind_parameter(base + 1, format_uuid(s.session_id, &mut sc.id))?;
        stmt.raw_bind_parameter(base + 2, sc.plate.as_str())?;
        stmt.raw_bind_parameter(base + 3, state)?;
        stmt.raw_bind_parameter(base + 4, fac.id)?;
        stmt.raw_bind_parameter(base + 5, fac.name.as_str())?;
        stmt.raw_bind_parameter(base + 6, district.as_str())?;
        stmt.raw_bind_parameter(base + 7, format_time(s.in_time, &mut sc.time))?;
        match s.out_time {
            Some(out) => {
                stmt.raw_bind_parameter(base + 8, format_time(out, &mut sc.time2))?;
                stmt.raw_bind_parameter(base + 9, hours_2dp(out - s.in_time))?;
                stmt.raw_bind_parameter(base + 11, dollars(s.cost_cents))?;
            }
            None => {
                stmt.raw_bind_parameter(base + 8, rusqlite::types::Null)?;
                stmt.raw_bind_parameter(base + 9, rusqlite::types::Null)?;
                stmt.raw_bind_parameter(base + 11, rusqlite::types::Null)?;
            }
        }
        stmt.raw_bind_parameter(base + 10, fac.rate_per_hour())?;
        stmt.raw_bind_parameter(base + 12, s.status.as_str())
    }
}
