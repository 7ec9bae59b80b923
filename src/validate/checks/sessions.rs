//! Invariant 4: completed sessions merged with the CAR_OUT events in out-time order (or found
//! by id), active sessions compared with the cars still parked at the end, and the
//! field-by-field comparisons.

use rusqlite::{Connection, Rows, Statement};

use super::{close, fmt_id, opt_num, OpenSession, Validator};
use crate::engine::rng::uuid_tag;
use crate::model::{time_string, Millis};
use crate::validate::db::{self, EventRow, FacilityInfo, SessionRow};

/// The session rows in out-time order, read one ahead.
pub(super) struct Cursor<'s> {
    rows: Rows<'s>,
    peeked: Option<Result<SessionRow, String>>,
    peeked_out: Millis,
    done: bool,
}

impl<'s> Cursor<'s> {
    /// A cursor over the rows of [`db::closed_sessions_sql`].
    pub(super) fn new(rows: Rows<'s>) -> Self {
        Cursor {
            rows,
            peeked: None,
            peeked_out: 0,
            done: false,
        }
    }

    /// The next row whose out time is at or before `t` (malformed rows come at once).
    pub(super) fn next_until(
        &mut self,
        t: Millis,
    ) -> rusqlite::Result<Option<Result<SessionRow, String>>> {
        if self.peeked.is_none() && !self.done {
            match self.rows.next()? {
                Some(r) => {
                    let s = SessionRow::read(r);
                    self.peeked_out = match &s {
                        Ok(s) => s.out_time.unwrap_or(Millis::MIN),
                        Err(_) => Millis::MIN,
                    };
                    self.peeked = Some(s);
                }
                None => self.done = true,
            }
        }
        if self.peeked.is_some() && self.peeked_out <= t {
            Ok(self.peeked.take())
        } else {
            Ok(None)
        }
    }
}

impl Validator {
    /// A completed session read from the out-time-ordered scan, before its CAR_OUT.
    pub(super) fn session_ahead(&mut self, s: Result<SessionRow, String>) {
        match s {
            Err(problem) => {
                self.checks[3].checked += 1;
                self.checks[3].fail(|| problem);
            }
            // Matched earlier by id (and counted then).
            Ok(s) if self.consumed.remove(&s.session_id) => {}
            Ok(s) => {
                self.checks[3].checked += 1;
                self.count_session(&s);
                self.pending.insert(s.session_id, s);
            }
        }
    }

    pub(super) fn count_session(&mut self, s: &SessionRow) {
        let active = s.status == "active";
        let run = self.run(uuid_tag(s.session_id));
        if active {
            run.summary.sessions_active += 1;
            self.totals.sessions_active += 1;
        } else {
            run.summary.sessions_completed += 1;
            self.totals.sessions_completed += 1;
        }
    }

    /// Invariant 4 for one CAR_OUT: its completed session row, from the merge or by id.
    pub(super) fn match_session(
        &mut self,
        ev: &EventRow,
        tag: u16,
        o: Option<&OpenSession>,
        fi: Option<usize>,
        lookup: &mut Statement<'_>,
    ) -> rusqlite::Result<()> {
        let finished = self.runs.get(&tag).is_some_and(|r| r.summary.finished);
        let row = match self.pending.remove(&ev.session_id) {
            Some(s) => Some(Ok(s)),
            None => {
                let mut rows = lookup.query([ev.session_text.as_str()])?;
                match rows.next()? {
                    None => None,
                    Some(r) => {
                        let s = SessionRow::read(r);
                        self.consumed.insert(ev.session_id);
                        if let Ok(s) = &s {
                            // Counted here; the scans skip consumed rows.
                            self.count_session(s);
                            self.checks[3].checked += 1;
                        }
                        Some(s)
                    }
                }
            }
        };
        match row {
            None if finished => self.checks[3].fail(|| {
                format!(
                    "CAR_OUT {} at {} (session {}) has no session row",
                    ev.event_text,
                    time_string(ev.time),
                    ev.session_text
                )
            }),
            None => {
                if let Some(r) = self.runs.get_mut(&tag) {
                    r.unwritten += 1;
                }
            }
            Some(Err(problem)) => self.checks[3].fail(|| problem),
            Some(Ok(s)) if s.status == "active" && s.out_time.is_none() && !finished => {
                if let Some(r) = self.runs.get_mut(&tag) {
                    r.unwritten += 1;
                }
            }
            Some(Ok(s)) => {
                let info = fi.map(|f| &self.fac.list[f]);
                let diffs = completed_diffs(&s, ev, o, info);
                if !diffs.is_empty() {
                    self.checks[3].fail(|| {
                        format!(
                            "session {} (CAR_OUT {} at {}): {}",
                            s.session_text,
                            ev.event_text,
                            time_string(ev.time),
                            diffs.join("; ")
                        )
                    });
                }
            }
        }
        Ok(())
    }

