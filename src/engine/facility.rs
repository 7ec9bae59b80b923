//! One facility's simulation: a non-homogeneous Poisson arrival stream (piecewise constant by
//! hour), stays drawn at arrival, a departure queue, capacity, pricing and plates. It advances
//! to any instant and emits events in time order; how the advance is split never changes what
//! it emits.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::calendar::{self, LocalDay};
use super::plates::PlateSampler;
use super::rates::{day_level, hour_shape};
use super::rng::{kind, stream_seed, Rng};
use super::stays::draw_stay;
use super::SimSettings;
use crate::catalog::Catalog;
use crate::model::{
    Event, EventKind, Millis, PatternTag, PlateCode, Session, SessionStatus, DAY_MS, HOUR_MS,
};

/// A hasher for keys that are already well mixed (plate codes are not, so it multiplies).
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
}

type PlateSet = HashSet<u64, BuildHasherDefault<IdHasher>>;

/// A car that is parked now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParkedCar {
    /// Its session.
    pub session_id: u128,
    /// The id of its CAR_IN event.
    pub in_event: u128,
    /// Its plate.
    pub plate: PlateCode,
    /// When it arrived.
    pub in_time: Millis,
    /// When it will leave (the model's draw; not shown as data until it happens).
    pub out_time: Millis,
    /// Local hour of arrival (the stay model depends on it).
    pub in_hour: u8,
    /// Pattern facts of its CAR_IN.
    pub in_tag: PatternTag,
}

/// Counters since the simulation started (warm-up excluded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FacilityCounters {
    /// CAR_IN events emitted (warm-start cars included).
    pub cars_in: u64,
    /// CAR_OUT events emitted.
    pub cars_out: u64,
    /// Arrivals refused because the facility was full.
    pub turned_away: u64,
}

/// The simulation of one facility.
pub struct FacilitySim {
    catalog: Arc<Catalog>,
    plates: Arc<PlateSampler>,
    f: usize,
    seed: u64,
    tag: u16,
    spots: u32,
    base_rate: f64,
    weekend_factor: f64,
    rng: Rng,
    day: LocalDay,
    day_factor: f64,
    day_spike: bool,
    seg_start: Millis,
    seg_end: Millis,
    seg_hour: u8,
    seg_rate_per_ms: f64,
    next_arrival: Option<Millis>,
    boost: f64,
    boost_until: Millis,
    cars: Vec<ParkedCar>,
    free_slots: Vec<u32>,
    departures: BinaryHeap<Reverse<(Millis, u32)>>,
    plates_in: PlateSet,
    occupied: u32,
    last_time: Millis,
    pending: Vec<Event>,
    /// Counters since the start.
    pub counters: FacilityCounters,
}

