//! The dashboard: stage, live charts, figures, controls and explanation for
//! one pattern, driven by the page's own simulation session.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use sim::metrics::Snapshot;
use sim::run::Theory;
use sim::wire::{Control, Frame, Hello, MAX_SPEED, MIN_SPEED};
use sim::{catalogue, find_pattern, ParamSet, PatternInfo};
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::charts::{self, ChartSpec};
use crate::commands::Commands;
use crate::controls::ParamControl;
use crate::explain::Explanation;
use crate::feed::{Callbacks, ConnState, Feed};
use crate::layout::{layout, Layout};
use crate::palette::{self, Shape};
use crate::playback::Playback;
use crate::series::Series;
use crate::stage;

/// Chart points kept: about 20 s at 15 snapshots a second.
const CHART_POINTS: usize = 300;
/// Speeds offered in the speed menu.
const SPEEDS: [f64; 9] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0];

const WAIT_CHART: ChartSpec<'static> = ChartSpec {
    title: "Waiting time",
    unit: "ms",
    names: &["p50", "p95", "p99"],
    dashed: &[],
};
const RATE_CHART: ChartSpec<'static> = ChartSpec {
    title: "Throughput",
    unit: "per second",
    names: &["offered", "delivered"],
    dashed: &[0],
};

/// Everything the animation frame reads and writes: plain data, no signals.
struct Scene {
    playback: Playback,
    layout: Layout,
    /// (topology generation, width, height) the layout was computed for.
    layout_key: (u64, u64, u64),
    wait: Series,
    rate: Series,
    charts_dirty: bool,
    last_ts: Option<f64>,
}

impl Scene {
    fn new() -> Self {
        Scene {
            playback: Playback::default(),
            layout: Layout::default(),
            layout_key: (u64::MAX, 0, 0),
            wait: Series::new(3, CHART_POINTS),
            rate: Series::new(2, CHART_POINTS),
            charts_dirty: true,
            last_ts: None,
        }
    }

    fn hello(&mut self, h: &Hello) {
        self.playback.reset(h);
        self.wait.clear();
        self.rate.clear();
        self.charts_dirty = true;
    }

    fn push_metrics(&mut self, m: &Snapshot) {
        let t = sim::time::to_secs(m.at);
        self.wait.push(t, &[m.wait.p50, m.wait.p95, m.wait.p99]);
        self.rate.push(t, &[m.offered_per_s, m.throughput_per_s]);
        self.charts_dirty = true;
    }

    /// One animation frame; returns the dot sampling stride.
    fn frame(&mut self, ts: f64, canvases: &Canvases) -> usize {
        let dt = self.last_ts.map_or(0.0, |last| ts - last);
        self.last_ts = Some(ts);
        self.playback.advance(dt);
        let (w, h, resized) = fit(&canvases.stage.0, &canvases.stage.1);
        let key = (self.playback.generation, w as u64, h as u64);
        if key != self.layout_key || resized {
            self.layout = layout(&self.playback.topology, w, h);
            self.layout_key = key;
        }
        let stride = stage::draw(&canvases.stage.1, &self.layout, &self.playback);
        for (canvas, series, spec) in [
            (&canvases.wait, &self.wait, &WAIT_CHART),
            (&canvases.rate, &self.rate, &RATE_CHART),
        ] {
            let (cw, ch, resized) = fit(&canvas.0, &canvas.1);
            if self.charts_dirty || resized {
                charts::draw(&canvas.1, cw, ch, spec, series);
            }
        }
        self.charts_dirty = false;
        stride
    }
}

/// The three canvases with their 2D contexts.
struct Canvases {
    stage: (HtmlCanvasElement, CanvasRenderingContext2d),
    wait: (HtmlCanvasElement, CanvasRenderingContext2d),
    rate: (HtmlCanvasElement, CanvasRenderingContext2d),
}

fn context(c: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    c.get_context("2d").ok()??.dyn_into().ok()
}

/// Matches the canvas's backing store to its CSS size and the device pixel
/// ratio. Returns the CSS size and whether it changed.
fn fit(c: &HtmlCanvasElement, ctx: &CanvasRenderingContext2d) -> (f64, f64, bool) {
    let dpr = window().device_pixel_ratio().max(1.0);
    let (w, h) = (
        c.client_width().max(1) as f64,
        c.client_height().max(1) as f64,
    );
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    let resized = c.width() != pw || c.height() != ph;
    if resized {
        c.set_width(pw);
        c.set_height(ph);
    }
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    (w, h, resized)
}

