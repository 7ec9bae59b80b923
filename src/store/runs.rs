//! Run bookkeeping: which runs a database holds, how far each got, and the transaction that
//! commits a day of rows together with that progress (so a run resumes exactly).

use rusqlite::{params, OptionalExtension, Row};

use super::{RowWriter, Store, StoreError};
use crate::catalog::Catalog;
use crate::model::{time_string, Event, Session};

/// What identifies a run: the same spec on the same database is the same run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSpec {
    /// `historical` or `live`.
    pub kind: String,
    /// The seed.
    pub seed: u64,
    /// First day (YYYY-MM-DD).
    pub start_date: String,
    /// Last day, inclusive (YYYY-MM-DD); none for a live run.
    pub end_date: Option<String>,
    /// Volume preset name.
    pub volume: String,
    /// Plate preset name.
    pub plate_preset: String,
    /// Catalog source (path or `built-in catalog`).
    pub catalog_source: String,
    /// Catalog fingerprint (hex).
    pub catalog_fingerprint: String,
    /// Days in the range.
    pub days_total: u32,
    /// The tag the run's ids would carry unless another run in the database has it.
    pub preferred_tag: u16,
}

/// A run as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRecord {
    /// The run's tag as 3 hex digits (the 12 tag bits of every id it wrote).
    pub run_id: String,
    /// The tag.
    pub tag: u16,
    /// `historical` or `live`.
    pub kind: String,
    /// Seed.
    pub seed: u64,
    /// First day.
    pub start_date: String,
    /// Last day.
    pub end_date: Option<String>,
    /// Volume preset.
    pub volume: String,
    /// Days in the range.
    pub days_total: u32,
    /// Days committed.
    pub days_done: u32,
    /// Events committed.
    pub events_written: u64,
    /// Sessions committed.
    pub sessions_written: u64,
    /// Cars turned away at full facilities.
    pub turned_away: u64,
    /// `running` or `finished`.
    pub status: String,
    /// Plate preset name.
    pub plate_preset: String,
    /// Where its catalog came from.
    pub catalog_source: String,
}

impl RunRecord {
    fn from_row(r: &Row) -> rusqlite::Result<RunRecord> {
        let run_id: String = r.get(0)?;
        Ok(RunRecord {
            tag: u16::from_str_radix(&run_id, 16).unwrap_or(0),
            run_id,
            kind: r.get(1)?,
            seed: r.get::<_, i64>(2)? as u64,
            start_date: r.get(3)?,
            end_date: r.get(4)?,
            volume: r.get(5)?,
            days_total: r.get::<_, i64>(6)? as u32,
            days_done: r.get::<_, i64>(7)? as u32,
            events_written: r.get::<_, i64>(8)? as u64,
            sessions_written: r.get::<_, i64>(9)? as u64,
            turned_away: r.get::<_, i64>(10)? as u64,
            status: r.get(11)?,
            plate_preset: r.get(12)?,
            catalog_source: r.get(13)?,
        })
    }

    /// Whether the run finished.
    pub fn finished(&self) -> bool {
        self.status == "finished"
    }
}

const RUN_COLUMNS: &str = "run_id, kind, seed, start_date, end_date, volume, days_total, days_done, events_written, sessions_written, turned_away, status, plate_preset, catalog_source";

fn now_text() -> String {
    time_string(chrono::Utc::now().timestamp_millis())
}

impl Store {
    /// The run with exactly this spec, if the database has it.
    pub fn find_run(&self, spec: &RunSpec) -> Result<Option<RunRecord>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE kind = ?1 AND seed = ?2 AND start_date = ?3 AND end_date IS ?4
             AND volume = ?5 AND plate_preset = ?6 AND catalog_fingerprint = ?7"
        );
        self.conn
            .query_row(
                &sql,
                params![
                    spec.kind,
                    spec.seed as i64,
                    spec.start_date,
                    spec.end_date,
                    spec.volume,
                    spec.plate_preset,
                    spec.catalog_fingerprint
                ],
                RunRecord::from_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY created_at, run_id");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], RunRecord::from_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Historical runs with other settings whose dates overlap `spec`'s.
    pub fn overlapping_runs(&self, spec: &RunSpec) -> Result<Vec<RunRecord>, StoreError> {
        let end = spec.end_date.clone().unwrap_or_else(|| "9999-12-31".into());
        Ok(self
            .runs()?
            .into_iter()
            .filter(|r| {
                r.kind == "historical"
                    && r.start_date <= end
                    && r.end_date.as_deref().unwrap_or("9999-12-31") >= spec.start_date.as_str()
            })
            .collect())
    }

    /// Records a new run and returns it; its tag is the preferred one unless taken.
    pub fn create_run(&mut self, spec: &RunSpec) -> Result<RunRecord, StoreError> {
        let taken: Vec<u16> = self.runs()?.iter().map(|r| r.tag).collect();
        let tag = (0..4096u16)
            .map(|k| (spec.preferred_tag.wrapping_add(k)) & 0xFFF)
            .find(|t| !taken.contains(t))
            .ok_or_else(|| {
                StoreError::Run(
                    "this database holds 4,096 runs, the most it can tell apart: use another --db"
                        .into(),
                )
            })?;
        let run_id = format!("{tag:03x}");
        let now = now_text();
        self.conn
            .execute(
                "INSERT INTO runs (run_id, kind, seed, start_date, end_date, volume, plate_preset, catalog_source, catalog_fingerprint, days_total, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'running', ?11, ?11)",
                params![run_id, spec.kind, spec.seed as i64, spec.start_date, spec.end_date, spec.volume, spec.plate_preset, spec.catalog_source, spec.catalog_fingerprint, spec.days_total, now],
            )
            .map_err(|e| self.err(e))?;
        self.find_run(spec)?
            .ok_or_else(|| StoreError::Run("the new run could not be read back".into()))
    }

    /// Commits one day of a run: its rows and its progress in one transaction, so that a run
    /// stopped at any moment has either all of the day or none of it.
    pub fn commit_day(
        &mut self,
        catalog: &Catalog,
        batch: usize,
        run: &RunRecord,
        day: DayCommit<'_>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut w = RowWriter::new(catalog, batch);
            w.insert_events(&tx, day.events).map_err(err)?;
            w.insert_sessions(&tx, day.sessions, false).map_err(err)?;
            tx.execute(
                "UPDATE runs SET days_done = ?2, events_written = events_written + ?3, sessions_written = sessions_written + ?4,
                 turned_away = ?5, status = ?6, updated_at = ?7 WHERE run_id = ?1",
                params![
                    run.run_id,
                    day.days_done,
                    day.events.len() as i64,
                    day.sessions.len() as i64,
                    day.turned_away as i64,
                    if day.finished { "finished" } else { "running" },
                    now_text()
                ],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

/// One day's rows and the run's progress after them.
pub struct DayCommit<'a> {
    /// The day's events.
    pub events: &'a [Event],
    /// The sessions completed that day (and, on the last day, those still active).
    pub sessions: &'a [Session],
    /// Days done after this commit.
    pub days_done: u32,
    /// Cars turned away since the run began.
    pub turned_away: u64,
    /// This commit ends the run.
    pub finished: bool,
}