    /// After the scan: orphan completed sessions, active sessions against the cars still parked,
    /// run summaries and statistics.
    pub fn finish(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let mut orphans: Vec<SessionRow> = self.pending.drain().map(|(_, s)| s).collect();
        orphans.sort_by_key(|s| (s.out_time, s.session_id));
        for s in orphans {
            let parked = self.open.remove(&s.session_id);
            self.checks[3].fail(|| match parked {
                Some(o) => format!(
                    "session {} is {} with out_time {} but no CAR_OUT exists (CAR_IN {} at {})",
                    s.session_text,
                    s.status,
                    s.out_time.map(time_string).unwrap_or_default(),
                    fmt_id(o.in_event),
                    time_string(o.in_time)
                ),
                None => format!(
                    "session {} ({}, out_time {}) has no CAR_IN or CAR_OUT event",
                    s.session_text,
                    s.status,
                    s.out_time.map(time_string).unwrap_or_default()
                ),
            });
        }
        let mut stmt = conn.prepare(&db::open_sessions_sql())?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let s = match SessionRow::read(r) {
                Ok(s) => s,
                Err(problem) => {
                    self.checks[3].checked += 1;
                    self.checks[3].fail(|| problem);
                    continue;
                }
            };
            if self.consumed.remove(&s.session_id) {
                continue;
            }
            self.checks[3].checked += 1;
            self.count_session(&s);
            let parked = self.open.remove(&s.session_id);
            if s.status != "active" {
                self.checks[3].fail(|| {
                    format!(
                        "session {} has status {:?} but no out_time",
                        s.session_text, s.status
                    )
                });
                continue;
            }
            match parked {
                None => self.checks[3].fail(|| {
                    format!(
                        "active session {} (plate {} {}, facility {}, in {}) has no parked car: \
                         no CAR_IN without a CAR_OUT",
                        s.session_text,
                        s.state,
                        s.plate,
                        s.facility_id,
                        time_string(s.in_time)
                    )
                }),
                Some(o) => {
                    let info = self
                        .fac
                        .by_id
                        .get(&o.facility_id)
                        .map(|f| &self.fac.list[*f]);
                    let diffs = active_diffs(&s, &o, info);
                    if !diffs.is_empty() {
                        self.checks[3].fail(|| {
                            format!(
                                "active session {} (CAR_IN {} at {}): {}",
                                s.session_text,
                                fmt_id(o.in_event),
                                time_string(o.in_time),
                                diffs.join("; ")
                            )
                        });
                    }
                }
            }
        }
        let mut left: Vec<(u128, OpenSession)> = self.open.drain().collect();
        left.sort_by_key(|(id, o)| (o.in_time, *id));
        for (id, o) in left {
            let finished = self.runs.get(&o.tag).is_some_and(|r| r.summary.finished);
            if finished {
                self.checks[3].checked += 1;
                self.checks[3].fail(|| {
                    format!(
                        "CAR_IN {} at {} (session {}, plate {} {}, facility {}) has no CAR_OUT \
                         and no active session row",
                        fmt_id(o.in_event),
                        time_string(o.in_time),
                        fmt_id(id),
                        o.state,
                        o.plate,
                        o.facility_id
                    )
                });
            } else if let Some(r) = self.runs.get_mut(&o.tag) {
                r.unwritten += 1;
            }
        }
        self.finish_runs();
        Ok(())
    }

    /// Finds repeated ids in `table.column` when the schema does not make it a primary key
    /// (a parking-iot schema does; hand-made or older tables may not). Invariant `check` + 1.
    pub fn duplicate_ids(
        &mut self,
        conn: &Connection,
        table: &str,
        column: &str,
        check: usize,
    ) -> rusqlite::Result<()> {
        let is_key = db::columns(conn, table)?
            .get(column)
            .is_some_and(|pk| *pk > 0);
        if is_key {
            return Ok(());
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT {column}, COUNT(*) FROM {table} GROUP BY {column} HAVING COUNT(*) > 1 \
             ORDER BY {column}"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id = db::text(r, 0).unwrap_or("?").to_owned();
            let n = db::int(r, 1).unwrap_or(0);
            self.checks[check].fail(|| format!("{column} {id} occurs {n} times in {table}"));
        }
        Ok(())
    }
}

