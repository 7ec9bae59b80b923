//! The report as text for a terminal.

use std::fmt::Write as _;

use super::stats::{RealismStats, WEEKDAY, WEEKEND};
use super::Report;

/// SFpark's day-of-week entry index (Mon..Sun), the target shown beside the measured one.
const SFPARK_DOW: [f64; 7] = [0.83, 0.98, 1.05, 1.10, 1.19, 1.13, 0.71];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Renders `report`: runs, checks with examples, warnings, realism tables and the verdict.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "parking-iot validate: {}", report.database.display());
    runs(o, report);
    checks(o, report);
    if !report.warnings.is_empty() {
        let _ = writeln!(o, "\nWarnings");
        for w in &report.warnings {
            let _ = writeln!(o, "  - {w}");
        }
    }
    realism(o, &report.stats);
    let failed = report.checks.iter().filter(|c| !c.passed).count();
    if failed == 0 {
        let _ = writeln!(o, "\nResult: PASSED (every invariant holds)");
    } else {
        let _ = writeln!(
            o,
            "\nResult: FAILED ({failed} of {} invariant checks failed)",
            report.checks.len()
        );
    }
    let mut trimmed = String::with_capacity(out.len());
    for line in out.lines() {
        trimmed.push_str(line.trim_end());
        trimmed.push('\n');
    }
    trimmed
}

fn runs(o: &mut String, report: &Report) {
    let _ = writeln!(o, "\nRuns");
    if report.runs.is_empty() {
        let _ = writeln!(o, "  (none)");
        return;
    }
    let _ = writeln!(
        o,
        "  {:<8} {:<10} {:<9} {:<12} {:>10} {:>10} {:>10} {:>10} {:>8} {:>9} {:>5}  {:<24} {:<24}",
        "run",
        "kind",
        "status",
        "start",
        "events",
        "CAR_IN",
        "CAR_OUT",
        "completed",
        "active",
        "turned",
        "days",
        "first event",
        "last event"
    );
    for r in &report.runs {
        let _ = writeln!(
            o,
            "  {:<8} {:<10} {:<9} {:<12} {:>10} {:>10} {:>10} {:>10} {:>8} {:>9} {:>5}  {:<24} {:<24}",
            r.run_id,
            r.kind.as_deref().unwrap_or("-"),
            r.status.as_deref().unwrap_or("(no row)"),
            r.start_date.as_deref().unwrap_or("-"),
            r.events,
            r.cars_in,
            r.cars_out,
            r.sessions_completed,
            r.sessions_active,
            r.turned_away,
            r.full_days,
            r.first_event.as_deref().unwrap_or("-"),
            r.last_event.as_deref().unwrap_or("-")
        );
    }
}

fn checks(o: &mut String, report: &Report) {
    let _ = writeln!(o, "\nInvariants (the domain rules every run must keep)");
    for c in &report.checks {
        if let Some(note) = &c.note {
            let _ = writeln!(o, "  [ -- ] {} {}: {note}", c.invariant, c.name);
        } else if c.passed {
            let _ = writeln!(
                o,
                "  [PASS] {} {} ({} rows checked)",
                c.invariant, c.name, c.checked
            );
        } else {
            let _ = writeln!(
                o,
                "  [FAIL] {} {}: {} failures in {} rows checked",
                c.invariant, c.name, c.failures, c.checked
            );
            for e in &c.examples {
                let _ = writeln!(o, "         - {e}");
            }
            if c.failures > c.examples.len() as u64 {
                let _ = writeln!(
                    o,
                    "         ... and {} more",
                    c.failures - c.examples.len() as u64
                );
            }
        }
    }
}

fn ratio(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 0.995 => format!("{x:>4.2}"),
        Some(x) => format!("{:>4}", format!("{x:.2}").trim_start_matches('0')),
        None => "   -".to_owned(),
    }
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{x:.decimals$}"))
}

