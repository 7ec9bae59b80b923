//! The application: the window's tabs, the store path, the resume offer and the settings. It
//! owns the tabs' states and the jobs' handles, drains their channels at the top of every frame
//! and never blocks: a frame only reads what the workers sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui::{self, RichText, Ui};

use super::historical_tab::HistoricalTab;
use super::live_tab::LiveTab;
use super::settings::{Settings, Tab, STORAGE_KEY};
use super::snowflake_tab::{Connection, SnowflakeTab};
use super::TITLE;
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
    /// The Snowflake tab.
    pub snowflake: SnowflakeTab,
    /// The About window, the first-start notice and "Open data folder".
    pub about: super::about::About,
    /// Settings are saved through eframe (off in tests).
    persist: bool,
    resume_checked: bool,
    feed_resume: FeedResume,
}

/// Bringing back a Snowflake feed that was on when the window closed (or that
/// `ENABLE_SNOWPIPE_STREAMING` asks for), so the outbox drains without a click.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FeedResume {
    /// Waiting for the live runner's first snapshot.
    Waiting,
    /// A connection test is under way; the feed starts when it succeeds. `resume`: the feed
    /// was on when the window closed (rather than switched on just now).
    Testing {
        /// The feed is being brought back, not switched on by the user.
        resume: bool,
    },
    /// Nothing (more) to do: the switch is the user's.
    Done,
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
        let stored = cc.storage.and_then(|s| s.get_string(STORAGE_KEY));
        let parsed: Option<Settings> = cc.storage.and_then(|s| eframe::get_value(s, STORAGE_KEY));
        // Settings that cannot be read are replaced by defaults when the window closes: say so
        // now, while the file still holds them.
        let file = super::settings::settings_path();
        let file_has_content = file
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .is_some_and(|m| m.len() > 0);
        let unreadable = parsed.is_none() && (stored.is_some() || file_has_content);
        let (mut settings, repaired) = parsed.unwrap_or_default().repaired();
        if let Some(tab) = std::env::var(TAB_ENV)
            .ok()
            .as_deref()
            .and_then(Tab::from_name)
        {
            settings.tab = tab;
        }
        // SIGTERM, SIGINT or SIGHUP (a logout, `kill`, Ctrl-C in the terminal that started it)
        // close the window the normal way, so settings and the live state are saved.
        let ctx = cc.egui_ctx.clone();
        let _ = ctrlc::set_handler(move || ctx.send_viewport_cmd(egui::ViewportCommand::Close));
        let mut app = Self::with_settings(settings, true);
        let where_ = file
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "app.ron".into());
        if unreadable {
            app.about.message = Some(format!(
                "The saved settings in {where_} could not be read; the window started with the defaults (they replace that file when the window closes: copy it first to keep it)."
            ));
        } else if !repaired.is_empty() {
            app.about.message = Some(format!(
                "Saved settings in {where_} that no control can show were reset: {}.",
                repaired.join(", ")
            ));
        }
        app
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

    /// The app with the given settings and no persistence (tests: e.g. reopening a window
    /// whose simulator was running).
    pub fn new_with_settings(settings: Settings) -> ParkingApp {
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
        let snowflake = SnowflakeTab::new();
        let mut live = LiveTab::new(settings.live_speed, settings.live_running);
        live.feed.on = settings
            .live_feed
            .unwrap_or_else(|| snowflake.streaming_requested(&settings.snowflake));
        ParkingApp {
            live,
            historical: HistoricalTab::new(&settings),
            snowflake,
            about: super::about::About::new(db.as_deref()),
            settings,
            catalog,
            db,
            store_error,
            store_edit: None,
            persist,
            resume_checked: false,
            feed_resume: FeedResume::Waiting,
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
                // The new runner's feed starts again if the switch was on.
                self.feed_resume = FeedResume::Waiting;
            }
            Err(e) => self.store_error = Some(e),
        }
    }

    /// Drains the workers' channels (never blocks).
    fn poll(&mut self) {
        self.live.poll();
        self.historical.poll();
        self.historical.export.poll(&mut self.settings);
        self.snowflake.poll(&mut self.settings.snowflake);
        if let Some(runs) = self.live.store_runs.take() {
            if !self.resume_checked {
                self.resume_checked = true;
                self.historical.set_store_runs(runs);
            } else {
                // Later lists (a live run was registered) only refresh the table: the resume
                // offer was made once.
                self.historical.runs = runs;
            }
        }
        self.settings.live_speed = self.live.speed_ui;
        if self.live.ready {
            self.settings.live_running = self.live.running;
        }
    }

    /// Acts on the feed switch, and brings back a feed that was on when the window closed.
    fn drive_feed(&mut self, ctx: &egui::Context) {
        if let Some(on) = self.live.feed.take_request() {
            self.live.feed.resuming = None;
            self.settings.live_feed = Some(on);
            if on {
                self.connect_feed(ctx, false);
            } else {
                self.feed_resume = FeedResume::Done;
                self.live.set_feed(None);
            }
            return;
        }
        match self.feed_resume {
            FeedResume::Waiting => {
                if !self.live.ready {
                    return;
                }
                if self.live.feed.on {
                    self.connect_feed(ctx, true);
                } else {
                    self.feed_resume = FeedResume::Done;
                }
            }
            FeedResume::Testing { resume } => {
                if self.snowflake.is_busy() {
                    return;
                }
                self.feed_resume = FeedResume::Done;
                self.live.feed.resuming = None;
                if self.connected() {
                    self.turn_feed_on();
                } else {
                    self.feed_not_connected(resume);
                }
            }
            FeedResume::Done => {
                // A feed held since reopening starts once the user connects in the tab.
                if self.live.feed.on && !self.live.feed.active && self.connected() {
                    self.turn_feed_on();
                }
            }
        }
    }

    fn connected(&self) -> bool {
        matches!(self.snowflake.connection, Connection::Connected(_))
    }

    /// Starts the feed, testing the connection first if it has not been.
    fn connect_feed(&mut self, ctx: &egui::Context, resume: bool) {
        self.live.feed.on = true;
        if self.connected() {
            self.feed_resume = FeedResume::Done;
            self.turn_feed_on();
        } else if self
            .snowflake
            .test_connection(ctx, &self.settings.snowflake)
        {
            self.feed_resume = FeedResume::Testing { resume };
            self.live.feed.resuming = Some(if resume {
                "connecting to Snowflake to resume the feed (it was on when the app closed)".into()
            } else {
                "connecting to Snowflake".into()
            });
        } else {
            self.feed_resume = FeedResume::Done;
            self.feed_not_connected(resume);
        }
    }

    fn turn_feed_on(&mut self) {
        match self.snowflake.feed_settings(&self.settings.snowflake) {
            Ok(s) => {
                self.live.feed.refused = None;
                self.live.set_feed(Some(s));
            }
            Err(e) => {
                self.live.set_feed(None);
                self.live.feed.refused = Some(format!("The Snowflake feed is off: {e}"));
                // Saved as off too: a switch saved on would come back on at the next start
                // and fill the outbox for a feed that cannot connect.
                self.settings.live_feed = Some(false);
            }
        }
    }

    /// The connection failed or could not be tried. A feed being resumed stays wanted (its
    /// rows keep going to the outbox) and starts once the user connects; a fresh switch-on
    /// goes back off.
    fn feed_not_connected(&mut self, resume: bool) {
        let why = match (&self.snowflake.key_error, &self.snowflake.connection) {
            (Some(e), _) => e.clone(),
            (None, Connection::Failed(e)) => e.clone(),
            _ => "the connection could not be tested".into(),
        };
        if resume {
            self.live.feed.refused = Some(format!(
                "The Snowflake feed was on when the app closed and starts again once connected: {why}. Until then live rows wait in the local outbox (Test connection in the Snowflake tab; switch the feed off to stop keeping them)."
            ));
        } else {
            self.live.set_feed(None);
            self.live.feed.refused = Some(format!("The Snowflake feed is off: {why}"));
            self.settings.live_feed = Some(false);
        }
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
        self.drive_feed(&ctx);

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
                ui.label(RichText::new(self.snowflake.status_line()).small());
                if let Some(f) = self.live.feed.status.as_ref().filter(|_| self.live.feed.on) {
                    ui.separator();
                    ui.label(
                        RichText::new(format!(
                            "feed: {} (backlog {})",
                            f.state.label(),
                            crate::ui::format::int(f.backlog_rows)
                        ))
                        .small(),
                    );
                }
            });
            self.about.status_notice(ui);
        });
        egui::CentralPanel::default().show(ui, |ui| match self.settings.tab {
            Tab::Live => self.live.ui(ui, &catalog),
            Tab::Historical => {
                self.historical.sink = self
                    .settings
                    .historical_snowflake
                    .then(|| self.snowflake.sink(&self.settings.snowflake));
                self.historical
                    .ui(ui, &mut self.settings, self.db.clone(), &catalog)
            }
            Tab::Snowflake => {
                let store = self.db_text();
                self.snowflake.ui(ui, &mut self.settings.snowflake, &store)
            }
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
