//! A run: one pattern engine, its recorder and its virtual clock.
//!
//! [`Simulation`] is what the server's sessions and the headless CLI drive.
//! It advances virtual time, applies parameter changes (live, or by
//! restarting the run when the topology changes), and summarises the run.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::budget;
use crate::catalogue::{build, PatternInfo};
use crate::dist::ServiceDist;
use crate::event::{DropReason, Event, FailReason};
use crate::ledger::Ledger;
use crate::metrics::{Metrics, SeriesRow, Snapshot, Waits};
use crate::params::{ParamError, ParamSet};
use crate::pattern::{Audit, Pattern};
use crate::recorder::Recorder;
use crate::theory;
use crate::time::{self, Time};
use crate::topology::Topology;

/// What a run keeps beyond its metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Buffer every event for a viewer (or a determinism test).
    pub keep_events: bool,
    /// Keep one CSV row per virtual second.
    pub series: bool,
}

impl Options {
    /// Every event buffered, no CSV series: what a viewer or a test reads.
    pub const EVENTS: Options = Options {
        keep_events: true,
        series: false,
    };
}

/// Where a run is: how many actions have run, and the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub steps: u64,
    pub now: Time,
}

/// How far a budgeted advance got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advance {
    /// Every action due by the target ran; the clock is at the target.
    Reached,
    /// The action budget ran out first; the clock is at the first action
    /// left, and the next advance continues from there.
    OutOfTime,
    /// The run holds more than [`budget::MAX_HELD`] items: it stops here.
    OverBudget,
    /// The run has run as many actions as it was allowed in all
    /// ([`Simulation::advance_capped`]); the clock is at the last action
    /// run.
    AtCap,
}

/// How a parameter change took effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The running simulation now uses the new value.
    Live,
    /// The topology changed: the run restarted from time 0, same seed.
    Restarted,
}

/// Bytes a keyframe spends per item the run holds (a scheduled action, a
/// waiting job): an estimate, for the keyframe budget.
const HELD_ITEM_BYTES: usize = 96;

pub struct Simulation {
    pattern: Box<dyn Pattern>,
    rec: Recorder,
    seed: u64,
    opts: Options,
    /// Virtual time the run has been advanced to.
    now: Time,
    /// Actions run since the start: with `now`, where the run is. A live
    /// change is recorded at this count, so a replay makes it exactly
    /// where it was made (`crate::timeline`).
    steps: u64,
}

impl Simulation {
    /// A started run of the pattern `params` belongs to.
    pub fn new(params: ParamSet, seed: u64, opts: Options) -> Self {
        let mut pattern = build(params, seed);
        let mut rec = Recorder::new(opts.keep_events, opts.series);
        pattern.start(&mut rec);
        Simulation {
            pattern,
            rec,
            seed,
            opts,
            now: 0,
            steps: 0,
        }
    }

    /// A copy of the whole run (model, scheduler, random streams, metrics,
    /// ledger) without the events buffered for a viewer: a keyframe.
    pub fn keyframe(&self) -> Simulation {
        Simulation {
            pattern: self.pattern.clone_box(),
            rec: self.rec.fork(),
            seed: self.seed,
            opts: self.opts,
            now: self.now,
            steps: self.steps,
        }
    }

    /// Roughly how many bytes a keyframe of this run takes: what a
    /// session's budget counts.
    pub fn footprint(&self) -> usize {
        std::mem::size_of::<Simulation>()
            + self.rec.metrics().footprint()
            + self.pattern.held() * HELD_ITEM_BYTES
    }

    /// Keep every completed request from now on (a sweep's replication).
    pub fn keep_completions(&mut self) {
        self.rec.keep_completions();
    }

    /// The completions kept, in order.
    pub fn completions(&self) -> &[crate::recorder::Completion] {
        self.rec.completions()
    }

    /// Request ids offered and message ids sent so far.
    pub fn made(&self) -> crate::recorder::Made {
        self.rec.made()
    }

    /// Actions run since the start.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Where the run is: actions run, and the clock.
    pub fn position(&self) -> Position {
        Position {
            steps: self.steps,
            now: self.now,
        }
    }

