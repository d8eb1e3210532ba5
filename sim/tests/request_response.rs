//! The request-response engine against its laws: queueing theory, and a
//! run advanced tick by tick equal to one advanced at once (determinism and
//! conservation for every pattern: `contract.rs`).

mod common;

use common::params;

use sim::run::Options;
use sim::time::{self, SECOND};
use sim::wire::{Frame, Tick};
use sim::{theory, ParamSet, Simulation, What};
use std::borrow::Cow;

/// The pattern these laws belong to.
const PATTERN: &str = "request-response";

fn stream_bytes(p: &ParamSet, seed: u64, secs: f64) -> Vec<u8> {
    let mut sim = Simulation::new(p.clone(), seed, Options::EVENTS);
    sim.advance_to(time::from_secs(secs));
    let events = sim.events().to_vec();
    Frame::Tick(Tick {
        run: 0,
        now: sim.now(),
        head: sim.now(),
        speed: 1.0,
        playing: true,
        events: Cow::Owned(events),
        coalesced: 0,
        sampled: 1,
        metrics: Some(sim.snapshot()),
        achieved: 1.0,
    })
    .encode()
}

#[test]
fn same_seed_same_stream_byte_for_byte() {
    let p = params(PATTERN, "rate=300 loss=0.05 retries=2 timeout_ms=80");
    let a = stream_bytes(&p, 42, 20.0);
    let b = stream_bytes(&p, 42, 20.0);
    assert!(a.len() > 10_000, "the run produced events");
    assert_eq!(a, b);
    let c = stream_bytes(&p, 43, 20.0);
    assert_ne!(a, c, "another seed gives another run");
}

#[test]
fn advancing_in_ticks_equals_advancing_at_once() {
    let p = params(PATTERN, "rate=500 jitter_ms=10");
    let mut once = Simulation::new(p.clone(), 9, Options::EVENTS);
    once.advance_to(5 * SECOND);
    let mut ticks = Simulation::new(p, 9, Options::EVENTS);
    let mut t = 0;
    while t < 5 * SECOND {
        t += 33 * time::MS;
        ticks.advance_to(t.min(5 * SECOND));
    }
    assert_eq!(once.events(), ticks.events());
}

/// Runs `secs` virtual seconds and returns (mean wait in ms, standard error
/// of that mean by batch means over 40 batches).
fn mean_wait_with_error(p: &ParamSet, seed: u64, secs: u64) -> (f64, f64) {
    let mut sim = Simulation::new(p.clone(), seed, Options::EVENTS);
    let batches = 40;
    let per_batch = secs / batches;
    let mut means = Vec::new();
    let (mut total, mut n) = (0.0, 0u64);
    for _ in 0..batches {
        let (mut sum, mut count) = (0.0, 0u64);
        for _ in 0..per_batch {
            sim.advance_to(sim.now() + SECOND);
            for e in sim.events() {
                if let What::Completed { wait, .. } = e.what {
                    sum += time::to_ms(wait);
                    count += 1;
                }
            }
            sim.clear_events();
        }
        means.push(sum / count as f64);
        total += sum;
        n += count;
    }
    let mean = total / n as f64;
    let b = means.len() as f64;
    let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (b - 1.0);
    // The engine's own summary must agree with the events it emitted.
    let reported = sim.metrics().overall_waits().mean;
    assert!(
        (reported - mean).abs() < 1e-6 * mean,
        "summary {reported} vs events {mean}"
    );
    (mean, (var / b).sqrt())
}

/// Mean wait vs the M/M/c sojourn time, within 5 %. The run lengths are
/// chosen so that 5 % is at least four standard errors (checked, not assumed).
fn check_mmc(workers: u32, rho: f64, secs: u64) {
    let mu = 1000.0; // service_ms = 1
    let lambda = rho * mu * workers as f64;
    let p = params(
        PATTERN,
        &format!(
            "rate={lambda} service_ms=1 service_dist=exp workers={workers} queue_cap=100000 \
         net_ms=0 jitter_ms=0 timeout_ms=120000"
        ),
    );
    let expected = theory::mmc_mean_sojourn(lambda, mu, workers).unwrap() * 1000.0;
    let (measured, se) = mean_wait_with_error(&p, 7 + workers as u64, secs);
    let rel = (measured - expected).abs() / expected;
    println!("M/M/{workers} ρ={rho}: measured {measured:.4} ms, theory {expected:.4} ms, error {:.2} %, SE {:.2} %", rel * 100.0, se / expected * 100.0);
    assert!(
        se / expected < 0.0125,
        "run too short for a 5 % check: SE {se}"
    );
    assert!(
        rel < 0.05,
        "measured {measured} ms vs M/M/{workers} {expected} ms"
    );
}

#[test]
fn mm1_at_half_load() {
    check_mmc(1, 0.5, 400);
}

#[test]
fn mm1_at_eighty_percent() {
    check_mmc(1, 0.8, 1600);
}

#[test]
fn mmc_at_half_load() {
    check_mmc(3, 0.5, 200);
}

#[test]
fn mmc_at_eighty_percent() {
    check_mmc(3, 0.8, 600);
}

