//! Exporting the store's tables to files: CSV (RFC 4180, a header line) or NDJSON (one JSON
//! object a line), optionally gzip-compressed, one file per table. The three tables are read
//! in one read transaction, so an export taken while the live simulator writes is one
//! consistent snapshot. The files are written under `.partial` names and renamed only when all
//! of them are complete: a failed or cancelled export changes nothing in the folder, so an
//! earlier export there is never left mixed with a part of this one.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::{StoreError, EXPECTED_COLUMNS};

/// A file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values with a header line; NULL is an empty field.
    Csv,
    /// Newline-delimited JSON: one object a row, keyed by column name; NULL is `null`.
    Ndjson,
}

impl ExportFormat {
    /// The file name extension (without gzip's `.gz`).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        }
    }
}

/// What to export and where.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    /// The database to read (never written).
    pub db: PathBuf,
    /// The folder the files go to (created if missing).
    pub out_dir: PathBuf,
    /// The file format.
    pub format: ExportFormat,
    /// Only the rows of this run (its 3-hex-digit id); `None`: every row.
    pub run_id: Option<String>,
    /// Compress each file with gzip (`.csv.gz`, `.ndjson.gz`).
    pub gzip: bool,
}

/// One file written.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportedFile {
    /// The table it holds.
    pub table: &'static str,
    /// Where it is.
    pub path: PathBuf,
    /// Data rows in it (the CSV header not counted).
    pub rows: u64,
    /// Its size on disk.
    pub bytes: u64,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The database could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// There is no database at the path.
    #[error("there is no database at {0}: generate data first (parking-iot historical or the window), or pass --db PATH")]
    NoDatabase(PathBuf),
    /// The run id is not of the form runs have.
    #[error("'{0}' is not a run id: run ids are 3 hex digits, as `parking-iot validate` and the Historical tab list them")]
    BadRun(String),
    /// The database holds no such run.
    #[error("the database has no run {run}: its runs are {known}")]
    UnknownRun {
        /// The run asked for.
        run: String,
        /// The runs it has, listed for the message.
        known: String,
    },
    /// The output folder cannot be used.
    #[error("cannot write into the folder {path}: {reason}; choose another folder")]
    OutDir {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
    /// Writing a file failed (a full disk, for example).
    #[error("cannot write {path}: {reason}; nothing in the folder was changed (an earlier export there is intact)")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
    /// Renaming the finished files into place failed after some were already replaced (a
    /// file of the same name that cannot be replaced, for example).
    #[error("cannot put {path} in place: {reason}; {replaced} of the files before it were already replaced, so the folder now mixes this export with an earlier one: remove or fix {path} and export again")]
    Publish {
        /// The file that could not be replaced.
        path: PathBuf,
        /// What the system said.
        reason: String,
        /// Files already replaced by this export.
        replaced: usize,
    },
    /// Stopped on request.
    #[error("export cancelled; nothing in the folder was changed")]
    Cancelled,
}

/// The tables exported, in this order, with the order of their rows.
const TABLES: [(&str, &str); 3] = [
    ("parking_facilities", "facility_id"),
    ("parking_events", "event_time, event_id"),
    ("parking_sessions", "in_time, session_id"),
];

/// Rows between two progress reports.
const PROGRESS_EVERY: u64 = 50_000;

