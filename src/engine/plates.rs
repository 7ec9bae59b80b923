//! Drawing plates: a state by the preset's shares, then a number in that state's format.
//! Numbers are partitioned by facility (number mod facility count = facility index), so two
//! facilities never hold the same plate; within a facility the simulator redraws a plate that
//! is already parked there. Together: a plate is never in two places at once.

use super::rng::Rng;
use crate::catalog::Catalog;
use crate::model::PlateCode;

/// Samples plates for one run.
#[derive(Clone, Debug)]
pub struct PlateSampler {
    cumulative: Vec<f64>,
    per_facility: Vec<u64>,
    facilities: u64,
}

impl PlateSampler {
    /// A sampler for the catalog's preset `preset`.
    pub fn new(catalog: &Catalog, preset: usize) -> Self {
        let shares = &catalog.plates.presets[preset.min(catalog.plates.presets.len() - 1)].shares;
        let mut acc = 0.0;
        let cumulative = shares
            .iter()
            .map(|s| {
                acc += s;
                acc
            })
            .collect();
        let facilities = catalog.facilities.len().max(1) as u64;
        let per_facility = catalog
            .plates
            .states
            .iter()
            .map(|s| (s.format.combinations() / facilities).max(1))
            .collect();
        PlateSampler {
            cumulative,
            per_facility,
            facilities,
        }
    }

    /// Draws a plate for facility index `f`.
    #[inline]
    pub fn draw(&self, rng: &mut Rng, f: usize) -> PlateCode {
        let u = rng.f64() * self.cumulative.last().copied().unwrap_or(1.0);
        let state = self
            .cumulative
            .iter()
            .position(|c| u < *c)
            .unwrap_or(self.cumulative.len() - 1);
        let k = rng.below(self.per_facility[state]);
        PlateCode::new(state as u16, k * self.facilities + f as u64)
    }
}
