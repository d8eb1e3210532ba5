//! One replication of one point: a run from empty, its warm-up cut by
//! MSER-5, its figures.

use crate::params::ParamSet;
use crate::run::{Advance, Options};
use crate::time::{self, Time};
use crate::Simulation;

use super::mser::mser5;

/// The figures every pattern has, named as the keys of `simulate`'s JSON.
/// The first six are measured after the warm-up cut; `utilisation` and the
/// pattern's own (`figures.<id>`) are the whole run's.
pub const COMMON: [&str; 7] = [
    "wait_ms.mean",
    "wait_ms.p50",
    "wait_ms.p95",
    "wait_ms.p99",
    "throughput_per_s",
    "wire_per_delivery",
    "utilisation",
];

/// What one replication measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Replication {
    /// One value per figure: [`COMMON`], then the pattern's own in its
    /// catalogue's order (`NaN` where nothing was measured).
    pub values: Vec<f64>,
    /// The pattern's own figures' names (`figures.<id>`).
    pub own: Vec<String>,
    /// Completed requests cut as warm-up.
    pub cut: usize,
    pub events: u64,
    /// The run went over its memory budget and stopped early: its figures
    /// are left out of the point's.
    pub over_budget: bool,
}

/// The `p` quantile of sorted values, nearest rank.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs `params` from `seed` for `duration` and measures it.
pub fn replicate(params: ParamSet, seed: u64, duration: Time) -> Replication {
    // No event buffered: the recorder keeps each completion (when, its
    // wait, the messages sent by then) and the metrics the rest.
    let mut sim = Simulation::new(params, seed, Options::default());
    sim.keep_completions();
    let over_budget = sim.advance_budgeted(duration, usize::MAX) == Advance::OverBudget;
    let summary = sim.summary(0.0);
    let sent = summary.wire_messages;
    let done: Vec<(Time, f64, u64)> = sim
        .completions()
        .iter()
        .map(|c| (c.at, time::to_ms(c.wait), c.sent))
        .collect();
    let waits: Vec<f64> = done.iter().map(|d| d.1).collect();
    let cut = mser5(&waits);
    let (t_cut, sent_cut) = match cut {
        0 => (0, 0),
        c => (done[c - 1].0, done[c - 1].2),
    };
    let mut kept = waits[cut..].to_vec();
    let n = kept.len();
    let mean = if n > 0 {
        kept.iter().sum::<f64>() / n as f64
    } else {
        f64::NAN
    };
    kept.sort_by(f64::total_cmp);
    let span = time::to_secs(sim.now().saturating_sub(t_cut));
    let throughput = if span > 0.0 {
        n as f64 / span
    } else {
        f64::NAN
    };
    let wire = if n > 0 {
        (sent - sent_cut) as f64 / n as f64
    } else {
        f64::NAN
    };
    let mut values = vec![
        mean,
        quantile(&kept, 0.50),
        quantile(&kept, 0.95),
        quantile(&kept, 0.99),
        throughput,
        wire,
        summary.utilisation,
    ];
    let snapshot = sim.snapshot();
    let own_figures = (sim.info().figures)(&snapshot, sim.params());
    let own = own_figures
        .iter()
        .map(|f| format!("figures.{}", f.id))
        .collect();
    values.extend(own_figures.iter().map(|f| f.value));
    if over_budget {
        values.iter_mut().for_each(|v| *v = f64::NAN);
    }
    Replication {
        values,
        own,
        cut,
        events: sim.events_emitted(),
        over_budget,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(quantile(&xs, 0.5), 5.0);
        assert_eq!(quantile(&xs, 0.95), 10.0);
        assert_eq!(quantile(&xs, 0.0), 1.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn a_replication_is_the_same_every_time_and_cuts_its_warm_up() {
        let mut p = crate::find_pattern("request-response").unwrap().defaults();
        p.set("rate", 150.0).unwrap();
        let a = replicate(p.clone(), 3, 60 * crate::time::SECOND);
        assert_eq!(a, replicate(p, 3, 60 * crate::time::SECOND));
        assert_eq!(a.values.len(), COMMON.len() + a.own.len());
        assert!(a.values[0] > 0.0 && a.values[2] >= a.values[1]);
        assert!(a.own.iter().any(|f| f == "figures.timed_out"));
        assert!(!a.over_budget);
    }
}
