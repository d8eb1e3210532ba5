//! Scatter-gather against its law: the edge waits for the slowest branch
//! (plus the gateway and the client's hops), so its tail is far worse than
//! any one backend's, and more so the wider the fan-out.

mod common;

use common::params;

use std::collections::HashMap;

use sim::time::{MS, SECOND};
use sim::What;

/// The pattern these laws belong to.
const PATTERN: &str = "scatter-gather";

/// Exactly, request by request: wait = 2 client hops + slowest branch +
/// gateway time (no jitter, no loss, no timeout).
#[test]
fn the_edge_waits_for_the_slowest_branch_plus_the_gateway() {
    let p = params(
        PATTERN,
        "net_ms=10 jitter_ms=0 gateway_ms=3 timeout_ms=100000",
    );
    let sim = common::events(p, 2, 200 * SECOND);
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
        let s = common::run(
            &format!(
                "pattern=scatter-gather&seed=3&fanout={fanout}&jitter_ms=0&net_ms=1&gateway_ms=0"
            ),
            1000 * SECOND,
        );
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
    let s = common::run(
        "pattern=scatter-gather&seed=4&loss=0.1&timeout_ms=300",
        300 * SECOND,
    );
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
