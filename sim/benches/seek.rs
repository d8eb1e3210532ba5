//! Seeking a run's past, measured the way a class uses it: a session's
//! timeline plays ten virtual minutes (in the slices a session advances
//! by, with a live change every minute), then seeks to random moments and
//! steps back from them. Printed beside the baseline measured in the same
//! run — re-simulating from zero to the same moments, which is what a
//! seek costs without keyframes — for the default settings of request /
//! response, a heavy run (~50,000 events per virtual second) and a heavy
//! run past its capacity (refusals, timeouts and a full queue all the
//! time: more events per second, and more state in each keyframe).
//!
//! Run with `cargo bench -p sim --bench seek` (part of `make bench`).

use std::time::Instant;

use sim::run::Options;
use sim::time::{self, Time, MS};
use sim::timeline::Timeline;
use sim::{find_pattern, ParamSet, Simulation};

/// Ten virtual minutes.
const RUN_S: u64 = 600;
/// Moments sought in each run.
const SEEKS: usize = 200;
/// Re-simulations from zero (the baseline; each costs a whole replay).
const FROM_ZERO: usize = 12;

fn main() {
    let info = find_pattern("request-response").expect("pattern exists");
    let defaults = info.defaults();
    // ~50,000 events per virtual second, inside capacity (ρ ≈ 0.6) …
    let mut heavy = info.defaults();
    heavy
        .set_str("rate", "6000")
        .expect("a rate inside the range");
    heavy.set_str("workers", "96").expect("workers in range");
    // … and past it: the queue stays full and 1,600 requests a second
    // are refused.
    let mut overloaded = info.defaults();
    overloaded
        .set_str("rate", "8000")
        .expect("a rate inside the range");
    overloaded
        .set_str("workers", "64")
        .expect("workers in range");
    for (name, params) in [
        ("default settings", defaults),
        ("heavy", heavy),
        ("heavy and overloaded", overloaded),
    ] {
        measure(name, params);
    }
}

/// A small deterministic generator for the moments sought (xorshift).
struct Moments(u64);

impl Moments {
    fn next(&mut self, head: Time) -> Time {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % head.max(1)) as Time
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn measure(name: &str, params: ParamSet) {
    let rate = params.get("rate");
    let mut tl = Timeline::new(Simulation::new(params.clone(), 7, Options::EVENTS));
    // Play: 1/30 s slices as a session's ticks, a change each minute.
    let started = Instant::now();
    let slice = 1_000 * MS / 30;
    let mut t: Time = 0;
    let mut minute = 0;
    while t < RUN_S * 1_000 * MS {
        t += slice;
        tl.advance_budgeted(t, usize::MAX);
        tl.sim_mut().clear_events();
        if t / (60_000 * MS) > minute {
            minute = t / (60_000 * MS);
            let r = if minute % 2 == 1 { rate * 1.2 } else { rate };
            tl.set_param("rate", r).expect("a live change");
        }
    }
    let play_s = started.elapsed().as_secs_f64();
    let events = tl.sim().events_emitted();
    let (keyframes, bytes) = tl.keyframe_use();
    let (one, held) = (tl.sim().footprint(), tl.sim().held());
    let head = tl.head().now;

    let mut moments = Moments(0x9E37_79B9_7F4A_7C15);
    let mut seeks = Vec::with_capacity(SEEKS);
    let mut backs = Vec::with_capacity(SEEKS);
    for _ in 0..SEEKS {
        let at = moments.next(head);
        let started = Instant::now();
        tl.seek(at).expect("a moment of the run");
        seeks.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        tl.step_back().expect("a step back");
        backs.push(started.elapsed().as_secs_f64() * 1e3);
    }
    // Where a class mostly looks: the last virtual minute (a replay, a
    // moment just missed).
    let minute = 60_000 * MS;
    let mut recent = Vec::with_capacity(SEEKS);
    for _ in 0..SEEKS {
        let at = head - minute + moments.next(minute);
        let started = Instant::now();
        tl.seek(at).expect("a moment of the run");
        recent.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let started = Instant::now();
    tl.go_live().expect("back to live");
    let live_ms = started.elapsed().as_secs_f64() * 1e3;
    seeks.sort_by(f64::total_cmp);
    backs.sort_by(f64::total_cmp);
    recent.sort_by(f64::total_cmp);

    // Baseline: the same kind of moments, re-simulated from zero with the
    // same changes (a fresh run to `at`, as a seek without keyframes).
    let mut zero = Vec::with_capacity(FROM_ZERO);
    let mut moments = Moments(0x9E37_79B9_7F4A_7C15);
    for _ in 0..FROM_ZERO {
        let at = moments.next(head);
        let started = Instant::now();
        let mut sim = Simulation::new(params.clone(), 7, Options::default());
        let mut m = 1;
        while m * 60_000 * MS <= at {
            sim.advance_to(m * 60_000 * MS);
            let r = if m % 2 == 1 { rate * 1.2 } else { rate };
            sim.set_param("rate", r).expect("a live change");
            m += 1;
        }
        sim.advance_to(at);
        zero.push(started.elapsed().as_secs_f64() * 1e3);
    }
    zero.sort_by(f64::total_cmp);
    let zero_mean = zero.iter().sum::<f64>() / zero.len() as f64;
    let p50 = percentile(&seeks, 0.5);

    println!(
        "seek, {name}: {:.0} events per virtual second, {} events in {RUN_S} virtual s (played in {:.1} s)",
        events as f64 / time::to_secs(head),
        events,
        play_s
    );
    println!(
        "  seek to a random moment ({SEEKS}): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        p50,
        percentile(&seeks, 0.95),
        seeks[seeks.len() - 1]
    );
    println!(
        "  seek within the last virtual minute ({SEEKS}): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        percentile(&recent, 0.5),
        percentile(&recent, 0.95),
        recent[recent.len() - 1]
    );
    println!(
        "  step back one action: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms; back to live {:.2} ms",
        percentile(&backs, 0.5),
        percentile(&backs, 0.95),
        backs[backs.len() - 1],
        live_ms
    );
    println!(
        "  keyframes: {keyframes} kept, {:.2} MiB = {:.2} MiB per virtual minute (one at the head: {:.0} KiB, of which {held} items held)",
        bytes as f64 / (1 << 20) as f64,
        bytes as f64 / (1 << 20) as f64 / (RUN_S as f64 / 60.0),
        one as f64 / 1024.0
    );
    println!(
        "  baseline, re-simulating from zero ({FROM_ZERO}): mean {:.1} ms, max {:.1} ms; seek p50 / baseline mean = {:.4}",
        zero_mean,
        zero[zero.len() - 1],
        p50 / zero_mean
    );
}
