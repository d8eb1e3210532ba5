//! The run in words: what a screen reader walks beside each stage (each
//! actor with its state, [`actors`]), what the page says aloud while a run
//! plays ([`changes`] and the budgeted [`announcer`]), what each chart's
//! takeaway line and table say ([`takeaway`]), and what a parameter's
//! change does ([`respond`]).
//!
//! Pure: it reads plain data — a [`Reading`] of one pane at one instant
//! (node states as drawn, the server's metrics snapshot) and the run's
//! [`Context`] (pattern, topology, parameters) — and returns text. The
//! browser builds readings from its playback buffer; the server builds the
//! same readings from a replayed run for the transcript export, so what a
//! screen reader hears is tested natively, for every pattern, and in the
//! browser against a recorded file. It never touches the DOM.

pub mod actors;
pub mod announcer;
pub mod changes;
pub mod respond;
pub mod takeaway;
pub mod transcript;
pub mod words;

use sim::metrics::Snapshot;
use sim::time::Time;
use sim::topology::Topology;
use sim::{ParamSet, PatternInfo};

use crate::stage::playback::{NodeState, Playback};

/// One pane at one instant, as the describer reads it: owned and small, so
/// a few seconds of them can be kept to tell trends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    /// Virtual time the node states are of (the display clock).
    pub at: Time,
    /// The newest metrics snapshot (exact: computed from every event).
    pub metrics: Snapshot,
    /// Each node's queue, busy workers, workers and open connections, as
    /// drawn.
    pub nodes: Vec<NodeState>,
}

impl Reading {
    /// What `playback` shows now, with the newest snapshot `metrics`.
    pub fn of(playback: &Playback, metrics: &Snapshot) -> Reading {
        Reading {
            at: playback.display,
            metrics: *metrics,
            nodes: playback.nodes.clone(),
        }
    }

    /// Virtual seconds between `before` and this reading (never zero).
    pub fn secs_since(&self, before: &Reading) -> f64 {
        (sim::time::to_secs(self.at.saturating_sub(before.at))).max(1e-3)
    }
}

/// What a screen reader walks beside a pane's stage: the run in one
/// sentence and each actor's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Words {
    pub overview: String,
    pub actors: Vec<actors::Actor>,
}

/// What each of a pane's four charts says: its takeaway line and, while
/// it is shown, its table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartWords {
    pub takeaways: [String; 4],
    pub tables: [Option<takeaway::Table>; 4],
}

/// What stays the same through a run: which pane, its pattern, its nodes
/// and its parameters.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The pane's name ("A"); said before its news when panes are compared.
    pub pane: &'a str,
    /// Panes on the page: with more than one, each sentence names its pane.
    pub panes: usize,
    pub info: &'static PatternInfo,
    pub topology: &'a Topology,
    pub params: &'a ParamSet,
}

impl<'a> Context<'a> {
    /// A page of one pane (pane A): a transcript, a test.
    pub fn alone(info: &'static PatternInfo, topology: &'a Topology, params: &'a ParamSet) -> Self {
        Context {
            pane: "A",
            panes: 1,
            info,
            topology,
            params,
        }
    }

    /// The pattern's "one thing wanted", singular and plural.
    pub fn wants(&self) -> [&'static str; 2] {
        self.info.lesson.wants
    }

    /// A parameter's value, if the pattern has it.
    pub fn param(&self, id: &str) -> Option<f64> {
        self.params.spec(id).ok().map(|_| self.params.get(id))
    }

    /// "Pane A, Request–response" with several panes; the pattern alone
    /// with one.
    pub fn title(&self) -> String {
        if self.panes > 1 {
            format!("Pane {}, {}", self.pane, self.info.lesson.name)
        } else {
            self.info.lesson.name.to_string()
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
