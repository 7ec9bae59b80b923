//! The live runner: one thread owning a [`Simulation`] whose clock is the wall clock times a
//! speed factor. The window sends it [`LiveCommand`]s and renders the [`LiveSnapshot`]s it sends
//! back; the runner writes the live rows and its saved state to the store in batches on its own
//! thread, so the window never waits for SQLite.
//!
//! Saved state: each commit writes the rows, the parked cars (with their planned departures), the
//! counters and the clock in one transaction. Reopening continues from the committed clock
//! position: the simulated clock *resumes where it stopped*; it does not catch up on the time the
//! app was closed.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use crate::catalog::Catalog;
use crate::engine::rng::{self, kind, stream_seed, Rng};
use crate::engine::{
    calendar, sort_events, stays, FacilityCounters, ParkedCar, SimSettings, Simulation,
    VolumePreset,
};
use crate::model::{Event, EventKind, Millis, PlateCode, Session, SessionStatus, HOUR_MS};
use crate::store::live_state::{LiveCommit, LiveHeader, LiveState};
use crate::store::{RunRecord, RunSpec, Store};

use super::feed::Feed;
pub use super::feed::{FeedOptions, FeedSettings, FeedState, FeedStatus};

/// How often the running simulator advances and reports.
pub const TICK: Duration = Duration::from_millis(100);
/// How often live rows are committed while running.
pub const COMMIT_EVERY: Duration = Duration::from_secs(1);
/// How often live rows are committed while the Snowflake feed is on: the feed sends only
/// committed rows, so this bounds the first part of an event's way to Snowflake.
pub const FEED_COMMIT_EVERY: Duration = Duration::from_millis(250);
/// How often a stopped runner reports while the feed still drains its outbox.
const FEED_REPORT_EVERY: Duration = Duration::from_millis(250);
/// The most events one snapshot carries (the window keeps a ring of this many).
pub const EVENT_RING: usize = 50_000;
/// The most active sessions a snapshot lists.
pub const SESSION_SAMPLE: usize = 20_000;
/// The slowest speed (real time).
pub const MIN_SPEED: f64 = 1.0;
/// The fastest speed (a simulated day per real second).
pub const MAX_SPEED: f64 = 86_400.0;
/// Arrival multiplier of a burst.
pub const BURST_FACTOR: f64 = 5.0;
/// Events read back into the stream when a saved state is continued.
pub const RELOADED_EVENTS: usize = 2_000;
/// The least simulated time the events-per-minute rate is taken over.
const RATE_SPAN: Millis = 5 * 60_000;

/// Simulated time between chart points: about one point per real second, but at least every
/// 5 simulated seconds (slow speeds) and at most every 15 simulated minutes (so the daily cycle
/// keeps its shape at a day per second).
pub fn point_interval(speed: f64) -> Millis {
    (speed * 1000.0).clamp(5_000.0, 15.0 * 60_000.0) as Millis
}

/// Rows kept in memory when the store cannot be written before the simulator stops.
const MAX_PENDING: usize = 500_000;

/// What the window asks the runner to do.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveCommand {
    /// Start (or continue) advancing the clock.
    Start,
    /// Stop advancing; commits what is pending.
    Stop,
    /// Change the speed factor (clamped to [`MIN_SPEED`]..=[`MAX_SPEED`]).
    SetSpeed(f64),
    /// A surge of arrivals at 10-20 random facilities for a while.
    Burst,
    /// Forget the live state (parked cars, counters, clock) and begin fresh.
    Restart,
    /// Turn the Snowflake live feed on (with these settings) or off (`None`). While on, every
    /// live commit also writes its rows to the store's outbox, and a feed thread streams them
    /// to Snowpipe Streaming; rows the feed has not delivered when it is turned off stay in
    /// the outbox and go out when it is turned on again. Needs a database file.
    SetSnowflakeFeed(Option<Box<FeedSettings>>),
    /// The feed is wanted but not connected yet (the window is reconnecting it): write rows
    /// to the outbox meanwhile, so the feed sends them once it starts. Ended by
    /// [`LiveCommand::SetSnowflakeFeed`].
    HoldOutbox,
    /// Commit and end the thread.
    Shutdown,
}

/// How the runner is set up.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// The store (`None`: keep everything in memory).
    pub db: Option<PathBuf>,
    /// The catalog.
    pub catalog: Arc<Catalog>,
    /// Volume preset of a fresh state.
    pub volume: VolumePreset,
    /// Speed of a fresh state (a saved state keeps its own).
    pub speed: f64,
    /// Rows per insert statement.
    pub batch_size: usize,
}

