//! The catalog file's shape as written in TOML. Values that validation may refuse are kept
//! with their position so that an error names the line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole catalog file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CatalogFile {
    pub version: Spanned<i64>,
    pub calendar: CalendarFile,
    pub hourly_shape: HourlyShapeFile,
    pub volume: VolumeFile,
    #[serde(rename = "district")]
    pub districts: Vec<DistrictFile>,
    #[serde(rename = "stay_profile")]
    pub stay_profiles: Vec<StayProfileFile>,
    pub plates: PlatesFile,
    #[serde(rename = "facility")]
    pub facilities: Vec<FacilityFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CalendarFile {
    pub time_zone: Spanned<String>,
    pub day_of_week_index: Spanned<Vec<f64>>,
    pub day_variation_cv: Spanned<f64>,
    pub spike_day_probability: Spanned<f64>,
    pub spike_day_multiplier: Spanned<f64>,
    pub facility_peak_boost: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HourlyShapeFile {
    pub weekday: Spanned<Vec<f64>>,
    pub weekend: Spanned<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VolumeFile {
    pub original_sessions_per_day: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DistrictFile {
    pub name: Spanned<String>,
    pub weekday_multiplier: Spanned<f64>,
    pub weekend_multiplier: Spanned<f64>,
    pub peak_entry_hours: Spanned<Vec<i64>>,
    pub peak_exit_hours: Spanned<Vec<i64>>,
    pub entry_boost: Spanned<f64>,
    pub exit_boost: Spanned<f64>,
    pub avg_stay_hours: Spanned<f64>,
    pub target_peak_occupancy: Spanned<f64>,
    pub target_peak_occupancy_weekend: Option<Spanned<f64>>,
    pub stay_profile: Spanned<String>,
    pub returning_share: Spanned<f64>,
    pub holiday_multiplier: Spanned<f64>,
    pub month_index: Spanned<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StayProfileFile {
    pub name: Spanned<String>,
    pub components: Vec<Spanned<StayComponentFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StayComponentFile {
    pub name: String,
    pub median_hours: f64,
    pub sigma: f64,
    pub min_hours: f64,
    pub max_hours: f64,
    pub shares: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlatesFile {
    pub default_preset: Spanned<String>,
    #[serde(rename = "state")]
    pub states: Vec<PlateStateFile>,
    #[serde(rename = "preset")]
    pub presets: Vec<PlatePresetFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlateStateFile {
    pub code: Spanned<String>,
    pub format: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlatePresetFile {
    pub name: Spanned<String>,
    pub shares: Spanned<BTreeMap<String, f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FacilityFile {
    pub id: Spanned<i64>,
    pub name: Spanned<String>,
    pub district: Spanned<String>,
    pub spots: Spanned<i64>,
    pub rate_per_hour: Spanned<f64>,
    pub daily_max: Spanned<f64>,
    pub peak_hours: Spanned<Vec<i64>>,
    pub billing_increment_minutes: Option<Spanned<i64>>,
    pub stay_profile: Option<Spanned<String>>,
}
