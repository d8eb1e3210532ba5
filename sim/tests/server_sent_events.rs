//! Server-sent events against their laws: latency ≈ one hop; nothing lost
//! with resume; without it, exactly what was produced during each gap.

mod common;

use sim::time::SECOND;

#[test]
fn latency_is_one_hop_on_a_steady_stream() {
    let s = common::run(
        "pattern=server-sent-events&seed=3&update_rate=10&net_ms=35&jitter_ms=0&drops_per_min=0",
        300 * SECOND,
    );
    assert!((s.wait_ms.mean - 35.0).abs() < 1e-6, "{}", s.wait_ms.mean);
    assert_eq!(s.figures["open_streams"], 4.0);
    // Every (update, client) pair crosses the wire once — live, or replayed
    // to a client that connected after it — plus the four connects.
    assert_eq!(s.wire_messages, s.offered + 4);
}

#[test]
fn with_resume_nothing_is_lost() {
    let s = common::run(
        "pattern=server-sent-events&seed=4&update_rate=5&drops_per_min=6&resume=true",
        1000 * SECOND,
    );
    assert_eq!(s.failed["lost"], 0);
    assert!(s.figures["reconnects"] > 300.0 && s.figures["resumed"] > 1000.0);
    assert!(
        s.dropped["disconnected"] > 0,
        "events in flight at a drop are gone, then replayed"
    );
    assert!((s.pending as f64) < 0.001 * s.offered as f64 + 50.0);
}

/// Each drop loses the events in flight (≈ u·net) and those produced until
/// the reconnect reaches the server (u·(reconnect + net)). The count given
/// the drops is Poisson, so the tolerance is four of its standard deviations.
#[test]
fn without_resume_the_gap_is_lost() {
    let (u, reconnect, net) = (5.0, 1.0, 0.02);
    let s = common::run("pattern=server-sent-events&seed=5&update_rate=5&drops_per_min=2&reconnect_ms=1000&net_ms=20&jitter_ms=0&resume=false", 3000 * SECOND);
    let drops = s.figures["reconnects"] - 4.0;
    let expected = drops * u * (reconnect + 2.0 * net);
    let lost = s.failed["lost"] as f64;
    println!("drops {drops}, lost {lost}, expected {expected:.0}");
    // The first connects also lose what came before them (< 0.1 s each).
    assert!((lost - expected).abs() < 4.0 * expected.sqrt() + 4.0 * u * 0.1);
    assert_eq!(s.figures["resumed"], 0.0);
}
