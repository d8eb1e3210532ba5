//! A pane's connection to its session: the WebSocket address for the
//! pane (its own run, a room's pane or a fork of it), and what each frame
//! from the server does to the pane's scene and state.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use sim::metrics::Snapshot;
use sim::wire::{Change, Frame};
use sim::{catalogue, find_pattern};
use web_sys::HtmlCanvasElement;

use crate::charts::figure_pace::FigurePace;
use crate::page::Page;
use crate::pane::feed::{Callbacks, Feed};
use crate::pane::state::PaneState;
use crate::stage::playback::Recent;
use crate::stage::scene::{animate, now_ms, Canvases, Scene};
use crate::stage::watch::Canvas;
use crate::url::pane_query;

/// Shows snapshot `m` in the pane's figures and its recent-requests list.
fn show_metrics(pane: PaneState, scene: &RefCell<Scene>, m: Snapshot) {
    pane.metrics.set(Some(m));
    let recent: Vec<Recent> = scene
        .borrow()
        .playback
        .recent
        .iter()
        .rev()
        .copied()
        .collect();
    // Not while someone is in the list: its buttons would be rebuilt
    // under them.
    if !pane.recent_frozen.get_value() && pane.recent.with_untracked(|r| *r != recent) {
        pane.recent.set(recent);
    }
}

/// The action a step back undid, in the inspector's words.
fn undone_words(topo: &sim::topology::Topology, undone: &[sim::event::Event]) -> Option<String> {
    let first = undone.first()?;
    let c = crate::pane::inspector::Conversation::build(0, String::new(), undone, topo);
    let rows: Vec<String> = c
        .rows
        .iter()
        .map(|r| crate::pane::inspector::row_text(&c, r, first.at))
        .collect();
    Some(format!(
        "Stepped back to {}; undone: {}",
        crate::describe::words::clock(sim::time::to_secs(first.at)),
        if rows.is_empty() {
            "a timer".to_string()
        } else {
            rows.join("; ")
        }
    ))
}

