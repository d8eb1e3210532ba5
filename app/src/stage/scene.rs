//! What a pane's animation frame reads and writes: the [`Scene`] (playback
//! buffer, layout, chart series, what was drawn last), drawn onto the pane's
//! [`Canvases`] only where the picture changed, and the animation loop.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use sim::metrics::Snapshot;
use sim::wire::Hello;
use wasm_bindgen::prelude::*;

use crate::charts::canvas::{self, ChartView};
use crate::charts::pane_charts::{CHARTS, CHART_POINTS};
use crate::charts::series::Series;
use crate::stage::dots::DotBudget;
use crate::stage::layout::{layout, Layout};
use crate::stage::paint;
use crate::stage::palette::Theme;
use crate::stage::playback::Playback;
use crate::stage::theme::Look;
use crate::stage::watch::Canvas;

/// Fewest milliseconds between two drawings of a chart for new data (five a
/// second): a chart's minute-long window moves about a pixel in that time,
/// so drawing it at the metrics' own rate (~15 a second) repainted
/// sub-pixel shifts — and on a laptop that composites canvases in software,
/// every drawing is a canvas commit.
const CHART_MS: f64 = 200.0;
/// The same on a machine that had to lower the stage's resolution: two a
/// second.
const SLOW_CHART_MS: f64 = 500.0;

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
    pub tops: [f64; 4],
    /// The view each chart was last drawn with; redrawn when it changes.
    drawn: [ChartView; 4],
    /// New data since each chart was last drawn (kept while it is off
    /// screen, so it is drawn when it comes back).
    charts_dirty: [bool; 4],
    /// The chart whose turn it is to be drawn first.
    next_chart: usize,
    /// When each chart was last drawn (page ms): new data redraws a chart
    /// at most every `CHART_MS`.
    charts_at: [f64; 4],
    /// What the stage showed when last drawn. Unchanged: the frame leaves
    /// the stage alone.
    stage_drawn: Option<StageLook>,
    /// What the clock beside the stage shows (`stage::clock_key`).
    clock_shown: Option<(bool, sim::time::Time)>,
    /// The dot sampling stride of the last stage drawing.
    stride: usize,
    /// How many dots this machine can draw in a frame.
    dots: DotBudget,
    /// Pointer over a chart: (chart, x in CSS px).
    pub hover: Option<(usize, f64)>,
    /// The colours everything is drawn with, and the look they are of.
    theme: Theme,
    look: Look,
    last_ts: Option<f64>,
}