/// With Poisson arrivals and exponential service the M/M/1 sojourn time is
/// exponential with rate μ − λ, and abandonment by the client does not change
/// what the server does. So goodput with timeout T is λ·(1 − e^−(μ−λ)T), and
/// every request that misses it is wasted work.
#[test]
fn goodput_falls_when_the_timeout_is_shorter_than_the_wait() {
    let (lambda, mu, t_ms) = (950.0, 1000.0, 5.0);
    let s = common::run(&format!("pattern=request-response&seed=11&rate=950&service_ms=1&queue_cap=100000&net_ms=0&jitter_ms=0&timeout_ms={t_ms}"), 600 * SECOND);
    let expected = lambda * (1.0 - f64::exp(-(mu - lambda) * t_ms / 1000.0));
    println!(
        "goodput {:.1}/s, expected {expected:.1}/s, wasted {}",
        s.throughput_per_s, s.wasted_work
    );
    assert!((s.throughput_per_s - expected).abs() / expected < 0.05);
    assert!(
        s.throughput_per_s < 0.3 * lambda,
        "goodput collapses well below the offered load"
    );
    // Every timed-out request is still served (all but the few in the system at the end).
    let timed_out = s.failed["timeout"];
    assert!(s.wasted_work + 200 >= timed_out && s.wasted_work <= timed_out);
}

#[test]
fn a_full_queue_answers_503_and_the_request_fails_rejected() {
    let s = common::run("pattern=request-response&seed=5&rate=2000&service_ms=5&service_dist=const&queue_cap=3&net_ms=1&jitter_ms=0", 10 * SECOND);
    assert!(s.dropped["queue_full"] > 10_000);
    assert!(s.failed["rejected"] > 10_000);
    // 1 worker at 5 ms: at most 200 completions a second.
    assert!(
        s.throughput_per_s <= 201.0 && s.throughput_per_s > 180.0,
        "{}",
        s.throughput_per_s
    );
}

#[test]
fn retries_recover_lost_messages() {
    // ρ = 0.2 and a timeout far above the round trip: only loss fails a try.
    let base = "rate=20 loss=0.2 jitter_ms=0 timeout_ms=300 backoff_ms=10";
    let run = |retries: &str| {
        let mut p = params(PATTERN, base);
        p.set_str("retries", retries).unwrap();
        let mut sim = Simulation::new(p, 3, Options::default());
        sim.advance_to(100 * SECOND);
        sim.summary(0.0)
    };
    let none = run("0");
    let three = run("3");
    // A round trip survives with probability 0.8² = 0.64.
    let ok0 = none.completed as f64 / none.offered as f64;
    assert!((ok0 - 0.64).abs() < 0.03, "{ok0}");
    // Four attempts: 1 − 0.36⁴ ≈ 0.983.
    let ok3 = three.completed as f64 / three.offered as f64;
    assert!(ok3 > 0.97, "{ok3}");
    assert!(three.retries > 0 && none.retries == 0);
}

#[test]
fn changing_clients_restarts_the_run_with_the_new_topology() {
    let mut sim = Simulation::new(params(PATTERN, ""), 1, Options::default());
    sim.advance_to(SECOND);
    let applied = sim.set_param("clients", 9.0).unwrap();
    assert_eq!(applied, sim::run::Applied::Restarted);
    assert_eq!(sim.now(), 0);
    assert_eq!(sim.topology().nodes.len(), 10);
    let before = sim.params().clone();
    assert!(sim.set_param("clients", 0.0).is_err());
    assert!(sim.set_param("nope", 1.0).is_err());
    assert_eq!(sim.params(), &before);
}

/// The wait splits into its parts exactly: two hops on the wire, the queue
/// and the service of the M/M/1, and nothing else when nothing times out.
#[test]
fn the_wait_breaks_down_into_network_queue_and_service() {
    let s = common::run("pattern=request-response&seed=12&rate=700&service_ms=1&net_ms=10&jitter_ms=0&queue_cap=100000&timeout_ms=120000", 600 * SECOND);
    let b = s.wait_breakdown_ms;
    assert_eq!(b.count, s.completed);
    assert!((b.network - 20.0).abs() < 1e-9, "{}", b.network);
    assert!(b.other < 1e-6, "{}", b.other);
    assert!((b.network + b.queue + b.service - s.wait_ms.mean).abs() < 1e-6);
    // M/M/1 at ρ = 0.7: service 1 ms, queueing ρ/(μ − λ) = 2.33 ms.
    assert!((b.service - 1.0).abs() < 0.02, "{}", b.service);
    let expected_queue = 0.7 / (1000.0 - 700.0) * 1000.0;
    assert!(
        (b.queue - expected_queue).abs() / expected_queue < 0.05,
        "{}",
        b.queue
    );
}

#[test]
fn retries_show_up_as_other_time_in_the_breakdown() {
    let p = params(
        PATTERN,
        "rate=20 loss=0.2 timeout_ms=300 retries=3 jitter_ms=0",
    );
    let mut sim = Simulation::new(p, 13, Options::default());
    sim.advance_to(300 * SECOND);
    let b = sim.summary(0.0).wait_breakdown_ms;
    assert!(b.other > 10.0, "{}", b.other);
}
