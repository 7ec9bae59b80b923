//! The Snowflake tab and the Historical tab's Snowflake destination, clicked through with
//! egui_kittest against the stand-in: Test connection, the key's fingerprint and ALTER USER
//! line, an encrypted key's passphrase (kept out of the settings), Create objects, and a
//! historical run from the window that lands in Snowflake with exactly the local rows.

mod snowflake_support;
mod ui_support;

use egui_kittest::kittest::Queryable;
use parking_iot::snowflake::standin::{Fault, StandIn, StandInConfig};
use parking_iot::ui::settings::{Settings, Tab};
use parking_iot::ui::snowflake_tab::{Connection, SnowflakeFields, NOT_CONNECTED};
use parking_iot::ui::ParkingApp;
use pkcs8::pkcs5::pbes2;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use snowflake_support::{key_pair, pkcs8_pem, rsa_2048};
use ui_support::{count, harness_of, step_for, step_until};

const ACCOUNT: &str = "xy12345.us-east-2.aws";
const PASS: &str = "tab secret \u{e9}";

fn aes_pem() -> String {
    let der = rsa_2048().to_pkcs8_der().expect("der");
    let info = pkcs8::PrivateKeyInfo::try_from(der.as_bytes()).expect("info");
    let (salt, iv) = ([3u8; 16], [9u8; 16]);
    let params = pbes2::Parameters {
        kdf: pbes2::Pbkdf2Params::hmac_with_sha256(2048, &salt)
            .expect("kdf")
            .into(),
        encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &iv },
    };
    let doc = info.encrypt_with_params(params, PASS).expect("encrypt");
    doc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .expect("pem")
        .to_string()
}

fn standin() -> StandIn {
    StandIn::start(StandInConfig::new(
        ACCOUNT,
        "loader",
        key_pair().public_key().clone(),
    ))
    .expect("stand-in")
}

fn app(dir: &std::path::Path, s: &StandIn, key: &std::path::Path) -> ParkingApp {
    ParkingApp::new_with_settings(Settings {
        store_path: Some(dir.join("store.db")),
        tab: Tab::Snowflake,
        snowflake: SnowflakeFields {
            account: ACCOUNT.into(),
            user: "loader".into(),
            warehouse: "COMPUTE_WH".into(),
            base_url: s.base_url(),
            key_path: key.display().to_string(),
            ..SnowflakeFields::default()
        },
        ..Settings::default()
    })
}

#[test]
fn test_connection_shows_the_key_and_create_objects_runs_the_setup() {
    let s = standin();
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("rsa_key.p8");
    std::fs::write(&key, pkcs8_pem(rsa_2048())).expect("key");
    let mut h = harness_of(app(dir.path(), &s, &key));
    step_for(&mut h, 2);
    h.get_by_label(NOT_CONNECTED);
    // Account, user, warehouse, endpoint and key come from the fields.
    assert_eq!(
        h.query_all_by_label_contains("- from command line / window")
            .count(),
        5
    );
    h.get_by_label_contains("SYSADMIN - from default");

    h.get_by_label("Test connection").click();
    step_until(&mut h, "the test's answer", |app| {
        !matches!(app.snowflake.connection, Connection::Untested) && !app.snowflake.is_busy()
    });
    match &h.state().snowflake.connection {
        Connection::Connected(info) => {
            assert_eq!(info.user, "LOADER");
            assert_eq!(info.warehouse, "COMPUTE_WH");
        }
        other => panic!("not connected: {other:?}"),
    }
    h.get_by_label_contains("Connected: Snowflake");
    h.get_by_label_contains("Snowflake: connected as LOADER");
    let fingerprint = key_pair().fingerprint().to_string();
    h.get_by_label_contains(&fingerprint);
    let alter = key_pair().alter_user_line("loader");
    assert_eq!(
        h.state()
            .snowflake
            .key
            .as_ref()
            .map(|k| k.alter_user.clone()),
        Some(alter)
    );

    h.get_by_label("Create objects").click();
    step_until(&mut h, "the setup's answer", |app| {
        app.snowflake.created.is_some() && !app.snowflake.is_busy()
    });
    assert!(
        matches!(&h.state().snowflake.created, Some(Ok(line)) if line.contains("database \"PARKING_IOT\"")),
        "{:?}",
        h.state().snowflake.created
    );
    let names = s.table_names();
    for t in ["PARKING_EVENTS", "PARKING_SESSIONS", "PARKING_FACILITIES"] {
        let full = format!("PARKING_IOT.RAW_DATA.{t}");
        assert!(names.contains(&full), "{t} not created: {names:?}");
    }

    // A historical run with Snowflake as a destination lands every local row there.
    h.get_by_label("Historical").click();
    step_for(&mut h, 2);
    h.get_by_label("Local store and Snowflake").click();
    {
        let app = h.state_mut();
        app.historical.start_text = "2025-02-01".into();
        app.historical.end_text = "2025-02-02".into();
        app.settings.volume = "original".into();
    }
    step_for(&mut h, 2);
    h.get_by_label_contains("into PARKING_IOT.RAW_DATA at http://127.0.0.1:");
    // The load rides through the faults Snowflake can answer with.
    s.inject_randomly(
        23,
        150,
        Fault::ridden_through(std::time::Duration::from_millis(30)),
    );
    h.get_by_label("Start").click();
    step_until(&mut h, "the end of the run", |app| {
        app.historical.outcome.is_some() && !app.historical.is_running()
    });
    let outcome = format!("{:?}", h.state().historical.outcome);
    assert!(outcome.starts_with("Some(Finished"), "{outcome}");
    let db = dir.path().join("store.db");
    let local = count(&db, "SELECT count(*) FROM parking_events");
    assert!(local > 4_000, "{local} events");
    let remote = s.table("PARKING_EVENTS").expect("table").rows;
    let distinct: std::collections::HashSet<_> = remote.iter().map(|r| r[0].clone()).collect();
    assert_eq!(
        remote.len() as i64,
        local,
        "Snowflake holds exactly the local events"
    );
    assert_eq!(distinct.len() as i64, local, "none twice");
    assert!(
        s.stats().faults > 0,
        "faults were injected: {:?}",
        s.stats()
    );
    assert_eq!(
        s.table("PARKING_SESSIONS").expect("table").rows.len() as i64,
        count(&db, "SELECT count(*) FROM parking_sessions")
    );
}

