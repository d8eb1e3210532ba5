//! Short polling against its laws: staleness ≈ poll/2 + one-way latency,
//! empty answers ≈ e^(−u·poll) (determinism and conservation: `contract.rs`).

mod common;

use sim::time::SECOND;

/// Staleness = the wait until the next poll is served (uniform over the poll
/// interval for a fixed schedule) + the service time + the hop back.
/// 4,000 updates × 4 clients; the staleness sd is ≈ 0.29·poll, so the
/// standard error is ≈ 0.3 % of the mean: 5 % is far outside noise.
#[test]
fn staleness_is_half_the_poll_interval_plus_one_hop() {
    let (poll, net, service) = (1000.0, 40.0, 2.0);
    let s = common::run("pattern=short-polling&seed=3&update_rate=2&poll_ms=1000&net_ms=40&jitter_ms=0&service_ms=2&service_dist=const", 2000 * SECOND);
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
        let s = common::run(&format!("pattern=short-polling&seed=9&update_rate={u}&poll_ms={poll}&jitter_ms=0&service_dist=const"), 2000 * SECOND);
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
    let s = common::run(
        "pattern=short-polling&seed=4&update_rate=3&poll_ms=500&loss=0.3",
        600 * SECOND,
    );
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