/// Writes one file per table into `request.out_dir` and returns them. `progress` is told the
/// table and rows written so far every few tens of thousands of rows; `cancel` stops the
/// export at the next row.
pub fn export(
    request: &ExportRequest,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&'static str, u64),
) -> Result<Vec<ExportedFile>, ExportError> {
    let conn = open_read_only(&request.db)?;
    let err = |e| ExportError::Store(StoreError::from_sqlite(&request.db, e));
    let tag = match &request.run_id {
        Some(run) => Some(check_run(&conn, &request.db, run)?),
        None => None,
    };
    std::fs::create_dir_all(&request.out_dir).map_err(|e| ExportError::OutDir {
        path: request.out_dir.clone(),
        reason: e.to_string(),
    })?;
    // One read transaction: the three files show the same moment of a store being written.
    conn.execute_batch("BEGIN").map_err(err)?;
    // (table, final path, partial path, rows) of each file written so far.
    let mut written: Vec<(&'static str, PathBuf, PathBuf, u64)> = Vec::new();
    let discard = |written: &[(&'static str, PathBuf, PathBuf, u64)]| {
        for (_, _, partial, _) in written {
            let _ = std::fs::remove_file(partial);
        }
    };
    for (table, order) in TABLES {
        let columns = EXPECTED_COLUMNS
            .iter()
            .find(|(t, _)| *t == table)
            .map(|(_, c)| *c)
            .unwrap_or_default();
        let filter = match (&tag, table) {
            (Some(_), "parking_events") => "WHERE lower(substr(event_id, 16, 3)) = ?1",
            (Some(_), "parking_sessions") => "WHERE lower(substr(session_id, 16, 3)) = ?1",
            _ => "",
        };
        let sql = format!(
            "SELECT {} FROM {table} {filter} ORDER BY {order}",
            columns.join(", ")
        );
        let mut stmt = conn.prepare(&sql).map_err(err)?;
        let mut rows = if filter.is_empty() {
            stmt.query([])
        } else {
            stmt.query([tag.as_deref().unwrap_or_default()])
        }
        .map_err(err)?;
        let name = format!(
            "{table}.{}{}",
            request.format.extension(),
            if request.gzip { ".gz" } else { "" }
        );
        let path = request.out_dir.join(&name);
        let partial = request.out_dir.join(format!("{name}.partial"));
        let mut out = match FileOut::create(&partial, request.gzip) {
            Ok(o) => o,
            Err(e) => {
                discard(&written);
                return Err(e);
            }
        };
        let mut line = String::with_capacity(512);
        if request.format == ExportFormat::Csv {
            line.push_str(&columns.join(","));
            line.push_str("\r\n");
        }
        let mut count = 0u64;
        let outcome = (|| -> Result<(), ExportError> {
            while let Some(row) = rows.next().map_err(err)? {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ExportError::Cancelled);
                }
                match request.format {
                    ExportFormat::Csv => csv_line(row, columns.len(), &mut line).map_err(err)?,
                    ExportFormat::Ndjson => json_line(row, columns, &mut line).map_err(err)?,
                }
                count += 1;
                if line.len() >= 64 * 1024 {
                    out.write(line.as_bytes(), &partial)?;
                    line.clear();
                }
                if count.is_multiple_of(PROGRESS_EVERY) {
                    progress(table, count);
                }
            }
            out.write(line.as_bytes(), &partial)?;
            Ok(())
        })();
        let finished = outcome.and_then(|()| out.finish(&partial));
        if let Err(e) = finished {
            let _ = std::fs::remove_file(&partial);
            discard(&written);
            return Err(e);
        }
        progress(table, count);
        written.push((table, path, partial, count));
    }
    let _ = conn.execute_batch("COMMIT");
    // Every file is whole: publish them together.
    let mut files = Vec::new();
    for (i, (table, path, partial, rows)) in written.iter().enumerate() {
        if let Err(e) = std::fs::rename(partial, path) {
            discard(&written[i..]);
            // Write promises an unchanged folder; after a rename that is no longer so.
            return Err(if i == 0 {
                ExportError::Write {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            } else {
                ExportError::Publish {
                    path: path.clone(),
                    reason: e.to_string(),
                    replaced: i,
                }
            });
        }
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        files.push(ExportedFile {
            table,
            path: path.clone(),
            rows: *rows,
            bytes,
        });
    }
    Ok(files)
}

/// A file size for listings: "812 B", "1.2 kB", "45.3 MB", "1.20 GB".
pub fn size_label(n: u64) -> String {
    match n {
        0..=999 => format!("{n} B"),
        1_000..=999_999 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

/// Opens the database read-only after checking that it is one of ours.
fn open_read_only(db: &Path) -> Result<Connection, ExportError> {
    match std::fs::metadata(db) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ExportError::NoDatabase(db.to_path_buf()))
        }
        Ok(m) if !m.is_file() => {
            return Err(StoreError::Run(format!(
                "{} is not a database file (a folder, device or pipe): pass the .db file with --db",
                db.display()
            ))
            .into())
        }
        _ => {}
    }
    let err = |e| StoreError::from_sqlite(db, e);
    let conn = super::read_only::open_read_only(db).map_err(err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(err)?;
    if let Some(problem) = super::schema_problem(&conn).map_err(err)? {
        return Err(StoreError::Run(format!(
            "{} {problem}: pass the store's file with --db",
            db.display()
        ))
        .into());
    }
    let has_events: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'parking_events'",
            [],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )
        .map_err(err)?;
    if !has_events {
        return Err(StoreError::Run(format!(
            "{} has no parking-iot tables: it is an empty or foreign database; pass the store's file with --db",
            db.display()
        ))
        .into());
    }
    Ok(conn)
}

