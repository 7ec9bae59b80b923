//! Bookkeeping of historical loads into Snowflake: which statements (batches) of a run were
//! sent and which Snowflake acknowledged, so that a load stopped at any moment and started
//! again sends every missing batch once, under the same requestId, and nothing twice.

use std::collections::HashMap;

use rusqlite::params;

use super::{Store, StoreError};
use crate::model::time_string;

/// The tables, created on first use.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS snowflake_batches (
    run_id      TEXT    NOT NULL,  -- the run (3 hex digits)
    target      TEXT    NOT NULL,  -- account/database/schema the batch went to
    tbl         TEXT    NOT NULL,  -- EVENTS, SESSIONS or FACILITIES
    day         INTEGER NOT NULL,  -- day index in the run (facilities: 0)
    chunk       INTEGER NOT NULL,  -- statement index within the day and table
    request_id  TEXT    NOT NULL,  -- the requestId every attempt of this batch carries
    rows        INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('sent', 'acked')),
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (run_id, target, tbl, day, chunk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snowflake_loads (
    run_id      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    batch_size  INTEGER NOT NULL,  -- rows per statement; fixed for the run so chunks repeat exactly
    days_done   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, target)
) WITHOUT ROWID;
";

/// The recorded batches of a day: (table kind, chunk) to its state and the requestId it last
/// went out with.
pub type BatchStates = HashMap<(String, u32), (BatchState, String)>;

/// The state of one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchState {
    /// Sent at least once; Snowflake's answer was not recorded.
    Sent,
    /// Snowflake acknowledged it.
    Acked,
}

/// One batch to record.
#[derive(Clone, Debug)]
pub struct BatchKey {
    /// Table kind.
    pub tbl: String,
    /// Day index.
    pub day: u32,
    /// Chunk index.
    pub chunk: u32,
    /// requestId.
    pub request_id: String,
    /// Rows in it.
    pub rows: u64,
}

impl Store {
    fn sf_init(&mut self) -> Result<(), StoreError> {
        let path = self.path().to_path_buf();
        self.conn()
            .execute_batch(SCHEMA)
            .map_err(|e| StoreError::from_sqlite(&path, e))
    }

