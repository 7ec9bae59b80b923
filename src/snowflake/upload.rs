//! Historical loads over the SQL API: a day of events and sessions (and a run's facilities)
//! becomes multi-row `INSERT ... VALUES (?,..,CURRENT_TIMESTAMP()),(..)` statements with
//! numbered, typed bindings, each body at most 1 MB and at most `batch_size` rows. Statements
//! run several at a time. Each carries a requestId derived from the target, run, table, day and
//! chunk, so a load resumed after a crash resends exactly the same work, as a retry.
//!
//! Statement shape (the stand-in parses exactly this):
//! `INSERT INTO "DB"."SCHEMA"."TABLE" ("COL", ...) VALUES (?, ..., CURRENT_TIMESTAMP()), ...`
//! where the last column is `INGESTED_AT`. Timestamps bind as TIMESTAMP_LTZ epoch nanoseconds,
//! numbers as FIXED or REAL, the rest as TEXT; NULL binds as a null value.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::errors::SnowflakeError;
use super::setup::{quote_ident, ObjectNames};
use super::sql_api::{push_binding, uuid_text, BindType, QueryResult, SqlApi};
use crate::catalog::Catalog;
use crate::model::{dollars, format_uuid, hours_2dp, Event, EventKind, Millis, Session};
use crate::store::snowflake_batches::{BatchKey, BatchState};
use crate::store::{Store, StoreError};

/// Columns of PARKING_EVENTS as loaded, with their binding types.
pub const EVENT_COLUMNS: [(&str, BindType); 13] = [
    ("EVENT_ID", BindType::Text),
    ("EVENT_TYPE", BindType::Text),
    ("SESSION_ID", BindType::Text),
    ("FACILITY_ID", BindType::Fixed),
    ("FACILITY_NAME", BindType::Text),
    ("DISTRICT", BindType::Text),
    ("LICENSE_PLATE", BindType::Text),
    ("LICENSE_PLATE_STATE", BindType::Text),
    ("EVENT_TIME", BindType::TimestampLtz),
    ("AVAILABLE_SPOTS_AFTER", BindType::Fixed),
    ("PARKING_DURATION_HOURS", BindType::Real),
    ("COST", BindType::Real),
    ("TRAFFIC_PATTERN", BindType::Text),
];

/// Columns of PARKING_SESSIONS as loaded.
pub const SESSION_COLUMNS: [(&str, BindType); 12] = [
    ("SESSION_ID", BindType::Text),
    ("LICENSE_PLATE", BindType::Text),
    ("LICENSE_PLATE_STATE", BindType::Text),
    ("FACILITY_ID", BindType::Fixed),
    ("FACILITY_NAME", BindType::Text),
    ("DISTRICT", BindType::Text),
    ("IN_TIME", BindType::TimestampLtz),
    ("OUT_TIME", BindType::TimestampLtz),
    ("ACTUAL_DURATION_HOURS", BindType::Real),
    ("RATE_PER_HOUR", BindType::Real),
    ("COST", BindType::Real),
    ("STATUS", BindType::Text),
];

/// Columns of PARKING_FACILITIES as loaded.
pub const FACILITY_COLUMNS: [(&str, BindType); 9] = [
    ("FACILITY_ID", BindType::Fixed),
    ("NAME", BindType::Text),
    ("DISTRICT", BindType::Text),
    ("TOTAL_SPOTS", BindType::Fixed),
    ("RATE_PER_HOUR", BindType::Real),
    ("DAILY_MAX", BindType::Real),
    ("BILLING_INCREMENT_MINUTES", BindType::Fixed),
    ("PEAK_HOURS", BindType::Text),
    ("STAY_PROFILE", BindType::Text),
];

/// Table kinds as recorded in the batches table.
pub const EVENTS: &str = "EVENTS";
/// Sessions kind.
pub const SESSIONS: &str = "SESSIONS";
/// Facilities kind.
pub const FACILITIES: &str = "FACILITIES";

/// One statement ready to send.
#[derive(Clone, Debug)]
pub struct Chunk {
    /// EVENTS, SESSIONS or FACILITIES.
    pub tbl: &'static str,
    /// Day index (0 for facilities).
    pub day: u32,
    /// Index within the day and table.
    pub chunk: u32,
    /// requestId.
    pub request_id: String,
    /// Rows.
    pub rows: usize,
    /// The request body.
    pub body: String,
}

