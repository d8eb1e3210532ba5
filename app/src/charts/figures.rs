//! The figures of a pane: tiles, totals, the waiting-time histogram, the
//! breakdown bar, the pattern's own figures — and the small shared pieces
//! (legend, connection badge).

use leptos::prelude::*;
use sim::catalogue::Figure;
use sim::metrics::Snapshot;
use sim::{DropReason, FailReason, PatternInfo};

use crate::format::{fmt_ms, fmt_number};
use crate::pane::feed::ConnState;
use crate::stage::palette::{self, Hue, Shape};

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

/// The tiles, totals, histogram and breakdown of a pane's `metrics`, with
/// the pattern's `own` figures among the tiles.
#[component]
pub fn Figures(metrics: Signal<Snapshot>, own: Signal<Vec<Figure>>) -> impl IntoView {
    let m = move || metrics.get();
    let own_ids = Memo::new(move |_| own.with(|v| v.iter().map(|f| f.id).collect::<Vec<_>>()));
    // Rebuilt only when they appear or go, not for every snapshot.
    let has_waits = Memo::new(move |_| metrics.with(|m| m.wait_hist.iter().any(|&n| n > 0)));
    let has_breakdown = Memo::new(move |_| metrics.with(|m| m.breakdown.count > 0));
    view! {
                    <div class="tiles">
                        <Tile label="Offered" unit="per s" testid="offered" value=Signal::derive(move || fmt_number(m().offered_per_s)) />
                        <Tile label="Delivered" unit="useful per s" testid="throughput" value=Signal::derive(move || fmt_number(m().throughput_per_s)) />
                        <Tile label="Wait p50" unit="" testid="p50" value=Signal::derive(move || fmt_ms(m().wait.p50)) />
                        <Tile label="Wait p95" unit="" testid="p95" value=Signal::derive(move || fmt_ms(m().wait.p95)) />
                        <Tile label="Wait p99" unit="" testid="p99" value=Signal::derive(move || fmt_ms(m().wait.p99)) />
                        <Tile label="Utilisation" unit="%" testid="utilisation" value=Signal::derive(move || format!("{:.0}", m().utilisation * 100.0)) />
                        <Tile label="Queue" unit="waiting" testid="queue" value=Signal::derive(move || m().queue_depth.to_string()) />
                        <Tile label="In flight" unit="msgs" testid="in-flight" value=Signal::derive(move || m().in_flight.to_string()) />
                        <Tile label="On the wire" unit="msgs/s" testid="wire" value=Signal::derive(move || fmt_number(m().wire_per_s)) />
                        // Built again only when the pattern's figures change
                        // (another pattern); a snapshot changes only values.
                        {move || {
                            own_ids
                                .get()
                                .into_iter()
                                .filter_map(|id| own.with_untracked(|v| own_figure(v, id)))
                                .map(|f| {
                                    let value = move || own.with(|v| own_figure(v, f.id).map(|f| figure_text(f.value)));
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
                        <dd>{move || by_reason(m().totals.failed, &m().totals.failed_by, &FailReason::ALL.map(FailReason::label))}</dd>
                        <dt>"dropped"</dt>
                        <dd>{move || { let d = m().totals.dropped; by_reason(d.iter().sum(), &d, &DropReason::ALL.map(DropReason::label)) }}</dd>
                        <dt>"mean wait (whole run)"</dt>
                        <dd data-testid="mean-wait">{move || fmt_ms(m().overall.mean)}</dd>
                    </dl>
                    {move || has_waits.get().then(|| view! {
                        <WaitHistogram hist=Signal::derive(move || m().wait_hist) />
                    }.into_any())}
                    {move || has_breakdown.get().then(|| view! {
                        <WaitBreakdown breakdown=Signal::derive(move || m().breakdown) />
                    }.into_any())}
    }
    .into_any()
}

/// The figures a class must read from the back row, for one pane: the
/// scenario's "what to watch" figures when a scenario is open (`ids`),
/// otherwise the waiting time's p50 and p99 and the pattern's own first
/// figure. Large in projector mode, beside the stage.
///
/// Ids: `p50`, `p99`, `throughput`, `wire-per-delivery`, `queue`, `failed`,
/// or `figure:<id>` for one of the pattern's own figures (skipped where the
/// pane's pattern has none of that id).
#[component]
pub fn Headline(
    metrics: Signal<Snapshot>,
    own: Signal<Vec<Figure>>,
    ids: Signal<&'static [&'static str]>,
) -> impl IntoView {
    // The figures chosen: rebuilt only when the choice or the pattern's
    // figures change; each snapshot changes only the values.
    let chosen = Memo::new(move |_| {
        own.with(|own| {
            let list: Vec<&'static str> = match ids.get() {
                [] => ["p50", "p99"]
                    .into_iter()
                    .chain(own.first().map(|f| f.id))
                    .collect(),
                list => list
                    .iter()
                    .map(|id| id.strip_prefix("figure:").unwrap_or(id))
                    .collect(),
            };
            list.into_iter()
                .filter(|id| common_headline(id).is_some() || own_figure(own, id).is_some())
                .collect::<Vec<_>>()
        })
    });
    let items = move || {
        chosen
            .get()
            .into_iter()
            .map(|id| {
                let (label, unit) = match common_headline(id) {
                    Some(&(_, label, unit)) => (label, unit),
                    None => own.with_untracked(|v| {
                        own_figure(v, id).map_or(("", ""), |f| (f.label, f.unit))
                    }),
                };
                let value = move || metrics.with(|m| own.with(|o| headline_value(id, m, o)));
                view! {
                    <div class="headline-item">
                        <span class="headline-label">{label}</span>
                        <span class="headline-value" data-testid=format!("headline-{id}")>{value}</span>
                        <span class="headline-unit">{unit}</span>
                    </div>
                }
            })
            .collect_view()
    };
    view! { <div class="headline" data-testid="headline" aria-label="Headline figures">{items}</div> }
}

/// The headline figures that are not a pattern's own: (id, label, unit).
pub const COMMON_HEADLINES: [(&str, &str, &str); 6] = [
    ("p50", "Wait p50", ""),
    ("p99", "Wait p99", ""),
    ("throughput", "Delivered", "per s"),
    ("wire-per-delivery", "Wire per delivery", "msgs"),
    ("queue", "Queue", "waiting"),
    ("failed", "Failed", "so far"),
];

/// The common headline figure `id`, if it is one.
pub fn common_headline(id: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    COMMON_HEADLINES.iter().find(|h| h.0 == id)
}

/// The text of headline figure `id` for snapshot `m` and figures `own`.
fn headline_value(id: &str, m: &Snapshot, own: &[Figure]) -> String {
    match id {
        "p50" => fmt_ms(m.wait.p50),
        "p99" => fmt_ms(m.wait.p99),
        "throughput" => fmt_number(m.throughput_per_s),
        "wire-per-delivery" if m.throughput_per_s > 0.0 => {
            fmt_number(m.wire_per_s / m.throughput_per_s)
        }
        "wire-per-delivery" => "–".into(),
        "queue" => m.queue_depth.to_string(),
        "failed" => m.totals.failed.to_string(),
        other => own_figure(own, other).map_or_else(String::new, |f| figure_text(f.value)),
    }
}

/// The pattern's own figure `id` in `own`, if it has one.
fn own_figure(own: &[Figure], id: &str) -> Option<Figure> {
    own.iter().find(|f| f.id == id).copied()
}

/// A pattern figure's value as shown: whole numbers without decimals.
fn figure_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{}", v as i64)
    } else {
        fmt_number(v)
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
            ("network", b.network, Hue::Sky.var()),
            ("queue", b.queue, Hue::Orange.var()),
            ("service", b.service, Hue::Blue.var()),
            (
                "other: gaps, retries, timeouts",
                b.other,
                Hue::Vermillion.var(),
            ),
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
pub fn ConnBadge(conn: RwSignal<ConnState>) -> impl IntoView {
    let text = move || match conn.get() {
        ConnState::Connecting => "connecting…".to_string(),
        ConnState::Live => "live".to_string(),
        ConnState::Reconnecting {
            attempt,
            in_ms,
            reason,
        } => {
            let why = reason.map(|r| format!("{r} — ")).unwrap_or_default();
            format!(
                "{why}reconnecting in {:.1} s (attempt {attempt})",
                in_ms as f64 / 1000.0
            )
        }
        ConnState::Ended => "ended".to_string(),
    };
    let class = move || {
        conn.with(|c| match c {
            ConnState::Live => "conn live",
            ConnState::Connecting => "conn connecting",
            ConnState::Reconnecting { .. } | ConnState::Ended => "conn down",
        })
    };
    view! {
        <span class=class data-testid="connection">{text}</span>
    }
}

/// A small SVG of a message kind's shape in its hue (the theme's, through
/// the page's CSS variables).
fn glyph(hue: Hue, shape: Shape, hollow: bool) -> impl IntoView {
    let style = if hollow {
        format!("fill: none; stroke: {}", hue.var())
    } else {
        format!("fill: {}; stroke: none", hue.var())
    };
    // One element for every shape (a path), so the legend is one view type.
    let d = match shape {
        Shape::Circle => "M2,7a5,5 0 1,0 10,0a5,5 0 1,0 -10,0Z",
        Shape::Square => "M2.5,2.5h9v9h-9Z",
        Shape::Triangle => "M7,1.5L12.5,11.5L1.5,11.5Z",
        Shape::Diamond => "M7,1L13,7L7,13L1,7Z",
    };
    view! {
        <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
            <path d=d style=style stroke-width="1.5" />
        </svg>
    }
}

#[component]
pub fn Legend(pattern: RwSignal<&'static PatternInfo>) -> impl IntoView {
    view! {
        <ul class="legend" aria-label="Legend" data-testid="legend">
            {move || {
                pattern
                    .get()
                    .lesson.kinds
                    .iter()
                    .map(|&k| {
                        let (c, s) = palette::style(k);
                        view! { <li>{glyph(c, s, false)}{k.label()}</li> }
                    })
                    .collect_view()
            }}
            <li>{glyph(Hue::Blue, Shape::Circle, true)}"will be lost"</li>
            <li><span class="mark-x" aria-hidden="true">"✕"</span>"dropped / failed"</li>
            <li><span class="mark-ring timeout" aria-hidden="true"></span>"timed out"</li>
            <li><span class="mark-ring done" aria-hidden="true"></span>"completed"</li>
            <li><span class="mark-queue" aria-hidden="true"></span>"waiting in queue"</li>
        </ul>
    }
}
