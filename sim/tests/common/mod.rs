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

/// The summary of the run a dashboard link describes, up to virtual time
/// `until`. `link` is the link's query (`pattern=…&seed=…&id=value…`, as the
/// page writes it), so a law's run can be watched: open `/?<link>`.
pub fn run(link: &str, until: Time) -> Summary {
    let (p, seed) = linked(link);
    summary(p, seed, until)
}

/// The parameters and seed of a link's query (see [`run`]); a pair that is
/// not `id=value` or a value the page would refuse fails the test.
pub fn linked(link: &str) -> (ParamSet, u64) {
    let pairs: Vec<(&str, &str)> = link
        .split('&')
        .map(|pair| {
            pair.split_once('=')
                .unwrap_or_else(|| panic!("{pair:?} in {link:?} is not id=value"))
        })
        .collect();
    let value = |id: &str| pairs.iter().find(|(k, _)| *k == id).map(|(_, v)| *v);
    let pattern = value("pattern").unwrap_or_else(|| panic!("{link:?} names no pattern"));
    let seed = value("seed").map_or(1, |v| v.parse().expect("a seed is a whole number"));
    let mut p = find_pattern(pattern).unwrap().defaults();
    for (k, v) in pairs
        .iter()
        .filter(|(k, _)| !matches!(*k, "pattern" | "seed"))
    {
        p.set_str(k, v).unwrap_or_else(|e| panic!("{link}: {e}"));
    }
    (p, seed)
}

/// A run of `p` with `seed` up to `until`, every event kept.
pub fn events(p: ParamSet, seed: u64, until: Time) -> Simulation {
    let mut sim = Simulation::new(p, seed, Options::EVENTS);
    sim.advance_to(until);
    sim
}
