//! Async request-reply against its laws: the 202 takes one round trip
//! whatever the load; polls per job follow the job time over the poll
//! interval; completion is observed at the first poll after the job is done.

mod common;

use common::params;

use sim::run::Options;
use sim::time::SECOND;
use sim::Simulation;

/// The pattern these laws belong to.
const PATTERN: &str = "async-request-reply";

#[test]
fn the_202_takes_one_round_trip_whatever_the_load() {
    let accept = |rate: &str| {
        let s = common::run(
            &format!("pattern=async-request-reply&seed=2&rate={rate}&jitter_ms=0&net_ms=25"),
            300 * SECOND,
        );
        (s.figures["accept_ms"], s.utilisation)
    };
    let (light, rho_light) = accept("4");
    let (heavy, rho_heavy) = accept("15.5");
    assert!(
        rho_light < 0.3 && rho_heavy > 0.9,
        "{rho_light} {rho_heavy}"
    );
    assert_eq!(light, 50.0);
    assert_eq!(heavy, 50.0);
}

/// Constant 500 ms jobs, no queueing, 20 ms hops, polls every 200 ms from
/// the 202: poll k reaches the service at 40 + 200k + 20 ms after the
/// submit, the job is done at 520 ms, so the third poll brings the result —
/// three polls per job, and the result lands at 40 + 600 + 40 = 680 ms.
#[test]
fn polls_per_job_and_completion_follow_the_poll_schedule() {
    let s = common::run("pattern=async-request-reply&seed=3&rate=5&service_ms=500&service_dist=const&workers=64&poll_ms=200&net_ms=20&jitter_ms=0", 300 * SECOND);
    assert!(
        (s.figures["polls_per_job"] - 3.0).abs() < 0.01,
        "{}",
        s.figures["polls_per_job"]
    );
    assert!((s.wait_ms.mean - 680.0).abs() < 1e-6, "{}", s.wait_ms.mean);
}

/// With exponential jobs the brief's estimate holds on average:
/// polls per job ≈ (queue + service)/poll + 1 within a poll's rounding.
#[test]
fn polls_per_job_track_job_time_over_poll_interval() {
    let s = common::run(
        "pattern=async-request-reply&seed=4&rate=10&service_ms=500&workers=64&poll_ms=100",
        600 * SECOND,
    );
    let estimate = 500.0 / 100.0 + 1.0;
    assert!(
        (s.figures["polls_per_job"] - estimate).abs() < 1.0,
        "{}",
        s.figures["polls_per_job"]
    );
}

/// On the fixed schedule of `polls_per_job_and_completion_follow_the_poll_schedule`:
/// 20 ms up + 20 ms down on the wire, no queue, 500 ms of work, and the
/// 140 ms until the third poll's answer leaves are polling delay.
#[test]
fn the_wait_breaks_down_into_hops_work_and_polling_delay() {
    let p = params(
        PATTERN,
        "rate=5 service_ms=500 service_dist=const workers=64 poll_ms=200 net_ms=20 jitter_ms=0",
    );
    let mut sim = Simulation::new(p, 3, Options::default());
    sim.advance_to(300 * SECOND);
    let b = sim.summary(0.0).wait_breakdown_ms;
    assert!((b.network - 40.0).abs() < 1e-9, "{b:?}");
    assert!(
        b.queue.abs() < 1e-9 && (b.service - 500.0).abs() < 1e-9,
        "{b:?}"
    );
    assert!((b.other - 140.0).abs() < 1e-6, "{b:?}");
}
