//! The WebSocket chat room against its laws: deliveries = sent ×
//! (clients − 1); latency = two hops + the server's handling; a dropped
//! client misses what is said while it is away.

mod common;

use sim::time::SECOND;

#[test]
fn every_message_reaches_every_other_client_two_hops_later() {
    let s = common::run("pattern=websocket&seed=2&clients=7&net_ms=15&jitter_ms=0&service_ms=1&service_dist=const&workers=64", 300 * SECOND);
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
    let s = common::run(
        "pattern=websocket&seed=3&drops_per_min=6&reconnect_ms=2000&rate=20",
        600 * SECOND,
    );
    // Away ≈ 2 s of every 10 s per client: roughly a sixth of the copies.
    let share = s.figures["missed"] / s.offered as f64;
    assert!(share > 0.1 && share < 0.25, "{share}");
    assert_eq!(s.completed + s.failed["lost"] + s.pending, s.offered);
}
