//! Snowflake work the window asks for - open the key, test the connection, create the objects -
//! each on its own thread, so the window never waits for a file or the network. The window
//! polls the answers; every failure arrives as words a user can act on.

use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use crate::snowflake::config::Secret;
use crate::snowflake::setup::{self, ObjectNames, Variant};
use crate::snowflake::sql_api::{ApiSettings, ConnectionInfo, SqlApi};
use crate::snowflake::KeyPair;

/// The key as the tab shows it, and the key itself for loads (in memory only).
#[derive(Clone)]
pub struct KeyInfo {
    /// The file it came from.
    pub path: PathBuf,
    /// `SHA256:...` of the public key.
    pub fingerprint: String,
    /// The `ALTER USER ... SET RSA_PUBLIC_KEY='...';` line for the configured user.
    pub alter_user: String,
    /// Modulus size.
    pub bits: usize,
    /// The opened key.
    pub key: Arc<KeyPair>,
}

impl std::fmt::Debug for KeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key material, even in a debug dump.
        write!(f, "KeyInfo({}, {})", self.path.display(), self.fingerprint)
    }
}

/// What a task reports.
#[derive(Debug)]
pub enum TaskReport {
    /// The key file was opened (or why not).
    Key(Result<KeyInfo, String>),
    /// The test query answered (or why not).
    Tested(Result<ConnectionInfo, String>),
    /// The setup ran: a summary line (or why not).
    Created(Result<String, String>),
    /// A file was picked in the native dialog (`None`: cancelled or no dialog available).
    Picked(Option<PathBuf>),
}

/// What to do after opening the key.
#[derive(Clone, Debug)]
pub enum Task {
    /// Open the key only (shows its fingerprint and ALTER USER line).
    OpenKey,
    /// Open the key and run the test query.
    Test(ApiSettings),
    /// Open the key and run the setup statements for these names and this variant.
    Create(ApiSettings, Box<(ObjectNames, Variant)>),
}

/// Runs `task` on a new thread; `notify` is called after each report (the window repaints).
pub fn spawn(
    task: Task,
    key_path: PathBuf,
    passphrase: Option<Secret>,
    user: String,
    notify: impl Fn() + Send + 'static,
) -> Receiver<TaskReport> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let send = move |r: TaskReport| {
        let _ = tx.send(r);
        notify();
    };
    std::thread::spawn(move || {
        let opened = KeyPair::load_file(&key_path, passphrase.as_ref().map(Secret::expose))
            .map_err(|e| e.to_string());
        let key = match opened {
            Ok(k) => Arc::new(k),
            Err(e) => {
                send(TaskReport::Key(Err(e)));
                return;
            }
        };
        send(TaskReport::Key(Ok(KeyInfo {
            path: key_path.clone(),
            fingerprint: key.fingerprint().to_string(),
            alter_user: key.alter_user_line(if user.is_empty() { "<user>" } else { &user }),
            bits: key.bits(),
            key: key.clone(),
        })));
        match task {
            Task::OpenKey => {}
            Task::Test(settings) => {
                let answer = SqlApi::new(settings, key)
                    .and_then(|api| api.test_connection())
                    .map_err(|e| e.to_string());
                send(TaskReport::Tested(answer));
            }
            Task::Create(settings, what) => {
                let (names, variant) = *what;
                let answer = setup::statements(&names, &variant)
                    .and_then(|statements| {
                        let api = SqlApi::new(settings, key)?;
                        api.query_multi(&statements)?;
                        Ok(statements.len())
                    })
                    .map(|n| crate::snowflake::commands::created_summary(&names, n))
                    .map_err(|e| e.to_string());
                send(TaskReport::Created(answer));
            }
        }
    });
    rx
}

/// Opens the native file dialog on its own thread (the window keeps drawing meanwhile).
pub fn pick_key_file(
    start: Option<PathBuf>,
    notify: impl Fn() + Send + 'static,
) -> Receiver<TaskReport> {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        let mut dialog = rfd::AsyncFileDialog::new()
            .set_title("Choose the Snowflake private key (rsa_key.p8)")
            .add_filter("Private key", &["p8", "pem", "key"])
            .add_filter("Any file", &["*"]);
        if let Some(dir) = start.as_ref().and_then(|p| p.parent()) {
            dialog = dialog.set_directory(dir);
        }
        let picked = pollster::block_on(dialog.pick_file()).map(|f| f.path().to_path_buf());
        let _ = tx.send(TaskReport::Picked(picked));
        notify();
    });
    rx
}
