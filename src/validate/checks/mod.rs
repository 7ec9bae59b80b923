//! The invariant checks, made while the events stream past in time order.
//!
//! State kept (bounded by what is open at one instant, not by the size of the database): the
//! parked cars (open sessions) and their plates, occupancy per run and facility, sessions read
//! ahead from the out-time-ordered session scan, CAR_OUTs of the last 24 hours (to name a
//! doubled CAR_OUT), and CAR_IN counts per facility and local day.

mod runs;
mod sessions;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use chrono_tz::Tz;
use rusqlite::{Connection, Statement};

use super::db::{self, EventRow, Facilities, RunRow, SessionRow, EVENT_SQL};
use super::stats::{Collector, Totals};
use super::{CheckResult, Report, RunSummary};
use crate::engine::calendar;
use crate::engine::rng::uuid_tag;
use crate::model::{time_string, EventKind, Millis, DAY_MS, HOUR_MS};
use runs::{ceil_hour, day_of, parse_start, RunState};
use sessions::Cursor;

/// How long a closed session is remembered to name a second CAR_OUT or a late CAR_IN.
const RECENT_MS: Millis = DAY_MS;

const NAMES: [&str; 7] = [
    "every CAR_OUT has exactly one earlier CAR_IN with the same session, plate, state and facility",
    "occupancy stays within 0..=spots and available_spots_after matches the replay",
    "CAR_OUT duration is out - in and cost follows the facility's pricing rule",
    "sessions agree with their events; active sessions have no CAR_OUT",
    "a plate is never parked in two places at the same time",
    "same seed, catalog and settings give identical rows",
    "stopping and resuming a historical run gives the rows of an uninterrupted run",
];

/// A fast hasher for the validator's maps: ids are random in their low 64 bits already;
/// text keys (plates) get FNV-1a. The data is local, so hash flooding is no concern.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            h = (h ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_u128(&mut self, n: u128) {
        let x = (n as u64) ^ ((n >> 64) as u64).rotate_left(29);
        self.0 = (self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type IdMap<V> = HashMap<u128, V, BuildHasherDefault<IdHasher>>;

/// A car parked now (a CAR_IN seen, its CAR_OUT not yet).
struct OpenSession {
    tag: u16,
    in_event: u128,
    facility_id: i64,
    plate: Box<str>,
    state: Box<str>,
    in_time: Millis,
}

struct PlateEntry {
    session: u128,
    facility_id: i64,
    since: Millis,
}

#[derive(Default)]
struct FacState {
    occupied: i64,
    offset: i64,
    out_of_range: bool,
    last_time: Option<Millis>,
    daily_in: BTreeMap<i64, u32>,
}

pub(super) fn fmt_id(id: u128) -> String {
    let mut buf = [0u8; 36];
    crate::model::format_uuid(id, &mut buf).to_owned()
}

pub(super) fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

pub(super) fn opt_num(v: Option<f64>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |x| format!("{x}"))
}

/// The streaming validator.
pub struct Validator {
    tz: Tz,
    fac: Facilities,
    runs: BTreeMap<u16, RunState>,
    checks: Vec<CheckResult>,
    warnings: Vec<String>,
    open: IdMap<OpenSession>,
    plates: HashMap<String, PlateEntry, BuildHasherDefault<IdHasher>>,
    key: String,
    recent: IdMap<(Millis, u128)>,
    recent_order: VecDeque<(Millis, u128)>,
    pending: IdMap<SessionRow>,
    consumed: HashSet<u128, BuildHasherDefault<IdHasher>>,
    stats: Collector,
    totals: Totals,
    days: BTreeSet<i64>,
    turned_away: u64,
    first: Option<Millis>,
    last: Option<Millis>,
}