/// One facility as the tiles show it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FacilityStatus {
    /// Cars inside.
    pub occupied: u32,
    /// Spots.
    pub spots: u32,
    /// A burst is in force.
    pub burst: bool,
    /// Counters since the live state began.
    pub counters: FacilityCounters,
}

/// Totals over all facilities.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LiveTotals {
    /// Spots.
    pub spots: u64,
    /// Cars inside.
    pub occupied: u64,
    /// CAR_IN events since the live state began.
    pub cars_in: u64,
    /// CAR_OUT events.
    pub cars_out: u64,
    /// Arrivals refused at full facilities.
    pub turned_away: u64,
}

impl LiveTotals {
    /// Free spots.
    pub fn available(&self) -> u64 {
        self.spots.saturating_sub(self.occupied)
    }
}

/// A parked car as the sessions table shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActiveCar {
    /// Facility index.
    pub facility: u16,
    /// Plate.
    pub plate: PlateCode,
    /// Session id.
    pub session_id: u128,
    /// Arrival.
    pub in_time: Millis,
    /// Probability of leaving within the next hour, from the stay model.
    pub leave_prob: f32,
}

/// One point of the charts.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryPoint {
    /// Simulated instant.
    pub clock_ms: Millis,
    /// Occupancy (0-1) of each district, in catalog order.
    pub district_occupancy: Vec<f32>,
    /// Events per simulated minute since the previous point.
    pub events_per_min: f32,
}

/// Where the live rows go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreStatus {
    /// The database (none: in memory only).
    pub db: Option<PathBuf>,
    /// Events committed by this runner.
    pub events_written: u64,
    /// Session rows (active and completed) committed by this runner.
    pub sessions_written: u64,
    /// Events generated but not committed yet.
    pub pending: usize,
    /// The last error, if the latest commit failed.
    pub error: Option<String>,
}

/// What the runner reports after each tick or command.
#[derive(Clone, Debug)]
pub struct LiveSnapshot {
    /// Increases on every Restart: the window then clears its event ring and charts.
    pub epoch: u64,
    /// The clock is advancing.
    pub running: bool,
    /// Speed factor.
    pub speed: f64,
    /// Simulated now.
    pub clock_ms: Millis,
    /// The live run's id (`None` until the first Start of a fresh state).
    pub run_id: Option<String>,
    /// The state was continued from the store when the runner started.
    pub resumed: bool,
    /// Every facility, in catalog order.
    pub facilities: Vec<FacilityStatus>,
    /// Totals.
    pub totals: LiveTotals,
    /// Events generated per real second (recent).
    pub events_per_sec: f64,
    /// Events since the previous snapshot, oldest first.
    pub new_events: Vec<Event>,
    /// Chart points since the previous snapshot.
    pub new_history: Vec<HistoryPoint>,
    /// The parked cars, refreshed about once a second (`None`: unchanged).
    pub sessions: Option<Arc<Vec<ActiveCar>>>,
    /// Where rows go.
    pub store: StoreStatus,
    /// The runs in the database, read once when the runner opened it (for the resume offer).
    pub store_runs: Option<Vec<RunRecord>>,
    /// Log lines since the previous snapshot.
    pub log: Vec<String>,
    /// The Snowflake live feed (`None`: off).
    pub feed: Option<FeedStatus>,
}

/// The window's side of a runner.
pub struct LiveHandle {
    /// Commands to the runner.
    pub commands: Sender<LiveCommand>,
    /// Snapshots from the runner.
    pub snapshots: Receiver<LiveSnapshot>,
    thread: Option<JoinHandle<()>>,
}

impl LiveHandle {
    /// Sends a command (a runner that ended is ignored: there is nothing left to control).
    pub fn send(&self, command: LiveCommand) {
        let _ = self.commands.send(command);
    }

