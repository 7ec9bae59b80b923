//! The Snowflake live feed: a thread that drains the store's streaming outbox into Snowpipe
//! Streaming channels (one per table), exactly once.
//!
//! How exactly-once holds: each row's outbox `seq` is monotonic and each append's offset token
//! is the `seq` of its last row. Rows leave the outbox only when bulk-channel-status reports a
//! committed offset at or past them. Whenever anything goes wrong - a stale continuation token,
//! an answer lost to a dropped connection, an outage, a restart after a crash - the channel is
//! reopened, which makes Snowflake drop what it received but had not committed, and sending
//! resumes right after the committed offset it reports. So a row is either committed once or
//! still in the outbox, and a committed row is never sent again.
//!
//! The feed never blocks the simulator: the live runner only writes the outbox (in its own
//! commit) and nudges this thread; while Snowflake is slow or away the outbox grows.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::snowflake::errors::SnowflakeError;
use crate::snowflake::keys::KeyPair;
use crate::snowflake::setup::ObjectNames;
use crate::snowflake::sql_api::ApiSettings;
use crate::snowflake::streaming::body::{self, MAX_RAW_BYTES};
use crate::snowflake::streaming::{channel_name, IngestClient, StreamError};
use crate::store::outbox::StreamTable;
use crate::store::Store;

/// Limits and timings of the feed.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedOptions {
    /// Most rows in one append.
    pub max_batch_rows: usize,
    /// Most uncompressed NDJSON bytes in one append (capped at [`MAX_RAW_BYTES`], which keeps
    /// the compressed body within Snowflake's 4 MB).
    pub max_batch_bytes: usize,
    /// Compress bodies with gzip.
    pub gzip: bool,
    /// Shortest time between two appends to one channel (Snowflake allows about 10 a second).
    pub min_append_interval: Duration,
    /// Most body bytes sent to one channel per second (Snowflake allows about 1 MB/s).
    pub max_bytes_per_sec: usize,
    /// How often the committed offsets are polled while rows await commitment.
    pub status_interval: Duration,
    /// First wait after a failure; doubles up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// Time limit of one HTTP exchange.
    pub request_timeout: Duration,
    /// Reopen the channels when rows were sent but nothing was committed for this long (a
    /// channel reset elsewhere drops them silently).
    pub stall_timeout: Duration,
    /// Renew the scoped token at the latest this long after it was issued.
    pub token_renewal: Duration,
    /// Keep every committed row's delay (creation to commit) for [`Feed::take_latencies`].
    pub record_latencies: bool,
}

impl Default for FeedOptions {
    fn default() -> Self {
        FeedOptions {
            max_batch_rows: 50_000,
            max_batch_bytes: MAX_RAW_BYTES,
            gzip: true,
            min_append_interval: Duration::from_millis(100),
            max_bytes_per_sec: 1_000_000,
            status_interval: Duration::from_millis(100),
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(20),
            stall_timeout: Duration::from_secs(30),
            token_renewal: crate::snowflake::streaming::client::DEFAULT_TOKEN_RENEWAL,
            record_latencies: false,
        }
    }
}

/// Where and as whom the feed streams.
#[derive(Clone)]
pub struct FeedSettings {
    /// Account URL, account, user, database and schema (the same settings as the SQL API).
    pub api: ApiSettings,
    /// The key-pair login's key.
    pub key: Arc<KeyPair>,
    /// Object names: the pipes `events_pipe` and `sessions_pipe` are streamed to.
    pub names: ObjectNames,
    /// Limits and timings.
    pub options: FeedOptions,
}

impl FeedSettings {
    /// Settings with the default limits and timings.
    pub fn new(api: ApiSettings, key: Arc<KeyPair>, names: ObjectNames) -> FeedSettings {
        FeedSettings {
            api,
            key,
            names,
            options: FeedOptions::default(),
        }
    }
}

impl FeedSettings {
    /// Settings from resolved connection settings (flags, environment, `.env`,
    /// `connections.toml`) and a loaded key, with the default limits and timings.
    pub fn from_config(
        config: &crate::snowflake::config::ConnectionConfig,
        key: KeyPair,
    ) -> Result<FeedSettings, SnowflakeError> {
        let api = config.api_settings(crate::snowflake::sql_api::RetryPolicy::default())?;
        let names = config.object_names();
        names.check()?;
        Ok(FeedSettings::new(api, Arc::new(key), names))
    }
}

