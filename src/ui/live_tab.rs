//! The Live tab: controls (Start/Stop, speed, Burst, Restart), metrics, district gauges, the
//! 50 facility tiles, the event stream, the active sessions and the charts. It renders the
//! latest [`LiveSnapshot`] of the live runner and keeps the event ring and chart history that
//! the snapshots extend.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use chrono_tz::Tz;
use eframe::egui::{self, Color32, RichText, Ui};

use super::format;
use super::widgets::event_list::{event_list, EventListState};
use super::widgets::feed_bar::FeedBar;
use super::widgets::sessions::SessionsTable;
use super::widgets::{charts, gauge, tile};
use crate::catalog::Catalog;
use crate::engine::VolumePreset;
use crate::jobs::live::{
    self, FacilityStatus, FeedSettings, HistoryPoint, LiveCommand, LiveConfig, LiveHandle,
    LiveSnapshot, LiveTotals, StoreStatus, EVENT_RING,
};
use crate::model::{Event, EventKind, Millis};
use crate::store::RunRecord;

/// Chart points kept (about 20 minutes at one point per second).
pub const HISTORY_POINTS: usize = 1_200;
/// Log lines kept.
const LOG_LINES: usize = 200;
/// Speed presets offered as buttons.
const SPEED_PRESETS: [f64; 6] = [1.0, 60.0, 600.0, 3600.0, 21_600.0, 86_400.0];

/// The Live tab's state: the runner's handle and what its snapshots said.
pub struct LiveTab {
    handle: Option<LiveHandle>,
    /// The runner's reset counter (see [`LiveSnapshot::epoch`]).
    pub epoch: u64,
    /// A snapshot has arrived since the runner started.
    pub ready: bool,
    /// The clock is advancing.
    pub running: bool,
    /// The speed factor the runner uses.
    pub speed: f64,
    /// The speed the slider shows.
    pub speed_ui: f64,
    /// Simulated now.
    pub clock_ms: Millis,
    /// The live run's id.
    pub run_id: Option<String>,
    /// The state was continued from the store.
    pub resumed: bool,
    /// Every facility.
    pub facilities: Vec<FacilityStatus>,
    /// Totals.
    pub totals: LiveTotals,
    /// Events per real second.
    pub events_per_sec: f64,
    /// The newest events, oldest first, at most [`EVENT_RING`].
    pub events: VecDeque<Event>,
    /// Chart points, oldest first.
    pub history: VecDeque<HistoryPoint>,
    /// The active sessions table.
    pub sessions: SessionsTable,
    /// Where live rows go.
    pub store: StoreStatus,
    /// Log lines, oldest first.
    pub log: VecDeque<String>,
    /// The runs the runner found in the store (taken by the app for the resume offer).
    pub store_runs: Option<Vec<RunRecord>>,
    /// Event stream filter: a district index.
    pub filter_district: Option<usize>,
    /// Event stream filter: a type.
    pub filter_kind: Option<EventKind>,
    filtered: Vec<u32>,
    filter_dirty: bool,
    list_state: EventListState,
    /// The Restart confirmation is open.
    pub confirm_restart: bool,
    /// Snapshots applied so far.
    pub snapshots_seen: u64,
    /// Send Start as soon as the runner exists (once).
    start_running: bool,
    /// The Snowflake feed switch and figures.
    pub feed: FeedBar,
}

impl LiveTab {
    /// A tab whose runner starts on the first frame; `start_running`: the simulator starts
    /// running at once (it was running when the window closed).
    pub fn new(speed: f64, start_running: bool) -> LiveTab {
        LiveTab {
            start_running,
            handle: None,
            epoch: 0,
            ready: false,
            running: false,
            speed,
            speed_ui: speed,
            clock_ms: 0,
            run_id: None,
            resumed: false,
            facilities: Vec::new(),
            totals: LiveTotals::default(),
            events_per_sec: 0.0,
            events: VecDeque::new(),
            history: VecDeque::new(),
            sessions: SessionsTable::default(),
            store: StoreStatus::default(),
            log: VecDeque::new(),
            store_runs: None,
            filter_district: None,
            filter_kind: None,
            filtered: Vec::new(),
            filter_dirty: true,
            list_state: EventListState::default(),
            confirm_restart: false,
            snapshots_seen: 0,
            feed: FeedBar::default(),
        }
    }

