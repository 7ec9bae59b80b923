//! The live feed to Snowflake over Snowpipe Streaming REST, against the stand-in: the client
//! passes the protocol checks; a live run through faults, channel resets, an outage and kills
//! (in-process and `kill -9` of the real binary) lands every event exactly once by event id;
//! each session's current state in Snowflake (the view's logic) agrees with the local store.
//! No test asserts on timing: waits are bounded loops that fail with the feed's status.

mod snowflake_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_iot::catalog::Catalog;
use parking_iot::engine::VolumePreset;
use parking_iot::jobs::live::{
    self, FeedOptions, FeedSettings, FeedState, LiveCommand, LiveConfig, LiveHandle, LiveSnapshot,
};
use parking_iot::snowflake::setup::{self, ObjectNames, Variant};
use parking_iot::snowflake::sql_api::{ApiSettings, RetryPolicy, SqlApi};
use parking_iot::snowflake::standin::{StandIn, StandInConfig, StreamFault};
use parking_iot::snowflake::streaming::{codes, IngestClient, StreamError};
use snowflake_support::{key_pair, pkcs8_pem, rsa_2048};

const ACCOUNT: &str = "xy12345.us-east-2.aws";
const BIN: &str = env!("CARGO_BIN_EXE_parking-iot");

fn settings(s: &StandIn) -> ApiSettings {
    let names = ObjectNames::default();
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
            initial_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
    }
}

/// A stand-in with the tables, pipes and view created by the real setup SQL.
fn standin() -> StandIn {
    let s = StandIn::start(StandInConfig::new(
        ACCOUNT,
        "loader",
        key_pair().public_key().clone(),
    ))
    .expect("stand-in");
    let api = SqlApi::new(settings(&s), Arc::new(key_pair())).expect("client");
    let stmts = setup::statements(&ObjectNames::default(), &Variant::Standard).expect("setup");
    api.query_multi(&stmts).expect("setup runs");
    s
}

/// Feed settings with short backoffs and polls, so faults cost milliseconds.
fn feed(s: &StandIn) -> FeedSettings {
    let mut f = FeedSettings::new(settings(s), Arc::new(key_pair()), ObjectNames::default());
    f.options = FeedOptions {
        status_interval: Duration::from_millis(20),
        min_append_interval: Duration::from_millis(20),
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        request_timeout: Duration::from_secs(5),
        stall_timeout: Duration::from_secs(2),
        ..FeedOptions::default()
    };
    f
}

fn runner(db: &Path, s: &StandIn, speed: f64) -> LiveHandle {
    let catalog = Arc::new(Catalog::builtin().expect("catalog"));
    let h = live::spawn(
        LiveConfig {
            db: Some(db.to_path_buf()),
            catalog,
            volume: VolumePreset::Realistic,
            speed,
            batch_size: 1000,
        },
        || {},
    );
    h.send(LiveCommand::SetSnowflakeFeed(Some(Box::new(feed(s)))));
    h.send(LiveCommand::SetSpeed(speed));
    h.send(LiveCommand::Start);
    h
}

/// Drains snapshots for `d`, returning the latest.
fn watch(h: &LiveHandle, d: Duration, latest: &mut Option<LiveSnapshot>) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if let Ok(s) = h.snapshots.recv_timeout(Duration::from_millis(20)) {
            *latest = Some(s);
        }
    }
}

/// Stops generating and waits (bounded) until the feed has delivered the whole outbox.
fn stop_and_drain(mut h: LiveHandle) -> LiveSnapshot {
    h.send(LiveCommand::Stop);
    let end = Instant::now() + Duration::from_secs(120);
    let mut latest = None;
    while Instant::now() < end {
        if let Ok(s) = h.snapshots.recv_timeout(Duration::from_millis(50)) {
            let done = !s.running
                && s.feed
                    .as_ref()
                    .is_some_and(|f| f.up_to_date && f.backlog_rows == 0);
            latest = Some(s);
            if done {
                h.shutdown();
                return latest.expect("snapshot");
            }
        }
    }
    panic!(
        "the outbox did not drain: {:?}",
        latest.and_then(|s| s.feed)
    );
}

