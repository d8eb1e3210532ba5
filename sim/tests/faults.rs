//! The service faults every station-based pattern shares: an outage window
//! (everything reaching the service is refused) and a slowdown factor.

mod common;

use common::params;

use proptest::prelude::*;
use sim::run::{Options, Theory};
use sim::time::{self, SECOND};
use sim::{find_pattern, ParamSet, Simulation, What};

/// Down from 10 s to 20 s: nothing is served in the window, callers time
/// out, and service resumes afterwards.
#[test]
fn request_response_outage_refuses_everything_in_the_window() {
    let p = params(
        "request-response",
        "outage_at_s=10 outage_s=10 timeout_ms=500 jitter_ms=0",
    );
    let mut sim = common::events(p, 1, 40 * SECOND);
    let (from, to) = (time::from_secs(10.0), time::from_secs(20.0));
    let service = sim.topology().nodes.len() as u16 - 1;
    let (mut started_inside, mut started_after) = (0, 0);
    for e in sim.events() {
        if let What::Started { node, .. } = e.what {
            if node == service && e.at >= from && e.at < to {
                started_inside += 1;
            }
            if node == service && e.at >= to {
                started_after += 1;
            }
        }
    }
    let s = sim.summary(0.0);
    assert_eq!(started_inside, 0);
    assert!(started_after > 1000);
    // ~10 s of 80 req/s refused, each timing out.
    assert!((s.dropped["service_down"] as f64 - 800.0).abs() < 4.0 * 800f64.sqrt());
    assert_eq!(s.failed["timeout"], s.dropped["service_down"]);
}

/// Slowed twofold, the service is an M/M/1 with twice the service time:
/// at 400 req/s and 1 ms → 2 ms, ρ = 0.8 and the mean wait is 10 ms. The
/// prediction shown in the dashboard takes the slowdown into account.
#[test]
fn a_slowed_service_behaves_like_a_slower_mm1() {
    let p = params(
        "request-response",
        "rate=400 service_ms=1 slowdown=2 net_ms=0 jitter_ms=0 queue_cap=100000 timeout_ms=120000",
    );
    let theory = Theory::for_params(&p).unwrap();
    assert!((theory.utilisation - 0.8).abs() < 1e-12);
    assert!((theory.mean_wait_ms.unwrap() - 10.0).abs() < 1e-9);
    let mut sim = Simulation::new(p, 2, Options::default());
    sim.advance_to(3000 * SECOND);
    let mean = sim.summary(0.0).wait_ms.mean;
    // ~1.2 M requests: the standard error is well under 1 % at ρ = 0.8.
    assert!((mean - 10.0).abs() / 10.0 < 0.05, "{mean}");
}

#[test]
fn a_slow_backend_drags_the_whole_scatter_gather_edge() {
    let edge_p50 = |slowdown: &str| {
        let p = params(
            "scatter-gather",
            &format!("slowdown={slowdown} jitter_ms=0"),
        );
        let mut sim = Simulation::new(p, 3, Options::default());
        sim.advance_to(300 * SECOND);
        sim.summary(0.0).wait_ms.p50
    };
    let (healthy, slowed) = (edge_p50("1"), edge_p50("5"));
    assert!(slowed > 1.5 * healthy, "{healthy} → {slowed}");
}

const PATTERNS: [&str; 8] = [
    "request-response",
    "fire-and-forget",
    "async-request-reply",
    "short-polling",
    "long-polling",
    "scatter-gather",
    "message-queue",
    "publish-subscribe",
];

/// Sets the parameters `pattern` has, skipping the others.
fn with(pattern: &str, sets: &[(&str, f64)]) -> ParamSet {
    let mut p = find_pattern(pattern).unwrap().defaults();
    for (k, v) in sets {
        if p.spec(k).is_ok() {
            p.set(k, *v).unwrap();
        }
    }
    p
}

/// The broker down from 10 s to 20 s: what producers send in the window is
/// lost, nothing is handed to consumers, and the backlog drains afterwards.
#[test]
fn a_broker_outage_loses_the_window_and_then_drains() {
    let p = params("message-queue", "outage_at_s=10 outage_s=10 jitter_ms=0");
    let mut sim = common::events(p, 5, 60 * SECOND);
    let (from, to) = (time::from_secs(10.0) + 20 * time::MS, time::from_secs(20.0));
    let broker = sim
        .topology()
        .nodes
        .iter()
        .position(|n| n.label == "broker")
        .unwrap() as u16;
    let mut handed_out = 0;
    for e in sim.events() {
        if let What::Sent { link, .. } = e.what {
            if sim.topology().links[link as usize].from == broker && e.at >= from && e.at < to {
                handed_out += 1;
            }
        }
    }
    let s = sim.summary(0.0);
    // Receipts are broker → producer too, but none are sent while down.
    assert_eq!(handed_out, 0);
    let lost = s.failed["lost"] as f64;
    assert!((lost - 400.0).abs() < 4.0 * 400f64.sqrt(), "{lost}");
    assert!(s.figures["depth"] < 20.0, "drained: {}", s.figures["depth"]);
}

#[test]
fn a_broker_outage_publishes_nothing_in_the_window() {
    let run = |outage: &str| {
        let p = params(
            "publish-subscribe",
            &format!("outage_at_s=10 outage_s={outage}"),
        );
        let mut sim = Simulation::new(p, 6, Options::default());
        sim.advance_to(60 * SECOND);
        sim.summary(0.0)
    };
    let (healthy, down) = (run("0"), run("10"));
    // 20 events/s × 10 s × 4 subscribers fewer copies offered.
    let missing = (healthy.offered - down.offered) as f64;
    assert!(
        (missing - 800.0).abs() < 4.0 * 4.0 * 200f64.sqrt(),
        "{missing}"
    );
    assert_eq!(down.dropped["service_down"] as f64 * 4.0, missing);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    /// Outages and slowdowns, switched live, never break conservation.
    #[test]
    fn conservation_holds_under_outages_and_slowdowns(
        which in 0usize..8,
        outage_at_s in 0.0f64..0.5,
        outage_s in 0.0f64..0.5,
        slowdown in 1.0f64..20.0,
        seed in any::<u64>(),
    ) {
        let pattern = PATTERNS[which];
        let p = with(pattern, &[("outage_at_s", outage_at_s), ("outage_s", outage_s), ("slowdown", slowdown)]);
        let mut sim = Simulation::new(p, seed, Options::default());
        for i in 0..4000 {
            if sim.step().is_none() {
                break;
            }
            let (l, a) = (sim.ledger(), sim.audit());
            prop_assert!(l.conserved(), "{l:?}");
            prop_assert_eq!((l.in_flight, l.queued, l.in_service, l.pending), (a.in_flight, a.queued, a.in_service, a.pending));
            if i == 1500 {
                let now = time::to_secs(sim.now());
                sim.set_param("outage_at_s", now).unwrap();
                sim.set_param("outage_s", 0.3).unwrap();
                if sim.params().spec("slowdown").is_ok() {
                    sim.set_param("slowdown", 1.0).unwrap();
                }
            }
        }
    }
}
