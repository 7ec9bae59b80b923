//! The historical generator: simulates a date range on worker threads, one day at a time,
//! and commits each day with its checkpoint. Running the same request on the same database
//! again resumes an unfinished run (the engine is deterministic, so the committed days are
//! regenerated without being written) and does nothing for a finished one.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use crossbeam_channel::{bounded, Sender};

use super::messages::{DayProgress, Outcome, Progress, Summary};
use crate::catalog::Catalog;
use crate::engine::{
    calendar, rng, sort_events, FacilitySim, SimSettings, Simulation, VolumePreset,
};
use crate::model::{Event, Session};
use crate::snowflake::setup::{self, ObjectNames, Variant};
use crate::snowflake::sql_api::{ApiSettings, SqlApi};
use crate::snowflake::upload::{UploadError, UploadOptions, Uploader};
use crate::snowflake::{KeyPair, SnowflakeError};
use crate::store::{DayCommit, RunRecord, RunSpec, Store, StoreError};

/// The longest range accepted (100 years).
pub const MAX_DAYS: i64 = 36_525;
/// The largest batch size accepted.
pub const MAX_BATCH: usize = 100_000;

/// Yesterday in New York: the default end of a historical range, for every face of the jobs.
pub fn yesterday_in_new_york() -> NaiveDate {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    today.pred_opt().unwrap_or(today)
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct HistoricalRequest {
    /// First day (local New York date).
    pub start: NaiveDate,
    /// Last day, inclusive.
    pub end: NaiveDate,
    /// Rows per insert statement.
    pub batch_size: usize,
    /// Run seed.
    pub seed: u64,
    /// Volume preset.
    pub volume: VolumePreset,
    /// Plate preset name (`None`: the catalog's default).
    pub plate_preset: Option<String>,
    /// Worker threads for simulation (0: one per core).
    pub threads: usize,
    /// Generate and count, write nothing.
    pub dry_run: bool,
    /// The database (ignored for a dry run).
    pub db: PathBuf,
    /// The catalog.
    pub catalog: Arc<Catalog>,
    /// Also load every day into Snowflake (`None`: the local store only).
    pub snowflake: Option<SnowflakeSink>,
}

/// Where and how a historical run is loaded into Snowflake. The local store is written as
/// well whenever this is set: it holds the bookkeeping that makes the load exactly-once.
#[derive(Clone, Debug)]
pub struct SnowflakeSink {
    /// Connection and context.
    pub settings: ApiSettings,
    /// The key the requests are signed with.
    pub key: Arc<KeyPair>,
    /// Database, schema and table names.
    pub names: ObjectNames,
    /// Statements in flight at once (the batch size is the request's).
    pub in_flight: usize,
    /// Run the idempotent setup (this variant) before loading, so a first load into an empty
    /// account needs no separate step.
    pub create_objects: Option<Variant>,
}

/// Why a run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The request itself is wrong; nothing was done.
    #[error("{0}")]
    BadInput(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Loading into Snowflake failed; the committed local days are kept and the same request
    /// resumes the load.
    #[error("loading into Snowflake failed: {0}; the local days are kept, run the same command again to resume the load")]
    Upload(UploadError),
}

impl HistoricalRequest {
    /// Checks the request and returns (days in range, plate preset index).
    pub fn check(&self) -> Result<(u32, usize), JobError> {
        if self.end < self.start {
            return Err(JobError::BadInput(format!("the end date {} is before the start date {}: choose an end date on or after the start", self.end, self.start)));
        }
        let days = (self.end - self.start).num_days() + 1;
        if days > MAX_DAYS {
            return Err(JobError::BadInput(format!("{} to {} is {days} days; at most {MAX_DAYS} days (100 years) can be generated in one run", self.start, self.end)));
        }
        use chrono::Datelike;
        if self.start.year() < 1971 || self.end.year() > 2999 {
            return Err(JobError::BadInput(
                "dates must lie between 1971 and 2999".into(),
            ));
        }
        if self.batch_size == 0 || self.batch_size > MAX_BATCH {
            return Err(JobError::BadInput(format!(
                "batch size {} is not allowed: use 1 to {MAX_BATCH} rows (default 1000)",
                self.batch_size
            )));
        }
        if self.dry_run && self.snowflake.is_some() {
            return Err(JobError::BadInput(
                "a dry run writes nothing, so it cannot load into Snowflake: drop --dry-run or use --sink local".into(),
            ));
        }
        if self.threads > 256 {
            return Err(JobError::BadInput(format!(
                "{} threads is too many: use 1 to 256, or 0 for one per core",
                self.threads
            )));
        }
        let plates = &self.catalog.plates;
        let preset = match &self.plate_preset {
            None => plates.default_preset,
            Some(name) => plates.preset(name).ok_or_else(|| {
                let names: Vec<&str> = plates.presets.iter().map(|p| p.name.as_str()).collect();
                JobError::BadInput(format!(
                    "unknown plate preset '{name}': choose one of {}",
                    names.join(", ")
                ))
            })?,
        };
        Ok((days as u32, preset))
    }

    /// The run spec that identifies this request in a database.
    pub fn spec(&self, days: u32, preset: usize) -> RunSpec {
        let plate_preset = self.catalog.plates.presets[preset].name.clone();
        let key = format!(
            "{}|{}|{}|{}|{}|{:016x}",
            self.seed,
            self.start,
            self.end,
            self.volume.as_str(),
            plate_preset,
            self.catalog.fingerprint
        );
        let preferred_tag =
            (rng::mix64(crate::catalog::fingerprint(key.as_bytes())) & 0xFFF) as u16;
        RunSpec {
            kind: "historical".into(),
            seed: self.seed,
            start_date: self.start.to_string(),
            end_date: Some(self.end.to_string()),
            volume: self.volume.as_str().into(),
            plate_preset,
            catalog_source: self.catalog.source.clone(),
            catalog_fingerprint: format!("{:016x}", self.catalog.fingerprint),
            days_total: days,
            preferred_tag,
        }
    }

    fn threads(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        } else {
            self.threads
        }
    }
}

