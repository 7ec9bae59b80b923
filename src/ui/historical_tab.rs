//! The Historical tab: the form (dates, batch size, seed, volume, destination, dry run), the
//! background job it starts (the same [`crate::jobs::historical`] job the command line runs),
//! its progress, and the offer to resume an unfinished run.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use eframe::egui::{self, Color32, RichText, Ui};

use super::export_panel::ExportPanel;
use super::format;
use super::settings::Settings;
use crate::catalog::Catalog;
use crate::engine::VolumePreset;
use crate::jobs::historical::{self, HistoricalJob, HistoricalRequest, SnowflakeSink, MAX_BATCH};
use crate::jobs::messages::{DayProgress, Outcome, Progress};
use crate::store::RunRecord;

/// Log lines kept.
const LOG_LINES: usize = 500;

/// The Historical tab's state.
pub struct HistoricalTab {
    /// Start date as typed.
    pub start_text: String,
    /// End date as typed.
    pub end_text: String,
    start_pick: jiff::civil::Date,
    end_pick: jiff::civil::Date,
    job: Option<HistoricalJob>,
    /// The run being generated: id, days total, days already committed at its start.
    pub started: Option<(String, u32, u32)>,
    /// Latest progress.
    pub progress: Option<DayProgress>,
    /// How the last job ended.
    pub outcome: Option<Outcome>,
    /// Log lines of the jobs, oldest first.
    pub log: Vec<String>,
    /// Unfinished runs found in the store, offered for resumption.
    pub unfinished: Vec<RunRecord>,
    /// Every run the store holds (historical and live), oldest first.
    pub runs: Vec<RunRecord>,
    /// Where loads go when Snowflake is the destination, or what is missing (set by the
    /// window from the Snowflake tab each frame).
    pub sink: Option<Result<SnowflakeSink, String>>,
    /// The "Export to files" panel.
    pub export: ExportPanel,
    /// The seed as typed: a text field, since a number widget works in f64 and would show
    /// and edit seeds above 2^53 wrongly.
    seed_text: String,
}

/// Yesterday in New York.
pub fn yesterday() -> NaiveDate {
    crate::jobs::historical::yesterday_in_new_york()
}

fn to_jiff(d: NaiveDate) -> jiff::civil::Date {
    jiff::civil::Date::new(
        d.year().clamp(-9999, 9999) as i16,
        d.month() as i8,
        d.day() as i8,
    )
    .unwrap_or_default()
}

fn from_jiff(d: jiff::civil::Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year() as i32, d.month() as u32, d.day() as u32)
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// Checks the form's dates: both parse and the end is not before the start.
pub fn check_dates(start: &str, end: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let s = parse_date(start).ok_or_else(|| {
        format!("The start date '{start}' is not a date: use YYYY-MM-DD, for example 2025-01-01.")
    })?;
    let e = parse_date(end).ok_or_else(|| {
        format!("The end date '{end}' is not a date: use YYYY-MM-DD, for example 2025-01-31.")
    })?;
    if e < s {
        return Err(format!("The end date {e} is before the start date {s}: choose an end date on or after the start."));
    }
    Ok((s, e))
}

impl HistoricalTab {
    /// A form filled from the settings.
    pub fn new(settings: &Settings) -> HistoricalTab {
        let start_text = settings.start_date.clone();
        let end_text = if settings.end_date.is_empty() {
            yesterday().to_string()
        } else {
            settings.end_date.clone()
        };
        HistoricalTab {
            start_pick: to_jiff(
                parse_date(&start_text)
                    .unwrap_or_else(|| NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default()),
            ),
            end_pick: to_jiff(parse_date(&end_text).unwrap_or_else(yesterday)),
            seed_text: settings.seed.to_string(),
            start_text,
            end_text,
            job: None,
            started: None,
            progress: None,
            outcome: None,
            log: Vec::new(),
            unfinished: Vec::new(),
            runs: Vec::new(),
            sink: None,
            export: ExportPanel::new(settings),
        }
    }

    /// A job is running.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// The form's current error, if any (shown under the form; Start is disabled meanwhile).
    pub fn form_error(&self, settings: &Settings) -> Option<String> {
        if let Err(e) = check_dates(&self.start_text, &self.end_text) {
            return Some(e);
        }
        if settings.historical_snowflake {
            if settings.dry_run {
                return Some("A dry run writes nothing, so it cannot load into Snowflake: untick Dry run or choose the local store.".into());
            }
            match &self.sink {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Some(format!("Snowflake: {e}.")),
                None => return Some("Snowflake: connect on the Snowflake tab first.".into()),
            }
        }
        if settings.batch_size == 0 || settings.batch_size > MAX_BATCH {
            return Some(format!(
                "The batch size must be 1 to {}.",
                format::int(MAX_BATCH as u64)
            ));
        }
        None
    }

