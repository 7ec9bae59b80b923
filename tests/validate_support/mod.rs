//! Hand-built parking-iot databases for the validator's tests: a tiny "simulation" that writes
//! events and sessions exactly as the invariants demand, so each test can then break one thing.
#![allow(dead_code)]

use std::path::PathBuf;

use parking_iot::catalog::Pricing;
use parking_iot::model::{
    days_from_civil, format_uuid, hours_2dp, time_string, Millis, DAY_MS, HOUR_MS,
};
use rusqlite::{params, Connection};

/// The schema the store writes.
pub const SCHEMA: &str = include_str!("../../sql/sqlite_schema.sql");

/// A facility of the test catalog.
pub struct Fac {
    pub id: i64,
    pub name: &'static str,
    pub district: &'static str,
    pub spots: i64,
    pub rate_cents: i64,
    pub daily_max_cents: i64,
    pub increment: u32,
}

impl Fac {
    pub fn pricing(&self) -> Pricing {
        Pricing {
            rate_cents_per_hour: self.rate_cents,
            increment_minutes: self.increment,
            daily_max_cents: self.daily_max_cents,
        }
    }
}

/// Three facilities in three districts.
pub const FACILITIES: [Fac; 3] = [
    Fac {
        id: 1,
        name: "Alpha Garage",
        district: "Manhattan",
        spots: 3,
        rate_cents: 1000,
        daily_max_cents: 3000,
        increment: 60,
    },
    Fac {
        id: 2,
        name: "Beta Lot",
        district: "Brooklyn",
        spots: 2,
        rate_cents: 400,
        daily_max_cents: 2000,
        increment: 15,
    },
    Fac {
        id: 3,
        name: "Gamma Airport",
        district: "Airport",
        spots: 5,
        rate_cents: 800,
        daily_max_cents: 2900,
        increment: 60,
    },
];

pub fn fac(id: i64) -> &'static Fac {
    FACILITIES
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no facility {id}"))
}

/// A UTC instant in 2025.
pub fn utc_on(month: u32, day: u32, hour: i64, minute: i64) -> Millis {
    days_from_civil(2025, month, day) * DAY_MS + hour * HOUR_MS + minute * 60_000
}

/// A UTC instant in January 2025.
pub fn utc(day: u32, hour: i64, minute: i64) -> Millis {
    utc_on(1, day, hour, minute)
}

/// A New York local instant in January 2025 (EST, UTC-5).
pub fn ny(day: u32, hour: i64, minute: i64) -> Millis {
    utc(day, hour + 5, minute)
}

/// A UUIDv7-shaped id carrying `tag` (as the engine makes them).
pub fn id(tag: u16, time: Millis, seq: u64) -> String {
    let v = ((time as u128) << 80)
        | (0x7 << 76)
        | ((tag as u128 & 0xFFF) << 64)
        | (0x2 << 62)
        | (seq as u128 & 0x3FFF_FFFF_FFFF_FFFF);
    let mut buf = [0u8; 36];
    format_uuid(v, &mut buf).to_owned()
}

#[derive(Clone, Debug)]
pub struct Ev {
    pub id: String,
    pub out: bool,
    pub session: String,
    pub fac: i64,
    pub plate: String,
    pub state: String,
    pub time: Millis,
    pub available: i64,
    pub duration: Option<f64>,
    pub cost: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Sess {
    pub id: String,
    pub fac: i64,
    pub plate: String,
    pub state: String,
    pub in_time: Millis,
    pub in_event: String,
    pub out_time: Option<Millis>,
    pub out_event: Option<String>,
}

/// Records one run's events and sessions, computing availability, durations and costs.
/// Availability follows the call order: call `car_in`/`car_out` in time order per facility.
pub struct Run {
    pub tag: u16,
    pub start_date: String,
    pub end_date: Option<String>,
    pub kind: String,
    pub status: String,
    pub turned_away: i64,
    pub events: Vec<Ev>,
    pub sessions: Vec<Sess>,
    occupied: [i64; 4],
    seq: u64,
}

impl Run {
    pub fn new(tag: u16, start_date: &str, end_date: &str) -> Self {
        Run {
            tag,
            start_date: start_date.into(),
            end_date: Some(end_date.into()),
            kind: "historical".into(),
            status: "finished".into(),
            turned_away: 0,
            events: Vec::new(),
            sessions: Vec::new(),
            occupied: [0; 4],
            seq: 0,
        }
    }

