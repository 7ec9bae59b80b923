//! Drawing plates: a state by the preset's shares, then a number in that state's format.
//! Numbers are partitioned by facility (before scrambling, number mod facility count = facility
//! index), so two facilities never hold the same plate; within a facility the simulator redraws
//! a plate that is already parked there. Together: a plate is never in two places at once.
//! The partitioned number then goes through a fixed bijection of the state's number space, so
//! the plate's characters do not show its facility (without it every plate at a facility ended
//! in the same two digits modulo 50) while distinct numbers stay distinct.

use super::rng::Rng;
use crate::catalog::Catalog;
use crate::model::PlateCode;

/// Samples plates for one run.
#[derive(Clone, Debug)]
pub struct PlateSampler {
    cumulative: Vec<f64>,
    per_facility: Vec<u64>,
    combinations: Vec<u64>,
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
        let combinations = catalog
            .plates
            .states
            .iter()
            .map(|s| s.format.combinations().max(facilities))
            .collect();
        PlateSampler {
            cumulative,
            per_facility,
            combinations,
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
        let partitioned = k * self.facilities + f as u64;
        PlateCode::new(
            state as u16,
            scramble(partitioned, self.combinations[state], state as u64),
        )
    }
}

/// A bijection of `[0, n)`: a four-round Feistel network on the smallest even bit width that
/// holds `n`, cycle-walked back into range (at most four steps expected, as the width holds
/// fewer than 4n values). `key` picks one of many such bijections.
pub fn scramble(x: u64, n: u64, key: u64) -> u64 {
    if n <= 1 {
        return x;
    }
    let width = 64 - (n - 1).leading_zeros();
    let half = width.div_ceil(2).max(1);
    let mask = (1u64 << half) - 1;
    let mut v = x;
    loop {
        let (mut left, mut right) = (v >> half, v & mask);
        for round in 0..4u64 {
            let f = mix(right ^ key.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (round << 56)) & mask;
            (left, right) = (right, left ^ f);
        }
        v = (left << half) | right;
        if v < n {
            return v;
        }
    }
}

/// SplitMix64's finaliser: every input bit reaches every output bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scramble_is_a_bijection_of_the_range() {
        for n in [1u64, 2, 3, 50, 1000, 17_576, 100_003] {
            let mut seen = vec![false; n as usize];
            for x in 0..n {
                let y = scramble(x, n, 3);
                assert!(y < n, "{x} -> {y} outside [0, {n})");
                assert!(!seen[y as usize], "{y} reached twice (n = {n})");
                seen[y as usize] = true;
            }
        }
    }

    #[test]
    fn a_facilitys_plates_do_not_share_their_last_digits() {
        let catalog = Catalog::builtin().unwrap_or_else(|e| panic!("catalog: {e}"));
        let sampler = PlateSampler::new(&catalog, 0);
        let mut rng = Rng::new(11);
        // Endings per state: formats differ, so one state's plates are compared.
        let mut endings: std::collections::HashMap<u16, std::collections::HashSet<String>> =
            Default::default();
        let mut drawn: std::collections::HashMap<u16, usize> = Default::default();
        let mut rendered = String::new();
        let mut numbers = std::collections::HashSet::new();
        for _ in 0..5_000 {
            let p = sampler.draw(&mut rng, 7);
            catalog.plates.render(p, &mut rendered);
            let last_two: String = rendered
                .chars()
                .skip(rendered.chars().count() - 2)
                .collect();
            endings.entry(p.state()).or_default().insert(last_two);
            *drawn.entry(p.state()).or_default() += 1;
            numbers.insert(p);
        }
        let (state, n) = drawn
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(s, n)| (*s, *n))
            .unwrap_or_default();
        assert!(n > 1_000, "the main state drew {n}");
        let seen = endings.get(&state).map(|e| e.len()).unwrap_or(0);
        // Unscrambled, one state's plates at one facility ended in 2 of the 100 possible pairs.
        assert!(
            seen > 80,
            "{seen} endings among {n} plates of state {state}"
        );
        assert!(numbers.len() > 4_900, "plates repeat: {}", numbers.len());
    }
}
