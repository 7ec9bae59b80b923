//! The command line: the same jobs as the window, for scripts and CI.
//! Exit codes: 0 success, 1 failure, 2 bad usage or input.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::Catalog;
use crate::engine::VolumePreset;
use crate::jobs::historical::{self, HistoricalRequest, JobError, Notifier};
use crate::jobs::messages::{DayProgress, Outcome, Progress, Summary};
use crate::store::{default_db_path, StoreError};

mod export_command;
pub use export_command::ExportArgs;

/// Writes a line to standard output; a reader that went away (`| head`) is not an error.
fn say(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// Writes a line to standard error, never panicking.
fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Writes to standard error without a newline (the progress bar), never panicking.
fn note_inline(text: &str) {
    let mut err = std::io::stderr();
    let _ = write!(err, "{text}");
    let _ = err.flush();
}

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the work failed.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: bad usage or input.
pub const EXIT_USAGE: i32 = 2;

/// NYC smart-parking IoT simulator. Without a command it opens the desktop window.
#[derive(Parser, Debug)]
#[command(name = "parking-iot", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate a date range of historical events and sessions into the local store.
    Historical(HistoricalArgs),
    /// Check a database against every invariant and print realism statistics.
    Validate(ValidateArgs),
    /// Run the live simulator without the window (servers, CI), optionally streaming every
    /// event and session change to Snowflake (Snowpipe Streaming), exactly once.
    Live(LiveArgs),
    /// Snowflake: test the connection, create the objects, print the setup SQL, run the local stand-in.
    Snowflake(SnowflakeArgs),
    /// Write the store's tables to CSV or NDJSON files (all runs, or one).
    Export(ExportArgs),
}

/// Options of `snowflake`.
#[derive(clap::Args, Debug)]
pub struct SnowflakeArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SnowflakeAction,
}

/// The `snowflake` subcommands.
#[derive(Subcommand, Debug)]
pub enum SnowflakeAction {
    /// Connect and print version, user, role, warehouse, the key's fingerprint and the
    /// ALTER USER line that registers it.
    Test(ConnectionArgs),
    /// Create the database, schema, tables and pipes if they are missing.
    Setup {
        /// Connection settings.
        #[command(flatten)]
        conn: ConnectionArgs,
        /// Table variant.
        #[command(flatten)]
        variant: VariantArgs,
    },
    /// Run the local Snowflake stand-in (SQL API checks as Snowflake makes them) until
    /// Ctrl-C, to try loads without an account.
    Standin(StandInArgs),
    /// Print the setup SQL without connecting.
    Sql {
        /// Connection settings (only the database and schema names are used).
        #[command(flatten)]
        conn: ConnectionArgs,
        /// Table variant.
        #[command(flatten)]
        variant: VariantArgs,
    },
}

/// Snowflake connection flags. They override environment variables, `.env` and
/// `connections.toml`. The key passphrase is deliberately not a flag (it would show in the
/// process list and shell history): set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE, put it in `.env` or
/// connections.toml, or type it when asked.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct ConnectionArgs {
    /// Account identifier (e.g. xy12345.us-east-2.aws or myorg-myaccount).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Login name.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Role [default: SYSADMIN].
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// Warehouse [default: the user's default].
    #[arg(long, value_name = "WAREHOUSE")]
    pub warehouse: Option<String>,
    /// Database [default: PARKING_IOT].
    #[arg(long, value_name = "NAME")]
    pub database: Option<String>,
    /// Schema [default: RAW_DATA].
    #[arg(long, value_name = "NAME")]
    pub schema: Option<String>,
    /// Private key file (PEM: PKCS#8, encrypted PKCS#8 or PKCS#1).
    #[arg(long, value_name = "PATH")]
    pub private_key: Option<PathBuf>,
    /// Connection name in connections.toml [default: its default_connection_name, else [default]].
    #[arg(long, value_name = "NAME")]
    pub connection: Option<String>,
    /// Base URL instead of https://<account>.snowflakecomputing.com (e.g. a local stand-in).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

/// Options of `snowflake standin`.
#[derive(clap::Args, Debug, Clone)]
pub struct StandInArgs {
    /// The key it accepts: a public key (PEM `PUBLIC KEY`, e.g. rsa_key.pub) or the private key
    /// file itself, whose public half is registered.
    #[arg(long, value_name = "PATH")]
    pub key: PathBuf,
    /// The account it answers for.
    #[arg(long, value_name = "ACCOUNT", default_value = "standin")]
    pub account: String,
    /// The user it answers for.
    #[arg(long, value_name = "USER", default_value = "parking_user")]
    pub user: String,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,
    /// Percent of requests that meet a fault, to watch the app ride through them: SQL API
    /// requests get 429, 503, 504, dropped connections (before or after running) and
    /// slow answers; streaming requests get 500, 503, dropped connections, expired tokens and
    /// channel resets.
    #[arg(long, value_name = "PERCENT", default_value_t = 0.0, value_parser = parse_percent)]
    pub fault_rate: f64,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=50.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "'{text}' is not a fault rate: give a percent from 0 to 50, for example 5"
        )),
    }
}

