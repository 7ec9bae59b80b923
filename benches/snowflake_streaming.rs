//! The live feed against the local stand-in over loopback (a bench binary, not a timed test):
//! `cargo bench --bench snowflake_streaming`.
//!
//! 1. Sustained: real event rows (from the engine, rendered as the outbox holds them) enter the
//!    outbox at 1,000 events/s, committed every 250 ms as the live runner does with the feed
//!    on; each row carries its own creation time. The feed streams them with its default limits
//!    (10 appends/s and 1 MB/s per channel, status polled every 100 ms) while the stand-in
//!    commits 200 ms after an append. Prints the delay from an event's creation to the moment
//!    the feed saw its committed offset: p50, p99, max.
//! 2. Maximum per channel: a backlog of events drained by one channel, with the default
//!    limits and with the limits lifted; prints events/s.
//!
//! `STREAM_BENCH_SECS` sets the length of part 1 (default 20 s).

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_iot::catalog::Catalog;
use parking_iot::engine::{calendar, sort_events, SimSettings, Simulation, VolumePreset};
use parking_iot::jobs::feed::{Feed, FeedOptions, FeedSettings};
use parking_iot::snowflake::setup::{self, ObjectNames, Variant};
use parking_iot::snowflake::sql_api::{ApiSettings, RetryPolicy, SqlApi};
use parking_iot::snowflake::standin::{StandIn, StandInConfig};
use parking_iot::snowflake::KeyPair;
use parking_iot::store::outbox::{event_json, StreamTable};
use parking_iot::store::Store;

const ACCOUNT: &str = "bench_account";
const RATE: u64 = 1_000;
const COMMIT_EVERY: Duration = Duration::from_millis(250);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let secs: u64 = std::env::var("STREAM_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("keygen");
    let key = Arc::new(KeyPair::from_private(private, "bench key").expect("key pair"));
    let standin = StandIn::start(StandInConfig::new(
        ACCOUNT,
        "loader",
        key.public_key().clone(),
    ))
    .expect("stand-in");
    standin.configure_streaming(|c| c.commit_lag = Duration::from_millis(200));
    let names = ObjectNames::default();
    let api = ApiSettings {
        base_url: standin.base_url(),
        account: ACCOUNT.into(),
        user: "loader".into(),
        role: Some("SYSADMIN".into()),
        warehouse: Some("COMPUTE_WH".into()),
        database: Some(names.database.clone()),
        schema: Some(names.schema.clone()),
        statement_timeout_secs: 60,
        retry: RetryPolicy::default(),
    };
    SqlApi::new(api.clone(), key.clone())
        .expect("client")
        .query_multi(&setup::statements(&names, &Variant::Standard).expect("setup sql"))
        .expect("setup");

    // A pool of real event rows: one simulated day.
    let catalog = Arc::new(Catalog::builtin().expect("catalog"));
    let tz = catalog.calendar.time_zone;
    let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 4).expect("date");
    let mut sim = Simulation::new(
        catalog.clone(),
        SimSettings {
            seed: 5,
            volume: VolumePreset::Realistic,
            plate_preset: 0,
            tag: 1,
        },
        calendar::local_midnight(tz, day),
    );
    let (mut ev, mut se) = (Vec::new(), Vec::new());
    sim.advance(
        calendar::local_midnight(tz, day + chrono::Duration::days(1)) - 1,
        &mut ev,
        &mut se,
    );
    sort_events(&mut ev);
    let pool: Vec<String> = ev.iter().map(|e| event_json(&catalog, e)).collect();
    let avg = pool.iter().map(String::len).sum::<usize>() / pool.len().max(1);
    println!(
        "event rows: {} in the pool, {avg} bytes each on average (NDJSON, before gzip)",
        pool.len()
    );

    // Part 1: 1,000 events/s sustained.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bench.db");
    let mut store = Store::open(&db).expect("store");
    let mut settings = FeedSettings::new(api.clone(), key.clone(), names.clone());
    settings.options.record_latencies = true;
    let feed = Feed::start(db.clone(), settings);
    let started = Instant::now();
    let mut produced = 0u64;
    let mut next = 0usize;
    let mut latencies: Vec<u32> = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(COMMIT_EVERY);
        let due = (started.elapsed().as_secs_f64() * RATE as f64) as u64;
        let now = now_ms();
        let batch: Vec<(i64, String)> = (produced..due)
            .map(|i| {
                // Each event's own creation instant, spread over the commit interval.
                let created = now - ((due - i) as i64 * 1000 / RATE as i64);
                let row = pool[next % pool.len()].clone();
                next += 1;
                (created, row)
            })
            .collect();
        produced = due;
        store
            .outbox_push(StreamTable::Events, &batch)
            .expect("outbox");
        feed.nudge();
        latencies.extend(feed.take_latencies());
    }
    let status = feed.finish(Duration::from_secs(30));
    let _ = &status;
    latencies.sort_unstable();
    let committed = latencies.len();
    println!(
        "sustained {RATE} events/s for {secs} s (commit lag 200 ms, commits every 250 ms): {produced} produced, {committed} committed; creation-to-commit delay p50 {} ms, p99 {} ms, max {} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0)
    );
    let st = standin.streaming_stats();
    println!(
        "appends {}, most appends per channel in one second {}, largest body {} bytes (gzip)",
        st.appends, st.max_appends_per_second, st.largest_body
    );
    drop(store);

    // Part 2: the most one channel drains, from a backlog.
    for (label, options) in [
        (
            "default limits (10 appends/s, 1 MB/s)",
            FeedOptions::default(),
        ),
        (
            "limits lifted",
            FeedOptions {
                min_append_interval: Duration::ZERO,
                max_bytes_per_sec: usize::MAX,
                status_interval: Duration::from_millis(20),
                ..FeedOptions::default()
            },
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("backlog.db");
        let mut store = Store::open(&db).expect("store");
        let n = 200_000usize;
        let now = now_ms();
        let rows: Vec<(i64, String)> = (0..n)
            .map(|i| (now, pool[i % pool.len()].clone()))
            .collect();
        store
            .outbox_push(StreamTable::Events, &rows)
            .expect("outbox");
        drop(store);
        let mut settings = FeedSettings::new(api.clone(), key.clone(), names.clone());
        settings.options = options;
        let t0 = Instant::now();
        let status = Feed::start(db, settings).finish(Duration::from_secs(300));
        let s = t0.elapsed().as_secs_f64();
        println!(
            "one channel, {label}: {} of {n} events committed in {s:.1} s = {:.0} events/s",
            status.rows_committed,
            status.rows_committed as f64 / s
        );
    }
}
