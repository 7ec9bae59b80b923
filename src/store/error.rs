//! Store errors, worded for the person who has to fix them.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// Something went wrong with the local SQLite store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder for the database does not exist.
    #[error("the folder {0} does not exist: create it, or choose another database path (--db)")]
    MissingFolder(PathBuf),
    /// Another program holds a lock on the database.
    #[error("the database {0} is locked by another program: close it (a SQLite browser, another parking-iot) and try again, or use another --db")]
    Locked(PathBuf),
    /// The file is not a SQLite database, or is damaged.
    #[error("{0} is not a parking-iot database or is damaged: choose another store file (--db on the command line, Change… in the window; a new file is created if it does not exist); the file was not changed")]
    Corrupt(PathBuf),
    /// The file or its folder cannot be written.
    #[error("the database {0} cannot be written (read-only file or folder, or no permission): make it writable or choose another store file (--db on the command line, Change… in the window)")]
    ReadOnly(PathBuf),
    /// The disk filled up.
    #[error("the disk is full while writing {0}: free some space and run the same command again; everything committed so far is kept and the run resumes")]
    DiskFull(PathBuf),
    /// Any other SQLite failure.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's own error.
        source: rusqlite::Error,
    },
    /// Another job is writing this database.
    #[error("another parking-iot is writing a historical run into {0} right now: wait for it to finish, or use another --db")]
    Busy(PathBuf),
    /// The run bookkeeping refuses the request.
    #[error("{0}")]
    Run(String),
}

impl StoreError {
    /// Classifies a SQLite error for the database at `path`.
    pub fn from_sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
        let p = path.to_path_buf();
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
                StoreError::Locked(p)
            }
            Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
                StoreError::Corrupt(p)
            }
            Some(ErrorCode::ReadOnly) | Some(ErrorCode::PermissionDenied) => {
                StoreError::ReadOnly(p)
            }
            Some(ErrorCode::DiskFull) => StoreError::DiskFull(p),
            Some(ErrorCode::CannotOpen) => match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => {
                    StoreError::MissingFolder(dir.to_path_buf())
                }
                _ => StoreError::ReadOnly(p),
            },
            _ => StoreError::Sqlite { path: p, source: e },
        }
    }
}
