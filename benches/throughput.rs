//! Throughput benchmark (a bench binary, not a timed test): `cargo bench --bench throughput`.
//!
//! 1. generation only: the engine simulating a year for all 50 facilities;
//! 2. end to end: the historical job writing a month into a fresh SQLite file;
//! 3. baseline: the very same month's rows, generated and formatted beforehand, inserted into a
//!    fresh SQLite file with the same schema by the plainest fast rusqlite code (one transaction,
//!    one prepared statement, journal and sync off).
//!
//! Prints events/s for each and the ratio end-to-end ÷ baseline.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use parking_iot::catalog::Catalog;
use parking_iot::engine::{calendar, SimSettings, Simulation, VolumePreset};
use parking_iot::jobs::historical::{self, HistoricalRequest, Notifier};
use parking_iot::model::{dollars, format_time, format_uuid, hours_2dp, EventKind, DAY_MS};
use parking_iot::store::SCHEMA;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn main() {
    let catalog = Arc::new(Catalog::builtin().expect("built-in catalog"));
    let tz = catalog.calendar.time_zone;
    let settings = SimSettings {
        seed: 7,
        volume: VolumePreset::Realistic,
        plate_preset: 0,
        tag: 1,
    };

    // 1. Generation only, one thread, a year.
    let start = calendar::local_midnight(tz, date(2025, 1, 1));
    let t0 = Instant::now();
    let mut sim = Simulation::new(catalog.clone(), settings, start);
    let (mut ev, mut se) = (Vec::new(), Vec::new());
    let mut events = 0usize;
    for d in 0..365 {
        ev.clear();
        se.clear();
        sim.advance(start + (d + 1) * DAY_MS - 1, &mut ev, &mut se);
        events += ev.len();
    }
    let gen_s = t0.elapsed().as_secs_f64();
    println!(
        "generation, 1 thread, 365 days: {events} events in {gen_s:.2} s = {:.2} M events/s",
        events as f64 / gen_s / 1e6
    );

    // 1b. Generation on all cores through the historical job's dry run.
    let dir = tempfile::tempdir().expect("temp dir");
    let request = |db: &str, dry: bool, end: NaiveDate| HistoricalRequest {
        start: date(2025, 1, 1),
        end,
        batch_size: 1000,
        seed: 7,
        volume: VolumePreset::Realistic,
        plate_preset: None,
        threads: 0,
        dry_run: dry,
        db: dir.path().join(db),
        catalog: catalog.clone(),
        snowflake: None,
    };
    let quiet = || Notifier {
        tx: crossbeam_channel::unbounded().0,
        notify: Box::new(|| {}),
    };
    let t0 = Instant::now();
    let _ = historical::run(
        &request("dry.db", true, date(2025, 12, 31)),
        &quiet(),
        &AtomicBool::new(false),
    );
    let s = t0.elapsed().as_secs_f64();
    println!("generation, all cores (dry run incl. sorting), 365 days: {events} events in {s:.2} s = {:.2} M events/s", events as f64 / s / 1e6);

    // 2. End to end, a month.
    let month_end = date(2025, 1, 31);
    let t0 = Instant::now();
    let outcome = historical::run(
        &request("e2e.db", false, month_end),
        &quiet(),
        &AtomicBool::new(false),
    )
    .expect("e2e run");
    let e2e_s = t0.elapsed().as_secs_f64();
    let month_events = match outcome {
        parking_iot::jobs::messages::Outcome::Finished(s) => s.events,
        other => panic!("unexpected outcome {other:?}"),
    };
    let e2e_rate = month_events as f64 / e2e_s;
    println!(
        "end to end into SQLite, 31 days: {month_events} events in {e2e_s:.2} s = {:.0} events/s",
        e2e_rate
    );

    // 3. Baseline: the same rows, pre-generated and pre-formatted.
    let mut sim = Simulation::new(catalog.clone(), SimSettings { tag: 0, ..settings }, start);
    let mut rows: Vec<[String; 13]> = Vec::new();
    let mut sessions_rows: Vec<[Option<String>; 12]> = Vec::new();
    let (mut ev, mut se) = (Vec::new(), Vec::new());
    for d in 0..31 {
        let until =
            calendar::local_midnight(tz, date(2025, 1, 1) + chrono::Duration::days(d + 1)) - 1;
        sim.advance(until, &mut ev, &mut se);
    }
    sim.active_sessions(&mut se);
    let (mut a, mut b, mut t) = ([0u8; 36], [0u8; 36], [0u8; 24]);
    let (mut plate, mut pattern) = (String::new(), String::new());
    for e in &ev {
        let f = &catalog.facilities[e.facility as usize];
        let district = &catalog.districts[f.district].name;
        let state = catalog.plates.render(e.plate, &mut plate).to_owned();
        e.pattern.render(district, e.kind, &mut pattern);
        let out = e.kind == EventKind::CarOut;
        rows.push([
            format_uuid(e.event_id, &mut a).to_owned(),
            e.kind.as_str().to_owned(),
            format_uuid(e.session_id, &mut b).to_owned(),
            f.id.to_string(),
            f.name.clone(),
            district.clone(),
            plate.clone(),
            state,
            format_time(e.time, &mut t).to_owned(),
            e.available_after.to_string(),
            if out {
                hours_2dp(e.duration_ms).to_string()
            } else {
                String::new()
            },
            if out {
                dollars(e.cost_cents).to_string()
            } else {
                String::new()
            },
            pattern.clone(),
        ]);
    }
    for s in &se {
        let f = &catalog.facilities[s.facility as usize];
        let state = catalog.plates.render(s.plate, &mut plate).to_owned();
        sessions_rows.push([
            Some(format_uuid(s.session_id, &mut a).to_owned()),
            Some(plate.clone()),
            Some(state),
            Some(f.id.to_string()),
            Some(f.name.clone()),
            Some(catalog.districts[f.district].name.clone()),
            Some(format_time(s.in_time, &mut t).to_owned()),
            s.out_time.map(|o| format_time(o, &mut t).to_owned()),
            s.out_time.map(|o| hours_2dp(o - s.in_time).to_string()),
            Some(f.rate_per_hour().to_string()),
            s.out_time.map(|_| dollars(s.cost_cents).to_string()),
            Some(s.status.as_str().to_owned()),
        ]);
    }
    let path = dir.path().join("baseline.db");
    let t0 = Instant::now();
    {
        let mut conn = rusqlite::Connection::open(&path).expect("open baseline");
        conn.execute_batch("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
            .expect("pragmas");
        conn.execute_batch(SCHEMA).expect("schema");
        let tx = conn.transaction().expect("tx");
        {
            let mut stmt = tx.prepare("INSERT INTO parking_events VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)").expect("prepare");
            for r in &rows {
                fn opt(s: &str) -> Option<&str> {
                    if s.is_empty() {
                        None
                    } else {
                        Some(s)
                    }
                }
                stmt.execute(rusqlite::params![
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                    opt(&r[10]),
                    opt(&r[11]),
                    r[12]
                ])
                .expect("insert event");
            }
            let mut stmt = tx
                .prepare(
                    "INSERT INTO parking_sessions VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                )
                .expect("prepare");
            for r in &sessions_rows {
                stmt.execute(rusqlite::params_from_iter(r.iter()))
                    .expect("insert session");
            }
        }
        tx.commit().expect("commit");
    }
    let base_s = t0.elapsed().as_secs_f64();
    let base_rate = rows.len() as f64 / base_s;
    println!(
        "baseline plain rusqlite, same {} events: {base_s:.2} s = {base_rate:.0} events/s",
        rows.len()
    );
    println!("ratio end to end / baseline: {:.2}", e2e_rate / base_rate);
}
