//! The Snowflake tab: the connection fields (each with where its value comes from), the key
//! (file picker or typed path, a passphrase kept in memory only), Test connection, the key's
//! fingerprint and the `ALTER USER` line that registers it, and the setup SQL with a Create
//! objects button. Without an account everything else keeps working locally.

use std::path::PathBuf;

use crossbeam_channel::Receiver;
use eframe::egui::{self, Color32, RichText, Ui};
use serde::{Deserialize, Serialize};

use crate::jobs::historical::SnowflakeSink;
use crate::jobs::live::FeedSettings;
use crate::jobs::snowflake_tasks::{self, KeyInfo, Task, TaskReport};
use crate::snowflake::config::{self, ConnectionConfig, Explicit, Inputs, Secret};
use crate::snowflake::setup::{self, Variant};
use crate::snowflake::sql_api::{ConnectionInfo, RetryPolicy};

/// What the tab says while no account is connected.
pub const NOT_CONNECTED: &str = "not connected - everything works locally";

/// The fields that persist (never the passphrase). Empty means "not set here": the value then
/// comes from the environment, `.env`, `connections.toml` or the default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnowflakeFields {
    /// Account identifier.
    pub account: String,
    /// Login name.
    pub user: String,
    /// Role.
    pub role: String,
    /// Warehouse.
    pub warehouse: String,
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
    /// Private key file.
    pub key_path: String,
    /// Endpoint instead of the account's host (a stand-in, a proxy).
    pub base_url: String,
    /// Connection name in `connections.toml`.
    pub connection: String,
    /// Create Iceberg tables instead of standard ones.
    pub iceberg: bool,
    /// The Iceberg tables' external volume.
    pub external_volume: String,
    /// Folder under the external volume.
    pub base_location: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl SnowflakeFields {
    /// The fields as explicit values (highest precedence).
    pub fn explicit(&self, passphrase: &str) -> Explicit {
        Explicit {
            account: opt(&self.account),
            user: opt(&self.user),
            role: opt(&self.role),
            warehouse: opt(&self.warehouse),
            database: opt(&self.database),
            schema: opt(&self.schema),
            private_key_path: opt(&self.key_path).map(PathBuf::from),
            passphrase: (!passphrase.is_empty()).then(|| Secret::new(passphrase)),
            base_url: opt(&self.base_url),
            connection: opt(&self.connection),
        }
    }

    /// The table variant of Create objects.
    pub fn variant(&self) -> Variant {
        if self.iceberg {
            Variant::Iceberg {
                external_volume: self.external_volume.trim().to_string(),
                base_location: opt(&self.base_location).unwrap_or_else(|| "parking_iot".into()),
            }
        } else {
            Variant::Standard
        }
    }
}

/// Where the connection stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Connection {
    /// Nothing tried yet.
    Untested,
    /// The test query answered.
    Connected(ConnectionInfo),
    /// The last attempt failed, with what to do.
    Failed(String),
}

/// The tab's state.
pub struct SnowflakeTab {
    /// The environment, `.env` and `connections.toml`, read once (and on Reload).
    inputs: Result<Inputs, String>,
    /// Typed by the user; never saved, never logged.
    passphrase: String,
    /// The opened key (after Test, Create or Open key).
    pub key: Option<KeyInfo>,
    /// Why the key could not be opened.
    pub key_error: Option<String>,
    /// The connection's state.
    pub connection: Connection,
    /// The last Create objects result.
    pub created: Option<Result<String, String>>,
    task: Option<Receiver<TaskReport>>,
    busy: Option<&'static str>,
    picker: Option<Receiver<TaskReport>>,
    /// The fields the key was opened with: a change of path or passphrase forgets it.
    key_for: Option<(String, bool)>,
}

impl Default for SnowflakeTab {
    fn default() -> Self {
        SnowflakeTab::new()
    }
}

impl SnowflakeTab {
    /// Reads the lower sources once.
    pub fn new() -> SnowflakeTab {
        SnowflakeTab {
            inputs: config::gather().map_err(|e| e.to_string()),
            passphrase: String::new(),
            key: None,
            key_error: None,
            connection: Connection::Untested,
            created: None,
            task: None,
            busy: None,
            picker: None,
            key_for: None,
        }
    }