    /// The batch size a load of `run_id` into `target` uses: the one recorded by its first start,
    /// else `wanted` (recorded now).
    pub fn snowflake_load_batch_size(
        &mut self,
        run_id: &str,
        target: &str,
        wanted: usize,
    ) -> Result<usize, StoreError> {
        self.sf_init()?;
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO snowflake_loads (run_id, target, batch_size) VALUES (?1, ?2, ?3)",
            params![run_id, target, wanted as i64],
        )
        .map_err(err)?;
        conn.query_row(
            "SELECT batch_size FROM snowflake_loads WHERE run_id = ?1 AND target = ?2",
            params![run_id, target],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as usize)
        .map_err(err)
    }

    /// Days of the run fully acknowledged in `target` (a count from the first day).
    pub fn snowflake_days_done(&mut self, run_id: &str, target: &str) -> Result<u32, StoreError> {
        self.sf_init()?;
        let path = self.path().to_path_buf();
        self.conn()
            .query_row(
                "SELECT COALESCE(MAX(days_done), 0) FROM snowflake_loads WHERE run_id = ?1 AND target = ?2",
                params![run_id, target],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u32)
            .map_err(|e| StoreError::from_sqlite(&path, e))
    }

    /// Records that every batch of days before `days_done` is acknowledged.
    pub fn snowflake_set_days_done(
        &mut self,
        run_id: &str,
        target: &str,
        days_done: u32,
    ) -> Result<(), StoreError> {
        self.sf_init()?;
        let path = self.path().to_path_buf();
        self.conn()
            .execute(
                "UPDATE snowflake_loads SET days_done = MAX(days_done, ?3) WHERE run_id = ?1 AND target = ?2",
                params![run_id, target, days_done as i64],
            )
            .map(|_| ())
            .map_err(|e| StoreError::from_sqlite(&path, e))
    }

    /// The recorded batches of one day (and table kind) of a run: (table, chunk) → state.
    pub fn snowflake_batch_states(
        &mut self,
        run_id: &str,
        target: &str,
        day: u32,
    ) -> Result<BatchStates, StoreError> {
        self.sf_init()?;
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT tbl, chunk, status, request_id FROM snowflake_batches WHERE run_id = ?1 AND target = ?2 AND day = ?3",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![run_id, target, day as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)? as u32,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(err)?;
        let mut out = HashMap::new();
        for row in rows {
            let (tbl, chunk, status, request_id) = row.map_err(err)?;
            let state = if status == "acked" {
                BatchState::Acked
            } else {
                BatchState::Sent
            };
            out.insert((tbl, chunk), (state, request_id));
        }
        Ok(out)
    }

    /// Marks batches as sent (before sending them), keeping any that are already acknowledged.
    pub fn snowflake_mark_sent(
        &mut self,
        run_id: &str,
        target: &str,
        batches: &[BatchKey],
    ) -> Result<(), StoreError> {
        self.sf_init()?;
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let now = time_string(chrono::Utc::now().timestamp_millis());
        let tx = self.conn().transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO snowflake_batches (run_id, target, tbl, day, chunk, request_id, rows, status, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'sent', ?8)",
                )
                .map_err(err)?;
            for b in batches {
                stmt.execute(params![
                    run_id,
                    target,
                    b.tbl,
                    b.day as i64,
                    b.chunk as i64,
                    b.request_id,
                    b.rows as i64,
                    now
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Gives a batch that Snowflake refused (the statement did not run) the requestId its next
    /// attempt goes out with.
    pub fn snowflake_rekey_batch(
        &mut self,
        run_id: &str,
        target: &str,
        batch: &BatchKey,
        request_id: &str,
    ) -> Result<(), StoreError> {
        self.sf_init()?;
        let path = self.path().to_path_buf();
        let now = time_string(chrono::Utc::now().timestamp_millis());
        self.conn()
            .execute(
                "UPDATE snowflake_batches SET request_id = ?6, updated_at = ?7
                 WHERE run_id = ?1 AND target = ?2 AND tbl = ?3 AND day = ?4 AND chunk = ?5 AND status = 'sent'",
                params![run_id, target, batch.tbl, batch.day as i64, batch.chunk as i64, request_id, now],
            )
            .map(|_| ())
            .map_err(|e| StoreError::from_sqlite(&path, e))
    }

    /// Marks one batch as acknowledged by Snowflake.
    pub fn snowflake_mark_acked(
        &mut self,
        run_id: &str,
        target: &str,
        batch: &BatchKey,
    ) -> Result<(), StoreError> {
        self.sf_init()?;
        let path = self.path().to_path_buf();
        let now = time_string(chrono::Utc::now().timestamp_millis());
        self.conn()
            .execute(
                "INSERT INTO snowflake_batches (run_id, target, tbl, day, chunk, request_id, rows, status, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'acked', ?8)
                 ON CONFLICT (run_id, target, tbl, day, chunk) DO UPDATE SET status = 'acked', updated_at = ?8",
                params![run_id, target, batch.tbl, batch.day as i64, batch.chunk as i64, batch.request_id, batch.rows as i64, now],
            )
            .map(|_| ())
            .map_err(|e| StoreError::from_sqlite(&path, e))
    }

    /// Rows acknowledged per table kind for a run and target.
    pub fn snowflake_acked_rows(
        &mut self,
        run_id: &str,
        target: &str,
    ) -> Result<HashMap<String, u64>, StoreError> {
        self.sf_init()?;
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT tbl, SUM(rows) FROM snowflake_batches WHERE run_id = ?1 AND target = ?2 AND status = 'acked' GROUP BY tbl")
            .map_err(err)?;
        let rows = stmt
            .query_map(params![run_id, target], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(err)?;
        rows.collect::<Result<HashMap<_, _>, _>>().map_err(err)
    }
}
