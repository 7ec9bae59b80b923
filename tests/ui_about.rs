//! The first start and the About window, clicked through with egui_kittest: a store that did not
//! exist is announced with its path; About shows the version, the store path and the licences.

mod ui_support;

use egui_kittest::kittest::Queryable;
use ui_support::{harness, step_for, step_until};

#[test]
fn the_first_start_names_the_new_store_and_about_shows_version_path_and_licences() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("first.db");
    let shown = db.display().to_string();
    let mut h = harness(&db);
    step_for(&mut h, 3);

    // The status bar announces the new store with its path, next to "Open data folder".
    h.get_by_label("First start:");
    assert!(
        h.query_all_by_label(&shown).count() >= 2,
        "the store path appears in the top bar and in the first-start notice"
    );
    assert!(h.query_all_by_label("Open data folder").count() >= 2);

    // About: version from Cargo.toml, the store, the bundled components' licences.
    h.get_by_label("About").click();
    step_for(&mut h, 3);
    h.get_by_label(&format!("Version {}", env!("CARGO_PKG_VERSION")));
    assert!(
        h.query_all_by_label(&shown).count() >= 3,
        "About shows the store path too"
    );
    h.get_by_label("public domain");
    h.get_by_label("rusqlite");
    h.get_by_label("Close").click();
    step_for(&mut h, 3);
    assert!(
        h.query_by_label(&format!("Version {}", env!("CARGO_PKG_VERSION")))
            .is_none(),
        "Close hides the About window"
    );

    // Dismiss removes the notice; an existing store is no first start.
    h.get_by_label("Dismiss").click();
    step_for(&mut h, 3);
    assert!(h.query_by_label("First start:").is_none());
    // The live simulator creates the store; dropping the app shuts it down as closing does.
    step_until(&mut h, "the first live snapshot", |app| app.live.ready);
    drop(h);
    assert!(db.is_file(), "the first start created {shown}");
    let mut again = harness(&db);
    step_for(&mut again, 3);
    assert!(
        again.query_by_label("First start:").is_none(),
        "the second start on the same store says nothing"
    );
}
