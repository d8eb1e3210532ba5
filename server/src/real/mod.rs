//! Real traffic beside the model: a pattern run over real sockets on this
//! machine's loopback, measured with the same figures as its model run on
//! the same recipe (`switchboard simulate --real`).
//!
//! The model runs first and hands the real run its arrival schedule (the
//! same open-loop Poisson arrivals, from the same seed); the real run then
//! sends each request at its moment over real HTTP, through a link layer
//! that delays and drops by the engine's own `Link` law, to a real service
//! that queues and works by the run's parameters. Waits are measured from
//! the moment a request was meant to leave, on one monotonic clock, so a
//! stalled machine shows as a stall, never as a shorter wait.
//!
//! Bounded whatever the parameters say ([`Limits`]): loopback only
//! ([`loopback`]), at most 200 requests a second (a faster recipe is run
//! slower, model and real alike, and the report says so), 64 sockets, two
//! minutes, on a runtime of its own so the class's sessions never wait
//! for it. So far `request-response` runs for real; other patterns are
//! refused in words.

pub mod clock;
pub mod loopback;
pub mod request_response;
pub mod tap;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;
use sim::run::Options;
use sim::{ParamSet, Simulation, What};

use clock::Calibration;

/// What one real run may use, whatever its parameters ask.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Offered requests per second at the peak (spikes included).
    pub max_rate: f64,
    /// Open sockets between the clients and the service.
    pub sockets: usize,
    /// Longest run, seconds.
    pub max_duration_s: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rate: 200.0,
            sockets: 64,
            max_duration_s: 120.0,
        }
    }
}

/// One request of the schedule: when (from the run's start), who, which.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    pub at: sim::Time,
    pub client: u16,
    pub req: u64,
    /// Its service time: the model's own draw for it.
    pub service: sim::Time,
}

/// What the real run counted, shared by its tasks.
#[derive(Default)]
pub struct Tally {
    pub completed: AtomicU64,
    pub failed_timeout: AtomicU64,
    pub failed_rejected: AtomicU64,
    pub timed_out: AtomicU64,
    pub retries: AtomicU64,
    /// The first connection's bytes.
    pub capture: Arc<Mutex<tap::Capture>>,
    waits: Mutex<Hists>,
}

struct Hists {
    wait: Histogram<u64>,
    queue: Histogram<u64>,
    /// How late each arrival left against its schedule.
    lag: Histogram<u64>,
    wait_sum: Duration,
    queue_sum: Duration,
}

impl Default for Hists {
    fn default() -> Self {
        Hists {
            wait: clock::histogram(),
            queue: clock::histogram(),
            lag: clock::histogram(),
            wait_sum: Duration::ZERO,
            queue_sum: Duration::ZERO,
        }
    }
}

impl Tally {
    fn complete(&self, wait: Duration, queue: Duration) {
        self.completed.fetch_add(1, Ordering::Relaxed);
        let mut h = self.waits.lock().expect("never poisoned");
        clock::record(&mut h.wait, wait);
        clock::record(&mut h.queue, queue);
        h.wait_sum += wait;
        h.queue_sum += queue;
    }

    fn scheduled(&self, lag: Duration) {
        clock::record(&mut self.waits.lock().expect("never poisoned").lag, lag);
    }
}

/// One headline figure, model beside real.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub id: &'static str,
    pub label: &'static str,
    pub model: f64,
    pub real: f64,
    /// (real − model) / model, in percent; `None` when the model's is 0.
    pub diff_pct: Option<f64>,
}

/// Model and real, side by side.
#[derive(Debug, Serialize)]
pub struct Report {
    pub pattern: &'static str,
    pub seed: u64,
    pub duration_s: f64,
    /// Why the run is not the recipe asked for, if it is not.
    pub capped: Option<String>,
    pub rows: Vec<Row>,
    /// The closed form's mean wait (network included), where there is one.
    pub theory_mean_wait_ms: Option<f64>,
    pub calibration: Calibration,
    /// The run's first request and its response, byte for byte as they
    /// crossed the socket.
    pub exchange: Option<tap::Exchange>,
    /// How the real run differs from a real network, in words.
    pub note: &'static str,
}

