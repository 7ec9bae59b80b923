//! Reading the newest events of a run back as engine rows, so the window's event stream shows
//! what happened before the app was closed. Values come back as they were written: durations
//! at the stored 0.01 h, costs in cents.

use rusqlite::Row;

use super::{Store, StoreError};
use crate::catalog::Catalog;
use crate::model::{parse_time, parse_uuid, Event, EventKind, PatternTag, HOUR_MS};

impl Store {
    /// The newest `limit` events whose ids carry run tag `tag`, oldest first. Rows that do not
    /// read back (edited by hand, another catalog's facility) are skipped: this only feeds a
    /// display.
    pub fn recent_events(
        &self,
        catalog: &Catalog,
        tag: u16,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        // The tag is the 3 hex digits after the version digit (`xxxxxxxx-xxxx-7TTT-...`), and
        // ids start with their time, so the primary key read backwards gives the newest first.
        let sql = "SELECT event_id, event_type, session_id, facility_id, license_plate, license_plate_state,
                          event_time, available_spots_after, parking_duration_hours, cost, traffic_pattern
                   FROM parking_events WHERE lower(substr(event_id, 16, 3)) = ?1
                   ORDER BY event_id DESC LIMIT ?2";
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let tag_text = format!("{:03x}", tag & 0xFFF);
        let rows = stmt
            .query_map(rusqlite::params![tag_text, limit as i64], |r| {
                Ok(read_event(catalog, r))
            })
            .map_err(|e| self.err(e))?;
        let mut events = Vec::with_capacity(limit.min(65_536));
        for row in rows {
            if let Some(e) = row.map_err(|e| self.err(e))? {
                events.push(e);
            }
        }
        events.reverse();
        Ok(events)
    }
}

fn read_event(catalog: &Catalog, r: &Row) -> Option<Event> {
    let text = |i: usize| r.get::<_, String>(i).ok();
    let kind = match text(1)?.as_str() {
        "CAR_IN" => EventKind::CarIn,
        "CAR_OUT" => EventKind::CarOut,
        _ => return None,
    };
    let facility_id = r.get::<_, i64>(3).ok()?;
    let facility = catalog
        .facilities
        .iter()
        .position(|f| i64::from(f.id) == facility_id)?;
    let hours = r.get::<_, Option<f64>>(8).ok()?.unwrap_or(0.0);
    let dollars = r.get::<_, Option<f64>>(9).ok()?.unwrap_or(0.0);
    Some(Event {
        event_id: parse_uuid(&text(0)?)?,
        session_id: parse_uuid(&text(2)?)?,
        kind,
        facility: u16::try_from(facility).ok()?,
        plate: catalog.plates.parse(&text(5)?, &text(4)?)?,
        time: parse_time(&text(6)?)?,
        available_after: u32::try_from(r.get::<_, i64>(7).ok()?).ok()?,
        duration_ms: (hours * HOUR_MS as f64).round() as i64,
        cost_cents: (dollars * 100.0).round() as i64,
        pattern: PatternTag::parse(&text(10)?)?,
    })
}
