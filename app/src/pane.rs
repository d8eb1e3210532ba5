//! One pane: a pattern's own simulation session, drawn.
//!
//! Each pane holds a WebSocket session of its own (its pattern, its
//! parameters, the page's seed) and draws its stage and four charts from a
//! plain [`Scene`] once per animation frame. Panes compared side by side
//! share the seed — the same arrivals and service draws — and the y axes of
//! their charts, so equal heights mean equal values.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use sim::metrics::Snapshot;
use sim::run::Theory;
use sim::wire::{Change, Control, Frame, Hello, Recipe};
use sim::{catalogue, find_pattern, ParamSet, PatternInfo};
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::charts::{self, ChartSpec, ChartView};
use crate::commands::Commands;
use crate::feed::{Callbacks, ConnState, Feed};
use crate::figures::{Figures, Legend};
use crate::inspector::Conversation;
use crate::layout::{layout, Layout};
use crate::page::Page;
use crate::palette;
use crate::playback::{Playback, Recent};
use crate::series::Series;
use crate::stage;
use crate::url::{pane_query, PANE_NAMES};
use crate::watch::Canvas;

/// Chart points kept: about 20 s at 15 snapshots a second.
const CHART_POINTS: usize = 300;

/// The four charts of a pane, in drawing order.
pub const CHARTS: [ChartSpec<'static>; 4] = [
    ChartSpec {
        title: "Waiting time",
        unit: "ms",
        names: &["p50", "p95", "p99"],
        dashed: &[],
        stacked: false,
        colours: &[],
    },
    ChartSpec {
        title: "Throughput",
        unit: "per s",
        names: &["offered", "useful", "on the wire"],
        dashed: &[0],
        stacked: false,
        colours: &[],
    },
    ChartSpec {
        title: "Where the wait goes",
        unit: "ms",
        names: &["network", "queue", "service", "other (gaps, retries)"],
        dashed: &[],
        stacked: true,
        colours: &[
            palette::SKY,
            palette::ORANGE,
            palette::BLUE,
            palette::VERMILLION,
        ],
    },
    ChartSpec {
        title: "Backlog",
        unit: "msgs",
        names: &["queued", "in flight"],
        dashed: &[],
        stacked: false,
        colours: &[],
    },
];
const CHART_IDS: [&str; 4] = ["wait-chart", "rate-chart", "breakdown-chart", "depth-chart"];
const CHART_LABELS: [&str; 4] = [
    "Waiting time p50, p95 and p99 in milliseconds",
    "Offered, useful and wire messages per second",
    "Mean wait split into network, queue, service and other, in milliseconds",
    "Messages queued and in flight",
];

/// What the stage shows, as far as redrawing is concerned: run generation,
/// revision, display time, highlighted request and message, and the mark
/// clock while marks are fading (paused, it stands still: so do they).
type StageLook = (u64, u64, sim::Time, Option<u64>, Option<u64>, u64);

/// Everything the animation frame reads and writes: plain data, no signals.
pub struct Scene {
    pub playback: Playback,
    pub layout: Layout,
    /// (topology generation, width, height) the layout was computed for.
    layout_key: (u64, u64, u64),
    pub series: [Series; 4],
    /// The top of each chart's own data, kept with the series (the shared
    /// axes read it every frame).
    tops: [f64; 4],
    /// The view each chart was last drawn with; redrawn when it changes.
    drawn: [ChartView; 4],
    /// New data since each chart was last drawn (kept while it is off
    /// screen, so it is drawn when it comes back).
    charts_dirty: [bool; 4],
    /// The chart whose turn it is to be drawn first.
    next_chart: usize,
    /// What the stage showed when last drawn. Unchanged: the frame leaves
    /// the stage alone.
    stage_drawn: Option<StageLook>,
    /// The dot sampling stride of the last stage drawing.
    stride: usize,
    /// Pointer over a chart: (chart, x in CSS px).
    pub hover: Option<(usize, f64)>,
    last_ts: Option<f64>,
}

impl Scene {
    fn new(reduced_motion: bool) -> Self {
        let mut playback = Playback::default();
        playback.reduced_motion = reduced_motion;
        Scene {
            playback,
            layout: Layout::default(),
            layout_key: (u64::MAX, 0, 0),
            series: CHARTS.map(|c| Series::new(c.names.len(), CHART_POINTS)),
            tops: [0.0; 4],
            drawn: [ChartView::default(); 4],
            charts_dirty: [true; 4],
            next_chart: 0,
            stage_drawn: None,
            stride: 1,
            hover: None,
            last_ts: None,
        }
    }

