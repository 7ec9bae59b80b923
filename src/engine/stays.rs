//! Stay durations: lognormal mixtures whose component shares depend on the arrival period.

use super::rng::{erfc, Rng};
use crate::catalog::StayProfile;
use crate::model::{Millis, HOUR_MS};

/// The arrival period of a local hour: 0 night (0-5), 1 morning (6-10), 2 midday (11-15),
/// 3 evening (16-23).
pub fn period_of_hour(hour: u8) -> usize {
    match hour {
        0..=5 => 0,
        6..=10 => 1,
        11..=15 => 2,
        _ => 3,
    }
}

/// Draws a stay for a car arriving in local hour `hour`.
pub fn draw_stay(profile: &StayProfile, hour: u8, rng: &mut Rng) -> Millis {
    let period = period_of_hour(hour);
    let mut u = rng.f64();
    let mut chosen = &profile.components[profile.components.len() - 1];
    for component in &profile.components {
        if u < component.shares[period] {
            chosen = component;
            break;
        }
        u -= component.shares[period];
    }
    // Truncated, not clamped: clamping piled the tails onto exactly min_hours and max_hours
    // (a spike of stays of exactly 336 h, say). The bound on redraws only matters for a
    // component whose range holds almost none of its distribution.
    let mut hours = chosen.median_hours;
    for _ in 0..64 {
        hours = chosen.median_hours * (chosen.sigma * rng.normal()).exp();
        if (chosen.min_hours..=chosen.max_hours).contains(&hours) {
            break;
        }
    }
    let hours = hours.clamp(chosen.min_hours, chosen.max_hours);
    (hours * HOUR_MS as f64).round() as Millis
}

/// P(stay > `hours`) of a lognormal before truncation.
fn lognormal_survival(median: f64, sigma: f64, hours: f64) -> f64 {
    if hours <= 0.0 {
        return 1.0;
    }
    0.5 * erfc((hours / median).ln() / (sigma * std::f64::consts::SQRT_2))
}

/// P(stay > `hours`) for a car that arrived in local hour `hour`.
pub fn survival(profile: &StayProfile, hour: u8, hours: f64) -> f64 {
    let period = period_of_hour(hour);
    profile
        .components
        .iter()
        .map(|c| {
            let s = if hours < c.min_hours {
                1.0
            } else if hours >= c.max_hours {
                0.0
            } else if c.sigma <= 0.0 {
                if hours < c.median_hours {
                    1.0
                } else {
                    0.0
                }
            } else {
                // The lognormal truncated to [min_hours, max_hours], as drawn.
                let at = |h| lognormal_survival(c.median_hours, c.sigma, h);
                let (lo, hi) = (at(c.min_hours), at(c.max_hours));
                if lo - hi > 1e-12 {
                    ((at(hours) - hi) / (lo - hi)).clamp(0.0, 1.0)
                } else {
                    at(hours)
                }
            };
            c.shares[period] * s
        })
        .sum()
}

/// The probability that a car parked for `parked_hours` (arrived in local hour `hour`) leaves
/// within the next `window_hours`, from the stay model.
pub fn leave_probability(
    profile: &StayProfile,
    hour: u8,
    parked_hours: f64,
    window_hours: f64,
) -> f64 {
    let now = survival(profile, hour, parked_hours);
    if now <= 1e-12 {
        return 1.0;
    }
    let later = survival(profile, hour, parked_hours + window_hours);
    ((now - later) / now).clamp(0.0, 1.0)
}

/// Mean stay in hours for arrivals in local hour `hour` (numerically, from the survival).
pub fn mean_stay_hours(profile: &StayProfile, hour: u8) -> f64 {
    let step = 0.05;
    let max = profile
        .components
        .iter()
        .map(|c| c.max_hours)
        .fold(0.0, f64::max);
    let n = (max / step).ceil() as usize;
    (0..n)
        .map(|i| survival(profile, hour, (i as f64 + 0.5) * step) * step)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn morning_arrivals_stay_longer_than_evening_arrivals() {
        let c = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        let manhattan = &c.stay_profiles[c.districts[0].stay_profile];
        let morning = mean_stay_hours(manhattan, 8);
        let evening = mean_stay_hours(manhattan, 19);
        assert!(
            morning > 5.0 && evening < 3.5,
            "morning {morning:.2} evening {evening:.2}"
        );
        // Draws agree with the survival function.
        let mut rng = Rng::new(3);
        let n = 100_000;
        let over4 = (0..n)
            .filter(|_| draw_stay(manhattan, 8, &mut rng) > 4 * HOUR_MS)
            .count() as f64
            / n as f64;
        assert!(
            (over4 - survival(manhattan, 8, 4.0)).abs() < 0.01,
            "{over4}"
        );
        let p = leave_probability(manhattan, 8, 8.5, 1.0);
        assert!(
            p > 0.3 && p <= 1.0,
            "a workday car at 8.5 h is likely to leave within an hour: {p}"
        );
    }

    #[test]
    fn airports_mix_short_visits_and_multi_day_trips() {
        let c = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        let airport = c
            .districts
            .iter()
            .find(|d| d.name == "Airport")
            .map(|d| d.stay_profile)
            .unwrap_or(0);
        let p = &c.stay_profiles[airport];
        let short = 1.0 - survival(p, 12, 3.0);
        assert!((short - 0.75).abs() < 0.02, "short visits {short}");
        assert!(survival(p, 12, 48.0) > 0.15, "multi-day trips");
    }

    #[test]
    fn no_stay_piles_up_at_the_edges_of_its_range() {
        let c = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        let mut rng = Rng::new(5);
        for profile in &c.stay_profiles {
            let edges: Vec<Millis> = profile
                .components
                .iter()
                .flat_map(|c| [c.min_hours, c.max_hours])
                .map(|h| (h * HOUR_MS as f64).round() as Millis)
                .collect();
            let n = 50_000;
            let mut at_edge = 0;
            let mut over_day = 0;
            for _ in 0..n {
                let stay = draw_stay(profile, 12, &mut rng);
                at_edge += usize::from(edges.contains(&stay));
                over_day += usize::from(stay > 24 * HOUR_MS);
            }
            // A clamped lognormal put whole tails on the edges: hundreds of draws here.
            assert!(
                at_edge < 5,
                "{}: {at_edge} stays exactly at a range edge",
                profile.name
            );
            // And the survival still describes the draws.
            let drawn = over_day as f64 / n as f64;
            let model = survival(profile, 12, 24.0);
            assert!(
                (drawn - model).abs() < 0.01,
                "{}: {drawn} vs {model}",
                profile.name
            );
        }
    }
}
