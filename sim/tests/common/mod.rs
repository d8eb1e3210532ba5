//! What the pattern test files share.

#![allow(dead_code)]

use sim::run::{Options, Summary};
use sim::time::Time;
use sim::{find_pattern, ParamSet, Simulation};

/// `pattern`'s defaults with `sets` applied: `id=value` pairs separated by
/// spaces, values as a link writes them; a refused value fails the test.
pub fn params(pattern: &str, sets: &str) -> ParamSet {
    let mut p = find_pattern(pattern).unwrap().defaults();
    for set in sets.split_whitespace() {
        let (k, v) = set
            .split_once('=')
            .unwrap_or_else(|| panic!("{set:?} is not id=value"));
        p.set_str(k, v).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    }
    p
}

/// The summary of a run of `p` with `seed` up to virtual time `until`.
pub fn summary(p: ParamSet, seed: u64, until: Time) -> Summary {
    let mut sim = Simulation::new(p, seed, Options::default());
    sim.advance_to(until);
    sim.summary(0.0)
}

/// The summary of a run of `pattern` with `sets` (as for [`params`]).
pub fn run(pattern: &str, sets: &str, seed: u64, until: Time) -> Summary {
    summary(params(pattern, sets), seed, until)
}

/// A run of `p` with `seed` up to `until`, every event kept.
pub fn events(p: ParamSet, seed: u64, until: Time) -> Simulation {
    let mut sim = Simulation::new(p, seed, Options::EVENTS);
    sim.advance_to(until);
    sim
}
