//! Engine throughput and wire size, printed as figures and as ratios against
//! baselines measured in the same run (so the numbers mean something on any
//! machine):
//! - engine events/s vs a bare scheduler push/pop loop of the same count;
//! - postcard bytes per event vs the same events as JSON.
//!
//! Run with `cargo bench -p sim`.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::Instant;

use sim::run::Options;
use sim::scheduler::Scheduler;
use sim::wire::{Frame, Tick};
use sim::{find_pattern, Simulation};

fn main() {
    let info = find_pattern("request-response").expect("pattern exists");
    let mut params = info.defaults();
    for (k, v) in [
        ("rate", "900"),
        ("service_ms", "1"),
        ("workers", "1"),
        ("net_ms", "0"),
    ] {
        params.set_str(k, v).expect("valid parameter");
    }

    // Engine: 200 virtual seconds at 900 req/s.
    let started = Instant::now();
    let mut sim = Simulation::new(params.clone(), 7, Options::default());
    sim.advance_to(sim::time::from_secs(200.0));
    let engine_s = started.elapsed().as_secs_f64();
    let events = sim.events_emitted();
    let engine_rate = events as f64 / engine_s;

    // Baseline: the same number of scheduler pushes and pops, nothing else.
    let started = Instant::now();
    let mut s = Scheduler::new();
    let mut t = 0u64;
    for i in 0..events {
        t += (i * 7919) % 1000;
        s.at(t + 500, i);
        if s.len() > 16 {
            black_box(s.pop_due(u64::MAX));
        }
    }
    while black_box(s.pop_due(u64::MAX)).is_some() {}
    let base_rate = events as f64 / started.elapsed().as_secs_f64();

    println!(
        "engine: {events} events in {:.3} s = {:.2} M events/s",
        engine_s,
        engine_rate / 1e6
    );
    println!("baseline scheduler loop: {:.2} M ops/s", base_rate / 1e6);
    println!(
        "engine / bare scheduler speed ratio: {:.3}",
        engine_rate / base_rate
    );

    // Wire size: 10 virtual seconds of events in one frame.
    let mut sim = Simulation::new(params, 7, Options::EVENTS);
    sim.advance_to(sim::time::from_secs(10.0));
    let evs = sim.events().to_vec();
    let frame = Frame::Tick(Tick {
        run: 1,
        now: sim.now(),
        head: sim.now(),
        speed: 1.0,
        playing: true,
        events: Cow::Borrowed(&evs),
        coalesced: 0,
        sampled: 1,
        metrics: None,
        achieved: 1.0,
    });
    let started = Instant::now();
    let bytes = frame.encode();
    let encode_s = started.elapsed().as_secs_f64();
    let json = serde_json::to_vec(&evs).expect("events serialise");
    println!(
        "wire: {} events, {:.2} bytes/event postcard vs {:.2} bytes/event JSON (ratio {:.3}); encode {:.1} M events/s",
        evs.len(),
        bytes.len() as f64 / evs.len() as f64,
        json.len() as f64 / evs.len() as f64,
        bytes.len() as f64 / json.len() as f64,
        evs.len() as f64 / encode_s / 1e6
    );
}