fn local_event_ids(db: &Path) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT event_id FROM parking_events")
        .expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("ids")
}

/// The streamed events' ids, failing on any duplicate.
fn remote_event_ids(s: &StandIn) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for row in s.streamed_rows("PARKING_EVENTS") {
        let id = row["EVENT_ID"].as_str().expect("EVENT_ID").to_string();
        assert!(ids.insert(id.clone()), "event {id} landed twice");
    }
    ids
}

fn assert_exactly_once(db: &Path, s: &StandIn) -> usize {
    let local = local_event_ids(db);
    let remote = remote_event_ids(s);
    assert!(!local.is_empty(), "the run generated no event");
    let missing: Vec<_> = local.difference(&remote).take(5).collect();
    let extra: Vec<_> = remote.difference(&local).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} local, {} in Snowflake; missing {missing:?}, extra {extra:?}",
        local.len(),
        remote.len()
    );
    assert_eq!(local.len(), remote.len());
    // The table the pipe loads holds the same rows (COUNT(*) sees them).
    assert_eq!(
        s.table("PARKING_EVENTS").expect("table").rows.len(),
        local.len()
    );
    local.len()
}

#[test]
fn the_client_passes_the_protocol_checks() {
    let s = standin();
    s.configure_streaming(|c| c.commit_lag = Duration::ZERO);
    let mut c = IngestClient::new(settings(&s), Arc::new(key_pair()), Duration::from_secs(5))
        .expect("client");
    let ingest = c.discover().expect("hostname");
    assert_eq!(
        ingest,
        s.base_url(),
        "the ingest host keeps its port and the http protocol"
    );
    let opened = c.open_channel("PARKING_EVENTS_PIPE", "T1").expect("open");
    assert_eq!(opened.committed_offset, None);
    let rows = [r#"{"EVENT_ID":"e1"}"#, r#"{"EVENT_ID":"e2"}"#];
    let body = parking_iot::snowflake::streaming::body::ndjson(rows.iter().copied(), "2");
    let gz = parking_iot::snowflake::streaming::body::gzip(&body).expect("gzip");
    let t2 = c
        .append(
            "PARKING_EVENTS_PIPE",
            "T1",
            &opened.continuation_token,
            "2",
            gz,
            true,
        )
        .expect("append");
    // An old token of the same opening is refused; so is one from before a reopen.
    let err = c
        .append(
            "PARKING_EVENTS_PIPE",
            "T1",
            &opened.continuation_token,
            "3",
            body.clone(),
            false,
        )
        .unwrap_err();
    assert_eq!(err.code(), Some(codes::INVALID_CONTINUATION_TOKEN), "{err}");
    let reopened = c.open_channel("PARKING_EVENTS_PIPE", "T1").expect("reopen");
    assert_eq!(reopened.committed_offset.as_deref(), Some("2"));
    let err = c
        .append("PARKING_EVENTS_PIPE", "T1", &t2, "3", body.clone(), false)
        .unwrap_err();
    assert!(matches!(err, StreamError::Reopen { .. }), "{err}");
    assert_eq!(err.code(), Some(codes::STALE_CONTINUATION_TOKEN_SEQUENCER));
    let status = c
        .bulk_status("PARKING_EVENTS_PIPE", &["T1", "NOPE"])
        .expect("status");
    assert_eq!(status["T1"].committed_offset.as_deref(), Some("2"));
    assert_eq!(status["T1"].rows_inserted, Some(2));
    assert!(!status.contains_key("NOPE"));
    let ids: Vec<String> = s
        .streamed_rows("PARKING_EVENTS")
        .iter()
        .map(|r| {
            format!(
                "{}@{}",
                r["EVENT_ID"].as_str().unwrap_or("?"),
                r["OFFSET_TOKEN"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(ids, vec!["e1@2", "e2@2"]);
    // A missing pipe is explained with what to do.
    let err = c.open_channel("NO_SUCH_PIPE", "T1").unwrap_err();
    assert_eq!(err.code(), Some(codes::PIPE_DOES_NOT_EXIST));
    assert!(
        err.to_string().contains("parking-iot snowflake setup"),
        "{err}"
    );
    c.drop_channel("PARKING_EVENTS_PIPE", "T1").expect("drop");
    let st = s.streaming_stats();
    assert_eq!(st.gzip_appends, 1);
    assert_eq!(st.stale_refusals, 2);
    assert_eq!(st.tokens_issued, 1, "one scoped token serves every call");
    // Plain-text answers for hostname and token work too.
    s.configure_streaming(|c| c.json_answers = false);
    let mut plain = IngestClient::new(settings(&s), Arc::new(key_pair()), Duration::from_secs(5))
        .expect("client");
    plain
        .open_channel("PARKING_SESSIONS_PIPE", "T2")
        .expect("open with plain-text answers");
}

#[test]
fn the_scoped_token_is_renewed_before_it_expires() {
    let s = standin();
    // Tokens last 2 s and the answer says so: the client renews after half of that.
    s.configure_streaming(|c| {
        c.token_ttl = Duration::from_secs(2);
        c.commit_lag = Duration::ZERO;
    });
    let mut c = IngestClient::new(settings(&s), Arc::new(key_pair()), Duration::from_secs(5))
        .expect("client");
    let end = Instant::now() + Duration::from_millis(3500);
    let mut token = c
        .open_channel("PARKING_EVENTS_PIPE", "RENEW")
        .expect("open")
        .continuation_token;
    let mut n = 0u64;
    while Instant::now() < end {
        n += 1;
        let body = format!("{{\"EVENT_ID\":\"r{n}\"}}\n").into_bytes();
        token = c
            .append(
                "PARKING_EVENTS_PIPE",
                "RENEW",
                &token,
                &n.to_string(),
                body,
                false,
            )
            .expect("append");
        std::thread::sleep(Duration::from_millis(100));
    }
    let st = s.streaming_stats();
    assert!(st.tokens_issued >= 2, "{st:?}");
    assert_eq!(
        st.token_refusals, 0,
        "renewed before expiry, never refused: {st:?}"
    );
    let status = c
        .bulk_status("PARKING_EVENTS_PIPE", &["RENEW"])
        .expect("status");
    assert_eq!(status["RENEW"].committed_offset, Some(n.to_string()));
}

#[test]
fn the_standin_refuses_a_jwt_where_the_scoped_token_belongs_and_bodies_over_4_mb() {
    let s = standin();
    let http = reqwest::blocking::Client::new();
    let jwt = parking_iot::snowflake::jwt::mint(&key_pair(), ACCOUNT, "loader");
    let url = format!(
        "{}/v2/streaming/databases/PARKING_IOT/schemas/RAW_DATA/pipes/PARKING_EVENTS_PIPE/channels/X",
        s.base_url()
    );
    let r = http
        .put(&url)
        .bearer_auth(&jwt)
        .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
        .body("{}")
        .send()
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.text().expect("body").contains(codes::INVALID_OAUTH_TOKEN));
    // The hostname needs the JWT: without one it is refused.
    let r = http
        .get(format!("{}/v2/streaming/hostname", s.base_url()))
        .send()
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
    // A body above 4 MB is refused with 413.
    let mut c = IngestClient::new(settings(&s), Arc::new(key_pair()), Duration::from_secs(10))
        .expect("client");
    let opened = c.open_channel("PARKING_EVENTS_PIPE", "BIG").expect("open");
    let big = vec![b' '; 4 * 1024 * 1024 + 10];
    let err = c
        .append(
            "PARKING_EVENTS_PIPE",
            "BIG",
            &opened.continuation_token,
            "1",
            big,
            false,
        )
        .unwrap_err();
    assert!(
        matches!(err, StreamError::Rejected { status: 413, .. }),
        "{err}"
    );
    assert_eq!(s.streaming_stats().token_refusals, 1);
}

#[test]
fn random_faults_and_channel_resets_lose_and_double_nothing() {
    let s = standin();
    s.inject_streaming_randomly(
        7,
        80,
        vec![
            StreamFault::Status(503),
            StreamFault::Status(500),
            StreamFault::DropBefore,
            StreamFault::DropAfter,
            StreamFault::ExpireToken,
            StreamFault::ResetChannel,
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let h = runner(&db, &s, 3600.0);
    let mut latest = None;
    watch(&h, Duration::from_secs(3), &mut latest);
    s.inject_streaming_randomly(0, 0, Vec::new());
    let last = stop_and_drain(h);
    let n = assert_exactly_once(&db, &s);
    let st = s.streaming_stats();
    assert!(st.faults > 0, "{st:?}");
    let f = last.feed.expect("feed status");
    assert_eq!(f.state, FeedState::Streaming, "{f:?}");
    assert!(f.rows_committed >= n as u64, "{f:?}");
    assert!(
        f.opens > 2,
        "faults make the feed reopen its channels: {f:?}"
    );
}

#[test]
fn a_channel_reset_keeps_what_snowflake_had_committed() {
    let s = standin();
    s.configure_streaming(|c| c.commit_lag = Duration::from_millis(50));
    let mut c = IngestClient::new(settings(&s), Arc::new(key_pair()), Duration::from_secs(5))
        .expect("client");
    let opened = c.open_channel("PARKING_EVENTS_PIPE", "R1").expect("open");
    let body = b"{\"EVENT_ID\":\"a1\"}\n{\"EVENT_ID\":\"a2\"}\n".to_vec();
    let next = c
        .append(
            "PARKING_EVENTS_PIPE",
            "R1",
            &opened.continuation_token,
            "1",
            body,
            false,
        )
        .expect("append");
    // Past the commit lag, with no request in between: the reset is the first to see it.
    std::thread::sleep(Duration::from_millis(200));
    s.inject_streaming([StreamFault::ResetChannel]);
    let status = c
        .bulk_status("PARKING_EVENTS_PIPE", &["R1"])
        .expect("status");
    assert_eq!(status["R1"].committed_offset.as_deref(), Some("1"));
    let ids: Vec<String> = s
        .streamed_rows("PARKING_EVENTS")
        .iter()
        .filter_map(|r| r["EVENT_ID"].as_str().map(str::to_string))
        .collect();
    assert_eq!(ids, vec!["a1", "a2"], "committed rows survive the reset");
    let table = s.table("PARKING_EVENTS").expect("table");
    assert_eq!(table.rows.len(), 2, "and are in the table");
    // The old token went stale with the reset.
    let err = c
        .append(
            "PARKING_EVENTS_PIPE",
            "R1",
            &next,
            "2",
            b"{\"EVENT_ID\":\"a3\"}\n".to_vec(),
            false,
        )
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(codes::STALE_CONTINUATION_TOKEN_SEQUENCER),
        "{err}"
    );
}

#[test]
fn a_stale_continuation_token_is_recovered() {
    let s = standin();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let h = runner(&db, &s, 3600.0);
    let mut latest = None;
    watch(&h, Duration::from_millis(800), &mut latest);
    // Another client reopens the channels: the feed's tokens go stale, what it appended and
    // was not committed is dropped by Snowflake, and it must resend from the committed offset.
    s.inject_streaming([
        StreamFault::ResetChannel,
        StreamFault::Pass,
        StreamFault::ResetChannel,
    ]);
    watch(&h, Duration::from_millis(1500), &mut latest);
    let last = stop_and_drain(h);
    assert_exactly_once(&db, &s);
    let st = s.streaming_stats();
    assert!(st.stale_refusals >= 1, "{st:?}");
    let f = last.feed.expect("feed");
    assert!(f.opens >= 3, "{f:?}");
}

#[test]
fn an_outage_loses_nothing_while_the_simulator_keeps_going() {
    let s = standin();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let h = runner(&db, &s, 1800.0);
    let mut latest = None;
    watch(&h, Duration::from_millis(500), &mut latest);
    // Snowflake goes away (as a 30-minute simulated outage at 1,800×: one real second).
    s.set_streaming_outage(Some(503));
    watch(&h, Duration::from_millis(300), &mut latest);
    let before = latest.as_ref().map(|s| s.store.events_written).unwrap_or(0);
    watch(&h, Duration::from_millis(1000), &mut latest);
    let during = latest.clone().expect("snapshot");
    assert!(
        during.store.events_written > before,
        "the simulator kept writing during the outage"
    );
    let f = during.feed.clone().expect("feed");
    assert!(
        f.backlog_rows > 0,
        "the outbox grows during the outage: {f:?}"
    );
    assert!(
        matches!(f.state, FeedState::Retrying | FeedState::Connecting),
        "{f:?}"
    );
    assert!(
        f.last_error.as_deref().is_some_and(|e| e.contains("503")),
        "{f:?}"
    );
    // Dropped connections for a while too.
    s.set_streaming_outage(Some(0));
    watch(&h, Duration::from_millis(300), &mut latest);
    s.set_streaming_outage(None);
    let last = stop_and_drain(h);
    assert_exactly_once(&db, &s);
    let f = last.feed.expect("feed");
    assert_eq!(f.state, FeedState::Streaming, "{f:?}");
    assert_eq!(f.last_error, None);
}

#[test]
fn each_sessions_current_state_in_snowflake_agrees_with_the_local_store() {
    let s = standin();
    s.inject_streaming_randomly(
        3,
        50,
        vec![StreamFault::DropAfter, StreamFault::ResetChannel],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let h = runner(&db, &s, 7200.0);
    let mut latest = None;
    watch(&h, Duration::from_secs(2), &mut latest);
    s.inject_streaming_randomly(0, 0, Vec::new());
    stop_and_drain(h);
    // The view PARKING_SESSIONS_CURRENT keeps, per session, the completed row if there is one,
    // else the active row. The same rule over the streamed rows:
    let mut current: BTreeMap<String, (String, Option<String>, Option<f64>)> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for r in s.streamed_rows("PARKING_SESSIONS") {
        let id = r["SESSION_ID"].as_str().expect("id").to_string();
        let status = r["STATUS"].as_str().expect("status").to_string();
        assert!(
            seen.insert((id.clone(), status.clone())),
            "{id} {status} landed twice"
        );
        let value = (
            status.clone(),
            r["OUT_TIME"].as_str().map(str::to_string),
            r["COST"].as_f64(),
        );
        let keep = match current.get(&id) {
            Some((s, _, _)) => s != "completed",
            None => true,
        };
        if keep {
            current.insert(id, value);
        }
    }
    let conn = rusqlite::Connection::open(&db).expect("open");
    let mut stmt = conn
        .prepare("SELECT session_id, status, out_time, cost FROM parking_sessions")
        .expect("prepare");
    let local: BTreeMap<String, (String, Option<String>, Option<f64>)> = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(
        local.values().any(|v| v.0 == "active"),
        "some cars are parked"
    );
    assert!(local.values().any(|v| v.0 == "completed"), "some cars left");
    assert_eq!(current.len(), local.len());
    for (id, l) in &local {
        let r = current
            .get(id)
            .unwrap_or_else(|| panic!("session {id} missing"));
        assert_eq!((&r.0, &r.1), (&l.0, &l.1), "session {id}");
        match (r.2, l.2) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 0.005, "{id}: {a} vs {b}"),
            (a, b) => assert_eq!(a.is_some(), b.is_some(), "{id}"),
        }
    }
    // Active counts per facility (current occupancy) agree.
    let active_remote = current.values().filter(|v| v.0 == "active").count();
    let active_local = local.values().filter(|v| v.0 == "active").count();
    assert_eq!(active_remote, active_local);
}

#[test]
fn a_feed_stopped_mid_stream_resumes_from_the_committed_offset() {
    let s = standin();
    // Commits lag well behind appends, so a stop leaves received-but-uncommitted rows behind.
    s.configure_streaming(|c| c.commit_lag = Duration::from_millis(600));
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let mut h = runner(&db, &s, 3600.0);
    let mut latest = None;
    watch(&h, Duration::from_millis(1500), &mut latest);
    h.shutdown();
    let installation = {
        let mut store = parking_iot::store::Store::open(&db).expect("store");
        let b = store.outbox_backlog().expect("backlog");
        assert!(b.total() > 0, "rows were left in the outbox");
        store.installation_id().expect("id")
    };
    s.configure_streaming(|c| c.commit_lag = Duration::from_millis(50));
    let h = runner(&db, &s, 3600.0);
    watch(&h, Duration::from_millis(500), &mut latest);
    let last = stop_and_drain(h);
    assert_exactly_once(&db, &s);
    let f = last.feed.expect("feed");
    assert!(
        f.channels
            .iter()
            .all(|c| c.contains(&installation.to_ascii_uppercase())),
        "channel names come from the store's installation id: {f:?}"
    );
}

/// The binary with only the test's settings (no SNOWFLAKE_* of the machine, no
/// connections.toml, no .env).
fn bin(dir: &Path, s: &StandIn, key: &Path) -> Command {
    let addr = s.base_url();
    let port = addr.rsplit(':').next().expect("port").to_string();
    let mut c = Command::new(BIN);
    c.env_clear()
        .current_dir(dir)
        .env("HOME", dir)
        .env("SNOWFLAKE_HOME", dir)
        .env("SNOWFLAKE_ACCOUNT", ACCOUNT)
        .env("SNOWFLAKE_USER", "loader")
        .env("PRIVATE_KEY_PATH", key)
        .env("SNOWFLAKE_HOST", "127.0.0.1")
        .env("SNOWFLAKE_PORT", port)
        .env("SNOWFLAKE_PROTOCOL", "http");
    c
}

#[test]
fn killed_live_command_restarted_lands_every_event_exactly_once() {
    let s = standin();
    s.configure_streaming(|c| c.commit_lag = Duration::from_millis(300));
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key.p8");
    std::fs::write(&key, pkcs8_pem(rsa_2048())).expect("key");
    let db = dir.path().join("live.db");
    let db_arg = db.display().to_string();
    // Kill points drawn from the clock, printed so a failure can be replayed.
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let mut kills = Vec::new();
    for _ in 0..3 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let after = Duration::from_millis(400 + seed % 1600);
        kills.push(after);
        let mut child = bin(dir.path(), &s, &key)
            .args([
                "live",
                "--speed",
                "3600",
                "--sink",
                "snowflake",
                "--db",
                &db_arg,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(after);
        child.kill().expect("kill -9");
        let _ = child.wait();
    }
    let out = bin(dir.path(), &s, &key)
        .args([
            "live",
            "--speed",
            "3600",
            "--duration",
            "1s",
            "--sink",
            "snowflake",
            "--db",
            &db_arg,
            "--drain-timeout",
            "2m",
        ])
        .output()
        .expect("run");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "kills after {kills:?}\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("waiting up to 2.0 min for Snowflake"),
        "{stderr}"
    );
    assert!(stdout.contains("snowflake streaming: sent"), "{stdout}");
    assert_exactly_once(&db, &s);
    let mut store = parking_iot::store::Store::open(&db).expect("store");
    assert_eq!(store.outbox_backlog().expect("backlog").total(), 0);
}

#[test]
fn live_command_rejects_bad_input_with_clear_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .env_clear()
            .env("HOME", dir.path())
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["live", "--duration", "ten minutes", "--db", "x.db"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("is not a duration: use a number with s, m or h"),
        "{err}"
    );
    let (code, err) = run(&["live", "--duration", "5ms", "--db", "x.db"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("shorter than a second"), "{err}");
    let (code, err) = run(&["live", "--speed", "0", "--db", "x.db"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--speed 0 is out of range"), "{err}");
    let (code, err) = run(&["live", "--sink", "snowflake", "--db", "x.db"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no Snowflake account"), "{err}");
    let (code, err) = run(&["live", "--db", "no/such/folder/x.db", "--duration", "1s"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("does not exist"), "{err}");
}