    fn hello(&mut self, h: &Hello) {
        self.playback.reset(h);
        self.series.iter_mut().for_each(Series::clear);
        self.tops = [0.0; 4];
        self.charts_dirty = [true; 4];
    }

    fn push_metrics(&mut self, m: &Snapshot) {
        let t = sim::time::to_secs(m.at);
        let b = m.breakdown;
        let rows: [&[f64]; 4] = [
            &[m.wait.p50, m.wait.p95, m.wait.p99],
            &[m.offered_per_s, m.throughput_per_s, m.wire_per_s],
            &[b.network, b.queue, b.service, b.other],
            &[m.queue_depth as f64, m.in_flight as f64],
        ];
        for (s, row) in self.series.iter_mut().zip(rows) {
            s.push(t, row);
        }
        self.tops = std::array::from_fn(|i| charts::top(&CHARTS[i], &self.series[i]));
        self.charts_dirty = [true; 4];
    }

    /// One animation frame; returns how many messages a dot stands for
    /// (the page's and the server's sampling together). Draws only
    /// canvases that are on screen and whose picture changed.
    fn frame(
        &mut self,
        ts: f64,
        canvases: &Canvases,
        shared: [f64; 4],
        zoom: f64,
        predicted_wait: Option<f64>,
    ) -> usize {
        let dt = self.last_ts.map_or(0.0, |last| ts - last);
        self.last_ts = Some(ts);
        self.playback.advance(dt);
        let dpr = window().device_pixel_ratio().max(1.0);
        let stage_canvas = &canvases.stage;
        let mut drew_stage = false;
        if stage_canvas.visible() {
            let (w, h) = stage_canvas.fit(dpr);
            let mut redraw = stage_canvas.take_stale();
            let key = (self.playback.generation, w as u64, h as u64);
            if key != self.layout_key {
                self.layout = layout(&self.playback.topology, w, h);
                self.layout_key = key;
                redraw = true;
            }
            let pb = &self.playback;
            let look = (
                pb.generation,
                pb.revision,
                stage::shown_time(pb),
                pb.highlight,
                pb.highlight_msg,
                if pb.marks.is_empty() {
                    0
                } else {
                    pb.clock_ms.to_bits()
                },
            );
            if redraw || self.stage_drawn != Some(look) {
                self.stride = stage::draw(&stage_canvas.ctx, &self.layout, pb);
                self.stage_drawn = Some(look);
                drew_stage = true;
            }
        }
        // A frame that already repaints the stage takes one chart (spreading
        // a snapshot's four redraws over four frames keeps frames short); a
        // frame that would otherwise change nothing takes them all at once
        // (one repaint instead of four).
        let charts = Some(if drew_stage { 1 } else { usize::MAX });
        self.draw_charts(canvases, dpr, shared, zoom, predicted_wait, charts);
        self.playback.messages_per_dot(self.stride)
    }

    /// Draws the charts whose picture changed: those on screen, at most
    /// `limit` of them taking turns (`None`: every chart, on screen or not —
    /// an export copies them).
    fn draw_charts(
        &mut self,
        canvases: &Canvases,
        dpr: f64,
        shared: [f64; 4],
        zoom: f64,
        predicted_wait: Option<f64>,
        limit: Option<usize>,
    ) {
        let n = canvases.charts.len();
        let mut drawn = 0;
        for k in 0..n {
            let i = (self.next_chart + k) % n;
            let canvas = &canvases.charts[i];
            if limit.is_some() && !canvas.visible() {
                continue;
            }
            let (cw, ch) = canvas.fit(dpr);
            let view = ChartView {
                ymax: shared[i],
                hover: self.hover.filter(|h| h.0 == i).map(|h| h.1),
                zoom,
                // The closed form's mean wait over the waiting-time chart.
                reference: if i == 0 { predicted_wait } else { None },
            };
            if canvas.take_stale() || self.charts_dirty[i] || view != self.drawn[i] {
                charts::draw(&canvas.ctx, cw, ch, &CHARTS[i], &self.series[i], &view);
                self.drawn[i] = view;
                self.charts_dirty[i] = false;
                drawn += 1;
                if limit.is_some_and(|l| drawn >= l) {
                    self.next_chart = (i + 1) % n;
                    return;
                }
            }
        }
    }
}