/// Setup variant flags.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct VariantArgs {
    /// Iceberg tables on an existing external volume instead of standard tables.
    #[arg(long, requires = "external_volume")]
    pub iceberg: bool,
    /// The external volume of the Iceberg tables.
    #[arg(long, value_name = "VOLUME", requires = "iceberg")]
    pub external_volume: Option<String>,
    /// Folder under the external volume [default: parking_iot].
    #[arg(long, value_name = "PATH", requires = "iceberg")]
    pub base_location: Option<String>,
}

/// Where `historical` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SinkArg {
    /// The local SQLite store only.
    Local,
    /// Snowflake (the local store is still written: it holds the upload bookkeeping).
    Snowflake,
    /// The local store and Snowflake.
    Both,
}

/// Volume presets on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VolumeArg {
    /// Arrivals sized from each district's target peak occupancy.
    Realistic,
    /// The original system's volume (about 2,860 events a day).
    Original,
}

/// Options of `historical`.
#[derive(clap::Args, Debug)]
pub struct HistoricalArgs {
    /// First day, New York local date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, default_value = "2025-01-01")]
    pub start_date: NaiveDate,
    /// Last day, inclusive [default: yesterday in New York].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub end_date: Option<NaiveDate>,
    /// Rows per insert statement.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub batch_size: usize,
    /// Random seed: the same seed and settings give the same rows.
    #[arg(long, default_value_t = 42, value_name = "N")]
    pub seed: u64,
    /// Database file [default: parking-iot.db in the OS data folder].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// An edited catalog file (TOML) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Traffic volume.
    #[arg(long, value_enum, default_value = "realistic")]
    pub volume: VolumeArg,
    /// Plate-share preset from the catalog (published, observed-nyc) [default: the catalog's default, published].
    #[arg(long, value_name = "NAME")]
    pub plates: Option<String>,
    /// Simulation threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Generate and count without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Destination: local, snowflake or both (snowflake also writes the local store).
    #[arg(long, value_enum, default_value = "local")]
    pub sink: SinkArg,
    /// With --sink snowflake or both: create the database, schema and tables first if they
    /// are missing (the idempotent `snowflake setup`, standard tables).
    #[arg(long)]
    pub create_objects: bool,
    /// Snowflake connection (with --sink snowflake or both).
    #[command(flatten)]
    pub conn: ConnectionArgs,
}

/// Options of `live`.
#[derive(clap::Args, Debug)]
pub struct LiveArgs {
    /// Speed: simulated seconds per real second (1 = real time, 3600 = an hour a second).
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub speed: f64,
    /// How long to run, e.g. 90s, 15m, 2h [default: until Ctrl-C].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Database file [default: parking-iot.db in the OS data folder]. The live state continues
    /// from it, and with Snowflake its outbox keeps rows until Snowflake has committed them.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Destination: local, snowflake or both (snowflake also writes the local store).
    #[arg(long, value_enum, default_value = "local")]
    pub sink: SinkArg,
    /// At the end, how long to wait for Snowflake to commit what is left (e.g. 60s, 5m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    pub drain_timeout: std::time::Duration,
    /// An edited catalog file (TOML) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Traffic volume of a fresh live state.
    #[arg(long, value_enum, default_value = "realistic")]
    pub volume: VolumeArg,
    /// Streaming pipe of the events [default: PARKING_EVENTS_PIPE].
    #[arg(long, value_name = "NAME")]
    pub events_pipe: Option<String>,
    /// Streaming pipe of the session changes [default: PARKING_SESSIONS_PIPE].
    #[arg(long, value_name = "NAME")]
    pub sessions_pipe: Option<String>,
    /// Snowflake connection (with --sink snowflake or both).
    #[command(flatten)]
    pub conn: ConnectionArgs,
}

/// Options of `validate`.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Database file [default: parking-iot.db in the OS data folder].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date: use YYYY-MM-DD, for example 2025-01-31"))
}

/// A duration such as `90s`, `15m`, `2h`, `1h30m`, `500ms` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let bad = || {
        format!(
            "'{text}' is not a duration: use a number with s, m or h, for example 90s, 15m or 2h"
        )
    };
    let t = text.trim().to_ascii_lowercase();
    if let Ok(secs) = t.parse::<f64>() {
        return if secs.is_finite() && secs > 0.0 && secs < 1e9 {
            Ok(std::time::Duration::from_secs_f64(secs))
        } else {
            Err(bad())
        };
    }
    let mut total = 0.0f64;
    let mut rest = t.as_str();
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let n: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            _ => return Err(bad()),
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    if total > 0.0 && total.is_finite() && total < 1e9 {
        Ok(std::time::Duration::from_secs_f64(total))
    } else {
        Err(bad())
    }
}