    /// Moves the clock forward to `t` without running anything (a replayed
    /// change is made at the clock it was made at). Never past the next
    /// action, never back.
    pub fn move_clock(&mut self, t: Time) {
        let t = self
            .pattern
            .next_time()
            .map_or(t, |n| t.min(n))
            .max(self.now);
        self.now = t;
        self.rec.metrics_mut().advance_to(t);
    }

    pub fn info(&self) -> &'static PatternInfo {
        self.pattern.info()
    }

    pub fn params(&self) -> &ParamSet {
        self.pattern.params()
    }

    pub fn topology(&self) -> &Topology {
        self.pattern.topology()
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn now(&self) -> Time {
        self.now
    }

    /// Runs every action due up to `t` and moves the clock there.
    pub fn advance_to(&mut self, t: Time) {
        if t < self.now {
            return;
        }
        while self.pattern.step(t, &mut self.rec) {
            self.steps += 1;
        }
        self.now = t;
        self.rec.metrics_mut().advance_to(t);
    }

    /// Runs the actions due up to `t`, but at most `max_actions` of them,
    /// and stops early when the run holds more than [`budget::MAX_HELD`]
    /// items. The clock moves to `t` when every due action ran, otherwise
    /// to the time of the first one left, so the run is exactly the same as
    /// with [`Simulation::advance_to`], only split differently.
    pub fn advance_budgeted(&mut self, t: Time, max_actions: usize) -> Advance {
        self.advance_capped(t, max_actions, u64::MAX)
    }

    /// Like [`Simulation::advance_budgeted`], and stops when `cap` actions
    /// have run since the start ([`Advance::AtCap`]), even with actions
    /// due by `t` left.
    pub fn advance_capped(&mut self, t: Time, max_actions: usize, cap: u64) -> Advance {
        if t < self.now {
            return Advance::Reached;
        }
        let mut ran = 0;
        loop {
            if self.pattern.held() > budget::MAX_HELD {
                self.stop_at_next(t);
                return Advance::OverBudget;
            }
            let room = cap.saturating_sub(self.steps).min(usize::MAX as u64) as usize;
            let chunk = budget::CHUNK.min(max_actions - ran).min(room);
            let mut n = 0;
            while n < chunk && self.pattern.step(t, &mut self.rec) {
                n += 1;
            }
            ran += n;
            self.steps += n as u64;
            if self.steps >= cap {
                // The clock stays at the last action run: a change recorded
                // at this position may have been made before the next.
                let at = self.pattern.clock().clamp(self.now, t.max(self.now));
                self.now = at;
                self.rec.metrics_mut().advance_to(at);
                return Advance::AtCap;
            }
            if n < chunk {
                self.now = t;
                self.rec.metrics_mut().advance_to(t);
                return Advance::Reached;
            }
            if ran >= max_actions {
                self.stop_at_next(t);
                return Advance::OutOfTime;
            }
        }
    }

    /// Moves the clock to the first action still due by `t` (or `t`).
    fn stop_at_next(&mut self, t: Time) {
        let at = self.pattern.next_time().unwrap_or(t).min(t).max(self.now);
        self.now = at;
        self.rec.metrics_mut().advance_to(at);
    }

    /// Time of the earliest pending action, if any.
    pub fn next_time(&self) -> Option<Time> {
        self.pattern.next_time()
    }

    /// Items the run holds now (see [`budget::MAX_HELD`]).
    pub fn held(&self) -> usize {
        self.pattern.held()
    }

    /// Whether the run holds more than its budget allows.
    pub fn over_budget(&self) -> bool {
        self.pattern.held() > budget::MAX_HELD
    }

    /// Runs just the next pending action (single-step) and moves the clock to
    /// it. Returns its time, or `None` if nothing is scheduled.
    pub fn step(&mut self) -> Option<Time> {
        let t = self.pattern.next_time()?.max(self.now);
        self.pattern.step(t, &mut self.rec);
        self.steps += 1;
        self.now = t;
        self.rec.metrics_mut().advance_to(t);
        Some(t)
    }

    /// Checks and applies a parameter change. On error nothing changes.
    pub fn set_param(&mut self, id: &str, value: f64) -> Result<Applied, ParamError> {
        let (_, spec) = self.params().spec(id)?;
        let value = spec.check(value)?;
        if spec.live {
            self.pattern.set_param(id, value, self.now, &mut self.rec)?;
            Ok(Applied::Live)
        } else {
            let mut next = self.params().clone();
            next.set(id, value)?;
            *self = Simulation::new(next, self.seed, self.opts);
            Ok(Applied::Restarted)
        }
    }

    /// Switches to another pattern from time 0 with the same seed, keeping
    /// the settings that still apply.
    pub fn switch_pattern(&mut self, info: &'static PatternInfo) {
        let mut next = info.defaults();
        next.adopt(self.params());
        *self = Simulation::new(next, self.seed, self.opts);
    }

    /// Starts the run again from time 0 with `seed` and the current parameters.
    pub fn reset(&mut self, seed: u64) {
        *self = Simulation::new(self.params().clone(), seed, self.opts);
    }

    /// Events since the last [`Simulation::clear_events`].
    pub fn events(&self) -> &[Event] {
        self.rec.events()
    }

    pub fn clear_events(&mut self) {
        self.rec.clear_events();
    }

    /// Whether events are buffered for a viewer. A replay to a moment
    /// (a seek) turns it off: nobody watches the events it passes, and
    /// buffering millions of them costs more than running them.
    pub fn keeps_events(&self) -> bool {
        self.opts.keep_events
    }

    pub fn set_keep_events(&mut self, keep: bool) {
        self.opts.keep_events = keep;
        self.rec.set_keep_events(keep);
    }

    pub fn snapshot(&mut self) -> Snapshot {
        self.rec.metrics_mut().snapshot()
    }

    pub fn metrics(&self) -> &Metrics {
        self.rec.metrics()
    }

    pub fn ledger(&self) -> &Ledger {
        self.rec.ledger()
    }

    pub fn audit(&self) -> Audit {
        self.pattern.audit()
    }

    /// Events emitted since the run started.
    pub fn events_emitted(&self) -> u64 {
        self.rec.emitted()
    }

    pub fn series(&self) -> &[SeriesRow] {
        self.rec.metrics().series()
    }

    /// The closed-form prediction for this run, where one applies.
    pub fn theory(&self) -> Option<Theory> {
        Theory::for_params(self.params())
    }

    /// The run at this moment as a viewer draws it from nothing: its dots,
    /// its nodes' counts and its figures.
    pub fn moment(&mut self, run: u32, head: Time, undone: Vec<Event>) -> crate::wire::Moment {
        let mut flights = Vec::new();
        self.pattern.flights(&mut flights);
        let total = flights.len() as u64;
        if flights.len() > crate::wire::MAX_FLIGHTS {
            // The soonest to arrive: what the next frames would move.
            flights.sort_unstable_by_key(|f| (f.arrive, f.msg));
            flights.truncate(crate::wire::MAX_FLIGHTS);
        }
        let nodes = self.rec.metrics().node_counts(self.topology().nodes.len());
        crate::wire::Moment {
            run,
            now: self.now,
            head,
            playing: false,
            speed: 1.0,
            flights,
            flights_total: total,
            nodes,
            metrics: self.snapshot(),
            undone,
        }
    }

    /// The headless run's report. `wall_ms` comes from the caller: `sim`
    /// never reads a clock.
    pub fn summary(&mut self, wall_ms: f64) -> Summary {
        let snapshot = self.snapshot();
        let m = self.rec.metrics();
        let t = m.totals();
        let l = self.rec.ledger();
        let duration_s = time::to_secs(self.now);
        let per_s = |n: u64| {
            if duration_s > 0.0 {
                n as f64 / duration_s
            } else {
                0.0
            }
        };
        let events = self.rec.emitted();
        Summary {
            pattern: self.info().id,
            seed: self.seed,
            params: self.params().to_json(),
            duration_s,
            offered: t.offered,
            offered_per_s: per_s(t.offered),
            completed: t.completed,
            failed: FailReason::ALL
                .iter()
                .zip(t.failed_by)
                .map(|(r, n)| (r.id(), n))
                .collect(),
            dropped: DropReason::ALL
                .iter()
                .zip(t.dropped)
                .map(|(r, n)| (r.id(), n))
                .collect(),
            timed_out: t.timed_out,
            retries: t.retries,
            wasted_work: t.wasted,
            pending: l.pending,
            throughput_per_s: per_s(t.completed),
            wait_ms: m.overall_waits(),
            wait_breakdown_ms: snapshot.overall_breakdown,
            wait_histogram: crate::metrics::HIST_EDGES_MS
                .iter()
                .map(|&e| Some(e))
                .chain(std::iter::once(None))
                .zip(m.overall_histogram())
                .map(|(le_ms, count)| HistogramBin { le_ms, count })
                .collect(),
            utilisation: m.utilisation(),
            wire_messages: t.sent,
            wire_per_s: per_s(t.sent),
            wire_per_delivery: if t.completed > 0 {
                t.sent as f64 / t.completed as f64
            } else {
                0.0
            },
            messages: *l,
            theory: self.theory(),
            figures: (self.info().figures)(&snapshot, self.params())
                .into_iter()
                .map(|f| (f.id, f.value))
                .collect(),
            events,
            wall_ms,
            events_per_s: if wall_ms > 0.0 {
                events as f64 / (wall_ms / 1000.0)
            } else {
                0.0
            },
        }
    }
}

