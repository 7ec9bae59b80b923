//! The Historical tab's "Export to files" panel: the store's tables (every run, or one) as CSV
//! or NDJSON files in a folder, written by a worker thread (the same export as
//! `parking-iot export`).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crossbeam_channel::Receiver;
use eframe::egui::{self, Color32, RichText, Ui};

use super::format;
use super::settings::Settings;
use crate::jobs::export::{self, ExportJob, ExportReport};
use crate::store::export::{ExportFormat, ExportRequest, ExportedFile};
use crate::store::RunRecord;

/// The folder offered when the user has not chosen one: `parking-iot-export` in the
/// Documents folder (the home folder when there is none).
pub fn default_export_folder() -> PathBuf {
    directories::UserDirs::new()
        .map(|u| {
            u.document_dir()
                .unwrap_or_else(|| u.home_dir())
                .join("parking-iot-export")
        })
        .unwrap_or_else(|| PathBuf::from("parking-iot-export"))
}

/// The panel's state.
#[derive(Default)]
pub struct ExportPanel {
    /// The folder as typed (empty: the settings' folder or the default).
    pub folder_text: String,
    /// The run to export (`None`: every run).
    pub run: Option<String>,
    job: Option<ExportJob>,
    picker: Option<Receiver<Option<PathBuf>>>,
    progress: Option<(&'static str, u64)>,
    /// How the last export ended.
    pub result: Option<Result<(PathBuf, Vec<ExportedFile>), String>>,
    opening: Option<String>,
    /// A result just arrived: bring it into view once (the panel ends the tab, often below
    /// the fold).
    reveal: bool,
}

impl ExportPanel {
    /// A panel showing the folder saved in the settings.
    pub fn new(settings: &Settings) -> ExportPanel {
        ExportPanel {
            folder_text: settings
                .export_folder
                .clone()
                .unwrap_or_else(default_export_folder)
                .display()
                .to_string(),
            ..ExportPanel::default()
        }
    }

    /// An export is being written.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Applies what the worker and the folder dialog sent (never blocks).
    pub fn poll(&mut self, settings: &mut Settings) {
        if let Some(rx) = &self.picker {
            if let Ok(picked) = rx.try_recv() {
                if let Some(dir) = picked {
                    self.folder_text = dir.display().to_string();
                    settings.export_folder = Some(dir);
                }
                self.picker = None;
            }
        }
        let Some(job) = &self.job else {
            return;
        };
        let reports: Vec<ExportReport> = job.reports.try_iter().collect();
        for r in reports {
            match r {
                ExportReport::Progress(table, rows) => self.progress = Some((table, rows)),
                ExportReport::Done(result) => {
                    let folder = PathBuf::from(self.folder_text.trim());
                    self.result = Some(result.map(|files| (folder, files)));
                    self.progress = None;
                    self.job = None;
                    self.reveal = true;
                }
            }
        }
    }

    /// Starts writing the files of `db` into the typed folder.
    pub fn start(&mut self, ctx: &egui::Context, settings: &mut Settings, db: &Path) {
        if self.job.is_some() {
            return;
        }
        let folder = PathBuf::from(self.folder_text.trim());
        if folder.as_os_str().is_empty() {
            self.result = Some(Err("Type or choose a folder for the files first.".into()));
            return;
        }
        settings.export_folder = Some(folder.clone());
        let request = ExportRequest {
            db: db.to_path_buf(),
            out_dir: folder,
            format: if settings.export_format == "ndjson" {
                ExportFormat::Ndjson
            } else {
                ExportFormat::Csv
            },
            run_id: self.run.clone(),
            gzip: settings.export_gzip,
        };
        self.result = None;
        self.progress = None;
        let repaint = ctx.clone();
        self.job = Some(export::spawn(request, move || repaint.request_repaint()));
    }