fn resolve_db(db: Option<PathBuf>) -> Result<PathBuf, String> {
    match db {
        Some(p) => Ok(p),
        None => {
            let p = default_db_path()
                .ok_or("no home folder found for the default database: pass --db PATH")?;
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!(
                        "cannot create the data folder {}: {e}; pass --db PATH",
                        dir.display()
                    )
                })?;
            }
            Ok(p)
        }
    }
}

fn load_catalog(path: Option<&PathBuf>) -> Result<Arc<Catalog>, String> {
    let c = match path {
        Some(p) => Catalog::load(p),
        None => Catalog::builtin(),
    };
    c.map(Arc::new).map_err(|e| format!("bad catalog: {e}"))
}

/// Runs the command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Historical(args)) => historical_command(args),
        Some(Command::Validate(args)) => validate_command(args),
        Some(Command::Live(args)) => live_command(args),
        Some(Command::Snowflake(args)) => snowflake_command(args),
        Some(Command::Export(args)) => export_command::export_command(args),
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            EXIT_OK
        }
    }
}

fn usage_error(message: &str) -> i32 {
    note(&format!("error: {message}"));
    EXIT_USAGE
}

/// Set by the first Ctrl-C: the job stops after the day it is writing.
static CANCEL: AtomicBool = AtomicBool::new(false);

/// The first Ctrl-C asks the job to stop after the current day (every committed day stays and
/// the same command resumes); a second one quits at once, which is just as safe.
fn install_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, std::sync::atomic::Ordering::SeqCst) {
            note("\nquitting now; run the same command again to resume");
            std::process::exit(EXIT_FAILURE);
        }
        note("\nstopping after the current day (Ctrl-C again quits at once; the same command resumes)");
    });
}

fn historical_command(args: HistoricalArgs) -> i32 {
    let catalog = match load_catalog(args.catalog.as_ref()) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let db = if args.dry_run {
        args.db.clone().unwrap_or_default()
    } else {
        match resolve_db(args.db.clone()) {
            Ok(p) => p,
            Err(e) => return usage_error(&e),
        }
    };
    let yesterday = historical::yesterday_in_new_york();
    if args.end_date.is_none() && args.start_date > yesterday {
        return usage_error(&format!(
            "the start date {} is after yesterday ({yesterday}), the default end date: pass --end-date",
            args.start_date
        ));
    }
    let sink = match args.sink {
        SinkArg::Local => None,
        SinkArg::Snowflake | SinkArg::Both => match snowflake_connect(&args.conn) {
            Ok((config, settings, key)) => Some(historical::SnowflakeSink {
                settings,
                key: Arc::new(key),
                names: config.object_names(),
                in_flight: 4,
                create_objects: args
                    .create_objects
                    .then_some(crate::snowflake::setup::Variant::Standard),
            }),
            Err(e) => return usage_error(&e),
        },
    };
    if args.sink == SinkArg::Snowflake {
        note("--sink snowflake: the local store is written too; it records which batches Snowflake acknowledged, so that a stopped load resumes without duplicates");
    }
    let request = HistoricalRequest {
        start: args.start_date,
        end: args.end_date.unwrap_or(yesterday),
        batch_size: args.batch_size,
        seed: args.seed,
        volume: match args.volume {
            VolumeArg::Realistic => VolumePreset::Realistic,
            VolumeArg::Original => VolumePreset::Original,
        },
        plate_preset: args.plates.clone(),
        threads: args.threads,
        dry_run: args.dry_run,
        db,
        catalog,
        snowflake: sink,
    };
    if let Err(e) = request.check() {
        return usage_error(&e.to_string());
    }
    install_ctrl_c();
    let terminal = std::io::stderr().is_terminal();
    note(&format!(
        "parking-iot historical: {} to {}, seed {}, {} volume{}",
        request.start,
        request.end,
        request.seed,
        request.volume.as_str(),
        if request.dry_run {
            ", dry run (nothing is written)".to_string()
        } else {
            match &request.snowflake {
                Some(sink) => format!(
                    ", into {} and Snowflake {} ({}.{})",
                    request.db.display(),
                    sink.settings.base_url,
                    sink.names.database,
                    sink.names.schema
                ),
                None => format!(", into {}", request.db.display()),
            }
        }
    ));
    let (tx, rx) = crossbeam_channel::unbounded();
    let notifier = Notifier {
        tx,
        notify: Box::new(|| {}),
    };
    let printer = std::thread::spawn(move || {
        let mut last_line = std::time::Instant::now() - std::time::Duration::from_secs(10);
        for p in rx.iter() {
            match p {
                Progress::Started {
                    run_id,
                    days_total,
                    days_done,
                } => {
                    note(&format!(
                        "run {run_id}: {days_total} days{}",
                        if days_done > 0 {
                            format!(", resuming after day {days_done}")
                        } else {
                            String::new()
                        }
                    ));
                }
                Progress::Log(line) => note(&line),
                Progress::Day(d) => {
                    if terminal {
                        note_inline(&format!("\r{}", bar_line(&d)));
                    } else if last_line.elapsed().as_secs_f64() >= 2.0
                        || d.days_done == d.days_total
                    {
                        note(&plain_line(&d));
                        last_line = std::time::Instant::now();
                    }
                }
                Progress::Runs(_) | Progress::Done(_) => {}
            }
        }
        if terminal {
            note("");
        }
    });
    let result = historical::run(&request, &notifier, &CANCEL);
    drop(notifier);
    let _ = printer.join();
    match result {
        Ok(Outcome::Finished(s)) => {
            say(&summary_line("done", &s));
            EXIT_OK
        }
        Ok(Outcome::AlreadyComplete(s)) => {
            say(&format!("nothing to do: run {} is already complete ({} days, {} events, {} sessions); the database was not changed", s.run_id, s.days, s.events, s.sessions));
            EXIT_OK
        }
        Ok(Outcome::Cancelled(s)) => {
            say(&summary_line("stopped", &s));
            say("run the same command again to finish the run");
            EXIT_FAILURE
        }
        Ok(Outcome::Failed(e)) => {
            note(&format!("error: {e}"));
            EXIT_FAILURE
        }
        Err(JobError::BadInput(e)) => usage_error(&e),
        Err(e @ JobError::Upload(_)) => {
            note(&format!("error: {e}"));
            EXIT_FAILURE
        }
        Err(JobError::Store(e)) => {
            note(&format!("error: {e}"));
            match e {
                StoreError::MissingFolder(_)
                | StoreError::Corrupt(_)
                | StoreError::ReadOnly(_)
                | StoreError::Run(_) => EXIT_USAGE,
                _ => EXIT_FAILURE,
            }
        }
    }
}