    /// Asks the runner to commit and end, and waits for it.
    pub fn shutdown(&mut self) {
        let _ = self.commands.send(LiveCommand::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts a runner thread; `notify` is called after every snapshot it sends (the window asks
/// for a repaint there). The runner opens the store and loads a saved state first.
pub fn spawn(config: LiveConfig, notify: impl Fn() + Send + 'static) -> LiveHandle {
    let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
    // Bounded: a window that stops draining (minimised) does not make the runner pile up
    // snapshots; the runner keeps the undelivered deltas and sends them later instead.
    let (snap_tx, snap_rx) = crossbeam_channel::bounded(4);
    let thread = std::thread::Builder::new()
        .name("live-runner".into())
        .spawn(move || {
            let mut runner = Runner::open(config, snap_tx, Box::new(notify));
            runner.run(cmd_rx);
        })
        .ok();
    LiveHandle {
        commands: cmd_tx,
        snapshots: snap_rx,
        thread,
    }
}

/// The seed of a segment: each rebuild of a continued state draws from fresh streams.
fn segment_seed(seed: u64, segment: u32) -> u64 {
    if segment == 0 {
        seed
    } else {
        rng::mix64(seed ^ rng::mix64(0x11FE_0000 + segment as u64))
    }
}

/// The preset of a saved name.
fn volume_from_name(name: &str) -> Option<VolumePreset> {
    [VolumePreset::Realistic, VolumePreset::Original]
        .into_iter()
        .find(|v| v.as_str() == name)
}

fn wall_now_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// Rows generated and not yet committed.
#[derive(Default)]
struct Pending {
    events: Vec<Event>,
    started: Vec<Session>,
    completed: Vec<Session>,
    arrived: Vec<(u16, ParkedCar)>,
    departed: Vec<u128>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.completed.is_empty() && self.started.is_empty()
    }
    fn clear(&mut self) {
        self.events.clear();
        self.started.clear();
        self.completed.clear();
        self.arrived.clear();
        self.departed.clear();
    }
}

struct Runner {
    cfg: LiveConfig,
    catalog: Arc<Catalog>,
    store: Option<Store>,
    store_status: StoreStatus,
    store_runs: Option<Vec<RunRecord>>,
    sim: Simulation,
    header: LiveHeader,
    /// The state has a row in `runs` and is saved.
    registered: bool,
    resumed: bool,
    running: bool,
    epoch: u64,
    /// Simulated now, with the sub-millisecond remainder kept so slow speeds do not drift.
    clock: f64,
    last_real: Instant,
    last_commit: Instant,
    pending: Pending,
    scratch_events: Vec<Event>,
    scratch_sessions: Vec<Session>,
    ui_events: VecDeque<Event>,
    ui_history: Vec<HistoryPoint>,
    last_point_clock: Millis,
    events_since_point: u64,
    /// Recent chart intervals (start, end, events) for the events-per-minute rate.
    rate_points: VecDeque<(Millis, Millis, u64)>,
    rate_window: VecDeque<(Instant, u64)>,
    sessions_due: bool,
    last_sessions: Instant,
    bursts: u64,
    log: Vec<String>,
    feed: Option<Feed>,
    /// Why the feed could not start, shown until it is turned off or on again.
    feed_error: Option<String>,
    /// Rows go to the outbox although no feed runs (see [`LiveCommand::HoldOutbox`]).
    hold_outbox: bool,
    /// Wall-clock time the oldest pending row was generated (the outbox's creation time).
    pending_since: Option<Millis>,
    tx: Sender<LiveSnapshot>,
    notify: Box<dyn Fn() + Send>,
}

impl Runner {
    fn open(cfg: LiveConfig, tx: Sender<LiveSnapshot>, notify: Box<dyn Fn() + Send>) -> Runner {
        let catalog = cfg.catalog.clone();
        let mut log = Vec::new();
        let mut store_status = StoreStatus {
            db: cfg.db.clone(),
            ..Default::default()
        };
        let mut store = None;
        let mut saved = None;
        let mut store_runs = None;
        if let Some(db) = &cfg.db {
            // A store holding another catalog's facilities is left alone: its rows were named
            // and priced by those, and mixing in this catalog's would corrupt it.
            match Store::open(db).and_then(|mut s| s.write_facilities(&catalog).map(|_| s)) {
                Ok(mut s) => {
                    store_runs = s.runs().ok();
                    match s.load_live_state(&catalog) {
                        Ok(state) => saved = state,
                        Err(e) => log.push(format!(
                            "the saved live state could not be read ({e}); starting fresh"
                        )),
                    }
                    store = Some(s);
                }
                Err(e) => {
                    store_status.error = Some(format!("live rows are not saved: {e}"));
                }
            }
        }
        let fingerprint = format!("{:016x}", catalog.fingerprint);
        let usable = saved.filter(|s: &LiveState| {
            let ok = s.header.catalog_fingerprint == fingerprint
                && volume_from_name(&s.header.volume).is_some();
            if !ok {
                log.push("the saved live state belongs to another catalog; starting fresh".into());
            }
            ok
        });
        let speed = cfg.speed.clamp(MIN_SPEED, MAX_SPEED);
        let (sim, header, registered, resumed) = match usable {
            Some(state) => {
                let mut header = state.header.clone();
                header.segment += 1;
                let sim = build_restored(&catalog, &header, &state);
                let parked: usize = state.parked.iter().map(Vec::len).sum();
                log.push(format!(
                    "continued the live state of run {}: {parked} cars parked, clock at {} (the simulated clock resumes where it stopped)",
                    header.run_id,
                    ny_time(catalog.calendar.time_zone, header.clock_ms)
                ));
                (sim, header, true, true)
            }
            None => {
                let (sim, header) = build_fresh(&catalog, cfg.volume, speed, wall_now_ms(), None);
                (sim, header, false, false)
            }
        };
        let clock = header.clock_ms as f64;
        let mut runner = Runner {
            catalog,
            store,
            store_status,
            store_runs,
            sim,
            registered,
            resumed,
            running: false,
            epoch: 0,
            clock,
            last_real: Instant::now(),
            last_commit: Instant::now(),
            pending: Pending::default(),
            scratch_events: Vec::new(),
            scratch_sessions: Vec::new(),
            ui_events: VecDeque::new(),
            ui_history: Vec::new(),
            last_point_clock: header.clock_ms,
            events_since_point: 0,
            rate_points: VecDeque::new(),
            rate_window: VecDeque::new(),
            sessions_due: true,
            last_sessions: Instant::now(),
            bursts: 0,
            log,
            feed: None,
            feed_error: None,
            hold_outbox: false,
            pending_since: None,
            tx,
            notify,
            header,
            cfg,
        };
        if runner.resumed {
            // The new segment is saved before any id is drawn from it, so a crash before the
            // next commit cannot make a later reopen draw the same ids again.
            runner.save_header();
            runner.reload_recent_events();
        }
        runner.push_history_point();
        runner
    }

    /// Puts the newest committed events of the continued run back in the event stream, so
    /// reopening shows what came before instead of an empty list.
    fn reload_recent_events(&mut self) {
        let Some(store) = self.store.as_ref() else {
            return;
        };
        match store.recent_events(&self.catalog, self.header.tag, RELOADED_EVENTS) {
            Ok(events) => {
                self.ui_events.extend(events);
            }
            Err(e) => self.log.push(format!(
                "the latest live events could not be read back ({e})"
            )),
        }
    }

    fn run(&mut self, commands: Receiver<LiveCommand>) {
        self.send_snapshot();
        loop {
            let command = if self.running {
                let next_tick = self.last_real + TICK;
                match commands.recv_timeout(next_tick.saturating_duration_since(Instant::now())) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => Some(LiveCommand::Shutdown),
                }
            } else if self.feed.is_some() {
                // Stopped with the feed on: keep reporting while the outbox drains.
                match commands.recv_timeout(FEED_REPORT_EVERY) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => Some(LiveCommand::Shutdown),
                }
            } else {
                // Stopped: block until told otherwise, so an idle app costs nothing.
                Some(commands.recv().unwrap_or(LiveCommand::Shutdown))
            };
            match command {
                Some(LiveCommand::Shutdown) => {
                    if self.running {
                        self.tick();
                    }
                    self.commit();
                    self.save_header();
                    // The feed thread is asked to stop, not waited for: what it has not
                    // delivered stays in the outbox for the next start.
                    if let Some(feed) = self.feed.take() {
                        feed.stop();
                    }
                    return;
                }
                Some(c) => self.handle(c),
                None if self.running => self.tick(),
                None => {}
            }
            self.send_snapshot();
        }
    }

    fn handle(&mut self, command: LiveCommand) {
        match command {
            LiveCommand::Start => {
                // A store was asked for but cannot be used: simulating anyway would throw the
                // rows away, so the simulator stays stopped and says why.
                if let (Some(_), Some(e), false) =
                    (&self.cfg.db, &self.store_status.error, self.running)
                {
                    let message = format!("not started: {e}");
                    self.log.push(message);
                    return;
                }
                if !self.running {
                    if !self.registered {
                        // A fresh state starts at the moment Start is pressed, with the seed of
                        // the state shown before: the same streams, so what the window showed
                        // carries on instead of jumping to another simulation.
                        let (sim, header) = build_fresh(
                            &self.catalog,
                            self.cfg.volume,
                            self.header.speed,
                            wall_now_ms(),
                            Some(self.header.seed),
                        );
                        self.sim = sim;
                        self.header = header;
                        self.clock = self.header.clock_ms as f64;
                        self.last_point_clock = self.header.clock_ms;
                        self.rate_points.clear();
                        self.register();
                    }
                    self.running = true;
                    self.last_real = Instant::now();
                    self.last_commit = Instant::now();
                    self.log
                        .push(format!("started at {}×", fmt_speed(self.header.speed)));
                }
            }
            LiveCommand::Stop => {
                if self.running {
                    self.tick();
                    self.running = false;
                    self.commit();
                    self.save_header();
                    self.log.push(format!(
                        "stopped at {}",
                        ny_time(self.catalog.calendar.time_zone, self.header.clock_ms)
                    ));
                }
            }
            LiveCommand::SetSpeed(s) => {
                if self.running {
                    // The time so far runs at the old speed.
                    self.tick();
                }
                self.header.speed = if s.is_finite() {
                    s.clamp(MIN_SPEED, MAX_SPEED)
                } else {
                    MIN_SPEED
                };
            }
            LiveCommand::Burst => self.burst(),
            LiveCommand::Restart => self.restart(),
            LiveCommand::SetSnowflakeFeed(settings) => self.set_feed(settings.map(|b| *b)),
            LiveCommand::HoldOutbox => self.hold_outbox = self.store.is_some(),
            LiveCommand::Shutdown => {}
        }
    }

    fn set_feed(&mut self, settings: Option<FeedSettings>) {
        // Rows generated so far belong to the old setting: commit them under it.
        if self.running {
            self.tick();
        }
        self.commit();
        self.hold_outbox = false;
        if let Some(feed) = self.feed.take() {
            feed.stop();
            self.log
                .push("Snowflake feed off; rows not yet committed stay in the outbox".into());
        }
        self.feed_error = None;
        let Some(settings) = settings else {
            return;
        };
        match self.store.as_ref().map(|s| s.path().to_path_buf()) {
            Some(db) => {
                self.log.push(format!(
                    "Snowflake feed on: streaming to {}.{} through pipes {} and {}",
                    settings.names.database,
                    settings.names.schema,
                    settings.names.events_pipe,
                    settings.names.sessions_pipe
                ));
                self.feed = Some(Feed::start(db, settings));
            }
            None => {
                self.feed_error = Some(
                    "the Snowflake feed needs the database file: its outbox keeps rows until Snowflake has committed them; choose a database in Settings".into(),
                );
            }
        }
    }

    fn register(&mut self) {
        let Some(store) = self.store.as_mut() else {
            self.registered = true;
            return;
        };
        let tz = self.catalog.calendar.time_zone;
        let spec = RunSpec {
            kind: "live".into(),
            seed: self.header.seed,
            start_date: calendar::local_date(tz, self.header.clock_ms).to_string(),
            end_date: None,
            volume: self.header.volume.clone(),
            plate_preset: self.header.plate_preset.clone(),
            catalog_source: self.catalog.source.clone(),
            catalog_fingerprint: self.header.catalog_fingerprint.clone(),
            days_total: 0,
            preferred_tag: self.header.tag,
        };
        let result = store
            .write_facilities(&self.catalog)
            .and_then(|_| store.create_run(&spec));
        match result {
            Ok(run) => {
                if run.tag != self.header.tag {
                    // The preferred tag was taken by another run: rebuild with the one granted
                    // so that every id of this run carries it.
                    self.header.tag = run.tag;
                    self.sim = Simulation::new(
                        self.catalog.clone(),
                        settings_of(&self.catalog, &self.header),
                        self.header.clock_ms,
                    );
                }
                self.header.run_id = run.run_id;
                self.registered = true;
                // The window lists the store's runs: it now has one more.
                self.store_runs = store.runs().ok();
                let db = store.path().display().to_string();
                self.save_header();
                self.log.push(format!(
                    "live run {} registered in {db}",
                    self.header.run_id
                ));
            }
            Err(e) => {
                self.store_status.error =
                    Some(format!("the live run could not be registered: {e}"));
                self.registered = true;
            }
        }
    }

    fn tick(&mut self) {
        let now = Instant::now();
        let dt = now.saturating_duration_since(self.last_real);
        self.last_real = now;
        self.clock += dt.as_secs_f64() * 1000.0 * self.header.speed;
        let until = self.clock as Millis;
        // Steps end on the chart's grid of simulated time: at high speeds one tick spans hours,
        // and a single sample per tick would alias the daily cycle into zigzags.
        let interval = point_interval(self.header.speed);
        while self.last_point_clock + interval < until {
            self.advance_to(self.last_point_clock + interval);
        }
        self.advance_to(until);
        if self.last_sessions.elapsed() >= Duration::from_secs(1) {
            self.sessions_due = true;
        }
        let every = if self.feed.is_some() {
            FEED_COMMIT_EVERY
        } else {
            COMMIT_EVERY
        };
        if self.last_commit.elapsed() >= every {
            self.commit();
        }
    }

    fn advance_to(&mut self, until: Millis) {
        let mut events = std::mem::take(&mut self.scratch_events);
        let mut sessions = std::mem::take(&mut self.scratch_sessions);
        events.clear();
        sessions.clear();
        self.sim.advance(until, &mut events, &mut sessions);
        sort_events(&mut events);
        if !events.is_empty() && self.pending_since.is_none() {
            self.pending_since = Some(wall_now_ms());
        }
        // Cars that arrived are looked up among the parked ones now: a car that arrived and
        // left within this step is no longer parked and needs no saving.
        let mut parked_by_facility: HashMap<u16, HashMap<u128, ParkedCar>> = HashMap::new();
        for e in &events {
            match e.kind {
                EventKind::CarIn => {
                    self.pending.started.push(Session {
                        session_id: e.session_id,
                        plate: e.plate,
                        facility: e.facility,
                        in_time: e.time,
                        out_time: None,
                        cost_cents: 0,
                        status: SessionStatus::Active,
                    });
                    let parked = parked_by_facility.entry(e.facility).or_insert_with(|| {
                        self.sim.facilities[e.facility as usize]
                            .parked()
                            .map(|c| (c.session_id, *c))
                            .collect()
                    });
                    if let Some(car) = parked.get(&e.session_id) {
                        self.pending.arrived.push((e.facility, *car));
                    }
                }
                EventKind::CarOut => self.pending.departed.push(e.session_id),
            }
        }
        self.pending.events.extend_from_slice(&events);
        self.pending.completed.extend_from_slice(&sessions);
        // Warm-start arrivals carry their real, earlier times: only events inside this step
        // count towards the rate.
        let step_start = self.header.clock_ms;
        self.events_since_point += events.iter().filter(|e| e.time > step_start).count() as u64;
        self.ui_events.extend(events.iter().copied());
        while self.ui_events.len() > EVENT_RING {
            self.ui_events.pop_front();
        }
        let now = Instant::now();
        self.rate_window.push_back((now, events.len() as u64));
        while self
            .rate_window
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(3))
        {
            self.rate_window.pop_front();
        }
        self.header.clock_ms = until;
        if until - self.last_point_clock >= point_interval(self.header.speed) {
            self.push_history_point();
        }
        self.scratch_events = events;
        self.scratch_sessions = sessions;
        if self.pending.events.len() > MAX_PENDING && self.store_status.error.is_some() {
            self.running = false;
            self.log.push(format!(
                "stopped: {} events could not be written to the store ({}); fix the store and press Start to write them",
                self.pending.events.len(),
                self.store_status.error.clone().unwrap_or_default()
            ));
        }
    }