fn diff_text(diffs: &mut Vec<String>, field: &str, session: &str, event: &str, what: &str) {
    if session != event {
        diffs.push(format!("{field} is {session:?} but {what} says {event:?}"));
    }
}

fn diff_num(
    diffs: &mut Vec<String>,
    field: &str,
    session: Option<f64>,
    event: Option<f64>,
    tol: f64,
) {
    let same = match (session, event) {
        (None, None) => true,
        (Some(a), Some(b)) => close(a, b, tol),
        _ => false,
    };
    if !same {
        diffs.push(format!(
            "{field} is {} but the CAR_OUT says {}",
            opt_num(session),
            opt_num(event)
        ));
    }
}

/// Field-by-field differences between a completed session and its CAR_IN/CAR_OUT.
fn completed_diffs(
    s: &SessionRow,
    ev: &EventRow,
    o: Option<&OpenSession>,
    info: Option<&FacilityInfo>,
) -> Vec<String> {
    let mut d = Vec::new();
    diff_text(&mut d, "license_plate", &s.plate, &ev.plate, "the CAR_OUT");
    diff_text(
        &mut d,
        "license_plate_state",
        &s.state,
        &ev.state,
        "the CAR_OUT",
    );
    if s.facility_id != ev.facility_id {
        d.push(format!(
            "facility_id is {} but the CAR_OUT says {}",
            s.facility_id, ev.facility_id
        ));
    }
    diff_text(
        &mut d,
        "facility_name",
        &s.facility_name,
        &ev.facility_name,
        "the CAR_OUT",
    );
    diff_text(&mut d, "district", &s.district, &ev.district, "the CAR_OUT");
    if let Some(o) = o {
        if s.in_time != o.in_time {
            d.push(format!(
                "in_time is {} but the CAR_IN is at {}",
                time_string(s.in_time),
                time_string(o.in_time)
            ));
        }
    }
    if s.out_time != Some(ev.time) {
        d.push(format!(
            "out_time is {} but the CAR_OUT is at {}",
            s.out_time.map_or_else(|| "NULL".to_owned(), time_string),
            time_string(ev.time)
        ));
    }
    diff_num(
        &mut d,
        "actual_duration_hours",
        s.duration,
        ev.duration,
        1e-6,
    );
    diff_num(&mut d, "cost", s.cost, ev.cost, 0.0005);
    if let Some(f) = info {
        if !close(s.rate, f.rate_per_hour, 1e-6) {
            d.push(format!(
                "rate_per_hour is {} but facility {} charges {}",
                s.rate, f.id, f.rate_per_hour
            ));
        }
    }
    if s.status != "completed" {
        d.push(format!("status is {:?} but the car left", s.status));
    }
    d
}

/// Differences between an active session and the CAR_IN of the car still parked.
fn active_diffs(s: &SessionRow, o: &OpenSession, info: Option<&FacilityInfo>) -> Vec<String> {
    let mut d = Vec::new();
    diff_text(&mut d, "license_plate", &s.plate, &o.plate, "the CAR_IN");
    diff_text(
        &mut d,
        "license_plate_state",
        &s.state,
        &o.state,
        "the CAR_IN",
    );
    if s.facility_id != o.facility_id {
        d.push(format!(
            "facility_id is {} but the CAR_IN says {}",
            s.facility_id, o.facility_id
        ));
    }
    if let Some(f) = info {
        diff_text(
            &mut d,
            "facility_name",
            &s.facility_name,
            &f.name,
            "parking_facilities",
        );
        diff_text(
            &mut d,
            "district",
            &s.district,
            &f.district,
            "parking_facilities",
        );
        if !close(s.rate, f.rate_per_hour, 1e-6) {
            d.push(format!(
                "rate_per_hour is {} but facility {} charges {}",
                s.rate, f.id, f.rate_per_hour
            ));
        }
    }
    if s.in_time != o.in_time {
        d.push(format!(
            "in_time is {} but the CAR_IN is at {}",
            time_string(s.in_time),
            time_string(o.in_time)
        ));
    }
    if s.duration.is_some() || s.cost.is_some() {
        d.push(format!(
            "actual_duration_hours {} and cost {} should be NULL while active",
            opt_num(s.duration),
            opt_num(s.cost)
        ));
    }
    d
}
