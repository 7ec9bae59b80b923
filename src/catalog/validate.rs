//! Turns the catalog file into a [`Catalog`], refusing every value the simulator cannot use.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;

use super::file::*;
use super::*;

/// Collects the context an error needs: the file name and the text to find line numbers in.
struct Checker<'a> {
    text: &'a str,
    file: &'a str,
}

impl<'a> Checker<'a> {
    fn line(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].bytes().filter(|b| *b == b'\n').count() + 1
    }

    fn err(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> CatalogError {
        CatalogError {
            file: self.file.to_owned(),
            line: self.line(span),
            field: field.into(),
            message: message.into(),
        }
    }

    fn range(&self, v: &Spanned<f64>, field: &str, lo: f64, hi: f64) -> Result<f64, CatalogError> {
        let x = *v.get_ref();
        if x.is_finite() && x >= lo && x <= hi {
            Ok(x)
        } else {
            Err(self.err(
                v.span(),
                field,
                format!("{x} is out of range: expected a number from {lo} to {hi}"),
            ))
        }
    }

    fn hours(&self, v: &Spanned<Vec<i64>>, field: &str) -> Result<[bool; 24], CatalogError> {
        let mut out = [false; 24];
        for h in v.get_ref() {
            if !(0..24).contains(h) {
                return Err(self.err(v.span(), field, format!("hour {h} is not between 0 and 23")));
            }
            out[*h as usize] = true;
        }
        Ok(out)
    }

    fn array<const N: usize>(
        &self,
        v: &Spanned<Vec<f64>>,
        field: &str,
        lo: f64,
        hi: f64,
    ) -> Result<[f64; N], CatalogError> {
        let values = v.get_ref();
        if values.len() != N {
            return Err(self.err(
                v.span(),
                field,
                format!("expected {N} numbers, found {}", values.len()),
            ));
        }
        let mut out = [0.0; N];
        for (i, x) in values.iter().enumerate() {
            if !x.is_finite() || *x < lo || *x > hi {
                return Err(self.err(
                    v.span(),
                    field,
                    format!("value {} ({x}) is out of range {lo} to {hi}", i + 1),
                ));
            }
            out[i] = *x;
        }
        Ok(out)
    }
}