/// The query string that reproduces these settings (non-defaults only).
fn settings_query(info: &PatternInfo, values: &[f64], seed: u64) -> String {
    let mut q = format!("pattern={}&seed={seed}", info.id);
    for (spec, &v) in info.params.iter().zip(values) {
        if v != spec.default_value() {
            q.push_str(&format!("&{}={}", spec.id, spec.format(v)));
        }
    }
    q
}

/// Settings read from a shared link.
struct UrlSettings {
    info: &'static PatternInfo,
    values: Vec<f64>,
    seed: u64,
    /// What in the link was refused, in the words of the validation.
    problems: Vec<String>,
}

/// Reads settings from the page's URL (a shared link); problems become a notice.
fn settings_from_url(default: &'static PatternInfo) -> UrlSettings {
    let search = window().location().search().unwrap_or_default();
    let pairs: Vec<(String, String)> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = js_sys::decode_uri_component(v)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default();
            (k.to_string(), v)
        })
        .collect();
    let mut problems = Vec::new();
    let info = match pairs.iter().find(|(k, _)| k == "pattern") {
        Some((_, id)) => find_pattern(id).unwrap_or_else(|e| {
            problems.push(e.to_string());
            default
        }),
        None => default,
    };
    let mut params = info.defaults();
    let mut seed = 1;
    for (k, v) in &pairs {
        match k.as_str() {
            "pattern" => {}
            "seed" => match v.parse() {
                Ok(s) => seed = s,
                Err(_) => problems.push(format!("seed = '{v}' is not a whole number")),
            },
            _ => {
                if let Err(e) = params.set_str(k, v) {
                    problems.push(e.to_string());
                }
            }
        }
    }
    UrlSettings {
        info,
        values: params.values().to_vec(),
        seed,
        problems,
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

fn replace_url(query: &str) {
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("?{query}")));
    }
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

