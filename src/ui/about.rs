//! The About window, the first-start notice and the "Open data folder" action.
//!
//! A desktop user never sees a terminal, so the window itself says where the local store lives
//! (once, prominently, on the first start; always in About) and opens that folder in the OS file
//! manager. Opening runs the platform's own opener (`xdg-open`, `open`, `explorer`) on a helper
//! thread so the UI never waits for it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, TryRecvError};

use eframe::egui::{self, RichText, Ui};

/// The program's version, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The id under which eframe keeps the window's settings (`app.ron`); it is also the Wayland
/// app id and the X11 class that the `.desktop` entry's `StartupWMClass` names.
pub const APP_ID: &str = "parking-iot";

/// A bundled component and its licence, as shown in the About window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Component {
    /// The crate or library.
    pub name: &'static str,
    /// What it does here.
    pub role: &'static str,
    /// Its licence (SPDX expression, as its package declares it).
    pub licence: &'static str,
}

/// The main components compiled into the binary, with the licences their packages declare.
/// Every one of them allows redistribution in a binary with its notice kept; the full texts are
/// in each crate's source (`cargo vendor` or crates.io).
pub const COMPONENTS: &[Component] = &[
    Component {
        name: "egui, eframe, egui_extras, egui_plot",
        role: "the window, widgets and charts",
        licence: "MIT OR Apache-2.0",
    },
    Component {
        name: "egui default fonts",
        role: "Ubuntu Light, Hack, Noto Emoji, emoji-icon-font",
        licence: "Ubuntu-font-1.0, MIT, OFL-1.1",
    },
    Component {
        name: "winit",
        role: "windows and input on every OS",
        licence: "Apache-2.0",
    },
    Component {
        name: "glutin, glow",
        role: "OpenGL context and rendering",
        licence: "Apache-2.0; MIT OR Apache-2.0 OR Zlib",
    },
    Component {
        name: "rusqlite",
        role: "SQLite bindings",
        licence: "MIT",
    },
    Component {
        name: "SQLite",
        role: "the local store (built in)",
        licence: "public domain",
    },
    Component {
        name: "reqwest, hyper, tokio",
        role: "HTTPS client for Snowflake",
        licence: "MIT OR Apache-2.0; MIT; MIT",
    },
    Component {
        name: "rustls",
        role: "TLS",
        licence: "Apache-2.0 OR ISC OR MIT",
    },
    Component {
        name: "ring",
        role: "cryptography inside rustls",
        licence: "Apache-2.0 AND ISC",
    },
    Component {
        name: "webpki-roots",
        role: "Mozilla's root certificates",
        licence: "CDLA-Permissive-2.0",
    },
    Component {
        name: "rsa, pkcs1, pkcs8, sha2 (RustCrypto)",
        role: "Snowflake key-pair authentication",
        licence: "MIT OR Apache-2.0",
    },
    Component {
        name: "chrono, chrono-tz, jiff",
        role: "dates and New York time",
        licence: "MIT OR Apache-2.0; Unlicense OR MIT",
    },
    Component {
        name: "clap",
        role: "the command line",
        licence: "MIT OR Apache-2.0",
    },
    Component {
        name: "serde, serde_json, toml, directories, crossbeam-channel, thiserror, ctrlc, base64",
        role: "settings, files, folders, threads",
        licence: "MIT OR Apache-2.0",
    },
];

/// The program that shows a folder in the desktop's file manager on this OS.
pub fn folder_opener() -> &'static str {
    if cfg!(target_os = "windows") {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    }
}

