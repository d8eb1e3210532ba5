//! Seeking is exact: for every pattern of the catalogue, random seeds,
//! random scripts of advances (some cut short by an action budget, as a
//! session's ticks are), live changes and single steps, the run a
//! [`Timeline`] shows after a seek, a step back or a return to live is the
//! run an uninterrupted [`Simulation`] reaches there — compared by a digest
//! of its state, its metrics and its next 1,000 events.

use proptest::prelude::*;
use sim::event::Event;
use sim::params::Kind;
use sim::run::{Advance, Options};
use sim::time::{Time, MS};
use sim::timeline::{Progress, Timeline};
use sim::{catalogue, PatternInfo, Simulation};

/// One thing a teacher's session does to a run.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// Advance `ms` of virtual time, at most `budget` actions.
    Advance {
        ms: u32,
        budget: usize,
    },
    /// A live change of the `pick`-th live parameter to the `u` point of
    /// its range.
    Set {
        pick: usize,
        u: f64,
    },
    Step,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u32..800, prop_oneof![Just(usize::MAX), 50usize..3_000])
            .prop_map(|(ms, budget)| Op::Advance { ms, budget }),
        2 => (0usize..64, 0.0f64..1.0).prop_map(|(pick, u)| Op::Set { pick, u }),
        1 => Just(Op::Step),
    ]
}

/// A value in range for a live parameter: a number along its range (kept
/// to the lower half for rates, so runs stay small), a choice, a switch.
fn live_change(info: &PatternInfo, pick: usize, u: f64) -> Option<(&'static str, f64)> {
    let live: Vec<_> = info.params.iter().filter(|p| p.live).collect();
    let spec = live.get(pick % live.len().max(1))?;
    let v = match spec.kind {
        Kind::Number {
            min, max, integer, ..
        } => {
            let hi = if spec.id.contains("rate") {
                min + (max - min) * 0.1
            } else {
                max
            };
            let v = (min + (hi - min) * u).max(spec.off_below);
            if integer {
                v.round()
            } else {
                v
            }
        }
        Kind::Choice { options, .. } => {
            ((u * options.len() as f64) as usize).min(options.len() - 1) as f64
        }
        Kind::Bool { .. } => f64::from(u8::from(u < 0.5)),
    };
    spec.check(v).ok().map(|v| (spec.id, v))
}

/// Everything that decides a run's future and everything it has measured.
#[derive(PartialEq)]
struct Digest {
    steps: u64,
    now: Time,
    summary: String,
    next: Vec<Event>,
}

/// Short enough to read in a failure: where, and a hash of the rest.
impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.summary.hash(&mut h);
        let s = h.finish();
        format!("{:?}", self.next).hash(&mut h);
        write!(
            f,
            "steps {} at {} ns, summary #{s:x}, next {} events #{:x}",
            self.steps,
            self.now,
            self.next.len(),
            h.finish()
        )
    }
}

fn digest(sim: &Simulation) -> Digest {
    let mut copy = sim.keyframe();
    let summary = serde_json::to_string(&copy.summary(0.0)).unwrap()
        + &format!("{:?}{:?}{:?}", copy.audit(), copy.held(), copy.next_time());
    copy.clear_events();
    let mut next = Vec::new();
    for _ in 0..1_000 {
        if copy.step().is_none() {
            break;
        }
    }
    next.extend_from_slice(copy.events());
    Digest {
        steps: sim.steps(),
        now: sim.now(),
        summary,
        next,
    }
}

/// The script played live through a timeline (small keyframe interval, so
/// seeks cross several keyframes and changes).
fn play(info: &'static PatternInfo, seed: u64, ops: &[Op]) -> Timeline {
    let sim = Simulation::new(info.defaults(), seed, Options::EVENTS);
    let mut tl = Timeline::with_interval(sim, 500);
    for op in ops {
        match *op {
            Op::Advance { ms, budget } => {
                let t = tl.sim().now() + Time::from(ms) * MS;
                tl.advance_budgeted(t, budget);
            }
            Op::Set { pick, u } => {
                if let Some((id, v)) = live_change(info, pick, u) {
                    tl.set_param(id, v).unwrap();
                }
            }
            Op::Step => {
                tl.step();
            }
        }
        tl.sim_mut().clear_events();
    }
    tl
}

/// The same script on a bare simulation, stopped at virtual time `t`.
fn straight_to(info: &'static PatternInfo, seed: u64, ops: &[Op], t: Time) -> Simulation {
    let mut sim = Simulation::new(info.defaults(), seed, Options::EVENTS);
    for op in ops {
        match *op {
            Op::Advance { ms, budget } => {
                let to = sim.now() + Time::from(ms) * MS;
                if to > t {
                    // The same advance, cut at `t`: it may still stop short
                    // of it, and what came next happened before `t`.
                    match sim.advance_budgeted(t, budget) {
                        Advance::OutOfTime if sim.now() < t => {
                            sim.clear_events();
                            continue;
                        }
                        _ => break,
                    }
                }
                sim.advance_budgeted(to, budget);
            }
            Op::Set { pick, u } => {
                if let Some((id, v)) = live_change(info, pick, u) {
                    sim.set_param(id, v).unwrap();
                }
            }
            Op::Step => match sim.next_time() {
                Some(n) if n <= t => {
                    sim.step();
                }
                _ => break,
            },
        }
        sim.clear_events();
    }
    sim.advance_to(t);
    sim.clear_events();
    sim
}

