//! Historical loads into the stand-in: a month through injected faults arrives exactly once
//! with the local store's ids and values; a load stopped mid-day and rerun has no duplicate and
//! no gap; connection test and setup through the real client.

mod snowflake_support;
mod support;

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use parking_iot::catalog::Catalog;
use parking_iot::engine::VolumePreset;
use parking_iot::model::parse_time;
use parking_iot::snowflake::setup::{self, ObjectNames, Variant};
use parking_iot::snowflake::sql_api::{ApiSettings, RetryPolicy, SqlApi};
use parking_iot::snowflake::standin::{Fault, StandIn, StandInConfig};
use parking_iot::snowflake::upload::{UploadError, UploadOptions, Uploader};
use parking_iot::snowflake::SnowflakeError;
use parking_iot::store::{DayCommit, RunSpec, Store};
use snowflake_support::key_pair;

const ACCOUNT: &str = "xy12345.us-east-2.aws";

fn standin() -> StandIn {
    let kp = key_pair();
    StandIn::start(StandInConfig::new(
        ACCOUNT,
        "loader",
        kp.public_key().clone(),
    ))
    .expect("stand-in")
}

fn api(s: &StandIn, attempts: u32, names: &ObjectNames) -> SqlApi {
    SqlApi::new(
        ApiSettings {
            base_url: s.base_url(),
            account: ACCOUNT.into(),
            user: "loader".into(),
            role: Some("SYSADMIN".into()),
            warehouse: Some("COMPUTE_WH".into()),
            database: Some(names.database.clone()),
            schema: Some(names.schema.clone()),
            statement_timeout_secs: 60,
            retry: RetryPolicy {
                max_attempts: attempts,
                initial_backoff: Duration::from_millis(2),
                max_backoff: Duration::from_millis(20),
                poll_interval: Duration::from_millis(5),
                ..RetryPolicy::default()
            },
        },
        Arc::new(key_pair()),
    )
    .expect("client")
}

fn spec(days: u32) -> RunSpec {
    RunSpec {
        kind: "historical".into(),
        seed: 11,
        start_date: "2025-02-01".into(),
        end_date: Some("2025-02-28".into()),
        volume: "original".into(),
        plate_preset: "published".into(),
        catalog_source: "built-in catalog".into(),
        catalog_fingerprint: "0".into(),
        days_total: days,
        preferred_tag: 0x123,
    }
}

/// Local rows as the stand-in should hold them: id → values in the bindings' text form.
fn local_rows(
    db: &std::path::Path,
    sql: &str,
    time_cols: &[usize],
) -> HashMap<String, Vec<Option<String>>> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            let mut v = Vec::with_capacity(n);
            for i in 0..n {
                let value: rusqlite::types::Value = r.get(i)?;
                v.push(match value {
                    rusqlite::types::Value::Null => None,
                    rusqlite::types::Value::Integer(x) => Some(x.to_string()),
                    rusqlite::types::Value::Real(x) => Some(x.to_string()),
                    rusqlite::types::Value::Text(t) if time_cols.contains(&i) => {
                        Some((parse_time(&t).expect("time") as i128 * 1_000_000).to_string())
                    }
                    rusqlite::types::Value::Text(t) => Some(t),
                    rusqlite::types::Value::Blob(_) => None,
                });
            }
            Ok(v)
        })
        .expect("query");
    rows.map(|r| {
        let r = r.expect("row");
        (r[0].clone().expect("id"), r)
    })
    .collect()
}

fn assert_same_rows(
    s: &StandIn,
    table: &str,
    columns: usize,
    local: &HashMap<String, Vec<Option<String>>>,
) {
    let t = s.table(table).expect("table");
    let ingested = t.column("INGESTED_AT").expect("ingested_at");
    let mut seen: HashMap<String, Vec<Option<String>>> = HashMap::new();
    for row in &t.rows {
        assert!(row[ingested].is_some(), "INGESTED_AT set");
        let id = row[0].clone().expect("id");
        assert!(
            seen.insert(id.clone(), row[..columns].to_vec()).is_none(),
            "duplicate {id} in {table}"
        );
    }
    assert_eq!(seen.len(), local.len(), "{table}: row count");
    for (id, want) in local {
        let got = seen
            .get(id)
            .unwrap_or_else(|| panic!("{table}: {id} missing"));
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let same = match (g, w) {
                (Some(g), Some(w)) => {
                    g == w
                        || g.parse::<f64>()
                            .ok()
                            .zip(w.parse::<f64>().ok())
                            .is_some_and(|(a, b)| a == b)
                }
                (None, None) => true,
                _ => false,
            };
            assert!(same, "{table} {id} column {i}: {g:?} != {w:?}");
        }
    }
}