    /// The settings resolved from the fields and the lower sources.
    pub fn resolved(&self, fields: &SnowflakeFields) -> Result<ConnectionConfig, String> {
        let inputs = self.inputs.as_ref().map_err(|e| e.clone())?;
        let mut inputs = inputs.clone();
        inputs.explicit = fields.explicit(&self.passphrase);
        config::resolve(&inputs).map_err(|e| e.to_string())
    }

    /// A one-line state for the status bar.
    pub fn status_line(&self) -> String {
        match &self.connection {
            Connection::Connected(info) => format!("Snowflake: connected as {}", info.user),
            Connection::Failed(_) => "Snowflake: connection failed".into(),
            Connection::Untested => format!("Snowflake: {NOT_CONNECTED}"),
        }
    }

    /// Where historical loads go when the user picks Snowflake: `Err` says what is missing.
    pub fn sink(&self, fields: &SnowflakeFields) -> Result<SnowflakeSink, String> {
        let cfg = self.resolved(fields)?;
        let settings = cfg
            .api_settings(RetryPolicy::default())
            .map_err(|e| e.to_string())?;
        let key = match (&self.key, &self.connection) {
            (Some(k), Connection::Connected(_)) => k.key.clone(),
            _ => return Err("connect first: press Test connection in the Snowflake tab".into()),
        };
        Ok(SnowflakeSink {
            settings,
            key,
            names: cfg.object_names(),
            in_flight: 4,
            create_objects: Some(fields.variant()),
        })
    }

    /// The live feed's settings when the user turns it on: `Err` says what is missing.
    pub fn feed_settings(&self, fields: &SnowflakeFields) -> Result<FeedSettings, String> {
        let cfg = self.resolved(fields)?;
        let api = cfg
            .api_settings(RetryPolicy::default())
            .map_err(|e| e.to_string())?;
        let key = match (&self.key, &self.connection) {
            (Some(k), Connection::Connected(_)) => k.key.clone(),
            _ => return Err(
                "connect first: press Test connection in the Snowflake tab, then turn the feed on"
                    .into(),
            ),
        };
        let names = cfg.object_names();
        names.check().map_err(|e| e.to_string())?;
        Ok(FeedSettings::new(api, key, names))
    }

    /// `ENABLE_SNOWPIPE_STREAMING` (environment, `.env` or `connections.toml`) asks for the
    /// live feed; it decides only while the user has not used the Live tab's switch.
    pub fn streaming_requested(&self, fields: &SnowflakeFields) -> bool {
        self.resolved(fields)
            .map(|c| c.streaming.value)
            .unwrap_or(false)
    }

    /// Tests the connection in the background, as the button does; `false` when the
    /// settings are incomplete (the tab then says what is missing).
    pub fn test_connection(&mut self, ctx: &egui::Context, fields: &SnowflakeFields) -> bool {
        if self.task.is_some() {
            return false;
        }
        let settings = match self.resolved(fields) {
            Ok(c) => c.api_settings(RetryPolicy::default()),
            Err(e) => {
                self.connection = Connection::Failed(e);
                return false;
            }
        };
        match settings {
            Ok(s) => {
                self.connection = Connection::Untested;
                self.start(ctx, fields, Task::Test(s), "Testing the connection");
                true
            }
            Err(e) => {
                self.connection = Connection::Failed(e.to_string());
                false
            }
        }
    }

    /// Applies the reports waiting (never blocks).
    pub fn poll(&mut self, fields: &mut SnowflakeFields) {
        if let Some(rx) = &self.picker {
            if let Ok(TaskReport::Picked(p)) = rx.try_recv() {
                if let Some(p) = p {
                    fields.key_path = p.display().to_string();
                }
                self.picker = None;
            }
        }
        let Some(rx) = &self.task else {
            return;
        };
        let mut reports = Vec::new();
        let ended = loop {
            match rx.try_recv() {
                Ok(r) => reports.push(r),
                Err(crossbeam_channel::TryRecvError::Empty) => break false,
                // The task's thread ended: every report is in.
                Err(crossbeam_channel::TryRecvError::Disconnected) => break true,
            }
        };
        for r in reports {
            match r {
                TaskReport::Key(Ok(k)) => {
                    self.key_error = None;
                    self.key = Some(k);
                }
                TaskReport::Key(Err(e)) => {
                    self.key = None;
                    self.key_error = Some(e);
                }
                TaskReport::Tested(Ok(info)) => self.connection = Connection::Connected(info),
                TaskReport::Tested(Err(e)) => self.connection = Connection::Failed(e),
                TaskReport::Created(r) => self.created = Some(r),
                TaskReport::Picked(_) => {}
            }
        }
        if ended {
            self.task = None;
            self.busy = None;
        }
    }

