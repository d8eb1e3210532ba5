//! The reactive face of one pane: the signals its text reads, its
//! commands, its scene and canvases, and the recipe of its run. Knows
//! nothing of the page (the page holds the panes; `pane.rs` adds what a
//! pane does with the page).

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use sim::metrics::Snapshot;
use sim::wire::{Change, Recipe};
use sim::{ParamSet, PatternInfo};

use crate::describe::{ChartWords, Words};
use crate::pane::commands::Commands;
use crate::pane::feed::ConnState;
use crate::stage::playback::Recent;
use crate::stage::scene::{Canvases, Scene};
use crate::url::{PANE_IDS, PANE_NAMES};

/// The reactive face of one pane: what text on screen reads, and handles
/// the page needs (commands, the scene for inspecting and exporting).
#[derive(Clone, Copy)]
pub struct PaneState {
    pub index: usize,
    pub pattern: RwSignal<&'static PatternInfo>,
    pub values: RwSignal<Vec<f64>>,
    pub metrics: RwSignal<Option<Snapshot>>,
    pub conn: RwSignal<ConnState>,
    pub run: RwSignal<u32>,
    pub stride: RwSignal<usize>,
    pub coalesced: RwSignal<u64>,
    /// `(achieved, asked)` speeds while the server cannot keep up with the
    /// speed asked for (its CPU budget per tick ran out); `None` otherwise.
    pub behind: RwSignal<Option<(f64, f64)>>,
    pub recent: RwSignal<Vec<Recent>>,
    pub commands: Commands,
    pub scene: StoredValue<Option<Rc<RefCell<Scene>>>, LocalStorage>,
    pub canvases: StoredValue<Option<Rc<Canvases>>, LocalStorage>,
    /// The current run's starting values and every live change with its
    /// virtual time: what an export replays.
    pub history: StoredValue<(Vec<f64>, Vec<Change>)>,
    /// The live changes the page's link asked for, made by the server on
    /// the first connection (later ones replay `history`).
    pub opening: StoredValue<Vec<sim::link::LinkChange>>,
    /// The closed form's mean wait (ms) for the current settings, if any:
    /// drawn over the waiting-time chart.
    pub predicted_wait: StoredValue<Option<f64>>,
    /// The run in words beside the stage (refreshed at most once a second).
    pub words: RwSignal<Words>,
    /// Each chart's takeaway, and its table while shown.
    pub charts: RwSignal<ChartWords>,
    /// Which charts show their data as a table.
    pub tables_shown: RwSignal<[bool; 4]>,
    /// Tables that have focus: left as they are while someone reads them.
    pub tables_frozen: StoredValue<[bool; 4]>,
    /// The recent-requests list has focus: it is not rebuilt under the
    /// reader (a rebuilt button would throw focus to the page).
    pub recent_frozen: StoredValue<bool>,
    /// This pane plays back a real run the server keeps (its id), beside
    /// the model in the panes before it: what it shows cannot change.
    pub real: StoredValue<Option<String>>,
}

impl PaneState {
    pub fn new(
        index: usize,
        info: &'static PatternInfo,
        values: Vec<f64>,
        notice: RwSignal<Option<String>>,
    ) -> Self {
        PaneState {
            index,
            pattern: RwSignal::new(info),
            values: RwSignal::new(values),
            metrics: RwSignal::new(None),
            conn: RwSignal::new(ConnState::Connecting),
            run: RwSignal::new(0),
            stride: RwSignal::new(1),
            coalesced: RwSignal::new(0),
            behind: RwSignal::new(None),
            recent: RwSignal::new(Vec::new()),
            commands: Commands::new(notice),
            scene: StoredValue::new_local(None),
            canvases: StoredValue::new_local(None),
            history: StoredValue::new((Vec::new(), Vec::new())),
            opening: StoredValue::new(Vec::new()),
            predicted_wait: StoredValue::new(None),
            words: RwSignal::new(Words::default()),
            charts: RwSignal::new(ChartWords::default()),
            tables_shown: RwSignal::new([false; 4]),
            tables_frozen: StoredValue::new([false; 4]),
            recent_frozen: StoredValue::new(false),
            real: StoredValue::new(None),
        }
    }

    pub fn name(&self) -> &'static str {
        PANE_NAMES[self.index]
    }

    /// The name in lower case, as in the pane's test ids.
    pub fn id(&self) -> &'static str {
        PANE_IDS[self.index]
    }

    /// The parameters as a set (for figures and theory).
    pub fn param_set(&self) -> ParamSet {
        let mut p = self.pattern.get().defaults();
        self.values.with(|v| p.set_all(v).ok());
        p
    }

    /// The parameters as a set, read without subscribing (timers, events).
    pub fn param_set_untracked(&self) -> ParamSet {
        let mut p = self.pattern.get_untracked().defaults();
        self.values.with_untracked(|v| p.set_all(v).ok());
        p
    }

    /// Virtual time the pane has reached (for exports).
    pub fn now(&self) -> sim::Time {
        self.scene
            .with_value(|s| s.as_ref().map_or(0, |s| s.borrow().playback.latest))
    }

    /// The run as a link opens it: its start values and live changes (from
    /// the run's history once it has started, else the link's).
    pub fn link_run(&self) -> (Vec<f64>, Vec<sim::link::LinkChange>) {
        let info = self.pattern.get_untracked();
        let (start, changes) = self.history.get_value();
        if start.len() == info.params.len() {
            let list = sim::link::changes_of(info, &start, &changes);
            (start, list)
        } else {
            (self.values.get_untracked(), self.opening.get_value())
        }
    }

    /// The recipe that replays this pane's run up to now.
    pub fn recipe(&self, seed: u64) -> Recipe {
        let (values, changes) = self.history.get_value();
        Recipe {
            pattern: self.pattern.get_untracked().id.to_string(),
            seed,
            values,
            changes,
            until: self.now().max(sim::time::MS),
        }
    }

    pub fn highlight(&self, req: Option<sim::event::ReqId>) {
        self.scene.with_value(|s| {
            if let Some(s) = s {
                let mut s = s.borrow_mut();
                s.playback.highlight = req;
                s.playback.highlight_msg = None;
            }
        });
    }
}
