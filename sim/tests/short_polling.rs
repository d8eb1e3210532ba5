//! Short polling against its laws: staleness ≈ poll/2 + one-way latency,
//! empty answers ≈ e^(−u·poll); determinism and conservation.

use proptest::prelude::*;
use sim::run::Options;
use sim::time::SECOND;
use sim::{find_pattern, ParamSet, Simulation};

fn params(sets: &[(&str, &str)]) -> ParamSet {
    let mut p = find_pattern("short-polling").unwrap().defaults();
    for (k, v) in sets {
        p.set_str(k, v).unwrap();
    }
    p
}

#[test]
fn same_seed_same_events() {
    let p = params(&[("update_rate", "5"), ("loss", "0.1"), ("poll_ms", "200")]);
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

/// Staleness = the wait until the next poll is served (uniform over the poll
/// interval for a fixed schedule) + the service time + the hop back.
/// 4,000 updates × 4 clients; the staleness sd is ≈ 0.29·poll, so the
/// standard error is ≈ 0.3 % of the mean: 5 % is far outside noise.
#[test]
fn staleness_is_half_the_poll_interval_plus_one_hop() {
    let (poll, net, service) = (1000.0, 40.0, 2.0);
    let p = params(&[
        ("update_rate", "2"),
        ("poll_ms", "1000"),
        ("net_ms", "40"),
        ("jitter_ms", "0"),
        ("service_ms", "2"),
        ("service_dist", "const"),
    ]);
    let mut sim = Simulation::new(p, 3, Options::default());
    sim.advance_to(2000 * SECOND);
    let s = sim.summary(0.0);
    let expected = poll / 2.0 + service + net;
    println!(
        "staleness {:.1} ms, expected {expected:.1} ms",
        s.wait_ms.mean
    );
    assert!((s.wait_ms.mean - expected).abs() / expected < 0.05);
    // Every update reaches every client (no loss): offered ≈ completed.
    assert!(s.pending <= 4 * 4, "{}", s.pending);
}

/// Between two served polls of a client exactly `poll` passes (fixed
/// schedule, no jitter), so an answer is empty with probability e^(−u·poll).
/// The clients watch the same update stream, so their answers are
/// correlated: the standard deviation is taken over one client's answers
/// (~2,000), the conservative count, and the check is at 4 of them.
#[test]
fn the_empty_answer_share_is_e_to_the_minus_u_poll() {
    for (u, poll) in [(2.0, 1000.0), (0.5, 1000.0), (10.0, 100.0)] {
        let p = params(&[
            ("update_rate", &u.to_string()),
            ("poll_ms", &poll.to_string()),
            ("jitter_ms", "0"),
            ("service_dist", "const"),
        ]);
        let mut sim = Simulation::new(p, 9, Options::default());
        sim.advance_to(2000 * SECOND);
        let s = sim.summary(0.0);
        let share = s.figures["empty_poll_share"] / 100.0;
        let expected = f64::exp(-u * poll / 1000.0);
        let answers = s.figures["polls"] / 4.0;
        let sd = (expected * (1.0 - expected) / answers).sqrt();
        println!("u={u} poll={poll}: empty share {share:.4}, expected {expected:.4} ± {sd:.4}");
        assert!((share - expected).abs() < 4.0 * sd);
    }
}

#[test]
fn loss_delays_updates_but_never_loses_them() {
    let p = params(&[("update_rate", "3"), ("poll_ms", "500"), ("loss", "0.3")]);
    let mut sim = Simulation::new(p, 4, Options::default());
    sim.advance_to(600 * SECOND);
    let s = sim.summary(0.0);
    assert_eq!(s.failed.values().sum::<u64>(), 0);
    assert!(s.dropped["loss"] > 500);
    // Only updates produced in the last few polls are still pending.
    assert!(
        (s.pending as f64) < 0.01 * s.offered as f64,
        "{} of {}",
        s.pending,
        s.offered
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn conservation_holds_after_every_step(
        update_rate in 0.001f64..200.0,
        poll_ms in 10.0f64..500.0,
        clients in 1u32..8,
        service_ms in 0.05f64..50.0,
        workers in 1u32..4,
        queue_cap in 0u32..10,
        net_ms in 0.0f64..30.0,
        jitter_ms in 0.0f64..10.0,
        loss in 0.0f64..0.5,
        seed in any::<u64>(),
        new_rate in 0.001f64..200.0,
    ) {
        let p = params(&[
            ("update_rate", &update_rate.to_string()),
            ("poll_ms", &poll_ms.to_string()),
            ("clients", &clients.to_string()),
            ("service_ms", &service_ms.to_string()),
            ("workers", &workers.to_string()),
            ("queue_cap", &queue_cap.to_string()),
            ("net_ms", &net_ms.to_string()),
            ("jitter_ms", &jitter_ms.to_string()),
            ("loss", &loss.to_string()),
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
                sim.set_param("update_rate", new_rate).unwrap();
            }
        }
    }
}
