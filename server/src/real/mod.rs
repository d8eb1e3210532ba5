//! Real traffic beside the model: a pattern run over real sockets on this
//! machine's loopback, measured with the same figures as its model run on
//! the same recipe (`switchboard simulate --real`).
//!
//! The model runs first and hands the real run its events, from which the
//! pattern's real run reads its schedule (arrivals, updates, polls, pings,
//! drops and reconnects, from the same seed); the real parties then act at
//! those moments over real HTTP, event streams or WebSockets, through a
//! link layer that delays and drops by the engine's own `Link` law, to
//! real services that queue and work by the run's parameters. Every real
//! party reports in the engine's own events ([`log`]), and both runs are
//! measured by the same code ([`rows`]). Waits are measured from the
//! moment a message was meant to leave, on one monotonic clock, so a
//! stalled machine shows as a stall, never as a shorter wait.
//!
//! Bounded whatever the parameters say ([`Limits`]): loopback only
//! ([`loopback`]), at most 200 messages a second (a faster recipe is run
//! slower, model and real alike, and the report says so), 64 sockets, two
//! minutes, on a runtime of its own so the class's sessions never wait
//! for it. Every pattern of the catalogue is in `REAL` (a test says so);
//! one added without a real run is refused in words. The broker patterns
//! (`BROKERED`) run on a `nats-server` of the run's own ([`broker`]).

pub mod arrivals;
pub mod async_request_reply;
pub mod broker;
pub mod bytes;
pub mod clock;
pub mod event_choreography;
pub mod fire_and_forget;
pub mod hop;
pub mod http;
pub mod log;
pub mod long_polling;
pub mod loopback;
pub mod message_queue;
pub mod news;
pub mod poll;
pub mod publish_subscribe;
pub mod recording;
pub mod request_response;
pub mod rows;
pub mod scatter_gather;
pub mod server_sent_events;
pub mod short_polling;
pub mod station;
pub mod tap;
pub mod webhooks;
pub mod websocket;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sim::run::Options;
use sim::{Event, ParamSet, Simulation};
use tokio::time::Instant;

use clock::Calibration;
use log::Log;
pub use rows::Row;

/// What one real run may use, whatever its parameters ask.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Messages per second at the peak (spikes included): requests for
    /// request-response, events over all streams for server-sent events.
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

/// The patterns that run for real, and how each is bounded: the parameter
/// that sets its message rate and what multiplies it.
const REAL: [(&str, Load); 12] = [
    (
        sim::patterns::event_choreography::ID,
        Load::Times("rate", "stages"),
    ),
    (sim::patterns::message_queue::ID, Load::PerSecond("rate")),
    (
        sim::patterns::publish_subscribe::ID,
        Load::Times("rate", "subscribers"),
    ),
    (
        sim::patterns::async_request_reply::ID,
        Load::PerSecond("rate"),
    ),
    (sim::patterns::request_response::ID, Load::PerSecond("rate")),
    (sim::patterns::webhooks::ID, Load::PerSecond("rate")),
    (
        sim::patterns::scatter_gather::ID,
        Load::Times("rate", "fanout"),
    ),
    (sim::patterns::fire_and_forget::ID, Load::PerSecond("rate")),
    (
        sim::patterns::server_sent_events::ID,
        Load::PerClient("update_rate", 1.0),
    ),
    (sim::patterns::websocket::ID, Load::PerClient("rate", 1.0)),
    (sim::patterns::short_polling::ID, Load::Polls),
    (
        sim::patterns::long_polling::ID,
        Load::PerClient("update_rate", 2.0),
    ),
];

/// The patterns that run on a real `nats-server` of their own.
const BROKERED: [&str; 3] = [
    sim::patterns::event_choreography::ID,
    sim::patterns::publish_subscribe::ID,
    sim::patterns::message_queue::ID,
];