    fn push_history_point(&mut self) {
        let mut occupied = vec![0u64; self.catalog.districts.len()];
        let mut spots = vec![0u64; self.catalog.districts.len()];
        for f in &self.sim.facilities {
            let d = self.catalog.facilities[f.index()].district;
            occupied[d] += f.occupied() as u64;
            spots[d] += f.spots() as u64;
        }
        let now = self.header.clock_ms;
        if now > self.last_point_clock {
            self.rate_points
                .push_back((self.last_point_clock, now, self.events_since_point));
        }
        // The rate is taken over at least RATE_SPAN of simulated time, so the chart shows
        // traffic rather than the noise of a few events per point at slow speeds.
        let span = RATE_SPAN.max(point_interval(self.header.speed));
        while self
            .rate_points
            .front()
            .is_some_and(|(start, _, _)| *start < now - span)
            && self.rate_points.len() > 1
        {
            self.rate_points.pop_front();
        }
        let per_min = match self.rate_points.front() {
            Some((start, _, _)) if now > *start => {
                let count: u64 = self.rate_points.iter().map(|p| p.2).sum();
                count as f64 / ((now - start) as f64 / 60_000.0)
            }
            _ => 0.0,
        };
        self.ui_history.push(HistoryPoint {
            clock_ms: self.header.clock_ms,
            district_occupancy: occupied
                .iter()
                .zip(&spots)
                .map(|(o, s)| if *s > 0 { *o as f32 / *s as f32 } else { 0.0 })
                .collect(),
            events_per_min: per_min as f32,
        });
        self.last_point_clock = self.header.clock_ms;
        self.events_since_point = 0;
    }

