//! The `historical` command end to end on real SQLite files: determinism across threads and
//! batch sizes, resume after kill -9, re-running a finished run, and bad input.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_parking-iot");

fn historical(db: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["historical", "--seed", "7", "--db"])
        .arg(db)
        .args(extra)
        .output()
        .expect("run parking-iot")
}

/// Every row of both tables, in a canonical order, as text.
fn dump(db: &Path) -> (Vec<String>, Vec<String>) {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let rows = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).expect("prepare");
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            let mut cols = Vec::with_capacity(n);
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i)?;
                cols.push(format!("{v:?}"));
            }
            Ok(cols.join("|"))
        })
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows")
    };
    (
        rows("SELECT * FROM parking_events ORDER BY event_id"),
        rows("SELECT * FROM parking_sessions ORDER BY session_id"),
    )
}

#[test]
fn threads_and_batch_size_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let range = ["--start-date", "2025-03-08", "--end-date", "2025-03-11"];
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    let out = historical(
        &a,
        &[&range[..], &["--threads", "1", "--batch-size", "1000"]].concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = historical(
        &b,
        &[&range[..], &["--threads", "2", "--batch-size", "7"]].concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ea, sa) = dump(&a);
    let (eb, sb) = dump(&b);
    assert!(ea.len() > 50_000, "{} events", ea.len());
    assert_eq!(ea, eb);
    assert_eq!(sa, sb);
}

#[test]
fn a_killed_run_resumes_to_exactly_the_uninterrupted_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let range = [
        "--start-date",
        "2025-10-25",
        "--end-date",
        "2025-11-12",
        "--threads",
        "2",
    ];
    let reference = dir.path().join("reference.db");
    let out = historical(&reference, &range);
    assert!(out.status.success());
    let expected = dump(&reference);

    let db = dir.path().join("killed.db");
    for delay_ms in [150u64, 600, 1200] {
        let mut child = Command::new(BIN)
            .args(["historical", "--seed", "7", "--db"])
            .arg(&db)
            .args(range)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no chance to clean up
        let _ = child.wait();
    }
    let out = historical(&db, &range);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        dump(&db),
        expected,
        "resumed run differs from the uninterrupted one"
    );

    // The resumed database passes every invariant check.
    let out = Command::new(BIN)
        .args(["validate", "--db"])
        .arg(&db)
        .output()
        .expect("validate");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("PASSED"), "{report}");

    // Running it again changes nothing and says so.
    let out = historical(&db, &range);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("nothing to do"), "{stdout}");
    assert_eq!(dump(&db), expected);
}

fn expect_usage_error(args: &[&str], needle: &str) {
    let out = Command::new(BIN).args(args).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "args {args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "args {args:?}: expected '{needle}' in: {stderr}"
    );
}

#[test]
fn bad_input_is_refused_with_exit_code_2_and_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    let db = db.to_str().expect("utf8 path");
    expect_usage_error(
        &[
            "historical",
            "--db",
            db,
            "--start-date",
            "2025-02-01",
            "--end-date",
            "2025-01-01",
        ],
        "before the start date",
    );
    expect_usage_error(
        &["historical", "--db", db, "--start-date", "2025-02-30"],
        "'2025-02-30' is not a date",
    );
    expect_usage_error(
        &["historical", "--db", db, "--batch-size", "0"],
        "batch size 0",
    );
    expect_usage_error(
        &[
            "historical",
            "--db",
            db,
            "--start-date",
            "1975-01-01",
            "--end-date",
            "2990-01-01",
        ],
        "at most 36525 days",
    );
    expect_usage_error(
        &[
            "historical",
            "--db",
            "/nonexistent/folder/x.db",
            "--end-date",
            "2025-01-02",
        ],
        "/nonexistent/folder does not exist",
    );
    expect_usage_error(
        &["historical", "--db", db, "--volume", "huge"],
        "invalid value 'huge'",
    );
    expect_usage_error(
        &[
            "historical",
            "--db",
            db,
            "--plates",
            "martian",
            "--end-date",
            "2025-01-02",
        ],
        "unknown plate preset 'martian'",
    );

    let bad_catalog = dir.path().join("catalog.toml");
    let text = parking_iot::catalog::BUILTIN_CATALOG.replacen("spots = 300", "spots = -3", 1);
    std::fs::write(&bad_catalog, text).expect("write catalog");
    expect_usage_error(
        &[
            "historical",
            "--db",
            db,
            "--catalog",
            bad_catalog.to_str().expect("utf8"),
            "--end-date",
            "2025-01-02",
        ],
        "catalog.toml:",
    );

    // A file that is not a database is refused and left as it was.
    let junk = dir.path().join("notes.db");
    std::fs::write(&junk, "these are my notes, not a database\n".repeat(200)).expect("write");
    let before = std::fs::read(&junk).expect("read");
    expect_usage_error(
        &[
            "historical",
            "--db",
            junk.to_str().expect("utf8"),
            "--end-date",
            "2025-01-02",
        ],
        "not a parking-iot database",
    );
    assert_eq!(std::fs::read(&junk).expect("read"), before);
    assert!(
        !Path::new(db).exists(),
        "nothing was created by refused runs"
    );
}