/// How a pattern's parameters set its message rate.
#[derive(Clone, Copy)]
enum Load {
    /// This parameter, times a spike when one is set.
    PerSecond(&'static str),
    /// This parameter, once per client (an update goes to every stream, a
    /// chat message to every other member), times the messages each costs
    /// (a long poll's answer and the poll after it: 2).
    PerClient(&'static str, f64),
    /// The first parameter times the second (a request's branches:
    /// `fanout`).
    Times(&'static str, &'static str),
    /// Updates once per client, and each client's polls and their answers
    /// (`poll_ms`).
    Polls,
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
    /// How many events of each kind the model and the real run emitted:
    /// one vocabulary, so a kind only one of them has stands out.
    pub events: Vec<rows::KindCount>,
    /// The closed form's mean wait (network included), where there is one.
    pub theory_mean_wait_ms: Option<f64>,
    pub calibration: Calibration,
    /// The run's first request and its response, byte for byte as they
    /// crossed the socket.
    pub exchange: Option<tap::Exchange>,
    /// How the real run differs from a real network, in words.
    pub note: &'static str,
    /// Where the server keeps the real run for a pane to play back
    /// (`/ws?real=<id>`), when it keeps it.
    pub recording: Option<String>,
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
    params: ParamSet,
    seed: u64,
    duration_s: f64,
    limits: Limits,
    stop: &AtomicBool,
) -> Result<Report, String> {
    compare_recorded(params, seed, duration_s, limits, stop).map(|(report, _)| report)
}

/// [`compare_until`], and the real run itself, for a pane to play back.
pub fn compare_recorded(
    mut params: ParamSet,
    seed: u64,
    duration_s: f64,
    limits: Limits,
    stop: &AtomicBool,
) -> Result<(Report, recording::Recording), String> {
    let pattern = params.pattern();
    let Some(&(_, load)) = REAL.iter().find(|(id, _)| *id == pattern) else {
        let real: Vec<&str> = REAL.iter().map(|(id, _)| *id).collect();
        return Err(format!(
            "{pattern} runs only as a model so far: real traffic is built for {}",
            real.join(", ")
        ));
    };
    if !(duration_s.is_finite() && duration_s >= 1.0 && duration_s <= limits.max_duration_s) {
        return Err(format!(
            "duration = {duration_s} is out of range for a real run: expected from 1 to {} seconds (it takes that long, for real)",
            limits.max_duration_s
        ));
    }
    let capped = cap_rate(&mut params, load, limits.max_rate)?;

    // The model's run: its figures and the schedule the real run replays.
    let mut model = Simulation::new(params.clone(), seed, Options::EVENTS);
    let end = sim::time::from_secs(duration_s);
    // A little past the horizon where a drop shows only as the reconnect
    // after it; the model's figures stop at the horizon all the same.
    let overrun = if params.spec("reconnect_ms").is_ok() {
        sim::time::from_ms(params.get("reconnect_ms")) + sim::time::SECOND
    } else {
        0
    };
    let mut events: Vec<Event> = Vec::new();
    let mut t = 0;
    while t < end + overrun {
        t = (t + sim::time::SECOND).min(end + overrun);
        model.advance_to(t);
        events.extend_from_slice(model.events());
        model.clear_events();
    }
    let summary = model.summary(0.0);
    let (mut model_rec, model_kinds) = log::to_recorder(&events, end);

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
    if stop.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(STOPPED.into());
    }
    // A pattern on a broker gets its own nats-server, started before the
    // run's clock so its start-up is no part of the run.
    let broker = if BROKERED.contains(&pattern) {
        Some(runtime.block_on(broker::Broker::start())?)
    } else {
        None
    };
    // A moment to set up listeners and clients before the first arrival.
    let log = Arc::new(Log::new(Instant::now() + Duration::from_millis(50)));
    let horizon = Duration::from_secs_f64(duration_s);
    let ran = runtime.block_on(async {
        match pattern {
            sim::patterns::request_response::ID => {
                request_response::run(&params, seed, &events, horizon, &limits, stop, &log).await
            }
            sim::patterns::long_polling::ID => {
                long_polling::run(&params, seed, &events, horizon, &limits, stop, &log).await
            }
            sim::patterns::short_polling::ID => {
                short_polling::run(&params, seed, &events, horizon, &limits, stop, &log).await
            }
            sim::patterns::websocket::ID => {
                websocket::run(&params, seed, &events, horizon, &limits, stop, &log).await
            }
            sim::patterns::fire_and_forget::ID => {
                fire_and_forget::run(&params, seed, &events, horizon, &limits, stop, &log).await
            }
            sim::patterns::scatter_gather::ID => {
                scatter_gather::run(&params, seed, &events, horizon, &limits, stop, &log).await
            }
            sim::patterns::async_request_reply::ID => {
                async_request_reply::run(&params, seed, &events, horizon, &limits, stop, &log).await
            }
            sim::patterns::publish_subscribe::ID => {
                let broker = broker.as_ref().expect("started above");
                let log = &log;
                publish_subscribe::run(&params, seed, &events, horizon, &limits, stop, log, broker)
                    .await
            }
            sim::patterns::message_queue::ID => {
                let broker = broker.as_ref().expect("started above");
                let log = &log;
                message_queue::run(&params, seed, &events, horizon, &limits, stop, log, broker)
                    .await
            }
            sim::patterns::event_choreography::ID => {
                let broker = broker.as_ref().expect("started above");
                let log = &log;
                event_choreography::run(&params, seed, &events, horizon, &limits, stop, log, broker)
                    .await
            }
            sim::patterns::webhooks::ID => {
                webhooks::run(&params, seed, &events, horizon, &limits, stop, &log).await
            }
            _ => {
                server_sent_events::run(&params, seed, &events, horizon, &limits, stop, &log).await
            }
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    ran?;
    if log.full() {
        return Err("the real run logged more events than its budget allows; try a lower rate or a shorter run".into());
    }
    let (mut real_rec, real_kinds, real_events) = log.finish(end);

    let mut calibration = Calibration::default();
    (calibration.floor_p50_ms, calibration.floor_p99_ms) = clock::p50_p99(&floor);
    (calibration.timer_lag_p50_ms, calibration.timer_lag_p99_ms) = clock::p50_p99(&timer);
    (
        calibration.scheduler_lag_p50_ms,
        calibration.scheduler_lag_p99_ms,
    ) = log.lag_p50_p99();
    calibration.judge();

    let info = sim::find_pattern(pattern).map_err(|e| e.to_string())?;
    let report = Report {
        pattern: summary.pattern,
        seed,
        duration_s,
        capped,
        rows: rows::compare(&mut model_rec, &mut real_rec, info, &params),
        events: rows::kinds(&model_kinds, &real_kinds),
        theory_mean_wait_ms: summary.theory.as_ref().and_then(|t| t.mean_wait_ms),
        calibration,
        exchange: tap::Capture::exchange(&log.capture),
        note: NOTE,
        recording: None,
    };
    // Only the bytes of messages the pane shows: a message sent after the
    // horizon may still have crossed a tapped socket before the run was
    // torn down.
    let shown: std::collections::HashSet<sim::event::MsgId> = real_events
        .iter()
        .filter_map(|e| sim::wire::Flight::of(e).map(|f| f.msg))
        .collect();
    let mut bytes = tap::Capture::by_message(&log.capture);
    bytes.retain(|msg, _| shown.contains(msg));
    let recorded = recording::Recording {
        params,
        seed,
        topology: model.topology().clone(),
        horizon: end,
        events: real_events,
        bytes,
    };
    Ok((report, recorded))
}

/// What a run stopped part-way says.
const STOPPED: &str = "the real run was stopped";

/// Lets `work` (a run's parties) go on until `horizon`, or until `stop`
/// is set: then the run is refused as stopped.
async fn until_horizon_or_stop(
    horizon: Instant,
    stop: &AtomicBool,
    work: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let stopped = async {
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        _ = tokio::time::timeout_at(horizon, work) => {}
        _ = stopped => {}
    }
    // Stopped, even if the work had nothing left to do by then.
    if stop.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(STOPPED.into());
    }
    Ok(())
}

/// Lowers the pattern's rate so its peak message rate (a spike and every
/// client's stream included) stays within `max_rate`; says so when it did.
fn cap_rate(params: &mut ParamSet, load: Load, max_rate: f64) -> Result<Option<String>, String> {
    let (id, per) = match load {
        Load::PerSecond(id) => (id, 1.0),
        Load::PerClient(id, each) => (id, params.get("clients").max(1.0) * each),
        Load::Times(id, by) => (id, params.get(by).max(1.0)),
        Load::Polls => {
            let updates = cap_rate(params, Load::PerClient("update_rate", 1.0), max_rate)?;
            let polls = cap_polls(params, max_rate)?;
            return Ok(match (updates, polls) {
                (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                (a, b) => a.or(b),
            });
        }
    };
    let rate = params.get(id);
    let spiking = params.spec("spike_s").is_ok() && params.get("spike_s") > 0.0;
    let factor = per
        * if spiking {
            params.get("spike_x").max(1.0)
        } else {
            1.0
        };
    if rate * factor <= max_rate {
        return Ok(None);
    }
    // Whole messages per second where that is possible, else hundredths.
    let exact = max_rate / factor;
    let capped = if exact >= 1.0 {
        exact.floor()
    } else {
        ((exact * 100.0).floor() / 100.0).max(0.01)
    };
    params.set(id, capped).map_err(|e| e.to_string())?;
    let why = match (spiking, per > 1.0) {
        (true, _) => format!(" × spike {}", params.get("spike_x").max(1.0)),
        (false, true) => format!(" × {} clients", params.get("clients")),
        _ => String::new(),
    };
    Ok(Some(format!(
        "{id} {rate}/s{why} is past a real run's {max_rate} messages/s: model and real both ran at {capped}/s"
    )))
}

/// Lengthens `poll_ms` so every client's polls and their answers stay
/// within `max_rate` messages a second; says so when it did.
fn cap_polls(params: &mut ParamSet, max_rate: f64) -> Result<Option<String>, String> {
    let (clients, poll_ms) = (params.get("clients").max(1.0), params.get("poll_ms"));
    let per_s = 2.0 * clients * 1000.0 / poll_ms;
    if per_s <= max_rate {
        return Ok(None);
    }
    let capped = (2.0 * clients * 1000.0 / max_rate).ceil();
    params.set("poll_ms", capped).map_err(|e| e.to_string())?;
    Ok(Some(format!(
        "{clients} clients polling every {poll_ms} ms is {per_s:.0} messages/s with the answers, past a real run's {max_rate}: model and real both polled every {capped} ms"
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
        let why = cap_rate(&mut p, Load::PerSecond("rate"), 200.0)
            .unwrap()
            .unwrap();
        assert_eq!(p.get("rate"), 200.0);
        assert!(why.contains("both ran at 200/s"), "{why}");
        let mut p = rr();
        p.set("rate", 100.0).unwrap();
        p.set("spike_s", 5.0).unwrap();
        p.set("spike_x", 4.0).unwrap();
        assert!(cap_rate(&mut p, Load::PerSecond("rate"), 200.0)
            .unwrap()
            .is_some());
        assert_eq!(p.get("rate"), 50.0);
    }

    /// A scatter-gather request costs a branch per backend: the cap counts
    /// branches, not requests.
    #[test]
    fn a_fan_out_counts_every_branch() {
        let mut p = sim::find_pattern("scatter-gather").unwrap().defaults();
        p.set("rate", 100.0).unwrap();
        p.set("fanout", 8.0).unwrap();
        let why = cap_rate(&mut p, Load::Times("rate", "fanout"), 200.0).unwrap();
        assert!(why.is_some());
        assert_eq!(p.get("rate"), 25.0);
    }

    #[test]
    fn refuses_what_it_cannot_run() {
        let err = compare(rr(), 1, 600.0, Limits::default()).unwrap_err();
        assert!(err.contains("out of range for a real run"), "{err}");
    }

    /// Every pattern of the catalogue has a real run and a bound on its
    /// rate that names parameters it has.
    #[test]
    fn every_pattern_runs_for_real() {
        for info in sim::catalogue() {
            let Some(&(_, load)) = REAL.iter().find(|(id, _)| *id == info.id) else {
                panic!("{} has no real run", info.id);
            };
            let mut p = info.defaults();
            assert!(cap_rate(&mut p, load, 200.0).is_ok(), "{}", info.id);
        }
    }
}
