//! The validator's invariant checks on hand-built databases: a clean one passes, and each kind
//! of corruption fails the right check with the offending row as its example.

mod validate_support;

use parking_iot::model::time_string;
use parking_iot::validate::{validate_db, Report, ValidateError};
use rusqlite::params;
use validate_support::*;

fn validate(db: &TestDb) -> Report {
    match validate_db(&db.path) {
        Ok(r) => r,
        Err(e) => panic!("validation errored: {e}"),
    }
}

fn clean_db() -> (TestDb, Run, Cars) {
    let db = new_db();
    let (run, cars) = clean_run();
    run.write(&db.conn);
    (db, run, cars)
}

/// Asserts that exactly the invariants in `failing` failed, and returns the report.
fn assert_failing(report: &Report, failing: &[u8]) {
    let failed: Vec<u8> = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.invariant)
        .collect();
    assert_eq!(failed, failing, "\n{}", report.render());
    assert!(!report.passed());
}

fn examples(report: &Report, n: u8) -> String {
    report
        .check(n)
        .map(|c| c.examples.join("\n"))
        .unwrap_or_default()
}

#[test]
fn a_clean_database_passes_every_check() {
    let (db, run, _) = clean_db();
    let report = validate(&db);
    assert!(report.passed(), "{}", report.render());
    assert_eq!(report.checks.len(), 7);
    for n in 1..=5 {
        let c = report.check(n).unwrap();
        assert!(c.checked > 0, "check {n} checked nothing");
        assert_eq!(c.failures, 0);
        assert!(c.note.is_none());
    }
    for n in [6, 7] {
        let c = report.check(n).unwrap();
        assert!(c.passed);
        assert_eq!(c.checked, 0);
        assert!(c.note.as_deref().unwrap().contains("test suite"));
    }
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.runs.len(), 1);
    let r = &report.runs[0];
    assert_eq!(r.run_id, "0a1");
    assert_eq!(r.tag, Some(0x0a1));
    assert_eq!(r.events, run.events.len() as u64);
    assert_eq!((r.cars_in, r.cars_out), (7, 6));
    assert_eq!((r.sessions_completed, r.sessions_active), (6, 1));
    assert_eq!(r.full_days, 2);
    let t = &report.stats.totals;
    assert_eq!((t.events, t.cars_in, t.cars_out), (13, 7, 6));
    assert_eq!((t.sessions_completed, t.sessions_active), (6, 1));
    assert_eq!(t.first_event.as_deref(), Some("2025-01-04T15:00:00.000Z"));
    let text = report.render();
    assert!(text.contains("[PASS] 1"), "{text}");
    assert!(text.contains("Result: PASSED"), "{text}");
}

#[test]
fn a_car_out_without_its_car_in_fails_invariant_1() {
    let (db, run, cars) = clean_db();
    let car_in = run.event_of(cars.c, false);
    let car_out = run.event_of(cars.c, true);
    db.conn
        .execute("DELETE FROM parking_events WHERE event_id = ?1", [&car_in])
        .unwrap();
    let report = validate(&db);
    let c1 = report.check(1).unwrap();
    assert!(!c1.passed);
    assert_eq!(c1.failures, 1, "{}", report.render());
    assert!(c1.examples[0].contains(&car_out), "{}", c1.examples[0]);
    assert!(
        c1.examples[0].contains("no earlier CAR_IN"),
        "{}",
        c1.examples[0]
    );
    // The replay at that facility now goes below zero, once.
    assert_eq!(report.check(2).unwrap().failures, 1);
    assert!(examples(&report, 2).contains(&format!("CAR_OUT {car_out}")));
    assert!(examples(&report, 2).contains("occupancy -1 is below 0"));
    let text = report.render();
    assert!(text.contains("[FAIL] 1"), "{text}");
    assert!(text.contains(&car_out), "{text}");
    assert!(text.contains("Result: FAILED"), "{text}");
}