#[test]
fn an_encrypted_key_needs_its_passphrase_which_is_never_saved() {
    let s = standin();
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("rsa_key.p8");
    std::fs::write(&key, aes_pem()).expect("key");
    let mut h = harness_of(app(dir.path(), &s, &key));
    step_for(&mut h, 2);

    h.get_by_label("Test connection").click();
    step_until(&mut h, "the key's refusal", |app| {
        app.snowflake.key_error.is_some() && !app.snowflake.is_busy()
    });
    h.get_by_label_contains("is encrypted: enter its passphrase");
    assert!(matches!(
        h.state().snowflake.connection,
        Connection::Untested
    ));

    h.get_by_label("Passphrase").click();
    h.get_by_label("Passphrase").type_text(PASS);
    step_for(&mut h, 2);
    h.get_by_label_contains("kept in memory only");
    h.get_by_label("Test connection").click();
    step_until(&mut h, "the connection", |app| {
        matches!(app.snowflake.connection, Connection::Connected(_)) && !app.snowflake.is_busy()
    });
    h.get_by_label_contains(key_pair().fingerprint());

    // What the window saves holds no passphrase.
    let saved = serde_json::to_string(&h.state().settings).expect("json");
    assert!(!saved.contains(PASS), "{saved}");
    assert!(!saved.contains("tab secret"), "{saved}");
    assert!(saved.contains("rsa_key.p8"));
}

#[test]
fn the_historical_form_asks_to_connect_before_loading_into_snowflake() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness_of(ParkingApp::new_with_settings(Settings {
        store_path: Some(dir.path().join("store.db")),
        tab: Tab::Historical,
        historical_snowflake: true,
        snowflake: SnowflakeFields {
            account: ACCOUNT.into(),
            user: "loader".into(),
            key_path: dir.path().join("missing.p8").display().to_string(),
            ..SnowflakeFields::default()
        },
        ..Settings::default()
    }));
    step_for(&mut h, 3);
    assert!(
        h.query_all_by_label_contains("press Test connection in the Snowflake tab")
            .count()
            > 0
    );
    assert!(h
        .state()
        .historical
        .form_error(&h.state().settings)
        .is_some());
    // The key that does not exist is named when the user tries it.
    h.get_by_label("Snowflake").click();
    step_for(&mut h, 2);
    h.get_by_label("Open key").click();
    step_until(&mut h, "the key error", |app| {
        app.snowflake.key_error.is_some() && !app.snowflake.is_busy()
    });
    h.get_by_label_contains("missing.p8 does not exist");
}