/// The stage and chart canvases of a pane, watched for visibility and size.
pub struct Canvases {
    stage: Rc<Canvas>,
    pub charts: Vec<Rc<Canvas>>,
}

/// Shows pane `index`'s stage and headline figures full screen (the
/// Fullscreen API; the browser's Esc returns), or leaves full screen if
/// something already is.
pub fn show_full_screen(index: usize) {
    let doc = document();
    if doc.fullscreen_element().is_some() {
        doc.exit_fullscreen();
        return;
    }
    let name = crate::url::PANE_NAMES
        .get(index)
        .copied()
        .unwrap_or("A")
        .to_lowercase();
    if let Ok(Some(el)) = doc.query_selector(&format!("[data-testid=\"show-{name}\"]")) {
        let _ = el.request_fullscreen();
    }
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

/// The animation-frame callback, kept where it can re-register itself.
type FrameSlot = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

/// Runs `frame` on every animation frame for the life of the page.
fn animate(mut frame: impl FnMut(f64) + 'static) {
    let slot: FrameSlot = Rc::new(RefCell::new(None));
    let next = slot.clone();
    *slot.borrow_mut() = Some(Closure::new(move |ts: f64| {
        frame(ts);
        if let Some(cb) = next.borrow().as_ref() {
            let _ = window().request_animation_frame(cb.as_ref().unchecked_ref());
        }
    }));
    let first = slot.borrow();
    if let Some(cb) = first.as_ref() {
        let _ = window().request_animation_frame(cb.as_ref().unchecked_ref());
    }
}

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
    history: StoredValue<(Vec<f64>, Vec<Change>)>,
    /// The closed form's mean wait (ms) for the current settings, if any:
    /// drawn over the waiting-time chart.
    predicted_wait: StoredValue<Option<f64>>,
}