/// Checks that `run` names a run of the database; returns its tag in lower case.
fn check_run(conn: &Connection, db: &Path, run: &str) -> Result<String, ExportError> {
    let run = run.trim().to_ascii_lowercase();
    if run.len() != 3 || !run.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ExportError::BadRun(run));
    }
    let err = |e| ExportError::Store(StoreError::from_sqlite(db, e));
    let has_runs: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'",
            [],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )
        .map_err(err)?;
    if !has_runs {
        return Ok(run);
    }
    let mut stmt = conn
        .prepare("SELECT lower(run_id) FROM runs ORDER BY created_at")
        .map_err(err)?;
    let known = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    if known.contains(&run) {
        Ok(run)
    } else {
        Err(ExportError::UnknownRun {
            run,
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        })
    }
}

/// Appends one CSV record (RFC 4180: a field with a comma, quote or line break is quoted,
/// quotes doubled; CRLF line ends).
fn csv_line(row: &rusqlite::Row, n: usize, line: &mut String) -> rusqlite::Result<()> {
    for i in 0..n {
        if i > 0 {
            line.push(',');
        }
        match row.get_ref(i)? {
            ValueRef::Null => {}
            ValueRef::Integer(v) => push_int(v, line),
            ValueRef::Real(v) => push_real(v, line),
            ValueRef::Text(t) => {
                let t = String::from_utf8_lossy(t);
                if t.contains([',', '"', '\n', '\r']) {
                    line.push('"');
                    line.push_str(&t.replace('"', "\"\""));
                    line.push('"');
                } else {
                    line.push_str(&t);
                }
            }
            ValueRef::Blob(b) => push_hex(b, line),
        }
    }
    line.push_str("\r\n");
    Ok(())
}

/// Appends one JSON object keyed by column name, and a newline.
fn json_line(row: &rusqlite::Row, columns: &[&str], line: &mut String) -> rusqlite::Result<()> {
    line.push('{');
    for (i, name) in columns.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push('"');
        line.push_str(name);
        line.push_str("\":");
        match row.get_ref(i)? {
            ValueRef::Null => line.push_str("null"),
            ValueRef::Integer(v) => push_int(v, line),
            ValueRef::Real(v) if v.is_finite() => push_real(v, line),
            ValueRef::Real(_) => line.push_str("null"),
            ValueRef::Text(t) => {
                let t = String::from_utf8_lossy(t);
                line.push_str(&serde_json::Value::from(t.as_ref()).to_string());
            }
            ValueRef::Blob(b) => {
                line.push('"');
                push_hex(b, line);
                line.push('"');
            }
        }
    }
    line.push_str("}\n");
    Ok(())
}

fn push_int(v: i64, line: &mut String) {
    use std::fmt::Write as _;
    let _ = write!(line, "{v}");
}

/// The shortest text that reads back as the same number (12.5, 0.1, 3).
fn push_real(v: f64, line: &mut String) {
    use std::fmt::Write as _;
    let _ = write!(line, "{v}");
}

fn push_hex(b: &[u8], line: &mut String) {
    use std::fmt::Write as _;
    for byte in b {
        let _ = write!(line, "{byte:02x}");
    }
}

/// A file being written, plain or through gzip.
enum FileOut {
    Plain(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
}

impl FileOut {
    fn create(path: &Path, gzip: bool) -> Result<FileOut, ExportError> {
        let file = File::create(path).map_err(|e| ExportError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let w = BufWriter::with_capacity(1 << 20, file);
        Ok(if gzip {
            FileOut::Gzip(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::fast(),
            ))
        } else {
            FileOut::Plain(w)
        })
    }

