//! The fire-and-forget engine against its law: sender wait 0, delivered =
//! sent × (1 − loss), no error at the sender.

mod common;

use common::params;

use sim::run::Options;
use sim::time::SECOND;
use sim::{Simulation, What};

/// The pattern these laws belong to.
const PATTERN: &str = "fire-and-forget";

/// Delivered = sent × (1 − loss): binomial, so the tolerance is four
/// standard deviations of the count for the run's own sample size.
#[test]
fn delivered_is_sent_times_one_minus_loss_and_the_sender_hears_nothing() {
    let loss = 0.15;
    let p = params(PATTERN, "rate=500 workers=8 service_ms=1 loss=0.15");
    let mut sim = Simulation::new(p, 21, Options::EVENTS);
    let topo = sim.topology().clone();
    let mut toward_a_client = 0;
    for _ in 0..200 {
        sim.advance_to(sim.now() + SECOND);
        toward_a_client += sim
            .events()
            .iter()
            .filter(|e| matches!(e.what, What::Sent { link, .. } if topo.links[link as usize].to != topo.nodes.len() as u16 - 1))
            .count();
        sim.clear_events();
    }
    let s = sim.summary(0.0);
    let sent = (s.offered - s.pending) as f64;
    let expected = sent * (1.0 - loss);
    let sd = (sent * loss * (1.0 - loss)).sqrt();
    println!(
        "sent {sent}, delivered {}, expected {expected:.0} ± {sd:.0}",
        s.completed
    );
    assert!((s.completed as f64 - expected).abs() < 4.0 * sd);
    assert_eq!(
        s.failed["lost"], s.dropped["loss"],
        "every loss is a silent failure"
    );
    assert_eq!(
        s.failed["timeout"] + s.failed["rejected"],
        0,
        "the sender is never told"
    );
    assert_eq!(toward_a_client, 0, "nothing ever travels back to a sender");
    assert_eq!(s.wire_messages, s.offered, "one message per send, no acks");
}

#[test]
fn a_full_queue_loses_messages_silently() {
    let s = common::run(
        "pattern=fire-and-forget&seed=2&rate=1000&service_ms=5&service_dist=const&queue_cap=2",
        10 * SECOND,
    );
    assert!(s.dropped["queue_full"] > 5000);
    assert_eq!(s.failed["lost"], s.dropped["queue_full"]);
    assert!(
        (s.throughput_per_s - 200.0).abs() < 2.0,
        "{}",
        s.throughput_per_s
    );
}

/// The receiver's wait is one hop plus an M/M/1 sojourn at the thinned rate
/// λ(1 − loss). Run long enough that 5 % is about five standard errors
/// (Daley's variance for the M/M/1 mean wait at ρ = 0.72 over ~144,000
/// deliveries gives a standard error near 1 %).
#[test]
fn the_receivers_wait_matches_mm1_at_the_thinned_rate() {
    let p = params(
        PATTERN,
        "rate=80 loss=0.1 jitter_ms=0 net_ms=20 service_ms=10",
    );
    let expected = sim::run::Theory::for_params(&p)
        .unwrap()
        .mean_wait_ms
        .unwrap();
    let one_hop_mm1 = 20.0 + 1000.0 * sim::theory::mmc_mean_sojourn(72.0, 100.0, 1).unwrap();
    assert!((expected - one_hop_mm1).abs() < 1e-9);
    let mut sim = Simulation::new(p, 8, Options::default());
    sim.advance_to(2000 * SECOND);
    let measured = sim.summary(0.0).wait_ms.mean;
    println!("measured {measured:.3} ms, theory {expected:.3} ms");
    assert!((measured - expected).abs() / expected < 0.05);
}

/// The receiver's wait splits exactly into one hop, the queue and the
/// service; nothing else (the sender never retries).
#[test]
fn the_receivers_wait_breaks_down_into_hop_queue_and_service() {
    let s = common::run(
        "pattern=fire-and-forget&seed=9&rate=80&net_ms=20&jitter_ms=0&service_ms=10",
        300 * SECOND,
    );
    let b = s.wait_breakdown_ms;
    assert_eq!(b.count, s.completed);
    assert!((b.network - 20.0).abs() < 1e-9);
    assert!(b.other < 1e-6);
    assert!((b.network + b.queue + b.service - s.wait_ms.mean).abs() < 1e-6);
}
