//! Realism statistics (`domain.md` §6), accumulated during the event scan in bounded memory:
//! hourly occupancy samples per district, daily CAR_IN counts per facility, a stay-duration
//! histogram per district, plate-state counts and cost by stay length.

use std::collections::{BTreeMap, HashMap};

use crate::engine::calendar::LocalDay;
use crate::model::{Millis, HOUR_MS};

/// Index of weekday figures in the `[_; 2]` arrays (Monday-Friday, not a holiday).
pub const WEEKDAY: usize = 0;
/// Index of weekend figures in the `[_; 2]` arrays (Saturday, Sunday and US holidays).
pub const WEEKEND: usize = 1;

/// Stay length bands for cost: label and lower bound in hours (each band runs to the next).
pub const STAY_BANDS: [(&str, f64); 7] = [
    ("<1h", 0.0),
    ("1-3h", 1.0),
    ("3-6h", 3.0),
    ("6-12h", 6.0),
    ("12-24h", 12.0),
    ("1-3d", 24.0),
    (">3d", 72.0),
];

/// Stays are binned by minute up to this many minutes (31 days); longer ones share the last bin.
const STAY_BINS: usize = 31 * 24 * 60;

/// A district's busiest hour of the average day.
#[derive(Clone, Debug, PartialEq)]
pub struct PeakStats {
    /// Local hour (0-23) with the highest mean occupancy ratio.
    pub hour: u8,
    /// Mean occupancy ratio at that hour.
    pub peak: f64,
    /// Mean occupancy ratio at 05:00 (night), when sampled.
    pub night: Option<f64>,
    /// `peak / night`, when the night ratio is above 0.
    pub ratio: Option<f64>,
}

/// Count and mean cost of the stays in one length band.
#[derive(Clone, Debug, PartialEq)]
pub struct CostBand {
    /// `<1h`, `1-3h`, ... `>3d`.
    pub label: String,
    /// Lower bound in hours (inclusive).
    pub from_hours: f64,
    /// Upper bound in hours (exclusive); `None` for the last band.
    pub to_hours: Option<f64>,
    /// CAR_OUT events whose stay falls in the band.
    pub count: u64,
    /// Mean `cost` of those events in dollars.
    pub mean_cost: Option<f64>,
}

/// Volume figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Rows of `parking_events`.
    pub events: u64,
    /// CAR_IN events.
    pub cars_in: u64,
    /// CAR_OUT events.
    pub cars_out: u64,
    /// Completed session rows.
    pub sessions_completed: u64,
    /// Active session rows.
    pub sessions_active: u64,
    /// Distinct local (New York) dates with events at or after their run's start.
    pub days_covered: u64,
    /// Time of the first event.
    pub first_event: Option<String>,
    /// Time of the last event.
    pub last_event: Option<String>,
}

/// The realism figures of a database. Occupancy and day statistics use only the time from each
/// run's start (the cars already parked at the start arrive earlier, but what happened before
/// the start is not in the data).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RealismStats {
    /// District names in the order of their first facility (the order tables are shown in).
    pub districts: Vec<String>,
    /// Mean occupancy ratio (occupied / spots, averaged over the district's facilities and the
    /// days sampled) at each local hour boundary: `[district][WEEKDAY|WEEKEND][hour]`.
    pub hourly_occupancy: BTreeMap<String, [[Option<f64>; 24]; 2]>,
    /// Facility-hour samples taken.
    pub occupancy_samples: u64,
    /// Peak hour and peak/night ratio: `[district][WEEKDAY|WEEKEND]`.
    pub peaks: BTreeMap<String, [Option<PeakStats>; 2]>,
    /// Day-of-week entry index, Monday first: mean CAR_IN per whole day of that weekday,
    /// divided by the mean over the weekdays present. `None` for weekdays without a whole day.
    pub dow_index: [Option<f64>; 7],
    /// Whole days (per run) behind each `dow_index` entry.
    pub dow_days: [u64; 7],
    /// Coefficient of variation of daily CAR_IN counts of one facility between days of the same
    /// weekday (holidays left out), averaged over facilities and weekdays with at least 2 days.
    pub day_cv: Option<f64>,
    /// [`RealismStats::day_cv`] per district.
    pub day_cv_by_district: BTreeMap<String, f64>,
    /// Median stay in hours per district (1-minute resolution, rounded down).
    pub stay_median_hours: BTreeMap<String, f64>,
    /// 90th percentile stay in hours per district (1-minute resolution, rounded down).
    pub stay_p90_hours: BTreeMap<String, f64>,
    /// Mean stay in hours per district.
    pub stay_mean_hours: BTreeMap<String, f64>,
    /// Completed stays per district.
    pub stay_count: BTreeMap<String, u64>,
    /// Share of CAR_IN events (from each run's start) per plate state.
    pub plate_shares: BTreeMap<String, f64>,
    /// Count and mean cost by stay length, in [`STAY_BANDS`] order.
    pub cost_bands: Vec<CostBand>,
    /// Cars turned away at full facilities (sum of `runs.turned_away`).
    pub turned_away: u64,
    /// Volume figures.
    pub totals: Totals,
}

