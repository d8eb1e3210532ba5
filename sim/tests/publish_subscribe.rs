//! Publish/subscribe against its laws: deliveries = publishes × subscribers
//! minus counted drops; publisher wait does not depend on the subscriber
//! count; a slow subscriber drops or lags without slowing the others.

mod common;

use common::params;

use std::collections::HashMap;

use sim::run::Options;
use sim::time::{self, SECOND};
use sim::{Simulation, What};

/// The pattern these laws belong to.
const PATTERN: &str = "publish-subscribe";

/// Every accepted publish is offered once per subscriber; each copy is
/// handled, dropped with a reason, or still on its way.
#[test]
fn deliveries_are_publishes_times_subscribers_minus_drops() {
    let s = common::run(
        "pattern=publish-subscribe&seed=2&subscribers=6&slow_factor=8&buffer=20",
        600 * SECOND,
    );
    let publishes = s.offered / 6;
    assert_eq!(s.offered, publishes * 6);
    let drops = s.dropped["overflow"];
    assert!(drops > 1000, "the slow subscriber overflows: {drops}");
    assert_eq!(s.completed + drops + s.pending, publishes * 6);
}

#[test]
fn publisher_wait_does_not_depend_on_the_subscriber_count() {
    let wait = |subscribers: &str| {
        let p = params(
            PATTERN,
            &format!("subscribers={subscribers} jitter_ms=0 net_ms=15"),
        );
        let mut sim = Simulation::new(p, 3, Options::default());
        sim.advance_to(100 * SECOND);
        sim.summary(0.0).figures["publisher_wait_ms"]
    };
    assert_eq!(wait("1"), 30.0);
    assert_eq!(wait("16"), 30.0);
}

/// The fast subscribers' waits are the same whether the last one is slow or
/// not (independent buffers): compared by their mean over ~12,000 copies
/// each, whose standard error is under 1 %.
#[test]
fn a_slow_subscriber_does_not_slow_the_others() {
    let fast_mean = |slow: &str, policy: &str| {
        let p = params(
            PATTERN,
            &format!("subscribers=4 slow_factor={slow} slow_policy={policy}"),
        );
        let mut sim = common::events(p, 4, 600 * SECOND);
        let last = sim.topology().nodes.len() as u16 - 1;
        let (mut sum, mut n) = (0.0, 0.0);
        let mut by_node: HashMap<u16, u64> = HashMap::new();
        for e in sim.events() {
            if let What::Completed { node, wait, .. } = e.what {
                *by_node.entry(node).or_default() += 1;
                if node != last {
                    sum += time::to_ms(wait);
                    n += 1.0;
                }
            }
        }
        (sum / n, sim.summary(0.0))
    };
    let (healthy, _) = fast_mean("1", "drop-oldest");
    let (dropping, d) = fast_mean("10", "drop-oldest");
    let (blocking, b) = fast_mean("10", "block");
    println!("fast subscribers' mean wait: {healthy:.2} / {dropping:.2} / {blocking:.2} ms");
    assert!((dropping - healthy).abs() / healthy < 0.03);
    assert!((blocking - healthy).abs() / healthy < 0.03);
    // Drop-oldest bounds the laggard's backlog; block lets it grow without end.
    assert!(d.figures["max_backlog"] <= 50.0 && d.figures["dropped_overflow"] > 1000.0);
    assert!(b.figures["max_backlog"] > 1000.0 && b.figures["dropped_overflow"] == 0.0);
}
