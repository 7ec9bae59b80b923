//! The live simulator's saved state: where its clock stands, its speed, its seed and run, the
//! counters of every facility and the cars parked now with their planned departures. It is
//! committed in the same transaction as the live rows it goes with, so the state on disk
//! always matches the events on disk: reopening the app continues exactly after the last
//! committed event, with the same cars parked.
//!
//! The tables live beside the schema of `sql/sqlite_schema.sql` and are created on first use.

use rusqlite::{params, OptionalExtension, Transaction};

use super::{RowWriter, Store, StoreError};
use crate::catalog::Catalog;
use crate::engine::{FacilityCounters, ParkedCar};
use crate::model::{
    format_uuid, parse_uuid, time_string, Event, Millis, PatternTag, PlateCode, Session,
};

/// The live state tables (idempotent).
pub const LIVE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS live_state (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    run_id              TEXT    NOT NULL,
    tag                 INTEGER NOT NULL,
    seed                INTEGER NOT NULL,
    segment             INTEGER NOT NULL,
    volume              TEXT    NOT NULL,
    plate_preset        TEXT    NOT NULL,
    catalog_fingerprint TEXT    NOT NULL,
    clock_ms            INTEGER NOT NULL,
    speed               REAL    NOT NULL,
    updated_at          TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS live_facilities (
    facility     INTEGER PRIMARY KEY,
    cars_in      INTEGER NOT NULL,
    cars_out     INTEGER NOT NULL,
    turned_away  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS live_parked (
    session_id  TEXT    NOT NULL PRIMARY KEY,
    facility    INTEGER NOT NULL,
    in_event    TEXT    NOT NULL,
    plate       INTEGER NOT NULL,
    in_time     INTEGER NOT NULL,
    out_time    INTEGER NOT NULL,
    in_hour     INTEGER NOT NULL,
    in_tag      INTEGER NOT NULL
) WITHOUT ROWID;
";

/// What identifies the live run and where its clock stands.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveHeader {
    /// The run's id in the `runs` table (3 hex digits).
    pub run_id: String,
    /// The tag its ids carry.
    pub tag: u16,
    /// The live run's base seed.
    pub seed: u64,
    /// How many times the simulator was rebuilt from a saved state; each rebuild draws from
    /// streams derived from (seed, segment), so a continued run never repeats an id.
    pub segment: u32,
    /// Volume preset name.
    pub volume: String,
    /// Plate preset name.
    pub plate_preset: String,
    /// Fingerprint of the catalog simulated (hex); another catalog cannot continue this state.
    pub catalog_fingerprint: String,
    /// The simulated instant up to which every event is committed.
    pub clock_ms: Millis,
    /// The speed factor last used.
    pub speed: f64,
}

/// A saved live state, as loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveState {
    /// Run, seed and clock.
    pub header: LiveHeader,
    /// Counters by facility index (zero for facilities without a row).
    pub counters: Vec<FacilityCounters>,
    /// The cars parked, by facility index.
    pub parked: Vec<Vec<ParkedCar>>,
}

/// One commit of live rows and the state that goes with them.
pub struct LiveCommit<'a> {
    /// Run, seed and clock after these rows.
    pub header: &'a LiveHeader,
    /// New events, in time order.
    pub events: &'a [Event],
    /// Sessions that began (written as `active` rows before `completed`).
    pub started: &'a [Session],
    /// Sessions that completed (replacing their `active` rows).
    pub completed: &'a [Session],
    /// Cars that arrived and must be saved as parked (facility index, car).
    pub arrived: &'a [(u16, ParkedCar)],
    /// Sessions whose cars left (removed from the parked cars after `arrived` is saved).
    pub departed: &'a [u128],
    /// Counters of every facility after these rows.
    pub counters: &'a [FacilityCounters],
    /// With the Snowflake feed on: the wall-clock time the rows were generated; the events and
    /// session changes are then also written to the streaming outbox, in this transaction.
    pub outbox_created_ms: Option<i64>,
}

/// Packs a pattern tag into an integer column.
fn pack_tag(t: &PatternTag) -> i64 {
    (t.weekend as i64)
        | (t.peak_hour as i64) << 1
        | (t.holiday as i64) << 2
        | (t.spike as i64) << 3
        | (t.burst as i64) << 4
        | (t.mult_tenths as i64) << 8
}

