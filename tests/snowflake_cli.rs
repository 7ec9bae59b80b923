//! `parking-iot snowflake test|setup|sql` and `historical --sink snowflake` end to end: the real
//! binary against a stand-in running in this test process, configured through SNOWFLAKE_*
//! environment variables, with keys generated at test time and written to temp files.

mod snowflake_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use parking_iot::snowflake::standin::{StandIn, StandInConfig};
use snowflake_support::{key_pair, other_rsa_2048, pkcs8_pem, rsa_2048};

const BIN: &str = env!("CARGO_BIN_EXE_parking-iot");
const ACCOUNT: &str = "xy12345.us-east-2.aws";

fn standin() -> StandIn {
    StandIn::start(StandInConfig::new(
        ACCOUNT,
        "loader",
        key_pair().public_key().clone(),
    ))
    .expect("stand-in")
}

/// A clean folder with the registered key (`good.p8`) and an unregistered one (`bad.p8`).
fn workdir() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.p8");
    let bad = dir.path().join("bad.p8");
    std::fs::write(&good, pkcs8_pem(rsa_2048())).expect("write key");
    std::fs::write(&bad, pkcs8_pem(other_rsa_2048())).expect("write key");
    (dir, good, bad)
}

/// The binary with an environment holding only what the test sets: no SNOWFLAKE_* of the
/// machine, no connections.toml (HOME and SNOWFLAKE_HOME point at the temp folder), no .env.
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
        .env("SNOWFLAKE_WAREHOUSE", "COMPUTE_WH")
        .env("PRIVATE_KEY_PATH", key)
        .env("SNOWFLAKE_HOST", "127.0.0.1")
        .env("SNOWFLAKE_PORT", port)
        .env("SNOWFLAKE_PROTOCOL", "http");
    c
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn snowflake_test_connects_and_prints_the_key_registration() {
    let s = standin();
    let (dir, good, _) = workdir();
    let out = bin(dir.path(), &s, &good)
        .args(["snowflake", "test"])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("user LOADER"), "{stdout}");
    assert!(stdout.contains("role SYSADMIN"), "{stdout}");
    assert!(stdout.contains("warehouse COMPUTE_WH"), "{stdout}");
    let kp = key_pair();
    assert!(
        stdout.contains(&format!("key fingerprint: {}", kp.fingerprint())),
        "{stdout}"
    );
    assert!(stdout.contains(&kp.alter_user_line("loader")), "{stdout}");
    // Where each setting came from is shown.
    assert!(
        stderr.contains("account: xy12345.us-east-2.aws (from environment (SNOWFLAKE_ACCOUNT))"),
        "{stderr}"
    );
    assert!(stderr.contains("role: SYSADMIN (from default)"), "{stderr}");
    // A flag beats the environment: another role reaches the stand-in.
    let out = bin(dir.path(), &s, &good)
        .args(["snowflake", "test", "--role", "ANALYST"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).0.contains("role ANALYST"), "{:?}", text(&out));
}

#[test]
fn an_unregistered_key_gets_the_390144_explanation() {
    let s = standin();
    s.configure(|c| c.detailed_auth_errors = false);
    let (dir, _, bad) = workdir();
    let out = bin(dir.path(), &s, &bad)
        .args(["snowflake", "test"])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    for phrase in ["390144", "account", "login name", "clock", "ALTER USER"] {
        assert!(stderr.contains(phrase), "{phrase}: {stderr}");
    }
    let unregistered =
        parking_iot::snowflake::KeyPair::from_private(other_rsa_2048().clone(), "x").expect("key");
    assert!(stderr.contains(unregistered.fingerprint()), "{stderr}");
}

