//! Canvas line charts (or stacked areas) with axes, units, a legend and a
//! hover read-out.
//!
//! Redrawn when a metrics snapshot arrives, the shared axis moves or the
//! pointer moves (not every animation frame), from a [`Series`].
//! Hand-drawn on a 2D canvas: measured against uPlot and plotters
//! (ARCHITECTURE.md, "Charts"), smaller than both and as fast or faster.

use web_sys::CanvasRenderingContext2d;

use crate::charts::series::{nice_axis, tick_label, Series};
use crate::stage::palette::{Hue, Theme, SERIES};

/// What a chart shows.
pub struct ChartSpec<'a> {
    pub title: &'a str,
    /// Unit of the y axis, shown beside the title.
    pub unit: &'a str,
    pub names: &'a [&'a str],
    /// Dashed lines (e.g. the offered load) by index.
    pub dashed: &'a [usize],
    /// Lines are parts of a whole, drawn as stacked areas.
    pub stacked: bool,
    /// Hues by line; empty: the palette's series hues.
    pub colours: &'a [Hue],
}

fn colour<'t>(spec: &ChartSpec<'_>, i: usize, theme: &'t Theme) -> &'t str {
    theme.hue(
        spec.colours
            .get(i)
            .copied()
            .unwrap_or(SERIES[i % SERIES.len()]),
    )
}

/// How one drawing of a chart looks beyond its data.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChartView {
    /// Top of the y axis before rounding; panes compared side by side share
    /// it so the same height means the same value.
    pub ymax: f64,
    /// Pointer x (CSS px) for the read-out, if the pointer is over the chart.
    pub hover: Option<f64>,
    /// Type size factor (projector mode).
    pub zoom: f64,
    /// A predicted value drawn as a labelled dashed rule (the theory
    /// overlay), in the chart's unit.
    pub reference: Option<f64>,
}

/// The largest value a chart of `spec` shows for `series`.
pub fn top(spec: &ChartSpec<'_>, series: &Series) -> f64 {
    if spec.stacked {
        series.max_sum()
    } else {
        series.max()
    }
}

/// Plot area margins: left, right, top, bottom.
fn margins(zoom: f64) -> (f64, f64, f64, f64) {
    (52.0 * zoom, 12.0, 46.0 * zoom, 28.0 * zoom)
}

/// Draws `series` into a `w`×`h` (CSS pixels) area of `ctx`.
/// `el`'s 2-D context, its backing store sized to its CSS size × the
/// device's pixel ratio and scaled back, with that CSS size: a canvas
/// ready to draw sharply in CSS pixels.
pub fn fit(el: &web_sys::HtmlCanvasElement) -> Option<(CanvasRenderingContext2d, f64, f64)> {
    use wasm_bindgen::JsCast;
    let ctx = el
        .get_context("2d")
        .ok()??
        .dyn_into::<CanvasRenderingContext2d>()
        .ok()?;
    let dpr = web_sys::window()?.device_pixel_ratio().max(1.0);
    let (w, h) = (
        f64::from(el.client_width().max(1)),
        f64::from(el.client_height().max(1)),
    );
    el.set_width((w * dpr).round() as u32);
    el.set_height((h * dpr).round() as u32);
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    Some((ctx, w, h))
}

