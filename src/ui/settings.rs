//! The window's settings, saved by eframe between runs (in the OS config folder): last tab,
//! the historical form, the live speed and the store path. Window size and position are saved
//! by eframe itself. Nothing secret is ever kept here.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The settings file (`app.ron`) in the OS config folder: `~/.config/parking-iot/` on Linux,
/// `~/Library/Application Support/org.parking-iot.parking-iot/` on macOS,
/// `%APPDATA%\\parking-iot\\parking-iot\\config\\` on Windows (`None` without a home folder).
pub fn settings_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "parking-iot", "parking-iot")
        .map(|d| d.config_dir().join("app.ron"))
}

/// [`settings_path`], with its folder created and, once, the settings file of earlier
/// versions (kept in eframe's data folder) copied over. Called once, before the window opens.
pub fn prepare_settings_file() -> Option<PathBuf> {
    let file = settings_path()?;
    std::fs::create_dir_all(file.parent()?).ok()?;
    if !file.exists() {
        if let Some(old) = eframe::storage_dir(super::about::APP_ID).map(|d| d.join("app.ron")) {
            // Best effort: without the old file the window simply starts with defaults.
            let _ = std::fs::copy(old, &file);
        }
    }
    Some(file)
}

/// The key under which eframe stores the settings.
pub const STORAGE_KEY: &str = "parking-iot-settings";

/// The tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// The live simulator.
    #[default]
    Live,
    /// The historical generator.
    Historical,
    /// The Snowflake connection.
    Snowflake,
}

impl Tab {
    /// Every tab, in display order.
    pub const ALL: [Tab; 3] = [Tab::Live, Tab::Historical, Tab::Snowflake];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Live => "Live",
            Tab::Historical => "Historical",
            Tab::Snowflake => "Snowflake",
        }
    }

    /// Parses a tab name (case-insensitive), e.g. from `PARKING_IOT_TAB`.
    pub fn from_name(name: &str) -> Option<Tab> {
        Tab::ALL
            .into_iter()
            .find(|t| t.title().eq_ignore_ascii_case(name.trim()))
    }
}

/// What persists between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The tab shown last.
    pub tab: Tab,
    /// Historical start date (YYYY-MM-DD).
    pub start_date: String,
    /// Historical end date (YYYY-MM-DD); empty means yesterday in New York.
    pub end_date: String,
    /// Rows per insert statement.
    pub batch_size: usize,
    /// Historical seed.
    pub seed: u64,
    /// Historical volume preset (`realistic` / `original`).
    pub volume: String,
    /// Historical dry run.
    pub dry_run: bool,
    /// The database; `None` means the default in the OS data folder.
    pub store_path: Option<PathBuf>,
    /// Live speed factor.
    pub live_speed: f64,
    /// The live simulator was running when the window closed: it starts again on reopening.
    pub live_running: bool,
    /// Historical runs also load into Snowflake.
    pub historical_snowflake: bool,
    /// The Live tab's Snowflake feed switch (`None`: never used, so `ENABLE_SNOWPIPE_STREAMING`
    /// decides). A feed that was on comes back on when the window reopens.
    pub live_feed: Option<bool>,
    /// The Snowflake tab's fields (never the passphrase).
    pub snowflake: super::snowflake_tab::SnowflakeFields,
    /// The folder of the last export (`None`: Documents/parking-iot-export).
    pub export_folder: Option<PathBuf>,
    /// Export format (`csv` / `ndjson`).
    pub export_format: String,
    /// Exported files are gzip-compressed.
    pub export_gzip: bool,
}

impl Settings {
    /// These settings with values no control can show (a hand-edited file: `volume: "huge"`)
    /// put back to their defaults, and what was put back, for the window to say.
    pub fn repaired(mut self) -> (Settings, Vec<String>) {
        let d = Settings::default();
        let mut fixed = Vec::new();
        if !matches!(self.volume.as_str(), "realistic" | "original") {
            fixed.push(format!("volume '{}' (now {})", self.volume, d.volume));
            self.volume = d.volume.clone();
        }
        if !matches!(self.export_format.as_str(), "csv" | "ndjson") {
            fixed.push(format!(
                "export format '{}' (now {})",
                self.export_format, d.export_format
            ));
            self.export_format = d.export_format.clone();
        }
        (self, fixed)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tab: Tab::Live,
            start_date: "2025-01-01".into(),
            end_date: String::new(),
            batch_size: 1000,
            seed: 42,
            volume: "realistic".into(),
            dry_run: false,
            store_path: None,
            live_speed: 60.0,
            live_running: false,
            historical_snowflake: false,
            live_feed: None,
            snowflake: Default::default(),
            export_folder: None,
            export_format: "csv".into(),
            export_gzip: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Settings;

    #[test]
    fn values_no_control_can_show_are_reset_and_named() {
        let hand_edited = Settings {
            volume: "huge".into(),
            export_format: "xls".into(),
            seed: 7,
            ..Settings::default()
        };
        let (s, fixed) = hand_edited.repaired();
        assert_eq!(s.volume, "realistic");
        assert_eq!(s.export_format, "csv");
        assert_eq!(s.seed, 7, "the rest is kept");
        assert_eq!(
            fixed,
            vec![
                "volume 'huge' (now realistic)",
                "export format 'xls' (now csv)"
            ]
        );
        assert!(Settings::default().repaired().1.is_empty());
    }
}