fn realism(o: &mut String, s: &RealismStats) {
    let t = &s.totals;
    let _ = writeln!(
        o,
        "\nRealism (the targets and the real garage data behind them: README, \"The traffic model\")"
    );
    let _ = writeln!(
        o,
        "  events {} (CAR_IN {}, CAR_OUT {}); sessions {} completed + {} active; \
         {} local days with events ({} .. {}); cars turned away {}",
        t.events,
        t.cars_in,
        t.cars_out,
        t.sessions_completed,
        t.sessions_active,
        t.days_covered,
        t.first_event.as_deref().unwrap_or("-"),
        t.last_event.as_deref().unwrap_or("-"),
        s.turned_away
    );
    for (kind, label) in [(WEEKDAY, "weekdays"), (WEEKEND, "weekends and holidays")] {
        let _ = writeln!(
            o,
            "\n  Mean occupancy ratio at each local hour (America/New_York), {label}"
        );
        let mut head = format!("  {:<14}", "district");
        for h in 0..24 {
            let _ = write!(head, " {h:>4}");
        }
        let _ = writeln!(o, "{head}");
        for d in &s.districts {
            let mut line = format!("  {d:<14}");
            if let Some(hours) = s.hourly_occupancy.get(d) {
                for v in hours[kind] {
                    let _ = write!(line, " {}", ratio(v));
                }
            }
            let _ = writeln!(o, "{line}");
        }
    }
    let _ = writeln!(
        o,
        "\n  Peak hour and peak / night (05:00) ratio\n  {:<14} {:>8} {:>6} {:>6} {:>7}   {:>8} {:>6} {:>6} {:>7}",
        "district", "wd hour", "peak", "05:00", "ratio", "we hour", "peak", "05:00", "ratio"
    );
    for d in &s.districts {
        let mut line = format!("  {d:<14}");
        if let Some(peaks) = s.peaks.get(d) {
            for (i, p) in peaks.iter().enumerate() {
                let sep = if i == 0 { "" } else { "  " };
                match p {
                    Some(p) => {
                        let _ = write!(
                            line,
                            "{sep} {:>6}:00 {:>6.2} {:>6} {:>7}",
                            p.hour,
                            p.peak,
                            num(p.night, 2),
                            num(p.ratio, 1)
                        );
                    }
                    None => {
                        let _ = write!(line, "{sep} {:>8} {:>6} {:>6} {:>7}", "-", "-", "-", "-");
                    }
                }
            }
        }
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(
        o,
        "\n  Day-of-week entry index (CAR_IN per whole day / mean)"
    );
    let mut head = format!("  {:<14}", "");
    let mut measured = format!("  {:<14}", "measured");
    let mut days = format!("  {:<14}", "days");
    let mut target = format!("  {:<14}", "SFpark");
    for i in 0..7 {
        let _ = write!(head, " {:>5}", DAYS[i]);
        let _ = write!(measured, " {:>5}", num(s.dow_index[i], 2));
        let _ = write!(days, " {:>5}", s.dow_days[i]);
        let _ = write!(target, " {:>5.2}", SFPARK_DOW[i]);
    }
    let _ = writeln!(o, "{head}\n{measured}\n{days}\n{target}");
    let _ = writeln!(
        o,
        "\n  Day-to-day CV of daily CAR_IN per facility, same weekday (target about 0.2): {}",
        num(s.day_cv, 3)
    );
    for d in &s.districts {
        if let Some(cv) = s.day_cv_by_district.get(d) {
            let _ = writeln!(o, "    {d:<14} {cv:.3}");
        }
    }
    let _ = writeln!(
        o,
        "\n  Stay durations (hours)\n  {:<14} {:>10} {:>8} {:>8} {:>8}",
        "district", "stays", "median", "p90", "mean"
    );
    for d in &s.districts {
        if let Some(n) = s.stay_count.get(d) {
            let _ = writeln!(
                o,
                "  {d:<14} {n:>10} {:>8} {:>8} {:>8}",
                num(s.stay_median_hours.get(d).copied(), 2),
                num(s.stay_p90_hours.get(d).copied(), 2),
                num(s.stay_mean_hours.get(d).copied(), 2)
            );
        }
    }
    let mut shares: Vec<(&String, &f64)> = s.plate_shares.iter().collect();
    shares.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    let _ = writeln!(o, "\n  Plate states (share of CAR_IN)");
    let line: Vec<String> = shares
        .iter()
        .map(|(st, sh)| format!("{st} {:.1}%", *sh * 100.0))
        .collect();
    for chunk in line.chunks(10) {
        let _ = writeln!(o, "    {}", chunk.join("  "));
    }
    let _ = writeln!(
        o,
        "\n  Cost by stay length\n  {:<8} {:>10} {:>10}",
        "stay", "stays", "mean cost"
    );
    for b in &s.cost_bands {
        let _ = writeln!(
            o,
            "  {:<8} {:>10} {:>10}",
            b.label,
            b.count,
            b.mean_cost
                .map_or_else(|| "-".to_owned(), |c| format!("${c:.2}"))
        );
    }
}