    fn write(&mut self, bytes: &[u8], path: &Path) -> Result<(), ExportError> {
        let r = match self {
            FileOut::Plain(w) => w.write_all(bytes),
            FileOut::Gzip(w) => w.write_all(bytes),
        };
        r.map_err(|e| ExportError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Flushes everything and syncs the file, so the rename that follows publishes a whole file.
    fn finish(self, path: &Path) -> Result<(), ExportError> {
        let wrap = |e: std::io::Error| ExportError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let w = match self {
            FileOut::Plain(w) => w,
            FileOut::Gzip(g) => g.finish().map_err(wrap)?,
        };
        let file = w.into_inner().map_err(|e| wrap(e.into_error()))?;
        file.sync_all().map_err(wrap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(rows: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("x.db");
        let conn = Connection::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
        conn.execute_batch(super::super::SCHEMA)
            .unwrap_or_else(|e| panic!("schema: {e}"));
        for sql in rows {
            conn.execute_batch(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        (dir, path)
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_keeps_nulls_empty() {
        let (dir, db) = db_with(&[
            "INSERT INTO parking_facilities VALUES (7, 'Lot \"A\", North', 'Bronx', 10, 2.5, 20.0, 60, '8,9', 'commuter')",
            "INSERT INTO parking_events VALUES ('00000000-0000-7abc-8000-000000000001', 'CAR_IN', 's1', 7, 'Lot \"A\", North', 'Bronx', 'ABC-1234', 'NY', '2025-01-01T05:00:00.000Z', 9, NULL, NULL, 'Bronx|weekday_normal|mult:1.0x')",
        ]);
        let request = ExportRequest {
            db,
            out_dir: dir.path().join("out"),
            format: ExportFormat::Csv,
            run_id: None,
            gzip: false,
        };
        let files = export(&request, &AtomicBool::new(false), &mut |_, _| {})
            .unwrap_or_else(|e| panic!("export: {e}"));
        assert_eq!(
            files.iter().map(|f| f.rows).collect::<Vec<_>>(),
            vec![1, 1, 0]
        );
        let facilities = std::fs::read_to_string(&files[0].path).unwrap_or_default();
        assert_eq!(
            facilities,
            "facility_id,name,district,total_spots,rate_per_hour,daily_max,billing_increment_minutes,peak_hours,stay_profile\r\n\
             7,\"Lot \"\"A\"\", North\",Bronx,10,2.5,20,60,\"8,9\",commuter\r\n"
        );
        let events = std::fs::read_to_string(&files[1].path).unwrap_or_default();
        assert!(
            events.ends_with(",NY,2025-01-01T05:00:00.000Z,9,,,Bronx|weekday_normal|mult:1.0x\r\n"),
            "{events}"
        );
        // No partial file is left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
    }

    #[test]
    fn ndjson_escapes_text_and_writes_null() {
        let (dir, db) = db_with(&[
            "INSERT INTO parking_facilities VALUES (1, 'Quote \" and \\ and ünï', 'Queens', 5, 0.0, 0.0, 60, '', 'x')",
        ]);
        let request = ExportRequest {
            db,
            out_dir: dir.path().to_path_buf(),
            format: ExportFormat::Ndjson,
            run_id: None,
            gzip: false,
        };
        let files = export(&request, &AtomicBool::new(false), &mut |_, _| {})
            .unwrap_or_else(|e| panic!("export: {e}"));
        let text = std::fs::read_to_string(&files[0].path).unwrap_or_default();
        let v: serde_json::Value =
            serde_json::from_str(text.trim_end()).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(v["name"], "Quote \" and \\ and ünï");
        assert_eq!(v["rate_per_hour"], 0.0);
        assert_eq!(v["facility_id"], 1);
    }

    #[test]
    fn an_unknown_or_malformed_run_is_refused_with_the_known_runs() {
        let (dir, db) = db_with(&[
            "INSERT INTO runs (run_id, kind, seed, start_date, volume, plate_preset, catalog_source, catalog_fingerprint, days_total, status, created_at, updated_at) VALUES ('0a1', 'historical', 1, '2025-01-01', 'realistic', 'published', 'builtin', 'f', 1, 'finished', 't', 't')",
        ]);
        let mut request = ExportRequest {
            db,
            out_dir: dir.path().join("out"),
            format: ExportFormat::Csv,
            run_id: Some("fff".into()),
            gzip: false,
        };
        let e = export(&request, &AtomicBool::new(false), &mut |_, _| {})
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("no run fff") && e.contains("0a1"), "{e}");
        request.run_id = Some("zz".into());
        let e = export(&request, &AtomicBool::new(false), &mut |_, _| {})
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("not a run id"), "{e}");
        assert!(!dir.path().join("out").exists(), "nothing was created");
    }

    #[test]
    fn a_failed_export_leaves_an_earlier_one_in_the_folder_untouched() {
        let (dir, db) = db_with(&[
            "INSERT INTO parking_facilities VALUES (1, 'A', 'Queens', 5, 1.0, 10.0, 60, '', 'x')",
        ]);
        let out = dir.path().join("out");
        let request = ExportRequest {
            db: db.clone(),
            out_dir: out.clone(),
            format: ExportFormat::Csv,
            run_id: None,
            gzip: false,
        };
        export(&request, &AtomicBool::new(false), &mut |_, _| {})
            .unwrap_or_else(|e| panic!("first export: {e}"));
        let conn = Connection::open(&db).unwrap_or_else(|e| panic!("open: {e}"));
        conn.execute_batch(
            "INSERT INTO parking_facilities VALUES (2, 'B', 'Bronx', 5, 1.0, 10.0, 60, '', 'x')",
        )
        .unwrap_or_else(|e| panic!("insert: {e}"));
        // The last table's file cannot be created: the second export fails after writing two.
        std::fs::create_dir(out.join("parking_sessions.csv.partial"))
            .unwrap_or_else(|e| panic!("mkdir: {e}"));
        let e = export(&request, &AtomicBool::new(false), &mut |_, _| {});
        assert!(matches!(&e, Err(ExportError::Write { .. })), "{e:?}");
        assert!(
            e.as_ref()
                .err()
                .is_some_and(|e| e.to_string().contains("nothing in the folder was changed")),
            "{e:?}"
        );
        let facilities = std::fs::read_to_string(out.join("parking_facilities.csv"))
            .unwrap_or_else(|e| panic!("read: {e}"));
        assert_eq!(
            facilities.lines().count(),
            2,
            "still the first export: {facilities}"
        );
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap_or_else(|e| panic!("list: {e}"))
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                "parking_events.csv",
                "parking_facilities.csv",
                "parking_sessions.csv",
                "parking_sessions.csv.partial"
            ]
        );
    }

    #[test]
    fn a_file_that_cannot_be_replaced_is_reported_as_a_mixed_folder() {
        let (dir, db) = db_with(&[
            "INSERT INTO parking_facilities VALUES (1, 'A', 'Queens', 5, 1.0, 10.0, 60, '', 'x')",
        ]);
        let out = dir.path().join("out");
        // A folder where the events file goes: facilities are put in place, events cannot be.
        std::fs::create_dir_all(out.join("parking_events.csv").join("inside"))
            .unwrap_or_else(|e| panic!("mkdir: {e}"));
        let request = ExportRequest {
            db,
            out_dir: out.clone(),
            format: ExportFormat::Csv,
            run_id: None,
            gzip: false,
        };
        let e = export(&request, &AtomicBool::new(false), &mut |_, _| {});
        match &e {
            Err(ExportError::Publish { replaced, .. }) => assert_eq!(*replaced, 1),
            other => panic!("{other:?}"),
        }
        let text = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("mixes this export with an earlier one"),
            "{text}"
        );
        assert!(
            !text.contains("nothing in the folder was changed"),
            "{text}"
        );
        let partials = std::fs::read_dir(&out)
            .unwrap_or_else(|e| panic!("list: {e}"))
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .count();
        assert_eq!(partials, 0);
    }

    #[test]
    fn a_cancelled_export_leaves_no_partial_file() {
        let (dir, db) = db_with(&[
            "INSERT INTO parking_facilities VALUES (1, 'A', 'Queens', 5, 1.0, 10.0, 60, '', 'x')",
        ]);
        let request = ExportRequest {
            db,
            out_dir: dir.path().join("out"),
            format: ExportFormat::Csv,
            run_id: None,
            gzip: true,
        };
        let e = export(&request, &AtomicBool::new(true), &mut |_, _| {});
        assert!(matches!(e, Err(ExportError::Cancelled)), "{e:?}");
        let left = std::fs::read_dir(dir.path().join("out"))
            .map(|d| d.count())
            .unwrap_or(99);
        assert_eq!(left, 0);
    }
}
