//! The contract every communication pattern implements.
//!
//! A pattern owns its topology, its scheduler of future actions and whatever
//! state its nodes keep (queues, pending requests, subscriptions). It reports
//! every step through the [`Recorder`]. [`crate::run::Simulation`] drives it.

use crate::info::PatternInfo;
use crate::params::{ParamError, ParamSet};
use crate::recorder::Recorder;
use crate::time::Time;
use crate::topology::Topology;

/// Where the engine's own structures say messages and requests are. Compared
/// with the event-derived [`crate::ledger::Ledger`] by the conservation tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Audit {
    pub in_flight: u64,
    pub queued: u64,
    pub in_service: u64,
    pub pending: u64,
}

pub trait Pattern: Send {
    fn info(&self) -> &'static PatternInfo;

    fn params(&self) -> &ParamSet;

    fn topology(&self) -> &Topology;

    /// Emits the run's opening events and schedules the first actions.
    fn start(&mut self, rec: &mut Recorder);

    /// Time of the earliest pending action, if any.
    fn next_time(&self) -> Option<Time>;

    /// Time of the last action run (0 before the first).
    fn clock(&self) -> Time;

    /// Runs the earliest pending action if it is due by `until`; returns
    /// whether one ran.
    fn step(&mut self, until: Time, rec: &mut Recorder) -> bool;

    /// Applies a checked change of a live parameter at virtual time `now`.
    fn set_param(
        &mut self,
        id: &str,
        value: f64,
        now: Time,
        rec: &mut Recorder,
    ) -> Result<(), ParamError>;

    /// Counts taken from the engine's structures, not from events.
    fn audit(&self) -> Audit;

    /// Items the engine holds now: scheduled actions, waiting jobs, pending
    /// records. Cheap (lengths only), so a session checks it often against
    /// [`crate::budget::MAX_HELD`].
    fn held(&self) -> usize;

    /// Every message on its link now, in no particular order: the dots of
    /// a moment the viewer did not watch arrive (a seek).
    fn flights(&self, out: &mut Vec<crate::wire::Flight>);

    /// A copy of the whole run: a keyframe (`crate::timeline`).
    fn clone_box(&self) -> Box<dyn Pattern>;
}

/// Makes a fresh, unstarted run of a pattern (its model on the engine).
/// Not a field of [`PatternInfo`]: the browser reads the catalogue but never
/// runs a pattern, and a pointer to every engine in the data it reads
/// would link all twelve into its bundle.
pub type Builder = fn(&'static PatternInfo, ParamSet, u64) -> Box<dyn Pattern>;
