//! What a real run saw, in the engine's own vocabulary: every real party
//! (client task, service handler, stream writer) reports each step as a
//! `sim::Event` stamped on the run's one monotonic clock, so the real run
//! is measured by the very code that measures the model (`sim::Recorder`:
//! the conservation ledger and the metrics) and nothing is counted twice
//! by hand.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use sim::event::{MsgId, ReqId};
use sim::topology::NodeId;
use sim::trip::Trip;
use sim::{Event, Recorder, What};
use tokio::time::Instant;

use super::{clock, tap};

/// Most events one real run keeps: at the rate cap (200 messages/s) for
/// two minutes a pattern emits ~10 events a message, 240,000 in all; this
/// is 2× that (≈ 23 MiB), and a run past it says so instead of growing.
pub const MAX_EVENTS: usize = 480_000;

/// The run's events and calibration, shared by its tasks.
pub struct Log {
    /// The run's zero: event times are nanoseconds since.
    t0: Instant,
    events: Mutex<Vec<Event>>,
    /// Message ids, handed out in sending order as the engine does.
    next_msg: AtomicU64,
    /// Set when [`MAX_EVENTS`] was reached: later events are not kept.
    full: AtomicBool,
    /// How late each scheduled step (an arrival, a produced update) ran
    /// against its schedule: the scheduler lag on the calibration badge.
    lag: Mutex<Histogram<u64>>,
    /// The first connection's bytes.
    pub capture: Arc<Mutex<tap::Capture>>,
}

impl Log {
    pub fn new(t0: Instant) -> Log {
        Log {
            t0,
            events: Mutex::new(Vec::with_capacity(16_384)),
            next_msg: AtomicU64::new(0),
            full: AtomicBool::new(false),
            lag: Mutex::new(clock::histogram()),
            capture: Arc::default(),
        }
    }

    /// The run's zero.
    pub fn t0(&self) -> Instant {
        self.t0
    }

    /// `when` as run time (0 before the start).
    pub fn time(&self, when: Instant) -> sim::Time {
        when.saturating_duration_since(self.t0).as_nanos() as sim::Time
    }

    /// Run time `t` as an instant.
    pub fn instant(&self, t: sim::Time) -> Instant {
        self.t0 + Duration::from_nanos(t)
    }

    /// A new message id.
    pub fn msg(&self) -> MsgId {
        self.next_msg.fetch_add(1, Ordering::Relaxed)
    }

    /// Records `what` as happening now.
    pub fn emit(&self, what: What) {
        self.emit_at(Instant::now(), what);
    }

    /// Records `what` as happening at `when`.
    pub fn emit_at(&self, when: Instant, what: What) {
        let at = self.time(when);
        let mut events = self.events.lock().expect("never poisoned");
        if events.len() >= MAX_EVENTS {
            self.full.store(true, Ordering::Relaxed);
            return;
        }
        events.push(Event { at, what });
    }

    /// Request `req`, wanted since `since`, is done at `node` now (`at`):
    /// its wait, split into network, queue and service by the `trip` its
    /// last leg made, as the model's `complete` reports it.
    pub fn complete(&self, at: Instant, req: ReqId, node: NodeId, since: sim::Time, trip: Trip) {
        let parts = trip.split(since, self.time(at));
        self.complete_with(at, req, node, since, parts);
    }

    /// Like [`Log::complete`], with the wait's split worked out already.
    pub fn complete_with(
        &self,
        at: Instant,
        req: ReqId,
        node: NodeId,
        since: sim::Time,
        [network, queue, service]: [sim::Time; 3],
    ) {
        let t = self.time(at);
        self.emit_at(
            at,
            What::Breakdown {
                req,
                network,
                queue,
                service,
            },
        );
        self.emit_at(
            at,
            What::Completed {
                req,
                node,
                wait: t.saturating_sub(since),
            },
        );
    }

    /// A broker frame holding `token` (a reply subject, a payload) is
    /// message `msg`'s: how the inspector finds a NATS message's bytes.
    pub fn name(&self, token: &str, msg: MsgId) {
        tap::Capture::name(&self.capture, token, msg);
    }

    /// A scheduled step ran `late` after its moment.
    pub fn late(&self, late: Duration) {
        clock::record(&mut self.lag.lock().expect("never poisoned"), late);
    }

    /// The scheduler lag's p50 and p99, ms.
    pub fn lag_p50_p99(&self) -> (f64, f64) {
        clock::p50_p99(&self.lag.lock().expect("never poisoned"))
    }

    /// Whether events were left out because the log was full.
    pub fn full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// The run measured: every event up to `horizon`, in time order (tasks
    /// report concurrently), through a recorder like the model's; and the
    /// events themselves, what a real pane plays back.
    pub fn finish(&self, horizon: sim::Time) -> (Recorder, Kinds, Vec<Event>) {
        let mut events = std::mem::take(&mut *self.events.lock().expect("never poisoned"));
        // Stable: a task's own events keep their order at one instant.
        events.sort_by_key(|e| e.at);
        let (rec, kinds) = to_recorder(&events, horizon);
        events.truncate(events.partition_point(|e| e.at <= horizon));
        (rec, kinds, events)
    }
}

/// How many events of each kind (`What::name`) a run emitted.
pub type Kinds = BTreeMap<&'static str, u64>;

/// `events` (in time order) up to `horizon` through a fresh recorder whose
/// clock then stands at `horizon`, and their count by kind.
pub fn to_recorder(events: &[Event], horizon: sim::Time) -> (Recorder, Kinds) {
    let mut rec = Recorder::new(false, false);
    let mut kinds = Kinds::new();
    for e in events.iter().take_while(|e| e.at <= horizon) {
        rec.emit(e.at, e.what);
        *kinds.entry(e.what.name()).or_default() += 1;
    }
    rec.metrics_mut().advance_to(horizon);
    (rec, kinds)
}