pub(super) fn parse(text: &str, source: &str) -> Result<Catalog, CatalogError> {
    let c = Checker { text, file: source };
    let raw: CatalogFile = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        c.err(
            span,
            "file",
            format!("not a valid catalog: {}", e.message().trim()),
        )
    })?;
    if *raw.version.get_ref() != 1 {
        return Err(c.err(
            raw.version.span(),
            "version",
            "this program reads catalog version 1",
        ));
    }

    let cal = &raw.calendar;
    let time_zone: chrono_tz::Tz = cal.time_zone.get_ref().parse().map_err(|_| {
        c.err(
            cal.time_zone.span(),
            "calendar.time_zone",
            format!(
                "unknown time zone '{}': use an IANA name such as America/New_York",
                cal.time_zone.get_ref()
            ),
        )
    })?;
    let mut dow: [f64; 7] = c.array(
        &cal.day_of_week_index,
        "calendar.day_of_week_index",
        0.01,
        100.0,
    )?;
    // Normalise weekdays and weekends separately: the district multipliers carry the level.
    let wd_mean = dow[..5].iter().sum::<f64>() / 5.0;
    let we_mean = dow[5..].iter().sum::<f64>() / 2.0;
    for (i, x) in dow.iter_mut().enumerate() {
        *x /= if i < 5 { wd_mean } else { we_mean };
    }
    let calendar = CalendarSettings {
        time_zone,
        day_of_week_index: dow,
        day_variation_cv: c.range(&cal.day_variation_cv, "calendar.day_variation_cv", 0.0, 2.0)?,
        spike_day_probability: c.range(
            &cal.spike_day_probability,
            "calendar.spike_day_probability",
            0.0,
            1.0,
        )?,
        spike_day_multiplier: c.range(
            &cal.spike_day_multiplier,
            "calendar.spike_day_multiplier",
            0.0,
            20.0,
        )?,
        facility_peak_boost: c.range(
            &cal.facility_peak_boost,
            "calendar.facility_peak_boost",
            0.0,
            20.0,
        )?,
    };
    let hourly_weekday = c.array(
        &raw.hourly_shape.weekday,
        "hourly_shape.weekday",
        0.0,
        100.0,
    )?;
    let hourly_weekend = c.array(
        &raw.hourly_shape.weekend,
        "hourly_shape.weekend",
        0.0,
        100.0,
    )?;
    for (shape, field, span) in [
        (
            &hourly_weekday,
            "hourly_shape.weekday",
            raw.hourly_shape.weekday.span(),
        ),
        (
            &hourly_weekend,
            "hourly_shape.weekend",
            raw.hourly_shape.weekend.span(),
        ),
    ] {
        if shape.iter().sum::<f64>() <= 0.0 {
            return Err(c.err(span, field, "at least one hour must have arrivals"));
        }
    }
    let original_sessions_per_day = c.range(
        &raw.volume.original_sessions_per_day,
        "volume.original_sessions_per_day",
        1.0,
        10_000_000.0,
    )?;

    let stay_profiles = stay_profiles(&c, &raw.stay_profiles)?;
    let profile_index = |name: &Spanned<String>, field: &str| -> Result<usize, CatalogError> {
        stay_profiles
            .iter()
            .position(|p| &p.name == name.get_ref())
            .ok_or_else(|| {
                let known: Vec<&str> = stay_profiles.iter().map(|p| p.name.as_str()).collect();
                c.err(
                    name.span(),
                    field,
                    format!(
                        "unknown stay profile '{}': known profiles are {}",
                        name.get_ref(),
                        known.join(", ")
                    ),
                )
            })
    };

    if raw.districts.is_empty() {
        return Err(c.err(0..0, "district", "the catalog defines no district"));
    }
    let mut districts = Vec::with_capacity(raw.districts.len());
    for (i, d) in raw.districts.iter().enumerate() {
        let f = |name: &str| format!("district[{}].{name}", i + 1);
        let name = d.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(c.err(d.name.span(), f("name"), "a district needs a name"));
        }
        if districts.iter().any(|x: &District| x.name == name) {
            return Err(c.err(
                d.name.span(),
                f("name"),
                format!("district '{name}' is defined twice"),
            ));
        }
        if name.contains('|') {
            return Err(c.err(
                d.name.span(),
                f("name"),
                "a district name cannot contain '|' (it separates the traffic_pattern fields)",
            ));
        }
        districts.push(District {
            name,
            weekday_multiplier: c.range(
                &d.weekday_multiplier,
                &f("weekday_multiplier"),
                0.0,
                25.5,
            )?,
            weekend_multiplier: c.range(
                &d.weekend_multiplier,
                &f("weekend_multiplier"),
                0.0,
                25.5,
            )?,
            peak_entry: c.hours(&d.peak_entry_hours, &f("peak_entry_hours"))?,
            peak_exit: c.hours(&d.peak_exit_hours, &f("peak_exit_hours"))?,
            entry_boost: c.range(&d.entry_boost, &f("entry_boost"), 0.0, 20.0)?,
            exit_boost: c.range(&d.exit_boost, &f("exit_boost"), 0.0, 20.0)?,
            avg_stay_hours: c.range(&d.avg_stay_hours, &f("avg_stay_hours"), 0.0, 24.0 * 60.0)?,
            target_peak_occupancy: c.range(
                &d.target_peak_occupancy,
                &f("target_peak_occupancy"),
                0.01,
                1.0,
            )?,
            target_peak_occupancy_weekend: match &d.target_peak_occupancy_weekend {
                Some(v) => Some(c.range(v, &f("target_peak_occupancy_weekend"), 0.01, 1.0)?),
                None => None,
            },
            stay_profile: profile_index(&d.stay_profile, &f("stay_profile"))?,
            returning_share: c.range(&d.returning_share, &f("returning_share"), 0.0, 0.95)?,
            holiday_multiplier: c.range(
                &d.holiday_multiplier,
                &f("holiday_multiplier"),
                0.0,
                20.0,
            )?,
            month_index: c.array(&d.month_index, &f("month_index"), 0.01, 100.0)?,
        });
    }

    let plates = plates(&c, &raw.plates)?;

    if raw.facilities.is_empty() {
        return Err(c.err(0..0, "facility", "the catalog defines no facility"));
    }
    let mut ids = HashSet::new();
    let mut facilities = Vec::with_capacity(raw.facilities.len());
    for (i, fac) in raw.facilities.iter().enumerate() {
        let f = |name: &str| format!("facility[{}].{name}", i + 1);
        let id = *fac.id.get_ref();
        if !(1..=i64::from(u32::MAX)).contains(&id) {
            return Err(c.err(
                fac.id.span(),
                f("id"),
                format!("id {id} must be a positive whole number"),
            ));
        }
        if !ids.insert(id) {
            return Err(c.err(
                fac.id.span(),
                f("id"),
                format!("duplicate facility id {id}: every facility needs its own id"),
            ));
        }
        let name = fac.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(c.err(fac.name.span(), f("name"), "a facility needs a name"));
        }
        let district = districts
            .iter()
            .position(|d| d.name == *fac.district.get_ref())
            .ok_or_else(|| {
                let known: Vec<&str> = districts.iter().map(|d| d.name.as_str()).collect();
                c.err(
                    fac.district.span(),
                    f("district"),
                    format!(
                        "unknown district '{}': known districts are {}",
                        fac.district.get_ref(),
                        known.join(", ")
                    ),
                )
            })?;
        let spots = *fac.spots.get_ref();
        if !(1..=1_000_000).contains(&spots) {
            return Err(c.err(
                fac.spots.span(),
                f("spots"),
                format!("{spots} spots: a facility needs between 1 and 1,000,000 spots"),
            ));
        }
        let rate = *fac.rate_per_hour.get_ref();
        if !rate.is_finite() || !(0.0..=10_000.0).contains(&rate) {
            return Err(c.err(fac.rate_per_hour.span(), f("rate_per_hour"), format!("rate {rate} must be between 0 and 10000 dollars an hour (negative rates are not allowed)")));
        }
        let daily_max = *fac.daily_max.get_ref();
        if !daily_max.is_finite() || !(0.0..=100_000.0).contains(&daily_max) {
            return Err(c.err(
                fac.daily_max.span(),
                f("daily_max"),
                format!("daily maximum {daily_max} must be between 0 and 100000 dollars"),
            ));
        }
        if daily_max < rate.min(1.0) && rate > 0.0 {
            return Err(c.err(fac.daily_max.span(), f("daily_max"), "a paid facility needs a daily maximum of at least $1: set the most a car pays per 24 hours"));
        }
        let increment = match &fac.billing_increment_minutes {
            Some(v) => {
                let m = *v.get_ref();
                if !(1..=1440).contains(&m) {
                    return Err(c.err(
                        v.span(),
                        f("billing_increment_minutes"),
                        format!("{m} minutes: the billing increment must be 1 to 1440 minutes"),
                    ));
                }
                m as u32
            }
            None => 60,
        };
        let stay_profile = match &fac.stay_profile {
            Some(p) => profile_index(p, &f("stay_profile"))?,
            None => districts[district].stay_profile,
        };
        facilities.push(Facility {
            id: id as u32,
            name,
            district,
            spots: spots as u32,
            pricing: Pricing {
                rate_cents_per_hour: (rate * 100.0).round() as i64,
                increment_minutes: increment,
                daily_max_cents: (daily_max * 100.0).round() as i64,
            },
            peak_hours: c.hours(&fac.peak_hours, &f("peak_hours"))?,
            stay_profile,
        });
    }
    if facilities.len() > 10_000 {
        return Err(c.err(0..0, "facility", "at most 10,000 facilities are supported"));
    }

    let mut catalog = Catalog {
        source: source.to_owned(),
        fingerprint: 0,
        calendar,
        hourly_weekday,
        hourly_weekend,
        original_sessions_per_day,
        districts,
        stay_profiles,
        plates,
        facilities,
    };
    // The fingerprint covers what the catalog means, not how it is written: an added comment
    // or a reformatted line must not turn a resumable run into a different one.
    let meaning = format!(
        "{:?}",
        (
            &catalog.calendar,
            &catalog.hourly_weekday,
            &catalog.hourly_weekend,
            catalog.original_sessions_per_day,
            &catalog.districts,
            &catalog.stay_profiles,
            &catalog.plates,
            &catalog.facilities,
        )
    );
    catalog.fingerprint = fnv1a(meaning.as_bytes());
    Ok(catalog)
}

