//! The Live tab, clicked through with egui_kittest on a temporary database: Start, speed,
//! Burst, Stop and Restart change what the window shows and what the store holds; closing and
//! reopening continues the live state.

mod ui_support;

use egui_kittest::kittest::Queryable;
use parking_iot::jobs::live::point_interval;
use parking_iot::store::Store;
use parking_iot::ui::format;
use parking_iot::ui::settings::Settings;
use parking_iot::ui::widgets::sessions::SortKey;
use parking_iot::ui::ParkingApp;
use ui_support::{count, harness, harness_of, harness_sized, step_for, step_until};

#[test]
fn start_burst_stop_and_restart_change_what_the_live_tab_shows() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("live.db");
    // A tall window shows the whole tab (tiles, charts and sessions) without scrolling.
    let mut h = harness_sized(&db, 1400.0, 2000.0);
    step_until(&mut h, "the first live snapshot", |app| app.live.ready);
    assert_eq!(h.state().live.facilities.len(), 50, "50 facility tiles");
    assert_eq!(
        h.query_all_by_label_contains("spots free").count(),
        50,
        "every tile is on screen"
    );
    assert!(!h.state().live.running);
    h.get_by_label("Start");

    // 3600×, then Start: the clock runs, events stream in and the counters move.
    h.get_by_label("3600×").click();
    h.get_by_label("Start").click();
    step_until(&mut h, "events after Start", |app| {
        app.live.running && app.live.totals.cars_out > 20 && app.live.events.len() > 200
    });
    let app = h.state();
    assert_eq!(app.live.speed, 3600.0);
    assert!(app.live.run_id.is_some(), "a live run is registered");
    let cars_out = format::int(app.live.totals.cars_out);
    h.get_by_label("Stop");
    h.get_by_label(&cars_out);
    assert!(
        h.query_all_by_label_contains("CAR_OUT at ").count() > 0,
        "the event stream shows rows"
    );

    // Scrolling the stream down pauses auto-scroll; new rows arrive above until asked for.
    h.get_all_by_label_contains("CAR_")
        .nth(3)
        .unwrap_or_else(|| panic!("no event rows"))
        .scroll_down();
    step_until(&mut h, "the paused stream", |app| {
        app.live.events.len() > 300
    });
    step_for(&mut h, 10);
    assert!(
        h.query_by_label_contains("Paused while you scroll")
            .is_some(),
        "the stream says it is paused"
    );
    h.get_by_label_contains("show newest").click();
    step_for(&mut h, 3);
    assert!(h
        .query_by_label_contains("Paused while you scroll")
        .is_none());

    // The sessions table sorts by the clicked column.
    h.get_by_label("Time in").click();
    step_for(&mut h, 2);
    assert_eq!(h.state().live.sessions.key, SortKey::TimeIn);
    assert!(h.state().live.sessions.ascending);
    assert!(
        !h.state().live.sessions.is_empty(),
        "the parked cars are listed"
    );

    // Burst: 10 to 20 facilities get a surge, visible on their tiles.
    h.get_by_label("Burst").click();
    step_until(&mut h, "burst tiles", |app| {
        app.live.facilities.iter().any(|f| f.burst)
    });
    let bursting = h.state().live.facilities.iter().filter(|f| f.burst).count();
    assert!(
        (10..=20).contains(&bursting),
        "{bursting} facilities in a burst"
    );
    assert_eq!(h.query_all_by_label_contains(", burst").count(), bursting);
    assert!(h.state().live.log.iter().any(|l| l.starts_with("burst:")));

    // Stop: the clock freezes and the rows are committed.
    h.get_by_label("Stop").click();
    step_until(&mut h, "the stopped state", |app| {
        !app.live.running && app.live.store.pending == 0
    });
    let clock = h.state().live.clock_ms;
    std::thread::sleep(std::time::Duration::from_millis(300));
    step_for(&mut h, 5);
    assert_eq!(
        h.state().live.clock_ms,
        clock,
        "a stopped clock does not move"
    );
    h.get_by_label("Start");
    let written = h.state().live.store.events_written as i64;
    assert!(written > 0);
    assert_eq!(count(&db, "SELECT count(*) FROM parking_events"), written);
    let parked = h.state().live.totals.occupied as i64;
    assert_eq!(
        count(&db, "SELECT count(*) FROM live_parked"),
        parked,
        "the parked cars are saved"
    );

    // Restart asks first; Cancel keeps everything.
    h.get_by_label("Restart…").click();
    step_for(&mut h, 2);
    h.get_by_label("Cancel").click();
    step_for(&mut h, 2);
    assert_eq!(h.state().live.epoch, 0);
    assert!(
        h.query_by_label("Yes, restart").is_none(),
        "the dialog closed"
    );

    // Restart, confirmed, with the stream filtered (Manhattan, CAR_OUT): the live state is
    // cleared and the simulator begins fresh; the filter stays and shows nothing yet.
    h.state_mut()
        .live
        .set_filter(Some(0), Some(parking_iot::model::EventKind::CarOut));
    step_for(&mut h, 2);
    assert!(
        h.state().live.visible_event_count() > 0,
        "the filter shows rows"
    );
    h.get_by_label("Restart…").click();
    step_for(&mut h, 2);
    h.get_by_label("Yes, restart").click();
    step_until(&mut h, "the restarted state", |app| app.live.epoch == 1);
    step_for(&mut h, 3);
    assert_eq!(h.state().live.visible_event_count(), 0);
    h.state_mut().live.set_filter(None, None);
    step_for(&mut h, 2);
    let app = h.state();
    assert!(app.live.events.is_empty(), "the event stream starts empty");
    assert_eq!(app.live.run_id, None, "a new run begins at the next Start");
    assert_eq!(app.live.totals.cars_out, 0);
    assert_eq!(h.query_all_by_label_contains("CAR_OUT at ").count(), 0);
    assert_eq!(
        count(&db, "SELECT count(*) FROM live_parked"),
        0,
        "no saved parked cars"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM live_state"),
        0,
        "no saved clock"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM parking_events"),
        written,
        "the rows already written stay"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM runs WHERE kind = 'live' AND status = 'finished'"
        ),
        1
    );
}