#[test]
fn an_overlapping_run_with_other_settings_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    let out = historical(
        &db,
        &["--start-date", "2025-01-01", "--end-date", "2025-01-02"],
    );
    assert!(out.status.success());
    let out = Command::new(BIN)
        .args([
            "historical",
            "--seed",
            "8",
            "--start-date",
            "2025-01-02",
            "--end-date",
            "2025-01-03",
            "--db",
        ])
        .arg(&db)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("overlapping"));
    // The next days are fine.
    let out = historical(
        &db,
        &["--start-date", "2025-01-03", "--end-date", "2025-01-03"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_locked_database_gets_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    let out = historical(
        &db,
        &["--start-date", "2025-01-01", "--end-date", "2025-01-01"],
    );
    assert!(out.status.success());
    let holder = rusqlite::Connection::open(&db).expect("open");
    holder.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let out = historical(
        &db,
        &["--start-date", "2025-01-02", "--end-date", "2025-01-02"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is locked by another program"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    holder.execute_batch("ROLLBACK").expect("unlock");
    drop(holder);
    let out = historical(
        &db,
        &["--start-date", "2025-01-02", "--end-date", "2025-01-02"],
    );
    assert!(
        out.status.success(),
        "after the lock is gone the same command works"
    );
}

#[test]
fn a_generated_year_in_sqlite_passes_validate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("year.db");
    let out = historical(
        &db,
        &[
            "--start-date",
            "2025-01-01",
            "--end-date",
            "2025-12-31",
            "--volume",
            "original",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("365 days"), "{summary}");
    let out = Command::new(BIN)
        .args(["validate", "--db"])
        .arg(&db)
        .output()
        .expect("validate");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    for n in 1..=5 {
        assert!(
            report.contains(&format!("[PASS] {n} ")),
            "invariant {n}: {report}"
        );
    }
    let conn = rusqlite::Connection::open(&db).expect("open");
    let events: i64 = conn
        .query_row("SELECT count(*) FROM parking_events", [], |r| r.get(0))
        .expect("count");
    assert!(
        (900_000..1_200_000).contains(&events),
        "{events} events for a year of the original volume"
    );
}

#[test]
fn validate_refuses_a_missing_database() {
    let out = Command::new(BIN)
        .args(["validate", "--db", "/nonexistent/x.db"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn a_database_keeps_the_facilities_of_its_catalog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    let out = historical(
        &db,
        &["--start-date", "2025-01-01", "--end-date", "2025-01-01"],
    );
    assert!(out.status.success());
    // Another catalog into the same file would make the rows already written wrong.
    let other = dir.path().join("small.toml");
    let text = parking_iot::catalog::BUILTIN_CATALOG.replacen("spots = 200", "spots = 20", 1);
    std::fs::write(&other, text).expect("write");
    let out = historical(
        &db,
        &[
            "--start-date",
            "2025-02-01",
            "--end-date",
            "2025-02-01",
            "--catalog",
            other.to_str().expect("utf8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("facilities of another catalog"));
    // The live simulator refuses it the same way, before it runs, and writes nothing.
    let count = |sql: &str| -> i64 {
        rusqlite::Connection::open(&db)
            .expect("open")
            .query_row(sql, [], |r| r.get(0))
            .expect("count")
    };
    let events_before = count("SELECT count(*) FROM parking_events");
    let live = Command::new(BIN)
        .args(["live", "--duration", "2s", "--speed", "3600", "--db"])
        .arg(&db)
        .arg("--catalog")
        .arg(&other)
        .output()
        .expect("live");
    assert_eq!(live.status.code(), Some(2), "{live:?}");
    assert!(String::from_utf8_lossy(&live.stderr).contains("facilities of another catalog"));
    assert_eq!(count("SELECT count(*) FROM parking_events"), events_before);
    assert_eq!(
        count("SELECT count(*) FROM parking_facilities WHERE total_spots = 20"),
        0
    );
    // The same catalog with only a comment added is the same catalog: the run is recognised.
    let commented = dir.path().join("commented.toml");
    std::fs::write(
        &commented,
        format!("# my copy\n{}", parking_iot::catalog::BUILTIN_CATALOG),
    )
    .expect("write");
    let out = historical(
        &db,
        &[
            "--start-date",
            "2025-01-01",
            "--end-date",
            "2025-01-01",
            "--catalog",
            commented.to_str().expect("utf8"),
        ],
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));
    let out = Command::new(BIN)
        .args(["validate", "--db"])
        .arg(&db)
        .output()
        .expect("validate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_second_writer_is_refused_while_a_run_holds_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    let lock = std::fs::File::create(dir.path().join("x.db.lock")).expect("lock file");
    lock.lock()
        .expect("take the job lock as a running job would");
    let out = historical(
        &db,
        &["--start-date", "2025-01-01", "--end-date", "2025-01-01"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another parking-iot is writing"));
    lock.unlock().expect("unlock");
    let out = historical(
        &db,
        &["--start-date", "2025-01-01", "--end-date", "2025-01-01"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ctrl_c_stops_after_a_day_and_the_same_command_finishes_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let range = ["--start-date", "2025-05-01", "--end-date", "2025-05-20"];
    let reference = dir.path().join("reference.db");
    assert!(historical(&reference, &range).status.success());
    let db = dir.path().join("interrupted.db");
    let child = Command::new(BIN)
        .args(["historical", "--seed", "7", "--db"])
        .arg(&db)
        .args(range)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(700));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() == Some(1) {
        assert!(stdout.contains("run the same command again"), "{stdout}");
    } else {
        assert!(out.status.success(), "finished before the signal: {stdout}");
    }
    assert!(historical(&db, &range).status.success());
    assert_eq!(dump(&db), dump(&reference));
}

#[test]
fn odd_files_are_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A parking_events table of another shape.
    let foreign = dir.path().join("foreign.db");
    {
        let conn = rusqlite::Connection::open(&foreign).expect("open");
        conn.execute_batch(
            "CREATE TABLE parking_events (x INTEGER); INSERT INTO parking_events VALUES (1);",
        )
        .expect("create");
    }
    let before = std::fs::read(&foreign).expect("read");
    let out = historical(
        &foreign,
        &["--start-date", "2025-01-01", "--end-date", "2025-01-01"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("without the columns"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&foreign).expect("read"),
        before,
        "the file was not changed"
    );
    // A device is not a database file.
    let out = historical(
        Path::new("/dev/null"),
        &["--start-date", "2025-01-01", "--end-date", "2025-01-01"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    assert!(!Path::new("/dev/null-journal").exists());
}

#[test]
fn a_reader_that_goes_away_does_not_crash_the_program() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    assert!(historical(
        &db,
        &["--start-date", "2025-01-01", "--end-date", "2025-01-01"]
    )
    .status
    .success());
    let mut child = Command::new(BIN)
        .args(["validate", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "validate with a closed stdout");
}
