//! Runs: what the scan keeps per run, run start dates, and the whole days that feed the day
//! statistics.

use chrono_tz::Tz;

use super::{FacState, Validator};
use crate::engine::calendar::{self, LocalDay};
use crate::model::{civil_from_days, time_string, Millis, HOUR_MS};
use crate::validate::RunSummary;

/// What the scan knows of one run.
pub(super) struct RunState {
    /// What the report shows of the run.
    pub(super) summary: RunSummary,
    /// The run's start (from `runs.start_date`, else its first event).
    pub(super) start: Option<Millis>,
    /// The next local hour boundary at which occupancy is sampled.
    pub(super) next_boundary: Option<Millis>,
    /// Replay state per facility (index as in `Facilities::list`).
    pub(super) facs: Vec<FacState>,
    /// Time of the run's first event.
    pub(super) first: Option<Millis>,
    /// Time of the run's last event so far.
    pub(super) last: Option<Millis>,
    /// The local day of the latest event (cache).
    pub(super) event_day: Option<LocalDay>,
    /// The local day of the latest sample (cache).
    pub(super) sample_day: Option<LocalDay>,
    /// Cars of an unfinished run whose session row is not written yet.
    pub(super) unwritten: u64,
    /// Events at the same millisecond as the previous event of their facility.
    pub(super) ties: u64,
}

impl RunState {
    /// A run not yet seen in the events.
    pub(super) fn new(summary: RunSummary, start: Option<Millis>, facilities: usize) -> Self {
        RunState {
            summary,
            start,
            next_boundary: start.map(ceil_hour),
            facs: (0..facilities).map(|_| FacState::default()).collect(),
            first: None,
            last: None,
            event_day: None,
            sample_day: None,
            unwritten: 0,
            ties: 0,
        }
    }
}

/// The first hour boundary at or after `t`.
pub(super) fn ceil_hour(t: Millis) -> Millis {
    t.div_euclid(HOUR_MS) * HOUR_MS
        + if t.rem_euclid(HOUR_MS) == 0 {
            0
        } else {
            HOUR_MS
        }
}

/// The local day containing `t`, from a one-day cache.
pub(super) fn day_of(tz: Tz, cache: &mut Option<LocalDay>, t: Millis) -> LocalDay {
    match cache {
        Some(d) if d.start <= t && t < d.end => *d,
        _ => {
            let d = calendar::local_day(tz, t);
            *cache = Some(d);
            d
        }
    }
}

/// Parses `runs.start_date`: a timestamp, or a date (local midnight in New York).
pub(super) fn parse_start(tz: Tz, s: &str) -> Option<Millis> {
    let s = s.trim();
    if let Some(t) = crate::model::parse_time(s) {
        return Some(t);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(calendar::local_midnight(tz, d));
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

impl Validator {
    /// Whole days per run for the day statistics, and the run warnings.
    pub(super) fn finish_runs(&mut self) {
        let tz = self.tz;
        let mut counts = Vec::with_capacity(self.fac.list.len());
        for (tag, run) in &mut self.runs {
            run.summary.first_event = run.first.map(time_string);
            run.summary.last_event = run.last.map(time_string);
            if !run.summary.finished && run.summary.in_runs_table {
                self.warnings.push(format!(
                    "run {} has status {:?} (unfinished or interrupted): {} cars have no session \
                     row yet; session completeness was not checked for it",
                    run.summary.run_id,
                    run.summary.status.as_deref().unwrap_or("NULL"),
                    run.unwritten
                ));
            }
            if run.ties > 0 {
                self.warnings.push(format!(
                    "run {}: {} events share their millisecond with the previous event of the \
                     same facility (replayed CAR_OUT first)",
                    run.summary.run_id, run.ties
                ));
            }
            let (Some(start), Some(last)) = (run.start, run.last) else {
                continue;
            };
            // Whole days only: from the first local midnight at or after the start (a live
            // run starts during its start date), to the last event's day when the run is
            // finished (capped by its inclusive end date), else the day before.
            let live = run.summary.kind.as_deref() == Some("live");
            let first_day = calendar::local_day(tz, start);
            let d0 = first_day.day_number + i64::from(start > first_day.start || live);
            let last_day = calendar::local_day(tz, last).day_number;
            let mut d1 = if run.summary.finished && !live {
                last_day
            } else {
                last_day - 1
            };
            let end = run
                .summary
                .end_date
                .as_deref()
                .and_then(|e| chrono::NaiveDate::parse_from_str(e.trim(), "%Y-%m-%d").ok());
            if let Some(e) = end {
                use chrono::Datelike as _;
                d1 = d1.min(crate::model::days_from_civil(
                    e.year() as i64,
                    e.month(),
                    e.day(),
                ));
            }
            for d in d0..=d1 {
                let (y, m, dd) = civil_from_days(d);
                let Some(date) = chrono::NaiveDate::from_ymd_opt(y as i32, m, dd) else {
                    continue;
                };
                let info = calendar::day_info(tz, date);
                counts.clear();
                for (f, fac) in self.fac.list.iter().enumerate() {
                    let n = run.facs[f].daily_in.get(&d).copied().unwrap_or(0);
                    counts.push((f, fac.district_idx, n));
                }
                self.stats.day(*tag, &info, &counts);
                run.summary.full_days += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_round_up_to_the_next_boundary() {
        assert_eq!(ceil_hour(0), 0);
        assert_eq!(ceil_hour(1), HOUR_MS);
        assert_eq!(ceil_hour(HOUR_MS), HOUR_MS);
        assert_eq!(ceil_hour(-1), 0);
    }

    #[test]
    fn run_starts_parse_as_dates_or_timestamps() {
        let tz = chrono_tz::America::New_York;
        // 2025-01-01 00:00 EST is 05:00 UTC.
        assert_eq!(parse_start(tz, "2025-01-01"), Some(1_735_707_600_000));
        assert_eq!(
            parse_start(tz, "2025-01-01T05:00:00.000Z"),
            Some(1_735_707_600_000)
        );
        assert_eq!(
            parse_start(tz, "2025-01-01T00:00:00-05:00"),
            Some(1_735_707_600_000)
        );
        assert_eq!(parse_start(tz, "yesterday"), None);
    }
}