/// The folder holding the database `db` (the current folder for a bare file name).
pub fn data_folder(db: &Path) -> PathBuf {
    match db.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Where the window's settings (`app.ron`) live on this OS, if there is a home folder.
pub fn settings_folder() -> Option<PathBuf> {
    super::settings::settings_path().and_then(|f| f.parent().map(Path::to_path_buf))
}

/// Starts the OS file manager on `dir`. The returned channel reports once the opener exits;
/// an opener that cannot be started is an error right away, worded for the user.
pub fn open_folder(
    dir: &Path,
    ctx: &egui::Context,
) -> Result<Receiver<Result<(), String>>, String> {
    let opener = folder_opener();
    let mut child = Command::new(opener)
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "could not start {opener} to open {} ({e}); open that folder in your file manager{}",
                dir.display(),
                if opener == "xdg-open" {
                    " (xdg-open comes with the xdg-utils package)"
                } else {
                    ""
                }
            )
        })?;
    let (tx, rx) = mpsc::channel();
    let ctx = ctx.clone();
    let shown = dir.display().to_string();
    // Waiting reaps the child (no zombie) and tells the user if the opener gave up.
    std::thread::spawn(move || {
        let result = match child.wait() {
            // explorer.exe exits with 1 even when it opened the folder, so its status says nothing.
            Ok(_) if opener == "explorer" => Ok(()),
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(format!(
                "{opener} could not open {shown} ({status}); open that folder in your file manager"
            )),
            Err(e) => Err(format!("{opener} on {shown}: {e}")),
        };
        let _ = tx.send(result);
        ctx.request_repaint();
    });
    Ok(rx)
}

/// The About window's state, the first-start notice and the last "Open data folder" outcome.
#[derive(Debug, Default)]
pub struct About {
    /// The About window is shown.
    pub open: bool,
    /// The store that did not exist yet when the app started (this start creates it), until the
    /// user dismisses the notice.
    pub first_start: Option<PathBuf>,
    /// What the last "Open data folder" did, when there is something to say.
    pub message: Option<String>,
    opening: Option<Receiver<Result<(), String>>>,
}

impl About {
    /// The state for a window on the database `db`: a database file that does not exist yet
    /// means this start creates it, which the first-start notice announces.
    pub fn new(db: Option<&Path>) -> About {
        About {
            first_start: db.filter(|p| !p.exists()).map(Path::to_path_buf),
            ..About::default()
        }
    }