pub fn draw(
    ctx: &CanvasRenderingContext2d,
    w: f64,
    h: f64,
    spec: &ChartSpec<'_>,
    series: &Series,
    view: &ChartView,
    theme: &Theme,
) {
    // Transparent: the panel behind it (CSS, the system's colour under
    // forced colours) is its background. An opaque fill made Chromium
    // render the axis labels with other antialiasing from one drawing to
    // the next.
    ctx.clear_rect(0.0, 0.0, w, h);
    let z = view.zoom.max(0.5);
    let font = |px: f64, weight: &str| format!("{weight} {:.0}px system-ui, sans-serif", px * z);
    let (left, right, top, bottom) = margins(z);
    let (pw, ph) = ((w - left - right).max(10.0), (h - top - bottom).max(10.0));

    // Title and legend.
    ctx.set_font(&font(13.0, "600"));
    ctx.set_fill_style_str(&theme.ink);
    ctx.set_text_baseline("alphabetic");
    ctx.set_text_align("left");
    let _ = ctx.fill_text(&format!("{} ({})", spec.title, spec.unit), 8.0, 16.0 * z);
    // The legend on its own line under the title, left to right, so it
    // never runs into the title on a narrow chart.
    ctx.set_font(&font(12.0, ""));
    let ly = 33.0 * z;
    let mut x = 8.0;
    for (i, name) in spec.names.iter().enumerate() {
        ctx.set_stroke_style_str(colour(spec, i, theme));
        ctx.set_fill_style_str(colour(spec, i, theme));
        ctx.set_line_width(2.5);
        dash(ctx, series_dash(spec, i));
        if spec.stacked {
            ctx.fill_rect(x, ly - 8.0 * z, 12.0 * z, 9.0 * z);
        } else {
            ctx.begin_path();
            ctx.move_to(x, ly - 4.0 * z);
            ctx.line_to(x + 14.0 * z, ly - 4.0 * z);
            ctx.stroke();
        }
        x += 18.0 * z;
        ctx.set_fill_style_str(&theme.muted);
        let _ = ctx.fill_text(name, x, ly);
        x += ctx.measure_text(name).map(|m| m.width()).unwrap_or(40.0) + 12.0 * z;
    }
    dash(ctx, SOLID);

    // Axes.
    let reference = view.reference.filter(|r| r.is_finite() && *r > 0.0);
    let (step, ymax) = nice_axis(
        self::top(spec, series)
            .max(view.ymax)
            .max(reference.unwrap_or(0.0))
            * 1.05,
        4,
    );
    let (t0, t1) = match (series.t.front(), series.t.back()) {
        (Some(&a), Some(&b)) if b > a => (a, b),
        (Some(&a), _) => (a, a + 1.0),
        _ => (0.0, 1.0),
    };
    ctx.set_line_width(1.0);
    ctx.set_font(&font(11.0, ""));
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    let mut v = 0.0;
    while v <= ymax + step * 0.01 {
        let y = top + ph - v / ymax * ph;
        // Gridlines: the track's colour (3:1), dotted so they stay light.
        ctx.set_stroke_style_str(&theme.track);
        rule(ctx, (left, left + pw), y, DOTTED);
        ctx.set_fill_style_str(&theme.muted);
        let _ = ctx.fill_text(&tick_label(v, step), left - 6.0, y);
        v += step;
    }
    ctx.set_text_align("center");
    ctx.set_text_baseline("top");
    let (tstep, _) = nice_axis(t1 - t0, 5);
    let mut t = (t0 / tstep).ceil() * tstep;
    while t <= t1 {
        let x = left + (t - t0) / (t1 - t0) * pw;
        let _ = ctx.fill_text(&format!("{}s", tick_label(t, tstep)), x, top + ph + 6.0);
        t += tstep;
    }
    ctx.set_stroke_style_str(&theme.muted);
    ctx.begin_path();
    ctx.move_to(left, top);
    ctx.line_to(left, top + ph);
    ctx.line_to(left + pw, top + ph);
    ctx.stroke();

    let x_of = |t: f64| left + (t - t0) / (t1 - t0) * pw;
    let y_of = |v: f64| top + ph - (v / ymax).clamp(0.0, 1.0) * ph;

    if spec.stacked {
        // Areas, bottom part first: each between the running sum before it
        // and the running sum including it.
        let n = series.len();
        let mut below = vec![0.0; n];
        for (i, line) in series.lines.iter().enumerate() {
            let above: Vec<f64> = below.iter().zip(line).map(|(b, v)| b + v).collect();
            ctx.set_fill_style_str(colour(spec, i, theme));
            ctx.set_global_alpha(0.8);
            ctx.begin_path();
            for (k, (&t, &v)) in series.t.iter().zip(&above).enumerate() {
                if k == 0 {
                    ctx.move_to(x_of(t), y_of(v));
                } else {
                    ctx.line_to(x_of(t), y_of(v));
                }
            }
            for (&t, &v) in series.t.iter().zip(&below).rev() {
                ctx.line_to(x_of(t), y_of(v));
            }
            ctx.close_path();
            ctx.fill();
            below = above;
        }
        ctx.set_global_alpha(1.0);
    } else {
        // Lines.
        ctx.set_line_width(2.0);
        ctx.set_line_join("round");
        for (i, line) in series.lines.iter().enumerate() {
            ctx.set_stroke_style_str(colour(spec, i, theme));
            dash(ctx, series_dash(spec, i));
            ctx.begin_path();
            for (k, (&t, &v)) in series.t.iter().zip(line).enumerate() {
                let x = left + (t - t0) / (t1 - t0) * pw;
                let y = top + ph - (v / ymax).min(1.0) * ph;
                if k == 0 {
                    ctx.move_to(x, y);
                } else {
                    ctx.line_to(x, y);
                }
            }
            ctx.stroke();
        }
        dash(ctx, SOLID);
        if let Some(r) = reference {
            let y = y_of(r);
            ctx.set_stroke_style_str(&theme.ink);
            ctx.set_line_width(1.5);
            rule(ctx, (left, left + pw), y, FINE);
            ctx.set_fill_style_str(&theme.ink);
            ctx.set_font(&font(11.0, "600"));
            ctx.set_text_align("right");
            ctx.set_text_baseline("bottom");
            let _ = ctx.fill_text(
                &format!(
                    "theory: mean {} {}",
                    crate::format::fmt_number(r),
                    spec.unit
                ),
                left + pw - 4.0,
                y - 2.0,
            );
        }
    }
    hover(
        ctx,
        (spec, series),
        view,
        theme,
        (left, top, pw, ph),
        x_of,
        &font,
    );
}