#[test]
fn occupancy_above_the_spots_fails_invariant_2() {
    let db = new_db();
    let (mut run, _) = clean_run();
    // Facility 2 has 2 spots; a third car enters while two are parked.
    let x = run.car_in(2, "NY", "OVR-0001", utc(7, 1, 0));
    let y = run.car_in(2, "NY", "OVR-0002", utc(7, 1, 10));
    let z = run.car_in(2, "NY", "OVR-0003", utc(7, 1, 20));
    for s in [x, y, z] {
        run.car_out(s, utc(7, 2, 0) + s as i64);
    }
    run.write(&db.conn);
    let third = run.event_of(z, false);
    let report = validate(&db);
    assert_failing(&report, &[2]);
    let c2 = report.check(2).unwrap();
    assert_eq!(c2.failures, 1, "only the third CAR_IN");
    assert!(c2.examples[0].contains(&third), "{}", c2.examples[0]);
    assert!(
        c2.examples[0].contains("above its 2 spots"),
        "{}",
        c2.examples[0]
    );
}

#[test]
fn a_wrong_available_spots_after_fails_invariant_2() {
    let (db, run, cars) = clean_db();
    let target = run.event_of(cars.b, true);
    db.conn
        .execute(
            "UPDATE parking_events SET available_spots_after = available_spots_after + 1 \
             WHERE event_id = ?1",
            [&target],
        )
        .unwrap();
    // A second, independent error at the same facility later on.
    let second = run.event_of(cars.e, false);
    db.conn
        .execute(
            "UPDATE parking_events SET available_spots_after = 0 WHERE event_id = ?1",
            [&second],
        )
        .unwrap();
    let report = validate(&db);
    assert_failing(&report, &[2]);
    let c2 = report.check(2).unwrap();
    assert_eq!(c2.failures, 2, "each bad row once; the rows between agree");
    assert!(c2.examples[1].contains(&second), "{}", c2.examples[1]);
    assert!(c2.examples[0].contains(&target), "{}", c2.examples[0]);
    assert!(
        c2.examples[0].contains("available_spots_after is 3 but the replay gives 3 - 1 = 2"),
        "{}",
        c2.examples[0]
    );
}

#[test]
fn a_wrong_cost_fails_invariant_3() {
    let (db, run, cars) = clean_db();
    // 24 h 1 min at $10/h capped at $30 per 24 h costs $40; charge $240 (no cap) instead,
    // in the event and in the session alike, so only the pricing rule is broken.
    let target = run.event_of(cars.d, true);
    db.conn
        .execute(
            "UPDATE parking_events SET cost = 250.0 WHERE event_id = ?1",
            [&target],
        )
        .unwrap();
    db.conn
        .execute(
            "UPDATE parking_sessions SET cost = 250.0 WHERE session_id = ?1",
            [&run.sessions[cars.d].id],
        )
        .unwrap();
    let report = validate(&db);
    assert_failing(&report, &[3]);
    let c3 = report.check(3).unwrap();
    assert_eq!(c3.failures, 1);
    assert!(c3.examples[0].contains(&target), "{}", c3.examples[0]);
    assert!(
        c3.examples[0].contains("cost is 250 but the pricing rule gives 40.00"),
        "{}",
        c3.examples[0]
    );
}

#[test]
fn a_wrong_duration_fails_invariant_3() {
    let (db, run, cars) = clean_db();
    let target = run.event_of(cars.c, true);
    db.conn
        .execute(
            "UPDATE parking_events SET parking_duration_hours = 0.8 WHERE event_id = ?1",
            [&target],
        )
        .unwrap();
    db.conn
        .execute(
            "UPDATE parking_sessions SET actual_duration_hours = 0.8 WHERE session_id = ?1",
            [&run.sessions[cars.c].id],
        )
        .unwrap();
    let report = validate(&db);
    assert_failing(&report, &[3]);
    let e = examples(&report, 3);
    assert!(e.contains(&target), "{e}");
    assert!(e.contains("parking_duration_hours is 0.8"), "{e}");
    assert!(e.contains("(0.83)"), "{e}");
}