    fn next_id(&mut self, t: Millis) -> String {
        self.seq += 1;
        id(self.tag, t, self.seq)
    }

    /// A car arrives; returns its session index. Capacity is NOT enforced (tests break it).
    pub fn car_in(&mut self, facility: i64, state: &str, plate: &str, t: Millis) -> usize {
        let session = self.next_id(t);
        let event = self.next_id(t);
        self.occupied[facility as usize] += 1;
        self.events.push(Ev {
            id: event.clone(),
            out: false,
            session: session.clone(),
            fac: facility,
            plate: plate.into(),
            state: state.into(),
            time: t,
            available: fac(facility).spots - self.occupied[facility as usize],
            duration: None,
            cost: None,
        });
        self.sessions.push(Sess {
            id: session,
            fac: facility,
            plate: plate.into(),
            state: state.into(),
            in_time: t,
            in_event: event,
            out_time: None,
            out_event: None,
        });
        self.sessions.len() - 1
    }

    /// The car of session `s` leaves at `t`.
    pub fn car_out(&mut self, s: usize, t: Millis) {
        let event = self.next_id(t);
        let sess = self.sessions[s].clone();
        let f = fac(sess.fac);
        self.occupied[sess.fac as usize] -= 1;
        let duration = t - sess.in_time;
        self.events.push(Ev {
            id: event.clone(),
            out: true,
            session: sess.id.clone(),
            fac: sess.fac,
            plate: sess.plate.clone(),
            state: sess.state.clone(),
            time: t,
            available: f.spots - self.occupied[sess.fac as usize],
            duration: Some(hours_2dp(duration)),
            cost: Some(f.pricing().cost_cents(duration) as f64 / 100.0),
        });
        self.sessions[s].out_time = Some(t);
        self.sessions[s].out_event = Some(event);
    }

    /// The id of the CAR_IN (`out == false`) or CAR_OUT of session `s`.
    pub fn event_of(&self, s: usize, out: bool) -> String {
        let sess = &self.sessions[s];
        if out {
            sess.out_event.clone().unwrap_or_default()
        } else {
            sess.in_event.clone()
        }
    }

    /// Writes the run: its runs row, events, completed sessions, and (when finished) the active
    /// sessions of the cars still parked.
    pub fn write(&self, conn: &Connection) {
        conn.execute(
            "INSERT INTO runs (run_id, kind, seed, start_date, end_date, volume, plate_preset, \
             catalog_source, catalog_fingerprint, days_total, days_done, events_written, \
             sessions_written, turned_away, status, created_at, updated_at) \
             VALUES (?1, ?2, 7, ?3, ?4, 'realistic', 'published', 'built-in catalog', 'abc', \
             1, 1, ?5, ?6, ?7, ?8, '2025-02-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z')",
            params![
                format!("{:03x}", self.tag),
                self.kind,
                self.start_date,
                self.end_date,
                self.events.len() as i64,
                self.sessions.len() as i64,
                self.turned_away,
                self.status
            ],
        )
        .unwrap();
        for e in &self.events {
            let f = fac(e.fac);
            conn.execute(
                "INSERT INTO parking_events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
                 ?12, ?13)",
                params![
                    e.id,
                    if e.out { "CAR_OUT" } else { "CAR_IN" },
                    e.session,
                    e.fac,
                    f.name,
                    f.district,
                    e.plate,
                    e.state,
                    time_string(e.time),
                    e.available,
                    e.duration,
                    e.cost,
                    format!("{}|weekday_normal|mult:1.0x", f.district)
                ],
            )
            .unwrap();
        }
        for s in &self.sessions {
            let f = fac(s.fac);
            let (duration, cost, status) = match s.out_time {
                Some(out) => (
                    Some(hours_2dp(out - s.in_time)),
                    Some(f.pricing().cost_cents(out - s.in_time) as f64 / 100.0),
                    "completed",
                ),
                None if self.status == "finished" => (None, None, "active"),
                None => continue,
            };
            conn.execute(
                "INSERT INTO parking_sessions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
                 ?11, ?12)",
                params![
                    s.id,
                    s.plate,
                    s.state,
                    s.fac,
                    f.name,
                    f.district,
                    time_string(s.in_time),
                    s.out_time.map(time_string),
                    duration,
                    f.rate_cents as f64 / 100.0,
                    cost,
                    status
                ],
            )
            .unwrap();
        }
    }
}