fn stay_profiles(c: &Checker, raw: &[StayProfileFile]) -> Result<Vec<StayProfile>, CatalogError> {
    let mut out: Vec<StayProfile> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let field = |name: &str| format!("stay_profile[{}].{name}", i + 1);
        if out.iter().any(|x| &x.name == p.name.get_ref()) {
            return Err(c.err(
                p.name.span(),
                field("name"),
                format!("stay profile '{}' is defined twice", p.name.get_ref()),
            ));
        }
        if p.components.is_empty() {
            return Err(c.err(
                p.name.span(),
                field("components"),
                "a stay profile needs at least one component",
            ));
        }
        let mut components = Vec::new();
        for (j, comp) in p.components.iter().enumerate() {
            let span = comp.span();
            let comp = comp.get_ref();
            let cf = format!("stay_profile[{}].components[{}]", i + 1, j + 1);
            let ok = comp.median_hours.is_finite()
                && comp.median_hours > 0.0
                && comp.sigma.is_finite()
                && (0.0..=3.0).contains(&comp.sigma)
                && comp.min_hours > 0.0
                && comp.max_hours >= comp.min_hours
                && comp.max_hours <= 24.0 * 60.0;
            if !ok {
                return Err(c.err(span, cf, "needs median_hours > 0, sigma from 0 to 3 and 0 < min_hours <= max_hours <= 1440"));
            }
            if comp.shares.len() != 4 || comp.shares.iter().any(|s| !s.is_finite() || *s < 0.0) {
                return Err(c.err(
                    span,
                    format!("{cf}.shares"),
                    "expected 4 non-negative shares (night, morning, midday, evening)",
                ));
            }
            components.push(StayComponent {
                name: comp.name.clone(),
                median_hours: comp.median_hours,
                sigma: comp.sigma,
                min_hours: comp.min_hours,
                max_hours: comp.max_hours,
                shares: [
                    comp.shares[0],
                    comp.shares[1],
                    comp.shares[2],
                    comp.shares[3],
                ],
            });
        }
        for period in 0..4 {
            let total: f64 = components.iter().map(|k| k.shares[period]).sum();
            if total <= 0.0 {
                return Err(c.err(
                    p.name.span(),
                    field("components"),
                    format!(
                        "the shares of period {} sum to 0: some component must cover every period",
                        period + 1
                    ),
                ));
            }
            for k in &mut components {
                k.shares[period] /= total;
            }
        }
        out.push(StayProfile {
            name: p.name.get_ref().clone(),
            components,
        });
    }
    Ok(out)
}