impl FacilitySim {
    /// A facility at instant `start`, warmed up: it has simulated the days before `start` so
    /// that it is as full as the model says, and it will first emit the CAR_IN events of the
    /// cars parked at `start` (with their real, earlier arrival times).
    pub fn new(
        catalog: Arc<Catalog>,
        plates: Arc<PlateSampler>,
        f: usize,
        settings: &SimSettings,
        base: (f64, f64),
        start: Millis,
    ) -> Self {
        let fac = &catalog.facilities[f];
        let tz = catalog.calendar.time_zone;
        let profile = &catalog.stay_profiles[fac.stay_profile];
        let max_stay_h = profile
            .components
            .iter()
            .map(|c| c.max_hours)
            .fold(0.0, f64::max);
        let warmup_days = (max_stay_h / 24.0).ceil() as i64 + 1;
        let start_day = calendar::local_date(tz, start);
        let warm_date = start_day - chrono::Duration::days(warmup_days);
        let warm_from = calendar::local_midnight(tz, warm_date);
        let spots = fac.spots;
        let mut sim = FacilitySim {
            seed: settings.seed,
            tag: settings.tag,
            spots,
            base_rate: base.0,
            weekend_factor: base.1,
            rng: Rng::new(stream_seed(settings.seed, kind::FACILITY, fac.id as u64, 0)),
            day: calendar::day_info(tz, warm_date),
            day_factor: 1.0,
            day_spike: false,
            seg_start: warm_from,
            seg_end: warm_from,
            seg_hour: 0,
            seg_rate_per_ms: 0.0,
            next_arrival: None,
            boost: 1.0,
            boost_until: i64::MIN,
            cars: Vec::with_capacity(spots as usize),
            free_slots: Vec::new(),
            departures: BinaryHeap::with_capacity(spots as usize),
            plates_in: PlateSet::with_capacity_and_hasher(spots as usize * 2, Default::default()),
            occupied: 0,
            last_time: i64::MIN,
            pending: Vec::new(),
            counters: FacilityCounters::default(),
            catalog,
            plates,
            f,
        };
        sim.refresh_day(warm_from);
        sim.start_segment(warm_from);
        let (mut scratch_events, mut scratch_sessions) = (Vec::new(), Vec::new());
        let mut t = warm_from;
        while t < start {
            t = (t + DAY_MS).min(start);
            sim.advance(t - 1, &mut scratch_events, &mut scratch_sessions);
            scratch_events.clear();
            scratch_sessions.clear();
        }
        sim.counters = FacilityCounters::default();
        let mut parked: Vec<ParkedCar> = sim.parked().copied().collect();
        parked.sort_by_key(|c| (c.in_time, c.session_id));
        for (k, car) in parked.iter().enumerate() {
            sim.pending.push(Event {
                event_id: car.in_event,
                session_id: car.session_id,
                kind: EventKind::CarIn,
                facility: f as u16,
                plate: car.plate,
                time: car.in_time,
                available_after: spots - (k as u32 + 1),
                duration_ms: 0,
                cost_cents: 0,
                pattern: car.in_tag,
            });
        }
        sim.counters.cars_in = parked.len() as u64;
        sim
    }

    /// The catalog index of this facility.
    pub fn index(&self) -> usize {
        self.f
    }

    /// Spots taken now.
    pub fn occupied(&self) -> u32 {
        self.occupied
    }

    /// Total spots.
    pub fn spots(&self) -> u32 {
        self.spots
    }

    /// The cars parked now (in no particular order).
    pub fn parked(&self) -> impl Iterator<Item = &ParkedCar> {
        self.departures
            .iter()
            .map(|Reverse((_, slot))| &self.cars[*slot as usize])
    }

    /// The current burst multiplier (1 when none).
    pub fn boost(&self, now: Millis) -> f64 {
        if now < self.boost_until {
            self.boost
        } else {
            1.0
        }
    }

    /// Multiplies arrivals by `factor` from `now` until `until` (the live simulator's Burst).
    pub fn set_boost(&mut self, factor: f64, now: Millis, until: Millis) {
        self.boost = factor.max(0.0);
        self.boost_until = until;
        // The arrival process is memoryless: restarting the segment at `now` is exact.
        self.start_segment(now.max(self.seg_start));
    }

    fn refresh_day(&mut self, t: Millis) {
        let tz = self.catalog.calendar.time_zone;
        self.day = calendar::local_day(tz, t);
        let fac_id = self.catalog.facilities[self.f].id as u64;
        let mut r = Rng::new(stream_seed(
            self.seed,
            kind::DAY,
            fac_id,
            self.day.day_number as u64,
        ));
        let cal = &self.catalog.calendar;
        let sigma2 = (1.0 + cal.day_variation_cv * cal.day_variation_cv).ln();
        let z = r.normal();
        self.day_factor = (sigma2.sqrt() * z - sigma2 / 2.0).exp();
        self.day_spike = r.f64() < cal.spike_day_probability;
        if self.day_spike {
            self.day_factor *= cal.spike_day_multiplier;
        }
    }

