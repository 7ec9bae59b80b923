//! The catalog: facilities, districts, traffic patterns, stay mixtures, pricing and plates.
//! The built-in catalog is `assets/catalog.toml`, embedded in the binary; users may load an
//! edited copy. Loading validates every value and names the file, line and field of a mistake.

mod file;
pub mod plates;
pub mod pricing;
mod validate;

use std::path::Path;

pub use plates::{PlateFormat, PlatePreset, PlateState, PlateTable};
pub use pricing::Pricing;

/// The largest catalog file read (10,000 facilities fit in well under this).
pub const MAX_CATALOG_BYTES: u64 = 8 * 1024 * 1024;

/// The built-in catalog's text.
pub const BUILTIN_CATALOG: &str = include_str!("../../assets/catalog.toml");

/// What is wrong with a catalog, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {message}")]
pub struct CatalogError {
    /// The file (or `built-in catalog`).
    pub file: String,
    /// 1-based line of the offending value (0 when unknown).
    pub line: usize,
    /// The field, such as `facility[3].spots`.
    pub field: String,
    /// What is wrong and what is expected.
    pub message: String,
}

/// Calendar-wide settings.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarSettings {
    /// Zone of every local-time pattern.
    pub time_zone: chrono_tz::Tz,
    /// Day-of-week entry index, Monday first, normalised to mean 1 over weekdays and over weekends.
    pub day_of_week_index: [f64; 7],
    /// Coefficient of variation of the day-level random factor.
    pub day_variation_cv: f64,
    /// Probability that a facility-day is a spike day.
    pub spike_day_probability: f64,
    /// Traffic multiplier of a spike day.
    pub spike_day_multiplier: f64,
    /// Multiplier of a facility's own peak hours.
    pub facility_peak_boost: f64,
}

/// A district's traffic pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct District {
    /// Name as written in the data (`Manhattan`).
    pub name: String,
    /// Day multiplier on weekdays (also the `mult:` of the traffic tag).
    pub weekday_multiplier: f64,
    /// Day multiplier on weekends and holidays.
    pub weekend_multiplier: f64,
    /// Local hours with more arrivals.
    pub peak_entry: [bool; 24],
    /// Local hours that count as peak exit hours for CAR_OUT tags.
    pub peak_exit: [bool; 24],
    /// Arrival multiplier in peak entry hours (weekdays).
    pub entry_boost: f64,
    /// The published exit boost; departures follow the stay mixtures, which put workday
    /// departures in the exit peak.
    pub exit_boost: f64,
    /// The published average stay (informational; the stay profile decides).
    pub avg_stay_hours: f64,
    /// Target occupancy at the busiest weekday hour, from which volume is derived.
    pub target_peak_occupancy: f64,
    /// Target weekend peak occupancy, when it differs from what the multipliers give.
    pub target_peak_occupancy_weekend: Option<f64>,
    /// Index of the district's stay profile.
    pub stay_profile: usize,
    /// Share of arrivals that are returning cars (regulars) rather than one-off visitors.
    pub returning_share: f64,
    /// Traffic multiplier on public holidays.
    pub holiday_multiplier: f64,
    /// Entry index by month, January first.
    pub month_index: [f64; 12],
}

/// One lognormal component of a stay mixture.
#[derive(Clone, Debug, PartialEq)]
pub struct StayComponent {
    /// Name (`workday`).
    pub name: String,
    /// Median stay in hours.
    pub median_hours: f64,
    /// Lognormal sigma.
    pub sigma: f64,
    /// Shortest stay in hours.
    pub min_hours: f64,
    /// Longest stay in hours.
    pub max_hours: f64,
    /// Share by arrival period: night (0-5), morning (6-10), midday (11-15), evening (16-23).
    pub shares: [f64; 4],
}

/// A stay mixture.
#[derive(Clone, Debug, PartialEq)]
pub struct StayProfile {
    /// Name referenced by districts and facilities.
    pub name: String,
    /// Components; for each period their shares sum to 1.
    pub components: Vec<StayComponent>,
}

/// One parking facility.
#[derive(Clone, Debug, PartialEq)]
pub struct Facility {
    /// The published id (1-50 in the built-in catalog).
    pub id: u32,
    /// Name.
    pub name: String,
    /// Index of its district.
    pub district: usize,
    /// Number of spots.
    pub spots: u32,
    /// Pricing rule.
    pub pricing: Pricing,
    /// The facility's own peak hours.
    pub peak_hours: [bool; 24],
    /// Index of its stay profile.
    pub stay_profile: usize,
}

impl Facility {
    /// Hourly rate in dollars.
    pub fn rate_per_hour(&self) -> f64 {
        self.pricing.rate_cents_per_hour as f64 / 100.0
    }
}

/// A validated catalog.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalog {
    /// Where it came from (a path, or `built-in catalog`).
    pub source: String,
    /// A hash of its text: runs remember it so a resumed run uses the same catalog.
    pub fingerprint: u64,
    /// Calendar settings.
    pub calendar: CalendarSettings,
    /// Arrival shape by local hour on weekdays.
    pub hourly_weekday: [f64; 24],
    /// Arrival shape by local hour on weekends and holidays.
    pub hourly_weekend: [f64; 24],
    /// Sessions per day of the `original` volume preset.
    pub original_sessions_per_day: f64,
    /// Districts.
    pub districts: Vec<District>,
    /// Stay mixtures.
    pub stay_profiles: Vec<StayProfile>,
    /// Plate states and presets.
    pub plates: PlateTable,
    /// Facilities in file order.
    pub facilities: Vec<Facility>,
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Self::parse(BUILTIN_CATALOG, "built-in catalog")
    }

    /// Reads and validates a catalog file.
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let name = path.display().to_string();
        let refuse = |message: String| CatalogError {
            file: name.clone(),
            line: 0,
            field: "file".into(),
            message,
        };
        let meta = std::fs::metadata(path)
            .map_err(|e| refuse(format!("cannot read the catalog file: {e}")))?;
        if !meta.is_file() {
            return Err(refuse(
                "not a regular file: give the path of a catalog .toml file".into(),
            ));
        }
        if meta.len() > MAX_CATALOG_BYTES {
            return Err(refuse(format!(
                "the file has {} bytes; a catalog is a small text file (the built-in one has about 30 KB, at most {MAX_CATALOG_BYTES} bytes are read)",
                meta.len()
            )));
        }
        let mut text = String::new();
        use std::io::Read;
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_CATALOG_BYTES + 1).read_to_string(&mut text))
            .map_err(|e| {
                refuse(format!(
                    "cannot read the catalog file (it must be UTF-8 text): {e}"
                ))
            })?;
        Self::parse(&text, &name)
    }

    /// Parses and validates catalog text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Catalog, CatalogError> {
        validate::parse(text, source)
    }

    /// Total spots over all facilities.
    pub fn total_spots(&self) -> u64 {
        self.facilities.iter().map(|f| f.spots as u64).sum()
    }

    /// The district of a facility (by facility index).
    pub fn district_of(&self, facility: usize) -> &District {
        &self.districts[self.facilities[facility].district]
    }
}

/// A stable 64-bit fingerprint (FNV-1a) of some bytes; runs use it to recognise settings.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    validate::fnv1a(bytes)
}

#[cfg(test)]
mod tests;
