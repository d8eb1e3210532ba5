//! A service's scheduled trouble: an outage window and a slowdown factor.
//!
//! The brief's common faults for any service: while down, the service
//! refuses everything that reaches it (no answer: callers time out); while
//! slowed, every job it starts takes `slowdown` times as long. Both come from
//! the run's parameters (`outage_at_s`, `outage_s`, `slowdown`) and change
//! live with them.

use crate::params::ParamSet;
use crate::time::{self, Time};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceFaults {
    outage_from: Time,
    outage_to: Time,
    slowdown: f64,
}

impl Default for ServiceFaults {
    fn default() -> Self {
        ServiceFaults {
            outage_from: 0,
            outage_to: 0,
            slowdown: 1.0,
        }
    }
}

impl ServiceFaults {
    /// Reads whichever of the three parameters the pattern declares.
    pub fn from_params(p: &ParamSet) -> Self {
        let get = |id: &str, default: f64| {
            if p.spec(id).is_ok() {
                p.get(id)
            } else {
                default
            }
        };
        let from = time::from_secs(get("outage_at_s", 0.0));
        ServiceFaults {
            outage_from: from,
            outage_to: from + time::from_secs(get("outage_s", 0.0)),
            slowdown: get("slowdown", 1.0),
        }
    }

    /// Whether the service is down at `t`.
    pub fn down(&self, t: Time) -> bool {
        t >= self.outage_from && t < self.outage_to
    }

    /// A service time as the slowed service takes it.
    pub fn stretch(&self, service: Time) -> Time {
        if self.slowdown == 1.0 {
            service
        } else {
            crate::time::from_ns(service as f64 * self.slowdown)
        }
    }

    /// Whether `id` is one of the parameters these faults read.
    pub fn reads(id: &str) -> bool {
        matches!(id, "outage_at_s" | "outage_s" | "slowdown")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{ParamSet, ParamSpec, OUTAGE_AT_S, OUTAGE_S, SLOWDOWN};

    /// Slowing switched on by hand, as the patterns that offer it present it.
    const SPECS: &[ParamSpec] = &[OUTAGE_AT_S, OUTAGE_S, SLOWDOWN.with_default(1.0)];

    #[test]
    fn a_window_and_a_factor() {
        let mut p = ParamSet::defaults("x", SPECS);
        assert!(!ServiceFaults::from_params(&p).down(time::from_secs(10.0)));
        p.set_str("outage_s", "5").unwrap();
        p.set_str("slowdown", "3").unwrap();
        let f = ServiceFaults::from_params(&p);
        assert!(!f.down(time::from_secs(9.9)));
        assert!(f.down(time::from_secs(10.0)) && f.down(time::from_secs(14.9)));
        assert!(!f.down(time::from_secs(15.0)));
        assert_eq!(f.stretch(100), 300);
    }
}