impl Chunk {
    /// Its key in the batches table.
    pub fn key(&self) -> BatchKey {
        BatchKey {
            tbl: self.tbl.into(),
            day: self.day,
            chunk: self.chunk,
            request_id: self.request_id.clone(),
            rows: self.rows as u64,
        }
    }
}

/// The deterministic requestId of a batch (a version-8 UUID from SHA-256).
pub fn request_id(target: &str, run_id: &str, tbl: &str, day: u32, chunk: u32) -> String {
    let digest = Sha256::digest(format!(
        "parking-iot/1|{target}|{run_id}|{tbl}|{day}|{chunk}"
    ));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid_text(bytes, 8)
}

/// The requestId a batch takes after Snowflake refused it under `previous` (deterministic, so
/// a crash between the refusal and its bookkeeping cannot make two ids for one attempt).
pub fn next_request_id(previous: &str) -> String {
    let digest = Sha256::digest(format!("parking-iot/1|refused|{previous}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid_text(bytes, 8)
}

/// How a load is done.
#[derive(Clone, Debug)]
pub struct UploadOptions {
    /// Rows per statement at most.
    pub batch_size: usize,
    /// Largest body in bytes.
    pub max_bytes: usize,
    /// Statements in flight at once.
    pub in_flight: usize,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            batch_size: 1000,
            max_bytes: super::sql_api::MAX_STATEMENT_BYTES,
            in_flight: 4,
        }
    }
}

/// Why a load stopped.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Snowflake failed (after retries where they apply). Boxed: the error is large and
    /// travels through every result of the load.
    #[error(transparent)]
    Snowflake(Box<SnowflakeError>),
    /// The local bookkeeping failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SnowflakeError> for UploadError {
    fn from(e: SnowflakeError) -> Self {
        UploadError::Snowflake(Box::new(e))
    }
}

/// Counters of a load step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadStats {
    /// Statements sent and acknowledged now.
    pub statements: u64,
    /// Rows acknowledged now.
    pub rows: u64,
    /// Statements skipped as acknowledged before.
    pub skipped: u64,
    /// Extra attempts (retries) taken.
    pub retries: u64,
}

/// Loads one run's rows into one Snowflake schema.
pub struct Uploader<'a> {
    api: SqlApi,
    names: ObjectNames,
    catalog: &'a Catalog,
    options: UploadOptions,
    target: String,
}

struct RowText {
    values: Vec<(BindType, Option<String>)>,
}