const NOTE: &str = "Loss is an application-level drop, as in the model: a lost message is never sent (or is read and thrown away). Real TCP would resend it after a retransmission timeout (at least 200 ms on Linux) and the application would see only the delay.";

/// Runs `params` as a model and for real on the same seed; the report or
/// a refusal in words.
pub fn compare(
    params: ParamSet,
    seed: u64,
    duration_s: f64,
    limits: Limits,
) -> Result<Report, String> {
    compare_until(params, seed, duration_s, limits, &AtomicBool::new(false))
}

/// [`compare`], stopped (sockets closed, tasks dropped) as soon as `stop`
/// is set: the page went away or the server is stopping.
pub fn compare_until(
    mut params: ParamSet,
    seed: u64,
    duration_s: f64,
    limits: Limits,
    stop: &AtomicBool,
) -> Result<Report, String> {
    let pattern = params.pattern();
    if pattern != sim::patterns::request_response::ID {
        return Err(format!(
            "{pattern} runs only as a model so far: real traffic is built for request-response"
        ));
    }
    if !(duration_s.is_finite() && duration_s >= 1.0 && duration_s <= limits.max_duration_s) {
        return Err(format!(
            "duration = {duration_s} is out of range for a real run: expected from 1 to {} seconds (it takes that long, for real)",
            limits.max_duration_s
        ));
    }
    let capped = cap_rate(&mut params, limits.max_rate)?;

    // The model's run: its figures and the schedule the real run replays.
    let mut model = Simulation::new(params.clone(), seed, Options::EVENTS);
    let end = sim::time::from_secs(duration_s);
    let mut arrivals = Vec::new();
    let mut t = 0;
    while t < end {
        t = (t + sim::time::SECOND).min(end);
        model.advance_to(t);
        for e in model.events() {
            if let What::Offered { req, node } = e.what {
                arrivals.push(Arrival {
                    at: e.at,
                    client: node,
                    req,
                    service: 0,
                });
            }
        }
        model.clear_events();
    }
    let summary = model.summary(0.0);
    request_response::draw_services(&params, seed, &mut arrivals);

    let tally = Arc::new(Tally::default());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("real-run")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the real run's runtime: {e}"))?;
    let (floor, timer) = runtime.block_on(async {
        (
            request_response::floor(200).await,
            clock::timer_lag(200).await,
        )
    });
    runtime.block_on(request_response::run(
        &params,
        seed,
        arrivals,
        Duration::from_secs_f64(duration_s),
        &limits,
        stop,
        tally.clone(),
    ))?;
    runtime.shutdown_timeout(Duration::from_secs(2));

    let h = tally.waits.lock().expect("never poisoned");
    let mut calibration = Calibration::default();
    (calibration.floor_p50_ms, calibration.floor_p99_ms) = clock::p50_p99(&floor);
    (calibration.timer_lag_p50_ms, calibration.timer_lag_p99_ms) = clock::p50_p99(&timer);
    (
        calibration.scheduler_lag_p50_ms,
        calibration.scheduler_lag_p99_ms,
    ) = clock::p50_p99(&h.lag);
    calibration.judge();

    let n = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
    let completed = n(&tally.completed);
    let ms = |us: u64| us as f64 / 1000.0;
    let mean = |sum: Duration| {
        if completed > 0.0 {
            sum.as_secs_f64() * 1000.0 / completed
        } else {
            0.0
        }
    };
    let q = |h: &Histogram<u64>, p: f64| {
        if h.is_empty() {
            0.0
        } else {
            ms(h.value_at_quantile(p))
        }
    };
    let failed = |id: &str| summary.failed.get(id).copied().unwrap_or(0) as f64;
    let real_pending =
        h.lag.len() as f64 - completed - n(&tally.failed_timeout) - n(&tally.failed_rejected);
    let rows = vec![
        row(
            "offered",
            "offered",
            summary.offered as f64,
            h.lag.len() as f64,
        ),
        row(
            "completed",
            "completed",
            summary.completed as f64,
            completed,
        ),
        row(
            "failed_timeout",
            "failed: timeout",
            failed("timeout"),
            n(&tally.failed_timeout),
        ),
        row(
            "failed_rejected",
            "failed: 503",
            failed("rejected"),
            n(&tally.failed_rejected),
        ),
        row(
            "pending",
            "pending at the end",
            summary.pending as f64,
            real_pending,
        ),
        row(
            "timed_out",
            "timed-out attempts",
            summary.timed_out as f64,
            n(&tally.timed_out),
        ),
        row(
            "retries",
            "retries",
            summary.retries as f64,
            n(&tally.retries),
        ),
        row(
            "mean_wait_ms",
            "mean wait (ms)",
            summary.wait_ms.mean,
            mean(h.wait_sum),
        ),
        row(
            "p50_ms",
            "p50 wait (ms)",
            summary.wait_ms.p50,
            q(&h.wait, 0.5),
        ),
        row(
            "p95_ms",
            "p95 wait (ms)",
            summary.wait_ms.p95,
            q(&h.wait, 0.95),
        ),
        row(
            "p99_ms",
            "p99 wait (ms)",
            summary.wait_ms.p99,
            q(&h.wait, 0.99),
        ),
        row(
            "mean_queue_ms",
            "mean time queued (ms)",
            summary.wait_breakdown_ms.queue,
            mean(h.queue_sum),
        ),
    ];
    Ok(Report {
        pattern: summary.pattern,
        seed,
        duration_s,
        capped,
        rows,
        theory_mean_wait_ms: summary.theory.as_ref().and_then(|t| t.mean_wait_ms),
        calibration,
        exchange: tap::Capture::exchange(&tally.capture),
        note: NOTE,
    })
}

