//! The local store: a SQLite file (WAL, batched transactions) holding events, sessions,
//! facilities and the bookkeeping of runs. The schema is `sql/sqlite_schema.sql`.

mod error;
pub mod export;
pub mod live_state;
pub mod outbox;
pub mod read_only;
mod recent_events;
pub mod rows;
pub mod runs;
pub mod snowflake_batches;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags};

use crate::catalog::Catalog;
pub use error::StoreError;
pub use rows::RowWriter;
pub use runs::{DayCommit, RunRecord, RunSpec};

/// The schema, applied (idempotently) on every open.
pub const SCHEMA: &str = include_str!("../../sql/sqlite_schema.sql");

/// The default database file in the OS data folder
/// (`~/.local/share/parking-iot/parking-iot.db` on Linux).
pub fn default_db_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "parking-iot", "parking-iot")
        .map(|d| d.data_dir().join("parking-iot.db"))
}

/// A facility as the `parking_facilities` table holds it.
#[derive(Debug, PartialEq)]
struct FacilityRow {
    id: u32,
    name: String,
    district: String,
    spots: u32,
    rate_cents: i64,
    daily_max_cents: i64,
    increment_minutes: u32,
    peak_hours: String,
    stay_profile: String,
}

impl FacilityRow {
    fn of(catalog: &Catalog, f: &crate::catalog::Facility) -> FacilityRow {
        let peaks: Vec<String> = (0..24)
            .filter(|h| f.peak_hours[*h])
            .map(|h| h.to_string())
            .collect();
        FacilityRow {
            id: f.id,
            name: f.name.clone(),
            district: catalog.districts[f.district].name.clone(),
            spots: f.spots,
            rate_cents: f.pricing.rate_cents_per_hour,
            daily_max_cents: f.pricing.daily_max_cents,
            increment_minutes: f.pricing.increment_minutes,
            peak_hours: peaks.join(","),
            stay_profile: catalog.stay_profiles[f.stay_profile].name.clone(),
        }
    }
}

/// The columns this program reads and writes, per table it owns.
pub const EXPECTED_COLUMNS: &[(&str, &[&str])] = &[
    (
        "parking_events",
        &[
            "event_id",
            "event_type",
            "session_id",
            "facility_id",
            "facility_name",
            "district",
            "license_plate",
            "license_plate_state",
            "event_time",
            "available_spots_after",
            "parking_duration_hours",
            "cost",
            "traffic_pattern",
        ],
    ),
    (
        "parking_sessions",
        &[
            "session_id",
            "license_plate",
            "license_plate_state",
            "facility_id",
            "facility_name",
            "district",
            "in_time",
            "out_time",
            "actual_duration_hours",
            "rate_per_hour",
            "cost",
            "status",
        ],
    ),
    (
        "parking_facilities",
        &[
            "facility_id",
            "name",
            "district",
            "total_spots",
            "rate_per_hour",
            "daily_max",
            "billing_increment_minutes",
            "peak_hours",
            "stay_profile",
        ],
    ),
    (
        "runs",
        &[
            "run_id",
            "kind",
            "seed",
            "start_date",
            "end_date",
            "volume",
            "plate_preset",
            "catalog_source",
            "catalog_fingerprint",
            "days_total",
            "days_done",
            "events_written",
            "sessions_written",
            "turned_away",
            "status",
            "created_at",
            "updated_at",
        ],
    ),
    ("stream_outbox", &["seq", "tbl", "created_ms", "row"]),
];

/// Why an existing file cannot be used as a parking-iot store, if it cannot.
fn schema_problem(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let tables = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    if tables.is_empty() {
        return Ok(None);
    }
    if !tables.iter().any(|t| t == "parking_events") {
        return Ok(Some(
            "is a SQLite database of another program (it has tables but no parking_events)".into(),
        ));
    }
    for (table, columns) in EXPECTED_COLUMNS {
        if !tables.iter().any(|t| t == table) {
            continue;
        }
        let mut info = conn.prepare(&format!("PRAGMA table_info({table})"))?;
        let present = info
            .query_map([], |r| r.get::<_, String>(1))?
            .collect::<Result<Vec<_>, _>>()?;
        let missing: Vec<&str> = columns
            .iter()
            .filter(|c| !present.iter().any(|p| p == *c))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Ok(Some(format!(
                "has a {table} table without the columns {} (made by another program or changed by hand)",
                missing.join(", ")
            )));
        }
    }
    Ok(None)
}

