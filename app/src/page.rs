//! What the panes of one page share: transport state, the seed, the
//! notice line, projector zoom, the inspector, the charts' common axes, and
//! the URL that reproduces it all.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use sim::wire::Control;
use wasm_bindgen::JsValue;

use crate::pane::inspector::Conversation;
use crate::pane::state::PaneState;
use crate::url::{history_query, page_query};

/// The tops of each pane's four charts, for axes shared across panes.
type Tops = Rc<RefCell<Vec<[f64; 4]>>>;

/// This page's part in a classroom room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Started the class: drives it.
    Presenter,
    /// Follows the teacher's panes, read-only.
    Follower,
    /// Explores a private copy of the room ("Explore on my own").
    Explorer,
}

/// The classroom room this page belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    pub code: String,
    pub role: Role,
}

/// Loads the page a query describes (what is on screen is always a link).
pub fn navigate(query: &str) {
    let _ = window().location().set_search(query);
}

#[derive(Clone, Copy)]
pub struct Page {
    pub playing: RwSignal<bool>,
    /// A play/pause the user asked for that the server has not confirmed
    /// yet: (wanted state, ticks seen since). Ticks already in flight still
    /// carry the old state and must not flip the button back.
    pending_play: StoredValue<Option<(bool, u32)>>,
    pub speed: RwSignal<f64>,
    pub seed: RwSignal<u64>,
    pub notice: RwSignal<Option<String>>,
    /// Type size factor for canvases: 1, or larger in projector mode.
    pub zoom: RwSignal<f64>,
    pub inspect: RwSignal<Option<Conversation>>,
    /// Following a class: the teacher's sweep, as it fills in.
    pub class_sweep: RwSignal<Option<crate::charts::sweep::ClassSweep>>,
    /// A scenario's prediction prompt is open: panes start paused.
    pub hold: RwSignal<bool>,
    /// The open scenario's headline figures (empty: each pattern's own).
    pub headline: RwSignal<&'static [&'static str]>,
    /// The classroom room, if this page is part of one.
    pub class: RwSignal<Option<Class>>,
    /// The scenario open on this page (its id), if any.
    pub scenario: RwSignal<Option<&'static str>>,
    tops: StoredValue<Tops, LocalStorage>,
    panes: StoredValue<Vec<PaneState>, LocalStorage>,
    /// The user's system asks for reduced motion.
    pub reduced_motion: StoredValue<bool>,
    /// This device's choices (verbosity, shortcuts, sound, words shown).
    pub prefs: crate::access::prefs::Prefs,
    /// What the page says aloud.
    pub voice: crate::access::voice::Voice,
    /// The theme the canvases draw with (light, dark, projector, forced).
    pub look: StoredValue<crate::stage::theme::Look>,
    /// A follower holds their own view still ("Pause my view"): the class
    /// goes on, this page stops drawing and saying it until "Back to live"
    /// (WCAG 2.2.2 for a run the student does not control).
    pub held: RwSignal<bool>,
    /// The animation frame (its timestamp) in which a pane last showed new
    /// figures: one pane a frame, so three panes' updates never land in
    /// the same frame.
    figures_frame: StoredValue<f64>,
    /// Where the run is on its timeline, and the seeks the page sends.
    pub clock: crate::clock::Clock,
}

impl Default for Page {
    fn default() -> Self {
        Self::new()
    }
}

impl Page {
    /// Following the teacher: every control is the teacher's.
    pub fn following(&self) -> bool {
        self.class.with(|c| {
            matches!(
                c,
                Some(Class {
                    role: Role::Follower,
                    ..
                })
            )
        })
    }

    /// This page presents a class (its controls drive the room).
    pub fn presenting(&self) -> bool {
        self.class.with_untracked(|c| {
            matches!(
                c,
                Some(Class {
                    role: Role::Presenter,
                    ..
                })
            )
        })
    }

    pub fn new() -> Self {
        Page {
            playing: RwSignal::new(true),
            pending_play: StoredValue::new(None),
            figures_frame: StoredValue::new(f64::NEG_INFINITY),
            headline: RwSignal::new(&[]),
            class: RwSignal::new(None),
            scenario: RwSignal::new(None),
            speed: RwSignal::new(1.0),
            seed: RwSignal::new(1),
            notice: RwSignal::new(None),
            zoom: RwSignal::new(1.0),
            inspect: RwSignal::new(None),
            class_sweep: RwSignal::new(None),
            hold: RwSignal::new(false),
            tops: StoredValue::new_local(Rc::new(RefCell::new(Vec::new()))),
            panes: StoredValue::new_local(Vec::new()),
            reduced_motion: StoredValue::new(false),
            prefs: crate::access::prefs::Prefs::default(),
            voice: crate::access::voice::Voice::default(),
            look: StoredValue::new(crate::stage::theme::Look::default()),
            held: RwSignal::new(false),
            clock: crate::clock::Clock::default(),
        }
    }