/// The first Ctrl-C of `live` stops generating and starts the bounded wait for Snowflake; a
/// second one quits at once (the outbox keeps what Snowflake has not committed).
fn install_live_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, std::sync::atomic::Ordering::SeqCst) {
            note("\nquitting now; rows Snowflake has not committed stay in the outbox and are sent on the next start");
            std::process::exit(EXIT_FAILURE);
        }
        note("\nstopping (Ctrl-C again quits at once)");
    });
}

fn feed_line(f: &crate::jobs::live::FeedStatus) -> String {
    let mut line = format!(
        "snowflake {}: sent {}, committed {}, backlog {}",
        f.state.label(),
        f.rows_sent,
        f.rows_committed,
        f.backlog_rows
    );
    // After faults, rows Snowflake dropped before committing them were sent again: say so, or
    // "sent" above "committed" with nothing left reads like a loss.
    if f.rows_sent > f.rows_committed + f.backlog_rows {
        line.push_str(" (sent counts resends)");
    }
    if let Some(l) = f.latency {
        line.push_str(&format!(", latency {:.1} s", l.as_secs_f64()));
    }
    if let Some(e) = &f.last_error {
        line.push_str(&format!(" - {e}"));
    }
    line
}

fn live_line(s: &crate::jobs::live::LiveSnapshot, tz: chrono_tz::Tz) -> String {
    let mut line = format!(
        "live: {} (New York), {} events written ({} ev/s), {} of {} spots taken",
        crate::jobs::live::ny_time(tz, s.clock_ms),
        s.store.events_written,
        s.events_per_sec.round(),
        s.totals.occupied,
        s.totals.spots
    );
    if let Some(f) = &s.feed {
        line.push_str("; ");
        line.push_str(&feed_line(f));
    }
    if let Some(e) = &s.store.error {
        line.push_str(&format!("; store: {e}"));
    }
    line
}

