//! Realism bands derived from domain.md §6 (Birmingham occupancy, SFpark entries, NYC rates),
//! checked on a generated year; plus plates, pricing and the days when clocks change.

mod support;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use parking_iot::engine::{calendar, VolumePreset};
use parking_iot::model::{EventKind, HOUR_MS};
use support::*;

struct Year {
    /// [district][weekend as usize][local hour] -> (sum of occupancy ratios, samples)
    occupancy: HashMap<String, [[(f64, u32); 24]; 2]>,
    /// Daily CAR_IN per facility index: (date, count).
    daily_in: Vec<Vec<(NaiveDate, u32)>>,
    /// CAR_IN count per state code.
    states: HashMap<String, u64>,
    /// Stay hours per district, by arrival hour band (morning 7-9, evening 18-20).
    stays: HashMap<(String, &'static str), Vec<f64>>,
    /// Airport-terminal stays under 3 h and all.
    terminal_short: (u64, u64),
    /// (facility id, hours, cost cents) for airport stays.
    airport: Vec<(u32, f64, i64)>,
    plates_bad_format: Vec<String>,
}

fn generate_year() -> Year {
    let catalog = catalog();
    let tz = catalog.calendar.time_zone;
    let n = catalog.facilities.len();
    let mut y = Year {
        occupancy: HashMap::new(),
        daily_in: vec![Vec::new(); n],
        states: HashMap::new(),
        stays: HashMap::new(),
        terminal_short: (0, 0),
        airport: Vec::new(),
        plates_bad_format: Vec::new(),
    };
    let mut occ = vec![0u32; n];
    let mut in_hour: HashMap<u128, u8> = HashMap::new();
    let mut plate = String::new();
    generate(
        &catalog,
        settings(3, VolumePreset::Realistic),
        date(2025, 1, 1),
        365,
        |day, events, _| {
            let info = calendar::day_info(tz, day);
            let weekend = info.weekend_like() as usize;
            let hours = ((info.end - info.start) / HOUR_MS) as usize;
            let mut next = 0;
            let mut counts = vec![0u32; n];
            for h in 0..=hours {
                let boundary = info.start + h as i64 * HOUR_MS;
                while next < events.len() && (events[next].time < boundary || h == hours) {
                    let e = &events[next];
                    let f = e.facility as usize;
                    occ[f] = catalog.facilities[f].spots - e.available_after;
                    let district = catalog.districts[catalog.facilities[f].district]
                        .name
                        .clone();
                    match e.kind {
                        EventKind::CarIn => {
                            if e.time >= info.start {
                                counts[f] += 1;
                            }
                            let state = catalog.plates.render(e.plate, &mut plate).to_owned();
                            let format = &catalog.plates.states[e.plate.state() as usize].format;
                            if !format.matches(&plate) && y.plates_bad_format.len() < 5 {
                                y.plates_bad_format.push(format!("{state} {plate}"));
                            }
                            *y.states.entry(state).or_default() += 1;
                            in_hour.insert(e.session_id, calendar::local_hour(tz, e.time));
                        }
                        EventKind::CarOut => {
                            let hours = e.duration_ms as f64 / HOUR_MS as f64;
                            let band = match in_hour.remove(&e.session_id) {
                                Some(7..=9) => Some("morning"),
                                Some(18..=20) => Some("evening"),
                                _ => None,
                            };
                            if let Some(band) = band {
                                y.stays
                                    .entry((district.clone(), band))
                                    .or_default()
                                    .push(hours);
                            }
                            if district == "Airport" {
                                let fac = &catalog.facilities[f];
                                y.airport.push((fac.id, hours, e.cost_cents));
                                if catalog.stay_profiles[fac.stay_profile].name
                                    == "airport_terminal"
                                {
                                    y.terminal_short.1 += 1;
                                    if hours < 3.0 {
                                        y.terminal_short.0 += 1;
                                    }
                                }
                            }
                        }
                    }
                    next += 1;
                }
                if h < hours {
                    let local = calendar::local_hour(tz, boundary) as usize;
                    for (f, fac) in catalog.facilities.iter().enumerate() {
                        let district = &catalog.districts[fac.district].name;
                        let cell = &mut y
                            .occupancy
                            .entry(district.clone())
                            .or_insert([[(0.0, 0); 24]; 2])[weekend][local];
                        cell.0 += occ[f] as f64 / fac.spots as f64;
                        cell.1 += 1;
                    }
                }
            }
            for (f, c) in counts.into_iter().enumerate() {
                y.daily_in[f].push((day, c));
            }
        },
    );
    y
}

fn curve(y: &Year, district: &str, weekend: bool) -> [f64; 24] {
    let cells = &y.occupancy[district][weekend as usize];
    let mut out = [0.0; 24];
    for h in 0..24 {
        out[h] = cells[h].0 / cells[h].1.max(1) as f64;
    }
    out
}

fn peak(c: &[f64; 24]) -> (usize, f64) {
    c.iter()
        .cloned()
        .enumerate()
        .fold((0, 0.0), |a, (h, v)| if v > a.1 { (h, v) } else { a })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[test]
fn a_generated_year_looks_like_real_parking() {
    let y = generate_year();

    // Downtown weekday occupancy: low at night, peak around midday at 0.6-0.95, and an evening
    // decline slower than the morning rise (Birmingham: 0.22 at 07:30, 0.64 at 13:00, 0.49 at 16:30).
    let manhattan = curve(&y, "Manhattan", false);
    let (peak_hour, peak_value) = peak(&manhattan);
    assert!(
        (10..=15).contains(&peak_hour),
        "Manhattan weekday peak at {peak_hour}:00: {manhattan:.2?}"
    );
    assert!(
        (0.55..=0.95).contains(&peak_value),
        "Manhattan weekday peak {peak_value:.2}"
    );
    assert!(
        manhattan[5] < peak_value * 0.3,
        "night 05:00 {:.2} vs peak {peak_value:.2}",
        manhattan[5]
    );
    let rise = peak_value - manhattan[peak_hour - 4];
    let fall = peak_value - manhattan[peak_hour + 4];
    assert!(
        fall < rise,
        "evening decline ({fall:.2}) must be slower than the morning rise ({rise:.2})"
    );

    // Weekend/weekday: lower for office districts, higher for shopping and nightlife.
    let ratio = |d: &str| peak(&curve(&y, d, true)).1 / peak(&curve(&y, d, false)).1;
    assert!(
        (0.5..1.0).contains(&ratio("Manhattan")),
        "Manhattan weekend/weekday {:.2}",
        ratio("Manhattan")
    );
    assert!(
        ratio("Brooklyn") > 1.0,
        "Brooklyn weekend/weekday {:.2}",
        ratio("Brooklyn")
    );
    assert!(
        ratio("Staten Island") < 0.85,
        "Staten Island weekend/weekday {:.2}",
        ratio("Staten Island")
    );

    // Day-to-day variation between similar days (Tue-Thu, no holiday): CV about 0.2.
    let mut cvs = Vec::new();
    for days in &y.daily_in {
        let xs: Vec<f64> = days
            .iter()
            .filter(|(d, _)| {
                (1..=3).contains(&d.weekday().num_days_from_monday())
                    && !calendar::is_us_holiday(*d)
            })
            .map(|(_, c)| *c as f64)
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
        cvs.push(sd / mean);
    }
    let cv = cvs.iter().sum::<f64>() / cvs.len() as f64;
    assert!((0.15..=0.32).contains(&cv), "day-to-day CV {cv:.3}");

    // Spike days: about 1% of facility-days at about twice their normal level.
    let (mut spikes, mut total) = (0, 0);
    for days in &y.daily_in {
        for wd in 0..7 {
            let mut xs: Vec<f64> = days
                .iter()
                .filter(|(d, _)| d.weekday().num_days_from_monday() == wd)
                .map(|(_, c)| *c as f64)
                .collect();
            let m = median(&mut xs);
            spikes += xs.iter().filter(|x| **x > 1.7 * m).count();
            total += xs.len();
        }
    }
    let share = spikes as f64 / total as f64;
    assert!(
        (0.003..=0.03).contains(&share),
        "spike-day share {share:.4}"
    );

    // Day-of-week entries follow SFpark in the city: Friday above Monday, Sunday lowest.
    let dow = |district_facilities: std::ops::Range<usize>, wd: u32| -> f64 {
        district_facilities
            .map(|f| {
                y.daily_in[f]
                    .iter()
                    .filter(|(d, _)| d.weekday().num_days_from_monday() == wd)
                    .map(|(_, c)| *c as f64)
                    .sum::<f64>()
            })
            .sum()
    };
    assert!(
        dow(0..15, 4) > dow(0..15, 0) * 1.2,
        "Manhattan Friday vs Monday"
    );
    assert!(
        (0..6).all(|wd| dow(0..15, 6) < dow(0..15, wd)),
        "Manhattan Sunday is the quietest day"
    );

    // Airports run against the city: July busier than January.
    let month = |m: u32| -> f64 {
        (45..50)
            .map(|f| {
                y.daily_in[f]
                    .iter()
                    .filter(|(d, _)| d.month() == m)
                    .map(|(_, c)| *c as f64)
                    .sum::<f64>()
            })
            .sum()
    };
    assert!(
        month(7) > month(1) * 1.15,
        "airport July {} vs January {}",
        month(7),
        month(1)
    );

    // Stays depend on arrival hour: morning arrivals stay long, evening arrivals short.
    let mut morning = y.stays[&("Manhattan".to_string(), "morning")].clone();
    let mut evening = y.stays[&("Manhattan".to_string(), "evening")].clone();
    let (m, e) = (median(&mut morning), median(&mut evening));
    assert!(
        m > 4.0 && e < 3.5 && m > 2.0 * e,
        "Manhattan median stay: morning {m:.2} h, evening {e:.2} h"
    );

    // Airports: about 75% short visits at terminal garages.
    let short = y.terminal_short.0 as f64 / y.terminal_short.1 as f64;
    assert!(
        (0.70..=0.80).contains(&short),
        "terminal short visits {short:.3}"
    );

    // Pricing: a 72 h stay at a long-term or economy lot costs $54-105; no airport charges more
    // than its daily maximum per started 24 h.
    let catalog = catalog();
    let max_of = |id: u32| {
        catalog
            .facilities
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.pricing.daily_max_cents)
            .unwrap_or(0)
    };
    let mut checked_72h = 0;
    for (id, hours, cost) in &y.airport {
        assert!(
            *cost <= (hours / 24.0).ceil().max(1.0) as i64 * max_of(*id),
            "facility {id}: {hours:.1} h cost {cost}"
        );
        if [47, 49, 50].contains(id) && (71.0..=73.0).contains(hours) {
            checked_72h += 1;
            assert!(
                (5_400..=10_500).contains(cost),
                "72 h at facility {id} cost {cost} cents"
            );
        }
    }
    assert!(checked_72h > 50, "only {checked_72h} stays of about 72 h");

    // Plates: formats per state and the published shares.
    assert!(y.plates_bad_format.is_empty(), "{:?}", y.plates_bad_format);
    let total: u64 = y.states.values().sum();
    let share = |s: &str| *y.states.get(s).unwrap_or(&0) as f64 / total as f64;
    for (state, expected, tolerance) in [
        ("NY", 0.60, 0.01),
        ("NJ", 0.15, 0.01),
        ("CT", 0.08, 0.006),
        ("PA", 0.07, 0.006),
        ("MA", 0.03, 0.004),
        ("FL", 0.02, 0.003),
    ] {
        assert!(
            (share(state) - expected).abs() < tolerance,
            "{state} share {:.4}",
            share(state)
        );
    }
    let others: f64 = y
        .states
        .keys()
        .filter(|s| !["NY", "NJ", "CT", "PA", "MA", "FL"].contains(&s.as_str()))
        .map(|s| share(s))
        .sum();
    assert!((others - 0.05).abs() < 0.006, "other states {others:.4}");
}

#[test]
fn days_when_clocks_change_have_23_and_25_hours_of_traffic() {
    let catalog = catalog();
    let tz = catalog.calendar.time_zone;
    for (start, missing_hour, doubled_hour) in [
        (date(2025, 3, 8), Some(2u8), None),
        (date(2025, 11, 1), None, Some(1u8)),
    ] {
        let mut checker = InvariantChecker::default();
        let mut per_hour: HashMap<(NaiveDate, u8), Vec<i64>> = HashMap::new();
        generate(
            &catalog,
            settings(9, VolumePreset::Realistic),
            start,
            3,
            |day, ev, se| {
                checker.day(&catalog, ev, se);
                for e in ev
                    .iter()
                    .filter(|e| e.time >= calendar::local_midnight(tz, day))
                {
                    per_hour
                        .entry((day, calendar::local_hour(tz, e.time)))
                        .or_default()
                        .push(calendar::utc_offset_ms(tz, e.time));
                }
            },
        );
        assert!(checker.failures.is_empty(), "{:#?}", checker.failures);
        let dst_day = start + chrono::Duration::days(1);
        if let Some(h) = missing_hour {
            assert!(
                !per_hour.contains_key(&(dst_day, h)),
                "no event at 02:xx on {dst_day}"
            );
            assert!(per_hour.contains_key(&(dst_day, 3)));
        }
        if let Some(h) = doubled_hour {
            let offsets = &per_hour[&(dst_day, h)];
            assert!(
                offsets.contains(&(-4 * HOUR_MS)) && offsets.contains(&(-5 * HOUR_MS)),
                "01:xx happens twice on {dst_day}"
            );
        }
    }
}
