//! The WebSocket chat room against its laws: deliveries = sent ×
//! (clients − 1); latency = two hops + the server's handling; a dropped
//! client misses what is said while it is away.

use proptest::prelude::*;
use sim::run::Options;
use sim::time::SECOND;
use sim::{find_pattern, ParamSet, Simulation};

fn params(sets: &[(&str, &str)]) -> ParamSet {
    let mut p = find_pattern("websocket").unwrap().defaults();
    for (k, v) in sets {
        p.set_str(k, v).unwrap();
    }
    p
}

#[test]
fn same_seed_same_events() {
    let p = params(&[("drops_per_min", "20")]);
    let run = |seed| {
        let mut s = Simulation::new(
            p.clone(),
            seed,
            Options {
                keep_events: true,
                series: false,
            },
        );
        s.advance_to(30 * SECOND);
        s.events().to_vec()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

#[test]
fn every_message_reaches_every_other_client_two_hops_later() {
    let p = params(&[
        ("clients", "7"),
        ("net_ms", "15"),
        ("jitter_ms", "0"),
        ("service_ms", "1"),
        ("service_dist", "const"),
        ("workers", "64"),
    ]);
    let mut sim = Simulation::new(p, 2, Options::default());
    sim.advance_to(300 * SECOND);
    let s = sim.summary(0.0);
    assert_eq!(
        s.offered % 6,
        0,
        "each relayed message is offered to the 6 others"
    );
    assert_eq!(s.completed + s.pending, s.offered);
    assert!((s.wait_ms.mean - 31.0).abs() < 1e-6, "{}", s.wait_ms.mean);
    assert!(s.figures["heartbeats"] > 0.0);
    assert_eq!(s.figures["open_connections"], 7.0);
}

#[test]
fn a_dropped_client_misses_what_is_said_while_it_is_away() {
    let p = params(&[
        ("drops_per_min", "6"),
        ("reconnect_ms", "2000"),
        ("rate", "20"),
    ]);
    let mut sim = Simulation::new(p, 3, Options::default());
    sim.advance_to(600 * SECOND);
    let s = sim.summary(0.0);
    // Away ≈ 2 s of every 10 s per client: roughly a sixth of the copies.
    let share = s.figures["missed"] / s.offered as f64;
    assert!(share > 0.1 && share < 0.25, "{share}");
    assert_eq!(s.completed + s.failed["lost"] + s.pending, s.offered);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn conservation_holds_after_every_step(
        rate in 0.001f64..200.0,
        clients in 2u32..8,
        heartbeat_ms in 100.0f64..2000.0,
        drops_per_min in 0.01f64..300.0,
        reconnect_ms in 0.0f64..500.0,
        service_ms in 0.1f64..20.0,
        workers in 1u32..4,
        net_ms in 0.0f64..20.0,
        jitter_ms in 0.0f64..20.0,
        seed in any::<u64>(),
    ) {
        let p = params(&[
            ("rate", &rate.to_string()),
            ("clients", &clients.to_string()),
            ("heartbeat_ms", &heartbeat_ms.to_string()),
            ("drops_per_min", &drops_per_min.to_string()),
            ("reconnect_ms", &reconnect_ms.to_string()),
            ("service_ms", &service_ms.to_string()),
            ("workers", &workers.to_string()),
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
                sim.set_param("drops_per_min", 60.0).unwrap();
            }
        }
    }
}