/// Says where the timeline went once it stops moving (a drag sends twenty
/// moments a second; only the last is read), with the run there.
fn say_moment(page: Page, story: Option<String>) {
    thread_local! {
        static SAID: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    let mine = SAID.with(|s| {
        s.set(s.get().wrapping_add(1));
        s.get()
    });
    set_timeout(
        move || {
            if SAID.with(|s| s.get()) != mine {
                return;
            }
            let (now, head) = (
                page.clock.now.get_untracked(),
                page.clock.head.get_untracked(),
            );
            let at = if now + 0.05 < head {
                format!(
                    "At {} of {}, paused.",
                    crate::describe::words::clock(now),
                    crate::describe::words::clock(head)
                )
            } else {
                format!("Live at {}.", crate::describe::words::clock(head))
            };
            let text = match &story {
                Some(s) => format!("{s}. {at}"),
                None => format!("{at} {}", crate::access::speech::describe_now(&page)),
            };
            page.voice.answer(text);
        },
        std::time::Duration::from_millis(400),
    );
}

fn ws_url(query: &str) -> String {
    let loc = window().location();
    let proto = if loc.protocol().unwrap_or_default() == "https:" {
        "wss"
    } else {
        "ws"
    };
    format!("{proto}://{}/ws?{query}", loc.host().unwrap_or_default())
}

/// Where the run was when a held view last heard of it: its virtual time
/// and newest metrics.
type Skipped = (sim::Time, Option<Snapshot>);

/// Starts the pane's session and drawing once its canvases exist.
pub fn start(
    page: Page,
    pane: PaneState,
    stage_el: HtmlCanvasElement,
    chart_els: Vec<HtmlCanvasElement>,
    clock: web_sys::HtmlElement,
) {
    let Some(stage) = Canvas::new(stage_el).map(Rc::new) else {
        page.notice
            .set(Some("This browser cannot draw on a canvas.".into()));
        return;
    };
    let charts: Vec<Rc<Canvas>> = chart_els
        .into_iter()
        .filter_map(|c| Canvas::new(c).map(Rc::new))
        .collect();
    let mut watched = vec![stage.clone()];
    watched.extend(charts.iter().cloned());
    crate::stage::watch::observe(watched);
    let canvases = Rc::new(Canvases {
        stage,
        charts,
        clock,
    });
    pane.canvases.set_value(Some(canvases.clone()));
    let scene = Rc::new(RefCell::new(Scene::new(page.reduced_motion.get_value())));
    pane.scene.set_value(Some(scene.clone()));

    let pace = Rc::new(RefCell::new(FigurePace::<Snapshot>::default()));
    // Where the run was when the held view last heard of it.
    let skipped: Rc<std::cell::Cell<Option<Skipped>>> = Rc::new(std::cell::Cell::new(None));
    {
        // Back to live: the view jumps to where the run is now.
        let scene = scene.clone();
        let skipped = skipped.clone();
        Effect::new(move |_| {
            if page.held.get() {
                return;
            }
            if let Some((now, m)) = skipped.take() {
                let mut s = scene.borrow_mut();
                let (queued, busy) = m.map_or((0, 0), |m| (m.queue_depth, m.busy));
                s.playback.jump(now, queued, busy);
                if let Some(m) = m {
                    s.push_metrics(&m);
                    drop(s);
                    show_metrics(pane, &scene, m);
                }
            }
        });
    }
    let on_frame = {
        let scene = scene.clone();
        let pace = pace.clone();
        let skipped = skipped.clone();
        move |frame: Frame<'static>| match frame {
            Frame::Hello(h) => {
                scene.borrow_mut().hello(&h);
                // A new run restores state: the page is quiet until it lands.
                page.voice.restoring(pane.index);
                let info = find_pattern(&h.pattern).unwrap_or(catalogue()[0]);
                // Set only when it changed: what depends on the pattern is
                // rebuilt, and a rebuilt control would lose its focus.
                if !std::ptr::eq(pane.pattern.get_untracked(), info) {
                    pane.pattern.set(info);
                }
                pane.run.set(h.run);
                pane.history.set_value((h.values.clone(), Vec::new()));
                if pane.index == 0 {
                    page.clock.changes.set(Vec::new());
                    page.clock.branch.set(None);
                }
                page.hello(pane.index, h.playing, h.speed, h.seed);
                if pane.values.with_untracked(|v| *v != h.values) {
                    pane.values.set(h.values);
                }
                pane.metrics.set(None);
                pace.borrow_mut().hello(now_ms());
                pane.coalesced.set(0);
                pane.recent.set(Vec::new());
                page.sync_url();
            }
            Frame::Tick(t) if page.held.get_untracked() => {
                // Held: keep only where the run is, to take up from there.
                if t.run == pane.run.get_untracked() {
                    let m = t.metrics.or_else(|| skipped.get().and_then(|s| s.1));
                    skipped.set(Some((t.now, m)));
                }
            }
            Frame::Tick(t) => {
                let accepted = {
                    let mut s = scene.borrow_mut();
                    let ok = s.playback.ingest(&t);
                    if ok {
                        if let Some(m) = &t.metrics {
                            s.push_metrics(m);
                        }
                    }
                    ok
                };
                if accepted {
                    if t.metrics.is_some() {
                        // Rounded to a tenth so the text changes only when
                        // the figure does.
                        let behind = (t.playing && t.achieved < 0.9 * t.speed)
                            .then(|| ((t.achieved * 10.0).round() / 10.0, t.speed));
                        if pane.behind.get_untracked() != behind {
                            pane.behind.set(behind);
                        }
                    }
                    if let Some(m) = t.metrics {
                        let shown = pace.borrow_mut().arrived(m, now_ms());
                        if let Some(m) = shown {
                            show_metrics(pane, &scene, m);
                        }
                    }
                    // A real run played back stops at its end while the
                    // model goes on: the play button follows the models.
                    if pane.real.with_value(Option::is_none) {
                        page.tick(t.playing);
                    }
                    if pane.index == 0 {
                        page.clock.reached(t.now, t.head);
                        // A replay that reached where it started: on at
                        // the speed it had.
                        if let Some((until, speed)) = page.clock.replay.get_value() {
                            if sim::time::to_secs(t.now) >= until {
                                page.clock.replay.set_value(None);
                                page.set_speed(speed);
                            }
                        }
                    }
                    // Following a class: the teacher's speed shows here too.
                    if page.following() && page.speed.get_untracked() != t.speed {
                        page.speed.set(t.speed);
                    }
                    if t.coalesced > 0 {
                        pane.coalesced.update(|c| *c += t.coalesced);
                    }
                }
            }
            Frame::Moment(m) => {
                if m.run != pane.run.get_untracked() {
                    return;
                }
                scene.borrow_mut().moment(&m);
                show_metrics(pane, &scene, m.metrics);
                if pane.index == 0 {
                    page.clock.reached(m.now, m.head);
                    page.clock.open_at.set_value(None);
                    page.tick(m.playing);
                    let story = undone_words(&scene.borrow().playback.topology, &m.undone);
                    say_moment(page, story);
                }
            }
            Frame::Story(story) => {
                if story.run == pane.run.get_untracked() {
                    pane.whole_story(&page, &story);
                }
            }
            Frame::Marks { run: r, bookmarks } => {
                // The teacher's bookmarks: a follower keeps them (and has
                // them when exploring); the presenter's own page has them.
                if r == pane.run.get_untracked() && pane.index == 0 && !page.presenting() {
                    let new = page
                        .clock
                        .bookmarks
                        .with_untracked(|old| bookmarks.iter().find(|b| !old.contains(b)).cloned());
                    if let Some(b) = new {
                        page.voice.answer(format!(
                            "The teacher bookmarked {}{}.",
                            crate::describe::words::clock(sim::time::to_secs(b.at)),
                            if b.label.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", b.label)
                            }
                        ));
                    }
                    page.clock.bookmarks.set(bookmarks);
                }
            }
            Frame::Params {
                run: r,
                at,
                values: vs,
            } => {
                if r == pane.run.get_untracked() {
                    if pane.index == 0 && at < page.clock.head_exact.get_value() {
                        // Changed in its past: a branch; the original is kept
                        // as its recipe (same start, same seed, its changes).
                        let (start, old) = pane.history.get_value();
                        let original =
                            sim::link::changes_of(pane.pattern.get_untracked(), &start, &old);
                        page.clock
                            .branch
                            .set(Some(crate::clock::Branch { at, original }));
                        page.clock.head_exact.set_value(at);
                    }
                    pane.history.update_value(|(_, changes)| {
                        // A change in the run's past starts a new future.
                        changes.retain(|c| c.at <= at);
                        changes.push(Change {
                            at,
                            values: vs.clone(),
                        })
                    });
                    if pane.index == 0 {
                        let t = sim::time::to_secs(at);
                        page.clock.changes.update(|c| {
                            c.retain(|&x| x <= t);
                            c.push(t);
                        });
                    }
                    pane.values.set(vs);
                    page.sync_url();
                }
            }
        }
    };
    let feed = Feed::connect(Callbacks {
        url: Box::new(move || {
            if let Some(id) = pane.real.get_value() {
                return ws_url(&format!("real={id}&pane={}", pane.index));
            }
            ws_url(&match page.class.get_untracked() {
                Some(crate::page::Class {
                    code,
                    role: crate::page::Role::Explorer,
                }) => format!("fork={code}&pane={}", pane.index),
                Some(c) => format!("room={}&pane={}", c.code, pane.index),
                None => {
                    // The run as it was (start values and live changes), so
                    // a reconnection or a link opens the same run.
                    let (start, changes) = pane.link_run();
                    let mut q = pane_query(
                        pane.pattern.get_untracked(),
                        &start,
                        page.seed.get_untracked(),
                    );
                    for c in &changes {
                        q.push_str("&ch=");
                        q.push_str(&c.text());
                    }
                    match page.clock.open_at.get_value() {
                        Some(t) => format!("{q}&t={t}"),
                        None => q,
                    }
                }
            })
        }),
        on_frame: Box::new(on_frame),
        on_error: Box::new(move |m| page.notice.set(Some(m))),
        // Following a class: the teacher's inspector opens here too.
        on_inspect: Box::new(move |req, msg| {
            if !page.following() {
                return;
            }
            match (req, msg) {
                (Some(r), _) => pane.inspect(&page, r),
                (None, Some(m)) => pane.inspect_message(&page, m),
                (None, None) => page.inspect.set(None),
            }
        }),
        // A class's teacher sweeping: a follower's page shows it (kept
        // whatever the role, as a joiner's catch-up may come before the
        // page knows it follows; only a follower's page draws it).
        on_sweep: Box::new(move |j| {
            if pane.index != 0 || page.presenting() {
                return;
            }
            let csv = j.get("csv").str().unwrap_or_default();
            if csv.is_empty() {
                page.class_sweep.set(Some(crate::charts::sweep::ClassSweep {
                    param: j.get("param").str().unwrap_or_default(),
                    from: j.get("from").f64().unwrap_or(0.0),
                    to: j.get("to").f64().unwrap_or(1.0),
                    points: j.get("points").u64().unwrap_or(1) as usize,
                    reps: j.get("reps").u64().unwrap_or(2) as usize,
                    secs: j.get("secs").f64().unwrap_or(60.0),
                    figure: j.get("figure").str().unwrap_or_default(),
                    results: Vec::new(),
                }));
            } else {
                let points = crate::charts::sweep::parse_csv(&format!(
                    "value,figure,mean,ci95,n,theory\n{csv}"
                ));
                page.class_sweep.update(|s| {
                    if let Some(s) = s {
                        s.results.extend(points);
                    }
                });
            }
        }),
        on_state: Box::new(move |s| pane.conn.set(s)),
    });
    pane.commands.attach(feed);
    animate(move |ts| {
        if page.held.get_untracked() {
            // Held still: nothing moves, nothing sounds.
            return;
        }
        let shared = page.shared_tops(pane.index, scene.borrow().tops);
        let zoom = page.zoom.get_untracked();
        let predicted = pane.predicted_wait.get_value();
        {
            let mut s = scene.borrow_mut();
            let gate = crate::access::sound::Gate {
                on: page.prefs.sound.get_untracked(),
                playing: page.playing.get_untracked(),
                restoring: page.voice.is_restoring(),
            };
            let queue =
                (pane.index == 0).then(|| s.playback.nodes.iter().map(|n| n.queued as u64).sum());
            crate::access::sound::frame(&gate, ts, &mut s.playback.heard, queue);
        }
        let look = page.look.get_value();
        let s = scene
            .borrow_mut()
            .frame(ts, &canvases, shared, zoom, predicted, look);
        if s != pane.stride.get_untracked() {
            pane.stride.set(s);
        }
        if pace.borrow().is_due(ts) && page.take_figures_frame(ts) {
            let due = pace.borrow_mut().frame(ts);
            if let Some(m) = due {
                show_metrics(pane, &scene, m);
            }
        }
    });
}
