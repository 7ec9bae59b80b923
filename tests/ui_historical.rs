//! The Historical tab, clicked through with egui_kittest on a temporary database: the form
//! refuses an end date before the start; a short run started from the window reaches 100 % and
//! its rows are in the store; an unfinished run is offered for resumption and finishes with
//! exactly the rows of an uninterrupted run.

mod ui_support;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::NaiveDate;
use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use parking_iot::catalog::Catalog;
use parking_iot::engine::VolumePreset;
use parking_iot::jobs::historical::{self, HistoricalRequest, Notifier};
use parking_iot::jobs::messages::{Outcome, Progress};
use parking_iot::store::Store;
use parking_iot::ui::{ParkingApp, Tab};
use ui_support::{count, harness, step_for, step_until};

/// Replaces the text of the field labelled `label` as a user would: focus, select all, type.
fn type_into(h: &mut Harness<'_, ParkingApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
    h.step();
}

#[test]
fn the_form_refuses_an_end_date_before_the_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut h = harness(&dir.path().join("form.db"));
    h.get_by_label("Historical").click();
    step_for(&mut h, 2);
    assert_eq!(h.state().settings.tab, Tab::Historical);
    // The defaults: 2025-01-01 to yesterday, batch size 1000.
    assert_eq!(h.state().historical.start_text, "2025-01-01");
    assert_eq!(
        h.state().historical.end_text,
        parking_iot::jobs::historical::yesterday_in_new_york().to_string()
    );
    assert_eq!(h.state().settings.batch_size, 1000);

    type_into(&mut h, "Start date", "2025-03-10");
    type_into(&mut h, "End date", "2025-03-01");
    assert_eq!(h.state().historical.end_text, "2025-03-01");
    assert!(
        h.query_by_label_contains("is before the start date")
            .is_some(),
        "the form says what is wrong"
    );
    h.get_by_label("Start").click();
    step_for(&mut h, 3);
    assert!(!h.state().historical.is_running(), "no job starts");
    assert!(h.state().historical.progress.is_none());

    type_into(&mut h, "End date", "2025-03-12");
    assert!(
        h.query_by_label_contains("is before the start date")
            .is_none(),
        "the message goes once the dates are right"
    );
    assert!(h.query_by_label_contains("3 days").is_some());

    type_into(&mut h, "End date", "2025-02-30");
    assert!(h.query_by_label_contains("is not a date").is_some());
}

#[test]
fn a_short_run_started_from_the_window_reaches_100_percent_and_its_rows_are_stored() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("hist.db");
    let mut h = harness(&db);
    h.get_by_label("Historical").click();
    step_for(&mut h, 2);
    type_into(&mut h, "Start date", "2025-03-01");
    type_into(&mut h, "End date", "2025-03-03");
    h.get_by_label("Start").click();
    step_until(&mut h, "the end of the run", |app| {
        app.historical.outcome.is_some()
    });
    let app = h.state();
    let Some(Outcome::Finished(summary)) = &app.historical.outcome else {
        panic!(
            "the run did not finish: {:?} / log {:?}",
            app.historical.outcome, app.historical.log
        );
    };
    let progress = app
        .historical
        .progress
        .clone()
        .unwrap_or_else(|| panic!("no progress"));
    assert_eq!((progress.days_done, progress.days_total), (3, 3));
    assert_eq!(progress.fraction(), 1.0);
    assert!(h.query_by_label_contains("Done: run").is_some());
    // The finished run is listed with its rows, read by the job (not the window).
    let listed: Vec<_> = h
        .state()
        .historical
        .runs
        .iter()
        .filter(|r| r.kind == "historical")
        .cloned()
        .collect();
    assert_eq!(listed.len(), 1, "the store's historical runs are listed");
    assert_eq!((listed[0].days_done, listed[0].days_total), (3, 3));
    assert_eq!(listed[0].events_written, progress.events);
    assert!(h
        .query_by_label_contains("finished: use settings")
        .is_some());
    assert!(
        h.query_by_label("100%").is_some() || h.query_by_label_contains("100%").is_some(),
        "the progress bar shows 100 %"
    );
    assert!(
        summary.events > 10_000,
        "three realistic days: {} events",
        summary.events
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM parking_events"),
        summary.events as i64
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM parking_sessions"),
        summary.sessions as i64
    );
    assert_eq!(count(&db, "SELECT count(*) FROM runs WHERE kind = 'historical' AND status = 'finished' AND days_done = 3"), 1);
    assert_eq!(count(&db, "SELECT min(substr(event_time, 1, 10)) = '2025-03-01' FROM parking_events WHERE event_time >= '2025-03-01T05:00:00.000Z'"), 1);
}

