//! The message queue against its laws: throughput ≈ min(λ, consumers·μ),
//! depth grows at λ − consumers·μ when overloaded, producer wait ≈ the
//! enqueue round trip whatever the depth; at-least-once under crashes.

mod common;

use common::params;

use sim::run::Options;
use sim::time::SECOND;
use sim::Simulation;

/// The pattern these laws belong to.
const PATTERN: &str = "message-queue";

/// Below capacity every message is processed: throughput = λ (Poisson count
/// noise: 4 sd of λT is 1.6 % at λT = 60,000).
#[test]
fn below_capacity_throughput_follows_the_offered_rate() {
    let s = common::run(
        "pattern=message-queue&seed=3&rate=40&consumers=2&service_ms=40",
        1500 * SECOND,
    );
    assert!((s.throughput_per_s - s.offered_per_s).abs() / s.offered_per_s < 0.01);
    assert!((s.offered_per_s - 40.0).abs() < 4.0 * (40.0f64 / 1500.0).sqrt());
}

/// Overloaded: consumers run flat out (throughput = consumers·μ with const
/// service and prefetch hiding the round trip), and the broker's depth grows
/// at λ − consumers·μ. The producer's wait stays one round trip.
#[test]
fn overloaded_the_depth_grows_at_the_excess_rate_and_producers_do_not_notice() {
    let (rate, consumers, mu, secs) = (120.0, 2.0, 25.0, 600.0);
    let p = params(PATTERN, "rate=120 consumers=2 service_ms=40 service_dist=const prefetch=10 visibility_ms=600000 net_ms=20 jitter_ms=0");
    let mut sim = Simulation::new(p, 4, Options::default());
    sim.advance_to(100 * SECOND);
    let early = sim.summary(0.0);
    sim.advance_to(secs as u64 * SECOND);
    let s = sim.summary(0.0);
    let throughput = s.throughput_per_s;
    assert!((throughput - consumers * mu).abs() < 0.5, "{throughput}");
    let growth = (s.figures["depth"] - early.figures["depth"]) / (secs - 100.0);
    let expected = rate - consumers * mu;
    // Arrivals over 500 s: sd of the count ≈ √(120·500) ≈ 245 → 0.5/s.
    assert!(
        (growth - expected).abs() < 4.0 * 0.5,
        "depth grows {growth}/s, expected {expected}/s"
    );
    assert!(s.figures["depth"] > 30_000.0);
    // The receipt comes back in one round trip however deep the queue.
    assert!((early.figures["producer_wait_ms"] - 40.0).abs() < 1e-6);
    assert!((s.figures["producer_wait_ms"] - 40.0).abs() < 1e-6);
}

#[test]
fn adding_consumers_raises_throughput_until_the_offered_rate() {
    let throughput = |consumers: &str| {
        let p = params(
            PATTERN,
            &format!("rate=60 consumers={consumers} service_ms=40 prefetch=4"),
        );
        let mut sim = Simulation::new(p, 5, Options::default());
        sim.advance_to(300 * SECOND);
        sim.summary(0.0).throughput_per_s
    };
    let (one, two, four) = (throughput("1"), throughput("2"), throughput("4"));
    assert!((one - 25.0).abs() < 1.5, "{one}");
    assert!((two - 50.0).abs() < 2.5, "{two}");
    assert!((four - 60.0).abs() < 3.0, "{four}");
}

/// A crash loses what the consumer held; the visibility timeout brings it
/// back, so (almost) nothing is lost and some work is done twice.
#[test]
fn crashes_redeliver_and_nothing_is_lost() {
    let s = common::run("pattern=message-queue&seed=6&rate=30&consumers=3&prefetch=5&crashes_per_min=6&restart_ms=1000&visibility_ms=2000&retries=10", 600 * SECOND);
    assert!(
        s.figures["redeliveries"] > 100.0,
        "{}",
        s.figures["redeliveries"]
    );
    assert_eq!(s.failed.values().sum::<u64>(), 0, "{:?}", s.failed);
    assert!(s.dropped["crashed"] > 0);
    assert!((s.pending as f64) < 200.0, "{}", s.pending);
}

#[test]
fn lost_acks_make_duplicates_and_endless_failures_dead_letter() {
    let s = common::run(
        "pattern=message-queue&seed=7&rate=20&loss=0.2&visibility_ms=500&retries=1",
        600 * SECOND,
    );
    assert!(
        s.figures["duplicates"] > 50.0,
        "{}",
        s.figures["duplicates"]
    );
    assert!(
        s.figures["dead_lettered"] > 10.0,
        "{}",
        s.figures["dead_lettered"]
    );
}

/// With prefetch 1 a consumer idles for a round trip after every message:
/// its rate is 1/(service + 2·hop) instead of 1/service.
#[test]
fn prefetch_one_leaves_consumers_idle_for_a_round_trip() {
    let throughput = |prefetch: &str| {
        let p = params(PATTERN, &format!("rate=200 consumers=2 service_ms=40 service_dist=const prefetch={prefetch} net_ms=20 jitter_ms=0"));
        let mut sim = Simulation::new(p, 8, Options::default());
        sim.advance_to(300 * SECOND);
        sim.summary(0.0).throughput_per_s
    };
    let (one, ten) = (throughput("1"), throughput("10"));
    assert!((one - 2.0 / 0.080).abs() < 0.5, "{one}");
    assert!((ten - 2.0 / 0.040).abs() < 0.5, "{ten}");
}