fn live_command(args: LiveArgs) -> i32 {
    use crate::jobs::live::{self, FeedSettings, LiveCommand, LiveConfig, MAX_SPEED, MIN_SPEED};
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    if !(args.speed.is_finite() && (MIN_SPEED..=MAX_SPEED).contains(&args.speed)) {
        return usage_error(&format!(
            "--speed {} is out of range: use {MIN_SPEED} (real time) to {MAX_SPEED} (a day a second)",
            args.speed
        ));
    }
    if let Some(d) = args.duration.filter(|d| *d < Duration::from_secs(1)) {
        return usage_error(&format!(
            "--duration {} ms is shorter than a second, too short to simulate anything: use e.g. 90s, 15m or 2h",
            d.as_millis()
        ));
    }
    let catalog = match load_catalog(args.catalog.as_ref()) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let db = match resolve_db(args.db.clone()) {
        Ok(p) => p,
        Err(e) => return usage_error(&e),
    };
    if let Some(dir) = db.parent() {
        if !dir.as_os_str().is_empty() && !dir.exists() {
            return usage_error(&format!(
                "the folder {} does not exist: create it or pass another --db PATH",
                dir.display()
            ));
        }
    }
    // Checked before anything runs, as `historical` does: a folder, a file that is not a
    // store, or a store of another catalog is refused, and nothing in it changes.
    if let Err(e) = crate::store::Store::open(&db).and_then(|mut s| s.write_facilities(&catalog)) {
        return usage_error(&e.to_string());
    }
    let feed = match args.sink {
        SinkArg::Local => None,
        SinkArg::Snowflake | SinkArg::Both => match snowflake_connect(&args.conn) {
            Ok((config, settings, key)) => {
                let mut names = config.object_names();
                if let Some(p) = &args.events_pipe {
                    names.events_pipe = p.clone();
                }
                if let Some(p) = &args.sessions_pipe {
                    names.sessions_pipe = p.clone();
                }
                if let Err(e) = names.check() {
                    return usage_error(&e.to_string());
                }
                Some(FeedSettings::new(settings, Arc::new(key), names))
            }
            Err(e) => return usage_error(&e),
        },
    };
    install_live_ctrl_c();
    let tz = catalog.calendar.time_zone;
    note(&format!(
        "parking-iot live: {}× into {}{}{}; Ctrl-C stops",
        fmt_speed(args.speed),
        db.display(),
        match &feed {
            Some(f) => format!(
                " and Snowflake {} ({}.{}, pipes {} and {})",
                f.api.base_url,
                f.names.database,
                f.names.schema,
                f.names.events_pipe,
                f.names.sessions_pipe
            ),
            None => String::new(),
        },
        match args.duration {
            Some(d) => format!(", for {}", fmt_duration(d)),
            None => String::new(),
        }
    ));
    let streaming = feed.is_some();
    let mut handle = live::spawn(
        LiveConfig {
            db: Some(db.clone()),
            catalog,
            volume: match args.volume {
                VolumeArg::Realistic => VolumePreset::Realistic,
                VolumeArg::Original => VolumePreset::Original,
            },
            speed: args.speed,
            batch_size: 1000,
        },
        || {},
    );
    if let Some(f) = feed {
        handle.send(LiveCommand::SetSnowflakeFeed(Some(Box::new(f))));
    }
    handle.send(LiveCommand::SetSpeed(args.speed));
    handle.send(LiveCommand::Start);
    let started = Instant::now();
    let mut last_print = Instant::now();
    let mut latest: Option<live::LiveSnapshot> = None;
    let take = |latest: &mut Option<live::LiveSnapshot>, wait: Duration| {
        if let Ok(s) = handle.snapshots.recv_timeout(wait) {
            for line in &s.log {
                note(&format!("live: {line}"));
            }
            *latest = Some(s);
        }
        for s in handle.snapshots.try_iter() {
            for line in &s.log {
                note(&format!("live: {line}"));
            }
            *latest = Some(s);
        }
    };
    while !CANCEL.load(Ordering::SeqCst) && args.duration.is_none_or(|d| started.elapsed() < d) {
        take(&mut latest, Duration::from_millis(200));
        if last_print.elapsed() >= Duration::from_secs(2) {
            if let Some(s) = &latest {
                note(&live_line(s, tz));
            }
            last_print = Instant::now();
        }
    }
    handle.send(LiveCommand::Stop);
    let mut drained = !streaming;
    if streaming {
        let deadline = Instant::now() + args.drain_timeout;
        note(&format!(
            "stopped generating; waiting up to {} for Snowflake to commit what is left (Ctrl-C again quits at once; nothing is lost: the outbox is resent on the next start)",
            fmt_duration(args.drain_timeout)
        ));
        while Instant::now() < deadline {
            take(&mut latest, Duration::from_millis(100));
            // A snapshot of the stopped runner comes after its last commit; its feed figures
            // are up to date once the feed has counted the outbox after that commit.
            let done = latest.as_ref().is_some_and(|s| {
                !s.running
                    && s.feed
                        .as_ref()
                        .is_some_and(|f| f.up_to_date && f.backlog_rows == 0)
            });
            if done {
                drained = true;
                break;
            }
            if last_print.elapsed() >= Duration::from_secs(2) {
                if let Some(f) = latest.as_ref().and_then(|s| s.feed.as_ref()) {
                    note(&format!("waiting: {}", feed_line(f)));
                }
                last_print = Instant::now();
            }
        }
    }
    handle.shutdown();
    for s in handle.snapshots.try_iter() {
        latest = Some(s);
    }
    let Some(s) = latest else {
        note("error: the live runner did not report");
        return EXIT_FAILURE;
    };
    if let Some(e) = &s.store.error {
        note(&format!("error: {e}"));
        return EXIT_FAILURE;
    }
    say(&format!(
        "done: clock at {} (New York); this command wrote {} events and {} session rows to {}",
        crate::jobs::live::ny_time(tz, s.clock_ms),
        s.store.events_written,
        s.store.sessions_written,
        db.display()
    ));
    if let Some(f) = &s.feed {
        say(&feed_line(f));
        if !drained {
            say(&format!(
                "{} rows are not committed in Snowflake yet; they stay in the outbox of {} and are sent on the next `parking-iot live --sink snowflake` (or when the window's feed is on)",
                f.backlog_rows,
                db.display()
            ));
            return EXIT_FAILURE;
        }
    }
    EXIT_OK
}