#[test]
fn closing_and_reopening_continues_the_live_state() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("reopen.db");
    let (clock, occupied, run_id) = {
        let mut h = harness(&db);
        step_until(&mut h, "the first live snapshot", |app| app.live.ready);
        h.get_by_label("3600×").click();
        h.get_by_label("Start").click();
        step_until(&mut h, "committed live rows", |app| {
            app.live.store.events_written > 500
        });
        h.get_by_label("Stop").click();
        step_until(&mut h, "the stopped state", |app| {
            !app.live.running && app.live.store.pending == 0
        });
        let app = h.state();
        (
            app.live.clock_ms,
            app.live.totals.occupied,
            app.live.run_id.clone(),
        )
        // Dropping the harness drops the app, which shuts the runner down (as closing does).
    };
    let saved = {
        let catalog = parking_iot::catalog::Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
        store
            .load_live_state(&catalog)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no saved live state"))
    };
    assert_eq!(
        saved.header.clock_ms, clock,
        "the clock is saved where it stopped"
    );
    assert_eq!(
        saved.parked.iter().map(Vec::len).sum::<usize>() as u64,
        occupied,
        "every parked car is saved"
    );
    assert!(
        saved
            .parked
            .iter()
            .flatten()
            .all(|c| c.out_time > clock && c.in_time <= clock),
        "saved cars leave later"
    );

    let mut h = harness(&db);
    step_until(&mut h, "the continued state", |app| app.live.ready);
    let app = h.state();
    assert!(app.live.resumed);
    assert_eq!(
        app.live.clock_ms, clock,
        "the clock resumes where it stopped"
    );
    assert_eq!(
        app.live.totals.occupied, occupied,
        "parked cars stay parked"
    );
    assert_eq!(app.live.run_id, run_id, "the same live run continues");
    assert!(h
        .query_by_label_contains("continued from the saved state")
        .is_some());
    // The event stream shows the newest committed events again, newest last in the ring.
    let newest = h
        .state()
        .live
        .events
        .back()
        .map(|e| parking_iot::model::time_string(e.time))
        .unwrap_or_else(|| panic!("the event stream is empty after reopening"));
    assert!(h.state().live.events.len() >= 500);
    let stored_newest: String = {
        let conn = rusqlite::Connection::open(&db).unwrap_or_else(|e| panic!("{e}"));
        conn.query_row("SELECT max(event_time) FROM parking_events", [], |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(newest, stored_newest, "the newest event is back on top");
    assert!(h.query_all_by_label_contains("CAR_").count() > 5);
    // The Historical tab lists the runs the store holds (here the live run).
    h.get_by_label("Historical").click();
    step_for(&mut h, 2);
    assert_eq!(h.state().historical.runs.len(), 1);
    h.get_by_label("Runs in this store (1)");
    h.get_by_label("Live").click();
    step_for(&mut h, 2);

    h.get_by_label("Start").click();
    step_until(&mut h, "more rows", |app| {
        app.live.store.events_written > 500
    });
    h.get_by_label("Stop").click();
    step_until(&mut h, "the stopped state", |app| {
        !app.live.running && app.live.store.pending == 0
    });
    assert_eq!(
        h.state().live.store.error,
        None,
        "no duplicate ids or other store errors"
    );
    // Every CAR_OUT has its CAR_IN, across the reopen.
    assert_eq!(
        count(&db, "SELECT count(*) FROM parking_events o WHERE o.event_type = 'CAR_OUT' AND NOT EXISTS (SELECT 1 FROM parking_events i WHERE i.session_id = o.session_id AND i.event_type = 'CAR_IN')"),
        0
    );
    // Sessions: one row per session, completed exactly when its CAR_OUT exists.
    assert_eq!(
        count(&db, "SELECT count(*) FROM parking_sessions"),
        count(
            &db,
            "SELECT count(*) FROM parking_events WHERE event_type = 'CAR_IN'"
        )
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM parking_sessions WHERE status = 'completed'"
        ),
        count(
            &db,
            "SELECT count(*) FROM parking_events WHERE event_type = 'CAR_OUT'"
        )
    );
}