    /// A task is running.
    pub fn is_busy(&self) -> bool {
        self.task.is_some()
    }

    fn start(
        &mut self,
        ctx: &egui::Context,
        fields: &SnowflakeFields,
        task: Task,
        what: &'static str,
    ) {
        let cfg = match self.resolved(fields) {
            Ok(c) => c,
            Err(e) => {
                self.connection = Connection::Failed(e);
                return;
            }
        };
        let path = match cfg.key_path() {
            Ok(p) => p.to_path_buf(),
            Err(e) => {
                self.key_error = Some(e.to_string());
                return;
            }
        };
        let passphrase = cfg.passphrase.as_ref().map(|p| p.value.clone());
        let user = cfg
            .user
            .as_ref()
            .map(|u| u.value.clone())
            .unwrap_or_default();
        let repaint = ctx.clone();
        self.key_for = Some((fields.key_path.clone(), !self.passphrase.is_empty()));
        self.task = Some(snowflake_tasks::spawn(
            task,
            path,
            passphrase,
            user,
            move || repaint.request_repaint(),
        ));
        self.busy = Some(what);
    }

    /// Shows the tab.
    pub fn ui(&mut self, ui: &mut Ui, fields: &mut SnowflakeFields, store: &str) {
        // A different key file or passphrase makes the opened key and the test stale.
        if let Some((path, had_pass)) = &self.key_for {
            if *path != fields.key_path || *had_pass == self.passphrase.is_empty() {
                self.key = None;
                self.key_for = None;
                self.connection = Connection::Untested;
            }
        }
        egui::ScrollArea::vertical().id_salt("snowflake").auto_shrink([false, false]).show(ui, |ui| {
            ui.heading("Snowflake");
            self.state_line(ui);
            ui.label(RichText::new(format!("Everything is also kept in the local store ({store}); Snowflake is optional.")).weak());
            ui.add_space(8.0);
            let resolved = self.resolved(fields);
            self.fields_grid(ui, fields, resolved.as_ref().ok());
            if let Err(e) = &resolved {
                ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
            }
            ui.add_space(6.0);
            self.buttons(ui, fields, &resolved);
            ui.add_space(8.0);
            self.key_ui(ui);
            ui.add_space(8.0);
            self.objects_ui(ui, fields, resolved.as_ref().ok());
        });
    }

    fn state_line(&self, ui: &mut Ui) {
        let (text, color) = match &self.connection {
            Connection::Untested => (NOT_CONNECTED.to_string(), ui.visuals().weak_text_color()),
            Connection::Connected(i) => (
                format!(
                    "Connected: Snowflake {}, user {}, role {}, warehouse {}",
                    i.version,
                    i.user,
                    i.role,
                    if i.warehouse.is_empty() {
                        "(none)"
                    } else {
                        &i.warehouse
                    }
                ),
                Color32::from_rgb(80, 190, 110),
            ),
            Connection::Failed(e) => (
                format!("Connection failed: {e}"),
                ui.visuals().error_fg_color,
            ),
        };
        ui.label(RichText::new(text).strong().color(color));
    }