/// A running job: progress arrives on `progress`; set `cancel` to stop after the current day.
pub struct HistoricalJob {
    /// Progress messages; the last one is [`Progress::Done`].
    pub progress: crossbeam_channel::Receiver<Progress>,
    /// Set to stop the job after the day being written.
    pub cancel: Arc<AtomicBool>,
    /// The job's thread.
    pub thread: std::thread::JoinHandle<()>,
}

/// Starts a job on its own thread; `notify` is called after every message (the window asks
/// for a repaint there).
pub fn spawn(request: HistoricalRequest, notify: impl Fn() + Send + 'static) -> HistoricalJob {
    let (tx, rx) = crossbeam_channel::unbounded();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let thread = std::thread::spawn(move || {
        let notifying = Notifier {
            tx,
            notify: Box::new(notify),
        };
        let outcome = match run(&request, &notifying, &flag) {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Failed(e.to_string()),
        };
        // Read here, on the job's thread: the window lists the runs without touching the file.
        if !request.dry_run {
            if let Ok(runs) = Store::open(&request.db).and_then(|s| s.runs()) {
                notifying.send(Progress::Runs(runs));
            }
        }
        notifying.send(Progress::Done(outcome));
    });
    HistoricalJob {
        progress: rx,
        cancel,
        thread,
    }
}

/// Sends progress and pokes the watcher.
pub struct Notifier {
    /// Where messages go.
    pub tx: Sender<Progress>,
    /// Called after each message.
    pub notify: Box<dyn Fn() + Send>,
}

impl Notifier {
    /// Sends one message (a watcher that went away is not an error).
    pub fn send(&self, p: Progress) {
        let _ = self.tx.send(p);
        (self.notify)();
    }
}

/// One simulated day, ready to write.
struct DayBatch {
    index: u32,
    events: Vec<Event>,
    sessions: Vec<Session>,
    turned_away: u64,
    last: bool,
}