fn row(id: &'static str, label: &'static str, model: f64, real: f64) -> Row {
    let diff_pct = (model != 0.0).then(|| (real - model) / model * 100.0);
    Row {
        id,
        label,
        model,
        real,
        diff_pct,
    }
}

/// Lowers `rate` so the peak offered rate (a spike included) stays within
/// `max_rate`; says so when it did.
fn cap_rate(params: &mut ParamSet, max_rate: f64) -> Result<Option<String>, String> {
    let rate = params.get("rate");
    let spiking = params.spec("spike_s").is_ok() && params.get("spike_s") > 0.0;
    let factor = if spiking {
        params.get("spike_x").max(1.0)
    } else {
        1.0
    };
    if rate * factor <= max_rate {
        return Ok(None);
    }
    let capped = (max_rate / factor).floor().max(1.0);
    params.set("rate", capped).map_err(|e| e.to_string())?;
    Ok(Some(format!(
        "rate {rate}/s{} is past a real run's {max_rate} requests/s: model and real both ran at {capped}/s",
        if spiking { format!(" × spike {factor}") } else { String::new() }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rr() -> ParamSet {
        sim::find_pattern("request-response").unwrap().defaults()
    }

    #[test]
    fn a_fast_recipe_is_capped_in_words() {
        let mut p = rr();
        p.set("rate", 5000.0).unwrap();
        let why = cap_rate(&mut p, 200.0).unwrap().unwrap();
        assert_eq!(p.get("rate"), 200.0);
        assert!(why.contains("both ran at 200/s"), "{why}");
        let mut p = rr();
        p.set("rate", 100.0).unwrap();
        p.set("spike_s", 5.0).unwrap();
        p.set("spike_x", 4.0).unwrap();
        assert!(cap_rate(&mut p, 200.0).unwrap().is_some());
        assert_eq!(p.get("rate"), 50.0);
    }

    #[test]
    fn refuses_what_it_cannot_run() {
        let ws = sim::find_pattern("websocket").unwrap().defaults();
        let err = compare(ws, 1, 5.0, Limits::default()).unwrap_err();
        assert!(err.contains("runs only as a model so far"), "{err}");
        let err = compare(rr(), 1, 600.0, Limits::default()).unwrap_err();
        assert!(err.contains("out of range for a real run"), "{err}");
    }
}
