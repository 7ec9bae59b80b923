//! Every query of `sql/sample_queries_sqlite.sql` runs against a generated database and gives
//! plausible answers; the Snowflake file asks the same questions.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use rusqlite::types::Value;

const BIN: &str = env!("CARGO_BIN_EXE_parking-iot");
const SQLITE: &str = include_str!("../sql/sample_queries_sqlite.sql");
const SNOWFLAKE: &str = include_str!("../sql/sample_queries_snowflake.sql");
const DISTRICTS: [&str; 6] = [
    "Manhattan",
    "Brooklyn",
    "Queens",
    "Bronx",
    "Staten Island",
    "Airport",
];

/// The named queries of a file: `-- name: X` starts one, the next marker ends it.
fn queries(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- name:") {
            out.push((name.trim().to_string(), String::new()));
        } else if let Some((_, sql)) = out.last_mut() {
            sql.push_str(line);
            sql.push('\n');
        }
    }
    out
}

type Rows = Vec<HashMap<String, Value>>;

fn run(conn: &rusqlite::Connection, sql: &str) -> Rows {
    let mut stmt = conn.prepare(sql).expect("prepare");
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    stmt.query_map([], |r| {
        let mut row = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            row.insert(n.clone(), r.get::<_, Value>(i)?);
        }
        Ok(row)
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn int(row: &HashMap<String, Value>, col: &str) -> i64 {
    match &row[col] {
        Value::Integer(i) => *i,
        other => panic!("{col}: {other:?}"),
    }
}

fn real(row: &HashMap<String, Value>, col: &str) -> f64 {
    match &row[col] {
        Value::Real(x) => *x,
        Value::Integer(i) => *i as f64,
        other => panic!("{col}: {other:?}"),
    }
}

fn text<'a>(row: &'a HashMap<String, Value>, col: &str) -> &'a str {
    match &row[col] {
        Value::Text(t) => t,
        other => panic!("{col}: {other:?}"),
    }
}

#[test]
fn every_sqlite_sample_query_gives_plausible_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("q.db");
    let out = Command::new(BIN)
        .args([
            "historical",
            "--start-date",
            "2025-03-03",
            "--end-date",
            "2025-03-16",
            "--volume",
            "original",
            "--seed",
            "9",
            "--db",
        ])
        .arg(&db)
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let total_events: i64 = conn
        .query_row("SELECT COUNT(*) FROM parking_events", [], |r| r.get(0))
        .expect("count");
    let total_sessions: i64 = conn
        .query_row("SELECT COUNT(*) FROM parking_sessions", [], |r| r.get(0))
        .expect("count");
    let mut checked = BTreeSet::new();
    for (name, sql) in queries(SQLITE) {
        let rows = run(&conn, &sql);
        assert!(!rows.is_empty(), "{name}: no rows");
        match name.as_str() {
            "events_by_type_and_district" => {
                assert_eq!(rows.len(), 12, "6 districts x 2 types");
                let sum: i64 = rows.iter().map(|r| int(r, "events")).sum();
                assert_eq!(sum, total_events);
                for d in DISTRICTS {
                    let count = |t: &str| {
                        rows.iter()
                            .find(|r| text(r, "district") == d && text(r, "event_type") == t)
                            .map(|r| int(r, "events"))
                            .unwrap_or(0)
                    };
                    // Every CAR_OUT has its CAR_IN; a few cars are still parked at the end.
                    assert!(count("CAR_IN") >= count("CAR_OUT"), "{d}");
                    assert!(count("CAR_OUT") > 0, "{d}");
                }
            }
            "traffic_patterns" => {
                let arrivals: i64 = rows.iter().map(|r| int(r, "arrivals")).sum();
                let car_in: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM parking_events WHERE event_type = 'CAR_IN'",
                        [],
                        |r| r.get(0),
                    )
                    .expect("count");
                assert_eq!(arrivals, car_in);
                let tags: BTreeSet<&str> = rows.iter().map(|r| text(r, "day_tag")).collect();
                assert!(tags.len() >= 2, "weekdays and weekends: {tags:?}");
                for r in &rows {
                    assert!(DISTRICTS.contains(&text(r, "district")), "{r:?}");
                    let m = real(r, "avg_multiplier");
                    assert!((0.05..=5.0).contains(&m), "multiplier {m} in {r:?}");
                }
            }
            "revenue_by_district" => {
                assert_eq!(rows.len(), 6);
                let completed: i64 = rows.iter().map(|r| int(r, "completed_sessions")).sum();
                assert!(completed > 0 && completed <= total_sessions);
                for r in &rows {
                    let avg = real(r, "avg_cost");
                    let hours = real(r, "avg_hours");
                    // Staten Island Mall is free, so a district average can be low but never
                    // negative; nobody pays more than a few days' maximum on average.
                    assert!((0.0..=300.0).contains(&avg), "{r:?}");
                    assert!(hours > 0.0 && hours < 14.0 * 24.0, "{r:?}");
                    assert!(real(r, "revenue") >= 0.0);
                }
                assert!(rows.iter().map(|r| real(r, "revenue")).sum::<f64>() > 1000.0);
            }
            "plate_state_distribution" => {
                let sum: i64 = rows.iter().map(|r| int(r, "sessions")).sum();
                assert_eq!(sum, total_sessions);
                let top = &rows[0];
                assert_eq!(text(top, "license_plate_state"), "NY");
                let ny = real(top, "pct");
                assert!((50.0..=70.0).contains(&ny), "NY share {ny}");
                let pct: f64 = rows.iter().map(|r| real(r, "pct")).sum();
                assert!((pct - 100.0).abs() < 0.5, "{pct}");
            }
            "current_occupancy" => {
                assert_eq!(rows.len(), 50, "every facility, parked cars or not");
                let occupied: i64 = rows.iter().map(|r| int(r, "occupied")).sum();
                let active: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM parking_sessions WHERE status = 'active'",
                        [],
                        |r| r.get(0),
                    )
                    .expect("count");
                assert_eq!(occupied, active);
                assert!(active > 0);
                for r in &rows {
                    assert!(int(r, "occupied") <= int(r, "total_spots"), "{r:?}");
                    assert!((0.0..=100.0).contains(&real(r, "occupancy_pct")), "{r:?}");
                }
            }
            other => panic!("query {other} has no check: add one"),
        }
        checked.insert(name);
    }
    assert_eq!(checked.len(), 5, "{checked:?}");
    // The Snowflake file asks the same questions, with SPLIT_PART for the traffic pattern.
    let sf: BTreeSet<String> = queries(SNOWFLAKE).into_iter().map(|(n, _)| n).collect();
    assert_eq!(sf, checked);
    assert!(SNOWFLAKE.contains("SPLIT_PART(TRAFFIC_PATTERN, '|', 2)"));
}