#[test]
fn an_unfinished_run_is_offered_and_resumes_to_the_uninterrupted_rows() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let catalog = Arc::new(Catalog::builtin().unwrap_or_else(|e| panic!("{e}")));
    let request = |db: &std::path::Path| HistoricalRequest {
        start: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or_default(),
        end: NaiveDate::from_ymd_opt(2025, 6, 3).unwrap_or_default(),
        batch_size: 1000,
        seed: 7,
        volume: VolumePreset::Original,
        plate_preset: None,
        threads: 1,
        dry_run: false,
        db: db.to_path_buf(),
        catalog: catalog.clone(),
        snowflake: None,
    };
    // The reference: the same run, uninterrupted, in another database.
    let reference = dir.path().join("reference.db");
    let (tx, _rx) = crossbeam_channel::unbounded::<Progress>();
    let quiet = Notifier {
        tx,
        notify: Box::new(|| {}),
    };
    let done = historical::run(&request(&reference), &quiet, &AtomicBool::new(false))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(done, Outcome::Finished(_)));

    // An interrupted run: cancelled as soon as the first day is committed.
    let db = dir.path().join("resume.db");
    let job = historical::spawn(request(&db), || {});
    for p in job.progress.iter() {
        if let Progress::Day(_) = p {
            job.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let _ = job.thread.join();
    let runs = Store::open(&db)
        .and_then(|s| s.runs())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(runs.len(), 1);
    assert!(!runs[0].finished() && runs[0].days_done < 3, "{runs:?}");
    let run_id = runs[0].run_id.clone();

    // The window offers it when it opens, and Resume finishes it.
    let mut h = harness(&db);
    step_until(&mut h, "the resume offer", |app| {
        !app.historical.unfinished.is_empty()
    });
    h.get_by_label("Review on the Historical tab").click();
    step_for(&mut h, 2);
    h.get_by_label(&format!("Resume run {run_id}")).click();
    step_until(&mut h, "the end of the resumed run", |app| {
        app.historical.outcome.is_some()
    });
    assert!(
        matches!(h.state().historical.outcome, Some(Outcome::Finished(_))),
        "{:?}",
        h.state().historical.log
    );
    assert_eq!(h.state().historical.start_text, "2025-06-01");
    assert_eq!(h.state().settings.seed, 7);
    drop(h);

    // Exactly the rows of the uninterrupted run: same ids, no gaps, no duplicates.
    let ids = |path: &std::path::Path| -> Vec<String> {
        let conn = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
        let mut stmt = conn.prepare("SELECT event_id || session_id || event_time || available_spots_after FROM parking_events ORDER BY event_id").unwrap_or_else(|e| panic!("{e}"));
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap_or_else(|e| panic!("{e}"));
        rows.map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect()
    };
    let (a, b) = (ids(&reference), ids(&db));
    assert!(a.len() > 1000);
    assert_eq!(a, b);
}

#[test]
fn a_seed_above_two_to_the_53_is_shown_exactly() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut h = ui_support::harness_of(ParkingApp::new_with_settings(
        parking_iot::ui::settings::Settings {
            store_path: Some(dir.path().join("s.db")),
            tab: Tab::Historical,
            seed: u64::MAX,
            ..Default::default()
        },
    ));
    let shows = |h: &Harness<'_, ParkingApp>, text: &str| {
        h.query_all_by(|n| n.value().as_deref() == Some(text))
            .next()
            .is_some()
    };
    ui_support::step_for(&mut h, 3);
    // A number widget (f64) showed 18446744073709551616.
    assert!(shows(&h, "18446744073709551615"));
    // A seed set elsewhere (New seed, a run put in the form) shows up in the field.
    h.state_mut().settings.seed = 9_007_199_254_740_993;
    ui_support::step_for(&mut h, 3);
    assert!(shows(&h, "9007199254740993"));
    assert_eq!(h.state().settings.seed, 9_007_199_254_740_993);
}