#[test]
fn a_session_that_disagrees_with_its_events_fails_invariant_4() {
    let (db, run, cars) = clean_db();
    let sid = run.sessions[cars.b].id.clone();
    db.conn
        .execute(
            "UPDATE parking_sessions SET license_plate = 'ZZZ-0000' WHERE session_id = ?1",
            [&sid],
        )
        .unwrap();
    let report = validate(&db);
    assert_failing(&report, &[4]);
    let c4 = report.check(4).unwrap();
    assert_eq!(c4.failures, 1);
    assert!(c4.examples[0].contains(&sid), "{}", c4.examples[0]);
    assert!(
        c4.examples[0].contains("license_plate is \"ZZZ-0000\" but the CAR_OUT says \"D12-ABC\""),
        "{}",
        c4.examples[0]
    );
}

#[test]
fn session_in_out_times_and_active_rows_are_compared() {
    let (db, run, cars) = clean_db();
    let d = run.sessions[cars.d].id.clone();
    let e = run.sessions[cars.e].id.clone();
    // A later out_time moves the row later in the out-time merge; the active row of car E gets
    // a wrong in_time.
    db.conn
        .execute(
            "UPDATE parking_sessions SET out_time = ?2 WHERE session_id = ?1",
            params![d, time_string(utc(8, 0, 0))],
        )
        .unwrap();
    db.conn
        .execute(
            "UPDATE parking_sessions SET in_time = ?2 WHERE session_id = ?1",
            params![e, time_string(utc(7, 11, 0))],
        )
        .unwrap();
    let report = validate(&db);
    assert_failing(&report, &[4]);
    let c4 = report.check(4).unwrap();
    assert_eq!(c4.failures, 2, "{}", report.render());
    assert!(c4.examples[0].contains(&d), "{}", c4.examples[0]);
    assert!(
        c4.examples[0].contains(
            "out_time is 2025-01-08T00:00:00.000Z but the CAR_OUT is at 2025-01-07T15:01:00.000Z"
        ),
        "{}",
        c4.examples[0]
    );
    assert!(c4.examples[1].contains(&e), "{}", c4.examples[1]);
    assert!(c4.examples[1].contains("in_time is 2025-01-07T11:00:00.000Z"));
}

#[test]
fn missing_session_rows_fail_invariant_4_in_a_finished_run() {
    let (db, run, cars) = clean_db();
    let c = run.sessions[cars.c].id.clone();
    let e = run.sessions[cars.e].id.clone();
    for s in [&c, &e] {
        db.conn
            .execute("DELETE FROM parking_sessions WHERE session_id = ?1", [s])
            .unwrap();
    }
    let report = validate(&db);
    assert_failing(&report, &[4]);
    let e4 = examples(&report, 4);
    assert!(
        e4.contains(&format!("(session {c}) has no session row")),
        "{e4}"
    );
    assert!(e4.contains(&run.event_of(cars.e, false)), "{e4}");
    assert!(e4.contains("no active session row"), "{e4}");
}

#[test]
fn an_active_session_whose_car_left_fails_invariant_4() {
    let (db, run, cars) = clean_db();
    let b = run.sessions[cars.b].id.clone();
    db.conn
        .execute(
            "UPDATE parking_sessions SET status = 'active', out_time = NULL, \
             actual_duration_hours = NULL, cost = NULL WHERE session_id = ?1",
            [&b],
        )
        .unwrap();
    let report = validate(&db);
    assert_failing(&report, &[4]);
    let c4 = report.check(4).unwrap();
    assert_eq!(c4.failures, 1, "{}", report.render());
    assert!(c4.examples[0].contains(&b));
    assert!(c4.examples[0].contains("status is \"active\" but the car left"));
}