fn fmt_rate(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The closed-form prediction in words.
fn theory_text(theory: Option<Theory>) -> String {
    let Some(t) = theory else {
        return "Theory: no closed form is shown for this pattern with these settings.".to_string();
    };
    let capacity = if t.stable_below_per_s.is_finite() {
        format!(
            " Stable below {} {}.",
            fmt_rate(t.stable_below_per_s),
            t.rate_unit
        )
    } else {
        String::new()
    };
    let rho = if t.stable_below_per_s.is_finite() {
        format!("ρ = {:.2}, ", t.utilisation)
    } else {
        String::new()
    };
    match t.mean_wait_ms {
        Some(w) => format!(
            "Theory ({}): {rho}mean wait ≈ {} (ignoring timeouts and the queue limit).{capacity}",
            t.model,
            fmt_ms(w)
        ),
        None => format!(
            "Theory ({}): {rho}≥ 1 — the service cannot keep up; without a queue limit the wait would grow without bound.{capacity}",
            t.model
        ),
    }
}

/// "12 (timeout 3, lost 9)": a total and its non-zero reasons.
fn by_reason(total: u64, counts: &[u64], names: &[&str]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(counts)
        .filter(|(_, &n)| n > 0)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    if parts.is_empty() {
        total.to_string()
    } else {
        format!("{total} ({})", parts.join(", "))
    }
}

fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let pattern = RwSignal::new(catalogue()[0]);
    let values = RwSignal::new(catalogue()[0].defaults().values().to_vec());
    let metrics = RwSignal::new(None::<Snapshot>);
    let conn = RwSignal::new(ConnState::Connecting);
    let playing = RwSignal::new(true);
    let speed = RwSignal::new(1.0f64);
    let seed = RwSignal::new(1u64);
    let run = RwSignal::new(0u32);
    let stride = RwSignal::new(1usize);
    let coalesced = RwSignal::new(0u64);
    let notice = RwSignal::new(None::<String>);
    let commands = Commands::new(notice);
    let started = StoredValue::new(false);
    // A play/pause the user asked for that the server has not confirmed yet:
    // (wanted state, ticks seen since). Ticks already in flight still carry
    // the old state and must not flip the button back.
    let pending_play = StoredValue::new(None::<(bool, u32)>);

    let stage_ref = NodeRef::<html::Canvas>::new();
    let wait_ref = NodeRef::<html::Canvas>::new();
    let rate_ref = NodeRef::<html::Canvas>::new();

    // Browser only: connect and start drawing once the canvases exist.
    Effect::new(move |_| {
        let (Some(stage), Some(wait), Some(rate)) =
            (stage_ref.get(), wait_ref.get(), rate_ref.get())
        else {
            return;
        };
        if started.get_value() {
            return;
        }
        started.set_value(true);
        let (Some(sc), Some(wc), Some(rc)) = (context(&stage), context(&wait), context(&rate))
        else {
            notice.set(Some("This browser cannot draw on a canvas.".into()));
            return;
        };
        let canvases = Canvases {
            stage: (stage, sc),
            wait: (wait, wc),
            rate: (rate, rc),
        };
        let from_url = settings_from_url(catalogue()[0]);
        pattern.set(from_url.info);
        values.set(from_url.values);
        seed.set(from_url.seed);
        if !from_url.problems.is_empty() {
            notice.set(Some(from_url.problems.join("; ")));
        }

        let scene = Rc::new(RefCell::new(Scene::new()));
        let on_frame = {
            let scene = scene.clone();
            move |frame: Frame<'static>| match frame {
                Frame::Hello(h) => {
                    scene.borrow_mut().hello(&h);
                    let info = find_pattern(&h.pattern).unwrap_or(catalogue()[0]);
                    pattern.set(info);
                    run.set(h.run);
                    playing.set(h.playing);
                    pending_play.set_value(None);
                    speed.set(h.speed);
                    seed.set(h.seed);
                    replace_url(&settings_query(info, &h.values, h.seed));
                    values.set(h.values);
                    metrics.set(None);
                    coalesced.set(0);
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
                        if let Some(m) = t.metrics {
                            metrics.set(Some(m));
                        }
                        let confirmed = match pending_play.get_value() {
                            Some((want, seen)) if t.playing != want && seen < 60 => {
                                pending_play.set_value(Some((want, seen + 1)));
                                false
                            }
                            _ => {
                                pending_play.set_value(None);
                                true
                            }
                        };
                        if confirmed && playing.get_untracked() != t.playing {
                            playing.set(t.playing);
                        }
                        if t.coalesced > 0 {
                            coalesced.update(|c| *c += t.coalesced);
                        }
                    }
                }
                Frame::Params { run: r, values: vs } => {
                    if r == run.get_untracked() {
                        replace_url(&settings_query(
                            pattern.get_untracked(),
                            &vs,
                            seed.get_untracked(),
                        ));
                        values.set(vs);
                    }
                }
            }
        };
        let feed = Feed::connect(Callbacks {
            url: Box::new(move || {
                ws_url(&settings_query(
                    pattern.get_untracked(),
                    &values.get_untracked(),
                    seed.get_untracked(),
                ))
            }),
            on_frame: Box::new(on_frame),
            on_error: Box::new(move |m| notice.set(Some(m))),
            on_state: Box::new(move |s| conn.set(s)),
        });
        commands.attach(feed);
        animate(move |ts| {
            let s = scene.borrow_mut().frame(ts, &canvases);
            if s != stride.get_untracked() {
                stride.set(s);
            }
        });
    });

    // Keyboard: space plays or pauses unless typing in a field.
    let toggle = move || {
        let next = !playing.get_untracked();
        playing.set(next);
        pending_play.set_value(Some((next, 0)));
        commands.send(if next { Control::Play } else { Control::Pause });
    };
    let _keys = window_event_listener(leptos::ev::keydown, move |e| {
        let typing = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| {
                matches!(
                    el.tag_name().as_str(),
                    "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"
                )
            });
        if e.key() == " " && !typing {
            e.prevent_default();
            toggle();
        }
    });

    // A notice disappears after a while.
    Effect::new(move |_| {
        if notice.with(Option::is_some) {
            set_timeout(move || notice.set(None), std::time::Duration::from_secs(8));
        }
    });

    let theory = Memo::new(move |_| {
        let mut p: ParamSet = pattern.get().defaults();
        values.with(|v| p.set_all(v).ok())?;
        Theory::for_params(&p)
    });
    let m = move || metrics.get().unwrap_or_default();

    view! {
        <div class="page">
            <header class="topbar">
                <h1>"Switchboard"</h1>
                <span class="subtitle">"a live lab for API communication patterns"</span>
                <label class="pattern-picker">
                    <span class="visually-hidden">"Pattern"</span>
                    <select
                        data-testid="pattern-picker"
                        aria-label="Communication pattern"
                        on:change=move |ev| {
                            commands.send(Control::Pattern { id: event_target_value(&ev) });
                        }
                    >
                        {catalogue()
                            .iter()
                            .map(|p| {
                                view! {
                                    <option value=p.id selected=move || pattern.get().id == p.id>
                                        {p.name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <ConnBadge conn />
            </header>

            <main class="layout">
                <section class="panel stage-panel" aria-label="Animation of messages between nodes">
                    <div class="transport" role="toolbar" aria-label="Playback">
                        <button
                            class="primary"
                            data-testid="play"
                            aria-pressed=move || (!playing.get()).to_string()
                            on:click=move |_| toggle()
                        >
                            {move || if playing.get() { "❚❚ Pause" } else { "▶ Play" }}
                        </button>
                        <button
                            data-testid="step"
                            disabled=move || playing.get()
                            title="Run exactly the next scheduled action"
                            on:click=move |_| commands.send(Control::Step)
                        >
                            "Step"
                        </button>
                        <label class="speed">
                            "Speed "
                            <select
                                data-testid="speed"
                                on:change=move |ev| {
                                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                        let v = v.clamp(MIN_SPEED, MAX_SPEED);
                                        speed.set(v);
                                        commands.send(Control::Speed { value: v });
                                    }
                                }
                            >
                                {SPEEDS
                                    .iter()
                                    .map(|&s| {
                                        view! {
                                            <option value=s.to_string() selected=move || speed.get() == s>
                                                {format!("{s}×")}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        <button
                            title="Start the same run again from t = 0"
                            on:click=move |_| commands.send(Control::Reset { seed: None })
                        >
                            "↺ Reset"
                        </button>
                        <button
                            title="Start a new run with a fresh random seed"
                            on:click=move |_| {
                                let s = (js_sys::Math::random() * 1e9) as u64;
                                commands.send(Control::Reset { seed: Some(s) });
                            }
                        >
                            "New seed"
                        </button>
                        <span class="seed" data-testid="seed">{move || format!("seed {}", seed.get())}</span>
                    </div>
                    <div class="stage-wrap">
                        <canvas node_ref=stage_ref class="stage" data-testid="stage" aria-label="Messages in flight"></canvas>
                        <div class="stage-notes">
                            <Show when=move || { stride.get() > 1 }>
                                <span class="sampling" data-testid="sampling">
                                    {move || format!("1 dot = {} messages", stride.get())}
                                </span>
                            </Show>
                            <Show when=move || { coalesced.get() > 0 }>
                                <span class="coalesced" title="The viewer fell behind; these events were not drawn. Metrics include them.">
                                    {move || format!("{} events not drawn", coalesced.get())}
                                </span>
                            </Show>
                        </div>
                    </div>
                    <Legend pattern />
                </section>

                <section class="panel charts" aria-label="Live charts">
                    <canvas node_ref=wait_ref class="chart" data-testid="wait-chart" aria-label="Waiting time p50, p95 and p99 in milliseconds"></canvas>
                    <canvas node_ref=rate_ref class="chart" data-testid="rate-chart" aria-label="Offered and completed requests per second"></canvas>
                </section>

                <section class="panel figures" aria-label="Figures">
                    <div class="tiles">
                        <Tile label="Offered" unit="per s" testid="offered" value=Signal::derive(move || fmt_rate(m().offered_per_s)) />
                        <Tile label="Delivered" unit="useful per s" testid="throughput" value=Signal::derive(move || fmt_rate(m().throughput_per_s)) />
                        <Tile label="Wait p50" unit="" testid="p50" value=Signal::derive(move || fmt_ms(m().wait.p50)) />
                        <Tile label="Wait p95" unit="" testid="p95" value=Signal::derive(move || fmt_ms(m().wait.p95)) />
                        <Tile label="Wait p99" unit="" testid="p99" value=Signal::derive(move || fmt_ms(m().wait.p99)) />
                        <Tile label="Utilisation" unit="%" testid="utilisation" value=Signal::derive(move || format!("{:.0}", m().utilisation * 100.0)) />
                        <Tile label="Queue" unit="waiting" testid="queue" value=Signal::derive(move || m().queue_depth.to_string()) />
                        <Tile label="In flight" unit="msgs" testid="in-flight" value=Signal::derive(move || m().in_flight.to_string()) />
                        <Tile label="On the wire" unit="msgs/s" testid="wire" value=Signal::derive(move || fmt_rate(m().wire_per_s)) />
                        {move || {
                            let info = pattern.get();
                            let mut p = info.defaults();
                            values.with(|v| p.set_all(v).ok());
                            (info.figures)(&m(), &p)
                                .into_iter()
                                .map(|f| {
                                    let value = if f.value.fract() == 0.0 && f.value.abs() < 1e12 {
                                        format!("{}", f.value as i64)
                                    } else {
                                        fmt_rate(f.value)
                                    };
                                    view! {
                                        <div class="tile pattern-figure">
                                            <span class="tile-label">{f.label}</span>
                                            <span class="tile-value" data-testid=format!("figure-{}", f.id)>{value}</span>
                                            <span class="tile-unit">{f.unit}</span>
                                        </div>
                                    }
                                })
                                .collect_view()
                        }}
                    </div>
                    <dl class="totals" data-testid="totals">
                        <dt>"delivered"</dt>
                        <dd data-testid="completed">{move || m().totals.completed}</dd>
                        <dt>"failed"</dt>
                        <dd>{move || by_reason(m().totals.failed, &m().totals.failed_by, &["timeout", "503", "lost", "dead-lettered", "compensated"])}</dd>
                        <dt>"dropped"</dt>
                        <dd>{move || { let d = m().totals.dropped; by_reason(d.iter().sum(), &d, &["lost on a link", "queue full", "late", "disconnected", "crashed consumer", "dead-lettered", "service down", "buffer overflow"]) }}</dd>
                        <dt>"mean wait (whole run)"</dt>
                        <dd data-testid="mean-wait">{move || fmt_ms(m().overall.mean)}</dd>
                    </dl>
                    <Show when=move || { m().wait_hist.iter().any(|&n| n > 0) }>
                        <WaitHistogram hist=Signal::derive(move || m().wait_hist) />
                    </Show>
                    <Show when=move || { m().breakdown.count > 0 }>
                        <WaitBreakdown breakdown=Signal::derive(move || m().breakdown) />
                    </Show>
                    <p class="theory" data-testid="theory">
                        {move || theory_text(theory.get())}
                    </p>
                </section>

                <section class="panel controls" aria-label="Parameters">
                    <h2>"Parameters"</h2>
                    {move || {
                        pattern
                            .get()
                            .params
                            .iter()
                            .enumerate()
                            .map(|(index, spec)| view! { <ParamControl spec index values commands /> })
                            .collect_view()
                    }}
                </section>

                {move || view! { <Explanation info=pattern.get() /> }}
            </main>
            <Show when=move || notice.with(Option::is_some)>
                <div class="notice" role="alert" data-testid="notice">
                    {move || notice.get().unwrap_or_default()}
                    <button aria-label="Dismiss" on:click=move |_| notice.set(None)>"×"</button>
                </div>
            </Show>
        </div>
    }
}

/// Short label of a histogram bin's upper edge.
fn edge_label(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{}s", ms / 1000.0)
    } else {
        format!("{ms}")
    }
}

/// The waiting-time histogram of the last second, as DOM bars (17 of them,
/// refreshed with the metrics — not per message).
#[component]
fn WaitHistogram(hist: Signal<sim::metrics::WaitHistogram>) -> impl IntoView {
    let edges = sim::metrics::HIST_EDGES_MS;
    view! {
        <div class="histogram" data-testid="histogram">
            <span class="breakdown-title">"Waiting-time histogram (last second, ms)"</span>
            <div class="hist-bars" role="img" aria-label="Waiting-time histogram">
                {move || {
                    let h = hist.get();
                    let max = h.iter().copied().max().unwrap_or(1).max(1) as f64;
                    h.iter()
                        .enumerate()
                        .map(|(i, &n)| {
                            let range = match i {
                                0 => format!("< {} ms", edges[0]),
                                16 => format!("≥ {} ms", edges[15]),
                                _ => format!("{}–{} ms", edges[i - 1], edges[i]),
                            };
                            let style = format!("height: {:.1}%", 100.0 * n as f64 / max);
                            view! { <span class="hist-bar" style=style title=format!("{range}: {n}")></span> }
                        })
                        .collect_view()
                }}
            </div>
            <div class="hist-axis">
                {(0..17)
                    .map(|i| {
                        // Every third bar is labelled with its upper edge.
                        let text = if i % 3 == 0 && i < 16 { format!("<{}", edge_label(edges[i])) } else { String::new() };
                        view! { <span>{text}</span> }
                    })
                    .collect_view()}
            </div>
        </div>
    }
}

/// Where the wait goes over the last second, as a stacked bar.
#[component]
fn WaitBreakdown(breakdown: Signal<sim::metrics::Breakdown>) -> impl IntoView {
    let parts = move || {
        let b = breakdown.get();
        [
            ("network", b.network, palette::SKY),
            ("queue", b.queue, palette::ORANGE),
            ("service", b.service, palette::BLUE),
            ("timeouts & retries", b.other, palette::VERMILLION),
        ]
    };
    let total = move || parts().iter().map(|p| p.1).sum::<f64>().max(1e-9);
    view! {
        <div class="breakdown" data-testid="breakdown">
            <span class="breakdown-title">"Where the wait goes (last second)"</span>
            <div class="breakdown-bar" role="img" aria-label=move || {
                parts().iter().map(|(n, v, _)| format!("{n} {}", fmt_ms(*v))).collect::<Vec<_>>().join(", ")
            }>
                {move || {
                    let t = total();
                    parts()
                        .into_iter()
                        .filter(|p| p.1 > 0.0)
                        .map(|(name, v, colour)| {
                            let style = format!("width: {:.2}%; background: {colour}", 100.0 * v / t);
                            view! { <span class="segment" style=style title=format!("{name}: {}", fmt_ms(v))></span> }
                        })
                        .collect_view()
                }}
            </div>
            <ul class="breakdown-legend">
                {move || {
                    parts()
                        .into_iter()
                        .map(|(name, v, colour)| {
                            view! {
                                <li>
                                    <span class="swatch" style=format!("background: {colour}")></span>
                                    {format!("{name} {}", fmt_ms(v))}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}

#[component]
fn Tile(
    label: &'static str,
    unit: &'static str,
    testid: &'static str,
    value: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="tile">
            <span class="tile-label">{label}</span>
            <span class="tile-value" data-testid=testid>{move || value.get()}</span>
            <span class="tile-unit">{unit}</span>
        </div>
    }
}

#[component]
fn ConnBadge(conn: RwSignal<ConnState>) -> impl IntoView {
    let text = move || match conn.get() {
        ConnState::Connecting => "connecting…".to_string(),
        ConnState::Live => "live".to_string(),
        ConnState::Reconnecting { attempt, in_ms } => {
            format!(
                "reconnecting in {:.1} s (attempt {attempt})",
                in_ms as f64 / 1000.0
            )
        }
    };
    let class = move || match conn.get() {
        ConnState::Live => "conn live",
        ConnState::Connecting => "conn connecting",
        ConnState::Reconnecting { .. } => "conn down",
    };
    view! {
        <span class=class data-testid="connection" role="status" aria-live="polite">{text}</span>
    }
}

/// A small SVG of a message kind's shape in its colour.
fn glyph(colour: &'static str, shape: Shape, hollow: bool) -> impl IntoView {
    let (fill, stroke) = if hollow {
        ("none", colour)
    } else {
        (colour, "none")
    };
    let body = match shape {
        Shape::Circle => view! { <circle cx="7" cy="7" r="5" fill=fill stroke=stroke stroke-width="1.5" /> }.into_any(),
        Shape::Square => view! { <rect x="2.5" y="2.5" width="9" height="9" fill=fill stroke=stroke stroke-width="1.5" /> }.into_any(),
        Shape::Triangle => view! { <polygon points="7,1.5 12.5,11.5 1.5,11.5" fill=fill stroke=stroke stroke-width="1.5" /> }.into_any(),
        Shape::Diamond => view! { <polygon points="7,1 13,7 7,13 1,7" fill=fill stroke=stroke stroke-width="1.5" /> }.into_any(),
    };
    view! { <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">{body}</svg> }
}

#[component]
fn Legend(pattern: RwSignal<&'static PatternInfo>) -> impl IntoView {
    view! {
        <ul class="legend" aria-label="Legend" data-testid="legend">
            {move || {
                pattern
                    .get()
                    .kinds
                    .iter()
                    .map(|&k| {
                        let (c, s) = palette::style(k);
                        view! { <li>{glyph(c, s, false)}{k.label()}</li> }
                    })
                    .collect_view()
            }}
            <li>{glyph(palette::BLUE, Shape::Circle, true)}"will be lost"</li>
            <li><span class="mark-x" aria-hidden="true">"✕"</span>"dropped / failed"</li>
            <li><span class="mark-ring timeout" aria-hidden="true"></span>"timed out"</li>
            <li><span class="mark-ring done" aria-hidden="true"></span>"completed"</li>
            <li><span class="mark-queue" aria-hidden="true"></span>"waiting in queue"</li>
        </ul>
    }
}
