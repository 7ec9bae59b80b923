//! A facility's pricing rule: an hourly rate billed per started increment, capped by a daily
//! maximum that repeats every 24 hours parked.

use crate::model::{Millis, DAY_MS};

/// How a facility charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pricing {
    /// Rate per hour in cents.
    pub rate_cents_per_hour: i64,
    /// Billing increment in minutes (60 = per started hour).
    pub increment_minutes: u32,
    /// Maximum charge per 24 hours in cents; a stay is billed `full days × max` plus the
    /// remainder's charge capped at `max`.
    pub daily_max_cents: i64,
}

impl Pricing {
    /// The charge for a stay of `duration_ms`, in cents. Zero-length stays pay one increment.
    pub fn cost_cents(&self, duration_ms: Millis) -> i64 {
        let duration_ms = duration_ms.max(0);
        let full_days = duration_ms / DAY_MS;
        let remainder = duration_ms % DAY_MS;
        let increment_ms = self.increment_minutes as i64 * 60_000;
        let increments = if full_days == 0 {
            ((remainder + increment_ms - 1) / increment_ms).max(1)
        } else {
            (remainder + increment_ms - 1) / increment_ms
        };
        // Integer cents: rate × increments × minutes / 60, rounded to the nearest cent.
        let remainder_charge =
            (self.rate_cents_per_hour * increments * self.increment_minutes as i64 + 30) / 60;
        full_days * self.daily_max_cents + remainder_charge.min(self.daily_max_cents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HOUR_MS;

    fn jfk_long_term() -> Pricing {
        Pricing {
            rate_cents_per_hour: 800,
            increment_minutes: 60,
            daily_max_cents: 2900,
        }
    }

    #[test]
    fn started_hours_are_billed_up_to_the_daily_maximum() {
        let p = jfk_long_term();
        assert_eq!(
            p.cost_cents(0),
            800,
            "a zero-length stay pays one increment"
        );
        assert_eq!(p.cost_cents(10 * 60_000), 800);
        assert_eq!(p.cost_cents(HOUR_MS), 800);
        assert_eq!(p.cost_cents(HOUR_MS + 1), 1600);
        assert_eq!(p.cost_cents(3 * HOUR_MS), 2400);
        assert_eq!(p.cost_cents(5 * HOUR_MS), 2900, "capped at $29");
        assert_eq!(p.cost_cents(24 * HOUR_MS), 2900);
        assert_eq!(p.cost_cents(25 * HOUR_MS), 2900 + 800);
        assert_eq!(p.cost_cents(72 * HOUR_MS), 3 * 2900);
    }

    #[test]
    fn quarter_hour_increments_and_free_facilities() {
        let p = Pricing {
            rate_cents_per_hour: 1000,
            increment_minutes: 15,
            daily_max_cents: 5000,
        };
        assert_eq!(p.cost_cents(20 * 60_000), 500);
        let free = Pricing {
            rate_cents_per_hour: 0,
            increment_minutes: 60,
            daily_max_cents: 0,
        };
        assert_eq!(free.cost_cents(100 * HOUR_MS), 0);
    }
}
