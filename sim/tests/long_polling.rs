//! Long polling against its laws: staleness ≈ one-way latency, open
//! connections ≈ clients, one empty answer per hold time per idle client.

mod common;

use common::params;

use sim::run::Options;
use sim::time::{MS, SECOND};
use sim::Simulation;

/// The pattern these laws belong to.
const PATTERN: &str = "long-polling";

/// A held poll is answered the moment an update exists, so staleness is one
/// hop back — unless the client was between polls (a round trip plus
/// service, ~4 % of the time at 1 update/s), which adds at most that gap.
#[test]
fn staleness_is_about_one_hop_and_every_client_keeps_a_poll_open() {
    let net = 20.0;
    let p = params(
        PATTERN,
        "update_rate=1 net_ms=20 jitter_ms=0 service_ms=2 service_dist=const",
    );
    let mut sim = Simulation::new(p, 5, Options::default());
    let mut open = 0u64;
    let samples = 2000;
    for _ in 0..samples {
        sim.advance_to(sim.now() + 500 * MS + 7 * MS);
        open += sim.snapshot().totals.open_connections;
    }
    let s = sim.summary(0.0);
    println!(
        "staleness {:.2} ms, open {:.2}",
        s.wait_ms.mean,
        open as f64 / samples as f64
    );
    assert!(
        s.wait_ms.mean >= net && s.wait_ms.mean < net * 1.15,
        "{}",
        s.wait_ms.mean
    );
    // Compare: short polling at one poll a second would be ~500 ms stale.
    let mean_open = open as f64 / samples as f64;
    assert!(mean_open > 0.9 * 4.0 && mean_open <= 4.0, "{mean_open}");
}

/// With no updates at all, each client's cycle is hold + round trip +
/// service, and every cycle ends in one empty answer.
#[test]
fn an_idle_client_gets_one_empty_answer_per_hold_time() {
    let (hold, net, service, secs) = (1000.0, 20.0, 2.0, 1000.0);
    let s = common::run("pattern=long-polling&seed=6&update_rate=0&hold_ms=1000&net_ms=20&jitter_ms=0&service_ms=2&service_dist=const", 1000 * SECOND);
    let expected = 4.0 * secs * 1000.0 / (hold + 2.0 * net + service);
    let empty = s.figures["empty_answers"];
    println!("empty answers {empty}, expected {expected:.0}");
    assert!((empty - expected).abs() / expected < 0.01);
}

#[test]
fn lost_polls_are_healed_by_the_client_timeout() {
    let s = common::run(
        "pattern=long-polling&seed=7&update_rate=2&loss=0.2&hold_ms=500&timeout_ms=800",
        600 * SECOND,
    );
    assert!(s.timed_out > 100, "{}", s.timed_out);
    assert_eq!(s.failed.values().sum::<u64>(), 0);
    assert!((s.pending as f64) < 0.01 * s.offered as f64);
}
