//! The catalogue's contract, one test for every pattern: a run is
//! determined by its parameters, seed and live changes (the same inputs
//! give the same events, event for event), and conservation holds after
//! every step — every message sent is delivered, dropped with a reason, in
//! flight, queued or in service, and the event-derived ledger equals the
//! engine's own structures. Starting values and live changes are drawn
//! from each parameter's own range: its ends, its default, its smallest
//! "on" rate and anywhere in between (log-uniformly for a log scale).
//! The per-pattern test files keep only their pattern's laws.

use proptest::prelude::*;
use sim::params::Kind;
use sim::run::Options;
use sim::{catalogue, ParamSpec, PatternInfo, Simulation};

/// A value for `spec` from its own range.
fn value(spec: &ParamSpec, pick: u8, u: f64) -> f64 {
    match spec.kind {
        Kind::Number {
            min,
            max,
            integer,
            log,
            ..
        } => {
            let v = match pick % 6 {
                0 => min,
                1 => max,
                2 => spec.default_value(),
                3 => spec.off_below.max(min),
                4 if log && min > 0.0 => min * (max / min).powf(u),
                _ => min + (max - min) * u,
            };
            if integer {
                v.round().clamp(min, max)
            } else {
                v
            }
        }
        Kind::Choice { options, .. } => {
            ((u * options.len() as f64) as usize).min(options.len() - 1) as f64
        }
        Kind::Bool { .. } => f64::from(u8::from(u < 0.5)),
    }
}

/// Steps of one run; a live change at each third of them.
const STEPS: usize = 1_200;

/// A run of `info` from `start` (a draw per parameter) with `changes` (a
/// live parameter and its draw) at a third and two thirds of the steps;
/// checks conservation after every step and returns the events.
fn run(
    info: &'static PatternInfo,
    seed: u64,
    start: &[(u8, f64)],
    changes: &[(usize, u8, f64)],
) -> Result<Vec<sim::Event>, TestCaseError> {
    let mut params = info.defaults();
    for (spec, &(pick, u)) in info.params.iter().zip(start.iter().cycle()) {
        let v = value(spec, pick, u);
        params
            .set(spec.id, v)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    let live: Vec<&ParamSpec> = info.params.iter().filter(|s| s.live).collect();
    let options = Options::EVENTS;
    let mut sim = Simulation::new(params, seed, options);
    let mut events = Vec::new();
    for i in 0..STEPS {
        if let Some(&(which, pick, u)) = changes
            .get(i / (STEPS / 3))
            .filter(|_| i % (STEPS / 3) == STEPS / 3 - 1)
        {
            let spec = live[which % live.len()];
            sim.set_param(spec.id, value(spec, pick, u))
                .map_err(|e| TestCaseError::fail(format!("{}: {e}", info.id)))?;
        }
        if sim.step().is_none() {
            break;
        }
        let (l, a) = (sim.ledger(), sim.audit());
        prop_assert!(l.conserved(), "{} step {i}: {l:?}", info.id);
        prop_assert_eq!(
            (l.in_flight, l.queued, l.in_service, l.pending),
            (a.in_flight, a.queued, a.in_service, a.pending),
            "{} step {}: the ledger against the engine's structures",
            info.id,
            i
        );
        events.extend_from_slice(sim.events());
        sim.clear_events();
    }
    Ok(events)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_pattern_is_deterministic_and_conserves_messages(
        pattern in 0usize..64,
        seed in any::<u64>(),
        start in proptest::collection::vec((0u8..6, 0.0f64..1.0), 24),
        changes in proptest::collection::vec((0usize..64, 0u8..6, 0.0f64..1.0), 2),
    ) {
        let info = catalogue()[pattern % catalogue().len()];
        let first = run(info, seed, &start, &changes)?;
        let again = run(info, seed, &start, &changes)?;
        prop_assert!(first == again, "{}: the same inputs gave other events", info.id);
    }
}

/// Another seed is another run, for every pattern at its defaults.
#[test]
fn another_seed_gives_another_run() {
    for info in catalogue() {
        let events = |seed| {
            let options = Options::EVENTS;
            let mut sim = Simulation::new(info.defaults(), seed, options);
            sim.advance_to(20 * sim::time::SECOND);
            sim.events().to_vec()
        };
        assert!(!events(1).is_empty(), "{} does nothing", info.id);
        assert_ne!(
            events(1),
            events(2),
            "{}: seeds 1 and 2 gave the same run",
            info.id
        );
    }
}
