//! The Historical tab's "Export to files" panel, clicked through with egui_kittest: a run
//! generated into a real store is exported from the window, and the files hold its rows.

mod ui_support;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use ui_support::{count, harness, step_for, step_until};

const BIN: &str = env!("CARGO_BIN_EXE_parking-iot");

#[test]
fn the_window_exports_the_store_to_csv_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("export.db");
    let out = std::process::Command::new(BIN)
        .args([
            "historical",
            "--start-date",
            "2025-06-02",
            "--end-date",
            "2025-06-03",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap_or_else(|e| panic!("run parking-iot: {e}"));
    assert!(out.status.success(), "{out:?}");
    let events = count(&db, "SELECT count(*) FROM parking_events");
    let sessions = count(&db, "SELECT count(*) FROM parking_sessions");

    let mut h = harness(&db);
    h.get_by_label("Historical").click();
    step_for(&mut h, 3);
    let folder = dir.path().join("files");
    h.get_by_label("Folder").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label("Folder")
        .type_text(&folder.display().to_string());
    step_for(&mut h, 2);
    h.get_by_label("Export").click();
    step_until(&mut h, "the end of the export", |app| {
        app.historical.export.result.is_some()
    });
    let result = h.state().historical.export.result.clone();
    let Some(Ok((shown, files))) = result else {
        panic!("the export failed: {result:?}");
    };
    assert_eq!(shown, folder);
    assert_eq!(
        files.iter().map(|f| f.rows as i64).collect::<Vec<_>>(),
        vec![50, events, sessions]
    );
    for (name, rows) in [
        ("parking_facilities.csv", 50),
        ("parking_events.csv", events),
        ("parking_sessions.csv", sessions),
    ] {
        let text =
            std::fs::read_to_string(folder.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            text.lines().count() as i64,
            rows + 1,
            "{name}: a header and a line a row"
        );
    }
    assert!(
        h.query_by_label_contains("Exported").is_some(),
        "the window says it is done"
    );
    assert_eq!(
        h.state().settings.export_folder.as_deref(),
        Some(folder.as_path())
    );
}