/// Holds a store's job lock while it lives (see [`Store::lock_for_job`]).
pub struct JobLock {
    _file: std::fs::File,
}

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path`. The folder must exist, except the
    /// default data folder, which [`Store::open_default`] creates.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if path.is_dir() {
            return Err(StoreError::Run(format!(
                "{} is a folder: give a file path for the database, such as {}",
                path.display(),
                path.join("parking.db").display()
            )));
        }
        if path.exists() && !path.is_file() {
            return Err(StoreError::Run(format!(
                "{} is not a regular file (a device, pipe or socket): give a file path for the database",
                path.display()
            )));
        }
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() && !dir.exists() {
                return Err(StoreError::MissingFolder(dir.to_path_buf()));
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let err = |e| StoreError::from_sqlite(path, e);
        let conn = Connection::open_with_flags(path, flags).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        // Checking the tables before any pragma or DDL leaves a foreign or damaged file untouched.
        if let Some(problem) = schema_problem(&conn).map_err(err)? {
            return Err(StoreError::Run(format!(
                "{} {problem}: choose another store file (--db on the command line, Change… in the window; a new file is created if it does not exist); the file was not changed",
                path.display()
            )));
        }
        for (name, value) in [
            ("journal_mode", "WAL"),
            ("synchronous", "NORMAL"),
            ("cache_size", "-65536"),
            ("temp_store", "MEMORY"),
        ] {
            conn.pragma_update(None, name, value).map_err(err)?;
        }
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens the default database, creating the data folder if needed.
    pub fn open_default() -> Result<Store, StoreError> {
        let path = default_db_path().ok_or_else(|| {
            StoreError::Run("no home folder found for the default database: pass --db PATH".into())
        })?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|_| StoreError::ReadOnly(dir.to_path_buf()))?;
        }
        Self::open(&path)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the modules of this store.
    pub(crate) fn conn(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Turns a SQLite error into a [`StoreError`] naming this database.
    pub fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, e)
    }

    /// Writes (or refreshes) the catalog's facilities.
    pub fn write_facilities(&mut self, catalog: &Catalog) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e);
        let rows: Vec<FacilityRow> = catalog
            .facilities
            .iter()
            .map(|f| FacilityRow::of(catalog, f))
            .collect();
        let stored = self.stored_facilities()?;
        if !stored.is_empty() {
            // Rows already written were priced and named by the stored facilities: replacing
            // them with another catalog's would make those rows wrong.
            if stored == rows {
                return Ok(());
            }
            let differs = rows
                .iter()
                .find(|r| !stored.contains(r))
                .map(|r| format!("facility {} ({})", r.id, r.name))
                .unwrap_or_else(|| "the set of facilities".into());
            return Err(StoreError::Run(format!(
                "{} holds the facilities of another catalog ({differs} differs from {}): use another --db for this catalog",
                self.path.display(),
                catalog.source
            )));
        }
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO parking_facilities
                     (facility_id, name, district, total_spots, rate_per_hour, daily_max, billing_increment_minutes, peak_hours, stay_profile)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(err)?;
            for r in &rows {
                stmt.execute(params![
                    r.id,
                    r.name,
                    r.district,
                    r.spots,
                    r.rate_cents as f64 / 100.0,
                    r.daily_max_cents as f64 / 100.0,
                    r.increment_minutes,
                    r.peak_hours,
                    r.stay_profile,
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Takes the database's job lock (a `.lock` file beside it) for as long as the returned
    /// guard lives, so that two historical runs never write one file at once. The operating
    /// system drops the lock when the process ends, however it ends.
    pub fn lock_for_job(&self) -> Result<JobLock, StoreError> {
        let mut name = self.path.clone().into_os_string();
        name.push(".lock");
        let lock_path = PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|_| StoreError::ReadOnly(lock_path.clone()))?;
        match file.try_lock() {
            Ok(()) => Ok(JobLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Busy(self.path.clone())),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Run(format!(
                "cannot lock {}: {e}",
                lock_path.display()
            ))),
        }
    }

    fn stored_facilities(&self) -> Result<Vec<FacilityRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT facility_id, name, district, total_spots, rate_per_hour, daily_max, billing_increment_minutes, peak_hours, stay_profile
                 FROM parking_facilities ORDER BY rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FacilityRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    district: r.get(2)?,
                    spots: r.get(3)?,
                    rate_cents: (r.get::<_, f64>(4)? * 100.0).round() as i64,
                    daily_max_cents: (r.get::<_, f64>(5)? * 100.0).round() as i64,
                    increment_minutes: r.get(6)?,
                    peak_hours: r.get(7)?,
                    stay_profile: r.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Row counts of the events and sessions tables.
    pub fn counts(&self) -> Result<(u64, u64), StoreError> {
        let q = |sql: &str| {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        };
        let events = q("SELECT count(*) FROM parking_events").map_err(|e| self.err(e))?;
        let sessions = q("SELECT count(*) FROM parking_sessions").map_err(|e| self.err(e))?;
        Ok((events, sessions))
    }
}
