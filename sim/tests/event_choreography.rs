//! Event choreography against its laws: end-to-end latency = sum of the
//! hops; a stalled service stalls everything downstream; compensations =
//! failures.

mod common;

use common::params;

use sim::time::SECOND;
use sim::{MsgKind, What};

/// The pattern these laws belong to.
const PATTERN: &str = "event-choreography";

/// Four services, 10 ms steps, 20 ms hops, no queueing: 20 (to Order) +
/// 4 × 10 + 3 × 20 = 120 ms for every order.
#[test]
fn end_to_end_latency_is_the_sum_of_the_hops() {
    let s = common::run("pattern=event-choreography&seed=2&fail_rate=0&service_ms=10&service_dist=const&workers=64&net_ms=20&jitter_ms=0", 300 * SECOND);
    assert!(
        (s.wait_ms.mean - 120.0).abs() < 1e-6 && (s.wait_ms.max - 120.0).abs() < 1.5,
        "{:?}",
        s.wait_ms
    );
}

/// Slow Inventory (stage 3) tenfold: its capacity drops to 2 workers / 100 ms
/// = 20 orders/s, below the 30 offered. A queue builds in front of it and
/// the orders completed — everything downstream — fall to its pace.
#[test]
fn a_stalled_service_stalls_everything_downstream() {
    let p = params(PATTERN, "rate=30 fail_rate=0 slow_stage=3 slowdown=10");
    let mut sim = common::events(p, 3, 300 * SECOND);
    let inventory = sim
        .topology()
        .nodes
        .iter()
        .position(|n| n.label == "inventory")
        .unwrap() as u16;
    let mut queued_at_inventory = 0i64;
    for e in sim.events() {
        match e.what {
            What::Queued { node, .. } if node == inventory => queued_at_inventory += 1,
            What::Started {
                node, queued: true, ..
            } if node == inventory => queued_at_inventory -= 1,
            _ => {}
        }
    }
    let s = sim.summary(0.0);
    assert!(
        (s.throughput_per_s - 20.0).abs() < 1.0,
        "{}",
        s.throughput_per_s
    );
    assert!(queued_at_inventory > 2000, "{queued_at_inventory}");
    assert_eq!(s.figures["backlog"], queued_at_inventory as f64);
}

/// Every failed step starts one saga of compensations, which walks back
/// through every earlier service: compensating events = Σ (failed stage).
#[test]
fn compensations_equal_failures() {
    let p = params(PATTERN, "fail_rate=0.05 jitter_ms=0");
    let mut sim = common::events(p, 4, 300 * SECOND);
    // Stop new orders and let every saga finish.
    sim.set_param("rate", 0.0).unwrap();
    sim.advance_to(310 * SECOND);
    let first = sim
        .topology()
        .nodes
        .iter()
        .position(|n| n.label == "order")
        .unwrap() as u16;
    let (mut failures, mut expected_compensations, mut compensations) = (0u64, 0u64, 0u64);
    let mut failed_at = std::collections::HashMap::new();
    for e in sim.events() {
        match e.what {
            What::Served { node, .. } => {
                failed_at.insert(e.at, node);
            }
            What::Failed { .. } => failures += 1,
            What::Sent {
                kind: MsgKind::Compensation,
                ..
            } => compensations += 1,
            _ => {}
        }
    }
    // The step that failed is the one served at the same instant as the failure.
    for e in sim.events() {
        if let What::Failed { .. } = e.what {
            let stage = failed_at[&e.at] - first;
            expected_compensations += stage as u64;
        }
    }
    let s = sim.summary(0.0);
    assert!(failures > 500, "{failures}");
    assert_eq!(s.figures["failures"], failures as f64);
    assert_eq!(compensations, expected_compensations);
    assert_eq!(s.pending, 0);
}