    /// Takes the runs the store holds: all are listed, the unfinished historical ones are
    /// offered for resumption.
    pub fn set_store_runs(&mut self, runs: Vec<RunRecord>) {
        self.unfinished = runs
            .iter()
            .filter(|r| r.kind == "historical" && !r.finished())
            .cloned()
            .collect();
        self.runs = runs;
    }

    /// Applies every progress message waiting (never blocks).
    pub fn poll(&mut self) {
        let Some(job) = &self.job else {
            return;
        };
        let messages: Vec<Progress> = job.progress.try_iter().collect();
        let mut done = false;
        for m in messages {
            match m {
                Progress::Started {
                    run_id,
                    days_total,
                    days_done,
                } => {
                    self.push_log(format!(
                        "run {run_id}: {days_total} days{}",
                        if days_done > 0 {
                            format!(", resuming after day {days_done}")
                        } else {
                            String::new()
                        }
                    ));
                    self.unfinished.retain(|r| r.run_id != run_id);
                    self.started = Some((run_id, days_total, days_done));
                }
                Progress::Day(d) => {
                    if d.days_done == d.days_total || d.days_done % 10 == 0 {
                        self.push_log(format!(
                            "{} of {} days, {} events, {} sessions",
                            d.days_done,
                            d.days_total,
                            format::int(d.events),
                            format::int(d.sessions)
                        ));
                    }
                    self.progress = Some(d);
                }
                Progress::Log(line) => self.push_log(line),
                Progress::Runs(runs) => {
                    // Only the list is refreshed: what was dismissed or is resuming stays so.
                    self.runs = runs;
                }
                Progress::Done(outcome) => {
                    self.push_log(outcome_line(&outcome));
                    self.outcome = Some(outcome);
                    done = true;
                }
            }
        }
        if done {
            // The thread ends right after its last message; it is not joined here so the
            // window never waits.
            self.job = None;
        }
    }

    fn push_log(&mut self, line: String) {
        self.log.push(line);
        if self.log.len() > LOG_LINES {
            let excess = self.log.len() - LOG_LINES;
            self.log.drain(..excess);
        }
    }

    /// Starts a job for the form (or for a resumed run's settings).
    pub fn start(
        &mut self,
        ctx: &egui::Context,
        settings: &Settings,
        db: Option<PathBuf>,
        catalog: &Arc<Catalog>,
    ) {
        if self.job.is_some() || self.form_error(settings).is_some() {
            return;
        }
        let Ok((start, end)) = check_dates(&self.start_text, &self.end_text) else {
            return;
        };
        let Some(db) = db.or_else(|| settings.dry_run.then(PathBuf::new)) else {
            self.push_log(
                "no local store is open: choose a store file at the top of the window".into(),
            );
            return;
        };
        let request = HistoricalRequest {
            start,
            end,
            batch_size: settings.batch_size,
            seed: settings.seed,
            volume: if settings.volume == "original" {
                VolumePreset::Original
            } else {
                VolumePreset::Realistic
            },
            plate_preset: None,
            threads: 0,
            dry_run: settings.dry_run,
            db,
            catalog: catalog.clone(),
            snowflake: if settings.historical_snowflake {
                self.sink.clone().and_then(Result::ok)
            } else {
                None
            },
        };
        if let Err(e) = request.check() {
            self.push_log(e.to_string());
            self.outcome = Some(Outcome::Failed(e.to_string()));
            return;
        }
        self.push_log(format!(
            "starting {} to {}, seed {}, {} volume{}",
            start,
            end,
            settings.seed,
            settings.volume,
            if settings.dry_run {
                ", dry run (nothing is written)"
            } else if request.snowflake.is_some() {
                ", into the local store and Snowflake"
            } else {
                ""
            }
        ));
        self.progress = None;
        self.outcome = None;
        self.started = None;
        let repaint = ctx.clone();
        self.job = Some(historical::spawn(request, move || {
            repaint.request_repaint()
        }));
    }

    /// Asks the job to stop after the day it is writing.
    pub fn cancel(&mut self) {
        if let Some(job) = &self.job {
            job.cancel.store(true, Ordering::Relaxed);
            self.push_log("cancelling after the current day…".into());
        }
    }

