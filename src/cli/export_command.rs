//! `parking-iot export`: the store's tables as CSV or NDJSON files, for tools that read files
//! (pandas, DuckDB, Spark, a Snowflake stage, a spreadsheet).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use clap::ValueEnum;

use super::{note, say, usage_error, EXIT_FAILURE, EXIT_OK};
use crate::store::export::{self, ExportError, ExportFormat, ExportRequest};
use crate::store::{default_db_path, StoreError};

/// File formats on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    /// Comma-separated values with a header line (RFC 4180); NULL is an empty field.
    Csv,
    /// One JSON object a line, keyed by column name; NULL is null.
    Ndjson,
}

/// Options of `export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Folder for the files (created if missing): parking_facilities, parking_events and
    /// parking_sessions, each .csv or .ndjson; files of the same name are replaced.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Database file [default: parking-iot.db in the OS data folder].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// File format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: FormatArg,
    /// Only the events and sessions of this run (its 3-hex-digit id, as `validate` lists it).
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// Compress each file with gzip (.csv.gz, .ndjson.gz).
    #[arg(long)]
    pub gzip: bool,
}

/// Runs `export` and returns the exit code.
pub fn export_command(args: ExportArgs) -> i32 {
    let Some(db) = args.db.or_else(default_db_path) else {
        return usage_error("no home folder found for the default database: pass --db PATH");
    };
    let request = ExportRequest {
        db,
        out_dir: args.out,
        format: match args.format {
            FormatArg::Csv => ExportFormat::Csv,
            FormatArg::Ndjson => ExportFormat::Ndjson,
        },
        run_id: args.run,
        gzip: args.gzip,
    };
    let mut last = std::time::Instant::now();
    let mut progress = |table: &str, rows: u64| {
        if last.elapsed().as_secs() >= 2 {
            last = std::time::Instant::now();
            note(&format!("  {table}: {rows} rows…"));
        }
    };
    // Ctrl-C stops at the next row and removes this export's partial files (a default
    // SIGINT would leave them behind).
    static CANCEL: AtomicBool = AtomicBool::new(false);
    let _ = ctrlc::set_handler(|| {
        CANCEL.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let started = std::time::Instant::now();
    match export::export(&request, &CANCEL, &mut progress) {
        Ok(files) => {
            for f in &files {
                say(&format!(
                    "{:<20} {:>11} rows  {:>10}  {}",
                    f.table,
                    f.rows,
                    export::size_label(f.bytes),
                    f.path.display()
                ));
            }
            note(&format!(
                "exported {} rows from {} in {:.1} s",
                files.iter().map(|f| f.rows).sum::<u64>(),
                request.db.display(),
                started.elapsed().as_secs_f64()
            ));
            EXIT_OK
        }
        // Files that cannot be written and a store another program holds are failures of
        // the work; everything else is input to change (exit 2).
        Err(
            e @ (ExportError::Write { .. } | ExportError::Publish { .. } | ExportError::Cancelled),
        )
        | Err(e @ ExportError::Store(StoreError::Locked(_) | StoreError::Sqlite { .. })) => {
            note(&format!("error: {e}"));
            EXIT_FAILURE
        }
        Err(e) => usage_error(&e.to_string()),
    }
}
