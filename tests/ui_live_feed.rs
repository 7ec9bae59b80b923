//! The Live tab's Snowflake feed, clicked through with egui_kittest against the stand-in: the
//! switch refuses before a connection, streams once connected (status light, figures), and a
//! window closed mid-stream comes back with the feed on and every event in Snowflake exactly
//! once.

mod snowflake_support;
mod ui_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use parking_iot::jobs::live::FeedState;
use parking_iot::snowflake::standin::{StandIn, StandInConfig};
use parking_iot::ui::settings::{Settings, Tab};
use parking_iot::ui::snowflake_tab::{Connection, SnowflakeFields};
use parking_iot::ui::ParkingApp;
use snowflake_support::{key_pair, pkcs8_pem, rsa_2048};
use ui_support::{harness_of, step_for, step_until};

const ACCOUNT: &str = "xy12345.us-east-2.aws";

fn settings(dir: &Path, s: &StandIn, key: &Path) -> Settings {
    Settings {
        store_path: Some(dir.join("store.db")),
        tab: Tab::Live,
        live_speed: 3600.0,
        snowflake: SnowflakeFields {
            account: ACCOUNT.into(),
            user: "loader".into(),
            warehouse: "COMPUTE_WH".into(),
            base_url: s.base_url(),
            key_path: key.display().to_string(),
            ..SnowflakeFields::default()
        },
        ..Settings::default()
    }
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

/// The streamed events' ids, failing on a duplicate.
fn remote_event_ids(s: &StandIn) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for row in s.streamed_rows("PARKING_EVENTS") {
        let id = row["EVENT_ID"].as_str().expect("EVENT_ID").to_string();
        assert!(ids.insert(id.clone()), "event {id} landed twice");
    }
    ids
}

fn feed_state(app: &ParkingApp) -> Option<FeedState> {
    app.live.feed.status.as_ref().map(|f| f.state)
}

fn committed(app: &ParkingApp) -> u64 {
    app.live
        .feed
        .status
        .as_ref()
        .map_or(0, |f| f.rows_committed)
}

/// Stops the simulator and waits until the outbox is empty.
fn stop_and_drain(h: &mut Harness<'_, ParkingApp>) {
    if h.state().live.is_running() {
        h.get_by_label("Stop").click();
    }
    step_until(h, "an empty outbox", |app| {
        !app.live.is_running()
            && app
                .live
                .feed
                .status
                .as_ref()
                .is_some_and(|f| f.up_to_date && f.backlog_rows == 0)
    });
}

