//! The application: the window's tabs, the store path, the resume offer and the settings. It
//! owns the tabs' states and the jobs' handles, drains their channels at the top of every frame
//! and never blocks: a frame only reads what the workers sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui::{self, RichText, Ui};

use super::historical_tab::HistoricalTab;
use super::live_tab::LiveTab;
use super::settings::{Settings, Tab, STORAGE_KEY};
use super::{snowflake_tab, TITLE};
use crate::catalog::Catalog;
use crate::store::default_db_path;

/// The environment variable that chooses the first tab (for screenshots and demos).
pub const TAB_ENV: &str = "PARKING_IOT_TAB";

/// The desktop application.
pub struct ParkingApp {
    /// What persists between runs.
    pub settings: Settings,
    catalog: Result<Arc<Catalog>, String>,
    /// The database in use (`None`: it could not be resolved; see `store_error`).
    pub db: Option<PathBuf>,
    /// Why the store path is unusable.
    pub store_error: Option<String>,
    store_edit: Option<String>,
    /// The Live tab.
    pub live: LiveTab,
    /// The Historical tab.
    pub historical: HistoricalTab,
    /// The About window, the first-start notice and "Open data folder".
    pub about: super::about::About,
    /// Settings are saved through eframe (off in tests).
    persist: bool,
    resume_checked: bool,
}

/// Resolves the database path: the chosen one, or the default in the OS data folder (created).
fn resolve_db(chosen: Option<&Path>) -> Result<PathBuf, String> {
    match chosen {
        Some(p) => {
            if p.is_dir() {
                return Err(format!(
                    "{} is a folder: give a file path for the database, such as {}",
                    p.display(),
                    p.join("parking-iot.db").display()
                ));
            }
            match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => Err(format!(
                    "the folder {} does not exist: create it or choose another path",
                    dir.display()
                )),
                _ => Ok(p.to_path_buf()),
            }
        }
        None => {
            let p = default_db_path()
                .ok_or("no home folder found for the default database: choose a store file")?;
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!(
                        "cannot create the data folder {}: {e}; choose a store file",
                        dir.display()
                    )
                })?;
            }
            Ok(p)
        }
    }
}

impl ParkingApp {
    /// The app as eframe creates it: settings restored from eframe's storage.
    pub fn new(cc: &eframe::CreationContext<'_>) -> ParkingApp {
        let mut settings: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default();
        if let Some(tab) = std::env::var(TAB_ENV)
            .ok()
            .as_deref()
            .and_then(Tab::from_name)
        {
            settings.tab = tab;
        }
        Self::with_settings(settings, true)
    }

    /// The app on the database `db`, with default settings and no persistence: for tests and
    /// benchmarks, which drive [`ParkingApp::ui`] without a native window.
    pub fn new_for_test(db: &Path) -> ParkingApp {
        let settings = Settings {
            store_path: Some(db.to_path_buf()),
            ..Settings::default()
        };
        Self::with_settings(settings, false)
    }

