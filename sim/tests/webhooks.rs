//! Webhooks against their laws: healthy latency ≈ one hop; an outage turns
//! into the back-off schedule; duplicates = lost acks without idempotency, 0
//! applied with it; dead-letter after the last retry.

mod common;

use common::params;

use std::collections::HashMap;

use sim::time::{self, SECOND};
use sim::{DropReason, FailReason, MsgKind, What};

/// The pattern these laws belong to.
const PATTERN: &str = "webhooks";

#[test]
fn healthy_latency_is_one_hop_plus_handling() {
    let s = common::run(
        "pattern=webhooks&seed=2&net_ms=30&jitter_ms=0&service_ms=5&service_dist=const&workers=64",
        300 * SECOND,
    );
    assert!((s.wait_ms.mean - 35.0).abs() < 1e-6, "{}", s.wait_ms.mean);
    assert_eq!(s.figures["retries"], 0.0);
}

/// Down from 10 s to 70 s: nothing is handled in between. Afterwards each
/// waiting event is handled exactly when its first retry sent after the
/// outage arrives (one hop plus handling): delivery follows the back-off
/// schedule. Eight retries outlast a minute of outage, so none is lost.
#[test]
fn an_outage_turns_into_the_back_off_schedule() {
    let p = params(
        PATTERN,
        "outage_at_s=10 outage_s=60 retries=8 jitter_ms=0 net_ms=20 service_dist=const",
    );
    let mut sim = common::events(p, 3, 400 * SECOND);
    let (start, end, hop) = (time::from_secs(10.0), time::from_secs(70.0), 20 * time::MS);
    let mut sends: HashMap<u64, Vec<u64>> = HashMap::new();
    let (mut during, mut checked) = (0, 0);
    for e in sim.events() {
        match e.what {
            What::Sent {
                req,
                kind: MsgKind::Callback | MsgKind::Retry,
                ..
            } => sends.entry(req).or_default().push(e.at),
            What::Completed { req, wait, .. } => {
                if e.at >= start + hop && e.at < end {
                    during += 1;
                }
                let created = e.at - wait;
                if created >= start && created < end - hop {
                    let first_after = sends[&req]
                        .iter()
                        .copied()
                        .find(|&s| s + hop >= end)
                        .unwrap();
                    let took = e.at - first_after;
                    assert!(
                        took >= hop && took < hop + 200 * time::MS,
                        "event {req}: {} ms",
                        time::to_ms(took)
                    );
                    checked += 1;
                }
            }
            _ => {}
        }
    }
    assert_eq!(during, 0, "nothing is handled while the receiver is down");
    assert!(checked > 200, "{checked}");
    let s = sim.summary(0.0);
    assert_eq!(s.failed["dead_letter"], 0);
}

/// With two retries, an event is dead-lettered exactly when all three of
/// its callbacks reached a receiver that was down: the count is computed
/// from the callbacks, event by event, and it is most of what the outage
/// swallowed (events of its first ~50 s).
#[test]
fn too_few_retries_dead_letter_what_the_outage_swallowed() {
    let p = params(PATTERN, "outage_at_s=10 outage_s=60 retries=2");
    let mut sim = common::events(p, 4, 200 * SECOND);
    let (mut req_of, mut refused) = (HashMap::new(), HashMap::<u64, u32>::new());
    let mut dead = Vec::new();
    for e in sim.events() {
        match e.what {
            What::Sent { msg, req, kind, .. } if kind != MsgKind::Ack => {
                req_of.insert(msg, req);
            }
            What::Dropped {
                msg,
                reason: DropReason::ServiceDown,
                ..
            } => *refused.entry(req_of[&msg]).or_default() += 1,
            What::Failed {
                req,
                reason: FailReason::DeadLetter,
                ..
            } => dead.push(req),
            _ => {}
        }
    }
    let mut all_refused: Vec<u64> = refused
        .into_iter()
        .filter(|&(_, n)| n == 3)
        .map(|(req, _)| req)
        .collect();
    all_refused.sort_unstable();
    dead.sort_unstable();
    assert_eq!(dead, all_refused);
    assert!(dead.len() > 150, "{}", dead.len());
    assert_eq!(sim.summary(0.0).failed["dead_letter"], dead.len() as u64);
}

/// Every lost ack makes the provider deliver again: without idempotency the
/// receiver applies the event twice. Acks lost near the end of the run may
/// not have been retried yet.
#[test]
fn duplicates_equal_lost_acks_without_idempotency_and_vanish_with_it() {
    let run = |idempotent: &str| {
        let p = params(
            PATTERN,
            &format!("rate=20 loss=0.1 idempotency={idempotent} timeout_ms=500"),
        );
        let mut sim = common::events(p, 5, 600 * SECOND);
        let mut kinds = HashMap::new();
        let mut lost_acks = 0;
        for e in sim.events() {
            match e.what {
                What::Sent { msg, kind, .. } => {
                    kinds.insert(msg, kind);
                }
                What::Dropped {
                    msg,
                    reason: DropReason::Loss,
                    ..
                } if kinds[&msg] == MsgKind::Ack => lost_acks += 1,
                _ => {}
            }
        }
        (sim.summary(0.0), lost_acks as f64)
    };
    let (off, lost_acks) = run("false");
    let dup = off.figures["duplicate_side_effects"];
    println!("lost acks {lost_acks}, duplicate side effects {dup}");
    assert!(lost_acks > 500.0);
    assert!(
        dup <= lost_acks && dup >= lost_acks - 10.0,
        "{dup} vs {lost_acks}"
    );
    let (on, lost_acks) = run("true");
    assert_eq!(on.figures["duplicate_side_effects"], 0.0);
    let recognised = on.figures["duplicates_suppressed"];
    assert!(recognised <= lost_acks && recognised >= lost_acks - 10.0);
}