fn fmt_speed(speed: f64) -> String {
    crate::jobs::live::fmt_speed(speed)
}

fn fmt_duration(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

fn human(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.2}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

fn eta(d: &DayProgress) -> String {
    let frac = d.fraction();
    if frac <= 0.0 || d.elapsed_s <= 0.0 {
        return "?".into();
    }
    let left = d.elapsed_s * (1.0 - frac) / frac;
    format!("{left:.0}s")
}

fn bar_line(d: &DayProgress) -> String {
    let width = 30;
    let filled = (d.fraction() * width as f64).round() as usize;
    format!(
        "[{}{}] {:>3.0}% {}/{} days  {} events  {} sessions  {} ev/s  left {}   ",
        "#".repeat(filled),
        "-".repeat(width - filled.min(width)),
        d.fraction() * 100.0,
        d.days_done,
        d.days_total,
        human(d.events as f64),
        human(d.sessions as f64),
        human(d.events_per_sec()),
        eta(d)
    )
}

fn plain_line(d: &DayProgress) -> String {
    format!(
        "progress: {:.0}% ({}/{} days), {} events, {} sessions, {} events/s",
        d.fraction() * 100.0,
        d.days_done,
        d.days_total,
        d.events,
        d.sessions,
        d.events_per_sec().round()
    )
}

fn summary_line(word: &str, s: &Summary) -> String {
    format!(
        "{word}: run {}, {} days done; this command wrote {} events and {} sessions; {} cars turned away; {:.1} s, {} events/s{}",
        s.run_id,
        s.days,
        s.events,
        s.sessions,
        s.turned_away,
        s.seconds,
        s.events_per_sec().round(),
        if s.dry_run { " (dry run: nothing written)" } else { "" }
    )
}

fn validate_command(args: ValidateArgs) -> i32 {
    let db = match args.db {
        Some(p) => p,
        None => match default_db_path() {
            Some(p) => p,
            None => {
                return usage_error("no home folder found for the default database: pass --db PATH")
            }
        },
    };
    if !db.exists() {
        return usage_error(&format!(
            "{} does not exist: pass the database a historical run wrote (--db PATH)",
            db.display()
        ));
    }
    if !db.is_file() {
        return usage_error(&format!(
            "{} is not a regular file: pass the database file a historical run wrote (--db PATH)",
            db.display()
        ));
    }
    match crate::validate::validate_db(&db) {
        Ok(report) => {
            say(&report.render());
            if report.passed() {
                EXIT_OK
            } else {
                EXIT_FAILURE
            }
        }
        Err(e) => usage_error(&e.to_string()),
    }
}

/// The resolved connection settings, or a message for exit code 2.
fn snowflake_config(
    args: &ConnectionArgs,
) -> Result<crate::snowflake::config::ConnectionConfig, String> {
    crate::snowflake::config::load(crate::snowflake::config::Explicit {
        account: args.account.clone(),
        user: args.user.clone(),
        role: args.role.clone(),
        warehouse: args.warehouse.clone(),
        database: args.database.clone(),
        schema: args.schema.clone(),
        private_key_path: args.private_key.clone(),
        passphrase: None,
        base_url: args.base_url.clone(),
        connection: args.connection.clone(),
    })
    .map_err(|e| e.to_string())
}

/// Reads a passphrase from the terminal without echo. Echo is switched off with `stty`
/// (no extra dependency); where that is unavailable the text is read with echo, after a
/// warning, since the user chose to type it.
fn prompt_passphrase(key: &std::path::Path) -> Option<crate::snowflake::config::Secret> {
    note_inline(&format!("passphrase for {}: ", key.display()));
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let hidden = stty("-echo");
    if !hidden {
        note_inline("(echo could not be turned off) ");
    }
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if hidden {
        stty("echo");
    }
    note("");
    read.ok()?;
    Some(crate::snowflake::config::Secret::new(
        line.trim_end_matches(['\r', '\n']).to_string(),
    ))
}

/// Loads the key of the settings, asking for the passphrase on a terminal when the key is
/// encrypted and none was configured. Errors are messages for exit code 2.
fn snowflake_key(
    config: &crate::snowflake::config::ConnectionConfig,
) -> Result<crate::snowflake::KeyPair, String> {
    use crate::snowflake::{KeyError, KeyPair};
    let path = config.key_path().map_err(|e| e.to_string())?;
    let pass = config.passphrase.as_ref().map(|p| p.value.expose());
    match KeyPair::load_file(path, pass) {
        Err(KeyError::NeedsPassphrase(_)) if std::io::stdin().is_terminal() => {
            let typed = prompt_passphrase(path).ok_or("no passphrase was read")?;
            KeyPair::load_file(path, Some(typed.expose())).map_err(|e| e.to_string())
        }
        other => other.map_err(|e| e.to_string()),
    }
}

fn variant(args: &VariantArgs) -> crate::snowflake::setup::Variant {
    match (&args.iceberg, &args.external_volume) {
        (true, Some(volume)) => crate::snowflake::setup::Variant::Iceberg {
            external_volume: volume.clone(),
            base_location: args
                .base_location
                .clone()
                .unwrap_or_else(|| "parking_iot".into()),
        },
        _ => crate::snowflake::setup::Variant::Standard,
    }
}

/// The client settings and key for a connecting command; messages are for exit code 2.
fn snowflake_connect(
    args: &ConnectionArgs,
) -> Result<
    (
        crate::snowflake::config::ConnectionConfig,
        crate::snowflake::sql_api::ApiSettings,
        crate::snowflake::KeyPair,
    ),
    String,
> {
    let config = snowflake_config(args)?;
    let settings = config
        .api_settings(crate::snowflake::sql_api::RetryPolicy::default())
        .map_err(|e| e.to_string())?;
    let key = snowflake_key(&config)?;
    Ok((config, settings, key))
}

fn print_output(out: crate::snowflake::commands::CommandOutput) -> i32 {
    if out.code == EXIT_OK {
        let _ = write!(std::io::stdout(), "{}", out.text);
    } else {
        let _ = write!(std::io::stderr(), "{}", out.text);
    }
    out.code
}

fn snowflake_command(args: SnowflakeArgs) -> i32 {
    use crate::snowflake::commands;
    match args.action {
        SnowflakeAction::Sql { conn, variant: v } => match snowflake_config(&conn) {
            Ok(config) => print_output(commands::sql(&config.object_names(), &variant(&v))),
            Err(e) => usage_error(&e),
        },
        SnowflakeAction::Standin(args) => standin_command(&args),
        SnowflakeAction::Test(conn) => match snowflake_connect(&conn) {
            Ok((config, settings, key)) => {
                for (name, value, source) in config.describe() {
                    if !source.is_empty() {
                        note(&format!("{name}: {value} (from {source})"));
                    }
                }
                let alter = key.alter_user_line(&settings.user);
                let code = print_output(commands::test(settings, key));
                if code == EXIT_OK {
                    say(&format!("public key registration: {alter}"));
                }
                code
            }
            Err(e) => usage_error(&e),
        },
        SnowflakeAction::Setup { conn, variant: v } => match snowflake_connect(&conn) {
            Ok((config, settings, key)) => print_output(commands::run_setup(
                settings,
                key,
                &config.object_names(),
                &variant(&v),
            )),
            Err(e) => usage_error(&e),
        },
    }
}

/// The public key a stand-in registers: a public key file, or the public half of a private one.
fn standin_public_key(path: &std::path::Path) -> Result<rsa::RsaPublicKey, String> {
    use rsa::pkcs8::DecodePublicKey;
    let not_a_key = || {
        format!(
            "{} is not a key file: --key takes the public key registered with ALTER USER (-----BEGIN PUBLIC KEY-----, made by `openssl rsa -in rsa_key.p8 -pubout -out rsa_key.pub`), or the private key it belongs to",
            path.display()
        )
    };
    if let Err(reason) = crate::snowflake::keys::check_key_file(path) {
        return Err(format!("cannot use {} as --key: {reason}", path.display()));
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => return Err(not_a_key()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if !text.contains("-----BEGIN PUBLIC KEY-----") && !text.contains("PRIVATE KEY-----") {
        return Err(not_a_key());
    }
    if text.contains("-----BEGIN PUBLIC KEY-----") {
        let start = text.find("-----BEGIN PUBLIC KEY-----").unwrap_or(0);
        return rsa::RsaPublicKey::from_public_key_pem(text[start..].trim())
            .map_err(|e| format!("{} is not a readable RSA public key: {e}", path.display()));
    }
    let env_pass = std::env::var("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE").ok();
    let key = match crate::snowflake::KeyPair::from_pem(
        &text,
        env_pass.as_deref(),
        &path.display().to_string(),
    ) {
        Err(crate::snowflake::KeyError::NeedsPassphrase(_)) if std::io::stdin().is_terminal() => {
            let typed = prompt_passphrase(path).ok_or("no passphrase was read")?;
            crate::snowflake::KeyPair::from_pem(
                &text,
                Some(typed.expose()),
                &path.display().to_string(),
            )
        }
        other => other,
    }
    .map_err(|e| e.to_string())?;
    Ok(key.public_key().clone())
}

fn standin_command(args: &StandInArgs) -> i32 {
    use crate::snowflake::standin::{StandIn, StandInConfig};
    let public = match standin_public_key(&args.key) {
        Ok(k) => k,
        Err(e) => return usage_error(&e),
    };
    let config = StandInConfig::new(&args.account, &args.user, public);
    let standin = match StandIn::start_on(&format!("127.0.0.1:{}", args.port), config) {
        Ok(s) => s,
        Err(e) => {
            return usage_error(&format!(
                "cannot listen on 127.0.0.1:{}: {e} (choose another --port, or 0 for any free one)",
                args.port
            ))
        }
    };
    if args.fault_rate > 0.0 {
        use crate::snowflake::standin::{Fault, StreamFault};
        let per_mille = (args.fault_rate * 10.0).round() as u32;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        // No 500 on the SQL API side: the client does not retry it (only 429, 503, 504, as
        // Snowflake documents), so a load meeting one stops, to be resumed by running it again.
        standin.inject_randomly(
            seed,
            per_mille,
            Fault::ridden_through(std::time::Duration::from_secs(2)),
        );
        standin.inject_streaming_randomly(
            seed ^ 0x5EED,
            per_mille,
            vec![
                StreamFault::Status(500),
                StreamFault::Status(503),
                StreamFault::DropBefore,
                StreamFault::DropAfter,
                StreamFault::ExpireToken,
                StreamFault::ResetChannel,
            ],
        );
    }
    let url = standin.base_url();
    let port = url.rsplit(':').next().unwrap_or_default().to_string();
    say(&format!(
        "Snowflake stand-in listening on {url} for account {} and user {}",
        args.account, args.user
    ));
    say("In another terminal (or before starting the window), point the app at it:");
    say(&format!(
        "  export SNOWFLAKE_ACCOUNT={} SNOWFLAKE_USER={} SNOWFLAKE_HOST=127.0.0.1 SNOWFLAKE_PORT={port} SNOWFLAKE_PROTOCOL=http PRIVATE_KEY_PATH=<your private key>",
        args.account, args.user
    ));
    say("  parking-iot historical --start-date 2025-01-01 --end-date 2025-01-07 --sink both --create-objects");
    say("  parking-iot live --speed 3600 --duration 1m --sink both    (streams; the pipes come from the setup above or `parking-iot snowflake setup`)");
    if args.fault_rate > 0.0 {
        say(&format!(
            "About {}% of requests meet a fault (429, 5xx, dropped connections, slow answers, expired tokens, channel resets).",
            args.fault_rate
        ));
    }
    say("It keeps what it receives in memory only. Ctrl-C stops it and counts what arrived.");
    let (tx, rx) = crossbeam_channel::bounded::<()>(1);
    if ctrlc::set_handler(move || {
        let _ = tx.try_send(());
    })
    .is_err()
    {
        note("Ctrl-C could not be caught here; end the process to stop the stand-in");
    }
    let _ = rx.recv();
    // Counting a few hundred thousand rows takes a moment: say what is happening meanwhile.
    say("stopping; counting what arrived ...");
    for line in standin_summary(&standin) {
        say(&line);
    }
    EXIT_OK
}

/// What the stand-in received, table by table: rows loaded over the SQL API and rows committed
/// over Snowpipe Streaming, each with the number of distinct ids, so a user sees at a glance
/// that nothing arrived twice.
fn standin_summary(standin: &crate::snowflake::standin::StandIn) -> Vec<String> {
    let mut lines = Vec::new();
    for name in standin.table_names() {
        let short = name.rsplit('.').next().unwrap_or(&name).to_string();
        let Some(table) = standin.table(&short) else {
            continue;
        };
        let key = table.columns.first().cloned().unwrap_or_default();
        let distinct: std::collections::HashSet<&Option<String>> =
            table.rows.iter().filter_map(|r| r.first()).collect();
        let streamed = standin.streamed_rows(&short);
        // The table holds both kinds of arrival; what did not stream came over the SQL API.
        let loaded = table.rows.len().saturating_sub(streamed.len());
        let mut line = format!(
            "{name}: {} rows, {} distinct {key}: {loaded} loaded over the SQL API",
            table.rows.len(),
            distinct.len()
        );
        if !streamed.is_empty() {
            let ids: std::collections::HashSet<String> = streamed
                .iter()
                .map(|r| r.get(&key).map(|v| v.to_string()).unwrap_or_default())
                .collect();
            // Sessions stream once as active and once as completed: changes, not duplicates.
            line.push_str(&if key == "SESSION_ID" {
                format!(
                    ", {} session changes streamed ({} sessions)",
                    streamed.len(),
                    ids.len()
                )
            } else {
                format!(
                    ", {} streamed ({} distinct {key})",
                    streamed.len(),
                    ids.len()
                )
            });
        }
        lines.push(line);
    }
    let sql = standin.stats();
    let st = standin.streaming_stats();
    lines.push(format!(
        "SQL API: {} requests, {} statements run, {} retries answered from the requestId cache, {} faults injected; streaming: {} appends, {} rows committed, {} faults injected",
        sql.posts, sql.executed, sql.deduplicated, sql.faults, st.appends, st.rows_committed, st.faults
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration(" 45 "), Ok(Duration::from_secs(45)));
        for bad in ["", "0", "-5s", "10 parsecs", "m", "1.5.2s", "inf"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains("is not a duration"), "{bad}: {e}");
        }
    }
}
