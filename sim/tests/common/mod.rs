//! What the pattern test files share.

#![allow(dead_code)]

use sim::run::{Options, Summary};
use sim::time::Time;
use sim::{find_pattern, ParamSet, Simulation};

/// `pattern`'s defaults with `sets` applied: `id=value` pairs separated by
/// spaces, values as a link writes them; a refused value fails the test.
pub fn params(pattern: &str, sets: &str) -> ParamSet {
    with_sets(pattern, &pairs(sets.split_whitespace()), pattern)
}

/// `id=value` pieces as pairs; a piece that is not one fails the test.
fn pairs<'a>(pieces: impl Iterator<Item = &'a str>) -> Vec<(&'a str, &'a str)> {
    pieces
        .map(|set| {
            set.split_once('=')
                .unwrap_or_else(|| panic!("{set:?} is not id=value"))
        })
        .collect()
}

/// `pattern`'s defaults with `sets` applied; a refused value fails the test
/// with `context`.
fn with_sets(pattern: &str, sets: &[(&str, &str)], context: &str) -> ParamSet {
    let mut p = find_pattern(pattern).unwrap().defaults();
    for (k, v) in sets {
        p.set_str(k, v).unwrap_or_else(|e| panic!("{context}: {e}"));
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
    let all = pairs(link.split('&'));
    let value = |id: &str| all.iter().find(|(k, _)| *k == id).map(|(_, v)| *v);
    let pattern = value("pattern").unwrap_or_else(|| panic!("{link:?} names no pattern"));
    let seed = value("seed").map_or(1, |v| v.parse().expect("a seed is a whole number"));
    let sets: Vec<(&str, &str)> = all
        .iter()
        .copied()
        .filter(|(k, _)| !matches!(*k, "pattern" | "seed"))
        .collect();
    (with_sets(pattern, &sets, link), seed)
}

/// A run of `p` with `seed` up to `until`, every event kept.
pub fn events(p: ParamSet, seed: u64, until: Time) -> Simulation {
    let mut sim = Simulation::new(p, seed, Options::EVENTS);
    sim.advance_to(until);
    sim
}
