//! Extreme values, live: every pattern of the catalogue is driven through
//! random live changes that include each parameter's range ends, its
//! smallest "on" value, and values the catalogue must refuse (a rate of
//! 1e-300, NaN, ∞). Whatever it is given, a run keeps advancing (virtual
//! time never wraps into the past or stalls) and never holds more than its
//! budget.

use proptest::prelude::*;
use sim::budget::{CHUNK, MAX_HELD};
use sim::params::Kind;
use sim::run::{Advance, Options};
use sim::time::{FOREVER, MS};
use sim::{catalogue, Simulation};

/// Most items one action may add (a fan-out to 50 clients and its timers):
/// the budget is looked at every [`CHUNK`] actions, so a run may pass it by
/// at most this many per action of the last chunk.
const PER_ACTION: usize = 64;

/// Actions one advance may run: a tick's budget, as a session has.
const ACTIONS: usize = 20_000;

/// A value for `spec` from one of the interesting places: the range's ends,
/// the smallest "on" rate, the default, somewhere in between, or a value
/// the catalogue must refuse.
fn value(spec: &sim::ParamSpec, pick: u8, u: f64) -> f64 {
    let Kind::Number { min, max, .. } = spec.kind else {
        return match spec.kind {
            Kind::Choice { options, .. } => ((u * options.len() as f64) as usize) as f64,
            _ => f64::from(u8::from(u < 0.5)),
        };
    };
    match pick % 8 {
        0 => min,
        1 => max,
        2 => spec.off_below.max(min),
        3 => spec.default_value(),
        4 => min + (max - min) * u,
        5 => 1e-300,
        6 => [f64::NAN, f64::INFINITY, -1e300, 1e300][(u * 4.0) as usize % 4],
        _ => max * u * u,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_pattern_advances_and_stays_in_budget(
        pattern in 0usize..12,
        seed in 0u64..1_000,
        changes in proptest::collection::vec((0usize..64, 0u8..8, 0.0f64..1.0, 1u64..400), 1..16),
    ) {
        let info = catalogue()[pattern % catalogue().len()];
        let mut sim = Simulation::new(info.defaults(), seed, Options::default());
        for (which, pick, u, step_ms) in changes {
            let spec = &info.params[which % info.params.len()];
            let v = value(spec, pick, u);
            let before = sim.params().clone();
            match sim.set_param(spec.id, v) {
                Ok(_) => prop_assert!(spec.check(v).is_ok()),
                Err(_) => {
                    prop_assert!(spec.check(v).is_err(), "{} = {v} refused", spec.id);
                    prop_assert_eq!(sim.params(), &before, "a refused value changes nothing");
                }
            }
            let from = sim.now();
            let target = from + step_ms * MS;
            match sim.advance_budgeted(target, ACTIONS) {
                Advance::Reached => prop_assert_eq!(sim.now(), target),
                Advance::OutOfTime => prop_assert!(sim.now() >= from && sim.now() <= target),
                Advance::OverBudget => prop_assert!(sim.held() > MAX_HELD),
                Advance::AtCap => prop_assert!(false, "no cap was set"),
            }
            prop_assert!(sim.now() < FOREVER);
            prop_assert!(
                sim.held() <= MAX_HELD + CHUNK * PER_ACTION,
                "{} holds {} items after {}={v}", info.id, sim.held(), spec.id
            );
            // Nothing scheduled in the past: the next action is never
            // before the clock.
            if let Some(next) = sim.next_time() {
                prop_assert!(next >= sim.now(), "{}: next {next} < now {}", info.id, sim.now());
            }
        }
    }
}

/// The case the issue reported: a live rate of 1e-300 used to wrap the next
/// arrival round into the past. Now it is refused with the catalogue's
/// words, and the smallest admissible rate schedules its arrival in the far
/// future without stalling the run.
#[test]
fn a_vanishing_rate_is_refused_and_the_smallest_rate_runs() {
    for info in catalogue() {
        for spec in info.params.iter().filter(|s| s.off_below > 0.0) {
            let mut sim = Simulation::new(info.defaults(), 1, Options::default());
            sim.advance_to(500 * MS);
            let e = sim.set_param(spec.id, 1e-300).unwrap_err().to_string();
            assert!(e.contains("0 (off) or from"), "{}: {e}", info.id);
            sim.set_param(spec.id, spec.off_below).unwrap();
            let t = sim.now() + 2_000 * MS;
            let mut rounds = 0;
            while sim.advance_budgeted(t, ACTIONS) == Advance::OutOfTime {
                rounds += 1;
                assert!(rounds < 1_000, "{} with {} stalls", info.id, spec.id);
            }
            assert_eq!(sim.now(), t, "{} with {}", info.id, spec.id);
        }
    }
}

/// A blocking subscriber at the highest load keeps at most the queue limit
/// waiting and drops the oldest beyond it, counted as overflow.
#[test]
fn a_blocking_subscriber_is_bounded_by_the_queue_limit() {
    let mut p = sim::find_pattern("publish-subscribe").unwrap().defaults();
    for (k, v) in [
        ("slow_policy", "block"),
        ("rate", "20000"),
        ("slow_factor", "100"),
        ("subscribers", "2"),
        ("service_ms", "0.01"),
    ] {
        p.set_str(k, v).unwrap();
    }
    let mut sim = Simulation::new(p, 3, Options::default());
    let mut t = 0;
    for _ in 0..200 {
        t += 100 * MS;
        sim.advance_budgeted(t, 200_000);
    }
    let s = sim.summary(0.0);
    assert!(s.dropped["overflow"] > 0, "{:?}", s.dropped);
    let backlog = sim.audit().queued as usize;
    assert!(backlog <= 2 * sim::budget::QUEUE_LIMIT, "{backlog}");
    assert!(sim.held() <= MAX_HELD + CHUNK * PER_ACTION);
}

/// Webhooks remember handled events only while a copy of them can still
/// arrive: a long run holds what is live, not the whole run's history.
#[test]
fn webhooks_forget_settled_events() {
    let mut p = sim::find_pattern("webhooks").unwrap().defaults();
    for (k, v) in [("rate", "200"), ("loss", "0.1"), ("idempotency", "true")] {
        p.set_str(k, v).unwrap();
    }
    let mut sim = Simulation::new(p, 4, Options::default());
    let mut most = 0;
    for s in 1..=200 {
        sim.advance_to(s * sim::time::SECOND);
        most = most.max(sim.held());
    }
    let s = sim.summary(0.0);
    assert!(s.completed > 35_000, "{}", s.completed);
    // 200 events a second, each settled within a few seconds: without
    // forgetting, the books would hold all 40,000 of the run.
    assert!(most < 5_000, "held up to {most} items");
}