impl std::fmt::Debug for FeedSettings {
    // The key shows only as its fingerprint: key material never reaches logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedSettings")
            .field("base_url", &self.api.base_url)
            .field("account", &self.api.account)
            .field("user", &self.api.user)
            .field("names", &self.names)
            .field("key_fingerprint", &self.key.fingerprint())
            .field("options", &self.options)
            .finish()
    }
}

impl PartialEq for FeedSettings {
    fn eq(&self, other: &Self) -> bool {
        self.api.base_url == other.api.base_url
            && self.api.account == other.api.account
            && self.api.user == other.api.user
            && self.api.database == other.api.database
            && self.api.schema == other.api.schema
            && self.names == other.names
            && self.key.fingerprint() == other.key.fingerprint()
            && self.options == other.options
    }
}

/// What the feed is doing, for the status light.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FeedState {
    /// Not streaming.
    #[default]
    Off,
    /// Finding the ingest host, getting a token, opening channels.
    Connecting,
    /// Channels open; rows flow.
    Streaming,
    /// A transient failure (network, 5xx, stale channel); trying again with backoff.
    Retrying,
    /// A failure that needs the user (login refused, pipe missing); still retried, slowly.
    Error,
}

impl FeedState {
    /// A word for the status light.
    pub fn label(self) -> &'static str {
        match self {
            FeedState::Off => "off",
            FeedState::Connecting => "connecting",
            FeedState::Streaming => "streaming",
            FeedState::Retrying => "retrying",
            FeedState::Error => "error",
        }
    }
}

/// The feed's figures, as the window and the command line show them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedStatus {
    /// What it is doing.
    pub state: FeedState,
    /// Rows appended (received by Snowflake, resends included) since the feed started.
    pub rows_sent: u64,
    /// Rows Snowflake reported committed (and removed from the outbox) since the feed started.
    pub rows_committed: u64,
    /// Rows waiting in the outbox (sent or not, not yet committed).
    pub backlog_rows: u64,
    /// Creation-to-commit delay of the newest row in the latest commit report.
    pub latency: Option<Duration>,
    /// The latest failure, in words (kept until the next success).
    pub last_error: Option<String>,
    /// The ingest host's URL, once found.
    pub ingest_url: Option<String>,
    /// The channel names.
    pub channels: Vec<String>,
    /// Times the channels were (re)opened.
    pub opens: u64,
    /// Rows sent again after a reopen (received before but never committed).
    pub resent_rows: u64,
    /// Every nudge so far was seen, and `backlog_rows` counted after it.
    pub up_to_date: bool,
}

struct FeedShared {
    status: Mutex<FeedStatus>,
    stop: AtomicBool,
    draining: AtomicBool,
    nudges: AtomicU64,
    /// The nudge count the backlog was last counted after.
    seen: AtomicU64,
    latencies: Mutex<Vec<u32>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running feed. Dropping it asks the thread to stop without waiting for it.
pub struct Feed {
    shared: Arc<FeedShared>,
    wake: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Feed {
    /// Starts the feed thread on the store at `db`.
    pub fn start(db: PathBuf, settings: FeedSettings) -> Feed {
        let shared = Arc::new(FeedShared {
            status: Mutex::new(FeedStatus {
                state: FeedState::Connecting,
                ..Default::default()
            }),
            stop: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            nudges: AtomicU64::new(0),
            seen: AtomicU64::new(0),
            latencies: Mutex::new(Vec::new()),
        });
        let (wake, woken) = crossbeam_channel::bounded(1);
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("snowflake-feed".into())
            .spawn(move || Worker::new(s, db, settings, woken).run());
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                let mut st = lock(&shared.status);
                st.state = FeedState::Error;
                st.last_error = Some(format!("the feed thread could not start: {e}"));
                None
            }
        };
        Feed {
            shared,
            wake,
            thread,
        }
    }