    fn with_settings(settings: Settings, persist: bool) -> ParkingApp {
        let catalog = Catalog::builtin()
            .map(Arc::new)
            .map_err(|e| format!("the built-in catalog is invalid: {e}"));
        let (db, store_error) = match resolve_db(settings.store_path.as_deref()) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e)),
        };
        ParkingApp {
            live: LiveTab::new(settings.live_speed),
            historical: HistoricalTab::new(&settings),
            about: super::about::About::new(db.as_deref()),
            settings,
            catalog,
            db,
            store_error,
            store_edit: None,
            persist,
            resume_checked: false,
        }
    }

    /// The catalog (`None` if the built-in one failed to load).
    pub fn catalog(&self) -> Option<&Arc<Catalog>> {
        self.catalog.as_ref().ok()
    }

    /// Switches to another database: the live runner commits and restarts on it.
    pub fn set_store_path(&mut self, path: Option<PathBuf>) {
        if self.historical.is_running() {
            self.store_error = Some("a historical run is writing to the current store: cancel it or wait before changing the store".into());
            return;
        }
        match resolve_db(path.as_deref()) {
            Ok(p) => {
                self.settings.store_path = path;
                self.db = Some(p);
                self.store_error = None;
                self.live.stop_runner(false);
                self.historical.unfinished.clear();
                self.resume_checked = false;
            }
            Err(e) => self.store_error = Some(e),
        }
    }

    /// Drains the workers' channels (never blocks).
    fn poll(&mut self) {
        self.live.poll();
        self.historical.poll();
        if let Some(runs) = self.live.store_runs.take() {
            if !self.resume_checked {
                self.resume_checked = true;
                self.historical.set_store_runs(runs);
            }
        }
        self.settings.live_speed = self.live.speed_ui;
    }

    /// One frame of the whole window.
    pub fn ui(&mut self, ui: &mut Ui) {
        let catalog = match &self.catalog {
            Ok(c) => c.clone(),
            Err(e) => {
                let e = e.clone();
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.heading(TITLE);
                    ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
                });
                return;
            }
        };
        let ctx = ui.ctx().clone();
        if self.db.is_some() || self.store_error.is_some() {
            self.live.ensure_started(&ctx, self.db.clone(), &catalog);
        }
        self.poll();

        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.heading(RichText::new(TITLE).strong());
                ui.separator();
                for tab in Tab::ALL {
                    if ui
                        .selectable_label(
                            self.settings.tab == tab,
                            RichText::new(tab.title()).size(16.0),
                        )
                        .clicked()
                    {
                        self.settings.tab = tab;
                    }
                }
                self.about.top_bar_buttons(ui, self.db.as_deref());
            });
            self.store_bar(ui);
            self.resume_banner(ui);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                let live = if self.live.is_running() {
                    format!(
                        "live: running at {}×",
                        crate::jobs::live::fmt_speed(self.live.speed)
                    )
                } else {
                    "live: stopped".into()
                };
                ui.label(RichText::new(live).small());
                ui.separator();
                let hist = match (&self.historical.progress, self.historical.is_running()) {
                    (Some(p), true) => format!(
                        "historical: {:.0}% ({}/{} days)",
                        p.fraction() * 100.0,
                        p.days_done,
                        p.days_total
                    ),
                    (None, true) => "historical: starting".into(),
                    _ => "historical: idle".into(),
                };
                ui.label(RichText::new(hist).small());
                ui.separator();
                ui.label(RichText::new("Snowflake: not connected").small());
            });
            self.about.status_notice(ui);
        });
        egui::CentralPanel::default().show(ui, |ui| match self.settings.tab {
            Tab::Live => self.live.ui(ui, &catalog),
            Tab::Historical => {
                self.historical
                    .ui(ui, &mut self.settings, self.db.clone(), &catalog)
            }
            Tab::Snowflake => snowflake_tab::ui(ui, &self.db_text()),
        });
        self.about.window(&ctx, self.db.as_deref());
    }

    fn db_text(&self) -> String {
        match &self.db {
            Some(p) => p.display().to_string(),
            None => "none".into(),
        }
    }

    fn store_bar(&mut self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Local store:").weak());
            ui.monospace(self.db_text());
            if self.settings.store_path.is_none() {
                ui.label(RichText::new("(default, in the OS data folder)").weak());
            }
            match &mut self.store_edit {
                None => {
                    if ui
                        .button("Change…")
                        .on_hover_text(
                            "Use another SQLite file (the live simulator continues on it)",
                        )
                        .clicked()
                    {
                        self.store_edit = Some(self.db_text());
                    }
                }
                Some(text) => {
                    let label = ui.label("New store file:");
                    ui.add(
                        egui::TextEdit::singleline(text)
                            .desired_width(360.0)
                            .hint_text("/path/to/parking.db"),
                    )
                    .labelled_by(label.id);
                    let chosen = text.trim().to_string();
                    if ui.button("Use this file").clicked() {
                        self.store_edit = None;
                        self.set_store_path(if chosen.is_empty() {
                            None
                        } else {
                            Some(PathBuf::from(chosen))
                        });
                    } else if ui.button("Use the default").clicked() {
                        self.store_edit = None;
                        self.set_store_path(None);
                    } else if ui.button("Cancel").clicked() {
                        self.store_edit = None;
                    }
                }
            }
            if let Some(e) = &self.store_error {
                ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
            }
        });
    }

    fn resume_banner(&mut self, ui: &mut Ui) {
        if self.historical.unfinished.is_empty()
            || self.historical.is_running()
            || self.settings.tab == Tab::Historical
        {
            return;
        }
        ui.horizontal(|ui| {
            let n = self.historical.unfinished.len();
            ui.label(
                RichText::new(format!(
                    "{n} unfinished historical run{} can be resumed.",
                    if n == 1 { "" } else { "s" }
                ))
                .color(ui.visuals().warn_fg_color),
            );
            if ui.button("Review on the Historical tab").clicked() {
                self.settings.tab = Tab::Historical;
            }
        });
    }

    /// Stops the jobs cleanly: the live runner commits its state, a historical job finishes
    /// the day it is writing (and resumes next time).
    pub fn shutdown(&mut self) {
        self.historical.shutdown();
        self.live.stop_runner(true);
    }
}

impl eframe::App for ParkingApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        ParkingApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.persist {
            self.settings.start_date = self.historical.start_text.clone();
            // An end date left at yesterday means "yesterday" next time too, not a fixed date.
            let end = &self.historical.end_text;
            self.settings.end_date = if *end == super::historical_tab::yesterday().to_string() {
                String::new()
            } else {
                end.clone()
            };
            eframe::set_value(storage, STORAGE_KEY, &self.settings);
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.shutdown();
    }
}

impl Drop for ParkingApp {
    fn drop(&mut self) {
        self.shutdown();
    }
}
