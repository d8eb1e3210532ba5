//! Real traffic beside the model, measured: the fidelity case —
//! request-response with 4 workers at ρ = 0.8 (160 requests/s),
//! exponential service of 20 ms mean, 5 ms one-way latency, 60 s — run as
//! the model and for real over loopback on the same seed, beside the
//! closed form (Erlang C sojourn plus the two hops); server-sent events
//! with streams dropping and resuming (4 clients × 50 updates/s, a drop
//! per client every 10 s on average, 60 s): every update once, replays
//! beside the model's. Then every pattern at its defaults (10 s): those
//! that run for real side by side, the others say they are model-only so
//! far. Last, how many of a real run's messages the inspector can show
//! the bytes of (the tap keeps the first eight connections' first 32 KiB
//! each way), request-response at three loads.
//!
//! `cargo run --release -p server --example realbench` (part of
//! `make bench`); `REAL_SECS` shortens the fidelity run.

use server::real::{compare, compare_recorded, Limits, Report};

fn print(r: &Report) {
    if let Some(why) = &r.capped {
        println!("  capped: {why}");
    }
    println!(
        "  {:<24} {:>10} {:>10} {:>8}",
        "figure", "model", "real", "diff"
    );
    for row in &r.rows {
        let diff = row.diff_pct.map_or("—".into(), |d| format!("{d:+.1} %"));
        println!(
            "  {:<24} {:>10.2} {:>10.2} {:>8}",
            row.label, row.model, row.real, diff
        );
    }
    if let Some(t) = r.theory_mean_wait_ms {
        let real = r
            .rows
            .iter()
            .find(|x| x.id == "mean_wait_ms")
            .map_or(0.0, |x| x.real);
        println!(
            "  closed form mean wait {t:.2} ms; real ÷ closed form {:.3}",
            real / t
        );
    }
    let c = &r.calibration;
    println!(
        "  calibration: loopback floor p50/p99 {:.3}/{:.3} ms, timer lag {:.3}/{:.3} ms, scheduler lag {:.3}/{:.3} ms — {}",
        c.floor_p50_ms,
        c.floor_p99_ms,
        c.timer_lag_p50_ms,
        c.timer_lag_p99_ms,
        c.scheduler_lag_p50_ms,
        c.scheduler_lag_p99_ms,
        if c.noisy { "NOISY" } else { "steady" }
    );
}

fn main() {
    let secs: f64 = std::env::var("REAL_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60.0);
    let info = sim::find_pattern("request-response").expect("in the catalogue");
    let mut p = info.defaults();
    for (id, v) in [
        ("workers", 4.0),
        ("rate", 160.0),
        ("service_ms", 20.0),
        ("service_dist", 0.0),
        ("net_ms", 5.0),
        ("jitter_ms", 0.0),
        ("loss", 0.0),
        ("timeout_ms", 10_000.0),
        ("retries", 0.0),
        ("queue_cap", 10_000.0),
    ] {
        p.set(id, v).expect("in range");
    }
    println!("request-response, 4 workers, ρ = 0.8, exp 20 ms, 5 ms each way, {secs} s, seed 1:");
    match compare(p, 1, secs, Limits::default()) {
        Ok(r) => print(&r),
        Err(e) => println!("  refused: {e}"),
    }
    let mut p = sim::find_pattern("server-sent-events")
        .expect("in the catalogue")
        .defaults();
    for (id, v) in [
        ("update_rate", 50.0),
        ("clients", 4.0),
        ("drops_per_min", 6.0),
        ("reconnect_ms", 500.0),
        ("net_ms", 5.0),
        ("jitter_ms", 2.0),
        ("resume", 1.0),
    ] {
        p.set(id, v).expect("in range");
    }
    println!("\nserver-sent events, 4 clients × 50 updates/s, 6 drops/min each, resume, {secs} s, seed 1:");
    match compare(p, 1, secs, Limits::default()) {
        Ok(r) => {
            print(&r);
            let real = |id: &str| r.rows.iter().find(|x| x.id == id).map_or(0.0, |x| x.real);
            println!(
                "  every update once: {} (lost {}, repeated {})",
                if real("lost") == 0.0 && real("dropped_late") == 0.0 {
                    "yes"
                } else {
                    "NO"
                },
                real("lost"),
                real("dropped_late")
            );
        }
        Err(e) => println!("  refused: {e}"),
    }
    println!("\nevery pattern at its defaults (10 s):");
    for info in sim::catalogue() {
        println!("{}:", info.id);
        match compare(info.defaults(), 1, 10.0, Limits::default()) {
            Ok(r) => print(&r),
            Err(e) => println!("  {e}"),
        }
    }
    println!("\nmessages with their bytes in the inspector, request-response, 6 s, seed 1:");
    for rate in [10.0, 40.0, 120.0] {
        let mut p = info.defaults();
        p.set("rate", rate).expect("in range");
        let stop = std::sync::atomic::AtomicBool::new(false);
        match compare_recorded(p, 1, 6.0, Limits::default(), &stop) {
            Ok((_, rec)) => {
                let sent = rec
                    .events
                    .iter()
                    .filter(|e| matches!(e.what, sim::What::Sent { .. }))
                    .count();
                println!(
                    "  rate {rate:>5}/s: {} of {sent} messages ({:.2})",
                    rec.bytes.len(),
                    rec.bytes.len() as f64 / sent.max(1) as f64
                );
            }
            Err(e) => println!("  rate {rate}/s refused: {e}"),
        }
    }
}
