//! Shared helpers of the UI tests: a harness around the real app on a temporary database, and
//! stepping until a condition holds (bounded in steps and time).

#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use parking_iot::ui::ParkingApp;

/// The whole window at 1400×900 on the database `db`.
pub fn harness(db: &Path) -> Harness<'static, ParkingApp> {
    harness_sized(db, 1400.0, 900.0)
}

/// The whole window at `width`×`height` on the database `db`.
pub fn harness_sized(db: &Path, width: f32, height: f32) -> Harness<'static, ParkingApp> {
    Harness::builder()
        .with_size(egui::vec2(width, height))
        .build_ui_state(
            |ui, app: &mut ParkingApp| app.ui(ui),
            ParkingApp::new_for_test(db),
        )
}

/// The whole window at 1400×900 around an app built by the test.
pub fn harness_of(app: ParkingApp) -> Harness<'static, ParkingApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut ParkingApp| app.ui(ui), app)
}

/// Steps frames until `cond` holds; the workers run on real threads and the wall clock, so
/// each step waits a little. Fails after 4,000 steps or 120 s.
pub fn step_until(h: &mut Harness<'_, ParkingApp>, what: &str, cond: impl Fn(&ParkingApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for _ in 0..4_000 {
        h.step();
        if cond(h.state()) {
            // One more frame so the accessibility tree shows what the state says.
            h.step();
            return;
        }
        if Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    panic!("the window did not show {what} in time");
}

/// Steps `n` frames with short pauses.
pub fn step_for(h: &mut Harness<'_, ParkingApp>, n: usize) {
    for _ in 0..n {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A count from a SQL query on the database.
pub fn count(db: &Path, sql: &str) -> i64 {
    let conn =
        rusqlite::Connection::open(db).unwrap_or_else(|e| panic!("open {}: {e}", db.display()));
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