    pub fn set_panes(&self, panes: Vec<PaneState>) {
        self.tops
            .with_value(|t| *t.borrow_mut() = vec![[0.0; 4]; panes.len()]);
        self.panes.set_value(panes);
    }

    pub fn panes(&self) -> Vec<PaneState> {
        self.panes.get_value()
    }

    /// Sends a control to every pane (play, pause, speed, step, reset).
    pub fn send_all(&self, c: Control) {
        for p in self.panes() {
            p.commands.send(c.clone());
        }
    }

    /// Records pane `index`'s chart tops and returns the largest of every
    /// pane's, chart by chart.
    pub fn shared_tops(&self, index: usize, mine: [f64; 4]) -> [f64; 4] {
        self.tops.with_value(|t| {
            let mut t = t.borrow_mut();
            if let Some(slot) = t.get_mut(index) {
                *slot = mine;
            }
            let mut out = [0.0f64; 4];
            for row in t.iter() {
                for (o, v) in out.iter_mut().zip(row) {
                    *o = o.max(*v);
                }
            }
            out
        })
    }

    /// A pane (re)started a run.
    pub fn hello(&self, index: usize, playing: bool, speed: f64, seed: u64) {
        if index == 0 {
            self.pending_play.set_value(None);
            self.playing.set(playing);
            self.speed.set(speed);
            self.seed.set(seed);
        }
        if self.hold.get_untracked() && playing {
            // A scenario waits for the class's prediction.
            if let Some(p) = self.panes().get(index) {
                p.commands.send(Control::Pause);
            }
        }
    }

    /// Whether a pane may show new figures in the animation frame at `ts`
    /// (no other pane has in it); if so the frame is taken.
    pub fn take_figures_frame(&self, ts: f64) -> bool {
        let free = self.figures_frame.get_value() != ts;
        if free {
            self.figures_frame.set_value(ts);
        }
        free
    }

    /// A tick from any pane: the play button follows the server once it has
    /// confirmed what the user asked for.
    pub fn tick(&self, playing: bool) {
        let confirmed = match self.pending_play.get_value() {
            Some((want, seen)) if playing != want && seen < 60 => {
                self.pending_play.set_value(Some((want, seen + 1)));
                false
            }
            _ => {
                self.pending_play.set_value(None);
                true
            }
        };
        if confirmed && self.playing.get_untracked() != playing {
            self.playing.set(playing);
        }
    }

    pub fn set_playing(&self, next: bool) {
        self.playing.set(next);
        self.pending_play.set_value(Some((next, 0)));
        self.send_all(if next { Control::Play } else { Control::Pause });
    }

    /// Sets every pane's speed (clamped to what the server accepts).
    pub fn set_speed(&self, v: f64) {
        let v = v.clamp(sim::wire::MIN_SPEED, sim::wire::MAX_SPEED);
        self.speed.set(v);
        self.send_all(Control::Speed { value: v });
    }

    pub fn toggle(&self) {
        self.set_playing(!self.playing.get_untracked());
    }

    /// The query string that reproduces every pane.
    pub fn query(&self) -> String {
        let runs: Vec<_> = self.panes().iter().map(|p| p.link_run()).collect();
        let panes: Vec<_> = self
            .panes()
            .iter()
            .zip(&runs)
            .map(|(p, (start, _))| (p.pattern.get_untracked(), start.clone()))
            .collect();
        let changes: Vec<_> = runs.into_iter().map(|(_, c)| c).collect();
        let real = self
            .panes()
            .iter()
            .find_map(|p| p.real.get_value())
            .map_or(String::new(), |id| format!("&real={id}"));
        page_query(&panes, self.seed.get_untracked())
            + &history_query(&changes, &self.clock.bookmarks.get_untracked())
            + &real
    }

    /// Keeps the address bar equal to what is on screen, so a reload or a
    /// shared link opens the same run.
    pub fn sync_url(&self) {
        // In a class the link is the room (or the fork of it).
        let q = match self.class.get_untracked() {
            Some(Class {
                code,
                role: Role::Explorer,
            }) => format!(
                "fork={code}{}",
                history_query(&[], &self.clock.bookmarks.get_untracked())
            ),
            Some(Class { code, .. }) => format!("room={code}"),
            None => self.query(),
        };
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("?{q}")));
        }
    }
}
