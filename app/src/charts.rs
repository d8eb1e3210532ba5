//! Canvas line charts with axes, units and a legend.
//!
//! Redrawn when a metrics snapshot arrives (not every animation frame), from
//! a [`Series`]. Hand-drawn on a 2D canvas: two charts do not justify a
//! plotting library in the WASM bundle.

use web_sys::CanvasRenderingContext2d;

use crate::palette::{GRID, INK, MUTED, SERIES};
use crate::series::{nice_axis, tick_label, Series};

/// What a chart shows.
pub struct ChartSpec<'a> {
    pub title: &'a str,
    /// Unit of the y axis, shown beside the title.
    pub unit: &'a str,
    pub names: &'a [&'a str],
    /// Dashed lines (e.g. the offered load) by index.
    pub dashed: &'a [usize],
}

/// Draws `series` into a `w`×`h` (CSS pixels) area of `ctx`.
pub fn draw(ctx: &CanvasRenderingContext2d, w: f64, h: f64, spec: &ChartSpec<'_>, series: &Series) {
    ctx.clear_rect(0.0, 0.0, w, h);
    let (left, right, top, bottom) = (52.0, 12.0, 30.0, 28.0);
    let (pw, ph) = ((w - left - right).max(10.0), (h - top - bottom).max(10.0));

    // Title and legend.
    ctx.set_font("600 13px system-ui, sans-serif");
    ctx.set_fill_style_str(INK);
    ctx.set_text_baseline("alphabetic");
    ctx.set_text_align("left");
    let _ = ctx.fill_text(&format!("{} ({})", spec.title, spec.unit), left, 16.0);
    ctx.set_font("12px system-ui, sans-serif");
    let mut x = w - right;
    for (i, name) in spec.names.iter().enumerate().rev() {
        let tw = ctx.measure_text(name).map(|m| m.width()).unwrap_or(40.0);
        x -= tw;
        ctx.set_fill_style_str(MUTED);
        let _ = ctx.fill_text(name, x, 16.0);
        x -= 20.0;
        ctx.set_stroke_style_str(SERIES[i % SERIES.len()]);
        ctx.set_line_width(2.5);
        set_dash(ctx, spec.dashed.contains(&i));
        ctx.begin_path();
        ctx.move_to(x, 12.0);
        ctx.line_to(x + 14.0, 12.0);
        ctx.stroke();
        x -= 14.0;
    }
    set_dash(ctx, false);

    // Axes.
    let (step, ymax) = nice_axis(series.max() * 1.05, 4);
    let (t0, t1) = match (series.t.front(), series.t.back()) {
        (Some(&a), Some(&b)) if b > a => (a, b),
        (Some(&a), _) => (a, a + 1.0),
        _ => (0.0, 1.0),
    };
    ctx.set_line_width(1.0);
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    let mut v = 0.0;
    while v <= ymax + step * 0.01 {
        let y = top + ph - v / ymax * ph;
        ctx.set_stroke_style_str(GRID);
        ctx.begin_path();
        ctx.move_to(left, y);
        ctx.line_to(left + pw, y);
        ctx.stroke();
        ctx.set_fill_style_str(MUTED);
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
    ctx.set_stroke_style_str(MUTED);
    ctx.begin_path();
    ctx.move_to(left, top);
    ctx.line_to(left, top + ph);
    ctx.line_to(left + pw, top + ph);
    ctx.stroke();

    // Lines.
    ctx.set_line_width(2.0);
    ctx.set_line_join("round");
    for (i, line) in series.lines.iter().enumerate() {
        ctx.set_stroke_style_str(SERIES[i % SERIES.len()]);
        set_dash(ctx, spec.dashed.contains(&i));
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
    set_dash(ctx, false);
}

fn set_dash(ctx: &CanvasRenderingContext2d, dashed: bool) {
    let pattern = js_sys::Array::new();
    if dashed {
        pattern.push(&6.0.into());
        pattern.push(&4.0.into());
    }
    let _ = ctx.set_line_dash(&pattern);
}