fn check_pattern(info: &'static PatternInfo) {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: std::env::var("TIMELINE_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(16),
        ..ProptestConfig::default()
    });
    let strategy = (
        any::<u64>(),
        prop::collection::vec(op(), 1..40),
        prop::collection::vec(0.0f64..=1.0, 1..4),
        prop_oneof![Just(usize::MAX), 1usize..2_000],
    );
    runner
        .run(&strategy, |(seed, ops, targets, slice)| {
            let mut tl = play(info, seed, &ops);
            let head = digest(tl.sim());
            let head_at = tl.head();
            for u in targets {
                let t = (tl.head().now as f64 * u) as Time;
                // Dragged there: a seek elsewhere under way is overtaken,
                // and the way is run in slices, as a session's ticks do.
                tl.seek_begin(tl.head().now / 3).unwrap();
                let _ = tl.seek_continue(slice).unwrap();
                tl.seek_begin(t).unwrap();
                while tl.seek_continue(slice).unwrap() == Progress::Working {}
                prop_assert!(!tl.seeking());
                prop_assert_eq!(
                    digest(tl.sim()),
                    digest(&straight_to(info, seed, &ops, t)),
                    "{} seed {} at {} ns",
                    info.id,
                    seed,
                    t
                );
                // One step on and one back: the run after that step.
                if tl.step().is_some() {
                    let stepped = digest(tl.sim());
                    tl.sim_mut().clear_events();
                    tl.step();
                    tl.sim_mut().clear_events();
                    prop_assert!(tl.step_back_begin().unwrap());
                    let undone = loop {
                        if let Progress::Done(u) = tl.seek_continue(slice).unwrap() {
                            break u;
                        }
                    };
                    prop_assert!(undone.is_some());
                    prop_assert_eq!(digest(tl.sim()), stepped, "{} step back", info.id);
                }
            }
            tl.go_live().unwrap();
            // (A step from the past may have gone on past the head: then
            // that is the head.)
            if tl.head() == head_at {
                prop_assert_eq!(digest(tl.sim()), head, "{} back to live", info.id);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_seek_is_the_uninterrupted_run_for_every_pattern() {
    for info in catalogue() {
        check_pattern(info);
    }
}

#[test]
fn a_change_in_the_past_starts_a_new_future() {
    let info = catalogue()[0];
    let sim = Simulation::new(info.defaults(), 7, Options::EVENTS);
    let mut tl = Timeline::with_interval(sim, 300);
    tl.advance_budgeted(10_000 * MS, usize::MAX);
    let (rate_id, _) = live_change(info, 0, 0.5).unwrap();
    tl.seek(4_000 * MS).unwrap();
    assert!(tl.in_past());
    let (_, forked) = tl
        .set_param(rate_id, tl.sim().params().get(rate_id) * 1.5)
        .unwrap();
    assert!(forked, "a change in the past is a new future");
    assert!(!tl.in_past());
    assert_eq!(tl.head().now, 4_000 * MS);
    tl.advance_budgeted(8_000 * MS, usize::MAX);
    let head = digest(tl.sim());
    tl.seek(5_000 * MS).unwrap();
    tl.go_live().unwrap();
    assert_eq!(digest(tl.sim()), head);
}

#[test]
fn seeks_past_the_run_or_not_a_time_are_refused() {
    let info = catalogue()[0];
    let sim = Simulation::new(info.defaults(), 1, Options::EVENTS);
    let mut tl = Timeline::new(sim);
    tl.advance_budgeted(2_000 * MS, usize::MAX);
    for bad in [f64::NAN, -1.0, f64::INFINITY, 2.5, 1e300] {
        let e = tl.seek_secs(bad).unwrap_err().to_string();
        assert!(e.starts_with("t = "), "{bad}: {e}");
    }
    assert_eq!(tl.sim().now(), 2_000 * MS, "a refused seek changes nothing");
    tl.seek_secs(1.25).unwrap();
    assert_eq!(tl.sim().now(), 1_250 * MS);
}

#[test]
fn keyframes_stay_inside_their_budget() {
    let info = catalogue()[0];
    let sim = Simulation::new(info.defaults(), 3, Options::EVENTS);
    let mut tl = Timeline::with_interval(sim, 200);
    for s in 1..=120 {
        tl.advance_budgeted(s * 1_000 * MS, usize::MAX);
        tl.sim_mut().clear_events();
    }
    let (n, bytes) = tl.keyframe_use();
    assert!(n <= sim::timeline::MAX_KEYFRAMES, "{n} keyframes");
    assert!(bytes <= sim::timeline::KEYFRAME_BYTES + 2 * tl.sim().footprint());
}