    fn burst(&mut self) {
        let mut r = Rng::new(stream_seed(
            self.header.seed,
            kind::BURST,
            self.header.segment as u64,
            self.bursts,
        ));
        self.bursts += 1;
        let n_fac = self.sim.facilities.len();
        let count = (10 + r.below(11) as usize).min(n_fac);
        // Partial Fisher-Yates: `count` distinct facilities.
        let mut order: Vec<usize> = (0..n_fac).collect();
        for i in 0..count {
            let j = i + r.below((n_fac - i) as u64) as usize;
            order.swap(i, j);
        }
        // 20 real seconds, to be seen on the tiles, but between 30 simulated minutes and 3
        // simulated hours so it stays a surge, not a new normal: above 540× the cap wins (3 s
        // at 3600×), and the surge shows in the occupancy chart afterwards.
        let duration =
            (self.header.speed * 20_000.0).clamp(30.0 * 60_000.0, 3.0 * HOUR_MS as f64) as Millis;
        let now = self.header.clock_ms;
        let mut names = Vec::with_capacity(count);
        for &f in &order[..count] {
            self.sim.facilities[f].set_boost(BURST_FACTOR, now, now + duration);
            names.push(self.catalog.facilities[f].name.clone());
        }
        self.log.push(format!(
            "burst: arrivals ×{BURST_FACTOR} for {} simulated minutes at {count} facilities: {}",
            duration / 60_000,
            names.join(", ")
        ));
    }

