//! Service-time distributions.
//!
//! The brief names three: exponential (the M in M/M/c), constant (M/D/c) and
//! lognormal (a heavy-ish right tail like real services). All are
//! parameterised by their mean so that switching distribution keeps the load
//! the same and only changes the variability.

use rand::Rng;
use rand_distr::{Distribution, Exp1, LogNormal};
use serde::{Deserialize, Serialize};

use crate::time::Time;

/// Shape parameter of the lognormal service time (σ of the underlying
/// normal). σ = 1 gives a coefficient of variation of about 1.31: a little
/// more variable than exponential, with a visible tail.
pub const LOGNORMAL_SIGMA: f64 = 1.0;

/// How service times vary around their mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceDist {
    Exp,
    Const,
    Lognormal,
}

impl ServiceDist {
    /// Ids as used by the CLI, the wire protocol and the UI, in index order.
    pub const IDS: &'static [&'static str] = &["exp", "const", "lognormal"];

    pub fn from_index(i: usize) -> ServiceDist {
        match i {
            1 => ServiceDist::Const,
            2 => ServiceDist::Lognormal,
            _ => ServiceDist::Exp,
        }
    }

    /// Draws one duration with the given mean (in nanoseconds).
    pub fn sample<R: Rng + ?Sized>(self, mean: Time, rng: &mut R) -> Time {
        let mean_f = mean as f64;
        let x = match self {
            ServiceDist::Const => mean_f,
            ServiceDist::Exp => {
                let e: f64 = Exp1.sample(rng);
                e * mean_f
            }
            ServiceDist::Lognormal => {
                let s = LOGNORMAL_SIGMA;
                let mu = mean_f.max(1.0).ln() - s * s / 2.0;
                match LogNormal::new(mu, s) {
                    Ok(d) => d.sample(rng),
                    Err(_) => mean_f,
                }
            }
        };
        crate::time::from_ns(x)
    }

    /// Squared coefficient of variation: 1 for exp, 0 for const.
    pub fn scv(self) -> f64 {
        match self {
            ServiceDist::Exp => 1.0,
            ServiceDist::Const => 0.0,
            ServiceDist::Lognormal => (LOGNORMAL_SIGMA * LOGNORMAL_SIGMA).exp() - 1.0,
        }
    }
}

/// Draws an exponential gap with the given rate per second (Poisson arrivals).
/// Returns `None` for a zero rate: no arrival ever comes.
pub fn exp_gap<R: Rng + ?Sized>(rate_per_s: f64, rng: &mut R) -> Option<Time> {
    if rate_per_s.is_finite() && rate_per_s > 0.0 {
        let e: f64 = Exp1.sample(rng);
        Some(crate::time::from_ns(
            (e / rate_per_s) * crate::time::SECOND as f64,
        ))
    } else {
        None
    }
}

/// The delay before retry number `attempt + 1`: exponential back-off from
/// `base` with "equal jitter" (half of the ceiling fixed, half drawn), so
/// retries after a shared outage spread out instead of arriving together.
pub fn backoff<R: Rng + ?Sized>(base: Time, attempt: u32, rng: &mut R) -> Time {
    let ceiling = base.saturating_mul(1 << attempt.min(20));
    let half = ceiling / 2;
    let u: f64 = rng.random();
    half + crate::time::from_ns((u * (ceiling - half) as f64).floor())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Streams;

    fn mean_of(d: ServiceDist) -> f64 {
        let mut r = Streams::new(3).service;
        let n = 200_000;
        let sum: f64 = (0..n).map(|_| d.sample(1_000_000, &mut r) as f64).sum();
        sum / n as f64
    }

    #[test]
    fn every_distribution_keeps_its_mean() {
        for d in [ServiceDist::Exp, ServiceDist::Const, ServiceDist::Lognormal] {
            let m = mean_of(d);
            // Standard error of the mean is below 0.4 % for n = 200k and cv ≤ 1.4;
            // 2 % is five standard errors.
            assert!((m / 1_000_000.0 - 1.0).abs() < 0.02, "{d:?} mean {m}");
        }
    }

    #[test]
    fn zero_rate_never_arrives() {
        let mut r = Streams::new(1).arrivals;
        assert_eq!(exp_gap(0.0, &mut r), None);
        assert!(exp_gap(10.0, &mut r).is_some());
    }
}
