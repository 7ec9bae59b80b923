//! The local store: a SQLite file (WAL, batched transactions) holding events, sessions,
//! facilities and the bookkeeping of runs. The schema is `sql/sqlite_schema.sql`.

mod error;
pub mod live_state;
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
        // Reading the header first tells a damaged or foreign file apart before anything is written.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "cache_size", -65_536)
            .map_err(err)?;
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(err)?;
        let foreign: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%')
                   AND NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'parking_events')",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        if foreign {
            return Err(StoreError::Run(format!(
                "{} is a SQLite database of another program (it has tables but no parking_events): choose another --db so it is not changed",
                path.display()
            )));
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
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT OR REPLACE INTO parking_facilities
                     (facility_id, name, district, total_spots, rate_per_hour, daily_max, billing_increment_minutes, peak_hours, stay_profile)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(err)?;
            for f in &catalog.facilities {
                let peaks: Vec<String> = (0..24)
                    .filter(|h| f.peak_hours[*h])
                    .map(|h| h.to_string())
                    .collect();
                stmt.execute(params![
                    f.id,
                    f.name,
                    catalog.districts[f.district].name,
                    f.spots,
                    f.rate_per_hour(),
                    f.pricing.daily_max_cents as f64 / 100.0,
                    f.pricing.increment_minutes,
                    peaks.join(","),
                    catalog.stay_profiles[f.stay_profile].name,
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
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