    fn restart(&mut self) {
        if self.running {
            self.tick();
        }
        self.commit();
        if let Some(store) = self.store.as_mut() {
            if let Err(e) = store.clear_live_state() {
                self.store_status.error = Some(format!("the live state could not be cleared: {e}"));
            }
        }
        let (sim, header) = build_fresh(
            &self.catalog,
            self.cfg.volume,
            self.header.speed,
            wall_now_ms(),
            None,
        );
        self.sim = sim;
        self.header = header;
        self.clock = self.header.clock_ms as f64;
        self.registered = false;
        self.resumed = false;
        self.epoch += 1;
        self.pending.clear();
        self.pending_since = None;
        self.ui_events.clear();
        self.ui_history.clear();
        self.rate_window.clear();
        self.last_point_clock = self.header.clock_ms;
        self.events_since_point = 0;
        self.rate_points.clear();
        self.store_status.events_written = 0;
        self.store_status.sessions_written = 0;
        self.sessions_due = true;
        if self.running {
            self.register();
            self.last_real = Instant::now();
        }
        self.push_history_point();
        self.log.push(
            "restarted: the live state was cleared; the rows already written stay in the store"
                .into(),
        );
    }

    fn commit(&mut self) {
        self.last_commit = Instant::now();
        if self.pending.is_empty() || !self.registered {
            return;
        }
        let Some(store) = self.store.as_mut() else {
            // In memory only: nothing keeps the rows.
            self.pending.clear();
            self.pending_since = None;
            return;
        };
        let counters: Vec<FacilityCounters> =
            self.sim.facilities.iter().map(|f| f.counters).collect();
        let commit = LiveCommit {
            header: &self.header,
            events: &self.pending.events,
            started: &self.pending.started,
            completed: &self.pending.completed,
            arrived: &self.pending.arrived,
            departed: &self.pending.departed,
            counters: &counters,
            outbox_created_ms: (self.feed.is_some() || self.hold_outbox)
                .then(|| self.pending_since.unwrap_or_else(wall_now_ms)),
        };
        match store.commit_live(&self.catalog, self.cfg.batch_size, &commit) {
            Ok(()) => {
                self.store_status.events_written += self.pending.events.len() as u64;
                self.store_status.sessions_written +=
                    (self.pending.started.len() + self.pending.completed.len()) as u64;
                self.store_status.error = None;
                self.pending.clear();
                self.pending_since = None;
                if let Some(feed) = &self.feed {
                    feed.nudge();
                }
            }
            Err(e) => {
                // Kept and retried at the next commit: nothing generated is lost.
                self.store_status.error =
                    Some(format!("live rows not written yet (will retry): {e}"));
            }
        }
    }