    /// Keeps live rows in the outbox until the feed is connected (see
    /// [`LiveCommand::HoldOutbox`]).
    pub fn hold_outbox(&mut self) {
        self.send(LiveCommand::HoldOutbox);
    }

    /// Turns the Snowflake live feed on with these settings, or off (`None`).
    pub fn set_feed(&mut self, settings: Option<FeedSettings>) {
        self.feed.on = settings.is_some();
        self.feed.active = settings.is_some();
        self.send(LiveCommand::SetSnowflakeFeed(settings.map(Box::new)));
    }

    /// Starts the runner if it is not running (it needs the context to ask for repaints).
    pub fn ensure_started(
        &mut self,
        ctx: &egui::Context,
        db: Option<PathBuf>,
        catalog: &Arc<Catalog>,
    ) {
        if self.handle.is_some() {
            return;
        }
        let repaint = ctx.clone();
        let config = LiveConfig {
            db,
            catalog: catalog.clone(),
            volume: VolumePreset::Realistic,
            speed: self.speed_ui,
            batch_size: 1000,
        };
        let handle = live::spawn(config, move || repaint.request_repaint());
        // A feed that is wanted (it was on when the window closed) misses no row while the
        // window reconnects it.
        if self.feed.on {
            handle.send(LiveCommand::HoldOutbox);
        }
        if std::mem::take(&mut self.start_running) {
            handle.send(LiveCommand::Start);
        }
        self.handle = Some(handle);
    }

    /// Stops the runner (it commits first) and forgets what it showed; the next frame starts a
    /// runner on the new store. `wait`: block until it has committed (on exit) instead of
    /// letting it finish on its own thread.
    pub fn stop_runner(&mut self, wait: bool) {
        if let Some(mut handle) = self.handle.take() {
            if wait {
                handle.shutdown();
            } else {
                // Dropping commits and joins: do that off the UI thread.
                std::thread::spawn(move || handle.shutdown());
            }
        }
        let speed = self.speed_ui;
        *self = LiveTab::new(speed, false);
    }

    /// Sends a command to the runner.
    pub fn send(&self, command: LiveCommand) {
        if let Some(h) = &self.handle {
            h.send(command);
        }
    }

    /// Applies every snapshot waiting in the channel (never blocks).
    pub fn poll(&mut self) {
        let Some(handle) = &self.handle else {
            return;
        };
        let snapshots: Vec<LiveSnapshot> = handle.snapshots.try_iter().collect();
        for s in snapshots {
            self.apply(s);
        }
    }

    fn apply(&mut self, s: LiveSnapshot) {
        if s.epoch != self.epoch {
            self.events.clear();
            // The filtered indices point into the events just cleared.
            self.filtered.clear();
            self.filter_dirty = true;
            self.history.clear();
            self.list_state = EventListState::default();
            self.epoch = s.epoch;
        }
        self.ready = true;
        self.snapshots_seen += 1;
        self.running = s.running;
        self.speed = s.speed;
        self.clock_ms = s.clock_ms;
        self.run_id = s.run_id;
        self.resumed = s.resumed;
        self.facilities = s.facilities;
        self.totals = s.totals;
        self.events_per_sec = s.events_per_sec;
        if !s.new_events.is_empty() {
            self.events.extend(s.new_events);
            let excess = self.events.len().saturating_sub(EVENT_RING);
            self.events.drain(..excess);
            self.filter_dirty = true;
        }
        self.history.extend(s.new_history);
        let excess = self.history.len().saturating_sub(HISTORY_POINTS);
        self.history.drain(..excess);
        if let Some(cars) = s.sessions {
            self.sessions.set(cars);
        }
        self.store = s.store;
        self.feed.status = s.feed;
        if s.store_runs.is_some() {
            self.store_runs = s.store_runs;
        }
        for line in s.log {
            self.log.push_back(line);
        }
        let excess = self.log.len().saturating_sub(LOG_LINES);
        self.log.drain(..excess);
    }

    /// The runner is simulating.
    pub fn is_running(&self) -> bool {
        self.running
    }