/// The inverse of [`pack_tag`].
fn unpack_tag(v: i64) -> PatternTag {
    PatternTag {
        weekend: v & 1 != 0,
        peak_hour: v & 2 != 0,
        holiday: v & 4 != 0,
        spike: v & 8 != 0,
        burst: v & 16 != 0,
        mult_tenths: ((v >> 8) & 0xFF) as u8,
    }
}

impl Store {
    fn ensure_live_tables(&mut self) -> Result<(), StoreError> {
        let path = self.path().to_path_buf();
        self.conn()
            .execute_batch(LIVE_SCHEMA)
            .map_err(|e| StoreError::from_sqlite(&path, e))
    }

    /// The saved live state, if there is one.
    pub fn load_live_state(&mut self, catalog: &Catalog) -> Result<Option<LiveState>, StoreError> {
        self.ensure_live_tables()?;
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let conn = self.conn();
        let header = conn
            .query_row(
                "SELECT run_id, tag, seed, segment, volume, plate_preset, catalog_fingerprint, clock_ms, speed FROM live_state WHERE id = 1",
                [],
                |r| {
                    Ok(LiveHeader {
                        run_id: r.get(0)?,
                        tag: r.get::<_, i64>(1)? as u16,
                        seed: r.get::<_, i64>(2)? as u64,
                        segment: r.get::<_, i64>(3)? as u32,
                        volume: r.get(4)?,
                        plate_preset: r.get(5)?,
                        catalog_fingerprint: r.get(6)?,
                        clock_ms: r.get(7)?,
                        speed: r.get(8)?,
                    })
                },
            )
            .optional()
            .map_err(err)?;
        let Some(header) = header else {
            return Ok(None);
        };
        let n = catalog.facilities.len();
        let mut counters = vec![FacilityCounters::default(); n];
        {
            let mut stmt = conn
                .prepare("SELECT facility, cars_in, cars_out, turned_away FROM live_facilities")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        FacilityCounters {
                            cars_in: r.get::<_, i64>(1)? as u64,
                            cars_out: r.get::<_, i64>(2)? as u64,
                            turned_away: r.get::<_, i64>(3)? as u64,
                        },
                    ))
                })
                .map_err(err)?;
            for row in rows {
                let (f, c) = row.map_err(err)?;
                if let Some(slot) = usize::try_from(f).ok().and_then(|f| counters.get_mut(f)) {
                    *slot = c;
                }
            }
        }
        let mut parked = vec![Vec::new(); n];
        {
            let mut stmt = conn
                .prepare("SELECT facility, session_id, in_event, plate, in_time, out_time, in_hour, in_tag FROM live_parked ORDER BY facility, in_time, session_id")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, i64>(7)?,
                    ))
                })
                .map_err(err)?;
            for row in rows {
                let (f, session, in_event, plate, in_time, out_time, in_hour, in_tag) =
                    row.map_err(err)?;
                // A row that does not parse (edited by hand) is skipped rather than failing the
                // whole state: the car simply is not parked any more.
                let (Some(session_id), Some(in_event)) =
                    (parse_uuid(&session), parse_uuid(&in_event))
                else {
                    continue;
                };
                let Some(list) = usize::try_from(f).ok().and_then(|f| parked.get_mut(f)) else {
                    continue;
                };
                list.push(ParkedCar {
                    session_id,
                    in_event,
                    plate: PlateCode(plate as u64),
                    in_time,
                    out_time,
                    in_hour: in_hour.clamp(0, 23) as u8,
                    in_tag: unpack_tag(in_tag),
                });
            }
        }
        Ok(Some(LiveState {
            header,
            counters,
            parked,
        }))
    }

    /// Writes live rows, the parked cars and the clock in one transaction, and adds the rows to
    /// the live run's totals in `runs`.
    pub fn commit_live(
        &mut self,
        catalog: &Catalog,
        batch: usize,
        c: &LiveCommit<'_>,
    ) -> Result<(), StoreError> {
        self.ensure_live_tables()?;
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn().transaction().map_err(err)?;
        {
            let mut w = RowWriter::new(catalog, batch);
            w.insert_events(&tx, c.events).map_err(err)?;
            w.insert_sessions(&tx, c.started, true).map_err(err)?;
            w.insert_sessions(&tx, c.completed, true).map_err(err)?;
            write_parked(&tx, c).map_err(err)?;
            write_header(&tx, c.header).map_err(err)?;
            if let Some(created_ms) = c.outbox_created_ms {
                super::outbox::write(&tx, catalog, c.events, c.started, c.completed, created_ms)
                    .map_err(err)?;
            }
            let mut stmt = tx.prepare_cached("INSERT OR REPLACE INTO live_facilities (facility, cars_in, cars_out, turned_away) VALUES (?1, ?2, ?3, ?4)").map_err(err)?;
            for (f, k) in c.counters.iter().enumerate() {
                stmt.execute(params![
                    f as i64,
                    k.cars_in as i64,
                    k.cars_out as i64,
                    k.turned_away as i64
                ])
                .map_err(err)?;
            }
            let turned_away: u64 = c.counters.iter().map(|k| k.turned_away).sum();
            tx.execute(
                "UPDATE runs SET events_written = events_written + ?2, sessions_written = sessions_written + ?3, turned_away = ?4, updated_at = ?5 WHERE run_id = ?1",
                params![c.header.run_id, c.events.len() as i64, c.completed.len() as i64, turned_away as i64, time_string(chrono::Utc::now().timestamp_millis())],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Saves only the header (clock, speed, segment), e.g. when the simulator stops or rebuilds.
    pub fn save_live_header(&mut self, header: &LiveHeader) -> Result<(), StoreError> {
        self.ensure_live_tables()?;
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn().transaction().map_err(err)?;
        write_header(&tx, header).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Forgets the live state (the rows already written stay) and marks its run finished.
    pub fn clear_live_state(&mut self) -> Result<(), StoreError> {
        self.ensure_live_tables()?;
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn().transaction().map_err(err)?;
        tx.execute(
            "UPDATE runs SET status = 'finished', updated_at = ?1 WHERE kind = 'live' AND run_id IN (SELECT run_id FROM live_state)",
            params![time_string(chrono::Utc::now().timestamp_millis())],
        )
        .map_err(err)?;
        tx.execute_batch(
            "DELETE FROM live_parked; DELETE FROM live_facilities; DELETE FROM live_state;",
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// How many cars the saved live state has parked (0 without a state).
    pub fn live_parked_count(&mut self) -> Result<u64, StoreError> {
        self.ensure_live_tables()?;
        let path = self.path().to_path_buf();
        self.conn()
            .query_row("SELECT count(*) FROM live_parked", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| StoreError::from_sqlite(&path, e))
    }
}

fn write_header(tx: &Transaction, h: &LiveHeader) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO live_state (id, run_id, tag, seed, segment, volume, plate_preset, catalog_fingerprint, clock_ms, speed, updated_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            h.run_id,
            h.tag as i64,
            h.seed as i64,
            h.segment as i64,
            h.volume,
            h.plate_preset,
            h.catalog_fingerprint,
            h.clock_ms,
            h.speed,
            time_string(chrono::Utc::now().timestamp_millis())
        ],
    )?;
    Ok(())
}

fn write_parked(tx: &Transaction, c: &LiveCommit<'_>) -> rusqlite::Result<()> {
    let mut id = [0u8; 36];
    let mut ev = [0u8; 36];
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR REPLACE INTO live_parked (session_id, facility, in_event, plate, in_time, out_time, in_hour, in_tag) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (f, car) in c.arrived {
            insert.execute(params![
                format_uuid(car.session_id, &mut id),
                *f as i64,
                format_uuid(car.in_event, &mut ev),
                car.plate.0 as i64,
                car.in_time,
                car.out_time,
                car.in_hour as i64,
                pack_tag(&car.in_tag)
            ])?;
        }
    }
    let mut delete = tx.prepare_cached("DELETE FROM live_parked WHERE session_id = ?1")?;
    for s in c.departed {
        delete.execute(params![format_uuid(*s, &mut id)])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_tags_survive_packing() {
        let t = PatternTag {
            weekend: true,
            mult_tenths: 14,
            peak_hour: false,
            holiday: true,
            spike: false,
            burst: true,
        };
        assert_eq!(unpack_tag(pack_tag(&t)), t);
    }
}
