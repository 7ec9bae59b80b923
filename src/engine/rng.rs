//! Random streams. Every independent entity (a facility's arrivals, a facility-day's factor, a
//! regular car's plate) draws from its own stream, derived from the run seed by
//! [`stream_seed`], so output does not depend on how work is split over threads.

/// SplitMix64 finaliser: a bijective mix of 64 bits.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The documented stream derivation: `mix64(seed ^ mix64(mix64(a) ^ b) ^ mix64(c))` for a
/// stream kind `a`, an entity `b` (facility id) and a sub-entity `c` (day number, car index).
pub fn stream_seed(seed: u64, kind: u64, entity: u64, sub: u64) -> u64 {
    mix64(seed ^ mix64(mix64(kind) ^ entity) ^ mix64(sub.wrapping_add(0x5851_F42D_4C95_7F2D)))
}

/// Stream kinds for [`stream_seed`].
pub mod kind {
    /// A facility's arrivals, stays, plates and ids.
    pub const FACILITY: u64 = 1;
    /// A facility-day's random level.
    pub const DAY: u64 = 2;
    /// A facility's regular (returning) car.
    pub const REGULAR: u64 = 3;
    /// The live simulator's bursts.
    pub const BURST: u64 = 4;
}

/// xoshiro256++: small, fast, and good enough for simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// Seeds the generator by expanding `seed` with SplitMix64.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            mix64(x.wrapping_sub(0x9E37_79B9_7F4A_7C15))
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    #[inline]
    pub fn f64_open(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n) (Lemire's multiply-shift; n > 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Exponential with mean 1.
    #[inline]
    pub fn exp1(&mut self) -> f64 {
        -self.f64_open().ln()
    }

    /// Standard normal (Box-Muller, one value per call).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let u = self.f64_open();
        let v = self.f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// A UUIDv7-shaped id (RFC 9562): the 48-bit Unix millisecond `time` first, so that ids
    /// sort by time and inserts into an id-keyed table append; the 12 `rand_a` bits carry the
    /// run `tag`, so the rows of one run can be told from another's in the same store; the
    /// remaining 62 bits come from this stream.
    #[inline]
    pub fn uuid(&mut self, tag: u16, time: i64) -> u128 {
        let ms = (time.max(0) as u128) & 0xFFFF_FFFF_FFFF;
        let random = (self.next_u64() & 0x3FFF_FFFF_FFFF_FFFF) as u128;
        (ms << 80) | (0x7 << 76) | (((tag & 0xFFF) as u128) << 64) | (0x2 << 62) | random
    }
}

/// The run tag carried by an id made by [`Rng::uuid`].
pub fn uuid_tag(id: u128) -> u16 {
    ((id >> 64) & 0xFFF) as u16
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = {
            let mut r = Rng::new(stream_seed(7, kind::FACILITY, 1, 0));
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(stream_seed(7, kind::FACILITY, 1, 0));
            (0..4).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::new(stream_seed(7, kind::FACILITY, 2, 0));
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn distributions_have_their_moments() {
        let mut r = Rng::new(42);
        let n = 200_000;
        let mean_exp = (0..n).map(|_| r.exp1()).sum::<f64>() / n as f64;
        assert!((mean_exp - 1.0).abs() < 0.01, "{mean_exp}");
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
        let below = (0..n).filter(|_| r.below(10) == 3).count() as f64 / n as f64;
        assert!((below - 0.1).abs() < 0.005);
    }

    #[test]
    fn uuids_carry_time_version_variant_and_tag() {
        let mut r = Rng::new(1);
        let id = r.uuid(0xABC, 1_735_707_600_123);
        assert_eq!((id >> 80) as i64, 1_735_707_600_123);
        assert_eq!((id >> 76) & 0xF, 7);
        assert_eq!(uuid_tag(id), 0xABC);
        assert_eq!((id >> 62) & 0x3, 2);
        assert!(r.uuid(0xABC, 1_735_707_600_124) > id, "ids sort by time");
    }

    #[test]
    fn erfc_matches_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-7);
        assert!(erfc(6.0) < 1e-15);
    }
}