#[derive(Clone, Copy, Default)]
struct Mean {
    sum: f64,
    n: u64,
}

impl Mean {
    fn add(&mut self, x: f64) {
        self.sum += x;
        self.n += 1;
    }
    fn get(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

struct StayHist {
    bins: Vec<u64>,
    total_ms: f64,
    n: u64,
}

impl StayHist {
    /// The nearest-rank quantile in hours (lower edge of its minute bin).
    fn quantile(&self, q: f64) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let rank = ((q * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut acc = 0;
        for (minute, count) in self.bins.iter().enumerate() {
            acc += count;
            if acc >= rank {
                return Some(minute as f64 / 60.0);
            }
        }
        None
    }
}

/// Accumulates the statistics during the scan.
pub struct Collector {
    districts: Vec<String>,
    hourly: Vec<[[Mean; 24]; 2]>,
    samples: u64,
    stays: Vec<Option<StayHist>>,
    plates: HashMap<String, u64>,
    plate_total: u64,
    bands: [(u64, Mean); 7],
    dow: [Mean; 7],
    cv_groups: HashMap<(u16, usize, u8), (usize, Vec<f64>)>,
}

impl Collector {
    /// A collector for the districts named (indices as in `Facilities::districts`).
    pub fn new(districts: &[String]) -> Self {
        Collector {
            districts: districts.to_vec(),
            hourly: vec![[[Mean::default(); 24]; 2]; districts.len()],
            samples: 0,
            stays: districts.iter().map(|_| None).collect(),
            plates: HashMap::new(),
            plate_total: 0,
            bands: [(0, Mean::default()); 7],
            dow: [Mean::default(); 7],
            cv_groups: HashMap::new(),
        }
    }

    /// One facility's occupancy ratio at a local hour boundary.
    pub fn sample(&mut self, district: usize, weekend: bool, hour: u8, ratio: f64) {
        if let Some(d) = self.hourly.get_mut(district) {
            d[weekend as usize][hour as usize % 24].add(ratio);
            self.samples += 1;
        }
    }

    /// One CAR_IN's plate state.
    pub fn car_in(&mut self, state: &str) {
        self.plate_total += 1;
        match self.plates.get_mut(state) {
            Some(n) => *n += 1,
            None => {
                self.plates.insert(state.to_owned(), 1);
            }
        }
    }

    /// One completed stay.
    pub fn stay(&mut self, district: usize, duration_ms: Millis, cost: Option<f64>) {
        let duration_ms = duration_ms.max(0);
        if let Some(slot) = self.stays.get_mut(district) {
            let h = slot.get_or_insert_with(|| StayHist {
                bins: vec![0; STAY_BINS],
                total_ms: 0.0,
                n: 0,
            });
            let minute = ((duration_ms / 60_000) as usize).min(STAY_BINS - 1);
            h.bins[minute] += 1;
            h.total_ms += duration_ms as f64;
            h.n += 1;
        }
        let hours = duration_ms as f64 / HOUR_MS as f64;
        let band = STAY_BANDS.iter().rposition(|(_, from)| hours >= *from);
        if let Some(b) = band {
            self.bands[b].0 += 1;
            if let Some(c) = cost {
                self.bands[b].1.add(c);
            }
        }
    }

    /// One whole local day of a run: CAR_IN counts per facility as `(facility, district, n)`.
    pub fn day(&mut self, run: u16, day: &LocalDay, counts: &[(usize, usize, u32)]) {
        let total: u64 = counts.iter().map(|c| c.2 as u64).sum();
        self.dow[day.weekday as usize % 7].add(total as f64);
        if day.holiday {
            return;
        }
        for &(facility, district, n) in counts {
            self.cv_groups
                .entry((run, facility, day.weekday))
                .or_insert_with(|| (district, Vec::new()))
                .1
                .push(n as f64);
        }
    }

    /// The statistics; `totals` and `turned_away` come from the scan.
    pub fn finish(self, totals: Totals, turned_away: u64) -> RealismStats {
        let mut s = RealismStats {
            districts: self.districts.clone(),
            occupancy_samples: self.samples,
            turned_away,
            totals,
            ..RealismStats::default()
        };
        for (d, name) in self.districts.iter().enumerate() {
            let means = self.hourly[d].map(|day| day.map(|m| m.get()));
            let peaks = means.map(|day| peak(&day));
            s.hourly_occupancy.insert(name.clone(), means);
            s.peaks.insert(name.clone(), peaks);
            if let Some(h) = &self.stays[d] {
                s.stay_median_hours
                    .insert(name.clone(), h.quantile(0.5).unwrap_or(0.0));
                s.stay_p90_hours
                    .insert(name.clone(), h.quantile(0.9).unwrap_or(0.0));
                s.stay_mean_hours
                    .insert(name.clone(), h.total_ms / h.n as f64 / HOUR_MS as f64);
                s.stay_count.insert(name.clone(), h.n);
            }
        }
        let means = self.dow.map(|m| m.get());
        let present: Vec<f64> = means.iter().flatten().copied().collect();
        let overall = present.iter().sum::<f64>() / present.len().max(1) as f64;
        if overall > 0.0 {
            s.dow_index = means.map(|m| m.map(|x| x / overall));
        }
        s.dow_days = self.dow.map(|m| m.n);
        let mut all = Mean::default();
        let mut by_district: BTreeMap<usize, Mean> = BTreeMap::new();
        for (district, counts) in self.cv_groups.values() {
            if let Some(cv) = coefficient_of_variation(counts) {
                all.add(cv);
                by_district.entry(*district).or_default().add(cv);
            }
        }
        s.day_cv = all.get();
        for (d, m) in by_district {
            if let (Some(name), Some(cv)) = (self.districts.get(d), m.get()) {
                s.day_cv_by_district.insert(name.clone(), cv);
            }
        }
        if self.plate_total > 0 {
            for (state, n) in self.plates {
                s.plate_shares
                    .insert(state, n as f64 / self.plate_total as f64);
            }
        }
        s.cost_bands = STAY_BANDS
            .iter()
            .enumerate()
            .map(|(i, (label, from))| CostBand {
                label: (*label).to_owned(),
                from_hours: *from,
                to_hours: STAY_BANDS.get(i + 1).map(|b| b.1),
                count: self.bands[i].0,
                mean_cost: self.bands[i].1.get(),
            })
            .collect();
        s
    }
}

fn peak(day: &[Option<f64>; 24]) -> Option<PeakStats> {
    let (hour, value) = day
        .iter()
        .enumerate()
        .filter_map(|(h, v)| v.map(|v| (h, v)))
        .fold(None, |best: Option<(usize, f64)>, (h, v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((h, v)),
        })?;
    let night = day[5];
    Some(PeakStats {
        hour: hour as u8,
        peak: value,
        night,
        ratio: night.filter(|n| *n > 0.0).map(|n| value / n),
    })
}

/// Sample standard deviation over mean; `None` with fewer than 2 values or a zero mean.
pub fn coefficient_of_variation(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return None;
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some(var.sqrt() / mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let mut c = Collector::new(&["A".to_owned()]);
        for h in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] {
            c.stay(0, h * HOUR_MS + 30_000, Some(h as f64));
        }
        let s = c.finish(Totals::default(), 0);
        assert_eq!(s.stay_median_hours["A"], 5.0);
        assert_eq!(s.stay_p90_hours["A"], 9.0);
        assert!((s.stay_mean_hours["A"] - (5.5 + 0.5 / 60.0)).abs() < 1e-9);
        assert_eq!(s.stay_count["A"], 10);
        assert_eq!(s.cost_bands[1].count, 2, "1-3h holds the 1 h and 2 h stays");
        assert_eq!(s.cost_bands[1].mean_cost, Some(1.5));
        assert_eq!(s.cost_bands[0].count, 0);
        assert_eq!(s.cost_bands[0].mean_cost, None);
    }

    #[test]
    fn cv_is_sample_sd_over_mean() {
        let cv = coefficient_of_variation(&[8.0, 12.0]).unwrap_or(f64::NAN);
        assert!((cv - (8f64).sqrt() / 10.0).abs() < 1e-12, "{cv}");
        assert_eq!(coefficient_of_variation(&[5.0]), None);
        assert_eq!(coefficient_of_variation(&[0.0, 0.0]), None);
    }

    #[test]
    fn the_peak_is_the_first_highest_hour() {
        let mut day = [None; 24];
        day[5] = Some(0.1);
        day[12] = Some(0.6);
        day[13] = Some(0.6);
        let p = peak(&day).unwrap_or(PeakStats {
            hour: 0,
            peak: 0.0,
            night: None,
            ratio: None,
        });
        assert_eq!(p.hour, 12);
        assert!((p.ratio.unwrap_or(0.0) - 6.0).abs() < 1e-9);
        assert_eq!(peak(&[None; 24]), None);
    }
}
