//! The realism statistics on a tiny hand-made run whose figures are computed by hand.

mod validate_support;

use parking_iot::validate::{validate_db, Report, WEEKDAY, WEEKEND};
use validate_support::*;

/// Two weeks, 2025-01-06 (Monday) to 2025-01-19, New York time (EST):
/// - facility 1 (Manhattan, 3 spots): one NY car every day 09:30-16:30 (7 h, $30 capped);
///   on Monday the 13th two more cars (NJ, CT) 10:30-11:30 and 10:31-11:31 (1 h, $10);
/// - facility 2 (Brooklyn, 2 spots): one NJ car on Saturday the 11th, 12:15-14:15 (2 h, $8);
/// - facility 3 (Airport, 5 spots): a TX car parked before the start (Jan 5 07:00 to Jan 6
///   02:00, 19 h, $29): its CAR_IN precedes the run and counts in no day or plate figure.
fn two_weeks() -> Report {
    let db = new_db();
    let mut run = Run::new(0x0b2, "2025-01-06", "2025-01-19");
    run.turned_away = 7;
    let warm = run.car_in(3, "TX", "TEX-0001", ny(5, 7, 0));
    run.car_out(warm, ny(6, 2, 0));
    for day in 6..=19 {
        let car = run.car_in(1, "NY", &format!("DAY-{day:04}"), ny(day, 9, 30));
        if day == 13 {
            let nj = run.car_in(1, "NJ", "NJX-0001", ny(13, 10, 30));
            let ct = run.car_in(1, "CT", "CTX-0001", ny(13, 10, 31));
            run.car_out(nj, ny(13, 11, 30));
            run.car_out(ct, ny(13, 11, 31));
        }
        if day == 11 {
            let bk = run.car_in(2, "NJ", "BKN-0001", ny(11, 12, 15));
            run.car_out(bk, ny(11, 14, 15));
        }
        run.car_out(car, ny(day, 16, 30));
    }
    run.write(&db.conn);
    let report = validate_db(&db.path).unwrap();
    assert!(report.passed(), "{}", report.render());
    report
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[track_caller]
fn assert_near(a: Option<f64>, b: f64) {
    match a {
        Some(a) => assert!(near(a, b), "{a} != {b}"),
        None => panic!("None != {b}"),
    }
}

#[test]
fn hourly_occupancy_is_sampled_at_local_hour_boundaries() {
    let r = two_weeks();
    let s = &r.stats;
    assert_eq!(s.districts, ["Manhattan", "Brooklyn", "Airport"]);
    let m = &s.hourly_occupancy["Manhattan"];
    // 10 weekdays: one car of 3 spots from 10:00 to 16:00; at 11:00 on the 13th all three.
    for h in [10, 12, 13, 14, 15, 16] {
        assert_near(m[WEEKDAY][h], 1.0 / 3.0);
        assert_near(m[WEEKEND][h], 1.0 / 3.0);
    }
    assert_near(m[WEEKDAY][11], (9.0 / 3.0 + 1.0) / 10.0);
    for h in [0, 5, 9, 17, 23] {
        assert_near(m[WEEKDAY][h], 0.0);
        assert_near(m[WEEKEND][h], 0.0);
    }
    // Brooklyn: half full at 13:00 and 14:00 on one of the 4 weekend days.
    let b = &s.hourly_occupancy["Brooklyn"];
    assert_near(b[WEEKEND][13], 0.125);
    assert_near(b[WEEKEND][14], 0.125);
    assert_near(b[WEEKEND][12], 0.0);
    assert_near(b[WEEKDAY][13], 0.0);
    // Airport: the warm-start car (1 of 5 spots) until 02:00 on the first weekday only.
    let a = &s.hourly_occupancy["Airport"];
    for h in [0, 1, 2] {
        assert_near(a[WEEKDAY][h], 0.2 / 10.0);
    }
    assert_near(a[WEEKDAY][3], 0.0);
    // From Jan 6 00:00 to the last event (Jan 19 16:30): 13 days and 17 hours, 3 facilities.
    assert_eq!(s.occupancy_samples, (13 * 24 + 17) * 3);

    let peak = s.peaks["Manhattan"][WEEKDAY].clone().unwrap();
    assert_eq!(peak.hour, 11);
    assert!(near(peak.peak, 0.4));
    assert_eq!(peak.night, Some(0.0));
    assert_eq!(peak.ratio, None, "no ratio over an empty night");
    let peak = s.peaks["Manhattan"][WEEKEND].clone().unwrap();
    assert_eq!(peak.hour, 10, "the first of the equally busy hours");
    let peak = s.peaks["Brooklyn"][WEEKEND].clone().unwrap();
    assert_eq!((peak.hour, peak.peak), (13, 0.125));
}

#[test]
fn day_of_week_index_and_day_to_day_variation() {
    let r = two_weeks();
    let s = &r.stats;
    assert_eq!(r.runs[0].full_days, 14);
    assert_eq!(s.totals.days_covered, 14);
    assert_eq!(s.dow_days, [2; 7]);
    // Mean CAR_IN per day: Mon (1+3)/2, Tue-Fri 1, Sat (2+1)/2, Sun 1; overall mean 8.5/7.
    let mean = 8.5 / 7.0;
    let want = [2.0, 1.0, 1.0, 1.0, 1.0, 1.5, 1.0].map(|x| x / mean);
    for (got, want) in s.dow_index.iter().zip(want) {
        assert_near(*got, want);
    }
    // Facility 1: Mondays [1, 3] (CV sqrt(2)/2), other weekdays [1, 1] (CV 0); facility 2:
    // Saturdays [1, 0] (CV sqrt(2)); weekdays with no cars at all have no CV.
    let half_root2 = 2f64.sqrt() / 2.0;
    assert_near(s.day_cv, (half_root2 + 2f64.sqrt()) / 8.0);
    assert!(near(s.day_cv_by_district["Manhattan"], half_root2 / 7.0));
    assert!(near(s.day_cv_by_district["Brooklyn"], 2f64.sqrt()));
    assert!(!s.day_cv_by_district.contains_key("Airport"));
}

#[test]
fn stays_plates_costs_and_totals() {
    let r = two_weeks();
    let s = &r.stats;
    assert_eq!(s.stay_count["Manhattan"], 16);
    assert_eq!(s.stay_median_hours["Manhattan"], 7.0);
    assert_eq!(s.stay_p90_hours["Manhattan"], 7.0);
    assert!(near(
        s.stay_mean_hours["Manhattan"],
        (14.0 * 7.0 + 2.0) / 16.0
    ));
    assert_eq!(s.stay_median_hours["Brooklyn"], 2.0);
    assert_eq!(s.stay_median_hours["Airport"], 19.0);

    // CAR_INs from the start: 14 NY, 2 NJ, 1 CT; the TX car arrived before the start.
    assert_eq!(s.plate_shares.len(), 3);
    assert!(near(s.plate_shares["NY"], 14.0 / 17.0));
    assert!(near(s.plate_shares["NJ"], 2.0 / 17.0));
    assert!(near(s.plate_shares["CT"], 1.0 / 17.0));

    let band = |label: &str| s.cost_bands.iter().find(|b| b.label == label).unwrap();
    assert_eq!(band("<1h").count, 0);
    assert_eq!(band("1-3h").count, 3);
    assert_near(band("1-3h").mean_cost, (10.0 + 10.0 + 8.0) / 3.0);
    assert_eq!(band("6-12h").count, 14);
    assert_near(band("6-12h").mean_cost, 30.0);
    assert_eq!(band("12-24h").count, 1);
    assert_near(band("12-24h").mean_cost, 29.0);
    assert_eq!(band(">3d").count, 0);
    assert_eq!(s.cost_bands.len(), 7);

    assert_eq!(s.turned_away, 7);
    assert_eq!(s.totals.events, 36);
    assert_eq!((s.totals.cars_in, s.totals.cars_out), (18, 18));
    assert_eq!(
        (s.totals.sessions_completed, s.totals.sessions_active),
        (18, 0)
    );

    let text = r.render();
    for needle in [
        "Manhattan",
        "Day-of-week entry index",
        "NY 82.4%",
        "6-12h",
        "$30.00",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
}

#[test]
fn hours_follow_new_york_time_across_the_spring_clock_change() {
    // 2025-03-09: 02:00 EST jumps to 03:00 EDT. A car parked 00:30 EST (05:30Z) to 04:30 EDT
    // (08:30Z) is sampled at local 01:00, 03:00 and 04:00; local 02:00 never happens.
    let db = new_db();
    let mut run = Run::new(0x0c3, "2025-03-09", "2025-03-09");
    let car = run.car_in(1, "NY", "DST-0001", utc_on(3, 9, 5, 30));
    run.car_out(car, utc_on(3, 9, 8, 30));
    run.write(&db.conn);
    let r = validate_db(&db.path).unwrap();
    assert!(r.passed(), "{}", r.render());
    let m = &r.stats.hourly_occupancy["Manhattan"][WEEKEND];
    assert_near(m[0], 0.0);
    for h in [1, 3, 4] {
        assert_near(m[h], 1.0 / 3.0);
    }
    assert_eq!(m[2], None, "02:00 does not exist that day");
    assert_eq!(m[5], None, "nothing is sampled after the last event");
    assert_eq!(r.stats.hourly_occupancy["Manhattan"][WEEKDAY], [None; 24]);
    assert_eq!(r.runs[0].full_days, 1);
    assert_eq!(r.stats.dow_days[6], 1, "a Sunday");
}
