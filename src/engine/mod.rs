//! The simulation engine: pure, deterministic, no I/O, no threads, no wall clock. Given the
//! catalog, the settings and a clock position it advances each facility and emits events and
//! completed sessions into buffers. Both the live simulator and the historical generator use it;
//! only the clock differs.

pub mod calendar;
pub mod facility;
pub mod plates;
pub mod rates;
pub mod rng;
pub mod stays;

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::model::{Event, Millis, Session};
pub use facility::{FacilityCounters, FacilitySim, ParkedCar};
pub use plates::PlateSampler;
pub use rates::VolumePreset;

/// What makes a run's output what it is (with the catalog and the start instant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SimSettings {
    /// The run seed.
    pub seed: u64,
    /// Volume preset.
    pub volume: VolumePreset,
    /// Index of the plate-share preset in the catalog.
    pub plate_preset: usize,
    /// 12 bits carried by every id of the run (see [`rng::Rng::uuid`]).
    pub tag: u16,
}

/// All facilities of a catalog, each an independent stream.
pub struct Simulation {
    /// The catalog simulated.
    pub catalog: Arc<Catalog>,
    /// One simulator per facility, in catalog order.
    pub facilities: Vec<FacilitySim>,
    /// The settings.
    pub settings: SimSettings,
}

impl Simulation {
    /// Every facility warmed up to instant `start`.
    pub fn new(catalog: Arc<Catalog>, settings: SimSettings, start: Millis) -> Self {
        let rates = rates::base_rates(&catalog, settings.volume);
        let plates = Arc::new(PlateSampler::new(&catalog, settings.plate_preset));
        let facilities = (0..catalog.facilities.len())
            .map(|f| {
                FacilitySim::new(
                    catalog.clone(),
                    plates.clone(),
                    f,
                    &settings,
                    rates[f],
                    start,
                )
            })
            .collect();
        Simulation {
            catalog,
            facilities,
            settings,
        }
    }

    /// Advances every facility to `until` (inclusive), one after the other, appending their
    /// events (facility by facility, each in time order) and completed sessions.
    pub fn advance(&mut self, until: Millis, events: &mut Vec<Event>, sessions: &mut Vec<Session>) {
        for f in &mut self.facilities {
            f.advance(until, events, sessions);
        }
    }

    /// The sessions still active now.
    pub fn active_sessions(&self, out: &mut Vec<Session>) {
        for f in &self.facilities {
            f.active_sessions(out);
        }
    }
}

/// Sorts a batch of events from several facilities into time order; equal times keep their
/// facility order and, within a facility, their emission order (the sort is stable).
pub fn sort_events(events: &mut [Event]) {
    events.sort_by_key(|e| (e.time, e.facility));
}