#[test]
fn a_plate_in_two_facilities_at_once_fails_invariant_5() {
    let db = new_db();
    let (mut run, _) = clean_run();
    // Car A (NY ABC-1234) is parked at the airport from Jan 4 to Jan 7; the same plate enters
    // facility 1 on Jan 6.
    let twin = run.car_in(1, "NY", "ABC-1234", utc(6, 17, 0));
    run.car_out(twin, utc(6, 19, 0));
    // The same number from another state is another plate.
    let other = run.car_in(2, "NJ", "ABC-1234", utc(6, 20, 0));
    run.car_out(other, utc(6, 21, 0));
    run.write(&db.conn);
    let report = validate(&db);
    assert_failing(&report, &[5]);
    let c5 = report.check(5).unwrap();
    assert_eq!(c5.failures, 1);
    let ex = &c5.examples[0];
    assert!(ex.contains("plate NY ABC-1234 enters facility 1"), "{ex}");
    assert!(ex.contains(&run.event_of(twin, false)), "{ex}");
    assert!(
        ex.contains("parked at facility 3 since 2025-01-04T15:00:00.000Z"),
        "{ex}"
    );
}

/// Copies an event under a new id (a doubled row).
fn duplicate_event(db: &TestDb, event: &str, new_id: &str) {
    db.conn
        .execute(
            "INSERT INTO parking_events SELECT ?2, event_type, session_id, facility_id, \
             facility_name, district, license_plate, license_plate_state, event_time, \
             available_spots_after, parking_duration_hours, cost, traffic_pattern \
             FROM parking_events WHERE event_id = ?1",
            params![event, new_id],
        )
        .unwrap();
}

#[test]
fn a_doubled_car_in_fails_invariant_1() {
    let (db, run, cars) = clean_db();
    let copy = id(0x0a1, utc(6, 14, 0), 9_999);
    duplicate_event(&db, &run.event_of(cars.c, false), &copy);
    let report = validate(&db);
    let c1 = report.check(1).unwrap();
    assert!(!c1.passed);
    assert_eq!(c1.failures, 1, "{}", report.render());
    let sid = &run.sessions[cars.c].id;
    assert!(
        c1.examples[0].contains(&format!("session {sid} has a second CAR_IN")),
        "{}",
        c1.examples[0]
    );
    assert!(
        c1.examples[0].contains(&copy) || c1.examples[0].contains(&run.event_of(cars.c, false))
    );
    // The doubled row also counts twice in the facility's replay (one failure: the later
    // rows agree with the first wrong one).
    assert_eq!(report.check(2).unwrap().failures, 1);
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("share their millisecond")));
}

#[test]
fn a_doubled_car_out_fails_invariant_1() {
    let (db, run, cars) = clean_db();
    let copy = id(0x0a1, utc(6, 15, 20), 9_999);
    let first = run.event_of(cars.b, true);
    duplicate_event(&db, &first, &copy);
    let report = validate(&db);
    let e1 = examples(&report, 1);
    let sid = &run.sessions[cars.b].id;
    assert!(
        e1.contains(&format!("session {sid} has a second CAR_OUT")),
        "{e1}"
    );
    assert_eq!(report.check(1).unwrap().failures, 1);
}

#[test]
fn a_duplicate_event_id_fails_invariant_1() {
    // A table without the primary key (as an older or hand-made database may have).
    let schema = SCHEMA
        .replace(
            "event_id               TEXT    NOT NULL PRIMARY KEY,",
            "event_id               TEXT    NOT NULL,",
        )
        .replacen(") WITHOUT ROWID;", ");", 1);
    assert_ne!(schema, SCHEMA);
    let db = new_db_with_schema(&schema);
    let (run, cars) = clean_run();
    run.write(&db.conn);
    let dup = run.event_of(cars.f, true);
    duplicate_event(&db, &dup, &dup);
    let report = validate(&db);
    let e1 = examples(&report, 1);
    assert!(
        e1.contains(&format!("event_id {dup} occurs 2 times")),
        "{e1}"
    );
    assert!(!report.passed());
}