    fn save_header(&mut self) {
        if !self.registered {
            return;
        }
        if let Some(store) = self.store.as_mut() {
            if let Err(e) = store.save_live_header(&self.header) {
                self.store_status.error = Some(format!("the live clock could not be saved: {e}"));
            }
        }
    }

    fn active_cars(&self) -> Vec<ActiveCar> {
        let now = self.header.clock_ms;
        let mut out = Vec::new();
        for f in &self.sim.facilities {
            let profile =
                &self.catalog.stay_profiles[self.catalog.facilities[f.index()].stay_profile];
            for c in f.parked() {
                let hours = (now - c.in_time).max(0) as f64 / HOUR_MS as f64;
                out.push(ActiveCar {
                    facility: f.index() as u16,
                    plate: c.plate,
                    session_id: c.session_id,
                    in_time: c.in_time,
                    leave_prob: stays::leave_probability(profile, c.in_hour, hours, 1.0) as f32,
                });
            }
        }
        if out.len() > SESSION_SAMPLE {
            // The newest arrivals are the ones a watcher is following.
            out.sort_by_key(|c| std::cmp::Reverse(c.in_time));
            out.truncate(SESSION_SAMPLE);
        }
        out
    }

    fn send_snapshot(&mut self) {
        let facilities: Vec<FacilityStatus> = self
            .sim
            .facilities
            .iter()
            .map(|f| FacilityStatus {
                occupied: f.occupied(),
                spots: f.spots(),
                burst: f.boost(self.header.clock_ms) > 1.0,
                counters: f.counters,
            })
            .collect();
        let mut totals = LiveTotals::default();
        for f in &facilities {
            totals.spots += f.spots as u64;
            totals.occupied += f.occupied as u64;
            totals.cars_in += f.counters.cars_in;
            totals.cars_out += f.counters.cars_out;
            totals.turned_away += f.counters.turned_away;
        }
        let window: u64 = self.rate_window.iter().map(|(_, n)| n).sum();
        let span = self
            .rate_window
            .front()
            .map(|(t, _)| t.elapsed().as_secs_f64())
            .unwrap_or(0.0)
            .max(TICK.as_secs_f64());
        let sessions = if self.sessions_due || !self.running {
            self.sessions_due = false;
            self.last_sessions = Instant::now();
            Some(Arc::new(self.active_cars()))
        } else {
            None
        };
        let mut store = self.store_status.clone();
        store.pending = self.pending.events.len();
        let snapshot = LiveSnapshot {
            epoch: self.epoch,
            running: self.running,
            speed: self.header.speed,
            clock_ms: self.header.clock_ms,
            run_id: if self.registered && !self.header.run_id.is_empty() {
                Some(self.header.run_id.clone())
            } else {
                None
            },
            resumed: self.resumed,
            facilities,
            totals,
            events_per_sec: if self.running {
                window as f64 / span
            } else {
                0.0
            },
            new_events: self.ui_events.iter().copied().collect(),
            new_history: std::mem::take(&mut self.ui_history),
            sessions,
            store,
            store_runs: self.store_runs.take(),
            log: std::mem::take(&mut self.log),
            feed: match (&self.feed, &self.feed_error) {
                (Some(feed), _) => Some(feed.status()),
                (None, Some(e)) => Some(FeedStatus {
                    state: FeedState::Error,
                    last_error: Some(e.clone()),
                    ..Default::default()
                }),
                (None, None) => None,
            },
        };
        match self.tx.try_send(snapshot) {
            Ok(()) => {
                self.ui_events.clear();
                (self.notify)();
            }
            Err(TrySendError::Full(s)) | Err(TrySendError::Disconnected(s)) => {
                // Not delivered: keep the deltas for the next snapshot.
                self.ui_history = s.new_history;
                self.store_runs = s.store_runs;
                let mut log = s.log;
                log.append(&mut self.log);
                self.log = log;
                if s.sessions.is_some() {
                    self.sessions_due = true;
                }
            }
        }
    }
}