    /// Reads the opener's outcome, if it has finished (never blocks).
    fn poll(&mut self) {
        if let Some(rx) = &self.opening {
            match rx.try_recv() {
                Ok(Ok(())) => {
                    self.message = None;
                    self.opening = None;
                }
                Ok(Err(e)) => {
                    self.message = Some(e);
                    self.opening = None;
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.opening = None,
            }
        }
    }

    /// Opens the folder of `db` in the file manager (or says why not).
    pub fn open_data_folder(&mut self, ctx: &egui::Context, db: Option<&Path>) {
        let Some(db) = db else {
            self.message =
                Some("there is no local store yet: choose a store file first".to_string());
            return;
        };
        let dir = data_folder(db);
        if !dir.is_dir() {
            self.message = Some(format!(
                "the data folder {} does not exist (yet): start the live simulator or a run first",
                dir.display()
            ));
            return;
        }
        match open_folder(&dir, ctx) {
            Ok(rx) => {
                self.message = None;
                self.opening = Some(rx);
            }
            Err(e) => self.message = Some(e),
        }
    }

    /// "Open data folder" and "About" at the right end of the top bar.
    pub fn top_bar_buttons(&mut self, ui: &mut Ui, db: Option<&Path>) {
        self.poll();
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("About")
                .on_hover_text("Version, where the data lives, licences")
                .clicked()
            {
                self.open = !self.open;
            }
            if ui
                .button("Open data folder")
                .on_hover_text("Show the local store's folder in the file manager")
                .clicked()
            {
                self.open_data_folder(ui.ctx(), db);
            }
        });
    }

    /// The status bar's extra line: where a new store was created, and any message from
    /// "Open data folder".
    pub fn status_notice(&mut self, ui: &mut Ui) {
        if let Some(created) = self.first_start.clone() {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("First start:").strong());
                ui.label("your local store is");
                ui.monospace(created.display().to_string());
                ui.label("(new; everything generated is kept there).");
                if ui.small_button("Open data folder").clicked() {
                    self.open_data_folder(ui.ctx(), Some(&created));
                }
                if ui.small_button("Dismiss").clicked() {
                    self.first_start = None;
                }
            });
        }
        if let Some(message) = self.message.clone() {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(message).color(ui.visuals().error_fg_color));
                if ui.small_button("OK").clicked() {
                    self.message = None;
                }
            });
        }
    }

    /// The About window, when open.
    pub fn window(&mut self, ctx: &egui::Context, db: Option<&Path>) {
        if !self.open {
            return;
        }
        let mut open = true;
        let mut close = false;
        egui::Window::new("About NYC Smart Parking IoT")
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_width(640.0)
            .show(ctx, |ui| {
                ui.heading(super::TITLE);
                ui.label(format!("Version {VERSION}"));
                ui.label(env!("CARGO_PKG_DESCRIPTION"));
                ui.add_space(6.0);
                egui::Grid::new("about_paths")
                    .num_columns(2)
                    .spacing([12.0, 4.0])
                    .show(ui, |ui| {
                        ui.label("Local store");
                        ui.monospace(match db {
                            Some(p) => p.display().to_string(),
                            None => "none (choose a store file in the top bar)".to_string(),
                        });
                        ui.end_row();
                        ui.label("Window settings");
                        ui.monospace(match settings_folder() {
                            Some(p) => p.join("app.ron").display().to_string(),
                            None => "not saved (no home folder)".to_string(),
                        });
                        ui.end_row();
                    });
                ui.horizontal(|ui| {
                    if ui.button("Open data folder").clicked() {
                        self.open_data_folder(ui.ctx(), db);
                    }
                    if let Some(p) = db {
                        if ui.button("Copy store path").clicked() {
                            ui.ctx().copy_text(p.display().to_string());
                        }
                    }
                });
                if let Some(message) = &self.message {
                    ui.label(RichText::new(message).color(ui.visuals().error_fg_color));
                }
                ui.add_space(6.0);
                ui.label(
                    RichText::new(format!(
                        "This program: licence {}. Bundled components:",
                        env!("CARGO_PKG_LICENSE")
                    ))
                    .strong(),
                );
                egui::ScrollArea::vertical()
                    .max_height(260.0)
                    .show(ui, |ui| {
                        egui::Grid::new("about_licences")
                            .num_columns(3)
                            .striped(true)
                            .spacing([12.0, 3.0])
                            .show(ui, |ui| {
                                for c in COMPONENTS {
                                    ui.label(c.name);
                                    ui.label(RichText::new(c.role).weak());
                                    ui.label(c.licence);
                                    ui.end_row();
                                }
                            });
                    });
                ui.add_space(4.0);
                if ui.button("Close").clicked() {
                    close = true;
                }
            });
        self.open = open && !close;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_store_file_is_announced_as_a_first_start_and_an_existing_one_is_not() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("parking-iot.db");
        assert_eq!(About::new(Some(&db)).first_start, Some(db.clone()));
        std::fs::write(&db, b"").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(About::new(Some(&db)).first_start, None);
        assert_eq!(About::new(None).first_start, None);
    }

    #[test]
    fn the_data_folder_is_the_store_files_folder() {
        assert_eq!(
            data_folder(Path::new(
                "/home/ann/.local/share/parking-iot/parking-iot.db"
            )),
            PathBuf::from("/home/ann/.local/share/parking-iot")
        );
        assert_eq!(data_folder(Path::new("parking.db")), PathBuf::from("."));
    }

    #[test]
    fn the_opener_is_the_platforms_own() {
        let expected = if cfg!(windows) {
            "explorer"
        } else if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        assert_eq!(folder_opener(), expected);
    }

    #[test]
    fn every_listed_component_names_a_licence() {
        assert!(COMPONENTS.len() >= 10);
        for c in COMPONENTS {
            assert!(!c.name.is_empty() && !c.role.is_empty(), "{c:?}");
            assert!(
                c.licence.contains("MIT")
                    || c.licence.contains("Apache")
                    || c.licence.contains("public domain")
                    || c.licence.contains("CDLA"),
                "{c:?}"
            );
        }
        assert!(COMPONENTS
            .iter()
            .any(|c| c.name == "SQLite" && c.licence == "public domain"));
    }
}