    /// Stops the export at the next row (its unfinished file is removed).
    pub fn cancel(&mut self) {
        if let Some(job) = &self.job {
            job.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Shows the panel.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        settings: &mut Settings,
        db: Option<&Path>,
        runs: &[RunRecord],
    ) {
        egui::CollapsingHeader::new("Export to files")
            .id_salt("export_panel")
            .default_open(true)
            .show(ui, |ui| {
                ui.label("Writes parking_facilities, parking_events and parking_sessions as files, for pandas, DuckDB, Spark, a Snowflake stage or a spreadsheet.");
                let running = self.job.is_some();
                ui.add_enabled_ui(!running, |ui| {
                    egui::Grid::new("export_form").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
                        let label = ui.label("Folder");
                        ui.horizontal(|ui| {
                            let r = ui.add(egui::TextEdit::singleline(&mut self.folder_text).desired_width(360.0)).labelled_by(label.id);
                            if r.changed() {
                                let t = self.folder_text.trim();
                                settings.export_folder = (!t.is_empty()).then(|| PathBuf::from(t));
                            }
                            if ui.add_enabled(self.picker.is_none(), egui::Button::new("Choose…")).on_hover_text("The system's folder dialog; or type the path").clicked() {
                                let repaint = ui.ctx().clone();
                                let start = Some(PathBuf::from(self.folder_text.trim()));
                                self.picker = Some(export::pick_folder(start, move || repaint.request_repaint()));
                            }
                        });
                        ui.end_row();

                        let rows_label = ui.label("Rows");
                        let shown = match &self.run {
                            None => "All runs".to_string(),
                            Some(id) => run_label(runs, id),
                        };
                        egui::ComboBox::from_id_salt("export_run")
                            .selected_text(shown)
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut self.run, None, "All runs");
                                for r in runs {
                                    ui.selectable_value(&mut self.run, Some(r.run_id.clone()), run_label(runs, &r.run_id));
                                }
                            })
                            .response
                            .labelled_by(rows_label.id);
                        ui.end_row();

                        ui.label("Format");
                        ui.horizontal(|ui| {
                            ui.radio_value(&mut settings.export_format, "csv".to_string(), "CSV").on_hover_text("A header line, then one line a row; NULL is an empty field");
                            ui.radio_value(&mut settings.export_format, "ndjson".to_string(), "NDJSON").on_hover_text("One JSON object a line, keyed by column name");
                            ui.checkbox(&mut settings.export_gzip, "gzip");
                        });
                        ui.end_row();
                    });
                });
                ui.horizontal(|ui| {
                    let can = !running && db.is_some();
                    if ui.add_enabled(can, egui::Button::new("Export")).on_hover_text("Write the files in the background; files of the same name are replaced").clicked() {
                        if let Some(db) = db {
                            self.start(ui.ctx(), settings, db);
                        }
                    }
                    if ui.add_enabled(running, egui::Button::new("Cancel export")).clicked() {
                        self.cancel();
                    }
                    if running {
                        ui.spinner();
                        match self.progress {
                            Some((table, rows)) => ui.label(format!("{table}: {} rows…", format::int(rows))),
                            None => ui.label("Starting…"),
                        };
                    }
                });
                self.result_ui(ui);
            });
    }

    fn result_ui(&mut self, ui: &mut Ui) {
        match &self.result {
            Some(Ok((folder, files))) => {
                let rows: u64 = files.iter().map(|f| f.rows).sum();
                ui.label(
                    RichText::new(format!(
                        "Exported {} rows into {}:",
                        format::int(rows),
                        folder.display()
                    ))
                    .color(Color32::from_rgb(80, 190, 110)),
                );
                egui::Grid::new("export_files")
                    .num_columns(3)
                    .show(ui, |ui| {
                        for f in files {
                            ui.monospace(
                                f.path
                                    .file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_default(),
                            );
                            ui.label(format!("{} rows", format::int(f.rows)));
                            ui.label(crate::store::export::size_label(f.bytes));
                            ui.end_row();
                        }
                    });
                let folder = folder.clone();
                let open = ui.button("Open folder");
                if std::mem::take(&mut self.reveal) {
                    open.scroll_to_me(Some(egui::Align::BOTTOM));
                }
                if open.clicked() {
                    self.opening = super::about::open_folder(&folder, ui.ctx()).err();
                }
                if let Some(e) = &self.opening {
                    ui.label(RichText::new(e).color(ui.visuals().warn_fg_color));
                }
            }
            Some(Err(e)) => {
                let failed = ui.label(
                    RichText::new(format!("Export failed: {e}")).color(ui.visuals().error_fg_color),
                );
                if std::mem::take(&mut self.reveal) {
                    failed.scroll_to_me(Some(egui::Align::BOTTOM));
                }
            }
            None => {}
        }
    }
}

/// "run 0a1 (historical, 2025-01-01 to 2025-01-31)".
fn run_label(runs: &[RunRecord], id: &str) -> String {
    match runs.iter().find(|r| r.run_id == id) {
        Some(r) => format!(
            "run {} ({}, {})",
            r.run_id,
            r.kind,
            match &r.end_date {
                Some(end) => format!("{} to {end}", r.start_date),
                None => format!("from {}", r.start_date),
            }
        ),
        None => format!("run {id}"),
    }
}
