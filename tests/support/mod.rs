//! Shared test helpers: generating days in memory and checking the domain invariants on them.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use parking_iot::catalog::Catalog;
use parking_iot::engine::{calendar, sort_events, SimSettings, Simulation, VolumePreset};
use parking_iot::model::{Event, EventKind, Millis, Session, SessionStatus};

pub fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::builtin().expect("built-in catalog"))
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub fn settings(seed: u64, volume: VolumePreset) -> SimSettings {
    SimSettings {
        seed,
        volume,
        plate_preset: 0,
        tag: 0x123,
    }
}

/// Generates `days` local days from `start`, calling `each` with every day's sorted events and
/// completed sessions (and, on the last day, the active sessions too).
pub fn generate(
    catalog: &Arc<Catalog>,
    settings: SimSettings,
    start: NaiveDate,
    days: i64,
    mut each: impl FnMut(NaiveDate, &[Event], &[Session]),
) {
    let tz = catalog.calendar.time_zone;
    let mut sim = Simulation::new(
        catalog.clone(),
        settings,
        calendar::local_midnight(tz, start),
    );
    let (mut ev, mut se) = (Vec::new(), Vec::new());
    for d in 0..days {
        ev.clear();
        se.clear();
        let day = start + chrono::Duration::days(d);
        let until = calendar::local_midnight(tz, day + chrono::Duration::days(1)) - 1;
        sim.advance(until, &mut ev, &mut se);
        if d + 1 == days {
            sim.active_sessions(&mut se);
        }
        sort_events(&mut ev);
        each(day, &ev, &se);
    }
}

/// Checks invariants 1-5 of domain.md on a stream of days, in memory.
#[derive(Default)]
pub struct InvariantChecker {
    occupancy: HashMap<u16, i64>,
    open: HashMap<u128, (u64, u16, Millis)>,
    plates_parked: HashMap<u64, u16>,
    pub events: u64,
    pub sessions: u64,
    pub failures: Vec<String>,
}

impl InvariantChecker {
    fn fail(&mut self, s: String) {
        if self.failures.len() < 20 {
            self.failures.push(s);
        }
    }

    pub fn day(&mut self, catalog: &Catalog, events: &[Event], sessions: &[Session]) {
        let mut outs: HashMap<u128, (u64, u16, Millis, Millis, i64)> = HashMap::new();
        let mut last_time: Millis = Millis::MIN;
        for e in events {
            self.events += 1;
            if e.time < last_time {
                self.fail(format!("events out of time order at {}", e.time));
            }
            last_time = e.time;
            let spots = catalog.facilities[e.facility as usize].spots as i64;
            let occ = self.occupancy.entry(e.facility).or_insert(0);
            match e.kind {
                EventKind::CarIn => {
                    *occ += 1;
                    let occ = *occ;
                    if self
                        .open
                        .insert(e.session_id, (e.plate.0, e.facility, e.time))
                        .is_some()
                    {
                        self.fail(format!("session {:x} has two CAR_IN", e.session_id));
                    }
                    if let Some(f) = self.plates_parked.insert(e.plate.0, e.facility) {
                        self.fail(format!(
                            "invariant 5: plate {:x} parked at facility {f} and {} at {}",
                            e.plate.0, e.facility, e.time
                        ));
                    }
                    if occ > spots {
                        self.fail(format!(
                            "invariant 2: facility {} over capacity",
                            e.facility
                        ));
                    }
                }
                EventKind::CarOut => {
                    *occ -= 1;
                    match self.open.remove(&e.session_id) {
                        None => self.fail(format!(
                            "invariant 1: CAR_OUT {:x} without CAR_IN",
                            e.event_id
                        )),
                        Some((plate, facility, in_time)) => {
                            self.plates_parked.remove(&plate);
                            if plate != e.plate.0 || facility != e.facility {
                                self.fail(format!(
                                    "invariant 1: CAR_OUT {:x} differs from its CAR_IN",
                                    e.event_id
                                ));
                            }
                            if e.duration_ms != e.time - in_time || e.time <= in_time {
                                self.fail(format!("invariant 3: duration of {:x}", e.event_id));
                            }
                            let expected = catalog.facilities[e.facility as usize]
                                .pricing
                                .cost_cents(e.time - in_time);
                            if e.cost_cents != expected {
                                self.fail(format!(
                                    "invariant 3: cost {} != {expected}",
                                    e.cost_cents
                                ));
                            }
                            outs.insert(
                                e.session_id,
                                (plate, facility, in_time, e.time, e.cost_cents),
                            );
                        }
                    }
                }
            }
            let occ = *self.occupancy.get(&e.facility).unwrap_or(&0);
            if occ < 0 || e.available_after as i64 != spots - occ {
                self.fail(format!(
                    "invariant 2: facility {} available {} but replay says {}",
                    e.facility,
                    e.available_after,
                    spots - occ
                ));
            }
        }
        for s in sessions {
            self.sessions += 1;
            match s.status {
                SessionStatus::Completed => match outs.remove(&s.session_id) {
                    Some((plate, facility, in_time, out_time, cost)) => {
                        if (plate, facility, in_time, Some(out_time), cost)
                            != (s.plate.0, s.facility, s.in_time, s.out_time, s.cost_cents)
                        {
                            self.fail(format!(
                                "invariant 4: session {:x} disagrees with its events",
                                s.session_id
                            ));
                        }
                    }
                    None => self.fail(format!(
                        "invariant 4: completed session {:x} has no CAR_OUT that day",
                        s.session_id
                    )),
                },
                SessionStatus::Active => match self.open.get(&s.session_id) {
                    Some((plate, facility, in_time))
                        if (*plate, *facility, *in_time) == (s.plate.0, s.facility, s.in_time) => {}
                    _ => self.fail(format!(
                        "invariant 4: active session {:x} is not parked",
                        s.session_id
                    )),
                },
            }
        }
        if !outs.is_empty() {
            self.fail(format!(
                "invariant 4: {} CAR_OUT without a completed session",
                outs.len()
            ));
        }
    }
}