    fn fields_grid(
        &mut self,
        ui: &mut Ui,
        fields: &mut SnowflakeFields,
        cfg: Option<&ConnectionConfig>,
    ) {
        let described: Vec<(&'static str, String, String)> =
            cfg.map(|c| c.describe()).unwrap_or_default();
        let source = |name: &str| -> String {
            described
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, value, src)| {
                    if src.is_empty() {
                        "not set".to_string()
                    } else {
                        format!("{value} - from {src}")
                    }
                })
                .unwrap_or_default()
        };
        egui::Grid::new("snowflake_fields")
            .num_columns(3)
            .spacing([10.0, 6.0])
            .show(ui, |ui| {
                let rows: [(&str, &str, &mut String, &str); 7] = [
                    (
                        "Account",
                        "account",
                        &mut fields.account,
                        "xy12345.us-east-2.aws or myorg-myaccount",
                    ),
                    ("User", "user", &mut fields.user, "login name"),
                    ("Role", "role", &mut fields.role, "SYSADMIN"),
                    (
                        "Warehouse",
                        "warehouse",
                        &mut fields.warehouse,
                        "the user's default",
                    ),
                    ("Database", "database", &mut fields.database, "PARKING_IOT"),
                    ("Schema", "schema", &mut fields.schema, "RAW_DATA"),
                    (
                        "Endpoint",
                        "base url",
                        &mut fields.base_url,
                        "https://<account>.snowflakecomputing.com",
                    ),
                ];
                for (label, key, value, hint) in rows {
                    let l = ui.label(label);
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .hint_text(hint)
                            .desired_width(340.0),
                    )
                    .labelled_by(l.id);
                    ui.label(RichText::new(source(key)).weak());
                    ui.end_row();
                }
                let l = ui.label("Private key");
                ui.horizontal(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut fields.key_path)
                            .hint_text("path to rsa_key.p8")
                            .desired_width(260.0),
                    )
                    .labelled_by(l.id);
                    let picking = self.picker.is_some();
                    if ui
                        .add_enabled(!picking, egui::Button::new("Browse…"))
                        .on_hover_text(
                            "Choose the file in the system's file dialog (or type the path)",
                        )
                        .clicked()
                    {
                        let repaint = ui.ctx().clone();
                        self.picker = Some(snowflake_tasks::pick_key_file(
                            opt(&fields.key_path).map(PathBuf::from),
                            move || repaint.request_repaint(),
                        ));
                    }
                });
                ui.label(RichText::new(source("private key")).weak());
                ui.end_row();
                let l = ui.label("Passphrase");
                ui.add(
                    egui::TextEdit::singleline(&mut self.passphrase)
                        .password(true)
                        .hint_text("only for an encrypted key")
                        .desired_width(340.0),
                )
                .labelled_by(l.id);
                ui.label(
                    RichText::new(if self.passphrase.is_empty() {
                        source("passphrase")
                    } else {
                        "typed here - kept in memory only, never saved".into()
                    })
                    .weak(),
                );
                ui.end_row();
                let l = ui.label("Connection");
                ui.add(
                    egui::TextEdit::singleline(&mut fields.connection)
                        .hint_text("connections.toml name (default)")
                        .desired_width(340.0),
                )
                .labelled_by(l.id);
                ui.label(
                    RichText::new(
                        cfg.and_then(|c| c.connection_name.clone())
                            .map(|n| format!("using [{n}]"))
                            .unwrap_or_default(),
                    )
                    .weak(),
                );
                ui.end_row();
            });
        ui.label(RichText::new("Precedence: these fields, then environment variables (SNOWFLAKE_ACCOUNT, ...), then .env in the working folder, then connections.toml, then the defaults.").weak().small());
    }

    fn buttons(
        &mut self,
        ui: &mut Ui,
        fields: &SnowflakeFields,
        resolved: &Result<ConnectionConfig, String>,
    ) {
        ui.horizontal(|ui| {
            let idle = self.task.is_none();
            let settings = resolved
                .as_ref()
                .ok()
                .map(|c| c.api_settings(RetryPolicy::default()));
            let ready = matches!(settings, Some(Ok(_)));
            let test = ui.add_enabled(
                idle && ready,
                egui::Button::new(RichText::new("Test connection").strong()),
            );
            if let Some(Ok(_)) = &settings {
                if test.clicked() {
                    self.test_connection(ui.ctx(), fields);
                }
            } else if let Some(Err(e)) = &settings {
                test.on_disabled_hover_text(e.to_string());
            }
            if ui
                .add_enabled(idle, egui::Button::new("Open key"))
                .on_hover_text(
                    "Show the key's fingerprint and the line that registers it, without connecting",
                )
                .clicked()
            {
                self.start(ui.ctx(), fields, Task::OpenKey, "Opening the key");
            }
            if ui
                .button("Reload settings files")
                .on_hover_text("Read the environment, .env and connections.toml again")
                .clicked()
            {
                self.inputs = config::gather().map_err(|e| e.to_string());
            }
            if let Some(what) = self.busy {
                ui.spinner();
                ui.label(format!("{what}…"));
            }
        });
    }

    fn key_ui(&self, ui: &mut Ui) {
        if let Some(e) = &self.key_error {
            ui.label(RichText::new(format!("Key: {e}")).color(ui.visuals().error_fg_color));
        }
        let Some(k) = &self.key else {
            return;
        };
        ui.label(RichText::new("Key").strong());
        ui.label(format!(
            "{} - RSA {} bits, fingerprint {}",
            k.path.display(),
            k.bits,
            k.fingerprint
        ));
        ui.label("Register its public key for the user (once, as a user administrator), then compare RSA_PUBLIC_KEY_FP in DESC USER with the fingerprint above:");
        ui.horizontal(|ui| {
            let mut line = k.alter_user.clone();
            ui.add(
                egui::TextEdit::multiline(&mut line)
                    .font(egui::TextStyle::Monospace)
                    .desired_rows(2)
                    .desired_width(ui.available_width() - 80.0),
            );
            if ui.button("Copy").clicked() {
                ui.ctx().copy_text(k.alter_user.clone());
            }
        });
    }

    fn objects_ui(
        &mut self,
        ui: &mut Ui,
        fields: &mut SnowflakeFields,
        cfg: Option<&ConnectionConfig>,
    ) {
        ui.label(RichText::new("Objects").strong());
        ui.horizontal(|ui| {
            ui.radio_value(&mut fields.iceberg, false, "Standard tables");
            ui.radio_value(&mut fields.iceberg, true, "Iceberg tables");
        });
        if fields.iceberg {
            ui.horizontal(|ui| {
                ui.label("External volume");
                ui.add(
                    egui::TextEdit::singleline(&mut fields.external_volume)
                        .hint_text("must exist already")
                        .desired_width(200.0),
                );
                ui.label("Base location");
                ui.add(
                    egui::TextEdit::singleline(&mut fields.base_location)
                        .hint_text("parking_iot")
                        .desired_width(200.0),
                );
            });
        }
        let names = cfg.map(|c| c.object_names()).unwrap_or_default();
        let variant = fields.variant();
        let script = setup::script(&names, &variant);
        let iceberg_missing = fields.iceberg && fields.external_volume.trim().is_empty();
        ui.horizontal(|ui| {
            let settings = cfg.map(|c| c.api_settings(RetryPolicy::default()));
            let can = self.task.is_none()
                && script.is_ok()
                && !iceberg_missing
                && matches!(settings, Some(Ok(_)));
            if ui
                .add_enabled(can, egui::Button::new("Create objects"))
                .on_hover_text("Runs the SQL below: creates what is missing, never drops anything")
                .clicked()
            {
                if let Some(Ok(s)) = settings {
                    self.created = None;
                    self.start(
                        ui.ctx(),
                        fields,
                        Task::Create(s, Box::new((names.clone(), variant.clone()))),
                        "Creating the objects",
                    );
                }
            }
            if iceberg_missing {
                ui.label(
                    RichText::new("Iceberg tables need an external volume name.")
                        .color(ui.visuals().warn_fg_color),
                );
            }
        });
        match &self.created {
            Some(Ok(line)) => {
                ui.label(RichText::new(line).color(Color32::from_rgb(80, 190, 110)));
            }
            Some(Err(e)) => {
                ui.label(
                    RichText::new(format!("Create objects failed: {e}"))
                        .color(ui.visuals().error_fg_color),
                );
            }
            None => {}
        }
        egui::CollapsingHeader::new("Setup SQL")
            .id_salt("snowflake_sql")
            .show(ui, |ui| match script {
                Ok(mut text) => {
                    if ui.button("Copy SQL").clicked() {
                        ui.ctx().copy_text(text.clone());
                    }
                    ui.add(
                        egui::TextEdit::multiline(&mut text)
                            .font(egui::TextStyle::Monospace)
                            .desired_width(f32::INFINITY),
                    );
                }
                Err(e) => {
                    ui.label(RichText::new(e.to_string()).color(ui.visuals().error_fg_color));
                }
            });
    }
}
