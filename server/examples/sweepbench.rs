//! The sweep, measured: 20 points × 10 replications of M/M/1 up
//! to ρ = 0.9 (555 virtual seconds each: ~50,000 customers at the top
//! point), on one thread and on every core, beside the engine's
//! single-run speed measured in the same run (the top point's run, events
//! not kept). Prints wall times, events per second and the ratios.
//!
//! `cargo run --release -p server --example sweepbench` (part of
//! `make bench`).

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use sim::sweep::{Ask, Plan};

fn ask() -> Ask {
    Ask {
        pattern: "request-response".into(),
        vary: "rate=4.5..90:20".into(),
        sets: [
            "workers=1",
            "net_ms=0",
            "jitter_ms=0",
            "timeout_ms=120000",
            "queue_cap=100000",
        ]
        .map(String::from)
        .to_vec(),
        reps: 10,
        duration_s: 555.0,
        seed: 1,
        vs: None,
        precision: None,
    }
}

/// Runs the whole sweep on `threads`; its wall seconds, events and CSV.
fn timed(plan: &Plan, threads: usize) -> (f64, u64, String) {
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    let curve = sim::sweep::sweep(
        plan,
        |jobs| server::sweeps::run_jobs(plan, jobs, threads, &cancel, false),
        |_, _| {},
    );
    let wall = started.elapsed().as_secs_f64();
    let events = curve.points.iter().map(|p| p.events).sum();
    (wall, events, curve.csv())
}

fn main() {
    let plan = Plan::new(&ask()).expect("the bench's sweep is valid");
    let cores = server::sweeps::threads(0);

    // The engine alone: the top point's replication, events not kept.
    let started = Instant::now();
    let mut single = sim::Simulation::new(plan.params(0, 19), 1, sim::run::Options::default());
    single.advance_to(plan.duration);
    let engine = single.events_emitted() as f64 / started.elapsed().as_secs_f64();

    let (wall_1, events, csv_1) = timed(&plan, 1);
    let (wall_n, events_n, csv_n) = timed(&plan, cores);
    assert_eq!(events, events_n);
    assert_eq!(csv_1, csv_n, "the same curve whatever the threads");
    let per_s_1 = events as f64 / wall_1;
    let per_s_n = events as f64 / wall_n;
    println!(
        "sweep: 20 points × 10 replications of M/M/1 to ρ = 0.9, 555 virtual s each: {:.1} M events",
        events as f64 / 1e6
    );
    println!(
        "  engine alone, one run (events not kept): {:.2} M events/s",
        engine / 1e6
    );
    println!(
        "  sweep on 1 thread: {wall_1:.2} s, {:.2} M events/s ({:.2}× the engine alone: the cost of keeping every completion, cutting warm-ups and summarising)",
        per_s_1 / 1e6,
        per_s_1 / engine
    );
    println!(
        "  sweep on {cores} threads: {wall_n:.2} s (goal < 10 s), {:.2} M events/s = {:.2}× one thread of the sweep, {:.2}× the engine alone (goal ≥ 1.6× on 2 cores); output byte-identical",
        per_s_n / 1e6,
        per_s_n / per_s_1,
        per_s_n / engine
    );
}