#[test]
fn the_feed_switch_streams_and_a_window_closed_mid_stream_resumes_exactly_once() {
    let s = StandIn::start(StandInConfig::new(
        ACCOUNT,
        "loader",
        key_pair().public_key().clone(),
    ))
    .expect("stand-in");
    // Commits lag appends by 2 s, so rows are surely in flight when the window closes.
    s.configure_streaming(|c| c.commit_lag = Duration::from_secs(2));
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("rsa_key.p8");
    std::fs::write(&key, pkcs8_pem(rsa_2048())).expect("key");
    let db = dir.path().join("store.db");

    let mut h = harness_of(ParkingApp::new_with_settings(settings(
        dir.path(),
        &s,
        &key,
    )));
    step_until(&mut h, "the simulator", |app| app.live.ready);
    // Without a usable key the switch tries, says why in words, and goes back off.
    let missing = dir.path().join("missing.p8");
    h.state_mut().settings.snowflake.key_path = missing.display().to_string();
    h.get_by_label("Stream to Snowflake").click();
    step_until(&mut h, "the refusal", |app| app.live.feed.refused.is_some());
    let refused = h.state().live.feed.refused.clone().unwrap_or_default();
    assert!(
        refused.starts_with("The Snowflake feed is off: the private key file")
            && refused.contains("does not exist: check the path"),
        "{refused}"
    );
    h.get_by_label_contains("The Snowflake feed is off:");
    assert!(!h.state().live.feed.on);
    assert_eq!(feed_state(h.state()), None);
    assert_eq!(
        h.state().settings.live_feed,
        Some(false),
        "saved as off: it must not come back on at the next start"
    );
    h.state_mut().settings.snowflake.key_path = key.display().to_string();

    // Connect and create the tables and pipes from the Snowflake tab.
    h.get_by_label("Snowflake").click();
    step_for(&mut h, 2);
    h.get_by_label("Test connection").click();
    step_until(&mut h, "the connection", |app| {
        matches!(app.snowflake.connection, Connection::Connected(_)) && !app.snowflake.is_busy()
    });
    h.get_by_label("Create objects").click();
    step_until(&mut h, "the setup", |app| {
        app.snowflake.created.is_some() && !app.snowflake.is_busy()
    });

    // The feed on, the simulator running: rows reach Snowflake and the row says so.
    h.get_by_label("Live").click();
    step_for(&mut h, 2);
    h.get_by_label("Stream to Snowflake").click();
    h.get_by_label("Start").click();
    step_until(&mut h, "committed rows", |app| {
        feed_state(app) == Some(FeedState::Streaming) && committed(app) > 200
    });
    assert_eq!(h.state().settings.live_feed, Some(true));
    h.get_by_label("streaming");
    h.get_by_label_contains("committed");
    h.get_by_label_contains("feed: streaming (backlog");

    // The window closes while rows are in flight: what Snowflake has not committed stays in
    // the outbox.
    let saved = h.state().settings.clone();
    drop(h);
    let before = remote_event_ids(&s).len();
    let local = local_event_ids(&db).len();
    assert!(
        local > before,
        "rows were still in flight ({before} of {local})"
    );

    // Reopened with the same settings, the feed reconnects by itself and sends the rest.
    let mut h = harness_of(ParkingApp::new_with_settings(saved));
    step_until(&mut h, "the feed back on", |app| {
        feed_state(app) == Some(FeedState::Streaming)
    });
    assert!(h.state().live.feed.on);
    assert!(matches!(
        h.state().snowflake.connection,
        Connection::Connected(_)
    ));
    stop_and_drain(&mut h);
    let local = local_event_ids(&db);
    let remote = remote_event_ids(&s);
    assert!(local.len() > 200, "{} events", local.len());
    let missing: Vec<_> = local.difference(&remote).take(3).collect();
    let extra: Vec<_> = remote.difference(&local).take(3).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} local, {} in Snowflake; missing {missing:?}, extra {extra:?}",
        local.len(),
        remote.len()
    );

    // Off: the figures go, the choice is remembered.
    h.get_by_label("Stream to Snowflake").click();
    step_until(&mut h, "the feed off", |app| app.live.feed.status.is_none());
    assert_eq!(h.state().settings.live_feed, Some(false));
    h.get_by_label("off");
}

#[test]
fn a_feed_that_cannot_resume_keeps_rows_in_the_outbox_until_the_user_connects() {
    let s = StandIn::start(StandInConfig::new(
        ACCOUNT,
        "loader",
        key_pair().public_key().clone(),
    ))
    .expect("stand-in");
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("rsa_key.p8");
    std::fs::write(&key, pkcs8_pem(rsa_2048())).expect("key");
    let db = dir.path().join("store.db");
    // Reopened with the feed on and the simulator running, but the key is not where the
    // settings say (a moved file, an unplugged drive).
    let mut saved = settings(dir.path(), &s, &dir.path().join("moved.p8"));
    saved.live_feed = Some(true);
    saved.live_running = true;
    let mut h = harness_of(ParkingApp::new_with_settings(saved));
    step_until(&mut h, "the resume's refusal", |app| {
        app.live.feed.refused.is_some() && app.live.is_running()
    });
    h.get_by_label_contains("starts again once connected");
    h.get_by_label("waiting for a connection");
    assert!(h.state().live.feed.on, "the feed stays wanted");
    assert_eq!(feed_state(h.state()), None);
    // The simulator keeps generating meanwhile.
    step_until(&mut h, "events while waiting", |app| {
        app.live.events.len() > 300
    });

    // The user fixes the path and connects: the feed starts by itself and sends every row,
    // those generated while it waited included.
    h.state_mut().settings.snowflake.key_path = key.display().to_string();
    h.get_by_label("Snowflake").click();
    step_for(&mut h, 2);
    h.get_by_label("Test connection").click();
    step_until(&mut h, "the connection", |app| {
        matches!(app.snowflake.connection, Connection::Connected(_)) && !app.snowflake.is_busy()
    });
    h.get_by_label("Create objects").click();
    step_until(&mut h, "the feed streaming", |app| {
        feed_state(app) == Some(FeedState::Streaming) && committed(app) > 0
    });
    assert!(h.state().live.feed.refused.is_none());
    h.get_by_label("Live").click();
    step_for(&mut h, 2);
    stop_and_drain(&mut h);
    let local = local_event_ids(&db);
    let remote = remote_event_ids(&s);
    assert!(local.len() > 300, "{} events", local.len());
    assert_eq!(local.len(), remote.len());
    assert!(local == remote, "the same events in both places");
}