fn plates(c: &Checker, raw: &PlatesFile) -> Result<PlateTable, CatalogError> {
    let mut states: Vec<PlateState> = Vec::new();
    for (i, s) in raw.states.iter().enumerate() {
        let field = |name: &str| format!("plates.state[{}].{name}", i + 1);
        let code = s.code.get_ref().trim().to_owned();
        if code.is_empty() || code.len() > 3 || !code.chars().all(|ch| ch.is_ascii_uppercase()) {
            return Err(c.err(
                s.code.span(),
                field("code"),
                format!("'{code}' is not a state code: use 2-3 capital letters such as NY"),
            ));
        }
        if states.iter().any(|x| x.code == code) {
            return Err(c.err(
                s.code.span(),
                field("code"),
                format!("state {code} is listed twice"),
            ));
        }
        let format = PlateFormat::parse(s.format.get_ref()).ok_or_else(|| {
            c.err(s.format.span(), field("format"), format!("'{}' is not a plate format: use L for a letter, D for a digit, and space, '-' or '.' (at most 10 characters, at least 1000 plates)", s.format.get_ref()))
        })?;
        states.push(PlateState { code, format });
    }
    if states.is_empty() || states.len() > u16::MAX as usize {
        return Err(c.err(
            0..0,
            "plates.state",
            "the catalog needs at least one plate state",
        ));
    }
    let index: HashMap<&str, usize> = states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.code.as_str(), i))
        .collect();
    let mut presets: Vec<PlatePreset> = Vec::new();
    for (i, p) in raw.presets.iter().enumerate() {
        let field = format!("plates.preset[{}].shares", i + 1);
        let mut shares = vec![0.0; states.len()];
        for (code, share) in p.shares.get_ref() {
            let Some(&k) = index.get(code.as_str()) else {
                return Err(c.err(
                    p.shares.span(),
                    &field,
                    format!("state {code} has a share but no plate format in [[plates.state]]"),
                ));
            };
            if !share.is_finite() || *share < 0.0 {
                return Err(c.err(
                    p.shares.span(),
                    &field,
                    format!("the share of {code} must be a non-negative percentage"),
                ));
            }
            shares[k] = *share;
        }
        let total: f64 = shares.iter().sum();
        if (total - 100.0).abs() > 0.01 {
            return Err(c.err(
                p.shares.span(),
                &field,
                format!("the shares sum to {total:.2} %, not 100 %"),
            ));
        }
        for s in &mut shares {
            *s /= total;
        }
        presets.push(PlatePreset {
            name: p.name.get_ref().clone(),
            shares,
        });
    }
    let default_preset = presets
        .iter()
        .position(|p| &p.name == raw.default_preset.get_ref())
        .ok_or_else(|| {
            c.err(
                raw.default_preset.span(),
                "plates.default_preset",
                format!("no preset named '{}'", raw.default_preset.get_ref()),
            )
        })?;
    Ok(PlateTable {
        states,
        presets,
        default_preset,
    })
}

/// FNV-1a, 64-bit: a stable fingerprint of the catalog text.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