/// The pointer's read-out: a rule at the nearest point and its values with
/// units.
fn hover(
    ctx: &CanvasRenderingContext2d,
    (spec, series): (&ChartSpec<'_>, &Series),
    view: &ChartView,
    theme: &Theme,
    (left, top, pw, ph): (f64, f64, f64, f64),
    x_of: impl Fn(f64) -> f64,
    font: &dyn Fn(f64, &str) -> String,
) {
    let Some(px) = view.hover.filter(|&x| x >= left && x <= left + pw) else {
        return;
    };
    let Some(k) = (0..series.len()).min_by(|&a, &b| {
        let da = (x_of(series.t[a]) - px).abs();
        let db = (x_of(series.t[b]) - px).abs();
        da.total_cmp(&db)
    }) else {
        return;
    };
    let x = x_of(series.t[k]);
    ctx.set_stroke_style_str(&theme.ink);
    ctx.set_line_width(1.0);
    ctx.begin_path();
    ctx.move_to(x, top);
    ctx.line_to(x, top + ph);
    ctx.stroke();
    let mut rows = vec![format!("t = {:.1} s", series.t[k])];
    for (i, name) in spec.names.iter().enumerate() {
        let v = series
            .lines
            .get(i)
            .and_then(|l| l.get(k))
            .copied()
            .unwrap_or(0.0);
        rows.push(format!(
            "{name}: {} {}",
            crate::format::fmt_number(v),
            spec.unit
        ));
    }
    ctx.set_font(&font(12.0, ""));
    let line_h = 16.0 * view.zoom.max(0.5);
    let width = rows
        .iter()
        .map(|r| ctx.measure_text(r).map(|m| m.width()).unwrap_or(80.0))
        .fold(0.0, f64::max)
        + 16.0;
    let height = rows.len() as f64 * line_h + 8.0;
    let bx = if x + 10.0 + width > left + pw {
        x - 10.0 - width
    } else {
        x + 10.0
    };
    // The read-out is the theme turned over: ink behind panel-coloured
    // text.
    ctx.set_fill_style_str(&theme.ink);
    ctx.fill_rect(bx, top + 4.0, width, height);
    ctx.set_fill_style_str(&theme.panel);
    ctx.set_text_align("left");
    ctx.set_text_baseline("top");
    for (i, r) in rows.iter().enumerate() {
        let _ = ctx.fill_text(r, bx + 8.0, top + 8.0 + i as f64 * line_h);
    }
}

/// Vertical marks at the virtual seconds `at` over a chart [`draw`] drew
/// with the same size, zoom and series (the live changes on the
/// whole-run chart): a fine dash in the ink, labelled with a small
/// triangle at the top so they read without colour.
pub fn marks(
    ctx: &CanvasRenderingContext2d,
    (w, h): (f64, f64),
    zoom: f64,
    series: &Series,
    at: &[f64],
    theme: &Theme,
) {
    let Some(a) = area((w, h), zoom, series) else {
        return;
    };
    ctx.set_stroke_style_str(&theme.ink);
    ctx.set_fill_style_str(&theme.ink);
    ctx.set_line_width(1.5);
    for &t in at.iter().filter(|&&t| t >= a.t0 && t <= a.t1) {
        let x = a.x(t);
        dash(ctx, FINE);
        ctx.begin_path();
        ctx.move_to(x, a.top);
        ctx.line_to(x, a.top + a.ph);
        ctx.stroke();
        dash(ctx, SOLID);
        ctx.begin_path();
        ctx.move_to(x - 4.0, a.top - 6.0);
        ctx.line_to(x + 4.0, a.top - 6.0);
        ctx.line_to(x, a.top);
        ctx.close_path();
        ctx.fill();
    }
}

/// Where a chart [`draw`] drew puts its plot, and the times it spans.
struct Area {
    left: f64,
    top: f64,
    pw: f64,
    ph: f64,
    t0: f64,
    t1: f64,
}

impl Area {
    /// Where time `t` (inside the span) falls across the plot.
    fn x(&self, t: f64) -> f64 {
        self.left + (t - self.t0) / (self.t1 - self.t0) * self.pw
    }
}

/// The plot area of a `w` × `h` chart of `series`; `None` when it spans
/// no time.
fn area((w, h): (f64, f64), zoom: f64, series: &Series) -> Option<Area> {
    let (left, right, top, bottom) = margins(zoom.max(0.5));
    let (t0, t1) = (*series.t.front()?, *series.t.back()?);
    (t1 > t0).then(|| Area {
        left,
        top,
        pw: (w - left - right).max(10.0),
        ph: (h - top - bottom).max(10.0),
        t0,
        t1,
    })
}

/// Shades the windows `(from, to, name)` (virtual seconds) of a chart
/// [`draw`] drew, each named at its top (a fault's outage, a spike), so
/// they read without colour.
pub fn shade(
    ctx: &CanvasRenderingContext2d,
    (w, h): (f64, f64),
    zoom: f64,
    series: &Series,
    windows: &[(f64, f64, &str)],
    theme: &Theme,
) {
    let Some(a) = area((w, h), zoom, series) else {
        return;
    };
    let x_of = |t: f64| a.x(t.clamp(a.t0, a.t1));
    for &(from, to, name) in windows.iter().filter(|w| w.0 < a.t1 && w.1 > a.t0) {
        let (x0, x1) = (x_of(from), x_of(to));
        ctx.set_global_alpha(0.12);
        ctx.set_fill_style_str(&theme.ink);
        ctx.fill_rect(x0, a.top, (x1 - x0).max(1.0), a.ph);
        ctx.set_global_alpha(1.0);
        ctx.set_fill_style_str(&theme.muted);
        ctx.set_font(&format!(
            "{:.0}px system-ui, sans-serif",
            11.0 * zoom.max(0.5)
        ));
        ctx.set_text_align("left");
        ctx.set_text_baseline("top");
        let _ = ctx.fill_text(name, x0 + 3.0, a.top + 2.0);
    }
}

/// Line dashes: solid, a dashed series (the offered load), a fine dash
/// (the theory's rule) and dots (gridlines).
const SOLID: &[f64] = &[];
const DASHED: &[f64] = &[6.0, 4.0];
const FINE: &[f64] = &[2.0, 4.0];
const DOTTED: &[f64] = &[1.0, 4.0];

/// How series `i` of `spec` is dashed.
fn series_dash(spec: &ChartSpec<'_>, i: usize) -> &'static [f64] {
    if spec.dashed.contains(&i) {
        DASHED
    } else {
        SOLID
    }
}

/// A horizontal line from `x.0` to `x.1` at `y` in the stroke style set,
/// with `pattern`'s dashes (solid again after).
fn rule(ctx: &CanvasRenderingContext2d, (x0, x1): (f64, f64), y: f64, pattern: &[f64]) {
    dash(ctx, pattern);
    ctx.begin_path();
    ctx.move_to(x0, y);
    ctx.line_to(x1, y);
    ctx.stroke();
    dash(ctx, SOLID);
}

fn dash(ctx: &CanvasRenderingContext2d, pattern: &[f64]) {
    let array = js_sys::Array::new();
    for &d in pattern {
        array.push(&d.into());
    }
    let _ = ctx.set_line_dash(&array);
}