    /// On exit: cancel and wait for the day being written, so the run resumes cleanly (an
    /// export being written stops and removes its unfinished file).
    pub fn shutdown(&mut self) {
        self.export.cancel();
        if let Some(job) = self.job.take() {
            job.cancel.store(true, Ordering::Relaxed);
            let _ = job.thread.join();
        }
    }

    /// Fills the form from an unfinished run (its dates, seed and volume).
    pub fn fill_from_run(&mut self, run: &RunRecord, settings: &mut Settings) {
        self.start_text = run.start_date.clone();
        self.end_text = run
            .end_date
            .clone()
            .unwrap_or_else(|| yesterday().to_string());
        settings.seed = run.seed;
        settings.volume = run.volume.clone();
        settings.dry_run = false;
        self.sync_pickers();
    }

    fn sync_pickers(&mut self) {
        if let Some(d) = parse_date(&self.start_text) {
            self.start_pick = to_jiff(d);
        }
        if let Some(d) = parse_date(&self.end_text) {
            self.end_pick = to_jiff(d);
        }
    }

    /// Shows the tab.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        settings: &mut Settings,
        db: Option<PathBuf>,
        catalog: &Arc<Catalog>,
    ) {
        egui::ScrollArea::vertical().id_salt("historical").auto_shrink([false, false]).show(ui, |ui| {
            self.resume_offer(ui, settings, db.clone(), catalog);
            ui.heading("Generate history");
            ui.label("Simulates a date range day by day and writes every event and session. The live simulator keeps running meanwhile.");
            ui.add_space(6.0);
            self.form(ui, settings);
            ui.add_space(6.0);
            let error = self.form_error(settings);
            if let Some(e) = &error {
                ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
            }
            ui.horizontal(|ui| {
                let can_start = error.is_none() && self.job.is_none();
                if ui.add_enabled(can_start, egui::Button::new(RichText::new("Start").strong())).on_hover_text("Generate in the background").clicked() {
                    settings.start_date = self.start_text.clone();
                    settings.end_date = self.end_text.clone();
                    self.start(ui.ctx(), settings, db.clone(), catalog);
                }
                if ui.add_enabled(self.job.is_some(), egui::Button::new("Cancel")).on_hover_text("Stop after the day being written; the same settings resume later").clicked() {
                    self.cancel();
                }
            });
            ui.add_space(8.0);
            self.progress_ui(ui);
            ui.add_space(8.0);
            self.runs_list(ui, settings);
            ui.add_space(8.0);
            self.export.ui(ui, settings, db.as_deref(), &self.runs);
        });
    }

    /// The runs already in the store, with a way to put a historical run's settings back in
    /// the form (to extend, repeat or resume it).
    fn runs_list(&mut self, ui: &mut Ui, settings: &mut Settings) {
        let mut fill = None;
        egui::CollapsingHeader::new(format!("Runs in this store ({})", self.runs.len()))
            .id_salt("historical_runs")
            .default_open(true)
            .show(ui, |ui| {
                if self.runs.is_empty() {
                    ui.label(RichText::new("None yet: the runs you start here and the live simulator's run appear here.").weak());
                    return;
                }
                egui::Grid::new("historical_runs_grid")
                    .num_columns(9)
                    .striped(true)
                    .show(ui, |ui| {
                        for h in ["Run", "Kind", "Dates", "Seed", "Volume", "Days", "Events", "Sessions", ""] {
                            ui.label(RichText::new(h).strong());
                        }
                        ui.end_row();
                        for (i, r) in self.runs.iter().enumerate() {
                            ui.monospace(&r.run_id);
                            ui.label(&r.kind);
                            ui.label(match &r.end_date {
                                Some(end) => format!("{} to {end}", r.start_date),
                                None => format!("from {}", r.start_date),
                            });
                            ui.label(r.seed.to_string());
                            ui.label(&r.volume);
                            ui.label(if r.kind == "historical" {
                                format!("{} / {}", r.days_done, r.days_total)
                            } else {
                                "-".into()
                            });
                            ui.label(format::int(r.events_written));
                            ui.label(format::int(r.sessions_written));
                            if r.kind == "historical" {
                                let label = if r.finished() { "finished" } else { "unfinished" };
                                if ui
                                    .small_button(format!("{label}: use settings"))
                                    .on_hover_text("Put this run's dates, seed and volume in the form")
                                    .clicked()
                                {
                                    fill = Some(i);
                                }
                            } else {
                                ui.label(RichText::new("live").weak());
                            }
                            ui.end_row();
                        }
                    });
            });
        if let Some(i) = fill {
            let run = self.runs[i].clone();
            self.fill_from_run(&run, settings);
        }
    }

    fn resume_offer(
        &mut self,
        ui: &mut Ui,
        settings: &mut Settings,
        db: Option<PathBuf>,
        catalog: &Arc<Catalog>,
    ) {
        if self.unfinished.is_empty() || self.job.is_some() {
            return;
        }
        let mut resume = None;
        let mut dismiss = None;
        egui::Frame::group(ui.style())
            .fill(ui.visuals().faint_bg_color)
            .show(ui, |ui| {
                ui.label(RichText::new("Unfinished runs in this store").strong());
                for (i, r) in self.unfinished.iter().enumerate() {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(format!(
                            "Run {}: {} to {}, seed {}, {} volume - {} of {} days committed.",
                            r.run_id,
                            r.start_date,
                            r.end_date.as_deref().unwrap_or("?"),
                            r.seed,
                            r.volume,
                            r.days_done,
                            r.days_total
                        ));
                        if ui
                            .button(format!("Resume run {}", r.run_id))
                            .on_hover_text(
                                "Finish it: the result is exactly what an uninterrupted run writes",
                            )
                            .clicked()
                        {
                            resume = Some(i);
                        }
                        if ui.button("Not now").clicked() {
                            dismiss = Some(i);
                        }
                    });
                }
            });
        ui.add_space(6.0);
        if let Some(i) = resume {
            let run = self.unfinished.remove(i);
            self.fill_from_run(&run, settings);
            settings.start_date = self.start_text.clone();
            settings.end_date = self.end_text.clone();
            self.start(ui.ctx(), settings, db, catalog);
        } else if let Some(i) = dismiss {
            self.unfinished.remove(i);
        }
    }

    fn form(&mut self, ui: &mut Ui, settings: &mut Settings) {
        let running = self.job.is_some();
        ui.add_enabled_ui(!running, |ui| {
            egui::Grid::new("historical_form").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
                for (name, text, pick, salt) in [("Start date", &mut self.start_text, &mut self.start_pick, "start_pick"), ("End date", &mut self.end_text, &mut self.end_pick, "end_pick")] {
                    let label = ui.label(name);
                    ui.horizontal(|ui| {
                        let r = ui.add(egui::TextEdit::singleline(text).desired_width(100.0).hint_text("YYYY-MM-DD")).labelled_by(label.id);
                        if r.changed() {
                            if let Some(d) = parse_date(text) {
                                *pick = to_jiff(d);
                            }
                        }
                        let before = *pick;
                        ui.add(egui_extras::DatePickerButton::new(pick).id_salt(salt).calendar_week(false).show_icon(false).format("Pick date"));
                        if *pick != before {
                            if let Some(d) = from_jiff(*pick) {
                                *text = d.to_string();
                            }
                        }
                    });
                    ui.end_row();
                }

                ui.label("Batch size");
                ui.add(egui::Slider::new(&mut settings.batch_size, 1..=MAX_BATCH).logarithmic(true).text("rows per insert"));
                ui.end_row();

                let label = ui.label("Seed");
                ui.horizontal(|ui| {
                    let edit = ui.add(egui::TextEdit::singleline(&mut self.seed_text).desired_width(170.0)).labelled_by(label.id);
                    let typed = self.seed_text.trim().parse::<u64>().ok();
                    if let Some(v) = typed.filter(|_| edit.changed()) {
                        settings.seed = v;
                    }
                    if !edit.has_focus() && typed != Some(settings.seed) {
                        // Changed elsewhere (New seed, a run put in the form) or left invalid.
                        self.seed_text = settings.seed.to_string();
                    }
                    if edit.has_focus() && typed.is_none() {
                        ui.label(RichText::new("a whole number, 0 to 18446744073709551615").color(ui.visuals().error_fg_color));
                    }
                    if ui.button("New seed").on_hover_text("A random seed; the same seed and settings always give the same rows").clicked() {
                        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7);
                        settings.seed = crate::engine::rng::mix64(nanos) % 1_000_000_000;
                    }
                });
                ui.end_row();

                ui.label("Volume");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut settings.volume, "realistic".to_string(), "Realistic").on_hover_text("Arrivals sized so garages fill as real ones do");
                    ui.radio_value(&mut settings.volume, "original".to_string(), "Original").on_hover_text("The original system's volume (about 2,860 events a day)");
                });
                ui.end_row();

                ui.label("Destination");
                ui.vertical(|ui| {
                    ui.radio_value(&mut settings.historical_snowflake, false, "Local store");
                    ui.radio_value(&mut settings.historical_snowflake, true, "Local store and Snowflake").on_hover_text("Every day is also loaded into Snowflake over the SQL API, exactly once; the objects are created first if missing");
                    if settings.historical_snowflake {
                        match &self.sink {
                            Some(Ok(sink)) => {
                                ui.label(RichText::new(format!("into {}.{} at {}", sink.names.database, sink.names.schema, sink.settings.base_url)).weak());
                            }
                            Some(Err(e)) => {
                                ui.label(RichText::new(format!("Snowflake: {e}")).color(ui.visuals().warn_fg_color));
                            }
                            None => {}
                        }
                    }
                });
                ui.end_row();

                ui.label("Dry run");
                ui.checkbox(&mut settings.dry_run, "Generate and count only; write nothing");
                ui.end_row();
            });
        });
        if let Ok((s, e)) = check_dates(&self.start_text, &self.end_text) {
            ui.label(
                RichText::new(format!(
                    "{} days, New York local dates, both included.",
                    (e - s).num_days() + 1
                ))
                .weak(),
            );
        }
    }

    fn progress_ui(&mut self, ui: &mut Ui) {
        if let Some(d) = &self.progress {
            let fraction = d.fraction() as f32;
            ui.add(
                egui::ProgressBar::new(fraction)
                    .text(format!("{:.0}%", fraction * 100.0))
                    .desired_width(ui.available_width().min(700.0)),
            );
            let done_before = self.started.as_ref().map(|s| s.2).unwrap_or(0);
            let this_start = d.days_done.saturating_sub(done_before) as f64;
            let left_days = d.days_total.saturating_sub(d.days_done) as f64;
            let time_left = if this_start > 0.0 && d.elapsed_s > 0.0 {
                format::seconds_left(d.elapsed_s / this_start * left_days)
            } else {
                "?".into()
            };
            egui::Grid::new("historical_progress")
                .num_columns(2)
                .show(ui, |ui| {
                    for (k, v) in [
                        ("Days", format!("{} / {}", d.days_done, d.days_total)),
                        ("Events", format::int(d.events)),
                        ("Sessions", format::int(d.sessions)),
                        ("Events/s", format::rate(d.events_per_sec())),
                        (
                            "Time left",
                            if self.job.is_some() {
                                time_left
                            } else {
                                "-".into()
                            },
                        ),
                    ] {
                        ui.label(RichText::new(k).weak());
                        ui.label(RichText::new(v).strong());
                        ui.end_row();
                    }
                });
        } else if self.job.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Preparing the run (warming up the facilities)…");
            });
        }
        if let Some(o) = &self.outcome {
            let color = match o {
                Outcome::Finished(_) | Outcome::AlreadyComplete(_) => {
                    Color32::from_rgb(80, 190, 110)
                }
                Outcome::Cancelled(_) => ui.visuals().warn_fg_color,
                Outcome::Failed(_) => ui.visuals().error_fg_color,
            };
            ui.label(RichText::new(outcome_line(o)).color(color));
        }
        egui::CollapsingHeader::new(format!("Log ({} lines)", self.log.len()))
            .id_salt("historical_log")
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("historical_log_scroll")
                    .max_height(240.0)
                    .stick_to_bottom(true)
                    .show(ui, |ui| {
                        for line in &self.log {
                            ui.monospace(line);
                        }
                    });
            });
    }
}

/// One line saying how a run ended.
pub fn outcome_line(o: &Outcome) -> String {
    match o {
        Outcome::Finished(s) => format!(
            "Done: run {}, {} days, {} events, {} sessions in {:.1} s{}",
            s.run_id,
            s.days,
            format::int(s.events),
            format::int(s.sessions),
            s.seconds,
            if s.dry_run { " (dry run: nothing written)" } else { "" }
        ),
        Outcome::AlreadyComplete(s) => format!("Nothing to do: run {} is already complete ({} days, {} events).", s.run_id, s.days, format::int(s.events)),
        Outcome::Cancelled(s) => format!("Cancelled after {} days: the committed days stay; Start with the same settings resumes run {}.", s.days, s.run_id),
        Outcome::Failed(e) => format!("Failed: {e}"),
    }
}
