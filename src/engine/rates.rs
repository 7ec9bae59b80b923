//! Arrival intensity: the hour-of-day shape and day level of a facility, and the base rate
//! that scales them to the catalog's target occupancy (Little's law) or the original volume.

use super::stays::survival;
use crate::catalog::Catalog;

/// Which volume to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VolumePreset {
    /// Arrivals scaled so each district's weekday peak occupancy reaches its target.
    Realistic,
    /// The original system's volume (about 1,415 sessions and 2,860 events a day).
    Original,
}

impl VolumePreset {
    /// The name used on the command line and in settings.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumePreset::Realistic => "realistic",
            VolumePreset::Original => "original",
        }
    }
}

/// Relative arrival intensity of facility `f` in local `hour` (shape × boosts).
pub fn hour_shape(catalog: &Catalog, f: usize, weekend_like: bool, hour: u8) -> f64 {
    let fac = &catalog.facilities[f];
    let d = &catalog.districts[fac.district];
    let h = hour as usize % 24;
    let mut x = if weekend_like {
        catalog.hourly_weekend[h]
    } else {
        catalog.hourly_weekday[h]
    };
    if !weekend_like && d.peak_entry[h] {
        x *= d.entry_boost;
    }
    if fac.peak_hours[h] {
        x *= catalog.calendar.facility_peak_boost;
    }
    x
}

/// The expected day level of a district (before the day's random factor).
pub fn day_level(catalog: &Catalog, district: usize, weekday: u8, month: u8, holiday: bool) -> f64 {
    let d = &catalog.districts[district];
    let weekend_like = weekday >= 5 || holiday;
    let mult = if weekend_like {
        d.weekend_multiplier
    } else {
        d.weekday_multiplier
    };
    let mut x = mult
        * catalog.calendar.day_of_week_index[weekday as usize % 7]
        * d.month_index[(month as usize + 11) % 12];
    if holiday {
        x *= d.holiday_multiplier;
    }
    x
}

/// Expected occupancy by hour of a typical week (Monday 00:00 first) for base rate 1, and the
/// expected arrivals per week: the quantities Little's law scales.
fn typical_week(catalog: &Catalog, f: usize) -> ([f64; 168], [f64; 2]) {
    let fac = &catalog.facilities[f];
    let profile = &catalog.stay_profiles[fac.stay_profile];
    let mut lambda = [0.0; 168];
    for (i, l) in lambda.iter_mut().enumerate() {
        let weekday = (i / 24) as u8;
        let hour = (i % 24) as u8;
        // A year-average month (index 1.0): calibration targets a typical week.
        let d = &catalog.districts[fac.district];
        let mult = if weekday >= 5 {
            d.weekend_multiplier
        } else {
            d.weekday_multiplier
        };
        *l = mult
            * catalog.calendar.day_of_week_index[weekday as usize]
            * hour_shape(catalog, f, weekday >= 5, hour);
    }
    let max_stay = profile
        .components
        .iter()
        .map(|c| c.max_hours)
        .fold(0.0, f64::max);
    let lags = max_stay.ceil() as usize + 1;
    // Survival at lag k for an arrival in hour-of-day h, arrivals spread over the hour.
    let mut surv = vec![0.0; 24 * lags];
    for h in 0..24u8 {
        for k in 0..lags {
            surv[h as usize * lags + k] = survival(profile, h, k as f64 + 0.5);
        }
    }
    let mut occ = [0.0; 168];
    for (t, o) in occ.iter_mut().enumerate() {
        let mut sum = 0.0;
        for k in 0..lags {
            let s = (t + 168 * (lags / 168 + 1) - k) % 168;
            sum += lambda[s] * surv[(s % 24) * lags + k];
        }
        *o = sum;
    }
    (
        occ,
        [lambda[..120].iter().sum(), lambda[120..].iter().sum()],
    )
}

/// Arrivals per hour at shape 1 and day level 1 for every facility, and a weekend factor
/// (1 unless the district sets a separate weekend target).
pub fn base_rates(catalog: &Catalog, preset: VolumePreset) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(catalog.facilities.len());
    let mut weekly_arrivals = 0.0;
    for (f, fac) in catalog.facilities.iter().enumerate() {
        let d = &catalog.districts[fac.district];
        let (occ, arrivals) = typical_week(catalog, f);
        let weekday_peak = occ[..120].iter().cloned().fold(0.0, f64::max);
        let weekend_peak = occ[120..].iter().cloned().fold(0.0, f64::max);
        let base = if weekday_peak > 0.0 {
            d.target_peak_occupancy * fac.spots as f64 / weekday_peak
        } else {
            0.0
        };
        let weekend_factor = match d.target_peak_occupancy_weekend {
            Some(t) if weekend_peak > 0.0 && base > 0.0 => {
                t * fac.spots as f64 / (base * weekend_peak)
            }
            _ => 1.0,
        };
        // Weekend days carry their own factor: the original volume counts what is generated.
        weekly_arrivals += base * (arrivals[0] + weekend_factor * arrivals[1]);
        out.push((base, weekend_factor));
    }
    if preset == VolumePreset::Original && weekly_arrivals > 0.0 {
        let scale = catalog.original_sessions_per_day * 7.0 / weekly_arrivals;
        for (base, _) in &mut out {
            *base *= scale;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_volume_fills_garages_and_original_matches_its_total() {
        let c = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        let rates = base_rates(&c, VolumePreset::Realistic);
        assert_eq!(rates.len(), 50);
        assert!(rates.iter().all(|(r, w)| *r > 0.0 && *w > 0.0));
        // Times Square: 200 spots at 0.85 peak with ~4 h stays needs tens of arrivals an hour.
        let (occ, _) = typical_week(&c, 0);
        let peak = occ[..120].iter().cloned().fold(0.0, f64::max) * rates[0].0;
        assert!((peak - 170.0).abs() < 1e-6, "{peak}");
        let original = base_rates(&c, VolumePreset::Original);
        let per_day: f64 = (0..50)
            .map(|f| {
                let [weekdays, weekend] = typical_week(&c, f).1;
                (weekdays + original[f].1 * weekend) * original[f].0
            })
            .sum::<f64>()
            / 7.0;
        assert!((per_day - 1415.0).abs() < 1e-6, "{per_day}");
        assert!(
            original[0].0 < rates[0].0 / 5.0,
            "the original volume is far lower"
        );
    }
}
