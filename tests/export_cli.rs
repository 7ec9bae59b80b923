//! `parking-iot export` end to end: generated runs in a real SQLite file, exported as CSV,
//! NDJSON and gzip, read back and compared with the database row by row; one run of two;
//! bad input.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use rusqlite::types::Value;

const BIN: &str = env!("CARGO_BIN_EXE_parking-iot");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run parking-iot")
}

fn generate(db: &Path, seed: &str, start: &str, end: &str) {
    let db = db.to_str().expect("utf-8 path");
    let out = run(&[
        "historical",
        "--db",
        db,
        "--seed",
        seed,
        "--start-date",
        start,
        "--end-date",
        end,
    ]);
    assert!(out.status.success(), "{out:?}");
}

/// Every row of `table` keyed by its first column, values as SQLite holds them.
fn table(db: &Path, sql: &str) -> HashMap<String, Vec<Value>> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        let mut cols = Vec::with_capacity(n);
        for i in 0..n {
            cols.push(r.get::<_, Value>(i)?);
        }
        Ok(cols)
    })
    .expect("query")
    .map(|r| {
        let cols = r.expect("row");
        let key = match &cols[0] {
            Value::Text(t) => t.clone(),
            Value::Integer(i) => i.to_string(),
            other => panic!("key {other:?}"),
        };
        (key, cols)
    })
    .collect()
}

/// A small RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the file ends with a line break"
    );
    records
}

/// Does the CSV field hold this SQLite value?
fn csv_matches(field: &str, value: &Value) -> bool {
    match value {
        Value::Null => field.is_empty(),
        Value::Integer(i) => field.parse::<i64>().ok() == Some(*i),
        Value::Real(r) => field.parse::<f64>().ok() == Some(*r),
        Value::Text(t) => field == t,
        Value::Blob(_) => false,
    }
}

fn json_matches(field: &serde_json::Value, value: &Value) -> bool {
    match value {
        Value::Null => field.is_null(),
        Value::Integer(i) => field.as_i64() == Some(*i),
        Value::Real(r) => field.as_f64() == Some(*r),
        Value::Text(t) => field.as_str() == Some(t.as_str()),
        Value::Blob(_) => false,
    }
}

const TABLES: [(&str, &str); 3] = [
    ("parking_facilities", "SELECT * FROM parking_facilities"),
    ("parking_events", "SELECT * FROM parking_events"),
    ("parking_sessions", "SELECT * FROM parking_sessions"),
];