#[test]
fn bad_settings_exit_2_with_what_to_do() {
    let s = standin();
    let (dir, good, _) = workdir();
    // No key file.
    let out = bin(dir.path(), &s, &dir.path().join("missing.p8"))
        .args(["snowflake", "test"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("does not exist"), "{:?}", text(&out));
    // No account.
    let out = bin(dir.path(), &s, &good)
        .env_remove("SNOWFLAKE_ACCOUNT")
        .args(["snowflake", "test"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("SNOWFLAKE_ACCOUNT"),
        "{:?}",
        text(&out)
    );
    // An unknown connection name.
    std::fs::write(
        dir.path().join("connections.toml"),
        "[dev]\naccount = \"a\"\n",
    )
    .expect("write");
    let out = bin(dir.path(), &s, &good)
        .args(["snowflake", "test", "--connection", "prod"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("no connection named 'prod'"),
        "{:?}",
        text(&out)
    );
    // The passphrase is not a flag.
    let out = bin(dir.path(), &s, &good)
        .args(["snowflake", "test", "--passphrase", "x"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    // An account that cannot be a host name, and base URLs that cannot work, before any request.
    for (flag, value, says) in [
        (
            "--account",
            "acct@elsewhere",
            "is not a Snowflake account identifier",
        ),
        (
            "--account",
            "my acct",
            "is not a Snowflake account identifier",
        ),
        ("--base-url", "127.0.0.1:9", "is not a URL"),
        (
            "--base-url",
            "http://me:hunter2@127.0.0.1:9",
            "must not hold a user name or password",
        ),
    ] {
        let out = bin(dir.path(), &s, &good)
            .args(["snowflake", "test", flag, value])
            .output()
            .expect("run");
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{value}: {stdout}{stderr}");
        assert!(stderr.contains(says), "{value}: {stderr}");
        assert!(!format!("{stdout}{stderr}").contains("hunter2"));
    }
    assert_eq!(s.stats().posts, 0, "nothing was sent");
    // The stand-in says what --key takes when given something else.
    std::fs::write(dir.path().join("notes.txt"), "my key is somewhere\n").expect("write");
    let out = bin(dir.path(), &s, &good)
        .args(["snowflake", "standin", "--key", "notes.txt"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out)
            .1
            .contains("is not a key file: --key takes the public key"),
        "{:?}",
        text(&out)
    );
    // A device or an oversized file is not read (it would never end, or fill memory).
    let big = dir.path().join("huge.p8");
    std::fs::write(&big, vec![b'A'; 200_000]).expect("write");
    for (key, says) in [
        (Path::new("/dev/zero"), "not a regular file"),
        (big.as_path(), "far more than a key"),
    ] {
        let out = bin(dir.path(), &s, key)
            .args(["snowflake", "test"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
        assert!(text(&out).1.contains(says), "{:?}", text(&out));
        let out = bin(dir.path(), &s, &good)
            .args(["snowflake", "standin", "--key"])
            .arg(key)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
        assert!(text(&out).1.contains(says), "{:?}", text(&out));
    }
    // A port without a host would have gone to the account's real host.
    let out = bin(dir.path(), &s, &good)
        .env_remove("SNOWFLAKE_HOST")
        .args(["snowflake", "test"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("but no host: set SNOWFLAKE_HOST too"),
        "{:?}",
        text(&out)
    );
    // A .env that is not text is named, not skipped.
    std::fs::write(
        dir.path().join(".env"),
        b"SNOWFLAKE_USER=loader\n\xff\xfe\n",
    )
    .expect("write");
    let out = bin(dir.path(), &s, &good)
        .args(["snowflake", "test"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out)
            .1
            .contains(".env: stream did not contain valid UTF-8"),
        "{:?}",
        text(&out)
    );
}

#[test]
fn settings_come_from_dotenv_and_connections_toml() {
    let s = standin();
    let (dir, good, _) = workdir();
    let port = s.base_url().rsplit(':').next().expect("port").to_string();
    std::fs::write(
        dir.path().join("connections.toml"),
        format!(
            "default_connection_name = \"standin\"\n[standin]\naccount = \"{ACCOUNT}\"\nuser = \"loader\"\nrole = \"TOML_ROLE\"\nprivate_key_file = \"{}\"\nhost = \"127.0.0.1\"\nport = {port}\nprotocol = \"http\"\n",
            good.display()
        ),
    )
    .expect("write");
    std::fs::write(
        dir.path().join(".env"),
        "SNOWFLAKE_WAREHOUSE='DOT_WH' # from .env\n",
    )
    .expect("write");
    let out = Command::new(BIN)
        .env_clear()
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("SNOWFLAKE_HOME", dir.path())
        .args(["snowflake", "test"])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("role TOML_ROLE"), "{stdout}");
    assert!(stdout.contains("warehouse DOT_WH"), "{stdout}");
    assert!(
        stderr.contains("role: TOML_ROLE (from connections.toml [standin])"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warehouse: DOT_WH (from .env (SNOWFLAKE_WAREHOUSE))"),
        "{stderr}"
    );
}

#[test]
fn setup_creates_the_objects_and_sql_prints_them() {
    let s = standin();
    let (dir, good, _) = workdir();
    for _ in 0..2 {
        let out = bin(dir.path(), &s, &good)
            .args(["snowflake", "setup"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
        assert!(
            text(&out).0.contains("\"PARKING_EVENTS\""),
            "{:?}",
            text(&out)
        );
    }
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
    // Iceberg into another schema.
    let out = bin(dir.path(), &s, &good)
        .args([
            "snowflake",
            "setup",
            "--schema",
            "ICE",
            "--iceberg",
            "--external-volume",
            "my_vol",
            "--base-location",
            "pk/iot",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(
        s.table_names()
            .contains(&"PARKING_IOT.ICE.PARKING_EVENTS".to_string()),
        "{:?}",
        s.table_names()
    );
    assert!(
        s.statements()
            .iter()
            .any(|st| st.contains("CREATE ICEBERG TABLE")
                && st.contains("EXTERNAL_VOLUME = 'MY_VOL'")
                && st.contains("BASE_LOCATION = 'pk/iot/parking_events'")),
        "{:?}",
        s.statements()
    );
    // `sql` needs no connection: no account, no key, no server.
    let out = Command::new(BIN)
        .env_clear()
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .args([
            "snowflake",
            "sql",
            "--database",
            "MY_DB",
            "--iceberg",
            "--external-volume",
            "vol",
        ])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("CREATE DATABASE IF NOT EXISTS \"MY_DB\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("CREATE ICEBERG TABLE IF NOT EXISTS"),
        "{stdout}"
    );
    assert!(stdout.contains("EXTERNAL_VOLUME = 'VOL'"), "{stdout}");
    // --external-volume without --iceberg is a usage error.
    let out = Command::new(BIN)
        .args(["snowflake", "sql", "--external-volume", "v"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// Ids of a local table.
fn local_ids(db: &Path, sql: &str) -> std::collections::BTreeSet<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("ids")
}

/// Ids the stand-in holds in a table, failing on any duplicate.
fn remote_ids(s: &StandIn, table: &str) -> std::collections::BTreeSet<String> {
    let t = s.table(table).expect("table");
    let mut ids = std::collections::BTreeSet::new();
    for row in &t.rows {
        let id = row[0].clone().expect("id");
        assert!(ids.insert(id.clone()), "{table}: {id} landed twice");
    }
    ids
}

fn setup_objects(dir: &Path, s: &StandIn, key: &Path) {
    let out = bin(dir, s, key)
        .args(["snowflake", "setup"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}

const RANGE: [&str; 10] = [
    "historical",
    "--start-date",
    "2025-03-01",
    "--end-date",
    "2025-03-20",
    "--volume",
    "original",
    "--seed",
    "5",
    "--batch-size",
];

#[test]
fn a_load_killed_with_sigkill_and_rerun_lands_every_row_exactly_once() {
    use parking_iot::snowflake::standin::Fault;
    use std::time::{Duration, Instant};
    let s = standin();
    let (dir, good, _) = workdir();
    setup_objects(dir.path(), &s, &good);
    // Slow answers (202 + polling) keep the load running long enough to be killed mid-way;
    // transient failures and lost answers exercise retries with the same requestId.
    s.inject_randomly(
        3,
        250,
        vec![
            Fault::Slow(Duration::from_millis(150)),
            Fault::Status(503),
            Fault::Status(429),
            Fault::DropAfter,
        ],
    );
    let db = dir.path().join("kill.db");
    let run = |extra: &[&str]| {
        let mut c = bin(dir.path(), &s, &good);
        c.args(RANGE)
            .arg("400")
            .arg("--db")
            .arg(&db)
            .args(["--sink", "snowflake"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        c
    };
    let mut child = run(&[]).spawn().expect("spawn");
    let began = Instant::now();
    // Kill once a good part of the load was executed by the stand-in, but not all of it.
    while s.stats().executed < 40 {
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the load ended before it could be killed"
        );
        assert!(began.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    let partial = s.table("PARKING_EVENTS").expect("events").rows.len();
    assert!(partial > 0);
    // The rerun finishes the local run and the load.
    let out = run(&[]).output().expect("rerun");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("done:"), "{stdout}");
    let local_events = local_ids(&db, "SELECT event_id FROM parking_events");
    let local_sessions = local_ids(&db, "SELECT session_id FROM parking_sessions");
    assert!(
        local_events.len() > 50_000,
        "20 days of original volume: {}",
        local_events.len()
    );
    assert!(partial < local_events.len(), "killed mid-way: {partial}");
    assert_eq!(remote_ids(&s, "PARKING_EVENTS"), local_events);
    assert_eq!(remote_ids(&s, "PARKING_SESSIONS"), local_sessions);
    assert_eq!(s.table("PARKING_FACILITIES").expect("f").rows.len(), 50);
    assert!(s.stats().faults > 0, "{:?}", s.stats());
    // A third run has nothing left to do and sends nothing.
    let posts = s.stats().posts;
    let out = run(&[]).output().expect("third");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).0.contains("nothing to do"), "{:?}", text(&out));
    assert_eq!(s.stats().posts, posts);
}

#[test]
fn a_finished_local_run_is_loaded_when_rerun_with_a_snowflake_sink() {
    let s = standin();
    let (dir, good, _) = workdir();
    setup_objects(dir.path(), &s, &good);
    let db = dir.path().join("later.db");
    let go = |sink: &str| {
        bin(dir.path(), &s, &good)
            .args(&RANGE[..4])
            .arg("2025-03-03")
            .args(&RANGE[5..])
            .arg("300")
            .arg("--db")
            .arg(&db)
            .args(["--sink", sink])
            .output()
            .expect("run")
    };
    let out = go("local");
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(s.table("PARKING_EVENTS").expect("t").rows.is_empty());
    // Local is complete but Snowflake is not: the rerun loads instead of "nothing to do".
    let out = go("both");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stdout.contains("nothing to do"), "{stdout}");
    assert!(stderr.contains("0 of 3 days already loaded"), "{stderr}");
    let local_rows = local_ids(&db, "SELECT event_id FROM parking_events").len()
        + local_ids(&db, "SELECT session_id FROM parking_sessions").len()
        + 50;
    assert!(
        stderr.contains(&format!("{local_rows} rows in ")),
        "{local_rows}: {stderr}"
    );
    assert_eq!(
        remote_ids(&s, "PARKING_EVENTS"),
        local_ids(&db, "SELECT event_id FROM parking_events")
    );
    assert_eq!(
        remote_ids(&s, "PARKING_SESSIONS"),
        local_ids(&db, "SELECT session_id FROM parking_sessions")
    );
    let out = go("both");
    assert!(text(&out).0.contains("nothing to do"), "{:?}", text(&out));
    // A dry run cannot load into Snowflake.
    let out = bin(dir.path(), &s, &good)
        .args([
            "historical",
            "--dry-run",
            "--sink",
            "snowflake",
            "--end-date",
            "2025-01-02",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("dry run"), "{:?}", text(&out));
}

#[test]
fn an_encrypted_key_opens_with_the_passphrase_from_dotenv_and_it_never_shows() {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    const PASS: &str = "s3cret pass phrase";
    let s = standin();
    let (dir, _, _) = workdir();
    let enc = dir.path().join("enc.p8");
    let pem = rsa_2048()
        .to_pkcs8_encrypted_pem(&mut rsa::rand_core::OsRng, PASS, LineEnding::LF)
        .expect("encrypt");
    std::fs::write(&enc, pem.as_bytes()).expect("write");
    // No passphrase and no terminal to ask on: a clear usage error.
    let out = bin(dir.path(), &s, &enc)
        .args(["snowflake", "test"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("is encrypted"), "{:?}", text(&out));
    // A wrong passphrase from the environment.
    let out = bin(dir.path(), &s, &enc)
        .env("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "wrong")
        .args(["snowflake", "test"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("passphrase does not open"),
        "{:?}",
        text(&out)
    );
    // The right one from .env (quoted, with spaces).
    std::fs::write(
        dir.path().join(".env"),
        format!("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE=\"{PASS}\"\n"),
    )
    .expect("write");
    let out = bin(dir.path(), &s, &enc)
        .args(["snowflake", "test"])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("passphrase: (set) (from .env (SNOWFLAKE_PRIVATE_KEY_PASSPHRASE))"),
        "{stderr}"
    );
    assert!(!stdout.contains(PASS) && !stderr.contains(PASS));
}

#[test]
fn a_first_load_with_create_objects_needs_no_separate_setup() {
    let s = standin();
    let (dir, good, _) = workdir();
    let db = dir.path().join("first.db");
    let out = bin(dir.path(), &s, &good)
        .args(&RANGE[..4])
        .arg("2025-03-02")
        .args(&RANGE[5..])
        .arg("500")
        .arg("--db")
        .arg(&db)
        .args(["--sink", "both", "--create-objects"])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("creating database PARKING_IOT"), "{stderr}");
    assert_eq!(
        remote_ids(&s, "PARKING_EVENTS"),
        local_ids(&db, "SELECT event_id FROM parking_events")
    );
    assert_eq!(s.table("PARKING_FACILITIES").expect("t").rows.len(), 50);
    // A second run into the same account loads its events and sessions, not the facilities
    // again (each facility once, or every join on them would double).
    let out = bin(dir.path(), &s, &good)
        .args([
            "historical",
            "--start-date",
            "2025-05-01",
            "--end-date",
            "2025-05-01",
            "--volume",
            "original",
            "--db",
        ])
        .arg(&db)
        .args(["--sink", "both"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(
        remote_ids(&s, "PARKING_EVENTS"),
        local_ids(&db, "SELECT event_id FROM parking_events")
    );
    assert_eq!(remote_ids(&s, "PARKING_FACILITIES").len(), 50);
}

#[test]
fn a_load_refused_for_missing_tables_loads_once_they_exist() {
    let s = standin();
    let (dir, good, _) = workdir();
    let db = dir.path().join("refused.db");
    let load = || {
        bin(dir.path(), &s, &good)
            .args(&RANGE[..4])
            .arg("2025-03-02")
            .args(&RANGE[5..])
            .arg("500")
            .arg("--db")
            .arg(&db)
            .args(["--sink", "both"])
            .output()
            .expect("run")
    };
    let first = load();
    let (stdout, stderr) = text(&first);
    assert_eq!(first.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.contains("run the same command again"), "{stderr}");
    // The user does what the message says: creates the objects, runs the same command again.
    let setup = bin(dir.path(), &s, &good)
        .args(["snowflake", "setup"])
        .output()
        .expect("setup");
    assert_eq!(setup.status.code(), Some(0), "{:?}", text(&setup));
    let again = load();
    let (stdout, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        remote_ids(&s, "PARKING_EVENTS"),
        local_ids(&db, "SELECT event_id FROM parking_events")
    );
    assert_eq!(
        remote_ids(&s, "PARKING_SESSIONS"),
        local_ids(&db, "SELECT session_id FROM parking_sessions")
    );
    assert_eq!(s.table("PARKING_FACILITIES").expect("t").rows.len(), 50);
}

#[test]
fn the_standin_command_serves_the_key_it_was_given() {
    use std::io::BufRead;
    let (dir, good, _) = workdir();
    let mut child = Command::new(BIN)
        .env_clear()
        .current_dir(dir.path())
        .args(["snowflake", "standin", "--key"])
        .arg(&good)
        .args(["--account", ACCOUNT, "--user", "loader"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let port = url.rsplit(':').next().expect("port").to_string();
    let run = |key: &Path| {
        Command::new(BIN)
            .env_clear()
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .env("SNOWFLAKE_HOME", dir.path())
            .env("SNOWFLAKE_ACCOUNT", ACCOUNT)
            .env("SNOWFLAKE_USER", "loader")
            .env("PRIVATE_KEY_PATH", key)
            .env("SNOWFLAKE_HOST", "127.0.0.1")
            .env("SNOWFLAKE_PORT", &port)
            .env("SNOWFLAKE_PROTOCOL", "http")
            .args(["snowflake", "test"])
            .output()
            .expect("run")
    };
    let ok = run(&good);
    let bad = run(&dir.path().join("bad.p8"));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ok.status.code(), Some(0), "{:?}", text(&ok));
    assert!(text(&ok).0.contains("user LOADER"), "{:?}", text(&ok));
    assert_eq!(bad.status.code(), Some(1), "an unregistered key is refused");
    assert!(
        text(&bad).1.contains("does not match the one registered"),
        "{:?}",
        text(&bad)
    );
}

#[test]
fn the_standin_command_injects_faults_and_counts_what_arrived_once() {
    use std::io::{BufRead, Read};
    let (dir, good, _) = workdir();
    let mut child = Command::new(BIN)
        .env_clear()
        .current_dir(dir.path())
        .args(["snowflake", "standin", "--key"])
        .arg(&good)
        .args([
            "--account",
            ACCOUNT,
            "--user",
            "loader",
            "--fault-rate",
            "15",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("read");
    let port = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let db = dir.path().join("faults.db");
    let load = Command::new(BIN)
        .env_clear()
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("SNOWFLAKE_HOME", dir.path())
        .env("SNOWFLAKE_ACCOUNT", ACCOUNT)
        .env("SNOWFLAKE_USER", "loader")
        .env("PRIVATE_KEY_PATH", &good)
        .env("SNOWFLAKE_HOST", "127.0.0.1")
        .env("SNOWFLAKE_PORT", &port)
        .env("SNOWFLAKE_PROTOCOL", "http")
        .args(RANGE)
        .arg("300")
        .arg("--db")
        .arg(&db)
        .args(["--sink", "both", "--create-objects"])
        .output()
        .expect("run");
    // Ctrl-C makes the stand-in print what it received.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    let _ = child.wait();
    assert_eq!(load.status.code(), Some(0), "{:?}", text(&load));
    let events = local_ids(&db, "SELECT event_id FROM parking_events").len();
    let sessions = local_ids(&db, "SELECT session_id FROM parking_sessions").len();
    assert!(
        rest.contains(&format!(
            "PARKING_EVENTS: {events} rows, {events} distinct EVENT_ID: {events} loaded over the SQL API"
        )),
        "{rest}"
    );
    assert!(
        rest.contains(&format!(
            "PARKING_SESSIONS: {sessions} rows, {sessions} distinct SESSION_ID: {sessions} loaded over the SQL API"
        )),
        "{rest}"
    );
    let faults: u64 = rest
        .split("requestId cache, ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no fault count in {rest}"));
    assert!(faults > 0, "faults were injected: {rest}");
}