impl Scene {
    pub fn new(reduced_motion: bool) -> Self {
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
            charts_at: [f64::NEG_INFINITY; 4],
            stage_drawn: None,
            clock_shown: None,
            stride: 1,
            dots: if crate::stage::machine::needs_low_resolution() {
                DotBudget::remembered_low()
            } else {
                DotBudget::default()
            },
            hover: None,
            theme: Theme::light(),
            look: Look::Light,
            last_ts: None,
        }
    }

    pub fn hello(&mut self, h: &Hello) {
        self.playback.reset(h);
        self.series.iter_mut().for_each(Series::clear);
        self.tops = [0.0; 4];
        self.charts_dirty = [true; 4];
    }

    /// The run at another moment: the stage as it is there, the charts
    /// starting over from it (their recent past is another stretch of the
    /// run).
    pub fn moment(&mut self, m: &sim::wire::Moment) {
        self.playback.moment(m);
        self.series.iter_mut().for_each(Series::clear);
        self.tops = [0.0; 4];
        self.push_metrics(&m.metrics);
    }

    pub fn push_metrics(&mut self, m: &Snapshot) {
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
        self.tops = std::array::from_fn(|i| canvas::top(&CHARTS[i], &self.series[i]));
        self.charts_dirty = [true; 4];
    }

    /// One animation frame; returns how many messages a dot stands for
    /// (the page's and the server's sampling together). Draws only
    /// canvases that are on screen and whose picture changed.
    pub fn frame(
        &mut self,
        ts: f64,
        canvases: &Canvases,
        shared: [f64; 4],
        zoom: f64,
        predicted_wait: Option<f64>,
        look: Look,
    ) -> usize {
        if look != self.look {
            // Another theme: everything is drawn again in its colours.
            self.look = look;
            self.theme = crate::stage::theme::theme(look);
            self.stage_drawn = None;
            self.charts_dirty = [true; 4];
            self.drawn = [ChartView::default(); 4];
        }
        let dt = self.last_ts.map_or(0.0, |last| ts - last);
        self.last_ts = Some(ts);
        self.playback.advance(dt);
        let dpr = window().device_pixel_ratio().max(1.0);
        let stage_canvas = &canvases.stage;
        let mut drew_stage = false;
        if stage_canvas.visible() {
            let (w, h) = stage_canvas.fit(dpr * self.dots.scale);
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
                paint::shown_time(pb),
                pb.highlight,
                pb.highlight_msg,
                if pb.marks.is_empty() {
                    0
                } else {
                    pb.clock_ms.to_bits()
                },
            );
            if redraw || self.stage_drawn != Some(look) {
                self.stride = paint::draw(
                    &stage_canvas.ctx,
                    &self.layout,
                    pb,
                    self.dots.dots,
                    &self.theme,
                );
                // The interval that ends with this frame paid for the last
                // drawing: near enough, as drawings follow each other.
                if let Some(verdict) = self.dots.took(dt, pb.dots.len().div_ceil(self.stride)) {
                    crate::stage::machine::remember(verdict);
                }
                self.stage_drawn = Some(look);
                drew_stage = true;
            }
        }
        let clock = paint::clock_key(&self.playback);
        if self.clock_shown != Some(clock) {
            self.clock_shown = Some(clock);
            canvases
                .clock
                .set_text_content(Some(&paint::clock_text(&self.playback)));
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
    pub fn draw_charts(
        &mut self,
        canvases: &Canvases,
        dpr: f64,
        shared: [f64; 4],
        zoom: f64,
        predicted_wait: Option<f64>,
        limit: Option<usize>,
    ) {
        let n = canvases.charts.len();
        let now = self.last_ts.unwrap_or(0.0);
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
            let stale = canvas.take_stale();
            let was = &self.drawn[i];
            // The pointer, the type size or the theory line: at once.
            let asked =
                view.hover != was.hover || view.zoom != was.zoom || view.reference != was.reference;
            // New data (and the scale it brings): when the last drawing is
            // old enough, or always when every chart is wanted (an export).
            let data = self.charts_dirty[i] || view.ymax != was.ymax;
            let every = if self.dots.scale < 1.0 {
                SLOW_CHART_MS
            } else {
                CHART_MS
            };
            let due = limit.is_none() || now - self.charts_at[i] >= every;
            if stale || asked || (data && due) {
                canvas::draw(
                    &canvas.ctx,
                    cw,
                    ch,
                    &CHARTS[i],
                    &self.series[i],
                    &view,
                    &self.theme,
                );
                self.drawn[i] = view;
                self.charts_dirty[i] = false;
                self.charts_at[i] = now;
                drawn += 1;
                if limit.is_some_and(|l| drawn >= l) {
                    self.next_chart = (i + 1) % n;
                    return;
                }
            }
        }
    }
}

/// The stage and chart canvases of a pane, watched for visibility and size,
/// and the stage's clock.
pub struct Canvases {
    pub stage: Rc<Canvas>,
    pub charts: Vec<Rc<Canvas>>,
    pub clock: web_sys::HtmlElement,
}

/// Milliseconds on the page's clock (`performance.now()`).
pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// The animation-frame callback, kept where it can re-register itself.
type FrameSlot = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

/// Runs `frame` on every animation frame for the life of the page.
pub fn animate(mut frame: impl FnMut(f64) + 'static) {
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
