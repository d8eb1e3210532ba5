//! How a pattern describes itself to the class: its catalogue entry
//! ([`PatternInfo`]) and its own figures. Below both the catalogue and the
//! patterns, so a pattern file never imports the list it is part of.

use serde::Serialize;

use crate::lessons::Lesson;
use crate::metrics::Snapshot;
use crate::params::{ParamSet, ParamSpec};

/// A pattern as the class meets it.
#[derive(Debug, Serialize)]
pub struct PatternInfo {
    /// Stable id used by the UI, the CLI and the wire protocol.
    pub id: &'static str,
    /// What the class reads about it (its lesson file), flattened so
    /// `/api/patterns` serves its fields beside the id.
    #[serde(flatten)]
    pub lesson: &'static Lesson,
    pub params: &'static [ParamSpec],
    /// The pattern's own figures, computed from a metrics snapshot and the
    /// run's parameters.
    #[serde(skip)]
    pub figures: fn(&Snapshot, &ParamSet) -> Vec<Figure>,
}

/// One pattern-specific figure (empty-poll share, silent losses…).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Figure {
    /// Key in the CLI's JSON `figures` object.
    pub id: &'static str,
    pub label: &'static str,
    pub value: f64,
    /// Unit shown after the value ("%" values are already × 100).
    pub unit: &'static str,
}

impl Figure {
    pub const fn new(
        id: &'static str,
        label: &'static str,
        value: f64,
        unit: &'static str,
    ) -> Self {
        Figure {
            id,
            label,
            value,
            unit,
        }
    }

    /// A count of things (messages, retries, connections).
    pub fn count(id: &'static str, label: &'static str, n: u64) -> Self {
        Figure::new(id, label, n as f64, "")
    }

    /// A time in milliseconds.
    pub fn ms(id: &'static str, label: &'static str, ms: f64) -> Self {
        Figure::new(id, label, ms, "ms")
    }
}

/// `part` as a percentage of `whole` (0 when there is no whole yet).
pub fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

/// `part / whole` (0 when there is no whole yet).
pub fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole
    } else {
        0.0
    }
}

impl PatternInfo {
    /// This pattern's parameters at their defaults.
    pub fn defaults(&'static self) -> ParamSet {
        ParamSet::defaults(self.id, self.params)
    }
}
