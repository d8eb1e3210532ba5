//! The one door every event goes through.
//!
//! Patterns never touch metrics or output buffers directly: they call
//! [`Recorder::emit`], which updates the conservation [`Ledger`], the
//! [`Metrics`] and (when someone is watching) the outgoing event buffer in
//! one place. That is how "metrics are computed from every event" holds by
//! construction.

use crate::event::{Event, What};
use crate::ledger::Ledger;
use crate::metrics::Metrics;
use crate::time::Time;

pub struct Recorder {
    /// Events since the caller last drained them. Reused across ticks so the
    /// hot path does not allocate per message.
    events: Vec<Event>,
    /// Headless runs only count events; viewers need them all.
    keep_events: bool,
    metrics: Metrics,
    ledger: Ledger,
    /// Events ever emitted in this run.
    emitted: u64,
    /// Request ids offered and message ids sent so far (one past the
    /// largest; both grow with time): which keyframe a conversation's story
    /// can start from (`crate::timeline::Timeline::story`).
    made: Made,
    /// Every completed request, when asked for (a sweep's replication reads
    /// waits in order without buffering every event).
    completions: Option<Vec<Completion>>,
}

/// One completed request: when, its wait, and the wire messages sent in
/// the run up to then (so a sweep can count those after its warm-up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    pub at: Time,
    pub wait: Time,
    pub sent: u64,
}

/// Ids handed out so far in a run: one past the largest request offered
/// and message sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Made {
    pub requests: crate::event::ReqId,
    pub messages: crate::event::MsgId,
}

impl Recorder {
    /// `keep_events`: buffer events for a viewer. `series`: keep the per-second
    /// CSV rows.
    pub fn new(keep_events: bool, series: bool) -> Self {
        Recorder {
            events: Vec::with_capacity(if keep_events { 4096 } else { 0 }),
            keep_events,
            metrics: Metrics::new(series),
            ledger: Ledger::default(),
            emitted: 0,
            made: Made::default(),
            completions: None,
        }
    }

    /// Records one event.
    #[inline]
    pub fn emit(&mut self, at: Time, what: What) {
        let e = Event { at, what };
        self.ledger.apply(&e.what);
        self.metrics.apply(&e);
        self.emitted += 1;
        match e.what {
            What::Offered { req, .. } => self.made.requests = self.made.requests.max(req + 1),
            What::Sent { msg, .. } => self.made.messages = self.made.messages.max(msg + 1),
            What::Completed { wait, .. } => {
                if let Some(log) = &mut self.completions {
                    log.push(Completion {
                        at,
                        wait,
                        sent: self.metrics.totals().sent,
                    });
                }
            }
            _ => {}
        }
        if self.keep_events {
            self.events.push(e);
        }
    }

    /// Records that `msg` was discarded at `node` for `reason`.
    pub fn drop(
        &mut self,
        at: Time,
        msg: crate::event::MsgId,
        node: crate::topology::NodeId,
        reason: crate::event::DropReason,
    ) {
        self.emit(at, What::Dropped { msg, node, reason });
    }

    /// Events buffered since the last [`Recorder::clear_events`].
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn clear_events(&mut self) {
        self.events.clear();
    }

    pub fn set_keep_events(&mut self, keep: bool) {
        self.keep_events = keep;
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn metrics_mut(&mut self) -> &mut Metrics {
        &mut self.metrics
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    pub fn made(&self) -> Made {
        self.made
    }

    /// Keep every completion from now on ([`Recorder::completions`]).
    pub fn keep_completions(&mut self) {
        self.completions.get_or_insert_with(Vec::new);
    }

    /// The completions kept so far, in order.
    pub fn completions(&self) -> &[Completion] {
        self.completions.as_deref().unwrap_or_default()
    }

    /// A copy that carries on counting where this one is, without the
    /// events buffered for a viewer (a keyframe's recorder).
    pub fn fork(&self) -> Recorder {
        Recorder {
            events: Vec::new(),
            keep_events: self.keep_events,
            metrics: self.metrics.clone(),
            ledger: self.ledger,
            emitted: self.emitted,
            made: self.made,
            completions: None,
        }
    }
}