/// Runs the request to the end on this thread (simulation on worker threads, writing here).
pub fn run(
    request: &HistoricalRequest,
    out: &Notifier,
    cancel: &AtomicBool,
) -> Result<Outcome, JobError> {
    let (days_total, preset) = request.check()?;
    let spec = request.spec(days_total, preset);
    let began = Instant::now();
    let catalog = request.catalog.clone();

    let uploader = match &request.snowflake {
        Some(sink) => {
            let api = SqlApi::new(sink.settings.clone(), sink.key.clone())
                .map_err(|e| JobError::BadInput(e.to_string()))?;
            if let Some(variant) = &sink.create_objects {
                let statements = setup::statements(&sink.names, variant)
                    .map_err(|e| JobError::BadInput(e.to_string()))?;
                out.send(Progress::Log(format!(
                    "Snowflake: creating database {}, schema {} and the tables if missing",
                    sink.names.database, sink.names.schema
                )));
                api.query_multi(&statements).map_err(|e| {
                    JobError::BadInput(format!(
                        "the Snowflake objects could not be created ({e}); nothing was generated"
                    ))
                })?;
            }
            Some(Uploader::new(
                api,
                sink.names.clone(),
                &catalog,
                UploadOptions {
                    batch_size: request.batch_size,
                    in_flight: sink.in_flight,
                    ..UploadOptions::default()
                },
            ))
        }
        None => None,
    };
    let mut store = None;
    let mut job_lock = None;
    // Days of the run already acknowledged by Snowflake (all of them without a Snowflake sink).
    let mut uploaded = days_total;
    let mut run = RunRecord {
        run_id: format!("{:03x}", spec.preferred_tag),
        tag: spec.preferred_tag,
        kind: spec.kind.clone(),
        seed: spec.seed,
        start_date: spec.start_date.clone(),
        end_date: spec.end_date.clone(),
        volume: spec.volume.clone(),
        days_total,
        days_done: 0,
        events_written: 0,
        sessions_written: 0,
        turned_away: 0,
        status: "running".into(),
        plate_preset: spec.plate_preset.clone(),
        catalog_source: spec.catalog_source.clone(),
    };
    if !request.dry_run {
        let mut s = Store::open(&request.db)?;
        job_lock = Some(s.lock_for_job()?);
        let existing = s.find_run(&spec)?;
        if let (Some(existing), Some(up)) = (&existing, &uploader) {
            uploaded = s.snowflake_days_done(&existing.run_id, up.target())?;
        }
        match existing {
            Some(existing) if existing.finished() && uploaded >= days_total => {
                out.send(Progress::Log(format!(
                    "run {} is already complete in {}: nothing to do",
                    existing.run_id,
                    request.db.display()
                )));
                return Ok(Outcome::AlreadyComplete(Summary {
                    run_id: existing.run_id.clone(),
                    days: existing.days_done,
                    events: existing.events_written,
                    sessions: existing.sessions_written,
                    turned_away: existing.turned_away,
                    seconds: began.elapsed().as_secs_f64(),
                    dry_run: false,
                }));
            }
            Some(existing) => {
                out.send(Progress::Log(format!(
                    "resuming run {}: {} of {} days already committed",
                    existing.run_id, existing.days_done, existing.days_total
                )));
                if let Some(up) = &uploader {
                    out.send(Progress::Log(format!(
                        "Snowflake ({}): {uploaded} of {days_total} days already loaded",
                        up.target()
                    )));
                }
                run = existing;
            }
            None => {
                if let Some(other) = s.overlapping_runs(&spec)?.first() {
                    return Err(JobError::BadInput(format!(
                        "{} already holds run {} (seed {}, {} to {}, {} volume, {} plates, {}) overlapping {} to {}: use another --db, or repeat that run's settings, catalog included, to resume it",
                        request.db.display(),
                        other.run_id,
                        other.seed,
                        other.start_date,
                        other.end_date.as_deref().unwrap_or("now"),
                        other.volume,
                        other.plate_preset,
                        other.catalog_source,
                        spec.start_date,
                        spec.end_date.as_deref().unwrap_or("")
                    )));
                }
                s.write_facilities(&catalog)?;
                run = s.create_run(&spec)?;
                uploaded = 0;
            }
        }
        store = Some(s);
    }
    out.send(Progress::Started {
        run_id: run.run_id.clone(),
        days_total,
        days_done: run.days_done,
    });

    let settings = SimSettings {
        seed: request.seed,
        volume: request.volume,
        plate_preset: preset,
        tag: run.tag,
    };
    let tz = catalog.calendar.time_zone;
    let start_ms = calendar::local_midnight(tz, request.start);
    let threads = request.threads().min(catalog.facilities.len()).max(1);

    let (day_tx, day_rx) = bounded::<DayBatch>(2);
    // The local store has `run.days_done` days; Snowflake may lag behind it (a run killed
    // between a day's commit and its upload, or a finished local run now loaded into
    // Snowflake). Days are regenerated from the earlier of the two - the engine is
    // deterministic, so they are the committed rows - and each goes only where it is missing.
    let local_done = run.days_done;
    let resume_from = local_done.min(uploaded);
    let start_date = request.start;
    let sim_catalog = catalog.clone();
    let crashed = AtomicBool::new(false);
    let crashed = &crashed;
    // The simulation runs on its own scoped threads and hands finished days to this thread,
    // which writes them: generation of day d+1 overlaps the commit of day d.
    let result = std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let sim = Simulation::new(sim_catalog, settings, start_ms);
            let mut groups: Vec<Vec<FacilitySim>> = (0..threads).map(|_| Vec::new()).collect();
            for (i, f) in sim.facilities.into_iter().enumerate() {
                groups[i % threads].push(f);
            }
            for index in 0..days_total {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                let date = start_date + chrono::Duration::days(index as i64 + 1);
                let until = calendar::local_midnight(tz, date) - 1;
                let last = index + 1 == days_total;
                let skip = index < resume_from;
                let parts: Vec<std::thread::Result<(Vec<Event>, Vec<Session>)>> =
                    std::thread::scope(|s| {
                        let handles: Vec<_> = groups
                            .iter_mut()
                            .map(|group| {
                                s.spawn(move || {
                                    let (mut ev, mut se) = (Vec::new(), Vec::new());
                                    for f in group.iter_mut() {
                                        f.advance(until, &mut ev, &mut se);
                                    }
                                    if last {
                                        for f in group.iter() {
                                            f.active_sessions(&mut se);
                                        }
                                    }
                                    (ev, se)
                                })
                            })
                            .collect();
                        handles.into_iter().map(|h| h.join()).collect()
                    });
                let Ok(parts) = parts.into_iter().collect::<Result<Vec<_>, _>>() else {
                    crashed.store(true, Ordering::Relaxed);
                    return;
                };
                if skip {
                    continue;
                }
                let mut events = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
                let mut sessions = Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum());
                for (ev, se) in parts {
                    events.extend(ev);
                    sessions.extend(se);
                }
                sort_events(&mut events);
                sessions.sort_by_key(|s| (s.out_time.is_none(), s.out_time, s.in_time, s.facility));
                let turned_away = groups
                    .iter()
                    .flatten()
                    .map(|f| f.counters.turned_away)
                    .sum();
                if day_tx
                    .send(DayBatch {
                        index,
                        events,
                        sessions,
                        turned_away,
                        last,
                    })
                    .is_err()
                {
                    return;
                }
            }
        });

        let mut progress = DayProgress {
            days_done: run.days_done,
            days_total,
            events: 0,
            sessions: 0,
            elapsed_s: 0.0,
        };
        let mut turned_away = run.turned_away;
        let mut failure: Option<JobError> = None;
        let mut loaded = crate::snowflake::upload::UploadStats::default();
        for day in day_rx.iter() {
            if let Some(store) = store.as_mut() {
                if day.index >= local_done {
                    let commit = DayCommit {
                        events: &day.events,
                        sessions: &day.sessions,
                        days_done: day.index + 1,
                        turned_away: day.turned_away,
                        finished: day.last,
                    };
                    if let Err(e) = store.commit_day(&catalog, request.batch_size, &run, commit) {
                        failure = Some(e.into());
                        break;
                    }
                }
                // After the local commit: a day counts as loaded only once Snowflake
                // acknowledged every statement of it (load_day skips days already done).
                if let Some(up) = &uploader {
                    match up.load_day(
                        store,
                        &run.run_id,
                        day.index,
                        &day.events,
                        &day.sessions,
                        cancel,
                    ) {
                        Ok(stats) => {
                            loaded.statements += stats.statements;
                            loaded.rows += stats.rows;
                            loaded.retries += stats.retries;
                        }
                        Err(UploadError::Snowflake(e))
                            if matches!(*e, SnowflakeError::Cancelled) =>
                        {
                            break;
                        }
                        Err(e) => {
                            failure = Some(JobError::Upload(e));
                            break;
                        }
                    }
                }
            }
            turned_away = day.turned_away;
            progress.days_done = day.index + 1;
            progress.events += day.events.len() as u64;
            progress.sessions += day.sessions.len() as u64;
            progress.elapsed_s = began.elapsed().as_secs_f64();
            out.send(Progress::Day(progress.clone()));
            if cancel.load(Ordering::Relaxed) {
                break;
            }
        }
        drop(day_rx);
        let _ = producer.join();
        if let Some(up) = &uploader {
            out.send(Progress::Log(format!(
                "Snowflake ({}): {} rows in {} statements acknowledged by this command ({} retries)",
                up.target(),
                loaded.rows,
                loaded.statements,
                loaded.retries
            )));
        }
        (progress, turned_away, failure)
    });
    let (progress, turned_away, failure) = result;
    // The lock is held until every day of this start is committed.
    drop(job_lock);
    if let Some(e) = failure {
        return Err(e);
    }
    if crashed.load(Ordering::Relaxed) {
        return Ok(Outcome::Failed(format!(
            "the simulation stopped on an internal error after {} days; the committed days are kept and the same request resumes: please report this",
            progress.days_done
        )));
    }
    let summary = Summary {
        run_id: run.run_id.clone(),
        days: progress.days_done,
        events: progress.events,
        sessions: progress.sessions,
        turned_away,
        seconds: began.elapsed().as_secs_f64(),
        dry_run: request.dry_run,
    };
    Ok(if progress.days_done == days_total {
        Outcome::Finished(summary)
    } else {
        Outcome::Cancelled(summary)
    })
}
