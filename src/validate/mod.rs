//! Validation of a parking-iot SQLite database: the invariants of `domain.md` §5 and the
//! realism statistics of §6, computed in one streaming pass over the events in time order.
//!
//! Memory stays bounded for databases of tens of millions of events: the validator keeps only
//! what is "open" at the current instant of the scan (parked cars, their plates, occupancy per
//! facility and a few counters per facility-day), never all rows. Completed sessions are merged
//! with the CAR_OUT events as the scan passes them (both come in time order), and active
//! sessions are compared with the cars still parked at the end.
//!
//! Different runs in one database are independent simulations; every check is made per run,
//! a run being the 12-bit tag carried by its ids ([`crate::engine::rng::uuid_tag`]).

mod checks;
mod db;
mod render;
mod stats;

use std::path::{Path, PathBuf};

pub use stats::{CostBand, PeakStats, RealismStats, Totals, STAY_BANDS, WEEKDAY, WEEKEND};

/// Why a database could not be validated at all (as opposed to failing a check).
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// The path does not exist.
    #[error("{}: no such file; give the path of a parking-iot database", path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The file is not an SQLite database (or not a file).
    #[error("{}: not an SQLite database ({reason})", path.display())]
    NotADatabase {
        /// The path given.
        path: PathBuf,
        /// What SQLite or the file system said.
        reason: String,
    },
    /// An SQLite database that lacks the parking-iot tables or columns.
    #[error(
        "{}: an SQLite database, but not a parking-iot database (missing {})",
        path.display(),
        missing.join(", ")
    )]
    NotParkingIot {
        /// The path given.
        path: PathBuf,
        /// The tables and columns that are missing (`parking_events`, `runs.status`...).
        missing: Vec<String>,
    },
    /// SQLite reports the file as damaged.
    #[error(
        "{}: the database file is corrupt ({detail}); restore it from a copy or generate it again",
        path.display()
    )]
    Corrupt {
        /// The path given.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// Any other SQLite failure while reading (locked, I/O error...).
    #[error("{}: cannot read the database: {source}", path.display())]
    Sqlite {
        /// The path given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
}

/// The outcome of one invariant check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// The invariant's number in `domain.md` §5 (1-7).
    pub invariant: u8,
    /// What the invariant says, in short.
    pub name: String,
    /// True when no row broke the invariant (always true for checks made elsewhere).
    pub passed: bool,
    /// How many rows (events or sessions) were checked; 0 when the check is made elsewhere.
    pub checked: u64,
    /// How many rows broke the invariant.
    pub failures: u64,
    /// The first few offending rows, human readable (at most [`MAX_EXAMPLES`]).
    pub examples: Vec<String>,
    /// Set when one database cannot show the invariant (determinism, resume): who checks it.
    pub note: Option<String>,
}

/// Most examples kept per failing check.
pub const MAX_EXAMPLES: usize = 5;

impl CheckResult {
    fn new(invariant: u8, name: &str) -> Self {
        CheckResult {
            invariant,
            name: name.to_owned(),
            passed: true,
            checked: 0,
            failures: 0,
            examples: Vec::new(),
            note: None,
        }
    }

    /// Records one offending row.
    fn fail(&mut self, example: impl FnOnce() -> String) {
        self.passed = false;
        self.failures += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(example());
        }
    }
}

/// What the database says about one run (a row of `runs` and/or ids carrying its tag).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// `runs.run_id`, or the tag as 3 hex digits when the run has no row.
    pub run_id: String,
    /// The 12-bit tag carried by the run's ids, when known.
    pub tag: Option<u16>,
    /// `historical` or `live` (from `runs.kind`).
    pub kind: Option<String>,
    /// `running` or `finished` (from `runs.status`).
    pub status: Option<String>,
    /// `runs.start_date` as stored.
    pub start_date: Option<String>,
    /// `runs.end_date` as stored.
    pub end_date: Option<String>,
    /// True when the run has a row in `runs`.
    pub in_runs_table: bool,
    /// True when the run is treated as finished (session completeness checked).
    pub finished: bool,
    /// Cars refused at full facilities (`runs.turned_away`).
    pub turned_away: u64,
    /// Events carrying the run's tag.
    pub events: u64,
    /// CAR_IN events.
    pub cars_in: u64,
    /// CAR_OUT events.
    pub cars_out: u64,
    /// Completed session rows carrying the run's tag.
    pub sessions_completed: u64,
    /// Active session rows carrying the run's tag.
    pub sessions_active: u64,
    /// Time of the run's first event.
    pub first_event: Option<String>,
    /// Time of the run's last event.
    pub last_event: Option<String>,
    /// Whole local days between the run's start and its last event (used by the day statistics).
    pub full_days: u64,
}

/// Everything `validate` found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The database validated.
    pub database: PathBuf,
    /// One result per invariant, 1 to 7 in order.
    pub checks: Vec<CheckResult>,
    /// Things worth knowing that are not failures (unfinished runs, runs without a row...).
    pub warnings: Vec<String>,
    /// Realism statistics.
    pub stats: RealismStats,
    /// The runs found, by tag.
    pub runs: Vec<RunSummary>,
}

impl Report {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The result of invariant `n` (1-7).
    pub fn check(&self, n: u8) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.invariant == n)
    }

    /// Human-readable text for a terminal: runs, each check with its examples, warnings,
    /// the realism tables and the verdict.
    pub fn render(&self) -> String {
        render::render(self)
    }
}

/// Validates the parking-iot database at `path`, opened read-only, in one streaming pass.
///
/// Errors only when the database cannot be read at all; broken invariants are reported in the
/// [`Report`].
pub fn validate_db(path: &Path) -> Result<Report, ValidateError> {
    let conn = db::open(path)?;
    let err = |e: rusqlite::Error| db::classify(path, e);
    db::check_schema(&conn, path)?;
    // One read transaction: a consistent snapshot even while another process writes.
    conn.execute_batch("BEGIN").map_err(err)?;
    let mut warnings = Vec::new();
    let facilities = db::load_facilities(&conn).map_err(err)?;
    let runs = db::load_runs(&conn, &mut warnings).map_err(err)?;
    let mut validator = checks::Validator::new(facilities, runs, warnings);
    validator.scan(&conn).map_err(err)?;
    validator.finish(&conn).map_err(err)?;
    validator
        .duplicate_ids(&conn, "parking_events", "event_id", 0)
        .map_err(err)?;
    validator
        .duplicate_ids(&conn, "parking_sessions", "session_id", 3)
        .map_err(err)?;
    conn.execute_batch("COMMIT").map_err(err)?;
    Ok(validator.into_report(path))
}
