//! Scatter-gather against its law: the edge waits for the slowest branch
//! (plus the gateway and the client's hops), so its tail is far worse than
//! any one backend's, and more so the wider the fan-out.

use std::collections::HashMap;

use proptest::prelude::*;
use sim::run::Options;
use sim::time::{MS, SECOND};
use sim::{find_pattern, ParamSet, Simulation, What};

fn params(sets: &[(&str, &str)]) -> ParamSet {
    let mut p = find_pattern("scatter-gather").unwrap().defaults();
    for (k, v) in sets {
        p.set_str(k, v).unwrap();
    }
    p
}

#[test]
fn same_seed_same_events() {
    let p = params(&[("loss", "0.05"), ("timeout_ms", "150")]);
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

/// Exactly, request by request: wait = 2 client hops + slowest branch +
/// gateway time (no jitter, no loss, no timeout).
#[test]
fn the_edge_waits_for_the_slowest_branch_plus_the_gateway() {
    let p = params(&[
        ("net_ms", "10"),
        ("jitter_ms", "0"),
        ("gateway_ms", "3"),
        ("timeout_ms", "100000"),
    ]);
    let mut sim = Simulation::new(
        p,
        2,
        Options {
            keep_events: true,
            series: false,
        },
    );
    sim.advance_to(200 * SECOND);
    let mut slowest: HashMap<u64, u64> = HashMap::new();
    let mut checked = 0;
    for e in sim.events() {
        match e.what {
            What::Leg { req, latency, .. } => {
                let s = slowest.entry(req).or_default();
                *s = (*s).max(latency);
            }
            What::Completed { req, wait, .. } => {
                assert_eq!(wait, slowest[&req] + 2 * 10 * MS + 3 * MS, "request {req}");
                checked += 1;
            }
            _ => {}
        }
    }
    assert!(checked > 3000, "{checked}");
}

/// Tail at scale: the edge p99 is far above one branch's, and the gap widens
/// with the fan-out.
#[test]
fn p99_at_the_edge_dwarfs_one_backend_and_grows_with_fanout() {
    let ratio = |fanout: &str| {
        let p = params(&[
            ("fanout", fanout),
            ("jitter_ms", "0"),
            ("net_ms", "1"),
            ("gateway_ms", "0"),
        ]);
        let mut sim = Simulation::new(p, 3, Options::default());
        sim.advance_to(1000 * SECOND);
        let s = sim.summary(0.0);
        println!(
            "fanout {fanout}: edge p99 {:.1}, branch p99 {:.1}",
            s.figures["edge_p99_ms"], s.figures["branch_p99_ms"]
        );
        s.figures["tail_ratio"]
    };
    let (one, four, sixteen) = (ratio("1"), ratio("4"), ratio("16"));
    // One branch: the edge is that branch plus two 1 ms hops.
    assert!(one < 1.1, "{one}");
    assert!(four > one * 1.1, "{four}");
    assert!(sixteen > four * 1.1 && sixteen > 1.4, "{sixteen}");
}

#[test]
fn lost_branches_become_partial_results() {
    let p = params(&[("loss", "0.1"), ("timeout_ms", "300")]);
    let mut sim = Simulation::new(p, 4, Options::default());
    sim.advance_to(300 * SECOND);
    let s = sim.summary(0.0);
    // P(all 16 branch messages survive) = 0.9^16 ≈ 0.185.
    let partial = s.figures["partial"] / s.completed as f64;
    assert!(
        (partial - (1.0 - 0.9f64.powi(16))).abs() < 0.03,
        "{partial}"
    );
    assert_eq!(
        s.failed.values().sum::<u64>(),
        0,
        "a partial result is still an answer"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn conservation_holds_after_every_step(
        rate in 0.001f64..500.0,
        clients in 1u32..5,
        fanout in 1u32..10,
        service_ms in 0.1f64..50.0,
        workers in 1u32..4,
        queue_cap in 0u32..10,
        net_ms in 0.0f64..20.0,
        jitter_ms in 0.0f64..10.0,
        loss in 0.0f64..0.4,
        timeout_ms in 1.0f64..200.0,
        seed in any::<u64>(),
        new_workers in 1u32..4,
    ) {
        let p = params(&[
            ("rate", &rate.to_string()),
            ("clients", &clients.to_string()),
            ("fanout", &fanout.to_string()),
            ("service_ms", &service_ms.to_string()),
            ("workers", &workers.to_string()),
            ("queue_cap", &queue_cap.to_string()),
            ("net_ms", &net_ms.to_string()),
            ("jitter_ms", &jitter_ms.to_string()),
            ("loss", &loss.to_string()),
            ("timeout_ms", &timeout_ms.to_string()),
        ]);
        let mut sim = Simulation::new(p, seed, Options::default());
        for i in 0..3000 {
            if sim.step().is_none() {
                break;
            }
            let (l, a) = (sim.ledger(), sim.audit());
            prop_assert!(l.conserved(), "{l:?}");
            prop_assert_eq!((l.in_flight, l.queued, l.in_service, l.pending), (a.in_flight, a.queued, a.in_service, a.pending));
            if i == 1000 {
                sim.set_param("workers", new_workers as f64).unwrap();
            }
        }
    }
}