fn settings_of(catalog: &Catalog, header: &LiveHeader) -> SimSettings {
    SimSettings {
        seed: segment_seed(header.seed, header.segment),
        volume: volume_from_name(&header.volume).unwrap_or(VolumePreset::Realistic),
        plate_preset: catalog
            .plates
            .preset(&header.plate_preset)
            .unwrap_or(catalog.plates.default_preset),
        tag: header.tag,
    }
}

/// A fresh state at `now`: warm-started facilities, not yet registered; with `seed` none, a
/// new seed.
fn build_fresh(
    catalog: &Arc<Catalog>,
    volume: VolumePreset,
    speed: f64,
    now: Millis,
    seed: Option<u64>,
) -> (Simulation, LiveHeader) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let seed = seed.unwrap_or_else(|| rng::mix64(nanos ^ 0x5EED_11FE) >> 1);
    let preset = catalog.plates.default_preset;
    let header = LiveHeader {
        run_id: String::new(),
        tag: (rng::mix64(seed) & 0xFFF) as u16,
        seed,
        segment: 0,
        volume: volume.as_str().into(),
        plate_preset: catalog
            .plates
            .presets
            .get(preset)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        catalog_fingerprint: format!("{:016x}", catalog.fingerprint),
        clock_ms: now,
        speed: speed.clamp(MIN_SPEED, MAX_SPEED),
    };
    let sim = Simulation::new(catalog.clone(), settings_of(catalog, &header), now);
    (sim, header)
}

/// The saved state rebuilt: facilities at the saved clock with the saved cars parked.
fn build_restored(catalog: &Arc<Catalog>, header: &LiveHeader, state: &LiveState) -> Simulation {
    let mut sim = Simulation::new(
        catalog.clone(),
        settings_of(catalog, header),
        header.clock_ms,
    );
    for (f, fac) in sim.facilities.iter_mut().enumerate() {
        let cars = state.parked.get(f).map(Vec::as_slice).unwrap_or(&[]);
        fac.restore_parked(cars, state.counters.get(f).copied().unwrap_or_default());
    }
    sim
}

/// A speed factor as text (`3600`, `1.5`).
pub fn fmt_speed(speed: f64) -> String {
    if speed.fract() == 0.0 {
        format!("{speed:.0}")
    } else {
        format!("{speed:.1}")
    }
}

/// An instant as New York local time (`2025-03-01 14:05:09`).
pub fn ny_time(tz: chrono_tz::Tz, ms: Millis) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string(),
        None => "?".into(),
    }
}