    fn start_segment(&mut self, t: Millis) {
        if t < self.day.start || t >= self.day.end {
            self.refresh_day(t);
        }
        let tz = self.catalog.calendar.time_zone;
        self.seg_start = t;
        self.seg_end = calendar::hour_start(t) + HOUR_MS;
        if self.boost_until > t && self.boost_until < self.seg_end {
            self.seg_end = self.boost_until;
        }
        self.seg_hour = calendar::local_hour(tz, t);
        let weekend = self.day.weekend_like();
        let district = self.catalog.facilities[self.f].district;
        let level = day_level(
            &self.catalog,
            district,
            self.day.weekday,
            self.day.month,
            self.day.holiday,
        ) * if weekend { self.weekend_factor } else { 1.0 };
        let rate = self.base_rate
            * level
            * self.day_factor
            * hour_shape(&self.catalog, self.f, weekend, self.seg_hour)
            * self.boost(t);
        self.seg_rate_per_ms = rate / HOUR_MS as f64;
        self.draw_next_arrival(t);
    }

    fn draw_next_arrival(&mut self, from: Millis) {
        self.next_arrival = if self.seg_rate_per_ms > 0.0 {
            let gap = self.rng.exp1() / self.seg_rate_per_ms;
            let t = from as f64 + gap;
            if t < self.seg_end as f64 {
                Some((t as Millis).max(from))
            } else {
                None
            }
        } else {
            None
        };
    }

    fn pattern(&self, kind: EventKind, t: Millis) -> PatternTag {
        let d = self.catalog.district_of(self.f);
        let weekend = self.day.weekend_like();
        let mult = if weekend {
            d.weekend_multiplier
        } else {
            d.weekday_multiplier
        };
        let h = self.seg_hour as usize;
        PatternTag {
            weekend,
            mult_tenths: (mult * 10.0).round().clamp(0.0, 255.0) as u8,
            peak_hour: match kind {
                EventKind::CarIn => d.peak_entry[h],
                EventKind::CarOut => d.peak_exit[h],
            },
            holiday: self.day.holiday,
            spike: self.day_spike,
            burst: self.boost(t) > 1.0,
        }
    }

    /// Emits every event up to and including instant `until`, in time order (a departure
    /// before an arrival at the same millisecond). Completed sessions go to `sessions`.
    pub fn advance(&mut self, until: Millis, events: &mut Vec<Event>, sessions: &mut Vec<Session>) {
        if !self.pending.is_empty() {
            events.append(&mut self.pending);
        }
        loop {
            let departure = self.departures.peek().map(|Reverse((t, _))| *t);
            if let Some(d) = departure {
                let first = match self.next_arrival {
                    Some(a) => d <= a,
                    None => d < self.seg_end,
                };
                if first {
                    if d > until {
                        break;
                    }
                    self.depart(events, sessions);
                    continue;
                }
            }
            match self.next_arrival {
                Some(a) if a <= until => {
                    self.arrive(a, events);
                    self.draw_next_arrival(a);
                }
                None if self.seg_end <= until => {
                    let t = self.seg_end;
                    self.start_segment(t);
                }
                _ => break,
            }
        }
    }

    /// Event times at a facility strictly increase (a clash moves the later event by 1 ms), so
    /// that replaying a facility's events in time order is unambiguous.
    fn next_time(&mut self, t: Millis) -> Millis {
        let t = t.max(self.last_time + 1);
        self.last_time = t;
        t
    }

    fn draw_plate(&mut self) -> PlateCode {
        let d = self.catalog.district_of(self.f);
        let fac_id = self.catalog.facilities[self.f].id as u64;
        if self.rng.f64() < d.returning_share {
            let pool = (self.spots as u64).max(10);
            let k = self.rng.below(pool);
            let mut r = Rng::new(stream_seed(self.seed, kind::REGULAR, fac_id, k));
            let code = self.plates.draw(&mut r, self.f);
            if !self.plates_in.contains(&code.0) {
                return code;
            }
        }
        loop {
            let code = self.plates.draw(&mut self.rng, self.f);
            if !self.plates_in.contains(&code.0) {
                return code;
            }
        }
    }