/// A fresh database file with the schema and the test facilities.
pub struct TestDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub conn: Connection,
}

pub fn new_db() -> TestDb {
    new_db_with_schema(SCHEMA)
}

pub fn new_db_with_schema(schema: &str) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parking.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(schema).unwrap();
    for f in &FACILITIES {
        conn.execute(
            "INSERT INTO parking_facilities (facility_id, name, district, total_spots, \
             rate_per_hour, daily_max, billing_increment_minutes, peak_hours, stay_profile) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '9,10', 'downtown')",
            params![
                f.id,
                f.name,
                f.district,
                f.spots,
                f.rate_cents as f64 / 100.0,
                f.daily_max_cents as f64 / 100.0,
                f.increment
            ],
        )
        .unwrap();
    }
    TestDb { dir, path, conn }
}

/// Session handles of [`clean_run`], by name.
pub struct Cars {
    /// Parked at the airport before the run starts (warm start), leaves on day 2: 73.5 h.
    pub a: usize,
    /// NJ D12-ABC at facility 1 for 2 h 20 min.
    pub b: usize,
    /// Facility 2 for 50 minutes (15-minute increments).
    pub c: usize,
    /// B's plate again, later, at facility 2 (a returning car).
    pub b2: usize,
    /// Facility 1 for 24 h 1 min (one daily maximum plus an hour).
    pub d: usize,
    /// Still parked at the end (active session).
    pub e: usize,
    /// A 30-second stay at the airport.
    pub f: usize,
}

/// A small, valid two-day run (2025-01-06 and 07, tag 0x0a1).
pub fn clean_run() -> (Run, Cars) {
    let mut r = Run::new(0x0a1, "2025-01-06", "2025-01-07");
    let a = r.car_in(3, "NY", "ABC-1234", utc(4, 15, 0));
    let b = r.car_in(1, "NJ", "D12-ABC", utc(6, 13, 0));
    let c = r.car_in(2, "CT", "AB-12345", utc(6, 14, 0));
    let d = r.car_in(1, "NY", "XYZ-9876", utc(6, 15, 0));
    r.car_out(c, utc(6, 14, 50));
    r.car_out(b, utc(6, 15, 20));
    let b2 = r.car_in(2, "NJ", "D12-ABC", utc(6, 16, 0));
    r.car_out(b2, utc(6, 19, 7));
    let f = r.car_in(3, "NY", "FLY-0001", utc(7, 10, 0));
    r.car_out(f, utc(7, 10, 0) + 30_000);
    let e = r.car_in(1, "FL", "FLA-1111", utc(7, 12, 0));
    r.car_out(d, utc(7, 15, 1));
    r.car_out(a, utc(7, 16, 30));
    (
        r,
        Cars {
            a,
            b,
            c,
            b2,
            d,
            e,
            f,
        },
    )
}
