//! What the page says and shows in words: once a second it reads every pane (its playback
//! buffer as drawn and its newest metrics), refreshes what a screen reader
//! walks beside each stage and under each chart, and lets the
//! [`Announcer`] decide what, if anything, to say; it speaks through two
//! polite live regions taken in turn (so the same words said twice are
//! still heard). A pane's hello (join, fork, reset, reconnect) starts its
//! restoring quiet; a pane whose socket is not live stays quiet.

use std::collections::VecDeque;

use leptos::prelude::*;
use sim::topology::Topology;
use sim::{ParamSet, PatternInfo};

use crate::describe::actors::{actors, overview};
use crate::describe::takeaway::{table, takeaway};
use crate::describe::{ChartWords, Context, Reading, Words};
use crate::page::Page;
use crate::pane::feed::ConnState;
use crate::pane::state::PaneState;
use crate::stage::scene::now_ms;

/// Readings kept per pane: the trends of the description span five
/// seconds.
const KEPT: usize = 6;

/// One pane's readings kept for trends, newest last.
type Kept = StoredValue<VecDeque<Reading>, LocalStorage>;

/// What one pane is, for the describer: cloned once a second.
struct Look {
    info: &'static PatternInfo,
    topology: Topology,
    params: ParamSet,
    reading: Reading,
    before: Option<Reading>,
}

/// Reads pane `p` now, keeping the reading for trends.
fn look(p: &PaneState, kept: &Kept) -> Option<Look> {
    let metrics = p.metrics.get_untracked()?;
    let (topology, reading) = p.scene.with_value(|s| {
        s.as_ref().map(|s| {
            let s = s.borrow();
            (
                s.playback.topology.clone(),
                Reading::of(&s.playback, &metrics),
            )
        })
    })?;
    let before = kept.try_update_value(|k| {
        if k.back().is_some_and(|b| b.at > reading.at) {
            k.clear();
        }
        if k.len() == KEPT {
            k.pop_front();
        }
        k.push_back(reading.clone());
        k.front().cloned()
    });
    Some(Look {
        info: p.pattern.get_untracked(),
        topology,
        params: p.param_set_untracked(),
        reading,
        before: before.flatten(),
    })
}

impl Look {
    fn context<'a>(&'a self, p: &'a PaneState, panes: usize) -> Context<'a> {
        Context {
            pane: p.name(),
            panes,
            info: self.info,
            topology: &self.topology,
            params: &self.params,
        }
    }
}

/// Whether pane `p` plays: the page's transport, except for a real run
/// played back, which stops at its end while the models go on.
fn playing(page: &Page, p: &PaneState) -> bool {
    if p.real.with_value(Option::is_none) {
        return page.playing.get_untracked();
    }
    p.scene
        .with_value(|s| s.as_ref().map(|s| s.borrow().playback.playing))
        .unwrap_or(false)
}

/// "Describe now": every pane as it stands, in words.
pub fn describe_now(page: &Page) -> String {
    let panes = page.panes();
    let n = panes.len();
    let mut parts = Vec::new();
    for p in &panes {
        let kept: Kept = StoredValue::new_local(VecDeque::new());
        match look(p, &kept) {
            Some(l) => {
                let cx = l.context(p, n);
                parts.push(overview(&cx, &l.reading, playing(page, p)));
                for a in actors(&cx, &l.reading, None) {
                    parts.push(format!("{}: {}.", a.name, a.state));
                }
            }
            None => parts.push(format!("Pane {}: starting.", p.name())),
        }
    }
    parts.join(" ")
}

/// Speaks for the page, once a second, for its life.
pub fn listen(page: Page) {
    let kept: StoredValue<Vec<Kept>, LocalStorage> = StoredValue::new_local(Vec::new());
    let voice = page.voice;
    let announcer = voice.announcer();
    let each_second = move || {
        let panes = page.panes();
        let n = panes.len();
        kept.update_value(|k| {
            while k.len() < n {
                k.push(StoredValue::new_local(VecDeque::new()));
            }
        });
        // The system's scheme or forced colours may have changed.
        page.look
            .set_value(crate::stage::theme::look(page.zoom.get_untracked() > 1.0));
        let verbosity = page.prefs.verbosity.get_untracked();
        announcer.update_value(|a| a.verbosity = verbosity);
        let mut looks = Vec::new();
        for (i, p) in panes.iter().enumerate() {
            if p.conn.get_untracked() != ConnState::Live {
                voice.restoring(i);
            }
            let k = kept.with_value(|k| k[i]);
            let Some(l) = look(p, &k) else { continue };
            let cx = l.context(p, n);
            let words = Words {
                overview: overview(&cx, &l.reading, playing(&page, p)),
                actors: actors(&cx, &l.reading, l.before.as_ref()),
            };
            if p.words.with_untracked(|w| *w != words) {
                p.words.set(words);
            }
            refresh_charts(p);
            looks.push((p, l));
        }
        let readings: Vec<(Context, Reading)> = looks
            .iter()
            .map(|(p, l)| (l.context(p, n), l.reading.clone()))
            .collect();
        // A held view says nothing, as a paused run does.
        let playing = page.playing.get_untracked() && !page.held.get_untracked();
        let said = announcer
            .try_update_value(|a| a.offer(now_ms(), playing, &readings))
            .flatten();
        if let Some(text) = said {
            voice.speak(&text);
        }
    };
    // The interval lives as long as the page.
    let _ = set_interval_with_handle(each_second, std::time::Duration::from_secs(1));
}

/// A pane's chart takeaways, and the tables that are shown and not being
/// read (a table with focus stays as it is).
pub fn refresh_charts(p: &PaneState) {
    let shown = p.tables_shown.get_untracked();
    let frozen = p.tables_frozen.get_value();
    let next = p.scene.with_value(|s| {
        s.as_ref().map(|s| {
            let s = s.borrow();
            let old = p.charts.get_untracked();
            ChartWords {
                takeaways: std::array::from_fn(|i| takeaway(i, &s.series[i])),
                tables: std::array::from_fn(|i| match (shown[i], frozen[i]) {
                    (false, _) => None,
                    (true, true) => old.tables[i].clone(),
                    (true, false) => Some(table(i, &s.series[i])),
                }),
            }
        })
    });
    if let Some(next) = next {
        if p.charts.with_untracked(|c| *c != next) {
            p.charts.set(next);
        }
    }
}