const EVENTS_SQL: &str = "SELECT event_id, event_type, session_id, facility_id, facility_name, district, license_plate, license_plate_state, event_time, available_spots_after, parking_duration_hours, cost, traffic_pattern FROM parking_events";
const SESSIONS_SQL: &str = "SELECT session_id, license_plate, license_plate_state, facility_id, facility_name, district, in_time, out_time, actual_duration_hours, rate_per_hour, cost, status FROM parking_sessions";

/// Generates `days` of February 2025 into a local store, calling `upload` after each commit.
fn run_days(
    db: &std::path::Path,
    catalog: &Arc<Catalog>,
    days: i64,
    mut upload: impl FnMut(
        &mut Store,
        &str,
        u32,
        &[parking_iot::model::Event],
        &[parking_iot::model::Session],
    ),
) {
    let mut store = Store::open(db).expect("store");
    store.write_facilities(catalog).expect("facilities");
    let run = store.create_run(&spec(days as u32)).expect("run");
    let mut index = 0u32;
    support::generate(
        catalog,
        support::settings(11, VolumePreset::Original),
        support::date(2025, 2, 1),
        days,
        |_, ev, se| {
            let commit = DayCommit {
                events: ev,
                sessions: se,
                days_done: index + 1,
                turned_away: 0,
                finished: index + 1 == days as u32,
            };
            store
                .commit_day(catalog, 500, &run, commit)
                .expect("commit");
            upload(&mut store, &run.run_id, index, ev, se);
            index += 1;
        },
    );
}

#[test]
fn test_connection_and_setup_through_the_client() {
    let s = standin();
    let names = ObjectNames::default();
    let api = api(&s, 3, &names);
    let info = api.test_connection().expect("test");
    assert_eq!(info.user, "LOADER");
    assert_eq!(info.role, "SYSADMIN");
    assert_eq!(info.warehouse, "COMPUTE_WH");
    let stmts = setup::statements(&names, &Variant::Standard).expect("setup");
    api.query_multi(&stmts).expect("setup runs");
    api.query_multi(&stmts).expect("setup is idempotent");
    assert_eq!(
        s.table_names(),
        vec![
            "PARKING_IOT.RAW_DATA.PARKING_EVENTS",
            "PARKING_IOT.RAW_DATA.PARKING_FACILITIES",
            "PARKING_IOT.RAW_DATA.PARKING_SESSIONS"
        ]
    );
    assert_eq!(s.objects().iter().filter(|(k, _)| k == "PIPE").count(), 2);
    assert!(
        s.objects().contains(&(
            "VIEW".into(),
            "PARKING_IOT\u{1}RAW_DATA\u{1}PARKING_SESSIONS_CURRENT".into()
        )),
        "{:?}",
        s.objects()
    );
    // A slow statement answers 202 and the client polls the status URL to the result.
    let r = api.query("SELECT SYSTEM$WAIT(0.2)", &[]).expect("slow");
    assert_eq!(r.rows[0][0].as_deref(), Some("waited 0.2 seconds"));
    assert!(s.stats().polls >= 1);
    // A 422 carries Snowflake's message; it is not retried.
    let before = s.stats().posts;
    let err = api
        .query("SELECT COUNT(*) FROM NO_SUCH_TABLE", &[])
        .unwrap_err();
    assert!(
        matches!(err, SnowflakeError::Sql { ref code, .. } if code == "002003"),
        "{err}"
    );
    assert!(err.to_string().contains("does not exist or not authorized"));
    assert_eq!(s.stats().posts, before + 1);
}

