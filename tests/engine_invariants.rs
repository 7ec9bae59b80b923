//! Every invariant of domain.md §5 on a generated year, in memory (the SQLite path has its own
//! tests), for both volume presets, plus determinism at the engine level.

mod support;

use parking_iot::engine::VolumePreset;
use support::*;

#[test]
fn a_realistic_year_keeps_every_invariant() {
    let catalog = catalog();
    let mut checker = InvariantChecker::default();
    generate(
        &catalog,
        settings(7, VolumePreset::Realistic),
        date(2025, 1, 1),
        365,
        |_, ev, se| checker.day(&catalog, ev, se),
    );
    assert!(checker.failures.is_empty(), "{:#?}", checker.failures);
    // About 30 thousand events a day for 11,608 spots: garages are busy, not empty.
    assert!(
        checker.events > 8_000_000 && checker.events < 16_000_000,
        "{} events",
        checker.events
    );
    assert!(
        checker.sessions * 2 >= checker.events - 20_000,
        "every CAR_IN has a session row"
    );
}

#[test]
fn the_original_volume_reproduces_about_2860_events_a_day() {
    let catalog = catalog();
    let mut checker = InvariantChecker::default();
    generate(
        &catalog,
        settings(11, VolumePreset::Original),
        date(2025, 1, 1),
        365,
        |_, ev, se| checker.day(&catalog, ev, se),
    );
    assert!(checker.failures.is_empty(), "{:#?}", checker.failures);
    let per_day = checker.events as f64 / 365.0;
    assert!(
        (per_day - 2_860.0).abs() < 2_860.0 * 0.05,
        "{per_day:.0} events a day"
    );
    // The published volume table: one month is about 85K events.
    assert!((per_day * 30.0 - 85_000.0).abs() < 10_000.0);
}

#[test]
fn same_seed_same_rows_other_seed_other_rows() {
    let catalog = catalog();
    let collect = |seed| {
        let mut all = Vec::new();
        generate(
            &catalog,
            settings(seed, VolumePreset::Realistic),
            date(2025, 6, 1),
            3,
            |_, ev, _| all.extend_from_slice(ev),
        );
        all
    };
    let a = collect(5);
    assert_eq!(a, collect(5));
    let b = collect(6);
    assert_ne!(a.len(), 0);
    assert_ne!(a[..100], b[..100]);
}