#[test]
fn a_simulator_running_when_the_window_closed_runs_again_on_reopening() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("running.db");
    let settings = Settings {
        store_path: Some(db.clone()),
        live_running: true,
        live_speed: 600.0,
        ..Settings::default()
    };
    let mut h = harness_of(ParkingApp::new_with_settings(settings));
    step_until(&mut h, "the running simulator", |app| app.live.running);
    assert!(h.state().settings.live_running);
    h.get_by_label("Stop").click();
    step_until(&mut h, "the stopped state", |app| !app.live.running);
    assert!(
        !h.state().settings.live_running,
        "a stopped simulator stays stopped next time"
    );
}

#[test]
fn start_continues_the_state_shown_before_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("preview.db");
    let mut h = harness(&db);
    step_until(&mut h, "the first live snapshot", |app| app.live.ready);
    let before = h.state().live.facilities.clone();
    assert!(before.iter().map(|f| f.occupied as u64).sum::<u64>() > 1_000);
    h.get_by_label("Start").click();
    step_until(&mut h, "the running state", |app| {
        app.live.running && app.live.run_id.is_some()
    });
    assert_eq!(
        h.state()
            .historical
            .runs
            .iter()
            .filter(|r| r.kind == "live")
            .count(),
        1,
        "the new live run is listed on the Historical tab"
    );
    // The same seed a few real seconds later at 60×: every facility holds about the cars it
    // showed (a jump to another simulation moves busy facilities by dozens of cars).
    let after = &h.state().live.facilities;
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        let moved = (a.occupied as i64 - b.occupied as i64).abs();
        assert!(
            moved <= 3 + b.spots as i64 / 50,
            "facility {i}: {} cars before Start, {} after",
            b.occupied,
            a.occupied
        );
    }
}

#[test]
fn fast_charts_sample_the_daily_cycle() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("charts.db");
    let mut h = harness(&db);
    step_until(&mut h, "the first live snapshot", |app| app.live.ready);
    h.get_by_label("86400×").click();
    h.get_by_label("Start").click();
    // A simulated day and a half: the occupancy chart must show the daily cycle.
    step_until(&mut h, "36 simulated hours of chart", |app| {
        let hist = &app.live.history;
        hist.len() > 2
            && hist.back().map(|p| p.clock_ms).unwrap_or(0)
                - hist.front().map(|p| p.clock_ms).unwrap_or(0)
                > 36 * 3_600_000
    });
    h.get_by_label("Stop").click();
    step_until(&mut h, "the stopped state", |app| !app.live.running);
    let hist: Vec<_> = h.state().live.history.iter().cloned().collect();
    let grid = point_interval(86_400.0);
    assert_eq!(grid, 15 * 60_000);
    // After the first point every step is on the grid (the last may be shorter: Stop).
    for w in hist[1..hist.len() - 1].windows(2) {
        assert_eq!(
            w[1].clock_ms - w[0].clock_ms,
            grid,
            "points 15 simulated minutes apart"
        );
    }
    // The daily cycle shows: Manhattan's occupancy over the last day spans a real range.
    let day: Vec<f32> = hist
        .iter()
        .rev()
        .take(96)
        .map(|p| p.district_occupancy[0])
        .collect();
    let (lo, hi) = day
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    assert!(
        hi - lo > 0.15,
        "one district's occupancy moves {lo}..{hi} over a day"
    );
    // Neighbouring points are close: no zigzag from sampling hours apart.
    let max_step = day
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(
        max_step < (hi - lo) / 3.0,
        "largest step {max_step} of a {lo}..{hi} cycle"
    );
}

#[test]
fn the_simulator_does_not_run_into_a_store_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("not-a-store.db");
    std::fs::write(&bad, vec![0x5a_u8; 8192]).unwrap_or_else(|e| panic!("{e}"));
    // The settings say it was running when the window closed: it must not resume and throw
    // its rows away.
    let mut h = harness_of(ParkingApp::new_with_settings(Settings {
        store_path: Some(bad.clone()),
        live_running: true,
        ..Settings::default()
    }));
    step_until(&mut h, "the first live snapshot", |app| app.live.ready);
    step_for(&mut h, 5);
    let app = h.state();
    assert!(!app.live.running, "the simulator stays stopped");
    assert!(
        app.live
            .log
            .iter()
            .any(|l| l.starts_with("not started:") && l.contains("not a parking-iot database")),
        "{:?}",
        app.live.log
    );
    h.get_by_label_contains("is not a parking-iot database");
    assert_eq!(
        std::fs::read(&bad).map(|b| b.len()).unwrap_or(0),
        8192,
        "the file is unchanged"
    );
}