impl<'a> Uploader<'a> {
    /// An uploader; `options.batch_size` is clamped to at least 1.
    pub fn new(
        api: SqlApi,
        names: ObjectNames,
        catalog: &'a Catalog,
        options: UploadOptions,
    ) -> Uploader<'a> {
        let s = api.settings();
        let target = format!(
            "{}/{}/{}",
            super::account::token_account(&s.account),
            super::setup::canonical_name(&names.database),
            super::setup::canonical_name(&names.schema)
        );
        Uploader {
            api,
            names,
            catalog,
            options: UploadOptions {
                batch_size: options.batch_size.max(1),
                in_flight: options.in_flight.max(1),
                ..options
            },
            target,
        }
    }

    /// `ACCOUNT/DATABASE/SCHEMA`: what the batches table records as the destination.
    pub fn target(&self) -> &str {
        &self.target
    }

    fn event_row(&self, e: &Event, plate: &mut String, pattern: &mut String) -> RowText {
        let fac = &self.catalog.facilities[e.facility as usize];
        let district = &self.catalog.districts[fac.district].name;
        let state = self.catalog.plates.render(e.plate, plate).to_string();
        e.pattern.render(district, e.kind, pattern);
        let mut id = [0u8; 36];
        let mut sid = [0u8; 36];
        let out = e.kind == EventKind::CarOut;
        RowText {
            values: vec![
                (
                    BindType::Text,
                    Some(format_uuid(e.event_id, &mut id).to_string()),
                ),
                (BindType::Text, Some(e.kind.as_str().to_string())),
                (
                    BindType::Text,
                    Some(format_uuid(e.session_id, &mut sid).to_string()),
                ),
                (BindType::Fixed, Some(fac.id.to_string())),
                (BindType::Text, Some(fac.name.clone())),
                (BindType::Text, Some(district.clone())),
                (BindType::Text, Some(plate.clone())),
                (BindType::Text, Some(state)),
                (BindType::TimestampLtz, Some(nanos(e.time))),
                (BindType::Fixed, Some(e.available_after.to_string())),
                (
                    BindType::Real,
                    out.then(|| hours_2dp(e.duration_ms).to_string()),
                ),
                (
                    BindType::Real,
                    out.then(|| dollars(e.cost_cents).to_string()),
                ),
                (BindType::Text, Some(pattern.clone())),
            ],
        }
    }

    fn session_row(&self, s: &Session, plate: &mut String) -> RowText {
        let fac = &self.catalog.facilities[s.facility as usize];
        let district = &self.catalog.districts[fac.district].name;
        let state = self.catalog.plates.render(s.plate, plate).to_string();
        let mut id = [0u8; 36];
        RowText {
            values: vec![
                (
                    BindType::Text,
                    Some(format_uuid(s.session_id, &mut id).to_string()),
                ),
                (BindType::Text, Some(plate.clone())),
                (BindType::Text, Some(state)),
                (BindType::Fixed, Some(fac.id.to_string())),
                (BindType::Text, Some(fac.name.clone())),
                (BindType::Text, Some(district.clone())),
                (BindType::TimestampLtz, Some(nanos(s.in_time))),
                (BindType::TimestampLtz, s.out_time.map(nanos)),
                (
                    BindType::Real,
                    s.out_time.map(|o| hours_2dp(o - s.in_time).to_string()),
                ),
                (BindType::Real, Some(fac.rate_per_hour().to_string())),
                (
                    BindType::Real,
                    s.out_time.map(|_| dollars(s.cost_cents).to_string()),
                ),
                (BindType::Text, Some(s.status.as_str().to_string())),
            ],
        }
    }

    /// The statements for one day of a run.
    pub fn plan_day(
        &self,
        run_id: &str,
        day: u32,
        events: &[Event],
        sessions: &[Session],
    ) -> Vec<Chunk> {
        let mut plate = String::new();
        let mut pattern = String::new();
        let mut out = self.plan(
            run_id,
            EVENTS,
            &self.names.events_table,
            &EVENT_COLUMNS.map(|c| c.0),
            day,
            events
                .iter()
                .map(|e| self.event_row(e, &mut plate, &mut pattern)),
        );
        let mut plate = String::new();
        out.extend(self.plan(
            run_id,
            SESSIONS,
            &self.names.sessions_table,
            &SESSION_COLUMNS.map(|c| c.0),
            day,
            sessions.iter().map(|s| self.session_row(s, &mut plate)),
        ));
        out
    }

    /// The statements loading the catalog's facilities for a run.
    pub fn plan_facilities(&self, run_id: &str) -> Vec<Chunk> {
        let c = self.catalog;
        let rows = c.facilities.iter().map(|f| {
            let peaks: Vec<String> = (0..24)
                .filter(|h| f.peak_hours[*h])
                .map(|h| h.to_string())
                .collect();
            RowText {
                values: vec![
                    (BindType::Fixed, Some(f.id.to_string())),
                    (BindType::Text, Some(f.name.clone())),
                    (BindType::Text, Some(c.districts[f.district].name.clone())),
                    (BindType::Fixed, Some(f.spots.to_string())),
                    (BindType::Real, Some(f.rate_per_hour().to_string())),
                    (
                        BindType::Real,
                        Some((f.pricing.daily_max_cents as f64 / 100.0).to_string()),
                    ),
                    (
                        BindType::Fixed,
                        Some(f.pricing.increment_minutes.to_string()),
                    ),
                    (BindType::Text, Some(peaks.join(","))),
                    (
                        BindType::Text,
                        Some(c.stay_profiles[f.stay_profile].name.clone()),
                    ),
                ],
            }
        });
        self.plan(
            run_id,
            FACILITIES,
            &self.names.facilities_table,
            &FACILITY_COLUMNS.map(|c| c.0),
            0,
            rows,
        )
    }

    fn plan(
        &self,
        run_id: &str,
        tbl: &'static str,
        table: &str,
        columns: &[&str],
        day: u32,
        rows: impl Iterator<Item = RowText>,
    ) -> Vec<Chunk> {
        let mut sql_head = format!("INSERT INTO {} (", self.names.qualified(table));
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                sql_head.push_str(", ");
            }
            sql_head.push_str(&quote_ident(c));
        }
        sql_head.push_str(", \"INGESTED_AT\") VALUES ");
        let mut tuple = String::from("(");
        for _ in columns {
            tuple.push_str("?,");
        }
        tuple.push_str("CURRENT_TIMESTAMP())");
        let mut head = String::new();
        self.api.body_head(&mut head, &sql_head);
        // The statement string is still open in `head` (it ends with the escaped SQL head and a
        // closing quote); tuples go before that quote, bindings after the context fields.
        let Some(open) = find_statement_end(&head) else {
            return Vec::new();
        };
        let (stmt_part, ctx_part) = head.split_at(open);
        let mut tail = String::new();
        self.api.body_tail(&mut tail, 1);
        let fixed = stmt_part.len() + ctx_part.len() + ",\"bindings\":{}".len() + tail.len();

        let mut chunks = Vec::new();
        let mut binds = String::new();
        let mut n_rows = 0usize;
        let mut row_buf = String::new();
        let flush = |chunks: &mut Vec<Chunk>, binds: &mut String, n_rows: &mut usize| {
            if *n_rows == 0 {
                return;
            }
            let mut body = String::with_capacity(fixed + *n_rows * (tuple.len() + 1) + binds.len());
            body.push_str(stmt_part);
            for i in 0..*n_rows {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(&tuple);
            }
            body.push_str(ctx_part);
            body.push_str(",\"bindings\":{");
            body.push_str(binds);
            body.push('}');
            body.push_str(&tail);
            let chunk = chunks.len() as u32;
            chunks.push(Chunk {
                tbl,
                day,
                chunk,
                request_id: request_id(&self.target, run_id, tbl, day, chunk),
                rows: *n_rows,
                body,
            });
            binds.clear();
            *n_rows = 0;
        };
        for row in rows {
            for attempt in 0..2 {
                row_buf.clear();
                let base = n_rows * columns.len();
                for (i, (kind, value)) in row.values.iter().enumerate() {
                    if base + i > 0 {
                        row_buf.push(',');
                    }
                    push_binding(&mut row_buf, base + i + 1, *kind, value.as_deref());
                }
                let size = fixed + (n_rows + 1) * (tuple.len() + 1) + binds.len() + row_buf.len();
                if n_rows > 0
                    && (size > self.options.max_bytes || n_rows >= self.options.batch_size)
                    && attempt == 0
                {
                    flush(&mut chunks, &mut binds, &mut n_rows);
                    continue;
                }
                binds.push_str(&row_buf);
                n_rows += 1;
                break;
            }
        }
        flush(&mut chunks, &mut binds, &mut n_rows);
        chunks
    }

    /// Sends chunks, `in_flight` at a time; `on_answer` runs on this thread for each chunk
    /// Snowflake answered (acknowledged, or refused for good). On the first failure no new
    /// chunk starts; those in flight finish and are reported.
    pub fn send(
        &self,
        chunks: Vec<(Chunk, bool)>,
        cancel: &AtomicBool,
        mut on_answer: impl FnMut(
            &Chunk,
            Result<&QueryResult, &SnowflakeError>,
        ) -> Result<(), UploadError>,
    ) -> Result<UploadStats, UploadError> {
        let queue = Mutex::new(chunks.into_iter().collect::<VecDeque<_>>());
        let failed = AtomicBool::new(false);
        let (tx, rx) =
            crossbeam_channel::unbounded::<(Chunk, Result<QueryResult, SnowflakeError>)>();
        let mut stats = UploadStats::default();
        let mut first_error: Option<UploadError> = None;
        std::thread::scope(|scope| {
            for _ in 0..self.options.in_flight {
                let tx = tx.clone();
                let (queue, failed) = (&queue, &failed);
                scope.spawn(move || loop {
                    if failed.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                    let Some((chunk, already_sent)) = next else {
                        return;
                    };
                    let result = self
                        .api
                        .execute(&chunk.body, &chunk.request_id, already_sent);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if tx.send((chunk, result)).is_err() {
                        return;
                    }
                });
            }
            drop(tx);
            for (chunk, result) in rx.iter() {
                match result {
                    Ok(r) => {
                        stats.statements += 1;
                        stats.rows += chunk.rows as u64;
                        stats.retries += r.attempts.saturating_sub(1) as u64;
                        if let Err(e) = on_answer(&chunk, Ok(&r)) {
                            failed.store(true, Ordering::Relaxed);
                            first_error.get_or_insert(e);
                        }
                    }
                    Err(e) => {
                        if let Err(bookkeeping) = on_answer(&chunk, Err(&e)) {
                            first_error.get_or_insert(bookkeeping);
                        }
                        first_error.get_or_insert(e.into());
                    }
                }
            }
        });
        match first_error {
            Some(e) => Err(e),
            None if cancel.load(Ordering::Relaxed) => Err(SnowflakeError::Cancelled.into()),
            None => Ok(stats),
        }
    }

    /// Loads chunks of a run with exactly-once bookkeeping in `store`: acknowledged chunks are
    /// skipped, the others are marked sent before sending (a chunk sent before goes out as a
    /// retry of the same requestId) and marked acknowledged as Snowflake answers.
    pub fn load_chunks(
        &self,
        store: &mut Store,
        run_id: &str,
        day: u32,
        chunks: Vec<Chunk>,
        cancel: &AtomicBool,
    ) -> Result<UploadStats, UploadError> {
        let states = store.snowflake_batch_states(run_id, &self.target, day)?;
        let mut todo = Vec::new();
        let mut skipped = 0;
        for mut c in chunks {
            match states.get(&(c.tbl.to_string(), c.chunk)) {
                Some((BatchState::Acked, _)) => skipped += 1,
                Some((BatchState::Sent, stored_id)) => {
                    // The requestId it went out with last (a refused batch gets a new one).
                    c.request_id = stored_id.clone();
                    todo.push((c, true))
                }
                None => todo.push((c, false)),
            }
        }
        let keys: Vec<BatchKey> = todo.iter().map(|(c, _)| c.key()).collect();
        store.snowflake_mark_sent(run_id, &self.target, &keys)?;
        let target = self.target.clone();
        let mut stats = self.send(todo, cancel, |chunk, answer| {
            match answer {
                Ok(_) => store.snowflake_mark_acked(run_id, &target, &chunk.key())?,
                // The statement did not run, so sending it again is new work: under the same
                // requestId Snowflake may answer from its cache with the same refusal, and the
                // rerun the message advises (after `snowflake setup`, say) would never load.
                Err(e) if e.statement_did_not_run() => store.snowflake_rekey_batch(
                    run_id,
                    &target,
                    &chunk.key(),
                    &next_request_id(&chunk.request_id),
                )?,
                Err(_) => {}
            }
            Ok(())
        })?;
        stats.skipped = skipped;
        Ok(stats)
    }

    /// Whether this run's first day carries the facilities: yes when this run sent them
    /// before (a resumed load finishes what it began), else only when the table does not
    /// hold them yet. Facilities are the same rows for every run of a store, so a second run
    /// loading them again would double every facility join in Snowflake.
    fn facilities_needed(&self, store: &mut Store, run_id: &str) -> Result<bool, UploadError> {
        let states = store.snowflake_batch_states(run_id, &self.target, 0)?;
        if states.keys().any(|(tbl, _)| tbl == FACILITIES) {
            return Ok(true);
        }
        let sql = format!(
            "SELECT COUNT(*) FROM {}",
            self.names.qualified(&self.names.facilities_table)
        );
        let held = self
            .api
            .query(&sql, &[])?
            .rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        Ok(held < self.catalog.facilities.len() as u64)
    }

    /// Loads one committed day of a run (day index from 0); on the first day the run's
    /// facilities go too. Call after the day's local commit; a day already acknowledged is
    /// skipped without a request.
    pub fn load_day(
        &self,
        store: &mut Store,
        run_id: &str,
        day: u32,
        events: &[Event],
        sessions: &[Session],
        cancel: &AtomicBool,
    ) -> Result<UploadStats, UploadError> {
        let batch =
            store.snowflake_load_batch_size(run_id, &self.target, self.options.batch_size)?;
        if store.snowflake_days_done(run_id, &self.target)? > day {
            return Ok(UploadStats::default());
        }
        let me = Uploader {
            api: self.api.clone(),
            names: self.names.clone(),
            catalog: self.catalog,
            options: UploadOptions {
                batch_size: batch,
                ..self.options.clone()
            },
            target: self.target.clone(),
        };
        let mut chunks = me.plan_day(run_id, day, events, sessions);
        if day == 0 && me.facilities_needed(store, run_id)? {
            chunks.extend(me.plan_facilities(run_id));
        }
        let stats = me.load_chunks(store, run_id, day, chunks, cancel)?;
        store.snowflake_set_days_done(run_id, &self.target, day + 1)?;
        Ok(stats)
    }
}

/// Epoch nanoseconds of an instant, as TIMESTAMP_LTZ bindings take them.
pub fn nanos(ms: Millis) -> String {
    (ms as i128 * 1_000_000).to_string()
}

/// The byte offset of the closing quote of the `"statement"` value in a body head.
fn find_statement_end(head: &str) -> Option<usize> {
    let start = head.find("{\"statement\":\"")? + "{\"statement\":\"".len();
    let bytes = head.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}