impl PaneState {
    pub fn new(index: usize, info: &'static PatternInfo, values: Vec<f64>, page: &Page) -> Self {
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
            commands: Commands::new(page.notice),
            scene: StoredValue::new_local(None),
            canvases: StoredValue::new_local(None),
            history: StoredValue::new((Vec::new(), Vec::new())),
            predicted_wait: StoredValue::new(None),
        }
    }

    pub fn name(&self) -> &'static str {
        PANE_NAMES[self.index]
    }

    /// The parameters as a set (for figures and theory).
    pub fn param_set(&self) -> ParamSet {
        let mut p = self.pattern.get().defaults();
        self.values.with(|v| p.set_all(v).ok());
        p
    }

    /// Virtual time the pane has reached (for exports).
    pub fn now(&self) -> sim::Time {
        self.scene
            .with_value(|s| s.as_ref().map_or(0, |s| s.borrow().playback.latest))
    }

    /// Opens the inspector on `req`'s conversation and rings its dots.
    pub fn inspect(&self, page: &Page, req: sim::event::ReqId) {
        let conv = self.scene.with_value(|s| {
            s.as_ref().map(|s| {
                let mut s = s.borrow_mut();
                s.playback.highlight = Some(req);
                s.playback.highlight_msg = None;
                let events = s.playback.conversation(req);
                let title = format!("Request #{req}");
                Conversation::build(self.index, title, &events, &s.playback.topology)
            })
        });
        self.share(page, Some(req), None);
        self.show(page, conv);
    }

    /// A room's presenter shows everyone the conversation it opens.
    fn share(&self, page: &Page, req: Option<u64>, msg: Option<u64>) {
        if page.class.with_untracked(|c| {
            matches!(
                c,
                Some(crate::page::Class {
                    role: crate::page::Role::Presenter,
                    ..
                })
            )
        }) {
            self.commands.send(Control::Inspect { req, msg });
        }
    }

    /// Opens the inspector on one message's story (polls, answers, stream
    /// events: messages that carry no single request).
    pub fn inspect_message(&self, page: &Page, msg: sim::event::MsgId) {
        let conv = self.scene.with_value(|s| {
            s.as_ref().map(|s| {
                let mut s = s.borrow_mut();
                s.playback.highlight = None;
                s.playback.highlight_msg = Some(msg);
                let events = s.playback.message_story(msg);
                let title = format!("Message #{msg}");
                Conversation::build(self.index, title, &events, &s.playback.topology)
            })
        });
        self.share(page, None, Some(msg));
        self.show(page, conv);
    }

    fn show(&self, page: &Page, conv: Option<Conversation>) {
        for other in page.panes() {
            if other.index != self.index {
                other.highlight(None);
            }
        }
        page.inspect.set(conv);
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

    /// Brings every chart's picture up to date, on screen or not (the PNG
    /// export copies them).
    pub fn draw_all_charts(&self, page: &Page) {
        let (Some(scene), Some(canvases)) = (self.scene.get_value(), self.canvases.get_value())
        else {
            return;
        };
        let mut scene = scene.borrow_mut();
        let shared = page.shared_tops(self.index, scene.tops);
        let dpr = window().device_pixel_ratio().max(1.0);
        let zoom = page.zoom.get_untracked();
        let predicted = self.predicted_wait.get_value();
        scene.draw_charts(&canvases, dpr, shared, zoom, predicted, None);
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

/// Starts the pane's session and drawing once its canvases exist.
fn start(
    page: Page,
    pane: PaneState,
    stage_el: HtmlCanvasElement,
    chart_els: Vec<HtmlCanvasElement>,
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
    crate::watch::observe(watched);
    let canvases = Rc::new(Canvases { stage, charts });
    pane.canvases.set_value(Some(canvases.clone()));
    let scene = Rc::new(RefCell::new(Scene::new(page.reduced_motion.get_value())));
    pane.scene.set_value(Some(scene.clone()));

    let on_frame = {
        let scene = scene.clone();
        move |frame: Frame<'static>| match frame {
            Frame::Hello(h) => {
                scene.borrow_mut().hello(&h);
                let info = find_pattern(&h.pattern).unwrap_or(catalogue()[0]);
                pane.pattern.set(info);
                pane.run.set(h.run);
                pane.history.set_value((h.values.clone(), Vec::new()));
                page.hello(pane.index, h.playing, h.speed, h.seed);
                pane.values.set(h.values);
                pane.metrics.set(None);
                pane.coalesced.set(0);
                pane.recent.set(Vec::new());
                page.sync_url();
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
                        pane.metrics.set(Some(m));
                        let recent: Vec<Recent> = scene
                            .borrow()
                            .playback
                            .recent
                            .iter()
                            .rev()
                            .copied()
                            .collect();
                        if pane.recent.with_untracked(|r| *r != recent) {
                            pane.recent.set(recent);
                        }
                    }
                    page.tick(t.playing);
                    // Following a class: the teacher's speed shows here too.
                    if page.following() && page.speed.get_untracked() != t.speed {
                        page.speed.set(t.speed);
                    }
                    if t.coalesced > 0 {
                        pane.coalesced.update(|c| *c += t.coalesced);
                    }
                }
            }
            Frame::Params {
                run: r,
                at,
                values: vs,
            } => {
                if r == pane.run.get_untracked() {
                    pane.history.update_value(|(_, changes)| {
                        changes.push(Change {
                            at,
                            values: vs.clone(),
                        })
                    });
                    pane.values.set(vs);
                    page.sync_url();
                }
            }
        }
    };
    let feed = Feed::connect(Callbacks {
        url: Box::new(move || {
            ws_url(&match page.class.get_untracked() {
                Some(crate::page::Class {
                    code,
                    role: crate::page::Role::Explorer,
                }) => format!("fork={code}&pane={}", pane.index),
                Some(c) => format!("room={}&pane={}", c.code, pane.index),
                None => pane_query(
                    pane.pattern.get_untracked(),
                    &pane.values.get_untracked(),
                    page.seed.get_untracked(),
                ),
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
        on_state: Box::new(move |s| pane.conn.set(s)),
    });
    pane.commands.attach(feed);
    animate(move |ts| {
        let shared = page.shared_tops(pane.index, scene.borrow().tops);
        let zoom = page.zoom.get_untracked();
        let predicted = pane.predicted_wait.get_value();
        let s = scene
            .borrow_mut()
            .frame(ts, &canvases, shared, zoom, predicted);
        if s != pane.stride.get_untracked() {
            pane.stride.set(s);
        }
    });
}

/// The closed-form prediction next to what was measured.
fn theory_text(theory: Option<Theory>, m: &Snapshot) -> String {
    let Some(t) = theory else {
        return "Theory: no closed form is shown for this pattern with these settings.".to_string();
    };
    let capacity = if t.stable_below_per_s.is_finite() {
        format!(
            " Stable below {} {}.",
            crate::figures::fmt_number(t.stable_below_per_s),
            t.rate_unit
        )
    } else {
        String::new()
    };
    let rho = if t.stable_below_per_s.is_finite() {
        format!("ρ = {:.2} (measured {:.2}), ", t.utilisation, m.utilisation)
    } else {
        String::new()
    };
    match t.mean_wait_ms {
        Some(w) => format!(
            "Theory ({}): {rho}mean wait ≈ {} (measured {}, last second).{capacity}",
            t.model,
            crate::figures::fmt_ms(w),
            crate::figures::fmt_ms(m.wait.mean)
        ),
        None => format!(
            "Theory ({}): {rho}≥ 1 — the service cannot keep up; without a queue limit the wait would grow without bound.{capacity}",
            t.model
        ),
    }
}

/// Little's law, live: requests in the system against arrival rate × wait.
fn little_text(l: f64, m: &Snapshot) -> String {
    let lw = m.throughput_per_s * m.wait.mean / 1000.0;
    format!(
        "Little's law: L = {l:.1} in the system now; λ·W = {} /s × {} = {lw:.1}.",
        crate::figures::fmt_number(m.throughput_per_s),
        crate::figures::fmt_ms(m.wait.mean)
    )
}

#[component]
pub fn Pane(page: Page, pane: PaneState) -> impl IntoView {
    let stage_ref = NodeRef::<html::Canvas>::new();
    let chart_refs: [NodeRef<html::Canvas>; 4] = std::array::from_fn(|_| NodeRef::new());
    let started = StoredValue::new(false);

    Effect::new(move |_| {
        let Some(stage_el) = stage_ref.get() else {
            return;
        };
        let charts: Option<Vec<HtmlCanvasElement>> = chart_refs.iter().map(|r| r.get()).collect();
        let Some(charts) = charts else {
            return;
        };
        if started.get_value() {
            return;
        }
        started.set_value(true);
        start(page, pane, stage_el, charts);
    });

    let m = move || pane.metrics.get().unwrap_or_default();
    let theory = Memo::new(move |_| Theory::for_params(&pane.param_set()));
    Effect::new(move |_| {
        pane.predicted_wait
            .set_value(theory.get().and_then(|t| t.mean_wait_ms));
    });
    // L smoothed over snapshots: the instantaneous count jumps by one with
    // every arrival and departure.
    let little = StoredValue::new(0.0f64);
    let in_system = move || {
        let t = m().totals;
        let now = t.offered.saturating_sub(t.completed + t.failed) as f64;
        let l = little.get_value() * 0.9 + now * 0.1;
        little.set_value(l);
        l
    };

    let on_stage_click = move |ev: leptos::ev::MouseEvent| {
        let (x, y) = (ev.offset_x() as f64, ev.offset_y() as f64);
        let dot = pane.scene.with_value(|s| {
            s.as_ref().and_then(|s| {
                let s = s.borrow();
                stage::hit(&s.layout, &s.playback, x, y, 14.0)
            })
        });
        if let Some(d) = dot {
            if pane.pattern.get_untracked().keyed_by_message {
                pane.inspect_message(&page, d.msg);
            } else {
                pane.inspect(&page, d.req);
            }
        }
    };
    let hover = move |i: usize, x: Option<f64>| {
        pane.scene.with_value(|s| {
            if let Some(s) = s {
                s.borrow_mut().hover = x.map(|x| (i, x));
            }
        });
    };
    let testid = format!("pane-{}", pane.name().to_lowercase());

    view! {
        <article class="pane" data-testid=testid aria-label=move || format!("Pane {}: {}", pane.name(), pane.pattern.get().name)>
            <header class="pane-head">
                <span class="pane-name" aria-hidden="true">{pane.name()}</span>
                <label class="pattern-picker">
                    <span class="visually-hidden">"Pattern"</span>
                    <select
                        data-testid="pattern-picker"
                        disabled=move || page.following()
                        aria-label=format!("Communication pattern of pane {}", pane.name())
                        on:change=move |ev| {
                            pane.commands.send(Control::Pattern { id: event_target_value(&ev) });
                        }
                    >
                        {catalogue()
                            .iter()
                            .map(|p| {
                                view! {
                                    <option value=p.id selected=move || pane.pattern.get().id == p.id>
                                        {p.name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button class="fullscreen" data-testid=format!("fullscreen-{}", pane.name().to_lowercase())
                    title="This pane's stage and headline figures full screen (F for pane A; Esc returns)"
                    aria-label=format!("Show pane {} full screen", pane.name())
                    on:click=move |_| show_full_screen(pane.index)>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" stroke="currentColor" fill="none" stroke-width="2" /></svg>
                </button>
                <crate::figures::ConnBadge conn=pane.conn />
                <Show when=move || pane.behind.with(Option::is_some)>
                    <span class="behind" data-testid="behind" role="status"
                        title="The server gives each run a share of its processor per frame; this run needs more than its share at this speed, so it runs slower than asked.">
                        {move || pane.behind.get().map(|(a, s)| format!("running at {}× of the {}× asked", crate::figures::fmt_speed(a), crate::figures::fmt_speed(s))).unwrap_or_default()}
                    </span>
                </Show>
            </header>
            <div class="pane-body">
                <section class="stage-panel" data-testid=format!("show-{}", pane.name().to_lowercase()) aria-label="Animation of messages between nodes">
                    <div class="stage-wrap">
                        <canvas
                            node_ref=stage_ref
                            class="stage"
                            data-testid="stage"
                            aria-label="Messages in flight; click a dot to inspect its conversation"
                            on:click=on_stage_click
                        ></canvas>
                        <div class="stage-notes">
                            <Show when=move || { pane.stride.get() > 1 }>
                                <span class="sampling" data-testid="sampling">
                                    {move || format!("1 dot = {} messages", pane.stride.get())}
                                </span>
                            </Show>
                            <Show when=move || { pane.coalesced.get() > 0 }>
                                <span class="coalesced" title="The viewer fell behind; these events were not drawn. Metrics include them.">
                                    {move || format!("{} events not drawn", pane.coalesced.get())}
                                </span>
                            </Show>
                        </div>
                    </div>
                    <crate::figures::Headline pane ids=page.headline.into() />
                    <Legend pattern=pane.pattern />
                    <details class="recent">
                        <summary>"Inspect a recent request"</summary>
                        <ul data-testid="recent">
                            {move || {
                                pane.recent
                                    .get()
                                    .into_iter()
                                    .map(|r| {
                                        let text = match r.wait {
                                            Some(w) => format!("#{} done, waited {}", r.req, crate::inspector::fmt_ms(w)),
                                            None => format!("#{} failed", r.req),
                                        };
                                        view! {
                                            <li>
                                                <button class="link" on:click=move |_| pane.inspect(&page, r.req)>{text}</button>
                                            </li>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </ul>
                    </details>
                </section>

                <section
                    class="charts"
                    aria-label="Live charts"
                    data-theory-wait-ms=move || {
                        theory.get().and_then(|t| t.mean_wait_ms).map(|w| format!("{w:.1}"))
                    }
                >
                    {(0..4)
                        .map(|i| {
                            view! {
                                <canvas
                                    node_ref=chart_refs[i]
                                    class="chart"
                                    data-testid=CHART_IDS[i]
                                    data-label-px=move || format!("{:.1}", 11.0 * page.zoom.get())
                                    aria-label=CHART_LABELS[i]
                                    on:mousemove=move |ev: leptos::ev::MouseEvent| hover(i, Some(ev.offset_x() as f64))
                                    on:mouseleave=move |_| hover(i, None)
                                ></canvas>
                            }
                        })
                        .collect_view()}
                </section>

                <section class="figures" aria-label="Figures">
                    <Figures pane />
                    <p class="theory" data-testid="theory">
                        {move || theory_text(theory.get(), &m())}
                    </p>
                    <p class="theory little" data-testid="little">
                        {move || little_text(in_system(), &m())}
                    </p>
                </section>
            </div>
        </article>
    }
    .into_any()
}