/// A closed-form prediction of the mean wait and utilisation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Theory {
    /// `M/M/c` or `M/G/1`.
    pub model: &'static str,
    /// ρ = λ / (c·μ).
    pub utilisation: f64,
    /// Mean waiting time including the network hops, assuming no timeouts
    /// or full queue; `None` when ρ ≥ 1 (no steady state).
    pub mean_wait_ms: Option<f64>,
    /// Largest rate the service can sustain: c·μ per second.
    pub stable_below_per_s: f64,
    /// What that rate counts.
    pub rate_unit: &'static str,
}

impl Theory {
    /// M/M/c for exponential service, M/G/1 (Pollaczek–Khinchine) for one
    /// worker with any service distribution; `None` when neither applies.
    pub fn for_params(p: &ParamSet) -> Option<Theory> {
        use crate::patterns::{
            fire_and_forget, long_polling, request_response, server_sent_events, short_polling,
        };
        if p.pattern() == crate::patterns::websocket::ID {
            // Up to the server, handled, down to each other client.
            let s = p.get("service_ms") / 1000.0;
            let c = p.get("workers");
            return Some(Theory {
                model: "two hops + service",
                utilisation: p.get("rate") * s / c,
                mean_wait_ms: Some(
                    2.0 * (p.get("net_ms") + p.get("jitter_ms") / 2.0) + p.get("service_ms"),
                ),
                stable_below_per_s: c / s,
                rate_unit: "msgs/s",
            });
        }
        if p.pattern() == server_sent_events::ID {
            // Pushed the moment it exists: one hop (plus waiting behind the
            // previous event on the stream when jitter reorders).
            return Some(Theory {
                model: "one hop",
                utilisation: 0.0,
                mean_wait_ms: Some(p.get("net_ms") + p.get("jitter_ms") / 2.0),
                stable_below_per_s: f64::INFINITY,
                rate_unit: "events/s",
            });
        }
        if p.pattern() == long_polling::ID {
            // News answers a held poll at once: one hop back. Each client
            // cycles through min(Exp(u), hold) plus a round trip and service.
            let (u, hold_s) = (p.get("update_rate"), p.get("hold_ms") / 1000.0);
            let s = p.get("service_ms") / 1000.0;
            let round_trip = 2.0 * (p.get("net_ms") + p.get("jitter_ms") / 2.0) / 1000.0;
            let wait = if u > 0.0 {
                (1.0 - (-u * hold_s).exp()) / u
            } else {
                hold_s
            };
            let polls = p.get("clients") / (wait + round_trip + s);
            let c = p.get("workers");
            return Some(Theory {
                model: "one hop",
                utilisation: polls * s / c,
                mean_wait_ms: Some(p.get("net_ms") + p.get("jitter_ms") / 2.0),
                stable_below_per_s: c / s,
                rate_unit: "polls/s",
            });
        }
        if p.pattern() == short_polling::ID {
            // Staleness: half a poll interval, the poll's service, one hop
            // back. The server sees clients/poll polls a second.
            let poll_s = p.get("poll_ms") / 1000.0;
            let s = p.get("service_ms") / 1000.0;
            let c = p.get("workers");
            let polls = p.get("clients") / poll_s;
            return Some(Theory {
                model: "poll/2 + one hop",
                utilisation: polls * s / c,
                mean_wait_ms: Some(
                    p.get("poll_ms") / 2.0
                        + p.get("service_ms")
                        + p.get("net_ms")
                        + p.get("jitter_ms") / 2.0,
                ),
                stable_below_per_s: c / s,
                rate_unit: "polls/s",
            });
        }
        // Network hops on the way, and the rate that reaches the service
        // (losses thin a Poisson stream into a Poisson stream).
        let (hops, lambda) = match p.pattern() {
            request_response::ID => (2.0, p.get("rate")),
            fire_and_forget::ID => (1.0, p.get("rate") * (1.0 - p.get("loss"))),
            _ => return None,
        };
        // A slowed service: every job takes `slowdown` times as long.
        let slowdown = if p.spec("slowdown").is_ok() {
            p.get("slowdown")
        } else {
            1.0
        };
        let s = p.get("service_ms") / 1000.0 * slowdown;
        let c = p.get("workers") as u32;
        let dist = ServiceDist::from_index(p.get("service_dist") as usize);
        let net_s = hops * (p.get("net_ms") + p.get("jitter_ms") / 2.0) / 1000.0;
        let (model, w) = match dist {
            ServiceDist::Exp => ("M/M/c", theory::mmc_mean_sojourn(lambda, 1.0 / s, c)),
            _ if c == 1 => ("M/G/1", theory::mg1_mean_sojourn(lambda, s, dist.scv())),
            _ => return None,
        };
        Some(Theory {
            model,
            utilisation: lambda * s / c as f64,
            mean_wait_ms: w.map(|w| (w + net_s) * 1000.0),
            stable_below_per_s: c as f64 / s,
            rate_unit: "req/s",
        })
    }
}

