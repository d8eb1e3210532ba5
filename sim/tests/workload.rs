//! The open-loop workload every request-driven pattern shares: Poisson
//! arrivals at `rate`, multiplied during a load spike, and the same arrival
//! times for every pattern under one seed (what compare mode relies on).

mod common;

use common::params;

use sim::run::Options;
use sim::time::SECOND;
use sim::{ParamSet, Simulation, What};

/// Offered times (ns) over `secs` virtual seconds.
fn offered(p: ParamSet, seed: u64, secs: u64) -> Vec<u64> {
    let mut sim = Simulation::new(p, seed, Options::EVENTS);
    let mut out = Vec::new();
    for _ in 0..secs {
        sim.advance_to(sim.now() + SECOND);
        out.extend(sim.events().iter().filter_map(|e| match e.what {
            What::Offered { .. } => Some(e.at),
            _ => None,
        }));
        sim.clear_events();
    }
    out
}

/// During the spike the offered rate is rate × factor, before and after it
/// the rate: each count within four Poisson standard deviations.
#[test]
fn a_spike_multiplies_the_offered_load_for_its_length() {
    let p = params(
        "request-response",
        "rate=50 workers=64 spike_at_s=20 spike_s=20 spike_x=4",
    );
    let times = offered(p, 3, 60);
    let count = |a: u64, b: u64| {
        times
            .iter()
            .filter(|&&t| t >= a * SECOND && t < b * SECOND)
            .count() as f64
    };
    for (a, b, expected) in [(0, 20, 1000.0), (20, 40, 4000.0), (40, 60, 1000.0)] {
        let n = count(a, b);
        assert!(
            (n - expected).abs() < 4.0 * f64::sqrt(expected),
            "{a}–{b} s: {n} arrivals, expected {expected}"
        );
    }
}

/// Without a spike (length 0, the default) the stream is the plain Poisson
/// one: switching the factor alone changes nothing.
#[test]
fn no_spike_means_the_plain_stream() {
    let plain = offered(params("message-queue", ""), 9, 20);
    let factor_only = offered(params("message-queue", "spike_x=7"), 9, 20);
    assert_eq!(plain, factor_only);
}

/// Compare mode's promise: under one seed, two patterns see the same
/// arrival times (request-response and a message queue; fire-and-forget).
#[test]
fn patterns_under_one_seed_see_the_same_arrivals() {
    let sets = "rate=60 spike_at_s=5 spike_s=5 spike_x=2.5";
    let rr = offered(params("request-response", sets), 21, 15);
    let mq = offered(params("message-queue", sets), 21, 15);
    let ff = offered(params("fire-and-forget", sets), 21, 15);
    assert!(rr.len() > 900, "{}", rr.len());
    assert_eq!(rr, mq);
    assert_eq!(rr, ff);
}

/// A spike switched on live, mid-run, starts at once when its window
/// contains the present.
#[test]
fn a_spike_set_live_takes_effect() {
    let mut sim = Simulation::new(params("fire-and-forget", "rate=100"), 4, Options::default());
    sim.advance_to(10 * SECOND);
    let before = sim.snapshot().totals.offered;
    sim.set_param("spike_at_s", 10.0).unwrap();
    sim.set_param("spike_x", 5.0).unwrap();
    sim.set_param("spike_s", 10.0).unwrap();
    sim.advance_to(20 * SECOND);
    let during = sim.snapshot().totals.offered - before;
    assert!(
        (during as f64 - 5000.0).abs() < 4.0 * 5000f64.sqrt(),
        "{during}"
    );
}