    fn refilter(&mut self, catalog: &Catalog) {
        if !self.filter_dirty {
            return;
        }
        self.filter_dirty = false;
        self.filtered.clear();
        if self.filter_district.is_none() && self.filter_kind.is_none() {
            return;
        }
        let (d, k) = (self.filter_district, self.filter_kind);
        self.filtered.extend(
            self.events
                .iter()
                .enumerate()
                .filter(|(_, e)| {
                    k.is_none_or(|k| e.kind == k)
                        && d.is_none_or(|d| catalog.facilities[e.facility as usize].district == d)
                })
                .map(|(i, _)| i as u32),
        );
    }

    /// Filters the event stream by district index and event type (`None`: all).
    pub fn set_filter(&mut self, district: Option<usize>, kind: Option<EventKind>) {
        self.filter_district = district;
        self.filter_kind = kind;
        self.filter_dirty = true;
        self.list_state = EventListState::default();
    }

    /// Rows of the event stream after filtering.
    pub fn visible_event_count(&self) -> usize {
        if self.filter_district.is_none() && self.filter_kind.is_none() {
            self.events.len()
        } else {
            self.filtered.len()
        }
    }

    /// Shows the tab.
    pub fn ui(&mut self, ui: &mut Ui, catalog: &Catalog) {
        let tz = catalog.calendar.time_zone;
        self.refilter(catalog);
        self.controls(ui, tz);
        ui.add_space(4.0);
        if !self.ready {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(
                    "Preparing the simulator (filling the garages as the model says they are now)…",
                );
            });
            return;
        }
        self.feed.ui(ui);
        ui.add_space(4.0);
        self.metrics(ui);
        ui.add_space(4.0);
        self.gauges(ui, catalog);
        ui.separator();

        egui::Panel::right("event_stream_panel")
            .resizable(true)
            .default_size(480.0)
            .min_size(380.0)
            .show(ui, |ui| {
                self.event_stream(ui, catalog, tz);
            });
        egui::CentralPanel::no_frame().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("live_main")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    ui.heading("Facilities");
                    self.tiles(ui, catalog);
                    ui.add_space(8.0);
                    ui.heading("Charts");
                    ui.columns(2, |cols| {
                        cols[0].label("Occupancy by district");
                        charts::occupancy_chart(&mut cols[0], &self.history, catalog, tz, 220.0);
                        cols[1].label("Events per minute (simulated)");
                        charts::events_chart(&mut cols[1], &self.history, tz, 220.0);
                    });
                    ui.add_space(8.0);
                    ui.heading(format!(
                        "Active sessions ({})",
                        format::int(self.totals.occupied)
                    ));
                    if self.sessions.len() >= live::SESSION_SAMPLE {
                        ui.label(format!(
                            "Showing the {} newest arrivals.",
                            format::int(self.sessions.len() as u64)
                        ));
                    }
                    self.sessions.show(ui, catalog, tz, self.clock_ms, 320.0);
                    ui.add_space(8.0);
                    egui::CollapsingHeader::new("Live log")
                        .default_open(false)
                        .show(ui, |ui| {
                            for line in self.log.iter().rev() {
                                ui.label(line);
                            }
                        });
                });
        });
        self.restart_dialog(ui);
    }

    fn controls(&mut self, ui: &mut Ui, tz: Tz) {
        ui.horizontal_wrapped(|ui| {
            let ready = self.ready;
            if self.running {
                if ui
                    .add_enabled(ready, egui::Button::new(RichText::new("Stop").strong()))
                    .on_hover_text("Stop the simulated clock (the state is kept)")
                    .clicked()
                {
                    self.send(LiveCommand::Stop);
                }
            } else if ui
                .add_enabled(ready, egui::Button::new(RichText::new("Start").strong()))
                .on_hover_text("Run the simulated clock at the chosen speed")
                .clicked()
            {
                self.send(LiveCommand::Start);
            }
            ui.separator();
            // The presets come first: the slider's number changes width and would move them.
            for preset in SPEED_PRESETS {
                if ui
                    .selectable_label(
                        (self.speed_ui - preset).abs() < 0.5,
                        format!("{}×", live::fmt_speed(preset)),
                    )
                    .clicked()
                {
                    self.speed_ui = preset;
                    self.send(LiveCommand::SetSpeed(preset));
                }
            }
            let slider = egui::Slider::new(&mut self.speed_ui, live::MIN_SPEED..=live::MAX_SPEED)
                .logarithmic(true)
                .suffix("×")
                .text("Speed");
            let r = ui.add(slider);
            if r.changed() {
                self.send(LiveCommand::SetSpeed(self.speed_ui));
            }
            ui.separator();
            if ui
                .add_enabled(ready, egui::Button::new("Burst"))
                .on_hover_text("A surge of arrivals (×5) at 10-20 random facilities for a while")
                .clicked()
            {
                self.send(LiveCommand::Burst);
            }
            if ui
                .add_enabled(ready, egui::Button::new("Restart…"))
                .on_hover_text("Clear the live state and begin fresh (asks first)")
                .clicked()
            {
                self.confirm_restart = true;
            }
        });
        if self.ready {
            ui.horizontal_wrapped(|ui| {
                let state = if self.running { RichText::new(format!("running at {}×", live::fmt_speed(self.speed))).color(Color32::from_rgb(80, 190, 110)) } else { RichText::new("stopped").color(ui.visuals().warn_fg_color) };
                ui.label(RichText::new(format!("Simulated time {} (New York)", format::local(tz, self.clock_ms, "%a %Y-%m-%d %H:%M:%S"))).strong());
                ui.label(state);
                if let Some(run) = &self.run_id {
                    ui.label(format!("· live run {run}"));
                }
                ui.label(
                    RichText::new(if self.resumed {
                        "· continued from the saved state: the clock resumed where it stopped (it does not catch up on closed time)"
                    } else {
                        "· closing the app keeps this state: parked cars stay parked and the clock resumes where it stopped"
                    })
                    .weak(),
                );
            });
        }
    }

    fn metrics(&self, ui: &mut Ui) {
        let t = &self.totals;
        let cards: [(&str, String); 7] = [
            ("Total spots", format::int(t.spots)),
            ("Available", format::int(t.available())),
            ("Occupied", format::int(t.occupied)),
            ("Cars in", format::int(t.cars_in)),
            ("Cars out", format::int(t.cars_out)),
            ("Turned away", format::int(t.turned_away)),
            ("Events/s", format::rate(self.events_per_sec)),
        ];
        ui.horizontal_wrapped(|ui| {
            for (label, value) in cards {
                egui::Frame::group(ui.style())
                    .inner_margin(egui::Margin::symmetric(12, 6))
                    .show(ui, |ui| {
                        ui.set_min_width(110.0);
                        ui.vertical(|ui| {
                            ui.label(RichText::new(label).small().weak());
                            ui.label(RichText::new(value).size(20.0).strong());
                        });
                    });
            }
        });
    }

    fn gauges(&self, ui: &mut Ui, catalog: &Catalog) {
        let n = catalog.districts.len();
        let mut occupied = vec![0u64; n];
        let mut spots = vec![0u64; n];
        for (f, s) in self.facilities.iter().enumerate() {
            if let Some(fac) = catalog.facilities.get(f) {
                occupied[fac.district] += s.occupied as u64;
                spots[fac.district] += s.spots as u64;
            }
        }
        ui.horizontal_wrapped(|ui| {
            for (d, district) in catalog.districts.iter().enumerate() {
                let fraction = if spots[d] > 0 {
                    occupied[d] as f32 / spots[d] as f32
                } else {
                    0.0
                };
                let detail = format!(
                    "{} / {} spots",
                    format::int(occupied[d]),
                    format::int(spots[d])
                );
                gauge::gauge(ui, &district.name, fraction, &detail, 120.0);
            }
        });
    }

    fn tiles(&self, ui: &mut Ui, catalog: &Catalog) {
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing = egui::vec2(6.0, 6.0);
            for (f, s) in self.facilities.iter().enumerate() {
                let Some(fac) = catalog.facilities.get(f) else {
                    continue;
                };
                tile::tile(
                    ui,
                    &tile::TileData {
                        name: &fac.name,
                        district: &catalog.districts[fac.district].name,
                        occupied: s.occupied,
                        spots: s.spots,
                        rate_cents: fac.pricing.rate_cents_per_hour,
                        burst: s.burst,
                        turned_away: s.counters.turned_away,
                    },
                );
            }
        });
    }

    fn event_stream(&mut self, ui: &mut Ui, catalog: &Catalog, tz: Tz) {
        ui.horizontal(|ui| {
            ui.heading("Event stream");
            ui.label(format!(
                "{} shown · newest first",
                format::int(self.visible_event_count() as u64)
            ));
        });
        ui.horizontal(|ui| {
            let before = (self.filter_district, self.filter_kind);
            let district_text = self
                .filter_district
                .and_then(|d| catalog.districts.get(d))
                .map(|d| d.name.as_str())
                .unwrap_or("All districts");
            // Labels before their boxes, as in the other forms.
            let district_label = ui.label("District");
            egui::ComboBox::from_id_salt("filter_district")
                .selected_text(district_text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter_district, None, "All districts");
                    for (d, district) in catalog.districts.iter().enumerate() {
                        ui.selectable_value(&mut self.filter_district, Some(d), &district.name);
                    }
                })
                .response
                .labelled_by(district_label.id);
            let kind_text = match self.filter_kind {
                None => "All types",
                Some(k) => k.as_str(),
            };
            let kind_label = ui.label("Type");
            egui::ComboBox::from_id_salt("filter_kind")
                .selected_text(kind_text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter_kind, None, "All types");
                    ui.selectable_value(&mut self.filter_kind, Some(EventKind::CarIn), "CAR_IN");
                    ui.selectable_value(&mut self.filter_kind, Some(EventKind::CarOut), "CAR_OUT");
                })
                .response
                .labelled_by(kind_label.id);
            if before != (self.filter_district, self.filter_kind) {
                let (d, k) = (self.filter_district, self.filter_kind);
                self.set_filter(d, k);
            }
        });
        self.refilter(catalog);
        let store_line = match (&self.store.db, &self.store.error) {
            (_, Some(e)) => RichText::new(e.clone()).color(ui.visuals().error_fg_color),
            (Some(_), None) => RichText::new(format!(
                "Local store: {} events and {} session rows written, {} pending",
                format::int(self.store.events_written),
                format::int(self.store.sessions_written),
                format::int(self.store.pending as u64)
            ))
            .weak(),
            (None, None) => RichText::new("No local store: events are not saved").weak(),
        };
        ui.label(store_line);
        if !self.list_state.following() && self.list_state.unseen > 0 {
            if ui
                .button(format!(
                    "Paused while you scroll: {} new events - show newest",
                    format::int(self.list_state.unseen as u64)
                ))
                .clicked()
            {
                self.list_state.jump_to_top = true;
            }
        } else if !self.list_state.following() && ui.button("Show newest").clicked() {
            self.list_state.jump_to_top = true;
        }
        let rows = self.visible_event_count();
        let events = &self.events;
        let filtered = &self.filtered;
        let unfiltered = self.filter_district.is_none() && self.filter_kind.is_none();
        let len = events.len();
        event_list(
            ui,
            "event_stream",
            rows,
            |i| {
                let index = if unfiltered {
                    len - 1 - i
                } else {
                    filtered[filtered.len() - 1 - i] as usize
                };
                &events[index]
            },
            catalog,
            tz,
            &mut self.list_state,
        );
    }

    fn restart_dialog(&mut self, ui: &mut Ui) {
        if !self.confirm_restart {
            return;
        }
        let modal = egui::Modal::new(egui::Id::unique("confirm_restart")).show(ui.ctx(), |ui| {
            ui.set_width(420.0);
            ui.heading("Restart the live simulator?");
            ui.label("This clears the live state: parked cars, counters and the simulated clock. The rows already written to the local store stay. The simulator begins fresh at the current time.");
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Yes, restart").clicked() {
                    self.send(LiveCommand::Restart);
                    self.confirm_restart = false;
                }
                if ui.button("Cancel").clicked() {
                    self.confirm_restart = false;
                }
            });
        });
        if modal.should_close() {
            self.confirm_restart = false;
        }
    }
}