impl Validator {
    /// A validator for a database with these facilities and runs rows.
    pub fn new(fac: Facilities, run_rows: Vec<RunRow>, mut warnings: Vec<String>) -> Self {
        let tz = chrono_tz::America::New_York;
        let mut checks: Vec<CheckResult> = NAMES
            .iter()
            .enumerate()
            .map(|(i, n)| CheckResult::new(i as u8 + 1, n))
            .collect();
        for c in &mut checks[5..] {
            c.note = Some("checked by the test suite (one database cannot show it)".into());
        }
        for f in &fac.list {
            if let Err(problem) = &f.pricing {
                checks[2].fail(|| {
                    format!(
                        "facility {} ({}): {problem}; its costs are not checked",
                        f.id, f.name
                    )
                });
            }
        }
        let mut runs = BTreeMap::new();
        let mut turned_away = 0;
        for r in run_rows {
            turned_away += r.turned_away;
            let Some(tag) = r.tag else { continue };
            let finished = r
                .status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("finished"));
            let start = r.start_date.as_deref().and_then(|s| parse_start(tz, s));
            if start.is_none() {
                warnings.push(format!(
                    "run {}: start_date {:?} is not a date or timestamp; its statistics start \
                     at its first event",
                    r.run_id,
                    r.start_date.as_deref().unwrap_or("NULL")
                ));
            }
            let summary = RunSummary {
                run_id: r.run_id,
                tag: Some(tag),
                kind: r.kind,
                status: r.status,
                start_date: r.start_date,
                end_date: r.end_date,
                in_runs_table: true,
                finished,
                turned_away: r.turned_away,
                ..RunSummary::default()
            };
            runs.insert(tag, RunState::new(summary, start, fac.list.len()));
        }
        Validator {
            tz,
            stats: Collector::new(&fac.districts),
            fac,
            runs,
            checks,
            warnings,
            open: IdMap::default(),
            plates: HashMap::default(),
            key: String::new(),
            recent: IdMap::default(),
            recent_order: VecDeque::new(),
            pending: IdMap::default(),
            consumed: HashSet::default(),
            totals: Totals::default(),
            days: BTreeSet::new(),
            turned_away,
            first: None,
            last: None,
        }
    }

    /// The state of run `tag`, created (as finished, with a warning) when it has no runs row.
    fn run(&mut self, tag: u16) -> &mut RunState {
        let facilities = self.fac.list.len();
        let warnings = &mut self.warnings;
        self.runs.entry(tag).or_insert_with(|| {
            warnings.push(format!(
                "ids with run tag {tag:03x} have no row in the runs table: the run is checked \
                 as finished, and its statistics start at its first event"
            ));
            let summary = RunSummary {
                run_id: format!("{tag:03x}"),
                tag: Some(tag),
                finished: true,
                ..RunSummary::default()
            };
            RunState::new(summary, None, facilities)
        })
    }

    /// Streams every event in time order, merging the completed sessions as it goes.
    pub fn scan(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let mut ev_stmt = conn.prepare(EVENT_SQL)?;
        let mut ses_stmt = conn.prepare(&db::closed_sessions_sql())?;
        let mut lookup = conn.prepare(&db::session_by_id_sql())?;
        let mut cursor = Cursor::new(ses_stmt.query([])?);
        let mut rows = ev_stmt.query([])?;
        // Events of one millisecond are replayed together, CAR_OUTs first (a car may leave one
        // facility and enter another in the same millisecond). `group[..len]` holds them; the
        // slots are reused so that reading a row allocates nothing once warm.
        let mut group: Vec<EventRow> = vec![EventRow::default()];
        let mut len = 0;
        while let Some(row) = rows.next()? {
            self.totals.events += 1;
            if group.len() == len {
                group.push(EventRow::default());
            }
            if let Err(problem) = group[len].read(row) {
                let name = group[len].event_text.clone();
                self.checks[0].checked += 1;
                self.checks[0].fail(|| format!("event {name:?} is malformed: {problem}"));
                continue;
            }
            if len > 0 && group[len].time != group[0].time {
                self.instant(&group[..len], &mut cursor, &mut lookup)?;
                group.swap(0, len);
                len = 1;
            } else {
                len += 1;
            }
        }
        self.instant(&group[..len], &mut cursor, &mut lookup)?;
        while let Some(s) = cursor.next_until(Millis::MAX)? {
            self.session_ahead(s);
        }
        Ok(())
    }

    /// The events of one millisecond: sessions merged up to it, then CAR_OUTs, then CAR_INs.
    fn instant(
        &mut self,
        events: &[EventRow],
        cursor: &mut Cursor<'_>,
        lookup: &mut Statement<'_>,
    ) -> rusqlite::Result<()> {
        let Some(first) = events.first() else {
            return Ok(());
        };
        while let Some(s) = cursor.next_until(first.time)? {
            self.session_ahead(s);
        }
        for kind in [EventKind::CarOut, EventKind::CarIn] {
            for ev in events.iter().filter(|e| e.kind == kind) {
                self.event(ev, lookup)?;
            }
        }
        Ok(())
    }

    fn prune_recent(&mut self, now: Millis) {
        while let Some(&(t, id)) = self.recent_order.front() {
            if t >= now - RECENT_MS {
                break;
            }
            self.recent_order.pop_front();
            if self.recent.get(&id).is_some_and(|r| r.0 == t) {
                self.recent.remove(&id);
            }
        }
    }

    fn event(&mut self, ev: &EventRow, lookup: &mut Statement<'_>) -> rusqlite::Result<()> {
        let t = ev.time;
        self.prune_recent(t);
        self.first.get_or_insert(t);
        self.last = Some(t);
        let tag = uuid_tag(ev.event_id);
        self.checks[0].checked += 1;
        self.checks[2].checked += 1;
        if uuid_tag(ev.session_id) != tag {
            self.checks[0].fail(|| {
                format!(
                    "event {} (run {tag:03x}) names session {} of another run ({:03x})",
                    ev.event_text,
                    ev.session_text,
                    uuid_tag(ev.session_id)
                )
            });
        }
        let fi = self.fac.by_id.get(&ev.facility_id).copied();
        self.run(tag);
        self.advance_run(tag, t, fi);
        match ev.kind {
            EventKind::CarIn => self.car_in(ev, tag, fi),
            EventKind::CarOut => self.car_out(ev, tag, fi, lookup)?,
        }
        Ok(())
    }

    /// Run bookkeeping before an event of run `tag` at `t`: counters, hourly occupancy samples
    /// up to `t`, the day's CAR_IN count.
    fn advance_run(&mut self, tag: u16, t: Millis, fi: Option<usize>) {
        let tz = self.tz;
        let fac = &self.fac;
        let stats = &mut self.stats;
        let Some(run) = self.runs.get_mut(&tag) else {
            return;
        };
        run.summary.events += 1;
        run.first.get_or_insert(t);
        run.last = Some(t);
        if run.start.is_none() {
            run.start = Some(t);
            run.next_boundary = Some(ceil_hour(t));
        }
        if let Some(f) = fi.and_then(|f| run.facs.get_mut(f)) {
            if f.last_time == Some(t) {
                run.ties += 1;
            }
            f.last_time = Some(t);
        }
        while let Some(b) = run.next_boundary.filter(|b| *b <= t) {
            let day = day_of(tz, &mut run.sample_day, b);
            let hour = calendar::local_hour(tz, b);
            for (f, info) in fac.list.iter().enumerate() {
                if info.spots > 0 {
                    let ratio = run.facs[f].occupied as f64 / info.spots as f64;
                    stats.sample(info.district_idx, day.weekend_like(), hour, ratio);
                }
            }
            run.next_boundary = Some(b + HOUR_MS);
        }
        if run.start.is_some_and(|s| t >= s) {
            let day = day_of(tz, &mut run.event_day, t);
            self.days.insert(day.day_number);
        }
    }

    /// Replays one event on its facility's occupancy (invariant 2).
    fn replay(&mut self, ev: &EventRow, tag: u16, fi: Option<usize>, delta: i64) {
        let check = &mut self.checks[1];
        check.checked += 1;
        let Some(f) = fi else {
            check.fail(|| {
                format!(
                    "event {} at {}: facility {} is not in parking_facilities",
                    ev.event_text,
                    time_string(ev.time),
                    ev.facility_id
                )
            });
            return;
        };
        let info = &self.fac.list[f];
        let Some(run) = self.runs.get_mut(&tag) else {
            return;
        };
        let st = &mut run.facs[f];
        st.occupied += delta;
        let occ = st.occupied;
        // A wrong or missing row shifts every later row of the facility: a failure is counted
        // where the shift (stored minus replayed occupancy) changes to a new non-zero value,
        // and where the replay leaves 0..=spots, so one bad row is one failure. The check
        // fails exactly when some row disagrees with the replay from zero.
        // A replay out of range only because of an earlier reported shift is not reported again.
        let stored = info.spots - ev.available;
        let offset = stored - occ;
        let out_of_range = |n: i64| n < 0 || n > info.spots;
        let new_shift = offset != st.offset;
        let range_problem =
            out_of_range(stored) || (out_of_range(occ) && (offset == 0 || new_shift));
        let mut problems = Vec::new();
        if range_problem && !st.out_of_range {
            let shown = if out_of_range(occ) { occ } else { stored };
            if shown < 0 {
                problems.push(format!("occupancy {shown} is below 0"));
            } else {
                problems.push(format!(
                    "occupancy {shown} is above its {} spots",
                    info.spots
                ));
            }
        }
        st.out_of_range = range_problem;
        if offset != 0 && new_shift {
            problems.push(format!(
                "available_spots_after is {} but the replay gives {} - {occ} = {}",
                ev.available,
                info.spots,
                info.spots - occ
            ));
        }
        st.offset = offset;
        if ev.facility_name != info.name || ev.district != info.district {
            problems.push(format!(
                "facility_name/district are {:?}/{:?} but parking_facilities says {:?}/{:?}",
                ev.facility_name, ev.district, info.name, info.district
            ));
        }
        if !problems.is_empty() {
            check.fail(|| {
                format!(
                    "{} {} at {} (run {tag:03x}, facility {}): {}",
                    ev.kind.as_str(),
                    ev.event_text,
                    time_string(ev.time),
                    ev.facility_id,
                    problems.join("; ")
                )
            });
        }
    }

    fn plate_key(&mut self, tag: u16, state: &str, plate: &str) {
        use std::fmt::Write as _;
        self.key.clear();
        let _ = write!(self.key, "{tag:03x}|{state}|{plate}");
    }

    fn car_in(&mut self, ev: &EventRow, tag: u16, fi: Option<usize>) {
        self.totals.cars_in += 1;
        if ev.duration.is_some() || ev.cost.is_some() {
            self.checks[2].fail(|| {
                format!(
                    "CAR_IN {} at {}: parking_duration_hours {} and cost {} should be NULL",
                    ev.event_text,
                    time_string(ev.time),
                    opt_num(ev.duration),
                    opt_num(ev.cost)
                )
            });
        }
        self.replay(ev, tag, fi, 1);
        let sid = ev.session_id;
        if let Some(o) = self.open.get(&sid) {
            let first = (fmt_id(o.in_event), o.in_time);
            self.checks[0].fail(|| {
                format!(
                    "session {} has a second CAR_IN {} at {} (first CAR_IN {} at {})",
                    ev.session_text,
                    ev.event_text,
                    time_string(ev.time),
                    first.0,
                    time_string(first.1)
                )
            });
        } else if let Some(&(out_t, out_ev)) = self.recent.get(&sid) {
            let out_ev = fmt_id(out_ev);
            self.checks[0].fail(|| {
                format!(
                    "session {} has a CAR_IN {} at {} after its CAR_OUT {} at {}",
                    ev.session_text,
                    ev.event_text,
                    time_string(ev.time),
                    out_ev,
                    time_string(out_t)
                )
            });
        } else {
            self.checks[4].checked += 1;
            self.plate_key(tag, &ev.state, &ev.plate);
            match self.plates.get(self.key.as_str()) {
                Some(p) => {
                    let (other, other_fac, since) = (p.session, p.facility_id, p.since);
                    self.checks[4].fail(|| {
                        format!(
                            "plate {} {} enters facility {} at {} (CAR_IN {}, session {}) while \
                             parked at facility {other_fac} since {} (session {})",
                            ev.state,
                            ev.plate,
                            ev.facility_id,
                            time_string(ev.time),
                            ev.event_text,
                            ev.session_text,
                            time_string(since),
                            fmt_id(other)
                        )
                    });
                }
                None => {
                    self.plates.insert(
                        self.key.clone(),
                        PlateEntry {
                            session: sid,
                            facility_id: ev.facility_id,
                            since: ev.time,
                        },
                    );
                }
            }
            self.open.insert(
                sid,
                OpenSession {
                    tag,
                    in_event: ev.event_id,
                    facility_id: ev.facility_id,
                    plate: ev.plate.as_str().into(),
                    state: ev.state.as_str().into(),
                    in_time: ev.time,
                },
            );
        }
        let Some(run) = self.runs.get_mut(&tag) else {
            return;
        };
        run.summary.cars_in += 1;
        if run.start.is_some_and(|s| ev.time >= s) {
            if let Some(day) = run
                .event_day
                .filter(|d| d.start <= ev.time && ev.time < d.end)
            {
                if let Some(f) = fi.and_then(|f| run.facs.get_mut(f)) {
                    *f.daily_in.entry(day.day_number).or_insert(0) += 1;
                }
            }
            self.stats.car_in(&ev.state);
        }
    }

    fn car_out(
        &mut self,
        ev: &EventRow,
        tag: u16,
        fi: Option<usize>,
        lookup: &mut Statement<'_>,
    ) -> rusqlite::Result<()> {
        self.totals.cars_out += 1;
        if let Some(run) = self.runs.get_mut(&tag) {
            run.summary.cars_out += 1;
        }
        self.replay(ev, tag, fi, -1);
        let sid = ev.session_id;
        let opened = self.open.remove(&sid);
        match &opened {
            None => {
                let recent = self.recent.get(&sid).copied();
                self.checks[0].fail(|| match recent {
                    Some((t, e)) => format!(
                        "session {} has a second CAR_OUT {} at {} (first CAR_OUT {} at {})",
                        ev.session_text,
                        ev.event_text,
                        time_string(ev.time),
                        fmt_id(e),
                        time_string(t)
                    ),
                    None => format!(
                        "CAR_OUT {} at {} (facility {}, plate {} {}, session {}) has no earlier \
                         CAR_IN of its session still parked",
                        ev.event_text,
                        time_string(ev.time),
                        ev.facility_id,
                        ev.state,
                        ev.plate,
                        ev.session_text
                    ),
                });
            }
            Some(o) => {
                let mut diffs = Vec::new();
                if *o.plate != ev.plate || *o.state != ev.state {
                    diffs.push(format!(
                        "plate {} {} but CAR_IN {} has {} {}",
                        ev.state,
                        ev.plate,
                        fmt_id(o.in_event),
                        o.state,
                        o.plate
                    ));
                }
                if o.facility_id != ev.facility_id {
                    diffs.push(format!(
                        "facility {} but CAR_IN {} is at facility {}",
                        ev.facility_id,
                        fmt_id(o.in_event),
                        o.facility_id
                    ));
                }
                if !diffs.is_empty() {
                    self.checks[0].fail(|| {
                        format!(
                            "CAR_OUT {} at {} (session {}): {}",
                            ev.event_text,
                            time_string(ev.time),
                            ev.session_text,
                            diffs.join("; ")
                        )
                    });
                }
                self.plate_key(o.tag, &o.state, &o.plate);
                if self
                    .plates
                    .get(self.key.as_str())
                    .is_some_and(|p| p.session == sid)
                {
                    self.plates.remove(self.key.as_str());
                }
                self.check_price(ev, o, fi);
                if let Some(f) = fi {
                    let cost = ev.cost;
                    self.stats
                        .stay(self.fac.list[f].district_idx, ev.time - o.in_time, cost);
                }
            }
        }
        self.recent.insert(sid, (ev.time, ev.event_id));
        self.recent_order.push_back((ev.time, sid));
        self.match_session(ev, tag, opened.as_ref(), fi, lookup)
    }

    /// Invariant 3 for one CAR_OUT whose CAR_IN is known.
    fn check_price(&mut self, ev: &EventRow, o: &OpenSession, fi: Option<usize>) {
        let duration_ms = ev.time - o.in_time;
        let exact_h = duration_ms as f64 / HOUR_MS as f64;
        let mut problems = Vec::new();
        match ev.duration {
            None => problems.push("parking_duration_hours is NULL".to_owned()),
            Some(d) => {
                let two_dp = close(d * 100.0, (d * 100.0).round(), 1e-6);
                if !two_dp || !close(d, exact_h, 0.005 + 1e-9) {
                    problems.push(format!(
                        "parking_duration_hours is {d} but out - in is {exact_h:.4} h ({:.2})",
                        crate::model::hours_2dp(duration_ms)
                    ));
                }
            }
        }
        let pricing = fi.and_then(|f| self.fac.list[f].pricing.as_ref().ok());
        if let Some(p) = pricing {
            let want = p.cost_cents(duration_ms);
            match ev.cost {
                None => problems.push("cost is NULL".to_owned()),
                Some(c) => {
                    let cents = c * 100.0;
                    if !close(cents, cents.round(), 1e-6) || cents.round() as i64 != want {
                        problems.push(format!(
                            "cost is {c} but the pricing rule gives {:.2} for {exact_h:.2} h",
                            want as f64 / 100.0
                        ));
                    }
                }
            }
        }
        if !problems.is_empty() {
            self.checks[2].fail(|| {
                format!(
                    "CAR_OUT {} at {} (facility {}, session {}, in {}): {}",
                    ev.event_text,
                    time_string(ev.time),
                    ev.facility_id,
                    ev.session_text,
                    time_string(o.in_time),
                    problems.join("; ")
                )
            });
        }
    }

    /// The report.
    pub fn into_report(self, path: &Path) -> Report {
        let mut totals = self.totals;
        totals.days_covered = self.days.len() as u64;
        totals.first_event = self.first.map(time_string);
        totals.last_event = self.last.map(time_string);
        let stats = self.stats.finish(totals, self.turned_away);
        Report {
            database: path.to_owned(),
            checks: self.checks,
            warnings: self.warnings,
            stats,
            runs: self.runs.into_values().map(|r| r.summary).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_hasher_spreads_ids_that_differ_in_either_half() {
        let hash = |n: u128| {
            let mut h = IdHasher::default();
            std::hash::Hash::hash(&n, &mut h);
            h.finish()
        };
        assert_ne!(hash(1), hash(2));
        assert_ne!(hash(1 << 64), hash(2 << 64));
        assert_ne!(hash(1), hash(1 << 64));
    }
}