    fn arrive(&mut self, t: Millis, events: &mut Vec<Event>) {
        if self.occupied >= self.spots {
            self.counters.turned_away += 1;
            return;
        }
        let t = self.next_time(t);
        let profile = &self.catalog.stay_profiles[self.catalog.facilities[self.f].stay_profile];
        let stay = draw_stay(profile, self.seg_hour, &mut self.rng);
        let plate = self.draw_plate();
        let session_id = self.rng.uuid(self.tag, t);
        let event_id = self.rng.uuid(self.tag, t);
        let tag = self.pattern(EventKind::CarIn, t);
        let car = ParkedCar {
            session_id,
            in_event: event_id,
            plate,
            in_time: t,
            out_time: t + stay,
            in_hour: self.seg_hour,
            in_tag: tag,
        };
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.cars[s as usize] = car;
                s
            }
            None => {
                self.cars.push(car);
                (self.cars.len() - 1) as u32
            }
        };
        self.departures.push(Reverse((car.out_time, slot)));
        self.plates_in.insert(plate.0);
        self.occupied += 1;
        self.counters.cars_in += 1;
        events.push(Event {
            event_id,
            session_id,
            kind: EventKind::CarIn,
            facility: self.f as u16,
            plate,
            time: t,
            available_after: self.spots - self.occupied,
            duration_ms: 0,
            cost_cents: 0,
            pattern: tag,
        });
    }

    fn depart(&mut self, events: &mut Vec<Event>, sessions: &mut Vec<Session>) {
        let Some(Reverse((t, slot))) = self.departures.pop() else {
            return;
        };
        let car = self.cars[slot as usize];
        let t = self.next_time(t);
        self.free_slots.push(slot);
        self.plates_in.remove(&car.plate.0);
        self.occupied -= 1;
        self.counters.cars_out += 1;
        let duration = t - car.in_time;
        let cost = self.catalog.facilities[self.f].pricing.cost_cents(duration);
        let event_id = self.rng.uuid(self.tag, t);
        events.push(Event {
            event_id,
            session_id: car.session_id,
            kind: EventKind::CarOut,
            facility: self.f as u16,
            plate: car.plate,
            time: t,
            available_after: self.spots - self.occupied,
            duration_ms: duration,
            cost_cents: cost,
            pattern: self.pattern(EventKind::CarOut, t),
        });
        sessions.push(Session {
            session_id: car.session_id,
            plate: car.plate,
            facility: self.f as u16,
            in_time: car.in_time,
            out_time: Some(t),
            cost_cents: cost,
            status: SessionStatus::Completed,
        });
    }

    /// Replaces the cars parked now with `cars` and the counters with `counters`, dropping any
    /// warm-start arrivals not yet emitted. The live simulator uses it to continue a saved state:
    /// build the facility at the saved clock position, then put the saved cars back (their CAR_IN
    /// events were written before). Cars beyond the facility's spots are ignored.
    pub fn restore_parked(&mut self, cars: &[ParkedCar], counters: FacilityCounters) {
        self.pending.clear();
        self.cars.clear();
        self.free_slots.clear();
        self.departures.clear();
        self.plates_in.clear();
        let cars = &cars[..cars.len().min(self.spots as usize)];
        for car in cars {
            self.departures
                .push(Reverse((car.out_time, self.cars.len() as u32)));
            self.plates_in.insert(car.plate.0);
            self.last_time = self.last_time.max(car.in_time);
            self.cars.push(*car);
        }
        self.occupied = cars.len() as u32;
        self.counters = counters;
    }

    /// The sessions of the cars parked now, as `active` rows, in arrival order.
    pub fn active_sessions(&self, out: &mut Vec<Session>) {
        let mut cars: Vec<&ParkedCar> = self.parked().collect();
        cars.sort_by_key(|c| (c.in_time, c.session_id));
        out.extend(cars.into_iter().map(|c| Session {
            session_id: c.session_id,
            plate: c.plate,
            facility: self.f as u16,
            in_time: c.in_time,
            out_time: None,
            cost_cents: 0,
            status: SessionStatus::Active,
        }));
    }
}
