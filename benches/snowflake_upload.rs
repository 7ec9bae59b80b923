//! Upload throughput into the local Snowflake stand-in over loopback (a bench binary, not a
//! timed test): `cargo bench --bench snowflake_upload`. Three realistic days are committed to a
//! temporary SQLite store and loaded through the SQL API client (JWT per request, multi-row
//! INSERT statements of at most 1 MB, several in flight); prints rows/s.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use parking_iot::catalog::Catalog;
use parking_iot::engine::{calendar, sort_events, SimSettings, Simulation, VolumePreset};
use parking_iot::snowflake::setup::{self, ObjectNames, Variant};
use parking_iot::snowflake::sql_api::{ApiSettings, RetryPolicy, SqlApi};
use parking_iot::snowflake::standin::{StandIn, StandInConfig};
use parking_iot::snowflake::upload::{UploadOptions, Uploader};
use parking_iot::snowflake::KeyPair;
use parking_iot::store::{DayCommit, RunSpec, Store};

const ACCOUNT: &str = "bench_account";

fn main() {
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("keygen");
    let key = KeyPair::from_private(private, "bench key").expect("key pair");
    let standin = StandIn::start(StandInConfig::new(
        ACCOUNT,
        "loader",
        key.public_key().clone(),
    ))
    .expect("stand-in");
    let names = ObjectNames::default();
    let api = SqlApi::new(
        ApiSettings {
            base_url: standin.base_url(),
            account: ACCOUNT.into(),
            user: "loader".into(),
            role: Some("SYSADMIN".into()),
            warehouse: Some("COMPUTE_WH".into()),
            database: Some(names.database.clone()),
            schema: Some(names.schema.clone()),
            statement_timeout_secs: 60,
            retry: RetryPolicy::default(),
        },
        Arc::new(key),
    )
    .expect("client");
    api.query_multi(&setup::statements(&names, &Variant::Standard).expect("setup sql"))
        .expect("setup");

    let catalog = Arc::new(Catalog::builtin().expect("catalog"));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("store");
    store.write_facilities(&catalog).expect("facilities");
    let days = 3u32;
    let run = store
        .create_run(&RunSpec {
            kind: "historical".into(),
            seed: 1,
            start_date: "2025-03-03".into(),
            end_date: Some("2025-03-05".into()),
            volume: "realistic".into(),
            plate_preset: "published".into(),
            catalog_source: "built-in catalog".into(),
            catalog_fingerprint: "bench".into(),
            days_total: days,
            preferred_tag: 1,
        })
        .expect("run");
    let uploader = Uploader::new(
        api,
        names,
        &catalog,
        UploadOptions {
            batch_size: 1000,
            ..UploadOptions::default()
        },
    );
    let tz = catalog.calendar.time_zone;
    let start = chrono::NaiveDate::from_ymd_opt(2025, 3, 3).expect("date");
    let settings = SimSettings {
        seed: 1,
        volume: VolumePreset::Realistic,
        plate_preset: 0,
        tag: 1,
    };
    let mut sim = Simulation::new(
        catalog.clone(),
        settings,
        calendar::local_midnight(tz, start),
    );
    let cancel = AtomicBool::new(false);
    let (mut rows, mut seconds) = (0usize, 0.0);
    for day in 0..days {
        let (mut ev, mut se) = (Vec::new(), Vec::new());
        let until =
            calendar::local_midnight(tz, start + chrono::Duration::days(day as i64 + 1)) - 1;
        sim.advance(until, &mut ev, &mut se);
        if day + 1 == days {
            sim.active_sessions(&mut se);
        }
        sort_events(&mut ev);
        let commit = DayCommit {
            events: &ev,
            sessions: &se,
            days_done: day + 1,
            turned_away: 0,
            finished: day + 1 == days,
        };
        store
            .commit_day(&catalog, 1000, &run, commit)
            .expect("commit");
        let t0 = Instant::now();
        uploader
            .load_day(&mut store, &run.run_id, day, &ev, &se, &cancel)
            .expect("load day");
        seconds += t0.elapsed().as_secs_f64();
        rows += ev.len() + se.len();
    }
    let stats = standin.stats();
    println!("uploaded {rows} rows (events + sessions) in {seconds:.2} s = {:.0} rows/s into the stand-in over loopback", rows as f64 / seconds);
    println!(
        "largest statement body {} bytes, at most {} in flight",
        stats.largest_body, stats.max_in_flight
    );
}