/// One bin of the CLI's waiting-time histogram.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct HistogramBin {
    /// Upper edge in ms (exclusive); `null` for the last, open bin.
    pub le_ms: Option<f64>,
    pub count: u64,
}

/// The CLI's JSON report of a headless run.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub pattern: &'static str,
    pub seed: u64,
    pub params: serde_json::Value,
    /// Virtual seconds simulated.
    pub duration_s: f64,
    pub offered: u64,
    pub offered_per_s: f64,
    pub completed: u64,
    /// Failed requests by reason.
    pub failed: BTreeMap<&'static str, u64>,
    /// Dropped messages by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Attempts that gave up waiting (a retried request can time out more than once).
    pub timed_out: u64,
    pub retries: u64,
    /// Requests the service finished after nobody wanted them any more.
    pub wasted_work: u64,
    /// Requests still pending when the run stopped.
    pub pending: u64,
    /// Useful deliveries (completed requests) per virtual second.
    pub throughput_per_s: f64,
    pub wait_ms: Waits,
    /// Mean network, queue, service and other (timeouts, back-off) parts of
    /// the wait, where the pattern records them (`count` 0 otherwise).
    pub wait_breakdown_ms: crate::metrics::Breakdown,
    /// Waiting-time histogram: how many waits were shorter than each edge
    /// (and not shorter than the previous one); the last bin has no edge.
    pub wait_histogram: Vec<HistogramBin>,
    pub utilisation: f64,
    pub wire_messages: u64,
    pub wire_per_s: f64,
    pub wire_per_delivery: f64,
    /// The conservation ledger at the end of the run.
    pub messages: Ledger,
    pub theory: Option<Theory>,
    /// The pattern's own figures (see `PatternInfo::figures`).
    pub figures: BTreeMap<&'static str, f64>,
    /// Events the engine emitted.
    pub events: u64,
    /// Wall-clock time the run took, measured by the caller.
    pub wall_ms: f64,
    /// Engine speed: events per wall-clock second.
    pub events_per_s: f64,
}