#[test]
fn csv_ndjson_and_gzip_hold_exactly_the_rows_of_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    generate(&db, "11", "2025-03-08", "2025-03-10");
    let db_s = db.to_str().expect("utf-8");

    let csv_dir = dir.path().join("csv");
    let out = run(&[
        "export",
        "--db",
        db_s,
        "--out",
        csv_dir.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{out:?}");
    let listing = String::from_utf8_lossy(&out.stdout);
    for (name, sql) in TABLES {
        let rows = table(&db, sql);
        assert!(!rows.is_empty(), "{name} has rows");
        let text = std::fs::read_to_string(csv_dir.join(format!("{name}.csv"))).expect("csv file");
        let records = parse_csv(&text);
        let conn = rusqlite::Connection::open(&db).expect("open");
        let header: Vec<String> = conn
            .prepare(sql)
            .expect("prepare")
            .column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(records[0], header, "{name}: the header is the column list");
        assert_eq!(records.len() - 1, rows.len(), "{name}: one line a row");
        for rec in &records[1..] {
            let values = rows
                .get(&rec[0])
                .unwrap_or_else(|| panic!("{name}: {rec:?} not in the store"));
            assert_eq!(rec.len(), values.len());
            for (field, value) in rec.iter().zip(values) {
                assert!(
                    csv_matches(field, value),
                    "{name}: '{field}' vs {value:?} in {rec:?}"
                );
            }
        }
        assert!(
            listing.contains(&format!("{} rows", rows.len())),
            "the summary counts {name}: {listing}"
        );
    }
    // Events come in time order.
    let events =
        parse_csv(&std::fs::read_to_string(csv_dir.join("parking_events.csv")).expect("events"));
    assert!(
        events[1..].windows(2).all(|w| w[0][8] <= w[1][8]),
        "event_time order"
    );

    let json_dir = dir.path().join("json");
    let out = run(&[
        "export",
        "--db",
        db_s,
        "--out",
        json_dir.to_str().expect("utf-8"),
        "--format",
        "ndjson",
        "--gzip",
    ]);
    assert!(out.status.success(), "{out:?}");
    for (name, sql) in TABLES {
        let rows = table(&db, sql);
        let mut text = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(json_dir.join(format!("{name}.ndjson.gz"))).expect("gz file"),
        )
        .read_to_string(&mut text)
        .expect("gunzip");
        let conn = rusqlite::Connection::open(&db).expect("open");
        let stmt = conn.prepare(sql).expect("prepare");
        let names = stmt.column_names();
        let mut seen = 0;
        for line in text.lines() {
            let obj: serde_json::Value = serde_json::from_str(line).expect("a JSON object");
            let key = match &obj[names[0]] {
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            let values = rows
                .get(&key)
                .unwrap_or_else(|| panic!("{name}: {key} not in the store"));
            for (col, value) in names.iter().zip(values) {
                assert!(
                    json_matches(&obj[*col], value),
                    "{name}.{col}: {} vs {value:?}",
                    obj[*col]
                );
            }
            seen += 1;
        }
        assert_eq!(seen, rows.len(), "{name}: one line a row");
    }
}

#[test]
fn one_run_of_two_is_exported_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    generate(&db, "1", "2025-05-01", "2025-05-02");
    generate(&db, "2", "2025-07-01", "2025-07-01");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let runs: Vec<(String, i64, i64)> = conn
        .prepare("SELECT run_id, events_written, sessions_written FROM runs ORDER BY created_at")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("runs");
    assert_eq!(runs.len(), 2);
    let (second, events, sessions) = runs[1].clone();
    let out_dir = dir.path().join("one");
    let out = run(&[
        "export",
        "--db",
        db.to_str().expect("utf-8"),
        "--out",
        out_dir.to_str().expect("utf-8"),
        "--run",
        &second.to_uppercase(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let ev =
        parse_csv(&std::fs::read_to_string(out_dir.join("parking_events.csv")).expect("events"));
    let se = parse_csv(
        &std::fs::read_to_string(out_dir.join("parking_sessions.csv")).expect("sessions"),
    );
    assert_eq!(ev.len() as i64 - 1, events);
    assert_eq!(se.len() as i64 - 1, sessions);
    assert!(
        ev[1..].iter().all(|r| r[0][15..18] == second),
        "every event id carries run {second}"
    );
    let fac = parse_csv(
        &std::fs::read_to_string(out_dir.join("parking_facilities.csv")).expect("facilities"),
    );
    assert_eq!(fac.len() - 1, 50, "the facilities are exported whole");
}

#[test]
fn bad_input_gets_exit_code_2_and_says_what_to_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    generate(&db, "3", "2025-02-01", "2025-02-01");
    let db_s = db.to_str().expect("utf-8");
    let out_s = dir.path().join("out");
    let out_s = out_s.to_str().expect("utf-8");
    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, "x").expect("write");
    let missing = dir.path().join("missing.db");
    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .and_then(|c| c.execute_batch("CREATE TABLE t (x)"))
        .expect("foreign db");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--db", missing.to_str().expect("utf-8"), "--out", out_s],
            "there is no database at",
        ),
        (
            vec!["--db", foreign.to_str().expect("utf-8"), "--out", out_s],
            "another program",
        ),
        (
            vec!["--db", db_s, "--out", out_s, "--run", "zz"],
            "is not a run id",
        ),
        (
            vec!["--db", db_s, "--out", out_s, "--run", "fff"],
            "the database has no run fff",
        ),
        (
            vec!["--db", db_s, "--out", a_file.to_str().expect("utf-8")],
            "cannot write into the folder",
        ),
        (
            vec!["--db", db_s, "--out", out_s, "--format", "xml"],
            "invalid value 'xml'",
        ),
    ];
    for (args, needle) in cases {
        let mut full = vec!["export"];
        full.extend(&args);
        let out = run(&full);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected '{needle}' in: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(
        std::fs::read_to_string(&a_file).unwrap_or_default(),
        "x",
        "the file was left alone"
    );
    assert!(
        !dir.path().join("out").exists(),
        "nothing was written for refused input"
    );
}