#[test]
fn an_unfinished_run_without_session_rows_passes_with_a_warning() {
    let db = new_db();
    let (mut run, cars) = clean_run();
    run.status = "running".into();
    run.write(&db.conn);
    // The sessions of the last few CAR_OUTs were not written yet.
    for s in [cars.d, cars.a] {
        db.conn
            .execute(
                "DELETE FROM parking_sessions WHERE session_id = ?1",
                [&run.sessions[s].id],
            )
            .unwrap();
    }
    let report = validate(&db);
    assert!(report.passed(), "{}", report.render());
    let w = report.warnings.join("\n");
    assert!(w.contains("run 0a1 has status \"running\""), "{w}");
    assert!(w.contains("3 cars have no session row yet"), "{w}");
    assert!(!report.runs[0].finished);
    // A session row that exists is still compared.
    db.conn
        .execute(
            "UPDATE parking_sessions SET district = 'Queens' WHERE session_id = ?1",
            [&run.sessions[cars.c].id],
        )
        .unwrap();
    let report = validate(&db);
    assert_failing(&report, &[4]);
}

#[test]
fn runs_are_checked_independently() {
    let db = new_db();
    // Two runs fill the same 2-spot facility at the same time with the same plates.
    for tag in [0x001, 0x002] {
        let mut run = Run::new(tag, "2025-01-06", "2025-01-06");
        let x = run.car_in(2, "NY", "SAME-001", utc(6, 14, 0));
        let y = run.car_in(2, "NY", "SAME-002", utc(6, 14, 5));
        run.car_out(x, utc(6, 16, 0));
        run.car_out(y, utc(6, 17, 0));
        run.turned_away = 3;
        run.write(&db.conn);
    }
    let report = validate(&db);
    assert!(report.passed(), "{}", report.render());
    let ids: Vec<&str> = report.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["001", "002"]);
    assert!(report.runs.iter().all(|r| r.events == 4 && r.finished));
    assert_eq!(report.stats.turned_away, 6);
}

#[test]
fn ids_of_a_run_without_a_runs_row_are_checked_as_finished() {
    let (db, run, cars) = clean_db();
    db.conn.execute("DELETE FROM runs", []).unwrap();
    db.conn
        .execute(
            "DELETE FROM parking_sessions WHERE session_id = ?1",
            [&run.sessions[cars.e].id],
        )
        .unwrap();
    let report = validate(&db);
    assert_failing(&report, &[4]);
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("run tag 0a1 have no row in the runs table")));
    assert!(!report.runs[0].in_runs_table);
}

#[test]
fn unreadable_databases_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let err = validate_db(&missing).unwrap_err();
    assert!(matches!(err, ValidateError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("nope.db: no such file"), "{err}");

    let err = validate_db(dir.path()).unwrap_err();
    assert!(matches!(err, ValidateError::NotADatabase { .. }), "{err}");

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "these are not the rows you are looking for\n".repeat(100),
    )
    .unwrap();
    let err = validate_db(&text).unwrap_err();
    assert!(matches!(err, ValidateError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("not an SQLite database"), "{err}");

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE parking_events (event_id TEXT); CREATE TABLE t (x);")
        .unwrap();
    let err = validate_db(&other).unwrap_err();
    match &err {
        ValidateError::NotParkingIot { missing, .. } => {
            assert!(
                missing.contains(&"table parking_sessions".to_owned()),
                "{missing:?}"
            );
            assert!(missing.contains(&"column parking_events.event_time".to_owned()));
        }
        e => panic!("expected NotParkingIot, got {e}"),
    }
    assert!(
        err.to_string().contains("not a parking-iot database"),
        "{err}"
    );
}

#[test]
fn a_corrupt_file_is_reported_as_corrupt() {
    let (db, _, _) = clean_db();
    let path = db.path.clone();
    drop(db.conn);
    let mut bytes = std::fs::read(&path).unwrap();
    let page = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    assert!(
        bytes.len() > 3 * page,
        "the test database has several pages"
    );
    // Keep the header; overwrite the schema page after it and the next page with garbage.
    for (i, b) in bytes[100..2 * page].iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = validate_db(&path).unwrap_err();
    assert!(matches!(err, ValidateError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("corrupt"), "{err}");
}

#[test]
fn an_empty_database_passes_with_nothing_checked() {
    let db = new_db();
    let report = validate(&db);
    assert!(report.passed(), "{}", report.render());
    assert!(report.runs.is_empty());
    assert_eq!(report.stats.totals.events, 0);
    assert!(report.checks.iter().all(|c| c.checked == 0));
    assert!(report.render().contains("(none)"));
}
