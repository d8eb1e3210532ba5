//! Event choreography against its laws: end-to-end latency = sum of the
//! hops; a stalled service stalls everything downstream; compensations =
//! failures.

use proptest::prelude::*;
use sim::run::Options;
use sim::time::SECOND;
use sim::{find_pattern, MsgKind, ParamSet, Simulation, What};

fn params(sets: &[(&str, &str)]) -> ParamSet {
    let mut p = find_pattern("event-choreography").unwrap().defaults();
    for (k, v) in sets {
        p.set_str(k, v).unwrap();
    }
    p
}

#[test]
fn same_seed_same_events() {
    let p = params(&[("fail_rate", "0.1")]);
    let run = |seed| {
        let mut s = Simulation::new(
            p.clone(),
            seed,
            Options {
                keep_events: true,
                series: false,
            },
        );
        s.advance_to(20 * SECOND);
        s.events().to_vec()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

/// Four services, 10 ms steps, 20 ms hops, no queueing: 20 (to Order) +
/// 4 × 10 + 3 × 20 = 120 ms for every order.
#[test]
fn end_to_end_latency_is_the_sum_of_the_hops() {
    let p = params(&[
        ("fail_rate", "0"),
        ("service_ms", "10"),
        ("service_dist", "const"),
        ("workers", "64"),
        ("net_ms", "20"),
        ("jitter_ms", "0"),
    ]);
    let mut sim = Simulation::new(p, 2, Options::default());
    sim.advance_to(300 * SECOND);
    let s = sim.summary(0.0);
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
    let p = params(&[
        ("rate", "30"),
        ("fail_rate", "0"),
        ("slow_stage", "3"),
        ("slowdown", "10"),
    ]);
    let mut sim = Simulation::new(
        p,
        3,
        Options {
            keep_events: true,
            series: false,
        },
    );
    sim.advance_to(300 * SECOND);
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
    let p = params(&[("fail_rate", "0.05"), ("jitter_ms", "0")]);
    let mut sim = Simulation::new(
        p,
        4,
        Options {
            keep_events: true,
            series: false,
        },
    );
    sim.advance_to(300 * SECOND);
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn conservation_holds_after_every_step(
        rate in 0.001f64..300.0,
        clients in 1u32..4,
        stages in 2u32..7,
        fail_rate in 0.0f64..0.5,
        slow_stage in 0u32..7,
        slowdown in 1.0f64..50.0,
        service_ms in 0.1f64..30.0,
        workers in 1u32..4,
        queue_cap in 0u32..20,
        net_ms in 0.0f64..20.0,
        jitter_ms in 0.0f64..10.0,
        seed in any::<u64>(),
    ) {
        let p = params(&[
            ("rate", &rate.to_string()),
            ("clients", &clients.to_string()),
            ("stages", &stages.to_string()),
            ("fail_rate", &fail_rate.to_string()),
            ("slow_stage", &slow_stage.to_string()),
            ("slowdown", &slowdown.to_string()),
            ("service_ms", &service_ms.to_string()),
            ("workers", &workers.to_string()),
            ("queue_cap", &queue_cap.to_string()),
            ("net_ms", &net_ms.to_string()),
            ("jitter_ms", &jitter_ms.to_string()),
        ]);
        let mut sim = Simulation::new(p, seed, Options::default());
        for i in 0..4000 {
            if sim.step().is_none() {
                break;
            }
            let (l, a) = (sim.ledger(), sim.audit());
            prop_assert!(l.conserved(), "{l:?}");
            prop_assert_eq!((l.in_flight, l.queued, l.in_service, l.pending), (a.in_flight, a.queued, a.in_service, a.pending));
            if i == 1500 {
                sim.set_param("workers", 1.0).unwrap();
            }
        }
    }
}
