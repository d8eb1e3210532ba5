//! How a page starts: read the link (patterns, parameters, seed, a
//! scenario, a room or a fork of one), then create the panes — a room's
//! or a fork's from the server's description of the room.

use leptos::prelude::*;
use sim::catalogue;

use crate::controls::presets::{self, Preset, PRESETS};
use crate::page::{Class, Page, Role};
use crate::pane::state::PaneState;
use crate::url::parse;

fn prefers_reduced_motion() -> bool {
    window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

/// What the start decides for the rest of the page.
#[derive(Clone, Copy)]
pub struct Started {
    /// The panes exist (the page shows them instead of "Starting…").
    pub ready: RwSignal<bool>,
    pub panes: RwSignal<Vec<PaneState>>,
    /// The scenario opened from the link, whose prompt shows first.
    pub preset: RwSignal<Option<&'static Preset>>,
}

/// Starts the page from its link (call it once, in the browser: from an
/// effect).
pub fn start(page: Page, started: Started) {
    let Started {
        ready,
        panes,
        preset,
    } = started;
    let notice = page.notice;
    let open = move |settings: crate::url::PageSettings, chosen: Option<&'static Preset>| {
        page.reduced_motion.set_value(prefers_reduced_motion());
        page.seed.set(settings.seed);
        page.clock.open_at.set_value(settings.at);
        let states: Vec<PaneState> = settings
            .panes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let pane = PaneState::new(i, s.info, s.values.clone(), page.notice);
                pane.opening.set_value(s.changes.clone());
                pane
            })
            .collect();
        if let (Some(id), Some(last)) = (settings.real.clone(), states.last()) {
            last.real.set_value(Some(id));
        }
        page.clock.bookmarks.set(settings.bookmarks.clone());
        page.set_panes(states.clone());
        if let Some(p) = chosen {
            page.hold.set(true);
            page.headline.set(p.headline);
            page.scenario.set(Some(p.id));
            preset.set(chosen);
        }
        if !settings.problems.is_empty() {
            notice.set(Some(settings.problems.join("; ")));
        }
        panes.set(states);
        ready.set(true);
    };
    let search = window().location().search().unwrap_or_default();
    let mut settings = parse(&search, catalogue()[0]);
    if let Some((code, fork)) = settings
        .fork
        .clone()
        .map(|c| (c, true))
        .or_else(|| settings.room.clone().map(|c| (c, false)))
    {
        // An explorer's link carries the teacher's bookmarks (`bm=`).
        let marks = settings.bookmarks.clone();
        leptos::task::spawn_local(async move {
            match crate::class::load_room(&code).await {
                Ok((mut room, presenter, scenario)) => {
                    if fork {
                        room.bookmarks = marks;
                    }
                    if let Some(p) = scenario {
                        page.headline.set(p.headline);
                        page.scenario.set(Some(p.id));
                    }
                    let role = match (fork, presenter) {
                        (true, _) => Role::Explorer,
                        (false, true) => Role::Presenter,
                        (false, false) => Role::Follower,
                    };
                    page.class.set(Some(Class { code, role }));
                    open(room, None);
                }
                Err(e) => {
                    notice.set(Some(e));
                    open(parse("", catalogue()[0]), None);
                }
            }
        });
        return;
    }
    let mut chosen = None;
    if let Some(id) = settings.preset.clone() {
        match presets::find(&id) {
            Some(p) => {
                // The preset's own settings, then whatever the link adds.
                let mut merged = parse(p.query, catalogue()[0]);
                let extra = parse(&search, merged.panes[0].info);
                if search.contains("seed=") {
                    merged.seed = extra.seed;
                }
                settings = merged;
                chosen = Some(p);
            }
            None => settings.problems.push(format!(
                "preset '{id}' is unknown: expected one of {}",
                PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    open(settings, chosen);
}