#[test]
fn refused_tokens_are_explained() {
    let s = standin();
    let names = ObjectNames::default();
    // A key that is not registered: the fingerprint does not match.
    s.configure(|c| c.public_key = snowflake_support::other_key_pair().public_key().clone());
    let err = api(&s, 3, &names).test_connection().unwrap_err();
    assert!(
        matches!(
            err,
            SnowflakeError::Auth {
                detail: Some(parking_iot::snowflake::jwt::JwtRejection::FingerprintMismatch),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("ALTER USER"), "{err}");
    // The generic 390144 lists every likely cause.
    s.configure(|c| c.detailed_auth_errors = false);
    let err = api(&s, 3, &names)
        .test_connection()
        .unwrap_err()
        .to_string();
    for phrase in [
        "390144",
        "account",
        "login name",
        "clock",
        "RSA_PUBLIC_KEY_FP",
    ] {
        assert!(err.contains(phrase), "{phrase}: {err}");
    }
    // A wrong account in the token.
    s.configure(|c| {
        c.public_key = key_pair().public_key().clone();
        c.detailed_auth_errors = true;
        c.account = "OTHER".into();
    });
    let err = api(&s, 3, &names)
        .test_connection()
        .unwrap_err()
        .to_string();
    assert!(err.contains("account identifier"), "{err}");
    // One 401 is survived with a fresh token.
    s.configure(|c| c.account = "XY12345".into());
    s.inject([Fault::Status(401)]);
    assert_eq!(
        api(&s, 3, &names)
            .test_connection()
            .expect("after 401")
            .user,
        "LOADER"
    );
    // 429 beyond the attempts allowed.
    s.inject([Fault::Status(429), Fault::Status(429)]);
    let err = api(&s, 2, &names).test_connection().unwrap_err();
    assert!(
        matches!(err, SnowflakeError::TooManyRequests { .. }),
        "{err:?}"
    );
}

#[test]
fn a_month_through_faults_arrives_exactly_once() {
    let s = standin();
    let names = ObjectNames::default();
    let api = api(&s, 12, &names);
    api.query_multi(&setup::statements(&names, &Variant::Standard).expect("setup"))
        .expect("setup");
    // 401 only from the queue: the client renews its token once per statement, so two 401s
    // in a row are a real failure, which a random draw could produce.
    s.inject([Fault::Status(401)]);
    s.inject_randomly(7, 120, Fault::ridden_through(Duration::from_millis(30)));
    let catalog = support::catalog();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("month.db");
    let uploader = Uploader::new(
        api,
        names,
        &catalog,
        UploadOptions {
            batch_size: 700,
            in_flight: 4,
            ..UploadOptions::default()
        },
    );
    let cancel = AtomicBool::new(false);
    run_days(&db, &catalog, 28, |store, run_id, day, ev, se| {
        uploader
            .load_day(store, run_id, day, ev, se, &cancel)
            .expect("load day");
    });
    let stats = s.stats();
    assert!(stats.faults > 20, "{stats:?}");
    assert!(stats.deduplicated > 0, "{stats:?}");
    assert!(stats.max_in_flight >= 2, "{stats:?}");
    assert!(stats.largest_body <= 1_000_000);
    assert_same_rows(&s, "PARKING_EVENTS", 13, &local_rows(&db, EVENTS_SQL, &[8]));
    assert_same_rows(
        &s,
        "PARKING_SESSIONS",
        12,
        &local_rows(&db, SESSIONS_SQL, &[6, 7]),
    );
    let active = s
        .table("PARKING_SESSIONS")
        .expect("t")
        .rows
        .iter()
        .filter(|r| r[11].as_deref() == Some("active"))
        .count();
    assert!(active > 0, "sessions parked at the end land as active");
    assert_eq!(
        s.table("PARKING_FACILITIES").expect("t").rows.len(),
        catalog.facilities.len()
    );
}

#[test]
fn a_load_stopped_mid_day_and_rerun_has_no_duplicate_and_no_gap() {
    let s = standin();
    let names = ObjectNames::default();
    api(&s, 3, &names)
        .query_multi(&setup::statements(&names, &Variant::Standard).expect("setup"))
        .expect("setup");
    let catalog = support::catalog();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kill.db");
    let cancel = AtomicBool::new(false);
    let fragile = Uploader::new(
        api(&s, 1, &names),
        names.clone(),
        &catalog,
        UploadOptions {
            batch_size: 300,
            in_flight: 1,
            ..UploadOptions::default()
        },
    );
    let sturdy = Uploader::new(
        api(&s, 8, &names),
        names.clone(),
        &catalog,
        UploadOptions {
            batch_size: 300,
            in_flight: 3,
            ..UploadOptions::default()
        },
    );
    let mut stopped = Vec::new();
    run_days(&db, &catalog, 6, |store, run_id, day, ev, se| {
        if day == 2 || day == 4 {
            // The worst moments: Snowflake ran the statement but the answer never came back, and
            // a 500 that is not retried. The load stops with some chunks of the day acknowledged.
            let fault = if day == 2 {
                Fault::DropAfter
            } else {
                Fault::Status(500)
            };
            s.inject([Fault::Pass, Fault::Pass, fault]);
            let err = fragile
                .load_day(store, run_id, day, ev, se, &cancel)
                .unwrap_err();
            assert!(matches!(err, UploadError::Snowflake(_)), "{err}");
            stopped.push(err.to_string());
        }
        sturdy
            .load_day(store, run_id, day, ev, se, &cancel)
            .expect("rerun");
        // Running a finished day again sends nothing.
        let again = sturdy
            .load_day(store, run_id, day, ev, se, &cancel)
            .expect("again");
        assert_eq!(again.statements, 0);
    });
    assert!(
        stopped[0].contains("cannot reach Snowflake"),
        "{}",
        stopped[0]
    );
    assert!(stopped[1].contains("HTTP 500"), "{}", stopped[1]);
    assert!(s.stats().deduplicated >= 1, "{:?}", s.stats());
    assert_same_rows(&s, "PARKING_EVENTS", 13, &local_rows(&db, EVENTS_SQL, &[8]));
    assert_same_rows(
        &s,
        "PARKING_SESSIONS",
        12,
        &local_rows(&db, SESSIONS_SQL, &[6, 7]),
    );
}

#[test]
fn hostile_names_survive_setup_and_load() {
    let s = standin();
    let names = ObjectNames {
        database: "Parking \"IoT\"; DROP DATABASE X; --".into(),
        schema: "données_brutes".into(),
        events_table: "Ev'ents;".into(),
        sessions_table: "séances \u{1F697}".into(),
        facilities_table: "fac\\ilities".into(),
        events_pipe: "p1".into(),
        sessions_pipe: "p2".into(),
    };
    let api = api(&s, 3, &names);
    api.query_multi(&setup::statements(&names, &Variant::Standard).expect("setup"))
        .expect("setup");
    let mut tables = s.table_names();
    tables.sort();
    assert!(
        tables
            .contains(&"Parking \"IoT\"; DROP DATABASE X; --.DONNÉES_BRUTES.Ev'ents;".to_string())
            || tables.iter().any(|t| t.ends_with("Ev'ents;")),
        "{tables:?}"
    );
    let mut catalog = Catalog::builtin().expect("catalog");
    catalog.facilities[0].name = "O'Hare \"Lot\"; DELETE FROM x; -- \u{00e9}\u{1F17F}".into();
    let catalog = Arc::new(catalog);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hostile.db");
    let uploader = Uploader::new(api, names, &catalog, UploadOptions::default());
    let cancel = AtomicBool::new(false);
    run_days(&db, &catalog, 2, |store, run_id, day, ev, se| {
        uploader
            .load_day(store, run_id, day, ev, se, &cancel)
            .expect("load");
    });
    assert_same_rows(&s, "Ev'ents;", 13, &local_rows(&db, EVENTS_SQL, &[8]));
    let fac = s.table("fac\\ilities").expect("facilities");
    assert_eq!(
        fac.rows[0][1].as_deref(),
        Some("O'Hare \"Lot\"; DELETE FROM x; -- \u{00e9}\u{1F17F}")
    );
}