    /// The current figures.
    pub fn status(&self) -> FeedStatus {
        let mut s = lock(&self.shared.status).clone();
        s.up_to_date = s.up_to_date
            && self.shared.nudges.load(Ordering::SeqCst) == self.shared.seen.load(Ordering::SeqCst);
        s
    }

    /// Tells the thread new rows are in the outbox.
    pub fn nudge(&self) {
        self.shared.nudges.fetch_add(1, Ordering::SeqCst);
        let _ = self.wake.try_send(());
    }

    /// Whether the thread has ended (after [`Feed::stop`], or a failure to start).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits up to `timeout` for Snowflake to commit everything in the outbox, then stops the
    /// thread. Returns the final figures; rows still waiting stay in the outbox for next time.
    pub fn finish(mut self, timeout: Duration) -> FeedStatus {
        self.nudge();
        self.shared.draining.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && !self.is_finished() {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = self.wake.try_send(());
        // The thread ends after its current request at the latest; wait briefly, never long.
        let grace = Instant::now() + Duration::from_secs(2);
        while Instant::now() < grace && !self.is_finished() {
            std::thread::sleep(Duration::from_millis(10));
        }
        if self.is_finished() {
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
        self.status()
    }

    /// Asks the thread to stop after its current request, without waiting (as an app that is
    /// closed or killed would leave it: the outbox keeps what was not committed).
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = self.wake.try_send(());
    }

    /// The creation-to-commit delays (ms) of the rows committed since the last call, when
    /// [`FeedOptions::record_latencies`] is on.
    pub fn take_latencies(&self) -> Vec<u32> {
        std::mem::take(&mut *lock(&self.shared.latencies))
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop();
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

struct Chan {
    table: StreamTable,
    pipe: String,
    name: String,
    token: Option<String>,
    /// Highest seq appended since the channel was opened.
    sent: i64,
    /// Highest seq Snowflake reported committed.
    committed: i64,
    /// Highest seq sent before the latest reopen (rows up to it and above `committed` are resends).
    resend_until: i64,
    last_append: Option<Instant>,
    bytes: VecDeque<(Instant, usize)>,
    waiting_since: Option<Instant>,
}

struct Worker {
    shared: Arc<FeedShared>,
    db: PathBuf,
    settings: FeedSettings,
    woken: Receiver<()>,
    chans: Vec<Chan>,
    backoff: Duration,
    last_status: Instant,
    last_backlog: Instant,
}

enum Step {
    Continue,
    Stop,
}

impl Worker {
    fn new(
        shared: Arc<FeedShared>,
        db: PathBuf,
        settings: FeedSettings,
        woken: Receiver<()>,
    ) -> Worker {
        let backoff = settings.options.initial_backoff;
        Worker {
            shared,
            db,
            settings,
            woken,
            chans: Vec::new(),
            backoff,
            last_status: Instant::now(),
            last_backlog: Instant::now() - Duration::from_secs(60),
        }
    }

    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    fn set(&self, f: impl FnOnce(&mut FeedStatus)) {
        f(&mut lock(&self.shared.status));
    }

    /// Sleeps `d` unless told to stop or nudged; returns whether to stop.
    fn pause(&self, d: Duration) -> bool {
        let _ = self.woken.recv_timeout(d);
        self.stopping()
    }

    fn run(mut self) {
        let mut store = loop {
            match Store::open(&self.db) {
                Ok(s) => break s,
                Err(e) => {
                    let message = format!("the feed cannot open the store: {e}");
                    self.set(|s| {
                        s.state = FeedState::Error;
                        s.last_error = Some(message);
                    });
                    if self.pause(self.settings.options.max_backoff) {
                        return self.ended();
                    }
                }
            }
        };
        let installation = loop {
            match store.installation_id() {
                Ok(id) => break id,
                Err(e) => {
                    let message = format!("the feed cannot read the store: {e}");
                    self.set(|s| {
                        s.state = FeedState::Error;
                        s.last_error = Some(message);
                    });
                    if self.pause(self.settings.options.max_backoff) {
                        return self.ended();
                    }
                }
            }
        };
        let o = self.settings.options.clone();
        let mut client = match IngestClient::new(
            self.settings.api.clone(),
            self.settings.key.clone(),
            o.request_timeout,
        ) {
            Ok(c) => c,
            Err(e) => {
                let message = e.to_string();
                self.set(|s| {
                    s.state = FeedState::Error;
                    s.last_error = Some(message);
                });
                return self.ended();
            }
        };
        client.set_token_renewal(o.token_renewal);
        let names = &self.settings.names;
        self.chans = [
            (StreamTable::Events, names.events_pipe.clone()),
            (StreamTable::Sessions, names.sessions_pipe.clone()),
        ]
        .into_iter()
        .map(|(table, pipe)| Chan {
            table,
            pipe,
            name: channel_name(&installation, table.as_str()),
            token: None,
            sent: 0,
            committed: 0,
            resend_until: 0,
            last_append: None,
            bytes: VecDeque::new(),
            waiting_since: None,
        })
        .collect();
        let channels: Vec<String> = self.chans.iter().map(|c| c.name.clone()).collect();
        self.set(|s| s.channels = channels);
        let mut connected = false;
        loop {
            if self.stopping() {
                break;
            }
            let seen = self.shared.nudges.load(Ordering::SeqCst);
            let draining = self.shared.draining.load(Ordering::SeqCst);
            if self.last_backlog.elapsed() >= Duration::from_millis(500)
                || draining
                || seen != self.shared.seen.load(Ordering::SeqCst)
            {
                self.refresh_backlog(&mut store, seen);
            }
            if draining && lock(&self.shared.status).backlog_rows == 0 {
                break;
            }
            if !connected {
                self.set(|s| s.state = FeedState::Connecting);
                match self.connect(&mut client, &mut store) {
                    Ok(()) => {
                        connected = true;
                        self.backoff = o.initial_backoff;
                        let url = client.ingest_url().map(str::to_string);
                        self.set(|s| {
                            s.state = FeedState::Streaming;
                            s.ingest_url = url;
                            s.last_error = None;
                        });
                        self.refresh_backlog(&mut store, seen);
                    }
                    Err(e) => {
                        if let Step::Stop = self.failed(&mut client, e) {
                            break;
                        }
                        continue;
                    }
                }
            }
            match self.cycle(&mut client, &mut store) {
                Ok(busy) => {
                    if !busy {
                        let wait = if self.chans.iter().any(|c| c.sent > c.committed) {
                            o.status_interval
                        } else {
                            Duration::from_millis(500)
                        };
                        if self.pause(wait) {
                            break;
                        }
                    }
                }
                Err(e) => {
                    connected = false;
                    if let Step::Stop = self.failed(&mut client, e) {
                        break;
                    }
                }
            }
        }
        self.ended();
    }

    fn ended(&self) {
        self.set(|s| {
            if s.state != FeedState::Error {
                s.state = FeedState::Off;
            }
        });
    }

    fn refresh_backlog(&mut self, store: &mut Store, seen: u64) {
        self.last_backlog = Instant::now();
        match store.outbox_backlog() {
            Ok(b) => {
                self.set(|s| {
                    s.backlog_rows = b.total();
                    s.up_to_date = true;
                });
                self.shared.seen.store(seen, Ordering::SeqCst);
            }
            Err(e) => {
                let message = format!("the outbox cannot be read: {e}");
                self.set(|s| s.last_error = Some(message));
            }
        }
    }

    /// Handles a failure: state, message, backoff. Returns whether to stop.
    fn failed(&mut self, client: &mut IngestClient, e: StreamError) -> Step {
        let o = &self.settings.options;
        let (state, wait) = match &e {
            StreamError::Reopen { .. } => {
                (FeedState::Retrying, o.initial_backoff.min(self.backoff))
            }
            StreamError::Snowflake(inner) => match **inner {
                SnowflakeError::Auth { .. }
                | SnowflakeError::Settings(_)
                | SnowflakeError::Tls { .. }
                | SnowflakeError::Key(_) => (FeedState::Error, self.backoff),
                SnowflakeError::Network { .. } => {
                    // The account may answer from another ingest host after an outage.
                    client.reset();
                    (FeedState::Retrying, self.backoff)
                }
                _ => (FeedState::Retrying, self.backoff),
            },
            StreamError::Token { .. } => {
                client.reset();
                (FeedState::Retrying, self.backoff)
            }
            StreamError::Server { .. } => (FeedState::Retrying, self.backoff),
            StreamError::Rejected { .. } => (FeedState::Error, self.backoff),
        };
        let streamed_before = lock(&self.shared.status).rows_committed > 0;
        let message = match &e {
            // A connection that drops after rows went through is the network's or Snowflake's
            // moment, not a wrong account or proxy: say so rather than repeat set-up advice.
            StreamError::Snowflake(inner) if streamed_before => match &**inner {
                SnowflakeError::Network { detail, .. } => {
                    format!("the connection to Snowflake dropped ({detail}); retrying")
                }
                _ => e.to_string(),
            },
            _ => e.to_string(),
        };
        self.set(|s| {
            s.state = state;
            s.last_error = Some(message);
        });
        // Exponential backoff with jitter in [50%, 100%], so many installations coming back
        // after an outage do not all knock at once.
        self.backoff = (self.backoff * 2).min(o.max_backoff);
        let jitter = (now_ms().unsigned_abs() % 501) as f64 / 1000.0;
        if self.pause(wait.mul_f64(0.5 + jitter)) {
            Step::Stop
        } else {
            Step::Continue
        }
    }

    /// Finds the host, gets a token, (re)opens both channels and forgets what they had not
    /// committed: the rows after each committed offset are sent (again) from the outbox.
    fn connect(&mut self, client: &mut IngestClient, store: &mut Store) -> Result<(), StreamError> {
        client.discover()?;
        for i in 0..self.chans.len() {
            let (pipe, name) = (self.chans[i].pipe.clone(), self.chans[i].name.clone());
            let opened = client.open_channel(&pipe, &name)?;
            let committed = parse_offset(opened.committed_offset.as_deref(), &name)?;
            self.acknowledge(store, i, committed)?;
            let c = &mut self.chans[i];
            c.token = Some(opened.continuation_token);
            c.resend_until = c.resend_until.max(c.sent);
            c.sent = committed.max(c.committed);
            c.committed = committed.max(c.committed);
            c.waiting_since = None;
            self.set(|s| s.opens += 1);
        }
        self.last_status = Instant::now();
        Ok(())
    }

    /// One round: an append per channel when there are rows and the rate allows, and a
    /// status poll when rows await commitment. Returns whether it did any work.
    fn cycle(&mut self, client: &mut IngestClient, store: &mut Store) -> Result<bool, StreamError> {
        let mut busy = false;
        for i in 0..self.chans.len() {
            busy |= self.send(client, store, i)?;
        }
        let o = &self.settings.options;
        let awaiting = self.chans.iter().any(|c| c.sent > c.committed);
        if awaiting && self.last_status.elapsed() >= o.status_interval {
            self.last_status = Instant::now();
            for i in 0..self.chans.len() {
                if self.chans[i].sent <= self.chans[i].committed {
                    continue;
                }
                let (pipe, name) = (self.chans[i].pipe.clone(), self.chans[i].name.clone());
                let statuses = client.bulk_status(&pipe, &[name.as_str()])?;
                let Some(st) = statuses.get(&name) else {
                    return Err(StreamError::Reopen {
                        channel: name,
                        code: "channel missing from bulk-channel-status".into(),
                    });
                };
                let committed = parse_offset(st.committed_offset.as_deref(), &name)?;
                if committed > self.chans[i].committed {
                    self.acknowledge(store, i, committed)?;
                    let c = &mut self.chans[i];
                    c.committed = committed;
                    c.sent = c.sent.max(committed);
                    c.waiting_since = (c.sent > c.committed).then(Instant::now);
                    self.set(|s| {
                        s.state = FeedState::Streaming;
                        s.last_error = None;
                    });
                }
            }
        }
        let stall = self.settings.options.stall_timeout;
        if let Some(c) = self
            .chans
            .iter()
            .find(|c| c.waiting_since.is_some_and(|t| t.elapsed() > stall))
        {
            return Err(StreamError::Reopen {
                channel: c.name.clone(),
                code: format!("nothing committed for {} s", stall.as_secs()),
            });
        }
        Ok(busy)
    }

    /// Appends the next batch of one channel, if any and if the rate allows.
    fn send(
        &mut self,
        client: &mut IngestClient,
        store: &mut Store,
        i: usize,
    ) -> Result<bool, StreamError> {
        let o = self.settings.options.clone();
        let now = Instant::now();
        let c = &mut self.chans[i];
        if c.last_append
            .is_some_and(|t| now.duration_since(t) < o.min_append_interval)
        {
            return Ok(false);
        }
        while c
            .bytes
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= Duration::from_secs(1))
        {
            c.bytes.pop_front();
        }
        let recent: usize = c.bytes.iter().map(|(_, n)| n).sum();
        if recent >= o.max_bytes_per_sec {
            return Ok(false);
        }
        let Some(token) = c.token.clone() else {
            return Err(StreamError::Reopen {
                channel: c.name.clone(),
                code: "no continuation token".into(),
            });
        };
        let (table, after) = (c.table, c.sent);
        let max_bytes = o
            .max_batch_bytes
            .min(MAX_RAW_BYTES)
            .min(o.max_bytes_per_sec.max(64 * 1024));
        let rows = store
            .outbox_batch(table, after, o.max_batch_rows, max_bytes)
            .map_err(|e| {
                StreamError::from(SnowflakeError::Settings(format!(
                    "the outbox cannot be read: {e}"
                )))
            })?;
        let Some(last) = rows.last() else {
            return Ok(false);
        };
        let last_seq = last.seq;
        let offset = last_seq.to_string();
        let raw = body::ndjson(rows.iter().map(|r| r.row.as_str()), &offset);
        let payload = if o.gzip {
            body::gzip(&raw).map_err(|e| {
                StreamError::from(SnowflakeError::Settings(format!("gzip failed: {e}")))
            })?
        } else {
            raw
        };
        let size = payload.len();
        let (pipe, name) = (self.chans[i].pipe.clone(), self.chans[i].name.clone());
        let next = client.append(&pipe, &name, &token, &offset, payload, o.gzip)?;
        let c = &mut self.chans[i];
        let resent = rows.iter().filter(|r| r.seq <= c.resend_until).count() as u64;
        c.token = Some(next);
        if c.sent == c.committed {
            c.waiting_since = Some(Instant::now());
        }
        c.sent = last_seq;
        c.last_append = Some(now);
        c.bytes.push_back((now, size));
        let n = rows.len() as u64;
        self.set(|s| {
            s.rows_sent += n;
            s.resent_rows += resent;
        });
        Ok(true)
    }

    /// Removes the rows of channel `i` up to `committed` from the outbox and counts them.
    fn acknowledge(
        &mut self,
        store: &mut Store,
        i: usize,
        committed: i64,
    ) -> Result<(), StreamError> {
        let table = self.chans[i].table;
        let created = store.outbox_ack(table, committed).map_err(|e| {
            StreamError::from(SnowflakeError::Settings(format!(
                "the outbox cannot be updated: {e}"
            )))
        })?;
        if created.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let newest = created.iter().copied().max().unwrap_or(now);
        if self.settings.options.record_latencies {
            let mut l = lock(&self.shared.latencies);
            l.extend(
                created
                    .iter()
                    .map(|c| (now - c).clamp(0, u32::MAX as i64) as u32),
            );
        }
        let n = created.len() as u64;
        self.set(|s| {
            s.rows_committed += n;
            s.backlog_rows = s.backlog_rows.saturating_sub(n);
            s.latency = Some(Duration::from_millis((now - newest).max(0) as u64));
        });
        Ok(())
    }
}

/// The seq in an offset token this feed wrote (`None`: nothing committed yet).
fn parse_offset(token: Option<&str>, channel: &str) -> Result<i64, StreamError> {
    match token {
        None => Ok(0),
        Some(t) if t.trim().is_empty() => Ok(0),
        Some(t) => t.trim().parse::<i64>().map_err(|_| StreamError::Rejected {
            what: format!("resume the channel {channel}"),
            status: 200,
            code: "-".into(),
            message: format!("its committed offset token '{t}' was not written by parking-iot"),
            hint: " - another program uses this channel name; drop the channel in Snowflake or use another store file".into(),
        }),
    }
}
